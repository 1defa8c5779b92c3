package guard_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/e2e"
	"github.com/vpcguard/vpcguard/pkg/guard"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
)

// Wire-level tests of the drift events: each sample of events/ is first
// enacted on a fresh demo account through the real SDK clients (so awssim
// holds the state after the call), then handled by a guard whose real SDK
// clients read that account. The demo account: fraud-detector-v3 in the
// fraud VPC (subnet a001 on the main table rtb-0aaa…1, b001 on rtb-0aaa…3,
// both with the S3 endpoint and a NAT route; rtb-0aaa…2 is the public
// table), churn-model-v7 (no S3 endpoint, no NAT), recsys-ranker-v2,
// forecast-v1, and legacy-nlp-v1 without VpcConfig.

type driftAccount struct {
	h       *guard.Handler
	srv     *awssim.Server
	enactor e2e.Enactor
}

func driftAccountFor(t *testing.T, env map[string]string, mutate func(*awssim.Scenario)) driftAccount {
	t.Helper()
	sc, err := scenarios.Load("demo")
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(sc)
	}
	srv, url := awssim.Start(t, sc)
	awsCfg := awssim.TestConfig(url, "us-east-1")
	clients, err := app.ClientsFrom(awsCfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	g := clients.Gatherer()
	g.ModelTags = true
	r := remediate.New(clients.EC2, cfg, log)
	r.VerifyDelay = 1 // awssim is consistent at once
	return driftAccount{
		h: &guard.Handler{
			Config: cfg, Gatherer: g, Kinds: append(slices.Clone(allKinds), cloudtrail.DriftKinds()...),
			Remediator: r, Log: log,
		},
		srv: srv,
		enactor: e2e.Enactor{EC2: ec2.NewFromConfig(awsCfg), SageMaker: sagemaker.NewFromConfig(awsCfg),
			AutoScaling: applicationautoscaling.NewFromConfig(awsCfg)},
	}
}

func eventOf(t *testing.T, name string) e2e.Event {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	ev := e2e.NewEvent(name, raw)
	if ev.ParseErr != nil {
		t.Fatal(ev.ParseErr)
	}
	return ev
}

// enactAndHandle enacts each of files on the account, then handles the last.
func (a driftAccount) enactAndHandle(t *testing.T, files ...string) report.Result {
	t.Helper()
	var ev e2e.Event
	for _, f := range files {
		ev = eventOf(t, f)
		what, err := a.enactor.EnactDrift(context.Background(), ev)
		if err != nil || what == "" {
			t.Fatalf("enact %s: %q, %v", f, what, err)
		}
	}
	res, err := a.h.HandleJSON(context.Background(), ev.Raw)
	if err != nil {
		t.Fatalf("%s: %v", ev.File, err)
	}
	return res
}

const (
	fileAssociate    = "ec2-AssociateRouteTable-fraud-model-subnet-to-public-table.json"
	fileReplaceAssoc = "ec2-ReplaceRouteTableAssociation-fraud-second-subnet-to-public-table.json"
	fileReplaceRoute = "ec2-ReplaceRoute-fraud-unused-table-no-model.json"
	fileDisassociate = "ec2-DisassociateRouteTable-fraud-subnet-falls-back-to-main-table.json"
	fileCreateRoute  = "ec2-CreateRoute-churn-default-route-via-transit-gateway.json"
	fileDeleteRoute  = "ec2-DeleteRoute-fraud-main-table-loses-nat.json"
	fileVPCAttribute = "ec2-ModifyVpcAttribute-fraud-dns-hostnames-off.json"
	fileDHCP         = "ec2-AssociateDhcpOptions-recsys-custom-dns-servers.json"
	fileAuthorize    = "ec2-AuthorizeSecurityGroupEgress-recsys-https-to-s3.json"
	fileRevoke       = "ec2-RevokeSecurityGroupEgress-fraud-https-to-s3.json"
	fileModifyRules  = "ec2-ModifySecurityGroupRules-churn-egress-narrowed-to-postgres.json"
	fileRevokeUnused = "ec2-RevokeSecurityGroupEgress-bastion-group-no-model.json"
	fileFlowLogs     = "ec2-DeleteFlowLogs-recsys-vpc-flow-log.json"
	fileScalable     = "autoscaling-RegisterScalableTarget-churn-endpoint-max-100.json"
	fileCapacity     = "sagemaker-UpdateEndpointWeightsAndCapacities-churn-scale-out-130.json"
)

