package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// EventBridge contract: the source and detail-types rules match on.
const (
	EventSource           = "vpcguard" // never "aws.…": that prefix is reserved for AWS
	DetailTypeFinding     = "vpcguard Finding"
	DetailTypeRemediation = "vpcguard Remediation"
)

// EventBridge limits. An entry's size is what AWS counts (Source,
// DetailType, Detail, Resources, 14 bytes for Time) and must stay under
// 256 KB; a PutEvents request takes at most 10 entries. vpcguard keeps each
// entry to MaxEntryBytes (two policies and their diff fit) and each request
// to MaxBatchBytes in all, so that no reading of the limit is exceeded.
const (
	MaxBatchEntries = 10
	MaxBatchBytes   = 256_000
	MaxEntryBytes   = 64 << 10
)

// FindingDetail is the detail of a "vpcguard Finding" event: one failing or
// unknown check, with the event and resource it is about.
type FindingDetail struct {
	Event    report.Event     `json:"event"`
	Resource *report.Resource `json:"resource,omitempty"`
	Mode     report.Mode      `json:"mode"`
	Check    FindingCheck     `json:"check"`
}

// FindingCheck is the check of the result plus, from the catalogue, its title
// and guideline. ResourcesTotal is set when the resource list was shortened
// to fit the entry, and Truncated when anything was.
type FindingCheck struct {
	report.Check
	Title          string `json:"title,omitempty"`
	Guideline      string `json:"guideline,omitempty"`
	ResourcesTotal int    `json:"resources_total,omitempty"`
	Truncated      bool   `json:"truncated,omitempty"`
}

// RemediationDetail is the detail of a "vpcguard Remediation" event: one
// action, planned or carried out.
type RemediationDetail struct {
	Event    report.Event     `json:"event"`
	Resource *report.Resource `json:"resource,omitempty"`
	Mode     report.Mode      `json:"mode"`
	Action   RemediationEntry `json:"action"`
}

// RemediationEntry is the action of the result; see FindingCheck for
// ResourcesTotal and Truncated.
type RemediationEntry struct {
	report.Action
	ResourcesTotal int  `json:"resources_total,omitempty"`
	Truncated      bool `json:"truncated,omitempty"`
}

// Entries are the EventBridge entries for r on bus: one "vpcguard Finding"
// per failing or unknown check (above info severity), then one "vpcguard
// Remediation" per action. Skipped results give none. Every entry is at most
// MaxEntryBytes: oversized lists and values are shortened (and marked
// truncated) rather than dropped. An entry that cannot be built at all is
// left out and reported in the error; the others are returned.
func Entries(r report.Result, bus string) ([]ebtypes.PutEventsRequestEntry, error) {
	labeled, err := labeledEntries(r, bus)
	out := make([]ebtypes.PutEventsRequestEntry, len(labeled))
	for i, e := range labeled {
		out[i] = e.entry
	}
	return out, err
}

// labeledEntry is an entry and a short label for logs ("finding model-in-vpc").
type labeledEntry struct {
	entry ebtypes.PutEventsRequestEntry
	label string
}

