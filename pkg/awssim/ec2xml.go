package awssim

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The EC2 XML shapes, after the published examples of the EC2 API
// Reference and the element names the SDK's deserializer reads.

const ec2NS = "http://ec2.amazonaws.com/doc/2016-11-15/"

// ec2Meta is embedded in every EC2 response.
type ec2Meta struct {
	RequestID string `xml:"requestId"`
}

func (m *ec2Meta) setRequestID(id string) { m.RequestID = id }

// items is an EC2 list: <fooSet><item>…</item></fooSet>.
type items[T any] struct {
	Items []T `xml:"item"`
}

func itemsOf[T any](v []T) items[T] { return items[T]{Items: v} }

type xTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

func xTags(t Tags) items[xTag] {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]xTag, len(keys))
	for i, k := range keys {
		out[i] = xTag{k, t[k]}
	}
	return itemsOf(out)
}

// xTagsOmitEmpty is for resources whose tagSet AWS leaves out when empty.
func xTagsOmitEmpty(t Tags) *items[xTag] {
	if len(t) == 0 {
		return nil
	}
	v := xTags(t)
	return &v
}

type xState struct {
	State string `xml:"state"`
}

func ec2Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// --- subnets

type xSubnet struct {
	SubnetID                    string               `xml:"subnetId"`
	SubnetArn                   string               `xml:"subnetArn"`
	State                       string               `xml:"state"`
	OwnerID                     string               `xml:"ownerId"`
	VpcID                       string               `xml:"vpcId"`
	CidrBlock                   string               `xml:"cidrBlock"`
	Ipv6CidrBlockAssociationSet items[xSubnetIpv6]   `xml:"ipv6CidrBlockAssociationSet"`
	AvailableIPAddressCount     int                  `xml:"availableIpAddressCount"`
	AvailabilityZone            string               `xml:"availabilityZone"`
	AvailabilityZoneID          string               `xml:"availabilityZoneId"`
	DefaultForAz                bool                 `xml:"defaultForAz"`
	MapPublicIPOnLaunch         bool                 `xml:"mapPublicIpOnLaunch"`
	AssignIpv6AddressOnCreation bool                 `xml:"assignIpv6AddressOnCreation"`
	MapCustomerOwnedIPOnLaunch  bool                 `xml:"mapCustomerOwnedIpOnLaunch"`
	EnableDNS64                 bool                 `xml:"enableDns64"`
	IPv6Native                  bool                 `xml:"ipv6Native"`
	Tags                        *items[xTag]         `xml:"tagSet,omitempty"`
	PrivateDNSNameOptions       *xPrivateDNSNameOpts `xml:"privateDnsNameOptionsOnLaunch,omitempty"`
}

type xSubnetIpv6 struct {
	Ipv6CidrBlock string `xml:"ipv6CidrBlock"`
	AssociationID string `xml:"associationId"`
	State         xState `xml:"ipv6CidrBlockState"`
}

type xPrivateDNSNameOpts struct {
	HostnameType                    string `xml:"hostnameType"`
	EnableResourceNameDNSARecord    bool   `xml:"enableResourceNameDnsARecord"`
	EnableResourceNameDNSAAAARecord bool   `xml:"enableResourceNameDnsAAAARecord"`
}

type describeSubnetsResponse struct {
	ec2Meta
	Subnets   items[xSubnet] `xml:"subnetSet"`
	NextToken string         `xml:"nextToken,omitempty"`
}

func (st *state) xSubnet(sn *Subnet) xSubnet {
	x := xSubnet{
		SubnetID:                sn.ID,
		SubnetArn:               fmt.Sprintf("arn:%s:ec2:%s:%s:subnet/%s", st.partition, st.region, sn.OwnerID, sn.ID),
		State:                   sn.State,
		OwnerID:                 sn.OwnerID,
		VpcID:                   sn.VPC,
		CidrBlock:               sn.CIDR,
		AvailableIPAddressCount: *sn.AvailableIPs,
		AvailabilityZone:        sn.AZ,
		AvailabilityZoneID:      sn.AZID,
		DefaultForAz:            sn.DefaultForAZ,
		MapPublicIPOnLaunch:     sn.MapPublicIPOnLaunch,
		Tags:                    xTagsOmitEmpty(sn.Tags),
		PrivateDNSNameOptions:   &xPrivateDNSNameOpts{HostnameType: "ip-name"},
	}
	if sn.IPv6CIDR != "" {
		x.Ipv6CidrBlockAssociationSet = itemsOf([]xSubnetIpv6{{
			Ipv6CidrBlock: sn.IPv6CIDR,
			AssociationID: st.derivedID("subnet-cidr-assoc-", sn.ID),
			State:         xState{"associated"},
		}})
	}
	return x
}

