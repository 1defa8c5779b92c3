// Package sweep is vpcguard's scheduled backstop: a full audit of every
// SageMaker model of the account against the same checks as the event
// functions, for what CloudTrail delivery missed and what existed before
// vpcguard was deployed.
//
// One run lists every model (ListModels) and the in-service endpoints (for
// instance counts, raised to the variants' autoscaling max), describes the models in name order with bounded
// concurrency, gathers the state of their subnets, groups, roles, buckets
// and VPCs once (calls grow with the models plus a constant per VPC, never
// models × VPCs), runs the checks per VPC, plans or applies the repairs as
// the event functions do, and reports one digest (SNS) plus one EventBridge
// event per failing check per VPC.
//
// Time budget: when the context has a deadline (Lambda's), the run stops
// describing models when Options.Reserve is left, finishes what it
// started, and reports exactly which models it covered. The pass then
// continues from a cursor, kept in a Store (an S3 object), on the next run.
package sweep

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/notify"
	"github.com/vpcguard/vpcguard/pkg/placement"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// The sweep's identity in results, events and the digest.
const (
	EventName   = "Sweep"    // report.Event.Name of every sweep result
	EventSource = "vpcguard" // report.Event.Source of every sweep result
	// ResourceVPC is the resource type of a VPC's result; models outside
	// any VPC (or whose VPC or description could not be read) are reported
	// under the account (report.Resource type "account").
	ResourceVPC     = "vpc"
	ResourceAccount = "account"
)

// Remediator plans (and in remediate mode applies) the repairs of a
// snapshot's failing checks; *remediate.Remediator is one.
type Remediator interface {
	Remediate(ctx context.Context, snap *inventory.Snapshot, results []report.Check) ([]report.Action, error)
}

