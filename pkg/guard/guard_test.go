package guard_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/guard"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
)

var allKinds = []cloudtrail.Kind{
	cloudtrail.KindCreateModel, cloudtrail.KindCreateEndpointConfig, cloudtrail.KindCreateEndpoint,
	cloudtrail.KindCreateVpcEndpoint, cloudtrail.KindModifyVpcEndpoint, cloudtrail.KindDeleteVpcEndpoints,
	cloudtrail.KindUpdateEndpoint, cloudtrail.KindDeleteModel, cloudtrail.KindDeleteEndpoint,
}

// demo starts the demo account and a handler whose real SDK clients talk to it.
func demo(t testing.TB, mutate func(*awssim.Scenario)) (*guard.Handler, *awssim.Server) {
	t.Helper()
	return account(t, "demo", mutate)
}

// account starts the named scenario and a handler whose real SDK clients
// talk to it.
func account(t testing.TB, scenario string, mutate func(*awssim.Scenario)) (*guard.Handler, *awssim.Server) {
	t.Helper()
	sc, err := scenarios.Load(scenario)
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(sc)
	}
	srv, url := awssim.Start(t, sc)
	clients, err := app.ClientsFrom(awssim.TestConfig(url, "us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return &guard.Handler{
		Config: cfg,
		Gatherer: inventory.Gatherer{
			SageMaker: clients.SageMaker, EC2: clients.EC2, S3: clients.S3, IAM: clients.IAM, AutoScaling: clients.AutoScaling,
			Region: clients.Region, Partition: clients.Partition, ENIActions: checks.ENIActions(),
		},
		Kinds: allKinds,
		Log:   slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}, srv
}

