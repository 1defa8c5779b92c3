package checks

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/report"
)

const (
	region   = "us-east-1"
	vpcID    = "vpc-0a1"
	subnetA  = "subnet-0a"
	subnetB  = "subnet-0b"
	sgID     = "sg-01"
	rtMain   = "rtb-main"
	rtB      = "rtb-b"
	s3EP     = "vpce-s3"
	s3PL     = "pl-63a5400a"
	roleARN  = "arn:aws:iam::111122223333:role/sagemaker-exec"
	bucket   = "ml-artifacts"
	hardened = `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::ml-artifacts/*"},` +
		`{"Sid":"DenyAL","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":["arn:aws:s3:::packages.*.amazonaws.com/*","arn:aws:s3:::repo.*.amazonaws.com/*","arn:aws:s3:::amazonlinux.*.amazonaws.com/*","arn:aws:s3:::amazonlinux-2-repos-us-east-1/*","arn:aws:s3:::al2023-repos-us-east-1-*/*"]}]}`
	defaultPolicy = `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
)

// compliant is a snapshot where every check passes: one model in two zones,
// an S3 endpoint on both route tables with a custom policy, DNS on, flow
// logs on, a NAT route, the role allowed, the bucket restricted.
func compliant() *inventory.Snapshot {
	allowed := map[string]bool{}
	for _, a := range ENIActions() {
		allowed[a] = true
	}
	return &inventory.Snapshot{
		Account: "111122223333", Region: region, Partition: "aws",
		Models: []inventory.Model{{
			Name: "fraud-v3", ExecutionRoleARN: roleARN, Instances: 2, InstancesFrom: "test",
			VPCConfig:       &inventory.VPCConfig{SubnetIDs: []string{subnetA, subnetB}, SecurityGroupIDs: []string{sgID}},
			ArtifactBuckets: []string{bucket},
		}},
		ModelErrs: map[string]error{},
		Subnets: inventory.Known(map[string]inventory.Subnet{
			subnetA: {ID: subnetA, VPCID: vpcID, AZ: "us-east-1a", AvailableIPs: 100},
			subnetB: {ID: subnetB, VPCID: vpcID, AZ: "us-east-1b", AvailableIPs: 100},
		}),
		SecurityGroups: inventory.Known(map[string]inventory.SecurityGroup{
			sgID: {ID: sgID, VPCID: vpcID, Egress: []inventory.Permission{{Protocol: "tcp", FromPort: 443, ToPort: 443, PrefixListIDs: []string{s3PL}}}},
		}),
		S3PrefixList: inventory.Known(s3PL),
		Roles:        map[string]inventory.Fact[inventory.RolePermissions]{roleARN: inventory.Known(inventory.RolePermissions{RoleARN: roleARN, Allowed: allowed})},
		Buckets: map[string]inventory.Fact[inventory.BucketPolicy]{bucket: inventory.Known(inventory.BucketPolicy{Bucket: bucket, Exists: true,
			Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::ml-artifacts","arn:aws:s3:::ml-artifacts/*"],"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-s3"}}}]}`})},
		VPCs: map[string]*inventory.VPC{vpcID: {
			ID:   vpcID,
			Info: inventory.Known(inventory.VPCInfo{DHCPOptionsID: "dopt-1"}),
			DNS:  inventory.Known(inventory.DNSAttributes{Support: true, Hostnames: true}),
			DHCP: inventory.Known(inventory.DHCPOptions{ID: "dopt-1", DomainNameServers: []string{"AmazonProvidedDNS"}}),
			RouteTables: inventory.Known([]inventory.RouteTable{
				{ID: rtMain, VPCID: vpcID, Main: true, Routes: []inventory.Route{{DestinationCIDR: "0.0.0.0/0", NATGatewayID: "nat-1", State: "active"}}},
				{ID: rtB, VPCID: vpcID, SubnetIDs: []string{subnetB}, Routes: []inventory.Route{{DestinationCIDR: "0.0.0.0/0", NATGatewayID: "nat-1", State: "active"}}},
			}),
			Endpoints: inventory.Known([]inventory.Endpoint{{ID: s3EP, VPCID: vpcID, ServiceName: "com.amazonaws.us-east-1.s3", Type: "Gateway", State: "available",
				RouteTableIDs: []string{rtMain, rtB}, PolicyDocument: hardened}}),
			FlowLogs:    inventory.Known([]inventory.FlowLog{{ID: "fl-1", TrafficType: "ALL", Status: "ACTIVE"}}),
			NATGateways: inventory.Known([]inventory.NATGateway{{ID: "nat-1", State: "available"}}),
		}},
	}
}

