package securityhub

import (
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// The fixed parts of every vpcguard finding.
const (
	// SchemaVersion is the only published ASFF schema version.
	SchemaVersion = "2018-10-08"
	// CompanyName and ProductName may be set by a custom integration
	// (AwsSecurityFinding.CompanyName: "The exception to this is a custom
	// integration").
	CompanyName = "vpcguard"
	ProductName = "vpcguard"
	// FindingType is namespace/category of the ASFF types taxonomy
	// ("Software and Configuration Checks" / "AWS Security Best Practices").
	FindingType = "Software and Configuration Checks/AWS Security Best Practices"
)

// statusExempt is the status of a finding that a live exemption covers: a
// check or verdict with it is rendered ARCHIVED with the exemption in
// ProductFields (the workflow status stays the people's).
const statusExempt = report.StatusExempt

// ProductARN is the ARN of the account's own custom-integration product,
// the one a finding about that account's resources is imported under.
func ProductARN(partition, region, account string) string {
	return "arn:" + partition + ":securityhub:" + region + ":" + account + ":product/" + account + "/default"
}

// Options are what rendering needs beyond the result.
type Options struct {
	Partition string // aws, aws-cn, aws-us-gov (default aws)
	Version   string // vpcguard's version, in ProductFields
}

func (o Options) partition() string {
	if o.Partition == "" {
		return "aws"
	}
	return o.Partition
}

// Finding is one rendered finding and what vpcguard wants Security Hub to
// hold: an ACTIVE finding for a failing or unverified check, an ARCHIVED one
// otherwise.
type Finding struct {
	ASFF    types.AwsSecurityFinding
	Check   string
	Subject report.Ref
	// Status is the verdict's status as rendered: fail, unknown, pass,
	// not-applicable or exempt (a verified repair renders as pass).
	Status report.Status
	// Record is true when the finding is written even if Security Hub holds
	// no ACTIVE finding of its Id: a failing or unverified check, a repair,
	// an exemption. A plain pass or not-applicable only archives an ACTIVE
	// finding: importing ARCHIVED findings for resources that never failed
	// would bury people in noise.
	Record bool
}

// Active reports whether the finding is to be ACTIVE.
func (f Finding) Active() bool { return f.ASFF.RecordState == types.RecordStateActive }

// ID is the finding's Id.
func (f Finding) ID() string { return aws.ToString(f.ASFF.Id) }

// Render renders the findings of r: one per check and verdict subject, in
// the result's check order. Skipped results, and results without an account
// or region, give none. at is the evaluation time: CreatedAt, UpdatedAt,
// FirstObservedAt and LastObservedAt (the lifecycle keeps an ACTIVE
// finding's CreatedAt and FirstObservedAt). Render is pure: the same result,
// time and options give the same findings.
func Render(r report.Result, at time.Time, o Options) []Finding {
	out := renderUnfitted(r, at, o)
	for i := range out {
		fit(&out[i].ASFF)
	}
	return out
}

// renderUnfitted is Render without the field and size limits, which the
// lifecycle applies only to the findings it writes (a sweep renders one
// per check and resource, and writes few).
func renderUnfitted(r report.Result, at time.Time, o Options) []Finding {
	if r.Skipped != "" || r.Event.Account == "" || r.Event.Region == "" {
		return nil
	}
	var out []Finding
	for _, c := range r.Checks {
		for _, v := range c.Verdicts {
			out = append(out, render(r, c, v, at, o))
		}
	}
	return out
}

// outcome is how a verdict is rendered.
type outcome struct {
	status     report.Status
	compliance types.ComplianceStatus
	record     types.RecordState
	lead       string         // first words of the description
	action     *report.Action // the action on this subject for this check, if any
	repaired   bool
}

func outcomeOf(r report.Result, c report.Check, v report.Verdict) outcome {
	o := outcome{status: v.Status, action: actionFor(r, c.ID, v)}
	if c.Status == statusExempt {
		o.status = statusExempt
	}
	if o.status == report.StatusFail && repairedBy(r, c.ID, v) {
		o.status, o.repaired = report.StatusPass, true
	}
	switch o.status {
	case report.StatusFail:
		o.compliance, o.record = types.ComplianceStatusFailed, types.RecordStateActive
	case report.StatusUnknown:
		o.compliance, o.record = types.ComplianceStatusNotAvailable, types.RecordStateActive
		o.lead = "Not verified: "
	case report.StatusPass:
		o.compliance, o.record = types.ComplianceStatusPassed, types.RecordStateArchived
		if o.repaired {
			o.lead = "Repaired by vpcguard (" + o.action.ID + ", verified on the state read again after the write). Before the repair: "
		}
	case statusExempt:
		o.compliance, o.record = types.ComplianceStatusFailed, types.RecordStateArchived
		o.lead = "Exempt (archived while the exemption holds): "
	default: // not-applicable, or a status vpcguard does not know
		o.compliance, o.record = types.ComplianceStatusNotAvailable, types.RecordStateArchived
		o.lead = "No longer applies: "
	}
	return o
}

func render(r report.Result, c report.Check, v report.Verdict, at time.Time, opt Options) Finding {
	p, region, account := opt.partition(), r.Event.Region, r.Event.Account
	def, known := checks.Lookup(c.ID)
	title := c.ID
	if known {
		title = def.Title
	}
	o := outcomeOf(r, c, v)
	ts := timestamp(at)

	severity := types.SeverityLabelInformational
	if o.record == types.RecordStateActive {
		severity = severityLabel(c.Severity)
	}
	var controls []string
	for _, ctl := range def.Controls() {
		controls = append(controls, ctl.String())
	}
	fields := map[string]string{
		"vpcguard/CheckId":      c.ID,
		"vpcguard/CheckTitle":   title,
		"vpcguard/CheckStatus":  string(o.status),
		"vpcguard/Severity":     string(c.Severity),
		"vpcguard/ResourceType": v.Subject.Type,
		"vpcguard/ResourceId":   v.Subject.ID,
		"vpcguard/Mode":         string(r.Mode),
		"vpcguard/EventId":      r.Event.ID,
		"vpcguard/EventName":    r.Event.Name,
	}
	set := func(k, v string) {
		if v != "" {
			fields[k] = v
		}
	}
	set("vpcguard/Version", opt.Version)
	set("vpcguard/Actor", r.Event.Actor)
	set("vpcguard/Guideline", def.Guideline)
	set("vpcguard/Controls", strings.Join(controls, "; "))
	if o.action != nil {
		fields["vpcguard/Action"] = o.action.ID
		fields["vpcguard/ActionStatus"] = string(o.action.Status)
	}
	if o.status == statusExempt {
		fields["vpcguard/Exemption"] = v.Message
		for _, e := range c.Exemptions {
			if e.Resource == v.Subject.ID || slices.ContainsFunc(v.Related, func(r report.Ref) bool { return r.ID == e.Resource }) || len(c.Exemptions) == 1 {
				set("vpcguard/ExemptionReason", e.Reason)
				set("vpcguard/ExemptionOwner", e.Owner)
				set("vpcguard/ExemptionExpires", e.Expires)
				break
			}
		}
	}

	f := types.AwsSecurityFinding{
		SchemaVersion:   aws.String(SchemaVersion),
		Id:              aws.String(FindingID(p, region, account, c.ID, v.Subject)),
		ProductArn:      aws.String(ProductARN(p, region, account)),
		GeneratorId:     aws.String(c.ID),
		AwsAccountId:    aws.String(account),
		CompanyName:     aws.String(CompanyName),
		ProductName:     aws.String(ProductName),
		Types:           []string{FindingType},
		CreatedAt:       aws.String(ts),
		UpdatedAt:       aws.String(ts),
		FirstObservedAt: aws.String(ts),
		LastObservedAt:  aws.String(ts),
		Severity:        &types.Severity{Label: severity, Original: aws.String(string(c.Severity))},
		FindingProviderFields: &types.FindingProviderFields{
			Severity: &types.FindingProviderSeverity{Label: severity, Original: aws.String(string(c.Severity))},
			Types:    []string{FindingType},
		},
		Title:       aws.String(title + ": " + v.Subject.ID),
		Description: aws.String(o.lead + v.Message),
		Compliance: &types.Compliance{
			Status:              o.compliance,
			RelatedRequirements: controls,
		},
		RecordState:   o.record,
		ProductFields: fields,
		Resources:     resources(v, r.Resource, p, region, account),
	}
	if o.record == types.RecordStateActive && strings.TrimSpace(v.Remediation) != "" {
		f.Remediation = &types.Remediation{Recommendation: &types.Recommendation{Text: aws.String(v.Remediation)}}
	}
	return Finding{
		ASFF: f, Check: c.ID, Subject: v.Subject, Status: o.status,
		Record: o.record == types.RecordStateActive || o.repaired || o.status == statusExempt,
	}
}

// timestamp is the ASFF form of t: RFC 3339 in UTC with milliseconds
// ("2017-03-22T13:22:13.933Z"), which every Security Hub timestamp field
// accepts.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// severityLabel maps vpcguard's severities to ASFF labels; info checks are
// INFORMATIONAL.
func severityLabel(s report.Severity) types.SeverityLabel {
	switch s {
	case report.SeverityCritical:
		return types.SeverityLabelCritical
	case report.SeverityHigh:
		return types.SeverityLabelHigh
	case report.SeverityMedium:
		return types.SeverityLabelMedium
	case report.SeverityLow:
		return types.SeverityLabelLow
	}
	return types.SeverityLabelInformational
}

// touches reports whether an action's resources include the verdict's
// subject or one of its related resources.
func touches(a report.Action, v report.Verdict) bool {
	for _, res := range a.Resources {
		if res == v.Subject.ID {
			return true
		}
		for _, rel := range v.Related {
			if res == rel.ID {
				return true
			}
		}
	}
	return false
}

func actionCheck(a report.Action) string {
	s, _ := a.Detail[remediate.DetailCheck].(string)
	return s
}

// actionFor is the first action for check that touches the verdict.
func actionFor(r report.Result, check string, v report.Verdict) *report.Action {
	for i, a := range r.Actions {
		if actionCheck(a) == check && touches(a, v) {
			return &r.Actions[i]
		}
	}
	return nil
}

// repairedBy reports whether an applied action (written, and the check
// passed on the state read again after the write) repaired the verdict's
// failure, with no other action for that check on it left undone (a refused
// route table, a failed write).
func repairedBy(r report.Result, check string, v report.Verdict) bool {
	applied := false
	for _, a := range r.Actions {
		if actionCheck(a) != check || !touches(a, v) {
			continue
		}
		if a.Status != report.ActionApplied {
			return false
		}
		applied = true
	}
	return applied
}
