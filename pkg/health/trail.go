package health

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/report"
)

// Selectors are a trail's event selectors: basic or advanced (a trail has
// one kind or the other).
type Selectors struct {
	Basic    []BasicSelector
	Advanced []AdvancedSelector
}

// BasicSelector is a CloudTrail EventSelector, with the API's field names.
type BasicSelector struct {
	ReadWriteType                 string         `json:"ReadWriteType,omitempty"`
	IncludeManagementEvents       *bool          `json:"IncludeManagementEvents,omitempty"`
	DataResources                 []DataResource `json:"DataResources,omitempty"`
	ExcludeManagementEventSources []string       `json:"ExcludeManagementEventSources,omitempty"`
}

// DataResource is a basic selector's data resource.
type DataResource struct {
	Type   string   `json:"Type"`
	Values []string `json:"Values,omitempty"`
}

// AdvancedSelector is a CloudTrail AdvancedEventSelector.
type AdvancedSelector struct {
	Name           string          `json:"Name,omitempty"`
	FieldSelectors []FieldSelector `json:"FieldSelectors"`
}

// FieldSelector is one condition of an advanced selector.
type FieldSelector struct {
	Field         string   `json:"Field"`
	Equals        []string `json:"Equals,omitempty"`
	NotEquals     []string `json:"NotEquals,omitempty"`
	StartsWith    []string `json:"StartsWith,omitempty"`
	NotStartsWith []string `json:"NotStartsWith,omitempty"`
	EndsWith      []string `json:"EndsWith,omitempty"`
	NotEndsWith   []string `json:"NotEndsWith,omitempty"`
}

// Probe is a management write event vpcguard's rules wait for: the trail
// must log events like it, or EventBridge never sees them.
type Probe struct {
	EventSource string
	EventName   string
}

// Probes are one call per event source of vpcguard's rules (infra's
// functionSpecs): SageMaker, EC2, and Application Auto Scaling, whose
// calls CloudTrail logs under autoscaling.amazonaws.com.
var probes = []Probe{
	{"sagemaker.amazonaws.com", "CreateModel"},
	{"ec2.amazonaws.com", "CreateVpcEndpoint"},
	{"autoscaling.amazonaws.com", "RegisterScalableTarget"},
}

// verdict is whether a trail logs an event: yes, no, or cannot tell (and why).
type verdict struct {
	logs    bool
	unknown string
}

// logs says whether the selectors log the management write event p.
func (s Selectors) logs(p Probe) verdict {
	if len(s.Advanced) > 0 {
		var unknown []string
		for _, a := range s.Advanced {
			v := a.matches(p)
			if v.logs {
				return v
			}
			if v.unknown != "" {
				unknown = append(unknown, v.unknown)
			}
		}
		return verdict{unknown: strings.Join(unknown, "; ")}
	}
	for _, b := range s.Basic {
		if b.IncludeManagementEvents != nil && !*b.IncludeManagementEvents {
			continue
		}
		if b.ReadWriteType == "ReadOnly" {
			continue
		}
		if slices.Contains(b.ExcludeManagementEventSources, p.EventSource) {
			continue
		}
		return verdict{logs: true}
	}
	return verdict{}
}

// matches evaluates an advanced selector on a management write event: every
// field selector must hold. A field vpcguard cannot tell for the event
// makes the selector undecided.
func (a AdvancedSelector) matches(p Probe) verdict {
	if len(a.FieldSelectors) == 0 {
		return verdict{}
	}
	for _, fs := range a.FieldSelectors {
		var value string
		switch fs.Field {
		case "eventCategory":
			value = "Management"
		case "readOnly":
			value = "false"
		case "eventSource":
			value = p.EventSource
		case "eventName":
			value = p.EventName
		case "eventType":
			value = "AwsApiCall"
		case "resources.type", "resources.ARN":
			return verdict{} // a data-event selector
		default:
			return verdict{unknown: fmt.Sprintf("advanced selector %q filters on %s, which vpcguard does not evaluate", a.Name, fs.Field)}
		}
		if !fs.holds(value) {
			return verdict{}
		}
	}
	return verdict{logs: true}
}

// holds applies one field selector's operators, which are ANDed; the
// values of one operator are ORed (negative ones: none may match).
func (fs FieldSelector) holds(v string) bool {
	anyOf := func(list []string, f func(string) bool) bool { return slices.ContainsFunc(list, f) }
	if len(fs.Equals) > 0 && !slices.Contains(fs.Equals, v) {
		return false
	}
	if len(fs.StartsWith) > 0 && !anyOf(fs.StartsWith, func(p string) bool { return strings.HasPrefix(v, p) }) {
		return false
	}
	if len(fs.EndsWith) > 0 && !anyOf(fs.EndsWith, func(p string) bool { return strings.HasSuffix(v, p) }) {
		return false
	}
	if slices.Contains(fs.NotEquals, v) ||
		anyOf(fs.NotStartsWith, func(p string) bool { return strings.HasPrefix(v, p) }) ||
		anyOf(fs.NotEndsWith, func(p string) bool { return strings.HasSuffix(v, p) }) {
		return false
	}
	return true
}

// fixTrailName is the trail the fix of a Region without any trail creates.
const fixTrailName = "vpcguard-management-events"

