package main

import (
	"slices"
	"strings"
	"testing"
)

// notUndo keeps the member role's statements that are not the undo
// function's reverse writes (undoWriteStatements: Sid Undo…).
func notUndo(sid string) bool { return !strings.HasPrefix(sid, "Undo") }

// undoGrants are the member Regions' reverse writes of every repair, as
// memberGrants renders them; undoSessions: only in the undo function's
// sessions (aws:userid), as the member role holds them.
func undoGrants(undoSessions bool, actions ...string) []string {
	tagged, modify := ` {"StringEquals":{"aws:ResourceTag/vpcguard:managed":"true"}}`, ""
	if undoSessions {
		tagged = ` {"StringEquals":{"aws:ResourceTag/vpcguard:managed":"true"},"StringLike":{"aws:userid":"*:vpcguard-undo-*"}}`
		modify = ` {"StringLike":{"aws:userid":"*:vpcguard-undo-*"}}`
	}
	var out []string
	for _, r := range []string{"us-east-1", "eu-west-1"} {
		arn := "arn:${AWS::Partition}:ec2:" + r + ":${AWS::AccountId}:"
		for _, a := range actions {
			switch a {
			case actionAddALRepoDeny:
				out = append(out, "ec2:ModifyVpcEndpoint "+arn+"vpc-endpoint/*"+modify)
			case actionAssociateRouteTables:
				out = append(out, "ec2:ModifyVpcEndpoint "+arn+"vpc-endpoint/*"+modify, "ec2:ModifyVpcEndpoint "+arn+"route-table/*"+modify)
			case actionCreateS3GatewayEndpoint:
				out = append(out, "ec2:DeleteVpcEndpoints "+arn+"vpc-endpoint/*"+tagged)
			}
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(out)))
}

// TestMemberRoleHoldsExactlyTheUndoReverseWrites: in organization mode and
// remediate mode the member role holds the undo function's reverse writes
// of the allowed repairs, in the member Regions, as the undo role holds
// them (the same builder), but only in the undo function's sessions
// (aws:userid …:vpcguard-undo-…, names its trust reserves to the undo
// role); DeleteVpcEndpoints only on endpoints tagged
// vpcguard:managed=true. In report mode, none.
func TestMemberRoleHoldsExactlyTheUndoReverseWrites(t *testing.T) {
	isUndo := func(sid string) bool { return !notUndo(sid) }
	all := []string{actionAddALRepoDeny, actionAssociateRouteTables, actionCreateS3GatewayEndpoint}
	for _, tc := range []struct {
		remediations string
		actions      []string
	}{
		{"", all}, // orgRemediateCtx's: all
		{actionAddALRepoDeny, []string{actionAddALRepoDeny}},
		{actionCreateS3GatewayEndpoint, []string{actionCreateS3GatewayEndpoint}},
	} {
		ctx := map[string]string{}
		for k, v := range orgRemediateCtx {
			ctx[k] = v
		}
		if tc.remediations != "" {
			ctx["remediations"] = tc.remediations
		}
		s := synth(t, ctx)
		tmpl := s.stack.Organization.MemberRoleTemplate
		if got, want := memberGrantsOf(tmpl, isUndo), undoGrants(true, tc.actions...); !slices.Equal(got, want) {
			t.Errorf("%v: member undo grants\n  %s\nwant\n  %s", ctx, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		// The undo function's own role: the same reverse writes, for the
		// central account's repairs in the member Regions.
		undoRole := s.logicalID(t, s.stack.Roles["undo"])
		var central []string
		for _, g := range s.grants(t) {
			if g.role == undoRole && slices.Contains(remediationActions, g.action) {
				central = append(central, strings.TrimSpace(g.action+" "+g.resource+" "+g.condition))
			}
		}
		slices.Sort(central)
		if want := undoGrants(false, tc.actions...); !slices.Equal(central, want) {
			t.Errorf("%v: undo role reverse writes\n  %s\nwant\n  %s", ctx, strings.Join(central, "\n  "), strings.Join(want, "\n  "))
		}
		// Nothing in the member role deletes an endpoint vpcguard did not
		// tag, or outside an undo session.
		for _, g := range memberGrants(tmpl) {
			if strings.HasPrefix(g, "ec2:DeleteVpcEndpoints ") &&
				!strings.HasSuffix(g, `{"StringEquals":{"aws:ResourceTag/vpcguard:managed":"true"},"StringLike":{"aws:userid":"*:vpcguard-undo-*"}}`) {
				t.Errorf("%v: member grant %s", ctx, g)
			}
		}
	}
	for _, ctx := range []map[string]string{orgCtx, orgDefaultsCtx} {
		tmpl := synth(t, ctx).stack.Organization.MemberRoleTemplate
		if got := memberGrantsOf(tmpl, isUndo); len(got) != 0 {
			t.Errorf("%v: report mode member undo grants %v", ctx, got)
		}
	}
}

// TestUndoActsInMembersInRemediateModeOnly: in organization mode and
// remediate mode the undo function gets the member role's name and the
// Regions, and the alarm on an unreachable member, like the event
// functions; in report mode (nothing to undo) none of it.
func TestUndoActsInMembersInRemediateModeOnly(t *testing.T) {
	for _, ctx := range []map[string]string{orgCtx, orgRemediateCtx} {
		s := synth(t, ctx)
		remediate := ctx["mode"] == "remediate"
		env := props(s.resources("AWS::Lambda::Function")[s.logicalID(t, s.stack.Functions["undo"])])["Environment"].(map[string]interface{})["Variables"].(map[string]interface{})
		_, role := env["VPCGUARD_MEMBER_ROLE"]
		if role != remediate || (remediate && (env["VPCGUARD_MEMBER_ROLE"] != memberRoleName || flatten(env["VPCGUARD_REGIONS"]) != "us-east-1,eu-west-1")) {
			t.Errorf("%v: undo env %s", ctx, toJSON(env))
		}
		if _, ous := env["VPCGUARD_ORGANIZATIONAL_UNITS"]; ous {
			t.Errorf("%v: undo env %s", ctx, toJSON(env))
		}
		want := len(s.stack.Functions) - 1
		if remediate {
			want++
		}
		if n := len(s.resources("AWS::Logs::MetricFilter")); n != want {
			t.Errorf("%v: %d member-unreachable filters, want %d", ctx, n, want)
		}
		// The undo function has no rule, on either bus.
		for id, r := range s.resources("AWS::Events::Rule") {
			if strings.Contains(toJSON(props(r)["Targets"]), s.logicalID(t, s.stack.Functions["undo"])) {
				t.Errorf("%v: rule %s targets the undo function", ctx, id)
			}
		}
	}
}
