package undo

import "strings"

// PolicyDiff shows two policies line by line, as indented JSON: "  " lines
// in both, "- " lines only in wrote (what vpcguard wrote), "+ " lines only
// in now (what is there now). A text that is not JSON is compared as it is.
func PolicyDiff(wrote, now string) string {
	a, b := wrote, now
	if c, err := canonical(wrote); err == nil {
		a = c
	}
	if c, err := canonical(now); err == nil {
		b = c
	}
	return "--- what vpcguard wrote\n+++ the policy now\n" + lineDiff(splitLines(a), splitLines(b))
}

func splitLines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// lineDiff is the longest-common-subsequence diff of a and b.
func lineDiff(a, b []string) string {
	n, m := len(a), len(b)
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out.WriteString("  " + a[i] + "\n")
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out.WriteString("- " + a[i] + "\n")
			i++
		default:
			out.WriteString("+ " + b[j] + "\n")
			j++
		}
	}
	return out.String()
}