// SNSPublisher publishes the digest; *sns.Client is one.
type SNSPublisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Sweeper runs sweeps. Gatherer holds the SDK clients (its Concurrency and
// ModelTags are set by the sweep); the others are optional.
type Sweeper struct {
	Gatherer inventory.Gatherer
	Config   config.Config
	Options  Options
	// Store keeps the cursor and the last pass's findings; nil keeps none.
	Store Store
	// Remediator is given each VPC's results, as the event functions do.
	Remediator Remediator
	// SNS publishes the digest to Config.TopicARN, Events the per-finding
	// events to Config.EventBus; either is skipped when nil or unset.
	SNS    SNSPublisher
	Events notify.EventsPutter
	// SecurityHub, when set, reconciles vpcguard's Security Hub findings
	// with the run's results (VPCGUARD_SECURITY_HUB=true).
	SecurityHub Reconciler
	// Index is the placement index (VPCGUARD_STATE_TABLE): the models it
	// holds with the creation time ListModels gives are not described
	// again, and the run brings it up to date. Nil keeps none.
	Index *placement.Index
	// Health runs vpcguard's self-check beside the sweep; nil skips it.
	Health HealthChecker
	// Calls is the counter the clients report to (LoadOptions); optional.
	Calls *Calls
	Log   *slog.Logger
	// Now is the clock of timestamps (default time.Now). The time budget
	// always follows the context's deadline in real time.
	Now func() time.Time
	// budgetClock is the clock the time budget measures the context's
	// deadline with: time.Now, but for tests (export_test.go).
	budgetClock func() time.Time
}

// Trigger is what started a run: the scheduled event, or a local run.
type Trigger struct {
	ID      string // the EventBridge event id (default generated)
	Time    time.Time
	Account string // default: the account in the models' ARNs
	Region  string // default: the gatherer's
}

// Run sweeps once. It returns an error only when the digest, the events or
// the state could not be delivered (the summary is still returned); what
// could not be read is in the results as unknown checks and in the
// summary's notes.
func (s *Sweeper) Run(ctx context.Context, t Trigger) (*Summary, error) {
	start, t0 := s.now(), time.Now() // a timestamp, and the real clock of durations
	if t.ID == "" {
		t.ID = "sweep-" + start.UTC().Format("20060102T150405Z")
	}
	if t.Time.IsZero() {
		t.Time = start
	}
	log := s.logger().With("sweep_id", t.ID)
	callsBefore := s.Calls.Stats()
	clock := time.Now
	if s.budgetClock != nil {
		clock = s.budgetClock
	}
	b := newBudget(ctx, clock, s.Options.Reserve)

	g := s.Gatherer
	g.Concurrency = s.Options.concurrency()
	g.ModelTags = false // read only where a repair is planned (exemptions)
	if g.Region == "" {
		g.Region = t.Region
	}
	sum := &Summary{
		Sweep: report.Event{ID: t.ID, Name: EventName, Source: EventSource, Account: t.Account, Region: g.Region,
			Time: t.Time.UTC().Format(time.RFC3339)},
		Mode:    s.Config.Mode,
		Started: start.UTC(),
		Actions: map[report.ActionStatus]int{},
	}
	note := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		sum.Notes = append(sum.Notes, msg)
		log.WarnContext(ctx, msg)
	}

	// The state: where the pass in progress stopped, and the last pass.
	st, stateOK := &State{Version: StateVersion}, true
	if s.Store != nil {
		loaded, err := s.Store.Load(ctx)
		switch {
		case err != nil:
			stateOK = false
			note("the sweep state could not be read, so this run starts a new pass, reports no changes and does not overwrite the state: %v", err)
		case loaded != nil:
			st = loaded
		}
	}
	pass := st.Current
	if pass == nil {
		pass = &Pass{ID: t.ID, Started: start.UTC(), Findings: Findings{}}
	}
	pass.Runs++
	resumeAfter := pass.Cursor

	readCtx, cancelRead := b.readContext(ctx)
	defer cancelRead()

	// The self-check reads beside the sweep (CloudTrail, EventBridge, SNS,
	// SQS, CloudWatch), read-only.
	healthReport := startHealth(readCtx, s.Health)

	// Models and endpoints, listed together; the endpoints' instance counts
	// are needed only once the models are described.
	var usage inventory.EndpointUsage
	usageDone := make(chan struct{})
	go func() {
		defer close(usageDone)
		usage = g.InServiceEndpoints(readCtx)
	}()
	listStart := time.Now()
	listed, listErr := g.ListModels(readCtx)
	names := make([]string, len(listed))
	for i, m := range listed {
		names[i] = m.Name
	}
	sort.Strings(names)
	if sum.Sweep.Account == "" && len(listed) > 0 {
		sum.Sweep.Account = accountOfARN(listed[0].ARN)
	}
	idx := s.indexOf(readCtx, sum.Sweep.Account, g.Region, listed, listErr, note)
	todo := names
	if listErr != nil {
		names, todo = nil, nil
		note("the account's models could not be listed, so no model was evaluated and the pass did not advance: %v", listErr)
	} else if resumeAfter != "" {
		i := sort.SearchStrings(names, resumeAfter)
		if i < len(names) && names[i] == resumeAfter {
			i++
		}
		todo = names[i:]
	}

	log.DebugContext(ctx, "listed", "models", len(names), "todo", len(todo), "ms", time.Since(t0).Milliseconds())
	d := s.describe(readCtx, &g, todo, idx.cached, b)
	log.DebugContext(ctx, "described", "models", d.covered, "ms", time.Since(t0).Milliseconds())
	<-usageDone
	if usage.Err != nil {
		note("some in-service endpoints could not be read; the models they use are checked with %d instance(s) (VPCGUARD_EXPECTED_INSTANCES): %v",
			s.expectedInstances(), usage.Err)
	}
	if usage.ScalingErr != nil {
		note("the endpoints' autoscaling limits could not be read; the models they host are checked with their current instance counts: %v", usage.ScalingErr)
	}
	for i := range d.models {
		s.setInstances(&d.models[i], usage)
	}

	snap := g.NewSnapshot()
	snap.Models = d.models
	for k, err := range d.errs {
		snap.ModelErrs[k] = err
	}
	if listErr != nil {
		snap.ModelErrs["the account's models"] = listErr
	}
	if len(snap.Models) > 0 || len(snap.ModelErrs) > 0 {
		g.Place(readCtx, snap)
	}
	log.DebugContext(ctx, "placed", "vpcs", len(snap.VPCs), "ms", time.Since(t0).Milliseconds())
	if readCtx.Err() != nil && d.covered > 0 {
		// The state read last is incomplete: evaluating it would report the
		// deadline as findings. The models go back to the next run.
		note("the time budget ran out while the VPC state of %d model(s) was read; they were not evaluated and the next run starts again after %s (raise %s or the function's timeout)",
			d.covered, cmp.Or(resumeAfter, "the beginning"), EnvReserve)
		d = described{stopped: "the time budget ran out while reading the VPC state", errs: map[string]error{}}
		snap = g.NewSnapshot()
	}
	if sum.Sweep.Account == "" {
		sum.Sweep.Account = accountOf(snap.Models)
	}
	snap.Account = sum.Sweep.Account
	sum.Placement = idx.sync(ctx, t.ID, listStart, listed, listErr, snap, usage)
	if idx.scope != nil {
		log.InfoContext(ctx, "placement index", "summary", sum.Placement)
	}

	// Check each VPC's models on their own, so the results, the events and
	// the offenders are per VPC; the state is shared.
	groups := groupModels(snap)
	passDone := listErr == nil && d.covered == len(todo) && d.stopped == ""
	wholeAccount := passDone && resumeAfter == ""
	repairCtx, cancelRepair := b.repairContext(ctx)
	defer cancelRepair()
	defs := checks.Catalogue()
	results := make([]report.Result, 0, len(groups))
	var remediateErrs []error
	for _, grp := range groups {
		sub := grp.snapshot(snap, false)
		res := report.Result{
			Event: sum.Sweep, Mode: s.Config.Mode, Resource: grp.resource(sum.Sweep.Account),
			Checks: s.checkGroup(readCtx, &g, grp, sub, defs, note), Actions: []report.Action{},
		}
		if s.Remediator != nil && len(res.Failing()) > 0 {
			actions, err := s.remediate(repairCtx, &g, snap, grp, res.Checks, wholeAccount, sum.Sweep)
			res.Actions = append(res.Actions, actions...)
			if err != nil {
				remediateErrs = append(remediateErrs, err)
			}
		}
		results = append(results, res)
	}
	if err := errors.Join(remediateErrs...); err != nil {
		note("some repairs failed and will be planned again by the next run: %v", err)
	}

	log.DebugContext(ctx, "checked", "groups", len(groups), "ms", time.Since(t0).Milliseconds())

	// Coverage, the pass and what changed.
	runFindings := findingsOf(results)
	prevPass := st.Previous
	if listErr == nil {
		pass.Findings.merge(runFindings)
	}
	pass.Models += d.covered
	if d.covered > 0 {
		pass.Cursor = todo[d.covered-1]
	}
	sum.Coverage = Coverage{
		ModelsListed: len(names), ModelsEvaluated: d.covered, ResumedAfter: resumeAfter,
		ModelsRemaining: len(todo) - d.covered, PassComplete: passDone, Stopped: d.stopped,
		Pass: PassInfo{ID: pass.ID, Started: pass.Started, Runs: pass.Runs, ModelsEvaluated: pass.Models},
	}
	if listErr != nil {
		sum.Coverage.ModelsRemaining = 0
	}
	if d.covered > 0 {
		sum.Coverage.First, sum.Coverage.Last = todo[0], todo[d.covered-1]
	}
	if s.Store != nil && stateOK {
		sum.Changes = diff(prevPass, runFindings, pass.Findings, passDone)
	}
	if passDone {
		fin := s.now().UTC()
		pass.Finished, pass.Cursor = &fin, ""
		st.Previous, st.Current = pass, nil
	} else {
		st.Current = pass
		sum.Coverage.Cursor = pass.Cursor
	}
	sum.State = s.stateNote(stateOK)

	sum.Endpoints = EndpointCounts{InService: usage.Endpoints, Configs: usage.Configs, Autoscaled: usage.Autoscaled}
	sum.tally(results, groups, s.Options.top())
	sum.Exempt = exemptFindings(results)
	sum.Results = results
	sum.Elapsed = millis(time.Since(t0))
	sum.API = s.Calls.Stats().since(callsBefore)
	log.InfoContext(ctx, "swept", "models_listed", len(names), "models_evaluated", d.covered,
		"remaining", sum.Coverage.ModelsRemaining, "vpcs", sum.VPCs, "findings", sum.Findings.Total,
		"api_calls", sum.API.Total, "throttled", sum.API.Throttled, "elapsed_ms", sum.Elapsed)

	if sum.Health = healthReport(); sum.Health != nil {
		sum.Health.Account = sum.Sweep.Account
	}

	// Deliver: the events, the digest, then the state (a run whose digest
	// was not delivered is repeated from the same cursor).
	var errs []error
	if err := s.reconcileSecurityHub(ctx, results, sum, start, wholeAccount); err != nil {
		errs = append(errs, err)
	}
	var healthErr error
	if sum.Delivery.Health, healthErr = sendHealth(ctx, log, s.Events, s.Config.EventBus, sum.Health); healthErr != nil {
		errs = append(errs, healthErr)
	}
	if err := s.sendEvents(ctx, log, results, sum); err != nil {
		errs = append(errs, err)
	}
	sum.Digest = Render(sum)
	if err := s.publish(ctx, log, sum); err != nil {
		errs = append(errs, err)
	}
	if s.Store != nil && stateOK && len(errs) == 0 {
		if err := s.Store.Save(ctx, st); err != nil {
			errs = append(errs, err)
			sum.Delivery.State = "failed: " + err.Error()
		} else {
			sum.Delivery.State = "saved to " + s.Store.String()
		}
	}
	if err := errors.Join(errs...); err != nil {
		log.ErrorContext(ctx, "sweep not fully delivered", "error", err.Error())
		return sum, err
	}
	return sum, nil
}

