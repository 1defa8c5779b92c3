package awssim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The EC2 writes of drift: VPC attributes and DHCP options, route table
// associations and routes, security group egress rules and flow logs. Each
// validates like EC2 (the error codes of the EC2 API reference), changes
// the account and is recorded as a write.

// ec2DriftWrites are the operations here that change the account (ec2Ops
// in ec2.go routes them; DescribeSecurityGroupRules is the one read).
var ec2DriftWrites = []string{
	"ModifyVpcAttribute", "AssociateDhcpOptions", "AssociateRouteTable", "ReplaceRouteTableAssociation",
	"DisassociateRouteTable", "CreateRoute", "ReplaceRoute", "DeleteRoute", "AuthorizeSecurityGroupEgress",
	"RevokeSecurityGroupEgress", "ModifySecurityGroupRules", "DeleteFlowLogs",
}

// --- VPC attributes and DHCP options

func (s *Server) modifyVpcAttribute(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	id := p.str("VpcId")
	if id == "" {
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter vpcId")
	}
	var attr string
	var value bool
	for _, a := range []string{"EnableDnsSupport", "EnableDnsHostnames", "EnableNetworkAddressUsageMetrics"} {
		v, set, aerr := p.bool(a + ".Value")
		if aerr != nil {
			return nil, aerr
		}
		if !set {
			continue
		}
		if attr != "" {
			return nil, errorf(400, "InvalidParameterCombination", "Fields for multiple attribute types specified: %s, %s", attr, a)
		}
		attr, value = a, v
	}
	if attr == "" {
		return nil, errorf(400, "MissingParameter", "The request must contain exactly one attribute: enableDnsSupport, enableDnsHostnames or enableNetworkAddressUsageMetrics")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, aerr := s.st.vpc(id)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}
	switch attr {
	case "EnableDnsSupport":
		v.DNSSupport = Ptr(value)
	case "EnableDnsHostnames":
		v.DNSHostnames = Ptr(value)
	}
	c.result = map[string]any{"vpcId": id, "attribute": attr, "value": value}
	return &returnResponse{Return: true}, nil
}

