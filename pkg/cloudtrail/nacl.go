package cloudtrail

// Network ACL calls: CreateNetworkAclEntry, ReplaceNetworkAclEntry,
// DeleteNetworkAclEntry and ReplaceNetworkAclAssociation, the changes that
// can block a model subnet's traffic to S3 (network-acl-s3).
//
// They are classic EC2 actions: CloudTrail logs camelCase requests without
// a wrapper, the protocol as "aclProtocol" (the API's Protocol), the ports
// as {"from": x, "to": y} ({} when none) and an empty "icmpTypeCode": {}:
//
//	{"networkAclId": "acl-1", "ruleNumber": 100, "egress": false,
//	 "ruleAction": "allow", "aclProtocol": "6", "cidrBlock": "0.0.0.0/0",
//	 "portRange": {"from": 443, "to": 443}, "icmpTypeCode": {}}
//
// DeleteNetworkAclEntry logs networkAclId, ruleNumber and egress only.
// ReplaceNetworkAclAssociation logs associationId (the replaced
// association) and networkAclId (the new ACL), and its response carries
// newAssociationId. (Shapes as in the CloudTrail test records of public
// detection rules; no record of them is in shared/fixtures.) They are read
// with the case-insensitive, wrapper-tolerant readers, by API member names
// as well.

// NetworkACLChange is one of the network ACL calls. Which fields are set
// depends on the call:
//
//	CreateNetworkAclEntry, ReplaceNetworkAclEntry  NetworkACLID and the entry
//	DeleteNetworkAclEntry                          NetworkACLID, RuleNumber, Egress
//	ReplaceNetworkAclAssociation                   NetworkACLID (the new ACL), AssociationID (the replaced one), NewAssociationID
type NetworkACLChange struct {
	NetworkACLID string
	RuleNumber   int
	Egress       bool
	Protocol     string // "-1", "6", … as logged
	RuleAction   string // allow, deny
	CIDR         string
	IPv6CIDR     string
	// PortFrom and PortTo are nil when the entry has no port range.
	PortFrom, PortTo *int

	AssociationID    string
	NewAssociationID string
}

func parseNetworkACLChange(k Kind, req, resp any) *NetworkACLChange {
	name := driftKindName(k)
	rq := unwrap(req, name, "Request")
	c := &NetworkACLChange{
		NetworkACLID: str(field(rq, "networkAclId")),
		RuleNumber:   integer(field(rq, "ruleNumber")),
		Egress:       boolean(field(rq, "egress")),
		Protocol:     str(field(rq, "aclProtocol", "protocol")),
		RuleAction:   str(field(rq, "ruleAction")),
		CIDR:         str(field(rq, "cidrBlock")),
		IPv6CIDR:     str(field(rq, "ipv6CidrBlock")),
	}
	if pr := object(field(rq, "portRange")); pr != nil {
		c.PortFrom, c.PortTo = optInteger(field(pr, "from")), optInteger(field(pr, "to"))
	}
	if k == KindReplaceNetworkAclAssociation {
		c.AssociationID = str(field(rq, "associationId"))
		c.NewAssociationID = str(field(unwrap(resp, name, "Response"), "newAssociationId"))
	}
	return c
}