// described is the outcome of the describe phase: names[:covered] of the
// run's models were read (or failed for a reason of their own).
type described struct {
	models  []inventory.Model
	errs    map[string]error
	covered int
	stopped string // why it stopped before the last name, or ""
}

// describe reads the models of names in order, with g.Concurrency calls at
// once, until the names run out or the budget says to stop. A call cut by
// the context does not count: its model goes back to the next run.
func (s *Sweeper) describe(ctx context.Context, g *inventory.Gatherer, names []string, cached map[string]inventory.Model, b budget) described {
	type outcome struct {
		m    inventory.Model
		err  error
		done bool
	}
	out := make([]outcome, len(names))
	var mu sync.Mutex
	next := 0
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		// The first wave always starts, so that every run makes progress.
		if next >= len(names) || ctx.Err() != nil || (next >= g.Concurrency && b.describeOver()) {
			return 0, false
		}
		next++
		return next - 1, true
	}
	var wg sync.WaitGroup
	for range min(g.Concurrency, len(names)) {
		wg.Go(func() {
			for {
				i, ok := take()
				if !ok {
					return
				}
				if m, ok := cached[strings.ToLower(names[i])]; ok {
					out[i] = outcome{m: m, done: true}
					continue
				}
				m, err := g.DescribeModel(ctx, inventory.ModelRequest{Name: names[i]})
				if err != nil && ctx.Err() != nil {
					continue
				}
				out[i] = outcome{m: m, err: err, done: true}
			}
		})
	}
	wg.Wait()

	d := described{errs: map[string]error{}}
	for d.covered < len(names) && out[d.covered].done {
		o := out[d.covered]
		if o.err != nil {
			d.errs["model "+names[d.covered]] = o.err
		} else {
			d.models = append(d.models, o.m)
		}
		d.covered++
	}
	if d.covered < len(names) {
		d.stopped = "the time budget ran out"
		if !b.has {
			d.stopped = "the run was cancelled"
		}
	}
	return d
}

