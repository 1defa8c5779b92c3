package awssim

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// netScenario is a two-VPC network: vpc-1 is well set up (S3 gateway
// endpoint on the main table), vpc-2 has no endpoint.
func netScenario() *Scenario {
	return &Scenario{
		Account: "111122223333",
		Region:  "us-east-1",
		VPCs: []VPC{
			{ID: "vpc-1", CIDR: "10.0.0.0/16", DNSHostnames: Ptr(true), Tags: Tags{"Name": "one"}},
			{ID: "vpc-2", CIDR: "10.1.0.0/16", DNSSupport: Ptr(false), DHCPOptionsID: "dopt-custom"},
		},
		DHCPOptions: []DHCPOptions{{ID: "dopt-custom", DomainNameServers: []string{"10.1.0.2", "10.1.0.3"}}},
		Subnets: []Subnet{
			{ID: "subnet-1a", VPC: "vpc-1", AZ: "us-east-1a", CIDR: "10.0.1.0/24"},
			{ID: "subnet-1b", VPC: "vpc-1", AZ: "us-east-1b", CIDR: "10.0.2.0/24", AvailableIPs: Ptr(0)},
			{ID: "subnet-1c", VPC: "vpc-1", AZ: "us-east-1c", CIDR: "10.0.3.0/24", Tags: Tags{"tier": "public"}},
			{ID: "subnet-2a", VPC: "vpc-2", AZ: "us-east-1a", CIDR: "10.1.1.0/24"},
		},
		NATGateways: []NATGateway{{ID: "nat-1", Subnet: "subnet-1c"}, {ID: "nat-2", Subnet: "subnet-1c", State: "deleted"}},
		RouteTables: []RouteTable{
			{ID: "rtb-1main", VPC: "vpc-1", Main: true, Routes: []Route{{Destination: "0.0.0.0/0", NATGatewayID: "nat-1"}}},
			{ID: "rtb-1b", VPC: "vpc-1", Subnets: []string{"subnet-1b"}},
			{ID: "rtb-1c", VPC: "vpc-1", Subnets: []string{"subnet-1c"}, Routes: []Route{{Destination: "0.0.0.0/0", GatewayID: "igw-1"}}},
			{ID: "rtb-2", VPC: "vpc-2", Subnets: []string{"subnet-2a"}},
		},
		VPCEndpoints: []VPCEndpoint{
			{ID: "vpce-s3", VPC: "vpc-1", RouteTables: []string{"rtb-1main"}, Tags: Tags{"Name": "s3"}},
			{ID: "vpce-sts", VPC: "vpc-1", Type: "Interface", Service: "com.amazonaws.us-east-1.sts", Subnets: []string{"subnet-1a"}, SecurityGroups: []string{"sg-1"}},
		},
		SecurityGroups: []SecurityGroup{
			{ID: "sg-1", VPC: "vpc-1", Name: "model", Egress: []Rule{{Protocol: "tcp", FromPort: 443, ToPort: 443, PrefixListIDs: []PrefixListRef{{ID: "pl-63a5400a"}}}}},
			{ID: "sg-2", VPC: "vpc-1", Name: "default"},
			{ID: "sg-3", VPC: "vpc-2", Name: "none", Egress: []Rule{}},
		},
		FlowLogs: []FlowLog{{ID: "fl-1", Resource: "vpc-1"}, {ID: "fl-2", Resource: "subnet-2a", TrafficType: "REJECT"}},
	}
}

