package health_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/health"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// broken is an account where every item fails.
func broken() *awssim.Scenario {
	fn := "arn:aws:lambda:us-east-1:111122223333:function:"
	return &awssim.Scenario{
		Account: "111122223333", Region: "us-east-1",
		Trails: []awssim.Trail{
			{Name: "stopped", Logging: awssim.Ptr(false)},
			{Name: "reads", EventSelectors: json.RawMessage(`[{"ReadWriteType":"ReadOnly","IncludeManagementEvents":true}]`)},
			{Name: "data", AdvancedEventSelectors: json.RawMessage(`[{"Name":"S3 objects","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]}]`)},
		},
		Rules: []awssim.EventRule{
			{Name: "VpcGuard-modelguard", State: "DISABLED", EventPattern: `{"source":["aws.sagemaker"]}`, Targets: []awssim.EventTarget{{ID: "t", ARN: fn + "VpcGuard-modelguard"}}},
			{Name: "VpcGuard-endpointguard", EventPattern: `{"source":["aws.ec2"]}`, Targets: []awssim.EventTarget{{ID: "t", ARN: fn + "someone-else"}}},
			// Organization mode's central bus: the same names, another bus.
			{Name: "VpcGuard-modelguard", EventBus: "vpcguard", State: "DISABLED", EventPattern: `{"source":["aws.sagemaker"]}`, Targets: []awssim.EventTarget{{ID: "t", ARN: fn + "VpcGuard-modelguard"}}},
			{Name: "VpcGuard-endpointguard", EventBus: "vpcguard", EventPattern: `{"source":["aws.ec2"]}`, Targets: []awssim.EventTarget{{ID: "t", ARN: fn + "VpcGuard-endpointguard"}}},
		},
		EventBuses: []string{"vpcguard"},
		Topics:     []awssim.Topic{{Name: "vpcguard", Subscriptions: []awssim.Subscription{{Endpoint: "secops@example.com", Pending: true}}}},
		Queues:     []awssim.Queue{{Name: "VpcGuard-DLQ", Messages: 4}},
		Metrics: []awssim.Metric{
			{Name: "Errors", Dimensions: map[string]string{"FunctionName": "VpcGuard-modelguard"}, Datapoints: []awssim.MetricPoint{{Ago: awssim.Duration(2 * time.Hour), Value: 3}}},
			{Name: "Throttles", Dimensions: map[string]string{"FunctionName": "VpcGuard-endpointguard"}, Datapoints: []awssim.MetricPoint{{Ago: awssim.Duration(5 * time.Hour), Value: 1}}},
			{Name: "Invocations", Dimensions: map[string]string{"FunctionName": "VpcGuard-modelguard"}, Datapoints: []awssim.MetricPoint{{Ago: awssim.Duration(2 * time.Hour), Value: 9}}},
		},
	}
}

func targets() health.Targets {
	return health.Targets{Region: "us-east-1", Account: "111122223333", TopicARN: "arn:aws:sns:us-east-1:111122223333:vpcguard", Health: config.Health{
		Rules: []config.RuleRef{
			{Name: "VpcGuard-modelguard", Function: "VpcGuard-modelguard"}, {Name: "VpcGuard-endpointguard", Function: "VpcGuard-endpointguard"},
			{Name: "VpcGuard-sweep", Function: "VpcGuard-sweep"},
			{Bus: "vpcguard", Name: "VpcGuard-modelguard", Function: "VpcGuard-modelguard"},
			{Bus: "vpcguard", Name: "VpcGuard-endpointguard", Function: "VpcGuard-endpointguard"},
		},
		Functions: []string{"VpcGuard-modelguard", "VpcGuard-endpointguard"},
		DLQURL:    "https://sqs.us-east-1.amazonaws.com/111122223333/VpcGuard-DLQ",
	}}
}

func check(t *testing.T, sc *awssim.Scenario) (health.Report, string) {
	t.Helper()
	srv, url := awssim.Start(t, sc)
	cfg := awssim.TestConfig(url, srv.Region())
	c := &health.Checker{Readers: health.ReadersFrom(cfg, eventbridge.NewFromConfig(cfg), sns.NewFromConfig(cfg)), Targets: targets()}
	r := c.Check(context.Background())
	if n := len(srv.Writes()); n != 0 {
		t.Errorf("the health check wrote %d times", n)
	}
	return r, url
}

