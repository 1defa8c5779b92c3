package policy

import (
	"fmt"
	"strings"
)

// Exact answers about sets of requests, from the patterns (see glob.go).
//
// They follow the IAM User Guide's policy evaluation logic ("Determining
// whether a request is allowed or denied within an account"): an explicit
// Deny in any applicable statement overrides every Allow, and a request no
// Allow covers is denied by default (implicit deny). Which statements count
// is Evaluate's rule, so that a verdict about a set agrees with Evaluate on
// each of its members:
//   - an Allow counts as soon as it may apply to someone (a Condition, a
//     specific principal or a policy variable do not stop it): its resource
//     set is read generously, a variable in Resource as '*' and a variable
//     in NotResource as matching nothing;
//   - a Deny counts only where it certainly applies to every caller
//     (Principal "*" or {"AWS":"*"}, no NotPrincipal, no Condition): its
//     resource set is read strictly, a Resource pattern with a variable
//     dropped and a variable in NotResource read as '*'.

// resourceSet is what one statement's Resource or NotResource takes in:
// the strings one of globs matches, or with negated (NotResource) every
// string none of them matches.
type resourceSet struct {
	globs   []glob
	negated bool
}

// possibleResources is the resource set of st read generously (for an
// Allow): everything it may cover.
func possibleResources(st *Statement, variables bool) resourceSet {
	if st.Resource != nil {
		var out resourceSet
		for _, p := range st.Resource {
			toks, _ := compile(p, variables) // a variable reads as '*'
			out.globs = append(out.globs, newGlob(toks))
		}
		return out
	}
	out := resourceSet{negated: true}
	for _, p := range st.NotResource {
		if toks, hasVar := compile(p, variables); !hasVar {
			out.globs = append(out.globs, newGlob(toks))
		}
	}
	return out
}

// certainResources is the resource set of st read strictly (for a Deny):
// what it covers whatever a variable turns out to be.
func certainResources(st *Statement, variables bool) resourceSet {
	if st.Resource != nil {
		var out resourceSet
		for _, p := range st.Resource {
			if toks, hasVar := compile(p, variables); !hasVar {
				out.globs = append(out.globs, newGlob(toks))
			}
		}
		return out
	}
	out := resourceSet{negated: true}
	for _, p := range st.NotResource {
		toks, _ := compile(p, variables)
		out.globs = append(out.globs, newGlob(toks))
	}
	return out
}

// actionSet is the same for Action / NotAction (no variables there).
func actionSet(st *Statement) resourceSet {
	list, negated := st.Action, false
	if list == nil {
		list, negated = st.NotAction, true
	}
	out := resourceSet{negated: negated}
	for _, p := range list {
		toks, _ := compile(p, false)
		out.globs = append(out.globs, newGlob(toks))
	}
	return out
}

// countedDeny: a Deny that Evaluate counts wherever it matches.
func countedDeny(st *Statement) bool {
	return st.Effect == Deny && unconditionalForEveryone(st)
}

// lang is one statement's set inside a product search: the product
// indices of its globs.
type lang struct {
	st      *Statement
	globs   []int
	negated bool
}

// holds: the string read so far is in the set.
func (l lang) holds(v view) bool {
	for _, i := range l.globs {
		if v.Accepts(i) {
			return !l.negated
		}
	}
	return l.negated
}

// always: every continuation is in the set.
func (l lang) always(v view) bool {
	if l.negated {
		for _, i := range l.globs {
			if !v.Dead(i) {
				return false
			}
		}
		return true
	}
	for _, i := range l.globs {
		if v.Universal(i) {
			return true
		}
	}
	return false
}

// never: no continuation is in the set.
func (l lang) never(v view) bool {
	if l.negated {
		for _, i := range l.globs {
			if v.Universal(i) {
				return true
			}
		}
		return false
	}
	for _, i := range l.globs {
		if !v.Dead(i) {
			return false
		}
	}
	return true
}

// builder collects the globs of one search; the first universes of them
// are the universe.
type builder struct {
	globs     []glob
	universes int
	fold      bool
}

func newBuilder(fold bool, universe ...glob) *builder {
	return &builder{globs: universe, universes: len(universe), fold: fold}
}

func (b *builder) product() *product { return newUnionProduct(b.universes, b.globs, b.fold) }

// add puts set into the search as a lang, keeping only the globs that can
// match inside the universe (the others match nothing there). ok is false
// when the set is certainly empty inside the universe.
func (b *builder) add(st *Statement, set resourceSet) (lang, bool) {
	l := lang{st: st, negated: set.negated}
	for _, g := range set.globs {
		meets := false
		for _, u := range b.globs[:b.universes] {
			meets = meets || intersects(u, g, b.fold) != no
		}
		if !meets {
			continue
		}
		l.globs = append(l.globs, len(b.globs))
		b.globs = append(b.globs, g)
	}
	return l, l.negated || len(l.globs) > 0
}

