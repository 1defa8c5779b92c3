package ledger

import (
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
	Region   string
	// Table or File is where the ledger is (VPCGUARD_STATE_TABLE,
	// VPCGUARD_LEDGER_FILE), for the local `undo` command when no function
	// is deployed.
	Table string
	File  string
}

// For is the command that undoes entry id. confirm adds the confirmation
// that deleting an endpoint needs (the undo of create-s3-gateway-endpoint).
func (u UndoCommand) For(id string, confirm bool) string {
	if u.Function != "" {
		payload := fmt.Sprintf(`{"action":%q}`, id)
		if confirm {
			payload = fmt.Sprintf(`{"action":%q,"confirm":true}`, id)
		}
		region := ""
		if u.Region != "" {
			region = " --region " + shellWord(u.Region)
		}
		return fmt.Sprintf("aws lambda invoke%s --function-name %s --cli-binary-format raw-in-base64-out --payload '%s' /dev/stdout",
			region, shellWord(u.Function), payload)
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
	cmd := "undo -action " + shellWord(id)
	if confirm {
		cmd += " -confirm"
	}
	return strings.TrimSpace(strings.Join(env, " ") + " " + cmd)
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
