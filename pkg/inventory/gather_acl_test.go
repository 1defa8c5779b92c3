package inventory_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/nacl"
)

// TestNetworkACLsAndS3CIDRs: the subnets' ACLs come from one
// DescribeNetworkAcls by association.subnet-id (round two), the VPC's
// default ACL from one by vpc-id and default (round three), the S3 CIDRs
// with the prefix list id from DescribePrefixLists; one item per page.
func TestNetworkACLsAndS3CIDRs(t *testing.T) {
	const custom, subnetB = "acl-0aaa0000000000002", "subnet-0aaa000000000b001"
	g, srv := startScenario(t, "demo", func(sc *awssim.Scenario) {
		sc.PageSize = 1
		sc.NetworkACLs = append(sc.NetworkACLs, awssim.NetworkACL{ID: custom, VPC: fraudVPC, Subnets: []string{subnetB}, Entries: []awssim.ACLEntry{
			{Rule: 100, Egress: true, Protocol: "tcp", Action: "allow", CIDR: "0.0.0.0/0", Ports: awssim.Ports{From: 443, To: 443, Set: true}},
		}})
	})
	s := g.Models(context.Background(), []inventory.ModelRequest{{Name: "fraud-detector-v3"}})
	if !s.SubnetACLs.OK() || !s.S3CIDRs.OK() || !s.VPCs[fraudVPC].DefaultACL.OK() {
		t.Fatalf("facts: %v / %v / %v", s.SubnetACLs.Err, s.S3CIDRs.Err, s.VPCs[fraudVPC].DefaultACL.Err)
	}
	if !slices.Equal(s.S3CIDRs.Value, []string{"3.5.0.0/19", "52.216.0.0/15", "54.231.0.0/17"}) {
		t.Errorf("S3 CIDRs %q", s.S3CIDRs.Value)
	}
	b := s.SubnetACLs.Value[subnetB]
	want := []nacl.Entry{
		{RuleNumber: 100, Egress: true, Protocol: "6", Action: "allow", CIDR: "0.0.0.0/0", Ports: &nacl.PortRange{From: 443, To: 443}},
		{RuleNumber: nacl.DefaultRule, Egress: true, Protocol: "-1", Action: "deny", CIDR: "0.0.0.0/0"},
		{RuleNumber: nacl.DefaultRule, Protocol: "-1", Action: "deny", CIDR: "0.0.0.0/0"},
	}
	if b.ID != custom || b.Default || !slices.Equal(b.SubnetIDs, []string{subnetB}) || len(b.Entries) != len(want) {
		t.Fatalf("ACL of %s = %+v", subnetB, b)
	}
	for i, e := range want {
		got := b.Entries[i]
		if got.RuleNumber != e.RuleNumber || got.Egress != e.Egress || got.Protocol != e.Protocol || got.Action != e.Action || got.CIDR != e.CIDR ||
			(e.Ports == nil) != (got.Ports == nil) || (e.Ports != nil && *e.Ports != *got.Ports) {
			t.Errorf("entry %d = %+v, want %+v", i, got, e)
		}
	}
	d := s.VPCs[fraudVPC].DefaultACL.Value
	if !d.Default || d.VPCID != fraudVPC || len(d.Entries) != 4 {
		t.Errorf("default ACL %+v", d)
	}
	// subnet-a001 has no explicit association: AWS lists it under the
	// default ACL, and ACLFor falls back to the VPC's default either way.
	for _, subnets := range []map[string]inventory.NetworkACL{s.SubnetACLs.Value, {}} {
		s.SubnetACLs = inventory.Known(subnets)
		if a, err := s.ACLFor("subnet-0aaa000000000a001", s.VPCs[fraudVPC]); err != nil || a.ID != d.ID {
			t.Errorf("ACL of subnet-a001 = %s, %v", a.ID, err)
		}
	}
	if srv.Calls("ec2:DescribeNetworkAcls") != 2+1 { // two pages by subnet (one ACL each), one default ACL
		t.Errorf("%d DescribeNetworkAcls calls", srv.Calls("ec2:DescribeNetworkAcls"))
	}
	// The model's artifact objects.
	if a := s.Models[0].Artifacts; len(a) != 1 || a[0].ObjectARN("aws") != "arn:aws:s3:::ml-artifacts-111122223333/fraud-detector-v3/model.tar.gz" {
		t.Errorf("artifacts %+v", a)
	}
}

