package checks

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/report"
)

const exemptKey = "vpcguard:exempt"

var evalTime = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)

func runExempt(t *testing.T, s *inventory.Snapshot) map[string]report.Check {
	t.Helper()
	out := map[string]report.Check{}
	for _, c := range RunWith(s, Catalogue(), Exemptions{Tag: exemptKey, Now: evalTime}) {
		out[c.ID] = c
	}
	return out
}

// noFlowLogs is the compliant snapshot with vpc-flow-logs failing.
func noFlowLogs() *inventory.Snapshot {
	s := compliant()
	s.VPCs[vpcID].FlowLogs = inventory.Known([]inventory.FlowLog(nil))
	return s
}

func tagVPC(s *inventory.Snapshot, id, value string) {
	v := s.VPCs[id]
	info := v.Info.Value
	info.Tags = map[string]string{exemptKey: value}
	v.Info = inventory.Known(info)
}

func TestExemptVPCCheck(t *testing.T) {
	s := noFlowLogs()
	tagVPC(s, vpcID, "checks=vpc-flow-logs; reason=flow logs go to the central account; owner=netops@example.com; expires=2027-03-31")
	got := runExempt(t, s)
	c := got[VPCFlowLogs]
	if c.Status != report.StatusExempt {
		t.Fatalf("vpc-flow-logs = %s: %s", c.Status, c.Message)
	}
	for _, want := range []string{"has no active flow log", "exempt: VPC vpc-0a1", `reason "flow logs go to the central account"`, "owner netops@example.com", "until 2027-03-31"} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("message %q lacks %q", c.Message, want)
		}
	}
	if len(c.Exemptions) != 1 || c.Exemptions[0] != (report.Exemption{Resource: vpcID, Tag: exemptKey,
		Reason: "flow logs go to the central account", Owner: "netops@example.com", Expires: "2027-03-31"}) {
		t.Errorf("exemptions = %+v", c.Exemptions)
	}
	for id, c := range got {
		if id != VPCFlowLogs && c.Status != report.StatusPass {
			t.Errorf("%s = %s: the exemption touched another check", id, c.Status)
		}
	}
	r := report.Result{Checks: RunWith(s, Catalogue(), Exemptions{Tag: exemptKey, Now: evalTime})}
	if len(r.Failing()) != 0 || len(r.Exempt()) != 1 {
		t.Errorf("failing %v, exempt %v", r.Failing(), r.Exempt())
	}
}

func TestExemptionOfAModelCheckOnTheVPC(t *testing.T) {
	s := compliant()
	sn := s.Subnets.Value[subnetB]
	sn.AZ = "us-east-1a"
	s.Subnets.Value[subnetB] = sn
	tagVPC(s, vpcID, "checks=subnets-multi-az reason=dev VPC owner=ml owner=ml-dev expires=2027-03-31")
	if c := runExempt(t, s)[SubnetsMultiAZ]; c.Status != report.StatusFail || !strings.Contains(c.Message, "owner is given twice") {
		// a value that names owner twice is malformed: real status, the problem said
		t.Fatalf("subnets-multi-az = %s: %s", c.Status, c.Message)
	}
	tagVPC(s, vpcID, "checks=subnets-multi-az reason=dev VPC owner=ml-dev expires=2027-03-31")
	if c := runExempt(t, s)[SubnetsMultiAZ]; c.Status != report.StatusExempt {
		t.Fatalf("a VPC's exemption covers its models' findings: %s: %s", c.Status, c.Message)
	}
}

func TestExpiredExemptionReportsRealStatus(t *testing.T) {
	s := noFlowLogs()
	tagVPC(s, vpcID, "checks=vpc-flow-logs; reason=r; owner=o; expires=2027-02-28")
	c := runExempt(t, s)[VPCFlowLogs]
	if c.Status != report.StatusFail || !strings.Contains(c.Message, "expired on 2027-02-28") || len(c.Exemptions) != 0 {
		t.Fatalf("vpc-flow-logs = %s: %s (%+v)", c.Status, c.Message, c.Exemptions)
	}
}

func TestMalformedExemptionFailsSafe(t *testing.T) {
	for value, problem := range map[string]string{
		"checks=vpc-flow-logs; reason=r; owner=o; expires=31/03/2027":     "not a date in the form YYYY-MM-DD",
		"checks=vpc-flow-log; reason=r; owner=o; expires=2027-03-31":      "not a vpcguard check ID",
		"checks=vpc-flow-logs; reason=r\x07; owner=o; expires=2027-03-31": "control or formatting character U+0007",
		"platform team owns this VPC":                                     "is not a key=value pair",
	} {
		s := noFlowLogs()
		tagVPC(s, vpcID, value)
		c := runExempt(t, s)[VPCFlowLogs]
		if c.Status != report.StatusFail || !strings.Contains(c.Message, problem) || !strings.Contains(c.Message, "vpcguard never changes vpc-0a1") {
			t.Errorf("%q: vpc-flow-logs = %s: %s", value, c.Status, c.Message)
		}
	}
}

func TestBlanketExemptionKeepsRealStatus(t *testing.T) {
	for _, v := range []string{"", "true", "*"} {
		s := noFlowLogs()
		tagVPC(s, vpcID, v)
		if c := runExempt(t, s)[VPCFlowLogs]; c.Status != report.StatusFail || strings.Contains(c.Message, "exempt") {
			t.Errorf("%q: vpc-flow-logs = %s: %s", v, c.Status, c.Message)
		}
	}
}

