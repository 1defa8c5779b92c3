package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// healthScenario holds one of each thing the health check reads.
func healthScenario() *Scenario {
	return &Scenario{
		Account: "111122223333", Region: "us-east-1",
		Trails: []Trail{
			{Name: "management", Logging: Ptr(false)},
			{Name: "org", HomeRegion: "eu-west-1", Account: "999988887777", MultiRegion: true, Organization: true,
				AdvancedEventSelectors: json.RawMessage(`[{"Name":"mgmt","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]`)},
			{Name: "elsewhere", HomeRegion: "eu-west-1"}, // single-Region, not listed here
		},
		Rules: []EventRule{
			{Name: "VpcGuard-modelguard", EventPattern: `{"source":["aws.sagemaker"]}`,
				Targets: []EventTarget{{ID: "Target0", ARN: "arn:aws:lambda:us-east-1:111122223333:function:VpcGuard-modelguard"}}},
			{Name: "VpcGuard-sweep", ScheduleExpression: "rate(1 day)", State: "DISABLED"},
		},
		Topics: []Topic{{Name: "vpcguard", Subscriptions: []Subscription{
			{Endpoint: "secops@example.com", Pending: true}, {Protocol: "sqs", Endpoint: "arn:aws:sqs:us-east-1:111122223333:inbox"},
		}}},
		Queues: []Queue{{Name: "VpcGuard-DLQ", Messages: 2, InFlight: 1}},
		Metrics: []Metric{
			{Name: "Errors", Dimensions: map[string]string{"FunctionName": "VpcGuard-modelguard"}, Datapoints: []MetricPoint{
				{Ago: Duration(90 * time.Minute), Value: 2}, {Ago: Duration(80 * time.Minute), Value: 1}, {Ago: Duration(30 * time.Hour), Value: 5},
			}},
			{Name: "Errors", Dimensions: map[string]string{"FunctionName": "other"}, Datapoints: []MetricPoint{{Ago: Duration(time.Hour), Value: 7}}},
		},
	}
}

func TestCloudTrailReads(t *testing.T) {
	ctx := context.Background()
	_, cfg := start(t, healthScenario())
	c := cloudtrail.NewFromConfig(cfg)

	out, err := c.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	must(t, err)
	if len(out.TrailList) != 2 {
		t.Fatalf("trails listed in us-east-1: %+v", out.TrailList)
	}
	mgmt, org := out.TrailList[0], out.TrailList[1]
	if aws.ToString(mgmt.TrailARN) != "arn:aws:cloudtrail:us-east-1:111122223333:trail/management" || aws.ToString(mgmt.HomeRegion) != "us-east-1" ||
		aws.ToBool(mgmt.IsMultiRegionTrail) || aws.ToBool(mgmt.HasCustomEventSelectors) {
		t.Errorf("management trail %+v", mgmt)
	}
	if aws.ToString(org.TrailARN) != "arn:aws:cloudtrail:eu-west-1:999988887777:trail/org" || !aws.ToBool(org.IsOrganizationTrail) || !aws.ToBool(org.HasCustomEventSelectors) {
		t.Errorf("org trail %+v", org)
	}
	noShadows, err := c.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(false)})
	must(t, err)
	if len(noShadows.TrailList) != 1 {
		t.Errorf("without shadow trails: %d", len(noShadows.TrailList))
	}

	st, err := c.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("management")})
	must(t, err)
	if aws.ToBool(st.IsLogging) || st.StopLoggingTime == nil {
		t.Errorf("stopped trail: %+v", st)
	}
	st, err = c.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: org.TrailARN})
	must(t, err)
	if !aws.ToBool(st.IsLogging) {
		t.Errorf("org trail by ARN: %+v", st)
	}
	// A shadow trail is found only by its ARN.
	_, err = c.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("org")})
	wantCode(t, err, "TrailNotFoundException")
	var tnf *cttypes.TrailNotFoundException
	if !errors.As(err, &tnf) {
		t.Errorf("not the modeled TrailNotFoundException: %T", err)
	}

	sel, err := c.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: mgmt.TrailARN})
	must(t, err)
	if len(sel.EventSelectors) != 1 || sel.EventSelectors[0].ReadWriteType != cttypes.ReadWriteTypeAll || !aws.ToBool(sel.EventSelectors[0].IncludeManagementEvents) || len(sel.AdvancedEventSelectors) != 0 {
		t.Errorf("default selectors: %+v", sel)
	}
	sel, err = c.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: org.TrailARN})
	must(t, err)
	if len(sel.AdvancedEventSelectors) != 1 || aws.ToString(sel.AdvancedEventSelectors[0].FieldSelectors[0].Field) != "eventCategory" ||
		sel.AdvancedEventSelectors[0].FieldSelectors[0].Equals[0] != "Management" || aws.ToString(sel.TrailARN) != aws.ToString(org.TrailARN) {
		t.Errorf("advanced selectors: %+v", sel)
	}
}

