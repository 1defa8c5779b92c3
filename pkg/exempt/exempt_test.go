package exempt

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var knownChecks = []string{"s3-endpoint-policy-custom", "vpc-flow-logs", "s3-endpoint-present"}

func known(id string) bool { return slices.Contains(knownChecks, id) }

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    Exemption
		problem string // substring of Problem for Malformed
	}{
		{name: "empty", value: "", want: Exemption{Kind: Blanket}},
		{name: "spaces only", value: "   ", want: Exemption{Kind: Blanket}},
		{name: "true", value: "true", want: Exemption{Kind: Blanket}},
		{name: "TRUE", value: "TRUE", want: Exemption{Kind: Blanket}},
		{name: "star", value: "*", want: Exemption{Kind: Blanket}},
		{
			name:  "issue example",
			value: "checks=s3-endpoint-policy-custom,vpc-flow-logs; reason=legacy VPC, replaced in Q2; owner=ml-platform@example.com; expires=2027-03-31",
			want: Exemption{Kind: Scoped, Checks: []string{"s3-endpoint-policy-custom", "vpc-flow-logs"},
				Reason: "legacy VPC, replaced in Q2", Owner: "ml-platform@example.com", Expires: "2027-03-31"},
		},
		{
			name:  "SageMaker-safe form: spaces between pairs, + between checks",
			value: "checks=s3-endpoint-policy-custom+vpc-flow-logs reason=legacy VPC owner=ml-platform@example.com expires=2027-03-31",
			want: Exemption{Kind: Scoped, Checks: []string{"s3-endpoint-policy-custom", "vpc-flow-logs"},
				Reason: "legacy VPC", Owner: "ml-platform@example.com", Expires: "2027-03-31"},
		},
		{
			name:  "keys in any order, spaces around = and ;",
			value: " expires = 2027-01-01 ;owner= team-a ; reason =  audit waiver 123 ; checks = vpc-flow-logs , vpc-flow-logs ",
			want:  Exemption{Kind: Scoped, Checks: []string{"vpc-flow-logs"}, Reason: "audit waiver 123", Owner: "team-a", Expires: "2027-01-01"},
		},
		{
			name:  "every check",
			value: "checks=*; reason=sandbox; owner=x; expires=2026-12-31",
			want:  Exemption{Kind: Scoped, Checks: []string{"*"}, Reason: "sandbox", Owner: "x", Expires: "2026-12-31"},
		},
		{name: "free text", value: "platform team owns this VPC", problem: `"platform team owns this VPC" is not a key=value pair`},
		{name: "unknown check", value: "checks=vpc-flow-log; reason=r; owner=o; expires=2027-03-31", problem: `"vpc-flow-log", which is not a vpcguard check ID`},
		{name: "unknown key", value: "checks=vpc-flow-logs; why=r; owner=o; expires=2027-03-31", problem: `unknown key "why"`},
		{name: "upper-case key", value: "Checks=vpc-flow-logs; reason=r; owner=o; expires=2027-03-31", problem: `unknown key "Checks"`},
		{name: "missing reason and owner", value: "checks=vpc-flow-logs; expires=2027-03-31", problem: "reason, owner missing or empty"},
		{name: "empty reason", value: "checks=vpc-flow-logs; reason= ; owner=o; expires=2027-03-31", problem: "reason missing or empty"},
		{name: "no expiry", value: "checks=vpc-flow-logs; reason=r; owner=o", problem: "expires missing"},
		{name: "empty checks", value: "checks=,; reason=r; owner=o; expires=2027-03-31", problem: "checks= lists no check ID"},
		{name: "key twice", value: "checks=vpc-flow-logs; reason=r; reason=s; owner=o; expires=2027-03-31", problem: "reason is given twice"},
		{name: "slash date", value: "checks=vpc-flow-logs; reason=r; owner=o; expires=2027/03/31", problem: `expires="2027/03/31" is not a date in the form YYYY-MM-DD`},
		{name: "day first", value: "checks=vpc-flow-logs; reason=r; owner=o; expires=31-03-2027", problem: "not a date in the form YYYY-MM-DD"},
		{name: "single digits", value: "checks=vpc-flow-logs; reason=r; owner=o; expires=2027-3-31", problem: "not a date in the form YYYY-MM-DD"},
		{name: "RFC 3339", value: "checks=vpc-flow-logs; reason=r; owner=o; expires=2027-03-31T00:00:00Z", problem: "not a date in the form YYYY-MM-DD"},
		{name: "February 30", value: "checks=vpc-flow-logs; reason=r; owner=o; expires=2027-02-30", problem: "not a calendar date"},
		{name: "newline", value: "checks=vpc-flow-logs; reason=r\n; owner=o; expires=2027-03-31", problem: "control or formatting character U+000A"},
		{name: "NUL", value: "true\x00", problem: "U+0000"},
		{name: "bidi override", value: "checks=vpc-flow-logs; reason=\u202etxet; owner=o; expires=2027-03-31", problem: "U+202E"},
		{name: "invalid UTF-8", value: "checks=vpc-flow-logs; reason=\xff; owner=o; expires=2027-03-31", problem: "not valid UTF-8"},
		{name: "256 characters", value: "checks=vpc-flow-logs; owner=o; expires=2027-03-31; reason=" + strings.Repeat("é", 256-len("checks=vpc-flow-logs; owner=o; expires=2027-03-31; reason=")),
			problem: "256 characters long"},
		{name: "text before the first key", value: "note checks=vpc-flow-logs reason=r owner=o expires=2027-03-31", problem: "not a key=value pair"},
		{name: "equals only", value: "=", problem: "not a key=value pair"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse(tt.value, known)
			if tt.problem != "" {
				if got.Kind != Malformed || !strings.Contains(got.Problem, tt.problem) {
					t.Fatalf("Parse(%q) = %+v, want Malformed with a problem containing %q", tt.value, got, tt.problem)
				}
				if !got.ForbidsChanges() || got.Covers("vpc-flow-logs", time.Time{}) {
					t.Errorf("a malformed value must forbid changes and cover no check: %+v", got)
				}
				return
			}
			if got.Kind != tt.want.Kind || !slices.Equal(got.Checks, tt.want.Checks) || got.Reason != tt.want.Reason ||
				got.Owner != tt.want.Owner || got.Expires != tt.want.Expires || got.Problem != "" {
				t.Fatalf("Parse(%q)\n got %+v\nwant %+v", tt.value, got, tt.want)
			}
		})
	}
}

