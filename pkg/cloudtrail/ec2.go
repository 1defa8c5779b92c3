package cloudtrail

// EC2 VPC-endpoint bodies. Requests are read through unwrap and the list
// readers of ec2json.go; where the XML-derived response carries the same
// fact, the response wins (it is what AWS did, defaults included).

// CreateVpcEndpoint is ec2 CreateVpcEndpoint.
type CreateVpcEndpoint struct {
	VpcEndpointID    string // from the response; empty when the call failed
	VPCID            string
	ServiceName      string // e.g. com.amazonaws.us-east-1.s3
	Type             string // Gateway | Interface | GatewayLoadBalancer; empty when not logged (the API default is Gateway)
	RouteTableIDs    []string
	SubnetIDs        []string
	SecurityGroupIDs []string
	PolicyDocument   string // the policy JSON as logged (the response shows the default when none was given)
	State            string // e.g. available, pending
}

// ModifyVpcEndpoint is ec2 ModifyVpcEndpoint. Its response holds only
// "return": true, so everything here comes from the request.
type ModifyVpcEndpoint struct {
	VpcEndpointID       string
	AddRouteTableIDs    []string
	RemoveRouteTableIDs []string
	PolicyDocument      string // the new policy, when replaced
	ResetPolicy         bool   // the policy was reset to the default full access
}

// DeleteVpcEndpoints is ec2 DeleteVpcEndpoints.
type DeleteVpcEndpoints struct {
	VpcEndpointIDs []string
	// Unsuccessful lists the requested endpoints that AWS did not delete
	// (responseElements unsuccessful set).
	Unsuccessful []string
}

func parseCreateVpcEndpoint(req, resp any) *CreateVpcEndpoint {
	rq := unwrap(req, "CreateVpcEndpoint", "Request")
	ep := object(field(unwrap(resp, "CreateVpcEndpoint", "Response"), "vpcEndpoint"))
	var groups []string
	for _, g := range items(field(ep, "groupSet")) {
		if id := str(field(g, "groupId")); id != "" {
			groups = append(groups, id)
		}
	}
	return &CreateVpcEndpoint{
		VpcEndpointID:    str(field(ep, "vpcEndpointId")),
		VPCID:            firstStr(str(field(ep, "vpcId")), str(field(rq, "VpcId"))),
		ServiceName:      firstStr(str(field(ep, "serviceName")), str(field(rq, "ServiceName"))),
		Type:             firstStr(str(field(ep, "vpcEndpointType")), str(field(rq, "VpcEndpointType"))),
		RouteTableIDs:    firstList(strs(field(ep, "routeTableIdSet")), strs(field(rq, "RouteTableId", "RouteTableIds", "routeTableIdSet"))),
		SubnetIDs:        firstList(strs(field(ep, "subnetIdSet")), strs(field(rq, "SubnetId", "SubnetIds", "subnetIdSet"))),
		SecurityGroupIDs: firstList(groups, strs(field(rq, "SecurityGroupId", "SecurityGroupIds", "securityGroupIdSet"))),
		PolicyDocument:   firstStr(str(field(ep, "policyDocument")), str(field(rq, "PolicyDocument"))),
		State:            str(field(ep, "state")),
	}
}

func parseModifyVpcEndpoint(req, _ any) *ModifyVpcEndpoint {
	rq := unwrap(req, "ModifyVpcEndpoint", "Request")
	return &ModifyVpcEndpoint{
		VpcEndpointID:       str(field(rq, "VpcEndpointId")),
		AddRouteTableIDs:    strs(field(rq, "AddRouteTableId", "AddRouteTableIds")),
		RemoveRouteTableIDs: strs(field(rq, "RemoveRouteTableId", "RemoveRouteTableIds")),
		PolicyDocument:      str(field(rq, "PolicyDocument")),
		ResetPolicy:         boolean(field(rq, "ResetPolicy")),
	}
}

func parseDeleteVpcEndpoints(req, resp any) *DeleteVpcEndpoints {
	d := &DeleteVpcEndpoints{
		VpcEndpointIDs: strs(field(unwrap(req, "DeleteVpcEndpoints", "Request"), "VpcEndpointId", "VpcEndpointIds", "vpcEndpointIdSet")),
	}
	for _, u := range items(field(unwrap(resp, "DeleteVpcEndpoints", "Response"), "unsuccessful")) {
		if id := str(field(u, "resourceId")); id != "" {
			d.Unsuccessful = append(d.Unsuccessful, id)
		}
	}
	return d
}
