package policy

import (
	"strings"
	"unicode/utf8"
)

// IAM glob semantics: '*' matches any run of characters (none included, and
// across ':' and '/'), '?' matches exactly one character, everything else
// matches itself. Action names compare without regard to case; resources
// compare exactly.
//
// In a "2012-10-17" document a policy variable ${...} in a Resource is
// replaced at request time by something vpcguard cannot know, so it matches
// "maybe": a variable is read as '*' and any match through it is uncertain.
// IAM does not substitute variables in Action, so there they are text. ${*}, ${?} and ${$}
// are the documented escapes for a literal '*', '?' and '$'. In a
// "2008-10-17" document (or one without Version) variables are plain text.

// tri is a three-valued truth: a match can be certain, impossible, or
// dependent on something vpcguard cannot see (a variable, a Condition, who
// the caller is).
type tri int

const (
	no tri = iota
	maybe
	yes
)

func (t tri) not() tri { return yes - t }

// anyOf is the "or" over a list.
func anyOf(n int, f func(int) tri) tri {
	best := no
	for i := 0; i < n && best != yes; i++ {
		best = max(best, f(i))
	}
	return best
}

// token kinds of a compiled glob.
const (
	tokLit = iota
	tokOne
	tokAny
)

type token struct {
	kind int
	r    rune
}

// compile turns a pattern into tokens; hasVar reports a policy variable
// (compiled as '*').
func compile(pattern string, variables bool) (toks []token, hasVar bool) {
	for i := 0; i < len(pattern); {
		if variables && strings.HasPrefix(pattern[i:], "${") {
			if end := strings.IndexByte(pattern[i:], '}'); end > 0 {
				switch name := pattern[i+2 : i+end]; name {
				case "*", "?", "$":
					toks = append(toks, token{kind: tokLit, r: rune(name[0])})
				default:
					toks = append(toks, token{kind: tokAny})
					hasVar = true
				}
				i += end + 1
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(pattern[i:])
		switch r {
		case '*':
			toks = append(toks, token{kind: tokAny})
		case '?':
			toks = append(toks, token{kind: tokOne})
		default:
			toks = append(toks, token{kind: tokLit, r: r})
		}
		i += size
	}
	return toks, hasVar
}

// globMatch reports whether the compiled pattern matches s. It runs in
// O(len(toks)·len(s)) at worst: the classic single-backtrack wildcard match.
func globMatch(toks []token, s string, fold bool) bool {
	str := []rune(s)
	ti, si := 0, 0
	starT, starS := -1, 0
	for si < len(str) {
		if ti < len(toks) {
			switch t := toks[ti]; {
			case t.kind == tokAny:
				starT, starS = ti, si
				ti++
				continue
			case t.kind == tokOne, t.kind == tokLit && runeEq(t.r, str[si], fold):
				ti++
				si++
				continue
			}
		}
		if starT < 0 {
			return false
		}
		// Let the last '*' swallow one more character and retry.
		starS++
		ti, si = starT+1, starS
	}
	for ti < len(toks) && toks[ti].kind == tokAny {
		ti++
	}
	return ti == len(toks)
}

func runeEq(a, b rune, fold bool) bool {
	if a == b {
		return true
	}
	return fold && strings.EqualFold(string(a), string(b))
}

// matchPattern matches one Action or Resource pattern against a concrete
// value: yes, no, or maybe when the match goes through a policy variable.
func matchPattern(pattern, value string, fold, variables bool) tri {
	toks, hasVar := compile(pattern, variables)
	if !globMatch(toks, value, fold) {
		return no
	}
	if hasVar {
		return maybe
	}
	return yes
}

// matchAction matches an action pattern ("s3:Get*") against an action name,
// without regard to case.
func matchAction(pattern, action string) tri {
	return matchPattern(pattern, action, true, false)
}

// matchResource matches a resource pattern against an ARN, exactly.
func matchResource(pattern, arn string, variables bool) tri {
	return matchPattern(pattern, arn, false, variables)
}

// coversPrefix reports whether pattern matches every string that starts
// with prefix: it ends in '*' and what comes before that '*' matches some
// prefix of prefix. (Patterns such as "s3:?*" that cover every non-empty
// suffix in a roundabout way are not recognised; that only ever makes
// vpcguard say "not full access".)
func coversPrefix(pattern, prefix string, fold bool) bool {
	if !strings.HasSuffix(pattern, "*") || strings.Contains(pattern, "${") {
		return false
	}
	toks, _ := compile(strings.TrimSuffix(pattern, "*"), false)
	p := []rune(prefix)
	for n := 0; n <= len(p); n++ {
		if globMatch(toks, string(p[:n]), fold) {
			return true
		}
	}
	return false
}

// mayMatchPrefix reports whether pattern might match some string that
// starts with prefix (used to ask "could this NotAction exclude an S3
// action?"). It errs towards true.
func mayMatchPrefix(pattern, prefix string, fold bool) bool {
	lit := pattern
	if i := strings.IndexAny(pattern, "*?$"); i >= 0 {
		lit = pattern[:i]
	}
	if fold {
		lit, prefix = strings.ToLower(lit), strings.ToLower(prefix)
	}
	if len(lit) == len(pattern) { // no wildcard at all
		return strings.HasPrefix(lit, prefix)
	}
	return strings.HasPrefix(lit, prefix) || strings.HasPrefix(prefix, lit)
}
