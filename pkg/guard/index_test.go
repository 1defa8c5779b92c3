package guard_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/guard"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/placement"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/state/statetest"
	"github.com/vpcguard/vpcguard/pkg/sweep"
)

const demoAccount = "111122223333"

// withIndex is the demo account with the state table, a handler using the
// placement index, and the index built by one sweep (unless build is false).
func withIndex(t *testing.T, build bool, mutate func(*awssim.Scenario)) (*guard.Handler, *awssim.Server, *placement.Scope) {
	t.Helper()
	h, srv := demo(t, func(sc *awssim.Scenario) {
		statetest.Scenario(sc)
		if mutate != nil {
			mutate(sc)
		}
	})
	clients, err := app.ClientsFrom(awssim.TestConfig(srv.URL(), "us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	h.Index = clients.Index(statetest.Table)
	if build {
		sw := &sweep.Sweeper{Gatherer: h.Gatherer, Config: h.Config, Index: h.Index}
		sum, err := sw.Run(context.Background(), sweep.Trigger{Account: demoAccount})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(sum.Placement, "answers the events") {
			t.Fatalf("the sweep did not build the index: %s", sum.Placement)
		}
	}
	srv.ResetStats()
	return h, srv, h.Index.In(demoAccount, "us-east-1")
}

func vpcEndpointEvents() []string {
	return []string{
		"ec2-CreateVpcEndpoint-recsys-gateway-s3-default-policy.json",
		"ec2-ModifyVpcEndpoint-fraud-replace-policy-drops-al-denies.json",
		"ec2-ModifyVpcEndpoint-recsys-guide-deny-snippets-as-whole-policy.json",
		"ec2-DeleteVpcEndpoints-forecast-s3-endpoint-under-live-model.json",
	}
}

// A VPC-endpoint event answered through the index gives the same results
// as the full scan, reads no SageMaker listing, and describes only the
// models of a VPC where a check fails (to confirm them before reporting).
func TestVPCEndpointEventsThroughTheIndex(t *testing.T) {
	plain, plainSrv := demo(t, nil)
	h, srv, _ := withIndex(t, true, nil)
	for _, file := range vpcEndpointEvents() {
		t.Run(file, func(t *testing.T) {
			srv.ResetStats()
			plainSrv.ResetStats()
			want := handleFile(t, plain, file)
			got := handleFile(t, h, file)
			if !slices.Equal(checkLines(got), checkLines(want)) {
				t.Errorf("through the index:\n  %s\nfull scan:\n  %s", strings.Join(checkLines(got), "\n  "), strings.Join(checkLines(want), "\n  "))
			}
			if !strings.Contains(got.Placement, "found through the placement index") {
				t.Errorf("placement = %q", got.Placement)
			}
			if n := srv.Calls("sagemaker:ListModels"); n != 0 {
				t.Errorf("%d ListModels calls through the index", n)
			}
			if plainSrv.Calls("sagemaker:ListModels") == 0 {
				t.Error("the full scan lists no model: the comparison proves nothing")
			}
			if len(got.Failing()) == 0 && srv.Calls("sagemaker:DescribeModel") != 0 {
				t.Errorf("a compliant event described %d models", srv.Calls("sagemaker:DescribeModel"))
			}
		})
	}
}

func checkLines(r report.Result) []string {
	var out []string
	for _, c := range r.Checks {
		out = append(out, c.ID+" "+string(c.Status)+" "+strings.Join(c.Resources, ","))
	}
	return out
}

// An index entry of a model that no longer exists is dropped on the
// re-read, from the result and from the index: never a finding.
func TestGhostModelIsDropped(t *testing.T) {
	h, _, idx := withIndex(t, true, nil)
	ctx := context.Background()
	ghost := inventory.Model{Name: "ghost-model", ARN: "arn:aws:sagemaker:us-east-1:111122223333:model/ghost-model", Created: time.Now(),
		VPCConfig: &inventory.VPCConfig{SubnetIDs: []string{"subnet-0ccc000000000a001"}, SecurityGroupIDs: []string{"sg-0ccc0000000000001"}}}
	snap := &inventory.Snapshot{Subnets: inventory.Known(map[string]inventory.Subnet{"subnet-0ccc000000000a001": {VPCID: "vpc-0c1b2c3d4e5f60003"}}),
		Models: []inventory.Model{ghost}}
	if _, err := idx.AddModels(ctx, snap, nil); err != nil {
		t.Fatal(err)
	}
	res := handleFile(t, h, "ec2-CreateVpcEndpoint-recsys-gateway-s3-default-policy.json")
	if len(res.Failing()) == 0 {
		t.Fatal("the event fails no check: the ghost would never be re-read")
	}
	for _, c := range res.Checks {
		if slices.Contains(c.Resources, "ghost-model") || strings.Contains(c.Message, "ghost-model") {
			t.Errorf("%s reports the deleted model: %s", c.ID, c.Message)
		}
	}
	if !strings.Contains(res.Placement, "removed model ghost-model") {
		t.Errorf("placement = %q", res.Placement)
	}
	if _, found, _ := idx.Model(ctx, "ghost-model"); found {
		t.Error("the ghost is still indexed")
	}
}

// An unreadable table (AccessDenied, throttling beyond the retries) falls
// back to the full scan for the event, says why, and never passes what
// the full scan fails.
func TestUnreadableIndexFallsBack(t *testing.T) {
	plain, _ := demo(t, nil)
	want := handleFile(t, plain, "ec2-CreateVpcEndpoint-recsys-gateway-s3-default-policy.json")
	for name, fault := range map[string]map[string]awssim.Fault{
		"access denied": {"dynamodb:*": {AccessDenied: true}},
		"throttled":     {"dynamodb:Query": {ThrottleFirst: 1000}},
	} {
		t.Run(name, func(t *testing.T) {
			h, srv, _ := withIndex(t, true, nil)
			for k, f := range fault {
				srv.SetFault(k, f)
			}
			got := handleFile(t, h, "ec2-CreateVpcEndpoint-recsys-gateway-s3-default-policy.json")
			if !slices.Equal(checkLines(got), checkLines(want)) {
				t.Errorf("fallback:\n  %s\nfull scan:\n  %s", strings.Join(checkLines(got), "\n  "), strings.Join(checkLines(want), "\n  "))
			}
			if !strings.Contains(got.Placement, "full scan") || srv.Calls("sagemaker:ListModels") == 0 {
				t.Errorf("placement %q, %d ListModels: want the full scan", got.Placement, srv.Calls("sagemaker:ListModels"))
			}
		})
	}
	t.Run("not built", func(t *testing.T) {
		h, _, _ := withIndex(t, false, nil)
		got := handleFile(t, h, "ec2-CreateVpcEndpoint-recsys-gateway-s3-default-policy.json")
		if !strings.Contains(got.Placement, "not built") || !slices.Equal(checkLines(got), checkLines(want)) {
			t.Errorf("unbuilt index: placement %q", got.Placement)
		}
	})
}

// CreateModel indexes the model it evaluated, in the same three round
// trips; DeleteModel removes it with no evaluation and no email.
func TestModelUpkeep(t *testing.T) {
	h, srv, idx := withIndex(t, false, nil)
	ctx := context.Background()
	res := handleFile(t, h, "sagemaker-CreateModel-fraud-detector-compliant.json")
	if !strings.Contains(res.Placement, "indexed model fraud-detector-v3") {
		t.Errorf("placement = %q", res.Placement)
	}
	e, found, err := idx.Model(ctx, "fraud-detector-v3")
	if err != nil || !found || e.VPCID != "vpc-0a1b2c3d4e5f60001" || e.Created.IsZero() || len(e.Artifacts) != 1 {
		t.Fatalf("indexed entry = %+v, %v, %v", e, found, err)
	}
	describes := srv.Calls("sagemaker:DescribeModel")
	del := cloudtrail.Call{Kind: cloudtrail.KindDeleteModel, Name: "DeleteModel", Source: cloudtrail.SourceSageMaker,
		Account: demoAccount, Region: "us-east-1", Time: time.Now(), DeleteModel: &cloudtrail.DeleteModel{ModelName: "fraud-detector-v3"}}
	res, err = h.Handle(ctx, del)
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped == "" || len(res.Checks) != 0 || !strings.Contains(res.Placement, "removed model fraud-detector-v3") {
		t.Errorf("DeleteModel: skipped %q, %d checks, placement %q", res.Skipped, len(res.Checks), res.Placement)
	}
	if _, found, _ := idx.Model(ctx, "fraud-detector-v3"); found {
		t.Error("still indexed after DeleteModel")
	}
	if srv.Calls("sagemaker:DescribeModel") != describes {
		t.Error("DeleteModel read SageMaker")
	}
}

// UpdateEndpoint evaluates the new config's models with every check and
// moves the endpoint in the index; DeleteEndpoint drops it.
func TestEndpointUpkeep(t *testing.T) {
	h, _, idx := withIndex(t, true, nil) // the demo holds churn-config-v8, whose model has no VpcConfig
	ctx := context.Background()
	serving := func(model string) []string {
		eps, err := idx.EndpointsServing(ctx, model)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range eps {
			out = append(out, e.Name+"@"+e.Config)
		}
		return out
	}
	if got := serving("churn-model-v7"); !slices.Equal(got, []string{"churn-endpoint@churn-config-v7"}) {
		t.Fatalf("after the sweep churn-model-v7 is served by %q", got)
	}
	res, err := h.Handle(ctx, cloudtrail.Call{Kind: cloudtrail.KindUpdateEndpoint, Name: "UpdateEndpoint", Source: cloudtrail.SourceSageMaker,
		Account: demoAccount, Region: "us-east-1",
		UpdateEndpoint: &cloudtrail.UpdateEndpoint{EndpointName: "churn-endpoint", EndpointConfigName: "churn-config-v8"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Checks) != len(checks.Catalogue()) || statuses(res)[checks.ModelInVPC] != report.StatusFail || res.Resource.ID != "churn-endpoint" {
		t.Errorf("UpdateEndpoint: %d checks, model-in-vpc %s", len(res.Checks), statuses(res)[checks.ModelInVPC])
	}
	if got := serving("legacy-nlp-v1"); !slices.Equal(got, []string{"churn-endpoint@churn-config-v8"}) {
		t.Errorf("legacy-nlp-v1 served by %q", got)
	}
	if got := serving("churn-model-v7"); len(got) != 0 {
		t.Errorf("churn-model-v7 still served by %q", got)
	}
	res, err = h.Handle(ctx, cloudtrail.Call{Kind: cloudtrail.KindDeleteEndpoint, Name: "DeleteEndpoint", Source: cloudtrail.SourceSageMaker,
		Account: demoAccount, Region: "us-east-1", DeleteEndpoint: &cloudtrail.DeleteEndpoint{EndpointName: "churn-endpoint"}})
	if err != nil || res.Skipped == "" || len(res.Checks) != 0 {
		t.Fatalf("DeleteEndpoint: %+v, %v", res, err)
	}
	eps, _ := idx.Endpoints(ctx)
	if got := serving("legacy-nlp-v1"); len(got) != 0 || len(eps) != 0 {
		t.Errorf("after DeleteEndpoint: %q, %v", got, slices.Collect(maps.Keys(eps)))
	}
}

// Without a state table the index-only events still end cleanly.
func TestIndexOnlyEventsWithoutTable(t *testing.T) {
	h, srv := demo(t, nil)
	res, err := h.Handle(context.Background(), cloudtrail.Call{Kind: cloudtrail.KindDeleteModel, Name: "DeleteModel", Source: cloudtrail.SourceSageMaker,
		Account: demoAccount, Region: "us-east-1", DeleteModel: &cloudtrail.DeleteModel{ModelName: "churn-model-v7"}})
	if err != nil || res.Skipped == "" || !strings.Contains(res.Placement, "VPCGUARD_STATE_TABLE unset") || srv.Calls("*") != 0 {
		t.Errorf("DeleteModel without a table: %+v, %v, %d calls", res, err, srv.Calls("*"))
	}
}
