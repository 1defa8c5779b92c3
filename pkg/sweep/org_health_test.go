package sweep_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/health"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/sweep"
)

// orgHealthEnv is what the stack sets on the central sweep for the health
// check, for the central account's deployment (scenario "demo": its rules,
// functions, topic and dead-letter queue; centralDeployment: the rules of
// the central bus).
var orgHealthEnv = map[string]string{
	"VPCGUARD_RULES": "vpcguard-modelguard=vpcguard-modelguard,vpcguard-modelguard-autoscaling=vpcguard-modelguard," +
		"vpcguard-endpointguard=vpcguard-endpointguard,vpcguard-sweep=vpcguard-sweep," +
		"vpcguard/vpcguard-modelguard=vpcguard-modelguard,vpcguard/vpcguard-modelguard-autoscaling=vpcguard-modelguard," +
		"vpcguard/vpcguard-endpointguard=vpcguard-endpointguard",
	"VPCGUARD_FUNCTIONS": "vpcguard-modelguard,vpcguard-endpointguard,vpcguard-sweep",
	"VPCGUARD_DLQ_URL":   "https://sqs.us-east-1.amazonaws.com/111122223333/vpcguard-dlq",
	"VPCGUARD_TOPIC_ARN": "arn:aws:sns:us-east-1:111122223333:vpcguard-findings",
	"VPCGUARD_EVENT_BUS": "vpcguard",
}

// centralDeployment edits the central account's us-east-1 (scenario
// "demo", whose trail is stopped): the central bus gets the event rules
// the stack puts there, the topic a confirmed subscription, and the trail
// logs when logging.
func centralDeployment(logging bool) func(*awssim.OrgScenario) {
	return func(o *awssim.OrgScenario) {
		for _, a := range o.Accounts {
			if a.ID != orgCentral {
				continue
			}
			for _, sc := range a.Regions {
				if sc.Region != "us-east-1" {
					continue
				}
				for i := range sc.Trails {
					sc.Trails[i].Logging = awssim.Ptr(logging)
				}
				for i := range sc.Topics {
					sc.Topics[i].Subscriptions = []awssim.Subscription{{Endpoint: "secops@example.com"}}
				}
				for _, r := range sc.Rules {
					if r.EventPattern != "" { // the event functions' rules, not the schedule
						r.EventBus = "vpcguard"
						sc.Rules = append(sc.Rules, r)
					}
				}
			}
		}
	}
}

// cloudTrailReads counts each account and Region's CloudTrail reads.
func cloudTrailReads(org *awssim.Org) map[string]int {
	out := map[string]int{}
	for _, a := range org.Accounts() {
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			s := org.Server(a, region)
			if n := s.Calls("cloudtrail:DescribeTrails") + s.Calls("cloudtrail:GetTrailStatus") + s.Calls("cloudtrail:GetEventSelectors"); n > 0 {
				out[a+"/"+region] = n
			}
		}
	}
	return out
}

