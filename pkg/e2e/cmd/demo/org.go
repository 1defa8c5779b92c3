package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/e2e"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
	"github.com/vpcguard/vpcguard/pkg/securityhub"
)

// organization is part 3: the functions in the central account of the
// simulated organization "organization", in organization mode; one event
// from each of two member accounts in two Regions (events/organization/),
// then one from a member whose role refuses the central roles.
func (d *demo) organization(ctx context.Context, runner *e2e.Runner) {
	o, err := scenarios.LoadOrg("organization")
	if err != nil {
		d.failures = append(d.failures, err.Error())
		return
	}
	evs, err := e2e.LoadEvents(filepath.Join(d.root, "events", "organization"))
	if err != nil {
		d.failures = append(d.failures, err.Error())
		return
	}
	env := map[string]string{"VPCGUARD_MEMBER_ROLE": "vpcguard-member", "VPCGUARD_REGIONS": "us-east-1,eu-west-1", "VPCGUARD_SECURITY_HUB": "true"}
	sess, err := runner.Start(e2e.SessionConfig{Org: o, Env: env})
	if err != nil {
		d.failures = append(d.failures, err.Error())
		return
	}
	defer sess.Close()
	names := map[string]string{}
	for _, a := range o.Accounts {
		names[a.ID] = a.Name
	}
	d.printf("\n== 6. Organization mode: one central vpcguard for every account and Region\n")
	d.printf("organization %s (awssim, pkg/scenarios/orgs/organization.json): %d accounts; the functions run in\n", o.ID, len(o.Accounts))
	d.printf("  %s (%s), us-east-1, with VPCGUARD_MEMBER_ROLE=vpcguard-member, VPCGUARD_REGIONS=us-east-1,eu-west-1 and\n", sess.Account.Account(), names[sess.Account.Account()])
	d.printf("  VPCGUARD_SECURITY_HUB=true;\n")
	d.printf("  member events reach them through the forwarders of the member Regions and the central bus\n")

	refusing := "222233334444"
	if raw, err := eventWithAccount(evs[0].Raw, refusing); err == nil {
		evs = append(evs, e2e.NewEvent("(the first event, as if made in "+refusing+", whose vpcguard-member trusts another principal)", raw))
	}
	for i, ev := range evs {
		if ctx.Err() != nil {
			return
		}
		before, writesBefore := len(sess.Org.AssumedRoles()), countWrites(sess.Org)
		o, err := sess.Replay(ctx, ev)
		if err != nil {
			d.failures = append(d.failures, err.Error())
			d.printf("\n[%d/%d] %s\n     ERROR %v\n", i+1, len(evs), ev.File, err)
			continue
		}
		d.printf("\n[%d/%d] %s\n", i+1, len(evs), ev.File)
		d.printf("  %s\n", verdict(o))
		if err := o.Err(); err != nil {
			d.failures = append(d.failures, fmt.Sprintf("%s: %v", ev.File, err))
			continue
		}
		r := o.Result
		acct, region := r.Event.Account, r.Event.Region
		if assumed := sess.Org.AssumedRoles()[before:]; len(assumed) > 0 {
			a := assumed[0]
			d.printf("     account %s (%s), %s: read through %s, session %s\n", acct, names[acct], region, a.RoleARN, a.SessionName)
		} else if r.Skipped == "" {
			d.printf("     account %s (%s), %s: read through the member role's cached session\n", acct, names[acct], region)
		}
		if r.Skipped != "" {
			for _, line := range o.Invocation.Logs {
				var m map[string]any
				if json.Unmarshal([]byte(line), &m) == nil && m["message"] == "member account unreachable" {
					d.printf("     alarm log line: %s %q account=%v region=%v\n", m["level"], m["message"], m["account"], m["region"])
				}
			}
			if countWrites(sess.Org) != writesBefore || len(o.Deliveries) > 0 || len(o.Events) > 0 {
				d.failures = append(d.failures, fmt.Sprintf("%s: an unreachable member led to writes or notifications", ev.File))
			}
			continue
		}
		member := sess.Org.Server(acct, region)
		d.printf("     %d AWS calls answered by %s in %s and %d by the central account (its bus); sent from the central account: %s, %s\n",
			member.Calls("*"), acct, region, o.Calls, plural(len(o.Deliveries), "email"), plural(len(o.Events), "EventBridge entry"))
		member.ResetStats()
		if sh := r.SecurityHub; sh != nil {
			d.printf("     Security Hub: %s, %d ACTIVE finding(s) imported by %s itself into its own hub in %s (product %s)\n",
				sh.Status, sh.Active, sh.Account, sh.Region, securityhub.ProductARN("aws", sh.Region, sh.Account))
			if sh.Account != acct || sh.Region != region || sh.Status != "written" {
				d.failures = append(d.failures, fmt.Sprintf("%s: Security Hub delivery %+v", ev.File, sh))
			}
		}
		if d.emails {
			for _, m := range o.Deliveries {
				d.printf("     email (attributes account=%s region=%s):\n", attr(m, "account"), attr(m, "region"))
				d.quote("Subject: " + m.Subject + "\n\n" + m.Message)
			}
		}
		if len(o.Deliveries) == 0 {
			d.failures = append(d.failures, fmt.Sprintf("%s: no email arrived", ev.File))
		}
	}
	for key, ws := range sess.Org.Writes() {
		if ws = e2e.NonNotifyWrites(ws); len(ws) > 0 && !strings.HasPrefix(key, sess.Account.Account()+"/") {
			d.failures = append(d.failures, fmt.Sprintf("report mode wrote in %s: %v", key, e2e.WriteOps(ws)))
		}
	}
	if len(evs) > 0 && ctx.Err() == nil {
		d.memberUndo(ctx, sess, env, evs[0]) // orgundo.go
	}
}

// eventWithAccount moves an EventBridge event to another account.
func eventWithAccount(raw []byte, account string) ([]byte, error) {
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	ev["account"] = account
	if d, ok := ev["detail"].(map[string]any); ok {
		d["recipientAccountId"] = account
		d["eventID"] = "0f0e0d0c-0b0a-4909-8807-060504030201"
	}
	ev["id"] = "1e2d3c4b-5a69-4788-9a6b-5c4d3e2f1a00"
	return json.Marshal(ev)
}

func attr(m e2e.Delivery, name string) string {
	_, v, _ := strings.Cut(m.Attributes[name], " ")
	return v
}

// countWrites is the number of writes the organization recorded so far.
func countWrites(org *awssim.Org) int {
	n := 0
	for _, ws := range org.Writes() {
		n += len(ws)
	}
	return n
}
