// Command bench is `make bench`: it measures vpcguard and prints one table
// of figures (or, with -json, the same figures as JSON):
//
//   - CreateModel report: the sequential AWS round trips and the wall time
//     of one CreateModel evaluation with 50 ms injected on every call
//     (pkg/guard's BenchmarkCreateModelReport, run with go test);
//   - cold start: the INIT REPORT durationMs of each function's bootstrap
//     under the AWS Lambda Runtime Interface Emulator, from N fresh
//     emulators, next to the wall time of `python3 -c 'import boto3'`;
//   - peak RSS of the bootstrap per invocation (VmHWM from /proc);
//   - the Lambda asset of each function: the linux/arm64 bootstrap built as
//     the CDK stack builds it, raw and zipped;
//   - one ModifyVpcEndpoint event on accounts of 100, 1,000 and 10,000
//     models (-quick: 100 and 1,000), without and with the placement
//     index, 20 ms on every call (pkg/sweep/sweepsim.EventBench);
//   - the sweep of 10,000 models in 50 VPCs with 20 ms latency and a rate
//     limit on DescribeModel, twice on the unchanged account with the
//     placement index (pkg/sweep/sweepsim.Bench, as sweepbench);
//   - the organization sweep of 20 accounts × 2 Regions × 500 models with
//     20 ms latency (pkg/sweep/sweepsim.OrgBench): its AssumeRole calls
//     and wall time.
//
// Usage:
//
//	go run ./pkg/e2e/cmd/bench [-n 5] [-quick] [-json] [-log FILE] [-v]
//
// The bootstraps run against the simulated demo account (pkg/awssim) and
// an SNS topic (goaws), served in this process; everything listens on
// 127.0.0.1 and every process it starts is stopped before it exits. It
// takes about 90 s (-quick: about 25 s). It exits 1 when a
// figure could not be measured; a missing boto3 is reported, not a failure.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/vpcguard/vpcguard/pkg/e2e"
)

// The events each function is invoked with, from events/; sweep gets a
// scheduled event (see scheduledEvent).
var eventFiles = map[string]string{
	"modelguard":    "sagemaker-CreateModel-fraud-detector-compliant.json",
	"endpointguard": "ec2-ModifyVpcEndpoint-fraud-replace-policy-drops-al-denies.json",
}

// Results is everything bench measured; -json prints it.
type Results struct {
	Started     time.Time          `json:"started"`
	Machine     Machine            `json:"machine"`
	Reproduce   string             `json:"reproduce"`
	Samples     int                `json:"cold_start_samples"`
	CreateModel *CreateModelResult `json:"create_model_report,omitempty"`
	Functions   []*FunctionResult  `json:"functions"`
	Python      *PythonResult      `json:"python_boto3"`
	Sweep       *SweepResult       `json:"sweep,omitempty"`
	OrgSweep    *OrgSweepResult    `json:"organization_sweep,omitempty"`
	Events      []*EventResult     `json:"modify_vpc_endpoint_event,omitempty"`
	Errors      []string           `json:"errors,omitempty"`
	TotalMs     int64              `json:"total_ms"`
}

