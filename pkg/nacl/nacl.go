// Package nacl evaluates VPC network ACL entries the way EC2 does, for the
// one question vpcguard asks: which part of a TCP flow between a subnet and
// a CIDR (every address of it, every port of a range) does the subnet's
// network ACL allow, and which entry decides each part. It is pure.
//
// The rules, from the Amazon VPC User Guide ("Network ACL rules", "Network
// ACL basics", "Custom network ACLs"):
//   - inbound and outbound entries are separate lists; each is evaluated
//     starting with the lowest rule number, and the first entry that
//     matches the traffic decides, whatever higher-numbered entries say;
//   - every ACL ends with the '*' entry (DescribeNetworkAcls reports it as
//     rule number 32767), which denies what no numbered entry matched;
//   - protocol "-1" matches all traffic on all ports; "6" is TCP and
//     matches the entry's port range; any other protocol number does not
//     match TCP (and for protocols other than 6, 17 and 1 the API ignores
//     ports);
//   - IPv4 and IPv6 traffic are evaluated separately: an entry for an IPv6
//     CIDR never matches IPv4 traffic;
//   - network ACLs are stateless: the response to an outbound request is
//     inbound traffic to the client's ephemeral port, judged by the inbound
//     entries.
//
// An entry decides for the part of the asked CIDR and port range it covers,
// and the rest goes on to the next entries. A prefix-list CIDR that an entry
// covers only partly (the entry's CIDR inside it, or overlapping ports) is
// therefore split: the covered part takes the entry's action, the other
// parts are decided further down. CIDRs are prefixes, so two of them are
// either disjoint or one contains the other: the part of a prefix outside a
// longer one is the set of sibling prefixes along the path to it, at most
// 32. The answer is a list of Segments that together cover exactly the
// asked space, each with the rule that decided it.
//
// Entries vpcguard cannot read exactly are read the conservative way: an
// unparseable CIDR or action, or a TCP entry without a port range, makes a
// Deny match everything and an Allow match nothing.
package nacl

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// DefaultRule is the rule number of the '*' entry.
const DefaultRule = 32767

// Protocol numbers.
const (
	ProtocolAll = "-1"
	ProtocolTCP = "6"
)

// ErrTooComplex is returned when the entries split the flow into more
// pieces than vpcguard follows (MaxPieces).
var ErrTooComplex = errors.New("the network ACL splits the traffic into too many pieces to evaluate")

// MaxPieces bounds the undecided pieces of one evaluation.
const MaxPieces = 1 << 12

// Entry is one network ACL entry, as DescribeNetworkAcls returns it.
type Entry struct {
	RuleNumber int32
	Egress     bool
	Protocol   string // "-1", "6", "17", ... (names such as "tcp" are accepted)
	Action     string // "allow" or "deny"
	CIDR       string // IPv4 CIDR, empty for an IPv6 entry
	IPv6CIDR   string
	Ports      *PortRange // TCP and UDP entries
}

// PortRange is an inclusive port range.
type PortRange struct{ From, To int32 }

// Rule renders the rule number as the console does ("*" for the default).
func (e Entry) Rule() string { return RuleName(e.RuleNumber) }

// RuleName renders a rule number ("*" for DefaultRule).
func RuleName(n int32) string {
	if n == DefaultRule {
		return "*"
	}
	return strconv.Itoa(int(n))
}

// Flow is the traffic asked about: TCP between the subnet and every
// address of CIDR, on every port From..To — the destination port for
// outbound traffic (443 to S3) and the subnet's own port for inbound
// traffic (the ephemeral ports S3's responses arrive at).
type Flow struct {
	Egress   bool
	CIDR     netip.Prefix // IPv4
	From, To int
}

// Segment is one piece of the flow and the entry that decides it.
type Segment struct {
	CIDR     netip.Prefix
	From, To int
	Allowed  bool
	// Rule is the deciding entry's rule number; DefaultRule when no
	// numbered entry matched (the '*' entry, or no entry at all).
	Rule int32
}

// String renders the segment for a message.
func (s Segment) String() string {
	return fmt.Sprintf("%s ports %s", s.CIDR, portText(s.From, s.To))
}

func portText(from, to int) string {
	if from == to {
		return strconv.Itoa(from)
	}
	return fmt.Sprintf("%d-%d", from, to)
}

// piece is an undecided part of the flow.
type piece struct {
	cidr     netip.Prefix
	from, to int
}

// match is what one entry covers of TCP traffic in one direction.
type match struct {
	cidr     netip.Prefix
	from, to int
	allow    bool
}

