package notify

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// hostile are names that a forged or careless event could carry.
var hostile = []string{
	"",
	" ",
	"fraud\nv3\r\nSubject: [vpcguard] OK all good",
	"\u202eevil\u202c-model",                 // right-to-left override
	"\u2067abc\u2069\u200f\u200b\ufeff",      // isolates, RLM, zero-width, BOM
	"модель-прод",                            // Cyrillic
	"模型-生产",                                  // CJK
	"نموذج",                                  // Arabic (RTL script)
	"Çafé-ßtraße-Œuvre",                      // folds to ASCII
	"\x00\x01\x07\x1b[31mred\x1b[0m\x7f\x9b", // NUL, BEL, ANSI escapes, DEL, C1
	"\xff\xfe\xfd not utf-8",
	strings.Repeat("🔥", 2500),      // 10 KB of 4-byte runes
	strings.Repeat("a", 10<<10),    // 10 KB
	strings.Repeat("é", 5<<10),     // 10 KB of 2-byte runes
	strings.Repeat("\n", 10<<10),   // 10 KB of newlines
	strings.Repeat("\u202e", 3000), // 9 KB of overrides
	"<script>alert(1)</script>&amp;",
	`{"json":"looking","name":[1,2,3]}`,
	"line1\u2028line2\u2029line3\u0085line4",
}

var attrNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

// checkEmail asserts everything SNS and a reader need of an email.
func checkEmail(t *testing.T, e Email) {
	t.Helper()
	s := e.Subject
	if s == "" || len(s) > MaxSubject || len(s) >= 100 {
		t.Errorf("subject has %d characters: %q", len(s), s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			t.Errorf("subject byte %d is %#x, not printable ASCII: %q", i, s[i], s)
			break
		}
	}
	if s != "" && !unicode.IsLetter(rune(s[0])) && !unicode.IsDigit(rune(s[0])) && !unicode.IsPunct(rune(s[0])) {
		t.Errorf("subject must begin with a letter, number or punctuation mark: %q", s)
	}
	if len(e.Body) > MaxBody || len(e.Body) > 256<<10 {
		t.Errorf("body is %d bytes", len(e.Body))
	}
	if !utf8.ValidString(e.Body) {
		t.Error("body is not valid UTF-8")
	}
	for i, r := range e.Body {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			t.Errorf("body has %U at byte %d", r, i)
			break
		}
	}
	total := len(e.Subject) + len(e.Body)
	want := []string{AttrSeverity, AttrChecks, AttrAccount, AttrRegion, AttrAction, AttrResourceType, AttrExempt}
	if len(e.Attributes) != len(want) {
		t.Errorf("attributes %v, want exactly %v", keys(e.Attributes), want)
	}
	for _, name := range want {
		v, ok := e.Attributes[name]
		if !ok {
			t.Errorf("attribute %s missing", name)
			continue
		}
		if !attrNameRE.MatchString(name) {
			t.Errorf("attribute name %q is not valid", name)
		}
		val := aws.ToString(v.StringValue)
		total += len(name) + len(aws.ToString(v.DataType)) + len(val)
		if val == "" || len(val) > 4096 {
			t.Errorf("attribute %s has %d bytes", name, len(val))
		}
		for i := 0; i < len(val); i++ {
			if val[i] < 0x20 || val[i] > 0x7e {
				t.Errorf("attribute %s byte %d is %#x: %q", name, i, val[i], val)
				break
			}
		}
		switch dt := aws.ToString(v.DataType); {
		case name == AttrChecks || name == AttrExempt:
			var ids []string
			if dt != "String.Array" || json.Unmarshal([]byte(val), &ids) != nil {
				t.Errorf("checks attribute %s %q is not a String.Array of strings", dt, val)
			}
		case dt != "String":
			t.Errorf("attribute %s has type %s", name, dt)
		}
	}
	if a := aws.ToString(e.Attributes[AttrAction].StringValue); !slices.Contains([]string{"none", "planned", "applied", "failed"}, a) {
		t.Errorf("action attribute %q", a)
	}
	if total > 256<<10 {
		t.Errorf("SNS message with subject and attributes is %d bytes, over 256 KiB", total)
	}
}

// checkEntries asserts what EventBridge needs of each entry.
func checkEntries(t *testing.T, r report.Result) {
	t.Helper()
	entries, err := Entries(r, "vpcguard-bus")
	if err != nil {
		t.Fatalf("Entries: %v", err)
	}
	if want := len(r.Failing()) + len(r.Actions); len(entries) != want {
		t.Errorf("%d entries, want %d (one per failing check and per action)", len(entries), want)
	}
	for i, e := range entries {
		if n := EntrySize(e); n > MaxEntryBytes {
			t.Errorf("entry %d is %d bytes", i, n)
		}
		if aws.ToString(e.Source) != "vpcguard" || !json.Valid([]byte(aws.ToString(e.Detail))) {
			t.Errorf("entry %d: source %q, detail valid JSON: %v", i, aws.ToString(e.Source), json.Valid([]byte(aws.ToString(e.Detail))))
		}
	}
	for _, b := range batches(labeled(entries)) {
		size := 0
		for _, e := range b {
			size += EntrySize(e.entry)
		}
		if len(b) > MaxBatchEntries || size > MaxBatchBytes {
			t.Errorf("batch of %d entries, %d bytes", len(b), size)
		}
	}
}