func labeledEntries(r report.Result, bus string) ([]labeledEntry, error) {
	if r.Skipped != "" {
		return nil, nil
	}
	var when *time.Time
	if t, err := time.Parse(time.RFC3339, r.Event.Time); err == nil {
		when = aws.Time(t)
	}
	// The event and resource are the same in every entry: shorten them once
	// per cap.
	type header struct {
		event    report.Event
		resource *report.Resource
	}
	headers := map[int]header{}
	head := func(shrink int) (report.Event, *report.Resource) {
		h, ok := headers[shrink]
		if !ok {
			h = header{shrinkEvent(r.Event, shrink), shrinkResource(r.Resource, shrink)}
			headers[shrink] = h
		}
		return h.event, h.resource
	}
	var out []labeledEntry
	var errs []error
	add := func(detailType, label string, build func(shrink int) any) error {
		detail, err := fitDetail(build)
		if err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		out = append(out, labeledEntry{label: label, entry: ebtypes.PutEventsRequestEntry{
			Source:       aws.String(EventSource),
			DetailType:   aws.String(detailType),
			Detail:       aws.String(detail),
			EventBusName: aws.String(bus),
			Time:         when,
		}})
		return nil
	}
	for _, c := range r.Failing() {
		err := add(DetailTypeFinding, "finding "+clipASCII(asciiLine(c.ID), 64), func(shrink int) any {
			d := FindingDetail{Event: r.Event, Resource: r.Resource, Mode: r.Mode, Check: FindingCheck{Check: c}}
			if def, ok := checks.Lookup(c.ID); ok {
				d.Check.Title, d.Check.Guideline = def.Title, def.Guideline
			}
			if shrink > 0 {
				d.Event, d.Resource = head(shrink)
				d.Check.Check, d.Check.ResourcesTotal = shrinkCheck(c, shrink)
				d.Check.Truncated = true
			}
			return d
		})
		errs = append(errs, err)
	}
	for _, a := range r.Actions {
		err := add(DetailTypeRemediation, "remediation "+clipASCII(asciiLine(a.ID), 64), func(shrink int) any {
			d := RemediationDetail{Event: r.Event, Resource: r.Resource, Mode: r.Mode, Action: RemediationEntry{Action: a}}
			if shrink > 0 {
				d.Event, d.Resource = head(shrink)
				d.Action.Action, d.Action.ResourcesTotal = shrinkAction(a, shrink)
				d.Action.Truncated = true
			}
			return d
		})
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// shrinks are the successive caps (bytes of a string, items of a list) that
// fitDetail tries when the full detail is too large.
var shrinks = []int{4096, 1024, 256, 64, 16}

// fitDetail marshals build(0) and, while the entry would be too large, tries
// build with smaller caps. The JSON is always whole: values are shortened
// before marshalling, never after.
func fitDetail(build func(shrink int) any) (string, error) {
	// Source, DetailType and Time count towards the entry size too.
	const room = MaxEntryBytes - len(EventSource) - len(DetailTypeRemediation) - 14
	err := fmt.Errorf("detail does not fit in %d bytes even shortened", MaxEntryBytes)
	for _, shrink := range append([]int{0}, shrinks...) {
		// A value JSON cannot encode (a NaN in an action's detail) is
		// replaced by a note once the detail is shortened.
		s, merr := marshal(build(shrink))
		if merr != nil {
			err = merr
			continue
		}
		if len(s) <= room {
			return s, nil
		}
	}
	return "", err
}

func marshal(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSpace(b.Bytes())), nil
}

// clipString keeps at most n bytes of s (valid UTF-8, ending in "…").
func clipString(s string, n int) string { return clipUTF8(s, n) }

// clipStrings keeps at most n items of at most n bytes each; it returns the
// original length when it dropped items, else 0.
func clipStrings(list []string, n int) ([]string, int) {
	out := make([]string, 0, min(len(list), n))
	for i, s := range list {
		if i == n {
			return out, len(list)
		}
		out = append(out, clipString(s, n))
	}
	return out, 0
}

func shrinkEvent(e report.Event, n int) report.Event {
	e.ID, e.Name, e.Source = clipString(e.ID, n), clipString(e.Name, n), clipString(e.Source, n)
	e.Account, e.Region = clipString(e.Account, n), clipString(e.Region, n)
	e.Time, e.Actor = clipString(e.Time, n), clipString(e.Actor, n)
	return e
}

func shrinkResource(r *report.Resource, n int) *report.Resource {
	if r == nil {
		return nil
	}
	return &report.Resource{Type: clipString(r.Type, n), ID: clipString(r.ID, n)}
}

func shrinkCheck(c report.Check, n int) (report.Check, int) {
	c.ID, c.Message, c.Remediation = clipString(c.ID, n), clipString(c.Message, 4*n), clipString(c.Remediation, 4*n)
	c.Status, c.Severity = report.Status(clipString(string(c.Status), n)), report.Severity(clipString(string(c.Severity), n))
	var total int
	c.Resources, total = clipStrings(c.Resources, n)
	return c, total
}

// shrinkAction shortens an action; in its detail, a string or JSON value
// larger than the cap is replaced by a note of its size.
func shrinkAction(a report.Action, n int) (report.Action, int) {
	a.ID, a.Status = clipString(a.ID, n), report.ActionStatus(clipString(string(a.Status), n))
	var total int
	a.Resources, total = clipStrings(a.Resources, n)
	keys := slices.Sorted(maps.Keys(a.Detail))
	d := make(map[string]any, min(len(keys), n))
	for _, k := range keys {
		v := a.Detail[k]
		if len(d) == n {
			d["truncated_keys"] = len(keys)
			break
		}
		k = clipString(k, n)
		if s, ok := v.(string); ok {
			if utf8.RuneCountInString(s) > 4*n {
				v = fmt.Sprintf("(%d bytes, omitted to fit the event)", len(s))
			}
		} else if j, err := marshal(v); err != nil {
			v = "(not representable as JSON, omitted)"
		} else if len(j) > 4*n {
			v = fmt.Sprintf("(%d bytes of JSON, omitted to fit the event)", len(j))
		}
		d[k] = v
	}
	a.Detail = d
	return a, total
}
