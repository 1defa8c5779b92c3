//go:build e2e

package e2e_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/e2e"
	"github.com/vpcguard/vpcguard/pkg/policy"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
)

// The scenario files (pkg/scenarios) share one layout: VPC vpc-0e2e…1 with
// subnets in us-east-1a and us-east-1b, the main route table rtb-0e2e…1,
// the S3 gateway endpoint vpce-0e2e…1 (artifacts allowed, every Amazon
// Linux repository denied), an interface endpoint, security group
// sg-0e2e…1, a flow log, and the model scoring-v1; each file breaks one
// thing.
const (
	scVPC      = "vpc-0e2e0000000000001"
	scMainRT   = "rtb-0e2e0000000000001"
	scOtherRT  = "rtb-0e2e0000000000002"
	scEndpoint = "vpce-0e2e0000000000001"
	scModel    = "scoring-v1"
	s3Service  = "com.amazonaws.us-east-1.s3"
)

var (
	fail    = report.StatusFail
	unknown = report.StatusUnknown
	na      = report.StatusNotApplicable
)

// noEndpoint is how the endpoint checks read in a VPC without an S3 gateway endpoint.
func noEndpoint(extra map[string]report.Status) map[string]report.Status {
	m := map[string]report.Status{
		checks.S3EndpointPresent: fail, checks.S3EndpointRoutes: na, checks.S3EndpointPolicyCustom: na,
		checks.S3EndpointDeniesALRepos: na, checks.S3EndpointPolicyAllows: na,
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

type scenarioCase struct {
	name     string
	scenario string
	env      map[string]string
	want     map[string]report.Status // checks not listed must pass
	actions  []string                 // "id:status", in order
	writes   []string                 // vpcguard's writes, notifications left out
	reason   string                   // in the reason of the first action
	check    func(t *testing.T, s *e2e.Session, o *e2e.Outcome)
}

func scenarioCases() []scenarioCase {
	report_, remediate_ := map[string]string{"VPCGUARD_MODE": "report"}, map[string]string{"VPCGUARD_MODE": "remediate"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	return []scenarioCase{
		{name: "compliant, report", scenario: "compliant", env: report_},
		{name: "compliant, remediate, notify compliant", scenario: "compliant",
			env: with(remediate_, "VPCGUARD_NOTIFY_COMPLIANT", "true")},

		{name: "no S3 endpoint, report", scenario: "no-s3-endpoint", env: report_,
			want: noEndpoint(nil), actions: []string{"create-s3-gateway-endpoint:planned"}},
		{name: "no S3 endpoint, remediate", scenario: "no-s3-endpoint", env: remediate_,
			want: noEndpoint(nil), actions: []string{"create-s3-gateway-endpoint:applied"},
			writes: []string{"ec2:CreateVpcEndpoint"}, check: checkCreated(1)},
		{name: "no S3 endpoint, remediate, action not allowed", scenario: "no-s3-endpoint",
			env:  with(remediate_, "VPCGUARD_REMEDIATIONS", "associate-route-tables,add-al-repo-deny"),
			want: noEndpoint(nil), actions: []string{"create-s3-gateway-endpoint:skipped"},
			reason: "not in VPCGUARD_REMEDIATIONS"},

		{name: "endpoint missing a route table, report", scenario: "endpoint-missing-route-table", env: report_,
			want: map[string]report.Status{checks.S3EndpointRoutes: fail}, actions: []string{"associate-route-tables:planned"}},
		{name: "endpoint missing a route table, remediate", scenario: "endpoint-missing-route-table", env: remediate_,
			want: map[string]report.Status{checks.S3EndpointRoutes: fail}, actions: []string{"associate-route-tables:applied"},
			writes: []string{"ec2:ModifyVpcEndpoint"}, check: checkAssociated},

		{name: "default endpoint policy, remediate", scenario: "default-endpoint-policy", env: remediate_,
			want:    map[string]report.Status{checks.S3EndpointPolicyCustom: fail, checks.S3EndpointDeniesALRepos: fail},
			actions: []string{"add-al-repo-deny:applied"}, writes: []string{"ec2:ModifyVpcEndpoint"},
			check: checkPolicyMerged(policy.DefaultEndpointPolicy)},
		{name: "deny-only endpoint policy, remediate", scenario: "deny-only-endpoint-policy", env: remediate_,
			want:    map[string]report.Status{checks.S3EndpointPolicyAllows: fail},
			actions: []string{"add-al-repo-deny:skipped"}, reason: "never adds or widens an Allow"},
		{name: "huge endpoint policy, remediate", scenario: "huge-endpoint-policy", env: remediate_,
			want:    map[string]report.Status{checks.S3EndpointDeniesALRepos: fail},
			actions: []string{"add-al-repo-deny:skipped"}, reason: "over the 20480-character limit"},

		// Issue 15: network ACLs are reported, never repaired; an endpoint
		// policy that locks a model out of its artifacts fails; the Amazon
		// Linux repository Deny is refused where it would deny the model's
		// own artifacts.
		{name: "network ACL blocks S3, remediate", scenario: "network-acl-blocks-s3", env: remediate_,
			want: map[string]report.Status{checks.NetworkACLS3: fail},
			check: func(t *testing.T, _ *e2e.Session, o *e2e.Outcome) {
				m, fix := message(o.Result, checks.NetworkACLS3), remediation(o.Result, checks.NetworkACLS3)
				if !strings.Contains(m, "outbound TCP 443 to 52.216.0.0/15 is denied by rule 90") || !strings.Contains(m, "ports 1024-32767") {
					t.Errorf("network-acl-s3: %s", m)
				}
				if !strings.Contains(fix, "aws ec2 create-network-acl-entry --region us-east-1 --network-acl-id acl-0e2e0000000000001 --egress --rule-number 89 --protocol tcp --port-range From=443,To=443 --cidr-block 52.216.0.0/15 --rule-action allow") {
					t.Errorf("fix: %s", fix)
				}
			}},
		{name: "endpoint policy locks out the artifacts, remediate", scenario: "endpoint-policy-locks-artifacts", env: remediate_,
			want: map[string]report.Status{checks.S3EndpointPolicyAllows: fail},
			check: func(t *testing.T, _ *e2e.Session, o *e2e.Outcome) {
				if m := message(o.Result, checks.S3EndpointPolicyAllows); !strings.Contains(m, "model scoring-v1 cannot read s3://ml-artifacts-111122223333/scoring-v1/model.tar.gz (container 0 ModelDataUrl): no Allow covers it") {
					t.Errorf("s3-endpoint-policy-allows: %s", m)
				}
			}},
		{name: "artifacts in a bucket named like a repository, remediate", scenario: "artifacts-in-repo-named-bucket", env: remediate_,
			want:    map[string]report.Status{checks.S3EndpointPolicyCustom: fail, checks.S3EndpointDeniesALRepos: fail},
			actions: []string{"add-al-repo-deny:skipped"}, reason: "never locks a model out of its own artifacts"},

		{name: "single AZ", scenario: "single-az", env: report_, want: map[string]report.Status{checks.SubnetsMultiAZ: fail}},
		{name: "full subnets", scenario: "full-subnets", env: report_, want: map[string]report.Status{checks.SubnetIPCapacity: fail}},
		{name: "full subnets, fewer instances do not help", scenario: "full-subnets", env: with(report_, "VPCGUARD_EXPECTED_INSTANCES", "3"),
			want: map[string]report.Status{checks.SubnetIPCapacity: fail},
			check: func(t *testing.T, _ *e2e.Session, o *e2e.Outcome) {
				if m := message(o.Result, checks.SubnetIPCapacity); !strings.Contains(m, "needs 6 free IPs for 3 instances") {
					t.Errorf("VPCGUARD_EXPECTED_INSTANCES did not reach the function: %s", m)
				}
			}},
		{name: "missing security group", scenario: "missing-security-group", env: report_,
			want: map[string]report.Status{checks.SecurityGroupsValid: fail, checks.SecurityGroupEgressS3: fail}},
		{name: "DNS off", scenario: "dns-off", env: report_, want: map[string]report.Status{checks.VPCDNS: fail}},
		{name: "role without ENI permissions", scenario: "role-without-eni-permissions", env: report_,
			want: map[string]report.Status{checks.ExecutionRoleENIPermission: fail}},

		{name: "scoped exemption of the endpoint, remediate", scenario: "exemption", env: remediate_,
			want:    map[string]report.Status{checks.S3EndpointPolicyCustom: report.StatusExempt, checks.S3EndpointDeniesALRepos: fail},
			actions: []string{"add-al-repo-deny:applied"}, writes: []string{"ec2:ModifyVpcEndpoint"}},
		{name: "exempt VPC, remediate", scenario: "exempt-tag", env: remediate_,
			want: noEndpoint(nil), actions: []string{"create-s3-gateway-endpoint:skipped"}, reason: "tagged vpcguard:exempt"},
		{name: "exempt VPC, another exempt tag configured", scenario: "exempt-tag", env: with(remediate_, "VPCGUARD_EXEMPT_TAG", "team:frozen"),
			want: noEndpoint(nil), actions: []string{"create-s3-gateway-endpoint:applied"}, writes: []string{"ec2:CreateVpcEndpoint"},
			check: checkCreated(1)},

		{name: "AccessDenied on DescribeRouteTables, remediate", scenario: "access-denied", env: remediate_,
			want:    noEndpoint(map[string]report.Status{checks.OutboundAccess: unknown}),
			actions: []string{"create-s3-gateway-endpoint:skipped"}, reason: "UnauthorizedOperation",
			check: func(t *testing.T, _ *e2e.Session, o *e2e.Outcome) {
				if m := message(o.Result, checks.OutboundAccess); !strings.Contains(m, "could not verify") || !strings.Contains(m, "UnauthorizedOperation") {
					t.Errorf("outbound-access message does not say why: %s", m)
				}
			}},
		{name: "throttling storm, remediate", scenario: "throttling-storm", env: remediate_,
			want:    noEndpoint(map[string]report.Status{checks.VPCFlowLogs: unknown}),
			actions: []string{"create-s3-gateway-endpoint:applied"},
			// The first CreateVpcEndpoint is throttled; the SDK retries it with
			// the same ClientToken, and one endpoint results.
			writes: []string{"ec2:CreateVpcEndpoint RequestLimitExceeded", "ec2:CreateVpcEndpoint"},
			check: func(t *testing.T, s *e2e.Session, o *e2e.Outcome) {
				checkCreated(2)(t, s, o)
				if o.Throttles < 10 {
					t.Errorf("%d throttles, want one per operation", o.Throttles)
				}
				if m := message(o.Result, checks.VPCFlowLogs); !strings.Contains(m, "RequestLimitExceeded") {
					t.Errorf("vpc-flow-logs does not name the throttling: %s", m)
				}
			}},
	}
}

// TestScenarios replays a CreateModel of scoring-v1 against each scenario
// file: the check results, the actions, the exact writes and the
// notifications.
func TestScenarios(t *testing.T) {
	for _, tc := range scenarioCases() {
		t.Run(tc.name, func(t *testing.T) {
			s := session(t, tc.scenario, tc.env, nil)
			o := replay(t, s, createModelEvent(t, s, scModel))
			r := mustResult(t, o)
			if r.Mode != report.Mode(tc.env["VPCGUARD_MODE"]) {
				t.Errorf("mode = %s, want %s", r.Mode, tc.env["VPCGUARD_MODE"])
			}
			if len(r.Checks) != len(checks.Catalogue()) {
				t.Errorf("%d checks, want the whole catalogue (%d)", len(r.Checks), len(checks.Catalogue()))
			}
			wantStatuses(t, r, tc.want)
			wantActions(t, r, tc.actions...)
			if tc.reason != "" && len(r.Actions) > 0 {
				if why, _ := r.Actions[0].Detail["reason"].(string); !strings.Contains(why, tc.reason) {
					t.Errorf("reason %q does not contain %q", why, tc.reason)
				}
			}
			wantWrites(t, o, tc.writes...)
			wantNotified(t, o, tc.env["VPCGUARD_NOTIFY_COMPLIANT"] == "true")
			if tc.check != nil {
				tc.check(t, s, o)
			}
			if iv := o.Invocation; !iv.Cold || iv.InitMs <= 0 || iv.DurationMs <= 0 {
				t.Errorf("emulator figures missing: cold %v init %.2f ms duration %.2f ms (%q, %q)", iv.Cold, iv.InitMs, iv.DurationMs, iv.InitReport, iv.Report)
			}
		})
	}
}

// TestEveryScenarioHasACase keeps new scenario files from going untested.
func TestEveryScenarioHasACase(t *testing.T) {
	used := map[string]bool{"demo": true, "autoscaled-endpoint": true} // TestDemoEvents, TestDemoRemediate, TestAutoscaledEndpoint
	for _, tc := range scenarioCases() {
		used[tc.scenario] = true
	}
	used["compliant"] = true
	for _, name := range scenarios.Names() {
		if !used[name] {
			t.Errorf("scenario %s has no case in TestScenarios", name)
		}
	}
}

// TestAutoscaledEndpoint replays a CreateEndpoint and its CreateEndpointConfig
// against autoscaled-endpoint: scoring-endpoint starts 2 instances of
// scoring-v1 (4 free IPs needed, 22 free) but Application Auto Scaling may
// take it to 20 (40 needed). The endpoint fails subnet-ip-capacity because
// of the autoscaling max; the config, which has no endpoint yet, passes on
// its initial count. With DescribeScalableTargets denied, the endpoint
// passes on the initial count and says why the max is missing.
func TestAutoscaledEndpoint(t *testing.T) {
	endpoint := edit(t, "sagemaker-CreateEndpoint-churn.json", "CreateEndpoint-scoring-endpoint.json", func(ev, detail map[string]any) {
		detail["requestParameters"] = map[string]any{"endpointName": "scoring-endpoint", "endpointConfigName": "scoring-config-v1"}
		detail["responseElements"] = map[string]any{"endpointArn": "arn:aws:sagemaker:" + region + ":" + account + ":endpoint/scoring-endpoint"}
	})
	config := edit(t, "sagemaker-CreateEndpointConfig-churn.json", "CreateEndpointConfig-scoring-config-v1.json", func(ev, detail map[string]any) {
		req := detail["requestParameters"].(map[string]any)
		req["endpointConfigName"] = "scoring-config-v1"
		for _, v := range req["productionVariants"].([]any) {
			v.(map[string]any)["modelName"] = scModel
		}
		detail["responseElements"] = map[string]any{"endpointConfigArn": "arn:aws:sagemaker:" + region + ":" + account + ":endpoint-config/scoring-config-v1"}
	})
	report_ := map[string]string{"VPCGUARD_MODE": "report"}

	s := session(t, "autoscaled-endpoint", report_, nil)
	o := replay(t, s, endpoint)
	r := mustResult(t, o)
	wantStatuses(t, r, map[string]report.Status{checks.SubnetIPCapacity: fail})
	if m := message(r, checks.SubnetIPCapacity); !strings.Contains(m, "needs 40 free IPs for 20 instances") ||
		!strings.Contains(m, "autoscaling max of variant AllTraffic: 20, initial 2") || !strings.Contains(m, "its subnets have 22") {
		t.Errorf("subnet-ip-capacity: %s", m)
	}
	if r.Resource == nil || r.Resource.Type != "endpoint" || r.Resource.ID != "scoring-endpoint" {
		t.Errorf("resource %+v", r.Resource)
	}
	wantWrites(t, o)
	wantNotified(t, o, false)
	if n := s.Account.Stats().Calls["application-autoscaling:DescribeScalableTargets"]; n != 1 {
		t.Errorf("%d DescribeScalableTargets calls, want 1", n)
	}

	o = replay(t, s, config)
	r = mustResult(t, o)
	wantStatuses(t, r, nil)
	if m := message(r, checks.SubnetIPCapacity); !strings.Contains(m, "needs 4 free IPs for 2 instances") {
		t.Errorf("endpoint config subnet-ip-capacity: %s", m)
	}
	if n := s.Account.Stats().Calls["application-autoscaling:DescribeScalableTargets"]; n != 1 {
		t.Errorf("%d DescribeScalableTargets calls after the config, want still 1", n)
	}

	denied := session(t, "autoscaled-endpoint", report_, func(sc *awssim.Scenario) {
		sc.Faults = map[string]awssim.Fault{"application-autoscaling:DescribeScalableTargets": {AccessDenied: true}}
	})
	r = mustResult(t, replay(t, denied, endpoint))
	wantStatuses(t, r, nil)
	if m := message(r, checks.SubnetIPCapacity); !strings.Contains(m, "needs 4 free IPs for 2 instances") ||
		!strings.Contains(m, "the autoscaling max could not be read") || !strings.Contains(m, "AccessDeniedException") {
		t.Errorf("denied: subnet-ip-capacity: %s", m)
	}
}

// checkCreated checks the CreateVpcEndpoint vpcguard sent (the last of n
// attempts, all with one ClientToken) and that the account now holds
// exactly one S3 gateway endpoint in the VPC, on the main route table,
// with the hardened default policy and the managed tag.
func checkCreated(n int) func(t *testing.T, s *e2e.Session, o *e2e.Outcome) {
	return func(t *testing.T, s *e2e.Session, o *e2e.Outcome) {
		t.Helper()
		ws := e2e.NonNotifyWrites(o.Writes)
		if len(ws) != n {
			t.Fatalf("%d writes, want %d", len(ws), n)
		}
		token := remediate.ClientToken(scVPC)
		for _, w := range ws {
			if param(w, "ClientToken") != token {
				t.Errorf("ClientToken %v, want %s", param(w, "ClientToken"), token)
			}
		}
		w := ws[n-1]
		hardened := policy.HardenedDefault("aws", region)
		if param(w, "VpcId") != scVPC || param(w, "ServiceName") != s3Service || param(w, "VpcEndpointType") != "Gateway" ||
			!slices.Equal(strs(param(w, "RouteTableId")), []string{scMainRT}) || param(w, "PolicyDocument") != hardened {
			t.Errorf("CreateVpcEndpoint params %v", w.Params)
		}
		eps := s3Endpoints(t, s)
		if len(eps) != 1 {
			t.Fatalf("%d S3 gateway endpoints in %s after the repair, want 1", len(eps), scVPC)
		}
		e := eps[0]
		if aws.ToString(e.VpcEndpointId) != w.Result["vpcEndpointId"] || !slices.Equal(e.RouteTableIds, []string{scMainRT}) ||
			aws.ToString(e.PolicyDocument) != hardened || !hasTag(e.Tags, remediate.ManagedTagKey, remediate.ManagedTagValue) {
			t.Errorf("endpoint after the repair: %s on %v, tags %v, policy %s", aws.ToString(e.VpcEndpointId), e.RouteTableIds, e.Tags, aws.ToString(e.PolicyDocument))
		}
		a := action(t, o.Result, report.ActionCreateS3GatewayEndpoint)
		if v, _ := a.Detail["verified"].(map[string]any); v["passed"] != true {
			t.Errorf("not verified: %v", a.Detail)
		}
	}
}

// checkAssociated: the endpoint gained exactly the missing route table.
func checkAssociated(t *testing.T, s *e2e.Session, o *e2e.Outcome) {
	w := e2e.NonNotifyWrites(o.Writes)[0]
	if param(w, "VpcEndpointId") != scEndpoint || !slices.Equal(strs(param(w, "AddRouteTableId")), []string{scOtherRT}) ||
		param(w, "RemoveRouteTableId") != nil || param(w, "PolicyDocument") != nil {
		t.Errorf("ModifyVpcEndpoint params %v", w.Params)
	}
	eps := s3Endpoints(t, s)
	if len(eps) != 1 || !slices.Equal(sorted(eps[0].RouteTableIds), []string{scMainRT, scOtherRT}) {
		t.Errorf("endpoint after the repair: %+v", eps)
	}
}

// checkPolicyMerged: the policy gained exactly the missing denies.
func checkPolicyMerged(before string) func(t *testing.T, s *e2e.Session, o *e2e.Outcome) {
	return func(t *testing.T, s *e2e.Session, o *e2e.Outcome) {
		t.Helper()
		m, err := policy.MergeALRepoDenies(before, "aws", region)
		if err != nil || !m.Changed {
			t.Fatalf("merge: %v %+v", err, m)
		}
		w := e2e.NonNotifyWrites(o.Writes)[0]
		if param(w, "VpcEndpointId") != scEndpoint || param(w, "PolicyDocument") != m.Policy || param(w, "AddRouteTableId") != nil {
			t.Errorf("ModifyVpcEndpoint params %v", w.Params)
		}
		eps := s3Endpoints(t, s)
		if len(eps) != 1 || aws.ToString(eps[0].PolicyDocument) != m.Policy {
			t.Fatalf("policy after the repair: %+v", eps)
		}
		doc, err := policy.Parse(m.Policy)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range policy.RepoAccess(doc, "aws", region) {
			if !st.Denied() {
				t.Errorf("%s not denied after the repair", st.Target.Name)
			}
		}
		old, _ := policy.Parse(before)
		if len(doc.Statements) != len(old.Statements)+len(m.Added) || len(m.Added) != 1 {
			t.Errorf("%d statements after, %d before, %d added", len(doc.Statements), len(old.Statements), len(m.Added))
		}
	}
}

func s3Endpoints(t *testing.T, s *e2e.Session) []ec2types.VpcEndpoint {
	t.Helper()
	out, err := s.Account.EC2.DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{scVPC}},
		{Name: aws.String("service-name"), Values: []string{s3Service}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return out.VpcEndpoints
}

func hasTag(tags []ec2types.Tag, k, v string) bool {
	return slices.ContainsFunc(tags, func(t ec2types.Tag) bool { return aws.ToString(t.Key) == k && aws.ToString(t.Value) == v })
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
