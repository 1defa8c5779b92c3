// Package health is vpcguard's self-check: is it seeing anything?
//
// vpcguard hears of a change only while a CloudTrail trail logs management
// write events in the Region, its EventBridge rules are enabled and target
// its functions, and the deliveries succeed; its findings reach people only
// through a confirmed subscription of its topic. When any of that breaks,
// vpcguard is silent, and silence reads as "all compliant". The sweep runs
// this check on every run and puts what fails at the top of its digest.
//
// Observe reads the state (read-only: CloudTrail, EventBridge, SNS, SQS and
// CloudWatch); Evaluate runs the catalogue of items on it, each one small
// pure function that says pass, fail or unknown ("could not verify", never
// healthy) with the exact fix.
package health

import (
	"errors"
	"strings"
	"time"

	"github.com/aws/smithy-go"

	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// Item IDs: a contract, like the check IDs (the digest, the "vpcguard
// Health" event and tests use them).
const (
	ItemTrail          = "trail-logging"
	ItemRules          = "rules-enabled"
	ItemSubscription   = "topic-subscribed"
	ItemDeadLetters    = "dead-letter-queue-empty"
	ItemFunctionErrors = "function-errors"
	ItemLastRun        = "function-last-run"
)

// DetailType is the EventBridge detail-type of a health report.
const DetailType = "vpcguard Health"

// Windows of the CloudWatch reads.
const (
	ErrorWindow   = 24 * time.Hour      // errors and throttles counted over
	LastRunWindow = 14 * 24 * time.Hour // the last invocation is looked for in
	metricPeriod  = time.Hour
)

// Item is the outcome of one item of the catalogue.
type Item struct {
	ID       string          `json:"id"`
	Title    string          `json:"title"`
	Status   report.Status   `json:"status"` // pass, fail, unknown (could not verify) or not-applicable
	Severity report.Severity `json:"severity"`
	// EventSupply: a failure means vpcguard receives no events at all.
	EventSupply bool     `json:"event_supply,omitempty"`
	Resources   []string `json:"resources,omitempty"`
	Message     string   `json:"message"`
	// Missing are the permissions whose denial kept the item unverified.
	Missing []string `json:"missing_permissions,omitempty"`
	// Fix is the exact shell command that repairs a failing item (AWS CLI
	// commands joined by &&; a placeholder in capitals, like BUCKET, is
	// explained by the message).
	Fix string `json:"fix,omitempty"`
}

// OK reports whether the item passes (or does not apply).
func (it Item) OK() bool {
	return it.Status == report.StatusPass || it.Status == report.StatusNotApplicable
}

// Report is the health section of a sweep and the output of `sweep -health`.
type Report struct {
	Account string    `json:"account,omitempty"`
	Region  string    `json:"region"`
	Checked time.Time `json:"checked"`
	// Status is fail when an item fails, unknown when none fails but one
	// could not be verified, pass otherwise.
	Status report.Status `json:"status"`
	// Severity is the highest severity among the items not OK ("" if none).
	Severity report.Severity `json:"severity,omitempty"`
	// NotSeeingEvents: an event-supply item (trail, rules) fails.
	NotSeeingEvents bool   `json:"not_seeing_events"`
	Items           []Item `json:"items"`
	// NotChecked says what of vpcguard's deployment this check does not
	// read (Targets.NotChecked), so that a pass is not read as more.
	NotChecked []string `json:"not_checked,omitempty"`
}

// Failing returns the items that are not OK, in catalogue order.
func (r Report) Failing() []Item {
	var out []Item
	for _, it := range r.Items {
		if !it.OK() {
			out = append(out, it)
		}
	}
	return out
}

// Headline is the one line that leads the digest when the report is not
// healthy: "VPCGUARD IS NOT SEEING EVENTS" when the event supply is broken.
func (r Report) Headline() string {
	failing := r.Failing()
	if len(failing) == 0 {
		return ""
	}
	var supply, supplyUnknown []string
	for _, it := range failing {
		if it.EventSupply && it.Status == report.StatusFail {
			supply = append(supply, it.ID)
		} else if it.EventSupply {
			supplyUnknown = append(supplyUnknown, it.ID)
		}
	}
	switch {
	case len(supply) > 0:
		return "VPCGUARD IS NOT SEEING EVENTS (" + strings.Join(supply, ", ") + " failing): its silence does not mean compliant"
	case len(supplyUnknown) > 0:
		return "VPCGUARD CANNOT VERIFY IT IS SEEING EVENTS (" + strings.Join(supplyUnknown, ", ") + " could not be verified)"
	}
	ids := make([]string, len(failing))
	for i, it := range failing {
		ids[i] = it.ID
	}
	return "VPCGUARD HEALTH: " + strings.Join(ids, ", ") + " need attention"
}

// Targets are vpcguard's own resources, which the stack names (pkg/config).
type Targets struct {
	Region   string
	Account  string // for the report; optional
	TopicARN string
	Health   config.Health
	// NotChecked are the parts of the deployment the check cannot read
	// (in organization mode, the member accounts'), one sentence each;
	// the report repeats them.
	NotChecked []string
}

// Definition is one item of the catalogue.
type Definition struct {
	ID          string
	Title       string
	Severity    report.Severity
	EventSupply bool
	// Evaluate sets Status, Resources, Message, Missing and Fix.
	Evaluate func(*Observation) Item
}

// Catalogue lists the items in the order they are reported.
func Catalogue() []Definition {
	return []Definition{
		{ItemTrail, "A trail logs management write events in this Region", report.SeverityCritical, true, evaluateTrail},
		{ItemRules, "vpcguard's rules exist, are enabled and target its functions", report.SeverityCritical, true, evaluateRules},
		{ItemSubscription, "The topic has a confirmed subscription", report.SeverityHigh, false, evaluateSubscriptions},
		{ItemDeadLetters, "The dead-letter queue is empty", report.SeverityHigh, false, evaluateDeadLetters},
		{ItemFunctionErrors, "No function error or throttle in the last 24 hours", report.SeverityHigh, false, evaluateFunctionErrors},
		{ItemLastRun, "When each function last ran", report.SeverityInfo, false, evaluateLastRun},
	}
}

// Evaluate runs the catalogue on obs.
func Evaluate(obs *Observation) Report {
	r := Report{Account: obs.Targets.Account, Region: obs.Targets.Region, Checked: obs.Now.UTC(), Status: report.StatusPass,
		NotChecked: obs.Targets.NotChecked}
	for _, d := range Catalogue() {
		it := d.Evaluate(obs)
		it.ID, it.Title, it.Severity, it.EventSupply = d.ID, d.Title, d.Severity, d.EventSupply
		if it.OK() {
			it.Fix = ""
		} else {
			if it.Severity.Rank() > r.Severity.Rank() {
				r.Severity = it.Severity
			}
			if it.Severity != report.SeverityInfo {
				switch {
				case it.Status == report.StatusFail:
					r.Status = report.StatusFail
					r.NotSeeingEvents = r.NotSeeingEvents || it.EventSupply
				case r.Status == report.StatusPass:
					r.Status = report.StatusUnknown
				}
			}
		}
		r.Items = append(r.Items, it)
	}
	return r
}

// ReadError is a read that failed, with the IAM action it needed.
type ReadError struct {
	Action string // e.g. cloudtrail:DescribeTrails
	Err    error
}

func (e *ReadError) Error() string { return e.Action + ": " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// deniedCodes are the error codes of an IAM denial, per service.
var deniedCodes = map[string]bool{
	"AccessDenied": true, "AccessDeniedException": true, "UnauthorizedOperation": true,
	"AuthorizationError": true, "UnauthorizedException": true, "NotAuthorized": true,
	"AccessDeniedFault": true,
}

// notFoundCodes say the resource read does not exist.
var notFoundCodes = map[string]bool{
	"ResourceNotFoundException": true, "TrailNotFoundException": true, "NotFound": true,
	"QueueDoesNotExist": true, "AWS.SimpleQueueService.NonExistentQueue": true,
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// IsDenied reports whether err is an IAM denial.
func IsDenied(err error) bool { return deniedCodes[errorCode(err)] }

// IsNotFound reports whether err says the resource does not exist.
func IsNotFound(err error) bool { return notFoundCodes[errorCode(err)] }

// unverified is the item for state that could not be read: the denied
// permission, or the error.
func unverified(what string, errs ...error) Item {
	it := Item{Status: report.StatusUnknown}
	var parts []string
	for _, err := range errs {
		var re *ReadError
		action := ""
		if errors.As(err, &re) {
			action = re.Action
		}
		if IsDenied(err) && action != "" {
			if !contains(it.Missing, action) {
				it.Missing = append(it.Missing, action)
			}
			parts = append(parts, action+" was denied")
			continue
		}
		parts = append(parts, err.Error())
	}
	it.Message = "could not verify " + what + ": " + strings.Join(dedupe(parts), "; ")
	if len(it.Missing) > 0 {
		it.Message += " (grant " + strings.Join(it.Missing, ", ") + " to the role the sweep runs as: the stack does; a local run needs it too)"
	}
	return it
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func dedupe(list []string) []string {
	var out []string
	for _, s := range list {
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
