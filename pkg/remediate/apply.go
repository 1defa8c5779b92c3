package remediate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// EC2Writer is the EC2 write API the executor uses.
type EC2Writer interface {
	CreateVpcEndpoint(context.Context, *ec2.CreateVpcEndpointInput, ...func(*ec2.Options)) (*ec2.CreateVpcEndpointOutput, error)
	ModifyVpcEndpoint(context.Context, *ec2.ModifyVpcEndpointInput, ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error)
}

// EC2API is everything the Remediator calls; *ec2.Client satisfies it.
type EC2API interface {
	EC2Writer
	StateReader
}

// Remediator plans the repairs of a snapshot and, in remediate mode,
// applies the allowed ones. It implements guard.Remediator.
type Remediator struct {
	EC2    EC2Writer
	Reader StateReader // re-reads state before each write and to verify it
	Config config.Config
	Log    *slog.Logger

	// VerifyAttempts is how many times the state is re-read until the
	// fixed checks pass (EC2 reads are eventually consistent); default 4.
	VerifyAttempts int
	// VerifyDelay is the wait before the second re-read, doubled for each
	// further one; default 500ms.
	VerifyDelay time.Duration
	// Sleep waits d or until ctx is done; default a timer (tests replace it).
	Sleep func(ctx context.Context, d time.Duration) error

	// Ledger records each write before it is made and its outcome after
	// (no write without a record); nil keeps none, and the actions say
	// that vpcguard cannot undo them.
	Ledger Ledger
	// Locker serialises vpcguard's writes in one VPC across concurrent
	// events; nil takes no lock (the create's ClientToken still makes one
	// endpoint per VPC).
	Locker Locker
	// Undo writes the undo command each written action carries.
	Undo ledger.UndoCommand
	// Now is the clock of exemptions, holds and the ledger (default time.Now).
	Now func() time.Time

	attempt Attempt // the event and what its earlier deliveries did (ForAttempt)
	holder  string  // this attempt's name on the VPC locks
}

// New returns a Remediator that writes and re-reads through client.
func New(client EC2API, cfg config.Config, log *slog.Logger) *Remediator {
	return &Remediator{EC2: client, Reader: client, Config: cfg, Log: log}
}

// Remediate plans the repairs for the failing checks of results on snap and
// returns one action per step:
//
//   - report mode: every step "planned" (refusals "skipped"); nothing is
//     read or written;
//   - remediate mode: refusals and actions not in VPCGUARD_REMEDIATIONS
//     "skipped" with detail.reason; the others applied one by one, each
//     "applied" only when the re-read state passes the checks it fixes,
//     else "failed" with the reason (and the AWS error code of a failed
//     write).
//
// The error is non-nil only when a retry of the whole event can do better:
// a write failed with an error that is not a permission or validation error
// (throttling after the SDK's own retries, a server error, a conflict with
// a concurrent change, a deadline), or the state could not be re-read or
// did not verify. Retrying is safe: the handler gathers the state again and
// the planner plans only what is still missing; a create repeats its
// ClientToken, and a policy merge of a merged policy adds nothing. A write
// refused for good (AccessDenied, UnauthorizedOperation, InvalidParameter…,
// a limit) is a failed action and no error: a retry would fail alike.
func (r *Remediator) Remediate(ctx context.Context, snap *inventory.Snapshot, results []report.Check) ([]report.Action, error) {
	if snap == nil {
		return []report.Action{}, nil
	}
	opts := Options{ExemptTag: r.Config.ExemptTag, Now: r.now(), Region: snap.Region}
	var errs []error
	steps, opts, err := r.withHolds(ctx, snap, results, opts, Plan(snap, results, opts))
	if err != nil {
		errs = append(errs, err)
	}
	done := map[string]report.Action{}
	for _, d := range r.attempt.Done {
		done[d.Key] = d.Action
	}
	planned := map[string]bool{}
	for _, s := range steps {
		planned[StepKey(s)] = true
	}
	actions := r.doneActions(planned)
	for _, s := range steps {
		key := StepKey(s)
		if a, ok := done[key]; ok && s.Refused == "" && r.Config.Mode == report.ModeRemediate {
			a.Detail = maps.Clone(a.Detail)
			a.Detail[DetailNote] = joinNote(a.Detail[DetailNote], "done by an earlier attempt of this event: not attempted again")
			actions = append(actions, a)
			continue
		}
		switch {
		case s.Refused != "":
			actions = append(actions, s.Report(report.ActionSkipped))
		case r.Config.Mode != report.ModeRemediate:
			actions = append(actions, s.Report(report.ActionPlanned))
		case !r.Config.Allows(s.Action):
			a := s.Report(report.ActionSkipped)
			a.Detail[DetailReason] = fmt.Sprintf("action %s is not in VPCGUARD_REMEDIATIONS (%s)", s.Action, strings.Join(r.Config.Remediations, ","))
			actions = append(actions, a)
		default:
			a, err := r.apply(ctx, snap, results, s, opts)
			actions = append(actions, a)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s on %s: %w", s.Action, firstOf(s.Resources), err))
				continue
			}
			if r.attempt.Complete != nil {
				if cerr := r.attempt.Complete(ctx, key, a); cerr != nil {
					r.logger().WarnContext(ctx, "the event's progress could not be recorded; a retry re-plans this repair on fresh state", "step", key, "error", cerr.Error())
				}
			}
		}
	}
	return actions, errors.Join(errs...)
}

