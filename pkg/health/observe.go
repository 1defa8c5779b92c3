package health

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/inventory"
)

// The read calls, each with the narrow interface the SDK clients satisfy.

// CloudTrailReader reads the trails of the Region.
type CloudTrailReader interface {
	DescribeTrails(ctx context.Context, in *cloudtrail.DescribeTrailsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
	GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	GetEventSelectors(ctx context.Context, in *cloudtrail.GetEventSelectorsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error)
}

// RuleReader reads EventBridge rules and their targets.
type RuleReader interface {
	DescribeRule(ctx context.Context, in *eventbridge.DescribeRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
	ListTargetsByRule(ctx context.Context, in *eventbridge.ListTargetsByRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
}

// SubscriptionLister lists the subscriptions of a topic.
type SubscriptionLister interface {
	ListSubscriptionsByTopic(ctx context.Context, in *sns.ListSubscriptionsByTopicInput, optFns ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
}

// QueueAttributes reads a queue's message counts.
type QueueAttributes interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// MetricStatistics reads CloudWatch metrics.
type MetricStatistics interface {
	GetMetricStatistics(ctx context.Context, in *cloudwatch.GetMetricStatisticsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricStatisticsOutput, error)
}

// Readers are the clients Observe reads through.
type Readers struct {
	CloudTrail CloudTrailReader
	Events     RuleReader
	SNS        SubscriptionLister
	SQS        QueueAttributes
	CloudWatch MetricStatistics
}

// Observation is the state the items are evaluated on. A part that was not
// asked for (no topic, no queue named) is absent; one that could not be
// read holds the error (a *ReadError naming the IAM action).
type Observation struct {
	Targets Targets
	Now     time.Time

	Trails inventory.Fact[[]Trail]
	Rules  []RuleState // one per Targets.Health.Rules
	// Subscriptions of Targets.TopicARN; nil when no topic is set.
	Subscriptions *inventory.Fact[[]Subscription]
	// DeadLetters of Targets.Health.DLQURL; nil when no queue is named.
	DeadLetters *inventory.Fact[QueueDepth]
	Functions   []FunctionMetrics // one per Targets.Health.Functions
}

// Trail is one trail DescribeTrails lists (its shadow trails included).
type Trail struct {
	Name, ARN, HomeRegion string
	MultiRegion           bool
	Organization          bool
	Status                inventory.Fact[TrailStatus]
	Selectors             inventory.Fact[Selectors]
}

// TrailStatus is what GetTrailStatus says.
type TrailStatus struct {
	Logging          bool
	StopLoggingTime  *time.Time
	StartLoggingTime *time.Time
}

// RuleState is one of vpcguard's rules as EventBridge has it.
type RuleState struct {
	Ref     config.RuleRef
	Rule    inventory.Fact[Rule]
	Targets inventory.Fact[[]string] // target ARNs
}

// Rule is what DescribeRule says.
type Rule struct {
	ARN, State, Bus string
}

// Subscription is one subscription of the topic.
type Subscription struct {
	ARN      string // "PendingConfirmation" until the endpoint confirms
	Protocol string
	Endpoint string
}

// QueueDepth are the approximate message counts of a queue.
type QueueDepth struct {
	Visible, InFlight, Delayed int
}

// Total is every message of the queue.
func (q QueueDepth) Total() int { return q.Visible + q.InFlight + q.Delayed }

// FunctionMetrics are one function's Lambda metrics.
type FunctionMetrics struct {
	Name      string
	Errors    inventory.Fact[float64] // over ErrorWindow
	Throttles inventory.Fact[float64] // over ErrorWindow
	// LastRun is the start of the latest hour with an invocation within
	// LastRunWindow; nil when there was none.
	LastRun inventory.Fact[*time.Time]
}

// maxSubscriptionPages bounds the ListSubscriptionsByTopic pages read (100
// subscriptions each).
const maxSubscriptionPages = 10

// Observe reads everything the items look at, concurrently. It never
// writes. Reads that fail are recorded in the observation.
func Observe(ctx context.Context, r Readers, t Targets, now time.Time) *Observation {
	obs := &Observation{Targets: t, Now: now}
	var wg sync.WaitGroup
	wg.Go(func() { obs.Trails = readTrails(ctx, r.CloudTrail, t.Region) })
	obs.Rules = make([]RuleState, len(t.Health.Rules))
	for i, ref := range t.Health.Rules {
		wg.Go(func() { obs.Rules[i] = readRule(ctx, r.Events, ref) })
	}
	if t.TopicARN != "" {
		wg.Go(func() {
			f := readSubscriptions(ctx, r.SNS, t.TopicARN)
			obs.Subscriptions = &f
		})
	}
	if t.Health.DLQURL != "" {
		wg.Go(func() {
			f := readQueue(ctx, r.SQS, t.Health.DLQURL)
			obs.DeadLetters = &f
		})
	}
	obs.Functions = make([]FunctionMetrics, len(t.Health.Functions))
	for i, fn := range t.Health.Functions {
		obs.Functions[i].Name = fn
		m := &obs.Functions[i]
		wg.Go(func() { m.Errors = sumMetric(ctx, r.CloudWatch, fn, "Errors", now.Add(-ErrorWindow), now) })
		wg.Go(func() { m.Throttles = sumMetric(ctx, r.CloudWatch, fn, "Throttles", now.Add(-ErrorWindow), now) })
		wg.Go(func() { m.LastRun = lastInvocation(ctx, r.CloudWatch, fn, now) })
	}
	wg.Wait()
	return obs
}

func failed[T any](action string, err error) inventory.Fact[T] {
	return inventory.Failed[T](&ReadError{Action: action, Err: err})
}

func readTrails(ctx context.Context, ct CloudTrailReader, region string) inventory.Fact[[]Trail] {
	if ct == nil {
		return failed[[]Trail]("cloudtrail:DescribeTrails", fmt.Errorf("no CloudTrail client"))
	}
	out, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		return failed[[]Trail]("cloudtrail:DescribeTrails", err)
	}
	var trails []Trail
	for _, tr := range out.TrailList {
		trails = append(trails, Trail{
			Name: aws.ToString(tr.Name), ARN: aws.ToString(tr.TrailARN), HomeRegion: aws.ToString(tr.HomeRegion),
			MultiRegion: aws.ToBool(tr.IsMultiRegionTrail), Organization: aws.ToBool(tr.IsOrganizationTrail),
		})
	}
	var wg sync.WaitGroup
	for i := range trails {
		tr := &trails[i]
		if !tr.appliesTo(region) {
			continue
		}
		// By ARN: a shadow trail, and an organization trail seen from a
		// member account, are found only by their ARN.
		id := aws.String(tr.ARN)
		wg.Go(func() {
			st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: id})
			if err != nil {
				tr.Status = failed[TrailStatus]("cloudtrail:GetTrailStatus", err)
				return
			}
			tr.Status = inventory.Known(TrailStatus{Logging: aws.ToBool(st.IsLogging), StopLoggingTime: st.StopLoggingTime, StartLoggingTime: st.StartLoggingTime})
		})
		wg.Go(func() {
			sel, err := ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: id})
			if err != nil {
				tr.Selectors = failed[Selectors]("cloudtrail:GetEventSelectors", err)
				return
			}
			tr.Selectors = inventory.Known(selectorsOf(sel))
		})
	}
	wg.Wait()
	return inventory.Known(trails)
}