// setInstances gives m the instances its in-service endpoints run (or may
// run: the autoscaling max), or the configured default when none uses it.
func (s *Sweeper) setInstances(m *inventory.Model, u inventory.EndpointUsage) {
	if r, ok := u.Models[strings.ToLower(m.Name)]; ok {
		m.Instances, m.InstancesFrom, m.Via = r.Instances, r.InstancesFrom, r.Via
		if u.ScalingErr != nil {
			m.InstancesFrom += "; the autoscaling max could not be read (see the sweep's notes)"
		}
		return
	}
	m.Instances = s.expectedInstances()
	m.InstancesFrom = "VPCGUARD_EXPECTED_INSTANCES: no in-service endpoint uses it"
	if u.Err != nil {
		m.InstancesFrom = "VPCGUARD_EXPECTED_INSTANCES: the in-service endpoints could not all be read"
	}
}

func (s *Sweeper) expectedInstances() int {
	return cmp.Or(s.Config.ExpectedInstances, config.DefaultExpectedInstances)
}

// remediate plans the repairs of one VPC and hands them to the Remediator.
// The exempt tag decides refusals, so the tags of the VPC's models are read
// first, only when a repair is planned. The plan sees every model that
// could not be read (any of them may be exempt and placed here) and
// refuses accordingly. Repairs are applied only by a run that evaluated the
// whole account: otherwise a model not yet read this pass could be exempt
// or use the same route tables and endpoint.
func (s *Sweeper) remediate(ctx context.Context, g *inventory.Gatherer, snap *inventory.Snapshot, grp group, results []report.Check, wholeAccount bool, ev report.Event) ([]report.Action, error) {
	sub := grp.snapshot(snap, true)
	opts := remediate.Options{ExemptTag: s.Config.ExemptTag}
	if len(remediate.Plan(sub, results, opts)) == 0 {
		return nil, nil
	}
	s.readTags(ctx, g, sub)
	if s.Config.Mode == report.ModeRemediate && !wholeAccount {
		steps := remediate.Plan(sub, results, opts)
		actions := make([]report.Action, 0, len(steps))
		for _, st := range steps {
			a := st.Report(report.ActionSkipped)
			if st.Refused == "" {
				a.Detail[remediate.DetailReason] = "this run of the sweep evaluated only part of the account's models, and a model not read in it could be exempt or share the route tables: repaired by a run that covers every model (or by the event functions)"
			}
			actions = append(actions, a)
		}
		return actions, nil
	}
	rem := s.Remediator
	if ar, ok := rem.(interface {
		ForAttempt(remediate.Attempt) *remediate.Remediator
	}); ok {
		rem = ar.ForAttempt(remediate.Attempt{Event: ev}) // the ledger names the sweep run
	}
	return rem.Remediate(ctx, sub, results)
}