func (s *Server) associateDhcpOptions(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	id, vpcID := p.str("DhcpOptionsId"), p.str("VpcId")
	switch {
	case id == "":
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter dhcpOptionsId")
	case vpcID == "":
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter vpcId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, aerr := s.st.vpc(vpcID)
	if aerr != nil {
		return nil, aerr
	}
	if id != "default" {
		if !strings.HasPrefix(id, "dopt-") {
			return nil, errorf(400, "InvalidDhcpOptionsId.Malformed", "Invalid id: \"%s\" (expecting \"dopt-...\")", id)
		}
		if _, ok := s.st.dhcp.byID[id]; !ok {
			return nil, errorf(400, "InvalidDhcpOptionID.NotFound", "The dhcpOption ID '%s' does not exist", id)
		}
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}
	v.DHCPOptionsID = id
	c.result = map[string]any{"vpcId": vpcID, "dhcpOptionsId": id}
	return &returnResponse{Return: true}, nil
}

func (st *state) vpc(id string) (*VPC, *apiError) {
	if !strings.HasPrefix(id, "vpc-") {
		return nil, errorf(400, "InvalidVpcID.Malformed", "Invalid id: \"%s\"", id)
	}
	v, ok := st.vpcs.byID[id]
	if !ok {
		return nil, errorf(400, "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
	}
	return v, nil
}

// --- route table associations

type associationResponse struct {
	ec2Meta
	AssociationID    string `xml:"associationId,omitempty"`
	NewAssociationID string `xml:"newAssociationId,omitempty"`
	AssociationState xState `xml:"associationState"`
}

func (st *state) routeTable(id string) (*RouteTable, *apiError) {
	if !strings.HasPrefix(id, "rtb-") {
		return nil, errorf(400, "InvalidRouteTableId.Malformed", "Invalid id: \"%s\" (expecting \"rtb-...\")", id)
	}
	t, ok := st.rtbs.byID[id]
	if !ok {
		return nil, errorf(400, "InvalidRouteTableID.NotFound", "The routeTable ID '%s' does not exist", id)
	}
	return t, nil
}

// association finds the table and subnet of an association id ("" for a
// main table's association).
func (st *state) association(id string) (*RouteTable, string, *apiError) {
	for _, t := range st.rtbs.order {
		if t.Main && st.assocID(t, "") == id {
			return t, "", nil
		}
		for _, sid := range t.Subnets {
			if st.assocID(t, sid) == id {
				return t, sid, nil
			}
		}
	}
	return nil, "", errorf(400, "InvalidAssociationID.NotFound", "The association ID '%s' does not exist", id)
}

func (s *Server) associateRouteTable(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	id, subnet := p.str("RouteTableId"), p.str("SubnetId")
	switch {
	case id == "":
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter routeTableId")
	case p.str("GatewayId") != "":
		return nil, errorf(400, "UnsupportedOperation", "awssim does not simulate gateway (edge) route table associations")
	case subnet == "":
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter subnetId or gatewayId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	t, aerr := st.routeTable(id)
	if aerr != nil {
		return nil, aerr
	}
	sn, ok := st.subnets.byID[subnet]
	if !ok {
		return nil, errorf(400, "InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", subnet)
	}
	if sn.VPC != t.VPC {
		return nil, errorf(400, "InvalidParameterValue", "Route table %s and subnet %s belong to different networks", id, subnet)
	}
	if cur := st.rtbBySubnet[subnet]; cur != nil {
		return nil, errorf(400, "Resource.AlreadyAssociated", "the specified association for route table %s conflicts with an existing association", id)
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}
	t.Subnets = append(t.Subnets, subnet)
	st.rtbBySubnet[subnet] = t
	assoc := st.assocID(t, subnet)
	c.result = map[string]any{"associationId": assoc}
	return &associationResponse{AssociationID: assoc, AssociationState: xState{"associated"}}, nil
}

func (s *Server) replaceRouteTableAssociation(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	assoc, id := p.str("AssociationId"), p.str("RouteTableId")
	switch {
	case assoc == "":
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter associationId")
	case id == "":
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter routeTableId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	old, subnet, aerr := st.association(assoc)
	if aerr != nil {
		return nil, aerr
	}
	t, aerr := st.routeTable(id)
	if aerr != nil {
		return nil, aerr
	}
	if t.VPC != old.VPC {
		return nil, errorf(400, "InvalidParameterValue", "Route table %s and association %s belong to different networks", id, assoc)
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}
	if subnet == "" { // the main association moves: t becomes the VPC's main table
		old.Main, t.Main = false, true
	} else {
		old.Subnets = slices.DeleteFunc(old.Subnets, func(x string) bool { return x == subnet })
		t.Subnets = append(t.Subnets, subnet)
		st.rtbBySubnet[subnet] = t
	}
	newAssoc := st.assocID(t, subnet)
	c.result = map[string]any{"newAssociationId": newAssoc, "subnetId": subnet, "main": subnet == ""}
	return &associationResponse{NewAssociationID: newAssoc, AssociationState: xState{"associated"}}, nil
}

func (s *Server) disassociateRouteTable(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	assoc := p.str("AssociationId")
	if assoc == "" {
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter associationId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	t, subnet, aerr := st.association(assoc)
	if aerr != nil {
		return nil, aerr
	}
	if subnet == "" {
		return nil, errorf(400, "InvalidParameterValue", "cannot disassociate the main route table association %s", assoc)
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}
	t.Subnets = slices.DeleteFunc(t.Subnets, func(x string) bool { return x == subnet })
	delete(st.rtbBySubnet, subnet)
	c.result = map[string]any{"routeTableId": t.ID, "subnetId": subnet}
	return &returnResponse{Return: true}, nil
}

// --- routes

// routeOf reads a route's destination and target from CreateRoute or
// ReplaceRoute parameters.
func routeOf(p ec2Params, needTarget bool) (Route, *apiError) {
	var r Route
	dests := 0
	for _, d := range []struct {
		param string
		to    *string
	}{{"DestinationCidrBlock", &r.DestinationCIDR}, {"DestinationIpv6CidrBlock", &r.DestinationIPv6CIDR}, {"DestinationPrefixListId", &r.DestinationPrefixListID}} {
		if v := p.str(d.param); v != "" {
			*d.to = v
			dests++
		}
	}
	if dests != 1 {
		return r, errorf(400, "InvalidParameterCombination", "The request must contain exactly one of destinationCidrBlock, destinationIpv6CidrBlock or destinationPrefixListId")
	}
	if !needTarget {
		return r, nil
	}
	targets := 0
	for _, tg := range []struct {
		param string
		to    *string
	}{{"GatewayId", &r.GatewayID}, {"NatGatewayId", &r.NATGatewayID}, {"TransitGatewayId", &r.TransitGatewayID},
		{"VpcPeeringConnectionId", &r.VPCPeeringConnectionID}, {"NetworkInterfaceId", &r.NetworkInterfaceID},
		{"EgressOnlyInternetGatewayId", &r.EgressOnlyIGWID}} {
		if v := p.str(tg.param); v != "" {
			*tg.to = v
			targets++
		}
	}
	if targets != 1 {
		return r, errorf(400, "InvalidParameterCombination", "The request must contain exactly one route target")
	}
	if strings.HasPrefix(r.GatewayID, "vpce-") {
		return r, errorf(400, "InvalidParameterValue", "routes to gateway endpoint %s are managed with ModifyVpcEndpoint", r.GatewayID)
	}
	r.State, r.Origin = "active", "CreateRoute"
	return r, nil
}

func (st *state) checkRouteTarget(t *RouteTable, r Route) *apiError {
	if r.NATGatewayID != "" {
		n, ok := st.nats.byID[r.NATGatewayID]
		if !ok {
			return errorf(400, "InvalidNatGatewayID.NotFound", "The natGateway ID '%s' does not exist", r.NATGatewayID)
		}
		if n.VPC != t.VPC {
			return errorf(400, "InvalidParameterValue", "NAT gateway %s is in another VPC than route table %s", r.NATGatewayID, t.ID)
		}
	}
	return nil
}

func (s *Server) createRoute(c *call) (any, *apiError) { return s.putRoute(c, false) }

func (s *Server) replaceRoute(c *call) (any, *apiError) { return s.putRoute(c, true) }

// putRoute is CreateRoute (replace false) and ReplaceRoute.
func (s *Server) putRoute(c *call, replace bool) (any, *apiError) {
	p := ec2Params(c.form)
	id := p.str("RouteTableId")
	if id == "" {
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter routeTableId")
	}
	r, aerr := routeOf(p, true)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, aerr := s.st.routeTable(id)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.st.checkRouteTarget(t, r); aerr != nil {
		return nil, aerr
	}
	i := slices.IndexFunc(t.Routes, func(x Route) bool { return routeDest(x) == routeDest(r) })
	switch {
	case !replace && i >= 0:
		return nil, errorf(400, "RouteAlreadyExists", "The route identified by %s already exists.", routeDest(r))
	case replace && i < 0:
		return nil, errorf(400, "InvalidRoute.NotFound", "There is no route defined for '%s' in the route table. Use CreateRoute instead.", routeDest(r))
	case replace && (t.Routes[i].GatewayID == "local" || strings.HasPrefix(t.Routes[i].GatewayID, "vpce-")):
		return nil, errorf(400, "InvalidParameterValue", "cannot replace the route to %s through %s", routeDest(r), t.Routes[i].GatewayID)
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}
	if replace {
		r.Origin = "ReplaceRoute"
		t.Routes[i] = r
	} else {
		t.Routes = append(t.Routes, r)
	}
	c.result = map[string]any{"routeTableId": id, "destination": routeDest(r)}
	return &returnResponse{Return: true}, nil
}

func (s *Server) deleteRoute(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	id := p.str("RouteTableId")
	if id == "" {
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter routeTableId")
	}
	r, aerr := routeOf(p, false)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, aerr := s.st.routeTable(id)
	if aerr != nil {
		return nil, aerr
	}
	i := slices.IndexFunc(t.Routes, func(x Route) bool { return routeDest(x) == routeDest(r) })
	switch {
	case i < 0:
		return nil, errorf(400, "InvalidRoute.NotFound", "no route with destination-cidr-block %s in route table %s", routeDest(r), id)
	case t.Routes[i].GatewayID == "local":
		return nil, errorf(400, "InvalidParameterValue", "cannot remove local route %s in route table %s", routeDest(r), id)
	case strings.HasPrefix(t.Routes[i].GatewayID, "vpce-"):
		return nil, errorf(400, "InvalidParameterValue", "the route to %s belongs to gateway endpoint %s: remove the table from the endpoint with ModifyVpcEndpoint", routeDest(r), t.Routes[i].GatewayID)
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}
	t.Routes = slices.Delete(t.Routes, i, i+1)
	c.result = map[string]any{"routeTableId": id, "destination": routeDest(r)}
	return &returnResponse{Return: true}, nil
}

// --- security group egress rules

// ruleElem is one security group rule as EC2 numbers them: a protocol,
// a port range and one destination (a CIDR, an IPv6 CIDR, a prefix list or
// a group).
type ruleElem struct {
	Protocol         string
	FromPort, ToPort int32
	kind, target     string // cidr | cidr6 | pl | group
	description      string
}

func (e ruleElem) key(group string) string {
	proto := normProtocol(e.Protocol)
	if proto == "-1" {
		return fmt.Sprintf("%s|egress|-1|%s|%s", group, e.kind, e.target)
	}
	return fmt.Sprintf("%s|egress|%s|%d|%d|%s|%s", group, proto, e.FromPort, e.ToPort, e.kind, e.target)
}

func normProtocol(p string) string {
	switch strings.ToLower(p) {
	case "tcp", "6":
		return "tcp"
	case "udp", "17":
		return "udp"
	case "icmp", "1":
		return "icmp"
	case "-1", "all":
		return "-1"
	}
	return strings.ToLower(p)
}

func elems(rules []Rule) []ruleElem {
	var out []ruleElem
	for _, r := range rules {
		base := ruleElem{Protocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort}
		for _, c := range r.IPRanges {
			e := base
			e.kind, e.target, e.description = "cidr", c.CIDR, c.Description
			out = append(out, e)
		}
		for _, c := range r.IPv6Ranges {
			e := base
			e.kind, e.target, e.description = "cidr6", c.CIDR, c.Description
			out = append(out, e)
		}
		for _, pl := range r.PrefixListIDs {
			e := base
			e.kind, e.target, e.description = "pl", pl.ID, pl.Description
			out = append(out, e)
		}
		for _, g := range r.Groups {
			e := base
			e.kind, e.target, e.description = "group", g.GroupID, g.Description
			out = append(out, e)
		}
	}
	return out
}

// rulesOf turns elements back into rules, one per element.
func rulesOf(es []ruleElem) []Rule {
	out := make([]Rule, 0, len(es))
	for _, e := range es {
		r := Rule{Protocol: e.Protocol, FromPort: e.FromPort, ToPort: e.ToPort}
		switch e.kind {
		case "cidr":
			r.IPRanges = []IPRange{{e.target, e.description}}
		case "cidr6":
			r.IPv6Ranges = []IPRange{{e.target, e.description}}
		case "pl":
			r.PrefixListIDs = []PrefixListRef{{e.target, e.description}}
		case "group":
			r.Groups = []GroupRef{{GroupID: e.target, Description: e.description}}
		}
		out = append(out, r)
	}
	return out
}

// ruleID is the security group rule id of an element: derived from it, or
// the id it kept through ModifySecurityGroupRules.
func (st *state) ruleID(group string, e ruleElem) string {
	k := e.key(group)
	if id, ok := st.ruleIDs[k]; ok {
		return id
	}
	return st.derivedID("sgr-", k)
}

// permissionElems reads IpPermissions.N of an Authorize/Revoke request.
func permissionElems(p ec2Params) ([]ruleElem, *apiError) {
	var out []ruleElem
	for _, perm := range p.indexes("IpPermissions") {
		proto := p.str(perm + ".IpProtocol")
		if proto == "" {
			return nil, errorf(400, "MissingParameter", "The request must contain the parameter ipPermissions.ipProtocol")
		}
		base := ruleElem{Protocol: proto}
		if normProtocol(proto) != "-1" {
			for _, port := range []struct {
				param string
				to    *int32
			}{{".FromPort", &base.FromPort}, {".ToPort", &base.ToPort}} {
				n, err := strconv.Atoi(p.str(perm + port.param))
				if err != nil {
					return nil, errorf(400, "InvalidParameterValue", "Invalid value for portRange. Must specify both from and to ports with TCP/UDP.")
				}
				*port.to = int32(n)
			}
		}
		n := len(out)
		for _, r := range p.indexes(perm + ".IpRanges") {
			out = append(out, withTarget(base, "cidr", p.str(r+".CidrIp"), p.str(r+".Description")))
		}
		for _, r := range p.indexes(perm + ".Ipv6Ranges") {
			out = append(out, withTarget(base, "cidr6", p.str(r+".CidrIpv6"), p.str(r+".Description")))
		}
		for _, r := range p.indexes(perm + ".PrefixListIds") {
			out = append(out, withTarget(base, "pl", p.str(r+".PrefixListId"), p.str(r+".Description")))
		}
		for _, r := range p.indexes(perm + ".Groups") {
			out = append(out, withTarget(base, "group", p.str(r+".GroupId"), p.str(r+".Description")))
		}
		if len(out) == n {
			return nil, errorf(400, "InvalidParameterValue", "each permission needs a destination: a CIDR, an IPv6 CIDR, a prefix list or a group")
		}
	}
	return out, nil
}

func withTarget(e ruleElem, kind, target, description string) ruleElem {
	e.kind, e.target, e.description = kind, target, description
	return e
}

func (st *state) egressGroup(id string) (*SecurityGroup, *apiError) {
	if id == "" {
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter groupId")
	}
	if !strings.HasPrefix(id, "sg-") {
		return nil, errorf(400, "InvalidGroupId.Malformed", "Invalid id: \"%s\" (expecting \"sg-...\")", id)
	}
	g, ok := st.sgs.byID[id]
	if !ok {
		return nil, errorf(400, "InvalidGroup.NotFound", "The security group '%s' does not exist", id)
	}
	return g, nil
}

type xSecurityGroupRule struct {
	SecurityGroupRuleID string `xml:"securityGroupRuleId"`
	GroupID             string `xml:"groupId"`
	GroupOwnerID        string `xml:"groupOwnerId"`
	IsEgress            bool   `xml:"isEgress"`
	IPProtocol          string `xml:"ipProtocol"`
	FromPort            int32  `xml:"fromPort"`
	ToPort              int32  `xml:"toPort"`
	CidrIpv4            string `xml:"cidrIpv4,omitempty"`
	CidrIpv6            string `xml:"cidrIpv6,omitempty"`
	PrefixListID        string `xml:"prefixListId,omitempty"`
	ReferencedGroupInfo *struct {
		GroupID string `xml:"groupId"`
	} `xml:"referencedGroupInfo,omitempty"`
	Description string `xml:"description,omitempty"`
}

func (st *state) xRule(g *SecurityGroup, e ruleElem) xSecurityGroupRule {
	x := xSecurityGroupRule{
		SecurityGroupRuleID: st.ruleID(g.ID, e), GroupID: g.ID, GroupOwnerID: g.OwnerID, IsEgress: true,
		IPProtocol: e.Protocol, FromPort: e.FromPort, ToPort: e.ToPort, Description: e.description,
	}
	if normProtocol(e.Protocol) == "-1" {
		x.FromPort, x.ToPort = -1, -1
	}
	switch e.kind {
	case "cidr":
		x.CidrIpv4 = e.target
	case "cidr6":
		x.CidrIpv6 = e.target
	case "pl":
		x.PrefixListID = e.target
	case "group":
		x.ReferencedGroupInfo = &struct {
			GroupID string `xml:"groupId"`
		}{e.target}
	}
	return x
}

type authorizeEgressResponse struct {
	ec2Meta
	Return bool                      `xml:"return"`
	Rules  items[xSecurityGroupRule] `xml:"securityGroupRuleSet"`
}

func (s *Server) authorizeSecurityGroupEgress(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	add, aerr := permissionElems(p)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	g, aerr := st.egressGroup(p.str("GroupId"))
	if aerr != nil {
		return nil, aerr
	}
	have := elems(g.Egress)
	for _, e := range add {
		if slices.ContainsFunc(have, func(h ruleElem) bool { return h.key(g.ID) == e.key(g.ID) }) {
			return nil, errorf(400, "InvalidPermission.Duplicate", "the specified rule \"peer: %s, %s, ALLOW\" already exists", e.target, e.Protocol)
		}
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}
	g.Egress = append(g.Egress, rulesOf(add)...)
	out := &authorizeEgressResponse{Return: true}
	var ids []string
	for _, e := range add {
		x := st.xRule(g, e)
		out.Rules.Items = append(out.Rules.Items, x)
		ids = append(ids, x.SecurityGroupRuleID)
	}
	c.result = map[string]any{"groupId": g.ID, "securityGroupRuleIds": ids}
	return out, nil
}

type revokeEgressResponse struct {
	ec2Meta
	Return  bool                 `xml:"return"`
	Unknown items[xIPPermission] `xml:"unknownIpPermissionSet"`
}

func (s *Server) revokeSecurityGroupEgress(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	drop, aerr := permissionElems(p)
	if aerr != nil {
		return nil, aerr
	}
	ruleIDs := p.list("SecurityGroupRuleId")
	if len(drop) == 0 && len(ruleIDs) == 0 {
		return nil, errorf(400, "MissingParameter", "The request must contain ipPermissions or securityGroupRuleIds")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	g, aerr := st.egressGroup(p.str("GroupId"))
	if aerr != nil {
		return nil, aerr
	}
	have := elems(g.Egress)
	for _, id := range ruleIDs {
		if !slices.ContainsFunc(have, func(h ruleElem) bool { return st.ruleID(g.ID, h) == id }) {
			return nil, errorf(400, "InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
		}
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}
	out := &revokeEgressResponse{Return: true}
	var unknown []ruleElem
	for _, e := range drop {
		if !slices.ContainsFunc(have, func(h ruleElem) bool { return h.key(g.ID) == e.key(g.ID) }) {
			unknown = append(unknown, e)
		}
	}
	kept := slices.DeleteFunc(slices.Clone(have), func(h ruleElem) bool {
		return slices.Contains(ruleIDs, st.ruleID(g.ID, h)) ||
			slices.ContainsFunc(drop, func(e ruleElem) bool { return h.key(g.ID) == e.key(g.ID) })
	})
	g.Egress = rulesOf(kept)
	out.Unknown = xPermissions(rulesOf(unknown))
	c.result = map[string]any{"groupId": g.ID, "revoked": len(have) - len(kept), "unknown": len(unknown)}
	return out, nil
}

func (s *Server) modifySecurityGroupRules(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	type change struct {
		id string
		to ruleElem
	}
	var changes []change
	for _, r := range p.indexes("SecurityGroupRule") {
		id := p.str(r + ".SecurityGroupRuleId")
		if id == "" {
			return nil, errorf(400, "MissingParameter", "The request must contain the parameter SecurityGroupRule.SecurityGroupRuleId")
		}
		spec := r + ".SecurityGroupRule"
		e := ruleElem{Protocol: p.str(spec + ".IpProtocol"), description: p.str(spec + ".Description")}
		if e.Protocol == "" {
			return nil, errorf(400, "MissingParameter", "The request must contain the parameter SecurityGroupRule.IpProtocol")
		}
		if normProtocol(e.Protocol) != "-1" {
			from, err1 := strconv.Atoi(p.str(spec + ".FromPort"))
			to, err2 := strconv.Atoi(p.str(spec + ".ToPort"))
			if err1 != nil || err2 != nil {
				return nil, errorf(400, "InvalidParameterValue", "Invalid value for portRange. Must specify both from and to ports with TCP/UDP.")
			}
			e.FromPort, e.ToPort = int32(from), int32(to)
		}
		n := 0
		for _, t := range []struct{ param, kind string }{{".CidrIpv4", "cidr"}, {".CidrIpv6", "cidr6"}, {".PrefixListId", "pl"}, {".ReferencedGroupId", "group"}} {
			if v := p.str(spec + t.param); v != "" {
				e.kind, e.target = t.kind, v
				n++
			}
		}
		if n != 1 {
			return nil, errorf(400, "InvalidParameterCombination", "a security group rule needs exactly one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId")
		}
		changes = append(changes, change{id, e})
	}
	if len(changes) == 0 {
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter SecurityGroupRule")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	g, aerr := st.egressGroup(p.str("GroupId"))
	if aerr != nil {
		return nil, aerr
	}
	es := elems(g.Egress)
	for _, ch := range changes {
		i := slices.IndexFunc(es, func(h ruleElem) bool { return st.ruleID(g.ID, h) == ch.id })
		if i < 0 {
			// Ingress rules are not simulated: only egress ids exist here.
			return nil, errorf(400, "InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", ch.id)
		}
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}
	for _, ch := range changes {
		i := slices.IndexFunc(es, func(h ruleElem) bool { return st.ruleID(g.ID, h) == ch.id })
		es[i] = ch.to
		if st.ruleIDs == nil {
			st.ruleIDs = map[string]string{}
		}
		st.ruleIDs[ch.to.key(g.ID)] = ch.id // a modified rule keeps its id
	}
	g.Egress = rulesOf(es)
	c.result = map[string]any{"groupId": g.ID, "modified": len(changes)}
	return &returnResponse{Return: true}, nil
}

type describeSecurityGroupRulesResponse struct {
	ec2Meta
	Rules     items[xSecurityGroupRule] `xml:"securityGroupRuleSet"`
	NextToken string                    `xml:"nextToken,omitempty"`
}

// describeSecurityGroupRules lists egress rules (ingress rules are not
// numbered here), by SecurityGroupRuleId.N or the group-id filter.
func (s *Server) describeSecurityGroupRules(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	var groups []string
	for _, f := range p.filters() {
		switch f.name {
		case "group-id":
			groups = append(groups, f.values...)
		default:
			return nil, errorf(400, "InvalidParameterValue", "The filter '%s' is invalid", f.name)
		}
	}
	ids := p.list("SecurityGroupRuleId")
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.st
	out := &describeSecurityGroupRulesResponse{}
	for _, g := range st.sgs.order {
		if len(groups) > 0 && !slices.Contains(groups, g.ID) {
			continue
		}
		for _, e := range elems(g.Egress) {
			x := st.xRule(g, e)
			if len(ids) == 0 || slices.Contains(ids, x.SecurityGroupRuleID) {
				out.Rules.Items = append(out.Rules.Items, x)
			}
		}
	}
	return out, nil
}

// --- flow logs

func (s *Server) deleteFlowLogs(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	ids := p.list("FlowLogId")
	if len(ids) == 0 {
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter FlowLogId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}
	out := &deleteVpcEndpointsResponse{}
	var deleted, failed []string
	for _, id := range dedupe(ids) {
		f, ok := st.flowLogs.byID[id]
		if !ok {
			u := xUnsuccessful{ResourceID: id}
			u.Error.Code = "InvalidFlowLogId.NotFound"
			u.Error.Message = fmt.Sprintf("Flow log %s does not exist", id)
			out.Unsuccessful.Items = append(out.Unsuccessful.Items, u)
			failed = append(failed, id)
			continue
		}
		delete(st.flowLogs.byID, id)
		st.flowLogs.order = slices.DeleteFunc(st.flowLogs.order, func(x *FlowLog) bool { return x == f })
		st.flowLogsByRes[f.Resource] = slices.DeleteFunc(st.flowLogsByRes[f.Resource], func(x *FlowLog) bool { return x == f })
		deleted = append(deleted, id)
	}
	c.result = map[string]any{"deleted": deleted, "unsuccessful": failed}
	return out, nil
}
