package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	createModelBench   = "BenchmarkCreateModelReport"
	createModelRuns    = 5
	createModelLatency = 50 // ms, injected on every call by the benchmark
)

// CreateModelResult is BenchmarkCreateModelReport's figures.
type CreateModelResult struct {
	Command      string  `json:"command"`
	Runs         int     `json:"runs"`
	LatencyMs    int     `json:"latency_ms"`
	RoundTrips   float64 `json:"round_trips"` // worst wall time ÷ latency, rounded down
	WorstMs      float64 `json:"worst_ms"`
	MeanMs       float64 `json:"mean_ms"`
	CallsPerEval float64 `json:"calls"`
}

// runCreateModel runs the benchmark with go test and parses its line.
func runCreateModel(ctx context.Context, root string) (*CreateModelResult, error) {
	args := []string{"test", "-run=^$", "-bench=^" + createModelBench + "$", fmt.Sprintf("-benchtime=%dx", createModelRuns), "-count=1", "./pkg/guard"}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	// go test runs the test binary as its child: stop both on cancel.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	command := "go test -run='^$' -bench='^" + createModelBench + "$' " + fmt.Sprintf("-benchtime=%dx", createModelRuns) + " ./pkg/guard"
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", command, err, strings.TrimSpace(out.String()))
	}
	r, err := parseCreateModel(out.String())
	if err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", command, err, strings.TrimSpace(out.String()))
	}
	r.Command = command
	r.LatencyMs = createModelLatency
	return r, nil
}

var benchLineRe = regexp.MustCompile(`(?m)^` + createModelBench + `(?:-\d+)?\s+(\d+)\s+(.+)$`)

// parseCreateModel reads the benchmark's result line:
//
//	BenchmarkCreateModelReport-2  5  161062864 ns/op  14.00 calls/op  3.000 round-trips  163.0 worst-ms
func parseCreateModel(text string) (*CreateModelResult, error) {
	m := benchLineRe.FindStringSubmatch(text)
	if m == nil {
		return nil, fmt.Errorf("no %s result line", createModelBench)
	}
	r := &CreateModelResult{}
	r.Runs, _ = strconv.Atoi(m[1])
	fields := strings.Fields(m[2])
	seen := map[string]bool{}
	for i := 0; i+1 < len(fields); i += 2 {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return nil, fmt.Errorf("result %q: %v", fields[i]+" "+fields[i+1], err)
		}
		unit := fields[i+1]
		seen[unit] = true
		switch unit {
		case "ns/op":
			r.MeanMs = v / 1e6
		case "round-trips":
			r.RoundTrips = v
		case "worst-ms":
			r.WorstMs = v
		case "calls/op":
			r.CallsPerEval = v
		}
	}
	for _, unit := range []string{"ns/op", "round-trips", "worst-ms", "calls/op"} {
		if !seen[unit] {
			return nil, fmt.Errorf("the result line has no %s: %s", unit, m[0])
		}
	}
	return r, nil
}
