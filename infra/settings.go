package main

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
)

// Remediation action IDs, as pkg/report defines them (a public contract; the
// test TestActionIDsMatchReportPackage keeps the two lists equal). The infra
// module does not import the root module so that it stays a separate build.
const (
	actionCreateS3GatewayEndpoint = "create-s3-gateway-endpoint"
	actionAssociateRouteTables    = "associate-route-tables"
	actionAddALRepoDeny           = "add-al-repo-deny"
)

// actionIDs lists every remediation action in plan order.
var actionIDs = []string{actionCreateS3GatewayEndpoint, actionAssociateRouteTables, actionAddALRepoDeny}

// Settings are the deploy-time parameters, read from CDK context
// (`cdk deploy -c mode=remediate`, or the "context" block of cdk.json).
type Settings struct {
	Mode              string   // report | remediate
	Remediations      []string // action IDs allowed in remediate mode; empty = none
	NotificationEmail string   // optional email subscription on the topic
	ExpectedInstances int      // VPCGUARD_EXPECTED_INSTANCES
	ExemptTag         string   // VPCGUARD_EXEMPT_TAG
	ExistingTrail     bool     // true: do not create a CloudTrail trail
	EventBusName      string   // bus that receives vpcguard's findings (VPCGUARD_EVENT_BUS)
	LogLevel          string   // Lambda application log level
	SweepSchedule     string   // EventBridge schedule expression of the sweep function
	NotifyCompliant   bool     // VPCGUARD_NOTIFY_COMPLIANT
	SecurityHub       bool     // VPCGUARD_SECURITY_HUB, and the Security Hub permissions
}

// Defaults for context keys that are not set.
const (
	defaultMode              = "report"
	defaultExpectedInstances = 1
	defaultExemptTag         = "vpcguard:exempt"
	defaultEventBusName      = "default"
	defaultLogLevel          = "INFO"
	defaultSweepSchedule     = "rate(1 day)"
)

// Context keys, in the order README documents them.
var contextKeys = []string{
	"mode", "remediations", "notificationEmail", "expectedInstances", "exemptTag",
	"existingTrail", "eventBusName", "logLevel", "sweepSchedule", "notifyCompliant",
	"securityHub",
}

var (
	logLevels    = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
	busNameRE    = regexp.MustCompile(`^[A-Za-z0-9._\-/]{1,256}$`)
	emailRE      = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	scheduleRE   = regexp.MustCompile(`^(rate|cron)\(.+\)$`)
	remediateOff = "none"
)

// SettingsFromContext reads and validates every parameter. All bad values are
// reported together, so one failed synth shows everything to fix.
func SettingsFromContext(node constructs.Node) (Settings, error) {
	get := func(key string) (string, bool) {
		v := node.TryGetContext(&key)
		if v == nil {
			return "", false
		}
		switch t := v.(type) {
		case string:
			return strings.TrimSpace(t), true
		case bool:
			return strconv.FormatBool(t), true
		case float64:
			return strconv.FormatFloat(t, 'f', -1, 64), true
		case []interface{}: // a JSON list in cdk.json, e.g. "remediations": ["a", "b"]
			parts := make([]string, 0, len(t))
			for _, p := range t {
				parts = append(parts, fmt.Sprint(p))
			}
			return strings.Join(parts, ","), true
		default:
			return strings.TrimSpace(fmt.Sprint(t)), true
		}
	}
	return parseSettings(get)
}

func parseSettings(get func(string) (string, bool)) (Settings, error) {
	s := Settings{
		Mode:              defaultMode,
		Remediations:      slices.Clone(actionIDs),
		ExpectedInstances: defaultExpectedInstances,
		ExemptTag:         defaultExemptTag,
		EventBusName:      defaultEventBusName,
		LogLevel:          defaultLogLevel,
		SweepSchedule:     defaultSweepSchedule,
	}
	var errs []error
	bad := func(key, value, want string) {
		errs = append(errs, fmt.Errorf("context %s=%q: %s", key, value, want))
	}
	parseBool := func(key string, dst *bool) {
		if v, ok := get(key); ok && v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				bad(key, v, "want true or false")
				return
			}
			*dst = b
		}
	}

	if v, ok := get("mode"); ok && v != "" {
		switch v {
		case "report", "remediate":
			s.Mode = v
		default:
			bad("mode", v, "want report or remediate")
		}
	}
	if v, ok := get("remediations"); ok && v != "" {
		ids, err := parseRemediations(v)
		if err != nil {
			bad("remediations", v, err.Error())
		} else {
			s.Remediations = ids
		}
	}
	if v, ok := get("notificationEmail"); ok && v != "" {
		if !emailRE.MatchString(v) {
			bad("notificationEmail", v, "want an email address")
		} else {
			s.NotificationEmail = v
		}
	}
	if v, ok := get("expectedInstances"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			bad("expectedInstances", v, "want a whole number from 1 to 10000")
		} else {
			s.ExpectedInstances = n
		}
	}
	if v, ok := get("exemptTag"); ok && v != "" {
		if len(v) > 128 || strings.HasPrefix(v, "aws:") {
			bad("exemptTag", v, "want a tag key of 1 to 128 characters not starting with aws:")
		} else {
			s.ExemptTag = v
		}
	}
	parseBool("existingTrail", &s.ExistingTrail)
	if v, ok := get("eventBusName"); ok && v != "" {
		if !busNameRE.MatchString(v) || strings.HasPrefix(v, "arn:") {
			bad("eventBusName", v, "want an event bus name (not an ARN)")
		} else {
			s.EventBusName = v
		}
	}
	if v, ok := get("logLevel"); ok && v != "" {
		if up := strings.ToUpper(v); slices.Contains(logLevels, up) {
			s.LogLevel = up
		} else {
			bad("logLevel", v, "want one of "+strings.Join(logLevels, ", "))
		}
	}
	if v, ok := get("sweepSchedule"); ok && v != "" {
		if !scheduleRE.MatchString(v) {
			bad("sweepSchedule", v, "want an EventBridge schedule expression: rate(...) or cron(...)")
		} else {
			s.SweepSchedule = v
		}
	}
	parseBool("notifyCompliant", &s.NotifyCompliant)
	parseBool("securityHub", &s.SecurityHub)

	if err := errors.Join(errs...); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// parseRemediations accepts a comma list of action IDs, "all", or "none".
func parseRemediations(v string) ([]string, error) {
	switch strings.ToLower(v) {
	case remediateOff:
		return []string{}, nil
	case "all":
		return slices.Clone(actionIDs), nil
	}
	var ids []string
	for _, part := range strings.Split(v, ",") {
		id := strings.TrimSpace(part)
		if id == "" {
			continue
		}
		if !slices.Contains(actionIDs, id) {
			return nil, fmt.Errorf("unknown action %q; want a comma list of %s, all, or none", id, strings.Join(actionIDs, ", "))
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("empty list; use none to allow no action")
	}
	return ids, nil
}

// Allows reports whether the stack must grant the write permissions of action id.
func (s Settings) Allows(id string) bool {
	return s.Mode == "remediate" && slices.Contains(s.Remediations, id)
}

// RemediationsEnv is the value of VPCGUARD_REMEDIATIONS.
func (s Settings) RemediationsEnv() string {
	if len(s.Remediations) == 0 {
		return remediateOff
	}
	return strings.Join(s.Remediations, ",")
}
