package ledger

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// UndoCommand writes the exact command that undoes a ledger entry, for the
// repair emails and Remediation events.
type UndoCommand struct {
	// Function is the undo Lambda's name (VPCGUARD_UNDO_FUNCTION): the
	// command is an `aws lambda invoke` of it.
	Function string
	// Region and Account are the function's own (the account "" when not
	// known). An entry made elsewhere gets its account and Region named in
	// the command, since the undo looks an entry up in its own account and
	// Region unless told otherwise.
	Region  string
	Account string
	// MemberRole is VPCGUARD_MEMBER_ROLE (organization mode; "" in
	// single-account mode, where every entry is of the function's own
	// account and none is named). Regions is VPCGUARD_REGIONS. The local
	// command sets both when it names another account or Region, so that
	// the local undo may reach it.
	MemberRole string
	Regions    []string
	// Table or File is where the ledger is (VPCGUARD_STATE_TABLE,
	// VPCGUARD_LEDGER_FILE), for the local `undo` command when no function
	// is deployed.
	Table string
	File  string
}

// For is the command that undoes the entry ref names. confirm adds the
// confirmation that deleting an endpoint needs (the undo of
// create-s3-gateway-endpoint).
func (u UndoCommand) For(ref Ref, confirm bool) string {
	account, region := u.target(ref)
	if u.Function != "" {
		// The request of the undo function (pkg/undo.Request), fields in
		// this order.
		payload, _ := json.Marshal(struct {
			Action  string `json:"action"`
			Account string `json:"account,omitempty"`
			Region  string `json:"region,omitempty"`
			Confirm bool   `json:"confirm,omitempty"`
		}{ref.ID, account, region, confirm})
		fnRegion := ""
		if u.Region != "" {
			fnRegion = " --region " + shellWord(u.Region)
		}
		return fmt.Sprintf("aws lambda invoke%s --function-name %s --cli-binary-format raw-in-base64-out --payload %s /dev/stdout",
			fnRegion, shellWord(u.Function), shellWord(string(payload)))
	}
	var env []string
	switch {
	case u.Table != "":
		env = append(env, "VPCGUARD_STATE_TABLE="+shellWord(u.Table))
	case u.File != "":
		env = append(env, "VPCGUARD_LEDGER_FILE="+shellWord(u.File))
	}
	if u.Region != "" {
		env = append(env, "AWS_REGION="+shellWord(u.Region))
	}
	if account != "" {
		env = append(env, "VPCGUARD_MEMBER_ROLE="+shellWord(u.MemberRole))
	}
	if region != "" {
		regions := strings.Join(u.Regions, ",")
		if !strings.Contains(","+regions+",", ","+region+",") {
			regions = region
		}
		env = append(env, "VPCGUARD_REGIONS="+shellWord(regions))
	}
	cmd := "undo -action " + shellWord(ref.ID)
	if account != "" {
		cmd += " -account " + shellWord(account)
	}
	if region != "" {
		cmd += " -region " + shellWord(region)
	}
	if confirm {
		cmd += " -confirm"
	}
	return strings.TrimSpace(strings.Join(env, " ") + " " + cmd)
}

// target is the account and Region the command must name for ref: each
// only when it is not the function's own ("" otherwise).
func (u UndoCommand) target(ref Ref) (account, region string) {
	if u.MemberRole != "" && ref.Account != "" && ref.Account != u.Account {
		account = ref.Account
	}
	if ref.Region != "" && ref.Region != u.Region {
		region = ref.Region
	}
	return account, region
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
