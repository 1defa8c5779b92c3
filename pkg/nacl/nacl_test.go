package nacl

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// entry builds an Entry: "100 out tcp 443 0.0.0.0/0 allow", ports "443",
// "1024-65535" or "-" (none); the CIDR may be an IPv6 one.
func entry(spec string) Entry {
	f := strings.Fields(spec)
	var n int32
	if f[0] == "*" {
		n = DefaultRule
	} else {
		fmt.Sscan(f[0], &n)
	}
	e := Entry{RuleNumber: n, Egress: f[1] == "out", Protocol: f[2], Action: f[5]}
	if strings.Contains(f[4], ":") {
		e.IPv6CIDR = f[4]
	} else {
		e.CIDR = f[4]
	}
	if f[3] != "-" {
		var from, to int32
		if _, err := fmt.Sscanf(f[3], "%d-%d", &from, &to); err != nil {
			fmt.Sscan(f[3], &from)
			to = from
		}
		e.Ports = &PortRange{from, to}
	}
	return e
}

func entries(specs ...string) []Entry {
	out := make([]Entry, len(specs))
	for i, s := range specs {
		out[i] = entry(s)
	}
	return out
}

var (
	s3CIDR   = netip.MustParsePrefix("52.216.0.0/15") // one CIDR of com.amazonaws.us-east-1.s3
	https    = func(cidr netip.Prefix) Flow { return Flow{Egress: true, CIDR: cidr, From: 443, To: 443} }
	returned = func(cidr netip.Prefix) Flow { return Flow{Egress: false, CIDR: cidr, From: 1024, To: 65535} }
)

// render is one line per segment: "<cidr> <ports> <allow|deny> <rule>".
func render(segs []Segment) []string {
	out := []string{}
	for _, s := range segs {
		verdict := "deny"
		if s.Allowed {
			verdict = "allow"
		}
		out = append(out, fmt.Sprintf("%s %s %s %s", s.CIDR, portText(s.From, s.To), verdict, RuleName(s.Rule)))
	}
	return out
}

// The default network ACL of the Amazon VPC User Guide ("Default network
// ACL for a VPC"): rule 100 allows all IPv4 traffic, 101 all IPv6 traffic,
// and the '*' rules deny what is left, in and out.
var guideDefault = entries(
	"100 in -1 - 0.0.0.0/0 allow", "101 in -1 - ::/0 allow", "* in -1 - 0.0.0.0/0 deny", "* in -1 - ::/0 deny",
	"100 out -1 - 0.0.0.0/0 allow", "101 out -1 - ::/0 allow", "* out -1 - 0.0.0.0/0 deny", "* out -1 - ::/0 deny",
)

// The custom network ACL of the Amazon VPC User Guide ("Custom network
// ACLs"): inbound HTTP (100), HTTPS (110), SSH and RDP from 192.0.2.0/24
// (120, 130) and return traffic on 32768-65535 (140); outbound HTTP (100),
// HTTPS (110) and responses on 32768-65535 (120); '*' denies the rest.
var guideCustom = entries(
	"100 in 6 80 0.0.0.0/0 allow", "110 in 6 443 0.0.0.0/0 allow", "120 in 6 22 192.0.2.0/24 allow",
	"130 in 6 3389 192.0.2.0/24 allow", "140 in 6 32768-65535 0.0.0.0/0 allow", "* in -1 - 0.0.0.0/0 deny",
	"100 out 6 80 0.0.0.0/0 allow", "110 out 6 443 0.0.0.0/0 allow", "120 out 6 32768-65535 0.0.0.0/0 allow", "* out -1 - 0.0.0.0/0 deny",
)

