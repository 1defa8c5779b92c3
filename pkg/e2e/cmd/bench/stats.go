package main

import (
	"fmt"
	"slices"
	"strings"
)

// Spread is the median, min and max of some samples.
type Spread struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	values []float64
}

func (s *Spread) add(v float64) { s.values = append(s.values, v) }

// finish computes the figures from the samples added.
func (s *Spread) finish() {
	s.N = len(s.values)
	if s.N == 0 {
		return
	}
	s.Median, s.Min, s.Max = median(s.values), slices.Min(s.values), slices.Max(s.values)
}

func median(fs []float64) float64 {
	s := slices.Clone(fs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtFloats(fs []float64, prec int) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%.*f", prec, f)
	}
	return strings.Join(parts, ", ")
}

func fmtRSS(kbs []int) string {
	parts := make([]string, len(kbs))
	for i, kb := range kbs {
		parts[i] = fmt.Sprintf("%.1f", float64(kb)/1024)
	}
	return strings.Join(parts, ", ")
}

// mib renders a byte count in MiB.
func mib(b int64) string { return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20)) }
