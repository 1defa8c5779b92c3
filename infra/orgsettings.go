package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Organization mode (README "Deploy to an organization"): context
// organizationId switches it on.
const (
	// memberRoleName is the role the member-role StackSet creates in every
	// member account and the functions assume (VPCGUARD_MEMBER_ROLE).
	memberRoleName = "vpcguard-member"
	// centralBusName is the central bus the member forwarders send to.
	centralBusName = "vpcguard"
	// callAs values of the StackSets.
	callAsDelegatedAdmin = "DELEGATED_ADMIN"
	callAsSelf           = "SELF"
)

var (
	orgIDRE     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	orgTargetRE = regexp.MustCompile(`^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)
)

// orgContextKeys are the organization-mode context keys, in README order.
var orgContextKeys = []string{"organizationId", "memberRegions", "memberOrganizationalUnits", "stackSetCallAs"}

// parseOrganization reads the organization-mode context into s. Without
// organizationId the other keys are refused: they would do nothing.
func parseOrganization(get func(string) (string, bool), s *Settings, bad func(key, value, want string)) {
	list := func(key string, ok func(string) bool, want string) []string {
		v, set := get(key)
		if !set || v == "" {
			return nil
		}
		var out []string
		for _, part := range strings.Split(v, ",") {
			item := strings.TrimSpace(part)
			switch {
			case item == "":
			case !ok(item):
				bad(key, v, want)
				return nil
			case !slices.Contains(out, item):
				out = append(out, item)
			}
		}
		if len(out) == 0 {
			bad(key, v, want)
		}
		return out
	}
	id, _ := get("organizationId")
	if id == "" {
		for _, key := range orgContextKeys[1:] {
			if v, ok := get(key); ok && v != "" {
				bad(key, v, "set organizationId too: it applies to organization mode only")
			}
		}
		return
	}
	if !orgIDRE.MatchString(id) {
		bad("organizationId", id, "want an organization ID: o- and 10 to 32 lower-case letters or digits")
		return
	}
	s.OrganizationID = id
	s.MemberRegions = list("memberRegions", regionRE.MatchString, "want a comma list of Region names, such as us-east-1,eu-west-1")
	s.MemberOrganizationalUnits = list("memberOrganizationalUnits", orgTargetRE.MatchString,
		"want a comma list of OU ids (ou-…-…) or the root id (r-…)")
	s.StackSetCallAs = callAsDelegatedAdmin
	if v, ok := get("stackSetCallAs"); ok && v != "" {
		switch up := strings.ToUpper(v); up {
		case callAsDelegatedAdmin, callAsSelf:
			s.StackSetCallAs = up
		default:
			bad("stackSetCallAs", v, fmt.Sprintf("want %s (deploying from a delegated administrator) or %s (from the management account)", callAsDelegatedAdmin, callAsSelf))
		}
	}
}

// Organization reports whether the stack deploys organization mode.
func (s Settings) Organization() bool { return s.OrganizationID != "" }

// sweepStateObjects is the sweep's cursor objects: one, or in organization
// mode one per account and Region beside it (pkg/sweep TargetStateURI).
func sweepStateObjects(cfg Settings) string {
	if cfg.Organization() {
		return "sweep/*/*/state.json"
	}
	return sweepStateKey
}
