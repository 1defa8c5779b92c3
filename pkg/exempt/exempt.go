// Package exempt reads the value of vpcguard's exempt tag (VPCGUARD_EXEMPT_TAG,
// default vpcguard:exempt) on a model, VPC, VPC endpoint, route table or
// security group. Parse is a pure function; it never fails, it classifies.
//
// Two kinds of value exist:
//
//   - blanket: empty, "true" or "*", today's meaning: vpcguard never changes
//     the resource, and its checks report their real status;
//
//   - scoped, the grammar
//
//     checks=s3-endpoint-policy-custom,vpc-flow-logs; reason=…; owner=…; expires=2027-03-31
//
//     a check it covers reports the status "exempt" (with the reason, owner
//     and expiry) instead of "fail" until the end of the expiry day (UTC),
//     and is not repaired. Once expired, the check reports its real status.
//
// SageMaker tag values may hold only letters, digits, spaces and _ . : / = + - @
// (no ";" and no ","), so the same grammar is also accepted with spaces
// between the pairs and "+" or spaces between the check IDs:
//
//	checks=s3-endpoint-policy-custom+vpc-flow-logs reason=… owner=… expires=2027-03-31
//
// Anything else is malformed and fails safe: the resource is never changed
// (as with a blanket value), the checks report their real status, and
// Problem says what is wrong with the value.
package exempt

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Kind classifies a tag value.
type Kind int

const (
	// Absent: the resource does not carry the tag.
	Absent Kind = iota
	// Blanket: "", "true" or "*": never changed; checks report their real status.
	Blanket
	// Scoped: the grammar, well formed.
	Scoped
	// Malformed: neither; treated as Blanket for changes, and Problem says why.
	Malformed
)

