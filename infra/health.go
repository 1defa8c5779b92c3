package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// The health self-check (pkg/health) of the function that ChecksHealth:
// its variables name the stack's own rules, functions and dead-letter
// queue, and its role may read exactly those, plus the trails of the
// Region and the functions' Lambda metrics.
//
// The functions and rules have physical names, <stack>-<function> and
// <stack>-<function>-<source> for a function's second rule: the sweep's
// variables and policy name its own schedule rule and its own function,
// which a Ref would make circular (rule → function → policy → rule).

// The read actions of the health check, each on the narrowest resource.
var (
	trailListActions   = []string{"cloudtrail:DescribeTrails"}
	trailReadActions   = []string{"cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"}
	ruleReadActions    = []string{"events:DescribeRule", "events:ListTargetsByRule"}
	topicReadActions   = []string{"sns:ListSubscriptionsByTopic"}
	queueReadActions   = []string{"sqs:GetQueueAttributes"}
	metricReadActions  = []string{"cloudwatch:GetMetricStatistics"}
	healthReadActions  = concat(trailListActions, trailReadActions, ruleReadActions, topicReadActions, queueReadActions, metricReadActions)
	physicalNameFormat = regexp.MustCompile(`^[A-Za-z0-9\-_]{1,64}$`)
)

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// functionName is the physical name of functions/<name>'s Lambda function.
func functionName(stack awscdk.Stack, name string) string {
	return physicalName(stack, name)
}

// ruleName is the physical name of a function's i-th rule.
func ruleName(stack awscdk.Stack, name string, i int, tr Trigger) string {
	if i == 0 {
		return physicalName(stack, name)
	}
	return physicalName(stack, name+"-"+strings.TrimPrefix(tr.Source, "aws."))
}

// physicalName is <stack>-<suffix>; Lambda and EventBridge take 64
// characters of [A-Za-z0-9-_] (rules also '.').
func physicalName(stack awscdk.Stack, suffix string) string {
	if *awscdk.Token_IsUnresolved(stack.StackName()) {
		panic("vpcguard: the stack name must be known at synth (it prefixes the function and rule names)")
	}
	n := *stack.StackName() + "-" + suffix
	if !physicalNameFormat.MatchString(n) {
		panic(fmt.Sprintf("vpcguard: %q is not a valid function or rule name (at most 64 letters, digits, - and _): shorten the stack name", n))
	}
	return n
}

// healthEnv are the health variables (pkg/config): every rule with the
// function it targets, every function, the dead-letter queue.
func (s *VpcGuardStack) healthEnv(specs []FunctionSpec) map[string]*string {
	var fns []string
	for _, spec := range specs {
		fns = append(fns, functionName(s.Stack, spec.Name))
	}
	return map[string]*string{
		healthRulesVar:       jsii.String(strings.Join(healthRules(s.Stack, specs, ""), ",")),
		"VPCGUARD_FUNCTIONS": jsii.String(strings.Join(fns, ",")),
		"VPCGUARD_DLQ_URL":   s.DLQ.QueueUrl(),
	}
}

// healthRulesVar lists the rules the health check reads.
const healthRulesVar = "VPCGUARD_RULES"

// healthRules are VPCGUARD_RULES's [bus/]rule=function pairs of the
// specs' rules on bus ("": the default bus).
func healthRules(stack awscdk.Stack, specs []FunctionSpec, bus string) []string {
	var out []string
	for _, r := range rulesOn(stack, specs, bus) {
		out = append(out, r.name+"="+r.function)
	}
	return out
}

// ruleArns are the ARNs of the specs' rules on bus ("": the default bus).
func ruleArns(stack awscdk.Stack, specs []FunctionSpec, bus string) []*string {
	var out []*string
	for _, r := range rulesOn(stack, specs, bus) {
		out = append(out, regional(stack, "events", "rule", r.name))
	}
	return out
}

// busRule is one of the specs' rules: [bus/]name, and its function.
type busRule struct{ name, function string }

func rulesOn(stack awscdk.Stack, specs []FunctionSpec, bus string) []busRule {
	prefix := ""
	if bus != "" {
		prefix = bus + "/"
	}
	var out []busRule
	for _, spec := range specs {
		for i, tr := range spec.Triggers() {
			out = append(out, busRule{prefix + ruleName(stack, spec.Name, i, tr), functionName(stack, spec.Name)})
		}
	}
	return out
}

// healthStatements let a role read what the health check reads.
func healthStatements(stack awscdk.Stack, specs []FunctionSpec, topic awssns.Topic, dlq awssqs.Queue) []awsiam.PolicyStatement {
	st := func(sid string, actions []string, resources ...*string) awsiam.PolicyStatement {
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String(sid), Effect: awsiam.Effect_ALLOW, Actions: jsii.Strings(actions...), Resources: &resources,
		})
	}
	return []awsiam.PolicyStatement{
		st("HealthListTrails", trailListActions, jsii.String("*")),
		st("HealthReadTrails", trailReadActions, anyTrail(stack)),
		st("HealthReadOwnRules", ruleReadActions, ruleArns(stack, specs, "")...),
		st("HealthReadTopicSubscriptions", topicReadActions, topic.TopicArn()),
		st("HealthReadDeadLetterQueue", queueReadActions, dlq.QueueArn()),
		st("HealthReadFunctionMetrics", metricReadActions, jsii.String("*")),
	}
}

// anyTrail is every trail ARN: the one that makes EventBridge see the
// Region's calls may be a multi-Region trail homed in another Region, or
// an organization trail of the management account.
func anyTrail(stack awscdk.Stack) *string {
	return stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("cloudtrail"), Region: jsii.String("*"), Account: jsii.String("*"),
		Resource: jsii.String("trail"), ResourceName: jsii.String("*"),
	})
}

// healthSuppressions are the IAM5 findings of the health statements
// beyond "*" (whose reason, shared by every role, is in nag.go).
func healthSuppressions() []suppression {
	return []suppression{{
		id: "AwsSolutions-IAM5",
		reason: "Health self-check, read-only: cloudtrail:GetTrailStatus and GetEventSelectors on any trail: the trail " +
			"that feeds EventBridge may be a multi-Region trail homed in another Region or an organization trail of the " +
			"management account, unknown at deploy.",
		appliesTo: []string{"Resource::arn:<AWS::Partition>:cloudtrail:*:*:trail/*"},
	}}
}
