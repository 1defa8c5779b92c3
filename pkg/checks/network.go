package checks

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// vpcFindings applies per to every VPC that holds a model (and, when
// withTrigger is set, to the triggering endpoint's VPC even without models).
func vpcFindings(s *inventory.Snapshot, withTrigger bool, per func(inventory.VPCGroup) finding) []finding {
	groups, fs := scope(s)
	for _, g := range groups {
		if len(g.Models) == 0 && !withTrigger {
			continue
		}
		fs = append(fs, per(g).about(report.ResourceVPC, g.ID))
	}
	if len(fs) == 0 {
		// No model placed, but some could not be read: they may be placed
		// anywhere, so the VPC checks cannot say "not applicable".
		for _, name := range slices.Sorted(maps.Keys(s.ModelErrs)) {
			fs = append(fs, unknown(name, s.ModelErrs[name], name))
		}
	}
	if len(fs) == 0 {
		fs = append(fs, notApplicable("no model is placed in a VPC"))
	}
	return fs
}

func evalS3EndpointPresent(s *inventory.Snapshot) Outcome {
	return combine(vpcFindings(s, true, func(g inventory.VPCGroup) finding {
		if !g.VPC.Endpoints.OK() {
			return unknown("the VPC endpoints of "+g.ID, g.VPC.Endpoints.Err, g.ID)
		}
		if eps := g.VPC.S3GatewayEndpoints(s.Region); len(eps) > 0 {
			return pass(fmt.Sprintf("%s has S3 gateway endpoint %s", g.ID, endpointIDs(eps)), g.ID, eps[0].ID)
		}
		if len(g.Models) == 0 {
			return notApplicable(fmt.Sprintf("%s has no S3 gateway endpoint and no model", g.ID), g.ID)
		}
		what := fmt.Sprintf("%s has no S3 gateway endpoint", g.ID)
		if t := s.Trigger; t != nil && t.Deleted && t.VPCID == g.ID {
			what = fmt.Sprintf("S3 endpoint %s was deleted and %s has no other", strings.Join(t.IDs, ", "), g.ID)
		}
		tables := routeTablesOfModels(g)
		return fail(fmt.Sprintf("%s, yet models %s use it: their containers cannot reach S3 privately", what, strings.Join(g.ModelNames(), ", ")),
			fmt.Sprintf("aws ec2 create-vpc-endpoint --region %s --vpc-id %s --vpc-endpoint-type Gateway --service-name %s --route-table-ids %s",
				s.Region, g.ID, inventory.S3ServiceName(s.Region), orPlaceholder(strings.Join(tables, " "), "<route-table-ids>")),
			append([]string{g.ID}, g.ModelNames()...)...)
	}))
}

func evalS3EndpointRoutes(s *inventory.Snapshot) Outcome {
	return combine(vpcFindings(s, false, func(g inventory.VPCGroup) finding {
		if !g.VPC.Endpoints.OK() {
			return unknown("the VPC endpoints of "+g.ID, g.VPC.Endpoints.Err, g.ID)
		}
		eps := g.VPC.S3GatewayEndpoints(s.Region)
		if len(eps) == 0 {
			return notApplicable(g.ID+" has no S3 gateway endpoint (see "+S3EndpointPresent+")", g.ID)
		}
		if !g.VPC.RouteTables.OK() {
			return unknown("the route tables of "+g.ID, g.VPC.RouteTables.Err, g.ID)
		}
		if !s.Subnets.OK() {
			return unknown("the subnets of "+g.ID, s.Subnets.Err, g.ID)
		}
		missing := map[string][]string{} // route table → subnets it serves without the endpoint
		var order []string
		for _, m := range g.Models {
			for _, subnet := range m.VPCConfig.SubnetIDs {
				if _, ok := s.Subnets.Value[subnet]; !ok {
					continue
				}
				rt, err := inventory.RouteTableFor(g.VPC.RouteTables.Value, subnet)
				if err != nil {
					return unknown("the route table of "+subnet, err, g.ID, subnet)
				}
				if routesToS3(rt, eps) {
					continue
				}
				if _, seen := missing[rt.ID]; !seen {
					order = append(order, rt.ID)
				}
				if !slices.Contains(missing[rt.ID], subnet) {
					missing[rt.ID] = append(missing[rt.ID], subnet)
				}
			}
		}
		if len(order) == 0 {
			return pass(fmt.Sprintf("every subnet of models %s routes to S3 through %s", strings.Join(g.ModelNames(), ", "), endpointIDs(eps)), g.ID, eps[0].ID)
		}
		parts := make([]string, len(order))
		for i, rt := range order {
			parts[i] = fmt.Sprintf("%s (subnets %s)", rt, strings.Join(missing[rt], ", "))
		}
		return fail(fmt.Sprintf("S3 endpoint %s is not on route tables %s: those subnets reach S3 only through the internet, if at all", eps[0].ID, strings.Join(parts, ", ")),
			fmt.Sprintf("aws ec2 modify-vpc-endpoint --region %s --vpc-endpoint-id %s --add-route-table-ids %s", s.Region, eps[0].ID, strings.Join(order, " ")),
			append([]string{eps[0].ID}, order...)...)
	}))
}