func TestEventBridgeRuleReads(t *testing.T) {
	ctx := context.Background()
	_, cfg := start(t, healthScenario())
	c := eventbridge.NewFromConfig(cfg)
	r, err := c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("VpcGuard-modelguard")})
	must(t, err)
	if r.State != ebtypes.RuleStateEnabled || aws.ToString(r.Arn) != "arn:aws:events:us-east-1:111122223333:rule/VpcGuard-modelguard" ||
		aws.ToString(r.EventBusName) != "default" || aws.ToString(r.EventPattern) == "" {
		t.Errorf("rule %+v", r)
	}
	r, err = c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("VpcGuard-sweep")})
	must(t, err)
	if r.State != ebtypes.RuleStateDisabled || aws.ToString(r.ScheduleExpression) != "rate(1 day)" {
		t.Errorf("sweep rule %+v", r)
	}
	tg, err := c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("VpcGuard-modelguard")})
	must(t, err)
	if len(tg.Targets) != 1 || aws.ToString(tg.Targets[0].Arn) != "arn:aws:lambda:us-east-1:111122223333:function:VpcGuard-modelguard" || aws.ToString(tg.Targets[0].Id) != "Target0" {
		t.Errorf("targets %+v", tg.Targets)
	}
	_, err = c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("gone")})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("VpcGuard-modelguard"), EventBusName: aws.String("other")})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestSNSListSubscriptionsByTopic(t *testing.T) {
	ctx := context.Background()
	sc := healthScenario()
	sc.Topics = append(sc.Topics, Topic{Name: "big"})
	for i := range 150 {
		sc.Topics[1].Subscriptions = append(sc.Topics[1].Subscriptions, Subscription{Endpoint: fmt.Sprintf("user%d@example.com", i)})
	}
	_, cfg := start(t, sc)
	c := sns.NewFromConfig(cfg)
	out, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String("arn:aws:sns:us-east-1:111122223333:vpcguard")})
	must(t, err)
	if len(out.Subscriptions) != 2 || aws.ToString(out.Subscriptions[0].SubscriptionArn) != "PendingConfirmation" ||
		aws.ToString(out.Subscriptions[0].Endpoint) != "secops@example.com" || aws.ToString(out.Subscriptions[0].Protocol) != "email" ||
		!strings.HasPrefix(aws.ToString(out.Subscriptions[1].SubscriptionArn), "arn:aws:sns:us-east-1:111122223333:vpcguard:") || out.NextToken != nil {
		t.Errorf("subscriptions %+v", out.Subscriptions)
	}
	// Pages of 100, as SNS.
	p := sns.NewListSubscriptionsByTopicPaginator(c, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String("arn:aws:sns:us-east-1:111122223333:big")})
	pages, n := 0, 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		must(t, err)
		pages++
		n += len(page.Subscriptions)
	}
	if pages != 2 || n != 150 {
		t.Errorf("%d pages, %d subscriptions", pages, n)
	}
	_, err = c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String("arn:aws:sns:us-east-1:111122223333:none")})
	wantCode(t, err, "NotFound")
}

func TestSQSGetQueueAttributes(t *testing.T) {
	ctx := context.Background()
	_, cfg := start(t, healthScenario())
	c := sqs.NewFromConfig(cfg)
	url := "https://sqs.us-east-1.amazonaws.com/111122223333/VpcGuard-DLQ"
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
	}})
	must(t, err)
	if out.Attributes["ApproximateNumberOfMessages"] != "2" || out.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" ||
		out.Attributes["ApproximateNumberOfMessagesDelayed"] != "0" || len(out.Attributes) != 3 {
		t.Errorf("attributes %v", out.Attributes)
	}
	all, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	must(t, err)
	if all.Attributes["QueueArn"] != "arn:aws:sqs:us-east-1:111122223333:VpcGuard-DLQ" {
		t.Errorf("All: %v", all.Attributes)
	}
	// The query-era code, through the X-Amzn-Query-Error header.
	_, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String("https://sqs.us-east-1.amazonaws.com/111122223333/none"),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
	var qdne *sqstypes.QueueDoesNotExist
	if !errors.As(err, &qdne) {
		t.Errorf("not the modeled QueueDoesNotExist: %T %v", err, err)
	}
}