// --- route tables

type xRouteTable struct {
	RouteTableID    string          `xml:"routeTableId"`
	VpcID           string          `xml:"vpcId"`
	OwnerID         string          `xml:"ownerId"`
	Routes          items[xRoute]   `xml:"routeSet"`
	Associations    items[xAssoc]   `xml:"associationSet"`
	PropagatingVgws items[struct{}] `xml:"propagatingVgwSet"`
	Tags            items[xTag]     `xml:"tagSet"`
}

type xRoute struct {
	DestinationCidrBlock        string `xml:"destinationCidrBlock,omitempty"`
	DestinationIpv6CidrBlock    string `xml:"destinationIpv6CidrBlock,omitempty"`
	DestinationPrefixListID     string `xml:"destinationPrefixListId,omitempty"`
	GatewayID                   string `xml:"gatewayId,omitempty"`
	NatGatewayID                string `xml:"natGatewayId,omitempty"`
	TransitGatewayID            string `xml:"transitGatewayId,omitempty"`
	VpcPeeringConnectionID      string `xml:"vpcPeeringConnectionId,omitempty"`
	NetworkInterfaceID          string `xml:"networkInterfaceId,omitempty"`
	EgressOnlyInternetGatewayID string `xml:"egressOnlyInternetGatewayId,omitempty"`
	State                       string `xml:"state"`
	Origin                      string `xml:"origin"`
}

type xAssoc struct {
	RouteTableAssociationID string `xml:"routeTableAssociationId"`
	RouteTableID            string `xml:"routeTableId"`
	SubnetID                string `xml:"subnetId,omitempty"`
	Main                    bool   `xml:"main"`
	AssociationState        xState `xml:"associationState"`
}

type describeRouteTablesResponse struct {
	ec2Meta
	RouteTables items[xRouteTable] `xml:"routeTableSet"`
	NextToken   string             `xml:"nextToken,omitempty"`
}

func (st *state) assocID(t *RouteTable, subnet string) string {
	if subnet == "" {
		subnet = "main"
	}
	return st.derivedID("rtbassoc-", t.ID+"/"+subnet)
}

func (st *state) xRouteTable(t *RouteTable) xRouteTable {
	x := xRouteTable{RouteTableID: t.ID, VpcID: t.VPC, OwnerID: t.OwnerID, Tags: xTags(t.Tags)}
	for _, r := range t.Routes {
		x.Routes.Items = append(x.Routes.Items, xRoute{
			DestinationCidrBlock:        r.DestinationCIDR,
			DestinationIpv6CidrBlock:    r.DestinationIPv6CIDR,
			DestinationPrefixListID:     r.DestinationPrefixListID,
			GatewayID:                   r.GatewayID,
			NatGatewayID:                r.NATGatewayID,
			TransitGatewayID:            r.TransitGatewayID,
			VpcPeeringConnectionID:      r.VPCPeeringConnectionID,
			NetworkInterfaceID:          r.NetworkInterfaceID,
			EgressOnlyInternetGatewayID: r.EgressOnlyIGWID,
			State:                       r.State,
			Origin:                      r.Origin,
		})
	}
	if t.Main {
		x.Associations.Items = append(x.Associations.Items, xAssoc{
			RouteTableAssociationID: st.assocID(t, ""), RouteTableID: t.ID, Main: true, AssociationState: xState{"associated"},
		})
	}
	for _, sid := range t.Subnets {
		x.Associations.Items = append(x.Associations.Items, xAssoc{
			RouteTableAssociationID: st.assocID(t, sid), RouteTableID: t.ID, SubnetID: sid, AssociationState: xState{"associated"},
		})
	}
	return x
}

