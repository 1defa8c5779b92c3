//go:build e2e

package e2e_test

import (
	"context"
	"encoding/json"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/e2e"
)

// TestBadInput sends input that must not be evaluated to the functions,
// in remediate mode, against an account where scoring-v1 lacks its S3
// endpoint (so that any evaluation that got through would write): each
// ends in a clear error (a handler error: HTTP 200 with errorType) or a
// skipped result that says why, and nothing is written, emailed or sent.
func TestBadInput(t *testing.T) {
	s := session(t, "no-s3-endpoint", map[string]string{"VPCGUARD_MODE": "remediate"}, nil)
	model := createModelEvent(t, s, scModel)

	// A valid event first: the account really would be written to.
	if o := invoke(t, s, "modelguard", model); len(e2e.NonNotifyWrites(o.Writes)) != 1 {
		t.Fatalf("control event wrote %v, want one CreateVpcEndpoint", e2e.WriteOps(o.Writes))
	}
	fresh := session(t, "no-s3-endpoint", map[string]string{"VPCGUARD_MODE": "remediate"}, nil)

	hugePolicy := `{"Version":"2012-10-17","Statement":[` + strings.Repeat(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/*"},`, 2500) +
		`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}` // about 300 KB, over EventBridge's 256 KB
	modify := func(name string, fn func(req, detail map[string]any)) e2e.Event {
		return edit(t, "ec2-ModifyVpcEndpoint-fraud-replace-policy-drops-al-denies.json", name, func(_, detail map[string]any) {
			req := detail["requestParameters"].(map[string]any)["ModifyVpcEndpointRequest"].(map[string]any)
			req["VpcEndpointId"] = "vpce-0e2e0000000000002"
			fn(req, detail)
		})
	}
	raw := func(name, s string) e2e.Event { return e2e.NewEvent(name, []byte(s)) }
	twoRecords := func() e2e.Event {
		var ev map[string]any
		json.Unmarshal(model.Raw, &ev)
		b, _ := json.Marshal(map[string]any{"Records": []any{ev["detail"], ev["detail"]}})
		return e2e.NewEvent("two-records.json", b)
	}

	cases := []struct {
		name     string
		function string
		ev       e2e.Event
		err      string // in errorType or errorMessage; empty: a skipped result is expected
		skipped  string
	}{
		{name: "not JSON", ev: raw("not-json", "hello, vpcguard"), err: "parse event: cloudtrail: not a JSON object: invalid character"},
		{name: "truncated JSON", ev: raw("truncated", string(model.Raw[:len(model.Raw)/2])), err: "parse event: cloudtrail: not a JSON object: unexpected end of JSON input"},
		{name: "JSON but not an object", ev: raw("number", "42"), err: "parse event"},
		{name: "empty object", ev: raw("empty", "{}"), err: "not a CloudTrail record"},
		{name: "null", ev: raw("null", "null"), err: "parse event"},
		{name: "wrong detail-type", ev: raw("ec2-state-change", `{"version":"0","id":"7bf73129-1428-4cd3-a780-95db273d1602","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"111122223333","time":"2025-11-24T09:00:00Z","region":"us-east-1","resources":["arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0"],"detail":{"instance-id":"i-0123456789abcdef0","state":"running"}}`),
			err: `detail-type "EC2 Instance State-change Notification"`},
		{name: "CloudTrail record under another detail-type", ev: edit(t, "sagemaker-CreateModel-fraud-detector-compliant.json", "console-sign-in", func(ev, _ map[string]any) {
			ev["detail-type"] = "AWS Console Sign In via CloudTrail"
		}), err: "detail-type"},
		{name: "API call without eventName", ev: edit(t, "sagemaker-CreateModel-fraud-detector-compliant.json", "no-event-name", func(_, detail map[string]any) {
			delete(detail, "eventName")
		}), err: "no eventName or eventSource"},
		{name: "log file with two records", ev: twoRecords(), err: "want exactly one CloudTrail record"},
		{name: "event over the 6 MB invoke limit", function: "endpointguard",
			ev:  modify("seven-megabytes", func(req, _ map[string]any) { req["PolicyDocument"] = strings.Repeat(" ", 7<<20) + hugePolicy }),
			err: "parse event: cloudtrail: not a JSON object"}, // the emulator cuts the payload at 6 MiB; Lambda itself refuses it

		{name: "failed CreateModel (errorCode)", ev: edit(t, "sagemaker-CreateModel-churn-failed-already-exists.json", "failed-create", func(_, detail map[string]any) {
			detail["requestParameters"].(map[string]any)["modelName"] = scModel
		}), skipped: "the call failed (ValidationException)"},
		{name: "failed ModifyVpcEndpoint with a huge policy (errorCode)", function: "endpointguard", ev: modify("failed-huge-policy", func(req, detail map[string]any) {
			req["PolicyDocument"] = hugePolicy
			detail["errorCode"] = "InvalidPolicyDocument"
			detail["errorMessage"] = "The Policy Document is not valid. The policy is 300000 characters long; the maximum is 20480."
			detail["responseElements"] = nil
		}), skipped: "the call failed (InvalidPolicyDocument)"},
		{name: "event vpcguard does not handle", ev: edit(t, "sagemaker-CreateModel-fraud-detector-compliant.json", "stop-notebook", func(_, detail map[string]any) {
			detail["eventName"] = "StopNotebookInstance"
			detail["requestParameters"] = map[string]any{"notebookInstanceName": "research"}
		}), skipped: "not one vpcguard handles"},
		{name: "DeleteModel with its name hidden", ev: edit(t, "sagemaker-DeleteModel-churn-model-v7.json", "delete-model-hidden", func(_, detail map[string]any) {
			detail["requestParameters"] = map[string]any{"modelName": "HIDDEN_DUE_TO_SECURITY_REASONS"}
		}), skipped: "logged no name or id"},
		{name: "event for the other function", function: "modelguard", ev: modify("modify-to-modelguard", func(map[string]any, map[string]any) {}),
			skipped: "handled by another vpcguard function"},
		{name: "vpcguard's own call", ev: edit(t, "sagemaker-CreateModel-fraud-detector-compliant.json", "own-call", func(_, detail map[string]any) {
			detail["requestParameters"].(map[string]any)["modelName"] = scModel
			ctx := detail["userIdentity"].(map[string]any)["sessionContext"].(map[string]any)["sessionIssuer"].(map[string]any)
			ctx["arn"] = "arn:aws:iam::" + account + ":role/vpcguard-modelguard"
		}), skipped: "made by vpcguard itself"},
		{name: "a repair by modelguard, seen by endpointguard", function: "endpointguard", ev: modify("modelguard-repair", func(_, detail map[string]any) {
			ctx := detail["userIdentity"].(map[string]any)["sessionContext"].(map[string]any)["sessionIssuer"].(map[string]any)
			ctx["arn"] = "arn:aws:iam::" + account + ":role/vpcguard-modelguard"
		}), skipped: "made by vpcguard itself"},
		{name: "call in another region", ev: edit(t, "sagemaker-CreateModel-fraud-detector-compliant.json", "other-region", func(ev, detail map[string]any) {
			detail["requestParameters"].(map[string]any)["modelName"] = scModel
			detail["awsRegion"] = "eu-west-1"
			ev["region"] = "eu-west-1"
		}), skipped: "made in eu-west-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fn := tc.function
			if fn == "" {
				fn = "modelguard"
			}
			o := invoke(t, fresh, fn, tc.ev)
			iv := o.Invocation
			if iv.ErrorType != "" {
				t.Logf("handler error %s: %s", iv.ErrorType, clip(iv.ErrorMessage, 200))
			} else if o.Result != nil {
				t.Logf("skipped: %s", o.Result.Skipped)
			}
			if iv.Status != http.StatusOK {
				t.Errorf("HTTP %d: %s", iv.Status, clip(string(iv.Body), 200))
			}
			if tc.err != "" {
				if iv.ErrorType == "" {
					t.Fatalf("no handler error; response %s", clip(string(iv.Body), 300))
				}
				if !strings.Contains(iv.ErrorType+": "+iv.ErrorMessage, tc.err) {
					t.Errorf("error %s: %s; want it to say %q", iv.ErrorType, clip(iv.ErrorMessage, 300), tc.err)
				}
			} else {
				r := mustResult(t, o)
				if !strings.Contains(r.Skipped, tc.skipped) || len(r.Checks) != 0 || len(r.Actions) != 0 {
					t.Errorf("skipped %q, %d checks, %d actions; want skipped %q", r.Skipped, len(r.Checks), len(r.Actions), tc.skipped)
				}
			}
			wantNothingSent(t, o)
			if o.Calls != 0 {
				t.Errorf("%d AWS calls for input that is not evaluated", o.Calls)
			}
		})
	}
	if w := fresh.Account.Writes(); len(w) != 0 {
		t.Errorf("the account recorded %d writes: %v", len(w), e2e.WriteOps(w))
	}
	// The functions still work after all that.
	if o := invoke(t, fresh, "modelguard", model); o.Err() != nil || len(e2e.NonNotifyWrites(o.Writes)) != 1 {
		t.Errorf("after the bad input: %v, writes %v", o.Err(), e2e.WriteOps(o.Writes))
	}
}

// TestEmulatorLifecycle: one function under the emulator reports its init
// and duration, survives a handler error, and leaves no process behind.
func TestEmulatorLifecycle(t *testing.T) {
	sc, err := scenarios.Load("compliant")
	if err != nil {
		t.Fatal(err)
	}
	r := &e2e.Runner{Bin: bin, SNS: sns}
	s, err := r.Start(e2e.SessionConfig{Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	f, err := s.Function(ctx, "modelguard")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.URL, "http://127.0.0.1:") || !strings.HasPrefix(f.APIAddr, "127.0.0.1:") {
		t.Errorf("not on loopback: %s, %s", f.URL, f.APIAddr)
	}
	bad, err := f.Invoke(ctx, []byte(`{"detail-type":`))
	if err != nil {
		t.Fatal(err)
	}
	if bad.ErrorType == "" || bad.Err() == nil || !bad.Cold || bad.InitMs <= 0 || !strings.HasPrefix(bad.InitReport, "INIT REPORT(") {
		t.Errorf("first invocation: error %q, cold %v, init %.2f (%q)", bad.ErrorType, bad.Cold, bad.InitMs, bad.InitReport)
	}
	good := invoke(t, s, "modelguard", createModelEvent(t, s, scModel))
	iv := good.Invocation
	if good.Err() != nil || iv.Cold || iv.DurationMs <= 0 || iv.MemorySizeMB != 128 || iv.PeakRSSKB <= 0 || len(iv.Logs) == 0 {
		t.Errorf("second invocation: %v, cold %v, duration %.2f, memory %d MB, peak RSS %d KB, %d log lines (%q)",
			good.Err(), iv.Cold, iv.DurationMs, iv.MemorySizeMB, iv.PeakRSSKB, len(iv.Logs), iv.Report)
	}
	for _, line := range iv.Logs {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) != nil || entry["level"] == nil {
			t.Errorf("function log line is not Lambda's JSON log format: %s", line)
		}
	}
	pids := processTree(f)
	if len(pids) < 2 {
		t.Fatalf("processes %v: want the emulator and the bootstrap", pids)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for _, pid := range pids {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if alive(pid) {
			t.Errorf("process %d still runs after Close", pid)
		}
	}
}

// processTree is the emulator's pid and its children's.
func processTree(f *e2e.Function) []int {
	pid := f.PID()
	return append([]int{pid}, e2e.ChildPIDs(pid)...)
}

func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if p.Signal(syscall.Signal(0)) != nil {
		return false
	}
	// A zombie is gone for our purposes.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !strings.Contains(string(b), ") Z ")
}
