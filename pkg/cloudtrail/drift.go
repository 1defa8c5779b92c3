package cloudtrail

// Drift calls: the EC2 changes that can break a live model's network (VPC
// DNS, route tables and routes, security group egress, flow logs) and the
// Application Auto Scaling and SageMaker changes to an endpoint's instance
// counts. Each family of calls shares one body; exactly the body of the
// call's family is set.
//
// The shapes, as seen in the real samples (shared/fixtures/aws-samples):
//   - ModifyVpcAttribute, DisassociateRouteTable, RevokeSecurityGroupEgress
//     and the other classic EC2 actions log camelCase requests without a
//     wrapper: {"vpcId": x, "enableDnsSupport": {"value": true}} (one
//     attribute per call), {"associationId": x}, {"groupId": x,
//     "ipPermissions": {"items": [...]}}; their response is {"requestId",
//     "_return": true} or the XML response's fields (associationId,
//     newAssociationId).
//   - DeleteFlowLogs is a newer action: {"DeleteFlowLogsRequest":
//     {"FlowLogId": {"content": x, "tag": 1}}}, with an "unsuccessful" set in
//     the response ("" when empty).
//   - Application Auto Scaling logs as eventSource autoscaling.amazonaws.com
//     with additionalEventData.service "application-autoscaling"; its
//     parameters are camelCase JSON with numbers for the capacities, and
//     responseElements is null.
//
// No published record was found for AssociateRouteTable,
// ReplaceRouteTableAssociation, CreateRoute, ReplaceRoute, DeleteRoute,
// AssociateDhcpOptions, AuthorizeSecurityGroupEgress, ModifySecurityGroupRules
// or UpdateEndpointWeightsAndCapacities: they are read with the same
// case-insensitive, wrapper-tolerant readers, by their API member names.

// SourceAutoScaling is the eventSource of Application Auto Scaling calls
// (shared with EC2 Auto Scaling; additionalEventData.service tells them
// apart).
const SourceAutoScaling = "autoscaling.amazonaws.com"

// ServiceApplicationAutoScaling is additionalEventData.service of an
// Application Auto Scaling call.
const ServiceApplicationAutoScaling = "application-autoscaling"

// The drift kinds. They are numbered apart from the kinds of cloudtrail.go
// so that both lists can grow independently.
const (
	KindModifyVpcAttribute Kind = iota + 100
	KindAssociateDhcpOptions
	KindAssociateRouteTable
	KindReplaceRouteTableAssociation
	KindDisassociateRouteTable
	KindCreateRoute
	KindReplaceRoute
	KindDeleteRoute
	KindAuthorizeSecurityGroupEgress
	KindRevokeSecurityGroupEgress
	KindModifySecurityGroupRules
	KindDeleteFlowLogs
	KindRegisterScalableTarget
	KindUpdateEndpointWeightsAndCapacities
	// Network ACL calls (nacl.go).
	KindCreateNetworkAclEntry
	KindReplaceNetworkAclEntry
	KindDeleteNetworkAclEntry
	KindReplaceNetworkAclAssociation
)