func TestDriftEvents(t *testing.T) {
	pass, fail, na := report.StatusPass, report.StatusFail, report.StatusNotApplicable
	for _, tc := range []struct {
		name     string
		files    []string // enacted in order; the last is handled
		resource string
		want     map[string]report.Status // exactly the checks run
		messages map[string][]string      // substrings of a check's message
		skipped  string
	}{
		{name: "a model subnet moves to the public table", files: []string{fileAssociate}, resource: "subnet subnet-0aaa000000000a001",
			want: map[string]report.Status{checks.S3EndpointRoutes: fail, checks.OutboundAccess: fail},
			messages: map[string][]string{
				checks.S3EndpointRoutes: {"rtb-0aaa0000000000002 (subnets subnet-0aaa000000000a001)"},
				checks.OutboundAccess:   {"subnets subnet-0aaa000000000a001 have no NAT route"}}},
		{name: "the other subnet's association moves to the public table", files: []string{fileReplaceAssoc}, resource: "route-table rtb-0aaa0000000000002",
			want:     map[string]report.Status{checks.S3EndpointRoutes: fail, checks.OutboundAccess: fail},
			messages: map[string][]string{checks.S3EndpointRoutes: {"rtb-0aaa0000000000002 (subnets subnet-0aaa000000000b001)"}}},
		{name: "a route of a table no model uses", files: []string{fileReplaceAssoc, fileReplaceRoute},
			resource: "route-table rtb-0aaa0000000000003",
			skipped:  "no SageMaker model uses a subnet that route table rtb-0aaa0000000000003 serves: nothing to evaluate"},
		{name: "the same route while a model subnet uses the table", files: []string{fileReplaceRoute}, resource: "route-table rtb-0aaa0000000000003",
			want:     map[string]report.Status{checks.S3EndpointRoutes: pass, checks.OutboundAccess: fail},
			messages: map[string][]string{checks.OutboundAccess: {"subnet-0aaa000000000b001"}}},
		// The association is gone: every model on a main table is evaluated.
		{name: "a subnet falls back to its main table", files: []string{fileReplaceAssoc, fileDisassociate},
			resource: "route-table-association rtbassoc-0e32dc8c7c7c41774",
			want:     map[string]report.Status{checks.S3EndpointRoutes: pass, checks.OutboundAccess: fail},
			messages: map[string][]string{
				checks.S3EndpointRoutes: {"fraud-detector-v3", "recsys-ranker-v2", "forecast-v1"},
				checks.OutboundAccess:   {"subnet-0bbb000000000a001", "subnet-0ddd000000000a001"}}},
		{name: "a default route via a transit gateway", files: []string{fileCreateRoute}, resource: "route-table rtb-0bbb0000000000001",
			want: map[string]report.Status{checks.S3EndpointRoutes: na, checks.OutboundAccess: fail}},
		{name: "the main table loses its NAT route", files: []string{fileDeleteRoute}, resource: "route-table rtb-0aaa0000000000001",
			want:     map[string]report.Status{checks.S3EndpointRoutes: pass, checks.OutboundAccess: fail},
			messages: map[string][]string{checks.OutboundAccess: {"subnets subnet-0aaa000000000a001 have no NAT route"}}},
		{name: "DNS hostnames off", files: []string{fileVPCAttribute}, resource: "vpc vpc-0a1b2c3d4e5f60001",
			want:     map[string]report.Status{checks.VPCDNS: fail},
			messages: map[string][]string{checks.VPCDNS: {"enableDnsHostnames is off", "fraud-detector-v3"}}},
		{name: "custom DNS servers", files: []string{fileDHCP}, resource: "vpc vpc-0c1b2c3d4e5f60003",
			want:     map[string]report.Status{checks.VPCDNS: fail},
			messages: map[string][]string{checks.VPCDNS: {"dopt-0ccc0000000000009 uses custom DNS servers 10.30.0.2"}}},
		{name: "HTTPS to S3 granted", files: []string{fileAuthorize}, resource: "security-group sg-0ccc0000000000001",
			want: map[string]report.Status{checks.SecurityGroupEgressS3: pass}},
		{name: "HTTPS to S3 revoked", files: []string{fileRevoke}, resource: "security-group sg-0aaa0000000000001",
			want:     map[string]report.Status{checks.SecurityGroupEgressS3: fail},
			messages: map[string][]string{checks.SecurityGroupEgressS3: {"fraud-detector-v3"}}},
		// sg-0bbb… belongs to the fraud VPC, but only churn-model-v7 uses it.
		{name: "egress narrowed by rule id", files: []string{fileModifyRules}, resource: "security-group sg-0bbb0000000000001",
			want:     map[string]report.Status{checks.SecurityGroupEgressS3: fail},
			messages: map[string][]string{checks.SecurityGroupEgressS3: {"churn-model-v7"}}},
		{name: "a group no model uses", files: []string{fileRevokeUnused}, resource: "security-group sg-0aaa0000000000009",
			skipped: "no SageMaker model uses security group sg-0aaa0000000000009: nothing to evaluate"},
		{name: "a flow log deleted", files: []string{fileFlowLogs}, resource: "flow-log fl-0ccc0000000000001",
			want:     map[string]report.Status{checks.VPCFlowLogs: fail},
			messages: map[string][]string{checks.VPCFlowLogs: {"vpc-0c1b2c3d4e5f60003", "vpc-0b1b2c3d4e5f60002"}}},
		{name: "autoscaling max 100", files: []string{fileScalable}, resource: "endpoint churn-endpoint",
			want: map[string]report.Status{checks.SubnetIPCapacity: pass},
			messages: map[string][]string{checks.SubnetIPCapacity: {"needs 200 free IPs for 100 instances",
				"autoscaling max of variant AllTraffic: 100, desired 2", "its subnets have 238"}}},
		{name: "scaled out to 130", files: []string{fileScalable, fileCapacity}, resource: "endpoint churn-endpoint",
			want:     map[string]report.Status{checks.SubnetIPCapacity: fail},
			messages: map[string][]string{checks.SubnetIPCapacity: {"needs 260 free IPs for 130 instances", "variant AllTraffic: 130, desired"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := driftAccountFor(t, nil, nil)
			res := a.enactAndHandle(t, tc.files...)
			if res.Resource == nil || res.Resource.Type+" "+res.Resource.ID != tc.resource {
				t.Errorf("resource %+v, want %s", res.Resource, tc.resource)
			}
			if tc.skipped != "" {
				if res.Skipped != tc.skipped || len(res.Checks) != 0 || len(res.Actions) != 0 {
					t.Errorf("skipped %q with %d checks, want %q", res.Skipped, len(res.Checks), tc.skipped)
				}
				return
			}
			if res.Skipped != "" {
				t.Fatalf("skipped: %s", res.Skipped)
			}
			got := statuses(res)
			if len(got) != len(tc.want) {
				t.Errorf("checks run %v, want exactly %v", got, tc.want)
			}
			for id, want := range tc.want {
				if got[id] != want {
					t.Errorf("%s = %s, want %s: %s", id, got[id], want, message(res, id))
				}
			}
			for id, subs := range tc.messages {
				for _, s := range subs {
					if m := message(res, id); !strings.Contains(m, s) {
						t.Errorf("%s message lacks %q: %s", id, s, m)
					}
				}
			}
			for _, w := range a.srv.Writes()[len(tc.files):] {
				t.Errorf("report mode wrote %s", w.Operation)
			}
		})
	}
}

// A route-table move under a live model is repaired like any event: the
// public table gets the S3 endpoint (associate-route-tables), verified; the
// repair's own ModifyVpcEndpoint, made by vpcguard's role, is skipped by the
// loop guard, and the move's replay plans nothing more.
func TestDriftRemediatesARouteTableMove(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/vpcguard-endpointguard"
	a := driftAccountFor(t, map[string]string{"VPCGUARD_MODE": "remediate", "VPCGUARD_ROLE_ARN": role}, nil)
	res := a.enactAndHandle(t, fileAssociate)
	if len(res.Actions) != 1 || res.Actions[0].ID != report.ActionAssociateRouteTables || res.Actions[0].Status != report.ActionApplied {
		t.Fatalf("actions %+v", res.Actions)
	}
	ws := a.srv.Writes()
	if len(ws) != 2 || ws[1].Operation != "ModifyVpcEndpoint" || !slices.Equal(anyStrings(ws[1].Params["AddRouteTableId"]), []string{"rtb-0aaa0000000000002"}) {
		t.Fatalf("writes %+v", ws)
	}
	// The same event again: the state is compliant, nothing is planned.
	again, err := a.h.HandleJSON(context.Background(), eventOf(t, fileAssociate).Raw)
	if err != nil || len(again.Actions) != 0 || statuses(again)[checks.S3EndpointRoutes] != report.StatusPass {
		t.Errorf("replay: %v, actions %+v, routes %s", err, again.Actions, statuses(again)[checks.S3EndpointRoutes])
	}
	// A drift event made by vpcguard's own role is skipped.
	call := eventOf(t, fileAssociate).Call
	call.Actor = role
	own, err := a.h.Handle(context.Background(), call)
	if err != nil || own.Skipped != "the call was made by vpcguard itself" {
		t.Errorf("own call: %v, skipped %q", err, own.Skipped)
	}
}

func anyStrings(v any) []string {
	var out []string
	switch v := v.(type) {
	case string:
		out = append(out, v)
	case []any:
		for _, e := range v {
			s, _ := e.(string)
			out = append(out, s)
		}
	}
	return out
}

// Calls that change nothing vpcguard checks are skipped before any read.
func TestDriftSkipsChangesNoCheckReads(t *testing.T) {
	a := driftAccountFor(t, nil, nil)
	base := func(kind cloudtrail.Kind, source string) cloudtrail.Call {
		return cloudtrail.Call{Kind: kind, Name: kind.String(), Source: source, Account: "111122223333", Region: "us-east-1"}
	}
	metrics := base(cloudtrail.KindModifyVpcAttribute, cloudtrail.SourceEC2)
	metrics.VPCChange = &cloudtrail.VPCChange{VPCID: "vpc-0a1b2c3d4e5f60001", Attribute: "enableNetworkAddressUsageMetrics", Value: true}
	edge := base(cloudtrail.KindAssociateRouteTable, cloudtrail.SourceEC2)
	edge.RouteTableChange = &cloudtrail.RouteTableChange{RouteTableID: "rtb-0aaa0000000000002", GatewayID: "igw-0aaa0000000000001"}
	ecs := base(cloudtrail.KindRegisterScalableTarget, cloudtrail.SourceAutoScaling)
	ecs.ScalableTarget = &cloudtrail.RegisterScalableTarget{ServiceNamespace: "ecs", ResourceID: "service/web/api",
		ScalableDimension: "ecs:service:DesiredCount", Service: cloudtrail.ServiceApplicationAutoScaling}
	components := base(cloudtrail.KindRegisterScalableTarget, cloudtrail.SourceAutoScaling)
	components.ScalableTarget = &cloudtrail.RegisterScalableTarget{ServiceNamespace: "sagemaker", ResourceID: "inference-component/ranker",
		ScalableDimension: "sagemaker:inference-component:DesiredCopyCount"}
	weights := base(cloudtrail.KindUpdateEndpointWeightsAndCapacities, cloudtrail.SourceSageMaker)
	weights.EndpointCapacity = &cloudtrail.EndpointCapacity{EndpointName: "churn-endpoint", Variants: []cloudtrail.VariantCapacity{{VariantName: "AllTraffic"}}}
	none := base(cloudtrail.KindDeleteFlowLogs, cloudtrail.SourceEC2)
	none.DeleteFlowLogs = &cloudtrail.DeleteFlowLogs{FlowLogIDs: []string{"fl-1"}, Unsuccessful: []string{"fl-1"}}
	hidden := base(cloudtrail.KindRevokeSecurityGroupEgress, cloudtrail.SourceEC2)
	hidden.EgressChange = &cloudtrail.SecurityGroupChange{}
	for _, tc := range []struct {
		call cloudtrail.Call
		want string
	}{
		{metrics, "ModifyVpcAttribute set enableNetworkAddressUsageMetrics of vpc-0a1b2c3d4e5f60001, which no vpcguard check reads"},
		{edge, "an edge association"},
		{ecs, "RegisterScalableTarget of service/web/api (ecs, ecs:service:DesiredCount) is not a SageMaker endpoint variant's instance count"},
		{components, "is not a SageMaker endpoint variant's instance count"},
		{weights, "changed only the variant weights of churn-endpoint"},
		{none, "deleted none of fl-1"},
		{hidden, "CloudTrail logged no name or id"},
	} {
		res, err := a.h.Handle(context.Background(), tc.call)
		if err != nil || !strings.Contains(res.Skipped, tc.want) || len(res.Checks) != 0 {
			t.Errorf("%s: %v, skipped %q, want %q", tc.call.Name, err, res.Skipped, tc.want)
		}
	}
	if n := a.srv.Calls("*"); n != 0 {
		t.Errorf("%d AWS calls for skipped events", n)
	}
}

// The real ECS sample of Application Auto Scaling (shared fixtures) reaches
// modelguard's kinds and is skipped with the reason.
func TestDriftSkipsTheSharedECSSample(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "aws-samples", "cloudtrail", "autoscaling-RegisterScalableTarget-ecs.aws-spotlight.json"))
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("skipping: ../shared/fixtures/aws-samples (the real AWS samples) is not beside the repository")
	}
	if err != nil {
		t.Fatal(err)
	}
	a := driftAccountFor(t, nil, nil)
	a.h.Gatherer.Region = "ap-northeast-1" // the sample's region
	res, err := a.h.HandleJSON(context.Background(), raw)
	if err != nil || !strings.Contains(res.Skipped, "is not a SageMaker endpoint variant's instance count") {
		t.Errorf("%v, skipped %q", err, res.Skipped)
	}
}

