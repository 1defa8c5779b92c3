package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
)

var modelKinds = []cloudtrail.Kind{cloudtrail.KindCreateModel, cloudtrail.KindCreateEndpointConfig, cloudtrail.KindCreateEndpoint}

// handler builds the real handler from a hermetic environment pointing the
// SDK's default configuration at a simulated account.
func handler(t *testing.T, env map[string]string) (*awssim.Server, func(string) string) {
	t.Helper()
	sc, err := scenarios.Load("demo")
	if err != nil {
		t.Fatal(err)
	}
	srv, url := awssim.Start(t, sc)
	awssim.SetTestEnv(t, url, "us-east-1")
	return srv, func(k string) string { return env[k] }
}

func TestRunOnceReportsAndPrintsOnlyJSON(t *testing.T) {
	srv, getenv := handler(t, map[string]string{"VPCGUARD_MODE": "report"})
	var logs bytes.Buffer
	h, err := NewHandler(context.Background(), getenv, NewLogger(&logs, "INFO"), modelKinds)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := runOnce(context.Background(), h, "../../events/sagemaker-CreateModel-churn-no-s3-endpoint.json", nil, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var res report.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("stdout is not the result JSON: %v\n%s", err, out.String())
	}
	if res.Mode != report.ModeReport || res.Resource.ID != "churn-model-v7" || len(res.Checks) != len(checks.Catalogue()) {
		t.Errorf("result = %+v", res)
	}
	if len(res.Actions) != 1 || res.Actions[0].ID != report.ActionCreateS3GatewayEndpoint || res.Actions[0].Status != report.ActionPlanned {
		t.Errorf("actions = %+v", res.Actions)
	}
	if n := len(srv.Writes()); n != 0 {
		t.Errorf("report mode wrote %d times", n)
	}
	if !strings.Contains(logs.String(), `"level":"INFO"`) || !strings.Contains(logs.String(), `"message":"evaluated"`) {
		t.Errorf("logs are not Lambda-shaped JSON: %s", logs.String())
	}
}

func TestRunOnceRejectsBadInput(t *testing.T) {
	_, getenv := handler(t, nil)
	h, err := NewHandler(context.Background(), getenv, NewLogger(&bytes.Buffer{}, ""), modelKinds)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, body := range map[string]string{
		"malformed":    `{"detail-type": "AWS API Call via CloudTrail", "detail": {`,
		"wrong-type":   `{"version":"0","id":"1","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{"state":"running"}}`,
		"not-an-event": `[1, 2, 3]`,
	} {
		t.Run(name, func(t *testing.T) {
			path := dir + "/" + name + ".json"
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			if code := runOnce(context.Background(), h, path, nil, &out, &errOut); code != exitBadEvent {
				t.Errorf("exit %d, want %d", code, exitBadEvent)
			}
			if out.Len() != 0 || !strings.Contains(errOut.String(), "parse event") {
				t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
			}
		})
	}
	var out, errOut bytes.Buffer
	if code := runOnce(context.Background(), h, dir+"/missing.json", nil, &out, &errOut); code != exitBadEvent {
		t.Errorf("a missing file exits %d", code)
	}
}

func TestRunOnceReadsStdin(t *testing.T) {
	_, getenv := handler(t, nil)
	h, err := NewHandler(context.Background(), getenv, NewLogger(&bytes.Buffer{}, ""), modelKinds)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../../events/ec2-ModifyVpcEndpoint-fraud-remove-route-table.json")
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := runOnce(context.Background(), h, "-", bytes.NewReader(raw), &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var res report.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Skipped, "handled by another vpcguard function") || len(res.Checks) != 0 {
		t.Errorf("an EC2 event given to modelguard: skipped %q, %d checks", res.Skipped, len(res.Checks))
	}
}

func TestBadConfigurationStopsStartUp(t *testing.T) {
	_, getenv := handler(t, map[string]string{"VPCGUARD_MODE": "fix", "VPCGUARD_EXPECTED_INSTANCES": "many"})
	_, err := NewHandler(context.Background(), getenv, NewLogger(&bytes.Buffer{}, ""), modelKinds)
	if err == nil || !strings.Contains(err.Error(), "VPCGUARD_MODE") || !strings.Contains(err.Error(), "VPCGUARD_EXPECTED_INSTANCES") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoggerLevels(t *testing.T) {
	for level, wantDebug := range map[string]bool{"DEBUG": true, "TRACE": true, "INFO": false, "": false, "ERROR": false} {
		var buf bytes.Buffer
		log := NewLogger(&buf, level)
		log.Debug("d")
		log.Error("e")
		if got := strings.Contains(buf.String(), `"message":"d"`); got != wantDebug {
			t.Errorf("level %q: debug logged = %v", level, got)
		}
		if !strings.Contains(buf.String(), `"message":"e"`) {
			t.Errorf("level %q: error not logged", level)
		}
	}
}

func TestPartitionOf(t *testing.T) {
	for region, want := range map[string]string{"us-east-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov", "eu-west-3": "aws"} {
		if got := partitionOf(region); got != want {
			t.Errorf("partitionOf(%s) = %s, want %s", region, got, want)
		}
	}
}