func TestEC2DescribeNetwork(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, netScenario())
	c := ec2.NewFromConfig(cfg)
	f := func(name string, values ...string) types.Filter {
		return types.Filter{Name: aws.String(name), Values: values}
	}

	// Subnets by id, with AZ, AZ id and free IPs.
	sn, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-1b", "subnet-1a"}})
	must(t, err)
	if len(sn.Subnets) != 2 || aws.ToString(sn.Subnets[0].SubnetId) != "subnet-1b" || aws.ToInt32(sn.Subnets[0].AvailableIpAddressCount) != 0 ||
		aws.ToString(sn.Subnets[1].AvailabilityZoneId) != "use1-az1" || aws.ToInt32(sn.Subnets[1].AvailableIpAddressCount) != 251 {
		t.Errorf("subnets: %+v", sn.Subnets)
	}
	sn, err = c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{f("vpc-id", "vpc-1"), f("tag:tier", "pub*")}})
	must(t, err)
	if len(sn.Subnets) != 1 || aws.ToString(sn.Subnets[0].SubnetId) != "subnet-1c" {
		t.Errorf("filtered subnets: %+v", sn.Subnets)
	}
	_, err = c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-1a", "subnet-gone"}})
	wantCode(t, err, "InvalidSubnetID.NotFound")
	_, err = c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"sg-1"}})
	wantCode(t, err, "InvalidSubnetID.Malformed")
	_, err = c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{f("vpc", "vpc-1")}})
	wantCode(t, err, "InvalidParameterValue")

	// Route tables: explicit association, and the main table of a VPC.
	rt, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{f("association.subnet-id", "subnet-1b", "subnet-1c")}})
	must(t, err)
	if ids := rtbIDs(rt.RouteTables); !slices.Equal(ids, []string{"rtb-1b", "rtb-1c"}) {
		t.Errorf("association.subnet-id: %v", ids)
	}
	rt, err = c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{f("vpc-id", "vpc-1"), f("association.main", "true")}})
	must(t, err)
	if ids := rtbIDs(rt.RouteTables); !slices.Equal(ids, []string{"rtb-1main"}) {
		t.Fatalf("association.main: %v", ids)
	}
	main := rt.RouteTables[0]
	if len(main.Associations) != 1 || !aws.ToBool(main.Associations[0].Main) || main.Associations[0].SubnetId != nil {
		t.Errorf("main association: %+v", main.Associations)
	}
	var local, nat, gw bool
	for _, r := range main.Routes {
		switch {
		case aws.ToString(r.GatewayId) == "local" && aws.ToString(r.DestinationCidrBlock) == "10.0.0.0/16" && r.Origin == types.RouteOriginCreateRouteTable:
			local = true
		case aws.ToString(r.NatGatewayId) == "nat-1" && aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0":
			nat = true
		case aws.ToString(r.DestinationPrefixListId) == "pl-63a5400a" && aws.ToString(r.GatewayId) == "vpce-s3" && r.DestinationCidrBlock == nil && r.State == types.RouteStateActive:
			gw = true
		}
	}
	if !local || !nat || !gw {
		t.Errorf("main table routes (local %v, nat %v, gateway endpoint %v): %+v", local, nat, gw, main.Routes)
	}
	rt, err = c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{f("vpc-id", "vpc-2"), f("association.main", "true")}})
	must(t, err)
	if len(rt.RouteTables) != 1 || !strings.HasPrefix(aws.ToString(rt.RouteTables[0].RouteTableId), "rtb-") {
		t.Errorf("vpc-2 gets a generated main table: %+v", rt.RouteTables)
	}
	_, err = c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{"rtb-nope"}})
	wantCode(t, err, "InvalidRouteTableID.NotFound")

	// Endpoints by the filters vpcguard uses.
	ep, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{
		f("vpc-id", "vpc-1"), f("service-name", "com.amazonaws.us-east-1.s3"), f("vpc-endpoint-type", "Gateway"), f("vpc-endpoint-state", "available", "pending"),
	}})
	must(t, err)
	if len(ep.VpcEndpoints) != 1 {
		t.Fatalf("endpoints: %+v", ep.VpcEndpoints)
	}
	e := ep.VpcEndpoints[0]
	if aws.ToString(e.VpcEndpointId) != "vpce-s3" || !slices.Equal(e.RouteTableIds, []string{"rtb-1main"}) || aws.ToString(e.PolicyDocument) != DefaultEndpointPolicy ||
		len(e.Tags) != 1 || aws.ToString(e.OwnerId) != "111122223333" {
		t.Errorf("s3 endpoint: %+v", e)
	}
	ep, err = c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-sts"}})
	must(t, err)
	if e := ep.VpcEndpoints[0]; e.VpcEndpointType != types.VpcEndpointTypeInterface || !aws.ToBool(e.PrivateDnsEnabled) ||
		len(e.NetworkInterfaceIds) != 1 || len(e.DnsEntries) != 3 || aws.ToString(e.Groups[0].GroupName) != "model" {
		t.Errorf("interface endpoint: %+v", e)
	}
	_, err = c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-nope"}})
	wantCode(t, err, "InvalidVpcEndpointId.NotFound")
	_, err = c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{f("endpoint-type", "Gateway")}})
	wantCode(t, err, "InvalidParameterValue")

	// VPCs, DNS attributes, DHCP options.
	vp, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-1"}})
	must(t, err)
	defaultDHCP := aws.ToString(vp.Vpcs[0].DhcpOptionsId)
	if aws.ToString(vp.Vpcs[0].CidrBlock) != "10.0.0.0/16" || !strings.HasPrefix(defaultDHCP, "dopt-") {
		t.Errorf("vpc: %+v", vp.Vpcs[0])
	}
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-9"}})
	wantCode(t, err, "InvalidVpcID.NotFound")
	for _, tc := range []struct {
		vpc       string
		attr      types.VpcAttributeName
		want      bool
		isSupport bool
	}{{"vpc-1", types.VpcAttributeNameEnableDnsSupport, true, true}, {"vpc-1", types.VpcAttributeNameEnableDnsHostnames, true, false},
		{"vpc-2", types.VpcAttributeNameEnableDnsSupport, false, true}, {"vpc-2", types.VpcAttributeNameEnableDnsHostnames, false, false}} {
		out, err := c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(tc.vpc), Attribute: tc.attr})
		must(t, err)
		v := out.EnableDnsHostnames
		if tc.isSupport {
			v = out.EnableDnsSupport
		}
		if v == nil || aws.ToBool(v.Value) != tc.want {
			t.Errorf("%s %s = %+v, want %v", tc.vpc, tc.attr, v, tc.want)
		}
	}
	_, err = c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String("vpc-9"), Attribute: types.VpcAttributeNameEnableDnsSupport})
	wantCode(t, err, "InvalidVpcID.NotFound")
	dh, err := c.DescribeDhcpOptions(ctx, &ec2.DescribeDhcpOptionsInput{DhcpOptionsIds: []string{defaultDHCP, "dopt-custom"}})
	must(t, err)
	servers := map[string][]string{}
	for _, d := range dh.DhcpOptions {
		for _, cfg := range d.DhcpConfigurations {
			if aws.ToString(cfg.Key) == "domain-name-servers" {
				for _, v := range cfg.Values {
					servers[aws.ToString(d.DhcpOptionsId)] = append(servers[aws.ToString(d.DhcpOptionsId)], aws.ToString(v.Value))
				}
			}
		}
	}
	if !slices.Equal(servers[defaultDHCP], []string{"AmazonProvidedDNS"}) || !slices.Equal(servers["dopt-custom"], []string{"10.1.0.2", "10.1.0.3"}) {
		t.Errorf("dhcp servers: %v", servers)
	}
	_, err = c.DescribeDhcpOptions(ctx, &ec2.DescribeDhcpOptionsInput{DhcpOptionsIds: []string{"dopt-nope"}})
	wantCode(t, err, "InvalidDhcpOptionID.NotFound")

	// Flow logs by resource, NAT gateways by vpc and state, prefix lists by name.
	fl, err := c.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{Filter: []types.Filter{f("resource-id", "vpc-1")}})
	must(t, err)
	if len(fl.FlowLogs) != 1 || aws.ToString(fl.FlowLogs[0].FlowLogId) != "fl-1" || fl.FlowLogs[0].TrafficType != types.TrafficTypeAll || aws.ToString(fl.FlowLogs[0].FlowLogStatus) != "ACTIVE" {
		t.Errorf("flow logs: %+v", fl.FlowLogs)
	}
	ng, err := c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: []types.Filter{f("vpc-id", "vpc-1"), f("state", "available")}})
	must(t, err)
	if len(ng.NatGateways) != 1 || aws.ToString(ng.NatGateways[0].NatGatewayId) != "nat-1" || aws.ToString(ng.NatGateways[0].SubnetId) != "subnet-1c" {
		t.Errorf("nat gateways: %+v", ng.NatGateways)
	}
	_, err = c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{"nat-9"}})
	wantCode(t, err, "NatGatewayNotFound")
	pl, err := c.DescribePrefixLists(ctx, &ec2.DescribePrefixListsInput{Filters: []types.Filter{f("prefix-list-name", "com.amazonaws.us-east-1.s3")}})
	must(t, err)
	if len(pl.PrefixLists) != 1 || aws.ToString(pl.PrefixLists[0].PrefixListId) != "pl-63a5400a" {
		t.Errorf("prefix lists: %+v", pl.PrefixLists)
	}

	// Security groups: egress rules, default egress, no egress.
	sg, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-1", "sg-2", "sg-3"}})
	must(t, err)
	if len(sg.SecurityGroups) != 3 {
		t.Fatalf("groups: %+v", sg.SecurityGroups)
	}
	e1, e2, e3 := sg.SecurityGroups[0].IpPermissionsEgress, sg.SecurityGroups[1].IpPermissionsEgress, sg.SecurityGroups[2].IpPermissionsEgress
	if len(e1) != 1 || aws.ToString(e1[0].IpProtocol) != "tcp" || aws.ToInt32(e1[0].FromPort) != 443 || aws.ToString(e1[0].PrefixListIds[0].PrefixListId) != "pl-63a5400a" {
		t.Errorf("sg-1 egress: %+v", e1)
	}
	if len(e2) != 1 || aws.ToString(e2[0].IpProtocol) != "-1" || e2[0].FromPort != nil || aws.ToString(e2[0].IpRanges[0].CidrIp) != "0.0.0.0/0" {
		t.Errorf("sg-2 default egress: %+v", e2)
	}
	if len(e3) != 0 {
		t.Errorf("sg-3 egress: %+v", e3)
	}
	sg, err = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{f("egress.ip-permission.prefix-list-id", "pl-63a5400a")}})
	must(t, err)
	if len(sg.SecurityGroups) != 1 || aws.ToString(sg.SecurityGroups[0].GroupId) != "sg-1" {
		t.Errorf("egress filter: %+v", sg.SecurityGroups)
	}
	_, err = c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-1", "sg-404"}})
	wantCode(t, err, "InvalidGroup.NotFound")

	if n := srv.Calls("ec2:DescribeSecurityGroups"); n != 3 {
		t.Errorf("Calls(ec2:DescribeSecurityGroups) = %d, want 3", n)
	}
	if len(srv.Writes()) != 0 {
		t.Errorf("describes recorded writes: %+v", srv.Writes())
	}
}