func TestEvaluate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []Entry
		flow    Flow
		want    []string
	}{
		// VPC User Guide, "Default network ACL for a VPC": everything is allowed by rule 100.
		{"guide default, out", guideDefault, https(s3CIDR), []string{"52.216.0.0/15 443 allow 100"}},
		{"guide default, in", guideDefault, returned(s3CIDR), []string{"52.216.0.0/15 1024-65535 allow 100"}},
		// VPC User Guide, "Custom network ACLs": outbound HTTPS is rule 110;
		// its inbound rule 140 opens only 32768-65535 for responses, so the
		// responses to ports 1024-32767 meet the '*' rule.
		{"guide custom, out", guideCustom, https(s3CIDR), []string{"52.216.0.0/15 443 allow 110"}},
		{"guide custom, in", guideCustom, returned(s3CIDR), []string{"52.216.0.0/15 32768-65535 allow 140", "52.216.0.0/15 1024-32767 deny *"}},
		// The same guide: "IPv4 traffic destined for the HTTPS port (443) ...
		// matches rule 110, which allows the traffic into the subnet. If the
		// packet had been destined for port 139 (NetBIOS), it wouldn't match
		// any of the numbered rules, so the * rule ... denies the packet."
		{"guide custom, inbound 443", guideCustom, Flow{CIDR: netip.MustParsePrefix("198.51.100.0/24"), From: 443, To: 443}, []string{"198.51.100.0/24 443 allow 110"}},
		{"guide custom, inbound 139", guideCustom, Flow{CIDR: netip.MustParsePrefix("198.51.100.0/24"), From: 139, To: 139}, []string{"198.51.100.0/24 139 deny *"}},
		{"guide custom, SSH from the home network only", guideCustom, Flow{CIDR: netip.MustParsePrefix("192.0.0.0/22"), From: 22, To: 22},
			[]string{"192.0.2.0/24 22 allow 120", "192.0.0.0/23 22 deny *", "192.0.3.0/24 22 deny *"}},
		// VPC User Guide, "Network ACL rules": "Rules are evaluated starting
		// with the lowest numbered rule. As soon as a rule matches traffic,
		// it's applied regardless of any higher-numbered rule that might
		// contradict it." The order of the list does not matter.
		{"lowest rule first", entries("200 out -1 - 0.0.0.0/0 allow", "100 out 6 443 52.216.0.0/15 deny"), https(s3CIDR), []string{"52.216.0.0/15 443 deny 100"}},
		{"a higher deny does not contradict", entries("300 out 6 443 52.216.0.0/15 deny", "100 out -1 - 0.0.0.0/0 allow"), https(s3CIDR), []string{"52.216.0.0/15 443 allow 100"}},
		// "If you specify 100.68.0.18/18 for the CIDR range, we create a rule
		// with a 100.68.0.0/18 CIDR range."
		{"canonical CIDR", entries("100 out 6 443 52.217.9.9/16 deny", "110 out 6 443 0.0.0.0/0 allow"), https(s3CIDR),
			[]string{"52.217.0.0/16 443 deny 100", "52.216.0.0/16 443 allow 110"}},
		// Partial overlaps: an entry decides for the part it covers.
		{"deny of part of the prefix-list CIDR", entries("90 out 6 443 52.216.128.0/17 deny", "100 out 6 443 0.0.0.0/0 allow"), https(s3CIDR),
			[]string{"52.216.128.0/17 443 deny 90", "52.217.0.0/16 443 allow 100", "52.216.0.0/17 443 allow 100"}},
		{"allow of part, the rest meets '*'", entries("100 out 6 443 52.217.0.0/16 allow"), https(s3CIDR), []string{"52.217.0.0/16 443 allow 100", "52.216.0.0/16 443 deny *"}},
		{"entry wider than the CIDR", entries("100 out 6 400-500 52.0.0.0/8 deny"), https(s3CIDR), []string{"52.216.0.0/15 443 deny 100"}},
		{"disjoint CIDR does not match", entries("100 out -1 - 10.0.0.0/8 deny", "110 out -1 - 0.0.0.0/0 allow"), https(s3CIDR), []string{"52.216.0.0/15 443 allow 110"}},
		{"ports split the inbound range", entries("100 in 6 1024-2000 0.0.0.0/0 deny", "110 in 6 0-65535 0.0.0.0/0 allow"), returned(s3CIDR),
			[]string{"52.216.0.0/15 1024-2000 deny 100", "52.216.0.0/15 2001-65535 allow 110"}},
		{"ports and CIDR both partial", entries("100 in 6 5000-6000 52.216.0.0/16 deny", "110 in -1 - 0.0.0.0/0 allow"), returned(s3CIDR),
			[]string{"52.216.0.0/16 5000-6000 deny 100", "52.217.0.0/16 1024-65535 allow 110", "52.216.0.0/16 1024-4999 allow 110", "52.216.0.0/16 6001-65535 allow 110"}},
		// Protocols: -1 is all traffic on all ports; 6 is TCP; others never match TCP.
		{"protocol -1 deny covers every port", entries("100 out -1 - 0.0.0.0/0 deny", "110 out 6 443 0.0.0.0/0 allow"), https(s3CIDR), []string{"52.216.0.0/15 443 deny 100"}},
		{"UDP, ICMP and GRE do not match TCP", entries("10 out 17 443 0.0.0.0/0 deny", "20 out 1 - 0.0.0.0/0 deny", "30 out 47 - 0.0.0.0/0 deny", "40 out 6 443 0.0.0.0/0 allow"), https(s3CIDR),
			[]string{"52.216.0.0/15 443 allow 40"}},
		{"protocol names", entries("10 out TCP 443 52.216.0.0/16 deny", "20 out all - 0.0.0.0/0 allow"), https(s3CIDR), []string{"52.216.0.0/16 443 deny 10", "52.217.0.0/16 443 allow 20"}},
		// IPv4 and IPv6 traffic are evaluated separately.
		{"IPv6 entries are ignored", entries("10 out -1 - ::/0 deny", "20 out 6 443 0.0.0.0/0 allow"), https(s3CIDR), []string{"52.216.0.0/15 443 allow 20"}},
		{"the other direction is ignored", entries("10 in -1 - 0.0.0.0/0 deny", "20 out 6 443 0.0.0.0/0 allow"), https(s3CIDR), []string{"52.216.0.0/15 443 allow 20"}},
		{"no entries: the '*' rule", nil, https(s3CIDR), []string{"52.216.0.0/15 443 deny *"}},
		// Entries vpcguard cannot read exactly: an Allow matches nothing, a Deny everything.
		{"TCP allow without ports", entries("10 out 6 - 0.0.0.0/0 allow"), https(s3CIDR), []string{"52.216.0.0/15 443 deny *"}},
		{"TCP deny without ports", entries("10 out 6 - 52.216.0.0/16 deny", "20 out -1 - 0.0.0.0/0 allow"), https(s3CIDR), []string{"52.216.0.0/16 443 deny 10", "52.217.0.0/16 443 allow 20"}},
		{"unreadable CIDR and action", entries("10 out -1 - not-a-cidr allow", "20 out -1 - 52.216.0.0/16 maybe", "30 out -1 - 0.0.0.0/0 allow"), https(s3CIDR),
			[]string{"52.216.0.0/16 443 deny 20", "52.217.0.0/16 443 allow 30"}},
		{"unreadable deny CIDR covers everything", entries("10 out -1 - bogus deny", "20 out -1 - 0.0.0.0/0 allow"), https(s3CIDR), []string{"52.216.0.0/15 443 deny 10"}},
		{"reversed port range: a deny covers every port", entries("10 out 6 500-400 0.0.0.0/0 deny", "20 out 6 443 0.0.0.0/0 allow"), https(s3CIDR), []string{"52.216.0.0/15 443 deny 10"}},
		{"reversed port range: an allow covers none", entries("10 out 6 500-400 0.0.0.0/0 allow"), https(s3CIDR), []string{"52.216.0.0/15 443 deny *"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			segs, err := Evaluate(tc.entries, tc.flow)
			if err != nil {
				t.Fatal(err)
			}
			if got := render(segs); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("segments\n%q\nwant\n%q", got, tc.want)
			}
			checkCover(t, tc.entries, tc.flow, segs)
		})
	}
}

