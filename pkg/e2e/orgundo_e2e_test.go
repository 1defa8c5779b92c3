//go:build e2e

package e2e_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/e2e"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/undo"
)

// TestOrganizationUndo: the modelguard binary creates the S3 endpoint in
// ml-prod through the member role; its undo command names the account.
// The undo binary, invoked with that account, is refused for a member
// whose role distrusts it and for a Region not served (nothing written),
// then deletes the endpoint in ml-prod through the member role, verified.
func TestOrganizationUndo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.json")
	s := orgSession(t, map[string]string{"VPCGUARD_MODE": "remediate", "VPCGUARD_LEDGER_FILE": path})
	r := mustResult(t, invoke(t, s, "modelguard", orgEventFile(t, prodModelEvent)))
	wantActions(t, r, "create-s3-gateway-endpoint:applied")
	a := action(t, r, report.ActionCreateS3GatewayEndpoint)
	id, _ := a.Detail[remediate.DetailLedgerEntry].(string)
	u, _ := a.Detail[remediate.DetailUndo].(map[string]any)
	want := "VPCGUARD_LEDGER_FILE=" + path + " AWS_REGION=us-east-1 VPCGUARD_MEMBER_ROLE=vpcguard-member undo -action " + id + " -account " + mlProd + " -confirm"
	if u["command"] != want {
		t.Fatalf("undo command %v, want %s", u["command"], want)
	}
	memberWrites := func() []string { return e2e.WriteOps(s.Org.Server(mlProd, "us-east-1").Writes()) }
	if w := memberWrites(); len(w) != 1 {
		t.Fatalf("ml-prod writes %v", w)
	}

	for _, req := range []undo.Request{
		{Action: id, Account: sandbox, Confirm: true},
		{Action: id, Account: mlProd, Region: "ap-southeast-2", Confirm: true},
	} {
		o := undoCall(t, s, req)
		if o.Result.Status != undo.StatusRefused || !strings.HasPrefix(o.Result.Reason, "nothing read or written: account "+req.Account) {
			t.Errorf("%+v: %+v", req, o.Result)
		}
	}
	if w := memberWrites(); len(w) != 1 {
		t.Errorf("ml-prod writes after the refusals %v", w)
	}

	assumed := len(s.Org.AssumedRoles())
	done := undoCall(t, s, undo.Request{Action: id, Account: mlProd, Confirm: true})
	if done.Result.Status != undo.StatusReverted || done.Result.Account != mlProd || done.Result.HoldUntil == nil {
		t.Fatalf("undo: %+v", done.Result)
	}
	if w := memberWrites(); !slices.Equal(w, []string{"ec2:CreateVpcEndpoint", "ec2:DeleteVpcEndpoints"}) {
		t.Errorf("ml-prod writes %v", w)
	}
	if n := len(e2e.NonNotifyWrites(done.Writes)); n != 0 {
		t.Errorf("%d writes in the central account", n)
	}
	roles := s.Org.AssumedRoles()[assumed:]
	if !slices.ContainsFunc(roles, func(a awssim.AssumedRole) bool {
		return a.RoleARN == "arn:aws:iam::"+mlProd+":role/vpcguard-member" && a.Caller == "arn:aws:sts::111122223333:assumed-role/vpcguard-undo/awssim" &&
			a.SessionName == "vpcguard-undo-"+id
	}) {
		t.Errorf("assumed roles %+v", roles)
	}
}
