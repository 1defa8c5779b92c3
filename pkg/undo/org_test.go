package undo_test

// Organization mode: a repair made in a member account by the event
// functions' handler (pkg/app, remediate mode) is undone through the
// member role, from the central account, with the real SDK clients
// against the simulated organization (awssim.StartOrg).

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
	"github.com/vpcguard/vpcguard/pkg/undo"
)

// The simulated organization (pkg/scenarios/orgs/organization.json).
const (
	central  = "111122223333"
	mlProd   = "444455556666" // its vpcguard-member trusts the central roles, undo's included
	research = "777788889999" // the same, in eu-west-1
	sandbox  = "222233334444" // its vpcguard-member trusts someone else
	// undoKey signs as arn:aws:iam::111122223333:role/vpcguard-undo (the
	// default test key is modelguard's role).
	undoKey    = "AKIDVPCGUARDUNDO0000"
	memberRole = "arn:aws:iam::444455556666:role/vpcguard-member"
	prodVPC    = "vpc-04440000000000001"
)

// centralRoles is VPCGUARD_ROLE_ARN as the stack sets it: the roles that
// repair (an undo's calls are evaluated, not skipped).
const centralRoles = "arn:aws:iam::111122223333:role/vpcguard-modelguard,arn:aws:iam::111122223333:role/vpcguard-sweep"

// orgEnv is the simulated organization with the functions' configuration
// in the central account's us-east-1: organization mode, remediate mode,
// one ledger file.
type orgEnv struct {
	org  *awssim.Org
	url  string
	path string // the ledger file
	vars map[string]string
}

func startOrg(t *testing.T) *orgEnv {
	t.Helper()
	o, err := scenarios.LoadOrg("organization")
	if err != nil {
		t.Fatal(err)
	}
	org, url := awssim.StartOrg(t, o)
	awssim.SetTestEnv(t, url, "us-east-1")
	path := filepath.Join(t.TempDir(), "ledger.json")
	return &orgEnv{org: org, url: url, path: path, vars: map[string]string{
		"VPCGUARD_MEMBER_ROLE": "vpcguard-member", "VPCGUARD_REGIONS": "us-east-1,eu-west-1", "VPCGUARD_ROLE_ARN": centralRoles,
		"VPCGUARD_MODE": "remediate", "VPCGUARD_LEDGER_FILE": path,
	}}
}

func (e *orgEnv) getenv(extra map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := extra[k]; ok {
			return v
		}
		return e.vars[k]
	}
}

