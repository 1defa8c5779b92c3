package notify

import (
	"strings"

	"github.com/vpcguard/vpcguard/pkg/checks"
)

// controlsLine names the AWS Config rules and Security Hub controls a check
// corresponds to, for readers who know those catalogues.
func controlsLine(w *writer, indent, checkID string) {
	def, ok := checks.Lookup(checkID)
	if !ok {
		return
	}
	var names []string
	for _, c := range def.Controls() {
		names = append(names, c.String())
	}
	if len(names) > 0 {
		w.line(indent, "Corresponds to: ", strings.Join(names, "; "))
	}
}