func (tr Trail) appliesTo(region string) bool { return tr.HomeRegion == region || tr.MultiRegion }

func selectorsOf(out *cloudtrail.GetEventSelectorsOutput) Selectors {
	var s Selectors
	for _, es := range out.EventSelectors {
		b := BasicSelector{
			ReadWriteType:                 string(es.ReadWriteType),
			IncludeManagementEvents:       es.IncludeManagementEvents,
			ExcludeManagementEventSources: es.ExcludeManagementEventSources,
		}
		for _, dr := range es.DataResources {
			b.DataResources = append(b.DataResources, DataResource{Type: aws.ToString(dr.Type), Values: dr.Values})
		}
		s.Basic = append(s.Basic, b)
	}
	for _, as := range out.AdvancedEventSelectors {
		a := AdvancedSelector{Name: aws.ToString(as.Name)}
		for _, fs := range as.FieldSelectors {
			a.FieldSelectors = append(a.FieldSelectors, fieldSelectorOf(fs))
		}
		s.Advanced = append(s.Advanced, a)
	}
	return s
}

func fieldSelectorOf(fs cttypes.AdvancedFieldSelector) FieldSelector {
	return FieldSelector{
		Field: aws.ToString(fs.Field), Equals: fs.Equals, NotEquals: fs.NotEquals,
		StartsWith: fs.StartsWith, NotStartsWith: fs.NotStartsWith, EndsWith: fs.EndsWith, NotEndsWith: fs.NotEndsWith,
	}
}