// apply carries out one step under the VPC's lock: re-read, re-plan,
// record, write, verify, record the outcome.
func (r *Remediator) apply(ctx context.Context, snap *inventory.Snapshot, results []report.Check, planned Step, opts Options) (report.Action, error) {
	log := r.logger().With("action", planned.Action, "vpc_id", planned.VPCID, "vpc_endpoint_id", planned.EndpointID)
	failed := func(s Step, reason string) report.Action {
		a := s.Report(report.ActionFailed)
		a.Detail[DetailReason] = reason
		return a
	}
	unlock, err := r.lockVPC(ctx, log, snap.Account, opts.Region, planned.VPCID)
	if err != nil {
		log.WarnContext(ctx, "no lock", "error", err.Error())
		return failed(planned, "the VPC's lock could not be taken, so nothing was written: "+err.Error()), err
	}
	defer unlock()

	// Observe again just before writing, and plan the step anew from that
	// state: a concurrent run (a duplicate event) or a person may have
	// changed it since it was gathered. What is already in place is not
	// written twice, and a policy is merged into the policy as it is now,
	// never written over a newer one.
	vpc := snap.VPCs[planned.VPCID]
	if vpc == nil || r.Reader == nil {
		return failed(planned, "the VPC's state cannot be re-read"), errors.New("no state reader")
	}
	fresh, err := reread(ctx, r.Reader, vpc)
	if err != nil {
		log.WarnContext(ctx, "re-read before writing failed", "error", err.Error())
		return failed(planned, "the state could not be re-read before writing, so nothing was written: "+err.Error()), err
	}
	current := withVPC(snap, fresh)
	s, found := replan(current, results, opts, planned)
	var note string
	if !found && planned.Create != nil {
		// Another event created the VPC's endpoint meanwhile: this one's
		// route tables join it.
		if j, ok := joinStep(current, results, opts, planned); ok {
			s, found = j, true
			note = "the VPC's S3 gateway endpoint was created meanwhile by another vpcguard run, so this event's route tables were added to it instead of creating a second endpoint"
		}
	}
	switch {
	case !found:
		a := planned.Report(report.ActionSkipped)
		a.Detail[DetailReason] = "already in place when re-read just before writing (a concurrent run or a person made the change): nothing written"
		log.InfoContext(ctx, "nothing to write")
		return a, nil
	case s.Refused != "":
		return s.Report(report.ActionSkipped), nil
	}

	a, err := r.commit(ctx, log, current, s)
	if s.Create != nil && isMismatch(a) {
		// The VPC's ClientToken was used by another event's create, with
		// other route tables: join the endpoint it made, or (if that one is
		// gone) create with a token of this event's tables.
		if fresh, rerr := reread(ctx, r.Reader, vpc); rerr == nil {
			current = withVPC(snap, fresh)
			if j, ok := joinStep(current, results, opts, planned); ok {
				note = "another vpcguard run created the VPC's S3 gateway endpoint at the same moment (IdempotentParameterMismatch on the VPC's ClientToken), so this event's route tables were added to it"
				a, err = r.commit(ctx, log, current, j)
			} else if len(fresh.S3GatewayEndpoints(opts.Region)) == 0 {
				create := *s.Create
				create.ClientToken = aws.String(respawnToken(s))
				s.Create = &create
				note = "the VPC's ClientToken had been used with other route tables on an endpoint since deleted: created with ClientToken " + aws.ToString(create.ClientToken)
				a, err = r.commit(ctx, log, current, s)
			}
		}
	}
	if note != "" {
		a.Detail[DetailNote] = joinNote(a.Detail[DetailNote], note)
	}
	return a, err
}

