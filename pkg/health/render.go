package health

import (
	"fmt"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/report"
)

// Label is how a status reads in text.
func Label(s report.Status) string {
	switch s {
	case report.StatusPass:
		return "PASS"
	case report.StatusFail:
		return "FAIL"
	case report.StatusUnknown:
		return "COULD NOT VERIFY"
	case report.StatusNotApplicable:
		return "NOT CHECKED"
	}
	return strings.ToUpper(string(s))
}

// Lines renders the report as plain text, one item per paragraph: the items
// that are not OK first, each with its fix, then the others.
func (r Report) Lines() []string {
	var out []string
	failing := r.Failing()
	switch {
	case len(failing) == 0:
		out = append(out, fmt.Sprintf("HEALTH: every item passes (%s)", r.Region))
	default:
		out = append(out, "HEALTH: "+r.Headline())
	}
	item := func(it Item) {
		out = append(out, fmt.Sprintf("  %-16s %s (%s): %s", Label(it.Status), it.ID, it.Severity, it.Message))
		if it.Fix != "" {
			out = append(out, "                   fix: "+it.Fix)
		}
	}
	for _, it := range failing {
		item(it)
	}
	for _, it := range r.Items {
		if it.OK() {
			item(it)
		}
	}
	return out
}

// String is the report as text.
func (r Report) String() string { return strings.Join(r.Lines(), "\n") + "\n" }