// TestNetworkACLsAccessDenied: an unreadable ACL is kept as the failed
// call, beside everything else.
func TestNetworkACLsAccessDenied(t *testing.T) {
	g, _ := startScenario(t, "demo", func(sc *awssim.Scenario) {
		sc.Faults = map[string]awssim.Fault{"ec2:DescribeNetworkAcls": {AccessDenied: true}}
	})
	s := g.Models(context.Background(), []inventory.ModelRequest{{Name: "fraud-detector-v3"}})
	if s.SubnetACLs.OK() || !strings.Contains(s.SubnetACLs.Err.Error(), "describe network acls of subnets") || !strings.Contains(s.SubnetACLs.Err.Error(), "UnauthorizedOperation") {
		t.Errorf("subnet ACLs: %v", s.SubnetACLs.Err)
	}
	if d := s.VPCs[fraudVPC].DefaultACL; d.OK() || !strings.Contains(d.Err.Error(), "describe the default network acl of "+fraudVPC) {
		t.Errorf("default ACL: %v", d.Err)
	}
	if !s.Subnets.OK() || !s.S3CIDRs.OK() || !s.VPCs[fraudVPC].RouteTables.OK() {
		t.Errorf("other facts lost: %v %v %v", s.Subnets.Err, s.S3CIDRs.Err, s.VPCs[fraudVPC].RouteTables.Err)
	}
}

// TestNetworkACLUsers: an ACL's users are the models on its associated
// subnets (the default ACL lists every subnet without an explicit one); an
// association narrows them to its subnet; a gone ACL serves nobody.
func TestNetworkACLUsers(t *testing.T) {
	g, srv := startScenario(t, "demo", nil)
	ctx := context.Background()
	names := func(s *inventory.Snapshot) []string {
		var out []string
		for _, m := range s.Models {
			out = append(out, m.Name)
		}
		slices.Sort(out)
		return out
	}
	s, err := g.NetworkACLUsers(ctx, "acl-0aaa0000000000001", "")
	if err != nil || !slices.Equal(names(s), []string{"fraud-detector-v3"}) || !s.SubnetACLs.OK() {
		t.Errorf("fraud's default ACL: %v, %q", err, names(s))
	}
	s, err = g.NetworkACLUsers(ctx, "acl-0ddd0000000000001", "aclassoc-not-this-one")
	if err != nil || !slices.Equal(names(s), []string{"forecast-v1"}) {
		t.Errorf("forecast's ACL with an unknown association: %v, %q", err, names(s))
	}
	s, err = g.NetworkACLUsers(ctx, "acl-0bbb0000000000002", "")
	if err != nil || len(s.Models) != 0 {
		t.Errorf("an ACL without subnets: %v, %q", err, names(s))
	}
	s, err = g.NetworkACLUsers(ctx, "acl-0fff0000000000000", "")
	if err != nil || len(s.Models) != 0 {
		t.Errorf("a gone ACL: %v, %q", err, names(s))
	}
	srv.SetFault("ec2:DescribeNetworkAcls", awssim.Fault{AccessDenied: true})
	if _, err := g.NetworkACLUsers(ctx, "acl-0aaa0000000000001", ""); err == nil || !strings.Contains(err.Error(), "describe network acl acl-0aaa0000000000001") {
		t.Errorf("unreadable ACL: %v", err)
	}
}
