package remediate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/policy"
	"github.com/vpcguard/vpcguard/pkg/report"
)

const (
	testRegion = "us-east-1"
	testPL     = "pl-63a5400a" // com.amazonaws.us-east-1.s3
	exemptTag  = "vpcguard:exempt"
)

// hardenedUSEast1 is the policy vpcguard gives a new endpoint in us-east-1,
// and what the AWS default policy becomes after add-al-repo-deny: written
// out, because it is exactly the text sent to AWS.
const hardenedUSEast1 = `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},` +
	`{"Sid":"VpcguardDenyAmazonLinuxRepos","Effect":"Deny","Principal":"*","Action":["s3:GetObject"],"Resource":[` +
	`"arn:aws:s3:::packages.*.amazonaws.com/*","arn:aws:s3:::repo.*.amazonaws.com/*","arn:aws:s3:::amazonlinux.*.amazonaws.com/*",` +
	`"arn:aws:s3:::amazonlinux-2-repos-us-east-1/*","arn:aws:s3:::al2023-repos-us-east-1-*/*"]}]}`

func readPolicy(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newSnap is one VPC, vpc-1, with three subnets: subnet-a (explicitly on
// rtb-a), subnet-b (no association: the main table rtb-main) and subnet-c
// (rtb-c); model m1 in subnet-a and subnet-b, model m2 in subnet-c. No VPC
// endpoint yet.
func newSnap() *inventory.Snapshot {
	local := []inventory.Route{{DestinationCIDR: "10.0.0.0/16", GatewayID: "local", State: "active"}}
	return &inventory.Snapshot{
		Account: "111122223333", Region: testRegion, Partition: "aws",
		ModelErrs: map[string]error{},
		Models: []inventory.Model{
			{Name: "m1", VPCConfig: &inventory.VPCConfig{SubnetIDs: []string{"subnet-a", "subnet-b"}, SecurityGroupIDs: []string{"sg-1"}}, Tags: map[string]string{}},
			{Name: "m2", VPCConfig: &inventory.VPCConfig{SubnetIDs: []string{"subnet-c"}, SecurityGroupIDs: []string{"sg-1"}}, Tags: map[string]string{}},
		},
		Subnets: inventory.Known(map[string]inventory.Subnet{
			"subnet-a": {ID: "subnet-a", VPCID: "vpc-1", AZ: "us-east-1a"},
			"subnet-b": {ID: "subnet-b", VPCID: "vpc-1", AZ: "us-east-1b"},
			"subnet-c": {ID: "subnet-c", VPCID: "vpc-1", AZ: "us-east-1c"},
		}),
		S3PrefixList: inventory.Known(testPL),
		VPCs: map[string]*inventory.VPC{"vpc-1": {
			ID:   "vpc-1",
			Info: inventory.Known(inventory.VPCInfo{CIDR: "10.0.0.0/16"}),
			RouteTables: inventory.Known([]inventory.RouteTable{
				{ID: "rtb-main", VPCID: "vpc-1", Main: true, Routes: slices.Clone(local)},
				{ID: "rtb-a", VPCID: "vpc-1", SubnetIDs: []string{"subnet-a"}, Routes: slices.Clone(local)},
				{ID: "rtb-c", VPCID: "vpc-1", SubnetIDs: []string{"subnet-c"}, Routes: slices.Clone(local)},
			}),
			Endpoints: inventory.Known([]inventory.Endpoint{}),
		}},
	}
}

// addEndpoint adds an S3 gateway endpoint on tables, with the prefix-list
// route AWS adds to each.
func addEndpoint(s *inventory.Snapshot, id, doc string, tables ...string) *inventory.Endpoint {
	v := s.VPCs["vpc-1"]
	v.Endpoints.Value = append(v.Endpoints.Value, inventory.Endpoint{
		ID: id, VPCID: "vpc-1", ServiceName: inventory.S3ServiceName(testRegion), Type: "Gateway", State: "available",
		RouteTableIDs: tables, PolicyDocument: doc,
	})
	for i := range v.RouteTables.Value {
		if slices.Contains(tables, v.RouteTables.Value[i].ID) {
			addRoute(s, v.RouteTables.Value[i].ID, inventory.Route{DestinationPrefixListID: testPL, GatewayID: id, State: "active"})
		}
	}
	return &v.Endpoints.Value[len(v.Endpoints.Value)-1]
}

func addRoute(s *inventory.Snapshot, table string, r inventory.Route) {
	v := s.VPCs["vpc-1"]
	for i := range v.RouteTables.Value {
		if v.RouteTables.Value[i].ID == table {
			v.RouteTables.Value[i].Routes = append(v.RouteTables.Value[i].Routes, r)
		}
	}
}

func setTableTags(s *inventory.Snapshot, table string, tags map[string]string) {
	v := s.VPCs["vpc-1"]
	for i := range v.RouteTables.Value {
		if v.RouteTables.Value[i].ID == table {
			v.RouteTables.Value[i].Tags = tags
		}
	}
}

// compliant is newSnap with a hardened endpoint on every model table.
func compliant() *inventory.Snapshot {
	s := newSnap()
	addEndpoint(s, "vpce-1", hardenedUSEast1, "rtb-a", "rtb-c", "rtb-main")
	return s
}

func plan(s *inventory.Snapshot) []Step {
	return Plan(s, checks.Run(s, checks.Catalogue()), Options{ExemptTag: exemptTag})
}

// summary is one line per step: "<action> <api> <resources>" or
// "<action> refused <resources>".
func summary(steps []Step) []string {
	out := []string{}
	for _, s := range steps {
		what := s.API()
		if s.Refused != "" {
			what = "refused"
		}
		out = append(out, fmt.Sprintf("%s %s %s", s.Action, what, strings.Join(s.Resources, ",")))
	}
	return out
}

func TestPlan(t *testing.T) {
	bigAllow := func() string {
		// A valid policy just under the limit: the Deny does not fit.
		var sts []string
		for i := 0; len(strings.Join(sts, ",")) < policy.MaxPolicyLength-400; i++ {
			sts = append(sts, fmt.Sprintf(`{"Sid":"Bucket%04d","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::bucket-%04d/*"}`, i, i))
		}
		sts = append(sts, `{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`)
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(sts, ",") + `]}`
	}()
	if n := len(bigAllow); n > policy.MaxPolicyLength || n < policy.MaxPolicyLength-400 {
		t.Fatalf("bigAllow is %d characters", n)
	}

	tests := []struct {
		name    string
		snap    func() *inventory.Snapshot
		want    []string
		reasons []string // a substring of each refusal's reason, in order
	}{
		{
			name: "compliant state plans nothing",
			snap: compliant,
			want: []string{},
		},
		{
			name: "no endpoint: create on the explicit and the main route tables",
			snap: newSnap,
			want: []string{"create-s3-gateway-endpoint CreateVpcEndpoint vpc-1,rtb-a,rtb-c,rtb-main"},
		},
		{
			name: "endpoint missing two route tables: associate adds exactly those",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", hardenedUSEast1, "rtb-a")
				return s
			},
			want: []string{"associate-route-tables ModifyVpcEndpoint vpce-1,rtb-c,rtb-main"},
		},
		{
			name: "AWS default policy gains the Deny",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", readPolicy(t, "aws-default.json"), "rtb-a", "rtb-c", "rtb-main")
				return s
			},
			want: []string{"add-al-repo-deny ModifyVpcEndpoint vpce-1"},
		},
		{
			name: "an empty policy is the AWS default and gains the Deny",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", "", "rtb-a", "rtb-c", "rtb-main")
				return s
			},
			want: []string{"add-al-repo-deny ModifyVpcEndpoint vpce-1"},
		},
		{
			name: "the guide's snippets after an Allow gain the AL2-over-HTTPS and AL2023 denies",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", readPolicy(t, "guide-merged-with-allow.json"), "rtb-a", "rtb-c", "rtb-main")
				return s
			},
			want: []string{"add-al-repo-deny ModifyVpcEndpoint vpce-1"},
		},
		{
			name: "routes and policy both missing: two modifications, routes first",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", readPolicy(t, "aws-default.json"), "rtb-a")
				return s
			},
			want: []string{
				"associate-route-tables ModifyVpcEndpoint vpce-1,rtb-c,rtb-main",
				"add-al-repo-deny ModifyVpcEndpoint vpce-1",
			},
		},
		{
			name: "an allow-list policy already denies the repositories implicitly: nothing",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::model-artifacts/*"}]}`,
					"rtb-a", "rtb-c", "rtb-main")
				return s
			},
			want: []string{},
		},

		// Refusals.
		{
			name: "the guide's first snippet alone is deny-only: refused",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", readPolicy(t, "guide-al1-deny.json"), "rtb-a", "rtb-c", "rtb-main")
				return s
			},
			want:    []string{"add-al-repo-deny refused vpce-1"},
			reasons: []string{"deny-only"},
		},
		{
			name: "the guide's second snippet alone is deny-only: refused",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", readPolicy(t, "guide-al2-deny.json"), "rtb-a", "rtb-c", "rtb-main")
				return s
			},
			want:    []string{"add-al-repo-deny refused vpce-1"},
			reasons: []string{"never adds or widens an Allow"},
		},
		{
			name: "both guide snippets without an Allow: refused",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", readPolicy(t, "guide-merged.json"), "rtb-a", "rtb-c", "rtb-main")
				return s
			},
			want:    []string{"add-al-repo-deny refused vpce-1"},
			reasons: []string{"deny-only"},
		},
		{
			name: "merged policy over the size limit: refused",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", bigAllow, "rtb-a", "rtb-c", "rtb-main")
				return s
			},
			want:    []string{"add-al-repo-deny refused vpce-1"},
			reasons: []string{"over the 20480-character limit"},
		},
		{
			name: "a policy vpcguard cannot parse: refused",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", `{"Version":"2012-10-17","Statement":[{"Effect":"allow","Principal":"*","Action":"*","Resource":"*"}]}`,
					"rtb-a", "rtb-c", "rtb-main")
				return s
			},
			want:    []string{"add-al-repo-deny refused vpce-1"},
			reasons: []string{"cannot read exactly"},
		},
		{
			name: "foreign endpoint route on a table: that table left out of the association",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", hardenedUSEast1, "rtb-a")
				addRoute(s, "rtb-main", inventory.Route{DestinationPrefixListID: testPL, GatewayID: "vpce-0ld", State: "blackhole"})
				return s
			},
			want: []string{
				"associate-route-tables ModifyVpcEndpoint vpce-1,rtb-c",
				"associate-route-tables refused vpce-1,rtb-main",
			},
			reasons: []string{"route table rtb-main left out: it already sends S3 traffic to pl-63a5400a through vpce-0ld (blackhole)"},
		},
		{
			name: "S3 routed through a firewall appliance: that table left out of the create",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addRoute(s, "rtb-c", inventory.Route{DestinationPrefixListID: testPL, TransitGatewayID: "tgw-1", State: "active"})
				return s
			},
			want: []string{
				"create-s3-gateway-endpoint CreateVpcEndpoint vpc-1,rtb-a,rtb-main",
				"create-s3-gateway-endpoint refused vpc-1,rtb-c",
			},
			reasons: []string{"through tgw-1"},
		},
		{
			name: "unknown prefix list: a prefix-list route through an unknown endpoint counts as S3",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				s.S3PrefixList = inventory.Failed[string](errors.New("AccessDenied"))
				addRoute(s, "rtb-c", inventory.Route{DestinationPrefixListID: "pl-1234", GatewayID: "vpce-gone", State: "active"})
				return s
			},
			want: []string{
				"create-s3-gateway-endpoint CreateVpcEndpoint vpc-1,rtb-a,rtb-main",
				"create-s3-gateway-endpoint refused vpc-1,rtb-c",
			},
			reasons: []string{"vpce-gone"},
		},
		{
			name: "a DynamoDB gateway endpoint on a table is no conflict",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				v := s.VPCs["vpc-1"]
				v.Endpoints.Value = append(v.Endpoints.Value, inventory.Endpoint{ID: "vpce-ddb", VPCID: "vpc-1",
					ServiceName: "com.amazonaws.us-east-1.dynamodb", Type: "Gateway", State: "available", RouteTableIDs: []string{"rtb-c"}})
				addRoute(s, "rtb-c", inventory.Route{DestinationPrefixListID: "pl-02cd2c6b", GatewayID: "vpce-ddb", State: "active"})
				return s
			},
			want: []string{"create-s3-gateway-endpoint CreateVpcEndpoint vpc-1,rtb-a,rtb-c,rtb-main"},
		},
		{
			name: "several S3 gateway endpoints: which one is a choice for a person",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", hardenedUSEast1, "rtb-a")
				addEndpoint(s, "vpce-2", hardenedUSEast1, "rtb-c")
				return s
			},
			want:    []string{"associate-route-tables refused vpce-1,vpce-2,rtb-main"},
			reasons: []string{"2 S3 gateway endpoints"},
		},
		{
			name: "exempt VPC: every step refused",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				s.VPCs["vpc-1"].Info.Value.Tags = map[string]string{exemptTag: "true"}
				return s
			},
			want:    []string{"create-s3-gateway-endpoint refused vpc-1,rtb-a,rtb-c,rtb-main"},
			reasons: []string{"vpc-1 is tagged vpcguard:exempt"},
		},
		{
			name: "VPC tags unreadable: cannot tell whether exempt",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", readPolicy(t, "aws-default.json"), "rtb-a", "rtb-c", "rtb-main")
				s.VPCs["vpc-1"].Info = inventory.Failed[inventory.VPCInfo](errors.New("UnauthorizedOperation"))
				return s
			},
			want:    []string{"add-al-repo-deny refused vpce-1"},
			reasons: []string{"cannot tell whether it is exempt"},
		},
		{
			name: "exempt endpoint: neither routes nor policy change",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				e := addEndpoint(s, "vpce-1", readPolicy(t, "aws-default.json"), "rtb-a")
				e.Tags = map[string]string{exemptTag: ""}
				return s
			},
			want: []string{
				"associate-route-tables refused vpce-1,rtb-c,rtb-main",
				"add-al-repo-deny refused vpce-1",
			},
			reasons: []string{"endpoint vpce-1 is tagged vpcguard:exempt", "endpoint vpce-1 is tagged vpcguard:exempt"},
		},
		{
			name: "exempt model: its route table is left out of the create",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				s.Models[1].Tags = map[string]string{exemptTag: "true"}
				return s
			},
			want: []string{
				"create-s3-gateway-endpoint CreateVpcEndpoint vpc-1,rtb-a,rtb-main",
				"create-s3-gateway-endpoint refused vpc-1,rtb-c",
			},
			reasons: []string{"serves exempt model m2"},
		},
		{
			name: "every model exempt: the create is refused",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				s.Models[0].Tags = map[string]string{exemptTag: "true"}
				s.Models[1].Tags = map[string]string{exemptTag: "true"}
				return s
			},
			want:    []string{"create-s3-gateway-endpoint refused vpc-1,rtb-a,rtb-c,rtb-main"},
			reasons: []string{"serves exempt model m1"},
		},
		{
			name: "exempt model behind the endpoint: its policy is not changed",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", readPolicy(t, "aws-default.json"), "rtb-a", "rtb-c", "rtb-main")
				s.Models[1].Tags = map[string]string{exemptTag: "true"}
				return s
			},
			want:    []string{"add-al-repo-deny refused vpce-1"},
			reasons: []string{"exempt model m2"},
		},
		{
			name: "exempt route table: left out",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", hardenedUSEast1, "rtb-a")
				setTableTags(s, "rtb-main", map[string]string{exemptTag: "1"})
				return s
			},
			want: []string{
				"associate-route-tables ModifyVpcEndpoint vpce-1,rtb-c",
				"associate-route-tables refused vpce-1,rtb-main",
			},
			reasons: []string{"rtb-main left out: it is tagged vpcguard:exempt"},
		},
		{
			name: "a model that could not be read may be exempt: refused",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				s.ModelErrs["model m3"] = errors.New("ThrottlingException")
				return s
			},
			want:    []string{"create-s3-gateway-endpoint refused vpc-1,rtb-a,rtb-c,rtb-main"},
			reasons: []string{"model m3 could not be read"},
		},
		{
			name: "endpoint event in a VPC without models: the policy is reported, not changed",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				s.Models = nil
				addEndpoint(s, "vpce-1", readPolicy(t, "aws-default.json"), "rtb-a")
				s.Trigger = &inventory.EndpointRef{IDs: []string{"vpce-1"}, VPCID: "vpc-1"}
				return s
			},
			want:    []string{"add-al-repo-deny refused vpce-1"},
			reasons: []string{"no SageMaker model"},
		},
		{
			name: "model-level problems are never fixed",
			snap: func() *inventory.Snapshot {
				s := compliant()
				s.Models = append(s.Models, inventory.Model{Name: "outside"}) // no VpcConfig
				s.Subnets.Value["subnet-a"] = inventory.Subnet{ID: "subnet-a", VPCID: "vpc-1", AZ: "us-east-1a", AvailableIPs: 0}
				return s
			},
			want: []string{},
		},
		{
			name: "endpoints unreadable: the checks are unknown, nothing is planned",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				s.VPCs["vpc-1"].Endpoints = inventory.Failed[[]inventory.Endpoint](errors.New("RequestLimitExceeded"))
				return s
			},
			want: []string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.snap()
			steps := plan(s)
			if got := summary(steps); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("steps:\n  got  %q\n  want %q", got, tc.want)
			}
			var refused []Step
			for _, st := range steps {
				if st.Refused != "" {
					refused = append(refused, st)
				}
			}
			if len(refused) != len(tc.reasons) {
				t.Fatalf("%d refusals, want %d", len(refused), len(tc.reasons))
			}
			for i, st := range refused {
				if !strings.Contains(st.Refused, tc.reasons[i]) {
					t.Errorf("refusal %d: reason %q does not contain %q", i, st.Refused, tc.reasons[i])
				}
				if a := st.Report(report.ActionSkipped); a.Detail[DetailReason] != st.Refused {
					t.Errorf("refusal %d: detail.reason = %v", i, a.Detail[DetailReason])
				}
			}
			// Deterministic: the same state plans the same steps.
			if again := plan(tc.snap()); !reflect.DeepEqual(summary(again), summary(steps)) {
				t.Errorf("a second plan differs: %q", summary(again))
			}
			// Every step that acts fixes what it claims, on the state with
			// the step applied in memory; and the fixed state plans no
			// further step of that kind.
			for _, st := range steps {
				if st.Refused != "" {
					continue
				}
				after, id := applyInMemory(t, s, st)
				results, passed := runChecks(scoped(s, st, after.VPCs[st.VPCID], id), st.Verify)
				if !passed {
					t.Errorf("%s does not fix its checks: %s", st.Action, notPassing(results))
				}
				for _, again := range plan(after) {
					if again.Action == st.Action && again.Refused == "" {
						t.Errorf("%s planned again on the fixed state", st.Action)
					}
				}
			}
		})
	}
}

// applyInMemory returns a copy of s with step applied as AWS would, and the
// id of the endpoint it changed or created.
func applyInMemory(t *testing.T, s *inventory.Snapshot, step Step) (*inventory.Snapshot, string) {
	t.Helper()
	old := s.VPCs[step.VPCID]
	v := *old
	v.Endpoints = inventory.Known(slices.Clone(old.Endpoints.Value))
	tables := make([]inventory.RouteTable, len(old.RouteTables.Value))
	for i, rt := range old.RouteTables.Value {
		rt.Routes = slices.Clone(rt.Routes)
		tables[i] = rt
	}
	v.RouteTables = inventory.Known(tables)
	route := func(table, endpoint string) {
		for i := range tables {
			if tables[i].ID == table {
				tables[i].Routes = append(tables[i].Routes, inventory.Route{DestinationPrefixListID: testPL, GatewayID: endpoint, State: "active"})
			}
		}
	}
	id := step.EndpointID
	switch {
	case step.Create != nil:
		id = "vpce-new"
		in := step.Create
		v.Endpoints.Value = append(v.Endpoints.Value, inventory.Endpoint{
			ID: id, VPCID: aws.ToString(in.VpcId), ServiceName: aws.ToString(in.ServiceName), Type: string(in.VpcEndpointType),
			State: "available", RouteTableIDs: slices.Clone(in.RouteTableIds), PolicyDocument: aws.ToString(in.PolicyDocument),
			Tags: map[string]string{ManagedTagKey: ManagedTagValue},
		})
		for _, rt := range in.RouteTableIds {
			route(rt, id)
		}
	case step.Modify != nil:
		in := step.Modify
		for i := range v.Endpoints.Value {
			e := &v.Endpoints.Value[i]
			if e.ID != aws.ToString(in.VpcEndpointId) {
				continue
			}
			e.RouteTableIDs = append(slices.Clone(e.RouteTableIDs), in.AddRouteTableIds...)
			for _, rt := range in.AddRouteTableIds {
				route(rt, e.ID)
			}
			if in.PolicyDocument != nil {
				e.PolicyDocument = aws.ToString(in.PolicyDocument)
			}
		}
	default:
		t.Fatalf("step %s makes no call", step.Action)
	}
	return withVPC(s, &v), id
}

func TestPlanCreateParameters(t *testing.T) {
	steps := plan(newSnap())
	if len(steps) != 1 {
		t.Fatalf("%d steps", len(steps))
	}
	s := steps[0]
	if s.Check != checks.S3EndpointPresent || s.API() != APICreateVpcEndpoint {
		t.Fatalf("check %s api %s", s.Check, s.API())
	}
	want := map[string]any{
		"VpcId":           "vpc-1",
		"VpcEndpointType": "Gateway",
		"ServiceName":     "com.amazonaws.us-east-1.s3",
		"RouteTableIds":   []string{"rtb-a", "rtb-c", "rtb-main"},
		"PolicyDocument":  hardenedUSEast1,
		"TagSpecifications": []any{map[string]any{"ResourceType": "vpc-endpoint",
			"Tags": []any{map[string]any{"Key": "vpcguard:managed", "Value": "true"}}}},
		"ClientToken": ClientToken("vpc-1"),
	}
	if got := s.Params(); !reflect.DeepEqual(got, want) {
		t.Errorf("params:\n got  %#v\n want %#v", got, want)
	}
	if s.NewPolicy != hardenedUSEast1 || policy.HardenedDefault("aws", testRegion) != hardenedUSEast1 {
		t.Errorf("new policy %s", s.NewPolicy)
	}
	if !reflect.DeepEqual(s.Models, []string{"m1", "m2"}) || !reflect.DeepEqual(s.Subnets, []string{"subnet-a", "subnet-b", "subnet-c"}) {
		t.Errorf("models %v subnets %v", s.Models, s.Subnets)
	}
	a := s.Report(report.ActionPlanned)
	for _, k := range []string{DetailCheck, DetailAPI, DetailParams, DetailBefore, DetailAfter, DetailNewPolicy} {
		if _, ok := a.Detail[k]; !ok {
			t.Errorf("detail has no %q", k)
		}
	}
	if a.ID != report.ActionCreateS3GatewayEndpoint || a.Status != report.ActionPlanned {
		t.Errorf("action %s %s", a.ID, a.Status)
	}
}

func TestPlanAssociateParameters(t *testing.T) {
	s := newSnap()
	addEndpoint(s, "vpce-1", hardenedUSEast1, "rtb-a")
	steps := plan(s)
	if len(steps) != 1 {
		t.Fatalf("%d steps", len(steps))
	}
	st := steps[0]
	want := map[string]any{"VpcEndpointId": "vpce-1", "AddRouteTableIds": []string{"rtb-c", "rtb-main"}}
	if got := st.Params(); !reflect.DeepEqual(got, want) {
		t.Errorf("params %#v", got)
	}
	if st.Modify.RemoveRouteTableIds != nil || st.Modify.PolicyDocument != nil || st.Modify.ResetPolicy != nil {
		t.Errorf("associate does more than add route tables: %+v", st.Modify)
	}
	if got := st.After["route_table_ids"]; !reflect.DeepEqual(got, []string{"rtb-a", "rtb-c", "rtb-main"}) {
		t.Errorf("after %v", got)
	}
	if got := st.Before["route_table_ids"]; !reflect.DeepEqual(got, []string{"rtb-a"}) {
		t.Errorf("before %v", got)
	}
}

func TestPlanPolicyParameters(t *testing.T) {
	tests := []struct {
		file      string
		wantAdded []string // resources of the added Deny
	}{
		{"aws-default.json", []string{
			"arn:aws:s3:::packages.*.amazonaws.com/*", "arn:aws:s3:::repo.*.amazonaws.com/*", "arn:aws:s3:::amazonlinux.*.amazonaws.com/*",
			"arn:aws:s3:::amazonlinux-2-repos-us-east-1/*", "arn:aws:s3:::al2023-repos-us-east-1-*/*"}},
		{"guide-merged-with-allow.json", []string{
			"arn:aws:s3:::amazonlinux-2-repos-us-east-1/*", "arn:aws:s3:::al2023-repos-us-east-1-*/*"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			old := readPolicy(t, tc.file)
			s := newSnap()
			addEndpoint(s, "vpce-1", old, "rtb-a", "rtb-c", "rtb-main")
			steps := plan(s)
			if len(steps) != 1 || steps[0].Modify == nil {
				t.Fatalf("steps %q", summary(steps))
			}
			st := steps[0]
			if st.Check != checks.S3EndpointDeniesALRepos {
				t.Errorf("check %s", st.Check)
			}
			if st.OldPolicy != old {
				t.Errorf("old policy not the full original")
			}
			if got := aws.ToString(st.Modify.PolicyDocument); got != st.NewPolicy {
				t.Errorf("PolicyDocument sent %q, new_policy %q", got, st.NewPolicy)
			}
			if tc.file == "aws-default.json" && st.NewPolicy != hardenedUSEast1 {
				t.Errorf("new policy:\n%s\nwant\n%s", st.NewPolicy, hardenedUSEast1)
			}
			// Every original statement is kept byte for byte, in order; one
			// Deny is added with exactly the missing resources.
			before, _ := policy.Parse(old)
			after, err := policy.Parse(st.NewPolicy)
			if err != nil {
				t.Fatal(err)
			}
			if len(after.Statements) != len(before.Statements)+1 {
				t.Fatalf("%d statements after, %d before", len(after.Statements), len(before.Statements))
			}
			for i, b := range before.Statements {
				if string(after.Statements[i].Raw) != string(b.Raw) {
					t.Errorf("statement %d changed:\n%s\n%s", i, b.Raw, after.Statements[i].Raw)
				}
			}
			added := after.Statements[len(before.Statements)]
			if added.Effect != policy.Deny || !reflect.DeepEqual(added.Resource, tc.wantAdded) || !reflect.DeepEqual(added.Action, []string{"s3:GetObject"}) {
				t.Errorf("added %s", added.Raw)
			}
			if !strings.Contains(st.Diff, "+ [") || !strings.Contains(st.Diff, "--- endpoint policy (before)") {
				t.Errorf("diff:\n%s", st.Diff)
			}
			a := st.Report(report.ActionPlanned)
			if a.Detail[DetailOldPolicy] != old || a.Detail[DetailNewPolicy] != st.NewPolicy || a.Detail[DetailDiff] != st.Diff {
				t.Errorf("detail lacks the policies or the diff")
			}
			// Merging the merged policy adds nothing.
			s2 := newSnap()
			addEndpoint(s2, "vpce-1", st.NewPolicy, "rtb-a", "rtb-c", "rtb-main")
			if again := plan(s2); len(again) != 0 {
				t.Errorf("the merged policy plans again: %q", summary(again))
			}
		})
	}
}

