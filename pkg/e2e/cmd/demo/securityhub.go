package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/e2e"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
)

// securityHubEvent is the event part 3 shows in Security Hub: a model in a
// VPC without an S3 gateway endpoint, which remediate mode repairs.
const securityHubEvent = "sagemaker-CreateModel-churn-no-s3-endpoint.json"

// securityHub is part 3: on a fresh account with VPCGUARD_SECURITY_HUB=true,
// one event in report mode imports its findings into awssim's Security Hub,
// then the same event in remediate mode repairs the VPC and archives the
// finding it fixed.
func (d *demo) securityHub(ctx context.Context, runner *e2e.Runner, scenario string, evs []e2e.Event) {
	i := slices.IndexFunc(evs, func(e e2e.Event) bool { return e.File == securityHubEvent })
	if i < 0 {
		d.printf("\n== 5. Security Hub: skipped (%s is not among the events)\n", securityHubEvent)
		return
	}
	ev := evs[i]
	d.printf("\n== 5. Security Hub (VPCGUARD_SECURITY_HUB=true), fresh account: the findings of one event, then the archiving after a repair\n")
	sc, err := scenarios.Load(scenario)
	if err != nil {
		d.failures = append(d.failures, err.Error())
		return
	}
	on := map[string]string{"VPCGUARD_SECURITY_HUB": "true"}
	sess, err := runner.Start(e2e.SessionConfig{Scenario: sc, Env: on})
	if err != nil {
		d.failures = append(d.failures, err.Error())
		return
	}
	defer sess.Close()

	step := func(label string) (*e2e.Outcome, bool) {
		o, err := sess.Replay(ctx, ev)
		if err == nil {
			err = o.Err()
		}
		if err != nil {
			d.failures = append(d.failures, fmt.Sprintf("security hub %s: %v", label, err))
			d.printf("     ERROR %v\n", err)
			return nil, false
		}
		d.printf("\n  %s: %s\n  %s\n", label, ev.File, verdict(o))
		for _, a := range o.Result.Actions {
			d.printf("     action %s: %s on %s\n", a.ID, strings.ToUpper(string(a.Status)), strings.Join(a.Resources, ", "))
		}
		if sh := o.Result.SecurityHub; sh != nil {
			d.printf("     Security Hub (%s %s): %s, %d ACTIVE and %d ARCHIVED written, %d left unchanged (passing, never failed)\n",
				sh.Account, sh.Region, sh.Status, sh.Active, sh.Archived, sh.Unchanged)
		} else {
			d.failures = append(d.failures, "security hub "+label+": the result says nothing about Security Hub")
		}
		return o, true
	}

	if _, ok := step("report mode"); !ok {
		return
	}
	before := sess.Account.Findings()
	d.printf("     findings in the account's Security Hub:\n")
	d.findingTable(before, nil)
	for id, f := range before {
		if strings.Contains(id, "/s3-endpoint-present/") {
			d.printf("     the s3-endpoint-present finding as GetFindings returns it:\n")
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			enc.Encode(f)
			d.quote(b.String())
		}
	}

	if err := sess.Reconfigure(map[string]string{"VPCGUARD_SECURITY_HUB": "true", "VPCGUARD_MODE": string(report.ModeRemediate)}); err != nil {
		d.failures = append(d.failures, err.Error())
		return
	}
	if _, ok := step("remediate mode, same account"); !ok {
		return
	}
	after := sess.Account.Findings()
	d.printf("     findings after the repair (same Ids; the repaired one archived):\n")
	d.findingTable(after, before)
	archived := 0
	for id, f := range after {
		if f["RecordState"] == "ARCHIVED" && before[id]["RecordState"] == "ACTIVE" {
			archived++
		}
	}
	if archived == 0 {
		d.failures = append(d.failures, "security hub: the repair archived no finding")
	}
}

// findingTable prints one line per finding: state, compliance, severity,
// Id; with before, the state each finding had then.
func (d *demo) findingTable(findings, before map[string]map[string]any) {
	ids := make([]string, 0, len(findings))
	for id := range findings {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		f := findings[id]
		state := fmt.Sprint(f["RecordState"])
		if before != nil {
			if was, ok := before[id]; ok && was["RecordState"] != f["RecordState"] {
				state = fmt.Sprint(was["RecordState"]) + "→" + state
			}
		}
		d.printf("       %-17s %-9s %-13s %s\n", state, field(f, "Compliance", "Status"), field(f, "Severity", "Label"), id)
	}
}

func field(f map[string]any, outer, inner string) string {
	if m, ok := f[outer].(map[string]any); ok {
		return fmt.Sprint(m[inner])
	}
	return ""
}
