package checks

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/nacl"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// The traffic a model subnet's network ACL must let through to reach S3
// through the gateway endpoint: HTTPS out to every S3 CIDR, and, since
// network ACLs are stateless, the responses back in on the client's
// ephemeral ports (1024-65535 covers every client OS, as the VPC User
// Guide's "Ephemeral ports" advises).
const (
	s3Port                        = 443
	ephemeralFrom, ephemeralTo    = 1024, 65535
	directionOut, directionIn     = "outbound", "inbound"
	aclEgressFlag, aclIngressFlag = "--egress", "--ingress"
)

// aclUse is one network ACL and the model subnets it serves in a VPC.
type aclUse struct {
	acl     inventory.NetworkACL
	subnets []string
	models  []string
}

// blocked is the traffic one entry denies in one direction.
type blocked struct {
	direction string
	rule      int32
	parts     []string // "52.216.0.0/15" or "52.216.128.0/17 (part of 52.216.0.0/15)", with ports inbound
	cidrs     []string // the prefix-list CIDRs concerned
}

func evalNetworkACLS3(s *inventory.Snapshot) Outcome {
	groups, fs := scope(s)
	for _, g := range groups {
		if len(g.Models) == 0 {
			continue
		}
		for _, f := range aclFindings(s, g) {
			fs = append(fs, f.about(report.ResourceVPC, g.ID))
		}
	}
	if len(fs) == 0 {
		// As for the other VPC checks: models that could not be read may
		// be placed anywhere, so this cannot say "not applicable".
		for _, name := range slices.Sorted(maps.Keys(s.ModelErrs)) {
			fs = append(fs, unknown(name, s.ModelErrs[name], name))
		}
	}
	if len(fs) == 0 {
		fs = append(fs, notApplicable("no model is placed in a VPC"))
	}
	return combine(fs)
}

// aclFindings judges every network ACL that serves a model subnet of g.
func aclFindings(s *inventory.Snapshot, g inventory.VPCGroup) []finding {
	if !s.Subnets.OK() {
		return []finding{unknown("the subnets of "+g.ID, s.Subnets.Err, g.ID)}
	}
	if !s.S3CIDRs.OK() {
		return []finding{unknown("the CIDRs of the S3 prefix list", s.S3CIDRs.Err, g.ID)}
	}
	var cidrs []netip.Prefix
	for _, c := range s.S3CIDRs.Value {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return []finding{unknown("the CIDRs of the S3 prefix list", fmt.Errorf("%q is not a CIDR", c), g.ID)}
		}
		if p.Addr().Is4() { // IPv6 traffic is judged by other entries, and models reach S3 over IPv4
			cidrs = append(cidrs, p.Masked())
		}
	}
	if len(cidrs) == 0 {
		return []finding{unknown("the CIDRs of the S3 prefix list", fmt.Errorf("it lists no IPv4 CIDR"), g.ID)}
	}
	var uses []*aclUse
	var fs []finding
	for _, m := range g.Models {
		for _, subnet := range m.VPCConfig.SubnetIDs {
			if sn, ok := s.Subnets.Value[subnet]; !ok || sn.VPCID != g.ID {
				continue
			}
			a, err := s.ACLFor(subnet, g.VPC)
			if err != nil {
				fs = append(fs, unknown("the network ACL of "+subnet, err, subnet))
				continue
			}
			i := slices.IndexFunc(uses, func(u *aclUse) bool { return u.acl.ID == a.ID })
			if i < 0 {
				uses = append(uses, &aclUse{acl: a})
				i = len(uses) - 1
			}
			uses[i].subnets = appendNew(uses[i].subnets, subnet)
			uses[i].models = appendNew(uses[i].models, m.Name)
		}
	}
	for _, u := range uses {
		fs = append(fs, aclFinding(s, u, cidrs))
	}
	return fs
}