func rtbIDs(ts []types.RouteTable) []string {
	var out []string
	for _, t := range ts {
		out = append(out, aws.ToString(t.RouteTableId))
	}
	sort.Strings(out)
	return out
}

// TestEC2Pagination walks every paginated Describe with the SDK's own
// paginators, with a scenario page size of 1 and with MaxResults.
func TestEC2Pagination(t *testing.T) {
	ctx := context.Background()
	sc := netScenario()
	for i := 0; i < 7; i++ {
		sc.Subnets = append(sc.Subnets, Subnet{ID: fmt.Sprintf("subnet-extra%d", i), VPC: "vpc-2", CIDR: fmt.Sprintf("10.1.%d.0/24", 10+i)})
	}
	sc.PageSize = 1
	sc.PageSizes = map[string]int{"ec2:DescribeSubnets": 3}
	srv, cfg := start(t, sc)
	c := ec2.NewFromConfig(cfg)

	type walk struct {
		op   string
		want int
		run  func() (pages, items int, err error)
	}
	count := func(pages *int, items *int, n int) { *pages++; *items += n }
	walks := []walk{
		{"DescribeSubnets", 11, func() (p, n int, err error) {
			pg := ec2.NewDescribeSubnetsPaginator(c, &ec2.DescribeSubnetsInput{})
			for pg.HasMorePages() {
				out, err := pg.NextPage(ctx)
				if err != nil {
					return p, n, err
				}
				count(&p, &n, len(out.Subnets))
			}
			return
		}},
		{"DescribeRouteTables", 5, func() (p, n int, err error) {
			pg := ec2.NewDescribeRouteTablesPaginator(c, &ec2.DescribeRouteTablesInput{})
			for pg.HasMorePages() {
				out, err := pg.NextPage(ctx)
				if err != nil {
					return p, n, err
				}
				count(&p, &n, len(out.RouteTables))
			}
			return
		}},
		{"DescribeVpcEndpoints", 2, func() (p, n int, err error) {
			pg := ec2.NewDescribeVpcEndpointsPaginator(c, &ec2.DescribeVpcEndpointsInput{})
			for pg.HasMorePages() {
				out, err := pg.NextPage(ctx)
				if err != nil {
					return p, n, err
				}
				count(&p, &n, len(out.VpcEndpoints))
			}
			return
		}},
		{"DescribeVpcs", 2, func() (p, n int, err error) {
			pg := ec2.NewDescribeVpcsPaginator(c, &ec2.DescribeVpcsInput{})
			for pg.HasMorePages() {
				out, err := pg.NextPage(ctx)
				if err != nil {
					return p, n, err
				}
				count(&p, &n, len(out.Vpcs))
			}
			return
		}},
		{"DescribeDhcpOptions", 2, func() (p, n int, err error) {
			pg := ec2.NewDescribeDhcpOptionsPaginator(c, &ec2.DescribeDhcpOptionsInput{})
			for pg.HasMorePages() {
				out, err := pg.NextPage(ctx)
				if err != nil {
					return p, n, err
				}
				count(&p, &n, len(out.DhcpOptions))
			}
			return
		}},
		{"DescribeFlowLogs", 2, func() (p, n int, err error) {
			pg := ec2.NewDescribeFlowLogsPaginator(c, &ec2.DescribeFlowLogsInput{})
			for pg.HasMorePages() {
				out, err := pg.NextPage(ctx)
				if err != nil {
					return p, n, err
				}
				count(&p, &n, len(out.FlowLogs))
			}
			return
		}},
		{"DescribeSecurityGroups", 3, func() (p, n int, err error) {
			pg := ec2.NewDescribeSecurityGroupsPaginator(c, &ec2.DescribeSecurityGroupsInput{})
			for pg.HasMorePages() {
				out, err := pg.NextPage(ctx)
				if err != nil {
					return p, n, err
				}
				count(&p, &n, len(out.SecurityGroups))
			}
			return
		}},
		{"DescribeNatGateways", 2, func() (p, n int, err error) {
			pg := ec2.NewDescribeNatGatewaysPaginator(c, &ec2.DescribeNatGatewaysInput{})
			for pg.HasMorePages() {
				out, err := pg.NextPage(ctx)
				if err != nil {
					return p, n, err
				}
				count(&p, &n, len(out.NatGateways))
			}
			return
		}},
		{"DescribePrefixLists", 2, func() (p, n int, err error) {
			pg := ec2.NewDescribePrefixListsPaginator(c, &ec2.DescribePrefixListsInput{})
			for pg.HasMorePages() {
				out, err := pg.NextPage(ctx)
				if err != nil {
					return p, n, err
				}
				count(&p, &n, len(out.PrefixLists))
			}
			return
		}},
	}
	for _, w := range walks {
		pages, items, err := w.run()
		if err != nil {
			t.Errorf("%s: %v", w.op, err)
			continue
		}
		perPage := 1
		if w.op == "DescribeSubnets" {
			perPage = 3
		}
		if items != w.want || pages != (w.want+perPage-1)/perPage {
			t.Errorf("%s: %d items in %d pages, want %d items in pages of %d", w.op, items, pages, w.want, perPage)
		}
		if got := srv.Calls("ec2:" + w.op); got != pages {
			t.Errorf("%s: %d calls for %d pages", w.op, got, pages)
		}
	}

	// Pagination combined with a filter, and MaxResults bounds.
	srv2, cfg2 := start(t, func() *Scenario { s := netScenario(); s.Subnets = sc.Subnets; return s }())
	c2 := ec2.NewFromConfig(cfg2)
	var got []string
	pg := ec2.NewDescribeSubnetsPaginator(c2, &ec2.DescribeSubnetsInput{MaxResults: aws.Int32(5), Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{"vpc-2"}}}})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		must(t, err)
		if len(out.Subnets) > 5 {
			t.Errorf("page of %d > MaxResults 5", len(out.Subnets))
		}
		for _, s := range out.Subnets {
			got = append(got, aws.ToString(s.SubnetId))
		}
	}
	if len(got) != 8 || got[0] != "subnet-2a" || srv2.Calls("ec2:DescribeSubnets") != 2 {
		t.Errorf("filtered walk: %v in %d calls", got, srv2.Calls("ec2:DescribeSubnets"))
	}
	_, err := c2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{MaxResults: aws.Int32(2)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{NextToken: aws.String("garbage")})
	wantCode(t, err, "InvalidPaginationToken")
}