func run(t *testing.T, s *inventory.Snapshot) map[string]report.Check {
	t.Helper()
	out := map[string]report.Check{}
	for _, c := range Run(s, Catalogue()) {
		out[c.ID] = c
	}
	return out
}

func TestCompliantSnapshotPassesEveryCheck(t *testing.T) {
	for id, c := range run(t, compliant()) {
		if c.Status != report.StatusPass {
			t.Errorf("%s = %s: %s", id, c.Status, c.Message)
		}
		if c.Remediation != "" {
			t.Errorf("%s: a passing check carries remediation %q", id, c.Remediation)
		}
	}
}

func TestCatalogueIsComplete(t *testing.T) {
	want := []string{ModelInVPC, SubnetsMultiAZ, SubnetIPCapacity, SecurityGroupsValid, SecurityGroupEgressS3,
		S3EndpointPresent, S3EndpointRoutes, S3EndpointPolicyCustom, S3EndpointDeniesALRepos, S3EndpointPolicyAllows,
		VPCDNS, BucketPolicyVPCRestricted, ExecutionRoleENIPermission, OutboundAccess, VPCFlowLogs}
	defs := Catalogue()
	if len(defs) != len(want) {
		t.Fatalf("catalogue has %d checks, want %d", len(defs), len(want))
	}
	for i, d := range defs {
		if d.ID != want[i] {
			t.Errorf("check %d = %s, want %s", i, d.ID, want[i])
		}
		if d.Title == "" || d.Guideline == "" || d.Severity.Rank() < 0 || d.Evaluate == nil {
			t.Errorf("%s is not fully described: %+v", d.ID, d)
		}
	}
}

