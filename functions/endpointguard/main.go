// Command endpointguard evaluates the EC2 events: CreateVpcEndpoint,
// ModifyVpcEndpoint and DeleteVpcEndpoints (the endpoint's own policy, and
// every model in its VPC that depends on it), and the EC2 drift of the
// model network (VPC DNS attributes and DHCP options, route table
// associations and routes, security group egress, flow logs, network ACL
// entries and associations), each against the models the change can affect.
//
// In Lambda it is the bootstrap of a provided.al2023 function; locally,
// `endpointguard -event FILE` handles one event and prints the result.
package main

import (
	"os"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
)

func main() {
	os.Exit(app.Main("endpointguard",
		cloudtrail.KindCreateVpcEndpoint, cloudtrail.KindModifyVpcEndpoint, cloudtrail.KindDeleteVpcEndpoints,
		cloudtrail.KindModifyVpcAttribute, cloudtrail.KindAssociateDhcpOptions,
		cloudtrail.KindAssociateRouteTable, cloudtrail.KindReplaceRouteTableAssociation, cloudtrail.KindDisassociateRouteTable,
		cloudtrail.KindCreateRoute, cloudtrail.KindReplaceRoute, cloudtrail.KindDeleteRoute,
		cloudtrail.KindAuthorizeSecurityGroupEgress, cloudtrail.KindRevokeSecurityGroupEgress, cloudtrail.KindModifySecurityGroupRules,
		cloudtrail.KindDeleteFlowLogs,
		cloudtrail.KindCreateNetworkAclEntry, cloudtrail.KindReplaceNetworkAclEntry, cloudtrail.KindDeleteNetworkAclEntry,
		cloudtrail.KindReplaceNetworkAclAssociation))
}
