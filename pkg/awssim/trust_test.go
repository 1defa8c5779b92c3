package awssim

import (
	"strings"
	"testing"
)

func TestTrustPolicyEvaluation(t *testing.T) {
	fn := principal{account: "111122223333", roleARN: "arn:aws:iam::111122223333:role/vpcguard-sweep",
		arn: "arn:aws:sts::111122223333:assumed-role/vpcguard-sweep/awssim", orgID: "o-a1b2c3d4e5"}
	outsider := principal{account: "123456789012", roleARN: "arn:aws:iam::123456789012:role/vpcguard-sweep",
		arn: "arn:aws:sts::123456789012:assumed-role/vpcguard-sweep/awssim"}
	sameAccountOtherRole := fn
	sameAccountOtherRole.roleARN = "arn:aws:iam::111122223333:role/ml-engineer"
	otherOrg := fn
	otherOrg.orgID = "o-zzzzzzzzzz"
	fn.sessionName = "vpcguard-5c1f3a2e"
	undoNamed := fn
	undoNamed.sessionName = "vpcguard-undo-rep-20261126T101500Z-3f9a1c2b"

	central := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole",
		"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/vpcguard-*"},"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}}`
	for _, tc := range []struct {
		name   string
		policy string
		who    principal
		want   bool
	}{
		{"central role in the org", central, fn, true},
		{"another role of the central account", central, sameAccountOtherRole, false},
		{"the same role name in another account", central, outsider, false},
		{"the central account in another organization", central, otherOrg, false},
		{"role ARN principal", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/vpcguard-sweep"]},"Action":"sts:*"}]}`, fn, true},
		{"account id principal", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`, fn, true},
		{"other action only", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:TagSession"}]}`, fn, false},
		{"service principal", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, fn, false},
		{"explicit deny wins", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},
			{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`, otherOrg, false},
		{"deny that does not apply", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},
			{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`, fn, true},
		{"org condition on a caller outside any org", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`, outsider, false},
		{"IfExists on a caller outside any org", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`, outsider, true},
		{"a session name the trust reserves", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringNotLike":{"sts:RoleSessionName":"vpcguard-undo-*"}}}]}`, undoNamed, false},
		{"a session name the trust allows", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:RoleSessionName":"vpcguard-undo-*"}}}]}`, undoNamed, true},
		{"the session name required, another asked", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:RoleSessionName":"vpcguard-undo-*"}}}]}`, fn, false},
		{"ArnEquals takes wildcards", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:role/vpcguard-sweep"}}}]}`, outsider, true},
	} {
		tp, err := parseTrust(tc.policy)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := tp.allows(tc.who, "sts:AssumeRole"); got != tc.want {
			t.Errorf("%s: allows = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestTrustPoliciesAwssimCannotEvaluateAreRefused: a scenario with one
// fails to load, rather than deciding wrongly.
func TestTrustPoliciesAwssimCannotEvaluateAreRefused(t *testing.T) {
	for policy, want := range map[string]string{
		`{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`:                                              "NotPrincipal",
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`: "IpAddress",
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}`:     "sts:ExternalId",
		`{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"sts:AssumeRole"}]}`:                                                         "Effect",
		`{"Statement":[]}`: "no statement",
		`not json`:         "not a JSON policy document",
	} {
		_, err := NewServer(&Scenario{Roles: []Role{{Name: "vpcguard-member", TrustPolicy: Policy(policy)}}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("trust policy %s: err = %v, want it to name %s", policy, err, want)
		}
	}
	if _, err := NewServer(&Scenario{Roles: []Role{{Name: "r", MaxSessionDuration: 60}}}); err == nil || !strings.Contains(err.Error(), "maxSessionDuration") {
		t.Errorf("a 60 s session limit: %v", err)
	}
}

func TestOrgScenarioValidation(t *testing.T) {
	_, err := NewOrg(&OrgScenario{
		ID: "org-1", ManagementAccount: "000000000000",
		OrganizationalUnits: []OrganizationalUnit{{ID: "ou-awss-aaaaaaaa", Parent: "ou-awss-bbbbbbbb"}, {ID: "ou-awss-bbbbbbbb", Parent: "ou-awss-aaaaaaaa"}},
		Accounts: []OrgAccount{
			{ID: "111122223333", Parent: "ou-nowhere"},
			{ID: "111122223333"},
			{ID: "444455556666", Regions: []*Scenario{{Account: "777788889999"}}},
		},
		Principals: []Principal{{AccessKeyID: "AKID1", RoleARN: "vpcguard"}},
	})
	if err == nil {
		t.Fatal("an invalid organization was accepted")
	}
	for _, want := range []string{`organization id "org-1"`, "own ancestor", "parent ou-nowhere", "111122223333 is defined twice",
		"names account 777788889999", "management account 000000000000", "principal vpcguard"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if !strings.HasPrefix(err.Error(), "org scenario:") {
		t.Errorf("error = %v", err)
	}
}