// repair has modelguard's handler (signing as its role) evaluate the
// CreateModel of ml-prod's payments-fraud-v2 under envelope id, and
// returns the create-s3-gateway-endpoint action.
func (e *orgEnv) repair(t *testing.T, id string, extra map[string]string) report.Action {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", awssim.TestAccessKeyID)
	h, err := app.NewHandler(context.Background(), e.getenv(extra), slog.New(slog.DiscardHandler), []cloudtrail.Kind{cloudtrail.KindCreateModel})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", "organization", "sagemaker-CreateModel-payments-fraud-ml-prod.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev["id"], ev["detail"].(map[string]any)["eventID"] = id, id
	raw, _ = json.Marshal(ev)
	res, err := h.HandleJSON(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if res.Event.Account != mlProd || len(res.Actions) != 1 || res.Actions[0].ID != report.ActionCreateS3GatewayEndpoint {
		t.Fatalf("result %+v", res)
	}
	return res.Actions[0]
}

// undoer is the undo function's Undoer as undo.New builds it, signing as
// the undo function's role.
func (e *orgEnv) undoer(t *testing.T, extra map[string]string, log io.Writer) *undo.Undoer {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", undoKey)
	u, _, err := undo.New(context.Background(), e.getenv(extra), slog.New(slog.NewJSONHandler(log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	u.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	return u
}

func (e *orgEnv) writes() map[string][]string {
	out := map[string][]string{}
	for key, ws := range e.org.Writes() {
		for _, w := range ws {
			out[key] = append(out[key], w.Operation)
		}
	}
	return out
}

// shellWords splits command as sh does (quotes removed, no globbing).
func shellWords(t *testing.T, command string) []string {
	t.Helper()
	out, err := exec.Command("sh", "-c", `set -f; for w in `+command+`; do printf '%s\0' "$w"; done`).Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

// TestUndoInAMemberAccount: modelguard creates the S3 endpoint in ml-prod
// through the member role; the undo command its result carries names the
// account; run as written, it deletes the endpoint in ml-prod through the
// member role (a session named after the undo), verified, marks the entry
// reverted and holds the repair; undo -list -account lists it.
func TestUndoInAMemberAccount(t *testing.T) {
	e := startOrg(t)
	a := e.repair(t, "5c1f3a2e-7d4b-4c8e-9f60-1a2b3c4d5e01", nil)
	if a.Status != report.ActionApplied {
		t.Fatalf("repair %+v", a)
	}
	id := entryOf(t, a)
	command := a.Detail[remediate.DetailUndo].(map[string]any)["command"].(string)
	want := "VPCGUARD_LEDGER_FILE=" + e.path + " AWS_REGION=us-east-1 VPCGUARD_MEMBER_ROLE=vpcguard-member undo -action " + id + " -account " + mlProd + " -confirm"
	if command != want {
		t.Fatalf("undo command\n got %s\nwant %s", command, want)
	}
	if w := e.writes(); len(w) != 1 || !slices.Equal(w[mlProd+"/us-east-1"], []string{"CreateVpcEndpoint"}) {
		t.Fatalf("writes of the repair %v", w)
	}

	// The command, as sh reads it: its variables, then undo's arguments.
	// Nothing else of the functions' configuration is set.
	words := shellWords(t, command)
	i := slices.Index(words, "undo")
	cmdEnv := map[string]string{}
	for _, w := range words[:i] {
		k, v, _ := strings.Cut(w, "=")
		cmdEnv[k] = v
	}
	getenv := func(k string) string {
		if v, ok := cmdEnv[k]; ok {
			return v
		}
		return os.Getenv(k) // the SDK's variables, pointing at awssim
	}
	t.Setenv("AWS_ACCESS_KEY_ID", undoKey)
	t.Setenv("AWS_REGION", cmdEnv["AWS_REGION"])
	t.Setenv("VPCGUARD_ROLE_ARN", "")
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := undo.Main(args, getenv, &out, &errOut)
		return code, out.String(), errOut.String()
	}

	// -list: the central account's us-east-1 has no entry; ml-prod's has this one.
	if code, out, stderr := run("-list"); code != 0 || out != "" {
		t.Errorf("-list: exit %d, %q %s", code, out, stderr)
	}
	code, out, stderr := run("-list", "-account", mlProd)
	var item undo.ListItem
	if code != 0 || json.Unmarshal([]byte(out), &item) != nil || item.ID != id || item.VPCID != prodVPC || item.Undo != command {
		t.Errorf("-list -account %s: exit %d, %s %s", mlProd, code, out, stderr)
	}
	assumedBefore := len(e.org.AssumedRoles())
	if assumedBefore != 1 {
		t.Errorf("-list assumed a role: %+v", e.org.AssumedRoles())
	}

	code, out, stderr = run(words[i+1:]...)
	var res undo.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 {
		t.Fatalf("%s: exit %d, %v\n%s\n%s", command, code, err, out, stderr)
	}
	if res.Status != undo.StatusReverted || res.Account != mlProd || res.Region != "us-east-1" || res.HoldUntil == nil ||
		len(res.Calls) != 1 || !strings.HasPrefix(res.Calls[0], "DeleteVpcEndpoints vpce-") {
		t.Fatalf("result %+v", res)
	}
	if w := e.writes(); len(w) != 1 || !slices.Equal(w[mlProd+"/us-east-1"], []string{"CreateVpcEndpoint", "DeleteVpcEndpoints"}) {
		t.Errorf("writes %v: the undo must write in ml-prod only", w)
	}
	assumed := e.org.AssumedRoles()[assumedBefore:]
	if len(assumed) != 1 || assumed[0].RoleARN != memberRole || assumed[0].SessionName != app.SessionName(config.UndoSessionPrefix+id) ||
		assumed[0].Caller != "arn:aws:sts::111122223333:assumed-role/vpcguard-undo/awssim" {
		t.Errorf("assumed roles %+v", assumed)
	}

	// Independently: ml-prod's VPC has no S3 endpoint left.
	base := awssim.TestConfig(e.url, "us-east-1")
	cfg, _ := config.FromEnv(e.getenv(nil))
	member, err := app.NewAccounts(base, mustClients(t, base), cfg).Clients(context.Background(), mlProd, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	eps, err := member.EC2.DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range eps.VpcEndpoints {
		if ep.State != "deleted" && ep.State != "Deleted" {
			t.Errorf("ml-prod still has endpoint %s (%s)", aws.ToString(ep.VpcEndpointId), ep.State)
		}
	}

	f, err := ledger.OpenFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	en, err := f.Get(context.Background(), ledger.Ref{Account: mlProd, Region: "us-east-1", ID: id})
	if err != nil || en.Status != ledger.StatusReverted || en.Undo == nil {
		t.Errorf("entry %+v, %v", en, err)
	}
	// The hold: the next CreateModel in ml-prod does not redo the repair.
	again := e.repair(t, "6d2e4b3f-8e5c-4d9f-a071-2b3c4d5e6f02", nil)
	if why, _ := again.Detail[remediate.DetailReason].(string); again.Status != report.ActionSkipped || !strings.Contains(why, "was undone at") {
		t.Errorf("after the undo: %s %v", again.Status, again.Detail)
	}
	if w := e.writes(); len(w[mlProd+"/us-east-1"]) != 2 {
		t.Errorf("the repair was made again: %v", w)
	}
	// Only the undo function's role may open an undo session of the member
	// role: with modelguard's credentials the same command is refused by
	// the member's trust, and nothing is written.
	if code, out, _ := run(words[i+1:]...); code != 3 || !strings.Contains(out, `"status": "refused"`) ||
		!strings.Contains(out, "assumed-role/vpcguard-modelguard/awssim is not authorized to perform: sts:AssumeRole") {
		t.Errorf("undo with modelguard's credentials: exit %d\n%s", code, out)
	}
	if w := e.writes(); len(w[mlProd+"/us-east-1"]) != 2 {
		t.Errorf("writes %v", w)
	}
	// Undone once only.
	t.Setenv("AWS_ACCESS_KEY_ID", undoKey)
	if code, out, stderr := run(words[i+1:]...); code != 3 || !strings.Contains(out, "already reverted") {
		t.Errorf("second undo: exit %d\n%s\n%s", code, out, stderr)
	}
}

func mustClients(t *testing.T, cfg aws.Config) *app.Clients {
	t.Helper()
	c, err := app.ClientsFrom(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMemberUndoRefusals: an undo that names a Region not served, a
// member whose role refuses the undo function, or another account in
// single-account mode is refused with the reason and nothing written
// anywhere; a member entry is not found under the function's own account.
func TestMemberUndoRefusals(t *testing.T) {
	e := startOrg(t)
	id := entryOf(t, e.repair(t, "5c1f3a2e-7d4b-4c8e-9f60-1a2b3c4d5e01", nil))
	before := e.writes()
	for _, tc := range []struct {
		name    string
		env     map[string]string
		req     undo.Request
		reason  []string
		assumes int  // AssumeRole calls the undo makes
		alarm   bool // the member-unreachable log line
	}{
		{name: "Region not served", req: undo.Request{Action: id, Account: mlProd, Region: "ap-southeast-2", Confirm: true},
			reason: []string{"nothing read or written", "ap-southeast-2 is not a Region vpcguard serves: us-east-1, eu-west-1 (VPCGUARD_REGIONS)"}},
		{name: "member role refuses", req: undo.Request{Action: id, Account: sandbox, Confirm: true},
			reason: []string{"nothing read or written: account 222233334444 (us-east-1): cannot assume arn:aws:iam::222233334444:role/vpcguard-member",
				"AccessDenied", "arn:aws:sts::111122223333:assumed-role/vpcguard-undo/awssim is not authorized to perform: sts:AssumeRole"},
			assumes: 1, alarm: true},
		{name: "single-account mode", env: map[string]string{"VPCGUARD_MEMBER_ROLE": ""}, req: undo.Request{Action: id, Account: mlProd, Confirm: true},
			reason: []string{"vpcguard reads account 111122223333 only (single-account mode: VPCGUARD_MEMBER_ROLE is unset)"}},
		{name: "not an account id", req: undo.Request{Action: id, Account: "4444-5555-6666", Confirm: true},
			reason: []string{`account "4444-5555-6666" is not an AWS account id`}},
		{name: "entry of another account", req: undo.Request{Action: id, Account: research, Region: "eu-west-1", Confirm: true},
			reason: []string{"no ledger entry " + id + " in account 777788889999, eu-west-1"}, assumes: 1},
		{name: "account not named", req: undo.Request{Action: id, Confirm: true},
			reason: []string{"no ledger entry " + id + " in account 111122223333, us-east-1", "with its account and Region"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			u := e.undoer(t, tc.env, &logs)
			assumed := e.org.Global().Calls("sts:AssumeRole")
			res, err := u.Undo(context.Background(), tc.req)
			if err != nil || res.Status != undo.StatusRefused {
				t.Fatalf("%+v, %v", res, err)
			}
			for _, want := range tc.reason {
				if !strings.Contains(res.Reason, want) {
					t.Errorf("reason %q does not say %q", res.Reason, want)
				}
			}
			if n := e.org.Global().Calls("sts:AssumeRole") - assumed; n != tc.assumes {
				t.Errorf("%d AssumeRole calls", n)
			}
			if got := e.writes(); !equalWrites(got, before) {
				t.Errorf("writes %v, before the undo %v", got, before)
			}
			if alarm := strings.Contains(logs.String(), `"msg":"`+config.MemberUnreachable+`"`); alarm != tc.alarm {
				t.Errorf("alarm line %v: %s", alarm, logs.String())
			}
		})
	}
}

func equalWrites(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// TestMemberUndoCommandThroughTheAWSCLI: with the undo function deployed
// (VPCGUARD_UNDO_FUNCTION), the repair's undo command is an `aws lambda
// invoke`; run by the AWS CLI (against a Lambda endpoint that hands the
// payload to the undo function's Undoer, as the Lambda runtime does), its
// payload names ml-prod and the endpoint is deleted there.
func TestMemberUndoCommandThroughTheAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not installed")
	}
	e := startOrg(t)
	a := e.repair(t, "5c1f3a2e-7d4b-4c8e-9f60-1a2b3c4d5e01", map[string]string{"VPCGUARD_UNDO_FUNCTION": "vpcguard-undo"})
	id := entryOf(t, a)
	command := a.Detail[remediate.DetailUndo].(map[string]any)["command"].(string)
	want := `aws lambda invoke --region us-east-1 --function-name vpcguard-undo --cli-binary-format raw-in-base64-out --payload '{"action":"` +
		id + `","account":"444455556666","confirm":true}' /dev/stdout`
	if command != want {
		t.Fatalf("undo command\n got %s\nwant %s", command, want)
	}

	u := e.undoer(t, nil, io.Discard)
	var paths []string
	lambda := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Method+" "+r.URL.Path)
		var req undo.Request
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		res, _ := u.Undo(r.Context(), req)
		json.NewEncoder(w).Encode(res)
	}))
	defer lambda.Close()

	// --cli-binary-format is AWS CLI v2's (whose --payload is base64 by
	// default); v1, which .ci/run installs, takes the payload raw and
	// knows no such option.
	run := command
	if out, _ := exec.Command("aws", "--version").CombinedOutput(); strings.HasPrefix(string(out), "aws-cli/1.") {
		run = strings.Replace(run, " --cli-binary-format raw-in-base64-out", "", 1)
	}
	sh := exec.Command("sh", "-c", run)
	sh.Env = append(os.Environ(), "AWS_ENDPOINT_URL_LAMBDA="+lambda.URL, "AWS_ACCESS_KEY_ID="+undoKey, "AWS_PAGER=")
	var stderr bytes.Buffer
	sh.Stderr = &stderr
	out, err := sh.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s\n%s", command, err, out, stderr.String())
	}
	var res undo.Result
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&res); err != nil {
		t.Fatalf("the CLI printed %s: %v", out, err)
	}
	if !slices.Equal(paths, []string{"POST /2015-03-31/functions/vpcguard-undo/invocations"}) ||
		res.Status != undo.StatusReverted || res.ID != id || res.Account != mlProd || res.Region != "us-east-1" {
		t.Fatalf("invocations %v, result %+v", paths, res)
	}
	if w := e.writes(); len(w) != 1 || !slices.Equal(w[mlProd+"/us-east-1"], []string{"CreateVpcEndpoint", "DeleteVpcEndpoints"}) {
		t.Errorf("writes %v", w)
	}
}

// TestUndoerWithoutTargetsActsAtHomeOnly: an Undoer given no Targets
// refuses a request naming another account or Region before any call.
func TestUndoerWithoutTargetsActsAtHomeOnly(t *testing.T) {
	e := newEnv(t, scenario(), "file")
	for _, req := range []undo.Request{
		{Action: "rep-20261126T101500Z-3f9a1c2b", Region: "eu-west-1"},
		{Action: "rep-20261126T101500Z-3f9a1c2b", Account: mlProd},
	} {
		res, err := e.u.Undo(context.Background(), req)
		if err != nil || res.Status != undo.StatusRefused || !strings.Contains(res.Reason, "this undo acts in account 111122223333, us-east-1 only") {
			t.Errorf("%+v: %+v, %v", req, res, err)
		}
	}
	if n := e.sim.Calls("*"); n != 0 {
		t.Errorf("%d calls", n)
	}
}
