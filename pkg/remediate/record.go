package remediate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// The executor's record keeping: the ledger entry before each write and its
// outcome after, the per-VPC lock, and what earlier attempts of the same
// event completed.

// Ledger is where the Remediator records its writes (pkg/ledger's stores).
type Ledger interface {
	Record(ctx context.Context, e ledger.Entry) error
	Update(ctx context.Context, ref ledger.Ref, fn func(*ledger.Entry) error) (ledger.Entry, error)
	Holds(ctx context.Context, account, region string, vpcs []string) ([]ledger.Hold, error)
}

// Locker is a lock shared by every vpcguard function (the state table's
// conditional writes): two events in one VPC never write at once.
type Locker interface {
	Lock(ctx context.Context, key, holder string, ttl time.Duration) (bool, error)
	Unlock(ctx context.Context, key, holder string) error
}

// Detail keys the record keeping adds to an action.
const (
	// DetailUndo: written actions: {"ledger_entry", "command", "note"}.
	DetailUndo = "undo"
	// DetailLedgerEntry: the ledger entry of a write (also in DetailUndo).
	DetailLedgerEntry = "ledger_entry"
)

// Lock timing: a lock is held for one write and its verification (a few
// seconds), and expires by itself after LockTTL should its holder die.
const (
	LockTTL  = 60 * time.Second
	LockWait = 45 * time.Second
)

// Attempt is one delivery of an event: which event the repairs are for,
// and what an earlier delivery of it completed (pkg/ledger's Progress).
type Attempt struct {
	Event report.Event
	// Done are the repairs an earlier attempt completed, in order; they
	// are reported as they were, never attempted again.
	Done []DoneStep
	// Complete, when set, is told of each repair this attempt completes.
	Complete func(ctx context.Context, key string, a report.Action) error
}

// DoneStep is a completed repair: its StepKey and the action reported.
type DoneStep struct {
	Key    string
	Action report.Action
}

// ForAttempt returns a Remediator for one delivery of an event.
func (r *Remediator) ForAttempt(a Attempt) *Remediator {
	c := *r
	c.attempt = a
	if c.holder == "" {
		c.holder = newHolder()
	}
	return &c
}

// StepKey identifies a step across the deliveries of one event: the action,
// the VPC and the endpoint it changes.
func StepKey(s Step) string {
	return strings.TrimSpace(s.Action + " " + s.VPCID + " " + s.EndpointID)
}

func newHolder() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "vpcguard-" + hex.EncodeToString(b[:])
}

func (r *Remediator) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// withHolds reads the holds of the steps' VPCs and plans again with them.
// When they cannot be read, every step that would act is refused: a
// repair someone undid must not be redone on a guess.
func (r *Remediator) withHolds(ctx context.Context, snap *inventory.Snapshot, results []report.Check, opts Options, steps []Step) ([]Step, Options, error) {
	if r.Ledger == nil || !slices.ContainsFunc(steps, func(s Step) bool { return s.Refused == "" }) {
		return steps, opts, nil
	}
	var vpcs []string
	for _, s := range steps {
		if !slices.Contains(vpcs, s.VPCID) {
			vpcs = append(vpcs, s.VPCID)
		}
	}
	holds, err := r.Ledger.Holds(ctx, snap.Account, opts.Region, vpcs)
	if err != nil {
		for i := range steps {
			if steps[i].Refused == "" {
				steps[i].Refused = "the ledger's holds (repairs undone in the last 7 days) could not be read, so vpcguard cannot tell whether this repair was undone: " + err.Error()
				steps[i].Verify = nil
			}
		}
		return steps, opts, fmt.Errorf("read holds: %w", err)
	}
	if len(holds) == 0 {
		return steps, opts, nil
	}
	opts.Holds = holds
	return Plan(snap, results, opts), opts, nil
}

