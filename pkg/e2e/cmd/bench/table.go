package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// printTable writes the figures as one table: the per-function figures in
// a column per function, then the single figures.
func printTable(out io.Writer, r *Results) {
	m := r.Machine
	fmt.Fprintf(out, "vpcguard performance, %s\n", r.Started.Format("2006-01-02 15:04 UTC"))
	kernel := ""
	if m.Kernel != "" {
		kernel = ", kernel " + m.Kernel
	}
	procs := ""
	if m.GOMAXPROCS != m.CPUs {
		procs = fmt.Sprintf(" (GOMAXPROCS %d)", m.GOMAXPROCS)
	}
	fmt.Fprintf(out, "machine: nproc %d%s, %s, %s/%s%s, %s\n\n", m.CPUs, procs, m.CPUModel, m.OS, m.Arch, kernel, m.Go)

	w := tabwriter.NewWriter(out, 0, 4, 3, ' ', 0)
	row := func(label string, cell func(*FunctionResult) string) {
		cells := []string{label}
		for _, f := range r.Functions {
			cells = append(cells, cell(f))
		}
		fmt.Fprintln(w, strings.Join(cells, "\t"))
	}
	row("figure", func(f *FunctionResult) string { return f.Name })
	measured := func(f *FunctionResult) bool { return f.Init.N > 0 }
	// unmeasured is the cell of a cold-start figure that has none.
	unmeasured := func(f *FunctionResult) string {
		if !eventInvoked(f.Name) {
			return "n/a"
		}
		return "error"
	}
	row(fmt.Sprintf("cold start: init, median of %d", r.Samples), func(f *FunctionResult) string {
		if !measured(f) {
			return unmeasured(f)
		}
		return fmt.Sprintf("%.1f ms", f.Init.Median)
	})
	row("cold start: init, min – max", func(f *FunctionResult) string {
		if !measured(f) {
			return unmeasured(f)
		}
		return fmt.Sprintf("%.1f – %.1f ms", f.Init.Min, f.Init.Max)
	})
	row("python3 -c 'import boto3' ÷ init", func(f *FunctionResult) string {
		if f.Boto3Ratio == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.1f×", f.Boto3Ratio)
	})
	row("invocation Duration, cold / warm", func(f *FunctionResult) string {
		if !measured(f) {
			return unmeasured(f)
		}
		return fmt.Sprintf("%.1f / %.1f ms", f.ColdDuration.Median, f.WarmDuration.Median)
	})
	row("peak RSS per invocation, median / max", func(f *FunctionResult) string {
		if !measured(f) {
			return unmeasured(f)
		}
		return fmt.Sprintf("%.1f / %.1f MiB", f.PeakRSS.Median, f.PeakRSS.Max)
	})
	row("asset: bootstrap linux/arm64, raw", func(f *FunctionResult) string {
		if f.Asset == nil {
			return "error"
		}
		return mib(f.Asset.RawBytes)
	})
	row("asset: zipped (Deflate)", func(f *FunctionResult) string {
		if f.Asset == nil {
			return "error"
		}
		return mib(f.Asset.ZippedBytes)
	})

	single := func(label, value string) { fmt.Fprintf(w, "%s\t%s\n", label, value) }
	if c := r.CreateModel; c != nil {
		single("CreateModel report: round trips", fmt.Sprintf("%s sequential, with %d ms injected on every AWS call", trim(c.RoundTrips), c.LatencyMs))
		single("CreateModel report: wall time", fmt.Sprintf("%s ms (worst of %d; mean %.1f ms)", trim(c.WorstMs), c.Runs, c.MeanMs))
		single("CreateModel report: AWS calls", trim(c.CallsPerEval)+" per evaluation")
	} else {
		single("CreateModel report", "error")
	}
	if p := r.Python; p == nil || p.Unavailable != "" {
		msg := boto3Unavailable
		if p != nil {
			msg = p.Unavailable
		}
		single("python3 -c 'import boto3'", msg)
	} else {
		src := "Debian's python3-boto3"
		if !p.Debian {
			src = "from " + filepath.Dir(filepath.Dir(p.Boto3Path)) + ", not Debian's python3-boto3"
		}
		single("python3 -c 'import boto3'", fmt.Sprintf("%.1f ms (median of %d; %.1f – %.1f ms)", p.Import.Median, p.Import.N, p.Import.Min, p.Import.Max))
		single("  interpreter", fmt.Sprintf("%s %s, boto3 %s (%s); -c pass alone %.1f ms", p.Interpreter, p.Version, p.Boto3, src, p.Bare.Median))
	}
	if s := r.Sweep; s != nil {
		single("sweep: account", fmt.Sprintf("%s models in %d VPCs, %d ms on every call, DescribeModel limited to %g/s (burst %d), concurrency %d",
			thousands(s.Models), s.VPCs, s.LatencyMs, s.DescribeModelRPS, s.Burst, s.Concurrency))
		single("sweep: API calls", fmt.Sprintf("%s (%.2f per model, %.1f per VPC; %s DescribeModel)", thousands(s.APICalls), s.CallsPerModel, s.CallsPerVPC, thousands(s.DescribeModel)))
		single("sweep: wall time", fmt.Sprintf("%.1f s", float64(s.WallMs)/1000))
		single("sweep: throttles absorbed", fmt.Sprintf("%s (retried by the adaptive retryer)", thousands(s.Throttles)))
		complete := "pass complete"
		if !s.PassComplete {
			complete = "pass NOT complete"
		}
		single("sweep: models evaluated", fmt.Sprintf("%s of %s (%s)", thousands(s.ModelsEvaluated), thousands(s.ModelsListed), complete))
		if n := s.Second; n != nil {
			single("second sweep, unchanged account", fmt.Sprintf("%s DescribeModel; %s API calls (%s ListModels, %s state table); %.1f s; %s models evaluated",
				thousands(n.DescribeModel), thousands(n.APICalls), thousands(n.ListModels), thousands(n.IndexCalls), float64(n.WallMs)/1000, thousands(n.Evaluated)))
		}
	} else {
		single("sweep", "error")
	}
	if s := r.OrgSweep; s != nil {
		single("organization sweep: setup", s.Setup)
		single("organization sweep: AssumeRole", fmt.Sprintf("%d calls for %d accounts (one session per account, all Regions)", s.AssumeRoleCalls, s.Accounts))
		single("organization sweep: wall time", fmt.Sprintf("%.1f s (%s models in %d account/Regions covered; %s API calls)",
			float64(s.WallMs)/1000, thousands(s.ModelsEvaluated), s.Covered, thousands(s.APICalls)))
	} else {
		single("organization sweep", "error")
	}
	w.Flush()
	printEvents(out, r.Events)

	events := []string{}
	for _, f := range r.Functions {
		if eventInvoked(f.Name) {
			events = append(events, f.Name+": "+f.Event)
		}
	}
	fmt.Fprintf(out, "\ninit: the emulator's INIT REPORT durationMs (aws-lambda-rie %s), a fresh emulator and account per sample,\n", shortRIE())
	fmt.Fprintf(out, "  bootstraps built as deployed but for this machine's arch; invoked against the awssim demo account with\n")
	fmt.Fprintf(out, "  %s.\n", strings.Join(events, ", "))
	fmt.Fprintf(out, "peak RSS: the bootstrap's VmHWM after each invocation (%d cold + %d warm each); Duration: the REPORT line.\n", r.Samples, r.Samples)
	fmt.Fprintf(out, "python3: whole-process wall time, interpreter start included; ÷ init compares medians.\n")
	fmt.Fprintf(out, "reproduce: %s   (go run ./pkg/e2e/cmd/bench [-n 5] [-quick] [-json])\n", r.Reproduce)
	fmt.Fprintf(out, "total runtime: %s\n", (time.Duration(r.TotalMs) * time.Millisecond).Round(100*time.Millisecond))
}