// PrefixVerdict is how doc treats one action on every resource that
// starts with a prefix (every object of a bucket).
type PrefixVerdict struct {
	// Decision: Allowed when some such resource is allowed; ExplicitDeny
	// when an explicit Deny covers every one; ImplicitDeny when every one
	// is denied, some only because no Allow covers them.
	Decision Decision
	// Undecided is set when the search ran out of budget; Decision is
	// then Allowed (open), the conservative answer.
	Undecided bool
	// Sample is a concrete resource that shows the decision: an allowed
	// one (Allowed), or one that only the default deny stops
	// (ImplicitDeny); empty for ExplicitDeny and when undecided.
	Sample string
	// Evaluation is Evaluate's answer for Sample; for ExplicitDeny it
	// names the Deny statements that together cover the prefix.
	Evaluation Evaluation
}

// PrefixAccess decides action on every resource prefix+k, k any non-empty
// string (for an object ARN prefix "arn:aws:s3:::bucket/": every object of
// the bucket, since an S3 key has at least one character).
func PrefixAccess(doc *Document, action, prefix string) PrefixVerdict {
	if doc == nil {
		return PrefixVerdict{Decision: ImplicitDeny, Sample: prefix + "x", Evaluation: Evaluation{Decision: ImplicitDeny, Statement: -1}}
	}
	variables := doc.Version == Version2012
	b := newBuilder(false, prefixGlob(prefix))
	var allows, denies []lang
	for i := range doc.Statements {
		st := &doc.Statements[i]
		covers := actionCovers(st, action)
		switch {
		case covers == no:
		case st.Effect == Allow:
			if l, ok := b.add(st, possibleResources(st, variables)); ok {
				allows = append(allows, l)
			}
		case countedDeny(st) && covers == yes:
			if l, ok := b.add(st, certainResources(st, variables)); ok {
				denies = append(denies, l)
			}
		}
	}
	p := b.product()
	denied := func(v view) (now, forever bool) {
		for _, l := range denies {
			if l.always(v) {
				return true, true
			}
			if l.holds(v) {
				now = true
			}
		}
		return now, false
	}
	open := p.search(func(v view) verdict {
		if v.OutOfUniverse() {
			return verdict{prune: true}
		}
		now, forever := denied(v)
		if forever {
			return verdict{prune: true}
		}
		anyAllow, hope := false, false
		for _, l := range allows {
			anyAllow = anyAllow || l.holds(v)
			hope = hope || !l.never(v)
		}
		return verdict{match: v.InUniverse() && anyAllow && !now, prune: !hope}
	})
	request := func(resource string) Evaluation {
		return Evaluate(doc, Request{Action: action, Resource: resource})
	}
	switch {
	case open.Undecided:
		return PrefixVerdict{Decision: Allowed, Undecided: true, Evaluation: Evaluation{Decision: Allowed, Statement: -1,
			Label: "an Allow vpcguard could not rule out (the patterns are too intricate to decide within its search budget)"}}
	case open.Found:
		s := open.Witness
		return PrefixVerdict{Decision: Allowed, Sample: s, Evaluation: request(s)}
	}
	gap := p.search(func(v view) verdict {
		if v.OutOfUniverse() {
			return verdict{prune: true}
		}
		now, forever := denied(v)
		return verdict{match: v.InUniverse() && !now, prune: forever}
	})
	if gap.Found || gap.Undecided {
		out := PrefixVerdict{Decision: ImplicitDeny, Evaluation: Evaluation{Decision: ImplicitDeny, Statement: -1}}
		if gap.Found {
			out.Sample = gap.Witness
			out.Evaluation = request(out.Sample)
		}
		return out
	}
	return PrefixVerdict{Decision: ExplicitDeny, Evaluation: coveringDenies(b, denies)}
}

// coveringDenies names the Deny statements that cover the whole universe:
// one of them alone when one does, else every one that meets it.
func coveringDenies(b *builder, denies []lang) Evaluation {
	p := b.product()
	for _, l := range denies {
		gap := p.search(func(v view) verdict {
			return verdict{match: v.InUniverse() && !l.holds(v), prune: v.OutOfUniverse() || l.always(v)}
		})
		if !gap.Found && !gap.Undecided {
			return decided(ExplicitDeny, l.st)
		}
	}
	if len(denies) == 0 { // cannot happen: an empty universe is not possible
		return Evaluation{Decision: ExplicitDeny, Statement: -1}
	}
	labels := make([]string, len(denies))
	for i, l := range denies {
		labels[i] = l.st.Label()
	}
	ev := decided(ExplicitDeny, denies[0].st)
	ev.Label = strings.Join(labels, " and ") + " together"
	return ev
}

// Remaining says whether an endpoint policy still lets some S3 request
// through: some request an Allow covers that no counted Deny takes back.
type Remaining struct {
	// Allows: such a request exists. Undecided: the search ran out of
	// budget (Allows is then false; a caller decides what that means).
	Allows    bool
	Undecided bool
	// Label names the surviving Allow, and Example is one such request.
	Label   string
	Example Request
	// Why says, when nothing is allowed, why.
	Why string
}

