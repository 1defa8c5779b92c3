package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The variables of organization mode (README "Deploy to an organization").
const (
	// EnvMemberRole names the role assumed in member accounts; unset is
	// single-account mode.
	EnvMemberRole = "VPCGUARD_MEMBER_ROLE"
	// EnvRegions is the comma list of Regions served; unset is the
	// function's own Region only.
	EnvRegions = "VPCGUARD_REGIONS"
	// EnvAccounts is the comma list of accounts the sweep covers when
	// Organizations cannot be read (and locally).
	EnvAccounts = "VPCGUARD_ACCOUNTS"
	// EnvOrganizationalUnits is the comma list of OUs (or the root) whose
	// accounts the sweep covers, recursively; unset is the whole
	// organization.
	EnvOrganizationalUnits = "VPCGUARD_ORGANIZATIONAL_UNITS"
)

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	parentRE  = regexp.MustCompile(`^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)
	// roleNameRE is IAM's role name: 1-64 characters of [\w+=,.@-].
	roleNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

// parseOrganization reads the organization-mode variables into cfg,
// reporting each bad value through bad.
func parseOrganization(getenv func(string) string, cfg *Config, bad func(name, value, want string)) {
	if v, ok := lookup(getenv, EnvMemberRole); ok {
		if !roleNameRE.MatchString(v) {
			bad(EnvMemberRole, v, `want an IAM role name (1-64 characters of letters, digits and +=,.@_-), such as vpcguard-member`)
		} else {
			cfg.MemberRole = v
		}
	}
	commaListVar(getenv, bad, EnvRegions, regionRE.MatchString, "want a comma list of Region names such as us-east-1,eu-west-1 (not Regions: %s)", &cfg.Regions)
	commaListVar(getenv, bad, EnvAccounts, accountRE.MatchString, "want a comma list of 12-digit account IDs (not account IDs: %s)", &cfg.Accounts)
	commaListVar(getenv, bad, EnvOrganizationalUnits, parentRE.MatchString,
		"want a comma list of OU ids (ou-…-…) or the root id (r-…) (not: %s)", &cfg.OrganizationalUnits)
}

// commaListVar reads variable name as a comma list into dst when it is set
// and every item matches ok; otherwise it reports it through bad, with want
// naming the items that do not match (want's %s), and leaves dst alone.
func commaListVar(getenv func(string) string, bad func(name, value, want string), name string, ok func(string) bool, want string, dst *[]string) {
	v, set := lookup(getenv, name)
	if !set {
		return
	}
	list, wrong := commaList(v, ok)
	if len(wrong) > 0 || len(list) == 0 {
		bad(name, v, fmt.Sprintf(want, strings.Join(wrong, ", ")))
		return
	}
	*dst = list
}

// commaList splits v on commas, trims and de-duplicates the items (in
// their first order), and returns those that fail ok apart.
func commaList(v string, ok func(string) bool) (list, wrong []string) {
	for _, part := range strings.Split(v, ",") {
		item := strings.TrimSpace(part)
		switch {
		case item == "":
		case !ok(item):
			wrong = append(wrong, fmt.Sprintf("%q", item))
		case !slices.Contains(list, item):
			list = append(list, item)
		}
	}
	return list, wrong
}

// Organization reports whether the functions act in member accounts
// (VPCGUARD_MEMBER_ROLE is set).
func (c Config) Organization() bool { return c.MemberRole != "" }

// MultiTarget reports whether an event may be read in another account or
// Region than the function's own: organization mode, or VPCGUARD_REGIONS.
func (c Config) MultiTarget() bool { return c.MemberRole != "" || len(c.Regions) > 0 }

// HomeAccount is the account vpcguard's own roles live in (the account
// of the first VPCGUARD_ROLE_ARN), or "" when none is configured.
func (c Config) HomeAccount() string {
	for _, arn := range c.RoleARNs {
		if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 && accountRE.MatchString(parts[4]) {
			return parts[4]
		}
	}
	return ""
}

// ServesRegion reports whether the functions serve region: one of
// VPCGUARD_REGIONS, or, when that is unset, own (the function's Region).
func (c Config) ServesRegion(region, own string) bool {
	if len(c.Regions) == 0 {
		return region == own
	}
	return slices.Contains(c.Regions, region)
}

// MemberRoleARN is the member role of account in partition.
func (c Config) MemberRoleARN(partition, account string) string {
	return "arn:" + partition + ":iam::" + account + ":role/" + c.MemberRole
}

// isMemberSession reports whether arn is vpcguard's member role (the
// sessionIssuer of its sessions, arn:…:iam::A:role/[path/]NAME) or one of
// its sessions (arn:…:sts::A:assumed-role/NAME/SESSION), in any account.
func (c Config) isMemberSession(arn string) bool {
	if c.MemberRole == "" {
		return false
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return false
	}
	switch resource := parts[5]; {
	case parts[2] == "iam" && strings.HasPrefix(resource, "role/"):
		return resource[strings.LastIndexByte(resource, '/')+1:] == c.MemberRole
	case parts[2] == "sts" && strings.HasPrefix(resource, "assumed-role/"):
		name, _, _ := strings.Cut(strings.TrimPrefix(resource, "assumed-role/"), "/")
		return name == c.MemberRole
	}
	return false
}

// MemberUnreachable is the message of the one ERROR log line that a member
// account whose role cannot be assumed gives (event functions and sweep
// alike), with the account, the Region and the error as attributes. It is
// a contract: the stack's metric filters alarm on it.
const MemberUnreachable = "member account unreachable"

// IsAccountID reports whether s is an AWS account id (12 digits).
func IsAccountID(s string) bool { return accountRE.MatchString(s) }

// IsRegion reports whether s is shaped like an AWS Region name (us-east-1).
func IsRegion(s string) bool { return regionRE.MatchString(s) }

// UndoSessionPrefix begins the name of every member-role session the undo
// function opens (then the ledger entry's id). In organization mode the
// member role's trust lets only the undo function's role open sessions so
// named, and its reverse writes (the deletion of an endpoint vpcguard
// created) hold only in them: the other functions' sessions cannot undo.
const UndoSessionPrefix = "vpcguard-undo-"
