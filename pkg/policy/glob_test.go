package policy

import (
	"strings"
	"testing"
)

func mustGlob(pattern string) glob {
	toks, _ := compile(pattern, false)
	return newGlob(toks)
}

// strings up to n characters over alphabet, shortest first.
func allStrings(alphabet string, n int) []string {
	out := []string{""}
	level := []string{""}
	for range n {
		var next []string
		for _, s := range level {
			for _, c := range alphabet {
				next = append(next, s+string(c))
			}
		}
		out = append(out, next...)
		level = next
	}
	return out
}

// TestGlobQuestions pins the three questions the policy checks ask, on the
// shapes that matter. IAM User Guide, "IAM JSON policy elements: Resource",
// section "Using wildcards in resource ARNs": '*' matches any combination of
// characters and '?' any single one, and '*' expands across the whole
// segment, a '/' included.
func TestGlobQuestions(t *testing.T) {
	bucket := prefixGlob("arn:aws:s3:::b/") // every object of bucket b
	for _, tc := range []struct {
		name      string
		pattern   string
		covers    tri // every object of b matches
		intersect tri // some object of b matches
	}{
		{"all objects", "arn:aws:s3:::b/*", yes, yes},
		{"star spans the slash", "arn:aws:s3:::*", yes, yes},
		{"everything", "*", yes, yes},
		{"one character then anything", "arn:aws:s3:::b/?*", yes, yes},
		{"bucket family", "arn:aws:s3:::?/*", yes, yes},
		{"one path only", "arn:aws:s3:::b/core/*", no, yes},
		{"keys with an e", "arn:aws:s3:::b/*e*", no, yes},
		{"the bucket itself, not its objects", "arn:aws:s3:::b", no, no},
		{"another bucket", "arn:aws:s3:::c/*", no, no},
		{"a longer bucket name", "arn:aws:s3:::bb/*", no, no},
		{"a prefix of the bucket name and a star", "arn:aws:s3:::b*", yes, yes},
		{"case matters in resources", "arn:aws:s3:::B/*", no, no},
		{"two-character keys only", "arn:aws:s3:::b/??", no, yes},
		{"star then slash", "arn:aws:s3:::*/*", yes, yes},
		{"star, slash, star, slash", "arn:aws:s3:::*/*/*", no, yes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := mustGlob(tc.pattern)
			if got := includes(bucket, []glob{g}, false); got != tc.covers {
				t.Errorf("covers every object: %v, want %v", got, tc.covers)
			}
			if got := intersects(bucket, g, false); got != tc.intersect {
				t.Errorf("meets some object: %v, want %v", got, tc.intersect)
			}
		})
	}
	// A union can cover what no member covers alone.
	if includes(bucket, []glob{mustGlob("arn:aws:s3:::b/?"), mustGlob("arn:aws:s3:::b/??*")}, false) != yes {
		t.Error("b/? and b/??* together cover every object")
	}
	if includes(bucket, []glob{mustGlob("arn:aws:s3:::b/a*"), mustGlob("arn:aws:s3:::b/?b*")}, false) != no {
		t.Error("b/a* and b/?b* leave b/cc uncovered")
	}
	// Actions fold case: S3:GET* and s3:get* are one pattern.
	if intersects(mustGlob("S3:GET*"), mustGlob("s3:getobject"), true) != yes || intersects(mustGlob("S3:GET*"), mustGlob("s3:getobject"), false) != no {
		t.Error("case folding")
	}
	if intersects(mustGlob("s3:K*"), mustGlob("s3:\u212a"), true) != yes { // KELVIN SIGN folds to k and K
		t.Error("the Kelvin sign folds like k")
	}
}

// TestGlobAgainstEnumeration decides intersection and inclusion for many
// small patterns and compares with the brute force answer over every
// string up to a length no shortest witness can exceed.
func TestGlobAgainstEnumeration(t *testing.T) {
	patterns := allStrings("a*?", 4)
	strs := allStrings("ab", 9)
	matches := func(p string) map[string]bool {
		toks, _ := compile(p, false)
		m := map[string]bool{}
		for _, s := range strs {
			if globMatch(toks, s, false) {
				m[s] = true
			}
		}
		return m
	}
	sets := map[string]map[string]bool{}
	for _, p := range patterns {
		sets[p] = matches(p)
	}
	n := 0
	for i, p := range patterns {
		for _, q := range patterns[i:] {
			n++
			want := no
			for s := range sets[p] {
				if sets[q][s] {
					want = yes
					break
				}
			}
			if got := intersects(mustGlob(p), mustGlob(q), false); got != want {
				t.Fatalf("intersects(%q, %q) = %v, want %v", p, q, got, want)
			}
			want = yes
			for s := range sets[p] {
				if !sets[q][s] {
					want = no
					break
				}
			}
			if got := includes(mustGlob(p), []glob{mustGlob(q)}, false); got != want {
				t.Fatalf("includes(%q, %q) = %v, want %v", p, q, got, want)
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d pairs", n)
	}
}

// TestSearchWitness: the witness is a real string with the wanted
// combination, the shortest one.
func TestSearchWitness(t *testing.T) {
	a, b := mustGlob("arn:aws:s3:::*/*.rpm"), mustGlob("arn:aws:s3:::*/x86_64/*")
	p := newProduct([]glob{a, b}, false)
	r := p.search(func(v view) verdict { return verdict{match: v.Accepts(0) && !v.Accepts(1)} })
	if !r.Found || !globMatch(a.toks, r.Witness, false) || globMatch(b.toks, r.Witness, false) {
		t.Fatalf("witness %q (found %v)", r.Witness, r.Found)
	}
	if r.Witness != "arn:aws:s3:::/.rpm" {
		t.Errorf("witness %q is not the shortest, arn:aws:s3:::/.rpm", r.Witness)
	}
}

// TestSearchBudget: a product too large to explore answers undecided, and
// the callers read that as the conservative answer: PrefixAccess calls the
// bucket open, never denied.
func TestSearchBudget(t *testing.T) {
	var globs []glob
	for i := range 24 {
		globs = append(globs, mustGlob(strings.Repeat("*"+string(rune('a'+i)), 3)+"*"))
	}
	p := newProduct(globs, false)
	r := p.search(func(v view) verdict { return verdict{} })
	if !r.Undecided {
		t.Fatalf("expected the budget to run out: %+v", r)
	}
	// Only a key with three of each of 24 letters escapes every Deny: the
	// shortest has 72 characters, past what the budget explores.
	statements := []string{`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`}
	for i := range 24 {
		statements = append(statements, `{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::b/`+strings.Repeat("*"+string(rune('a'+i)), 3)+`*"}`)
	}
	v := PrefixAccess(mustParse(t, doc("", statements...)), "s3:GetObject", "arn:aws:s3:::b/")
	if !v.Undecided || v.Decision != Allowed || v.Sample != "" {
		t.Errorf("PrefixAccess past the budget = %+v, want undecided and open", v)
	}
}

func TestCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want rune }{{'A', 'a'}, {'a', 'a'}, {'\u212a', 'k'}, {'K', 'k'}, {'S', 's'}, {'\u017f', 's'}, {'3', '3'}, {':', ':'}} {
		if got := canonical(tc.in); got != tc.want {
			t.Errorf("canonical(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !strings.EqualFold(string(tc.in), string(canonical(tc.in))) {
			t.Errorf("canonical(%q) leaves the fold class", tc.in)
		}
	}
}
