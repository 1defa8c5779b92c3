package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpcguard/vpcguard/pkg/e2e"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
	"github.com/vpcguard/vpcguard/pkg/undo"
)

// Part 4 of the demo (issue #14): an exemption, a repair, its undo and the
// hold that keeps the next event from redoing it.
const (
	exemptEvent    = "sagemaker-CreateModel-recsys-default-endpoint-policy.json"
	exemptEndpoint = "vpce-0ccc0000000000001"
	exemptValue    = "checks=s3-endpoint-policy-custom; reason=default policy kept until the bucket-scoped policy ships (CHG-4711); owner=ml-platform@example.com; expires=2099-12-31"
)

// undoPart replays exemptEvent in remediate mode with a ledger file, on a
// fresh demo account whose recsys S3 endpoint carries a scoped exemption:
// s3-endpoint-policy-custom is exempt, the Amazon Linux deny is repaired;
// the undo function restores the previous policy; the same event replayed
// does not repair it again.
func (d *demo) undoPart(ctx context.Context, runner *e2e.Runner, scenario string, evs []e2e.Event, tmp string) {
	i := slices.IndexFunc(evs, func(ev e2e.Event) bool { return ev.File == exemptEvent })
	if i < 0 {
		d.printf("\n== 4. (skipped: %s is not among the events)\n", exemptEvent)
		return
	}
	ev := evs[i]
	ledgerFile := filepath.Join(tmp, "ledger.json")
	d.printf("\n== 4. An exemption, a repair and its undo (remediate mode, VPCGUARD_LEDGER_FILE, fresh account)\n")
	d.printf("     %s is tagged\n       vpcguard:exempt = %s\n", exemptEndpoint, exemptValue)
	sc, err := scenarios.Load(scenario)
	if err != nil {
		d.failures = append(d.failures, err.Error())
		return
	}
	for j := range sc.VPCEndpoints {
		if sc.VPCEndpoints[j].ID == exemptEndpoint {
			sc.VPCEndpoints[j].Tags["vpcguard:exempt"] = exemptValue
		}
	}
	sess, err := runner.Start(e2e.SessionConfig{Scenario: sc, Env: map[string]string{
		"VPCGUARD_MODE": string(report.ModeRemediate), "VPCGUARD_LEDGER_FILE": ledgerFile,
	}})
	if err != nil {
		d.failures = append(d.failures, err.Error())
		return
	}
	defer sess.Close()

	first := d.replay(ctx, sess, []e2e.Event{ev})
	d.remediate = append(d.remediate, first...)
	if len(first) == 0 || first[0].Result == nil {
		return
	}
	r := first[0].Result
	if !slices.ContainsFunc(r.Checks, func(c report.Check) bool { return c.Status == report.StatusExempt }) {
		d.failures = append(d.failures, "part 4: no exempt check")
	}
	var id string
	for _, a := range r.Actions {
		if a.Status == report.ActionApplied {
			id, _ = a.Detail[remediate.DetailLedgerEntry].(string)
			break
		}
	}
	if id == "" {
		d.failures = append(d.failures, "part 4: no applied repair with a ledger entry")
		return
	}

	d.printf("\n  undo {\"action\":%q} (the undo function, under the emulator, as `aws lambda invoke` calls it)\n", id)
	o, err := sess.Undo(ctx, undo.Request{Action: id})
	if err != nil {
		d.failures = append(d.failures, err.Error())
		return
	}
	if err := o.Invocation.Err(); err != nil || o.Result == nil {
		d.failures = append(d.failures, fmt.Sprintf("part 4: undo: %v", err))
		return
	}
	res := o.Result
	d.printf("     status   %s\n     reason   %s\n", strings.ToUpper(res.Status), res.Reason)
	for _, c := range res.Calls {
		d.printf("     call     %s\n", c)
	}
	for _, w := range e2e.NonNotifyWrites(o.Writes) {
		d.printf("     awssim   recorded the write %s:%s\n", w.Service, w.Operation)
	}
	if res.Status != undo.StatusReverted {
		d.failures = append(d.failures, "part 4: the undo did not revert: "+res.Reason)
	}
	if p := policyOf(ctx, sess, exemptEndpoint); p != "" {
		d.printf("     policy of %s re-read: %s\n", exemptEndpoint, oneLine(p))
	}

	// A new event (another id: the same id would be a retry, whose email
	// went out already) of the same call, within the 7 days.
	next, err := renamed(ev, "second")
	if err != nil {
		d.failures = append(d.failures, err.Error())
		return
	}
	d.printf("\n  the same call again (a new event), within the 7 days of the undo:\n")
	again := d.replay(ctx, sess, []e2e.Event{next})
	d.remediate = append(d.remediate, again...)
	if len(again) == 1 && again[0].Result != nil {
		for _, a := range again[0].Result.Actions {
			if a.ID == report.ActionAddALRepoDeny && a.Status != report.ActionSkipped {
				d.failures = append(d.failures, "part 4: the undone repair was made again")
			}
		}
	}
	if raw, err := os.ReadFile(ledgerFile); err == nil {
		d.printf("\n  the ledger file %s holds %d bytes (undo -list prints it one entry per line)\n", filepath.Base(ledgerFile), len(raw))
	}
}

// renamed is ev with a new EventBridge id and CloudTrail eventID derived
// from tag: another event of the same call.
func renamed(ev e2e.Event, tag string) (e2e.Event, error) {
	var m map[string]any
	if err := json.Unmarshal(ev.Raw, &m); err != nil {
		return e2e.Event{}, fmt.Errorf("part 4: %s: %w", ev.File, err)
	}
	id := func(seed string) string {
		h := sha256.Sum256([]byte(seed))
		x := hex.EncodeToString(h[:16])
		return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
	}
	m["id"] = id(tag + " envelope " + ev.File)
	if detail, ok := m["detail"].(map[string]any); ok {
		detail["eventID"] = id(tag + " event " + ev.File)
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return e2e.Event{}, err
	}
	return e2e.NewEvent(ev.File, raw), nil
}

// policyOf re-reads an endpoint's policy document ("" when it cannot).
func policyOf(ctx context.Context, s *e2e.Session, id string) string {
	out, err := s.Account.EC2.DescribeVpcEndpoints(ctx, describeOne(id))
	if err != nil || len(out.VpcEndpoints) != 1 || out.VpcEndpoints[0].PolicyDocument == nil {
		return ""
	}
	return *out.VpcEndpoints[0].PolicyDocument
}

func describeOne(id string) *ec2.DescribeVpcEndpointsInput {
	return &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}}
}
