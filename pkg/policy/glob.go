package policy

import (
	"math/bits"
	"slices"
	"unicode"
	"unsafe"
)

// Reasoning over patterns instead of samples.
//
// An IAM pattern is a glob: '*' any run of characters ('/' and ':'
// included), '?' exactly one, anything else itself. The language of a glob
// is regular, so the questions the policy checks ask about sets of requests
// — "does this Deny cover every object key of the bucket?", "can this Allow
// and that Deny match a common ARN?", "is every key an Allow matches also
// covered by some Deny?" — are decidable. vpcguard decides them with one
// tool: a breadth-first search over the product of the patterns'
// automata, looking for a string with a given combination of "matched /
// not matched" (a witness). No witness exists exactly when the search
// exhausts the reachable product without finding one.
//
// Each glob is a nondeterministic automaton whose states are positions in
// its token list; the state of the product is the set of live positions of
// every glob. The alphabet is infinite, but only the literal characters the
// globs name can tell strings apart: every other character behaves like
// every other (each '?' and '*' takes it, no literal does), so the search
// tries each named literal and one fresh character. Its witness is the
// shortest string with the wanted combination, and an actual string: the
// caller can evaluate it concretely (Evaluate) and name it in a message.
//
// The product can in theory grow exponentially with the number of '*'; the
// search stops at searchBudget states and then answers "undecided", which
// every caller treats as the conservative answer (for the checks: open,
// never denied).

// searchBudget bounds the product states one search may visit. Real
// policies need a few dozen; a pathological one ends as "undecided".
const searchBudget = 20000

// Two token kinds that no policy pattern has, for the universes of the
// questions (a bucket name has no '/'): one character other than r, and a
// run of characters without r.
const (
	tokOneBut = iota + 100
	tokAnyBut
)

// glob is a compiled pattern with the facts the search needs about it.
type glob struct {
	toks []token
	// allStar[i]: every token from i on is '*' (so from position i < n
	// the glob accepts any continuation).
	allStar []bool
	// stars are the positions of the '*' tokens, in order.
	stars []int
}

func newGlob(toks []token) glob {
	g := glob{toks: toks, allStar: make([]bool, len(toks)+1)}
	g.allStar[len(toks)] = true
	for i := len(toks) - 1; i >= 0; i-- {
		g.allStar[i] = toks[i].kind == tokAny && g.allStar[i+1]
	}
	for i, t := range toks {
		if t.kind == tokAny || t.kind == tokAnyBut {
			g.stars = append(g.stars, i)
		}
	}
	return g
}

// plain: the glob has only the tokens of policy patterns.
func (g glob) plain() bool {
	for _, t := range g.toks {
		if t.kind == tokOneBut || t.kind == tokAnyBut {
			return false
		}
	}
	return true
}

// then appends tokens to g.
func (g glob) then(toks ...token) glob {
	return newGlob(append(slices.Clone(g.toks), toks...))
}

// matches runs the automaton on s.
func (g glob) matches(s string, fold bool) bool {
	set := make([]uint64, g.words())
	set[0] = 1
	g.closure(set)
	next := make([]uint64, g.words())
	for _, c := range s {
		if fold {
			c = canonical(c)
		}
		g.step(set, next, c, fold)
		set, next = next, set
	}
	n := len(g.toks)
	return set[n/64]&(1<<(n%64)) != 0
}

// literalGlob matches exactly s, and prefixGlob every string that starts
// with s and goes on for at least one more character.
func literalGlob(s string) glob {
	toks := make([]token, 0, len(s))
	for _, r := range s {
		toks = append(toks, token{kind: tokLit, r: r})
	}
	return newGlob(toks)
}

func prefixGlob(s string) glob {
	g := literalGlob(s)
	return newGlob(append(g.toks, token{kind: tokOne}, token{kind: tokAny}))
}

// words is the size of one glob's state set, in uint64s.
func (g glob) words() int { return (len(g.toks) + 1 + 63) / 64 }

// canonical maps a rune to one fixed representative of its case-folding
// orbit (the smallest lower-case rune of it, else its smallest rune), so
// that comparing canonical runes is exactly strings.EqualFold on single
// runes, which globMatch uses for actions. Witnesses come out in lower case.
func canonical(r rune) rune {
	least, lower := r, rune(-1)
	f := r
	for {
		least = min(least, f)
		if unicode.IsLower(f) && (lower < 0 || f < lower) {
			lower = f
		}
		if f = unicode.SimpleFold(f); f == r {
			break
		}
	}
	if lower >= 0 {
		return lower
	}
	return least
}

// product is a search over several globs at once. The first universes
// globs are the universe of the question (their union): strings outside it
// are never explored.
type product struct {
	globs     []glob
	universes int
	fold      bool
	off       []int // word offset of each glob's state set
	width     int   // words per product state
}

// newProduct searches globs, globs[0] being the universe.
func newProduct(globs []glob, fold bool) *product { return newUnionProduct(1, globs, fold) }

