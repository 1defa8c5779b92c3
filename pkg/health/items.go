package health

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/report"
)

func notConfigured(variable, what string) Item {
	return Item{Status: report.StatusNotApplicable, Message: variable + " is unset, so " + what + " is checked (the stack sets it)"}
}

func evaluateRules(obs *Observation) Item {
	h := obs.Targets.Health
	if len(h.Rules) == 0 {
		return notConfigured(config.EnvRules, "no rule")
	}
	region := obs.Targets.Region
	var problems, fixes, resources []string
	var errs []error
	for _, rs := range obs.Rules {
		name, bus, onBus := rs.Ref.Name, "the default bus", ""
		if rs.Ref.Bus != "" {
			bus, onBus = "bus "+rs.Ref.Bus, " --event-bus-name "+rs.Ref.Bus
			name += " on bus " + rs.Ref.Bus
		}
		resources = append(resources, rs.Ref.String())
		switch {
		case !rs.Rule.OK() && IsNotFound(rs.Rule.Err):
			problems = append(problems, "rule "+rs.Ref.Name+" does not exist on "+bus+" (redeploying vpcguard recreates it)")
			fixes = append(fixes, "make deploy")
			continue
		case !rs.Rule.OK():
			errs = append(errs, rs.Rule.Err)
		case rs.Rule.Value.State != "ENABLED":
			problems = append(problems, fmt.Sprintf("rule %s is %s", name, strings.ToLower(rs.Rule.Value.State)))
			fixes = append(fixes, fmt.Sprintf("aws events enable-rule --region %s --name %s%s", region, rs.Ref.Name, onBus))
		}
		if !rs.Targets.OK() {
			if !IsNotFound(rs.Targets.Err) {
				errs = append(errs, rs.Targets.Err)
			}
			continue
		}
		if !targetsFunction(rs.Targets.Value, rs.Ref, h.Functions) {
			want := rs.Ref.Function
			if want == "" {
				want = "one of " + strings.Join(h.Functions, ", ")
			}
			got := "no target"
			if len(rs.Targets.Value) > 0 {
				got = "targets " + strings.Join(rs.Targets.Value, ", ")
			}
			problems = append(problems, fmt.Sprintf("rule %s does not target %s (%s; redeploying vpcguard restores its target)", name, want, got))
			fixes = append(fixes, "make deploy")
		}
	}
	if len(problems) > 0 {
		msg := "vpcguard receives no event through " + strings.Join(problems, "; ")
		if len(errs) > 0 {
			msg += "; and " + unverified("the other rules", errs...).Message
		}
		return Item{Status: report.StatusFail, Resources: resources, Message: msg, Fix: strings.Join(dedupe(fixes), " && ")}
	}
	if len(errs) > 0 {
		it := unverified("vpcguard's rules", errs...)
		it.Resources = resources
		return it
	}
	return Item{Status: report.StatusPass, Resources: resources,
		Message: fmt.Sprintf("%d rules are enabled and target vpcguard's functions", len(obs.Rules))}
}

// targetsFunction reports whether some target ARN is the rule's function
// (or, for a rule given without one, any of vpcguard's functions).
func targetsFunction(arns []string, ref config.RuleRef, functions []string) bool {
	for _, arn := range arns {
		name, ok := lambdaFunctionName(arn)
		if !ok {
			continue
		}
		switch {
		case ref.Function != "":
			if name == ref.Function {
				return true
			}
		case len(functions) == 0 || slices.Contains(functions, name):
			return true
		}
	}
	return false
}

// lambdaFunctionName reads the function name of a Lambda function ARN
// (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]).
func lambdaFunctionName(arn string) (string, bool) {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" {
		return "", false
	}
	return parts[6], true
}

func evaluateSubscriptions(obs *Observation) Item {
	topic := obs.Targets.TopicARN
	if obs.Subscriptions == nil {
		return notConfigured("VPCGUARD_TOPIC_ARN", "no topic")
	}
	region := obs.Targets.Region
	subscribe := fmt.Sprintf("aws sns subscribe --region %s --topic-arn %s --protocol email --notification-endpoint EMAIL_ADDRESS", region, topic)
	f := *obs.Subscriptions
	switch {
	case !f.OK() && IsNotFound(f.Err):
		return Item{Status: report.StatusFail, Resources: []string{topic},
			Message: "the topic " + topic + " does not exist: notifications fail and Lambda retries them (redeploy vpcguard with -c notificationEmail=…)", Fix: "make deploy"}
	case !f.OK():
		it := unverified("the subscriptions of "+topic, f.Err)
		it.Resources = []string{topic}
		return it
	}
	var confirmed, pending []string
	for _, s := range f.Value {
		switch s.ARN {
		case "PendingConfirmation":
			pending = append(pending, s.Protocol+" "+s.Endpoint)
		case "Deleted", "":
		default:
			confirmed = append(confirmed, s.Protocol+" "+s.Endpoint)
		}
	}
	if len(confirmed) > 0 {
		msg := fmt.Sprintf("%s has %d confirmed subscription(s): %s", topic, len(confirmed), strings.Join(confirmed, ", "))
		if len(pending) > 0 {
			msg += fmt.Sprintf("; %d pending confirmation: %s", len(pending), strings.Join(pending, ", "))
		}
		return Item{Status: report.StatusPass, Resources: []string{topic}, Message: msg}
	}
	if len(pending) > 0 {
		var emails []string
		for _, s := range f.Value {
			if s.ARN == "PendingConfirmation" {
				emails = append(emails, s.Endpoint)
			}
		}
		return Item{Status: report.StatusFail, Resources: append([]string{topic}, emails...),
			Message: fmt.Sprintf("no one receives vpcguard's notifications: every subscription of %s is pending confirmation (%s). "+
				"Confirm the email AWS sent to %s (subject \"AWS Notification - Subscription Confirmation\"); the command sends it again",
				topic, strings.Join(pending, ", "), strings.Join(emails, ", ")),
			Fix: fmt.Sprintf("aws sns subscribe --region %s --topic-arn %s --protocol email --notification-endpoint %s", region, topic, emails[0])}
	}
	return Item{Status: report.StatusFail, Resources: []string{topic},
		Message: "no one receives vpcguard's notifications: " + topic + " has no subscription (subscribe an address, EMAIL_ADDRESS in the command, and confirm the email AWS sends)",
		Fix:     subscribe}
}

