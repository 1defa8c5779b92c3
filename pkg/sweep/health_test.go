package sweep_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/health"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/sweep"
	"github.com/vpcguard/vpcguard/pkg/sweep/sweepsim"
)

const dlqURL = "https://sqs.us-east-1.amazonaws.com/111122223333/VpcGuard-DeadLetterQueue"

// deployed is a generated account with vpcguard deployed as the stack
// deploys it, its trail stopped unless logging.
func deployed(logging bool) *awssim.Scenario {
	sc := sweepsim.Generate(sweepsim.Options{Models: 12, VPCs: 2})
	fn := func(name string) []awssim.EventTarget {
		return []awssim.EventTarget{{ID: "Target0", ARN: "arn:aws:lambda:us-east-1:111122223333:function:" + name}}
	}
	sc.Trails = []awssim.Trail{{Name: "VpcGuard-Trail", Logging: awssim.Ptr(logging),
		EventSelectors: json.RawMessage(`[{"ReadWriteType":"WriteOnly","IncludeManagementEvents":true}]`)}}
	sc.Rules = []awssim.EventRule{
		{Name: "VpcGuard-modelguard", EventPattern: `{"source":["aws.sagemaker"]}`, Targets: fn("VpcGuard-modelguard")},
		{Name: "VpcGuard-sweep", ScheduleExpression: "rate(1 day)", Targets: fn("VpcGuard-sweep")},
	}
	sc.Topics = []awssim.Topic{{Name: "vpcguard", Subscriptions: []awssim.Subscription{{Endpoint: "secops@example.com"}}}}
	sc.Queues = []awssim.Queue{{Name: "VpcGuard-DeadLetterQueue"}}
	sc.EventBuses = []string{bus}
	sc.Metrics = []awssim.Metric{{Name: "Invocations", Dimensions: map[string]string{"FunctionName": "VpcGuard-sweep"},
		Datapoints: []awssim.MetricPoint{{Ago: awssim.Duration(20 * time.Hour), Value: 1}}}}
	return sc
}

func setHealthEnv(t *testing.T, url string) {
	awssim.SetTestEnv(t, url, sweepsim.Region)
	t.Setenv("VPCGUARD_TOPIC_ARN", topicARN)
	t.Setenv("VPCGUARD_EVENT_BUS", bus)
	t.Setenv("VPCGUARD_RULES", "VpcGuard-modelguard=VpcGuard-modelguard,VpcGuard-sweep=VpcGuard-sweep")
	t.Setenv("VPCGUARD_FUNCTIONS", "VpcGuard-modelguard,VpcGuard-sweep")
	t.Setenv("VPCGUARD_DLQ_URL", dlqURL)
}

