package cloudtrail_test

import (
	"reflect"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
)

// TestNetworkACLCalls: the network ACL calls in the classic camelCase shape
// CloudTrail logs (aclProtocol, portRange {from,to}, an empty icmpTypeCode),
// in the wrapped PascalCase shape of newer EC2 actions, and with the values
// CloudTrail hides.
func TestNetworkACLCalls(t *testing.T) {
	record := func(name, req, resp string) []byte {
		return []byte(`{"eventVersion":"1.09","eventTime":"2025-11-24T10:50:00Z","eventSource":"ec2.amazonaws.com","eventName":"` + name +
			`","awsRegion":"us-east-1","recipientAccountId":"111122223333","requestParameters":` + req + `,"responseElements":` + resp + `}`)
	}
	n := func(v int) *int { return &v }
	for _, tc := range []struct {
		name, req, resp string
		kind            cloudtrail.Kind
		want            cloudtrail.NetworkACLChange
	}{
		{"CreateNetworkAclEntry",
			`{"networkAclId":"acl-1","ruleNumber":90,"egress":true,"ruleAction":"deny","icmpTypeCode":{},"portRange":{"from":443,"to":443},"aclProtocol":"6","cidrBlock":"52.216.0.0/15"}`,
			`{"requestId":"r","_return":true}`, cloudtrail.KindCreateNetworkAclEntry,
			cloudtrail.NetworkACLChange{NetworkACLID: "acl-1", RuleNumber: 90, Egress: true, Protocol: "6", RuleAction: "deny", CIDR: "52.216.0.0/15", PortFrom: n(443), PortTo: n(443)}},
		{"ReplaceNetworkAclEntry",
			`{"ReplaceNetworkAclEntryRequest":{"NetworkAclId":"acl-2","RuleNumber":"140","Egress":"false","RuleAction":"allow","Protocol":"-1","Ipv6CidrBlock":"::/0","PortRange":{}}}`,
			`""`, cloudtrail.KindReplaceNetworkAclEntry,
			cloudtrail.NetworkACLChange{NetworkACLID: "acl-2", RuleNumber: 140, Protocol: "-1", RuleAction: "allow", IPv6CIDR: "::/0"}},
		{"DeleteNetworkAclEntry", `{"networkAclId":"acl-3","ruleNumber":7,"egress":false}`, `{"_return":true}`, cloudtrail.KindDeleteNetworkAclEntry,
			cloudtrail.NetworkACLChange{NetworkACLID: "acl-3", RuleNumber: 7}},
		{"ReplaceNetworkAclAssociation", `{"associationId":"aclassoc-1","networkAclId":"acl-4"}`, `{"requestId":"r","newAssociationId":"aclassoc-2"}`,
			cloudtrail.KindReplaceNetworkAclAssociation,
			cloudtrail.NetworkACLChange{NetworkACLID: "acl-4", AssociationID: "aclassoc-1", NewAssociationID: "aclassoc-2"}},
		{"ReplaceNetworkAclAssociation", `{"associationId":"aclassoc-1","networkAclId":"HIDDEN_DUE_TO_SECURITY_REASONS"}`, `null`,
			cloudtrail.KindReplaceNetworkAclAssociation, cloudtrail.NetworkACLChange{AssociationID: "aclassoc-1"}},
	} {
		c, err := cloudtrail.Parse(record(tc.name, tc.req, tc.resp))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if c.Kind != tc.kind || c.NetworkACLChange == nil || !reflect.DeepEqual(*c.NetworkACLChange, tc.want) {
			t.Errorf("%s: kind %v, body %+v\nwant %+v", tc.name, c.Kind, c.NetworkACLChange, tc.want)
		}
	}
}
