//go:build e2e

package e2e_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/e2e"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
	"github.com/vpcguard/vpcguard/pkg/undo"
)

func undoCall(t *testing.T, s *e2e.Session, req undo.Request) *e2e.UndoOutcome {
	t.Helper()
	o, err := s.Undo(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Invocation.Err(); err != nil {
		t.Fatalf("undo %s: %v", req.Action, err)
	}
	return o
}

// TestRepairUndoHold: the function binaries under the emulator, one ledger
// file. modelguard creates the S3 endpoint and says how to undo it; the
// undo function refuses without confirm, then deletes the endpoint and
// verifies; the next CreateModel in the VPC within the 7 days does not
// create it again, and says why.
func TestRepairUndoHold(t *testing.T) {
	t.Run("ledger file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ledger.json")
		s := session(t, "no-s3-endpoint", map[string]string{"VPCGUARD_MODE": "remediate", "VPCGUARD_LEDGER_FILE": path}, nil)
		testRepairUndoHold(t, s, "VPCGUARD_LEDGER_FILE="+path)
	})
	t.Run("state table", func(t *testing.T) {
		sc, err := scenarios.Load("no-s3-endpoint")
		if err != nil {
			t.Fatal(err)
		}
		log := &syncWriter{b: &strings.Builder{}}
		s, err := (&e2e.Runner{Bin: bin, SNS: sns, Log: log}).Start(e2e.SessionConfig{Scenario: sc, Index: true,
			Env: map[string]string{"VPCGUARD_MODE": "remediate"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.Close()
			if t.Failed() {
				t.Logf("emulator and function output:\n%s", log.String())
			}
		})
		testRepairUndoHold(t, s, "VPCGUARD_STATE_TABLE="+e2e.StateTable)
	})
}

func testRepairUndoHold(t *testing.T, s *e2e.Session, ledgerVar string) {

	o := replay(t, s, createModelEvent(t, s, scModel))
	r := mustResult(t, o)
	wantActions(t, r, "create-s3-gateway-endpoint:applied")
	a := action(t, r, report.ActionCreateS3GatewayEndpoint)
	id, _ := a.Detail[remediate.DetailLedgerEntry].(string)
	u, _ := a.Detail[remediate.DetailUndo].(map[string]any)
	want := ledgerVar + " AWS_REGION=us-east-1 undo -action " + id + " -confirm"
	if !ledger.ValidID(id) || u["command"] != want {
		t.Fatalf("ledger entry %q, undo %v; want command %s", id, u, want)
	}
	if len(o.Deliveries) != 1 || !strings.Contains(o.Deliveries[0].Message, "   Undo: "+want) {
		t.Errorf("the repair email does not carry the undo command:\n%v", o.Deliveries)
	}
	if len(endpointsOf(t, s, scVPC)) != 1 {
		t.Fatal("no endpoint created")
	}

	refused := undoCall(t, s, undo.Request{Action: id})
	if refused.Result.Status != undo.StatusRefused || !strings.Contains(refused.Result.Reason, "cuts the private S3 path of model "+scModel) ||
		len(e2e.NonNotifyWrites(refused.Writes)) != 0 {
		t.Fatalf("undo without confirm: %+v, writes %v", refused.Result, e2e.WriteOps(refused.Writes))
	}
	done := undoCall(t, s, undo.Request{Action: id, Confirm: true})
	if done.Result.Status != undo.StatusReverted || done.Result.HoldUntil == nil {
		t.Fatalf("undo: %+v", done.Result)
	}
	if ops := e2e.WriteOps(e2e.NonNotifyWrites(done.Writes)); len(ops) != 1 || ops[0] != "ec2:DeleteVpcEndpoints" {
		t.Errorf("undo writes %v", ops)
	}
	for _, ep := range endpointsOf(t, s, scVPC) {
		if string(ep.State) != "deleted" && *ep.ServiceName == s3Service {
			t.Fatalf("S3 endpoint still there after the undo: %s %s", *ep.VpcEndpointId, ep.State)
		}
	}

	// The next event for the VPC: the check still fails, the repair is held.
	next := replay(t, s, edit(t, "sagemaker-CreateModel-fraud-detector-compliant.json", "CreateModel-again.json", func(ev, detail map[string]any) {
		req := detail["requestParameters"].(map[string]any)
		req["modelName"] = scModel
		detail["responseElements"] = map[string]any{"modelArn": "arn:aws:sagemaker:" + region + ":" + account + ":model/" + scModel}
	}))
	nr := mustResult(t, next)
	wantStatuses(t, nr, noEndpoint(nil))
	wantActions(t, nr, "create-s3-gateway-endpoint:skipped")
	if why := action(t, nr, report.ActionCreateS3GatewayEndpoint).Detail[remediate.DetailReason].(string); !strings.Contains(why, "was undone at") ||
		!strings.Contains(why, id) {
		t.Errorf("reason %q", why)
	}
	wantWrites(t, next)
	if again := undoCall(t, s, undo.Request{Action: id, Confirm: true}); again.Result.Status != undo.StatusRefused ||
		!strings.Contains(again.Result.Reason, "already reverted") {
		t.Errorf("second undo %+v", again.Result)
	}
}

// TestExemptionEndToEnd: the endpoint's exemption covers
// s3-endpoint-policy-custom only. The check reports exempt (not in the
// checks attribute, listed under EXEMPT), and the Amazon Linux deny is
// still repaired.
func TestExemptionEndToEnd(t *testing.T) {
	s := session(t, "exemption", map[string]string{"VPCGUARD_MODE": "remediate"}, nil)
	o := replay(t, s, createModelEvent(t, s, scModel))
	r := mustResult(t, o)
	wantStatuses(t, r, map[string]report.Status{checks.S3EndpointPolicyCustom: report.StatusExempt, checks.S3EndpointDeniesALRepos: fail})
	wantActions(t, r, "add-al-repo-deny:applied")
	if len(o.Deliveries) != 1 {
		t.Fatalf("%d emails", len(o.Deliveries))
	}
	m := o.Deliveries[0]
	if !strings.Contains(m.Message, "EXEMPT (1,") || !strings.Contains(m.Message, "owner ml-platform@example.com, until 2099-12-31") {
		t.Errorf("email without the EXEMPT section:\n%s", m.Message)
	}
	if got := m.Attributes["exempt"]; got != `String.Array ["s3-endpoint-policy-custom"]` {
		t.Errorf("exempt attribute %q (attributes %v)", got, m.Attributes)
	}
	if got := m.Attributes["checks"]; strings.Contains(got, checks.S3EndpointPolicyCustom) {
		t.Errorf("an exempt check in the checks attribute: %s", got)
	}
}
