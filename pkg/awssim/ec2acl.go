package awssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Network ACLs and managed prefix lists: the scenario types, the state,
// the Describe operations, and the entry and association writes (which
// the demo enacts from CloudTrail events).

// NetworkACL is a network ACL. Every VPC has a default ACL (generated
// with AWS's default entries when the scenario gives none); a subnet that
// no ACL lists is associated with its VPC's default ACL. Every ACL ends
// with the '*' entries (rule 32767, deny everything, in and out), which
// cannot be given or changed.
type NetworkACL struct {
	ID      string `json:"id"`
	VPC     string `json:"vpc"`
	Default bool   `json:"default,omitempty"`
	// Subnets are the explicitly associated subnets.
	Subnets []string   `json:"subnets,omitempty"`
	Entries []ACLEntry `json:"entries,omitempty"`
	OwnerID string     `json:"ownerId,omitempty"`
	Tags    Tags       `json:"tags,omitempty"`
}

// ACLEntry is one numbered entry. Protocol is a number or tcp, udp, icmp,
// all; Ports ("443", "1024-65535") is required for TCP and UDP; CIDR or
// IPv6CIDR is the source (inbound) or destination (outbound).
type ACLEntry struct {
	Rule     int32  `json:"rule"` // 1 to 32766
	Egress   bool   `json:"egress,omitempty"`
	Protocol string `json:"protocol"`
	Action   string `json:"action"` // allow or deny
	CIDR     string `json:"cidr,omitempty"`
	IPv6CIDR string `json:"ipv6Cidr,omitempty"`
	Ports    Ports  `json:"ports,omitzero"`
	ICMPType *int32 `json:"icmpType,omitempty"`
	ICMPCode *int32 `json:"icmpCode,omitempty"`
}

// Ports is an inclusive port range, written "443" or "1024-65535".
type Ports struct {
	From, To int32
	Set      bool
}