func TestEvaluateBadFlow(t *testing.T) {
	for _, f := range []Flow{
		{CIDR: netip.MustParsePrefix("::/0"), From: 443, To: 443},
		{CIDR: netip.Prefix{}, From: 443, To: 443},
		{CIDR: s3CIDR, From: 500, To: 400},
		{CIDR: s3CIDR, From: -1, To: 400},
		{CIDR: s3CIDR, From: 1, To: 70000},
	} {
		if _, err := Evaluate(guideDefault, f); err == nil {
			t.Errorf("flow %+v: no error", f)
		}
	}
}

// TestHundredsOfEntries: an ACL with many overlapping entries is evaluated
// exactly, without blowing up.
func TestHundredsOfEntries(t *testing.T) {
	var es []Entry
	for i := range 400 {
		action := "deny"
		if i%3 == 0 {
			action = "allow"
		}
		es = append(es, Entry{RuleNumber: int32(1 + i), Egress: i%2 == 0, Protocol: []string{"6", "-1", "17", "58"}[i%4], Action: action,
			CIDR: fmt.Sprintf("52.%d.%d.0/%d", 216+i%2, (i*37)%256, 16+i%9), Ports: &PortRange{int32(400 + i%50), int32(443 + i*97%60000)}})
	}
	for _, f := range []Flow{https(s3CIDR), returned(s3CIDR)} {
		segs, err := Evaluate(es, f)
		if err != nil {
			t.Fatal(err)
		}
		checkCover(t, es, f, segs)
	}
}

