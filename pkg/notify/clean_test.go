package notify

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClipUTF8(t *testing.T) {
	for _, s := range []string{"", "abc", "héllo wörld", "\xff\xfeab", strings.Repeat("🔥", 10), "abcdef"} {
		for n := 0; n < 30; n++ {
			got := clipUTF8(s, n)
			if !utf8.ValidString(got) || (len(got) > n && n >= 3) {
				t.Errorf("%q %d -> %q", s, n, got)
			}
			if utf8.ValidString(s) && len(s) <= n && got != s {
				t.Errorf("%q %d -> %q want unchanged", s, n, got)
			}
		}
	}
}

func TestASCIILine(t *testing.T) {
	for in, want := range map[string]string{
		"fraud-v3":                   "fraud-v3",
		"  a\n\tb\r\n c  ":           "a b c",
		"Çafé ßtraße Œuvre":          "Cafe sstrasse OEuvre",
		"\u202eevil\u202c\u200b-mod": "evil-mod",
		"модель":                     "??????",
		"e\u0301":                    "e",
		"\x00x\x7f":                  "?x?",
		"\xff":                       "?",
		"“quoted” – dash…":           `"quoted" - dash...`,
	} {
		if got := asciiLine(in); got != want {
			t.Errorf("asciiLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTextLine(t *testing.T) {
	for in, want := range map[string]string{
		"plain ü 模型":   "plain ü 模型",
		"a\nb\r\tc":    `a\nb\r c`,
		"\u202eevil":   `\u202eevil`,
		"\x00\x1b[31m": `\x00\x1b[31m`,
		"\xff":         "\uFFFD",
		"x\u2028y":     `x\u2028y`,
	} {
		if got := textLine(in, 100); got != want {
			t.Errorf("textLine(%q) = %q, want %q", in, got, want)
		}
	}
	if got := textLine(strings.Repeat("a", 50), 10); got != "aaaaaaaaaa… (50 bytes)" {
		t.Errorf("long textLine = %q", got)
	}
	if got := commas(1234567); got != "1,234,567" {
		t.Errorf("commas = %q", got)
	}
}