func (k Kind) String() string {
	switch k {
	case Absent:
		return "absent"
	case Blanket:
		return "blanket"
	case Scoped:
		return "scoped"
	case Malformed:
		return "malformed"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// The keys of the grammar, all required.
const (
	KeyChecks  = "checks"
	KeyReason  = "reason"
	KeyOwner   = "owner"
	KeyExpires = "expires"
)

// AllChecks in the checks list covers every check.
const AllChecks = "*"

// DateLayout is the only accepted form of expires.
const DateLayout = "2006-01-02"

// MaxValue is the most characters AWS stores in a tag value. A value that
// long may have been cut short by whatever wrote it, so it is malformed.
const MaxValue = 256

// Exemption is one parsed tag value.
type Exemption struct {
	Kind Kind
	// Checks are the check IDs a Scoped exemption covers ("*" for all), in
	// the order given, each once.
	Checks []string
	Reason string
	Owner  string
	// Expires is the last day the exemption holds, as written (YYYY-MM-DD).
	Expires string
	// Problem says what is wrong with a Malformed value.
	Problem string
}

// Parse reads value, the exempt tag's value as AWS returns it. known says
// whether a check ID exists; an unknown ID makes the value malformed (a typo
// would otherwise exempt nothing without telling anyone).
func Parse(value string, known func(id string) bool) Exemption {
	bad := func(format string, args ...any) Exemption {
		return Exemption{Kind: Malformed, Problem: fmt.Sprintf(format, args...)}
	}
	if !utf8.ValidString(value) {
		return bad("the value is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(value); n >= MaxValue {
		return bad("the value is %d characters long, the most a tag value can hold, so it may have been cut short", n)
	}
	for _, r := range value {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return bad("the value contains the control or formatting character %U", r)
		}
	}
	v := strings.TrimSpace(value)
	if v == "" || v == AllChecks || strings.EqualFold(v, "true") {
		return Exemption{Kind: Blanket}
	}
	pairs, problem := split(v)
	if problem != "" {
		return bad("%s; want %s", problem, Grammar)
	}
	e := Exemption{Kind: Scoped}
	for _, p := range pairs {
		switch p.key {
		case KeyChecks:
			for _, id := range checkSep.Split(p.value, -1) {
				switch {
				case id == "":
				case id != AllChecks && (known == nil || !known(id)):
					return bad("checks names %q, which is not a vpcguard check ID", id)
				case !slices.Contains(e.Checks, id):
					e.Checks = append(e.Checks, id)
				}
			}
			if len(e.Checks) == 0 {
				return bad("checks= lists no check ID")
			}
		case KeyReason:
			e.Reason = p.value
		case KeyOwner:
			e.Owner = p.value
		case KeyExpires:
			if !dateRE.MatchString(p.value) {
				return bad("expires=%q is not a date in the form YYYY-MM-DD", p.value)
			}
			if _, err := time.Parse(DateLayout, p.value); err != nil {
				return bad("expires=%q is not a calendar date", p.value)
			}
			e.Expires = p.value
		}
	}
	var missing []string
	for _, k := range []struct {
		key string
		set bool
	}{{KeyChecks, len(e.Checks) > 0}, {KeyReason, e.Reason != ""}, {KeyOwner, e.Owner != ""}, {KeyExpires, e.Expires != ""}} {
		if !k.set {
			missing = append(missing, k.key)
		}
	}
	if len(missing) > 0 {
		return bad("%s missing or empty; want %s", strings.Join(missing, ", "), Grammar)
	}
	return e
}

// Grammar is the form of a scoped value, for messages.
const Grammar = "checks=<id>,<id>; reason=<text>; owner=<who>; expires=YYYY-MM-DD (or true for a blanket exemption)"

var (
	// keyRE finds a key at the start of a pair: at the start of a
	// ";"-separated segment or after a space.
	keyRE    = regexp.MustCompile(`(?:^|\s)(checks|reason|owner|expires)\s*=`)
	checkSep = regexp.MustCompile(`[,+\s]+`)
	dateRE   = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	// wordEq is "word=" at the start of a segment: an unknown key.
	wordEq = regexp.MustCompile(`^([^=\s;]+)\s*=`)
)

type pair struct{ key, value string }

// split cuts v into key=value pairs: segments separated by ";", and within
// a segment at every space followed by a known key and "=".
func split(v string) ([]pair, string) {
	var pairs []pair
	seen := map[string]bool{}
	for _, seg := range strings.Split(v, ";") {
		seg = strings.TrimSpace(seg)
		if seg == "" {
			continue
		}
		locs := keyRE.FindAllStringSubmatchIndex(seg, -1)
		if len(locs) == 0 || strings.TrimSpace(seg[:locs[0][0]]) != "" {
			if m := wordEq.FindStringSubmatch(seg); m != nil {
				return nil, fmt.Sprintf("unknown key %q (the keys are %s, %s, %s and %s, in lower case)", m[1], KeyChecks, KeyReason, KeyOwner, KeyExpires)
			}
			return nil, fmt.Sprintf("%q is not a key=value pair", clip(seg, 40))
		}
		for i, loc := range locs {
			key := seg[loc[2]:loc[3]]
			end := len(seg)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			if seen[key] {
				return nil, fmt.Sprintf("%s is given twice", key)
			}
			seen[key] = true
			pairs = append(pairs, pair{key, strings.TrimSpace(seg[loc[1]:end])})
		}
	}
	if len(pairs) == 0 {
		return nil, "no key=value pair"
	}
	return pairs, ""
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// ForbidsChanges reports whether vpcguard must never change the resource:
// a blanket or malformed value (malformed fails safe).
func (e Exemption) ForbidsChanges() bool { return e.Kind == Blanket || e.Kind == Malformed }

// Until is the first instant a scoped exemption no longer holds: midnight
// UTC at the end of its expiry day. Zero for other kinds.
func (e Exemption) Until() time.Time {
	if e.Kind != Scoped {
		return time.Time{}
	}
	d, err := time.Parse(DateLayout, e.Expires)
	if err != nil {
		return time.Time{}
	}
	return d.AddDate(0, 0, 1)
}

// Names reports whether a scoped exemption lists check (or "*"), live or not.
func (e Exemption) Names(check string) bool {
	return e.Kind == Scoped && (slices.Contains(e.Checks, check) || slices.Contains(e.Checks, AllChecks))
}

// Covers reports whether the exemption covers check at now: scoped, naming
// the check, and not expired.
func (e Exemption) Covers(check string, now time.Time) bool {
	return e.Names(check) && now.Before(e.Until())
}

// Expired reports whether a scoped exemption naming check has expired at now.
func (e Exemption) Expired(check string, now time.Time) bool {
	return e.Names(check) && !now.Before(e.Until())
}

// Describe is the reason, owner and expiry for messages:
// `reason "legacy VPC", owner ml-platform@example.com, until 2027-03-31`.
func (e Exemption) Describe() string {
	return fmt.Sprintf("reason %q, owner %s, until %s", e.Reason, e.Owner, e.Expires)
}
