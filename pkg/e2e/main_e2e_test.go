//go:build e2e

package e2e_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/e2e"
	"github.com/vpcguard/vpcguard/pkg/notify"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// One build and one goaws for the whole run: the bootstraps and the
// emulator are built once into a temporary directory (the emulator is found
// or installed in .tools/), and every test starts its own simulated
// account and emulators.
var (
	root string
	bin  *e2e.Binaries
	sns  *e2e.SNS
)

const (
	account = "111122223333"
	region  = "us-east-1"
	bus     = "vpcguard"
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var err error
	if root, err = e2e.FindRoot(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "vpcguard-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	functions := append(slices.Clone(e2e.Guards), e2e.UndoFunction)
	if bin, err = e2e.Build(ctx, e2e.BuildOptions{Root: root, Dir: tmp, Functions: functions, Log: os.Stderr}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: built %s and aws-lambda-rie in %s\n", strings.Join(bin.Functions(), ", "), bin.BuildTime.Round(time.Millisecond))
	if sns, err = e2e.StartSNS(ctx, account, region); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer sns.Close()
	return m.Run()
}

// session starts a fresh account for scenario (mutated by mutate, if
// given) with the functions' environment overridden by env.
func session(t *testing.T, scenario string, env map[string]string, mutate func(*awssim.Scenario)) *e2e.Session {
	t.Helper()
	return sessionWith(t, scenario, e2e.SessionConfig{Env: env}, mutate)
}

// sessionWith is session with the whole configuration (its Scenario is
// the named one).
func sessionWith(t *testing.T, scenario string, cfg e2e.SessionConfig, mutate func(*awssim.Scenario)) *e2e.Session {
	t.Helper()
	sc, err := scenarios.Load(scenario)
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(sc)
	}
	log := &syncWriter{b: &strings.Builder{}}
	r := &e2e.Runner{Bin: bin, SNS: sns, Log: log}
	cfg.Scenario = sc
	s, err := r.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if t.Failed() {
			t.Logf("emulator and function output:\n%s", log.String())
		}
	})
	return s
}

// replay replays ev and fails the test on a harness error (not on a
// handler error: see Outcome.Err).
func replay(t *testing.T, s *e2e.Session, ev e2e.Event) *e2e.Outcome {
	t.Helper()
	o, err := s.Replay(context.Background(), ev)
	if err != nil {
		t.Fatalf("%s: %v", ev.File, err)
	}
	return o
}

// invoke sends ev to function name without enacting it.
func invoke(t *testing.T, s *e2e.Session, name string, ev e2e.Event) *e2e.Outcome {
	t.Helper()
	o, err := s.Invoke(context.Background(), name, ev)
	if err != nil {
		t.Fatalf("%s: %v", ev.File, err)
	}
	return o
}

// eventFile reads one file of events/.
func eventFile(t *testing.T, name string) e2e.Event {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return e2e.NewEvent(name, raw)
}

// edit decodes an events/ file, lets fn change it and encodes it again
// as a new event called name.
func edit(t *testing.T, template, name string, fn func(ev, detail map[string]any)) e2e.Event {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(eventFile(t, template).Raw, &ev); err != nil {
		t.Fatal(err)
	}
	detail := ev["detail"].(map[string]any)
	ev["id"] = fakeUUID("envelope " + name)
	detail["eventID"] = fakeUUID("event " + name)
	fn(ev, detail)
	raw, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return e2e.NewEvent(name, raw)
}

// createModelEvent is a CloudTrail CreateModel of the scenario's model,
// shaped like events/sagemaker-CreateModel-fraud-detector-compliant.json.
func createModelEvent(t *testing.T, s *e2e.Session, model string) e2e.Event {
	t.Helper()
	return edit(t, "sagemaker-CreateModel-fraud-detector-compliant.json", "CreateModel-"+model+".json", func(ev, detail map[string]any) {
		req := detail["requestParameters"].(map[string]any)
		req["modelName"] = model
		req["primaryContainer"].(map[string]any)["modelDataUrl"] = "s3://ml-artifacts-" + account + "/" + model + "/model.tar.gz"
		detail["responseElements"] = map[string]any{"modelArn": "arn:aws:sagemaker:" + region + ":" + account + ":model/" + model}
	})
}