// twoModels has fraud-v3 and churn-v1 in one VPC without an S3 endpoint.
func twoModels() *inventory.Snapshot {
	s := compliant()
	m := s.Models[0]
	m.Name = "churn-v1"
	s.Models = append(s.Models, m)
	s.VPCs[vpcID].Endpoints = inventory.Known([]inventory.Endpoint(nil))
	return s
}

func TestModelExemptionCoversOnlyThatModel(t *testing.T) {
	s := twoModels()
	s.Models[0].Tags = map[string]string{exemptKey: "checks=s3-endpoint-present; reason=r; owner=o; expires=2027-03-31"}
	c := runExempt(t, s)[S3EndpointPresent]
	if c.Status != report.StatusFail || !strings.Contains(c.Message, "does not cover churn-v1") {
		t.Fatalf("one model's exemption must not cover another model: %s: %s", c.Status, c.Message)
	}
	s.Models[1].Tags = map[string]string{exemptKey: "checks=s3-endpoint-present+vpc-flow-logs reason=r2 owner=o2 expires=2027-04-30"}
	c = runExempt(t, s)[S3EndpointPresent]
	if c.Status != report.StatusExempt || len(c.Exemptions) != 2 {
		t.Fatalf("every model exempt: %s: %s (%+v)", c.Status, c.Message, c.Exemptions)
	}
}

func TestExemptFindingBesideAFailingOne(t *testing.T) {
	// Two VPCs without flow logs, one of them exempt.
	s := noFlowLogs()
	other := *s.VPCs[vpcID]
	other.ID = "vpc-0b2"
	s.VPCs["vpc-0b2"] = &other
	s.Subnets.Value["subnet-0c"] = inventory.Subnet{ID: "subnet-0c", VPCID: "vpc-0b2", AZ: "us-east-1a", AvailableIPs: 100}
	s.Subnets.Value["subnet-0d"] = inventory.Subnet{ID: "subnet-0d", VPCID: "vpc-0b2", AZ: "us-east-1b", AvailableIPs: 100}
	m := s.Models[0]
	m.Name = "other-v1"
	m.VPCConfig = &inventory.VPCConfig{SubnetIDs: []string{"subnet-0c", "subnet-0d"}, SecurityGroupIDs: []string{sgID}}
	s.Models = append(s.Models, m)
	tagVPC(s, vpcID, "checks=vpc-flow-logs; reason=r; owner=o; expires=2027-03-31")
	c := runExempt(t, s)[VPCFlowLogs]
	if c.Status != report.StatusFail || strings.Contains(strings.Join(c.Resources, ","), vpcID) ||
		!strings.Contains(c.Message, "exempt, and so not counted here: "+vpcID) || len(c.Exemptions) != 1 {
		t.Fatalf("vpc-flow-logs = %s %v: %s (%+v)", c.Status, c.Resources, c.Message, c.Exemptions)
	}
}

func TestExemptionDoesNotCoverUnknown(t *testing.T) {
	s := compliant()
	s.VPCs[vpcID].FlowLogs = inventory.Failed[[]inventory.FlowLog](errors.New("api error UnauthorizedOperation"))
	tagVPC(s, vpcID, "checks=vpc-flow-logs; reason=r; owner=o; expires=2027-03-31")
	if c := runExempt(t, s)[VPCFlowLogs]; c.Status != report.StatusUnknown {
		t.Fatalf("an unverified check is never exempt: %s: %s", c.Status, c.Message)
	}
}

func TestExemptionOnSecurityGroupAndEndpoint(t *testing.T) {
	s := compliant()
	s.SecurityGroups.Value[sgID] = inventory.SecurityGroup{ID: sgID, VPCID: vpcID,
		Tags: map[string]string{exemptKey: "checks=security-group-egress-s3; reason=egress via proxy; owner=sec; expires=2027-03-31"}}
	s.VPCs[vpcID].Endpoints.Value[0].PolicyDocument = defaultPolicy
	s.VPCs[vpcID].Endpoints.Value[0].Tags = map[string]string{exemptKey: "checks=s3-endpoint-policy-custom; reason=r; owner=o; expires=2027-03-31"}
	got := runExempt(t, s)
	if c := got[SecurityGroupEgressS3]; c.Status != report.StatusExempt {
		t.Errorf("security-group-egress-s3 = %s: %s", c.Status, c.Message)
	}
	if c := got[S3EndpointPolicyCustom]; c.Status != report.StatusExempt {
		t.Errorf("s3-endpoint-policy-custom = %s: %s", c.Status, c.Message)
	}
	if c := got[S3EndpointDeniesALRepos]; c.Status != report.StatusFail {
		t.Errorf("s3-endpoint-denies-al-repos = %s: the endpoint's exemption names only s3-endpoint-policy-custom", c.Status)
	}
}

func TestRunAppliesNoExemption(t *testing.T) {
	s := noFlowLogs()
	tagVPC(s, vpcID, "checks=vpc-flow-logs; reason=r; owner=o; expires=2027-03-31")
	if c := run(t, s)[VPCFlowLogs]; c.Status != report.StatusFail {
		t.Fatalf("Run (verification) must see the real status: %s", c.Status)
	}
}
