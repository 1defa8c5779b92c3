package undo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// Request is what the undo function is invoked with: {"action":"<id>"},
// "account" and "region" for a repair made in another account or Region
// than the function's own, and "confirm":true to delete an endpoint.
type Request struct {
	Action string `json:"action"`
	// Account and Region are where the repair was made (the ledger entry's
	// account and Region, as the repair's undo command and `undo -list`
	// give them); default the undo function's own.
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	Confirm bool   `json:"confirm,omitempty"`
}

// The statuses of an undo: a contract like the action statuses.
const (
	StatusReverted = "reverted" // written, and the re-read state equals the recorded before
	StatusRefused  = "refused"  // nothing written, for the reason given
	StatusFailed   = "failed"   // the write or its verification failed
)

// Result is the undo function's answer: the Lambda return value and the
// local command's output.
type Result struct {
	ID     string `json:"id"`     // the ledger entry (action instance id)
	Action string `json:"action"` // the repair's action ID
	Status string `json:"status"` // reverted | refused | failed
	Reason string `json:"reason"` // what happened, or why not
	// Account and Region are where the undo looked the entry up and acts.
	Account   string   `json:"account,omitempty"`
	Region    string   `json:"region,omitempty"`
	Resources []string `json:"resources"`
	// Calls are the API calls the undo made.
	Calls []string `json:"calls,omitempty"`
	// Diff: a refused policy restore, what vpcguard wrote against what is
	// there now.
	Diff string `json:"diff,omitempty"`
	// ModelsLosingS3 are the models an endpoint's deletion cuts off (or
	// would) from their private S3 path.
	ModelsLosingS3 []string `json:"models_losing_private_s3,omitempty"`
	// HoldUntil: after a revert, vpcguard does not redo this repair
	// automatically before this time.
	HoldUntil *time.Time `json:"hold_until,omitempty"`
	// Before is the state the repair found (the ledger's record).
	Before *ledger.State `json:"before,omitempty"`
	// Ledger says where the ledger is.
	Ledger string `json:"ledger"`
}

