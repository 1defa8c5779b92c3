package exempt

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzParse: any value parses to exactly one kind; a scoped result has every
// field, known check IDs only and a real date; a malformed one says why; and
// nothing with a control character or 256 characters is ever accepted.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"", "true", "*", "platform team owns this VPC",
		"checks=s3-endpoint-policy-custom,vpc-flow-logs; reason=legacy; owner=ml@example.com; expires=2027-03-31",
		"checks=vpc-flow-logs+s3-endpoint-present reason=r owner=o expires=2027-03-31",
		"checks=*; reason=r; owner=o; expires=2027-02-29",
		"checks=vpc-flow-logs; reason=r\t; owner=o; expires=2027-03-31",
		"checks=;;;=;reason==;", strings.Repeat("x", 300),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		e := Parse(v, known)
		switch e.Kind {
		case Blanket:
			if e.Problem != "" || len(e.Checks) > 0 {
				t.Fatalf("blanket with fields: %+v", e)
			}
		case Scoped:
			if len(e.Checks) == 0 || e.Reason == "" || e.Owner == "" || e.Until().IsZero() || e.Problem != "" {
				t.Fatalf("scoped with a missing field: %q → %+v", v, e)
			}
			for _, id := range e.Checks {
				if id != AllChecks && !known(id) {
					t.Fatalf("scoped with unknown check %q", id)
				}
			}
			if _, err := time.Parse(DateLayout, e.Expires); err != nil {
				t.Fatalf("scoped with a bad date %q", e.Expires)
			}
			if utf8.RuneCountInString(v) >= MaxValue {
				t.Fatalf("a %d-character value was accepted", utf8.RuneCountInString(v))
			}
			for _, r := range v {
				if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
					t.Fatalf("a value with %U was accepted", r)
				}
			}
		case Malformed:
			if e.Problem == "" || !e.ForbidsChanges() {
				t.Fatalf("malformed without a problem: %q → %+v", v, e)
			}
		default:
			t.Fatalf("kind %v for %q", e.Kind, v)
		}
	})
}