func TestPlanOnlyForFailingChecks(t *testing.T) {
	s := newSnap()
	results := checks.Run(s, checks.Catalogue())
	for i := range results {
		if results[i].ID == checks.S3EndpointPresent {
			results[i].Status = report.StatusUnknown
		}
	}
	if steps := Plan(s, results, Options{}); len(steps) != 0 {
		t.Errorf("an unknown check planned %q", summary(steps))
	}
	if steps := Plan(s, nil, Options{}); len(steps) != 0 {
		t.Errorf("no results planned %q", summary(steps))
	}
	if steps := Plan(nil, results, Options{}); steps != nil {
		t.Errorf("nil snapshot planned %q", summary(steps))
	}
}

func TestPlanOtherPartition(t *testing.T) {
	s := newSnap()
	s.Region, s.Partition = "cn-north-1", "aws-cn"
	steps := Plan(s, checks.Run(s, checks.Catalogue()), Options{})
	if len(steps) != 1 || steps[0].Create == nil {
		t.Fatalf("steps %q", summary(steps))
	}
	in := steps[0].Create
	if aws.ToString(in.ServiceName) != "com.amazonaws.cn-north-1.s3" {
		t.Errorf("service %s", aws.ToString(in.ServiceName))
	}
	if doc := aws.ToString(in.PolicyDocument); !strings.Contains(doc, "arn:aws-cn:s3:::packages.*.amazonaws.com.cn/*") {
		t.Errorf("policy %s", doc)
	}

	bad := newSnap()
	bad.Region = "nowhere"
	steps = Plan(bad, checks.Run(bad, checks.Catalogue()), Options{})
	if len(steps) != 1 || steps[0].Refused == "" || !strings.Contains(steps[0].Refused, "never creates an endpoint with the full-access default") {
		t.Errorf("invalid region: %q %v", summary(steps), steps)
	}
}

