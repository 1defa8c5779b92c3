package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/vpcguard/vpcguard/pkg/report"
)

// wireEntry is a PutEvents request entry as the SDK sends it (JSON 1.1).
type wireEntry struct {
	Source, DetailType, Detail, EventBusName string
	Time                                     float64
	Resources                                []string
}

// fakeEventBridge speaks PutEvents (awsJson1.1). reject decides, per call
// and entry, an error code for the entry ("" accepts it); status, when set,
// fails whole calls with that HTTP status.
type fakeEventBridge struct {
	t      *testing.T
	reject func(call int, e wireEntry) string
	status func(call int) int

	mu    sync.Mutex
	calls [][]wireEntry
}

func (f *fakeEventBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("X-Amz-Target"); got != "AWSEvents.PutEvents" {
		f.t.Errorf("X-Amz-Target %q", got)
	}
	if got := r.Header.Get("Content-Type"); got != "application/x-amz-json-1.1" {
		f.t.Errorf("Content-Type %q", got)
	}
	var in struct{ Entries []wireEntry }
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &in); err != nil {
		f.t.Errorf("request body: %v", err)
	}
	f.mu.Lock()
	call := len(f.calls)
	f.calls = append(f.calls, in.Entries)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if f.status != nil && f.status(call) != 0 {
		w.WriteHeader(f.status(call))
		io.WriteString(w, `{"__type":"InternalException","message":"An internal error occurred"}`)
		return
	}
	type result struct {
		EventId      string `json:",omitempty"`
		ErrorCode    string `json:",omitempty"`
		ErrorMessage string `json:",omitempty"`
	}
	out := struct {
		FailedEntryCount int
		Entries          []result
	}{}
	for i, e := range in.Entries {
		if code := f.reject(call, e); code != "" {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, result{ErrorCode: code, ErrorMessage: "entry " + code})
			continue
		}
		out.Entries = append(out.Entries, result{EventId: fmt.Sprintf("11111111-2222-3333-4444-%012d", call*100+i)})
	}
	json.NewEncoder(w).Encode(out)
}

func (f *fakeEventBridge) sizes() []int {
	var out []int
	for _, c := range f.calls {
		out = append(out, len(c))
	}
	return out
}

// twentyThree is a result with 20 failing checks and 3 actions: 23 entries.
func twentyThree() report.Result {
	r := missingEndpointRepaired()
	for i := range 19 {
		r.Checks = append(r.Checks, report.Check{
			ID: fmt.Sprintf("synthetic-%02d", i), Status: report.StatusFail, Severity: report.SeverityMedium,
			Resources: []string{vpcID}, Message: fmt.Sprintf("synthetic failure %d", i),
		})
	}
	a := r.Actions[0]
	r.Actions = append(r.Actions, a, a)
	return r
}

func eventsNotifier(t *testing.T, f *fakeEventBridge) (Notifier, *bytes.Buffer) {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := eventbridge.NewFromConfig(hermeticConfig(t), func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	var logs bytes.Buffer
	return Notifier{Events: client, EventBus: "vpcguard-findings", Log: slog.New(slog.NewJSONHandler(&logs, nil))}, &logs
}

func detailOf(t *testing.T, e wireEntry) map[string]any {
	var d map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
		t.Fatalf("detail: %v", err)
	}
	return d
}

