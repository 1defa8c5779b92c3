package inventory

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// NetworkACLUsers gathers the models with a subnet that network ACL id
// serves: its associations (a VPC's default ACL lists every subnet without
// an explicit one, as AWS answers). With association set (the
// newAssociationId of a ReplaceNetworkAclAssociation), only the subnet of
// that association when the ACL still holds it, else every subnet of the
// ACL. The ACL is read first (one DescribeNetworkAcls); an ACL that no
// longer exists serves nobody.
func (g *Gatherer) NetworkACLUsers(ctx context.Context, id, association string) (*Snapshot, error) {
	out, err := g.EC2.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{
		Filters: []ec2types.Filter{{Name: aws.String("network-acl-id"), Values: []string{id}}},
	})
	if err != nil {
		return nil, fmt.Errorf("describe network acl %s: %w", id, err)
	}
	if len(out.NetworkAcls) == 0 {
		return g.newSnapshot(), nil
	}
	var q PlacementQuery
	for _, a := range out.NetworkAcls[0].Associations {
		if subnet := aws.ToString(a.SubnetId); subnet != "" {
			if association != "" && aws.ToString(a.NetworkAclAssociationId) == association {
				q.SubnetIDs = []string{subnet}
				break
			}
			q.SubnetIDs = append(q.SubnetIDs, subnet)
		}
	}
	return g.Scoped(ctx, q), nil
}