func labeled(entries []ebtypes.PutEventsRequestEntry) []labeledEntry {
	out := make([]labeledEntry, len(entries))
	for i, e := range entries {
		out[i] = labeledEntry{entry: e}
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// hostileResult puts name everywhere a result carries text.
func hostileResult(name string, failing int) report.Result {
	r := missingEndpointRepaired()
	r.Event.Name, r.Event.Actor, r.Event.ID, r.Event.Account, r.Event.Region = name, name, name, name, name
	r.Resource = &report.Resource{Type: name, ID: name}
	for i := range r.Checks {
		r.Checks[i].Resources = append(r.Checks[i].Resources, name)
		r.Checks[i].Message += " " + name
	}
	for i := range failing {
		id := checks.Catalogue()[i%15].ID
		if i%3 == 0 {
			id = name
		}
		r.Checks = append(r.Checks, report.Check{
			ID: id, Status: []report.Status{report.StatusFail, report.StatusUnknown}[i%2], Severity: report.SeverityHigh,
			Resources: []string{name, vpcID}, Message: name, Remediation: name + "\n" + name,
		})
	}
	r.Actions[0].Detail["diff"] = name + "\n" + name
	r.Actions[0].Detail[name] = name
	r.Actions = append(r.Actions, report.Action{ID: name, Status: report.ActionStatus(name), Resources: []string{name}, Detail: map[string]any{"error": name}})
	return r
}

func TestHostileNames(t *testing.T) {
	for i, name := range hostile {
		for _, failing := range []int{0, 1, 40} {
			t.Run(fmt.Sprintf("%d/%d", i, failing), func(t *testing.T) {
				r := hostileResult(name, failing)
				e := RenderEmail(r)
				checkEmail(t, e)
				checkEntries(t, r)
				if strings.Contains(e.Subject, "OK all good") && failing > 0 {
					t.Errorf("a name forged the subject: %q", e.Subject)
				}
				for _, line := range strings.Split(e.Body, "\n") {
					if strings.HasPrefix(line, "Subject:") {
						t.Errorf("a name forged a header-like line in the body: %q", line)
					}
				}
			})
		}
	}
}

// TestRandomNames renders results whose names are random mixes of ASCII,
// controls, accented, RTL, CJK, emoji, format characters and invalid bytes.
func TestRandomNames(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 2026))
	pools := [][2]rune{{0x20, 0x7e}, {0x00, 0x1f}, {0x80, 0x9f}, {0xc0, 0x17f}, {0x590, 0x6ff}, {0x200b, 0x206f}, {0x4e00, 0x4fff}, {0x1f300, 0x1f5ff}, {0xfff0, 0xffff}}
	for i := range 300 {
		var b strings.Builder
		for range rng.IntN(300) {
			if rng.IntN(50) == 0 {
				b.WriteByte(byte(0x80 + rng.IntN(0x80))) // a stray invalid byte
				continue
			}
			p := pools[rng.IntN(len(pools))]
			b.WriteRune(p[0] + rune(rng.IntN(int(p[1]-p[0]+1))))
		}
		name := b.String()
		r := hostileResult(name, rng.IntN(5))
		e := RenderEmail(r)
		checkEmail(t, e)
		checkEntries(t, r)
		if t.Failed() {
			t.Fatalf("case %d, name %q", i, name)
		}
	}
}

// TestHuge: 5,000 failing checks with 1 KB names, and a check and an action
// with 5,000 resources of 1 KB, still give a bounded email that summarises,
// and bounded events. (TestHostileNames covers 10 KB names.)
func TestHuge(t *testing.T) {
	r := hostileResult(strings.Repeat("n\u202e", 1<<9), 5000)
	big := make([]string, 5000)
	for i := range big {
		big[i] = fmt.Sprintf("subnet-%08x", i) + strings.Repeat("x", 1000)
	}
	r.Checks[0].Status, r.Checks[0].Resources = report.StatusFail, big
	r.Actions[0].Resources = big
	e := RenderEmail(r)
	checkEmail(t, e)
	checkEntries(t, r)
	if !strings.Contains(e.Body, " more") {
		t.Error("the body does not say that lists were summarised")
	}
	t.Logf("subject %q; body %d bytes", e.Subject, len(e.Body))
}

// TestSubjectFits: the name gives way so that the headline stays readable.
func TestSubjectFits(t *testing.T) {
	r := missingEndpointRepaired()
	r.Resource.ID = strings.Repeat("very-long-model-name-", 10)
	s := Subject(r)
	if len(s) > MaxSubject || !strings.Contains(s, "no S3 endpoint in vpc-") || !strings.HasSuffix(s, " - repaired") {
		t.Errorf("subject %q (%d)", s, len(s))
	}
	if got, want := Subject(missingEndpointRepaired()), "[vpcguard] HIGH model fraud-v3: no S3 endpoint in "+vpcID+" - repaired"; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
}

func FuzzRender(f *testing.F) {
	for _, h := range hostile[:12] {
		f.Add(h, uint16(2))
	}
	f.Fuzz(func(t *testing.T, name string, failing uint16) {
		r := hostileResult(name, int(failing%64))
		checkEmail(t, RenderEmail(r))
		checkEntries(t, r)
	})
}