// routesToS3 reports whether rt sends S3 traffic through one of eps.
func routesToS3(rt inventory.RouteTable, eps []inventory.Endpoint) bool {
	return slices.ContainsFunc(eps, rt.RoutesVia)
}

// routeTablesOfModels lists, once each, the route tables serving the
// models' subnets (explicit association, else the main table).
func routeTablesOfModels(g inventory.VPCGroup) []string {
	if !g.VPC.RouteTables.OK() {
		return nil
	}
	var out []string
	for _, m := range g.Models {
		for _, subnet := range m.VPCConfig.SubnetIDs {
			if rt, err := inventory.RouteTableFor(g.VPC.RouteTables.Value, subnet); err == nil && !slices.Contains(out, rt.ID) {
				out = append(out, rt.ID)
			}
		}
	}
	return out
}

func evalVPCDNS(s *inventory.Snapshot) Outcome {
	return combine(vpcFindings(s, false, func(g inventory.VPCGroup) finding {
		if !g.VPC.DNS.OK() {
			return unknown("the DNS attributes of "+g.ID, g.VPC.DNS.Err, g.ID)
		}
		var problems, fixes []string
		if !g.VPC.DNS.Value.Support {
			problems = append(problems, "enableDnsSupport is off")
			fixes = append(fixes, fmt.Sprintf("aws ec2 modify-vpc-attribute --region %s --vpc-id %s --enable-dns-support '{\"Value\":true}'", s.Region, g.ID))
		}
		if !g.VPC.DNS.Value.Hostnames {
			problems = append(problems, "enableDnsHostnames is off")
			fixes = append(fixes, fmt.Sprintf("aws ec2 modify-vpc-attribute --region %s --vpc-id %s --enable-dns-hostnames '{\"Value\":true}'", s.Region, g.ID))
		}
		switch {
		case !g.VPC.DHCP.OK():
			if len(problems) == 0 {
				return unknown("the DHCP options of "+g.ID, g.VPC.DHCP.Err, g.ID)
			}
		case !usesAmazonDNS(g.VPC.DHCP.Value):
			problems = append(problems, fmt.Sprintf("DHCP option set %s uses custom DNS servers %s, which must forward to AmazonProvidedDNS for S3 URLs to resolve to the endpoint",
				g.VPC.DHCP.Value.ID, strings.Join(g.VPC.DHCP.Value.DomainNameServers, ", ")))
			fixes = append(fixes, fmt.Sprintf("aws ec2 create-dhcp-options --region %s --dhcp-configurations Key=domain-name-servers,Values=AmazonProvidedDNS   # then: aws ec2 associate-dhcp-options --vpc-id %s --dhcp-options-id <new-id>", s.Region, g.ID))
		}
		if len(problems) == 0 {
			return pass(fmt.Sprintf("%s has DNS support and hostnames on and uses the Amazon-provided resolver", g.ID), g.ID)
		}
		return fail(fmt.Sprintf("%s (models %s): %s", g.ID, strings.Join(g.ModelNames(), ", "), strings.Join(problems, "; ")), strings.Join(fixes, "\n"), g.ID)
	}))
}

// usesAmazonDNS reports whether the option set resolves through the VPC's
// resolver (no domain-name-servers option means the default one).
func usesAmazonDNS(d inventory.DHCPOptions) bool {
	return len(d.DomainNameServers) == 0 || slices.Contains(d.DomainNameServers, "AmazonProvidedDNS")
}

