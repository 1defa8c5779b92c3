package checks

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/report"
)

func ref(typ, id string) report.Ref { return report.Ref{Type: typ, ID: id} }

// TestEveryCheckHasOneVerdictPerSubject: on the compliant snapshot, each
// check judges exactly the resource its catalogue entry names: the model,
// the VPC, the S3 endpoint, the bucket or the role.
func TestEveryCheckHasOneVerdictPerSubject(t *testing.T) {
	want := map[string]report.Ref{
		ModelInVPC: ref(report.ResourceModel, "fraud-v3"), SubnetsMultiAZ: ref(report.ResourceModel, "fraud-v3"),
		SubnetIPCapacity: ref(report.ResourceModel, "fraud-v3"), SecurityGroupsValid: ref(report.ResourceModel, "fraud-v3"),
		SecurityGroupEgressS3: ref(report.ResourceModel, "fraud-v3"),
		S3EndpointPresent:     ref(report.ResourceVPC, vpcID), S3EndpointRoutes: ref(report.ResourceVPC, vpcID),
		VPCDNS: ref(report.ResourceVPC, vpcID), OutboundAccess: ref(report.ResourceVPC, vpcID), VPCFlowLogs: ref(report.ResourceVPC, vpcID),
		S3EndpointPolicyCustom: ref(report.ResourceVPCEndpoint, s3EP), S3EndpointDeniesALRepos: ref(report.ResourceVPCEndpoint, s3EP),
		S3EndpointPolicyAllows:     ref(report.ResourceVPCEndpoint, s3EP),
		BucketPolicyVPCRestricted:  ref(report.ResourceBucket, bucket),
		ExecutionRoleENIPermission: ref(report.ResourceRole, roleARN),
	}
	for id, c := range run(t, compliant()) {
		if id == NetworkACLS3 { // one verdict per network ACL of the model subnets
			if len(c.Verdicts) != 2 || c.Verdicts[0].Subject != ref(report.ResourceNetworkACL, aclDefault) ||
				c.Verdicts[1].Subject != ref(report.ResourceNetworkACL, aclB) || c.Verdicts[0].Status != report.StatusPass {
				t.Errorf("%s: verdicts %+v", id, c.Verdicts)
			}
			continue
		}
		if len(c.Verdicts) != 1 {
			t.Errorf("%s: %d verdicts, want 1: %+v", id, len(c.Verdicts), c.Verdicts)
			continue
		}
		v := c.Verdicts[0]
		if v.Subject != want[id] || v.Status != report.StatusPass || v.Message == "" || v.Remediation != "" {
			t.Errorf("%s: verdict %+v, want a pass about %+v", id, v, want[id])
		}
		if d, _ := Lookup(id); d.Subject() != want[id].Type {
			t.Errorf("%s: catalogue subject %q, verdict subject %q", id, d.Subject(), want[id].Type)
		}
	}
	// The related resources are typed from the snapshot.
	c := run(t, compliant())
	if got := c[SubnetsMultiAZ].Verdicts[0].Related; !slices.Equal(got, []report.Ref{ref(report.ResourceSubnet, subnetA), ref(report.ResourceSubnet, subnetB)}) {
		t.Errorf("subnets-multi-az related %+v", got)
	}
	if got := c[ExecutionRoleENIPermission].Verdicts[0].Related; !slices.Equal(got, []report.Ref{ref(report.ResourceModel, "fraud-v3")}) {
		t.Errorf("role related %+v", got)
	}
}

// TestVerdictsNameExactlyWhatFails: with two models in one VPC, one of them
// single-zone, the model check fails for that model only, while the VPC's
// own checks judge the VPC once; a shared role's verdicts merge.
func TestVerdictsNameExactlyWhatFails(t *testing.T) {
	s := compliant()
	second := s.Models[0]
	second.Name, second.VPCConfig = "fraud-v4", &inventory.VPCConfig{SubnetIDs: []string{subnetA}, SecurityGroupIDs: []string{sgID}}
	s.Models = append(s.Models, second)
	c := run(t, s)

	multi := c[SubnetsMultiAZ]
	if multi.Status != report.StatusFail || len(multi.Verdicts) != 2 {
		t.Fatalf("subnets-multi-az %s with %d verdicts", multi.Status, len(multi.Verdicts))
	}
	for _, v := range multi.Verdicts {
		want := map[string]report.Status{"fraud-v3": report.StatusPass, "fraud-v4": report.StatusFail}[v.Subject.ID]
		if v.Status != want || (v.Status == report.StatusFail) != (v.Remediation != "") {
			t.Errorf("%s: %s (fix %q), want %s", v.Subject.ID, v.Status, v.Remediation, want)
		}
	}
	if len(c[VPCDNS].Verdicts) != 1 {
		t.Errorf("vpc-dns: %d verdicts for one VPC", len(c[VPCDNS].Verdicts))
	}
	role := c[ExecutionRoleENIPermission].Verdicts
	if len(role) != 1 || role[0].Subject.ID != roleARN || !slices.Contains(role[0].Related, report.Ref{Type: report.ResourceModel, ID: "fraud-v4"}) {
		t.Errorf("shared role: %+v", role)
	}
}