// readTags reads the tags of sub's models (one ListTags each, bounded); a
// model whose tags cannot be read joins the unreadable models, so that the
// plan refuses to change its VPC.
func (s *Sweeper) readTags(ctx context.Context, g *inventory.Gatherer, sub *inventory.Snapshot) {
	sem := make(chan struct{}, g.Concurrency)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range sub.Models {
		m := &sub.Models[i]
		if m.Tags != nil {
			continue // read already, for the exemptions of a failing check
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var tags map[string]string
			err := errors.New("its ARN is unknown")
			if m.ARN != "" {
				tags, err = g.ReadModelTags(ctx, m.ARN)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				sub.ModelErrs["the tags of model "+m.Name] = err
				return
			}
			m.Tags = tags
		})
	}
	wg.Wait()
}

func (s *Sweeper) stateNote(ok bool) string {
	switch {
	case s.Store == nil:
		return "not kept (" + EnvState + " unset): every run starts from the first model and no changes are reported"
	case !ok:
		return "could not be read from " + s.Store.String()
	}
	return s.Store.String()
}

func (s *Sweeper) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sweeper) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// accountOfARN reads the account of an ARN (arn:aws:sagemaker:REGION:ACCOUNT:…).
func accountOfARN(arn string) string {
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
		return parts[4]
	}
	return ""
}

// accountOf reads the account from the first model ARN
// (arn:aws:sagemaker:REGION:ACCOUNT:model/NAME).
func accountOf(models []inventory.Model) string {
	for _, m := range models {
		if parts := strings.SplitN(m.ARN, ":", 6); len(parts) == 6 && parts[4] != "" {
			return parts[4]
		}
	}
	return ""
}