func handleFile(t *testing.T, h *guard.Handler, name string) report.Result {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.HandleJSON(context.Background(), raw)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

func statuses(r report.Result) map[string]report.Status {
	out := map[string]report.Status{}
	for _, c := range r.Checks {
		out[c.ID] = c.Status
	}
	return out
}

// TestDemoEvents replays the sample events against the demo account in
// report mode: each story's check fires, and nothing is written.
func TestDemoEvents(t *testing.T) {
	h, srv := demo(t, nil)
	pass, fail, unknown, na := report.StatusPass, report.StatusFail, report.StatusUnknown, report.StatusNotApplicable
	cases := []struct {
		file    string
		skipped string
		want    map[string]report.Status
	}{
		{file: "sagemaker-CreateModel-fraud-detector-compliant.json", want: map[string]report.Status{
			checks.ModelInVPC: pass, checks.SubnetsMultiAZ: pass, checks.SubnetIPCapacity: pass, checks.SecurityGroupsValid: pass,
			checks.SecurityGroupEgressS3: pass, checks.S3EndpointPresent: pass, checks.S3EndpointRoutes: pass,
			checks.S3EndpointPolicyCustom: pass, checks.S3EndpointDeniesALRepos: pass, checks.S3EndpointPolicyAllows: pass,
			checks.VPCDNS: pass, checks.BucketPolicyVPCRestricted: pass, checks.ExecutionRoleENIPermission: pass,
			checks.OutboundAccess: pass, checks.VPCFlowLogs: pass, checks.NetworkACLS3: pass}},
		{file: "sagemaker-CreateModel-churn-no-s3-endpoint.json", want: map[string]report.Status{
			checks.S3EndpointPresent: fail, checks.S3EndpointRoutes: na, checks.SecurityGroupsValid: fail,
			checks.OutboundAccess: fail, checks.VPCFlowLogs: fail, checks.SubnetsMultiAZ: pass}},
		{file: "sagemaker-CreateModel-recsys-default-endpoint-policy.json", want: map[string]report.Status{
			checks.S3EndpointPolicyCustom: fail, checks.S3EndpointDeniesALRepos: fail, checks.S3EndpointPolicyAllows: pass,
			checks.SecurityGroupEgressS3: fail, checks.OutboundAccess: pass, checks.S3EndpointRoutes: pass}},
		{file: "sagemaker-CreateModel-forecast-single-az-no-eni-permissions.json", want: map[string]report.Status{
			checks.SubnetsMultiAZ: fail, checks.SubnetIPCapacity: fail, checks.ExecutionRoleENIPermission: fail,
			checks.VPCDNS: fail, checks.S3EndpointPresent: pass, checks.NetworkACLS3: fail}},
		{file: "sagemaker-CreateModel-legacy-nlp-no-vpc.json", want: map[string]report.Status{
			checks.ModelInVPC: fail, checks.SubnetsMultiAZ: na, checks.S3EndpointPresent: na}},
		{file: "sagemaker-CreateEndpointConfig-churn.json", want: map[string]report.Status{
			checks.S3EndpointPresent: fail, checks.SubnetIPCapacity: pass}},
		{file: "sagemaker-CreateEndpoint-churn.json", want: map[string]report.Status{checks.S3EndpointPresent: fail}},
		{file: "sagemaker-CreateModel-churn-failed-already-exists.json", skipped: "the call failed (ValidationException)"},
		{file: "sagemaker-UpdateEndpoint-churn-to-config-without-vpc.json", want: map[string]report.Status{
			checks.ModelInVPC: fail, checks.SubnetsMultiAZ: na, checks.S3EndpointPresent: na}},
		{file: "sagemaker-DeleteEndpoint-churn.json", skipped: "DeleteEndpoint churn-endpoint: a deletion leaves nothing to evaluate"},
		{file: "sagemaker-DeleteModel-churn-model-v7.json", skipped: "DeleteModel churn-model-v7: a deletion leaves nothing to evaluate"},
		{file: "ec2-CreateVpcEndpoint-recsys-gateway-s3-default-policy.json", want: map[string]report.Status{
			checks.S3EndpointPolicyCustom: fail, checks.S3EndpointDeniesALRepos: fail, checks.S3EndpointPresent: pass}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			res := handleFile(t, h, tc.file)
			if res.Skipped != "" || tc.skipped != "" {
				if !strings.Contains(res.Skipped, tc.skipped) || tc.skipped == "" {
					t.Fatalf("skipped = %q, want %q", res.Skipped, tc.skipped)
				}
				if len(res.Checks) != 0 {
					t.Errorf("a skipped event has %d checks", len(res.Checks))
				}
				return
			}
			got := statuses(res)
			for id, want := range tc.want {
				if got[id] != want {
					t.Errorf("%s = %s, want %s (%s)", id, got[id], want, message(res, id))
				}
			}
			for _, c := range res.Checks {
				if c.Status == unknown {
					t.Errorf("%s is unknown: %s", c.ID, c.Message)
				}
			}
		})
	}
	if w := srv.Writes(); len(w) != 0 {
		t.Errorf("report mode wrote %d times: %+v", len(w), w)
	}
}

func message(r report.Result, id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Message
		}
	}
	return "absent"
}