// driftCalls names each drift kind's source and event name.
var driftCalls = []struct {
	kind         Kind
	source, name string
}{
	{KindModifyVpcAttribute, SourceEC2, "ModifyVpcAttribute"},
	{KindAssociateDhcpOptions, SourceEC2, "AssociateDhcpOptions"},
	{KindAssociateRouteTable, SourceEC2, "AssociateRouteTable"},
	{KindReplaceRouteTableAssociation, SourceEC2, "ReplaceRouteTableAssociation"},
	{KindDisassociateRouteTable, SourceEC2, "DisassociateRouteTable"},
	{KindCreateRoute, SourceEC2, "CreateRoute"},
	{KindReplaceRoute, SourceEC2, "ReplaceRoute"},
	{KindDeleteRoute, SourceEC2, "DeleteRoute"},
	{KindAuthorizeSecurityGroupEgress, SourceEC2, "AuthorizeSecurityGroupEgress"},
	{KindRevokeSecurityGroupEgress, SourceEC2, "RevokeSecurityGroupEgress"},
	{KindModifySecurityGroupRules, SourceEC2, "ModifySecurityGroupRules"},
	{KindDeleteFlowLogs, SourceEC2, "DeleteFlowLogs"},
	{KindRegisterScalableTarget, SourceAutoScaling, "RegisterScalableTarget"},
	{KindUpdateEndpointWeightsAndCapacities, SourceSageMaker, "UpdateEndpointWeightsAndCapacities"},
	{KindCreateNetworkAclEntry, SourceEC2, "CreateNetworkAclEntry"},
	{KindReplaceNetworkAclEntry, SourceEC2, "ReplaceNetworkAclEntry"},
	{KindDeleteNetworkAclEntry, SourceEC2, "DeleteNetworkAclEntry"},
	{KindReplaceNetworkAclAssociation, SourceEC2, "ReplaceNetworkAclAssociation"},
}

// DriftKinds lists the drift kinds in order.
func DriftKinds() []Kind {
	out := make([]Kind, len(driftCalls))
	for i, d := range driftCalls {
		out[i] = d.kind
	}
	return out
}

func driftKindOf(name, source string) Kind {
	for _, d := range driftCalls {
		if d.source == source && d.name == name {
			return d.kind
		}
	}
	return KindUnknown
}

func driftKindName(k Kind) string {
	for _, d := range driftCalls {
		if d.kind == k {
			return d.name
		}
	}
	return "Unknown"
}

// DriftBodies holds the body of a drift call; Call embeds it.
type DriftBodies struct {
	VPCChange        *VPCChange              // ModifyVpcAttribute, AssociateDhcpOptions
	RouteTableChange *RouteTableChange       // route table associations and routes
	EgressChange     *SecurityGroupChange    // AuthorizeSecurityGroupEgress, RevokeSecurityGroupEgress, ModifySecurityGroupRules
	DeleteFlowLogs   *DeleteFlowLogs         // DeleteFlowLogs
	ScalableTarget   *RegisterScalableTarget // RegisterScalableTarget
	EndpointCapacity *EndpointCapacity       // UpdateEndpointWeightsAndCapacities
	NetworkACLChange *NetworkACLChange       // the network ACL entry and association calls (nacl.go)
}

// VPCChange is ec2 ModifyVpcAttribute or AssociateDhcpOptions.
type VPCChange struct {
	VPCID string
	// Attribute is the attribute ModifyVpcAttribute set (enableDnsSupport,
	// enableDnsHostnames, enableNetworkAddressUsageMetrics), and Value its
	// new value; empty for AssociateDhcpOptions or when not logged.
	Attribute string
	Value     bool
	// DHCPOptionsID is the set AssociateDhcpOptions gave the VPC ("default"
	// means none).
	DHCPOptionsID string
}

// VPC attributes ModifyVpcAttribute sets, one per call.
var vpcAttributes = []string{"enableDnsSupport", "enableDnsHostnames", "enableNetworkAddressUsageMetrics"}

// RouteTableChange is one of the route table calls. Which fields are set
// depends on the call:
//
//	AssociateRouteTable           RouteTableID, SubnetID or GatewayID, AssociationID (the new one, from the response)
//	ReplaceRouteTableAssociation  RouteTableID (the new table), AssociationID (the replaced one), NewAssociationID
//	DisassociateRouteTable        AssociationID (gone after the call; the only parameter)
//	CreateRoute, ReplaceRoute     RouteTableID, Destination, Target
//	DeleteRoute                   RouteTableID, Destination
type RouteTableChange struct {
	RouteTableID     string
	SubnetID         string
	GatewayID        string // an edge association (internet or virtual private gateway), not a subnet
	AssociationID    string
	NewAssociationID string
	Destination      string // CIDR, IPv6 CIDR or prefix list id
	Target           string // the route's target id (nat-…, igw-…, vpce-…, tgw-…, …)
}

