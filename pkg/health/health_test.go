package health

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/report"
)

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

const (
	region  = "us-east-1"
	topic   = "arn:aws:sns:us-east-1:111122223333:vpcguard"
	dlq     = "https://sqs.us-east-1.amazonaws.com/111122223333/VpcGuard-DLQ"
	ownARN  = "arn:aws:cloudtrail:us-east-1:111122223333:trail/management"
	orgARN  = "arn:aws:cloudtrail:eu-west-1:999988887777:trail/org"
	modelFn = "VpcGuard-modelguard"
)

func denied(action string) error {
	return &ReadError{Action: action, Err: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized"}}
}

func notFound(action, code string) error {
	return &ReadError{Action: action, Err: &smithy.GenericAPIError{Code: code, Message: "gone"}}
}

func boolp(b bool) *bool { return &b }

func trail(arn, home string, multi, logging bool, sel Selectors) Trail {
	name := arn[strings.LastIndex(arn, "/")+1:]
	return Trail{Name: name, ARN: arn, HomeRegion: home, MultiRegion: multi,
		Status: inventory.Known(TrailStatus{Logging: logging}), Selectors: inventory.Known(sel)}
}

var allManagement = Selectors{Basic: []BasicSelector{{ReadWriteType: "All", IncludeManagementEvents: boolp(true)}}}

// healthy is an observation where every item passes.
func healthy() *Observation {
	last := now.Add(-3 * time.Hour)
	return &Observation{
		Targets: Targets{Region: region, Account: "111122223333", TopicARN: topic, Health: config.Health{
			Rules:     []config.RuleRef{{Name: "VpcGuard-modelguard", Function: modelFn}},
			Functions: []string{modelFn}, DLQURL: dlq,
		}},
		Now:    now,
		Trails: inventory.Known([]Trail{trail(ownARN, region, false, true, allManagement)}),
		Rules: []RuleState{{
			Ref:     config.RuleRef{Name: "VpcGuard-modelguard", Function: modelFn},
			Rule:    inventory.Known(Rule{State: "ENABLED", Bus: "default"}),
			Targets: inventory.Known([]string{"arn:aws:lambda:us-east-1:111122223333:function:" + modelFn}),
		}},
		Subscriptions: &inventory.Fact[[]Subscription]{Value: []Subscription{{ARN: topic + ":1", Protocol: "email", Endpoint: "secops@example.com"}}},
		DeadLetters:   &inventory.Fact[QueueDepth]{},
		Functions: []FunctionMetrics{{Name: modelFn, Errors: inventory.Known(0.0), Throttles: inventory.Known(0.0),
			LastRun: inventory.Known(&last)}},
	}
}

func item(t *testing.T, r Report, id string) Item {
	t.Helper()
	for _, it := range r.Items {
		if it.ID == id {
			return it
		}
	}
	t.Fatalf("no item %s", id)
	return Item{}
}

func TestHealthyAccount(t *testing.T) {
	r := Evaluate(healthy())
	if r.Status != report.StatusPass || r.NotSeeingEvents || r.Severity != "" || r.Headline() != "" || len(r.Failing()) != 0 {
		t.Fatalf("report %+v", r)
	}
	if len(r.Items) != len(Catalogue()) {
		t.Errorf("%d items", len(r.Items))
	}
	for _, it := range r.Items {
		if it.Status != report.StatusPass || it.Fix != "" || it.Message == "" {
			t.Errorf("%s: %+v", it.ID, it)
		}
	}
	if got := item(t, r, ItemLastRun).Message; !strings.Contains(got, "VpcGuard-modelguard last ran in the hour from 2026-11-30 09:00 UTC") {
		t.Errorf("last run: %s", got)
	}
}

func TestTrail(t *testing.T) {
	writeOnly := Selectors{Basic: []BasicSelector{{ReadWriteType: "WriteOnly"}}}
	readOnly := Selectors{Basic: []BasicSelector{{ReadWriteType: "ReadOnly", IncludeManagementEvents: boolp(true)}}}
	dataOnly := Selectors{Basic: []BasicSelector{{IncludeManagementEvents: boolp(false), DataResources: []DataResource{{Type: "AWS::S3::Object", Values: []string{"arn:aws:s3"}}}}}}
	excludesEC2 := Selectors{Basic: []BasicSelector{{ReadWriteType: "All", ExcludeManagementEventSources: []string{"ec2.amazonaws.com"}}}}
	advManagement := Selectors{Advanced: []AdvancedSelector{{Name: "m", FieldSelectors: []FieldSelector{{Field: "eventCategory", Equals: []string{"Management"}}}}}}
	advWrites := Selectors{Advanced: []AdvancedSelector{{Name: "w", FieldSelectors: []FieldSelector{
		{Field: "eventCategory", Equals: []string{"Management"}}, {Field: "readOnly", Equals: []string{"false"}}}}}}
	advReads := Selectors{Advanced: []AdvancedSelector{{Name: "r", FieldSelectors: []FieldSelector{
		{Field: "eventCategory", Equals: []string{"Management"}}, {Field: "readOnly", Equals: []string{"true"}}}}}}
	advNoSageMaker := Selectors{Advanced: []AdvancedSelector{{Name: "n", FieldSelectors: []FieldSelector{
		{Field: "eventCategory", Equals: []string{"Management"}}, {Field: "eventSource", NotEquals: []string{"sagemaker.amazonaws.com", "kms.amazonaws.com"}}}}}}
	advData := Selectors{Advanced: []AdvancedSelector{{Name: "d", FieldSelectors: []FieldSelector{
		{Field: "eventCategory", Equals: []string{"Data"}}, {Field: "resources.type", Equals: []string{"AWS::S3::Object"}}}}}}
	advOddField := Selectors{Advanced: []AdvancedSelector{{Name: "odd", FieldSelectors: []FieldSelector{
		{Field: "eventCategory", Equals: []string{"Management"}}, {Field: "userIdentity.arn", NotStartsWith: []string{"arn:aws:sts::111122223333:assumed-role/ci"}}}}}}

	for _, c := range []struct {
		name   string
		trails inventory.Fact[[]Trail]
		status report.Status
		msg    string // in the message
		fix    string // in the fix
	}{
		{"all management events", inventory.Known([]Trail{trail(ownARN, region, false, true, allManagement)}), report.StatusPass, "is logging", ""},
		{"write-only (the stack's own)", inventory.Known([]Trail{trail(ownARN, region, false, true, writeOnly)}), report.StatusPass, "", ""},
		{"multi-Region trail homed elsewhere", inventory.Known([]Trail{trail(orgARN, "eu-west-1", true, true, advManagement)}), report.StatusPass, "multi-Region trail org (home Region eu-west-1)", ""},
		{"advanced: writes", inventory.Known([]Trail{trail(ownARN, region, false, true, advWrites)}), report.StatusPass, "", ""},
		{"no trail at all", inventory.Known([]Trail{}), report.StatusFail, "no CloudTrail trail logs us-east-1",
			"aws cloudtrail create-trail --region us-east-1 --name vpcguard-management-events --s3-bucket-name BUCKET && aws cloudtrail start-logging --region us-east-1 --name vpcguard-management-events"},
		{"only a single-Region trail of another Region", inventory.Known([]Trail{trail(orgARN, "eu-west-1", false, true, allManagement)}), report.StatusFail, "no CloudTrail trail logs us-east-1", "create-trail"},
		{"stopped", inventory.Known([]Trail{trail(ownARN, region, false, false, allManagement)}), report.StatusFail, "trail management (home Region us-east-1) is stopped",
			"aws cloudtrail start-logging --region us-east-1 --name " + ownARN},
		{"stopped multi-Region: started in its home Region", inventory.Known([]Trail{trail(orgARN, "eu-west-1", true, false, allManagement)}), report.StatusFail, "is stopped",
			"aws cloudtrail start-logging --region eu-west-1 --name " + orgARN},
		{"read-only", inventory.Known([]Trail{trail(ownARN, region, false, true, readOnly)}), report.StatusFail, "does not log the management write events of sagemaker.amazonaws.com, ec2.amazonaws.com and autoscaling.amazonaws.com",
			`--event-selectors '[{"ReadWriteType":"ReadOnly","IncludeManagementEvents":true},{"ReadWriteType":"WriteOnly","IncludeManagementEvents":true}]'`},
		{"data events only: the data selector is kept", inventory.Known([]Trail{trail(ownARN, region, false, true, dataOnly)}), report.StatusFail, "does not log",
			`'[{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]},{"ReadWriteType":"WriteOnly","IncludeManagementEvents":true}]'`},
		{"excludes ec2", inventory.Known([]Trail{trail(ownARN, region, false, true, excludesEC2)}), report.StatusFail, "of ec2.amazonaws.com", "put-event-selectors"},
		{"advanced: reads only", inventory.Known([]Trail{trail(ownARN, region, false, true, advReads)}), report.StatusFail, "does not log",
			`--advanced-event-selectors '[{"Name":"r","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["true"]}]},{"Name":"Management write events (vpcguard)","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]}]}]'`},
		{"advanced: sagemaker excluded", inventory.Known([]Trail{trail(ownARN, region, false, true, advNoSageMaker)}), report.StatusFail, "does not log the management write events of sagemaker.amazonaws.com\n", "--advanced-event-selectors"},
		{"advanced: data events only", inventory.Known([]Trail{trail(ownARN, region, false, true, advData)}), report.StatusFail, "does not log", "--advanced-event-selectors"},
		{"advanced: a field vpcguard does not evaluate", inventory.Known([]Trail{trail(ownARN, region, false, true, advOddField)}), report.StatusUnknown, "filters on userIdentity.arn", ""},
		{"one good trail is enough", inventory.Known([]Trail{trail(ownARN, region, false, false, allManagement), trail(orgARN, "eu-west-1", true, true, allManagement)}), report.StatusPass, "org", ""},
		{"DescribeTrails denied", inventory.Failed[[]Trail](denied("cloudtrail:DescribeTrails")), report.StatusUnknown, "cloudtrail:DescribeTrails was denied", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			obs := healthy()
			obs.Trails = c.trails
			r := Evaluate(obs)
			it := item(t, r, ItemTrail)
			if it.Status != c.status || !strings.Contains(it.Message+"\n", c.msg) || !strings.Contains(it.Fix, c.fix) {
				t.Fatalf("%s\n  message %s\n  fix %s", it.Status, it.Message, it.Fix)
			}
			if (c.status == report.StatusFail) != (it.Fix != "") {
				t.Errorf("fix %q for %s", it.Fix, it.Status)
			}
			if c.status == report.StatusFail && (!r.NotSeeingEvents || r.Severity != report.SeverityCritical || !strings.HasPrefix(r.Headline(), "VPCGUARD IS NOT SEEING EVENTS (trail-logging failing)")) {
				t.Errorf("report: not seeing %v, severity %s, headline %q", r.NotSeeingEvents, r.Severity, r.Headline())
			}
			if c.status == report.StatusUnknown && (r.Status != report.StatusUnknown || r.NotSeeingEvents || !strings.HasPrefix(r.Headline(), "VPCGUARD CANNOT VERIFY IT IS SEEING EVENTS")) {
				t.Errorf("unknown: report %s, headline %q", r.Status, r.Headline())
			}
		})
	}

	// A status or selectors read denied on the only trail: unverified,
	// with the permission; never healthy.
	obs := healthy()
	tr := trail(ownARN, region, false, true, allManagement)
	tr.Status = inventory.Failed[TrailStatus](denied("cloudtrail:GetTrailStatus"))
	tr.Selectors = inventory.Failed[Selectors](denied("cloudtrail:GetEventSelectors"))
	obs.Trails = inventory.Known([]Trail{tr})
	it := item(t, Evaluate(obs), ItemTrail)
	if it.Status != report.StatusUnknown || strings.Join(it.Missing, ",") != "cloudtrail:GetEventSelectors,cloudtrail:GetTrailStatus" {
		t.Errorf("%+v", it)
	}
}