// newUnionProduct searches globs, the first universes of them being the
// universe.
func newUnionProduct(universes int, globs []glob, fold bool) *product {
	p := &product{globs: globs, universes: universes, fold: fold, off: make([]int, len(globs))}
	for i, g := range globs {
		p.off[i] = p.width
		p.width += g.words()
	}
	return p
}

// closure adds the positions reachable without input: a '*' may match
// nothing. Positions only ever move forward, so one ascending pass does.
func (g glob) closure(set []uint64) {
	for _, i := range g.stars {
		if set[i/64]&(1<<(i%64)) != 0 {
			set[(i+1)/64] |= 1 << ((i + 1) % 64)
		}
	}
}

// step computes the positions after reading c from the positions in from.
func (g glob) step(from, to []uint64, c rune, fold bool) {
	clear(to)
	n := len(g.toks)
	for w, word := range from {
		for ; word != 0; word &= word - 1 {
			i := w*64 + bits.TrailingZeros64(word)
			if i >= n {
				continue // the accepting position reads nothing
			}
			g.advance(i, to, c, fold)
		}
	}
	g.closure(to)
}

// advance sets in to where position i goes on reading c.
func (g glob) advance(i int, to []uint64, c rune, fold bool) {
	t := g.toks[i]
	{
		next := -1
		switch {
		case t.kind == tokAny:
			next = i
		case t.kind == tokOne:
			next = i + 1
		case t.kind == tokAnyBut:
			if !runeIs(t.r, c, fold) {
				next = i
			}
		case t.kind == tokOneBut:
			if !runeIs(t.r, c, fold) {
				next = i + 1
			}
		case t.kind == tokLit && runeIs(t.r, c, fold):
			next = i + 1
		}
		if next >= 0 {
			to[next/64] |= 1 << (next % 64)
		}
	}
}

// runeIs: pattern rune r is the input rune c (c canonical when folding).
func runeIs(r, c rune, fold bool) bool {
	return r == c || fold && canonical(r) == c
}

// view tells an evaluator, for one product state, what each glob does.
type view struct {
	p     *product
	state []uint64
	// Witness returns the string that leads to this state.
	Witness func() string
}

func (v view) set(i int) []uint64 {
	return v.state[v.p.off[i] : v.p.off[i]+v.p.globs[i].words()]
}

// Accepts: glob i matches the string read so far.
func (v view) Accepts(i int) bool {
	n := len(v.p.globs[i].toks)
	return v.set(i)[n/64]&(1<<(n%64)) != 0
}

// Dead: glob i matches no continuation of the string read so far.
func (v view) Dead(i int) bool {
	for _, w := range v.set(i) {
		if w != 0 {
			return false
		}
	}
	return true
}

// InUniverse: the string read so far is in the universe.
func (v view) InUniverse() bool {
	for i := range v.p.universes {
		if v.Accepts(i) {
			return true
		}
	}
	return false
}

// OutOfUniverse: no continuation is in the universe.
func (v view) OutOfUniverse() bool {
	for i := range v.p.universes {
		if !v.Dead(i) {
			return false
		}
	}
	return true
}

// Universal: glob i matches every continuation (the empty one included).
func (v view) Universal(i int) bool {
	g := v.p.globs[i]
	s := v.set(i)
	for pos := range len(g.toks) {
		if g.allStar[pos] && s[pos/64]&(1<<(pos%64)) != 0 {
			return true
		}
	}
	return false
}

// verdict is what an evaluator says of a product state: the string read so
// far is a witness (match), or no continuation can be one (prune).
type verdict struct{ match, prune bool }

// searchResult is the outcome of a search.
type searchResult struct {
	Found   bool
	Witness string
	// Undecided: the budget ran out before a witness was found or the
	// product was exhausted.
	Undecided bool
}

