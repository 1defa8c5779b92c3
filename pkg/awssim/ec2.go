package awssim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

var ec2Ops = map[string]handler{
	"DescribeSubnets":        (*Server).describeSubnets,
	"DescribeRouteTables":    (*Server).describeRouteTables,
	"DescribeVpcEndpoints":   (*Server).describeVpcEndpoints,
	"DescribeVpcs":           (*Server).describeVpcs,
	"DescribeVpcAttribute":   (*Server).describeVpcAttribute,
	"DescribeDhcpOptions":    (*Server).describeDhcpOptions,
	"DescribeFlowLogs":       (*Server).describeFlowLogs,
	"DescribeSecurityGroups": (*Server).describeSecurityGroups,
	"DescribeNatGateways":    (*Server).describeNatGateways,
	"DescribePrefixLists":    (*Server).describePrefixLists,
	// Network ACLs and managed prefix lists (ec2acl.go).
	"DescribeNetworkAcls":          (*Server).describeNetworkAcls,
	"DescribeManagedPrefixLists":   (*Server).describeManagedPrefixLists,
	"GetManagedPrefixListEntries":  (*Server).getManagedPrefixListEntries,
	"CreateNetworkAclEntry":        (*Server).createNetworkAclEntry,
	"ReplaceNetworkAclEntry":       (*Server).replaceNetworkAclEntry,
	"DeleteNetworkAclEntry":        (*Server).deleteNetworkAclEntry,
	"ReplaceNetworkAclAssociation": (*Server).replaceNetworkAclAssociation,
	"CreateVpcEndpoint":            (*Server).createVpcEndpoint,
	"ModifyVpcEndpoint":            (*Server).modifyVpcEndpoint,
	"DeleteVpcEndpoints":           (*Server).deleteVpcEndpoints,
	"CreateTags":                   (*Server).createTags,
	// Drift writes (ec2drift.go).
	"ModifyVpcAttribute":           (*Server).modifyVpcAttribute,
	"AssociateDhcpOptions":         (*Server).associateDhcpOptions,
	"AssociateRouteTable":          (*Server).associateRouteTable,
	"ReplaceRouteTableAssociation": (*Server).replaceRouteTableAssociation,
	"DisassociateRouteTable":       (*Server).disassociateRouteTable,
	"CreateRoute":                  (*Server).createRoute,
	"ReplaceRoute":                 (*Server).replaceRoute,
	"DeleteRoute":                  (*Server).deleteRoute,
	"AuthorizeSecurityGroupEgress": (*Server).authorizeSecurityGroupEgress,
	"RevokeSecurityGroupEgress":    (*Server).revokeSecurityGroupEgress,
	"ModifySecurityGroupRules":     (*Server).modifySecurityGroupRules,
	"DescribeSecurityGroupRules":   (*Server).describeSecurityGroupRules,
	"DeleteFlowLogs":               (*Server).deleteFlowLogs,
}

// MaxEndpointPolicy is the largest VPC endpoint policy, in characters.
const MaxEndpointPolicy = 20480

// --- query parameters

type ec2Params url.Values

func (p ec2Params) str(k string) string { return url.Values(p).Get(k) }

func (p ec2Params) has(k string) bool { _, ok := p[k]; return ok }

// list returns prefix.1, prefix.2, … in index order.
func (p ec2Params) list(prefix string) []string {
	type iv struct {
		i int
		v string
	}
	var got []iv
	for k, vs := range p {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok || !isDigits(rest) {
			continue
		}
		i, _ := strconv.Atoi(rest)
		got = append(got, iv{i, vs[0]})
	}
	sort.Slice(got, func(a, b int) bool { return got[a].i < got[b].i })
	out := make([]string, len(got))
	for i, g := range got {
		out[i] = g.v
	}
	return out
}

// indexes returns the distinct N of keys prefix.N.<anything>, sorted.
func (p ec2Params) indexes(prefix string) []string {
	seen := map[int]bool{}
	for k := range p {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		n, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(n); err == nil && isDigits(n) {
			seen[i] = true
		}
	}
	idx := make([]int, 0, len(seen))
	for i := range seen {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = prefix + "." + strconv.Itoa(n)
	}
	return out
}

func (p ec2Params) bool(k string) (v, set bool, err *apiError) {
	s := p.str(k)
	if s == "" {
		return false, false, nil
	}
	b, perr := strconv.ParseBool(s)
	if perr != nil {
		return false, false, errorf(400, "InvalidParameterValue", "Value (%s) for parameter %s is invalid. Expected a boolean.", s, k)
	}
	return b, true, nil
}

// filter is one EC2 Filter.N.
type filter struct {
	name   string
	values []string
}

func (p ec2Params) filters() []filter {
	var out []filter
	for _, f := range p.indexes("Filter") {
		out = append(out, filter{name: p.str(f + ".Name"), values: p.list(f + ".Value")})
	}
	return out
}