func evalVPCFlowLogs(s *inventory.Snapshot) Outcome {
	return combine(vpcFindings(s, false, func(g inventory.VPCGroup) finding {
		if !g.VPC.FlowLogs.OK() {
			return unknown("the flow logs of "+g.ID, g.VPC.FlowLogs.Err, g.ID)
		}
		for _, fl := range g.VPC.FlowLogs.Value {
			if fl.Status == "" || strings.EqualFold(fl.Status, "ACTIVE") {
				return pass(fmt.Sprintf("%s has flow log %s (%s traffic)", g.ID, fl.ID, fl.TrafficType), g.ID, fl.ID)
			}
		}
		return fail(fmt.Sprintf("%s has no active flow log: the traffic of models %s is not recorded", g.ID, strings.Join(g.ModelNames(), ", ")),
			fmt.Sprintf("aws ec2 create-flow-logs --region %s --resource-type VPC --resource-ids %s --traffic-type ALL --log-destination-type cloud-watch-logs --log-group-name /vpc/%s/flow-logs --deliver-logs-permission-arn <role-arn>", s.Region, g.ID, g.ID),
			g.ID)
	}))
}

func evalOutboundAccess(s *inventory.Snapshot) Outcome {
	return combine(vpcFindings(s, false, func(g inventory.VPCGroup) finding {
		if !g.VPC.RouteTables.OK() {
			return unknown("the route tables of "+g.ID, g.VPC.RouteTables.Err, g.ID)
		}
		if !g.VPC.Endpoints.OK() {
			return unknown("the VPC endpoints of "+g.ID, g.VPC.Endpoints.Err, g.ID)
		}
		var isolated, viaNAT []string
		for _, m := range g.Models {
			for _, subnet := range m.VPCConfig.SubnetIDs {
				rt, err := inventory.RouteTableFor(g.VPC.RouteTables.Value, subnet)
				if err != nil || slices.Contains(isolated, subnet) || slices.Contains(viaNAT, subnet) {
					continue
				}
				if hasNATRoute(rt) {
					viaNAT = append(viaNAT, subnet)
				} else {
					isolated = append(isolated, subnet)
				}
			}
		}
		var services []string
		for _, e := range g.VPC.Endpoints.Value {
			if e.Type == "Interface" && e.State != "deleted" {
				services = append(services, fmt.Sprintf("%s (%s)", e.ServiceName, e.ID))
			}
		}
		ifaces := "no interface endpoints"
		if len(services) > 0 {
			ifaces = "interface endpoints " + strings.Join(services, ", ")
		}
		switch {
		case len(isolated) == 0:
			return pass(fmt.Sprintf("subnets %s reach the internet through a NAT gateway; %s has %s", strings.Join(viaNAT, ", "), g.ID, ifaces), g.ID)
		case len(services) > 0:
			return pass(fmt.Sprintf("subnets %s have no NAT route; other AWS services are reachable through %s", strings.Join(isolated, ", "), ifaces), append([]string{g.ID}, isolated...)...)
		}
		return fail(fmt.Sprintf("subnets %s have no NAT route and %s has no interface endpoints: the models reach nothing outside the VPC but S3", strings.Join(isolated, ", "), g.ID),
			fmt.Sprintf("If the containers call other AWS services, add an interface endpoint per service, e.g.:\n  aws ec2 create-vpc-endpoint --region %s --vpc-id %s --vpc-endpoint-type Interface --service-name com.amazonaws.%s.<service> --subnet-ids %s --security-group-ids <sg> --private-dns-enabled",
				s.Region, g.ID, s.Region, strings.Join(isolated, " ")),
			append([]string{g.ID}, isolated...)...)
	}))
}

// hasNATRoute reports a default route through a NAT gateway. A route to an
// internet gateway does not count: SageMaker's network interfaces have no
// public address.
func hasNATRoute(rt inventory.RouteTable) bool {
	for _, r := range rt.Routes {
		if r.DestinationCIDR == "0.0.0.0/0" && r.NATGatewayID != "" && r.State != "blackhole" {
			return true
		}
	}
	return false
}

func endpointIDs(eps []inventory.Endpoint) string {
	ids := make([]string, len(eps))
	for i, e := range eps {
		ids[i] = e.ID
	}
	return strings.Join(ids, ", ")
}
