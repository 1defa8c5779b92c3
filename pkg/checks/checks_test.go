package checks

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/nacl"
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
			Artifacts:       []inventory.Artifact{{Field: "ModelDataUrl", URI: "s3://ml-artifacts/fraud-v3/model.tar.gz", Bucket: bucket, Key: "fraud-v3/model.tar.gz"}},
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
		S3CIDRs:      inventory.Known([]string{"3.5.0.0/19", "52.216.0.0/15", "54.231.0.0/16"}),
		SubnetACLs: inventory.Known(map[string]inventory.NetworkACL{
			subnetA: defaultACL(),
			subnetB: {ID: aclB, VPCID: vpcID, SubnetIDs: []string{subnetB}, Entries: []nacl.Entry{
				{RuleNumber: 100, Egress: true, Protocol: "6", Action: "allow", CIDR: "0.0.0.0/0", Ports: &nacl.PortRange{From: 443, To: 443}},
				{RuleNumber: 100, Protocol: "6", Action: "allow", CIDR: "0.0.0.0/0", Ports: &nacl.PortRange{From: 1024, To: 65535}},
				{RuleNumber: nacl.DefaultRule, Egress: true, Protocol: "-1", Action: "deny", CIDR: "0.0.0.0/0"},
				{RuleNumber: nacl.DefaultRule, Protocol: "-1", Action: "deny", CIDR: "0.0.0.0/0"},
			}},
		}),
		Roles: map[string]inventory.Fact[inventory.RolePermissions]{roleARN: inventory.Known(inventory.RolePermissions{RoleARN: roleARN, Allowed: allowed})},
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
			DefaultACL:  inventory.Known(defaultACL()),
		}},
	}
}

const (
	aclDefault = "acl-default"
	aclB       = "acl-b"
)

