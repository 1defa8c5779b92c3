package e2e

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
)

// enactNetworkACL repeats a network ACL call. ReplaceNetworkAclAssociation
// names the association it replaces, which the account gave the subnet.
func (e Enactor) enactNetworkACL(ctx context.Context, c cloudtrail.Call) (string, error) {
	n := c.NetworkACLChange
	entry := func() (*int32, *ec2types.PortRange, *string, *string) {
		var ports *ec2types.PortRange
		if n.PortFrom != nil && n.PortTo != nil {
			ports = &ec2types.PortRange{From: aws.Int32(int32(*n.PortFrom)), To: aws.Int32(int32(*n.PortTo))}
		}
		return aws.Int32(int32(n.RuleNumber)), ports, optString(n.CIDR), optString(n.IPv6CIDR)
	}
	direction := "ingress"
	if n.Egress {
		direction = "egress"
	}
	switch c.Kind {
	case cloudtrail.KindCreateNetworkAclEntry:
		rule, ports, cidr, ipv6 := entry()
		_, err := e.EC2.CreateNetworkAclEntry(ctx, &ec2.CreateNetworkAclEntryInput{NetworkAclId: aws.String(n.NetworkACLID), RuleNumber: rule,
			Egress: aws.Bool(n.Egress), Protocol: aws.String(n.Protocol), RuleAction: ec2types.RuleAction(n.RuleAction), CidrBlock: cidr, Ipv6CidrBlock: ipv6, PortRange: ports})
		return fmt.Sprintf("CreateNetworkAclEntry %s: %s rule %d %s", n.NetworkACLID, direction, n.RuleNumber, n.RuleAction), err
	case cloudtrail.KindReplaceNetworkAclEntry:
		rule, ports, cidr, ipv6 := entry()
		_, err := e.EC2.ReplaceNetworkAclEntry(ctx, &ec2.ReplaceNetworkAclEntryInput{NetworkAclId: aws.String(n.NetworkACLID), RuleNumber: rule,
			Egress: aws.Bool(n.Egress), Protocol: aws.String(n.Protocol), RuleAction: ec2types.RuleAction(n.RuleAction), CidrBlock: cidr, Ipv6CidrBlock: ipv6, PortRange: ports})
		return fmt.Sprintf("ReplaceNetworkAclEntry %s: %s rule %d %s", n.NetworkACLID, direction, n.RuleNumber, n.RuleAction), err
	case cloudtrail.KindDeleteNetworkAclEntry:
		_, err := e.EC2.DeleteNetworkAclEntry(ctx, &ec2.DeleteNetworkAclEntryInput{NetworkAclId: aws.String(n.NetworkACLID),
			RuleNumber: aws.Int32(int32(n.RuleNumber)), Egress: aws.Bool(n.Egress)})
		return fmt.Sprintf("DeleteNetworkAclEntry %s: %s rule %d", n.NetworkACLID, direction, n.RuleNumber), err
	case cloudtrail.KindReplaceNetworkAclAssociation:
		_, err := e.EC2.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{AssociationId: aws.String(n.AssociationID), NetworkAclId: aws.String(n.NetworkACLID)})
		return fmt.Sprintf("ReplaceNetworkAclAssociation %s: now %s", n.AssociationID, n.NetworkACLID), err
	}
	return "", nil
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