// TestHiddenNamesFallBackOrSkip: CloudTrail may hide request parameters.
// A CreateModel falls back to the name in its response ARN; a call with no
// name or id at all is skipped, with a reason, and reads nothing.
func TestHiddenNamesFallBackOrSkip(t *testing.T) {
	h, srv := demo(t, nil)
	call := func(name, arn string) cloudtrail.Call {
		return cloudtrail.Call{Kind: cloudtrail.KindCreateModel, Name: "CreateModel", Source: cloudtrail.SourceSageMaker,
			Account: "111122223333", Region: "us-east-1",
			CreateModel: &cloudtrail.CreateModel{ModelName: name, ModelARN: arn}}
	}
	res, err := h.Handle(context.Background(), call("", "arn:aws:sagemaker:us-east-1:111122223333:model/legacy-nlp-v1"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Resource == nil || res.Resource.ID != "legacy-nlp-v1" || statuses(res)[checks.ModelInVPC] != report.StatusFail {
		t.Errorf("fallback to the ARN's name: resource %+v, model-in-vpc %s", res.Resource, statuses(res)[checks.ModelInVPC])
	}
	before := srv.Calls("*")
	res, err = h.Handle(context.Background(), call("", ""))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Skipped, "no name or id") || len(res.Checks) != 0 || srv.Calls("*") != before {
		t.Errorf("hidden name: skipped %q, %d checks, %d calls", res.Skipped, len(res.Checks), srv.Calls("*")-before)
	}
}

// TestAutoscaledEndpoint: scoring-endpoint starts 2 instances (4 free IPs
// needed, 22 free) but may scale to 20 (40 needed): the endpoint event
// fails subnet-ip-capacity because of the autoscaling max, while its
// endpoint config, which has no endpoint yet, passes on the initial count.
func TestAutoscaledEndpoint(t *testing.T) {
	endpoint := func(config string) cloudtrail.Call {
		return cloudtrail.Call{Kind: cloudtrail.KindCreateEndpoint, Name: "CreateEndpoint", Source: cloudtrail.SourceSageMaker,
			Account: "111122223333", Region: "us-east-1",
			CreateEndpoint: &cloudtrail.CreateEndpoint{EndpointName: "scoring-endpoint", EndpointConfigName: config}}
	}
	handle := func(t *testing.T, h *guard.Handler, call cloudtrail.Call) report.Result {
		t.Helper()
		res, err := h.Handle(context.Background(), call)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Checks {
			if c.Status != report.StatusPass && c.ID != checks.SubnetIPCapacity {
				t.Errorf("%s = %s: %s (the scenario breaks only the IP capacity)", c.ID, c.Status, c.Message)
			}
		}
		return res
	}

	t.Run("endpoint", func(t *testing.T) {
		h, srv := account(t, "autoscaled-endpoint", nil)
		for _, config := range []string{"scoring-config-v1", ""} {
			res := handle(t, h, endpoint(config))
			m := message(res, checks.SubnetIPCapacity)
			if statuses(res)[checks.SubnetIPCapacity] != report.StatusFail ||
				!strings.Contains(m, "needs 40 free IPs for 20 instances") || !strings.Contains(m, "autoscaling max of variant AllTraffic: 20, initial 2") ||
				!strings.Contains(m, "its subnets have 22") {
				t.Errorf("config %q: subnet-ip-capacity %s: %s", config, statuses(res)[checks.SubnetIPCapacity], m)
			}
		}
		if n := srv.Calls("application-autoscaling:DescribeScalableTargets"); n != 2 {
			t.Errorf("%d DescribeScalableTargets calls for two events, want 2", n)
		}
	})
	t.Run("endpoint config", func(t *testing.T) {
		h, srv := account(t, "autoscaled-endpoint", nil)
		res := handle(t, h, cloudtrail.Call{Kind: cloudtrail.KindCreateEndpointConfig, Name: "CreateEndpointConfig", Source: cloudtrail.SourceSageMaker,
			Account: "111122223333", Region: "us-east-1",
			CreateEndpointConfig: &cloudtrail.CreateEndpointConfig{EndpointConfigName: "scoring-config-v1"}})
		if m := message(res, checks.SubnetIPCapacity); statuses(res)[checks.SubnetIPCapacity] != report.StatusPass || !strings.Contains(m, "needs 4 free IPs for 2 instances") {
			t.Errorf("subnet-ip-capacity %s: %s", statuses(res)[checks.SubnetIPCapacity], m)
		}
		if n := srv.Calls("application-autoscaling:DescribeScalableTargets"); n != 0 {
			t.Errorf("%d DescribeScalableTargets calls for an endpoint config", n)
		}
	})
	t.Run("autoscaling denied", func(t *testing.T) {
		h, _ := account(t, "autoscaled-endpoint", func(sc *awssim.Scenario) {
			sc.Faults = map[string]awssim.Fault{"application-autoscaling:*": {AccessDenied: true}}
		})
		res := handle(t, h, endpoint("scoring-config-v1"))
		m := message(res, checks.SubnetIPCapacity)
		if statuses(res)[checks.SubnetIPCapacity] != report.StatusPass || !strings.Contains(m, "needs 4 free IPs for 2 instances") ||
			!strings.Contains(m, "the autoscaling max could not be read") || !strings.Contains(m, "AccessDeniedException") {
			t.Errorf("subnet-ip-capacity %s: %s", statuses(res)[checks.SubnetIPCapacity], m)
		}
	})
}
