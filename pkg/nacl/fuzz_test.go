package nacl

import (
	"errors"
	"net/netip"
	"testing"
)

// fuzzEntries turns bytes into entries: 8 bytes each, drawing rule numbers,
// directions, protocols (6, -1, 17, 1, 58, names), actions, CIDRs near the
// S3 ranges (overlapping, nested, disjoint, IPv6) and port ranges.
func fuzzEntries(data []byte) []Entry {
	protocols := []string{"6", "-1", "6", "17", "1", "58", "tcp", "-1"}
	// At most 64 entries (a real ACL has at most 40 per direction), so an
	// execution stays fast; TestHundredsOfEntries covers long lists.
	data = data[:min(len(data), 64*8)]
	var out []Entry
	for len(data) >= 8 {
		b := data[:8]
		data = data[8:]
		e := Entry{
			RuleNumber: int32(b[0])%40*10 + int32(b[1]%10),
			Egress:     b[1]&0x80 != 0,
			Protocol:   protocols[b[2]%8],
			Action:     []string{"allow", "deny"}[b[2]>>7],
		}
		if b[0] == 255 {
			e.RuleNumber = DefaultRule
		}
		bits := int(b[3] % 33)
		addr := netip.AddrFrom4([4]byte{[]byte{52, 52, 3, 0}[b[4]%4], 216 + b[5]%3, b[6], b[7]})
		if b[3]&0x40 != 0 && b[4]%5 == 0 {
			e.IPv6CIDR = "2600:1f18::/32"
		} else {
			p, _ := addr.Prefix(bits)
			e.CIDR = p.String()
		}
		if b[5]&0x10 == 0 {
			from := int32(b[6]) * 257
			e.Ports = &PortRange{from, from + int32(b[7])*200}
		}
		out = append(out, e)
	}
	return out
}

// FuzzEvaluate: for any entries and flow, no panic, and the segments are
// disjoint, cover the flow exactly, and agree with the first matching
// entry (EC2's rule) at every corner of every segment and at a point the
// fuzzer picks.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte{}, byte(0), byte(15), uint16(443), uint16(443), uint32(0x34d80000), "6", "52.216.0.0/15", "deny")
	f.Add([]byte{10, 0x80, 0x80, 16, 0, 0, 1, 187, 20, 0x80, 0, 0, 0, 0, 0, 0}, byte(1), byte(15), uint16(1024), uint16(65535), uint32(0x34d81234), "-1", "0.0.0.0/0", "allow")
	f.Add([]byte("0123456789abcdefghijklmnopqrstuvwxyz"), byte(2), byte(19), uint16(0), uint16(65535), uint32(0x0305a000), "tcp", "3.5.0.0/19", "deny")
	f.Fuzz(func(t *testing.T, data []byte, dir, bits byte, from, to uint16, point uint32, proto, cidr, action string) {
		es := fuzzEntries(data)
		es = append(es, Entry{RuleNumber: int32(point % 500), Egress: dir&1 == 1, Protocol: proto, CIDR: cidr, Action: action, Ports: &PortRange{int32(from), int32(to)}})
		lo, hi := int(min(from, to)), int(max(from, to))
		prefix, _ := netip.AddrFrom4([4]byte{byte(point >> 24), byte(point >> 16), byte(point >> 8), byte(point)}).Prefix(int(bits % 33))
		flow := Flow{Egress: dir&1 == 1, CIDR: prefix, From: lo, To: hi}
		segs, err := Evaluate(es, flow)
		if errors.Is(err, ErrTooComplex) {
			return
		}
		if err != nil {
			t.Fatalf("valid flow %+v: %v", flow, err)
		}
		checkCover(t, es, flow, segs)
		a := netip.AddrFrom4([4]byte{byte(point >> 24), byte(point >> 16), byte(point >> 8), byte(point)})
		port := lo + int(point)%(hi-lo+1)
		for _, s := range segs {
			if s.CIDR.Contains(a) && s.From <= port && port <= s.To {
				if allowed, rule := firstMatch(es, flow.Egress, a, port); allowed != s.Allowed || rule != s.Rule {
					t.Fatalf("%s port %d: %v by %s, want %v by %s", a, port, s.Allowed, RuleName(s.Rule), allowed, RuleName(rule))
				}
				return
			}
		}
		t.Fatalf("%s port %d is in no segment", a, port)
	})
}
