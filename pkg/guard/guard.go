// Package guard is vpcguard's handler: one CloudTrail event in, one
// report.Result out. It wires the one-way flow
//
//	event → parse → gather state → checks → plan → apply → notify
//
// and is shared by every function binary.
package guard

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/placement"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// Remediator plans (and in remediate mode applies) the repairs for the
// failing checks of a snapshot; it returns every action with its outcome.
type Remediator interface {
	Remediate(ctx context.Context, snap *inventory.Snapshot, results []report.Check) ([]report.Action, error)
}

// Notifier tells people and machines about a result.
type Notifier interface {
	Notify(ctx context.Context, r report.Result) error
}

// FindingsWriter writes a result's findings to AWS Security Hub, as of
// when the evaluation began, and says what it wrote;
// *securityhub.Publisher is one.
type FindingsWriter interface {
	Publish(ctx context.Context, r report.Result, at time.Time) (*report.SecurityHubDelivery, error)
}

// Handler evaluates the events of some kinds.
type Handler struct {
	Config config.Config
	// Gatherer reads state; Handle copies it per event to set the account.
	Gatherer inventory.Gatherer
	// Kinds are the event kinds this function handles; others are skipped.
	Kinds []cloudtrail.Kind
	// Remediator and Notifier are optional.
	Remediator Remediator
	Notifier   Notifier
	// Progress, when set, records what each event's handling completed,
	// so that a retry repeats only the rest (exactly-once effects).
	Progress Progress
	// Now is the clock exemptions expire against (default time.Now).
	Now func() time.Time

	// SecurityHub, when set, writes the findings to AWS Security Hub
	// (VPCGUARD_SECURITY_HUB=true), before the notifications go out.
	SecurityHub FindingsWriter
	// Index is the placement index in the state table (VPCGUARD_STATE_TABLE);
	// nil keeps none, and events that need the account's models scan it.
	Index *placement.Index
	Log   *slog.Logger
	// Targets, when set, replaces Gatherer and Remediator per event with
	// those of the event's account and Region (targets.go).
	Targets Targets
}

// HandleJSON is the Lambda entry point: the raw EventBridge event.
func (h *Handler) HandleJSON(ctx context.Context, raw json.RawMessage) (report.Result, error) {
	call, err := cloudtrail.Parse(raw)
	if err != nil {
		h.Log.ErrorContext(ctx, "rejected event", "error", err.Error(), "bytes", len(raw))
		return report.Result{}, fmt.Errorf("parse event: %w", err)
	}
	return h.Handle(ctx, call)
}

// HandleEvent accepts an already decoded EventBridge event.
func (h *Handler) HandleEvent(ctx context.Context, ev events.CloudWatchEvent) (report.Result, error) {
	call, err := cloudtrail.FromEvent(ev)
	if err != nil {
		return report.Result{}, fmt.Errorf("parse event: %w", err)
	}
	return h.Handle(ctx, call)
}