// commit records s in the ledger, writes it, verifies it and records the
// outcome. Without a ledger record there is no write.
func (r *Remediator) commit(ctx context.Context, log *slog.Logger, current *inventory.Snapshot, s Step) (report.Action, error) {
	ref, err := r.record(ctx, current, s)
	if err != nil {
		log.ErrorContext(ctx, "ledger entry not written; nothing written", "error", err.Error())
		a := s.Report(report.ActionFailed)
		a.Detail[DetailReason] = "the ledger entry could not be written, so nothing was written (vpcguard makes no write without a record): " + err.Error()
		return a, fmt.Errorf("ledger: %w", err)
	}
	endpointID, fail, err := r.write(ctx, log, s)
	var a report.Action
	written := fail == nil
	if fail != nil {
		a = *fail
	} else {
		a, err = r.verify(ctx, log, current, s, endpointID)
		if after, ok := a.Detail[DetailAfter].(map[string]any); ok && s.Create != nil {
			if id, ok := after["vpc_endpoint_id"].(string); ok {
				endpointID = id
			}
		}
	}
	r.finish(ctx, log, ref, a, written, endpointID)
	r.noteUndo(a, s, ref, written)
	return a, err
}

// write makes the step's call and returns the endpoint written (created or
// modified). When the call failed, fail is the action to report and err
// the error to return (nil when a retry would not help).
func (r *Remediator) write(ctx context.Context, log *slog.Logger, s Step) (endpointID string, fail *report.Action, err error) {
	log.InfoContext(ctx, "writing", "api", s.API(), "resources", s.Resources)
	switch {
	case s.Create != nil:
		out, werr := r.EC2.CreateVpcEndpoint(ctx, s.Create)
		if werr != nil {
			a, err := r.writeFailed(ctx, log, s, werr)
			return "", &a, err
		}
		if out.VpcEndpoint != nil {
			return aws.ToString(out.VpcEndpoint.VpcEndpointId), nil, nil
		}
		return "", nil, nil
	case s.Modify != nil:
		if _, werr := r.EC2.ModifyVpcEndpoint(ctx, s.Modify); werr != nil {
			a, err := r.writeFailed(ctx, log, s, werr)
			return "", &a, err
		}
	}
	return s.EndpointID, nil, nil
}

// maxRespawns bounds how often a create is repeated with a new ClientToken
// because the token had been spent on an endpoint since deleted.
const maxRespawns = 2

// verify re-reads the state until the step's checks pass or the attempts
// run out, and reports the outcome.
//
// A create whose ClientToken was already spent on an endpoint that has
// since been deleted (vpcguard's own, removed by someone within the token's
// lifetime) gets that dead endpoint back from AWS instead of a new one. It
// is repeated with the token chained to the dead endpoint's id: still
// deterministic, so concurrent duplicates still make one endpoint.
func (r *Remediator) verify(ctx context.Context, log *slog.Logger, current *inventory.Snapshot, s Step, endpointID string) (report.Action, error) {
	attempts := r.VerifyAttempts
	if attempts <= 0 {
		attempts = 4
	}
	delay := r.VerifyDelay
	if delay <= 0 {
		delay = 500 * time.Millisecond
	}
	vpc := current.VPCs[s.VPCID]
	var notes []string
	respawns := 0
	var checksRun []report.Check
	var lastErr error
	for i := 1; i <= attempts; i++ {
		if i > 1 {
			if err := r.sleep(ctx, delay); err != nil {
				lastErr = err
				break
			}
			delay *= 2
		}
		after, err := reread(ctx, r.Reader, vpc)
		if err != nil {
			lastErr = err
			continue
		}
		lastErr = nil
		if s.Create != nil && respawns < maxRespawns && deadEndpoint(after, endpointID) {
			old := aws.ToString(s.Create.ClientToken)
			create := *s.Create
			create.ClientToken = aws.String(nextToken(old, endpointID))
			s.Create = &create
			notes = append(notes, fmt.Sprintf("ClientToken %s had been used for %s, since deleted: created again with ClientToken %s",
				old, endpointID, aws.ToString(create.ClientToken)))
			log.WarnContext(ctx, "ClientToken spent on a deleted endpoint; creating again", "dead_endpoint", endpointID)
			respawns++
			id, fail, err := r.write(ctx, log, s)
			if fail != nil {
				fail.Detail[DetailNote] = strings.Join(notes, "; ")
				return *fail, err
			}
			endpointID, i = id, 0 // verify the new endpoint from the start
			continue
		}
		var passed bool
		checksRun, passed = runChecks(scoped(current, s, after, endpointID), s.Verify)
		if passed {
			a := s.Report(report.ActionApplied)
			a.Detail[DetailVerified] = verifiedDetail(checksRun, true, i)
			noteCreated(a, s, endpointID, notes)
			log.InfoContext(ctx, "applied and verified", "attempts", i)
			return a, nil
		}
	}
	var a report.Action
	var err error
	if lastErr != nil {
		a = s.Report(report.ActionFailed)
		a.Detail[DetailReason] = "written, but the state could not be re-read to verify it: " + lastErr.Error()
		err = fmt.Errorf("verify: %w", lastErr)
	} else {
		a = s.Report(report.ActionFailed)
		a.Detail[DetailReason] = "written, but the re-read state does not pass: " + notPassing(checksRun)
		a.Detail[DetailVerified] = verifiedDetail(checksRun, false, attempts)
		err = errors.New("the re-read state does not pass the fixed checks")
	}
	noteCreated(a, s, endpointID, notes)
	log.WarnContext(ctx, "not verified", "reason", a.Detail[DetailReason])
	return a, err
}

