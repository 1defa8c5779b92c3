package sweep_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/sweep"
	"github.com/vpcguard/vpcguard/pkg/sweep/sweepsim"
)

// TestMainLocal runs the function's local mode as `go run ./functions/sweep`
// does, through the SDK's default configuration (AWS_ENDPOINT_URL): a
// read-only audit that prints the digest and the JSON summary, publishes
// nothing, writes nothing to the account, and keeps its state in a file.
func TestMainLocal(t *testing.T) {
	sc := sweepsim.Generate(sweepsim.Options{Models: 30, VPCs: 3})
	sc.Topics = []awssim.Topic{{Name: "vpcguard"}}
	sim, url := awssim.Start(t, sc)
	awssim.SetTestEnv(t, url, sweepsim.Region)
	t.Setenv("VPCGUARD_MODE", "remediate") // a local run stays read-only
	t.Setenv("VPCGUARD_TOPIC_ARN", topicARN)
	t.Setenv("VPCGUARD_EVENT_BUS", bus)
	t.Setenv(sweep.EnvConcurrency, "4")
	state := filepath.Join(t.TempDir(), "state.json")

	var stdout, stderr bytes.Buffer
	code := sweep.Main([]string{"-state", state}, os.Getenv, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	out := stdout.String()
	subject, rest, _ := strings.Cut(out, "\n")
	// The generated account has no trail: the health check leads.
	if !strings.HasPrefix(subject, "Subject: [vpcguard] CRITICAL sweep 111122223333 us-east-1: NOT SEEING EVENTS; ") ||
		!strings.HasPrefix(strings.TrimSpace(rest), "VPCGUARD IS NOT SEEING EVENTS (trail-logging failing)") {
		t.Errorf("first lines %q\n%s", subject, rest[:min(len(rest), 300)])
	}
	i := strings.Index(rest, "\n{")
	if i < 0 {
		t.Fatalf("no JSON summary after the digest:\n%s", out)
	}
	var sum sweep.Summary
	if err := json.Unmarshal([]byte(rest[i+1:]), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, rest[i+1:])
	}
	if sum.Mode != "report" || sum.Coverage.ModelsEvaluated != 30 || !sum.Coverage.PassComplete || sum.API.Total == 0 {
		t.Errorf("summary %+v", sum)
	}
	if !strings.HasPrefix(sum.Delivery.Digest, "not sent") || !strings.HasPrefix(sum.Delivery.Events, "not sent") || sum.Delivery.State != "saved to "+state {
		t.Errorf("delivery %+v", sum.Delivery)
	}
	if w := sim.Writes(); len(w) > 0 {
		t.Errorf("a local run wrote %+v", w)
	}
	if b, err := os.ReadFile(state); err != nil || !bytes.Contains(b, []byte(`"previous"`)) {
		t.Errorf("state file: %v %s", err, b)
	}

	// -json -results: only JSON, with every VPC's result.
	stdout.Reset()
	if code := sweep.Main([]string{"-json", "-results", "-state", state}, os.Getenv, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	var withResults struct {
		Changes *sweep.Changes    `json:"changes"`
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &withResults); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if len(withResults.Results) != 3 || withResults.Changes == nil || withResults.Changes.FirstPass {
		t.Errorf("results %d, changes %+v", len(withResults.Results), withResults.Changes)
	}
}

func TestMainBadConfig(t *testing.T) {
	awssim.SetTestEnv(t, "http://127.0.0.1:9", sweepsim.Region)
	t.Setenv(sweep.EnvConcurrency, "0")
	t.Setenv(sweep.EnvReserve, "soon")
	var stdout, stderr bytes.Buffer
	if code := sweep.Main(nil, os.Getenv, &stdout, &stderr); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{sweep.EnvConcurrency, sweep.EnvReserve} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %s:\n%s", want, stderr.String())
		}
	}
	if stdout.Len() > 0 {
		t.Errorf("stdout: %s", stdout.String())
	}
}