// TestEachCheckFires breaks one thing at a time and expects exactly the
// check that guards it to fail, naming the resource.
func TestEachCheckFires(t *testing.T) {
	accessDenied := errors.New("api error UnauthorizedOperation: You are not authorized to perform this operation.")
	cases := []struct {
		name     string
		check    string
		status   report.Status
		mutate   func(*inventory.Snapshot)
		resource string // must appear in Resources
		message  string // must appear in Message
		fix      string // must appear in Remediation
		alsoFail []string
	}{
		{name: "no VpcConfig", check: ModelInVPC, status: report.StatusFail, resource: "fraud-v3", message: "no VpcConfig", fix: "aws sagemaker create-model",
			mutate: func(s *inventory.Snapshot) { s.Models[0].VPCConfig = nil }},
		{name: "single AZ", check: SubnetsMultiAZ, status: report.StatusFail, resource: subnetA, message: "1 Availability Zone",
			mutate: func(s *inventory.Snapshot) {
				sn := s.Subnets.Value[subnetB]
				sn.AZ = "us-east-1a"
				s.Subnets.Value[subnetB] = sn
			}},
		{name: "too few free IPs", check: SubnetIPCapacity, status: report.StatusFail, resource: subnetB, message: "needs 4 free IPs for 2 instances (test); its subnets have 3",
			mutate: func(s *inventory.Snapshot) {
				for id, n := range map[string]int{subnetA: 1, subnetB: 2} {
					sn := s.Subnets.Value[id]
					sn.AvailableIPs = n
					s.Subnets.Value[id] = sn
				}
			}},
		{name: "missing security group", check: SecurityGroupsValid, status: report.StatusFail, resource: sgID, message: "do not exist: sg-01",
			alsoFail: []string{SecurityGroupEgressS3},
			mutate:   func(s *inventory.Snapshot) { delete(s.SecurityGroups.Value, sgID) }},
		{name: "security group of another VPC", check: SecurityGroupsValid, status: report.StatusFail, resource: sgID, message: "belong to another VPC",
			mutate: func(s *inventory.Snapshot) {
				sg := s.SecurityGroups.Value[sgID]
				sg.VPCID = "vpc-other"
				s.SecurityGroups.Value[sgID] = sg
			}},
		{name: "no HTTPS egress", check: SecurityGroupEgressS3, status: report.StatusFail, resource: sgID, fix: "authorize-security-group-egress --group-id sg-01",
			mutate: func(s *inventory.Snapshot) {
				sg := s.SecurityGroups.Value[sgID]
				sg.Egress = []inventory.Permission{{Protocol: "tcp", FromPort: 80, ToPort: 80, IPv4Ranges: []string{"0.0.0.0/0"}}}
				s.SecurityGroups.Value[sgID] = sg
			}},
		{name: "no S3 endpoint", check: S3EndpointPresent, status: report.StatusFail, resource: vpcID, message: "has no S3 gateway endpoint", fix: "--route-table-ids rtb-main rtb-b",
			alsoFail: []string{BucketPolicyVPCRestricted}, // its condition names the endpoint that is gone
			mutate:   func(s *inventory.Snapshot) { s.VPCs[vpcID].Endpoints = inventory.Known[[]inventory.Endpoint](nil) }},
		{name: "deleted S3 endpoint", check: S3EndpointPresent, status: report.StatusFail, resource: vpcID, message: "S3 endpoint vpce-s3 was deleted",
			alsoFail: []string{BucketPolicyVPCRestricted},
			mutate: func(s *inventory.Snapshot) {
				s.VPCs[vpcID].Endpoints.Value[0].State = "deleted"
				s.Trigger = &inventory.EndpointRef{IDs: []string{s3EP}, VPCID: vpcID, Deleted: true}
			}},
		{name: "endpoint missing a route table", check: S3EndpointRoutes, status: report.StatusFail, resource: rtB, message: "rtb-b (subnets subnet-0b)", fix: "--add-route-table-ids rtb-b",
			mutate: func(s *inventory.Snapshot) { s.VPCs[vpcID].Endpoints.Value[0].RouteTableIDs = []string{rtMain} }},
		{name: "default policy", check: S3EndpointPolicyCustom, status: report.StatusFail, resource: s3EP, message: "default full-access policy",
			alsoFail: []string{S3EndpointDeniesALRepos},
			mutate:   func(s *inventory.Snapshot) { s.VPCs[vpcID].Endpoints.Value[0].PolicyDocument = defaultPolicy }},
		{name: "AL repos readable", check: S3EndpointDeniesALRepos, status: report.StatusFail, resource: s3EP, message: "packages.*.amazonaws.com", fix: `"Effect":"Deny"`,
			mutate: func(s *inventory.Snapshot) {
				s.VPCs[vpcID].Endpoints.Value[0].PolicyDocument = `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"},{"Effect":"Deny","Principal":"*","NotAction":"s3:Get*","Resource":"*"}]}`
			}},
		{name: "deny-only policy", check: S3EndpointPolicyAllows, status: report.StatusFail, resource: s3EP, message: "no Allow statement",
			mutate: func(s *inventory.Snapshot) {
				s.VPCs[vpcID].Endpoints.Value[0].PolicyDocument = `{"Statement":{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::packages.*.amazonaws.com/*"}}`
			}},
		{name: "DNS support off", check: VPCDNS, status: report.StatusFail, resource: vpcID, message: "enableDnsSupport is off", fix: "--enable-dns-support",
			mutate: func(s *inventory.Snapshot) { s.VPCs[vpcID].DNS.Value.Support = false }},
		{name: "custom DNS servers", check: VPCDNS, status: report.StatusFail, resource: vpcID, message: "custom DNS servers 10.0.0.2",
			mutate: func(s *inventory.Snapshot) { s.VPCs[vpcID].DHCP.Value.DomainNameServers = []string{"10.0.0.2"} }},
		{name: "bucket without policy", check: BucketPolicyVPCRestricted, status: report.StatusFail, resource: bucket, message: "no bucket policy",
			mutate: func(s *inventory.Snapshot) {
				s.Buckets[bucket] = inventory.Known(inventory.BucketPolicy{Bucket: bucket})
			}},
		{name: "role without ENI permissions", check: ExecutionRoleENIPermission, status: report.StatusFail, resource: roleARN, message: "ec2:CreateNetworkInterface, ec2:CreateNetworkInterfacePermission",
			fix: "aws iam put-role-policy --role-name sagemaker-exec",
			mutate: func(s *inventory.Snapshot) {
				s.Roles[roleARN].Value.Allowed["ec2:CreateNetworkInterface"] = false
				s.Roles[roleARN].Value.Allowed["ec2:CreateNetworkInterfacePermission"] = false
			}},
		{name: "isolated subnets", check: OutboundAccess, status: report.StatusFail, resource: subnetA, message: "subnets subnet-0a have no NAT route",
			mutate: func(s *inventory.Snapshot) { s.VPCs[vpcID].RouteTables.Value[0].Routes = nil }},
		{name: "no flow logs", check: VPCFlowLogs, status: report.StatusFail, resource: vpcID, message: "no active flow log", fix: "create-flow-logs",
			mutate: func(s *inventory.Snapshot) { s.VPCs[vpcID].FlowLogs = inventory.Known[[]inventory.FlowLog](nil) }},
		{name: "route tables unreadable", check: S3EndpointRoutes, status: report.StatusUnknown, resource: vpcID, message: "could not verify the route tables of vpc-0a1: api error UnauthorizedOperation",
			alsoFail: []string{OutboundAccess},
			mutate: func(s *inventory.Snapshot) {
				s.VPCs[vpcID].RouteTables = inventory.Failed[[]inventory.RouteTable](accessDenied)
			}},
		{name: "role unreadable", check: ExecutionRoleENIPermission, status: report.StatusUnknown, resource: roleARN, message: "could not verify",
			mutate: func(s *inventory.Snapshot) {
				s.Roles[roleARN] = inventory.Failed[inventory.RolePermissions](accessDenied)
			}},
		{name: "model unreadable", check: ModelInVPC, status: report.StatusUnknown, resource: "model fraud-v4", message: "could not verify model fraud-v4",
			alsoFail: []string{SubnetsMultiAZ, SubnetIPCapacity, SecurityGroupsValid, SecurityGroupEgressS3, ExecutionRoleENIPermission, BucketPolicyVPCRestricted},
			mutate:   func(s *inventory.Snapshot) { s.ModelErrs["model fraud-v4"] = accessDenied }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := compliant()
			tc.mutate(s)
			got := run(t, s)
			c := got[tc.check]
			if c.Status != tc.status {
				t.Fatalf("%s = %s (%s), want %s", tc.check, c.Status, c.Message, tc.status)
			}
			if !slices.Contains(c.Resources, tc.resource) {
				t.Errorf("resources %v lack %s", c.Resources, tc.resource)
			}
			if !strings.Contains(c.Message, tc.message) {
				t.Errorf("message %q lacks %q", c.Message, tc.message)
			}
			if c.Remediation == "" || !strings.Contains(c.Remediation, tc.fix) {
				t.Errorf("remediation %q lacks %q", c.Remediation, tc.fix)
			}
			for id, other := range got {
				if id == tc.check || slices.Contains(tc.alsoFail, id) {
					continue
				}
				if other.Status == report.StatusFail || other.Status == report.StatusUnknown {
					t.Errorf("unrelated check %s = %s: %s", id, other.Status, other.Message)
				}
			}
		})
	}
}

