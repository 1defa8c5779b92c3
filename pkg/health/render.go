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

// Lines renders the items as plain text, one paragraph each: a summary
// line, the items that are not OK first, each with its fix, then the
// others.
func (r Report) Lines() []string {
	failing := r.Failing()
	summary := "every item passes"
	if len(failing) > 0 {
		summary = fmt.Sprintf("%d of %d items fail or could not be verified", len(failing), len(r.Items))
	}
	out := []string{fmt.Sprintf("HEALTH (%s): %s", r.Region, summary)}
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
	for _, n := range r.NotChecked {
		out = append(out, "  not checked: "+n)
	}
	return out
}

// String is the report as text: the headline, when there is one, then
// the items.
func (r Report) String() string {
	var b strings.Builder
	if h := r.Headline(); h != "" {
		b.WriteString(h + "\n\n")
	}
	b.WriteString(strings.Join(r.Lines(), "\n") + "\n")
	return b.String()
}
