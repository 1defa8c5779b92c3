package ledger_test

import (
	"testing"

	"github.com/vpcguard/vpcguard/pkg/ledger"
)

// TestUndoCommandNamesWhereTheRepairWasMade: the command names the
// entry's account and Region only when they are not the function's own;
// the account only in organization mode (single-account mode makes no
// repair elsewhere); the local form also sets what the local undo needs to
// reach them.
func TestUndoCommandNamesWhereTheRepairWasMade(t *testing.T) {
	const (
		id      = "rep-20261126T101500Z-3f9a1c2b"
		central = "111122223333"
		member  = "444455556666"
	)
	lambda := ledger.UndoCommand{Function: "vpcguard-undo", Region: "us-east-1", Account: central,
		MemberRole: "vpcguard-member", Regions: []string{"us-east-1", "eu-west-1"}}
	local := lambda
	local.Function, local.Table = "", "vpcguard-state"
	invoke := "aws lambda invoke --region us-east-1 --function-name vpcguard-undo --cli-binary-format raw-in-base64-out --payload "
	for _, tc := range []struct {
		name    string
		cmd     ledger.UndoCommand
		ref     ledger.Ref
		confirm bool
		want    string
	}{
		{"lambda, own account and Region", lambda, ledger.Ref{Account: central, Region: "us-east-1", ID: id}, false,
			invoke + `'{"action":"` + id + `"}' /dev/stdout`},
		{"lambda, member account", lambda, ledger.Ref{Account: member, Region: "us-east-1", ID: id}, true,
			invoke + `'{"action":"` + id + `","account":"444455556666","confirm":true}' /dev/stdout`},
		{"lambda, member account in another Region", lambda, ledger.Ref{Account: member, Region: "eu-west-1", ID: id}, false,
			invoke + `'{"action":"` + id + `","account":"444455556666","region":"eu-west-1"}' /dev/stdout`},
		{"lambda, own account in another Region", lambda, ledger.Ref{Account: central, Region: "eu-west-1", ID: id}, false,
			invoke + `'{"action":"` + id + `","region":"eu-west-1"}' /dev/stdout`},
		{"local, own account and Region", local, ledger.Ref{Account: central, Region: "us-east-1", ID: id}, true,
			"VPCGUARD_STATE_TABLE=vpcguard-state AWS_REGION=us-east-1 undo -action " + id + " -confirm"},
		{"local, member account", local, ledger.Ref{Account: member, Region: "us-east-1", ID: id}, false,
			"VPCGUARD_STATE_TABLE=vpcguard-state AWS_REGION=us-east-1 VPCGUARD_MEMBER_ROLE=vpcguard-member undo -action " + id + " -account 444455556666"},
		{"local, member account in another Region", local, ledger.Ref{Account: member, Region: "eu-west-1", ID: id}, true,
			"VPCGUARD_STATE_TABLE=vpcguard-state AWS_REGION=us-east-1 VPCGUARD_MEMBER_ROLE=vpcguard-member VPCGUARD_REGIONS=us-east-1,eu-west-1 " +
				"undo -action " + id + " -account 444455556666 -region eu-west-1 -confirm"},
		// The function's own account unknown (no VPCGUARD_ROLE_ARN): every
		// account is named, which is what the undo defaults to anyway.
		{"local, own account unknown", ledger.UndoCommand{File: "/tmp/l.json", Region: "us-east-1", MemberRole: "vpcguard-member"},
			ledger.Ref{Account: central, Region: "us-east-1", ID: id}, false,
			"VPCGUARD_LEDGER_FILE=/tmp/l.json AWS_REGION=us-east-1 VPCGUARD_MEMBER_ROLE=vpcguard-member undo -action " + id + " -account 111122223333"},
		// Single-account mode with several Regions: the Region only.
		{"local, single-account mode, another Region", ledger.UndoCommand{File: "/tmp/l.json", Region: "us-east-1", Regions: []string{"eu-west-1"}},
			ledger.Ref{Account: central, Region: "eu-west-1", ID: id}, false,
			"VPCGUARD_LEDGER_FILE=/tmp/l.json AWS_REGION=us-east-1 VPCGUARD_REGIONS=eu-west-1 undo -action " + id + " -region eu-west-1"},
		{"local, single-account mode, account never named", ledger.UndoCommand{File: "/tmp/l.json", Region: "us-east-1"},
			ledger.Ref{Account: member, Region: "us-east-1", ID: id}, false,
			"VPCGUARD_LEDGER_FILE=/tmp/l.json AWS_REGION=us-east-1 undo -action " + id},
		{"local, a file name that needs quoting", ledger.UndoCommand{File: "/tmp/it's here.json", Region: "us-east-1"},
			ledger.Ref{Account: central, Region: "us-east-1", ID: id}, false,
			`VPCGUARD_LEDGER_FILE='/tmp/it'\''s here.json' AWS_REGION=us-east-1 undo -action ` + id},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cmd.For(tc.ref, tc.confirm); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
