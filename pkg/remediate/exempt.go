package remediate

import (
	"fmt"
	"slices"
	"time"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/exempt"
)

// The planner's reading of the exempt tag (pkg/exempt) and of the holds an
// undo leaves (pkg/ledger).

// exemption parses the exempt tag among tags; Absent when the tag is not
// there or no tag key is configured.
func (p *planner) exemption(tags map[string]string) exempt.Exemption {
	if p.opts.ExemptTag == "" {
		return exempt.Exemption{Kind: exempt.Absent}
	}
	v, ok := tags[p.opts.ExemptTag]
	if !ok {
		return exempt.Exemption{Kind: exempt.Absent}
	}
	return checks.ParseExemption(v)
}

// exempt reports whether a resource with tags may never be changed: a
// blanket exempt tag (today's meaning), or a malformed one (fail safe). A
// scoped exemption forbids only the repairs of the checks it covers (see
// exemptFrom).
func (p *planner) exempt(tags map[string]string) bool {
	return p.exemption(tags).ForbidsChanges()
}

// forbidden says why resource id, whose tags forbid changes, is never
// changed.
func (p *planner) forbidden(id string, tags map[string]string) string {
	if e := p.exemption(tags); e.Kind == exempt.Malformed {
		return fmt.Sprintf("%s carries a malformed %s tag (%s): reported, never changed", id, p.opts.ExemptTag, e.Problem)
	}
	return fmt.Sprintf("%s is tagged %s: reported, never changed", id, p.opts.ExemptTag)
}

// exemptFrom says why the repair of check is refused for subject ("VPC
// vpc-…", "it") because its tags hold a live exemption for that check, or
// returns "".
func (p *planner) exemptFrom(check, subject string, tags map[string]string) string {
	e := p.exemption(tags)
	if !e.Covers(check, p.opts.Now) {
		return ""
	}
	if subject == "" {
		subject = "it"
	}
	return fmt.Sprintf("%s is exempt from %s by its %s tag (%s): not repaired until the exemption ends",
		subject, check, p.opts.ExemptTag, e.Describe())
}

// held says why action on resource is not redone: it was undone less than
// the hold's time ago. "" when no live hold names it.
func (p *planner) held(action, resource string) string {
	for _, h := range p.opts.Holds {
		if h.Action == action && slices.Contains(h.Resources, resource) && p.opts.Now.Before(h.Until) {
			return fmt.Sprintf("vpcguard's %s on %s was undone at %s (ledger entry %s), so it is not repaired automatically until %s",
				action, resource, h.Undone.UTC().Format(time.RFC3339), h.Entry, h.Until.UTC().Format(time.RFC3339))
		}
	}
	return ""
}