func TestPutEventsBatches(t *testing.T) {
	f := &fakeEventBridge{t: t, reject: func(int, wireEntry) string { return "" }}
	n, _ := eventsNotifier(t, f)
	r := twentyThree()
	if err := n.Notify(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(f.sizes()); got != "[10 10 3]" {
		t.Fatalf("calls of %s entries, want [10 10 3]", got)
	}
	var all []wireEntry
	for _, c := range f.calls {
		all = append(all, c...)
	}
	for i, e := range all {
		wantType := DetailTypeFinding
		if i >= 20 {
			wantType = DetailTypeRemediation
		}
		if e.Source != "vpcguard" || e.DetailType != wantType || e.EventBusName != "vpcguard-findings" || e.Time != 1794474843 {
			t.Errorf("entry %d: %+v", i, e)
		}
		d := detailOf(t, e)
		if d["mode"] != "remediate" || d["event"].(map[string]any)["name"] != "CreateModel" || d["resource"].(map[string]any)["id"] != "fraud-v3" {
			t.Errorf("entry %d detail %v", i, d)
		}
	}
	first := detailOf(t, all[0])["check"].(map[string]any)
	if first["id"] != "s3-endpoint-present" || first["status"] != "fail" || first["title"] != "VPC has an S3 gateway endpoint" || first["guideline"] == "" {
		t.Errorf("first finding %v", first)
	}
	action := detailOf(t, all[20])["action"].(map[string]any)
	if action["id"] != report.ActionCreateS3GatewayEndpoint || action["status"] != "applied" || action["detail"].(map[string]any)["new_policy"] != guideMergedPolicy {
		t.Errorf("remediation %v", action)
	}
}

// TestPutEventsPartialFailure: entries EventBridge rejects are sent once
// more, alone.
func TestPutEventsPartialFailure(t *testing.T) {
	f := &fakeEventBridge{t: t, reject: func(call int, e wireEntry) string {
		if call == 0 && (strings.Contains(e.Detail, "synthetic failure 3\"") || strings.Contains(e.Detail, "synthetic failure 7\"")) {
			return "ThrottlingException"
		}
		return ""
	}}
	n, logs := eventsNotifier(t, f)
	if err := n.Notify(context.Background(), twentyThree()); err != nil {
		t.Fatalf("Notify: %v\n%s", err, logs)
	}
	if got := fmt.Sprint(f.sizes()); got != "[10 10 3 2]" {
		t.Fatalf("calls of %s entries, want [10 10 3 2]", got)
	}
	for _, e := range f.calls[3] {
		if m := detailOf(t, e)["check"].(map[string]any)["message"]; m != "synthetic failure 3" && m != "synthetic failure 7" {
			t.Errorf("retried %v", m)
		}
	}
	if !strings.Contains(logs.String(), "retrying them once") {
		t.Errorf("no log of the retry:\n%s", logs)
	}
}

// TestPutEventsPersistentFailure: an entry rejected twice is logged and
// makes Notify fail (so that Lambda retries the event).
func TestPutEventsPersistentFailure(t *testing.T) {
	f := &fakeEventBridge{t: t, reject: func(call int, e wireEntry) string {
		if strings.Contains(e.Detail, `"synthetic failure 11"`) {
			return "InternalFailure"
		}
		return ""
	}}
	n, logs := eventsNotifier(t, f)
	err := n.Notify(context.Background(), twentyThree())
	if err == nil || !strings.Contains(err.Error(), "rejected 1 of 23 entries") || !strings.Contains(err.Error(), "InternalFailure x1") {
		t.Fatalf("Notify error %v", err)
	}
	if got := fmt.Sprint(f.sizes()); got != "[10 10 3 1]" {
		t.Errorf("calls of %s entries, want [10 10 3 1] (one retry, of the failed entry only)", got)
	}
	var line map[string]any
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, "not delivered") {
			json.Unmarshal([]byte(l), &line)
		}
	}
	if line["level"] != "ERROR" || line["entry"] != "finding synthetic-11" || line["error_code"] != "InternalFailure" {
		t.Errorf("log line %v in\n%s", line, logs)
	}
}

// TestPutEventsCallFails: a call that fails as a whole (after the SDK's
// retries) is an error.
func TestPutEventsCallFails(t *testing.T) {
	f := &fakeEventBridge{t: t, reject: func(int, wireEntry) string { return "" }, status: func(int) int { return 500 }}
	n, _ := eventsNotifier(t, f)
	err := n.Notify(context.Background(), noVPC())
	if err == nil || !strings.Contains(err.Error(), "InternalException") {
		t.Fatalf("Notify error %v", err)
	}
	if len(f.calls) != 3 {
		t.Errorf("%d calls, want 3 (the SDK's attempts)", len(f.calls))
	}
}