func TestEC2CreateGatewayEndpoint(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, netScenario())
	c := ec2.NewFromConfig(cfg)
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*"},{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
	in := &ec2.CreateVpcEndpointInput{
		VpcId: aws.String("vpc-2"), ServiceName: aws.String("com.amazonaws.us-east-1.s3"),
		VpcEndpointType: types.VpcEndpointTypeGateway, RouteTableIds: []string{"rtb-2"},
		PolicyDocument: aws.String(policy), ClientToken: aws.String("token-1"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpcEndpoint, Tags: []types.Tag{{Key: aws.String("vpcguard:managed"), Value: aws.String("true")}}}},
	}
	out, err := c.CreateVpcEndpoint(ctx, in)
	must(t, err)
	id := aws.ToString(out.VpcEndpoint.VpcEndpointId)
	if !strings.HasPrefix(id, "vpce-0") || len(id) != len("vpce-0123456789abcdef0") || out.VpcEndpoint.State != types.State("available") ||
		aws.ToString(out.VpcEndpoint.PolicyDocument) != policy || aws.ToString(out.ClientToken) != "token-1" {
		t.Errorf("created: %+v", out.VpcEndpoint)
	}

	// The route is there for the next Describe.
	rt, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{{Name: aws.String("route.gateway-id"), Values: []string{id}}}})
	must(t, err)
	if ids := rtbIDs(rt.RouteTables); !slices.Equal(ids, []string{"rtb-2"}) {
		t.Errorf("tables routed through %s: %v", id, ids)
	}
	ep, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{"vpc-2"}}, {Name: aws.String("tag:vpcguard:managed"), Values: []string{"true"}}}})
	must(t, err)
	if len(ep.VpcEndpoints) != 1 || aws.ToString(ep.VpcEndpoints[0].VpcEndpointId) != id {
		t.Errorf("describe after create: %+v", ep.VpcEndpoints)
	}

	// Replay with the same token and parameters: the same endpoint, no new write.
	again, err := c.CreateVpcEndpoint(ctx, in)
	must(t, err)
	if aws.ToString(again.VpcEndpoint.VpcEndpointId) != id {
		t.Errorf("replay created %s, want %s", aws.ToString(again.VpcEndpoint.VpcEndpointId), id)
	}
	if n := len(srv.Writes()); n != 1 {
		t.Errorf("%d writes after a replay, want 1", n)
	}
	if n := srv.Calls("ec2:CreateVpcEndpoint"); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
	// Same token, other parameters.
	other := *in
	other.RouteTableIds = []string{"rtb-1b"}
	other.VpcId = aws.String("vpc-1")
	_, err = c.CreateVpcEndpoint(ctx, &other)
	wantCode(t, err, "IdempotentParameterMismatch")

	w := srv.Writes()
	if len(w) != 2 {
		t.Fatalf("writes: %+v", w)
	}
	first := w[0]
	if first.Operation != "CreateVpcEndpoint" || first.Service != "ec2" || first.Region != "us-east-1" || first.Error != "" ||
		first.Result["vpcEndpointId"] != id || first.Params["VpcId"] != "vpc-2" || first.Time.IsZero() {
		t.Errorf("write: %+v", first)
	}
	if rts, _ := first.Params["RouteTableId"].([]any); len(rts) != 1 || rts[0] != "rtb-2" {
		t.Errorf("write params: %#v", first.Params)
	}
	if w[1].Error != "IdempotentParameterMismatch" || w[1].Result != nil {
		t.Errorf("failed write: %+v", w[1])
	}

	// An endpoint without a policy gets AWS's default.
	out, err = c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-1"), ServiceName: aws.String("com.amazonaws.us-east-1.dynamodb"), RouteTableIds: []string{"rtb-1b"}})
	must(t, err)
	if aws.ToString(out.VpcEndpoint.PolicyDocument) != DefaultEndpointPolicy || out.VpcEndpoint.VpcEndpointType != types.VpcEndpointTypeGateway {
		t.Errorf("default policy: %+v", out.VpcEndpoint)
	}
}

