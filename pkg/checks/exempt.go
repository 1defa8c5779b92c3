package checks

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/pkg/exempt"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// Exemptions says how RunWith reads the exempt tag: its key and the moment
// expiries are measured against. A zero Exemptions applies none.
type Exemptions struct {
	Tag string    // VPCGUARD_EXEMPT_TAG
	Now time.Time // the evaluation time
}

// Known reports whether id is a check of the catalogue.
func Known(id string) bool {
	_, ok := Lookup(id)
	return ok
}

// ParseExemption reads an exempt tag value against the catalogue's IDs.
func ParseExemption(value string) exempt.Exemption { return exempt.Parse(value, Known) }

// RunWith evaluates every check of defs against s, like Run, and then
// applies the exemptions, finding by finding (one check has one finding per
// model, VPC or endpoint):
//
//   - a failing finding becomes "exempt" when a live exemption for the check
//     is on a resource it names or on the VPC they are in; when only models
//     carry it, on every model the finding names (a model's exemption never
//     covers another model);
//   - an expired exemption leaves the real status and says when it expired;
//   - a malformed tag leaves the real status and says what is wrong.
//
// Blanket values ("", "true", "*") change no status: they only keep
// vpcguard from changing the resource (see pkg/remediate).
func RunWith(s *inventory.Snapshot, defs []Definition, ex Exemptions) []report.Check {
	var tags *tagIndex
	out := make([]report.Check, 0, len(defs))
	for _, d := range defs {
		o := d.Evaluate(s)
		var exemptions []report.Exemption
		if ex.Tag != "" && len(o.findings) > 0 {
			if tags == nil {
				tags = indexTags(s, ex.Tag)
			}
			if len(tags.tagged) > 0 {
				o, exemptions = tags.apply(d.ID, o, ex)
			}
		}
		if o.Resources == nil {
			o.Resources = []string{}
		}
		c := report.Check{ID: d.ID, Status: o.Status, Severity: d.Severity, Resources: o.Resources, Message: o.Message, Exemptions: exemptions}
		if o.Status != report.StatusPass && o.Status != report.StatusNotApplicable {
			c.Remediation = o.Remediation
		}
		c.Verdicts = verdicts(s, d.Subject(), o.findings)
		out = append(out, c)
	}
	return out
}

// tagIndex holds the snapshot's resources that carry the exempt tag, and
// the VPC of every resource a finding may name.
type tagIndex struct {
	key    string
	tagged map[string]taggedResource
	vpcOf  map[string]string
	models map[string]bool
}

type taggedResource struct {
	kind string // model, VPC, endpoint, route table, security group
	ex   exempt.Exemption
}

func indexTags(s *inventory.Snapshot, key string) *tagIndex {
	t := &tagIndex{key: key, tagged: map[string]taggedResource{}, vpcOf: map[string]string{}, models: map[string]bool{}}
	add := func(id, kind string, tags map[string]string) {
		if v, ok := tags[key]; ok && id != "" {
			t.tagged[id] = taggedResource{kind: kind, ex: ParseExemption(v)}
		}
	}
	for _, m := range s.Models {
		t.models[m.Name] = true
		add(m.Name, "model", m.Tags)
		if vpc := s.ModelVPC(m); vpc != "" {
			t.vpcOf[m.Name] = vpc
		}
	}
	if s.Subnets.OK() {
		for id, sn := range s.Subnets.Value {
			t.vpcOf[id] = sn.VPCID
		}
	}
	if s.SecurityGroups.OK() {
		for id, g := range s.SecurityGroups.Value {
			add(id, "security group", g.Tags)
			t.vpcOf[id] = g.VPCID
		}
	}
	for id, v := range s.VPCs {
		if v == nil {
			continue
		}
		if v.Info.OK() {
			add(id, "VPC", v.Info.Value.Tags)
		}
		for _, rt := range v.RouteTables.Value {
			add(rt.ID, "route table", rt.Tags)
			t.vpcOf[rt.ID] = id
		}
		for _, e := range v.Endpoints.Value {
			add(e.ID, "VPC endpoint", e.Tags)
			t.vpcOf[e.ID] = id
		}
	}
	return t
}