// oracle is the brute-force EC2 rule for one packet: the lowest rule
// number whose entry matches, else '*'.
type oracle []struct {
	rule int32
	m    match
}

func newOracle(es []Entry, egress bool) oracle {
	var o oracle
	for _, e := range es {
		if m, ok := e.tcpMatch(); ok && e.Egress == egress {
			o = append(o, struct {
				rule int32
				m    match
			}{e.RuleNumber, m})
		}
	}
	return o
}

func (o oracle) decide(addr netip.Addr, port int) (bool, int32) {
	best := int32(DefaultRule + 1)
	allowed := false
	for _, x := range o {
		if x.rule < best && x.m.cidr.Contains(addr) && x.m.from <= port && port <= x.m.to {
			best, allowed = x.rule, x.m.allow
		}
	}
	if best == DefaultRule+1 {
		return false, DefaultRule
	}
	return allowed, best
}

func firstMatch(es []Entry, egress bool, addr netip.Addr, port int) (bool, int32) {
	return newOracle(es, egress).decide(addr, port)
}

// checkCover: the segments are disjoint, cover the flow exactly, and agree
// with the brute-force rule at their corners and centre. Disjointness is
// checked pair by pair for up to 256 segments; beyond, every probed point
// must lie in exactly one segment (with the total size, that leaves no
// room for an overlap the probes would all miss by chance).
func checkCover(t testing.TB, es []Entry, f Flow, segs []Segment) {
	t.Helper()
	o := newOracle(es, f.Egress)
	var total uint64
	contains := func(s Segment, a netip.Addr, p int) bool { return s.CIDR.Contains(a) && s.From <= p && p <= s.To }
	for i, s := range segs {
		if !f.CIDR.Masked().Contains(s.CIDR.Addr()) || s.CIDR.Bits() < f.CIDR.Bits() || s.From < f.From || s.To > f.To || s.From > s.To {
			t.Fatalf("segment %v outside the flow %+v", s, f)
		}
		if len(segs) <= 256 {
			for _, x := range segs[i+1:] {
				if s.CIDR.Overlaps(x.CIDR) && s.From <= x.To && x.From <= s.To {
					t.Fatalf("segments %v and %v overlap", s, x)
				}
			}
		}
		total += s.Size()
		for _, a := range []netip.Addr{s.CIDR.Addr(), lastAddr(s.CIDR)} {
			for _, p := range []int{s.From, s.To, (s.From + s.To) / 2} {
				if allowed, rule := o.decide(a, p); allowed != s.Allowed || rule != s.Rule {
					t.Fatalf("%s port %d: segment says %v by %s, the first matching entry is %s (%v)", a, p, s.Allowed, RuleName(s.Rule), RuleName(rule), allowed)
				}
				if len(segs) > 256 && i%16 == 0 {
					n := 0
					for _, x := range segs {
						if contains(x, a, p) {
							n++
						}
					}
					if n != 1 {
						t.Fatalf("%s port %d lies in %d segments", a, p, n)
					}
				}
			}
		}
	}
	if want := (Segment{CIDR: f.CIDR.Masked(), From: f.From, To: f.To}).Size(); total != want {
		t.Fatalf("segments cover %d of %d", total, want)
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := 32 - p.Bits()
	for i := 3; i >= 0 && host > 0; i-- {
		n := min(host, 8)
		a[i] |= byte(1<<n - 1)
		host -= n
	}
	return netip.AddrFrom4(a)
}