// Machine describes where the figures were taken.
type Machine struct {
	CPUs       int    `json:"nproc"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	Go         string `json:"go"`
	Kernel     string `json:"kernel,omitempty"`
}

type options struct {
	n, warmup int
	quick     bool
	asJSON    bool
	scenario  string
	eventsDir string
	log       io.Writer
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 5, "cold starts per function, and python3 runs")
	flag.IntVar(&o.warmup, "warmup", 1, "untimed runs before the samples (cold starts and python3 each)")
	flag.BoolVar(&o.quick, "quick", false, "scale the sweep down to 1,000 models (50 VPCs) for a fast look")
	flag.BoolVar(&o.asJSON, "json", false, "print the figures as JSON instead of the table")
	flag.StringVar(&o.scenario, "scenario", "demo", "awssim scenario the functions run against (pkg/scenarios)")
	flag.StringVar(&o.eventsDir, "events", "", "directory of the event files (default: events/ of the module)")
	logFile := flag.String("log", "", "write the emulators' and functions' output to this file")
	verbose := flag.Bool("v", false, "print the emulators' and functions' output on stderr as it comes")
	flag.Parse()
	if o.n < 1 || o.warmup < 0 || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *logFile != "" {
		f, err := os.Create(*logFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer f.Close()
		o.log = f
	}
	if *verbose {
		if o.log != nil {
			o.log = io.MultiWriter(o.log, os.Stderr)
		} else {
			o.log = os.Stderr
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	res, err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if o.asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
	} else {
		printTable(os.Stdout, res)
	}
	if len(res.Errors) > 0 {
		for _, e := range res.Errors {
			fmt.Fprintln(os.Stderr, "bench: FAILED:", e)
		}
		os.Exit(1)
	}
}

// progress lines go to stderr: stdout holds only the table or the JSON.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func run(ctx context.Context, o options) (*Results, error) {
	start := time.Now()
	root, err := e2e.FindRoot()
	if err != nil {
		return nil, err
	}
	if o.eventsDir == "" {
		o.eventsDir = filepath.Join(root, "events")
	}
	res := &Results{Started: start.UTC().Truncate(time.Second), Machine: machine(), Samples: o.n, Reproduce: reproduce(o)}
	fail := func(what string, err error) {
		res.Errors = append(res.Errors, what+": "+err.Error())
		progress("%s: %v", what, err)
	}
	tmp, err := os.MkdirTemp("", "vpcguard-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	// 1. Builds first, so that nothing compiles while timing.
	names, err := e2e.FunctionNames(root)
	if err != nil {
		return nil, err
	}
	progress("build %s for linux/arm64 (the Lambda assets) and %s/%s (the emulator), as the CDK stack does",
		strings.Join(names, ", "), runtime.GOOS, runtime.GOARCH)
	for _, n := range names {
		fr := &FunctionResult{Name: n}
		res.Functions = append(res.Functions, fr)
		a, err := buildAsset(ctx, root, n, filepath.Join(tmp, "arm64", n))
		if err != nil {
			fail("asset "+n, err)
			continue
		}
		fr.Asset = a
	}
	bin := &e2e.Binaries{Bootstrap: map[string]string{}}
	for _, n := range names {
		out := filepath.Join(tmp, "host", n, "bootstrap")
		if err := goBuild(ctx, root, runtime.GOOS, runtime.GOARCH, n, out); err != nil {
			return nil, fmt.Errorf("build %s for this machine: %w", n, err)
		}
		bin.Bootstrap[n] = out
	}
	if bin.RIE, err = e2e.EnsureRIE(ctx, root, filepath.Join(root, ".tools"), progressWriter{}); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	// 2. The CreateModel report benchmark (go test compiles, then runs).
	progress("CreateModel report: go test -run='^$' -bench='^%s$' -benchtime=5x ./pkg/guard", createModelBench)
	if res.CreateModel, err = runCreateModel(ctx, root); err != nil {
		fail("CreateModel report", err)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	// 3. Cold starts, peak RSS, then python3 -c 'import boto3' right after.
	if err := coldStarts(ctx, o, bin, res); err != nil {
		return nil, err
	}
	progress("python3 -c 'import boto3': %d runs (after %d untimed)", o.n, o.warmup)
	res.Python = timePython(ctx, o.n, o.warmup)
	if p := res.Python; p.Unavailable == "" && p.Import.N > 0 {
		for _, f := range res.Functions {
			if f.Init.Median > 0 {
				f.Boto3Ratio = p.Import.Median / f.Init.Median
			}
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	// 4. One ModifyVpcEndpoint event per account size, without and with
	// the placement index.
	if res.Events, err = runEvents(ctx, o.quick); err != nil {
		fail("ModifyVpcEndpoint event", err)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	// 5. The sweep, last: it keeps every CPU busy for a minute.
	so := sweepOptions(o.quick)
	progress("sweep: %s (about %s)", so, map[bool]string{false: "75 s", true: "15 s"}[o.quick])
	if res.Sweep, err = runSweep(ctx, so); err != nil {
		fail("sweep", err)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	oo := orgSweepOptions(o.quick)
	progress("organization sweep: %s", oo)
	if res.OrgSweep, err = runOrgSweep(ctx, oo); err != nil {
		fail("organization sweep", err)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	res.TotalMs = time.Since(start).Milliseconds()
	return res, nil
}

// reproduce is the command line that repeats this run.
func reproduce(o options) string {
	args := []string{}
	if o.n != 5 {
		args = append(args, fmt.Sprintf("-n %d", o.n))
	}
	if o.quick {
		args = append(args, "-quick")
	}
	if len(args) == 0 {
		return "make bench"
	}
	return fmt.Sprintf("make bench BENCH_ARGS=%q", strings.Join(args, " "))
}

// machine reads nproc, the CPU model and the kernel.
func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), OS: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "model name", "Model", "Hardware", "cpu model":
				if m.CPUModel == "" {
					m.CPUModel = strings.TrimSpace(v)
				}
			}
		}
	}
	if m.CPUModel == "" {
		m.CPUModel = "unknown"
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// progressWriter prefixes e2e's build lines as progress.
type progressWriter struct{}

func (progressWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line != "" {
			progress("%s", line)
		}
	}
	return len(p), nil
}

// shortRIE is the emulator's pinned version.
func shortRIE() string { return e2e.RIEVersion }