func TestRules(t *testing.T) {
	sweepRef := config.RuleRef{Name: "VpcGuard-sweep", Function: "VpcGuard-sweep"}
	for _, c := range []struct {
		name   string
		rule   RuleState
		status report.Status
		msg    string
		fix    string
	}{
		{"enabled, targets it", RuleState{Ref: sweepRef, Rule: inventory.Known(Rule{State: "ENABLED"}),
			Targets: inventory.Known([]string{"arn:aws:lambda:us-east-1:111122223333:function:VpcGuard-sweep:live"})}, report.StatusPass, "2 rules are enabled", ""},
		{"disabled", RuleState{Ref: sweepRef, Rule: inventory.Known(Rule{State: "DISABLED"}),
			Targets: inventory.Known([]string{"arn:aws:lambda:us-east-1:111122223333:function:VpcGuard-sweep"})}, report.StatusFail, "rule VpcGuard-sweep is disabled",
			"aws events enable-rule --region us-east-1 --name VpcGuard-sweep"},
		{"missing", RuleState{Ref: sweepRef, Rule: inventory.Failed[Rule](notFound("events:DescribeRule", "ResourceNotFoundException")),
			Targets: inventory.Failed[[]string](notFound("events:ListTargetsByRule", "ResourceNotFoundException"))}, report.StatusFail, "does not exist", "make deploy"},
		{"no target", RuleState{Ref: sweepRef, Rule: inventory.Known(Rule{State: "ENABLED"}), Targets: inventory.Known([]string{})},
			report.StatusFail, "does not target VpcGuard-sweep (no target", "make deploy"},
		{"another target", RuleState{Ref: sweepRef, Rule: inventory.Known(Rule{State: "ENABLED"}),
			Targets: inventory.Known([]string{"arn:aws:lambda:us-east-1:111122223333:function:VpcGuard-modelguard", "arn:aws:sqs:us-east-1:111122223333:q"})},
			report.StatusFail, "targets arn:aws:lambda:us-east-1:111122223333:function:VpcGuard-modelguard, arn:aws:sqs", "make deploy"},
		{"denied", RuleState{Ref: sweepRef, Rule: inventory.Failed[Rule](denied("events:DescribeRule")),
			Targets: inventory.Failed[[]string](denied("events:ListTargetsByRule"))}, report.StatusUnknown, "events:DescribeRule was denied; events:ListTargetsByRule was denied", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			obs := healthy()
			obs.Targets.Health.Rules = append(obs.Targets.Health.Rules, c.rule.Ref)
			obs.Rules = append(obs.Rules, c.rule)
			r := Evaluate(obs)
			it := item(t, r, ItemRules)
			if it.Status != c.status || !strings.Contains(it.Message, c.msg) || !strings.Contains(it.Fix, c.fix) {
				t.Fatalf("%s\n  message %s\n  fix %s", it.Status, it.Message, it.Fix)
			}
			if c.status == report.StatusFail && !r.NotSeeingEvents {
				t.Error("a broken rule is a broken event supply")
			}
		})
	}
	// A rule given without its function accepts any of vpcguard's.
	if !targetsFunction([]string{"arn:aws:lambda:us-east-1:1:function:" + modelFn}, config.RuleRef{Name: "x"}, []string{modelFn}) ||
		targetsFunction([]string{"arn:aws:lambda:us-east-1:1:function:stranger"}, config.RuleRef{Name: "x"}, []string{modelFn}) {
		t.Error("bare rule targets")
	}
	// Not configured: not checked, and said so.
	obs := healthy()
	obs.Targets.Health.Rules, obs.Rules = nil, nil
	if it := item(t, Evaluate(obs), ItemRules); it.Status != report.StatusNotApplicable || !strings.Contains(it.Message, "VPCGUARD_RULES is unset") {
		t.Errorf("%+v", it)
	}
}