// --- VPC endpoints

type xVpcEndpoint struct {
	VpcEndpointID       string                  `xml:"vpcEndpointId"`
	VpcEndpointType     string                  `xml:"vpcEndpointType"`
	VpcID               string                  `xml:"vpcId"`
	ServiceName         string                  `xml:"serviceName"`
	State               string                  `xml:"state"`
	PolicyDocument      string                  `xml:"policyDocument,omitempty"`
	RouteTableIDs       items[string]           `xml:"routeTableIdSet"`
	SubnetIDs           items[string]           `xml:"subnetIdSet"`
	Groups              items[xGroupIdentifier] `xml:"groupSet"`
	IPAddressType       string                  `xml:"ipAddressType,omitempty"`
	DNSOptions          *xDNSOptions            `xml:"dnsOptions,omitempty"`
	PrivateDNSEnabled   bool                    `xml:"privateDnsEnabled"`
	RequesterManaged    bool                    `xml:"requesterManaged"`
	NetworkInterfaceIDs items[string]           `xml:"networkInterfaceIdSet"`
	DNSEntries          items[xDNSEntry]        `xml:"dnsEntrySet"`
	CreationTimestamp   string                  `xml:"creationTimestamp"`
	Tags                items[xTag]             `xml:"tagSet"`
	OwnerID             string                  `xml:"ownerId"`
}

type xGroupIdentifier struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type xDNSEntry struct {
	DNSName      string `xml:"dnsName"`
	HostedZoneID string `xml:"hostedZoneId"`
}

type xDNSOptions struct {
	DNSRecordIPType string `xml:"dnsRecordIpType"`
}

type describeVpcEndpointsResponse struct {
	ec2Meta
	VpcEndpoints items[xVpcEndpoint] `xml:"vpcEndpointSet"`
	NextToken    string              `xml:"nextToken,omitempty"`
}

func (st *state) xVpcEndpoint(e *VPCEndpoint) xVpcEndpoint {
	x := xVpcEndpoint{
		VpcEndpointID:       e.ID,
		VpcEndpointType:     e.Type,
		VpcID:               e.VPC,
		ServiceName:         e.Service,
		State:               e.State,
		PolicyDocument:      string(e.Policy),
		RouteTableIDs:       itemsOf(e.RouteTables),
		SubnetIDs:           itemsOf(e.Subnets),
		PrivateDNSEnabled:   *e.PrivateDNS,
		RequesterManaged:    e.RequesterManaged,
		NetworkInterfaceIDs: itemsOf(e.NetworkInterfaceIDs),
		CreationTimestamp:   ec2Time(*e.CreationTime),
		Tags:                xTags(e.Tags),
		OwnerID:             e.OwnerID,
	}
	if e.Type == "Interface" || e.Type == "Gateway" {
		x.IPAddressType = "ipv4"
	}
	if e.Type == "Interface" {
		x.DNSOptions = &xDNSOptions{DNSRecordIPType: "ipv4"}
		x.DNSEntries = itemsOf(st.dnsEntries(e))
	}
	for _, gid := range e.SecurityGroups {
		name := gid
		if g, ok := st.sgs.byID[gid]; ok {
			name = g.Name
		}
		x.Groups.Items = append(x.Groups.Items, xGroupIdentifier{gid, name})
	}
	return x
}

// dnsEntries are the DNS names of an Interface endpoint: the regional one,
// one per subnet's AZ, and the service's own name with private DNS.
func (st *state) dnsEntries(e *VPCEndpoint) []xDNSEntry {
	svc := e.Service[strings.LastIndexByte(e.Service, '.')+1:]
	tag := st.derivedID("", e.ID)[9:17]
	zone := "Z" + strings.ToUpper(st.derivedID("", "zone/"+st.region)[4:17])
	if st.region == "us-east-1" {
		zone = "Z7HUB22UULQXV"
	}
	base := fmt.Sprintf("%s-%s", e.ID, tag)
	out := []xDNSEntry{{fmt.Sprintf("%s.%s.%s.vpce.amazonaws.com", base, svc, st.region), zone}}
	seen := map[string]bool{}
	for _, sid := range e.Subnets {
		if sn, ok := st.subnets.byID[sid]; ok && !seen[sn.AZ] {
			seen[sn.AZ] = true
			out = append(out, xDNSEntry{fmt.Sprintf("%s-%s.%s.%s.vpce.amazonaws.com", base, sn.AZ, svc, st.region), zone})
		}
	}
	if *e.PrivateDNS && isAWSService(e.Service) {
		out = append(out, xDNSEntry{fmt.Sprintf("%s.%s.amazonaws.com", svc, st.region), "Z" + strings.ToUpper(st.derivedID("", "private/"+e.ID)[4:17])})
	}
	return out
}

