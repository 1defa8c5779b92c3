package sweep

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// ExemptFinding is one check that a live exemption covers in one VPC (or
// the account group): listed in the digest, never counted as a finding.
type ExemptFinding struct {
	Check      string             `json:"check"`
	Severity   report.Severity    `json:"severity"`
	Resource   report.Resource    `json:"resource"`
	Resources  []string           `json:"resources"`
	Exemptions []report.Exemption `json:"exemptions"`
}

// exemptFindings collects the exempt checks of results, in result order.
func exemptFindings(results []report.Result) []ExemptFinding {
	out := []ExemptFinding{}
	for _, r := range results {
		for _, c := range r.Exempt() {
			f := ExemptFinding{Check: c.ID, Severity: c.Severity, Resources: c.Resources, Exemptions: c.Exemptions}
			if r.Resource != nil {
				f.Resource = *r.Resource
			}
			out = append(out, f)
		}
	}
	return out
}

// checkGroup runs the checks on a group's snapshot with the exemptions.
// The sweep reads no model tags up front (one ListTags per model); when a
// check above info severity fails for models of the group, their tags are
// read (bounded, once: the repairs' exemption reading reuses them) and the
// checks run again, so that a model's own exemption counts as it does for
// the event functions. A tag that cannot be read leaves the model without
// exemptions, and a note says so.
func (s *Sweeper) checkGroup(ctx context.Context, g *inventory.Gatherer, grp group, sub *inventory.Snapshot, defs []checks.Definition, note func(string, ...any)) []report.Check {
	ex := checks.Exemptions{Tag: s.Config.ExemptTag, Now: s.now()}
	results := checks.RunWith(sub, defs, ex)
	if ex.Tag == "" {
		return results
	}
	named := map[string]bool{}
	for _, c := range results {
		if c.Status != report.StatusFail || c.Severity == report.SeverityInfo {
			continue
		}
		for _, r := range c.Resources {
			named[r] = true
		}
	}
	var todo []int
	for i, m := range grp.models {
		if named[m.Name] && m.Tags == nil && m.ARN != "" {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return results
	}
	sem := make(chan struct{}, max(g.Concurrency, 1))
	var mu sync.Mutex
	var failed []string
	var wg sync.WaitGroup
	for _, i := range todo {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			tags, err := g.ReadModelTags(ctx, grp.models[i].ARN)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, grp.models[i].Name)
				return
			}
			if tags == nil {
				tags = map[string]string{}
			}
			grp.models[i].Tags = tags // shared with the repairs' snapshot of the group
		})
	}
	wg.Wait()
	if len(failed) > 0 {
		slices.Sort(failed)
		note("the tags of %s could not be read, so their own %s exemptions were not applied", wordList(failed), s.Config.ExemptTag)
	}
	for i := range sub.Models {
		if j := slices.IndexFunc(grp.models, func(m inventory.Model) bool { return m.Name == sub.Models[i].Name }); j >= 0 {
			sub.Models[i].Tags = grp.models[j].Tags
		}
	}
	return checks.RunWith(sub, defs, ex)
}

func wordList(names []string) string {
	const most = 5
	if len(names) == 1 {
		return "model " + names[0]
	}
	if len(names) > most {
		return fmt.Sprintf("models %s and %d more", strings.Join(names[:most], ", "), len(names)-most)
	}
	return "models " + strings.Join(names, ", ")
}

// exemptSection writes the EXEMPT section of the digest.
func exemptSection(w *lines, sum *Summary) {
	if len(sum.Exempt) == 0 {
		return
	}
	w.add("EXEMPT: %d (checks a live exemption covers: not repaired, not counted above)", len(sum.Exempt))
	for _, f := range sum.Exempt {
		where := f.Resource.ID
		if f.Resource.Type == ResourceAccount {
			where = "models outside any known VPC"
		}
		w.add("  %s (%s) in %s", f.Check, f.Severity, where)
		for _, e := range f.Exemptions {
			w.add("    by %s: owner %s, until %s, reason: %s", e.Resource, e.Owner, e.Expires, e.Reason)
		}
	}
	w.add("")
}