// group is the models of one VPC (vpc set), or those outside any known VPC.
type group struct {
	vpc    string
	models []inventory.Model
}

func (g group) resource(account string) *report.Resource {
	if g.vpc != "" {
		return &report.Resource{Type: ResourceVPC, ID: g.vpc}
	}
	return &report.Resource{Type: ResourceAccount, ID: cmp.Or(account, "unknown")}
}

// groupModels sorts the models by VPC (inventory's ByVPC, VPCs in id
// order); the models without a VpcConfig, those whose VPC cannot be told
// and those that could not be read form the last group.
func groupModels(s *inventory.Snapshot) []group {
	byVPC, unplaced := s.ByVPC()
	slices.SortFunc(byVPC, func(a, b inventory.VPCGroup) int { return cmp.Compare(a.ID, b.ID) })
	out := make([]group, 0, len(byVPC)+1)
	for _, g := range byVPC {
		out = append(out, group{vpc: g.ID, models: g.Models})
	}
	isUnplaced := make(map[string]bool, len(unplaced))
	for _, m := range unplaced {
		isUnplaced[m.Name] = true
	}
	var rest []inventory.Model
	for _, m := range s.Models {
		if m.VPCConfig == nil || isUnplaced[m.Name] {
			rest = append(rest, m)
		}
	}
	if len(rest) > 0 || len(s.ModelErrs) > 0 {
		out = append(out, group{models: rest})
	}
	return out
}

// snapshot is s reduced to the group: its models and VPC, sharing the
// gathered maps (the checks only read them). The models that could not be
// read belong to the account group's checks; forPlan gives them to every
// group, so the planner refuses what they might forbid.
func (g group) snapshot(s *inventory.Snapshot, forPlan bool) *inventory.Snapshot {
	sub := *s
	sub.Models = slices.Clone(g.models)
	sub.ModelErrs = map[string]error{}
	if g.vpc == "" || forPlan {
		for k, v := range s.ModelErrs {
			sub.ModelErrs[k] = v
		}
	}
	sub.VPCs = map[string]*inventory.VPC{}
	if g.vpc != "" {
		sub.VPCs[g.vpc] = s.VPCs[g.vpc]
	}
	sub.Trigger = nil
	return &sub
}

// findingsOf collects the failing and unverified checks above info of
// results, by subject. A check naming no resource counts against its
// result's resource.
func findingsOf(results []report.Result) Findings {
	f := Findings{}
	for _, r := range results {
		for _, c := range r.Failing() {
			if len(c.Resources) == 0 && r.Resource != nil {
				f.add(c.ID, r.Resource.ID, c.Status)
			}
			for _, res := range c.Resources {
				f.add(c.ID, res, c.Status)
			}
		}
	}
	return f
}

// budget turns the context's deadline into the moments the sweep changes
// phase: it stops describing models with the reserve left, stops reading
// state with half the reserve left, stops repairing with a quarter left,
// and delivers in the rest. It reads the time from now (time.Now).
type budget struct {
	has                                  bool
	now                                  func() time.Time
	deadline, describe, read, repairStop time.Time
}

func newBudget(ctx context.Context, now func() time.Time, reserve time.Duration) budget {
	d, ok := ctx.Deadline()
	if !ok {
		return budget{}
	}
	r := max(min(reserve, d.Sub(now())/2), 0)
	return budget{has: true, now: now, deadline: d, describe: d.Add(-r), read: d.Add(-r / 2), repairStop: d.Add(-r / 4)}
}

// describeOver reports whether the time to describe models has run out.
func (b budget) describeOver() bool { return b.has && !b.now().Before(b.describe) }

// readContext ends when the state must no longer be read.
func (b budget) readContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return b.until(ctx, b.read)
}

// repairContext ends when no repair may start or go on.
func (b budget) repairContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return b.until(ctx, b.repairStop)
}

// until is ctx, ended at moment t of the budget's clock.
func (b budget) until(ctx context.Context, t time.Time) (context.Context, context.CancelFunc) {
	if !b.has {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, t.Sub(b.now()))
}