func fakeUUID(seed string) string {
	h := sha256.Sum256([]byte(seed))
	x := fmt.Sprintf("%x", h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// mustResult fails the test unless the invocation returned a result.
func mustResult(t *testing.T, o *e2e.Outcome) *report.Result {
	t.Helper()
	if err := o.Err(); err != nil {
		t.Fatalf("%s: %v", o.Event.File, err)
	}
	return o.Result
}

// wantStatuses compares every check's status with want; checks absent
// from want must pass (or be absent from the result too).
func wantStatuses(t *testing.T, r *report.Result, want map[string]report.Status) {
	t.Helper()
	got := e2e.Statuses(r)
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s = %q, want %q: %s", id, got[id], w, message(r, id))
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok && g != report.StatusPass {
			t.Errorf("%s = %q, want pass: %s", id, g, message(r, id))
		}
	}
}

func message(r *report.Result, id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Message
		}
	}
	return "(absent)"
}

func remediation(r *report.Result, id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Remediation
		}
	}
	return "(absent)"
}

// wantActions compares the actions as "id:status" items, in order.
func wantActions(t *testing.T, r *report.Result, want ...string) {
	t.Helper()
	if got := e2e.ActionSummary(r); !slices.Equal(got, want) {
		t.Errorf("actions = %v, want %v%s", got, want, actionReasons(r))
	}
}

func actionReasons(r *report.Result) string {
	var b strings.Builder
	for _, a := range r.Actions {
		if why, ok := a.Detail["reason"]; ok {
			fmt.Fprintf(&b, "\n  %s: %v", a.ID, why)
		}
	}
	return b.String()
}

func action(t *testing.T, r *report.Result, id string) report.Action {
	t.Helper()
	for _, a := range r.Actions {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no action %s in %v", id, e2e.ActionSummary(r))
	return report.Action{}
}

// wantWrites compares the writes vpcguard made to the account, notifications
// left out, as "service:Operation" items.
func wantWrites(t *testing.T, o *e2e.Outcome, want ...string) []awssim.Write {
	t.Helper()
	ws := e2e.NonNotifyWrites(o.Writes)
	if got := e2e.WriteOps(ws); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("writes = %v, want %v", got, want)
	}
	return ws
}

// wantNotified checks what reached goaws's queue and the account's event
// bus against what pkg/notify renders for the returned result: one email
// when the result deserves one, and one EventBridge entry per failing check
// and per action.
func wantNotified(t *testing.T, o *e2e.Outcome, notifyCompliant bool) {
	t.Helper()
	r := o.Result
	if r == nil || !notify.ShouldNotify(*r, notifyCompliant) {
		if len(o.Deliveries) != 0 || len(o.Events) != 0 {
			t.Errorf("no notification expected, got %d emails and %d events", len(o.Deliveries), len(o.Events))
		}
		return
	}
	want := notify.RenderEmail(*r)
	if len(o.Deliveries) != 1 {
		t.Fatalf("%d emails arrived in %s, want 1", len(o.Deliveries), e2e.QueueName)
	}
	d := o.Deliveries[0]
	if d.TopicARN != sns.TopicARN || d.Subject != want.Subject || d.Message != want.Body {
		t.Errorf("email: topic %q subject %q (want %q), body as rendered: %v", d.TopicARN, d.Subject, want.Subject, d.Message == want.Body)
	}
	for name, v := range want.Attributes {
		if got, w := d.Attributes[name], aws.ToString(v.DataType)+" "+aws.ToString(v.StringValue); got != w {
			t.Errorf("email attribute %s = %q, want %q", name, got, w)
		}
	}
	entries, err := notify.Entries(*r, bus)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Events) != len(entries) {
		t.Fatalf("%d EventBridge entries accepted, want %d", len(o.Events), len(entries))
	}
	for i, e := range entries {
		got := o.Events[i]
		if got.EventBusName != bus || got.Source != aws.ToString(e.Source) || got.DetailType != aws.ToString(e.DetailType) || got.Detail != aws.ToString(e.Detail) {
			t.Errorf("EventBridge entry %d = %s %s %s on %s, want %s %s", i, got.Source, got.DetailType, clip(got.Detail, 80), got.EventBusName,
				aws.ToString(e.Source), aws.ToString(e.DetailType))
		}
	}
}

// wantNothingSent checks that no email, no event and no write came of o.
func wantNothingSent(t *testing.T, o *e2e.Outcome) {
	t.Helper()
	if len(o.Writes) != 0 || len(o.Deliveries) != 0 || len(o.Events) != 0 {
		t.Errorf("writes %v, %d emails, %d events: want none", e2e.WriteOps(o.Writes), len(o.Deliveries), len(o.Events))
	}
}

// param reads a decoded query parameter of a write ("VpcId",
// "RouteTableId" for the list RouteTableId.N).
func param(w awssim.Write, name string) any {
	return w.Params[name]
}

// strs reads a list parameter as strings.
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		sort.Strings(out)
		return out
	case []string:
		return x
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// syncWriter collects the emulators' output lines from several goroutines.
type syncWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