// Handle evaluates one call. It returns an error only when the result could
// not be delivered (so that Lambda retries the event and, in the end, the
// dead-letter queue keeps it); failed reads are unknown checks, not errors.
func (h *Handler) Handle(ctx context.Context, call cloudtrail.Call) (report.Result, error) {
	res := report.Result{
		Event:   eventOf(call),
		Mode:    h.Config.Mode,
		Checks:  []report.Check{},
		Actions: []report.Action{},
	}
	log := h.Log.With("event_id", res.Event.ID, "event_name", res.Event.Name)
	if reason := h.skipReason(call); reason != "" {
		res.Skipped = reason
		log.InfoContext(ctx, "skipped event", "reason", reason)
		return res, nil
	}
	if h.Targets != nil {
		t, err := h.Targets.Target(ctx, call)
		if err != nil {
			res.Skipped = err.Error()
			if errors.Is(err, ErrNotServed) {
				log.InfoContext(ctx, "skipped event", "reason", res.Skipped)
			} else {
				log.ErrorContext(ctx, config.MemberUnreachable, "account", call.Account, "region", call.Region, "error", err.Error())
			}
			return res, nil
		}
		local := *h
		local.Gatherer, local.Remediator, local.Targets = t.Gatherer, t.Remediator, nil
		h = &local
	}

	start := time.Now()
	g := h.Gatherer
	g.Account = call.Account
	var idx *placement.Scope
	if h.Index != nil {
		idx = h.Index.In(call.Account, cmp.Or(g.Region, call.Region))
		g.Placement = idx
	}
	if indexOnly(call.Kind) {
		return h.indexOnly(ctx, log, idx, call, res)
	}
	// The event's progress record is read (or begun) while the state is
	// gathered: it costs no round trip of its own.
	begun := make(chan *attempt, 1)
	go func() { begun <- h.beginAttempt(ctx, log, res.Event) }()
	// A CreateModel's entry (if the name was indexed before) is read beside
	// the evaluation, so that indexing the model costs one write after it.
	var prior placement.Prior
	var priorRead sync.WaitGroup
	if idx != nil && call.Kind == cloudtrail.KindCreateModel {
		priorRead.Go(func() { prior, _ = idx.Prior(ctx, subjectOf(call)) }) // on error AddModels reads again
	}
	snap, resource, defs := gather(ctx, &g, call, h.Config.ExpectedInstances)
	priorRead.Wait()
	res.Resource = &resource
	if d, ok := driftOf(call); ok {
		if why := d.untouched(snap); why != "" {
			res.Skipped = why
			res.Placement = placementNote(ctx, log, idx, snap)
			log.InfoContext(ctx, "skipped event", "reason", why, "gather_ms", time.Since(start).Milliseconds())
			return res, nil
		}
	}
	ex := checks.Exemptions{Tag: h.Config.ExemptTag, Now: h.now()}
	res.Checks = checks.RunWith(snap, defs, ex)
	var gone []string
	if len(res.Failing()) > 0 && slices.ContainsFunc(snap.Models, func(m inventory.Model) bool { return m.Indexed }) {
		// An index entry alone is never a finding: re-read those models
		// (and their tags, which decide exemptions) before reporting.
		gone = g.Confirm(ctx, snap)
		res.Checks = checks.RunWith(snap, defs, ex)
	}
	log.InfoContext(ctx, "evaluated", "resource", resource.ID, "failing", len(res.Failing()), "gather_ms", time.Since(start).Milliseconds())
	res.Placement = placementNote(ctx, log, idx, snap)

	// The index is kept beside the repair and the notification.
	var upkeep placement.Upkeep
	var upkeepErr error
	var wg sync.WaitGroup
	if idx != nil {
		wg.Go(func() { upkeep, upkeepErr = keepIndex(ctx, idx, call, snap, prior, gone) })
	}
	a := <-begun
	var errs []error
	if h.Remediator != nil {
		rem := h.Remediator
		if ar, ok := rem.(attemptRemediator); ok {
			rem = ar.ForAttempt(a.remediateAttempt(res.Event))
		}
		actions, err := rem.Remediate(ctx, snap, res.Checks)
		res.Actions = append(res.Actions, actions...)
		if err != nil {
			errs = append(errs, fmt.Errorf("remediate: %w", err))
		}
	}
	if h.SecurityHub != nil {
		d, err := h.SecurityHub.Publish(ctx, res, start)
		res.SecurityHub = d
		if err != nil {
			errs = append(errs, fmt.Errorf("security hub: %w", err))
		}
	}
	if h.Notifier != nil {
		if err := h.notify(ctx, a, res); err != nil {
			errs = append(errs, fmt.Errorf("notify: %w", err))
		}
	}
	wg.Wait()
	res.Placement = joinNotes(res.Placement, upkeep.String())
	if upkeepErr != nil {
		res.Placement = joinNotes(res.Placement, "index upkeep failed: "+upkeepErr.Error())
		log.ErrorContext(ctx, "placement index upkeep failed", "error", upkeepErr.Error())
		if !errors.Is(upkeepErr, placement.ErrInvalidated) {
			errs = append(errs, upkeepErr)
		}
	}
	if err := errors.Join(errs...); err != nil {
		log.ErrorContext(ctx, "event not fully handled", "error", err.Error())
		return res, err
	}
	return res, nil
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// skipReason says why call is not evaluated, or "".
func (h *Handler) skipReason(call cloudtrail.Call) string {
	switch {
	case call.Failed():
		return fmt.Sprintf("the call failed (%s): nothing changed", call.ErrorCode)
	case call.Kind == cloudtrail.KindUnknown:
		return fmt.Sprintf("event %s from %s is not one vpcguard handles", call.Name, call.Source)
	case !slices.Contains(h.Kinds, call.Kind):
		return fmt.Sprintf("event %s is handled by another vpcguard function", call.Name)
	case h.Config.OwnRepair(call.Actor, call.SessionName):
		return "the call was made by vpcguard itself"
	case !h.Config.Organization() && call.Account != "" && h.Config.HomeAccount() != "" && call.Account != h.Config.HomeAccount():
		return fmt.Sprintf("the call was made in account %s and this function reads account %s (single-account mode: %s is unset)",
			call.Account, h.Config.HomeAccount(), config.EnvMemberRole)
	case len(h.Config.Regions) > 0 && call.Region != "" && !h.Config.ServesRegion(call.Region, h.Gatherer.Region):
		return fmt.Sprintf("the call was made in %s, outside the Regions vpcguard serves (%s=%s)", call.Region, config.EnvRegions, strings.Join(h.Config.Regions, ","))
	case len(h.Config.Regions) == 0 && h.Gatherer.Region != "" && call.Region != "" && call.Region != h.Gatherer.Region:
		return fmt.Sprintf("the call was made in %s and this function reads %s", call.Region, h.Gatherer.Region)
	case subjectOf(call) == "":
		return fmt.Sprintf("CloudTrail logged no name or id for the %s call (truncated or hidden): the scheduled sweep covers it", call.Name)
	}
	if d, ok := driftOf(call); ok {
		return d.skip
	}
	return ""
}

// subjectOf is the name or id of what the call created or changed, as
// CloudTrail logged it. A CreateModel whose name was hidden falls back to
// the name in the response's model ARN (SageMaker lower-cases it there).
func subjectOf(call cloudtrail.Call) string {
	if d, ok := driftOf(call); ok {
		return d.resource.ID
	}
	switch call.Kind {
	case cloudtrail.KindCreateModel:
		if name := call.CreateModel.ModelName; name != "" {
			return name
		}
		_, name, _ := strings.Cut(call.CreateModel.ModelARN, ":model/")
		return name
	case cloudtrail.KindCreateEndpointConfig:
		return call.CreateEndpointConfig.EndpointConfigName
	case cloudtrail.KindCreateEndpoint:
		return call.CreateEndpoint.EndpointName
	case cloudtrail.KindUpdateEndpoint:
		return call.UpdateEndpoint.EndpointName
	case cloudtrail.KindDeleteEndpoint:
		return call.DeleteEndpoint.EndpointName
	case cloudtrail.KindDeleteModel:
		return call.DeleteModel.ModelName
	}
	return strings.Join(endpointRef(call).IDs, ",")
}

// gather reads the state an event is about and picks the checks that apply.
// CloudTrail's parameters are hints: every name is re-read from the API.
func gather(ctx context.Context, g *inventory.Gatherer, call cloudtrail.Call, expectedInstances int) (*inventory.Snapshot, report.Resource, []checks.Definition) {
	all := checks.Catalogue()
	if d, ok := driftOf(call); ok {
		return d.gather(ctx, g), d.resource, checks.Only(all, d.checks...)
	}
	switch call.Kind {
	case cloudtrail.KindCreateModel:
		name := subjectOf(call)
		return g.Models(ctx, []inventory.ModelRequest{{
			Name: name, Instances: expectedInstances, InstancesFrom: "VPCGUARD_EXPECTED_INSTANCES",
		}}), report.Resource{Type: "model", ID: name}, all
	case cloudtrail.KindCreateEndpointConfig:
		name := call.CreateEndpointConfig.EndpointConfigName
		return g.EndpointConfig(ctx, name), report.Resource{Type: "endpoint-config", ID: name}, all
	case cloudtrail.KindCreateEndpoint:
		e := call.CreateEndpoint
		return g.Endpoint(ctx, e.EndpointName, e.EndpointConfigName), report.Resource{Type: "endpoint", ID: e.EndpointName}, all
	case cloudtrail.KindUpdateEndpoint:
		// The endpoint moves to another config: its models, every check.
		e := call.UpdateEndpoint
		return g.Endpoint(ctx, e.EndpointName, e.EndpointConfigName), report.Resource{Type: "endpoint", ID: e.EndpointName}, all
	}
	ref := endpointRef(call)
	return g.VPCEndpoint(ctx, ref), report.Resource{Type: "vpc-endpoint", ID: strings.Join(ref.IDs, ",")}, checks.EndpointDependent(all)
}

// endpointRef is the VPC endpoint an EC2 event acted on.
func endpointRef(call cloudtrail.Call) inventory.EndpointRef {
	switch call.Kind {
	case cloudtrail.KindCreateVpcEndpoint:
		e := call.CreateVpcEndpoint
		return inventory.EndpointRef{IDs: nonEmpty(e.VpcEndpointID), VPCID: e.VPCID}
	case cloudtrail.KindModifyVpcEndpoint:
		return inventory.EndpointRef{IDs: nonEmpty(call.ModifyVpcEndpoint.VpcEndpointID)}
	case cloudtrail.KindDeleteVpcEndpoints:
		return inventory.EndpointRef{IDs: call.DeleteVpcEndpoints.VpcEndpointIDs, Deleted: true}
	}
	return inventory.EndpointRef{}
}

func nonEmpty(id string) []string {
	if id == "" {
		return nil
	}
	return []string{id}
}

func eventOf(call cloudtrail.Call) report.Event {
	e := report.Event{
		ID: call.EnvelopeID, Name: call.Name, Source: call.Source,
		Account: call.Account, Region: call.Region, Actor: call.Actor,
	}
	if !call.Time.IsZero() {
		e.Time = call.Time.UTC().Format(time.RFC3339)
	}
	return e
}
