package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/vpcguard/vpcguard/pkg/awssim"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/guard"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
)

const (
	centralAccount = "111122223333"
	mlProd         = "444455556666"
	research       = "777788889999"
	sandbox        = "222233334444" // its member role trusts someone else
	legacy         = "333344445555" // no member role
)

// centralRoles is VPCGUARD_ROLE_ARN as the stack sets it in the central account.
const centralRoles = "arn:aws:iam::111122223333:role/vpcguard-modelguard,arn:aws:iam::111122223333:role/vpcguard-endpointguard,arn:aws:iam::111122223333:role/vpcguard-sweep"

// orgHandler starts the simulated organization and the real handler of
// modelguard in the central account's us-east-1, configured by env.
func orgHandler(t *testing.T, env map[string]string) (*awssim.Org, *guard.Handler, *bytes.Buffer) {
	t.Helper()
	o, err := scenarios.LoadOrg("organization")
	if err != nil {
		t.Fatal(err)
	}
	org, url := awssim.StartOrg(t, o)
	awssim.SetTestEnv(t, url, "us-east-1")
	var logs bytes.Buffer
	h, err := NewHandler(context.Background(), func(k string) string { return env[k] }, NewLogger(&logs, "INFO"), modelKinds)
	if err != nil {
		t.Fatal(err)
	}
	return org, h, &logs
}

func orgEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"VPCGUARD_MEMBER_ROLE": "vpcguard-member",
		"VPCGUARD_REGIONS":     "us-east-1,eu-west-1",
		"VPCGUARD_ROLE_ARN":    centralRoles,
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// orgEvent reads an events/organization file and lets edit change the
// envelope and the CloudTrail record.
func orgEvent(t *testing.T, name string, edit func(ev, detail map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", "organization", name))
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return raw
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	edit(ev, ev["detail"].(map[string]any))
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const (
	prodModel     = "sagemaker-CreateModel-payments-fraud-ml-prod.json"
	researchModel = "sagemaker-CreateModel-nlp-summarizer-research-eu-west-1.json"
)

// inAccount moves an event to another account (and Region, if given).
func inAccount(account, region string) func(ev, detail map[string]any) {
	return func(ev, detail map[string]any) {
		ev["account"], detail["recipientAccountId"] = account, account
		if region != "" {
			ev["region"], detail["awsRegion"] = region, region
		}
	}
}

func checkStatus(r report.Result, id string) report.Status {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return ""
}

// TestEventsAreReadInTheirAccountAndRegion: an event of a member account
// is evaluated through the member role, in the event's Region; the role is
// assumed once per account, with a session named after the event.
func TestEventsAreReadInTheirAccountAndRegion(t *testing.T) {
	org, h, logs := orgHandler(t, orgEnv(nil))
	ctx := context.Background()

	res, err := h.HandleJSON(ctx, orgEvent(t, prodModel, nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != "" || res.Event.Account != mlProd || res.Event.Region != "us-east-1" || len(res.Checks) != len(checks.Catalogue()) {
		t.Fatalf("result = %+v", res)
	}
	if st := checkStatus(res, checks.S3EndpointPresent); st != report.StatusFail {
		t.Errorf("s3-endpoint-present = %s; ml-prod's VPC has no S3 endpoint", st)
	}
	if st := checkStatus(res, checks.ExecutionRoleENIPermission); st != report.StatusPass {
		t.Errorf("execution-role-eni-permissions = %s: the role was not simulated in ml-prod", st)
	}
	if len(res.Actions) != 1 || res.Actions[0].Status != report.ActionPlanned {
		t.Errorf("actions = %+v", res.Actions)
	}
	if n := org.Server(mlProd, "us-east-1").Calls("sagemaker:DescribeModel"); n != 1 {
		t.Errorf("ml-prod answered %d DescribeModel", n)
	}
	if n := org.Server(centralAccount, "us-east-1").Calls("sagemaker:DescribeModel"); n != 0 {
		t.Errorf("the central account answered %d DescribeModel for a member's event", n)
	}
	assumed := org.AssumedRoles()
	if len(assumed) != 1 || assumed[0].RoleARN != "arn:aws:iam::444455556666:role/vpcguard-member" ||
		assumed[0].SessionName != "vpcguard-5c1f3a2e-7d4b-4c8e-9f60-1a2b3c4d5e01" || assumed[0].Duration != 3600 ||
		assumed[0].Caller != "arn:aws:sts::111122223333:assumed-role/vpcguard-modelguard/awssim" {
		t.Errorf("assumed roles = %+v", assumed)
	}

	// Another Region of the same account: no new session.
	res, err = h.HandleJSON(ctx, orgEvent(t, prodModel, inAccount(mlProd, "eu-west-1")))
	if err != nil {
		t.Fatal(err)
	}
	if res.Event.Region != "eu-west-1" || checkStatus(res, checks.ModelInVPC) != report.StatusUnknown {
		t.Errorf("ml-prod eu-west-1 (no such model there): %+v", res.Checks)
	}
	if n := org.Server(mlProd, "eu-west-1").Calls("sagemaker:DescribeModel"); n != 1 {
		t.Errorf("ml-prod eu-west-1 answered %d DescribeModel", n)
	}
	// Another account in another Region.
	res, err = h.HandleJSON(ctx, orgEvent(t, researchModel, nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.Event.Account != research || res.Event.Region != "eu-west-1" || checkStatus(res, checks.S3EndpointPolicyCustom) != report.StatusFail ||
		checkStatus(res, checks.S3EndpointPresent) != report.StatusPass {
		t.Errorf("research eu-west-1: %+v", res)
	}
	if n := len(org.AssumedRoles()); n != 2 {
		t.Errorf("%d AssumeRole calls for two accounts", n)
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("errors logged: %s", logs.String())
	}
	for key, ws := range org.Writes() {
		t.Errorf("report mode wrote in %s: %v", key, ws)
	}
}

// TestCentralAccountUsesTheFunctionRole: the central account's own events
// are read with the function's credentials, in any Region served.
func TestCentralAccountUsesTheFunctionRole(t *testing.T) {
	org, h, _ := orgHandler(t, orgEnv(nil))
	res, err := h.HandleJSON(context.Background(), orgEvent(t, prodModel, inAccount(centralAccount, "eu-west-1")))
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != "" || len(res.Checks) == 0 {
		t.Fatalf("result = %+v", res)
	}
	if n := org.Server(centralAccount, "eu-west-1").Calls("sagemaker:DescribeModel"); n != 1 {
		t.Errorf("the central account's eu-west-1 answered %d DescribeModel", n)
	}
	if n := org.Global().Calls("sts:AssumeRole"); n != 0 {
		t.Errorf("%d AssumeRole calls for the central account's own event", n)
	}
}

// TestUnreachableMembersAreSkippedWithOneAlarm: a member role that refuses,
// one that does not exist, an account outside the organization: each event
// ends skipped with the account and STS's error, one ERROR line with the
// alarm's message, and no write anywhere (remediate mode, notifications on).
func TestUnreachableMembersAreSkippedWithOneAlarm(t *testing.T) {
	for _, tc := range []struct{ name, account string }{
		{"trust refuses the central roles", sandbox},
		{"no member role", legacy},
		{"account outside the organization", "123456789012"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			org, h, logs := orgHandler(t, orgEnv(map[string]string{
				"VPCGUARD_MODE": "remediate", "VPCGUARD_EVENT_BUS": "vpcguard",
				"VPCGUARD_TOPIC_ARN": "arn:aws:sns:us-east-1:111122223333:vpcguard-findings",
			}))
			res, err := h.HandleJSON(context.Background(), orgEvent(t, prodModel, inAccount(tc.account, "")))
			if err != nil {
				t.Fatalf("handler error: %v", err)
			}
			role := "arn:aws:iam::" + tc.account + ":role/vpcguard-member"
			for _, want := range []string{"account " + tc.account + " (us-east-1)", "cannot assume " + role, "AccessDenied",
				"is not authorized to perform: sts:AssumeRole on resource: " + role} {
				if !strings.Contains(res.Skipped, want) {
					t.Errorf("skipped %q does not say %q", res.Skipped, want)
				}
			}
			if len(res.Checks) != 0 || len(res.Actions) != 0 || res.Event.Account != tc.account {
				t.Errorf("result = %+v", res)
			}
			var alarms []map[string]any
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var m map[string]any
				if json.Unmarshal([]byte(line), &m) == nil && m["message"] == "member account unreachable" {
					alarms = append(alarms, m)
				}
			}
			if len(alarms) != 1 || alarms[0]["level"] != "ERROR" || alarms[0]["account"] != tc.account || alarms[0]["region"] != "us-east-1" ||
				!strings.Contains(alarms[0]["error"].(string), "AccessDenied") {
				t.Errorf("alarm lines = %v\nlogs: %s", alarms, logs.String())
			}
			for key, ws := range org.Writes() {
				t.Errorf("wrote in %s: %v", key, ws)
			}
		})
	}
}

// TestMemberRoleNeverAssumedOutsideTheRegions: an event of a Region
// outside VPCGUARD_REGIONS is skipped before any call.
func TestMemberRoleNeverAssumedOutsideTheRegions(t *testing.T) {
	org, h, logs := orgHandler(t, orgEnv(nil))
	res, err := h.HandleJSON(context.Background(), orgEvent(t, prodModel, inAccount(mlProd, "ap-southeast-2")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Skipped, "the call was made in ap-southeast-2, outside the Regions vpcguard serves (VPCGUARD_REGIONS=us-east-1,eu-west-1)") {
		t.Errorf("skipped = %q", res.Skipped)
	}
	if n := org.Global().Calls("*"); n != 0 {
		t.Errorf("%d STS calls", n)
	}
	if strings.Contains(logs.String(), "member account unreachable") {
		t.Error("a Region not served raised the alarm")
	}
	// The factory refuses it too, for its other users.
	_, err = h.Targets.Target(context.Background(), mustParse(t, orgEvent(t, prodModel, inAccount(mlProd, "ap-southeast-2"))))
	var ae *AccountError
	if !asAccountError(err, &ae) || !ae.NotServed || ae.RoleARN != "" {
		t.Errorf("factory: %v", err)
	}
	if n := org.Global().Calls("*"); n != 0 {
		t.Errorf("%d STS calls from the factory", n)
	}
}

// TestMemberSessionsAreSkipped: vpcguard's own repairs in a member account
// (made by a vpcguard-member session) trigger nothing.
func TestMemberSessionsAreSkipped(t *testing.T) {
	org, h, _ := orgHandler(t, orgEnv(nil))
	res, err := h.HandleJSON(context.Background(), orgEvent(t, prodModel, func(_, detail map[string]any) {
		id := detail["userIdentity"].(map[string]any)
		id["arn"] = "arn:aws:sts::444455556666:assumed-role/vpcguard-member/vpcguard-5c1f3a2e"
		id["sessionContext"].(map[string]any)["sessionIssuer"].(map[string]any)["arn"] = "arn:aws:iam::444455556666:role/vpcguard-member"
	}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != "the call was made by vpcguard itself" || org.Global().Calls("*") != 0 {
		t.Errorf("skipped %q, %d STS calls", res.Skipped, org.Global().Calls("*"))
	}
}

// TestRemediateInTheMemberAccount: the repair is written in the member
// account and Region, with the member role's credentials.
func TestRemediateInTheMemberAccount(t *testing.T) {
	org, h, _ := orgHandler(t, orgEnv(map[string]string{"VPCGUARD_MODE": "remediate"}))
	res, err := h.HandleJSON(context.Background(), orgEvent(t, prodModel, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Actions) != 1 || res.Actions[0].Status != report.ActionApplied {
		t.Fatalf("actions = %+v", res.Actions)
	}
	writes := org.Writes()
	if len(writes) != 1 || len(writes[mlProd+"/us-east-1"]) != 1 || writes[mlProd+"/us-east-1"][0].Operation != "CreateVpcEndpoint" {
		t.Errorf("writes = %v", writes)
	}
}

// TestSingleAccountModeSkipsOtherAccounts: without VPCGUARD_MEMBER_ROLE an
// event of another account is skipped with the reason, no call made.
func TestSingleAccountModeSkipsOtherAccounts(t *testing.T) {
	org, h, _ := orgHandler(t, map[string]string{"VPCGUARD_ROLE_ARN": centralRoles})
	res, err := h.HandleJSON(context.Background(), orgEvent(t, prodModel, nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != "the call was made in account 444455556666 and this function reads account 111122223333 (single-account mode: VPCGUARD_MEMBER_ROLE is unset)" {
		t.Errorf("skipped = %q", res.Skipped)
	}
	if n := org.Global().Calls("*") + org.Server(mlProd, "us-east-1").Calls("*") + org.Server(centralAccount, "us-east-1").Calls("*"); n != 0 {
		t.Errorf("%d calls", n)
	}
	if h.Targets != nil {
		t.Error("single-account mode got a per-event factory")
	}
}

// TestHomeAccountFromSTS: without VPCGUARD_ROLE_ARN the factory asks STS
// once who it is.
func TestHomeAccountFromSTS(t *testing.T) {
	org, h, _ := orgHandler(t, map[string]string{"VPCGUARD_MEMBER_ROLE": "vpcguard-member"})
	for range 2 {
		res, err := h.HandleJSON(context.Background(), orgEvent(t, prodModel, inAccount(centralAccount, "")))
		if err != nil || res.Skipped != "" {
			t.Fatalf("%+v, %v", res, err)
		}
	}
	if n, a := org.Global().Calls("sts:GetCallerIdentity"), org.Global().Calls("sts:AssumeRole"); n != 1 || a != 0 {
		t.Errorf("GetCallerIdentity %d, AssumeRole %d", n, a)
	}
}

func TestSessionName(t *testing.T) {
	for in, want := range map[string]string{
		"5c1f3a2e-7d4b-4c8e-9f60-1a2b3c4d5e01": "vpcguard-5c1f3a2e-7d4b-4c8e-9f60-1a2b3c4d5e01",
		"sweep 2025/11/24 #1":                  "vpcguard-sweep-2025-11-24--1",
		"vpcguard-sweep":                       "vpcguard-sweep",
		strings.Repeat("x", 80):                "vpcguard-" + strings.Repeat("x", 55),
	} {
		if got := SessionName(in); got != want || len(got) > 64 {
			t.Errorf("SessionName(%q) = %q, want %q", in, got, want)
		}
	}
}

func mustParse(t *testing.T, raw []byte) cloudtrail.Call {
	t.Helper()
	c, err := cloudtrail.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func asAccountError(err error, target **AccountError) bool { return errors.As(err, target) }

// TestAccountConfigServesOtherClients: the seam's aws.Config of a member
// account signs as the member role (what a Security Hub or any other
// client built from it sees), and is refused like Clients.
func TestAccountConfigServesOtherClients(t *testing.T) {
	o, err := scenarios.LoadOrg("organization")
	if err != nil {
		t.Fatal(err)
	}
	org, url := awssim.StartOrg(t, o)
	base := awssim.TestConfig(url, "us-east-1")
	home, err := ClientsFrom(base)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.FromEnv(func(k string) string { return orgEnv(nil)[k] })
	if err != nil {
		t.Fatal(err)
	}
	var accounts AccountClients = NewAccounts(base, home, cfg)
	ctx := WithSessionName(context.Background(), "securityhub-batch-1")
	member, err := accounts.Config(ctx, research, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	id, err := sts.NewFromConfig(member).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:sts::777788889999:assumed-role/vpcguard-member/vpcguard-securityhub-batch-1" || member.Region != "eu-west-1" {
		t.Errorf("caller %v, %v, region %s", id, err, member.Region)
	}
	c, err := accounts.Clients(ctx, research, "eu-west-1")
	if err != nil || c.Region != "eu-west-1" {
		t.Fatalf("clients %v, %v", c, err)
	}
	if n := org.Global().Calls("sts:AssumeRole"); n != 1 {
		t.Errorf("%d AssumeRole calls for one account", n)
	}
	if c2, _ := accounts.Clients(ctx, research, "eu-west-1"); c2 != c {
		t.Error("the clients of an account and Region are not reused")
	}
	if c3, _ := accounts.Clients(ctx, "", ""); c3 != home {
		t.Error("the function's own account and Region are not its own clients")
	}
	if _, err := accounts.Config(ctx, sandbox, "us-east-1"); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("a refusing member: %v", err)
	}
}
