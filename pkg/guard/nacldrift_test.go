package guard_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/e2e"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// The network ACL drift events of events/, enacted on a fresh demo account
// (fraud's default ACL acl-0aaa…1 serves its three subnets; forecast's
// subnet is on the VPC User Guide's custom ACL acl-0ddd…1, which answers
// S3 only on ports 32768-65535; churn's locked-down acl-0bbb…2 lets HTTPS
// out and nothing back, and serves no subnet yet).
const (
	fileACLCreate  = "ec2-CreateNetworkAclEntry-fraud-default-acl-denies-https-to-s3.json"
	fileACLDelete  = "ec2-DeleteNetworkAclEntry-fraud-removes-the-s3-deny.json"
	fileACLReplace = "ec2-ReplaceNetworkAclEntry-forecast-opens-every-ephemeral-port.json"
	fileACLAssoc   = "ec2-ReplaceNetworkAclAssociation-churn-subnet-to-locked-down-acl.json"
)

func TestNetworkACLDrift(t *testing.T) {
	pass, fail := report.StatusPass, report.StatusFail
	for _, tc := range []struct {
		name     string
		files    []string
		resource string
		status   report.Status
		messages []string
	}{
		{name: "a deny of HTTPS to an S3 range on fraud's default ACL", files: []string{fileACLCreate}, resource: "network-acl acl-0aaa0000000000001", status: fail,
			messages: []string{"network ACL acl-0aaa0000000000001 (the VPC's default) of subnets subnet-0aaa000000000a001, subnet-0aaa000000000b001 (models fraud-detector-v3)",
				"outbound TCP 443 to 52.216.0.0/15 is denied by rule 90"}},
		{name: "the deny removed again", files: []string{fileACLCreate, fileACLDelete}, resource: "network-acl acl-0aaa0000000000001", status: pass},
		{name: "forecast's ACL opens every ephemeral port", files: []string{fileACLReplace}, resource: "network-acl acl-0ddd0000000000001", status: pass,
			messages: []string{"network ACL acl-0ddd0000000000001 of subnets subnet-0ddd000000000a001 (models forecast-v1) allows TCP 443 out to and TCP 1024-65535 back in"}},
		// The recorded newAssociationId is the real account's: the subnet
		// is found as the ACL's association instead.
		{name: "a churn subnet moves to the locked-down ACL", files: []string{fileACLAssoc}, resource: "network-acl acl-0bbb0000000000002", status: fail,
			messages: []string{"network ACL acl-0bbb0000000000002 of subnets subnet-0bbb000000000a001 (models churn-model-v7)",
				"inbound TCP (S3's responses) from 3.5.0.0/19 ports 1024-65535, 52.216.0.0/15 ports 1024-65535, 54.231.0.0/17 ports 1024-65535 is denied by the '*' rule"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := driftAccountFor(t, nil, nil)
			res := a.enactAndHandle(t, tc.files...)
			if res.Skipped != "" || res.Resource == nil || res.Resource.Type+" "+res.Resource.ID != tc.resource {
				t.Fatalf("skipped %q, resource %+v, want %s", res.Skipped, res.Resource, tc.resource)
			}
			if got := statuses(res); len(got) != 1 || got[checks.NetworkACLS3] != tc.status {
				t.Fatalf("checks %v, want only network-acl-s3 %s: %s", got, tc.status, message(res, checks.NetworkACLS3))
			}
			for _, m := range tc.messages {
				if !strings.Contains(message(res, checks.NetworkACLS3), m) {
					t.Errorf("message lacks %q: %s", m, message(res, checks.NetworkACLS3))
				}
			}
			for _, w := range a.srv.Writes()[len(tc.files):] {
				t.Errorf("report mode wrote %s", w.Operation)
			}
		})
	}
}

// Network ACLs are never repaired: in remediate mode the failure is
// reported and no write follows.
func TestNetworkACLDriftIsReportOnly(t *testing.T) {
	a := driftAccountFor(t, map[string]string{"VPCGUARD_MODE": "remediate"}, nil)
	res := a.enactAndHandle(t, fileACLCreate)
	if statuses(res)[checks.NetworkACLS3] != report.StatusFail || len(res.Actions) != 0 || len(a.srv.Writes()) != 1 {
		t.Errorf("actions %+v, writes %d", res.Actions, len(a.srv.Writes()))
	}
}

// An entry that cannot change what network-acl-s3 reads, or an ACL no
// model uses, is skipped with the reason; an ACL that cannot be read makes
// the check unknown.
func TestNetworkACLDriftSkipsAndUnknowns(t *testing.T) {
	edit := func(file, old, new string) e2e.Event {
		t.Helper()
		raw := eventOf(t, file).Raw
		if !bytes.Contains(raw, []byte(old)) {
			t.Fatalf("%s lacks %s", file, old)
		}
		return e2e.NewEvent(file, bytes.Replace(raw, []byte(old), []byte(new), 1))
	}
	for _, tc := range []struct {
		name string
		ev   e2e.Event
		want string
	}{
		{"an IPv6 entry", edit(fileACLCreate, `"cidrBlock": "52.216.0.0/15"`, `"ipv6CidrBlock": "2600:1f18::/32"`),
			"CreateNetworkAclEntry added rule 90 for IPv6 (2600:1f18::/32) to acl-0aaa0000000000001"},
		{"a UDP entry", edit(fileACLCreate, `"aclProtocol": "6"`, `"aclProtocol": "17"`), "for protocol 17 to acl-0aaa0000000000001: it cannot match the TCP traffic to S3"},
		{"an ACL no subnet uses", edit(fileACLCreate, `"networkAclId": "acl-0aaa0000000000001"`, `"networkAclId": "acl-0bbb0000000000002"`),
			"no SageMaker model uses a subnet of network ACL acl-0bbb0000000000002: nothing to evaluate"},
	} {
		a := driftAccountFor(t, nil, nil)
		res, err := a.h.HandleJSON(context.Background(), tc.ev.Raw)
		if err != nil || !strings.Contains(res.Skipped, tc.want) || len(res.Checks) != 0 {
			t.Errorf("%s: %v, skipped %q, want %q", tc.name, err, res.Skipped, tc.want)
		}
	}
	a := driftAccountFor(t, nil, func(sc *awssim.Scenario) {
		sc.Faults = map[string]awssim.Fault{"ec2:DescribeNetworkAcls": {AccessDenied: true}}
	})
	res, err := a.h.HandleJSON(context.Background(), eventOf(t, fileACLCreate).Raw)
	if err != nil || res.Skipped != "" || len(res.Checks) != 1 || res.Checks[0].Status != report.StatusUnknown ||
		!strings.Contains(res.Checks[0].Message, "describe network acl acl-0aaa0000000000001") {
		t.Errorf("unreadable ACL: %v, skipped %q, checks %+v", err, res.Skipped, res.Checks)
	}
}