// apply rewrites the findings of check and folds them again.
func (t *tagIndex) apply(check string, o Outcome, ex Exemptions) (Outcome, []report.Exemption) {
	fs := slices.Clone(o.findings)
	var exemptions []report.Exemption
	var exemptResources []string
	changed := false
	for i, f := range fs {
		nf, used, touched := t.finding(check, f, ex.Now)
		if !touched {
			continue
		}
		changed = true
		fs[i] = nf
		for _, e := range used {
			if !slices.ContainsFunc(exemptions, func(x report.Exemption) bool { return x.Resource == e.Resource }) {
				exemptions = append(exemptions, e)
			}
		}
		if nf.status == report.StatusExempt {
			exemptResources = appendNew(exemptResources, nf.resources...)
		}
	}
	if !changed {
		return o, nil
	}
	out := combine(fs)
	if (out.Status == report.StatusFail || out.Status == report.StatusUnknown) && len(exemptResources) > 0 {
		out.Message += fmt.Sprintf("; exempt, and so not counted here: %s (see the exemptions)", strings.Join(exemptResources, ", "))
	}
	return out, exemptions
}

// finding applies the exemptions to one finding; touched is false when
// none concerns it.
func (t *tagIndex) finding(check string, f finding, now time.Time) (out finding, used []report.Exemption, touched bool) {
	var scope []string
	for _, r := range f.resources {
		scope = appendNew(scope, r)
		if vpc := t.vpcOf[r]; vpc != "" {
			scope = appendNew(scope, vpc)
		}
	}
	var covering, notes []string
	var named []string // models the finding names
	for _, r := range f.resources {
		if t.models[r] {
			named = appendNew(named, r)
		}
	}
	coverAll := false
	for _, r := range scope {
		tr, ok := t.tagged[r]
		if !ok {
			continue
		}
		switch {
		case tr.ex.Covers(check, now):
			covering = append(covering, r)
			used = append(used, report.Exemption{Resource: r, Tag: t.key, Reason: tr.ex.Reason, Owner: tr.ex.Owner, Expires: tr.ex.Expires})
			if tr.kind != "model" {
				coverAll = true
			}
		case tr.ex.Expired(check, now):
			notes = append(notes, fmt.Sprintf("the exemption on %s %s (tag %s: %s) expired on %s, so the check reports its real status",
				tr.kind, r, t.key, tr.ex.Describe(), tr.ex.Expires))
		case tr.ex.Kind == exempt.Malformed && (f.status == report.StatusFail || f.status == report.StatusUnknown):
			notes = append(notes, fmt.Sprintf("the %s tag on %s %s is malformed (%s): vpcguard never changes %s, and the check reports its real status",
				t.key, tr.kind, r, tr.ex.Problem, r))
		}
	}
	if f.status == report.StatusFail && len(covering) > 0 {
		var uncovered []string
		for _, m := range named {
			if !slices.Contains(covering, m) {
				uncovered = append(uncovered, m)
			}
		}
		if coverAll || len(uncovered) == 0 {
			parts := make([]string, 0, len(covering))
			for _, r := range covering {
				tr := t.tagged[r]
				parts = append(parts, fmt.Sprintf("%s %s by its %s tag (%s)", tr.kind, r, t.key, tr.ex.Describe()))
			}
			f.status = report.StatusExempt
			f.message += "; exempt: " + strings.Join(parts, "; ")
			return withNotes(f, notes), used, true
		}
		notes = append(notes, fmt.Sprintf("the exemption on %s does not cover %s, so the check fails",
			strings.Join(covering, ", "), strings.Join(uncovered, ", ")))
		used = nil
	} else {
		used = nil
	}
	if len(notes) == 0 {
		return f, nil, false
	}
	return withNotes(f, notes), nil, true
}

func withNotes(f finding, notes []string) finding {
	if len(notes) > 0 {
		f.message += "; " + strings.Join(notes, "; ")
	}
	return f
}
