package checks

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/nacl"
	"github.com/vpcguard/vpcguard/pkg/report"
)

func tcpEntry(rule int32, egress bool, action, cidr string, from, to int32) nacl.Entry {
	return nacl.Entry{RuleNumber: rule, Egress: egress, Protocol: "6", Action: action, CIDR: cidr, Ports: &nacl.PortRange{From: from, To: to}}
}

func TestNetworkACLS3(t *testing.T) {
	star := []nacl.Entry{
		{RuleNumber: nacl.DefaultRule, Egress: true, Protocol: "-1", Action: "deny", CIDR: "0.0.0.0/0"},
		{RuleNumber: nacl.DefaultRule, Protocol: "-1", Action: "deny", CIDR: "0.0.0.0/0"},
	}
	for _, tc := range []struct {
		name    string
		mutate  func(*inventory.Snapshot)
		status  report.Status
		message []string
		fix     []string
	}{
		{name: "both ACLs let S3 through", mutate: func(*inventory.Snapshot) {}, status: report.StatusPass,
			message: []string{"network ACL acl-default (the VPC's default) of subnets subnet-0a (models fraud-v3) allows TCP 443 out to and TCP 1024-65535 back in from all 3 CIDRs of the S3 prefix list"}},
		// The VPC User Guide's custom ACL opens only 32768-65535 for
		// responses: S3's answers to ports 1024-32767 meet the '*' rule.
		{name: "the guide's custom ACL as the default ACL", status: report.StatusFail,
			mutate: func(s *inventory.Snapshot) {
				a := s.VPCs[vpcID].DefaultACL.Value
				a.Entries = append([]nacl.Entry{tcpEntry(100, true, "allow", "0.0.0.0/0", 80, 80), tcpEntry(110, true, "allow", "0.0.0.0/0", 443, 443),
					tcpEntry(120, true, "allow", "0.0.0.0/0", 32768, 65535), tcpEntry(100, false, "allow", "0.0.0.0/0", 80, 80), tcpEntry(110, false, "allow", "0.0.0.0/0", 443, 443),
					tcpEntry(140, false, "allow", "0.0.0.0/0", 32768, 65535)}, star...)
				s.VPCs[vpcID].DefaultACL = inventory.Known(a)
				delete(s.SubnetACLs.Value, subnetA) // subnet-0a has no explicit association
			},
			message: []string{"network ACL acl-default (the VPC's default) of subnets subnet-0a (models fraud-v3) blocks the S3 gateway endpoint: " +
				"inbound TCP (S3's responses) from 3.5.0.0/19 ports 1024-32767, 52.216.0.0/15 ports 1024-32767, 54.231.0.0/16 ports 1024-32767 is denied by the '*' rule (no numbered entry allows it)"},
			fix: []string{"--network-acl-id acl-default --ingress --rule-number 150 --protocol tcp --port-range From=1024,To=65535 --cidr-block 3.5.0.0/19 --rule-action allow",
				"--ingress --rule-number 149 --protocol tcp --port-range From=1024,To=65535 --cidr-block 52.216.0.0/15",
				"--ingress --rule-number 148 --protocol tcp --port-range From=1024,To=65535 --cidr-block 54.231.0.0/16"}},
		{name: "a deny of part of a prefix-list CIDR", status: report.StatusFail,
			mutate: func(s *inventory.Snapshot) {
				a := s.SubnetACLs.Value[subnetB]
				a.Entries = append(a.Entries, tcpEntry(50, true, "deny", "52.216.128.0/17", 0, 65535), tcpEntry(49, true, "allow", "10.0.0.0/8", 0, 65535))
				s.SubnetACLs.Value[subnetB] = a
			},
			message: []string{"outbound TCP 443 to 52.216.128.0/17 (part of 52.216.0.0/15) is denied by rule 50"},
			fix:     []string{"--network-acl-id acl-b --egress --rule-number 48 --protocol tcp --port-range From=443,To=443 --cidr-block 52.216.0.0/15 --rule-action allow"}},
		{name: "one ACL for both subnets", status: report.StatusFail,
			mutate: func(s *inventory.Snapshot) {
				a := s.SubnetACLs.Value[subnetB]
				a.SubnetIDs = []string{subnetA, subnetB}
				a.Entries = append(a.Entries, nacl.Entry{RuleNumber: 10, Protocol: "-1", Action: "deny", CIDR: "54.231.0.0/16"})
				s.SubnetACLs.Value[subnetA], s.SubnetACLs.Value[subnetB] = a, a
			},
			message: []string{"network ACL acl-b of subnets subnet-0a, subnet-0b (models fraud-v3) blocks", "inbound TCP (S3's responses) from 54.231.0.0/16 ports 1024-65535 is denied by rule 10"},
			fix:     []string{"--ingress --rule-number 9 "}},
		{name: "no free rule number below the blocking one", status: report.StatusFail,
			mutate: func(s *inventory.Snapshot) {
				a := s.SubnetACLs.Value[subnetB]
				a.Entries = append(a.Entries, nacl.Entry{RuleNumber: 1, Egress: true, Protocol: "-1", Action: "deny", CIDR: "3.5.0.0/19"})
				s.SubnetACLs.Value[subnetB] = a
			},
			message: []string{"outbound TCP 443 to 3.5.0.0/19 is denied by rule 1"},
			fix:     []string{"--egress --rule-number <a free rule number below 1> --protocol tcp"}},
		{name: "a long list of blocked parts is cut short", status: report.StatusFail,
			mutate: func(s *inventory.Snapshot) {
				a := s.SubnetACLs.Value[subnetB]
				for i := range 50 {
					a.Entries = append(a.Entries, nacl.Entry{RuleNumber: int32(1 + i), Egress: true, Protocol: "-1", Action: "deny", CIDR: fmt.Sprintf("52.216.%d.0/24", i*2)})
				}
				s.SubnetACLs.Value[subnetB] = a
			},
			message: []string{"outbound TCP 443 to 52.216.0.0/24 (part of 52.216.0.0/15) is denied by rule 1", "and 44 more entries"}},
		{name: "IPv6 and UDP entries do not block", status: report.StatusPass,
			mutate: func(s *inventory.Snapshot) {
				a := s.SubnetACLs.Value[subnetB]
				a.Entries = append(a.Entries, nacl.Entry{RuleNumber: 10, Egress: true, Protocol: "-1", Action: "deny", IPv6CIDR: "::/0"},
					nacl.Entry{RuleNumber: 20, Egress: true, Protocol: "17", Action: "deny", CIDR: "0.0.0.0/0", Ports: &nacl.PortRange{From: 443, To: 443}})
				s.SubnetACLs.Value[subnetB] = a
			}},
		{name: "prefix list unreadable", status: report.StatusUnknown,
			mutate: func(s *inventory.Snapshot) {
				s.S3CIDRs = inventory.Failed[[]string](errors.New("describe prefix lists: api error UnauthorizedOperation: You are not authorized to perform this operation."))
			},
			message: []string{"could not verify the CIDRs of the S3 prefix list: describe prefix lists: api error UnauthorizedOperation"}},
		{name: "subnet associations unreadable", status: report.StatusUnknown,
			mutate: func(s *inventory.Snapshot) {
				s.SubnetACLs = inventory.Failed[map[string]inventory.NetworkACL](errors.New("describe network acls of subnets: api error UnauthorizedOperation"))
			},
			message: []string{"could not verify the network ACL of subnet-0a: describe network acls of subnets"}},
		{name: "default ACL unreadable, the associated one is still judged", status: report.StatusFail,
			mutate: func(s *inventory.Snapshot) {
				delete(s.SubnetACLs.Value, subnetA)
				s.VPCs[vpcID].DefaultACL = inventory.Failed[inventory.NetworkACL](errors.New("describe the default network acl of vpc-0a1: throttled"))
				a := s.SubnetACLs.Value[subnetB]
				a.Entries = append(a.Entries, nacl.Entry{RuleNumber: 10, Egress: true, Protocol: "-1", Action: "deny", CIDR: "0.0.0.0/0"})
				s.SubnetACLs.Value[subnetB] = a
			},
			message: []string{"could not verify the network ACL of subnet-0a: describe the default network acl of vpc-0a1: throttled", "acl-b of subnets subnet-0b", "denied by rule 10"}},
		{name: "an ACL too fragmented to follow", status: report.StatusUnknown,
			mutate: func(s *inventory.Snapshot) {
				a := s.SubnetACLs.Value[subnetB]
				a.Entries = nil
				for i := range 600 { // single ports on prefixes of every size, all over 52.216.0.0/15
					port := int32(1024 + i*61%60000)
					a.Entries = append(a.Entries, tcpEntry(int32(1+i), false, "deny", fmt.Sprintf("52.%d.%d.0/%d", 216+i%2, (i*73)%256, 17+i%8), port, port))
				}
				s.SubnetACLs.Value[subnetB] = a
			},
			message: []string{"could not verify network ACL acl-b: the network ACL splits the traffic into too many pieces"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := compliant()
			tc.mutate(s)
			c := run(t, s)[NetworkACLS3]
			if c.Status != tc.status {
				t.Fatalf("status %s, want %s: %s", c.Status, tc.status, c.Message)
			}
			for _, m := range tc.message {
				if !strings.Contains(c.Message, m) {
					t.Errorf("message %q\nlacks %q", c.Message, m)
				}
			}
			for _, f := range tc.fix {
				if !strings.Contains(c.Remediation, f) {
					t.Errorf("remediation %q\nlacks %q", c.Remediation, f)
				}
			}
			if tc.status == report.StatusFail && !strings.Contains(c.Remediation, "never changed by vpcguard") {
				t.Errorf("remediation does not say it is report-only: %q", c.Remediation)
			}
		})
	}
}