func TestCloudWatchGetMetricStatistics(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, healthScenario())
	c := cloudwatch.NewFromConfig(cfg)
	now := time.Now()
	in := &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Errors"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String("VpcGuard-modelguard")}},
		StartTime:  aws.Time(now.Add(-24 * time.Hour)), EndTime: aws.Time(now), Period: aws.Int32(3600),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum, cwtypes.StatisticSampleCount, cwtypes.StatisticMaximum},
	}
	out, err := c.GetMetricStatistics(ctx, in)
	must(t, err)
	if aws.ToString(out.Label) != "Errors" || len(out.Datapoints) == 0 {
		t.Fatalf("output %+v", out)
	}
	sum, samples := 0.0, 0.0
	for _, d := range out.Datapoints {
		sum += aws.ToFloat64(d.Sum)
		samples += aws.ToFloat64(d.SampleCount)
		if d.Unit != cwtypes.StandardUnitCount || d.Timestamp == nil || d.Timestamp.Before(now.Add(-25*time.Hour)) {
			t.Errorf("datapoint %+v", d)
		}
	}
	if sum != 3 || samples != 2 {
		t.Errorf("last 24 h: sum %v over %v samples, want 3 over 2 (the 30-hour-old point is outside)", sum, samples)
	}
	if srv.Calls("cloudwatch:GetMetricStatistics") != 1 {
		t.Errorf("calls %v", srv.Stats().Calls)
	}
	// Other dimensions do not match; too many datapoints is an error.
	in.Dimensions[0].Value = aws.String("nobody")
	out, err = c.GetMetricStatistics(ctx, in)
	must(t, err)
	if len(out.Datapoints) != 0 {
		t.Errorf("no such function: %+v", out.Datapoints)
	}
	in.Period = aws.Int32(30) // 2,880 datapoints in 24 hours
	_, err = c.GetMetricStatistics(ctx, in)
	wantCode(t, err, "InvalidParameterCombination")
}

func TestHealthFaults(t *testing.T) {
	ctx := context.Background()
	sc := healthScenario()
	sc.Faults = map[string]Fault{"cloudtrail:*": {AccessDenied: true}, "cloudwatch:*": {AccessDenied: true}, "sqs:*": {AccessDenied: true}}
	_, cfg := start(t, sc)
	_, err := cloudtrail.NewFromConfig(cfg).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	wantCode(t, err, "AccessDeniedException")
	_, err = cloudwatch.NewFromConfig(cfg).GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("Errors"), StartTime: aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now()),
		Period: aws.Int32(3600), Statistics: []cwtypes.Statistic{cwtypes.StatisticSum},
	})
	wantCode(t, err, "AccessDenied")
	if err == nil || !strings.Contains(err.Error(), "cloudwatch:GetMetricStatistics") {
		t.Errorf("the denial names the IAM action: %v", err)
	}
	_, err = sqs.NewFromConfig(cfg).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String("https://sqs.us-east-1.amazonaws.com/111122223333/VpcGuard-DLQ")})
	wantCode(t, err, "AccessDenied")
}

func TestHealthScenarioValidation(t *testing.T) {
	_, err := NewServer(&Scenario{
		Trails: []Trail{{Name: "x"}, {Name: "both", EventSelectors: json.RawMessage(`[]`), AdvancedEventSelectors: json.RawMessage(`[{}]`)}},
		Rules:  []EventRule{{Name: "r", State: "ON"}, {Name: "bad name"}},
		Queues: []Queue{{Name: "q", Messages: -1}},
	})
	if err == nil {
		t.Fatal("invalid health scenario accepted")
	}
	for _, want := range []string{`trail "x"`, "one kind or the other", `state "ON"`, "eventPattern or a scheduleExpression", `rule "bad name"`, "queue q: message counts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