type createVpcEndpointResponse struct {
	ec2Meta
	VpcEndpoint xVpcEndpoint `xml:"vpcEndpoint"`
	ClientToken string       `xml:"clientToken,omitempty"`
}

type returnResponse struct {
	ec2Meta
	Return bool `xml:"return"`
}

type xUnsuccessful struct {
	Error struct {
		Code    string `xml:"code"`
		Message string `xml:"message"`
	} `xml:"error"`
	ResourceID string `xml:"resourceId"`
}

type deleteVpcEndpointsResponse struct {
	ec2Meta
	Unsuccessful items[xUnsuccessful] `xml:"unsuccessful"`
}

// --- VPCs

type xVpc struct {
	VpcID                   string            `xml:"vpcId"`
	OwnerID                 string            `xml:"ownerId"`
	State                   string            `xml:"state"`
	CidrBlock               string            `xml:"cidrBlock"`
	CidrBlockAssociationSet items[xCidrAssoc] `xml:"cidrBlockAssociationSet"`
	DhcpOptionsID           string            `xml:"dhcpOptionsId"`
	Tags                    *items[xTag]      `xml:"tagSet,omitempty"`
	InstanceTenancy         string            `xml:"instanceTenancy"`
	IsDefault               bool              `xml:"isDefault"`
}

type xCidrAssoc struct {
	CidrBlock     string `xml:"cidrBlock"`
	AssociationID string `xml:"associationId"`
	State         xState `xml:"cidrBlockState"`
}

type describeVpcsResponse struct {
	ec2Meta
	Vpcs      items[xVpc] `xml:"vpcSet"`
	NextToken string      `xml:"nextToken,omitempty"`
}

func (st *state) xVpc(v *VPC) xVpc {
	return xVpc{
		VpcID:     v.ID,
		OwnerID:   v.OwnerID,
		State:     v.State,
		CidrBlock: v.CIDR,
		CidrBlockAssociationSet: itemsOf([]xCidrAssoc{{
			CidrBlock: v.CIDR, AssociationID: st.derivedID("vpc-cidr-assoc-", v.ID), State: xState{"associated"},
		}}),
		DhcpOptionsID:   v.DHCPOptionsID,
		Tags:            xTagsOmitEmpty(v.Tags),
		InstanceTenancy: "default",
		IsDefault:       v.IsDefault,
	}
}

type xBoolValue struct {
	Value bool `xml:"value"`
}

type describeVpcAttributeResponse struct {
	ec2Meta
	VpcID                            string      `xml:"vpcId"`
	EnableDNSSupport                 *xBoolValue `xml:"enableDnsSupport,omitempty"`
	EnableDNSHostnames               *xBoolValue `xml:"enableDnsHostnames,omitempty"`
	EnableNetworkAddressUsageMetrics *xBoolValue `xml:"enableNetworkAddressUsageMetrics,omitempty"`
}

// --- DHCP options

type xDhcpOptions struct {
	DhcpOptionsID  string             `xml:"dhcpOptionsId"`
	OwnerID        string             `xml:"ownerId"`
	Configurations items[xDhcpConfig] `xml:"dhcpConfigurationSet"`
	Tags           items[xTag]        `xml:"tagSet"`
}

type xDhcpConfig struct {
	Key    string             `xml:"key"`
	Values items[xAttrString] `xml:"valueSet"`
}

type xAttrString struct {
	Value string `xml:"value"`
}