// tags returns Tag.N.Key/Value under prefix.
func (p ec2Params) tags(prefix string) (Tags, *apiError) {
	t := Tags{}
	for _, k := range p.indexes(prefix) {
		key := p.str(k + ".Key")
		if key == "" {
			return nil, errorf(400, "InvalidParameterValue", "Tag key must not be empty")
		}
		if strings.HasPrefix(strings.ToLower(key), "aws:") {
			return nil, errorf(400, "InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
		}
		t[key] = p.str(k + ".Value")
	}
	return t, nil
}

// attrs maps a filter name to the values of a resource it compares.
type attrs[T any] map[string]func(T) []string

func one(s string) []string { return []string{s} }

func boolStr(b bool) []string { return []string{strconv.FormatBool(b)} }

// matcher checks every filter against a resource; it is built once per
// request so that unknown filter names are reported up front.
type matcher[T any] struct {
	filters []filter
	attrs   attrs[T]
	tags    func(T) Tags
}

func newMatcher[T any](fs []filter, a attrs[T], tags func(T) Tags) (*matcher[T], *apiError) {
	for _, f := range fs {
		_, known := a[f.name]
		if !known && !strings.HasPrefix(f.name, "tag:") && f.name != "tag-key" && f.name != "tag-value" {
			return nil, errorf(400, "InvalidParameterValue", "The filter '%s' is invalid", f.name)
		}
		if len(f.values) == 0 {
			return nil, errorf(400, "InvalidParameterValue", "The filter '%s' has no values", f.name)
		}
	}
	return &matcher[T]{fs, a, tags}, nil
}

func (m *matcher[T]) match(v T) bool {
	for _, f := range m.filters {
		var have []string
		switch {
		case strings.HasPrefix(f.name, "tag:"):
			if val, ok := m.tags(v)[f.name[4:]]; ok {
				have = []string{val}
			}
		case f.name == "tag-key":
			for k := range m.tags(v) {
				have = append(have, k)
			}
		case f.name == "tag-value":
			for _, val := range m.tags(v) {
				have = append(have, val)
			}
		default:
			have = m.attrs[f.name](v)
		}
		if !anyMatch(have, f.values) {
			return false
		}
	}
	return true
}

func anyMatch(have, patterns []string) bool {
	for _, h := range have {
		for _, p := range patterns {
			if wildcard(p, h) {
				return true
			}
		}
	}
	return false
}

// wildcard matches s against an EC2 filter pattern: * any run, ? one
// character, \ escapes.
func wildcard(p, s string) bool {
	if !strings.ContainsAny(p, `*?\`) {
		return p == s
	}
	// Iterative matcher with backtracking on the last *.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '\\' && pi+1 < len(p) && p[pi+1] == s[si]:
			pi += 2
			si++
		case pi < len(p) && p[pi] == '?':
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && p[pi] == s[si] && p[pi] != '\\':
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// exactValues returns the values of filter name if it is present and none
// is a pattern (so an index can serve it).
func exactValues(fs []filter, name string) ([]string, bool) {
	for _, f := range fs {
		if f.name == name {
			for _, v := range f.values {
				if strings.ContainsAny(v, `*?\`) {
					return nil, false
				}
			}
			return f.values, true
		}
	}
	return nil, false
}

// --- pagination

// pageSpec is what a paginated request asked for.
type pageSpec struct {
	start int // position in the candidate list
	limit int
}

func encodeToken(key string, pos int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key + "|" + strconv.Itoa(pos)))
}

func decodeToken(key, tok string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	i := strings.LastIndexByte(string(b), '|')
	if i < 0 || string(b[:i]) != key {
		return 0, false
	}
	pos, err := strconv.Atoi(string(b[i+1:]))
	return pos, err == nil && pos >= 0
}

// pageLimit is the page size for key: the request's limit (or def), capped
// by the scenario's page size.
func (st *state) pageLimit(key string, requested, def int) int {
	n := def
	if requested > 0 {
		n = requested
	}
	cap := st.pageSize
	if ps, ok := st.pageSizes[key]; ok {
		cap = ps
	}
	if cap > 0 && cap < n {
		n = cap
	}
	return n
}

// ec2Page parses MaxResults/NextToken. minMax and maxMax bound MaxResults.
func (s *Server) ec2Page(c *call, p ec2Params, minMax, maxMax int) (pageSpec, *apiError) {
	requested := 0
	if v := p.str("MaxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < minMax || n > maxMax {
			return pageSpec{}, errorf(400, "InvalidParameterValue", "Value ( %s ) for parameter maxResults is invalid. Expecting a value between %d and %d.", v, minMax, maxMax)
		}
		requested = n
	}
	start := 0
	if tok := p.str("NextToken"); tok != "" {
		pos, ok := decodeToken(c.key(), tok)
		if !ok {
			return pageSpec{}, errorf(400, "InvalidPaginationToken", "Invalid pagination token: %s", tok)
		}
		start = pos
	}
	return pageSpec{start: start, limit: s.st.pageLimit(c.key(), requested, 1<<30)}, nil
}

// paginate returns the matching candidates of one page, and the next token.
func paginate[T any](key string, cands []T, ps pageSpec, keep func(T) bool) ([]T, string) {
	var out []T
	for i := ps.start; i < len(cands); i++ {
		if !keep(cands[i]) {
			continue
		}
		if len(out) == ps.limit {
			return out, encodeToken(key, i)
		}
		out = append(out, cands[i])
	}
	return out, ""
}

// lookupIDs resolves explicit ids; unknown ones give notFound, ids without
// the prefix give malformed.
func lookupIDs[T any](ids []string, byID map[string]T, prefix, malformed string, notFound func([]string) *apiError) ([]T, *apiError) {
	out := make([]T, 0, len(ids))
	var missing []string
	seen := map[string]bool{}
	for _, id := range ids {
		if malformed != "" && !strings.HasPrefix(id, prefix) {
			return nil, errorf(400, malformed, "Invalid id: \"%s\" (expecting \"%s...\")", id, prefix)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		v, ok := byID[id]
		if !ok {
			missing = append(missing, id)
			continue
		}
		out = append(out, v)
	}
	if len(missing) > 0 {
		return nil, notFound(missing)
	}
	return out, nil
}

func notFound(code, noun string) func([]string) *apiError {
	return func(ids []string) *apiError {
		if len(ids) == 1 {
			return errorf(400, code, "The %s '%s' does not exist", noun, ids[0])
		}
		return errorf(400, code, "The %ss '%s' do not exist", noun, strings.Join(ids, ", "))
	}
}

// candidates picks the ids given, else an index for an exact filter, else all.
func candidates[T any](explicit []T, hasIDs bool, fs []filter, index map[string][]T, indexFilter string, all []T) []T {
	if hasIDs {
		return explicit
	}
	if vals, ok := exactValues(fs, indexFilter); ok && index != nil {
		if len(vals) == 1 {
			return index[vals[0]]
		}
		var out []T
		for _, v := range vals {
			out = append(out, index[v]...)
		}
		return out
	}
	return all
}

func dryRun(p ec2Params) *apiError {
	if v, _, _ := p.bool("DryRun"); v {
		return errorf(412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
	}
	return nil
}

// --- describe operations

func (s *Server) describeSubnets(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	ps, aerr := s.ec2Page(c, p, 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	fs := p.filters()
	m, aerr := newMatcher(fs, attrs[*Subnet]{
		"subnet-id":                  func(v *Subnet) []string { return one(v.ID) },
		"vpc-id":                     func(v *Subnet) []string { return one(v.VPC) },
		"availability-zone":          func(v *Subnet) []string { return one(v.AZ) },
		"availabilityZone":           func(v *Subnet) []string { return one(v.AZ) },
		"availability-zone-id":       func(v *Subnet) []string { return one(v.AZID) },
		"availabilityZoneId":         func(v *Subnet) []string { return one(v.AZID) },
		"cidr-block":                 func(v *Subnet) []string { return one(v.CIDR) },
		"cidr":                       func(v *Subnet) []string { return one(v.CIDR) },
		"cidrBlock":                  func(v *Subnet) []string { return one(v.CIDR) },
		"state":                      func(v *Subnet) []string { return one(v.State) },
		"default-for-az":             func(v *Subnet) []string { return boolStr(v.DefaultForAZ) },
		"defaultForAz":               func(v *Subnet) []string { return boolStr(v.DefaultForAZ) },
		"map-public-ip-on-launch":    func(v *Subnet) []string { return boolStr(v.MapPublicIPOnLaunch) },
		"owner-id":                   func(v *Subnet) []string { return one(v.OwnerID) },
		"available-ip-address-count": func(v *Subnet) []string { return one(strconv.Itoa(*v.AvailableIPs)) },
		"ipv6-cidr-block-association.ipv6-cidr-block": func(v *Subnet) []string { return one(v.IPv6CIDR) },
		"subnet-arn": func(v *Subnet) []string {
			return one(fmt.Sprintf("arn:%s:ec2:%s:%s:subnet/%s", s.st.partition, s.st.region, v.OwnerID, v.ID))
		},
	}, func(v *Subnet) Tags { return v.Tags })
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := p.list("SubnetId")
	explicit, aerr := lookupIDs(ids, s.st.subnets.byID, "subnet-", "InvalidSubnetID.Malformed", notFound("InvalidSubnetID.NotFound", "subnet ID"))
	if aerr != nil {
		return nil, aerr
	}
	cands := candidates(explicit, len(ids) > 0, fs, s.st.subnetsByVPC, "vpc-id", s.st.subnets.order)
	page, next := paginate(c.key(), cands, ps, m.match)
	out := &describeSubnetsResponse{NextToken: next}
	for _, sn := range page {
		out.Subnets.Items = append(out.Subnets.Items, s.st.xSubnet(sn))
	}
	return out, nil
}

func (s *Server) describeRouteTables(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	ps, aerr := s.ec2Page(c, p, 5, 100)
	if aerr != nil {
		return nil, aerr
	}
	routes := func(f func(Route) string) func(*RouteTable) []string {
		return func(t *RouteTable) []string {
			var out []string
			for _, r := range t.Routes {
				if v := f(r); v != "" {
					out = append(out, v)
				}
			}
			return out
		}
	}
	fs := p.filters()
	m, aerr := newMatcher(fs, attrs[*RouteTable]{
		"route-table-id":        func(t *RouteTable) []string { return one(t.ID) },
		"vpc-id":                func(t *RouteTable) []string { return one(t.VPC) },
		"owner-id":              func(t *RouteTable) []string { return one(t.OwnerID) },
		"association.subnet-id": func(t *RouteTable) []string { return t.Subnets },
		"association.main": func(t *RouteTable) []string {
			// Every association has main true or false; a table without
			// associations matches neither.
			if t.Main {
				if len(t.Subnets) > 0 {
					return []string{"true", "false"}
				}
				return one("true")
			}
			if len(t.Subnets) > 0 {
				return one("false")
			}
			return nil
		},
		"association.route-table-id": func(t *RouteTable) []string {
			if t.Main || len(t.Subnets) > 0 {
				return one(t.ID)
			}
			return nil
		},
		"association.route-table-association-id": func(t *RouteTable) []string {
			var out []string
			if t.Main {
				out = append(out, s.st.assocID(t, ""))
			}
			for _, sid := range t.Subnets {
				out = append(out, s.st.assocID(t, sid))
			}
			return out
		},
		"association.association-state.state":   func(t *RouteTable) []string { return one("associated") },
		"route.destination-cidr-block":          routes(func(r Route) string { return r.DestinationCIDR }),
		"route.destination-ipv6-cidr-block":     routes(func(r Route) string { return r.DestinationIPv6CIDR }),
		"route.destination-prefix-list-id":      routes(func(r Route) string { return r.DestinationPrefixListID }),
		"route.gateway-id":                      routes(func(r Route) string { return r.GatewayID }),
		"route.nat-gateway-id":                  routes(func(r Route) string { return r.NATGatewayID }),
		"route.transit-gateway-id":              routes(func(r Route) string { return r.TransitGatewayID }),
		"route.vpc-peering-connection-id":       routes(func(r Route) string { return r.VPCPeeringConnectionID }),
		"route.egress-only-internet-gateway-id": routes(func(r Route) string { return r.EgressOnlyIGWID }),
		"route.state":                           routes(func(r Route) string { return r.State }),
		"route.origin":                          routes(func(r Route) string { return r.Origin }),
	}, func(t *RouteTable) Tags { return t.Tags })
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := p.list("RouteTableId")
	explicit, aerr := lookupIDs(ids, s.st.rtbs.byID, "rtb-", "InvalidRouteTableID.Malformed", notFound("InvalidRouteTableID.NotFound", "route table ID"))
	if aerr != nil {
		return nil, aerr
	}
	var cands []*RouteTable
	if subnets, ok := exactValues(fs, "association.subnet-id"); ok && len(ids) == 0 {
		for _, sid := range subnets {
			if t := s.st.rtbBySubnet[sid]; t != nil && !slices.Contains(cands, t) {
				cands = append(cands, t)
			}
		}
	} else {
		cands = candidates(explicit, len(ids) > 0, fs, s.st.rtbsByVPC, "vpc-id", s.st.rtbs.order)
	}
	page, next := paginate(c.key(), cands, ps, m.match)
	out := &describeRouteTablesResponse{NextToken: next}
	for _, t := range page {
		out.RouteTables.Items = append(out.RouteTables.Items, s.st.xRouteTable(t))
	}
	return out, nil
}

func (s *Server) describeVpcEndpoints(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	ps, aerr := s.ec2Page(c, p, 1, 1000)
	if aerr != nil {
		return nil, aerr
	}
	fs := p.filters()
	m, aerr := newMatcher(fs, attrs[*VPCEndpoint]{
		"vpc-endpoint-id":    func(e *VPCEndpoint) []string { return one(e.ID) },
		"vpc-id":             func(e *VPCEndpoint) []string { return one(e.VPC) },
		"service-name":       func(e *VPCEndpoint) []string { return one(e.Service) },
		"vpc-endpoint-type":  func(e *VPCEndpoint) []string { return one(e.Type) },
		"vpc-endpoint-state": func(e *VPCEndpoint) []string { return one(e.State) },
		"ip-address-type":    func(e *VPCEndpoint) []string { return one("ipv4") },
	}, func(e *VPCEndpoint) Tags { return e.Tags })
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := p.list("VpcEndpointId")
	explicit, aerr := lookupIDs(ids, s.st.vpces.byID, "vpce-", "InvalidVpcEndpointId.Malformed", notFound("InvalidVpcEndpointId.NotFound", "Vpc Endpoint Id"))
	if aerr != nil {
		return nil, aerr
	}
	cands := candidates(explicit, len(ids) > 0, fs, s.st.vpcesByVPC, "vpc-id", s.st.vpces.order)
	page, next := paginate(c.key(), cands, ps, m.match)
	out := &describeVpcEndpointsResponse{NextToken: next}
	for _, e := range page {
		out.VpcEndpoints.Items = append(out.VpcEndpoints.Items, s.st.xVpcEndpoint(e))
	}
	return out, nil
}

func (s *Server) describeVpcs(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	ps, aerr := s.ec2Page(c, p, 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	fs := p.filters()
	m, aerr := newMatcher(fs, attrs[*VPC]{
		"vpc-id":                            func(v *VPC) []string { return one(v.ID) },
		"cidr":                              func(v *VPC) []string { return one(v.CIDR) },
		"cidr-block-association.cidr-block": func(v *VPC) []string { return one(v.CIDR) },
		"cidr-block-association.state":      func(v *VPC) []string { return one("associated") },
		"dhcp-options-id":                   func(v *VPC) []string { return one(v.DHCPOptionsID) },
		"state":                             func(v *VPC) []string { return one(v.State) },
		"is-default":                        func(v *VPC) []string { return boolStr(v.IsDefault) },
		"isDefault":                         func(v *VPC) []string { return boolStr(v.IsDefault) },
		"owner-id":                          func(v *VPC) []string { return one(v.OwnerID) },
	}, func(v *VPC) Tags { return v.Tags })
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := p.list("VpcId")
	explicit, aerr := lookupIDs(ids, s.st.vpcs.byID, "vpc-", "InvalidVpcID.Malformed", notFound("InvalidVpcID.NotFound", "vpc ID"))
	if aerr != nil {
		return nil, aerr
	}
	cands := candidates(explicit, len(ids) > 0, fs, nil, "", s.st.vpcs.order)
	page, next := paginate(c.key(), cands, ps, m.match)
	out := &describeVpcsResponse{NextToken: next}
	for _, v := range page {
		out.Vpcs.Items = append(out.Vpcs.Items, s.st.xVpc(v))
	}
	return out, nil
}

func (s *Server) describeVpcAttribute(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	id, attr := p.str("VpcId"), p.str("Attribute")
	if id == "" {
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter vpcId")
	}
	if attr == "" {
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter attribute")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !strings.HasPrefix(id, "vpc-") {
		return nil, errorf(400, "InvalidVpcID.Malformed", "Invalid id: \"%s\"", id)
	}
	v, ok := s.st.vpcs.byID[id]
	if !ok {
		return nil, errorf(400, "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
	}
	out := &describeVpcAttributeResponse{VpcID: id}
	switch attr {
	case "enableDnsSupport":
		out.EnableDNSSupport = &xBoolValue{*v.DNSSupport}
	case "enableDnsHostnames":
		out.EnableDNSHostnames = &xBoolValue{*v.DNSHostnames}
	case "enableNetworkAddressUsageMetrics":
		out.EnableNetworkAddressUsageMetrics = &xBoolValue{false}
	default:
		return nil, errorf(400, "InvalidParameterValue", "Value (%s) for parameter attribute is invalid. Unknown attribute.", attr)
	}
	return out, nil
}

func (s *Server) describeDhcpOptions(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	ps, aerr := s.ec2Page(c, p, 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	fs := p.filters()
	m, aerr := newMatcher(fs, attrs[*DHCPOptions]{
		"dhcp-options-id": func(d *DHCPOptions) []string { return one(d.ID) },
		"owner-id":        func(d *DHCPOptions) []string { return one(s.st.account) },
		"key": func(d *DHCPOptions) []string {
			var out []string
			for _, c := range s.st.xDhcpOptions(d).Configurations.Items {
				out = append(out, c.Key)
			}
			return out
		},
		"value": func(d *DHCPOptions) []string {
			return append(append(append([]string{}, d.DomainNameServers...), d.NTPServers...), d.DomainName)
		},
	}, func(d *DHCPOptions) Tags { return d.Tags })
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := p.list("DhcpOptionsId")
	explicit, aerr := lookupIDs(ids, s.st.dhcp.byID, "dopt-", "InvalidDhcpOptionsId.Malformed", notFound("InvalidDhcpOptionID.NotFound", "dhcpOption ID"))
	if aerr != nil {
		return nil, aerr
	}
	cands := candidates(explicit, len(ids) > 0, fs, nil, "", s.st.dhcp.order)
	page, next := paginate(c.key(), cands, ps, m.match)
	out := &describeDhcpOptionsResponse{NextToken: next}
	for _, d := range page {
		out.DhcpOptions.Items = append(out.DhcpOptions.Items, s.st.xDhcpOptions(d))
	}
	return out, nil
}

func (s *Server) describeFlowLogs(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	ps, aerr := s.ec2Page(c, p, 1, 1000)
	if aerr != nil {
		return nil, aerr
	}
	fs := p.filters()
	m, aerr := newMatcher(fs, attrs[*FlowLog]{
		"resource-id":          func(f *FlowLog) []string { return one(f.Resource) },
		"flow-log-id":          func(f *FlowLog) []string { return one(f.ID) },
		"traffic-type":         func(f *FlowLog) []string { return one(f.TrafficType) },
		"deliver-log-status":   func(f *FlowLog) []string { return one(f.DeliverStatus) },
		"log-destination-type": func(f *FlowLog) []string { return one(f.DestinationType) },
		"log-group-name":       func(f *FlowLog) []string { return one(f.LogGroupName) },
	}, func(f *FlowLog) Tags { return f.Tags })
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := p.list("FlowLogId")
	var explicit []*FlowLog
	for _, id := range ids { // unknown flow log ids are simply not returned
		if f, ok := s.st.flowLogs.byID[id]; ok {
			explicit = append(explicit, f)
		}
	}
	cands := candidates(explicit, len(ids) > 0, fs, s.st.flowLogsByRes, "resource-id", s.st.flowLogs.order)
	page, next := paginate(c.key(), cands, ps, m.match)
	out := &describeFlowLogsResponse{NextToken: next}
	for _, f := range page {
		out.FlowLogs.Items = append(out.FlowLogs.Items, xFlowLogOf(f))
	}
	return out, nil
}

func (s *Server) describeSecurityGroups(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	ps, aerr := s.ec2Page(c, p, 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	perm := func(egress bool, f func(Rule) []string) func(*SecurityGroup) []string {
		return func(g *SecurityGroup) []string {
			rules := g.Ingress
			if egress {
				rules = g.Egress
			}
			var out []string
			for _, r := range rules {
				out = append(out, f(r)...)
			}
			return out
		}
	}
	cidrs := func(r Rule) []string {
		var out []string
		for _, c := range r.IPRanges {
			out = append(out, c.CIDR)
		}
		return out
	}
	ipv6 := func(r Rule) []string {
		var out []string
		for _, c := range r.IPv6Ranges {
			out = append(out, c.CIDR)
		}
		return out
	}
	pls := func(r Rule) []string {
		var out []string
		for _, pl := range r.PrefixListIDs {
			out = append(out, pl.ID)
		}
		return out
	}
	groups := func(r Rule) []string {
		var out []string
		for _, g := range r.Groups {
			out = append(out, g.GroupID)
		}
		return out
	}
	proto := func(r Rule) []string { return one(r.Protocol) }
	from := func(r Rule) []string { return one(strconv.Itoa(int(r.FromPort))) }
	to := func(r Rule) []string { return one(strconv.Itoa(int(r.ToPort))) }
	a := attrs[*SecurityGroup]{
		"group-id":    func(g *SecurityGroup) []string { return one(g.ID) },
		"group-name":  func(g *SecurityGroup) []string { return one(g.Name) },
		"vpc-id":      func(g *SecurityGroup) []string { return one(g.VPC) },
		"description": func(g *SecurityGroup) []string { return one(g.Description) },
		"owner-id":    func(g *SecurityGroup) []string { return one(g.OwnerID) },
	}
	for prefix, egress := range map[string]bool{"ip-permission.": false, "egress.ip-permission.": true} {
		a[prefix+"cidr"] = perm(egress, cidrs)
		a[prefix+"ipv6-cidr"] = perm(egress, ipv6)
		a[prefix+"prefix-list-id"] = perm(egress, pls)
		a[prefix+"group-id"] = perm(egress, groups)
		a[prefix+"protocol"] = perm(egress, proto)
		a[prefix+"from-port"] = perm(egress, from)
		a[prefix+"to-port"] = perm(egress, to)
	}
	fs := p.filters()
	m, aerr := newMatcher(fs, a, func(g *SecurityGroup) Tags { return g.Tags })
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := p.list("GroupId")
	explicit, aerr := lookupIDs(ids, s.st.sgs.byID, "sg-", "InvalidGroupId.Malformed", func(ids []string) *apiError {
		return errorf(400, "InvalidGroup.NotFound", "The security group '%s' does not exist", strings.Join(ids, "', '"))
	})
	if aerr != nil {
		return nil, aerr
	}
	hasIDs := len(ids) > 0
	if names := p.list("GroupName"); len(names) > 0 {
		// Group names are looked up in the default VPC, as AWS does.
		for _, name := range names {
			found := false
			for _, g := range s.st.sgs.order {
				if g.Name == name && s.st.vpcs.byID[g.VPC].IsDefault {
					explicit = append(explicit, g)
					found = true
				}
			}
			if !found {
				return nil, errorf(400, "InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC", name)
			}
		}
		hasIDs = true
	}
	cands := candidates(explicit, hasIDs, fs, s.st.sgsByVPC, "vpc-id", s.st.sgs.order)
	page, next := paginate(c.key(), cands, ps, m.match)
	out := &describeSecurityGroupsResponse{NextToken: next}
	for _, g := range page {
		out.SecurityGroups.Items = append(out.SecurityGroups.Items, s.st.xSecurityGroup(g))
	}
	return out, nil
}

func (s *Server) describeNatGateways(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	ps, aerr := s.ec2Page(c, p, 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	fs := p.filters()
	m, aerr := newMatcher(fs, attrs[*NATGateway]{
		"nat-gateway-id": func(n *NATGateway) []string { return one(n.ID) },
		"vpc-id":         func(n *NATGateway) []string { return one(n.VPC) },
		"subnet-id":      func(n *NATGateway) []string { return one(n.Subnet) },
		"state":          func(n *NATGateway) []string { return one(n.State) },
	}, func(n *NATGateway) Tags { return n.Tags })
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := p.list("NatGatewayId")
	explicit, aerr := lookupIDs(ids, s.st.nats.byID, "nat-", "InvalidParameter", func(ids []string) *apiError {
		return errorf(400, "NatGatewayNotFound", "NAT gateway %s was not found", ids[0])
	})
	if aerr != nil {
		return nil, aerr
	}
	cands := candidates(explicit, len(ids) > 0, fs, s.st.natsByVPC, "vpc-id", s.st.nats.order)
	page, next := paginate(c.key(), cands, ps, m.match)
	out := &describeNatGatewaysResponse{NextToken: next}
	for _, n := range page {
		out.NatGateways.Items = append(out.NatGateways.Items, xNatGatewayOf(n))
	}
	return out, nil
}

func (s *Server) describePrefixLists(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	ps, aerr := s.ec2Page(c, p, 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	fs := p.filters()
	m, aerr := newMatcher(fs, attrs[*PrefixList]{
		"prefix-list-id":   func(pl *PrefixList) []string { return one(pl.ID) },
		"prefix-list-name": func(pl *PrefixList) []string { return one(pl.Name) },
	}, func(*PrefixList) Tags { return nil })
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := p.list("PrefixListId")
	explicit, aerr := lookupIDs(ids, s.st.prefixLists.byID, "pl-", "InvalidPrefixListId.Malformed", notFound("InvalidPrefixListID.NotFound", "prefix list ID"))
	if aerr != nil {
		return nil, aerr
	}
	cands := candidates(explicit, len(ids) > 0, fs, nil, "", s.st.prefixLists.order)
	page, next := paginate(c.key(), cands, ps, m.match)
	out := &describePrefixListsResponse{NextToken: next}
	for _, pl := range page {
		out.PrefixLists.Items = append(out.PrefixLists.Items, xPrefixList{pl.ID, pl.Name, itemsOf(pl.CIDRs)})
	}
	return out, nil
}

// --- writes

// validatePolicy checks an endpoint policy document.
func validatePolicy(doc string) *apiError {
	if n := utf8.RuneCountInString(doc); n > MaxEndpointPolicy {
		return errorf(400, "InvalidPolicyDocument", "The Policy Document is not valid. The policy is %d characters long; the maximum is %d.", n, MaxEndpointPolicy)
	}
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		line, col := 1, 1
		if se, ok := err.(*json.SyntaxError); ok {
			line, col = position([]byte(doc), se.Offset)
		}
		return errorf(400, "InvalidPolicyDocument", "The Policy Document is not valid. Syntax error at position (%d,%d)", line, col)
	}
	if _, ok := v.(map[string]any); !ok {
		return errorf(400, "InvalidPolicyDocument", "The Policy Document is not valid. A policy must be a JSON object.")
	}
	return nil
}

// fingerprint identifies a CreateVpcEndpoint request for idempotency: every
// parameter but ClientToken and DryRun.
func fingerprint(form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		if k != "ClientToken" && k != "DryRun" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%q=%q\n", k, form[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Server) createVpcEndpoint(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	vpcID, service := p.str("VpcId"), p.str("ServiceName")
	typ := p.str("VpcEndpointType")
	if typ == "" {
		typ = "Gateway"
	}
	token := p.str("ClientToken")
	switch {
	case vpcID == "":
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter VpcId")
	case service == "":
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter ServiceName")
	case !slices.Contains([]string{"Gateway", "Interface", "GatewayLoadBalancer"}, typ):
		return nil, errorf(400, "InvalidParameterValue", "Value (%s) for parameter VpcEndpointType is invalid.", typ)
	case len(token) > 64:
		return nil, errorf(400, "InvalidParameterValue", "ClientToken is longer than 64 characters")
	}
	privateDNS, privateDNSSet, aerr := p.bool("PrivateDnsEnabled")
	if aerr != nil {
		return nil, aerr
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	fp := fingerprint(c.form)
	if token != "" {
		if prev, ok := st.idempotency[token]; ok {
			if prev.fingerprint != fp {
				return nil, errorf(400, "IdempotentParameterMismatch", "The client token %s has already been used with different parameters.", token)
			}
			c.noRecord = true // a replay is not a new write
			e := st.vpces.byID[prev.endpointID]
			return &createVpcEndpointResponse{VpcEndpoint: st.xVpcEndpoint(e), ClientToken: token}, nil
		}
	}

	if !strings.HasPrefix(vpcID, "vpc-") {
		return nil, errorf(400, "InvalidVpcID.Malformed", "Invalid id: \"%s\"", vpcID)
	}
	if _, ok := st.vpcs.byID[vpcID]; !ok {
		return nil, errorf(400, "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	if !strings.HasPrefix(service, "com.amazonaws."+st.region+".") && !strings.HasPrefix(service, "com.amazonaws.vpce."+st.region+".") {
		return nil, errorf(400, "InvalidServiceName", "The Vpc Endpoint Service '%s' does not exist", service)
	}
	pl := st.plByName[service]
	switch {
	case typ == "Gateway" && pl == nil:
		return nil, errorf(400, "InvalidParameter", "The Vpc Endpoint Service '%s' does not support the endpoint type Gateway", service)
	case typ == "GatewayLoadBalancer" && isAWSService(service):
		return nil, errorf(400, "InvalidParameter", "The Vpc Endpoint Service '%s' does not support the endpoint type GatewayLoadBalancer", service)
	}

	policy := p.str("PolicyDocument")
	if p.has("PolicyDocument") {
		if typ == "GatewayLoadBalancer" {
			return nil, errorf(400, "InvalidParameter", "Endpoint policies are not supported for GatewayLoadBalancer endpoints")
		}
		if aerr := validatePolicy(policy); aerr != nil {
			return nil, aerr
		}
	} else if typ != "GatewayLoadBalancer" && isAWSService(service) {
		policy = DefaultEndpointPolicy
	}

	rtbs := dedupe(p.list("RouteTableId"))
	subnets := dedupe(p.list("SubnetId"))
	groups := dedupe(p.list("SecurityGroupId"))
	if typ != "Gateway" && len(rtbs) > 0 {
		return nil, errorf(400, "InvalidParameter", "Route tables can only be specified for Gateway endpoints")
	}
	if typ == "Gateway" && (len(subnets) > 0 || len(groups) > 0) {
		return nil, errorf(400, "InvalidParameter", "Subnets and security groups cannot be specified for Gateway endpoints")
	}
	if aerr := st.checkRouteTables(vpcID, rtbs, pl, ""); aerr != nil {
		return nil, aerr
	}
	seenAZ := map[string]string{}
	for _, sid := range subnets {
		sn, ok := st.subnets.byID[sid]
		if !ok {
			return nil, errorf(400, "InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", sid)
		}
		if sn.VPC != vpcID {
			return nil, errorf(400, "InvalidParameter", "The subnet %s does not belong to the vpc %s", sid, vpcID)
		}
		if other, dup := seenAZ[sn.AZ]; dup {
			return nil, errorf(400, "DuplicateSubnetsInSameZone", "Found another VPC endpoint subnet in the availability zone of %s. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.", other)
		}
		seenAZ[sn.AZ] = sid
	}
	if typ == "Interface" && len(groups) == 0 {
		for _, g := range st.sgsByVPC[vpcID] {
			if g.Name == "default" {
				groups = []string{g.ID}
			}
		}
	}
	for _, gid := range groups {
		g, ok := st.sgs.byID[gid]
		if !ok {
			return nil, errorf(400, "InvalidGroup.NotFound", "The security group '%s' does not exist", gid)
		}
		if g.VPC != vpcID {
			return nil, errorf(400, "InvalidParameter", "The security group %s does not belong to the vpc %s", gid, vpcID)
		}
	}
	var tags Tags
	for _, ts := range p.indexes("TagSpecification") {
		if rt := p.str(ts + ".ResourceType"); rt != "vpc-endpoint" {
			return nil, errorf(400, "InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation.", rt)
		}
		t, aerr := p.tags(ts + ".Tag")
		if aerr != nil {
			return nil, aerr
		}
		if tags == nil {
			tags = Tags{}
		}
		for k, v := range t {
			tags[k] = v
		}
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}

	if !privateDNSSet {
		privateDNS = typ == "Interface" && isAWSService(service)
	}
	e := &VPCEndpoint{
		ID:             st.newID("vpce-", func(id string) bool { _, ok := st.vpces.byID[id]; return ok }),
		VPC:            vpcID,
		Type:           typ,
		Service:        service,
		State:          "available",
		RouteTables:    rtbs,
		Subnets:        subnets,
		SecurityGroups: groups,
		Policy:         Policy(policy),
		PrivateDNS:     Ptr(privateDNS),
		OwnerID:        st.account,
		CreationTime:   Ptr(time.Now().UTC().Truncate(time.Millisecond)),
		Tags:           tags,
	}
	if typ != "Gateway" {
		for _, sid := range subnets {
			e.NetworkInterfaceIDs = append(e.NetworkInterfaceIDs, st.derivedID("eni-", e.ID+sid))
		}
	}
	st.vpces.add(e.ID, e)
	st.vpcesByVPC[vpcID] = append(st.vpcesByVPC[vpcID], e)
	for _, tid := range rtbs {
		t := st.rtbs.byID[tid]
		t.Routes = append(t.Routes, gatewayRoute(pl.ID, e.ID))
	}
	if token != "" {
		st.idempotency[token] = &idemEntry{fingerprint: fp, endpointID: e.ID}
	}
	c.result = map[string]any{"vpcEndpointId": e.ID}

	x := st.xVpcEndpoint(e)
	if typ != "Gateway" {
		x.State = "pending" // as AWS answers; a later Describe sees it available
	}
	return &createVpcEndpointResponse{VpcEndpoint: x, ClientToken: token}, nil
}

// checkRouteTables validates route tables to be given a route to pl through
// an endpoint (self is the endpoint itself when modifying it).
func (st *state) checkRouteTables(vpcID string, rtbs []string, pl *PrefixList, self string) *apiError {
	for _, tid := range rtbs {
		if !strings.HasPrefix(tid, "rtb-") {
			return errorf(400, "InvalidRouteTableId.Malformed", "Invalid id: \"%s\"", tid)
		}
		t, ok := st.rtbs.byID[tid]
		if !ok {
			return errorf(400, "InvalidRouteTableId.NotFound", "The routeTable ID '%s' does not exist", tid)
		}
		if t.VPC != vpcID {
			return errorf(400, "InvalidParameter", "The route table %s does not belong to the vpc %s", tid, vpcID)
		}
		for _, r := range t.Routes {
			if r.DestinationPrefixListID == pl.ID && r.GatewayID != self {
				return errorf(400, "RouteAlreadyExists", "route table %s already has a route with destination-prefix-list-id %s", tid, pl.ID)
			}
		}
	}
	return nil
}

func dedupe(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (s *Server) modifyVpcEndpoint(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	id := p.str("VpcEndpointId")
	if id == "" {
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter VpcEndpointId")
	}
	reset, _, aerr := p.bool("ResetPolicy")
	if aerr != nil {
		return nil, aerr
	}
	privateDNS, privateDNSSet, aerr := p.bool("PrivateDnsEnabled")
	if aerr != nil {
		return nil, aerr
	}
	addRT, removeRT := dedupe(p.list("AddRouteTableId")), dedupe(p.list("RemoveRouteTableId"))
	addSN, removeSN := dedupe(p.list("AddSubnetId")), dedupe(p.list("RemoveSubnetId"))
	addSG, removeSG := dedupe(p.list("AddSecurityGroupId")), dedupe(p.list("RemoveSecurityGroupId"))
	policy, hasPolicy := p.str("PolicyDocument"), p.has("PolicyDocument")
	if reset && hasPolicy {
		return nil, errorf(400, "InvalidParameterCombination", "ResetPolicy and PolicyDocument cannot both be specified")
	}
	for _, pair := range [][2][]string{{addRT, removeRT}, {addSN, removeSN}, {addSG, removeSG}} {
		for _, x := range pair[0] {
			if slices.Contains(pair[1], x) {
				return nil, errorf(400, "InvalidParameter", "%s cannot be both added and removed", x)
			}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	if !strings.HasPrefix(id, "vpce-") {
		return nil, errorf(400, "InvalidVpcEndpointId.Malformed", "Invalid id: \"%s\"", id)
	}
	e, ok := st.vpces.byID[id]
	if !ok || e.State == "deleted" {
		return nil, errorf(400, "InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '%s' does not exist", id)
	}
	if e.Type != "Gateway" && (len(addRT) > 0 || len(removeRT) > 0) {
		return nil, errorf(400, "InvalidParameter", "Route tables can only be modified for Gateway endpoints")
	}
	if e.Type == "Gateway" && (len(addSN)+len(removeSN)+len(addSG)+len(removeSG) > 0 || privateDNSSet) {
		return nil, errorf(400, "InvalidParameter", "Subnets, security groups and private DNS cannot be modified for Gateway endpoints")
	}
	if hasPolicy || reset {
		if e.Type == "GatewayLoadBalancer" {
			return nil, errorf(400, "InvalidParameter", "Endpoint policies are not supported for GatewayLoadBalancer endpoints")
		}
		if hasPolicy {
			if aerr := validatePolicy(policy); aerr != nil {
				return nil, aerr
			}
		}
	}
	var pl *PrefixList
	if len(addRT) > 0 {
		pl = st.plByName[e.Service]
		var fresh []string
		for _, tid := range addRT {
			if !slices.Contains(e.RouteTables, tid) {
				fresh = append(fresh, tid)
			}
		}
		if aerr := st.checkRouteTables(e.VPC, fresh, pl, e.ID); aerr != nil {
			return nil, aerr
		}
		addRT = fresh
	}
	for _, tid := range removeRT {
		if _, ok := st.rtbs.byID[tid]; !ok {
			return nil, errorf(400, "InvalidRouteTableId.NotFound", "The routeTable ID '%s' does not exist", tid)
		}
	}
	for _, sid := range addSN {
		if sn, ok := st.subnets.byID[sid]; !ok || sn.VPC != e.VPC {
			return nil, errorf(400, "InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", sid)
		}
	}
	for _, gid := range addSG {
		if g, ok := st.sgs.byID[gid]; !ok || g.VPC != e.VPC {
			return nil, errorf(400, "InvalidGroup.NotFound", "The security group '%s' does not exist", gid)
		}
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}

	// Apply.
	for _, tid := range addRT {
		t := st.rtbs.byID[tid]
		t.Routes = append(t.Routes, gatewayRoute(pl.ID, e.ID))
		e.RouteTables = append(e.RouteTables, tid)
	}
	for _, tid := range removeRT {
		t := st.rtbs.byID[tid]
		t.Routes = slices.DeleteFunc(t.Routes, func(r Route) bool { return r.GatewayID == e.ID })
		e.RouteTables = slices.DeleteFunc(e.RouteTables, func(x string) bool { return x == tid })
	}
	for _, sid := range addSN {
		if !slices.Contains(e.Subnets, sid) {
			e.Subnets = append(e.Subnets, sid)
			e.NetworkInterfaceIDs = append(e.NetworkInterfaceIDs, st.derivedID("eni-", e.ID+sid))
		}
	}
	for _, sid := range removeSN {
		if i := slices.Index(e.Subnets, sid); i >= 0 {
			e.Subnets = slices.Delete(e.Subnets, i, i+1)
			eni := st.derivedID("eni-", e.ID+sid)
			e.NetworkInterfaceIDs = slices.DeleteFunc(e.NetworkInterfaceIDs, func(x string) bool { return x == eni })
		}
	}
	for _, gid := range addSG {
		if !slices.Contains(e.SecurityGroups, gid) {
			e.SecurityGroups = append(e.SecurityGroups, gid)
		}
	}
	e.SecurityGroups = slices.DeleteFunc(e.SecurityGroups, func(x string) bool { return slices.Contains(removeSG, x) })
	switch {
	case reset:
		e.Policy = DefaultEndpointPolicy
	case hasPolicy:
		e.Policy = Policy(policy)
	}
	if privateDNSSet {
		e.PrivateDNS = Ptr(privateDNS)
	}
	c.result = map[string]any{"vpcEndpointId": e.ID}
	return &returnResponse{Return: true}, nil
}

func (s *Server) deleteVpcEndpoints(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	ids := p.list("VpcEndpointId")
	if len(ids) == 0 {
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter VpcEndpointId")
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
		e, ok := st.vpces.byID[id]
		if !ok || e.State == "deleted" {
			u := xUnsuccessful{ResourceID: id}
			u.Error.Code = "InvalidVpcEndpoint.NotFound"
			u.Error.Message = fmt.Sprintf("The VPC endpoint '%s' does not exist", id)
			out.Unsuccessful.Items = append(out.Unsuccessful.Items, u)
			failed = append(failed, id)
			continue
		}
		for _, tid := range e.RouteTables {
			if t := st.rtbs.byID[tid]; t != nil {
				t.Routes = slices.DeleteFunc(t.Routes, func(r Route) bool { return r.GatewayID == e.ID })
			}
		}
		// AWS keeps deleted endpoints visible for a while, in state deleted.
		e.State = "deleted"
		e.RouteTables, e.Subnets, e.NetworkInterfaceIDs = nil, nil, nil
		deleted = append(deleted, id)
	}
	c.result = map[string]any{"deleted": deleted, "unsuccessful": failed}
	return out, nil
}

func (s *Server) createTags(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	ids := p.list("ResourceId")
	if len(ids) == 0 {
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter ResourceId")
	}
	tags, aerr := p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	targets := make([]*Tags, 0, len(ids))
	for _, id := range ids {
		var t *Tags
		switch prefix, _, _ := strings.Cut(id, "-"); prefix {
		case "vpce":
			if e, ok := st.vpces.byID[id]; ok {
				t = &e.Tags
			}
		case "vpc":
			if v, ok := st.vpcs.byID[id]; ok {
				t = &v.Tags
			}
		case "subnet":
			if v, ok := st.subnets.byID[id]; ok {
				t = &v.Tags
			}
		case "rtb":
			if v, ok := st.rtbs.byID[id]; ok {
				t = &v.Tags
			}
		case "sg":
			if v, ok := st.sgs.byID[id]; ok {
				t = &v.Tags
			}
		case "nat":
			if v, ok := st.nats.byID[id]; ok {
				t = &v.Tags
			}
		case "dopt":
			if v, ok := st.dhcp.byID[id]; ok {
				t = &v.Tags
			}
		case "fl":
			if v, ok := st.flowLogs.byID[id]; ok {
				t = &v.Tags
			}
		case "acl":
			if v, ok := st.acls.table.byID[id]; ok {
				t = &v.Tags
			}
		default:
			return nil, errorf(400, "InvalidID", "The ID '%s' is not valid", id)
		}
		if t == nil {
			return nil, errorf(400, "InvalidID", "The ID '%s' does not exist", id)
		}
		targets = append(targets, t)
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}
	for _, t := range targets {
		if *t == nil {
			*t = Tags{}
		}
		for k, v := range tags {
			(*t)[k] = v
		}
	}
	c.result = map[string]any{"resources": ids}
	return &returnResponse{Return: true}, nil
}