// UnmarshalJSON reads "443", "1024-65535" or {"from":…,"to":…}.
func (p *Ports) UnmarshalJSON(b []byte) error {
	if s, ok := jsonString(b); ok {
		from, to, found := strings.Cut(s, "-")
		if !found {
			to = from
		}
		f, err1 := strconv.Atoi(strings.TrimSpace(from))
		t, err2 := strconv.Atoi(strings.TrimSpace(to))
		if err1 != nil || err2 != nil {
			return fmt.Errorf("ports %q: want \"443\" or \"1024-65535\"", s)
		}
		*p = Ports{From: int32(f), To: int32(t), Set: true}
		return nil
	}
	var v struct {
		From int32 `json:"from"`
		To   int32 `json:"to"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("ports: want \"443\", \"1024-65535\" or {\"from\",\"to\"}: %w", err)
	}
	*p = Ports{From: v.From, To: v.To, Set: true}
	return nil
}

// MarshalJSON writes the object form, which reads back whatever the values.
func (p Ports) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		From int32 `json:"from"`
		To   int32 `json:"to"`
	}{p.From, p.To})
}

// IsZero lets omitzero drop an unset range.
func (p Ports) IsZero() bool { return !p.Set }

// ec2ACLWrites are the network ACL writes the server records.
var ec2ACLWrites = []string{"CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "DeleteNetworkAclEntry", "ReplaceNetworkAclAssociation"}

// defaultRule is the number DescribeNetworkAcls gives the '*' entries.
const defaultRule = 32767

// aclState is the live network ACLs.
type aclState struct {
	table     table[*NetworkACL]
	byVPC     map[string][]*NetworkACL
	bySubnet  map[string]*NetworkACL // every subnet: explicit or default
	assocIDs  map[string]string      // subnet → its association id
	defaultOf map[string]*NetworkACL // vpc → default ACL
}

// protocolNumber normalises a protocol name to its number, as EC2 stores it.
func protocolNumber(p string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(p)) {
	case "tcp":
		return "6", true
	case "udp":
		return "17", true
	case "icmp":
		return "1", true
	case "icmpv6":
		return "58", true
	case "all", "-1":
		return "-1", true
	}
	n, err := strconv.Atoi(p)
	return p, err == nil && n >= 0 && n <= 255
}

// checkEntry validates and normalises an entry; the message says what is wrong.
func checkEntry(e *ACLEntry) string {
	if e.Rule < 1 || e.Rule > 32766 {
		return fmt.Sprintf("rule number %d: want 1 to 32766", e.Rule)
	}
	proto, ok := protocolNumber(e.Protocol)
	if !ok {
		return fmt.Sprintf("rule %d: protocol %q: want a protocol number or tcp, udp, icmp, all", e.Rule, e.Protocol)
	}
	e.Protocol = proto
	switch e.Action = strings.ToLower(e.Action); e.Action {
	case "allow", "deny":
	default:
		return fmt.Sprintf("rule %d: action %q: want allow or deny", e.Rule, e.Action)
	}
	switch {
	case (e.CIDR == "") == (e.IPv6CIDR == ""):
		return fmt.Sprintf("rule %d: give exactly one of cidr and ipv6Cidr", e.Rule)
	case e.CIDR != "":
		p, err := netip.ParsePrefix(e.CIDR)
		if err != nil || !p.Addr().Is4() {
			return fmt.Sprintf("rule %d: cidr %q is not an IPv4 CIDR", e.Rule, e.CIDR)
		}
		e.CIDR = p.Masked().String() // EC2 stores the canonical form
	default:
		p, err := netip.ParsePrefix(e.IPv6CIDR)
		if err != nil || !p.Addr().Is6() {
			return fmt.Sprintf("rule %d: ipv6Cidr %q is not an IPv6 CIDR", e.Rule, e.IPv6CIDR)
		}
		e.IPv6CIDR = p.Masked().String()
	}
	if e.Protocol == "6" || e.Protocol == "17" {
		if !e.Ports.Set {
			return fmt.Sprintf("rule %d: TCP and UDP entries need a port range", e.Rule)
		}
		if e.Ports.From < 0 || e.Ports.To > 65535 || e.Ports.From > e.Ports.To {
			return fmt.Sprintf("rule %d: port range %d-%d: want 0 ≤ from ≤ to ≤ 65535", e.Rule, e.Ports.From, e.Ports.To)
		}
	} else {
		e.Ports = Ports{} // EC2 ignores ports for other protocols
	}
	return ""
}

// starEntries are the '*' entries every ACL ends with.
func starEntries() []ACLEntry {
	return []ACLEntry{
		{Rule: defaultRule, Protocol: "-1", Action: "deny", CIDR: "0.0.0.0/0"},
		{Rule: defaultRule, Egress: true, Protocol: "-1", Action: "deny", CIDR: "0.0.0.0/0"},
	}
}

// buildNetworkACLs indexes the scenario's ACLs, gives every VPC a default
// ACL and associates every subnet.
func (st *state) buildNetworkACLs(sc *Scenario, v *validation) {
	a := &st.acls
	*a = aclState{table: newTable[*NetworkACL](), byVPC: map[string][]*NetworkACL{}, bySubnet: map[string]*NetworkACL{},
		assocIDs: map[string]string{}, defaultOf: map[string]*NetworkACL{}}
	for i := range sc.NetworkACLs {
		n := &sc.NetworkACLs[i]
		switch {
		case n.ID == "" || !strings.HasPrefix(n.ID, "acl-"):
			v.add("network acl %q: the id must start with \"acl-\"", n.ID)
			continue
		case a.table.byID[n.ID] != nil:
			v.add("network acl %q is defined twice", n.ID)
			continue
		case st.vpcs.byID[n.VPC] == nil:
			v.add("network acl %s: vpc %q is not in vpcs", n.ID, n.VPC)
			continue
		}
		if n.Default {
			if d := a.defaultOf[n.VPC]; d != nil {
				v.add("vpc %s has two default network acls, %s and %s", n.VPC, d.ID, n.ID)
				continue
			}
			a.defaultOf[n.VPC] = n
		}
		seen := map[string]bool{}
		for j := range n.Entries {
			e := &n.Entries[j]
			if msg := checkEntry(e); msg != "" {
				v.add("network acl %s: %s", n.ID, msg)
			}
			k := fmt.Sprint(e.Egress, e.Rule)
			if seen[k] {
				v.add("network acl %s: rule %d is defined twice (egress %v)", n.ID, e.Rule, e.Egress)
			}
			seen[k] = true
		}
		n.Entries = append(n.Entries, starEntries()...)
		if n.OwnerID == "" {
			n.OwnerID = st.account
		}
		for _, sid := range n.Subnets {
			sn, ok := st.subnets.byID[sid]
			switch {
			case !ok:
				v.add("network acl %s: subnet %q is not in subnets", n.ID, sid)
			case sn.VPC != n.VPC:
				v.add("network acl %s (vpc %s): subnet %s is in vpc %s", n.ID, n.VPC, sid, sn.VPC)
			case a.bySubnet[sid] != nil:
				v.add("subnet %s is associated with two network acls, %s and %s", sid, a.bySubnet[sid].ID, n.ID)
			default:
				a.bySubnet[sid] = n
			}
		}
		a.table.add(n.ID, n)
		a.byVPC[n.VPC] = append(a.byVPC[n.VPC], n)
	}
	for _, vp := range st.vpcs.order {
		d := a.defaultOf[vp.ID]
		if d == nil {
			d = &NetworkACL{ID: st.derivedID("acl-", "default-"+vp.ID), VPC: vp.ID, Default: true, OwnerID: vp.OwnerID,
				Entries: append([]ACLEntry{
					{Rule: 100, Protocol: "-1", Action: "allow", CIDR: "0.0.0.0/0"},
					{Rule: 100, Egress: true, Protocol: "-1", Action: "allow", CIDR: "0.0.0.0/0"},
				}, starEntries()...)}
			a.defaultOf[vp.ID] = d
			a.table.add(d.ID, d)
			a.byVPC[vp.ID] = append(a.byVPC[vp.ID], d)
		}
		for _, sn := range st.subnetsByVPC[vp.ID] {
			if a.bySubnet[sn.ID] == nil {
				a.bySubnet[sn.ID] = d
				d.Subnets = append(d.Subnets, sn.ID)
			}
		}
	}
	for _, n := range a.table.order {
		for _, sid := range n.Subnets {
			a.assocIDs[sid] = st.derivedID("aclassoc-", n.ID+"/"+sid)
		}
	}
}

// --- XML

type xACLEntry struct {
	RuleNumber    int32       `xml:"ruleNumber"`
	Protocol      string      `xml:"protocol"`
	RuleAction    string      `xml:"ruleAction"`
	Egress        bool        `xml:"egress"`
	CidrBlock     string      `xml:"cidrBlock,omitempty"`
	Ipv6CidrBlock string      `xml:"ipv6CidrBlock,omitempty"`
	IcmpTypeCode  *xIcmp      `xml:"icmpTypeCode,omitempty"`
	PortRange     *xPortRange `xml:"portRange,omitempty"`
}

type xIcmp struct {
	Code int32 `xml:"code"`
	Type int32 `xml:"type"`
}

type xPortRange struct {
	From int32 `xml:"from"`
	To   int32 `xml:"to"`
}

type xACLAssoc struct {
	NetworkACLAssociationID string `xml:"networkAclAssociationId"`
	NetworkACLID            string `xml:"networkAclId"`
	SubnetID                string `xml:"subnetId"`
}

type xNetworkACL struct {
	NetworkACLID string           `xml:"networkAclId"`
	VpcID        string           `xml:"vpcId"`
	Default      bool             `xml:"default"`
	Entries      items[xACLEntry] `xml:"entrySet"`
	Associations items[xACLAssoc] `xml:"associationSet"`
	Tags         items[xTag]      `xml:"tagSet"`
	OwnerID      string           `xml:"ownerId"`
}

type describeNetworkAclsResponse struct {
	XMLName struct{} `xml:"DescribeNetworkAclsResponse"`
	ec2Meta
	NetworkAcls items[xNetworkACL] `xml:"networkAclSet"`
	NextToken   string             `xml:"nextToken,omitempty"`
}

type replaceNetworkAclAssociationResponse struct {
	XMLName struct{} `xml:"ReplaceNetworkAclAssociationResponse"`
	ec2Meta
	NewAssociationID string `xml:"newAssociationId"`
}

func xACLEntryOf(e ACLEntry) xACLEntry {
	x := xACLEntry{RuleNumber: e.Rule, Protocol: e.Protocol, RuleAction: e.Action, Egress: e.Egress, CidrBlock: e.CIDR, Ipv6CidrBlock: e.IPv6CIDR}
	if e.Ports.Set {
		x.PortRange = &xPortRange{e.Ports.From, e.Ports.To}
	}
	if e.ICMPType != nil || e.ICMPCode != nil {
		x.IcmpTypeCode = &xIcmp{}
		if e.ICMPType != nil {
			x.IcmpTypeCode.Type = *e.ICMPType
		}
		if e.ICMPCode != nil {
			x.IcmpTypeCode.Code = *e.ICMPCode
		}
	}
	return x
}

// xNetworkACL renders an ACL: entries by direction (egress first, as EC2
// answers) and rule number.
func (st *state) xNetworkACL(n *NetworkACL) xNetworkACL {
	x := xNetworkACL{NetworkACLID: n.ID, VpcID: n.VPC, Default: n.Default, Tags: xTags(n.Tags), OwnerID: n.OwnerID}
	entries := slices.Clone(n.Entries)
	slices.SortStableFunc(entries, func(a, b ACLEntry) int {
		if a.Egress != b.Egress {
			if a.Egress {
				return -1
			}
			return 1
		}
		return int(a.Rule) - int(b.Rule)
	})
	for _, e := range entries {
		x.Entries.Items = append(x.Entries.Items, xACLEntryOf(e))
	}
	for _, sid := range n.Subnets {
		x.Associations.Items = append(x.Associations.Items, xACLAssoc{st.acls.assocIDs[sid], n.ID, sid})
	}
	return x
}

// --- operations

func (s *Server) describeNetworkAcls(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	ps, aerr := s.ec2Page(c, p, 5, 1000)
	if aerr != nil {
		return nil, aerr
	}
	entries := func(f func(ACLEntry) string) func(*NetworkACL) []string {
		return func(n *NetworkACL) []string {
			var out []string
			for _, e := range n.Entries {
				if v := f(e); v != "" {
					out = append(out, v)
				}
			}
			return out
		}
	}
	port := func(from bool) func(ACLEntry) string {
		return func(e ACLEntry) string {
			switch {
			case !e.Ports.Set:
				return ""
			case from:
				return strconv.Itoa(int(e.Ports.From))
			}
			return strconv.Itoa(int(e.Ports.To))
		}
	}
	icmp := func(v func(ACLEntry) *int32) func(ACLEntry) string {
		return func(e ACLEntry) string {
			if p := v(e); p != nil {
				return strconv.Itoa(int(*p))
			}
			return ""
		}
	}
	fs := p.filters()
	m, aerr := newMatcher(fs, attrs[*NetworkACL]{
		"network-acl-id": func(n *NetworkACL) []string { return one(n.ID) },
		"vpc-id":         func(n *NetworkACL) []string { return one(n.VPC) },
		"default":        func(n *NetworkACL) []string { return boolStr(n.Default) },
		"owner-id":       func(n *NetworkACL) []string { return one(n.OwnerID) },
		"association.subnet-id": func(n *NetworkACL) []string {
			return slices.Clone(n.Subnets)
		},
		"association.network-acl-id": func(n *NetworkACL) []string {
			if len(n.Subnets) == 0 {
				return nil
			}
			return one(n.ID)
		},
		"association.association-id": func(n *NetworkACL) []string {
			var out []string
			for _, sid := range n.Subnets {
				out = append(out, s.st.acls.assocIDs[sid])
			}
			return out
		},
		"entry.cidr":            entries(func(e ACLEntry) string { return e.CIDR }),
		"entry.ipv6-cidr":       entries(func(e ACLEntry) string { return e.IPv6CIDR }),
		"entry.egress":          entries(func(e ACLEntry) string { return strconv.FormatBool(e.Egress) }),
		"entry.protocol":        entries(func(e ACLEntry) string { return e.Protocol }),
		"entry.rule-action":     entries(func(e ACLEntry) string { return e.Action }),
		"entry.rule-number":     entries(func(e ACLEntry) string { return strconv.Itoa(int(e.Rule)) }),
		"entry.port-range.from": entries(port(true)),
		"entry.port-range.to":   entries(port(false)),
		"entry.icmp.type":       entries(icmp(func(e ACLEntry) *int32 { return e.ICMPType })),
		"entry.icmp.code":       entries(icmp(func(e ACLEntry) *int32 { return e.ICMPCode })),
	}, func(n *NetworkACL) Tags { return n.Tags })
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := p.list("NetworkAclId")
	explicit, aerr := lookupIDs(ids, s.st.acls.table.byID, "acl-", "InvalidNetworkAclID.Malformed", notFound("InvalidNetworkAclID.NotFound", "network ACL ID"))
	if aerr != nil {
		return nil, aerr
	}
	var cands []*NetworkACL
	if subnets, ok := exactValues(fs, "association.subnet-id"); ok && len(ids) == 0 {
		for _, sid := range subnets {
			if n := s.st.acls.bySubnet[sid]; n != nil && !slices.Contains(cands, n) {
				cands = append(cands, n)
			}
		}
	} else {
		cands = candidates(explicit, len(ids) > 0, fs, s.st.acls.byVPC, "vpc-id", s.st.acls.table.order)
	}
	page, next := paginate(c.key(), cands, ps, m.match)
	out := &describeNetworkAclsResponse{NextToken: next}
	for _, n := range page {
		out.NetworkAcls.Items = append(out.NetworkAcls.Items, s.st.xNetworkACL(n))
	}
	return out, nil
}

// entryParams reads the entry of a Create/ReplaceNetworkAclEntry request.
func entryParams(p ec2Params) (string, ACLEntry, *apiError) {
	id := p.str("NetworkAclId")
	for _, k := range []string{"NetworkAclId", "RuleNumber", "Protocol", "RuleAction", "Egress"} {
		if p.str(k) == "" {
			return "", ACLEntry{}, errorf(400, "MissingParameter", "The request must contain the parameter %s", k)
		}
	}
	rule, err := strconv.Atoi(p.str("RuleNumber"))
	if err != nil {
		return "", ACLEntry{}, errorf(400, "InvalidParameterValue", "Value (%s) for parameter ruleNumber is invalid.", p.str("RuleNumber"))
	}
	egress, _, aerr := p.bool("Egress")
	if aerr != nil {
		return "", ACLEntry{}, aerr
	}
	e := ACLEntry{Rule: int32(rule), Egress: egress, Protocol: p.str("Protocol"), Action: p.str("RuleAction"), CIDR: p.str("CidrBlock"), IPv6CIDR: p.str("Ipv6CidrBlock")}
	if p.has("PortRange.From") || p.has("PortRange.To") {
		from, err1 := strconv.Atoi(p.str("PortRange.From"))
		to, err2 := strconv.Atoi(p.str("PortRange.To"))
		if err1 != nil || err2 != nil {
			return "", ACLEntry{}, errorf(400, "InvalidParameterValue", "The port range is invalid: from %q to %q", p.str("PortRange.From"), p.str("PortRange.To"))
		}
		e.Ports = Ports{From: int32(from), To: int32(to), Set: true}
	}
	for key, dst := range map[string]**int32{"Icmp.Type": &e.ICMPType, "Icmp.Code": &e.ICMPCode} {
		if v := p.str(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return "", ACLEntry{}, errorf(400, "InvalidParameterValue", "Value (%s) for parameter %s is invalid.", v, key)
			}
			*dst = Ptr(int32(n))
		}
	}
	if msg := checkEntry(&e); msg != "" {
		return "", ACLEntry{}, errorf(400, "InvalidParameterValue", "%s", msg)
	}
	return id, e, nil
}

// aclFor finds an ACL by id for a write.
func (st *state) aclFor(id string) (*NetworkACL, *apiError) {
	if !strings.HasPrefix(id, "acl-") {
		return nil, errorf(400, "InvalidNetworkAclID.Malformed", "Invalid id: \"%s\" (expecting \"acl-...\")", id)
	}
	n, ok := st.acls.table.byID[id]
	if !ok {
		return nil, errorf(400, "InvalidNetworkAclID.NotFound", "The network ACL ID '%s' does not exist", id)
	}
	return n, nil
}

func entryIndex(n *NetworkACL, egress bool, rule int32) int {
	return slices.IndexFunc(n.Entries, func(e ACLEntry) bool { return e.Egress == egress && e.Rule == rule })
}

func (s *Server) createNetworkAclEntry(c *call) (any, *apiError) {
	return s.putNetworkAclEntry(c, false)
}

func (s *Server) replaceNetworkAclEntry(c *call) (any, *apiError) {
	return s.putNetworkAclEntry(c, true)
}

// putNetworkAclEntry creates (replace false: the rule must be free) or
// replaces (the rule must exist) an entry.
func (s *Server) putNetworkAclEntry(c *call, replace bool) (any, *apiError) {
	p := ec2Params(c.form)
	id, e, aerr := entryParams(p)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, aerr := s.st.aclFor(id)
	if aerr != nil {
		return nil, aerr
	}
	i := entryIndex(n, e.Egress, e.Rule)
	switch {
	case replace && i < 0:
		return nil, errorf(400, "InvalidNetworkAclEntry.NotFound", "The network acl entry identified by %d does not exist.", e.Rule)
	case !replace && i >= 0:
		return nil, errorf(400, "NetworkAclEntryAlreadyExists", "The network acl entry identified by %d already exists.", e.Rule)
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}
	if replace {
		n.Entries[i] = e
	} else {
		n.Entries = append(n.Entries, e)
	}
	c.result = map[string]any{"networkAclId": n.ID, "ruleNumber": e.Rule, "egress": e.Egress}
	return &returnResponse{Return: true}, nil
}

func (s *Server) deleteNetworkAclEntry(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	for _, k := range []string{"NetworkAclId", "RuleNumber", "Egress"} {
		if p.str(k) == "" {
			return nil, errorf(400, "MissingParameter", "The request must contain the parameter %s", k)
		}
	}
	rule, err := strconv.Atoi(p.str("RuleNumber"))
	if err != nil || rule < 1 || rule > 32766 {
		return nil, errorf(400, "InvalidParameterValue", "Value (%s) for parameter ruleNumber is invalid.", p.str("RuleNumber"))
	}
	egress, _, aerr := p.bool("Egress")
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, aerr := s.st.aclFor(p.str("NetworkAclId"))
	if aerr != nil {
		return nil, aerr
	}
	i := entryIndex(n, egress, int32(rule))
	if i < 0 {
		return nil, errorf(400, "InvalidNetworkAclEntry.NotFound", "The network acl entry identified by %d does not exist.", rule)
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}
	n.Entries = slices.Delete(n.Entries, i, i+1)
	c.result = map[string]any{"networkAclId": n.ID, "ruleNumber": rule, "egress": egress}
	return &returnResponse{Return: true}, nil
}

func (s *Server) replaceNetworkAclAssociation(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	assoc, id := p.str("AssociationId"), p.str("NetworkAclId")
	switch {
	case assoc == "":
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter AssociationId")
	case id == "":
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter NetworkAclId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	n, aerr := st.aclFor(id)
	if aerr != nil {
		return nil, aerr
	}
	subnet := ""
	for sid, a := range st.acls.assocIDs {
		if a == assoc {
			subnet = sid
		}
	}
	if subnet == "" {
		return nil, errorf(400, "InvalidAssociationID.NotFound", "The association ID '%s' does not exist", assoc)
	}
	if sn := st.subnets.byID[subnet]; sn.VPC != n.VPC {
		return nil, errorf(400, "InvalidParameterValue", "Network ACL %s and subnet %s belong to different networks", n.ID, subnet)
	}
	if aerr := dryRun(p); aerr != nil {
		return nil, aerr
	}
	old := st.acls.bySubnet[subnet]
	old.Subnets = slices.DeleteFunc(old.Subnets, func(x string) bool { return x == subnet })
	n.Subnets = append(n.Subnets, subnet)
	st.acls.bySubnet[subnet] = n
	newID := st.newID("aclassoc-", func(x string) bool { return slices.Contains(mapValues(st.acls.assocIDs), x) })
	st.acls.assocIDs[subnet] = newID
	c.result = map[string]any{"newAssociationId": newID, "subnetId": subnet, "networkAclId": n.ID}
	return &replaceNetworkAclAssociationResponse{NewAssociationID: newID}, nil
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// --- managed prefix lists (the AWS-managed ones: read only)

type xManagedPrefixList struct {
	PrefixListID   string      `xml:"prefixListId"`
	AddressFamily  string      `xml:"addressFamily"`
	State          string      `xml:"state"`
	PrefixListArn  string      `xml:"prefixListArn"`
	PrefixListName string      `xml:"prefixListName"`
	MaxEntries     int         `xml:"maxEntries"`
	Version        int64       `xml:"version"`
	Tags           items[xTag] `xml:"tagSet"`
	OwnerID        string      `xml:"ownerId"`
}

type describeManagedPrefixListsResponse struct {
	XMLName struct{} `xml:"DescribeManagedPrefixListsResponse"`
	ec2Meta
	PrefixLists items[xManagedPrefixList] `xml:"prefixListSet"`
	NextToken   string                    `xml:"nextToken,omitempty"`
}

type xPrefixListEntry struct {
	Cidr        string `xml:"cidr"`
	Description string `xml:"description,omitempty"`
}

type getManagedPrefixListEntriesResponse struct {
	XMLName struct{} `xml:"GetManagedPrefixListEntriesResponse"`
	ec2Meta
	Entries   items[xPrefixListEntry] `xml:"entrySet"`
	NextToken string                  `xml:"nextToken,omitempty"`
}

func (st *state) xManagedPrefixList(pl *PrefixList) xManagedPrefixList {
	return xManagedPrefixList{
		PrefixListID: pl.ID, AddressFamily: "IPv4", State: "create-complete", PrefixListName: pl.Name,
		PrefixListArn: fmt.Sprintf("arn:%s:ec2:%s:aws:prefix-list/%s", st.partition, st.region, pl.ID),
		MaxEntries:    len(pl.CIDRs), Version: 1, OwnerID: "AWS",
	}
}

func (s *Server) describeManagedPrefixLists(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	ps, aerr := s.ec2Page(c, p, 1, 100)
	if aerr != nil {
		return nil, aerr
	}
	fs := p.filters()
	m, aerr := newMatcher(fs, attrs[*PrefixList]{
		"prefix-list-id":   func(pl *PrefixList) []string { return one(pl.ID) },
		"prefix-list-name": func(pl *PrefixList) []string { return one(pl.Name) },
		"owner-id":         func(*PrefixList) []string { return one("AWS") },
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
	out := &describeManagedPrefixListsResponse{NextToken: next}
	for _, pl := range page {
		out.PrefixLists.Items = append(out.PrefixLists.Items, s.st.xManagedPrefixList(pl))
	}
	return out, nil
}

func (s *Server) getManagedPrefixListEntries(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	id := p.str("PrefixListId")
	if id == "" {
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter PrefixListId")
	}
	ps, aerr := s.ec2Page(c, p, 1, 100)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !strings.HasPrefix(id, "pl-") {
		return nil, errorf(400, "InvalidPrefixListId.Malformed", "Invalid id: \"%s\" (expecting \"pl-...\")", id)
	}
	pl, ok := s.st.prefixLists.byID[id]
	if !ok {
		return nil, errorf(400, "InvalidPrefixListID.NotFound", "The prefix list ID '%s' does not exist", id)
	}
	if v := p.str("TargetVersion"); v != "" && v != "1" {
		return nil, errorf(400, "InvalidParameterValue", "The prefix list %s has no version %s", id, v)
	}
	page, next := paginate(c.key(), pl.CIDRs, ps, func(string) bool { return true })
	out := &getManagedPrefixListEntriesResponse{NextToken: next}
	for _, cidr := range page {
		out.Entries.Items = append(out.Entries.Items, xPrefixListEntry{Cidr: cidr})
	}
	return out, nil
}
