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
		// Every function that evaluates; the undo function writes no finding.
		evaluators := 0
		for name := range s.stack.Functions {
			if !functionSpecs[name].Undoes {
				evaluators++
			}
		}
		if len(byRole) != evaluators {
			t.Errorf("%v: %d roles may call Security Hub, want the %d that evaluate", ctx, len(byRole), evaluators)
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