func TestSubscriptions(t *testing.T) {
	for _, c := range []struct {
		name   string
		subs   inventory.Fact[[]Subscription]
		status report.Status
		msg    string
		fix    string
	}{
		{"pending email", inventory.Known([]Subscription{{ARN: "PendingConfirmation", Protocol: "email", Endpoint: "secops@example.com"}}), report.StatusFail,
			"Confirm the email AWS sent to secops@example.com", "aws sns subscribe --region us-east-1 --topic-arn " + topic + " --protocol email --notification-endpoint secops@example.com"},
		{"none", inventory.Known([]Subscription{}), report.StatusFail, "has no subscription", "--notification-endpoint EMAIL_ADDRESS"},
		{"one confirmed, one pending", inventory.Known([]Subscription{{ARN: "PendingConfirmation", Protocol: "email", Endpoint: "a@example.com"}, {ARN: topic + ":2", Protocol: "sqs", Endpoint: "arn:aws:sqs:q"}}),
			report.StatusPass, "1 pending confirmation: email a@example.com", ""},
		{"topic gone", inventory.Failed[[]Subscription](notFound("sns:ListSubscriptionsByTopic", "NotFound")), report.StatusFail, "does not exist", "make deploy"},
		{"denied", inventory.Failed[[]Subscription](&ReadError{Action: "sns:ListSubscriptionsByTopic", Err: &smithy.GenericAPIError{Code: "AuthorizationError"}}), report.StatusUnknown,
			"sns:ListSubscriptionsByTopic was denied", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			obs := healthy()
			obs.Subscriptions = &c.subs
			r := Evaluate(obs)
			it := item(t, r, ItemSubscription)
			if it.Status != c.status || !strings.Contains(it.Message, c.msg) || !strings.Contains(it.Fix, c.fix) {
				t.Fatalf("%s\n  message %s\n  fix %s", it.Status, it.Message, it.Fix)
			}
			if r.NotSeeingEvents {
				t.Error("the topic is not the event supply")
			}
			if c.status == report.StatusFail && (r.Severity != report.SeverityHigh || r.Headline() != "VPCGUARD HEALTH: topic-subscribed need attention") {
				t.Errorf("severity %s, headline %q", r.Severity, r.Headline())
			}
		})
	}
}