func TestModelWithoutVPCMakesNetworkChecksNotApplicable(t *testing.T) {
	s := compliant()
	s.Models[0].VPCConfig = nil
	got := run(t, s)
	for _, id := range []string{SubnetsMultiAZ, SubnetIPCapacity, S3EndpointPresent, S3EndpointRoutes, VPCDNS, VPCFlowLogs} {
		if got[id].Status != report.StatusNotApplicable {
			t.Errorf("%s = %s, want not-applicable", id, got[id].Status)
		}
	}
}

func TestEndpointEventWithoutModelsChecksOnlyThePolicy(t *testing.T) {
	s := compliant()
	s.Models = nil
	s.Trigger = &inventory.EndpointRef{IDs: []string{s3EP}, VPCID: vpcID}
	s.VPCs[vpcID].Endpoints.Value[0].PolicyDocument = defaultPolicy
	got := map[string]report.Check{}
	for _, c := range Run(s, EndpointDependent(Catalogue())) {
		got[c.ID] = c
	}
	if len(got) != 5 {
		t.Fatalf("endpoint-dependent checks = %d, want 5", len(got))
	}
	if got[S3EndpointPolicyCustom].Status != report.StatusFail {
		t.Errorf("policy-custom = %s", got[S3EndpointPolicyCustom].Status)
	}
	if got[S3EndpointRoutes].Status != report.StatusNotApplicable || got[S3EndpointPresent].Status != report.StatusPass {
		t.Errorf("routes = %s, present = %s", got[S3EndpointRoutes].Status, got[S3EndpointPresent].Status)
	}
}