// When the affected models cannot be told, every check of the event is
// unknown (and notified), never a pass and never "no model affected".
func TestDriftScopeUnreadableIsUnknown(t *testing.T) {
	for _, tc := range []struct {
		file, fault string
		checks      []string
	}{
		{fileDeleteRoute, "ec2:DescribeRouteTables", []string{checks.S3EndpointRoutes, checks.OutboundAccess}},
		{fileDisassociate, "ec2:DescribeSubnets", []string{checks.S3EndpointRoutes, checks.OutboundAccess}},
		{fileFlowLogs, "ec2:DescribeFlowLogs", []string{checks.VPCFlowLogs}},
		{fileVPCAttribute, "sagemaker:ListModels", []string{checks.VPCDNS}},
		{fileRevoke, "sagemaker:ListModels", []string{checks.SecurityGroupEgressS3}},
	} {
		t.Run(tc.file+" "+tc.fault, func(t *testing.T) {
			a := driftAccountFor(t, nil, func(sc *awssim.Scenario) {
				sc.Faults = map[string]awssim.Fault{tc.fault: {AccessDenied: true}}
			})
			res, err := a.h.HandleJSON(context.Background(), eventOf(t, tc.file).Raw)
			if err != nil || res.Skipped != "" || len(res.Checks) != len(tc.checks) {
				t.Fatalf("%v, skipped %q, checks %+v", err, res.Skipped, res.Checks)
			}
			for _, c := range res.Checks {
				if c.Status != report.StatusUnknown || !strings.Contains(c.Message, "could not verify") {
					t.Errorf("%s = %s: %s", c.ID, c.Status, c.Message)
				}
			}
		})
	}
}