// lockVPC takes the VPC's lock when a Locker is set, waiting for another
// holder to finish; unlock releases it.
func (r *Remediator) lockVPC(ctx context.Context, log *slog.Logger, account, region, vpc string) (unlock func(), err error) {
	if r.Locker == nil {
		return func() {}, nil
	}
	holder := r.holder
	if holder == "" {
		holder = newHolder()
	}
	key := ledger.LockKey(account, region, vpc)
	start := time.Now()
	delay := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		ok, err := r.Locker.Lock(ctx, key, holder, LockTTL)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", vpc, err)
		}
		if ok {
			if attempt > 1 {
				log.InfoContext(ctx, "took the VPC's lock", "waited_ms", time.Since(start).Milliseconds(), "attempts", attempt)
			}
			return func() {
				if err := r.Locker.Unlock(context.WithoutCancel(ctx), key, holder); err != nil {
					log.WarnContext(ctx, "unlock failed (the lock expires by itself)", "error", err.Error())
				}
			}, nil
		}
		if time.Since(start) > LockWait || attempt > 1000 {
			return nil, fmt.Errorf("%s is locked by another vpcguard run for more than %s", vpc, LockWait)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		delay = min(delay*2, 250*time.Millisecond)
	}
}

// record writes the ledger entry of s, on the state current holds just
// before the write; "" when no ledger is kept.
func (r *Remediator) record(ctx context.Context, current *inventory.Snapshot, s Step) (ledger.Ref, error) {
	if r.Ledger == nil {
		return ledger.Ref{}, nil
	}
	now := r.now().UTC()
	e := ledger.Entry{
		ID: ledger.NewID(now), Action: s.Action, Status: ledger.StatusPending, Time: now,
		Event: r.attempt.Event.ID, EventName: r.attempt.Event.Name,
		Account: current.Account, Region: current.Region, VPCID: s.VPCID, EndpointID: s.EndpointID,
		Resources: slices.Clone(s.Resources), Check: s.Check, API: s.API(), Params: s.Params(),
		Expires: now.Add(ledger.EntryRetention),
	}
	var ep *inventory.Endpoint
	if v := current.VPCs[s.VPCID]; v != nil && s.EndpointID != "" {
		if i := slices.IndexFunc(v.Endpoints.Value, func(x inventory.Endpoint) bool { return x.ID == s.EndpointID }); i >= 0 {
			ep = &v.Endpoints.Value[i]
		}
	}
	switch {
	case s.Create != nil:
		e.Before = ledger.State{NoEndpoint: true}
		e.After = ledger.State{Policy: aws.String(aws.ToString(s.Create.PolicyDocument)), RouteTableIDs: sortedCopy(s.Create.RouteTableIds),
			Tags: map[string]string{ManagedTagKey: ManagedTagValue}}
	case ep == nil:
		return ledger.Ref{}, fmt.Errorf("endpoint %s is not in the state re-read before the write", s.EndpointID)
	case s.Modify != nil && s.Modify.PolicyDocument != nil:
		e.Before = ledger.State{EndpointID: ep.ID, Policy: aws.String(ep.PolicyDocument), RouteTableIDs: sortedCopy(ep.RouteTableIDs)}
		e.After = ledger.State{EndpointID: ep.ID, Policy: aws.String(aws.ToString(s.Modify.PolicyDocument)), RouteTableIDs: sortedCopy(ep.RouteTableIDs)}
	case s.Modify != nil:
		e.Before = ledger.State{EndpointID: ep.ID, RouteTableIDs: sortedCopy(ep.RouteTableIDs)}
		e.After = ledger.State{EndpointID: ep.ID, RouteTableIDs: sortedCopy(append(slices.Clone(ep.RouteTableIDs), s.Modify.AddRouteTableIds...))}
	}
	if err := r.Ledger.Record(ctx, e); err != nil {
		return ledger.Ref{}, err
	}
	return ledger.RefOf(e), nil
}

// finish records the outcome of entry id.
func (r *Remediator) finish(ctx context.Context, log *slog.Logger, ref ledger.Ref, a report.Action, written bool, endpointID string) {
	if r.Ledger == nil || ref.ID == "" {
		return
	}
	id := ref.ID
	_, err := r.Ledger.Update(context.WithoutCancel(ctx), ref, func(e *ledger.Entry) error {
		e.Status = ledger.StatusFailed
		if a.Status == report.ActionApplied {
			e.Status = ledger.StatusApplied
		}
		o := &ledger.Outcome{Time: r.now().UTC(), Status: string(a.Status), Written: written}
		o.Reason, _ = a.Detail[DetailReason].(string)
		o.ErrorCode, _ = a.Detail[DetailErrorCode].(string)
		if e.Action == report.ActionCreateS3GatewayEndpoint && endpointID != "" {
			o.EndpointID, e.EndpointID, e.After.EndpointID = endpointID, endpointID, endpointID
		}
		e.Outcome = o
		return nil
	})
	if err != nil {
		log.ErrorContext(ctx, "the outcome could not be recorded in the ledger (the entry stays pending)", "ledger_entry", id, "error", err.Error())
		a.Detail[DetailNote] = joinNote(a.Detail[DetailNote], "the outcome could not be recorded in ledger entry "+id+" (it stays pending): "+err.Error())
	}
}

