package sweep_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
	"github.com/vpcguard/vpcguard/pkg/sweep"
)

const (
	orgCentral  = "111122223333"
	orgMLProd   = "444455556666"
	orgResearch = "777788889999"
	orgSandbox  = "222233334444"
	orgLegacy   = "333344445555"
	orgMgmt     = "999988887777"
)

// startOrgSweep serves the simulated organization and builds the
// organization sweep from the environment, as the function does.
func startOrgSweep(t *testing.T, edit func(*awssim.OrgScenario), env map[string]string, local bool) (*awssim.Org, *sweep.OrgSweeper, *bytes.Buffer) {
	t.Helper()
	o, err := scenarios.LoadOrg("organization")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(o)
	}
	org, url := awssim.StartOrg(t, o)
	awssim.SetTestEnv(t, url, "us-east-1")
	vars := map[string]string{
		"VPCGUARD_MEMBER_ROLE": "vpcguard-member",
		"VPCGUARD_REGIONS":     "us-east-1,eu-west-1",
		"VPCGUARD_ROLE_ARN":    "arn:aws:iam::111122223333:role/vpcguard-modelguard,arn:aws:iam::111122223333:role/vpcguard-sweep",
	}
	for k, v := range env {
		vars[k] = v
	}
	var logs bytes.Buffer
	s, err := sweep.NewOrganization(context.Background(), sweep.Env{
		Getenv: func(k string) string { return vars[k] }, Log: slog.New(slog.NewJSONHandler(&logs, nil)), Local: local, Publish: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return org, s, &logs
}

func target(t *testing.T, sum *sweep.OrgSummary, account, region string) sweep.TargetResult {
	t.Helper()
	for _, r := range sum.Targets {
		if r.Account == account && r.Region == region {
			return r
		}
	}
	t.Fatalf("no row for %s %s in %+v", account, region, sum.Targets)
	return sweep.TargetResult{}
}

// TestOrganizationSweep sweeps every account of the organization in both
// Regions: the members through their role (one session per account), the
// central account with its own; the accounts whose role cannot be assumed
// are not covered, with STS's error, in every Region, one alarm line each.
func TestOrganizationSweep(t *testing.T) {
	org, s, logs := startOrgSweep(t, centralDeployment(true), map[string]string{
		"VPCGUARD_TOPIC_ARN": "arn:aws:sns:us-east-1:111122223333:vpcguard-findings", "VPCGUARD_EVENT_BUS": "vpcguard",
	}, false)
	sum, err := s.Run(context.Background(), sweep.Trigger{ID: "sweep-org-1", Account: orgCentral, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Accounts != 6 || len(sum.Targets) != 12 || sum.Source != "Organizations: the whole organization (ListAccounts)" {
		t.Fatalf("accounts %d, targets %d, from %q", sum.Accounts, len(sum.Targets), sum.Source)
	}
	if sum.Covered != 6 || sum.NotCovered != 6 || sum.Partial != 0 {
		t.Errorf("covered %d, not covered %d, partial %d", sum.Covered, sum.NotCovered, sum.Partial)
	}
	prod := target(t, sum, orgMLProd, "us-east-1")
	if prod.Status != sweep.TargetCovered || prod.Summary.Coverage.ModelsEvaluated != 1 || prod.Summary.Findings.BySeverity[report.SeverityHigh] == 0 {
		t.Errorf("ml-prod us-east-1 = %+v", prod)
	}
	if r := target(t, sum, orgResearch, "eu-west-1"); r.Status != sweep.TargetCovered || r.Summary.Coverage.ModelsEvaluated != 1 {
		t.Errorf("research eu-west-1 = %+v", r)
	}
	if r := target(t, sum, orgCentral, "us-east-1"); r.Status != sweep.TargetCovered || r.Summary.Coverage.ModelsEvaluated != 5 {
		t.Errorf("central us-east-1 = %+v", r)
	}
	for _, acct := range []string{orgSandbox, orgLegacy, orgMgmt} {
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			r := target(t, sum, acct, region)
			if r.Status != sweep.TargetNotCovered || !strings.Contains(r.Error, "cannot assume arn:aws:iam::"+acct+":role/vpcguard-member") ||
				!strings.Contains(r.Error, "AccessDenied") || r.Summary != nil {
				t.Errorf("%s %s = %+v", acct, region, r)
			}
		}
	}
	// One session per member account: ml-prod and research, and one
	// attempt each for the three that refuse; none for the central account.
	if n := org.Global().Calls("sts:AssumeRole"); n != 5 || sum.AssumeRoles != 5 {
		t.Errorf("AssumeRole calls %d (summary %d), want 5", n, sum.AssumeRoles)
	}
	var alarms []string
	for _, line := range strings.Split(logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "member account unreachable" {
			alarms = append(alarms, m["account"].(string))
		}
	}
	if len(alarms) != 3 {
		t.Errorf("alarm lines for %v, want one per unreachable account", alarms)
	}

	// One digest, from the central account, with the table.
	pub := org.Server(orgCentral, "us-east-1").Published()
	if len(pub) != 1 {
		t.Fatalf("%d digests published", len(pub))
	}
	body := pub[0].Message
	for _, want := range []string{
		"vpcguard organization sweep from account 111122223333 (report mode)",
		"COVERAGE: 6 of 12 account/Regions covered, 0 partial, 6 NOT COVERED",
		"444455556666  ml-prod", "777788889999  ml-research", "eu-west-1",
		"222233334444  sandbox               us-east-1             -      -         -  -         NOT COVERED",
		"222233334444 sandbox (us-east-1, eu-west-1): account 222233334444 (us-east-1): cannot assume arn:aws:iam::222233334444:role/vpcguard-member: AccessDenied: User: arn:aws:sts::111122223333:assumed-role/vpcguard-modelguard/awssim is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222233334444:role/vpcguard-member (request ",
		"AssumeRole",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("digest does not say %q:\n%s", want, body)
		}
	}
	if !strings.HasPrefix(pub[0].Subject, "[vpcguard] HIGH organization sweep: ") || !strings.Contains(pub[0].Subject, " in 6 accounts, 2 Regions (6 not covered)") {
		t.Errorf("subject = %q", pub[0].Subject)
	}
	// The findings of each account and Region go to the central bus, and
	// name their account and Region.
	var member int
	for _, ev := range org.Server(orgCentral, "us-east-1").Events() {
		var d struct {
			Event report.Event `json:"event"`
		}
		json.Unmarshal([]byte(ev.Detail), &d)
		if d.Event.Account == orgMLProd && d.Event.Region == "us-east-1" {
			member++
		}
	}
	if member == 0 {
		t.Error("no finding event of ml-prod on the central bus")
	}
	for key, ws := range org.Writes() {
		if key != orgCentral+"/us-east-1" {
			t.Errorf("report mode wrote in %s: %v", key, ws)
		}
	}
}

// TestOrganizationSweepOfSomeOUs: the accounts of the targeted OUs and of
// the OUs under them, and nothing else.
func TestOrganizationSweepOfSomeOUs(t *testing.T) {
	org, s, _ := startOrgSweep(t, nil, map[string]string{"VPCGUARD_ORGANIZATIONAL_UNITS": "ou-a1b2-workload1"}, false)
	sum, err := s.Run(context.Background(), sweep.Trigger{})
	if err != nil {
		t.Fatal(err)
	}
	var accts []string
	for _, r := range sum.Targets {
		if r.Region == "us-east-1" {
			accts = append(accts, r.Account)
		}
	}
	if strings.Join(accts, ",") != orgMLProd+","+orgResearch || sum.NotCovered != 0 || sum.Covered != 4 {
		t.Errorf("swept %v (covered %d, not covered %d)", accts, sum.Covered, sum.NotCovered)
	}
	if !strings.Contains(sum.Source, "ou-a1b2-workload1 and the OUs under them") {
		t.Errorf("source = %q", sum.Source)
	}
	if n := org.Global().Calls("sts:AssumeRole"); n != 2 {
		t.Errorf("AssumeRole calls = %d for two accounts in two Regions", n)
	}
}

// TestOrganizationSweepFallsBackToVPCGUARDACCOUNTS: when Organizations
// cannot be read (the central account is no delegated administrator), the
// sweep covers VPCGUARD_ACCOUNTS and says why.
func TestOrganizationSweepFallsBackToVPCGUARDACCOUNTS(t *testing.T) {
	_, s, _ := startOrgSweep(t, func(o *awssim.OrgScenario) { o.DelegatedAdministrators = nil },
		map[string]string{"VPCGUARD_ACCOUNTS": orgResearch}, false)
	sum, err := s.Run(context.Background(), sweep.Trigger{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Accounts != 1 || sum.Targets[0].Account != orgResearch || !strings.HasPrefix(sum.Source, "VPCGUARD_ACCOUNTS (Organizations could not be read)") {
		t.Errorf("accounts %d %+v from %q", sum.Accounts, sum.Targets, sum.Source)
	}
	if len(sum.Notes) == 0 || !strings.Contains(sum.Notes[0], "AccessDeniedException") {
		t.Errorf("notes = %v", sum.Notes)
	}
	// Without VPCGUARD_ACCOUNTS nothing is swept, and the digest says so.
	_, s, _ = startOrgSweep(t, func(o *awssim.OrgScenario) { o.DelegatedAdministrators = nil }, nil, false)
	sum, err = s.Run(context.Background(), sweep.Trigger{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Accounts != 0 || !strings.Contains(sum.Digest.Body, "could not be listed and VPCGUARD_ACCOUNTS is unset") {
		t.Errorf("accounts %d, digest:\n%s", sum.Accounts, sum.Digest.Body)
	}
}

// TestOrganizationSweepLocal: the function's local mode with
// VPCGUARD_ACCOUNTS, read-only, a cursor file per account and Region.
func TestOrganizationSweepLocal(t *testing.T) {
	o, err := scenarios.LoadOrg("organization")
	if err != nil {
		t.Fatal(err)
	}
	centralDeployment(true)(o)
	org, url := awssim.StartOrg(t, o)
	awssim.SetTestEnv(t, url, "us-east-1")
	for k, v := range map[string]string{
		"VPCGUARD_MEMBER_ROLE": "vpcguard-member", "VPCGUARD_REGIONS": "us-east-1,eu-west-1",
		"VPCGUARD_ACCOUNTS": orgMLProd + "," + orgResearch, "VPCGUARD_MODE": "remediate",
	} {
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := sweep.Main([]string{"-state", filepath.Join(dir, "state.json")}, os.Getenv, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	out := stdout.String()
	if !strings.HasPrefix(out, "Subject: [vpcguard] HIGH organization sweep: ") || !strings.Contains(out, "Accounts from VPCGUARD_ACCOUNTS (set)") {
		t.Errorf("output:\n%s", out)
	}
	for _, p := range []string{orgMLProd + "/us-east-1", orgMLProd + "/eu-west-1", orgResearch + "/us-east-1", orgResearch + "/eu-west-1"} {
		if _, err := os.Stat(filepath.Join(dir, p, "state.json")); err != nil {
			t.Errorf("cursor of %s: %v", p, err)
		}
	}
	if n := org.Global().Calls("organizations:ListAccounts"); n != 0 {
		t.Errorf("a local run with VPCGUARD_ACCOUNTS read Organizations %d times", n)
	}
	for key, ws := range org.Writes() {
		t.Errorf("a local run wrote in %s: %v", key, ws)
	}
	_ = io.Discard
}

func TestTargetStateURI(t *testing.T) {
	for in, want := range map[string]string{
		"s3://bucket/sweep/state.json": "s3://bucket/sweep/444455556666/eu-west-1/state.json",
		"s3://bucket":                  "s3://bucket/444455556666/eu-west-1/sweep-state.json",
		"/tmp/vpcguard/state.json":     "/tmp/vpcguard/444455556666/eu-west-1/state.json",
		"":                             "",
	} {
		if got := sweep.TargetStateURI(in, "444455556666", "eu-west-1"); got != want {
			t.Errorf("TargetStateURI(%q) = %q, want %q", in, got, want)
		}
	}
}
