package undo_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/undo"
)

// TestLocalCommand runs `undo` as a person does: -list, then -action, with
// the ledger file and the SDK's standard variables pointing at awssim.
func TestLocalCommand(t *testing.T) {
	sim, url := awssim.Start(t, scenario(awssim.VPCEndpoint{ID: "vpce-0a1", VPC: "vpc-1", RouteTables: []string{"rtb-a", "rtb-main", "rtb-c"}}))
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": url, "AWS_REGION": region, "AWS_ACCESS_KEY_ID": awssim.TestAccessKeyID, "AWS_SECRET_ACCESS_KEY": awssim.TestSecretAccessKey,
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	path := filepath.Join(t.TempDir(), "ledger.json")
	f, err := ledger.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"VPCGUARD_LEDGER_FILE": path}
	getenv := func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := undo.Main(args, getenv, &out, &errOut)
		return code, out.String(), errOut.String()
	}

	if code, _, stderr := run(); code != 2 || !strings.Contains(stderr, "usage: undo -action ID") {
		t.Errorf("no arguments: exit %d, %q", code, stderr)
	}
	if code, out, _ := run("-list"); code != 0 || out != "" {
		t.Errorf("empty ledger: exit %d, %q", code, out)
	}

	// A repair, recorded in the file by the event functions' executor.
	id := entryOf(t, envAt(t, sim, url, f, "file").event(t, "churn")[0])

	code, out, stderr := run("-list")
	if code != 0 {
		t.Fatalf("-list: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("-list printed %d lines:\n%s", len(lines), out)
	}
	var item map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &item); err != nil {
		t.Fatalf("-list line is not one JSON object: %v\n%s", err, lines[0])
	}
	for _, k := range []string{"id", "action", "status", "resources", "event", "time"} {
		if _, ok := item[k]; !ok {
			t.Errorf("-list line lacks %q: %s", k, lines[0])
		}
	}
	if item["id"] != id || item["action"] != "add-al-repo-deny" || item["status"] != "applied" ||
		item["undo"] != "VPCGUARD_LEDGER_FILE="+path+" AWS_REGION=us-east-1 undo -action "+id {
		t.Errorf("-list line %s", lines[0])
	}

	if code, out, _ := run("-action", "rep-20261126T101500Z-00000000"); code != 3 || !strings.Contains(out, `"status": "refused"`) {
		t.Errorf("unknown id: exit %d\n%s", code, out)
	}
	code, out, stderr = run("-action", id)
	if code != 0 {
		t.Fatalf("-action: exit %d: %s\n%s", code, stderr, out)
	}
	var res undo.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Status != undo.StatusReverted || res.ID != id || res.Ledger != "file "+path {
		t.Fatalf("result %+v, %v", res, err)
	}
	if _, out, _ := run("-list"); !strings.Contains(out, `"status":"reverted"`) || strings.Contains(out, `"undo":`) {
		t.Errorf("-list after the undo: %s", out)
	}
	vars["VPCGUARD_LEDGER_FILE"] = ""
	if code, out, _ := run("-action", id); code != 2 || !strings.Contains(out, "no ledger is kept") {
		t.Errorf("without a ledger: exit %d\n%s", code, out)
	}
}