// aclFinding evaluates one ACL for every S3 CIDR, both ways.
func aclFinding(s *inventory.Snapshot, u *aclUse, cidrs []netip.Prefix) finding {
	resources := append(append([]string{u.acl.ID}, u.subnets...), u.models...)
	which := "network ACL " + u.acl.ID
	if u.acl.Default {
		which += " (the VPC's default)"
	}
	var found []*blocked
	for _, dir := range []string{directionOut, directionIn} {
		for _, c := range cidrs {
			flow := nacl.Flow{Egress: true, CIDR: c, From: s3Port, To: s3Port}
			if dir == directionIn {
				flow = nacl.Flow{Egress: false, CIDR: c, From: ephemeralFrom, To: ephemeralTo}
			}
			segs, err := nacl.Evaluate(u.acl.Entries, flow)
			if err != nil {
				return unknown(which, err, resources...)
			}
			for _, sg := range segs {
				if sg.Allowed {
					continue
				}
				i := slices.IndexFunc(found, func(b *blocked) bool { return b.direction == dir && b.rule == sg.Rule })
				if i < 0 {
					found = append(found, &blocked{direction: dir, rule: sg.Rule})
					i = len(found) - 1
				}
				part := sg.CIDR.String()
				if sg.CIDR != c {
					part += " (part of " + c.String() + ")"
				}
				switch {
				case dir == directionOut:
				case sg.From == sg.To:
					part = fmt.Sprintf("%s port %d", part, sg.From)
				default:
					part = fmt.Sprintf("%s ports %d-%d", part, sg.From, sg.To)
				}
				found[i].parts = append(found[i].parts, part)
				found[i].cidrs = appendNew(found[i].cidrs, c.String())
			}
		}
	}
	subject := fmt.Sprintf("%s of subnets %s (models %s)", which, strings.Join(u.subnets, ", "), strings.Join(u.models, ", "))
	if len(found) == 0 {
		return pass(fmt.Sprintf("%s allows TCP %d out to and TCP %d-%d back in from all %s of the S3 prefix list", subject, s3Port, ephemeralFrom, ephemeralTo,
			plural(len(cidrs), "CIDR", "CIDRs")), resources...)
	}
	var why []string
	const shownRules, shownParts = 6, 4
	for i, b := range found {
		if i == shownRules {
			why = append(why, fmt.Sprintf("and %d more entries", len(found)-shownRules))
			break
		}
		parts := b.parts
		if len(parts) > shownParts {
			parts = append(slices.Clone(parts[:shownParts]), fmt.Sprintf("%d more parts", len(b.parts)-shownParts))
		}
		traffic := fmt.Sprintf("outbound TCP %d to", s3Port)
		if b.direction == directionIn {
			traffic = "inbound TCP (S3's responses) from"
		}
		rule := "rule " + nacl.RuleName(b.rule)
		if b.rule == nacl.DefaultRule {
			rule = "the '*' rule (no numbered entry allows it)"
		}
		why = append(why, fmt.Sprintf("%s %s is denied by %s", traffic, strings.Join(parts, ", "), rule))
	}
	return fail(fmt.Sprintf("%s blocks the S3 gateway endpoint: %s; the containers cannot download their model artifacts", subject, strings.Join(why, "; ")),
		aclFix(s, u.acl, found), resources...)
}

// aclFix gives one create-network-acl-entry per blocked CIDR and
// direction, each numbered below every entry that blocks it and above
// none that allows it (a free number, counting down), so that it is the
// first match.
func aclFix(s *inventory.Snapshot, a inventory.NetworkACL, found []*blocked) string {
	used := map[bool]map[int32]bool{true: {}, false: {}}
	highest := map[bool]int32{}
	for _, e := range a.Entries {
		used[e.Egress][e.RuleNumber] = true
		if e.RuleNumber != nacl.DefaultRule {
			highest[e.Egress] = max(highest[e.Egress], e.RuleNumber)
		}
	}
	lines := []string{"Network ACLs are never changed by vpcguard (a person owns them). To let S3 through, add these entries (or renumber the blocking ones):"}
	for _, dir := range []string{directionOut, directionIn} {
		egress := dir == directionOut
		// The lowest blocking rule of each CIDR bounds its new entry.
		limit := map[string]int32{}
		var order []string
		for _, b := range found {
			if b.direction != dir {
				continue
			}
			for _, c := range b.cidrs {
				if _, seen := limit[c]; !seen {
					order = append(order, c)
					limit[c] = nacl.DefaultRule
				}
				limit[c] = min(limit[c], b.rule)
			}
		}
		for _, c := range order {
			below := limit[c]
			if below == nacl.DefaultRule {
				// Blocked by '*' alone: after the numbered entries.
				below = min(highest[egress]+11, nacl.DefaultRule)
			}
			n := int32(0)
			for cand := below - 1; cand >= 1; cand-- {
				if !used[egress][cand] {
					n = cand
					break
				}
			}
			number := "<a free rule number below " + nacl.RuleName(limit[c]) + ">"
			if n > 0 {
				used[egress][n] = true
				number = fmt.Sprint(n)
			}
			flag, ports := aclEgressFlag, fmt.Sprintf("From=%d,To=%d", s3Port, s3Port)
			if !egress {
				flag, ports = aclIngressFlag, fmt.Sprintf("From=%d,To=%d", ephemeralFrom, ephemeralTo)
			}
			lines = append(lines, fmt.Sprintf("  aws ec2 create-network-acl-entry --region %s --network-acl-id %s %s --rule-number %s --protocol tcp --port-range %s --cidr-block %s --rule-action allow",
				s.Region, a.ID, flag, number, ports, c))
		}
	}
	return strings.Join(lines, "\n")
}