// printEvents writes the ModifyVpcEndpoint figures side by side: per
// account size, the calls and wall time without and with the index.
func printEvents(out io.Writer, evs []*EventResult) {
	if len(evs) == 0 {
		return
	}
	type pair struct{ scan, index *EventResult }
	var sizes []int
	bySize := map[int]*pair{}
	for _, e := range evs {
		p := bySize[e.Models]
		if p == nil {
			p = &pair{}
			bySize[e.Models] = p
			sizes = append(sizes, e.Models)
		}
		if e.Index {
			p.index = e
		} else {
			p.scan = e
		}
	}
	fmt.Fprintf(out, "\none ModifyVpcEndpoint event (endpointguard's handler, report mode), %d ms on every call, DescribeModel limited to 200/s:\n", evs[0].LatencyMs)
	w := tabwriter.NewWriter(out, 0, 4, 3, ' ', 0)
	fmt.Fprintln(w, "models (50 VPCs)\tin the VPC\tno index: AWS calls\tno index: wall\twith index: AWS calls\twith index: wall\tindex queries")
	cell := func(e *EventResult) (string, string) {
		if e == nil {
			return "error", "error"
		}
		return thousands(e.APICalls), fmt.Sprintf("%.2f s", float64(e.WallMs)/1000)
	}
	for _, n := range sizes {
		p := bySize[n]
		sc, sw := cell(p.scan)
		ic, iw := cell(p.index)
		q, in := "error", "?"
		if p.index != nil {
			q, in = thousands(p.index.IndexQueries), thousands(p.index.Evaluated)
		} else if p.scan != nil {
			in = thousands(p.scan.Evaluated)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", thousands(n), in, sc, sw, ic, iw, q)
	}
	w.Flush()
	fmt.Fprintf(out, "AWS calls include the state table's: one GetItem (the index's built record) and one Query per 1,000 models of the VPC.\n")
}

// trim renders a float without trailing zeros.
func trim(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// thousands renders 10000 as 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