// Evaluate decides flow against entries (the ACL's whole list; entries of
// the other direction are ignored). The segments cover the flow exactly,
// in the order the entries decided them.
func Evaluate(entries []Entry, flow Flow) ([]Segment, error) {
	if !flow.CIDR.IsValid() || !flow.CIDR.Addr().Is4() {
		return nil, fmt.Errorf("flow CIDR %v: want an IPv4 prefix", flow.CIDR)
	}
	if flow.From < 0 || flow.To > 65535 || flow.From > flow.To {
		return nil, fmt.Errorf("flow ports %d-%d: want 0 ≤ from ≤ to ≤ 65535", flow.From, flow.To)
	}
	ordered := make([]Entry, 0, len(entries))
	for _, e := range entries {
		if e.Egress == flow.Egress {
			ordered = append(ordered, e)
		}
	}
	slices.SortStableFunc(ordered, func(a, b Entry) int { return int(a.RuleNumber) - int(b.RuleNumber) })

	open := []piece{{flow.CIDR.Masked(), flow.From, flow.To}}
	var out []Segment
	for _, e := range ordered {
		m, ok := e.tcpMatch()
		if !ok {
			continue
		}
		var rest []piece
		for _, p := range open {
			in, outside, hit := split(p, m)
			if hit {
				out = append(out, Segment{CIDR: in.cidr, From: in.from, To: in.to, Allowed: m.allow, Rule: e.RuleNumber})
			}
			rest = append(rest, outside...)
		}
		if len(rest) > MaxPieces {
			return nil, ErrTooComplex
		}
		if open = rest; len(open) == 0 {
			break
		}
	}
	for _, p := range open {
		out = append(out, Segment{CIDR: p.cidr, From: p.from, To: p.to, Rule: DefaultRule})
	}
	return out, nil
}

// tcpMatch reads what e covers of IPv4 TCP traffic; ok is false when it
// covers none.
func (e Entry) tcpMatch() (match, bool) {
	// Anything but "allow" (a deny, or an action vpcguard cannot read)
	// is a deny.
	m := match{allow: strings.EqualFold(strings.TrimSpace(e.Action), "allow")}
	if e.CIDR == "" {
		return m, false // an IPv6 entry never matches IPv4 traffic
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(e.CIDR))
	switch {
	case err == nil && p.Addr().Is4():
		m.cidr = p.Masked()
	case m.allow:
		return m, false
	default:
		m.cidr = netip.MustParsePrefix("0.0.0.0/0")
	}
	switch proto := strings.ToLower(strings.TrimSpace(e.Protocol)); proto {
	case "-1", "all":
		m.from, m.to = 0, 65535
	case "6", "tcp":
		switch {
		case e.Ports != nil && e.Ports.From <= e.Ports.To:
			m.from, m.to = int(max(e.Ports.From, 0)), int(min(e.Ports.To, 65535))
			if m.from > m.to {
				return m, false
			}
		case m.allow:
			return m, false
		default:
			m.from, m.to = 0, 65535
		}
	default:
		if _, err := strconv.Atoi(proto); err == nil || proto == "udp" || proto == "icmp" || proto == "icmpv6" {
			return m, false // another protocol: never TCP
		}
		if m.allow { // unreadable
			return m, false
		}
		m.from, m.to = 0, 65535
	}
	return m, true
}

// split cuts p by m: the part m covers (hit), and the parts it does not.
func split(p piece, m match) (in piece, outside []piece, hit bool) {
	from, to := max(p.from, m.from), min(p.to, m.to)
	if from > to || !p.cidr.Overlaps(m.cidr) {
		return piece{}, []piece{p}, false
	}
	cidr := p.cidr
	if m.cidr.Bits() > p.cidr.Bits() { // m's CIDR is inside p's
		cidr = m.cidr
		for _, sib := range outsideOf(p.cidr, m.cidr) {
			outside = append(outside, piece{sib, p.from, p.to})
		}
	}
	if p.from < from {
		outside = append(outside, piece{cidr, p.from, from - 1})
	}
	if to < p.to {
		outside = append(outside, piece{cidr, to + 1, p.to})
	}
	return piece{cidr, from, to}, outside, true
}

// outsideOf lists the prefixes that make up outer minus inner (inner
// inside outer): the sibling of each prefix on the path from outer down to
// inner.
func outsideOf(outer, inner netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	addr := inner.Addr().As4()
	for bits := outer.Bits() + 1; bits <= inner.Bits(); bits++ {
		sib := addr
		i := bits - 1 // the bit that tells the two halves apart
		sib[i/8] ^= 1 << (7 - i%8)
		p, _ := netip.AddrFrom4(sib).Prefix(bits)
		out = append(out, p)
	}
	return out
}

// Size is the number of (address, port) pairs a segment covers.
func (s Segment) Size() uint64 {
	return uint64(1) << (32 - s.CIDR.Bits()) * uint64(s.To-s.From+1)
}