func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := sweep.Main(args, os.Getenv, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// `sweep -health` reads, and only reads, what the stack deployed; a
// stopped trail is a failing item with its fix, and exit 3.
func TestMainHealth(t *testing.T) {
	sim, url := awssim.Start(t, deployed(false))
	setHealthEnv(t, url)

	code, stdout, stderr := runMain(t, "-health")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s\n%s", code, stdout, stderr)
	}
	lines := strings.Split(stdout, "\n")
	if !strings.HasPrefix(lines[0], "VPCGUARD IS NOT SEEING EVENTS (trail-logging failing)") || !strings.HasPrefix(lines[2], "HEALTH (us-east-1): 1 of 6 items") ||
		!strings.Contains(lines[3], "FAIL") || !strings.Contains(lines[3], "trail VpcGuard-Trail (home Region us-east-1) is stopped") ||
		lines[4] != "                   fix: aws cloudtrail start-logging --region us-east-1 --name arn:aws:cloudtrail:us-east-1:111122223333:trail/VpcGuard-Trail" {
		t.Errorf("output:\n%s", stdout)
	}
	var r health.Report
	if err := json.Unmarshal([]byte(stdout[strings.Index(stdout, "\n{")+1:]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Status != report.StatusFail || !r.NotSeeingEvents || len(r.Failing()) != 1 || r.Failing()[0].ID != health.ItemTrail {
		t.Errorf("report %+v", r)
	}
	for _, op := range []string{"cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors", "events:DescribeRule",
		"events:ListTargetsByRule", "sns:ListSubscriptionsByTopic", "sqs:GetQueueAttributes", "cloudwatch:GetMetricStatistics"} {
		if sim.Calls(op) == 0 {
			t.Errorf("no %s call", op)
		}
	}
	if sim.Calls("sagemaker:ListModels") != 0 || len(sim.Writes()) != 0 {
		t.Errorf("-health swept (%d ListModels) or wrote %+v", sim.Calls("sagemaker:ListModels"), sim.Writes())
	}

	// Healthy: exit 0, and -json prints only the report.
	_, url = awssim.Start(t, deployed(true))
	setHealthEnv(t, url)
	code, stdout, _ = runMain(t, "-health", "-json")
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != 0 || r.Status != report.StatusPass {
		t.Errorf("healthy: exit %d, %v, %s", code, err, stdout)
	}

	// Denied reads: could not verify, never healthy.
	sc := deployed(true)
	sc.Faults = map[string]awssim.Fault{"cloudtrail:*": {AccessDenied: true}, "cloudwatch:*": {AccessDenied: true}}
	_, url = awssim.Start(t, sc)
	setHealthEnv(t, url)
	code, stdout, _ = runMain(t, "-health", "-json")
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != 3 || r.Status != report.StatusUnknown || r.NotSeeingEvents {
		t.Fatalf("denied: exit %d, %v, %+v", code, err, r)
	}
	for _, it := range r.Failing() {
		switch it.ID {
		case health.ItemTrail:
			if strings.Join(it.Missing, ",") != "cloudtrail:DescribeTrails" {
				t.Errorf("%s: %+v", it.ID, it)
			}
		case health.ItemFunctionErrors, health.ItemLastRun:
			if strings.Join(it.Missing, ",") != "cloudwatch:GetMetricStatistics" {
				t.Errorf("%s: %+v", it.ID, it)
			}
		default:
			t.Errorf("%s not OK: %+v", it.ID, it)
		}
	}
}

// A sweep with a failing health item puts it at the top of the digest,
// raises the digest's severity and emits a "vpcguard Health" event.
func TestSweepReportsHealth(t *testing.T) {
	sim, url := awssim.Start(t, deployed(false))
	setHealthEnv(t, url)
	code, stdout, stderr := runMain(t, "-publish")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	msgs := sim.Published()
	if len(msgs) != 1 {
		t.Fatalf("%d digests", len(msgs))
	}
	d := msgs[0]
	if !strings.HasPrefix(d.Subject, "[vpcguard] CRITICAL sweep 111122223333 us-east-1: NOT SEEING EVENTS; ") ||
		!strings.HasPrefix(d.Message, "VPCGUARD IS NOT SEEING EVENTS (trail-logging failing): its silence does not mean compliant\n\nHEALTH (us-east-1): 1 of 6 items fail") ||
		!strings.Contains(d.Message, "fix: aws cloudtrail start-logging --region us-east-1 --name arn:aws:cloudtrail:us-east-1:111122223333:trail/VpcGuard-Trail") {
		t.Errorf("digest %q\n%s", d.Subject, d.Message)
	}
	if d.Attributes["severity"].StringValue != "critical" {
		t.Errorf("severity attribute %+v", d.Attributes["severity"])
	}
	var healthEvents []awssim.Event
	for _, e := range sim.Events() {
		if e.DetailType == health.DetailType {
			healthEvents = append(healthEvents, e)
		}
	}
	if len(healthEvents) != 1 || healthEvents[0].Source != "vpcguard" || healthEvents[0].EventBusName != bus {
		t.Fatalf("health events %+v", healthEvents)
	}
	var detail health.Report
	if err := json.Unmarshal([]byte(healthEvents[0].Detail), &detail); err != nil || !detail.NotSeeingEvents || detail.Account != "111122223333" {
		t.Errorf("detail %v %+v", err, detail)
	}
	var sum sweep.Summary
	if err := json.Unmarshal([]byte(stdout[strings.Index(stdout, "\n{")+1:]), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Health == nil || sum.Health.Status != report.StatusFail || !strings.HasPrefix(sum.Delivery.Health, `"vpcguard Health" event sent to `) {
		t.Errorf("summary health %+v, delivery %q", sum.Health, sum.Delivery.Health)
	}

	// Healthy: no event, the section at the end, the severity of the findings.
	sim, url = awssim.Start(t, deployed(true))
	setHealthEnv(t, url)
	if code, _, stderr := runMain(t, "-publish"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	d = sim.Published()[0]
	if strings.Contains(d.Subject, "SEEING") || !strings.HasPrefix(d.Subject, "[vpcguard] HIGH sweep") || !strings.Contains(d.Message, "\nHEALTH (us-east-1): every item passes\n") ||
		strings.HasPrefix(d.Message, "VPCGUARD") {
		t.Errorf("healthy digest %q\n%s", d.Subject, d.Message)
	}
	for _, e := range sim.Events() {
		if e.DetailType == health.DetailType {
			t.Errorf("a health event when healthy: %+v", e)
		}
	}
}
