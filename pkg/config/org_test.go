package config

import (
	"slices"
	"strings"
	"testing"
)

func TestSingleAccountModeByDefault(t *testing.T) {
	cfg, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Organization() || cfg.MultiTarget() || cfg.MemberRole != "" || cfg.Regions != nil || cfg.Accounts != nil {
		t.Errorf("defaults = %+v", cfg)
	}
	if !cfg.ServesRegion("us-east-1", "us-east-1") || cfg.ServesRegion("eu-west-1", "us-east-1") {
		t.Error("without VPCGUARD_REGIONS only the function's own Region is served")
	}
	if cfg.OwnRole("arn:aws:iam::444455556666:role/vpcguard-member") {
		t.Error("single-account mode treats a role named vpcguard-member as vpcguard's")
	}
	if cfg.HomeAccount() != "" {
		t.Errorf("home account %q without VPCGUARD_ROLE_ARN", cfg.HomeAccount())
	}
}

func TestOrganizationSettings(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{
		"VPCGUARD_MEMBER_ROLE":          " vpcguard-member ",
		"VPCGUARD_REGIONS":              "us-east-1, eu-west-1,us-east-1,,ap-southeast-2",
		"VPCGUARD_ACCOUNTS":             "444455556666,777788889999",
		"VPCGUARD_ORGANIZATIONAL_UNITS": "ou-a1b2-workload1, r-a1b2",
		"VPCGUARD_ROLE_ARN":             "arn:aws:iam::111122223333:role/VpcGuard-ModelguardRole-AB12,arn:aws:iam::111122223333:role/VpcGuard-SweepRole-CD34",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Organization() || !cfg.MultiTarget() || cfg.MemberRole != "vpcguard-member" {
		t.Errorf("cfg = %+v", cfg)
	}
	if want := []string{"us-east-1", "eu-west-1", "ap-southeast-2"}; !slices.Equal(cfg.Regions, want) {
		t.Errorf("regions = %v, want %v (trimmed, de-duplicated, in order)", cfg.Regions, want)
	}
	if want := []string{"444455556666", "777788889999"}; !slices.Equal(cfg.Accounts, want) {
		t.Errorf("accounts = %v", cfg.Accounts)
	}
	if want := []string{"ou-a1b2-workload1", "r-a1b2"}; !slices.Equal(cfg.OrganizationalUnits, want) {
		t.Errorf("OUs = %v", cfg.OrganizationalUnits)
	}
	if cfg.HomeAccount() != "111122223333" {
		t.Errorf("home account = %q", cfg.HomeAccount())
	}
	if !cfg.ServesRegion("eu-west-1", "us-east-1") || cfg.ServesRegion("eu-central-1", "us-east-1") {
		t.Error("VPCGUARD_REGIONS bounds the Regions")
	}
	if got := cfg.MemberRoleARN("aws-cn", "444455556666"); got != "arn:aws-cn:iam::444455556666:role/vpcguard-member" {
		t.Errorf("member role ARN = %s", got)
	}
	for arn, own := range map[string]bool{
		"arn:aws:iam::444455556666:role/vpcguard-member":                         true, // CloudTrail's sessionIssuer
		"arn:aws:iam::444455556666:role/security/vpcguard-member":                true, // with a path
		"arn:aws:sts::444455556666:assumed-role/vpcguard-member/vpcguard-ev-123": true, // userIdentity.arn
		"arn:aws:iam::111122223333:role/VpcGuard-SweepRole-CD34":                 true,
		"arn:aws:iam::444455556666:role/vpcguard-member-admin":                   false,
		"arn:aws:iam::444455556666:role/ml-engineer":                             false,
		"arn:aws:iam::444455556666:user/vpcguard-member":                         false,
		"arn:aws:sts::444455556666:assumed-role/ml-engineer/vpcguard-member":     false,
		"vpcguard-member": false,
		"":                false,
	} {
		if got := cfg.OwnRole(arn); got != own {
			t.Errorf("OwnRole(%s) = %v, want %v", arn, got, own)
		}
	}
	// The undo function's sessions of the member role are not repairs to
	// skip: an undo is evaluated like a person's change.
	for _, tc := range []struct {
		actor, session string
		skip           bool
	}{
		{"arn:aws:iam::444455556666:role/vpcguard-member", "vpcguard-5c1f3a2e-7d4b", true},
		{"arn:aws:iam::444455556666:role/vpcguard-member", "", true},
		{"arn:aws:iam::444455556666:role/vpcguard-member", UndoSessionPrefix + "rep-20261202T021822Z-24e65aa7", false},
		{"arn:aws:iam::111122223333:role/VpcGuard-SweepRole-CD34", UndoSessionPrefix + "rep-1", true}, // not the member role
		{"arn:aws:iam::444455556666:role/ml-engineer", "vpcguard-5c1f3a2e", false},
	} {
		if got := cfg.OwnRepair(tc.actor, tc.session); got != tc.skip {
			t.Errorf("OwnRepair(%s, %s) = %v, want %v", tc.actor, tc.session, got, tc.skip)
		}
	}
}

func TestRegionsAloneServeTheOwnAccountInSeveralRegions(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{"VPCGUARD_REGIONS": "us-west-2"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Organization() || !cfg.MultiTarget() || cfg.ServesRegion("us-east-1", "us-east-1") {
		t.Errorf("cfg = %+v: VPCGUARD_REGIONS alone replaces the own Region", cfg)
	}
}

func TestBadOrganizationValues(t *testing.T) {
	_, err := FromEnv(env(map[string]string{
		"VPCGUARD_MEMBER_ROLE":          "arn:aws:iam::444455556666:role/vpcguard-member",
		"VPCGUARD_REGIONS":              "us-east-1,Europe",
		"VPCGUARD_ACCOUNTS":             "4444-5555-6666",
		"VPCGUARD_ORGANIZATIONAL_UNITS": "Workloads",
	}))
	if err == nil {
		t.Fatal("bad organization settings accepted")
	}
	for _, want := range []string{`VPCGUARD_MEMBER_ROLE="arn:aws:iam`, "want an IAM role name", `VPCGUARD_REGIONS="us-east-1,Europe"`, `"Europe"`, `VPCGUARD_ACCOUNTS="4444-5555-6666"`, "12-digit", `VPCGUARD_ORGANIZATIONAL_UNITS="Workloads"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
	if _, err := FromEnv(env(map[string]string{"VPCGUARD_REGIONS": " , "})); err == nil {
		t.Error("an empty Region list was accepted")
	}
}
