package config

import (
	"net/url"
	"regexp"
	"strings"
)

// The variables of the health self-check. The stack sets them on the sweep
// with its own resources; locally, `sweep -health` reads the same.
const (
	// EnvRules lists vpcguard's EventBridge rules, comma-separated, each
	// as rule=function: the rule must exist, be enabled and target that
	// Lambda function. A bare rule name accepts any function of
	// EnvFunctions as its target. A rule is on the default bus, or on the
	// bus its name is prefixed with (bus/rule=function: organization
	// mode's central bus).
	EnvRules = "VPCGUARD_RULES"
	// EnvFunctions lists vpcguard's Lambda functions (names), whose
	// errors, throttles and last invocation the health check reads.
	EnvFunctions = "VPCGUARD_FUNCTIONS"
	// EnvDLQURL is the URL of the dead-letter queue of the rules and
	// functions, which must be empty.
	EnvDLQURL = "VPCGUARD_DLQ_URL"
)

// Health is what the health self-check looks at, beside the trails of the
// Region and Config.TopicARN's subscriptions. Each part is optional: what
// is not named is not checked (and the check says so).
type Health struct {
	Rules     []RuleRef // EnvRules
	Functions []string  // EnvFunctions
	DLQURL    string    // EnvDLQURL
}

// RuleRef is one of vpcguard's rules, on its bus (empty: the default
// bus), and the function it must target (empty: any of Health.Functions).
type RuleRef struct {
	Bus      string `json:"bus,omitempty"`
	Name     string `json:"name"`
	Function string `json:"function,omitempty"`
}

// String is the rule as EnvRules names it: [bus/]name.
func (r RuleRef) String() string {
	if r.Bus == "" {
		return r.Name
	}
	return r.Bus + "/" + r.Name
}

var (
	ruleName     = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)
	busName      = regexp.MustCompile(`^[/\.\-_A-Za-z0-9]{1,256}$`)
	functionName = regexp.MustCompile(`^[a-zA-Z0-9\-_]{1,64}$`)
)

// healthFromEnv reads the health variables; bad collects every problem.
func healthFromEnv(getenv func(string) string, bad func(name, value, want string)) Health {
	var h Health
	for _, part := range strings.Split(getenv(EnvRules), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, fn, _ := strings.Cut(part, "=")
		name, fn = strings.TrimSpace(name), strings.TrimSpace(fn)
		bus := ""
		if i := strings.LastIndex(name, "/"); i >= 0 { // a rule name has no '/'; a bus name may
			bus, name = name[:i], name[i+1:]
		}
		if !ruleName.MatchString(name) || (bus != "" && !busName.MatchString(bus)) || (fn != "" && !functionName.MatchString(fn)) {
			bad(EnvRules, part, "want [bus/]rule=function pairs (EventBridge bus and rule, Lambda function names), comma-separated")
			continue
		}
		h.Rules = append(h.Rules, RuleRef{Bus: bus, Name: name, Function: fn})
	}
	for _, part := range strings.Split(getenv(EnvFunctions), ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
		case !functionName.MatchString(part):
			bad(EnvFunctions, part, "want Lambda function names, comma-separated")
		default:
			h.Functions = append(h.Functions, part)
		}
	}
	if v := strings.TrimSpace(getenv(EnvDLQURL)); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Count(strings.Trim(u.Path, "/"), "/") != 1 {
			bad(EnvDLQURL, v, "want an SQS queue URL, like https://sqs.us-east-1.amazonaws.com/111122223333/queue")
		} else {
			h.DLQURL = v
		}
	}
	return h
}