func TestParseUnder256IsAccepted(t *testing.T) {
	head := "checks=vpc-flow-logs; owner=o; expires=2027-03-31; reason="
	v := head + strings.Repeat("a", 255-len(head))
	if got := Parse(v, known); got.Kind != Scoped {
		t.Fatalf("a 255-character value: %+v", got)
	}
}

func TestExpiry(t *testing.T) {
	e := Parse("checks=vpc-flow-logs; reason=r; owner=o; expires=2027-03-31", known)
	lastDay := time.Date(2027, 3, 31, 23, 59, 59, 0, time.UTC)
	nextDay := time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
	if !e.Covers("vpc-flow-logs", lastDay) || e.Expired("vpc-flow-logs", lastDay) {
		t.Errorf("the exemption must hold through its expiry day (UTC)")
	}
	if e.Covers("vpc-flow-logs", nextDay) || !e.Expired("vpc-flow-logs", nextDay) {
		t.Errorf("the exemption must end at midnight UTC after its expiry day")
	}
	if e.Covers("s3-endpoint-present", lastDay) || e.Expired("s3-endpoint-present", nextDay) {
		t.Errorf("a check the exemption does not name is neither covered nor expired")
	}
	if !e.Until().Equal(nextDay) {
		t.Errorf("Until = %v", e.Until())
	}
	if e.ForbidsChanges() {
		t.Errorf("a scoped exemption does not forbid changes outright")
	}
	all := Parse("checks=*; reason=r; owner=o; expires=2027-03-31", known)
	if !all.Covers("anything", lastDay) {
		t.Errorf("checks=* covers every check")
	}
	if b := Parse("true", known); !b.ForbidsChanges() || b.Covers("vpc-flow-logs", lastDay) || !b.Until().IsZero() {
		t.Errorf("a blanket value forbids changes and covers no check (its checks report their real status): %+v", b)
	}
}

func TestDescribe(t *testing.T) {
	e := Parse("checks=vpc-flow-logs; reason=legacy VPC; owner=ml-platform@example.com; expires=2027-03-31", known)
	if got, want := e.Describe(), `reason "legacy VPC", owner ml-platform@example.com, until 2027-03-31`; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}