// noteUndo says, on an action that wrote, how to take it back.
func (r *Remediator) noteUndo(a report.Action, s Step, ref ledger.Ref, written bool) {
	id := ref.ID
	if !written {
		return
	}
	if id == "" {
		a.Detail[DetailUndo] = map[string]any{"note": "no ledger is kept (VPCGUARD_STATE_TABLE and VPCGUARD_LEDGER_FILE are unset), so vpcguard cannot undo this repair; the state before is in detail.before"}
		return
	}
	a.Detail[DetailLedgerEntry] = id
	u := map[string]any{DetailLedgerEntry: id}
	switch s.Action {
	case report.ActionCreateS3GatewayEndpoint:
		u["command"] = r.Undo.For(ref, true)
		u["note"] = fmt.Sprintf("undo deletes the endpoint, which cuts the private S3 path of %s; it refuses if the endpoint lost its %s tag or its policy or route tables changed",
			wordList("model", s.Models), ManagedTagKey)
	case report.ActionAssociateRouteTables:
		u["command"] = r.Undo.For(ref, false)
		u["note"] = "undo removes exactly the route tables this repair added, while each still routes S3 through the endpoint"
	default:
		u["command"] = r.Undo.For(ref, false)
		u["note"] = "undo restores the previous policy, only while the endpoint's policy is still the one vpcguard wrote"
	}
	u["note"] = u["note"].(string) + "; after an undo vpcguard does not redo this repair automatically for 7 days"
	a.Detail[DetailUndo] = u
}

func wordList(noun string, names []string) string {
	switch len(names) {
	case 0:
		return "the models placed in the VPC"
	case 1:
		return noun + " " + names[0]
	}
	return noun + "s " + strings.Join(names, ", ")
}

func joinNote(old any, note string) string {
	if s, ok := old.(string); ok && s != "" {
		return s + "; " + note
	}
	return note
}

// joinStep turns a create whose VPC meanwhile got an S3 gateway endpoint
// (another event created it) into the association of the create's route
// tables with that endpoint: the plan of the state re-read, with
// s3-endpoint-routes treated as failing. ok is false when there is none.
func joinStep(current *inventory.Snapshot, results []report.Check, opts Options, planned Step) (Step, bool) {
	v := current.VPCs[planned.VPCID]
	if v == nil || len(v.S3GatewayEndpoints(opts.Region)) == 0 {
		return Step{}, false
	}
	forced := slices.Clone(results)
	found := false
	for i := range forced {
		if forced[i].ID == checks.S3EndpointRoutes {
			forced[i].Status, found = report.StatusFail, true
		}
	}
	if !found {
		forced = append(forced, report.Check{ID: checks.S3EndpointRoutes, Status: report.StatusFail})
	}
	for _, s := range Plan(current, forced, opts) {
		if s.Action == report.ActionAssociateRouteTables && s.VPCID == planned.VPCID {
			return s, true
		}
	}
	return Step{}, false
}

// isMismatch reports whether an action failed with IdempotentParameterMismatch:
// the create's ClientToken (one per VPC) was used by another event's create
// with other route tables.
func isMismatch(a report.Action) bool {
	code, _ := a.Detail[DetailErrorCode].(string)
	return code == "IdempotentParameterMismatch"
}

// respawnToken is the ClientToken of a create whose VPC token was spent
// with other route tables on an endpoint that no longer lives.
func respawnToken(s Step) string {
	return nextToken(aws.ToString(s.Create.ClientToken), strings.Join(sortedCopy(s.Create.RouteTableIds), ","))
}

// doneActions are the completed repairs of earlier attempts not planned
// again now (their state is in place), reported first.
func (r *Remediator) doneActions(planned map[string]bool) []report.Action {
	var out []report.Action
	for _, d := range r.attempt.Done {
		if !planned[d.Key] {
			a := d.Action
			a.Detail = maps.Clone(a.Detail)
			if a.Detail == nil {
				a.Detail = map[string]any{}
			}
			a.Detail[DetailNote] = joinNote(a.Detail[DetailNote], "done by an earlier attempt of this event")
			out = append(out, a)
		}
	}
	return out
}