// defaultACL is a VPC's default network ACL as AWS creates it: all IPv4
// traffic allowed both ways (rule 100), the rest denied ('*').
func defaultACL() inventory.NetworkACL {
	return inventory.NetworkACL{ID: aclDefault, VPCID: vpcID, Default: true, SubnetIDs: []string{subnetA}, Entries: []nacl.Entry{
		{RuleNumber: 100, Egress: true, Protocol: "-1", Action: "allow", CIDR: "0.0.0.0/0"},
		{RuleNumber: 100, Protocol: "-1", Action: "allow", CIDR: "0.0.0.0/0"},
		{RuleNumber: nacl.DefaultRule, Egress: true, Protocol: "-1", Action: "deny", CIDR: "0.0.0.0/0"},
		{RuleNumber: nacl.DefaultRule, Protocol: "-1", Action: "deny", CIDR: "0.0.0.0/0"},
	}}
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
		VPCDNS, BucketPolicyVPCRestricted, ExecutionRoleENIPermission, OutboundAccess, VPCFlowLogs, NetworkACLS3}
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
		{name: "artifact outside the allow-list", check: S3EndpointPolicyAllows, status: report.StatusFail, resource: "fraud-v3",
			message: "model fraud-v3 cannot read s3://ml-artifacts/fraud-v3/model.tar.gz (container 0 ModelDataUrl): no Allow covers it", fix: `"Resource":["arn:aws:s3:::ml-artifacts/fraud-v3/model.tar.gz"]`,
			mutate: func(s *inventory.Snapshot) {
				s.VPCs[vpcID].Endpoints.Value[0].PolicyDocument = strings.Replace(hardened, "arn:aws:s3:::ml-artifacts/*", "arn:aws:s3:::models-prod-*/*", 1)
			}},
		{name: "network ACL denies HTTPS to S3", check: NetworkACLS3, status: report.StatusFail, resource: aclB,
			message: "network ACL acl-b of subnets subnet-0b (models fraud-v3) blocks the S3 gateway endpoint: outbound TCP 443 to 52.216.0.0/15 is denied by rule 90",
			fix:     "aws ec2 create-network-acl-entry --region us-east-1 --network-acl-id acl-b --egress --rule-number 89 --protocol tcp --port-range From=443,To=443 --cidr-block 52.216.0.0/15 --rule-action allow",
			mutate: func(s *inventory.Snapshot) {
				a := s.SubnetACLs.Value[subnetB]
				a.Entries = append(a.Entries, nacl.Entry{RuleNumber: 90, Egress: true, Protocol: "6", Action: "deny", CIDR: "52.216.0.0/15", Ports: &nacl.PortRange{From: 443, To: 443}})
				s.SubnetACLs.Value[subnetB] = a
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

// TestEndpointPolicyPerArtifact: s3-endpoint-policy-allows judges each
// artifact of each model the endpoint serves with Evaluate (IAM User Guide,
// "The difference between explicit and implicit denies": an applicable
// Deny trumps an Allow; with no applicable Allow the request is denied).
func TestEndpointPolicyPerArtifact(t *testing.T) {
	policyOf := func(statements ...string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
	}
	allowBucket := `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::ml-artifacts/*"}`
	prefix := inventory.Artifact{Container: 1, Field: "ModelDataSource", URI: "s3://ml-artifacts/llm/", Bucket: bucket, Key: "llm/" + inventory.RepresentativeObject, Prefix: true}
	for _, tc := range []struct {
		name      string
		policy    string
		artifacts []inventory.Artifact // nil: the compliant model's
		status    report.Status
		message   []string
		fix       string
	}{
		{name: "allowed", policy: policyOf(allowBucket), status: report.StatusPass, message: []string{"allows s3:GetObject on all 1 artifact of the models it serves"}},
		{name: "explicitly denied", status: report.StatusFail,
			policy:  policyOf(allowBucket, `{"Sid":"NoTarballs","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::*.tar.gz"}`),
			message: []string{`model fraud-v3 cannot read s3://ml-artifacts/fraud-v3/model.tar.gz (container 0 ModelDataUrl): explicitly denied by Statement[1] (Sid "NoTarballs")`},
			fix:     `narrow Statement[1] (Sid "NoTarballs") so that it no longer covers arn:aws:s3:::ml-artifacts/fraud-v3/model.tar.gz`},
		{name: "conditional allow counts, with the caveat", status: report.StatusPass,
			policy:  policyOf(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::ml-artifacts/*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}`),
			message: []string{"allowed only by Statement[0] (it has a Condition), counted as allowed"}},
		{name: "conditional deny is named as uncounted", status: report.StatusPass,
			policy:  policyOf(allowBucket, `{"Sid":"OnlyTLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`),
			message: []string{`Statement[1] (Sid "OnlyTLS") would deny model fraud-v3's s3://ml-artifacts/fraud-v3/model.tar.gz but is not counted (it has a Condition)`}},
		{name: "deny-only still fails", status: report.StatusFail,
			policy:  `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*"}]}`,
			message: []string{"lets no S3 request through (the policy has no Allow statement (deny-only))"}},
		{name: "prefix allowed as a whole", status: report.StatusPass, artifacts: []inventory.Artifact{prefix},
			policy: policyOf(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::ml-artifacts/llm/*"}`)},
		{name: "prefix allowed for one file only", status: report.StatusFail, artifacts: []inventory.Artifact{prefix},
			policy:  policyOf(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::ml-artifacts/llm/config.json"}`),
			message: []string{"s3://ml-artifacts/llm/ (container 1 ModelDataSource, an S3 prefix judged by the object llm/vpcguard-representative-object): no Allow covers it"},
			fix:     `"Resource":["arn:aws:s3:::ml-artifacts/llm/*"]`},
		// The false pass, for a model without S3 artifacts: the
		// Deny of s3:* on the bucket and its objects takes back the Allow.
		{name: "allow taken back, no artifacts", status: report.StatusFail, artifacts: []inventory.Artifact{},
			policy: policyOf(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::ml-artifacts/*"}`,
				`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::ml-artifacts","arn:aws:s3:::ml-artifacts/*"]}`),
			message: []string{"lets no S3 request through (every S3 request an Allow covers is also covered by an unconditional Deny for everyone)"}},
		{name: "some allow survives, no artifacts", status: report.StatusPass, artifacts: []inventory.Artifact{},
			policy:  policyOf(allowBucket),
			message: []string{"no model in scope has S3 artifacts", "Statement[0] still allows requests such as s3:getobject on arn:aws:s3:::ml-artifacts/x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := compliant()
			s.VPCs[vpcID].Endpoints.Value[0].PolicyDocument = tc.policy
			if tc.artifacts != nil {
				s.Models[0].Artifacts = tc.artifacts
			}
			c := run(t, s)[S3EndpointPolicyAllows]
			if c.Status != tc.status {
				t.Fatalf("status %s, want %s: %s", c.Status, tc.status, c.Message)
			}
			for _, m := range tc.message {
				if !strings.Contains(c.Message, m) {
					t.Errorf("message %q\nlacks %q", c.Message, m)
				}
			}
			if !strings.Contains(c.Remediation, tc.fix) {
				t.Errorf("remediation %q lacks %q", c.Remediation, tc.fix)
			}
		})
	}
}

// TestEndpointPolicyServesItsModels: with two S3 endpoints in a VPC, a
// model is judged against the one its subnets route through.
func TestEndpointPolicyServesItsModels(t *testing.T) {
	s := compliant()
	v := s.VPCs[vpcID]
	v.Endpoints.Value[0].RouteTableIDs = []string{rtMain}
	v.Endpoints.Value = append(v.Endpoints.Value, inventory.Endpoint{ID: "vpce-other", VPCID: vpcID, ServiceName: "com.amazonaws.us-east-1.s3", Type: "Gateway", State: "available",
		RouteTableIDs: []string{rtB}, PolicyDocument: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::elsewhere/*"}]}`})
	c := run(t, s)[S3EndpointPolicyAllows]
	if c.Status != report.StatusFail || !strings.Contains(c.Message, "S3 endpoint vpce-other") || strings.Contains(c.Message, "S3 endpoint vpce-s3 ") {
		t.Fatalf("subnet-0b routes through vpce-other, which blocks the artifact: %s %s", c.Status, c.Message)
	}
	// Once no subnet of the model routes through vpce-other, its policy
	// does not concern the model.
	v.Endpoints.Value[0].RouteTableIDs = []string{rtMain, rtB}
	v.Endpoints.Value[1].RouteTableIDs = nil
	if c := run(t, s)[S3EndpointPolicyAllows]; c.Status != report.StatusPass {
		t.Fatalf("only vpce-s3 serves the model: %s %s", c.Status, c.Message)
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
	for _, id := range []string{S3EndpointPresent, S3EndpointRoutes, VPCDNS, OutboundAccess, VPCFlowLogs, SecurityGroupEgressS3, SubnetIPCapacity, NetworkACLS3} {
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