// RemainingAllow decides whether doc allows some S3 request at all: an
// action "s3:…" on a bucket or object ARN "arn:<partition>:s3:::b[/key]"
// that an Allow may cover and no counted Deny covers. It is false for a deny-only policy, and
// for one whose unconditional Denies for everyone take back everything its
// Allows give (an Allow of s3:GetObject on one bucket beside a Deny of s3:*
// on that bucket and its objects).
func RemainingAllow(doc *Document, partition string) Remaining {
	if doc == nil {
		return Remaining{Why: "there is no policy"}
	}
	variables := doc.Version == Version2012
	acts := newBuilder(true, prefixGlob("s3:"))
	// A bucket ARN (the name has no '/') or an object ARN (a key of at
	// least one character).
	bucketARN := literalGlob("arn:"+partition+":s3:::").then(token{kind: tokOneBut, r: '/'}, token{kind: tokAnyBut, r: '/'})
	objectARN := bucketARN.then(token{kind: tokLit, r: '/'}, token{kind: tokOne}, token{kind: tokAny})
	ress := newBuilder(false, bucketARN, objectARN)
	type counted struct {
		st       *Statement
		act, res lang
		allow    bool
	}
	var stmts []counted
	anyAllow := false
	for i := range doc.Statements {
		st := &doc.Statements[i]
		var resources resourceSet
		switch {
		case st.Effect == Allow:
			anyAllow = true
			resources = possibleResources(st, variables)
		case countedDeny(st):
			resources = certainResources(st, variables)
		default:
			continue
		}
		a, okA := acts.add(st, actionSet(st))
		r, okR := ress.add(st, resources)
		if okA && okR {
			stmts = append(stmts, counted{st: st, act: a, res: r, allow: st.Effect == Allow})
		}
	}
	if !anyAllow {
		return Remaining{Why: "the policy has no Allow statement (deny-only)"}
	}
	// The combinations of statements one S3 action can fall under, each
	// with its shortest action: few, since action patterns are simple.
	type combo struct {
		in     []bool // stmts[i] covers the action
		action string
	}
	var combos []combo
	seen := map[string]bool{}
	p := acts.product()
	_, done := p.explore(func(v view) verdict {
		// Once every glob is dead or universal, no continuation changes
		// the combination: take it (one character on, the universe
		// "s3:?*" accepts) and go no further.
		fixed := true
		for i := acts.universes; i < len(acts.globs) && fixed; i++ {
			fixed = v.Dead(i) || v.Universal(i)
		}
		if !v.InUniverse() && !fixed {
			return verdict{}
		}
		in := make([]bool, len(stmts))
		k := make([]byte, len(stmts))
		for i, s := range stmts {
			if in[i] = (fixed && s.act.always(v)) || (!fixed && s.act.holds(v)); in[i] {
				k[i] = 1
			}
		}
		if !seen[string(k)] {
			seen[string(k)] = true
			w := v.Witness() // breadth first: the shortest
			if !v.InUniverse() {
				w += "x"
			}
			combos = append(combos, combo{in, w})
		}
		return verdict{prune: fixed}
	}, true)
	if !done {
		return Remaining{Undecided: true, Why: "the action patterns are too intricate for vpcguard to decide within its search budget"}
	}
	// For each, a resource that an Allow of the combination covers and
	// none of its Denies does.
	q := ress.product()
	undecided := false
	for _, c := range combos {
		var allows, denies []lang
		for i, s := range stmts {
			switch {
			case !c.in[i]:
			case s.allow:
				allows = append(allows, s.res)
			default:
				denies = append(denies, s.res)
			}
		}
		if len(allows) == 0 {
			continue
		}
		r := q.search(func(v view) verdict {
			if v.OutOfUniverse() {
				return verdict{prune: true}
			}
			deniedNow := false
			for _, l := range denies {
				if l.always(v) {
					return verdict{prune: true}
				}
				deniedNow = deniedNow || l.holds(v)
			}
			allowedNow, hope := false, false
			for _, l := range allows {
				allowedNow = allowedNow || l.holds(v)
				hope = hope || !l.never(v)
			}
			return verdict{match: v.InUniverse() && allowedNow && !deniedNow, prune: !hope}
		})
		switch {
		case r.Undecided:
			undecided = true
		case r.Found:
			req := Request{Action: c.action, Resource: r.Witness}
			return Remaining{Allows: true, Label: Evaluate(doc, req).Label, Example: req}
		}
	}
	if undecided {
		return Remaining{Undecided: true, Why: "the resource patterns are too intricate for vpcguard to decide within its search budget"}
	}
	for i := range doc.Statements {
		if st := &doc.Statements[i]; countedDeny(st) && coversAllS3Actions(st) && coversAllS3Resources(st) {
			return Remaining{Why: st.Label() + " denies every S3 action on every resource to everyone"}
		}
	}
	return Remaining{Why: "every S3 request an Allow covers is also covered by an unconditional Deny for everyone"}
}

// String renders a Remaining for a message.
func (r Remaining) String() string {
	switch {
	case r.Allows:
		return fmt.Sprintf("%s still allows requests such as %s on %s", r.Label, r.Example.Action, r.Example.Resource)
	case r.Undecided:
		return "vpcguard cannot tell whether any request is still allowed: " + r.Why
	}
	return r.Why
}