func TestDeadLettersAndFunctions(t *testing.T) {
	obs := healthy()
	obs.DeadLetters = &inventory.Fact[QueueDepth]{Value: QueueDepth{Visible: 3, InFlight: 1}}
	obs.Functions[0].Errors = inventory.Known(2.0)
	obs.Functions[0].Throttles = inventory.Known(5.0)
	obs.Functions[0].LastRun = inventory.Known[*time.Time](nil)
	r := Evaluate(obs)
	if it := item(t, r, ItemDeadLetters); it.Status != report.StatusFail || !strings.Contains(it.Message, "4 event(s) were not evaluated") ||
		it.Fix != "aws sqs receive-message --region us-east-1 --queue-url "+dlq+" --max-number-of-messages 10 --attribute-names All --message-attribute-names All" {
		t.Errorf("%+v", it)
	}
	it := item(t, r, ItemFunctionErrors)
	if it.Status != report.StatusFail || !strings.Contains(it.Message, "VpcGuard-modelguard failed 2 time(s); VpcGuard-modelguard was throttled 5 time(s)") ||
		!strings.Contains(it.Fix, `--start-time 1795953600000 --filter-pattern '{ $.level = "ERROR" }'`) || !strings.Contains(it.Fix, "aws lambda get-function-concurrency") {
		t.Errorf("%+v", it)
	}
	if it := item(t, r, ItemLastRun); it.Status != report.StatusPass || !strings.Contains(it.Message, "has not run in 14 days") {
		t.Errorf("%+v", it)
	}
	if r.NotSeeingEvents || r.Status != report.StatusFail || r.Headline() != "VPCGUARD HEALTH: dead-letter-queue-empty, function-errors need attention" {
		t.Errorf("report %s, headline %q", r.Status, r.Headline())
	}

	// Denied metrics: unverified, and the info item stays out of the status.
	obs = healthy()
	obs.Functions[0].Errors = inventory.Failed[float64](denied("cloudwatch:GetMetricStatistics"))
	obs.Functions[0].LastRun = inventory.Failed[*time.Time](denied("cloudwatch:GetMetricStatistics"))
	obs.DeadLetters = &inventory.Fact[QueueDepth]{Err: &ReadError{Action: "sqs:GetQueueAttributes", Err: errors.New("dial tcp: connection refused")}}
	r = Evaluate(obs)
	if it := item(t, r, ItemFunctionErrors); it.Status != report.StatusUnknown || strings.Join(it.Missing, ",") != "cloudwatch:GetMetricStatistics" {
		t.Errorf("%+v", it)
	}
	if it := item(t, r, ItemDeadLetters); it.Status != report.StatusUnknown || len(it.Missing) != 0 || !strings.Contains(it.Message, "connection refused") {
		t.Errorf("a read error that is no denial: %+v", it)
	}
	if r.Status != report.StatusUnknown || r.Severity != report.SeverityHigh {
		t.Errorf("report %s %s", r.Status, r.Severity)
	}
}

func TestText(t *testing.T) {
	obs := healthy()
	obs.Trails = inventory.Known([]Trail{trail(ownARN, region, false, false, allManagement)})
	lines := strings.Split(Evaluate(obs).String(), "\n")
	if !strings.HasPrefix(lines[0], "VPCGUARD IS NOT SEEING EVENTS (trail-logging failing)") || lines[1] != "" ||
		lines[2] != "HEALTH (us-east-1): 1 of 6 items fail or could not be verified" ||
		!strings.HasPrefix(lines[3], "  FAIL             trail-logging (critical): ") ||
		lines[4] != "                   fix: aws cloudtrail start-logging --region us-east-1 --name "+ownARN ||
		!strings.HasPrefix(lines[5], "  PASS             rules-enabled") {
		t.Errorf("text:\n%s", strings.Join(lines, "\n"))
	}
	if got := Evaluate(healthy()).String(); !strings.HasPrefix(got, "HEALTH (us-east-1): every item passes\n  PASS") {
		t.Errorf("healthy:\n%s", got)
	}
}
