package inventory_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/smithy-go"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
)

// Wire-level tests: the gatherer's real SDK v2 clients against the local
// simulated account (demo scenario), one page per item to force pagination.

const (
	fraudVPC   = "vpc-0a1b2c3d4e5f60001"
	churnVPC   = "vpc-0b1b2c3d4e5f60002"
	forecastVP = "vpc-0d1b2c3d4e5f60004"
)

func start(t *testing.T, pageSize int) (*inventory.Gatherer, *awssim.Server) {
	t.Helper()
	return startScenario(t, "demo", func(sc *awssim.Scenario) { sc.PageSize = pageSize })
}

// startScenario serves the named scenario (changed by mutate, if given) to
// a gatherer with every client.
func startScenario(t *testing.T, name string, mutate func(*awssim.Scenario)) (*inventory.Gatherer, *awssim.Server) {
	t.Helper()
	sc, err := scenarios.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(sc)
	}
	srv, url := awssim.Start(t, sc)
	cfg := awssim.TestConfig(url, "us-east-1")
	return &inventory.Gatherer{
		SageMaker:   sagemaker.NewFromConfig(cfg),
		EC2:         ec2.NewFromConfig(cfg),
		S3:          s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		IAM:         iam.NewFromConfig(cfg),
		AutoScaling: applicationautoscaling.NewFromConfig(cfg),
		Account:     "111122223333", Region: "us-east-1",
		ModelTags:  true,
		ENIActions: []string{"ec2:CreateNetworkInterface", "ec2:DescribeVpcs"},
	}, srv
}

func TestModelsGathersEveryFact(t *testing.T) {
	g, srv := start(t, 1)
	s := g.Models(context.Background(), []inventory.ModelRequest{{Name: "fraud-detector-v3", Instances: 3, InstancesFrom: "test"}})

	if len(s.ModelErrs) != 0 || len(s.Models) != 1 {
		t.Fatalf("models = %+v, errs = %v", s.Models, s.ModelErrs)
	}
	m := s.Models[0]
	if m.VPCConfig == nil || !slices.Equal(m.VPCConfig.SubnetIDs, []string{"subnet-0aaa000000000a001", "subnet-0aaa000000000b001"}) ||
		m.ExecutionRoleARN != "arn:aws:iam::111122223333:role/sagemaker-exec" || m.Tags["team"] != "risk" ||
		!slices.Equal(m.ArtifactBuckets, []string{"ml-artifacts-111122223333"}) || m.Instances != 3 {
		t.Errorf("model = %+v", m)
	}
	if sn := s.Subnets.Value["subnet-0aaa000000000b001"]; !s.Subnets.OK() || sn.VPCID != fraudVPC || sn.AZ != "us-east-1b" || sn.AvailableIPs != 236 {
		t.Errorf("subnets = %+v (%v)", s.Subnets.Value, s.Subnets.Err)
	}
	if sg := s.SecurityGroups.Value["sg-0aaa0000000000001"]; sg.VPCID != fraudVPC || len(sg.Egress) != 1 || sg.Egress[0].PrefixListIDs[0] != "pl-63a5400a" {
		t.Errorf("security group = %+v (%v)", sg, s.SecurityGroups.Err)
	}
	if s.S3PrefixList.Value != "pl-63a5400a" {
		t.Errorf("prefix list = %+v", s.S3PrefixList)
	}
	role := s.Roles["arn:aws:iam::111122223333:role/sagemaker-exec"]
	if !role.OK() || !role.Value.Allowed["ec2:CreateNetworkInterface"] || !role.Value.Allowed["ec2:DescribeVpcs"] {
		t.Errorf("role = %+v", role)
	}
	if b := s.Buckets["ml-artifacts-111122223333"]; !b.OK() || !b.Value.Exists || !strings.Contains(b.Value.Document, "vpce-0aaa0000000000001") {
		t.Errorf("bucket = %+v", b)
	}

	v := s.VPCs[fraudVPC]
	if v == nil || len(s.VPCs) != 1 {
		t.Fatalf("vpcs = %v", s.VPCs)
	}
	for name, err := range map[string]error{"info": v.Info.Err, "dns": v.DNS.Err, "dhcp": v.DHCP.Err, "route tables": v.RouteTables.Err,
		"endpoints": v.Endpoints.Err, "flow logs": v.FlowLogs.Err, "nat": v.NATGateways.Err} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !v.DNS.Value.Support || !v.DNS.Value.Hostnames || !slices.Contains(v.DHCP.Value.DomainNameServers, "AmazonProvidedDNS") {
		t.Errorf("dns = %+v, dhcp = %+v", v.DNS.Value, v.DHCP.Value)
	}
	if len(v.RouteTables.Value) != 3 || len(v.FlowLogs.Value) != 1 || len(v.NATGateways.Value) != 1 {
		t.Errorf("route tables %d, flow logs %d, NAT %d (pagination?)", len(v.RouteTables.Value), len(v.FlowLogs.Value), len(v.NATGateways.Value))
	}
	rt, err := inventory.RouteTableFor(v.RouteTables.Value, "subnet-0aaa000000000a001")
	if err != nil || rt.ID != "rtb-0aaa0000000000001" || !rt.Main {
		t.Errorf("route table of subnet a = %+v, %v (want the main table)", rt, err)
	}
	eps := v.S3GatewayEndpoints("us-east-1")
	if len(eps) != 1 || eps[0].ID != "vpce-0aaa0000000000001" || !strings.Contains(eps[0].PolicyDocument, "AmazonLinux2AMIRepositoryAccess") {
		t.Errorf("s3 endpoints = %+v", eps)
	}
	if srv.Calls("ec2:DescribeRouteTables") < 3 {
		t.Errorf("DescribeRouteTables called %d times; page size 1 should page", srv.Calls("ec2:DescribeRouteTables"))
	}
	if n := len(srv.Writes()); n != 0 {
		t.Errorf("gathering wrote %d times", n)
	}
}

