// Package report holds vpcguard's result: the public JSON contract that is the
// Lambda return value, the local-mode output and the source of every
// notification. Field names and the values of Status, Severity and
// ActionStatus are a contract: add fields, never rename them.
package report

// Status is the outcome of one check.
type Status string

const (
	StatusPass          Status = "pass"
	StatusFail          Status = "fail"
	StatusUnknown       Status = "unknown"        // the state could not be read
	StatusNotApplicable Status = "not-applicable" // the guideline does not apply
	// StatusExempt: the check fails, but a live exemption (the exempt tag's
	// grammar, with a reason, an owner and an expiry) covers it; see
	// Check.Exemptions. Not repaired, not counted as a failure.
	StatusExempt Status = "exempt"
)

// Statuses is the status vocabulary, the public contract of Check.Status.
func Statuses() []Status {
	return []Status{StatusPass, StatusFail, StatusUnknown, StatusNotApplicable, StatusExempt}
}

// Severity ranks a check. Info checks never make an event non-compliant.
type Severity string

const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Rank orders severities: info 0 … critical 4; an unknown value ranks -1.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 0
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return -1
}

// Mode is how vpcguard ran: report writes nothing, remediate applies the
// allowed actions.
type Mode string

const (
	ModeReport    Mode = "report"
	ModeRemediate Mode = "remediate"
)

// ActionStatus is the outcome of one remediation action.
type ActionStatus string

const (
	ActionPlanned ActionStatus = "planned" // report mode: what vpcguard would do
	ActionApplied ActionStatus = "applied" // written, and the re-read state passes the check it fixes
	ActionSkipped ActionStatus = "skipped" // refused or not allowed (exempt, not in the allow-list, unsafe)
	ActionFailed  ActionStatus = "failed"  // the write or its verification failed
)

// Event identifies the CloudTrail call that triggered the evaluation (or the
// sweep that replaced it).
type Event struct {
	ID      string `json:"id"`      // EventBridge event id
	Name    string `json:"name"`    // CloudTrail eventName, e.g. CreateModel
	Source  string `json:"source"`  // CloudTrail eventSource, e.g. sagemaker.amazonaws.com
	Account string `json:"account"` // account the call was made in
	Region  string `json:"region"`
	Time    string `json:"time,omitempty"`  // eventTime, RFC 3339
	Actor   string `json:"actor,omitempty"` // ARN of the caller (session issuer for assumed roles)
}

// Resource names the thing an event is about.
type Resource struct {
	Type string `json:"type"` // model | endpoint-config | endpoint | vpc-endpoint | account; for drift: vpc | subnet | route-table | route-table-association | security-group | flow-log | scalable-target
	ID   string `json:"id"`   // name or id as AWS shows it
}

// Check is the result of one guideline check.
type Check struct {
	ID        string   `json:"id"`
	Status    Status   `json:"status"`
	Severity  Severity `json:"severity"`
	Resources []string `json:"resources"`
	Message   string   `json:"message"`
	// Remediation is how to fix it by hand, with the exact AWS CLI command
	// where one exists. Empty for passing checks.
	Remediation string `json:"remediation,omitempty"`
	// Exemptions are the live exemptions that made (part of) the check
	// exempt, one per tagged resource; set only when some finding is exempt.
	Exemptions []Exemption `json:"exemptions,omitempty"`
	// Verdicts are the check's outcome per resource (one per subject), for
	// the Security Hub findings. They are not part of the JSON contract.
	Verdicts []Verdict `json:"-"`
}

// Exemption is one live exemption: the tagged resource and what its tag says.
type Exemption struct {
	Resource string `json:"resource"` // the model, VPC, endpoint, route table or security group tagged
	Tag      string `json:"tag"`      // the tag key (VPCGUARD_EXEMPT_TAG)
	Reason   string `json:"reason"`
	Owner    string `json:"owner"`
	Expires  string `json:"expires"` // last day it holds, YYYY-MM-DD (through 23:59:59 UTC)
}

// Action is one remediation step, planned or carried out.
type Action struct {
	ID        string         `json:"id"`
	Status    ActionStatus   `json:"status"`
	Resources []string       `json:"resources"`
	Detail    map[string]any `json:"detail"`
}

// Result is everything vpcguard concluded about one event.
type Result struct {
	Event    Event     `json:"event"`
	Mode     Mode      `json:"mode"`
	Resource *Resource `json:"resource,omitempty"`
	// Skipped, when set, says why the event was not evaluated (a failed
	// call, an event name vpcguard does not handle, its own write).
	Skipped string   `json:"skipped,omitempty"`
	Checks  []Check  `json:"checks"`
	Actions []Action `json:"actions"`
	// SecurityHub says what was written to AWS Security Hub; absent when
	// VPCGUARD_SECURITY_HUB is off or the event was skipped.
	SecurityHub *SecurityHubDelivery `json:"securityHub,omitempty"`
	// Placement says how the placement index (VPCGUARD_STATE_TABLE) took
	// part: the models it found, why a full scan happened instead, and what
	// the event changed in it. Empty without an index.
	Placement string `json:"placement,omitempty"`
}

// Failing returns the checks that make the event non-compliant, in order:
// status fail or unknown, severity above info (info checks inform, they do
// not alarm).
func (r Result) Failing() []Check {
	var out []Check
	for _, c := range r.Checks {
		if (c.Status == StatusFail || c.Status == StatusUnknown) && c.Severity != SeverityInfo {
			out = append(out, c)
		}
	}
	return out
}

// Exempt returns the checks whose status is exempt, in order.
func (r Result) Exempt() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == StatusExempt {
			out = append(out, c)
		}
	}
	return out
}

// HighestSeverity is the highest severity among failing or unknown checks,
// or "" when none fails.
func (r Result) HighestSeverity() Severity {
	var best Severity
	for _, c := range r.Failing() {
		if c.Severity.Rank() > best.Rank() {
			best = c.Severity
		}
	}
	return best
}

// Remediation action IDs: a public contract like the check IDs.
const (
	ActionCreateS3GatewayEndpoint = "create-s3-gateway-endpoint"
	ActionAssociateRouteTables    = "associate-route-tables"
	ActionAddALRepoDeny           = "add-al-repo-deny"
)

// ActionIDs lists every remediation action vpcguard knows, in plan order.
func ActionIDs() []string {
	return []string{ActionCreateS3GatewayEndpoint, ActionAssociateRouteTables, ActionAddALRepoDeny}
}