// EC2API is what an undo calls; *ec2.Client is one.
type EC2API interface {
	DescribeVpcEndpoints(context.Context, *ec2.DescribeVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
	DescribeRouteTables(context.Context, *ec2.DescribeRouteTablesInput, ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error)
	ModifyVpcEndpoint(context.Context, *ec2.ModifyVpcEndpointInput, ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error)
	DeleteVpcEndpoints(context.Context, *ec2.DeleteVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DeleteVpcEndpointsOutput, error)
}

// Ledger is the ledger an undo reads and marks (pkg/ledger's stores).
type Ledger interface {
	Get(ctx context.Context, ref ledger.Ref) (ledger.Entry, error)
	Update(ctx context.Context, ref ledger.Ref, fn func(*ledger.Entry) error) (ledger.Entry, error)
	AddHold(ctx context.Context, h ledger.Hold) error
	Recent(ctx context.Context, account, region string, limit int) ([]ledger.Entry, error)
}

// Target is what an undo reads and writes through in one account and
// Region.
type Target struct {
	EC2 EC2API
	// Scoped gathers the models placed in a VPC (inventory's
	// Gatherer.Scoped), to name those an endpoint's deletion cuts off.
	Scoped func(ctx context.Context, q inventory.PlacementQuery) *inventory.Snapshot
}

// Targets gives the Target of another account or Region than the undo
// function's own (organization mode: through the member role; or another
// Region of VPCGUARD_REGIONS). session names the member-role session
// opened for it. A Refusal error refuses the undo; any other fails it.
type Targets interface {
	Target(ctx context.Context, account, region, session string) (Target, error)
}

// Refusal is a Targets error that no retry cures: the account or Region
// is not one vpcguard serves (NotServed), or its member role refuses the
// undo function (a broken member deployment: the result says so, and one
// log line says config.MemberUnreachable, as the event functions do).
// Nothing is read or written there.
type Refusal struct {
	Err       error
	NotServed bool
}

func (r Refusal) Error() string { return r.Err.Error() }
func (r Refusal) Unwrap() error { return r.Err }

// Undoer takes repairs back.
type Undoer struct {
	// EC2 and Scoped are the function's own account and Region (Account,
	// Region).
	EC2    EC2API
	Scoped func(ctx context.Context, q inventory.PlacementQuery) *inventory.Snapshot
	// Targets serves a request naming another account or Region; nil:
	// such requests are refused.
	Targets Targets
	// Ledger is nil when none is kept: every undo is refused, saying so.
	Ledger Ledger
	// Locker is the VPC lock the repairs take (nil: none).
	Locker  remediate.Locker
	Account string
	Region  string
	// Where describes the ledger for results ("table vpcguard-state").
	Where string
	Now   func() time.Time
	// VerifyAttempts and VerifyDelay: re-reads until the state equals the
	// recorded before (EC2 reads are eventually consistent); default 5 and
	// 500ms doubling.
	VerifyAttempts int
	VerifyDelay    time.Duration
	Sleep          func(ctx context.Context, d time.Duration) error
	Log            *slog.Logger
}

// Undo takes back the repair req names. A refusal is a Result, not an
// error; the error is set when the ledger or AWS failed.
func (u *Undoer) Undo(ctx context.Context, req Request) (Result, error) {
	account, region := cmp.Or(req.Account, u.Account), cmp.Or(req.Region, u.Region)
	res := Result{ID: req.Action, Status: StatusRefused, Account: account, Region: region, Resources: []string{}, Ledger: u.Where}
	log := u.logger().With("ledger_entry", req.Action, "account", account, "region", region)
	switch {
	case u.Ledger == nil:
		res.Reason = "no ledger is kept (VPCGUARD_STATE_TABLE and VPCGUARD_LEDGER_FILE are unset), so vpcguard has no record to undo from"
		return res, nil
	case !ledger.ValidID(req.Action):
		res.Reason = fmt.Sprintf("%q is not an action instance id (they look like rep-20261126T101500Z-3f9a1c2b; undo -list shows them)", clip(req.Action, 80))
		return res, nil
	case !config.IsAccountID(account):
		res.Reason = fmt.Sprintf("account %q is not an AWS account id (12 digits)", clip(account, 80))
		return res, nil
	case !config.IsRegion(region):
		res.Reason = fmt.Sprintf("region %q is not an AWS Region name (such as us-east-1)", clip(region, 80))
		return res, nil
	}
	// The account and Region are reached first: a Region not served is
	// refused before any call, and a member role that refuses before the
	// ledger is read.
	t, err := u.target(ctx, account, region, req.Action)
	var refusal Refusal
	switch {
	case errors.As(err, &refusal):
		res.Reason = "nothing read or written: " + err.Error()
		if !refusal.NotServed {
			log.ErrorContext(ctx, config.MemberUnreachable, "error", err.Error())
		}
		log.InfoContext(ctx, "undo refused", "reason", res.Reason)
		return res, nil
	case err != nil:
		res.Status, res.Reason = StatusFailed, fmt.Sprintf("account %s (%s) could not be reached, so nothing was written: %s", account, region, err.Error())
		return res, err
	}
	e, err := u.Ledger.Get(ctx, ledger.Ref{Account: account, Region: region, ID: req.Action})
	if errors.Is(err, ledger.ErrNotFound) {
		res.Reason = fmt.Sprintf("no ledger entry %s in account %s, %s (%s); a repair made in another account or Region is undone with its "+
			"account and Region (\"account\", \"region\"; -account, -region), as its undo command and undo -list give them", req.Action, account, region, u.Where)
		return res, nil
	}
	if err != nil {
		res.Status, res.Reason = StatusFailed, "the ledger could not be read: "+err.Error()
		return res, err
	}
	res.Action, res.Resources, res.Before = e.Action, slices.Clone(e.Resources), &e.Before

	unlock, err := u.lock(ctx, log, e)
	if err != nil {
		res.Status, res.Reason = StatusFailed, "the VPC's lock could not be taken, so nothing was written: "+err.Error()
		return res, err
	}
	defer unlock()

	o, err := t.observe(ctx, e, e.Action == report.ActionCreateS3GatewayEndpoint)
	if err != nil {
		res.Status, res.Reason = StatusFailed, "the state could not be read, so nothing was written: "+err.Error()
		return res, err
	}
	p := PlanUndo(e, o, req.Confirm)
	res.ModelsLosingS3, res.Diff = p.ModelsLosingS3, p.Diff
	if p.Refused != "" {
		res.Reason = p.Refused
		log.InfoContext(ctx, "undo refused", "reason", p.Refused)
		return res, nil
	}

	call, err := t.write(ctx, p)
	res.Calls = append(res.Calls, call)
	if err != nil {
		res.Status, res.Reason = StatusFailed, fmt.Sprintf("%s failed (%s): the repair stands", call, errorCode(err))
		log.WarnContext(ctx, "undo write failed", "error", err.Error())
		return res, err
	}
	ok, why, err := u.verify(ctx, t, e, p)
	if err != nil || !ok {
		res.Status = StatusFailed
		res.Reason = "written, but the state re-read is not the recorded before: " + why
		if err != nil {
			res.Reason = "written, but the state could not be re-read to verify it: " + err.Error()
		}
		return res, errors.Join(err, errors.New(res.Reason))
	}

	now := u.now().UTC()
	until := now.Add(ledger.HoldDuration)
	res.Status, res.HoldUntil = StatusReverted, &until
	res.Reason = fmt.Sprintf("%s reverted and verified: the state re-read equals the one recorded before the repair; vpcguard will not make this repair automatically again until %s (7 days)",
		e.ID, until.Format(time.RFC3339))
	var errs []error
	if err := u.Ledger.AddHold(ctx, ledger.Hold{Action: e.Action, Account: e.Account, Region: e.Region, VPCID: e.VPCID,
		Resources: p.Hold, Entry: e.ID, Undone: now, Until: until}); err != nil {
		errs = append(errs, fmt.Errorf("the hold could not be recorded, so the next event may redo the repair: %w", err))
	}
	if _, err := u.Ledger.Update(ctx, ledger.RefOf(e), func(x *ledger.Entry) error {
		x.Status = ledger.StatusReverted
		x.Undo = &ledger.Undo{Time: now, Calls: res.Calls, HoldUntil: until}
		return nil
	}); err != nil {
		errs = append(errs, fmt.Errorf("the ledger entry could not be marked reverted: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		res.Reason += "; but " + err.Error()
		return res, err
	}
	log.InfoContext(ctx, "reverted", "action", e.Action, "calls", res.Calls)
	return res, nil
}

// target is the account and Region's Target: the function's own, or one
// of Targets, whose member-role session is named after the undo.
func (u *Undoer) target(ctx context.Context, account, region, id string) (Target, error) {
	if account == u.Account && region == u.Region {
		return Target{EC2: u.EC2, Scoped: u.Scoped}, nil
	}
	if u.Targets == nil {
		return Target{}, Refusal{Err: fmt.Errorf("account %s (%s): this undo acts in account %s, %s only", account, region, u.Account, u.Region), NotServed: true}
	}
	return u.Targets.Target(ctx, account, region, config.UndoSessionPrefix+id)
}

// observe reads the entry's endpoint and the VPC's route tables (and, for
// a create, the models that reach S3 through the endpoint).
func (t Target) observe(ctx context.Context, e ledger.Entry, withModels bool) (Observed, error) {
	eps, err := inventory.ReadEndpoints(ctx, t.EC2, e.VPCID)
	if err != nil {
		return Observed{}, err
	}
	tables, err := inventory.ReadRouteTables(ctx, t.EC2, e.VPCID)
	if err != nil {
		return Observed{}, err
	}
	v := inventory.VPC{ID: e.VPCID, Endpoints: inventory.Known(eps), RouteTables: inventory.Known(tables)}
	o := Observed{RouteTables: tables, S3Endpoints: v.S3GatewayEndpoints(e.Region)}
	for _, x := range o.S3Endpoints {
		if x.ID == e.EndpointID {
			o.Endpoint = &x
		}
	}
	if withModels && o.Endpoint != nil && t.Scoped != nil {
		snap := t.Scoped(ctx, inventory.PlacementQuery{VPCID: e.VPCID})
		for _, m := range snap.Models {
			if m.VPCConfig == nil || snap.ModelVPC(m) != e.VPCID {
				continue
			}
			for _, sn := range m.VPCConfig.SubnetIDs {
				if rt, err := inventory.RouteTableFor(tables, sn); err == nil && rt.RoutesVia(*o.Endpoint) {
					o.Models = append(o.Models, m.Name)
					break
				}
			}
		}
		for name := range snap.ModelErrs {
			o.Models = append(o.Models, "(unreadable: "+name+")")
		}
		slices.Sort(o.Models)
	}
	return o, nil
}

// write makes the plan's call and names it.
func (t Target) write(ctx context.Context, p Plan) (string, error) {
	switch {
	case p.Delete != nil:
		call := "DeleteVpcEndpoints " + strings.Join(p.Delete.VpcEndpointIds, ",")
		out, err := t.EC2.DeleteVpcEndpoints(ctx, p.Delete)
		if err != nil {
			return call, err
		}
		if len(out.Unsuccessful) > 0 { // one endpoint asked for: it was not deleted
			f, code := out.Unsuccessful[0], ""
			if f.Error != nil {
				code = aws.ToString(f.Error.Code) + ": " + aws.ToString(f.Error.Message)
			}
			return call, fmt.Errorf("%s not deleted: %s", aws.ToString(f.ResourceId), code)
		}
		return call, nil
	case p.Modify != nil:
		in := p.Modify
		call := "ModifyVpcEndpoint " + aws.ToString(in.VpcEndpointId)
		switch {
		case len(in.RemoveRouteTableIds) > 0:
			call += " RemoveRouteTableIds " + strings.Join(in.RemoveRouteTableIds, ",")
		case aws.ToBool(in.ResetPolicy):
			call += " ResetPolicy"
		default:
			call += " PolicyDocument (the previous policy)"
		}
		_, err := t.EC2.ModifyVpcEndpoint(ctx, in)
		return call, err
	}
	return "", errors.New("nothing to write")
}

// verify re-reads until the state equals the recorded before.
func (u *Undoer) verify(ctx context.Context, t Target, e ledger.Entry, p Plan) (bool, string, error) {
	attempts := u.VerifyAttempts
	if attempts <= 0 {
		attempts = 5
	}
	delay := u.VerifyDelay
	if delay <= 0 {
		delay = 500 * time.Millisecond
	}
	var why string
	var lastErr error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			if err := u.sleep(ctx, delay); err != nil {
				return false, why, err
			}
			delay *= 2
		}
		o, err := t.observe(ctx, e, false)
		if err != nil {
			lastErr = err
			continue
		}
		lastErr = nil
		var ok bool
		if ok, why = Reverted(e, o, p); ok {
			return true, "", nil
		}
	}
	return false, why, lastErr
}

// List returns the recent ledger entries of account and region (""
// each: the function's own), newest first. It reads the ledger only.
func (u *Undoer) List(ctx context.Context, account, region string, limit int) ([]ledger.Entry, error) {
	account, region = cmp.Or(account, u.Account), cmp.Or(region, u.Region)
	switch {
	case u.Ledger == nil:
		return nil, errors.New("no ledger is kept (VPCGUARD_STATE_TABLE and VPCGUARD_LEDGER_FILE are unset)")
	case !config.IsAccountID(account):
		return nil, fmt.Errorf("account %q is not an AWS account id (12 digits)", clip(account, 80))
	case !config.IsRegion(region):
		return nil, fmt.Errorf("region %q is not an AWS Region name (such as us-east-1)", clip(region, 80))
	}
	return u.Ledger.Recent(ctx, account, region, limit)
}

func (u *Undoer) lock(ctx context.Context, log *slog.Logger, e ledger.Entry) (func(), error) {
	if u.Locker == nil {
		return func() {}, nil
	}
	key, holder := ledger.LockKey(e.Account, e.Region, e.VPCID), "undo-"+e.ID
	deadline := time.Now().Add(remediate.LockWait)
	for delay := 50 * time.Millisecond; ; delay = min(delay*2, 250*time.Millisecond) {
		ok, err := u.Locker.Lock(ctx, key, holder, remediate.LockTTL)
		if err != nil {
			return nil, err
		}
		if ok {
			return func() {
				if err := u.Locker.Unlock(context.WithoutCancel(ctx), key, holder); err != nil {
					log.WarnContext(ctx, "unlock failed (the lock expires by itself)", "error", err.Error())
				}
			}, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s is locked by a vpcguard repair for more than %s", e.VPCID, remediate.LockWait)
		}
		if err := u.sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}

func (u *Undoer) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

func (u *Undoer) sleep(ctx context.Context, d time.Duration) error {
	if u.Sleep != nil {
		return u.Sleep(ctx, d)
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

func (u *Undoer) logger() *slog.Logger {
	if u.Log != nil {
		return u.Log
	}
	return slog.New(slog.DiscardHandler)
}

func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode() + ": " + api.ErrorMessage()
	}
	return err.Error()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