// SecurityGroupChange is an egress change of one security group.
type SecurityGroupChange struct {
	GroupID string
	// RuleIDs are the security group rules named by id (RevokeSecurityGroupEgress
	// SecurityGroupRuleId.N, ModifySecurityGroupRules SecurityGroupRule.N).
	RuleIDs []string
}

// DeleteFlowLogs is ec2 DeleteFlowLogs. The request names flow logs only by
// id; what they were attached to is not logged.
type DeleteFlowLogs struct {
	FlowLogIDs   []string
	Unsuccessful []string // requested flow logs AWS did not delete
}

// RegisterScalableTarget is application-autoscaling RegisterScalableTarget.
type RegisterScalableTarget struct {
	ServiceNamespace  string // sagemaker, ecs, …
	ResourceID        string // endpoint/<endpoint>/variant/<variant> for SageMaker
	ScalableDimension string // sagemaker:variant:DesiredInstanceCount, …
	// MinCapacity and MaxCapacity are nil when the call left them unchanged
	// (or CloudTrail did not log them).
	MinCapacity *int
	MaxCapacity *int
	// Service is additionalEventData.service ("application-autoscaling").
	Service string
}

// EndpointCapacity is sagemaker UpdateEndpointWeightsAndCapacities.
type EndpointCapacity struct {
	EndpointName string
	EndpointARN  string // responseElements.endpointArn
	Variants     []VariantCapacity
}

// VariantCapacity is one element of desiredWeightsAndCapacities.
type VariantCapacity struct {
	VariantName string
	// DesiredInstanceCount is nil when the call changed only the weight.
	DesiredInstanceCount *int
}

// parseDrift returns the body of a drift call (all nil for other kinds).
func parseDrift(k Kind, req, resp, additional any) DriftBodies {
	var b DriftBodies
	switch k {
	case KindModifyVpcAttribute, KindAssociateDhcpOptions:
		b.VPCChange = parseVPCChange(k, req)
	case KindAssociateRouteTable, KindReplaceRouteTableAssociation, KindDisassociateRouteTable,
		KindCreateRoute, KindReplaceRoute, KindDeleteRoute:
		b.RouteTableChange = parseRouteTableChange(k, req, resp)
	case KindAuthorizeSecurityGroupEgress, KindRevokeSecurityGroupEgress, KindModifySecurityGroupRules:
		b.EgressChange = parseSecurityGroupChange(k, req)
	case KindDeleteFlowLogs:
		b.DeleteFlowLogs = parseDeleteFlowLogs(req, resp)
	case KindRegisterScalableTarget:
		b.ScalableTarget = parseRegisterScalableTarget(req, additional)
	case KindUpdateEndpointWeightsAndCapacities:
		b.EndpointCapacity = parseEndpointCapacity(req, resp)
	case KindCreateNetworkAclEntry, KindReplaceNetworkAclEntry, KindDeleteNetworkAclEntry, KindReplaceNetworkAclAssociation:
		b.NetworkACLChange = parseNetworkACLChange(k, req, resp)
	}
	return b
}

func parseVPCChange(k Kind, req any) *VPCChange {
	rq := unwrap(req, driftKindName(k), "Request")
	c := &VPCChange{VPCID: str(field(rq, "vpcId")), DHCPOptionsID: str(field(rq, "dhcpOptionsId"))}
	if k == KindModifyVpcAttribute {
		for _, a := range vpcAttributes {
			if v := field(rq, a); v != nil {
				c.Attribute = a
				if m := object(v); m != nil {
					v = field(m, "value")
				}
				c.Value = boolean(v)
				break
			}
		}
	}
	return c
}