// TestVerdictsOfFailuresAndUnknowns: the routes failure is about the VPC
// and names the endpoint and route table; an unreadable role is about the
// model; a model that could not be described is about its name.
func TestVerdictsOfFailuresAndUnknowns(t *testing.T) {
	s := compliant()
	s.VPCs[vpcID].Endpoints.Value[0].RouteTableIDs = []string{rtMain}
	s.Roles[roleARN] = inventory.Failed[inventory.RolePermissions](errors.New("AccessDenied"))
	s.ModelErrs["ghost-model"] = errors.New("ValidationException: Could not find model")
	c := run(t, s)

	routes := c[S3EndpointRoutes].Verdicts
	if len(routes) != 1 || routes[0].Subject != (report.Ref{Type: report.ResourceVPC, ID: vpcID}) || routes[0].Status != report.StatusFail ||
		!slices.Contains(routes[0].Related, report.Ref{Type: report.ResourceVPCEndpoint, ID: s3EP}) ||
		!slices.Contains(routes[0].Related, report.Ref{Type: report.ResourceRouteTable, ID: rtB}) || !strings.Contains(routes[0].Remediation, "modify-vpc-endpoint") {
		t.Errorf("routes verdicts %+v", routes)
	}
	role := c[ExecutionRoleENIPermission].Verdicts
	var sawRole, sawGhost bool
	for _, v := range role {
		switch {
		case v.Subject == (report.Ref{Type: report.ResourceRole, ID: roleARN}) && v.Status == report.StatusUnknown:
			sawRole = true
		case v.Subject == (report.Ref{Type: report.ResourceModel, ID: "ghost-model"}) && v.Status == report.StatusUnknown:
			sawGhost = true
		}
	}
	if !sawRole || !sawGhost {
		t.Errorf("role verdicts %+v", role)
	}
}

// TestBucketVerdictsNameOnlyTheOpenBuckets: of a model's two artifact
// buckets, only the one without a VPC restriction fails.
func TestBucketVerdictsNameOnlyTheOpenBuckets(t *testing.T) {
	s := compliant()
	s.Models[0].ArtifactBuckets = []string{bucket, "open-bucket"}
	s.Buckets["open-bucket"] = inventory.Known(inventory.BucketPolicy{Bucket: "open-bucket"})
	c := run(t, s)[BucketPolicyVPCRestricted]
	if c.Status != report.StatusFail || !slices.Equal(c.Resources, []string{"open-bucket"}) {
		t.Fatalf("%s on %v", c.Status, c.Resources)
	}
	if len(c.Verdicts) != 1 || c.Verdicts[0].Subject != (report.Ref{Type: report.ResourceBucket, ID: "open-bucket"}) ||
		!strings.Contains(c.Verdicts[0].Remediation, "--bucket open-bucket") {
		t.Errorf("verdicts %+v", c.Verdicts)
	}
}

// TestControlMappings: only verified mappings, each check's in its entry,
// and the nearby Security Hub controls vpcguard leaves alone.
func TestControlMappings(t *testing.T) {
	want := map[string][]string{
		ModelInVPC:        {"AWS Config sagemaker-model-in-vpc"},
		S3EndpointPresent: {"AWS Config vpc-endpoint-enabled (serviceNames=s3)", "AWS Config service-vpc-endpoint-enabled (serviceName=s3)"},
		VPCFlowLogs:       {"AWS Security Hub EC2.6", "AWS Config vpc-flow-logs-enabled"},
	}
	for _, d := range Catalogue() {
		var got []string
		for _, c := range d.Controls() {
			got = append(got, c.String())
		}
		if !slices.Equal(got, want[d.ID]) {
			t.Errorf("%s corresponds to %v, want %v", d.ID, got, want[d.ID])
		}
		if d.Subject() == "" {
			t.Errorf("%s names no subject", d.ID)
		}
	}
	var nearby []string
	for _, n := range LeftToSecurityHub() {
		nearby = append(nearby, n.ID)
		if n.Title == "" || n.Config == "" || n.Why == "" || n.Source != ControlSourceSecurityHub {
			t.Errorf("%+v is not fully described", n)
		}
	}
	if !slices.Equal(nearby, []string{"SageMaker.5", "SageMaker.4"}) {
		t.Errorf("left to Security Hub: %v", nearby)
	}
}
