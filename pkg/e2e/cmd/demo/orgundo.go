package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/e2e"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/undo"
)

// memberUndo ends part 6: the organization's functions in remediate mode
// with a ledger file; ev (an event of a member account) is repaired there
// through the member role, and the undo function takes the repair back in
// that account, through the member role too.
func (d *demo) memberUndo(ctx context.Context, sess *e2e.Session, env map[string]string, ev e2e.Event) {
	tmp, err := os.MkdirTemp("", "vpcguard-demo-org-")
	if err != nil {
		d.failures = append(d.failures, err.Error())
		return
	}
	defer os.RemoveAll(tmp)
	env = maps.Clone(env)
	env["VPCGUARD_MODE"], env["VPCGUARD_LEDGER_FILE"] = string(report.ModeRemediate), filepath.Join(tmp, "ledger.json")
	if err := sess.Reconfigure(env); err != nil {
		d.failures = append(d.failures, err.Error())
		return
	}
	d.printf("\n  remediate mode, VPCGUARD_LEDGER_FILE: %s again, then its undo\n", ev.File)
	o, err := sess.Replay(ctx, ev)
	if err == nil {
		err = o.Err()
	}
	if err != nil {
		d.failures = append(d.failures, fmt.Sprintf("part 6 undo: %v", err))
		return
	}
	r, id := o.Result, ""
	for _, a := range r.Actions {
		if a.Status == report.ActionApplied {
			id, _ = a.Detail[remediate.DetailLedgerEntry].(string)
			u, _ := a.Detail[remediate.DetailUndo].(map[string]any)
			d.printf("     %s %s in %s, %s; its undo command names the account:\n       %v\n", a.ID, a.Status, r.Event.Account, r.Event.Region, u["command"])
		}
	}
	if id == "" {
		d.failures = append(d.failures, "part 6 undo: no repair in "+r.Event.Account)
		return
	}
	req := undo.Request{Action: id, Account: r.Event.Account, Region: r.Event.Region, Confirm: true}
	before := len(sess.Org.AssumedRoles())
	u, err := sess.Undo(ctx, req)
	if err == nil && u.Result == nil {
		err = u.Invocation.Err()
	}
	if err != nil {
		d.failures = append(d.failures, fmt.Sprintf("part 6 undo: %v", err))
		return
	}
	payload, _ := json.Marshal(req)
	d.printf("\n  undo %s (the undo function, under the emulator)\n     status   %s\n     reason   %s\n", payload, strings.ToUpper(u.Result.Status), u.Result.Reason)
	for _, c := range u.Result.Calls {
		d.printf("     call     %s, in %s %s\n", c, u.Result.Account, u.Result.Region)
	}
	for _, a := range sess.Org.AssumedRoles()[before:] {
		d.printf("     through  %s, session %s\n", a.RoleARN, a.SessionName)
	}
	ops := e2e.WriteOps(sess.Org.Server(req.Account, req.Region).Writes())
	if u.Result.Status != undo.StatusReverted || !slices.Contains(ops, "ec2:DeleteVpcEndpoints") {
		d.failures = append(d.failures, fmt.Sprintf("part 6 undo: %s (%s), writes in %s: %v", u.Result.Status, u.Result.Reason, req.Account, ops))
	}
}