// Through the real SDK clients against the simulated account: every item
// fails, each with what is wrong.
func TestCheckBrokenAccount(t *testing.T) {
	r, _ := check(t, broken())
	if r.Status != report.StatusFail || !r.NotSeeingEvents || r.Severity != report.SeverityCritical {
		t.Fatalf("report %s %v %s", r.Status, r.NotSeeingEvents, r.Severity)
	}
	want := map[string][]string{
		health.ItemTrail: {"trail stopped (home Region us-east-1) is stopped", "trail reads (home Region us-east-1) does not log the management write events of sagemaker.amazonaws.com, ec2.amazonaws.com and autoscaling.amazonaws.com",
			"trail data (home Region us-east-1) does not log"},
		health.ItemRules: {"rule VpcGuard-modelguard is disabled", "rule VpcGuard-endpointguard does not target VpcGuard-endpointguard (targets arn:aws:lambda:us-east-1:111122223333:function:someone-else",
			"rule VpcGuard-sweep does not exist on the default bus", "rule VpcGuard-modelguard on bus vpcguard is disabled"},
		health.ItemSubscription:   {"Confirm the email AWS sent to secops@example.com"},
		health.ItemDeadLetters:    {"4 event(s) were not evaluated"},
		health.ItemFunctionErrors: {"VpcGuard-modelguard failed 3 time(s)", "VpcGuard-endpointguard was throttled 1 time(s)"},
		health.ItemLastRun:        {"VpcGuard-modelguard last ran in the hour from", "VpcGuard-endpointguard has not run in 14 days"},
	}
	if fix := item(r, health.ItemRules).Fix; !strings.Contains(fix, "aws events enable-rule --region us-east-1 --name VpcGuard-modelguard && ") ||
		!strings.Contains(fix, "aws events enable-rule --region us-east-1 --name VpcGuard-modelguard --event-bus-name vpcguard") {
		t.Errorf("rules fix: %s", fix)
	}
	for _, it := range r.Items {
		wantStatus := report.StatusFail
		if it.ID == health.ItemLastRun {
			wantStatus = report.StatusPass
		}
		if it.Status != wantStatus {
			t.Errorf("%s: %s: %s", it.ID, it.Status, it.Message)
		}
		for _, w := range want[it.ID] {
			if !strings.Contains(it.Message, w) {
				t.Errorf("%s lacks %q:\n%s", it.ID, w, it.Message)
			}
		}
	}
}

// The fixes are commands the AWS CLI accepts: each is sent, and the
// simulated account (which does not serve these writes) answers it, so
// the CLI parsed and validated every parameter. Skipped without aws.
func TestFixesAreValidAWSCLICommands(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not installed")
	}
	r, url := check(t, broken())
	awssim.SetTestEnv(t, url, "us-east-1")
	type run struct{ id, cmd string }
	var runs []run
	tried := map[string]bool{}
	for _, it := range r.Failing() {
		for _, cmd := range strings.Split(it.Fix, " && ") {
			if !strings.HasPrefix(cmd, "aws ") || strings.Contains(cmd, "$(") {
				continue // make deploy; a command substitution
			}
			op := strings.Join(strings.Fields(cmd)[1:3], " ")
			if strings.Contains(cmd, " --event-bus-name ") {
				op += " --event-bus-name"
			}
			if !tried[op] {
				tried[op] = true
				runs = append(runs, run{it.ID, cmd})
			}
		}
	}
	// A few at a time: each is a Python start.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, ru := range runs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c := exec.Command("bash", "-c", ru.cmd+" --endpoint-url "+url)
			c.Env = append(os.Environ(), "AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard", "AWS_PAGER=")
			out, _ := c.CombinedOutput()
			if !strings.Contains(string(out), "An error occurred (") && !strings.HasPrefix(strings.TrimSpace(string(out)), "{") {
				t.Errorf("%s: the CLI did not send it:\n%s\n%s", ru.id, ru.cmd, out)
			}
			if strings.Contains(string(out), "Parameter validation failed") || strings.Contains(string(out), "Invalid JSON") {
				t.Errorf("%s: %s\n%s", ru.id, ru.cmd, out)
			}
		})
	}
	wg.Wait()
	for _, op := range []string{"cloudtrail start-logging", "cloudtrail put-event-selectors", "events enable-rule", "events enable-rule --event-bus-name", "sns subscribe", "sqs receive-message", "lambda get-function-concurrency"} {
		if !tried[op] {
			t.Errorf("no fix ran aws %s (tried %v)", op, tried)
		}
	}

	// The selectors the fixes write are accepted as they are: both kinds.
	for _, sel := range []string{
		`--event-selectors '[{"ReadWriteType":"ReadOnly","IncludeManagementEvents":true},{"ReadWriteType":"WriteOnly","IncludeManagementEvents":true}]'`,
		`--advanced-event-selectors '[{"Name":"S3 objects","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]},{"Name":"Management write events (vpcguard)","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]}]}]'`,
	} {
		if !strings.Contains(item(r, health.ItemTrail).Fix, sel) {
			t.Errorf("trail fix lacks %s:\n%s", sel, item(r, health.ItemTrail).Fix)
		}
	}
}

func item(r health.Report, id string) health.Item {
	for _, it := range r.Items {
		if it.ID == id {
			return it
		}
	}
	return health.Item{}
}