func TestEndpointConfigUsesVariantInstanceCounts(t *testing.T) {
	g, _ := start(t, 0)
	s := g.Endpoint(context.Background(), "churn-endpoint", "")
	if len(s.Models) != 1 || s.Models[0].Name != "churn-model-v7" || s.Models[0].Instances != 2 ||
		!strings.Contains(s.Models[0].InstancesFrom, "churn-config-v7") || !strings.Contains(s.Models[0].Via, "churn-endpoint") {
		t.Fatalf("models = %+v, errs = %v", s.Models, s.ModelErrs)
	}
	if s.VPCs[churnVPC] == nil {
		t.Errorf("churn VPC not gathered: %v", s.VPCs)
	}
}

// The autoscaled-endpoint scenario: scoring-endpoint runs scoring-v1 on
// variant AllTraffic, 2 instances at first, registered with Application
// Auto Scaling up to 20.
const (
	scoringEndpoint = "scoring-endpoint"
	scoringConfig   = "scoring-config-v1"
	describeTargets = "application-autoscaling:DescribeScalableTargets"
)

func TestEndpointCountsTheAutoscalingMax(t *testing.T) {
	g, srv := startScenario(t, "autoscaled-endpoint", nil)
	for _, config := range []string{scoringConfig, ""} { // from CloudTrail, or read from the endpoint
		before := srv.Calls(describeTargets)
		s := g.Endpoint(context.Background(), scoringEndpoint, config)
		if len(s.Models) != 1 || len(s.ModelErrs) != 0 {
			t.Fatalf("models %+v, errs %v", s.Models, s.ModelErrs)
		}
		m := s.Models[0]
		if m.Instances != 20 || !strings.Contains(m.InstancesFrom, "autoscaling max of variant AllTraffic: 20, initial 2") ||
			!strings.Contains(m.InstancesFrom, "endpoint "+scoringEndpoint) || !strings.Contains(m.Via, scoringEndpoint) {
			t.Errorf("config %q: instances %d from %q via %q", config, m.Instances, m.InstancesFrom, m.Via)
		}
		if n := srv.Calls(describeTargets) - before; n != 1 {
			t.Errorf("%d DescribeScalableTargets calls, want 1", n)
		}
	}

	// An endpoint config has no endpoint yet: its initial count, no call.
	before := srv.Calls(describeTargets)
	s := g.EndpointConfig(context.Background(), scoringConfig)
	if len(s.Models) != 1 || s.Models[0].Instances != 2 || s.Models[0].InstancesFrom != "endpoint config "+scoringConfig+" variant AllTraffic" {
		t.Errorf("endpoint config: %+v", s.Models)
	}
	// Without the client, the initial count as before.
	g.AutoScaling = nil
	s = g.Endpoint(context.Background(), scoringEndpoint, scoringConfig)
	if len(s.Models) != 1 || s.Models[0].Instances != 2 || strings.Contains(s.Models[0].InstancesFrom, "autoscaling") {
		t.Errorf("no autoscaling client: %+v", s.Models)
	}
	if n := srv.Calls(describeTargets) - before; n != 0 {
		t.Errorf("%d DescribeScalableTargets calls for a config and a gatherer without the client", n)
	}
}