// routeTargets are the request members that name a route's target.
var routeTargets = []string{
	"gatewayId", "natGatewayId", "transitGatewayId", "vpcPeeringConnectionId", "networkInterfaceId",
	"egressOnlyInternetGatewayId", "instanceId", "localGatewayId", "carrierGatewayId", "vpcEndpointId", "coreNetworkArn",
}

func parseRouteTableChange(k Kind, req, resp any) *RouteTableChange {
	name := driftKindName(k)
	rq := unwrap(req, name, "Request")
	rs := unwrap(resp, name, "Response")
	c := &RouteTableChange{
		RouteTableID:  str(field(rq, "routeTableId")),
		AssociationID: str(field(rq, "associationId")),
		Destination:   firstStr(str(field(rq, "destinationCidrBlock")), str(field(rq, "destinationIpv6CidrBlock")), str(field(rq, "destinationPrefixListId"))),
	}
	switch k {
	case KindAssociateRouteTable:
		c.SubnetID = str(field(rq, "subnetId"))
		c.GatewayID = str(field(rq, "gatewayId"))
		c.AssociationID = str(field(rs, "associationId"))
	case KindReplaceRouteTableAssociation:
		c.NewAssociationID = str(field(rs, "newAssociationId"))
	case KindCreateRoute, KindReplaceRoute:
		for _, t := range routeTargets {
			if id := str(field(rq, t)); id != "" {
				c.Target = id
				break
			}
		}
	}
	return c
}

func parseSecurityGroupChange(k Kind, req any) *SecurityGroupChange {
	rq := unwrap(req, driftKindName(k), "Request")
	c := &SecurityGroupChange{GroupID: str(field(rq, "groupId"))}
	if k == KindModifySecurityGroupRules {
		for _, r := range items(field(rq, "securityGroupRule", "securityGroupRules")) {
			if id := str(field(r, "securityGroupRuleId")); id != "" {
				c.RuleIDs = append(c.RuleIDs, id)
			}
		}
	} else {
		c.RuleIDs = strs(field(rq, "securityGroupRuleId", "securityGroupRuleIds"))
	}
	return c
}

func parseDeleteFlowLogs(req, resp any) *DeleteFlowLogs {
	d := &DeleteFlowLogs{FlowLogIDs: strs(field(unwrap(req, "DeleteFlowLogs", "Request"), "flowLogId", "flowLogIds"))}
	for _, u := range items(field(unwrap(resp, "DeleteFlowLogs", "Response"), "unsuccessful")) {
		if id := str(field(u, "resourceId")); id != "" {
			d.Unsuccessful = append(d.Unsuccessful, id)
		}
	}
	return d
}

func parseRegisterScalableTarget(req, additional any) *RegisterScalableTarget {
	p := object(req)
	return &RegisterScalableTarget{
		ServiceNamespace:  str(field(p, "serviceNamespace")),
		ResourceID:        str(field(p, "resourceId")),
		ScalableDimension: str(field(p, "scalableDimension")),
		MinCapacity:       optInteger(field(p, "minCapacity")),
		MaxCapacity:       optInteger(field(p, "maxCapacity")),
		Service:           str(field(object(additional), "service")),
	}
}

func parseEndpointCapacity(req, resp any) *EndpointCapacity {
	p := object(req)
	c := &EndpointCapacity{
		EndpointName: str(field(p, "endpointName")),
		EndpointARN:  str(field(object(resp), "endpointArn")),
	}
	for _, v := range items(field(p, "desiredWeightsAndCapacities")) {
		c.Variants = append(c.Variants, VariantCapacity{
			VariantName:          str(field(v, "variantName")),
			DesiredInstanceCount: optInteger(field(v, "desiredInstanceCount")),
		})
	}
	return c
}

// optInteger reads a whole number like integer, or nil when it is absent,
// redacted or unreadable (so that 0 stays a value).
func optInteger(v any) *int {
	s := str(v)
	if s == "" {
		return nil
	}
	n := integer(v)
	if n == 0 && s != "0" {
		return nil
	}
	return &n
}