func TestEC2CreateEndpointErrors(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, netScenario())
	c := ec2.NewFromConfig(cfg)
	routes := func() int {
		rt, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{})
		must(t, err)
		n := 0
		for _, t := range rt.RouteTables {
			n += len(t.Routes)
		}
		return n
	}
	before := routes()
	s3 := aws.String("com.amazonaws.us-east-1.s3")

	// rtb-1main already routes the S3 prefix list through vpce-s3; rtb-1b does
	// not, but nothing may be written when one table of the request fails.
	_, err := c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-1"), ServiceName: s3, RouteTableIds: []string{"rtb-1b", "rtb-1main"}})
	wantCode(t, err, "RouteAlreadyExists")
	if !strings.Contains(err.Error(), "route table rtb-1main already has a route with destination-prefix-list-id pl-63a5400a") {
		t.Errorf("message: %v", err)
	}
	if after := routes(); after != before {
		t.Errorf("routes %d → %d after a failed create", before, after)
	}
	ep, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	must(t, err)
	if len(ep.VpcEndpoints) != 2 {
		t.Errorf("%d endpoints after a failed create", len(ep.VpcEndpoints))
	}

	cases := []struct {
		name string
		in   ec2.CreateVpcEndpointInput
		code string
	}{
		{"bad JSON policy", ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-2"), ServiceName: s3, PolicyDocument: aws.String(`{"Statement":[`)}, "InvalidPolicyDocument"},
		{"policy too long", ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-2"), ServiceName: s3, PolicyDocument: aws.String(`{"Sid":"` + strings.Repeat("x", MaxEndpointPolicy) + `"}`)}, "InvalidPolicyDocument"},
		{"unknown vpc", ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-9"), ServiceName: s3}, "InvalidVpcID.NotFound"},
		{"unknown route table", ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-2"), ServiceName: s3, RouteTableIds: []string{"rtb-9"}}, "InvalidRouteTableId.NotFound"},
		{"route table of another vpc", ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-2"), ServiceName: s3, RouteTableIds: []string{"rtb-1b"}}, "InvalidParameter"},
		{"other region's service", ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-2"), ServiceName: aws.String("com.amazonaws.eu-west-1.s3")}, "InvalidServiceName"},
		{"gateway for an interface-only service", ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-2"), ServiceName: aws.String("com.amazonaws.us-east-1.sts")}, "InvalidParameter"},
		{"dry run", ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-2"), ServiceName: s3, DryRun: aws.Bool(true)}, "DryRunOperation"},
	}
	for _, tc := range cases {
		_, err := c.CreateVpcEndpoint(ctx, &tc.in)
		if got := apiCode(err); got != tc.code {
			t.Errorf("%s: code %q, want %q (%v)", tc.name, got, tc.code, err)
		}
	}
	// A policy of exactly the maximum size is accepted.
	doc := `{"Sid":"` + strings.Repeat("x", MaxEndpointPolicy-10) + `"}`
	_, err = c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-2"), ServiceName: s3, PolicyDocument: aws.String(doc)})
	must(t, err)

	w := srv.Writes()
	if len(w) != len(cases)+2 || w[0].Error != "RouteAlreadyExists" || w[len(w)-1].Error != "" {
		t.Errorf("writes: %d, first %+v", len(w), w[0])
	}
}

func TestEC2ModifyAndDeleteEndpoint(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, netScenario())
	c := ec2.NewFromConfig(cfg)
	describe := func(id string) types.VpcEndpoint {
		t.Helper()
		out, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
		must(t, err)
		return out.VpcEndpoints[0]
	}
	gatewayTables := func() []string {
		rt, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{{Name: aws.String("route.destination-prefix-list-id"), Values: []string{"pl-63a5400a"}}}})
		must(t, err)
		return rtbIDs(rt.RouteTables)
	}

	custom := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`
	out, err := c.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String("vpce-s3"),
		AddRouteTableIds: []string{"rtb-1b", "rtb-1c"}, RemoveRouteTableIds: []string{"rtb-1main"}, PolicyDocument: aws.String(custom)})
	must(t, err)
	if !aws.ToBool(out.Return) {
		t.Error("Return = false")
	}
	e := describe("vpce-s3")
	if !slices.Equal(e.RouteTableIds, []string{"rtb-1b", "rtb-1c"}) || aws.ToString(e.PolicyDocument) != custom {
		t.Errorf("after modify: %v %s", e.RouteTableIds, aws.ToString(e.PolicyDocument))
	}
	if got := gatewayTables(); !slices.Equal(got, []string{"rtb-1b", "rtb-1c"}) {
		t.Errorf("routed tables: %v", got)
	}
	_, err = c.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String("vpce-s3"), ResetPolicy: aws.Bool(true)})
	must(t, err)
	if p := aws.ToString(describe("vpce-s3").PolicyDocument); p != DefaultEndpointPolicy {
		t.Errorf("after ResetPolicy: %s", p)
	}
	_, err = c.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String("vpce-s3"), PolicyDocument: aws.String("not json")})
	wantCode(t, err, "InvalidPolicyDocument")
	_, err = c.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String("vpce-nope"), ResetPolicy: aws.Bool(true)})
	wantCode(t, err, "InvalidVpcEndpointId.NotFound")

	// A second S3 endpoint cannot take a table the first one routes.
	created, err := c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-1"), ServiceName: aws.String("com.amazonaws.us-east-1.s3")})
	must(t, err)
	id2 := aws.ToString(created.VpcEndpoint.VpcEndpointId)
	_, err = c.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id2), AddRouteTableIds: []string{"rtb-1main", "rtb-1b"}})
	wantCode(t, err, "RouteAlreadyExists")
	if got := describe(id2).RouteTableIds; len(got) != 0 {
		t.Errorf("failed modify applied: %v", got)
	}

	// Tags on the endpoint.
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"vpce-s3"}, Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("vpcguard")}}})
	must(t, err)
	if tags := describe("vpce-s3").Tags; len(tags) != 2 {
		t.Errorf("tags: %+v", tags)
	}
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"vpce-nope"}, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	wantCode(t, err, "InvalidID")

	// Delete: routes go, the endpoint stays visible as deleted.
	del, err := c.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{"vpce-s3", "vpce-nope"}})
	must(t, err)
	if len(del.Unsuccessful) != 1 || aws.ToString(del.Unsuccessful[0].ResourceId) != "vpce-nope" || aws.ToString(del.Unsuccessful[0].Error.Code) != "InvalidVpcEndpoint.NotFound" {
		t.Errorf("unsuccessful: %+v", del.Unsuccessful)
	}
	if e := describe("vpce-s3"); e.State != types.State("deleted") || len(e.RouteTableIds) != 0 {
		t.Errorf("after delete: %+v", e)
	}
	if got := gatewayTables(); len(got) != 0 {
		t.Errorf("tables still routed after delete: %v", got)
	}
	live, err := c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{{Name: aws.String("vpc-endpoint-state"), Values: []string{"available"}}}})
	must(t, err)
	if len(live.VpcEndpoints) != 2 {
		t.Errorf("%d available endpoints, want 2", len(live.VpcEndpoints))
	}

	ops := []string{}
	for _, w := range srv.Writes() {
		ops = append(ops, w.Operation+":"+w.Error)
	}
	want := []string{"ModifyVpcEndpoint:", "ModifyVpcEndpoint:", "ModifyVpcEndpoint:InvalidPolicyDocument", "ModifyVpcEndpoint:InvalidVpcEndpointId.NotFound",
		"CreateVpcEndpoint:", "ModifyVpcEndpoint:RouteAlreadyExists", "CreateTags:", "CreateTags:InvalidID", "DeleteVpcEndpoints:"}
	if !slices.Equal(ops, want) {
		t.Errorf("writes:\n got %v\nwant %v", ops, want)
	}
}

func TestEC2CreateInterfaceEndpoint(t *testing.T) {
	ctx := context.Background()
	_, cfg := start(t, netScenario())
	c := ec2.NewFromConfig(cfg)
	out, err := c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-1"), VpcEndpointType: types.VpcEndpointTypeInterface,
		ServiceName: aws.String("com.amazonaws.us-east-1.sagemaker.runtime"), SubnetIds: []string{"subnet-1a", "subnet-1b"}})
	must(t, err)
	e := out.VpcEndpoint
	if e.State != types.State("pending") || len(e.Groups) != 1 || aws.ToString(e.Groups[0].GroupId) != "sg-2" || !aws.ToBool(e.PrivateDnsEnabled) || len(e.DnsEntries) != 4 {
		t.Errorf("interface endpoint: %+v", e)
	}
	_, err = c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-1"), VpcEndpointType: types.VpcEndpointTypeInterface,
		ServiceName: aws.String("com.amazonaws.us-east-1.logs"), SubnetIds: []string{"subnet-1a", "subnet-1a"}, RouteTableIds: []string{"rtb-1b"}})
	wantCode(t, err, "InvalidParameter")
}