// alphabet is every literal the globs name (canonical when folding) and
// one character none of them names.
func (p *product) alphabet() []rune {
	seen := map[rune]bool{}
	var out []rune
	for _, g := range p.globs {
		for _, t := range g.toks {
			r := t.r
			if p.fold {
				r = canonical(r)
			}
			if t.kind != tokOne && t.kind != tokAny && !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	slices.Sort(out)
	// The fresh character goes first, so that witnesses read like
	// "…/x" wherever the patterns do not force a character.
	for _, fresh := range "xqz0123456789abcdefghijklmnoprstuvwy_" {
		if !seen[fresh] && (!p.fold || canonical(fresh) == fresh) {
			return append([]rune{fresh}, out...)
		}
	}
	for fresh := rune(0xE000); ; fresh++ { // private use: never in a real policy
		if !seen[fresh] {
			return append([]rune{fresh}, out...)
		}
	}
}

// search looks for the shortest string for which eval says match. Strings
// the universe cannot continue are never explored.
func (p *product) search(eval func(view) verdict) searchResult {
	res, _ := p.explore(eval, false)
	return res
}

// explore walks the product breadth first. With all set it does not stop
// at the first match: it visits every reachable state, calling eval on
// each (to collect what combinations exist), and reports whether it
// finished within the budget.
func (p *product) explore(eval func(view) verdict, all bool) (searchResult, bool) {
	sigma := p.alphabet()
	start := make([]uint64, p.width)
	for i, g := range p.globs {
		s := start[p.off[i] : p.off[i]+g.words()]
		s[0] |= 1
		g.closure(s)
	}
	// Every string of the universe starts with the leading literals its
	// globs share: read them once instead of searching through them.
	forced := p.globs[0].lead(p.fold)
	for i := 1; i < p.universes; i++ {
		lead := p.globs[i].lead(p.fold)
		n := 0
		for n < len(forced) && n < len(lead) && forced[n] == lead[n] {
			n++
		}
		forced = forced[:n]
	}
	for _, c := range forced {
		start = p.next(start, c)
	}
	type node struct {
		parent int
		c      rune
	}
	states := [][]uint64{start}
	nodes := []node{{parent: -1}}
	seen := map[string]bool{key(start): true}
	witness := func(n int) string {
		var rs []rune
		for ; nodes[n].parent >= 0; n = nodes[n].parent {
			rs = append(rs, nodes[n].c)
		}
		slices.Reverse(rs)
		return string(forced) + string(rs)
	}
	scratch := make([]uint64, p.width)
	for head := 0; head < len(states); head++ {
		v := eval(view{p, states[head], func() string { return witness(head) }})
		if v.match && !all {
			return searchResult{Found: true, Witness: witness(head)}, true
		}
		if v.prune {
			continue
		}
		for _, c := range sigma {
			p.stepInto(states[head], scratch, c)
			if (view{p: p, state: scratch}).OutOfUniverse() {
				continue // nothing outside the universe matters
			}
			k := key(scratch)
			if seen[k] {
				continue
			}
			if len(states) >= searchBudget {
				return searchResult{Undecided: true}, false
			}
			seen[k] = true
			states = append(states, slices.Clone(scratch))
			nodes = append(nodes, node{parent: head, c: c})
		}
	}
	return searchResult{}, true
}

// stepInto reads c in every glob, from state into next.
func (p *product) stepInto(state, next []uint64, c rune) {
	for i, g := range p.globs {
		g.step(state[p.off[i]:p.off[i]+g.words()], next[p.off[i]:p.off[i]+g.words()], c, p.fold)
	}
}

// next is stepInto into a new state.
func (p *product) next(state []uint64, c rune) []uint64 {
	out := make([]uint64, p.width)
	p.stepInto(state, out, c)
	return out
}

// key is the state as a map key (its words' bytes).
func key(state []uint64) string {
	if len(state) == 0 {
		return ""
	}
	return string(unsafe.Slice((*byte)(unsafe.Pointer(&state[0])), 8*len(state)))
}

// intersects reports whether a and b match a common string: no, yes, or
// undecided (maybe).
func intersects(a, b glob, fold bool) tri {
	// Quick answers first: a string of one that the other matches, or
	// leading literals that already differ.
	for _, fill := range []string{"", "x"} {
		if (b.plain() && a.matches(b.instance(fill), fold)) || (a.plain() && b.matches(a.instance(fill), fold)) {
			return yes
		}
	}
	if !compatible(a.lead(fold), b.lead(fold)) {
		return no
	}
	p := newProduct([]glob{a, b}, fold)
	r := p.search(func(v view) verdict {
		return verdict{match: v.Accepts(0) && v.Accepts(1), prune: v.Dead(0) || v.Dead(1)}
	})
	switch {
	case r.Undecided:
		return maybe
	case r.Found:
		return yes
	}
	return no
}

// instance is one string a plain glob matches: each '*' read as fill,
// each '?' as "x".
func (g glob) instance(fill string) string {
	var b []rune
	for _, t := range g.toks {
		switch t.kind {
		case tokLit:
			b = append(b, t.r)
		case tokOne:
			b = append(b, 'x')
		default:
			b = append(b, []rune(fill)...)
		}
	}
	return string(b)
}

// lead is the glob's leading literals (canonical when folding).
func (g glob) lead(fold bool) []rune {
	var out []rune
	for _, t := range g.toks {
		if t.kind != tokLit {
			break
		}
		r := t.r
		if fold {
			r = canonical(r)
		}
		out = append(out, r)
	}
	return out
}

// compatible: one is a prefix of the other.
func compatible(a, b []rune) bool {
	n := min(len(a), len(b))
	return slices.Equal(a[:n], b[:n])
}

// includes reports whether every string universe matches is matched by one
// of covers: yes, no, or maybe (undecided).
func includes(universe glob, covers []glob, fold bool) tri {
	globs := append([]glob{universe}, covers...)
	p := newProduct(globs, fold)
	r := p.search(func(v view) verdict {
		if v.Dead(0) {
			return verdict{prune: true}
		}
		for i := 1; i < len(globs); i++ {
			if v.Universal(i) {
				return verdict{prune: true}
			}
		}
		if !v.Accepts(0) {
			return verdict{}
		}
		for i := 1; i < len(globs); i++ {
			if v.Accepts(i) {
				return verdict{}
			}
		}
		return verdict{match: true}
	})
	switch {
	case r.Undecided:
		return maybe
	case r.Found:
		return no
	}
	return yes
}