type describeDhcpOptionsResponse struct {
	ec2Meta
	DhcpOptions items[xDhcpOptions] `xml:"dhcpOptionsSet"`
	NextToken   string              `xml:"nextToken,omitempty"`
}

func (st *state) xDhcpOptions(d *DHCPOptions) xDhcpOptions {
	x := xDhcpOptions{DhcpOptionsID: d.ID, OwnerID: st.account, Tags: xTags(d.Tags)}
	add := func(key string, vals ...string) {
		var vs []xAttrString
		for _, v := range vals {
			if v != "" {
				vs = append(vs, xAttrString{v})
			}
		}
		if len(vs) > 0 {
			x.Configurations.Items = append(x.Configurations.Items, xDhcpConfig{key, itemsOf(vs)})
		}
	}
	add("domain-name", d.DomainName)
	add("domain-name-servers", d.DomainNameServers...)
	add("ntp-servers", d.NTPServers...)
	return x
}

// --- flow logs

type xFlowLog struct {
	CreationTime           string      `xml:"creationTime"`
	DeliverLogsStatus      string      `xml:"deliverLogsStatus"`
	FlowLogID              string      `xml:"flowLogId"`
	FlowLogStatus          string      `xml:"flowLogStatus"`
	LogGroupName           string      `xml:"logGroupName,omitempty"`
	ResourceID             string      `xml:"resourceId"`
	TrafficType            string      `xml:"trafficType"`
	LogDestinationType     string      `xml:"logDestinationType"`
	LogDestination         string      `xml:"logDestination,omitempty"`
	LogFormat              string      `xml:"logFormat"`
	MaxAggregationInterval int         `xml:"maxAggregationInterval"`
	Tags                   items[xTag] `xml:"tagSet"`
}

const defaultFlowLogFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"

type describeFlowLogsResponse struct {
	ec2Meta
	FlowLogs  items[xFlowLog] `xml:"flowLogSet"`
	NextToken string          `xml:"nextToken,omitempty"`
}

func xFlowLogOf(f *FlowLog) xFlowLog {
	return xFlowLog{
		CreationTime:           ec2Time(baseTime),
		DeliverLogsStatus:      f.DeliverStatus,
		FlowLogID:              f.ID,
		FlowLogStatus:          f.Status,
		LogGroupName:           f.LogGroupName,
		ResourceID:             f.Resource,
		TrafficType:            f.TrafficType,
		LogDestinationType:     f.DestinationType,
		LogDestination:         f.Destination,
		LogFormat:              defaultFlowLogFormat,
		MaxAggregationInterval: 600,
		Tags:                   xTags(f.Tags),
	}
}

// --- security groups

type xSecurityGroup struct {
	OwnerID             string               `xml:"ownerId"`
	GroupID             string               `xml:"groupId"`
	GroupName           string               `xml:"groupName"`
	GroupDescription    string               `xml:"groupDescription"`
	VpcID               string               `xml:"vpcId"`
	IPPermissions       items[xIPPermission] `xml:"ipPermissions"`
	IPPermissionsEgress items[xIPPermission] `xml:"ipPermissionsEgress"`
	Tags                *items[xTag]         `xml:"tagSet,omitempty"`
	SecurityGroupArn    string               `xml:"securityGroupArn"`
}

type xIPPermission struct {
	IPProtocol    string                   `xml:"ipProtocol"`
	FromPort      *int32                   `xml:"fromPort,omitempty"`
	ToPort        *int32                   `xml:"toPort,omitempty"`
	Groups        items[xUserIDGroupPair]  `xml:"groups"`
	IPRanges      items[xIPRange]          `xml:"ipRanges"`
	IPv6Ranges    items[xIPv6Range]        `xml:"ipv6Ranges"`
	PrefixListIDs items[xPrefixListIDItem] `xml:"prefixListIds"`
}

type xUserIDGroupPair struct {
	UserID                 string `xml:"userId,omitempty"`
	GroupID                string `xml:"groupId"`
	GroupName              string `xml:"groupName,omitempty"`
	VpcID                  string `xml:"vpcId,omitempty"`
	VpcPeeringConnectionID string `xml:"vpcPeeringConnectionId,omitempty"`
	PeeringStatus          string `xml:"peeringStatus,omitempty"`
	Description            string `xml:"description,omitempty"`
}