// TestEndpointSumsVariants: two variants of one model, one autoscaled and
// one not, count 20 + 1.
func TestEndpointSumsVariants(t *testing.T) {
	g, _ := startScenario(t, "autoscaled-endpoint", func(sc *awssim.Scenario) {
		sc.EndpointConfigs[0].Variants = append(sc.EndpointConfigs[0].Variants, awssim.Variant{Name: "Canary", Model: "scoring-v1", InitialInstanceCount: 1})
	})
	s := g.Endpoint(context.Background(), scoringEndpoint, scoringConfig)
	if len(s.Models) != 1 {
		t.Fatalf("models %+v, errs %v", s.Models, s.ModelErrs)
	}
	m := s.Models[0]
	want := "endpoint scoring-endpoint, config scoring-config-v1: autoscaling max of variant AllTraffic: 20, initial 2; variant Canary: 1, initial"
	if m.Instances != 21 || m.InstancesFrom != want {
		t.Errorf("instances %d from %q, want 21 from %q", m.Instances, m.InstancesFrom, want)
	}
}

// TestEndpointAutoscalingDenied: a failed DescribeScalableTargets keeps the
// initial count, says why, and hides nothing else.
func TestEndpointAutoscalingDenied(t *testing.T) {
	g, srv := startScenario(t, "autoscaled-endpoint", nil)
	if err := srv.SetFault(describeTargets, awssim.Fault{AccessDenied: true}); err != nil {
		t.Fatal(err)
	}
	s := g.Endpoint(context.Background(), scoringEndpoint, scoringConfig)
	if len(s.Models) != 1 || len(s.ModelErrs) != 0 {
		t.Fatalf("models %+v, errs %v", s.Models, s.ModelErrs)
	}
	m := s.Models[0]
	if m.Instances != 2 || !strings.Contains(m.InstancesFrom, "endpoint config "+scoringConfig+" variant AllTraffic") ||
		!strings.Contains(m.InstancesFrom, "the autoscaling max could not be read") || !strings.Contains(m.InstancesFrom, "AccessDeniedException") {
		t.Errorf("instances %d from %q", m.Instances, m.InstancesFrom)
	}
	if !s.Subnets.OK() || !s.SecurityGroups.OK() || len(s.VPCs) != 1 {
		t.Errorf("the denied call hid other facts: subnets %v, groups %v, vpcs %d", s.Subnets.Err, s.SecurityGroups.Err, len(s.VPCs))
	}
}

func TestVPCEndpointScopesToTheEndpointsVPC(t *testing.T) {
	g, srv := start(t, 2)
	s := g.VPCEndpoint(context.Background(), inventory.EndpointRef{IDs: []string{"vpce-0ddd0000000000009"}})
	if s.Trigger == nil || s.Trigger.VPCID != forecastVP {
		t.Fatalf("trigger = %+v", s.Trigger)
	}
	if len(s.Models) != 1 || s.Models[0].Name != "forecast-v1" {
		t.Errorf("models in scope = %+v", s.Models)
	}
	if len(s.VPCs) != 1 || s.VPCs[forecastVP] == nil {
		t.Errorf("vpcs = %v", s.VPCs)
	}
	if srv.Calls("sagemaker:ListModels") < 3 {
		t.Errorf("ListModels called %d times over 5 models at page size 2", srv.Calls("sagemaker:ListModels"))
	}
}