// The organization sweep checks the central deployment as the single sweep
// checks its own: a stopped trail in the central Region leads the one
// digest, raises its severity and is one "vpcguard Health" event; the
// member accounts' side is not read, and the digest says so.
func TestOrganizationSweepReportsHealth(t *testing.T) {
	org, s, _ := startOrgSweep(t, centralDeployment(false), orgHealthEnv, false)
	sum, err := s.Run(context.Background(), sweep.Trigger{ID: "sweep-org-health", Account: orgCentral, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	h := sum.Health
	if h == nil || h.Status != report.StatusFail || !h.NotSeeingEvents || h.Account != orgCentral || h.Region != "us-east-1" ||
		len(h.Failing()) != 1 || h.Failing()[0].ID != health.ItemTrail {
		t.Fatalf("health %+v", h)
	}
	for _, it := range h.Items {
		if it.Status == report.StatusNotApplicable {
			t.Errorf("%s not checked: %s", it.ID, it.Message)
		}
	}
	// The trail read is the central account's in its own Region; no
	// member account and no other Region is read.
	if got := cloudTrailReads(org); len(got) != 1 || got[orgCentral+"/us-east-1"] == 0 {
		t.Errorf("CloudTrail reads %v, want the central account's in us-east-1 only", got)
	}
	central := org.Server(orgCentral, "us-east-1")
	for _, op := range []string{"events:DescribeRule", "events:ListTargetsByRule", "sns:ListSubscriptionsByTopic", "sqs:GetQueueAttributes", "cloudwatch:GetMetricStatistics"} {
		if central.Calls(op) == 0 {
			t.Errorf("no %s call in the central account", op)
		}
	}
	if n := central.Calls("events:DescribeRule"); n != 7 {
		t.Errorf("%d DescribeRule calls, want the 4 rules of the default bus and the 3 of the central bus", n)
	}

	pub := central.Published()
	if len(pub) != 1 {
		t.Fatalf("%d digests", len(pub))
	}
	d := pub[0]
	if !strings.HasPrefix(d.Subject, "[vpcguard] CRITICAL organization sweep: NOT SEEING EVENTS; ") || !strings.HasSuffix(d.Subject, " (6 not covered)") {
		t.Errorf("subject %q", d.Subject)
	}
	if d.Attributes["severity"].StringValue != "critical" {
		t.Errorf("severity attribute %+v", d.Attributes["severity"])
	}
	lines := strings.Split(d.Message, "\n")
	if lines[0] != "VPCGUARD IS NOT SEEING EVENTS (trail-logging failing): its silence does not mean compliant" ||
		!strings.HasPrefix(lines[2], "HEALTH (us-east-1): 1 of 6 items fail") || !strings.Contains(lines[3], "trail management-events (home Region us-east-1) is stopped") ||
		lines[4] != "                   fix: aws cloudtrail start-logging --region us-east-1 --name arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events" {
		t.Errorf("digest:\n%s", d.Message)
	}
	top := d.Message[:strings.Index(d.Message, "vpcguard organization sweep from account")]
	for _, want := range []string{
		"  not checked: the member accounts' trails, forwarder rules and forwarder dead-letter queues (StackSet vpcguard-forwarder): the member role may not read them\n",
		"  not checked: this account's trails in eu-west-1: vpcguard's rules are in us-east-1, so the trail read is the one that feeds them there\n",
	} {
		if !strings.Contains(top, want) {
			t.Errorf("the health section does not say %q:\n%s", want, top)
		}
	}

	var events []awssim.Event
	for _, e := range central.Events() {
		if e.DetailType == health.DetailType {
			events = append(events, e)
		}
	}
	if len(events) != 1 || events[0].Source != "vpcguard" || events[0].EventBusName != "vpcguard" {
		t.Fatalf("health events %+v", events)
	}
	var detail health.Report
	if err := json.Unmarshal([]byte(events[0].Detail), &detail); err != nil || !detail.NotSeeingEvents || detail.Account != orgCentral || len(detail.NotChecked) != 2 {
		t.Errorf("detail %v %+v", err, detail)
	}
	if sum.Delivery.Health != `"vpcguard Health" event sent to vpcguard` {
		t.Errorf("delivery %q", sum.Delivery.Health)
	}
	for key, ws := range org.Writes() {
		if key != orgCentral+"/us-east-1" {
			t.Errorf("report mode wrote in %s: %v", key, ws)
		}
	}
}

// A healthy central deployment: no event, the findings' severity, and the
// section, with what it does not read, near the end of the digest.
func TestOrganizationSweepHealthy(t *testing.T) {
	org, s, _ := startOrgSweep(t, centralDeployment(true), orgHealthEnv, false)
	sum, err := s.Run(context.Background(), sweep.Trigger{ID: "sweep-org-healthy", Account: orgCentral, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Health == nil || sum.Health.Status != report.StatusPass || sum.Delivery.Health != "not sent: every health item passes" {
		t.Fatalf("health %+v, delivery %q", sum.Health, sum.Delivery.Health)
	}
	central := org.Server(orgCentral, "us-east-1")
	d := central.Published()[0]
	if !strings.HasPrefix(d.Subject, "[vpcguard] HIGH organization sweep: 14 findings in 6 accounts, 2 Regions (6 not covered)") ||
		strings.HasPrefix(d.Message, "VPCGUARD") || d.Attributes["severity"].StringValue != "high" {
		t.Errorf("digest %q (severity %v)\n%s", d.Subject, d.Attributes["severity"], d.Message)
	}
	calls, section := strings.Index(d.Message, "\nAWS CALLS: "), strings.Index(d.Message, "\nHEALTH (us-east-1): every item passes\n")
	if calls < 0 || section < calls || !strings.Contains(d.Message[section:], "  not checked: the member accounts' trails") {
		t.Errorf("the health section is not after the calls, with what it does not read:\n%s", d.Message)
	}
	for _, e := range central.Events() {
		if e.DetailType == health.DetailType {
			t.Errorf("a health event when healthy: %+v", e)
		}
	}
}

// `sweep -health` in organization mode checks the central deployment
// alone: no account listed, no role assumed, no model read.
func TestMainHealthOrganization(t *testing.T) {
	org, _, _ := startOrgSweep(t, centralDeployment(false), nil, false)
	for k, v := range orgHealthEnv {
		t.Setenv(k, v)
	}
	t.Setenv("VPCGUARD_MEMBER_ROLE", "vpcguard-member")
	t.Setenv("VPCGUARD_REGIONS", "us-east-1,eu-west-1")
	code, stdout, stderr := runMain(t, "-health")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s\n%s", code, stdout, stderr)
	}
	if !strings.HasPrefix(stdout, "VPCGUARD IS NOT SEEING EVENTS (trail-logging failing)") ||
		!strings.Contains(stdout, "\n  not checked: the member accounts' trails, forwarder rules and forwarder dead-letter queues") {
		t.Errorf("output:\n%s", stdout)
	}
	var r health.Report
	if err := json.Unmarshal([]byte(stdout[strings.Index(stdout, "\n{")+1:]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Region != "us-east-1" || r.Status != report.StatusFail || len(r.NotChecked) != 2 {
		t.Errorf("report %+v", r)
	}
	if n := org.Global().Calls("*"); n != 0 {
		t.Errorf("-health called STS or Organizations %d times", n)
	}
	if got := cloudTrailReads(org); len(got) != 1 || got[orgCentral+"/us-east-1"] == 0 {
		t.Errorf("CloudTrail reads %v", got)
	}
	for _, a := range org.Accounts() {
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			if n := org.Server(a, region).Calls("sagemaker:ListModels"); n > 0 {
				t.Errorf("-health listed the models of %s %s", a, region)
			}
		}
	}
}

// A disabled rule of the central bus is the organization's event supply
// cut: the digest says VPCGUARD IS NOT SEEING EVENTS, with the fix.
func TestOrganizationSweepCentralBusRuleDisabled(t *testing.T) {
	deploy := centralDeployment(true)
	org, s, _ := startOrgSweep(t, func(o *awssim.OrgScenario) {
		deploy(o)
		for _, a := range o.Accounts {
			for _, sc := range a.Regions {
				for i, r := range sc.Rules {
					if a.ID == orgCentral && r.EventBus == "vpcguard" && r.Name == "vpcguard-endpointguard" {
						sc.Rules[i].State = "DISABLED"
					}
				}
			}
		}
	}, orgHealthEnv, false)
	sum, err := s.Run(context.Background(), sweep.Trigger{ID: "sweep-org-bus", Account: orgCentral, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	h := sum.Health
	if h == nil || !h.NotSeeingEvents || len(h.Failing()) != 1 || h.Failing()[0].ID != health.ItemRules {
		t.Fatalf("health %+v", h)
	}
	it := h.Failing()[0]
	if !strings.Contains(it.Message, "rule vpcguard-endpointguard on bus vpcguard is disabled") ||
		it.Fix != "aws events enable-rule --region us-east-1 --name vpcguard-endpointguard --event-bus-name vpcguard" {
		t.Errorf("item %+v", it)
	}
	d := org.Server(orgCentral, "us-east-1").Published()[0]
	if !strings.HasPrefix(d.Subject, "[vpcguard] CRITICAL organization sweep: NOT SEEING EVENTS; ") ||
		!strings.HasPrefix(d.Message, "VPCGUARD IS NOT SEEING EVENTS (rules-enabled failing)") {
		t.Errorf("digest %q\n%s", d.Subject, d.Message)
	}
}
