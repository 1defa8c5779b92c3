package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// functionEnvs are the Lambda environments by function name.
func (s *synthesized) functionEnvs(t *testing.T) map[string]map[string]interface{} {
	t.Helper()
	out := map[string]map[string]interface{}{}
	fns := s.resources("AWS::Lambda::Function")
	for name, fn := range s.stack.Functions {
		env, _ := props(fns[s.logicalID(t, fn)])["Environment"].(map[string]interface{})
		vars, _ := env["Variables"].(map[string]interface{})
		out[name] = vars
	}
	return out
}

// TestSecurityHubIsOffByDefault: without securityHub=true no role may call
// Security Hub and no function is told to.
func TestSecurityHubIsOffByDefault(t *testing.T) {
	for _, ctx := range []map[string]string{reportCtx, remediateCtx, {"securityHub": "false"}} {
		s := synth(t, ctx)
		for _, g := range s.grants(t) {
			if strings.HasPrefix(g.action, "securityhub:") {
				t.Errorf("%v: %s may %s on %s", ctx, g.role, g.action, g.resource)
			}
		}
		for name, env := range s.functionEnvs(t) {
			if _, ok := env["VPCGUARD_SECURITY_HUB"]; ok {
				t.Errorf("%v: %s has VPCGUARD_SECURITY_HUB", ctx, name)
			}
		}
	}
}

// TestSecurityHubPermissionsAreTheAccountsOwn: with securityHub=true every
// function that evaluates (not undo) may import findings only under its account's own product and
// only about its own account, and read only its own hub.
func TestSecurityHubPermissionsAreTheAccountsOwn(t *testing.T) {
	for _, ctx := range []map[string]string{{"securityHub": "true"}, {"securityHub": "true", "mode": "remediate"}} {
		s := synth(t, ctx)
		want := []string{
			"securityhub:BatchImportFindings arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default " +
				`{"StringEquals":{"securityhub:TargetAccount":"${AWS::AccountId}"}}`,
			"securityhub:GetFindings arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:hub/default ",
		}
		byRole := map[string][]string{}
		for _, g := range s.grants(t) {
			if strings.HasPrefix(g.action, "securityhub:") {
				byRole[g.role] = append(byRole[g.role], g.action+" "+g.resource+" "+g.condition)
			}
		}
		// The undo function publishes nothing: its role holds only its reads
		// and the reverse writes.
		if _, ok := byRole[s.logicalID(t, s.stack.Roles["undo"])]; ok || len(byRole) != len(s.stack.Functions)-1 {
			t.Errorf("%v: %d roles may call Security Hub, want all %d but undo's", ctx, len(byRole), len(s.stack.Functions)-1)
		}
		for role, got := range byRole {
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%v: %s Security Hub grants\n  %v\nwant\n  %v", ctx, role, got, want)
			}
		}
		for name, env := range s.functionEnvs(t) {
			if env["VPCGUARD_SECURITY_HUB"] != "true" {
				t.Errorf("%v: %s has VPCGUARD_SECURITY_HUB=%v", ctx, name, env["VPCGUARD_SECURITY_HUB"])
			}
		}
		noPanic(t, "cdk-nag", func() {
			errs := assertions.Annotations_FromStack(s.stack.Stack).FindError(
				jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
			for _, e := range *errs {
				t.Errorf("%v: %s: %v", ctx, *e.Id, e.Entry.Data)
			}
		})
	}
}

func TestSecurityHubContextMustBeABoolean(t *testing.T) {
	if _, err := parseSettings(ctxGetter(map[string]string{"securityHub": "on"})); err == nil || !strings.Contains(err.Error(), `context securityHub="on": want true or false`) {
		t.Errorf("error = %v", err)
	}
	s, err := parseSettings(ctxGetter(map[string]string{"securityHub": "true"}))
	if err != nil || !s.SecurityHub {
		t.Errorf("%+v, %v", s, err)
	}
}

// TestSecurityHubInOrganizationMode: with securityHub=true in organization
// mode the central function roles may write the central account's own
// findings in every member Region, and the member role (through which the
// central functions write a member's findings) may import only under the
// member's own product, only about the member, and read only its own hubs,
// in the member Regions; without securityHub the member role has no
// Security Hub grant. The member template stays under TemplateBody's limit.
func TestSecurityHubInOrganizationMode(t *testing.T) {
	want := func(account string) []string {
		var out []string
		for _, region := range []string{"eu-west-1", "us-east-1"} {
			out = append(out,
				"securityhub:BatchImportFindings arn:${AWS::Partition}:securityhub:"+region+":"+account+":product/"+account+"/default "+
					`{"StringEquals":{"securityhub:TargetAccount":"`+account+`"}}`,
				"securityhub:GetFindings arn:${AWS::Partition}:securityhub:"+region+":"+account+":hub/default")
		}
		slices.Sort(out)
		return out
	}
	hubGrants := func(grants []string) []string {
		var out []string
		for _, g := range grants {
			if strings.HasPrefix(g, "securityhub:") {
				out = append(out, strings.TrimSpace(g))
			}
		}
		slices.Sort(out)
		return out
	}
	for _, base := range []map[string]string{orgCtx, orgRemediateCtx} {
		ctx := map[string]string{"securityHub": "true"}
		for k, v := range base {
			ctx[k] = v
		}
		s := synth(t, ctx)
		tmpl := s.stack.Organization.MemberRoleTemplate
		if got := hubGrants(memberGrants(tmpl)); !slices.Equal(got, want("${AWS::AccountId}")) {
			t.Errorf("%v: member role Security Hub grants\n  %s\nwant\n  %s", ctx, strings.Join(got, "\n  "), strings.Join(want("${AWS::AccountId}"), "\n  "))
		}
		byRole := map[string][]string{}
		for _, g := range s.grants(t) {
			if strings.HasPrefix(g.action, "securityhub:") {
				byRole[g.role] = append(byRole[g.role], g.action+" "+g.resource+" "+g.condition)
			}
		}
		if len(byRole) != len(s.stack.Functions)-1 {
			t.Errorf("%v: %d function roles may call Security Hub, want all %d but undo's", ctx, len(byRole), len(s.stack.Functions)-1)
		}
		for role, got := range byRole {
			if got = hubGrants(got); !slices.Equal(got, want("${AWS::AccountId}")) {
				t.Errorf("%v: %s Security Hub grants\n  %s", ctx, role, strings.Join(got, "\n  "))
			}
		}
		if n := len(toJSON(tmpl)); n > maxTemplateBody {
			t.Errorf("%v: member role template of %d bytes", ctx, n)
		}
		noPanic(t, "cdk-nag", func() {
			errs := assertions.Annotations_FromStack(s.stack.Stack).FindError(
				jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
			for _, e := range *errs {
				t.Errorf("%v: %s: %v", ctx, *e.Id, e.Entry.Data)
			}
		})
	}
	if got := hubGrants(memberGrants(synth(t, orgCtx).stack.Organization.MemberRoleTemplate)); len(got) != 0 {
		t.Errorf("securityHub off: member role Security Hub grants %v", got)
	}
}