// deadEndpoint reports whether v lists endpoint id in a state that is gone
// for good.
func deadEndpoint(v *inventory.VPC, id string) bool {
	if id == "" || !v.Endpoints.OK() {
		return false
	}
	for _, e := range v.Endpoints.Value {
		if e.ID == id {
			switch e.State {
			case "deleting", "deleted", "failed", "rejected", "expired":
				return true
			}
		}
	}
	return false
}

// nextToken derives the ClientToken that follows token once it has been
// spent on endpoint dead.
func nextToken(token, dead string) string {
	h := sha256.Sum256([]byte(token + "\n" + dead))
	return "vpcguard-" + hex.EncodeToString(h[:])[:40]
}

// replan plans again on current and returns the step that corresponds to
// planned (same action, VPC and endpoint), preferring one that acts; found
// is false when nothing corresponding is left to do.
func replan(current *inventory.Snapshot, results []report.Check, opts Options, planned Step) (Step, bool) {
	var refused *Step
	for _, s := range Plan(current, results, opts) {
		if s.Action != planned.Action || s.VPCID != planned.VPCID || s.EndpointID != planned.EndpointID {
			continue
		}
		if s.Refused == "" {
			return s, true
		}
		if refused == nil {
			refused = &s
		}
	}
	if refused != nil {
		return *refused, true
	}
	return Step{}, false
}

// writeFailed reports a failed write with its AWS error code. AWS applies a
// failed CreateVpcEndpoint or ModifyVpcEndpoint not at all, so the old
// state stands.
func (r *Remediator) writeFailed(ctx context.Context, log *slog.Logger, s Step, err error) (report.Action, error) {
	code, msg := errorCode(err)
	a := s.Report(report.ActionFailed)
	a.Detail[DetailError] = code + ": " + msg
	a.Detail[DetailErrorCode] = code
	a.Detail[DetailReason] = fmt.Sprintf("%s failed (%s): nothing was changed", s.API(), code)
	log.WarnContext(ctx, "write failed", "api", s.API(), "error_code", code, "error", err.Error())
	if permanent(code) {
		return a, nil
	}
	return a, fmt.Errorf("%s: %w", s.API(), err)
}

// errorCode extracts the AWS error code and message of err.
func errorCode(err error) (code, msg string) {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode(), api.ErrorMessage()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "DeadlineExceeded", err.Error()
	case errors.Is(err, context.Canceled):
		return "Canceled", err.Error()
	}
	return "Unknown", err.Error()
}

// permanent reports whether a write that failed with code would fail the
// same way on a retry: missing permissions, invalid parameters, a limit.
func permanent(code string) bool {
	switch {
	case strings.HasPrefix(code, "AccessDenied"), strings.HasPrefix(code, "Unauthorized"),
		strings.HasPrefix(code, "InvalidParameter"), code == "MissingParameter",
		code == "InvalidPolicyDocument", code == "OptInRequired",
		strings.HasSuffix(code, "LimitExceeded") && code != "RequestLimitExceeded":
		return true
	}
	return false
}

func (r *Remediator) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (r *Remediator) logger() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// noteCreated records the id of the endpoint a create made in
// detail.after, and notes on the way there in detail.note.
func noteCreated(a report.Action, s Step, endpointID string, notes []string) {
	if after, ok := a.Detail[DetailAfter].(map[string]any); ok && s.Create != nil && endpointID != "" {
		after["vpc_endpoint_id"] = endpointID
	}
	if len(notes) > 0 {
		a.Detail[DetailNote] = strings.Join(notes, "; ")
	}
}

func firstOf(list []string) string {
	if len(list) == 0 {
		return "?"
	}
	return list[0]
}