func evaluateDeadLetters(obs *Observation) Item {
	url := obs.Targets.Health.DLQURL
	if obs.DeadLetters == nil {
		return notConfigured(config.EnvDLQURL, "no dead-letter queue")
	}
	f := *obs.DeadLetters
	switch {
	case !f.OK() && IsNotFound(f.Err):
		return Item{Status: report.StatusFail, Resources: []string{url},
			Message: "the dead-letter queue " + url + " does not exist: events that fail every retry are lost (redeploying vpcguard recreates it)", Fix: "make deploy"}
	case !f.OK():
		it := unverified("the dead-letter queue", f.Err)
		it.Resources = []string{url}
		return it
	}
	q := f.Value
	if q.Total() == 0 {
		return Item{Status: report.StatusPass, Resources: []string{url}, Message: "the dead-letter queue is empty"}
	}
	region := obs.Targets.Region
	return Item{Status: report.StatusFail, Resources: []string{url},
		Message: fmt.Sprintf("%d event(s) were not evaluated: they failed every delivery or invocation and wait in the dead-letter queue (%d visible, %d in flight, %d delayed). "+
			"Read each event and its error (the command), fix the cause, then empty the queue with aws sqs purge-queue --region %s --queue-url %s; the sweep re-evaluates the whole account meanwhile",
			q.Total(), q.Visible, q.InFlight, q.Delayed, region, url),
		Fix: fmt.Sprintf("aws sqs receive-message --region %s --queue-url %s --max-number-of-messages 10 --attribute-names All --message-attribute-names All", region, url)}
}

func evaluateFunctionErrors(obs *Observation) Item {
	if len(obs.Functions) == 0 {
		return notConfigured(config.EnvFunctions, "no function")
	}
	region := obs.Targets.Region
	start := obs.Now.Add(-ErrorWindow).UnixMilli()
	var problems, fixes, resources []string
	var errs []error
	for _, fm := range obs.Functions {
		resources = append(resources, fm.Name)
		if !fm.Errors.OK() || !fm.Throttles.OK() {
			errs = append(errs, fm.Errors.Err, fm.Throttles.Err)
			errs = slices.DeleteFunc(errs, func(e error) bool { return e == nil })
			continue
		}
		if n := fm.Errors.Value; n > 0 {
			problems = append(problems, fmt.Sprintf("%s failed %s time(s)", fm.Name, count(n)))
			fixes = append(fixes, fmt.Sprintf(`aws logs filter-log-events --region %s --log-group-name "$(aws lambda get-function-configuration --region %s --function-name %s --query LoggingConfig.LogGroup --output text)" --start-time %d --filter-pattern '{ $.level = "ERROR" }'`,
				region, region, fm.Name, start))
		}
		if n := fm.Throttles.Value; n > 0 {
			problems = append(problems, fmt.Sprintf("%s was throttled %s time(s) (compare its reserved concurrency with the account's; raise the quota or reserve concurrency for it)", fm.Name, count(n)))
			fixes = append(fixes, fmt.Sprintf("aws lambda get-function-concurrency --region %s --function-name %s && aws lambda get-account-settings --region %s",
				region, fm.Name, region))
		}
	}
	if len(problems) > 0 {
		return Item{Status: report.StatusFail, Resources: resources,
			Message: "in the last 24 hours " + strings.Join(problems, "; ") + ": the events involved were retried, and may wait in the dead-letter queue",
			Fix:     strings.Join(fixes, " && ")}
	}
	if len(errs) > 0 {
		it := unverified("the functions' errors and throttles", errs...)
		it.Resources = resources
		return it
	}
	return Item{Status: report.StatusPass, Resources: resources,
		Message: fmt.Sprintf("no error or throttle of %s in the last 24 hours", strings.Join(resources, ", "))}
}

func evaluateLastRun(obs *Observation) Item {
	if len(obs.Functions) == 0 {
		return notConfigured(config.EnvFunctions, "no function")
	}
	var parts, resources []string
	var errs []error
	for _, fm := range obs.Functions {
		resources = append(resources, fm.Name)
		switch {
		case !fm.LastRun.OK():
			errs = append(errs, fm.LastRun.Err)
		case fm.LastRun.Value == nil:
			parts = append(parts, fmt.Sprintf("%s has not run in %d days", fm.Name, int(LastRunWindow/(24*time.Hour))))
		default:
			parts = append(parts, fmt.Sprintf("%s last ran in the hour from %s", fm.Name, fm.LastRun.Value.UTC().Format("2006-01-02 15:04 UTC")))
		}
	}
	if len(errs) > 0 {
		it := unverified("when the functions last ran", errs...)
		it.Resources = resources
		return it
	}
	return Item{Status: report.StatusPass, Resources: resources,
		Message: strings.Join(parts, "; ") + " (an event function runs only when a matching call is made)"}
}

func count(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