func TestSubnetsUnreadableNeverPass(t *testing.T) {
	s := compliant()
	s.Subnets = inventory.Failed[map[string]inventory.Subnet](errors.New("throttled"))
	got := run(t, s)
	for _, id := range []string{SubnetsMultiAZ, SubnetIPCapacity, S3EndpointPresent} {
		if got[id].Status != report.StatusUnknown {
			t.Errorf("%s = %s, want unknown", id, got[id].Status)
		}
	}
}

// A change whose models could not be listed has no model placed anywhere:
// the VPC checks must be unknown, never "not applicable" (which sends
// nothing).
func TestUnlistedModelsMakeVPCChecksUnknown(t *testing.T) {
	s := compliant()
	s.Models = nil
	s.ModelErrs["the account's models"] = errors.New("list models: AccessDeniedException")
	got := run(t, s)
	for _, id := range []string{S3EndpointPresent, S3EndpointRoutes, VPCDNS, OutboundAccess, VPCFlowLogs, SecurityGroupEgressS3, SubnetIPCapacity} {
		if c := got[id]; c.Status != report.StatusUnknown || !strings.Contains(c.Message, "the account's models") {
			t.Errorf("%s = %s (%s), want unknown", id, c.Status, c.Message)
		}
	}
	// Without errors, no model is simply nothing to evaluate.
	s.ModelErrs = map[string]error{}
	for id, c := range run(t, s) {
		if c.Status != report.StatusNotApplicable {
			t.Errorf("%s = %s without models", id, c.Status)
		}
	}
}

func TestOnlyKeepsCatalogueOrder(t *testing.T) {
	defs := Only(Catalogue(), OutboundAccess, S3EndpointRoutes, "no-such-check")
	if len(defs) != 2 || defs[0].ID != S3EndpointRoutes || defs[1].ID != OutboundAccess {
		t.Errorf("Only = %v", defs)
	}
}
