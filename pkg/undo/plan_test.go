package undo

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/policy"
	"github.com/vpcguard/vpcguard/pkg/report"
)

const (
	wrote  = `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Sid":"VpcguardDenyAmazonLinuxRepos","Effect":"Deny","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::packages.*.amazonaws.com/*"]}]}`
	before = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`
)

func ptr(s string) *string { return &s }

func policyEntry() ledger.Entry {
	return ledger.Entry{ID: "rep-20261126T101500Z-3f9a1c2b", Action: report.ActionAddALRepoDeny, Status: ledger.StatusApplied,
		VPCID: "vpc-1", EndpointID: "vpce-1", Resources: []string{"vpce-1"},
		Before:  ledger.State{EndpointID: "vpce-1", Policy: ptr(before), RouteTableIDs: []string{"rtb-a"}},
		After:   ledger.State{EndpointID: "vpce-1", Policy: ptr(wrote), RouteTableIDs: []string{"rtb-a"}},
		Outcome: &ledger.Outcome{Status: "applied", Written: true}}
}

func endpoint(doc string, tables ...string) *inventory.Endpoint {
	return &inventory.Endpoint{ID: "vpce-1", VPCID: "vpc-1", ServiceName: "com.amazonaws.us-east-1.s3", Type: "Gateway", State: "available",
		RouteTableIDs: tables, PolicyDocument: doc, Tags: map[string]string{"vpcguard:managed": "true"}}
}

// routed are route tables with the prefix-list route through vpce-1.
func routed(ids ...string) []inventory.RouteTable {
	var out []inventory.RouteTable
	for _, id := range ids {
		out = append(out, inventory.RouteTable{ID: id, VPCID: "vpc-1",
			Routes: []inventory.Route{{DestinationPrefixListID: "pl-63a5400a", GatewayID: "vpce-1", State: "active"}}})
	}
	return out
}

func TestPlanPolicyRestore(t *testing.T) {
	// Reformatted by AWS, same JSON: still "exactly what vpcguard wrote".
	reformatted := strings.ReplaceAll(wrote, ",", ", ")
	p := PlanUndo(policyEntry(), Observed{Endpoint: endpoint(reformatted, "rtb-a")}, false)
	if p.Refused != "" || p.Modify == nil || aws.ToString(p.Modify.PolicyDocument) != before || p.Modify.ResetPolicy != nil {
		t.Fatalf("plan %+v", p)
	}
	if len(p.Hold) != 1 || p.Hold[0] != "vpce-1" {
		t.Errorf("hold %v", p.Hold)
	}
	// No policy before: AWS's default again.
	e := policyEntry()
	e.Before.Policy = ptr("")
	if p := PlanUndo(e, Observed{Endpoint: endpoint(wrote)}, false); p.Modify == nil || !aws.ToBool(p.Modify.ResetPolicy) || p.Modify.PolicyDocument != nil {
		t.Fatalf("reset plan %+v", p)
	}
}

func TestPlanPolicyChangedRefusesWithDiff(t *testing.T) {
	changed := strings.Replace(wrote, `"Action":"*"`, `"Action":"s3:GetObject"`, 1)
	p := PlanUndo(policyEntry(), Observed{Endpoint: endpoint(changed)}, false)
	if p.Refused == "" || p.Modify != nil || !strings.Contains(p.Refused, "has changed since vpcguard wrote it") {
		t.Fatalf("plan %+v", p)
	}
	for _, want := range []string{"--- what vpcguard wrote", "+++ the policy now", `-       "Action": "*",`, `+       "Action": "s3:GetObject",`, `        "Effect": "Allow",`} {
		if !strings.Contains(p.Diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, p.Diff)
		}
	}
}

func TestPlanRefusals(t *testing.T) {
	reverted := policyEntry()
	reverted.Status = ledger.StatusReverted
	reverted.Undo = &ledger.Undo{Time: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
	writeFailed := policyEntry()
	writeFailed.Status, writeFailed.Outcome = ledger.StatusFailed, &ledger.Outcome{Status: "failed", ErrorCode: "UnauthorizedOperation"}
	unknown := policyEntry()
	unknown.Action = "delete-everything"
	tests := []struct {
		name string
		e    ledger.Entry
		o    Observed
		want string
	}{
		{"already reverted", reverted, Observed{Endpoint: endpoint(before)}, "already reverted at 2026-11-27T08:00:00Z"},
		{"write failed", writeFailed, Observed{Endpoint: endpoint(before)}, "failed (UnauthorizedOperation), so nothing was changed"},
		{"unknown action", unknown, Observed{}, `action "delete-everything"`},
		{"endpoint gone", policyEntry(), Observed{}, "endpoint vpce-1 no longer exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := PlanUndo(tt.e, tt.o, true)
			if !strings.Contains(p.Refused, tt.want) || p.Modify != nil || p.Delete != nil {
				t.Fatalf("plan %+v, want a refusal with %q", p, tt.want)
			}
		})
	}
}

func associateEntry() ledger.Entry {
	return ledger.Entry{ID: "rep-20261126T101500Z-00000001", Action: report.ActionAssociateRouteTables, Status: ledger.StatusApplied,
		VPCID: "vpc-1", EndpointID: "vpce-1", Resources: []string{"vpce-1", "rtb-b", "rtb-c"},
		Before:  ledger.State{EndpointID: "vpce-1", RouteTableIDs: []string{"rtb-a"}},
		After:   ledger.State{EndpointID: "vpce-1", RouteTableIDs: []string{"rtb-a", "rtb-b", "rtb-c"}},
		Outcome: &ledger.Outcome{Status: "applied", Written: true}}
}

func TestPlanAssociate(t *testing.T) {
	o := Observed{Endpoint: endpoint(wrote, "rtb-a", "rtb-b", "rtb-c", "rtb-d"), RouteTables: routed("rtb-a", "rtb-b", "rtb-c", "rtb-d")}
	p := PlanUndo(associateEntry(), o, false)
	if p.Refused != "" || p.Modify == nil || strings.Join(p.Modify.RemoveRouteTableIds, ",") != "rtb-b,rtb-c" || p.Modify.PolicyDocument != nil {
		t.Fatalf("plan %+v: removes exactly the tables vpcguard added, not rtb-d (added by someone else)", p)
	}
	// rtb-c's route now goes elsewhere: refuse, remove nothing.
	o.RouteTables = append(routed("rtb-a", "rtb-b", "rtb-d"), inventory.RouteTable{ID: "rtb-c", VPCID: "vpc-1"})
	o.Endpoint = endpoint(wrote, "rtb-a", "rtb-b", "rtb-d")
	p = PlanUndo(associateEntry(), o, false)
	if !strings.Contains(p.Refused, "route table rtb-c no longer routes S3 through vpce-1") || p.Modify != nil {
		t.Fatalf("plan %+v", p)
	}
}

func TestRevertedAssociate(t *testing.T) {
	e := associateEntry()
	p := Plan{Removed: []string{"rtb-b", "rtb-c"}}
	ok, _ := Reverted(e, Observed{Endpoint: endpoint(wrote, "rtb-a", "rtb-d"), RouteTables: routed("rtb-a", "rtb-d")}, p)
	if !ok {
		t.Error("the tables vpcguard added are gone and rtb-a stays: reverted")
	}
	if ok, why := Reverted(e, Observed{Endpoint: endpoint(wrote, "rtb-a", "rtb-c"), RouteTables: routed("rtb-a", "rtb-c")}, p); ok || !strings.Contains(why, "rtb-c still routes") {
		t.Errorf("rtb-c still routes: %v %q", ok, why)
	}
	if ok, why := Reverted(e, Observed{Endpoint: endpoint(wrote), RouteTables: routed()}, p); ok || !strings.Contains(why, "rtb-a, associated before") {
		t.Errorf("rtb-a lost: %v %q", ok, why)
	}
}

func createEntry() ledger.Entry {
	return ledger.Entry{ID: "rep-20261126T101500Z-00000002", Action: report.ActionCreateS3GatewayEndpoint, Status: ledger.StatusApplied,
		VPCID: "vpc-1", EndpointID: "vpce-1", Resources: []string{"vpc-1", "rtb-a", "rtb-b"},
		Before:  ledger.State{NoEndpoint: true},
		After:   ledger.State{EndpointID: "vpce-1", Policy: ptr(wrote), RouteTableIDs: []string{"rtb-a", "rtb-b"}, Tags: map[string]string{"vpcguard:managed": "true"}},
		Outcome: &ledger.Outcome{Status: "applied", Written: true, EndpointID: "vpce-1"}}
}

func TestPlanCreate(t *testing.T) {
	o := Observed{Endpoint: endpoint(wrote, "rtb-b", "rtb-a"), RouteTables: routed("rtb-a", "rtb-b"), Models: []string{"churn", "fraud"}}
	p := PlanUndo(createEntry(), o, false)
	if !strings.Contains(p.Refused, "deleting vpce-1 cuts the private S3 path of models churn, fraud; undo it only with confirm") || p.Delete != nil {
		t.Fatalf("without confirm: %+v", p)
	}
	p = PlanUndo(createEntry(), o, true)
	if p.Refused != "" || p.Delete == nil || p.Delete.VpcEndpointIds[0] != "vpce-1" || strings.Join(p.ModelsLosingS3, ",") != "churn,fraud" ||
		strings.Join(p.Hold, ",") != "vpc-1" {
		t.Fatalf("with confirm: %+v", p)
	}
	untagged := endpoint(wrote, "rtb-a", "rtb-b")
	untagged.Tags = map[string]string{"team": "net"}
	moreTables := endpoint(wrote, "rtb-a", "rtb-b", "rtb-c")
	otherPolicy := endpoint(policy.DefaultEndpointPolicy, "rtb-a", "rtb-b")
	noID := createEntry()
	noID.EndpointID = ""
	for name, tc := range map[string]struct {
		e    ledger.Entry
		ep   *inventory.Endpoint
		want string
	}{
		"tag removed":        {createEntry(), untagged, "no longer carries the tag vpcguard:managed=true"},
		"route tables added": {createEntry(), moreTables, "the route tables of vpce-1 are now rtb-a, rtb-b, rtb-c, not the rtb-a, rtb-b"},
		"policy changed":     {createEntry(), otherPolicy, "the policy of vpce-1 has changed since vpcguard created it"},
		"deleted already":    {createEntry(), nil, "no longer exists"},
		"endpoint unknown":   {noID, endpoint(wrote), "does not record the endpoint created"},
	} {
		t.Run(name, func(t *testing.T) {
			p := PlanUndo(tc.e, Observed{Endpoint: tc.ep}, true)
			if !strings.Contains(p.Refused, tc.want) || p.Delete != nil {
				t.Fatalf("plan %+v, want %q", p, tc.want)
			}
		})
	}
}

func TestPolicyDiffOfNonJSON(t *testing.T) {
	d := PolicyDiff("a\nb", "a\nc")
	if !strings.Contains(d, "  a\n- b\n+ c\n") {
		t.Errorf("diff %q", d)
	}
}
