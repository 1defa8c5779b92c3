package awssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The state behind vpcguard's health self-check (pkg/health): CloudTrail
// trails, EventBridge rules, SNS subscriptions, SQS queues and CloudWatch
// metrics. Each service is served from its own file.

// Trail is a CloudTrail trail. It is listed in its home Region, and as a
// shadow trail in every other Region when MultiRegion is set.
type Trail struct {
	Name string `json:"name"`
	// HomeRegion defaults to the scenario's region.
	HomeRegion string `json:"homeRegion,omitempty"`
	// Account owns the trail (default the scenario's; another account's
	// organization trail is seen from a member account).
	Account      string `json:"account,omitempty"`
	MultiRegion  bool   `json:"multiRegion,omitempty"`
	Organization bool   `json:"organization,omitempty"`
	S3BucketName string `json:"s3BucketName,omitempty"` // default aws-cloudtrail-logs-<account>
	// Logging defaults to true; a stopped trail has false.
	Logging *bool `json:"logging,omitempty"`
	// EventSelectors and AdvancedEventSelectors are what GetEventSelectors
	// returns, in the API's shape (PascalCase keys), at most one of them.
	// With neither, the trail has CloudTrail's default: every management
	// event, read and write, and no data event.
	EventSelectors         json.RawMessage `json:"eventSelectors,omitempty"`
	AdvancedEventSelectors json.RawMessage `json:"advancedEventSelectors,omitempty"`
}

// EventRule is an EventBridge rule and its targets.
type EventRule struct {
	Name     string `json:"name"`
	EventBus string `json:"eventBus,omitempty"` // default "default"
	// State is ENABLED (default), DISABLED or
	// ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.
	State              string        `json:"state,omitempty"`
	EventPattern       string        `json:"eventPattern,omitempty"`
	ScheduleExpression string        `json:"scheduleExpression,omitempty"`
	Description        string        `json:"description,omitempty"`
	Targets            []EventTarget `json:"targets,omitempty"`
}

// EventTarget is one target of a rule.
type EventTarget struct {
	ID  string `json:"id"`
	ARN string `json:"arn"`
}

// Subscription is a subscription of a topic.
type Subscription struct {
	Protocol string `json:"protocol,omitempty"` // default email
	Endpoint string `json:"endpoint"`
	// Pending: not confirmed yet (SubscriptionArn "PendingConfirmation").
	Pending bool `json:"pending,omitempty"`
}

// Queue is an SQS queue, addressed by the URL path /<account>/<name>.
type Queue struct {
	Name     string `json:"name"`
	Messages int    `json:"messages,omitempty"` // ApproximateNumberOfMessages
	InFlight int    `json:"inFlight,omitempty"` // ApproximateNumberOfMessagesNotVisible
	Delayed  int    `json:"delayed,omitempty"`  // ApproximateNumberOfMessagesDelayed
}

// Metric is one CloudWatch metric (namespace, name, dimensions) and its
// datapoints, each one sample.
type Metric struct {
	Namespace  string            `json:"namespace,omitempty"` // default AWS/Lambda
	Name       string            `json:"name"`
	Dimensions map[string]string `json:"dimensions,omitempty"`
	Unit       string            `json:"unit,omitempty"` // default Count
	Datapoints []MetricPoint     `json:"datapoints"`
}

// MetricPoint is one sample: at Time, or Ago before the moment a request
// reads it (so that a scenario stays "recent").
type MetricPoint struct {
	Time  *time.Time `json:"time,omitempty"`
	Ago   Duration   `json:"ago,omitempty"`
	Value float64    `json:"value"`
}

func (p MetricPoint) at(now time.Time) time.Time {
	if p.Time != nil {
		return p.Time.UTC()
	}
	return now.Add(-time.Duration(p.Ago)).UTC()
}

type trailState struct {
	Trail
	arn       string
	selectors json.RawMessage // the API's GetEventSelectors body members
	advanced  bool
}

type eventRuleState struct {
	EventRule
	arn string
}

type subscriptionState struct {
	Subscription
	arn string
}

// healthState is the indexed health state of the account.
type healthState struct {
	trails        []*trailState
	rules         map[string]*eventRuleState // bus + "/" + name
	subscriptions map[string][]subscriptionState
	queues        map[string]*Queue // by name
	metrics       []Metric
}

var (
	trailNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._\-]{2,127}$`)
	ruleNameRe  = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)
	queueNameRe = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,80}(\.fifo)?$`)
)

// defaultSelectors are CloudTrail's selectors of a trail created without any.
var defaultSelectors = json.RawMessage(`[{"ReadWriteType":"All","IncludeManagementEvents":true,"DataResources":[],"ExcludeManagementEventSources":[]}]`)

