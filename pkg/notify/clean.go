package notify

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Every string in a result can come from outside vpcguard: a resource name is
// whatever the caller of CreateModel chose, and a forged or corrupt event can
// carry newlines, bidi overrides, NULs or megabytes. These helpers make such
// text safe for the two places it lands: the subject line (strict ASCII) and
// the body (UTF-8 text in which no value can forge a line or reorder text).

// asciiLine folds s to printable ASCII on one line: accented Latin letters
// lose their accents (é → e, ß → ss), every kind of whitespace and line break
// becomes one space, invisible format characters (bidi overrides, zero-width
// spaces, BOM) vanish, and any other character becomes '?'.
func asciiLine(s string) string {
	var b strings.Builder
	b.Grow(min(len(s), 256))
	space := false // a space is pending (collapses runs, drops trailing)
	for _, r := range strings.ToValidUTF8(s, "?") {
		var out string
		switch {
		case r >= 0x21 && r <= 0x7e:
			out = string(r)
		case r == ' ' || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029':
			space = b.Len() > 0
			continue
		case unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Mn, r):
			continue // invisible: bidi controls, zero-width, combining marks
		case r >= 0xC0 && r < 0xC0+rune(len(latinFold)):
			out = latinFold[r-0xC0]
		case r == '\u2018' || r == '\u2019':
			out = "'"
		case r == '\u201c' || r == '\u201d':
			out = `"`
		case r == '\u2013' || r == '\u2014' || r == '\u2212':
			out = "-"
		case r == '\u2026':
			out = "..."
		default:
			out = "?"
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(out)
	}
	return b.String()
}

// latinFold is the ASCII form of U+00C0 … U+017F (Latin-1 Supplement letters
// and Latin Extended-A), from their Unicode decompositions.
var latinFold = [...]string{
	"A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I", // U+00C0
	"D", "N", "O", "O", "O", "O", "O", "x", "O", "U", "U", "U", "U", "Y", "Th", "ss", // U+00D0
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", // U+00E0
	"d", "n", "o", "o", "o", "o", "o", "/", "o", "u", "u", "u", "u", "y", "th", "y", // U+00F0
	"A", "a", "A", "a", "A", "a", "C", "c", "C", "c", "C", "c", "C", "c", "D", "d", // U+0100
	"D", "d", "E", "e", "E", "e", "E", "e", "E", "e", "E", "e", "G", "g", "G", "g", // U+0110
	"G", "g", "G", "g", "H", "h", "H", "h", "I", "i", "I", "i", "I", "i", "I", "i", // U+0120
	"I", "i", "IJ", "ij", "J", "j", "K", "k", "k", "L", "l", "L", "l", "L", "l", "L", // U+0130
	"l", "L", "l", "N", "n", "N", "n", "N", "n", "n", "N", "n", "O", "o", "O", "o", // U+0140
	"O", "o", "OE", "oe", "R", "r", "R", "r", "R", "r", "S", "s", "S", "s", "S", "s", // U+0150
	"S", "s", "T", "t", "T", "t", "T", "t", "U", "u", "U", "u", "U", "u", "U", "u", // U+0160
	"U", "u", "U", "u", "W", "w", "Y", "y", "Y", "Z", "z", "Z", "z", "Z", "z", "s", // U+0170
}

// clipASCII shortens an ASCII string to at most n bytes, ending in "..." when
// it had to cut.
func clipASCII(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 3 {
		return s[:n]
	}
	return strings.TrimRight(s[:n-3], " ") + "..."
}

// textLine makes s safe to show on one line of the body. It keeps letters of
// any script but shows what could deceive a reader as an escape: line breaks
// and other control characters (\n, \x00), bidi overrides and other invisible
// format characters (\u202e). Invalid UTF-8 becomes U+FFFD. The result is
// at most max bytes; a longer value ends in "… (N bytes)".
func textLine(s string, max int) string {
	var b strings.Builder
	full := len(s)
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if b.Len() >= max {
			fmt.Fprintf(&b, "… (%s bytes)", commas(full))
			return b.String()
		}
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// textLines splits a multi-line text (a remediation, a diff) into safe lines,
// at most maxLines of them, each at most maxLen bytes; a final line says how
// many were left out.
func textLines(s string, maxLines, maxLen int) []string {
	s = strings.ReplaceAll(strings.TrimRight(s, "\n"), "\r\n", "\n")
	if s == "" {
		return nil
	}
	all := strings.Split(s, "\n")
	var out []string
	for i, line := range all {
		if i == maxLines {
			out = append(out, fmt.Sprintf("… and %s more lines", commas(len(all)-i)))
			break
		}
		out = append(out, textLine(line, maxLen))
	}
	return out
}

// clipUTF8 returns s as valid UTF-8 (invalid bytes become U+FFFD) in at
// most n bytes, ending in "…" when it had to cut. It reads only as much of s
// as it keeps.
func clipUTF8(s string, n int) string {
	if len(s) <= n && utf8.ValidString(s) {
		return s
	}
	if cut := n - len("…"); cut > 0 && cut < len(s) {
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if utf8.ValidString(s[:cut]) {
			return s[:cut] + "…"
		}
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		// Keep room for "…" unless this rune ends s within n.
		if b.Len()+utf8.RuneLen(r) > n-len("…") && !(i+size == len(s) && b.Len()+utf8.RuneLen(r) <= n) {
			if b.Len()+len(s)-i <= n && utf8.ValidString(s[i:]) {
				b.WriteString(s[i:]) // the rest fits exactly
				return b.String()
			}
			if n >= len("…") {
				b.WriteString("…")
			}
			return b.String()
		}
		b.WriteRune(r) // utf8.RuneError for an invalid byte
		i += size
	}
	return b.String()
}

// commas formats n with thousands separators: 1234 → "1,234".
func commas(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// plural returns "1 check" or "2 checks".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return commas(n) + " " + many
}