type xIPRange struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

type xIPv6Range struct {
	CidrIPv6    string `xml:"cidrIpv6"`
	Description string `xml:"description,omitempty"`
}

type xPrefixListIDItem struct {
	PrefixListID string `xml:"prefixListId"`
	Description  string `xml:"description,omitempty"`
}

type describeSecurityGroupsResponse struct {
	ec2Meta
	SecurityGroups items[xSecurityGroup] `xml:"securityGroupInfo"`
	NextToken      string                `xml:"nextToken,omitempty"`
}

func (st *state) xSecurityGroup(g *SecurityGroup) xSecurityGroup {
	return xSecurityGroup{
		OwnerID:             g.OwnerID,
		GroupID:             g.ID,
		GroupName:           g.Name,
		GroupDescription:    g.Description,
		VpcID:               g.VPC,
		IPPermissions:       xPermissions(g.Ingress),
		IPPermissionsEgress: xPermissions(g.Egress),
		Tags:                xTagsOmitEmpty(g.Tags),
		SecurityGroupArn:    fmt.Sprintf("arn:%s:ec2:%s:%s:security-group/%s", st.partition, st.region, g.OwnerID, g.ID),
	}
}

func xPermissions(rules []Rule) items[xIPPermission] {
	out := make([]xIPPermission, 0, len(rules))
	for _, r := range rules {
		p := xIPPermission{IPProtocol: r.Protocol}
		if r.Protocol != "-1" {
			p.FromPort, p.ToPort = Ptr(r.FromPort), Ptr(r.ToPort)
		}
		for _, g := range r.Groups {
			p.Groups.Items = append(p.Groups.Items, xUserIDGroupPair{
				UserID: g.UserID, GroupID: g.GroupID, GroupName: g.GroupName, VpcID: g.VPCID,
				VpcPeeringConnectionID: g.VPCPeeringConnectionID, PeeringStatus: g.PeeringStatus, Description: g.Description,
			})
		}
		for _, c := range r.IPRanges {
			p.IPRanges.Items = append(p.IPRanges.Items, xIPRange{c.CIDR, c.Description})
		}
		for _, c := range r.IPv6Ranges {
			p.IPv6Ranges.Items = append(p.IPv6Ranges.Items, xIPv6Range{c.CIDR, c.Description})
		}
		for _, pl := range r.PrefixListIDs {
			p.PrefixListIDs.Items = append(p.PrefixListIDs.Items, xPrefixListIDItem{pl.ID, pl.Description})
		}
		out = append(out, p)
	}
	return itemsOf(out)
}

// --- NAT gateways

type xNatGateway struct {
	CreateTime       string          `xml:"createTime"`
	NatGatewayID     string          `xml:"natGatewayId"`
	State            string          `xml:"state"`
	SubnetID         string          `xml:"subnetId"`
	VpcID            string          `xml:"vpcId"`
	ConnectivityType string          `xml:"connectivityType"`
	Addresses        items[struct{}] `xml:"natGatewayAddressSet"`
	Tags             items[xTag]     `xml:"tagSet"`
}

type describeNatGatewaysResponse struct {
	ec2Meta
	NatGateways items[xNatGateway] `xml:"natGatewaySet"`
	NextToken   string             `xml:"nextToken,omitempty"`
}

func xNatGatewayOf(n *NATGateway) xNatGateway {
	return xNatGateway{
		CreateTime: ec2Time(baseTime), NatGatewayID: n.ID, State: n.State, SubnetID: n.Subnet,
		VpcID: n.VPC, ConnectivityType: n.ConnectivityType, Tags: xTags(n.Tags),
	}
}

// --- prefix lists

type xPrefixList struct {
	PrefixListID   string        `xml:"prefixListId"`
	PrefixListName string        `xml:"prefixListName"`
	Cidrs          items[string] `xml:"cidrSet"`
}

type describePrefixListsResponse struct {
	ec2Meta
	PrefixLists items[xPrefixList] `xml:"prefixListSet"`
	NextToken   string             `xml:"nextToken,omitempty"`
}