func (st *state) buildHealth(sc *Scenario, v *validation) {
	h := &st.health
	h.rules = map[string]*eventRuleState{}
	h.subscriptions = map[string][]subscriptionState{}
	h.queues = map[string]*Queue{}

	seenTrail := map[string]bool{}
	for _, t := range sc.Trails {
		if !trailNameRe.MatchString(t.Name) {
			v.add("trail %q: want 3 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit", t.Name)
			continue
		}
		if t.HomeRegion == "" {
			t.HomeRegion = st.region
		}
		if t.Account == "" {
			t.Account = st.account
		}
		if t.S3BucketName == "" {
			t.S3BucketName = "aws-cloudtrail-logs-" + t.Account
		}
		if !regionName.MatchString(t.HomeRegion) || !accountID.MatchString(t.Account) {
			v.add("trail %s: bad homeRegion %q or account %q", t.Name, t.HomeRegion, t.Account)
			continue
		}
		ts := &trailState{Trail: t, arn: fmt.Sprintf("arn:%s:cloudtrail:%s:%s:trail/%s", st.partition, t.HomeRegion, t.Account, t.Name)}
		if seenTrail[ts.arn] {
			v.add("trail %s is defined twice", ts.arn)
			continue
		}
		seenTrail[ts.arn] = true
		switch {
		case len(t.EventSelectors) > 0 && len(t.AdvancedEventSelectors) > 0:
			v.add("trail %s: eventSelectors and advancedEventSelectors: a trail has one kind or the other", t.Name)
		case len(t.AdvancedEventSelectors) > 0:
			ts.selectors, ts.advanced = compactArray(v, "trail "+t.Name+" advancedEventSelectors", t.AdvancedEventSelectors), true
		case len(t.EventSelectors) > 0:
			ts.selectors = compactArray(v, "trail "+t.Name+" eventSelectors", t.EventSelectors)
		default:
			ts.selectors = defaultSelectors
		}
		h.trails = append(h.trails, ts)
	}

	for _, r := range sc.Rules {
		if !ruleNameRe.MatchString(r.Name) {
			v.add("rule %q: not a valid rule name", r.Name)
			continue
		}
		if r.EventBus == "" {
			r.EventBus = "default"
		}
		switch r.State {
		case "":
			r.State = "ENABLED"
		case "ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS":
		default:
			v.add("rule %s: state %q: want ENABLED, DISABLED or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", r.Name, r.State)
		}
		if (r.EventPattern == "") == (r.ScheduleExpression == "") {
			v.add("rule %s: want an eventPattern or a scheduleExpression", r.Name)
		}
		if r.EventPattern != "" && !json.Valid([]byte(r.EventPattern)) {
			v.add("rule %s: eventPattern is not JSON", r.Name)
		}
		key := r.EventBus + "/" + r.Name
		if h.rules[key] != nil {
			v.add("rule %s is defined twice on bus %s", r.Name, r.EventBus)
			continue
		}
		for i, t := range r.Targets {
			if t.ID == "" || !strings.HasPrefix(t.ARN, "arn:") {
				v.add("rule %s: target %d needs an id and an arn", r.Name, i)
			}
		}
		arn := fmt.Sprintf("arn:%s:events:%s:%s:rule/%s", st.partition, st.region, st.account, r.Name)
		if r.EventBus != "default" {
			arn = fmt.Sprintf("arn:%s:events:%s:%s:rule/%s/%s", st.partition, st.region, st.account, r.EventBus, r.Name)
		}
		h.rules[key] = &eventRuleState{EventRule: r, arn: arn}
	}

	for _, t := range sc.Topics {
		arn := st.topicARN(t)
		for i, s := range t.Subscriptions {
			if s.Protocol == "" {
				s.Protocol = "email"
			}
			if s.Endpoint == "" {
				v.add("topic %s: subscription %d has no endpoint", arn, i)
				continue
			}
			sub := subscriptionState{Subscription: s, arn: "PendingConfirmation"}
			if !s.Pending {
				sub.arn = arn + ":" + uuidFrom(uint64(len(h.subscriptions[arn])+1)^0x5b5c0000)
			}
			h.subscriptions[arn] = append(h.subscriptions[arn], sub)
		}
	}

	for i := range sc.Queues {
		q := &sc.Queues[i]
		if !queueNameRe.MatchString(q.Name) {
			v.add("queue %q: not a valid queue name", q.Name)
			continue
		}
		if q.Messages < 0 || q.InFlight < 0 || q.Delayed < 0 {
			v.add("queue %s: message counts must be ≥ 0", q.Name)
		}
		if h.queues[q.Name] != nil {
			v.add("queue %s is defined twice", q.Name)
		}
		h.queues[q.Name] = q
	}

	for _, m := range sc.Metrics {
		if m.Namespace == "" {
			m.Namespace = "AWS/Lambda"
		}
		if m.Unit == "" {
			m.Unit = "Count"
		}
		if m.Name == "" {
			v.add("a metric of %s has no name", m.Namespace)
			continue
		}
		for i, p := range m.Datapoints {
			if p.Time != nil && p.Ago != 0 {
				v.add("metric %s datapoint %d: time or ago, not both", m.Name, i)
			}
		}
		h.metrics = append(h.metrics, m)
	}
}

// compactArray checks that raw is a JSON array of objects and compacts it.
func compactArray(v *validation, what string, raw json.RawMessage) json.RawMessage {
	var list []map[string]any
	if err := json.Unmarshal(raw, &list); err != nil {
		v.add("%s: want a JSON array of objects: %v", what, err)
		return nil
	}
	var buf bytes.Buffer
	json.Compact(&buf, raw)
	return buf.Bytes()
}

// topicARN is the ARN of a scenario topic.
func (st *state) topicARN(t Topic) string {
	if t.ARN != "" {
		return t.ARN
	}
	return fmt.Sprintf("arn:%s:sns:%s:%s:%s", st.partition, st.region, st.account, t.Name)
}