func TestAccessDeniedIsKeptBesideTheData(t *testing.T) {
	for _, op := range []string{"ec2:DescribeRouteTables", "iam:SimulatePrincipalPolicy", "s3:GetBucketPolicy", "ec2:DescribeSubnets", "sagemaker:DescribeModel", "ec2:DescribeDhcpOptions"} {
		t.Run(op, func(t *testing.T) {
			g, srv := start(t, 0)
			if err := srv.SetFault(op, awssim.Fault{AccessDenied: true}); err != nil {
				t.Fatal(err)
			}
			s := g.Models(context.Background(), []inventory.ModelRequest{{Name: "fraud-detector-v3"}})
			var failed error
			switch op {
			case "ec2:DescribeRouteTables":
				failed = s.VPCs[fraudVPC].RouteTables.Err
				if !s.VPCs[fraudVPC].Endpoints.OK() || !s.Subnets.OK() {
					t.Error("one denied call hid other facts")
				}
			case "iam:SimulatePrincipalPolicy":
				failed = s.Roles["arn:aws:iam::111122223333:role/sagemaker-exec"].Err
			case "s3:GetBucketPolicy":
				failed = s.Buckets["ml-artifacts-111122223333"].Err
			case "ec2:DescribeSubnets":
				failed = s.Subnets.Err
			case "sagemaker:DescribeModel":
				failed = s.ModelErrs["model fraud-detector-v3"]
			case "ec2:DescribeDhcpOptions":
				failed = s.VPCs[fraudVPC].DHCP.Err
				if !s.VPCs[fraudVPC].DNS.OK() {
					t.Error("DNS attributes lost with the DHCP options")
				}
			}
			var api smithy.APIError
			if !errors.As(failed, &api) || !strings.Contains(api.ErrorCode(), "Unauthorized") && !strings.Contains(api.ErrorCode(), "AccessDenied") {
				t.Errorf("error = %v, want the service's access-denied error", failed)
			}
		})
	}
}

func TestThrottlingIsRetried(t *testing.T) {
	g, srv := start(t, 0)
	for _, op := range []string{"ec2:DescribeSubnets", "sagemaker:DescribeModel", "ec2:DescribeVpcEndpoints"} {
		if err := srv.SetFault(op, awssim.Fault{ThrottleFirst: 2}); err != nil {
			t.Fatal(err)
		}
	}
	s := g.Models(context.Background(), []inventory.ModelRequest{{Name: "fraud-detector-v3"}})
	if len(s.ModelErrs) != 0 || !s.Subnets.OK() || !s.VPCs[fraudVPC].Endpoints.OK() {
		t.Fatalf("throttling not absorbed: errs %v, subnets %v, endpoints %v", s.ModelErrs, s.Subnets.Err, s.VPCs[fraudVPC].Endpoints.Err)
	}
	if n := srv.Throttles("ec2:DescribeSubnets"); n != 2 {
		t.Errorf("DescribeSubnets throttled %d times, want 2", n)
	}
}

func TestUnknownSubnetIsAbsentNotAnError(t *testing.T) {
	g, _ := start(t, 0)
	s := g.Models(context.Background(), []inventory.ModelRequest{{Name: "fraud-detector-v3"}})
	s.Models[0].VPCConfig.SubnetIDs = append(s.Models[0].VPCConfig.SubnetIDs, "subnet-0gone")
	known, missing := s.ModelSubnets(s.Models[0])
	if len(known) != 2 || !slices.Equal(missing, []string{"subnet-0gone"}) {
		t.Errorf("known %v, missing %v", known, missing)
	}
}

func TestBucketOf(t *testing.T) {
	for in, want := range map[string]string{
		"s3://bucket/key/model.tar.gz": "bucket",
		"s3://bucket":                  "bucket",
		"https://example.com/x":        "",
		"":                             "",
	} {
		if got := inventory.BucketOf(in); got != want {
			t.Errorf("BucketOf(%q) = %q, want %q", in, got, want)
		}
	}
}
