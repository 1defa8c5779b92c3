package notify

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/vpcguard/vpcguard/pkg/report"
)

// Message attribute names: a contract for subscription filter policies.
const (
	AttrSeverity     = "severity"      // highest failing severity: critical|high|medium|low, or none
	AttrChecks       = "checks"        // String.Array of the failing check IDs
	AttrAccount      = "account"       // account the event happened in
	AttrRegion       = "region"        // its region
	AttrAction       = "action"        // none|planned|applied|failed: the most significant action
	AttrResourceType = "resource_type" // model|endpoint-config|endpoint|vpc-endpoint|account
	AttrExempt       = "exempt"        // String.Array of the exempt check IDs (status exempt): [] when none
)

// Attribute values are folded to printable ASCII (SNS accepts only valid XML
// characters and no empty value) and kept short.
const (
	maxAttrValue  = 256
	maxAttrChecks = 50 // IDs in the checks attribute
)

// Attributes are the SNS message attributes of r, for subscription filter
// policies such as {"severity":["critical","high"]} or {"checks":["model-in-vpc"]}.
// Every value is non-empty: "none" or "unknown" stands in for a missing one.
func Attributes(r report.Result) map[string]snstypes.MessageAttributeValue {
	severity := "none"
	switch s := r.HighestSeverity(); {
	case s != "":
		severity = attrValue(string(s), "unknown")
	case len(r.Failing()) > 0:
		severity = "unknown" // failing, but of no severity vpcguard ranks
	}
	resourceType := "unknown"
	if r.Resource != nil {
		resourceType = attrValue(r.Resource.Type, "unknown")
	}
	action := "none"
	if a := mostSignificantAction(r); a != "" {
		action = string(a)
	}
	return map[string]snstypes.MessageAttributeValue{
		AttrSeverity:     stringAttr(severity),
		AttrChecks:       {DataType: aws.String("String.Array"), StringValue: aws.String(checkIDsJSON(r))},
		AttrAccount:      stringAttr(attrValue(r.Event.Account, "unknown")),
		AttrRegion:       stringAttr(attrValue(r.Event.Region, "unknown")),
		AttrAction:       stringAttr(action),
		AttrResourceType: stringAttr(resourceType),
		AttrExempt:       {DataType: aws.String("String.Array"), StringValue: aws.String(idsJSON(r.Exempt()))},
	}
}

func stringAttr(v string) snstypes.MessageAttributeValue {
	return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

// attrValue folds v to a short printable ASCII value, or fallback if nothing
// is left.
func attrValue(v, fallback string) string {
	if v = clipASCII(asciiLine(v), maxAttrValue); v != "" {
		return v
	}
	return fallback
}

// checkIDsJSON is the JSON array of the failing check IDs, each once, in
// result order: ["s3-endpoint-present","vpc-dns"]. An empty list is [].
func checkIDsJSON(r report.Result) string { return idsJSON(r.Failing()) }

// idsJSON is the JSON array of the IDs of cs, each once, in order.
func idsJSON(cs []report.Check) string {
	ids := []string{}
	for _, c := range cs {
		id := clipASCII(asciiLine(c.ID), 64)
		if id == "" || slices.Contains(ids, id) {
			continue
		}
		if len(ids) == maxAttrChecks {
			break
		}
		ids = append(ids, id)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(ids) // a []string always encodes
	return strings.TrimSpace(b.String())
}

// mostSignificantAction is failed > applied > planned among r's actions, or
// "" when there is none of those (skipped actions do not count).
func mostSignificantAction(r report.Result) report.ActionStatus {
	rank := map[report.ActionStatus]int{report.ActionPlanned: 1, report.ActionApplied: 2, report.ActionFailed: 3}
	var best report.ActionStatus
	for _, a := range r.Actions {
		if rank[a.Status] > rank[best] {
			best = a.Status
		}
	}
	return best
}