func readRule(ctx context.Context, ev RuleReader, ref config.RuleRef) RuleState {
	st := RuleState{Ref: ref}
	if ev == nil {
		st.Rule = failed[Rule]("events:DescribeRule", fmt.Errorf("no EventBridge client"))
		st.Targets = failed[[]string]("events:ListTargetsByRule", fmt.Errorf("no EventBridge client"))
		return st
	}
	var bus *string // nil: the default bus
	if ref.Bus != "" {
		bus = aws.String(ref.Bus)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		out, err := ev.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(ref.Name), EventBusName: bus})
		if err != nil {
			st.Rule = failed[Rule]("events:DescribeRule", err)
			return
		}
		st.Rule = inventory.Known(Rule{ARN: aws.ToString(out.Arn), State: string(out.State), Bus: aws.ToString(out.EventBusName)})
	})
	wg.Go(func() {
		var arns []string
		var token *string
		for range 10 {
			out, err := ev.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(ref.Name), EventBusName: bus, NextToken: token})
			if err != nil {
				st.Targets = failed[[]string]("events:ListTargetsByRule", err)
				return
			}
			for _, t := range out.Targets {
				arns = append(arns, aws.ToString(t.Arn))
			}
			if token = out.NextToken; token == nil {
				break
			}
		}
		st.Targets = inventory.Known(arns)
	})
	wg.Wait()
	return st
}

func readSubscriptions(ctx context.Context, c SubscriptionLister, topic string) inventory.Fact[[]Subscription] {
	if c == nil {
		return failed[[]Subscription]("sns:ListSubscriptionsByTopic", fmt.Errorf("no SNS client"))
	}
	subs := []Subscription{}
	var token *string
	for range maxSubscriptionPages {
		out, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic), NextToken: token})
		if err != nil {
			return failed[[]Subscription]("sns:ListSubscriptionsByTopic", err)
		}
		for _, s := range out.Subscriptions {
			subs = append(subs, Subscription{ARN: aws.ToString(s.SubscriptionArn), Protocol: aws.ToString(s.Protocol), Endpoint: aws.ToString(s.Endpoint)})
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	return inventory.Known(subs)
}

func readQueue(ctx context.Context, c QueueAttributes, url string) inventory.Fact[QueueDepth] {
	if c == nil {
		return failed[QueueDepth]("sqs:GetQueueAttributes", fmt.Errorf("no SQS client"))
	}
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		return failed[QueueDepth]("sqs:GetQueueAttributes", err)
	}
	num := func(k sqstypes.QueueAttributeName) (int, error) {
		v, ok := out.Attributes[string(k)]
		if !ok {
			return 0, fmt.Errorf("GetQueueAttributes returned no %s", k)
		}
		return strconv.Atoi(v)
	}
	var q QueueDepth
	var err1, err2, err3 error
	q.Visible, err1 = num(sqstypes.QueueAttributeNameApproximateNumberOfMessages)
	q.InFlight, err2 = num(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)
	q.Delayed, err3 = num(sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			return failed[QueueDepth]("sqs:GetQueueAttributes", err)
		}
	}
	return inventory.Known(q)
}

func lambdaMetric(fn, metric string, from, to time.Time) *cloudwatch.GetMetricStatisticsInput {
	return &cloudwatch.GetMetricStatisticsInput{
		Namespace:  aws.String("AWS/Lambda"),
		MetricName: aws.String(metric),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(fn)}},
		StartTime:  aws.Time(from),
		EndTime:    aws.Time(to),
		Period:     aws.Int32(int32(metricPeriod / time.Second)),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum},
	}
}

func sumMetric(ctx context.Context, cw MetricStatistics, fn, metric string, from, to time.Time) inventory.Fact[float64] {
	if cw == nil {
		return failed[float64]("cloudwatch:GetMetricStatistics", fmt.Errorf("no CloudWatch client"))
	}
	out, err := cw.GetMetricStatistics(ctx, lambdaMetric(fn, metric, from, to))
	if err != nil {
		return failed[float64]("cloudwatch:GetMetricStatistics", err)
	}
	sum := 0.0
	for _, d := range out.Datapoints {
		sum += aws.ToFloat64(d.Sum)
	}
	return inventory.Known(sum)
}

func lastInvocation(ctx context.Context, cw MetricStatistics, fn string, now time.Time) inventory.Fact[*time.Time] {
	if cw == nil {
		return failed[*time.Time]("cloudwatch:GetMetricStatistics", fmt.Errorf("no CloudWatch client"))
	}
	out, err := cw.GetMetricStatistics(ctx, lambdaMetric(fn, "Invocations", now.Add(-LastRunWindow), now))
	if err != nil {
		return failed[*time.Time]("cloudwatch:GetMetricStatistics", err)
	}
	var last *time.Time
	for _, d := range out.Datapoints {
		if aws.ToFloat64(d.Sum) > 0 && d.Timestamp != nil && (last == nil || d.Timestamp.After(*last)) {
			t := d.Timestamp.UTC()
			last = &t
		}
	}
	return inventory.Known(last)
}
