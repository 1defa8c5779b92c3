package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// PythonResult is the wall time of `python3 -c 'import boto3'`: a whole
// process run, as a Python Lambda's init imports boto3 before its handler.
type PythonResult struct {
	// Unavailable says why nothing was measured ("" when it was).
	Unavailable string `json:"unavailable,omitempty"`
	Interpreter string `json:"interpreter,omitempty"` // the executable timed (a pyenv shim resolved to it)
	Version     string `json:"python_version,omitempty"`
	Boto3       string `json:"boto3_version,omitempty"`
	Boto3Path   string `json:"boto3_path,omitempty"`
	Debian      bool   `json:"debian_python3_boto3"` // boto3 is Debian's package (/usr/lib/python3/dist-packages)
	// ImportMs are the runs of -c 'import boto3'; Import their spread.
	ImportMs []float64 `json:"import_ms,omitempty"`
	Import   Spread    `json:"import"`
	// Bare is -c pass: the interpreter's own start, for scale.
	Bare Spread `json:"bare_interpreter"`
}

const boto3Unavailable = "n/a (install python3-boto3)"

// timePython finds an interpreter that imports boto3 (Debian's
// /usr/bin/python3 first, then python3 on PATH) and times n runs of
// -c 'import boto3' and of -c pass after warmup untimed runs. It never
// fails: without boto3 the result says so.
func timePython(ctx context.Context, n, warmup int) *PythonResult {
	r := findPython(ctx)
	if r.Unavailable != "" {
		progress("python3 -c 'import boto3': %s", r.Unavailable)
		return r
	}
	for _, run := range []struct {
		code   string
		spread *Spread
		keep   *[]float64
	}{{"import boto3", &r.Import, &r.ImportMs}, {"pass", &r.Bare, nil}} {
		for i := 0; i < warmup+n; i++ {
			start := time.Now()
			cmd := exec.CommandContext(ctx, r.Interpreter, "-c", run.code)
			if out, err := cmd.CombinedOutput(); err != nil {
				r.Unavailable = fmt.Sprintf("n/a (%s -c %q: %v: %s)", r.Interpreter, run.code, err, strings.TrimSpace(string(out)))
				return r
			}
			ms := float64(time.Since(start).Microseconds()) / 1000
			if i < warmup {
				continue
			}
			run.spread.add(ms)
			if run.keep != nil {
				*run.keep = append(*run.keep, ms)
			}
		}
		run.spread.finish()
	}
	progress("  %s, boto3 %s: import boto3 %s ms; bare interpreter %.1f ms (median)", r.Interpreter, r.Boto3, fmtFloats(r.ImportMs, 1), r.Bare.Median)
	return r
}

// findPython returns the first candidate that imports boto3, with the
// interpreter resolved (sys.executable) and boto3's version and place.
func findPython(ctx context.Context) *PythonResult {
	candidates := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil && p != candidates[0] {
		candidates = append(candidates, p)
	}
	const probe = "import sys, boto3; print(sys.executable); print(sys.version.split()[0]); print(boto3.__version__); print(boto3.__file__)"
	for _, py := range candidates {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, py, "-c", probe)
		cmd.Stdout = &out
		err := cmd.Run()
		cancel()
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if err != nil || len(lines) != 4 {
			continue
		}
		r := &PythonResult{Interpreter: lines[0], Version: lines[1], Boto3: lines[2], Boto3Path: lines[3]}
		if r.Interpreter == "" {
			r.Interpreter = py
		}
		r.Debian = strings.HasPrefix(r.Boto3Path, "/usr/lib/python3/dist-packages/")
		return r
	}
	return &PythonResult{Unavailable: boto3Unavailable}
}