func TestClientToken(t *testing.T) {
	a := ClientToken("vpc-1")
	if a != ClientToken("vpc-1") {
		t.Error("the token is not deterministic")
	}
	if a == ClientToken("vpc-2") {
		t.Error("two VPCs, one token")
	}
	// One token per VPC whatever the route tables: two events for models
	// with disjoint route tables create one endpoint.
	s1, s2 := newSnap(), newSnap()
	s2.Models = s2.Models[1:] // only m2, on rtb-c
	p1, p2 := plan(s1), plan(s2)
	if len(p1) != 1 || len(p2) != 1 || aws.ToString(p1[0].Create.ClientToken) != aws.ToString(p2[0].Create.ClientToken) ||
		slices.Equal(p1[0].Create.RouteTableIds, p2[0].Create.RouteTableIds) {
		t.Errorf("creates for other route tables of one VPC: %q / %q", summary(p1), summary(p2))
	}
	if len(a) > 64 {
		t.Errorf("token %q is %d characters", a, len(a))
	}
	for _, c := range a {
		if c > 126 || c < 33 {
			t.Errorf("token %q is not printable ASCII", a)
		}
	}
}

// TestPlanRefusesToDenyOwnArtifact: a model whose artifacts live in a
// bucket the repository patterns match (al2023-repos-us-east-1-* is a name
// any account can take) would be locked out by the Deny; add-al-repo-deny
// refuses and says which artifact.
func TestPlanRefusesToDenyOwnArtifact(t *testing.T) {
	s := newSnap()
	addEndpoint(s, "vpce-1", policy.DefaultEndpointPolicy, "rtb-a", "rtb-c", "rtb-main")
	s.Models[1].Artifacts = []inventory.Artifact{{Field: "ModelDataUrl", URI: "s3://al2023-repos-us-east-1-ml-team/m2/model.tar.gz",
		Bucket: "al2023-repos-us-east-1-ml-team", Key: "m2/model.tar.gz"}}
	steps := plan(s)
	if len(steps) != 1 || steps[0].Action != report.ActionAddALRepoDeny || steps[0].Modify != nil {
		t.Fatalf("steps %q", summary(steps))
	}
	if why := steps[0].Refused; !strings.Contains(why, "model m2's s3://al2023-repos-us-east-1-ml-team/m2/model.tar.gz") || !strings.Contains(why, "never locks a model out of its own artifacts") {
		t.Errorf("refusal: %s", why)
	}
	// An artifact outside the repository patterns does not stop the merge.
	s.Models[1].Artifacts[0].Bucket, s.Models[1].Artifacts[0].URI = "ml-artifacts", "s3://ml-artifacts/m2/model.tar.gz"
	if steps := plan(s); len(steps) != 1 || steps[0].Modify == nil {
		t.Fatalf("an unrelated artifact blocks the merge: %q %s", summary(steps), steps[0].Refused)
	}
}
