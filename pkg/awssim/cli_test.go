package awssim

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The AWS CLI (botocore, an implementation of its own) reads the health
// check's state from awssim as from AWS. Skipped where aws is not installed.
func TestHealthReadsWithTheAWSCLI(t *testing.T) {
	aws, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI (aws) is not installed")
	}
	srv, url := Start(t, healthScenario())
	SetTestEnv(t, url, srv.Region())
	run := func(args ...string) (map[string]any, string) {
		t.Helper()
		cmd := exec.Command(aws, append(args, "--endpoint-url", url, "--output", "json")...)
		cmd.Env = append(os.Environ(), "AWS_PAGER=", "AWS_RETRY_MODE=standard", "AWS_MAX_ATTEMPTS=1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return nil, strings.TrimSpace(stderr.String())
		}
		var out map[string]any
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stdout.String())
		}
		return out, ""
	}
	path := func(v any, keys ...any) any {
		for _, k := range keys {
			switch k := k.(type) {
			case string:
				m, _ := v.(map[string]any)
				v = m[k]
			case int:
				l, _ := v.([]any)
				if k >= len(l) {
					return nil
				}
				v = l[k]
			}
		}
		return v
	}
	check := func(what string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}

	out, _ := run("cloudtrail", "describe-trails")
	check("trails", len(path(out, "trailList").([]any)), 2)
	check("trail ARN", path(out, "trailList", 0, "TrailARN"), "arn:aws:cloudtrail:us-east-1:111122223333:trail/management")
	check("org trail", path(out, "trailList", 1, "IsOrganizationTrail"), true)
	out, _ = run("cloudtrail", "get-trail-status", "--name", "management")
	check("IsLogging", path(out, "IsLogging"), false)
	out, _ = run("cloudtrail", "get-event-selectors", "--trail-name", "arn:aws:cloudtrail:eu-west-1:999988887777:trail/org")
	check("advanced selector field", path(out, "AdvancedEventSelectors", 0, "FieldSelectors", 0, "Field"), "eventCategory")
	_, stderr := run("cloudtrail", "get-trail-status", "--name", "org")
	check("shadow trail by name", strings.Contains(stderr, "TrailNotFoundException"), true)

	out, _ = run("events", "describe-rule", "--name", "VpcGuard-sweep")
	check("rule state", path(out, "State"), "DISABLED")
	out, _ = run("events", "list-targets-by-rule", "--rule", "VpcGuard-modelguard")
	check("target", path(out, "Targets", 0, "Arn"), "arn:aws:lambda:us-east-1:111122223333:function:VpcGuard-modelguard")
	_, stderr = run("events", "describe-rule", "--name", "gone")
	check("missing rule", strings.Contains(stderr, "ResourceNotFoundException"), true)

	out, _ = run("sns", "list-subscriptions-by-topic", "--topic-arn", "arn:aws:sns:us-east-1:111122223333:vpcguard")
	check("pending subscription", path(out, "Subscriptions", 0, "SubscriptionArn"), "PendingConfirmation")
	check("its endpoint", path(out, "Subscriptions", 0, "Endpoint"), "secops@example.com")

	dlq := "https://sqs.us-east-1.amazonaws.com/111122223333/VpcGuard-DLQ"
	out, _ = run("sqs", "get-queue-attributes", "--queue-url", dlq, "--attribute-names", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
	check("visible", path(out, "Attributes", "ApproximateNumberOfMessages"), "2")
	check("in flight", path(out, "Attributes", "ApproximateNumberOfMessagesNotVisible"), "1")
	_, stderr = run("sqs", "get-queue-attributes", "--queue-url", strings.Replace(dlq, "DLQ", "nope", 1), "--attribute-names", "All")
	check("missing queue", strings.Contains(stderr, "AWS.SimpleQueueService.NonExistentQueue"), true)

	now := time.Now().UTC()
	out, stderr = run("cloudwatch", "get-metric-statistics", "--namespace", "AWS/Lambda", "--metric-name", "Errors",
		"--dimensions", "Name=FunctionName,Value=VpcGuard-modelguard", "--period", "3600", "--statistics", "Sum",
		"--start-time", now.Add(-24*time.Hour).Format(time.RFC3339), "--end-time", now.Format(time.RFC3339))
	if stderr != "" {
		t.Fatalf("cloudwatch get-metric-statistics: %s", stderr)
	}
	sum := 0.0
	for _, d := range path(out, "Datapoints").([]any) {
		sum += path(d, "Sum").(float64)
	}
	check("errors in 24 h", sum, 3.0)
}