func evaluateTrail(obs *Observation) Item {
	region := obs.Targets.Region
	if !obs.Trails.OK() {
		return unverified("the trails of "+region, obs.Trails.Err)
	}
	var applicable []Trail
	for _, tr := range obs.Trails.Value {
		if tr.appliesTo(region) {
			applicable = append(applicable, tr)
		}
	}
	if len(applicable) == 0 {
		return Item{
			Status: report.StatusFail,
			Message: fmt.Sprintf("no CloudTrail trail logs %s: EventBridge receives no API call of this Region, so vpcguard evaluates nothing between sweeps. "+
				"Redeploy vpcguard without -c existingTrail=true (it creates the trail), or create one (BUCKET must let cloudtrail.amazonaws.com write to it)", region),
			Fix: fmt.Sprintf("aws cloudtrail create-trail --region %s --name %s --s3-bucket-name BUCKET && aws cloudtrail start-logging --region %s --name %s",
				region, fixTrailName, region, fixTrailName),
		}
	}

	// One trail that logs every probe is enough.
	var problems, fixes, resources []string
	var errs []error
	for _, tr := range applicable {
		resources = append(resources, tr.ARN)
		where := trailLabel(tr)
		var missing, undecided []string
		if tr.Selectors.OK() {
			for _, p := range probes {
				switch v := tr.Selectors.Value.logs(p); {
				case v.logs:
				case v.unknown != "":
					undecided = append(undecided, v.unknown)
				default:
					missing = append(missing, p.EventSource)
				}
			}
		} else {
			errs = append(errs, tr.Selectors.Err)
		}
		logging := tr.Status.OK() && tr.Status.Value.Logging
		if !tr.Status.OK() {
			errs = append(errs, tr.Status.Err)
		}
		if logging && tr.Selectors.OK() && len(missing) == 0 && len(undecided) == 0 {
			return Item{
				Status:    report.StatusPass,
				Resources: []string{tr.ARN},
				Message:   fmt.Sprintf("%s is logging management write events of %s", where, and(probeSources())),
			}
		}
		if tr.Status.OK() && !tr.Status.Value.Logging {
			msg := where + " is stopped"
			if t := tr.Status.Value.StopLoggingTime; t != nil {
				msg += " (since " + t.UTC().Format("2006-01-02 15:04 UTC") + ")"
			}
			problems = append(problems, msg)
			fixes = append(fixes, fmt.Sprintf("aws cloudtrail start-logging --region %s --name %s", tr.HomeRegion, tr.ARN))
		}
		if len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("%s does not log the management write events of %s", where, and(missing)))
			fixes = append(fixes, selectorFix(tr))
		}
		for _, u := range undecided {
			problems = append(problems, where+": "+u)
		}
	}
	if len(errs) > 0 || (len(fixes) == 0 && len(problems) > 0) {
		it := unverified("whether a trail logs "+region, errs...)
		if len(errs) == 0 {
			it.Missing = nil
			it.Message = "could not verify that a trail logs the management write events of " + region + ": " + strings.Join(dedupe(problems), "; ")
		} else if len(problems) > 0 {
			it.Message += "; " + strings.Join(dedupe(problems), "; ")
		}
		it.Resources = resources
		return it
	}
	return Item{
		Status:    report.StatusFail,
		Resources: resources,
		Message:   "no trail logs the management write events vpcguard's rules match in " + region + ": " + strings.Join(problems, "; "),
		Fix:       strings.Join(dedupe(fixes), " && "),
	}
}

func trailLabel(tr Trail) string {
	kind := "trail"
	switch {
	case tr.Organization:
		kind = "organization trail"
	case tr.MultiRegion:
		kind = "multi-Region trail"
	}
	return fmt.Sprintf("%s %s (home Region %s)", kind, tr.Name, tr.HomeRegion)
}

func probeSources() []string {
	out := make([]string, len(probes))
	for i, p := range probes {
		out[i] = p.EventSource
	}
	return out
}

// selectorFix adds a management-write-events selector to the trail's
// selectors, keeping every existing one (put-event-selectors replaces the
// whole list).
func selectorFix(tr Trail) string {
	s := tr.Selectors.Value
	if len(s.Advanced) > 0 {
		list := append(slices.Clone(s.Advanced), AdvancedSelector{
			Name: "Management write events (vpcguard)",
			FieldSelectors: []FieldSelector{
				{Field: "eventCategory", Equals: []string{"Management"}},
				{Field: "readOnly", Equals: []string{"false"}},
			},
		})
		b, _ := json.Marshal(list)
		return fmt.Sprintf("aws cloudtrail put-event-selectors --region %s --trail-name %s --advanced-event-selectors %s", tr.HomeRegion, tr.ARN, shellQuote(string(b)))
	}
	t := true
	list := append(slices.Clone(s.Basic), BasicSelector{ReadWriteType: "WriteOnly", IncludeManagementEvents: &t})
	b, _ := json.Marshal(list)
	return fmt.Sprintf("aws cloudtrail put-event-selectors --region %s --trail-name %s --event-selectors %s", tr.HomeRegion, tr.ARN, shellQuote(string(b)))
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// and joins a list as prose: "a", "a and b", "a, b and c".
func and(list []string) string {
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " and " + list[len(list)-1]
}