// With a placement index, a drift event reads no model: the index answers.
type placedModels []inventory.Model

func (p placedModels) ModelsPlaced(context.Context, inventory.PlacementQuery) ([]inventory.Model, error) {
	return p, nil
}

func TestDriftUsesThePlacementIndex(t *testing.T) {
	a := driftAccountFor(t, nil, nil)
	g := a.h.Gatherer
	g.Account = "111122223333"
	snap := g.Models(context.Background(), []inventory.ModelRequest{{Name: "fraud-detector-v3"}})
	fraud := snap.Models
	if len(fraud) != 1 {
		t.Fatalf("models %+v, errs %v", fraud, snap.ModelErrs)
	}
	a.h.Gatherer.Placement = placedModels(fraud)
	before := a.srv.Stats().Calls
	res := a.enactAndHandle(t, fileVPCAttribute)
	after := a.srv.Stats().Calls
	if statuses(res)[checks.VPCDNS] != report.StatusFail {
		t.Errorf("vpc-dns %s: %s", statuses(res)[checks.VPCDNS], message(res, checks.VPCDNS))
	}
	for _, op := range []string{"sagemaker:ListModels", "sagemaker:DescribeModel"} {
		if n := after[op] - before[op]; n != 0 {
			t.Errorf("%d %s calls with an index", n, op)
		}
	}
}
