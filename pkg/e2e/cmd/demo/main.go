// Command demo is `make demo`: it builds the function binaries, runs them
// under the AWS Lambda Runtime Interface Emulator against the simulated
// demo account (pkg/awssim, scenario "demo") and an SNS topic (goaws),
// replays every event in events/ in report mode, then the events that
// planned a repair in remediate mode on a fresh account, then, in
// organization mode, the events of events/organization/ from two member
// accounts of a simulated organization in two Regions, and prints what
// vpcguard found, did and emailed.
//
//	go run ./pkg/e2e/cmd/demo [-events DIR] [-scenario NAME] [-emails=false] [-log FILE] [-v]
//
// Everything listens on 127.0.0.1 and stops when the demo ends. It exits 1
// when an invocation fails or when a check of the catalogue fires on no
// event.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/e2e"
	"github.com/vpcguard/vpcguard/pkg/notify"
	"github.com/vpcguard/vpcguard/pkg/report"
)

func main() {
	events := flag.String("events", "", "directory of EventBridge event files (default: events/ of the module)")
	scenario := flag.String("scenario", "demo", "embedded awssim scenario (pkg/scenarios)")
	emails := flag.Bool("emails", true, "print each email as it would arrive")
	logFile := flag.String("log", "", "write the emulators' and functions' output to this file")
	verbose := flag.Bool("v", false, "print the emulators' and functions' output as it comes")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := &demo{out: os.Stdout, emails: *emails}
	code := d.run(ctx, *events, *scenario, *logFile, *verbose)
	os.Exit(code)
}

type demo struct {
	out    io.Writer
	emails bool
	root   string
	snsURL string

	report    []*e2e.Outcome
	remediate []*e2e.Outcome
	failures  []string
}

func (d *demo) printf(format string, args ...any) { fmt.Fprintf(d.out, format, args...) }

func (d *demo) run(ctx context.Context, eventsDir, scenario, logFile string, verbose bool) int {
	start := time.Now()
	root, err := e2e.FindRoot()
	if err != nil {
		return d.fatal(err)
	}
	d.root = root
	if eventsDir == "" {
		eventsDir = filepath.Join(root, "events")
	}
	var log io.Writer
	if logFile != "" {
		f, err := os.Create(logFile)
		if err != nil {
			return d.fatal(err)
		}
		defer f.Close()
		log = f
	}
	if verbose {
		log = multi(log, os.Stderr)
	}

	d.printf("vpcguard demo: the bootstrap binaries Lambda runs, under the AWS Lambda Runtime Interface\n")
	d.printf("Emulator, against a simulated AWS account (awssim) and an SNS topic (goaws), all on 127.0.0.1.\n\n")

	tmp, err := os.MkdirTemp("", "vpcguard-demo-")
	if err != nil {
		return d.fatal(err)
	}
	defer os.RemoveAll(tmp)
	bin, err := e2e.Build(ctx, e2e.BuildOptions{Root: root, Dir: tmp, Functions: append(slices.Clone(e2e.Guards), "sweep", e2e.UndoFunction), Log: prefixed(d.out, "  ")})
	if err != nil {
		return d.fatal(err)
	}
	d.printf("  built %s and found aws-lambda-rie %s in %s\n\n", strings.Join(bin.Functions(), ", "), e2e.RIEVersion, bin.BuildTime.Round(10*time.Millisecond))

	sc, err := scenarios.Load(scenario)
	if err != nil {
		return d.fatal(err)
	}
	evs, err := e2e.LoadEvents(eventsDir)
	if err != nil {
		return d.fatal(err)
	}
	sns, err := e2e.StartSNS(ctx, sc.Account, sc.Region)
	if err != nil {
		return d.fatal(err)
	}
	defer sns.Close()
	d.snsURL = sns.URL
	runner := &e2e.Runner{Bin: bin, SNS: sns, Log: log}

	d.printf("account  awssim scenario %q: account %s, %s, %s, %s, %s\n",
		scenario, sc.Account, sc.Region, plural(len(sc.VPCs), "VPC"), plural(len(sc.Models), "model"), plural(len(sc.EndpointConfigs), "endpoint config"))
	d.printf("sns      goaws topic %s, queue %s subscribed\n", sns.TopicARN, e2e.QueueName)
	d.printf("events   %d files in %s, replayed in CloudTrail eventTime order; ModifyVpcEndpoint,\n", len(evs), rel(root, eventsDir))
	d.printf("         DeleteVpcEndpoints and the drift calls (route tables, routes, DNS, egress, flow logs,\n")
	d.printf("         endpoint capacities) are first enacted on the account, so it holds the state after the call\n")
	d.printf("emails   as they arrive in the queue (VPCGUARD_TOPIC_ARN is the topic; VPCGUARD_EVENT_BUS=vpcguard\n")
	d.printf("         sends the findings to awssim's EventBridge); -emails=false prints the verdicts only\n")

	// Part 1: report mode.
	d.printf("\n== 1. Every event, report mode (VPCGUARD_MODE=report): nothing is changed\n")
	sess, err := runner.Start(e2e.SessionConfig{Scenario: sc, Index: true})
	if err != nil {
		return d.fatal(err)
	}
	d.printf("index    state table %s in awssim (VPCGUARD_STATE_TABLE), built by one sweep before the replay:\n", e2e.StateTable)
	d.printf("         %s\n", sess.IndexNote)
	d.report = d.replay(ctx, sess, evs)
	sess.Close()
	if ctx.Err() != nil {
		return d.fatal(ctx.Err())
	}

	// Part 2: the repair events, remediate mode, fresh account.
	var repairs []e2e.Event
	for _, o := range d.report {
		if o.Result != nil && slices.ContainsFunc(o.Result.Actions, func(a report.Action) bool { return a.Status == report.ActionPlanned }) {
			repairs = append(repairs, o.Event)
		}
	}
	d.printf("\n== 2. The %d events that planned a repair, remediate mode (VPCGUARD_MODE=remediate), fresh account\n", len(repairs))
	sc2, err := scenarios.Load(scenario)
	if err != nil {
		return d.fatal(err)
	}
	sess2, err := runner.Start(e2e.SessionConfig{Scenario: sc2, Env: map[string]string{"VPCGUARD_MODE": string(report.ModeRemediate)}})
	if err != nil {
		return d.fatal(err)
	}
	d.remediate = d.replay(ctx, sess2, repairs)
	sess2.Close()
	if ctx.Err() != nil {
		return d.fatal(ctx.Err())
	}

	// Part 3: the health self-check (health.go).
	d.health(ctx, runner, scenario)
	// Part 4: an exemption, a repair and its undo.
	d.undoPart(ctx, runner, scenario, evs, tmp)
	if ctx.Err() != nil {
		return d.fatal(ctx.Err())
	}

	// Part 5: Security Hub findings of one event, then their archiving.
	d.securityHub(ctx, runner, scenario, evs)

	// Part 6: organization mode (org.go).
	d.organization(ctx, runner)
	if ctx.Err() != nil {
		return d.fatal(ctx.Err())
	}

	d.summary()
	missing := d.coverage()
	d.emulatorFigures()
	d.printf("\ndemo wall time: %s (build %s, replay %s)\n", time.Since(start).Round(10*time.Millisecond),
		bin.BuildTime.Round(10*time.Millisecond), (time.Since(start) - bin.BuildTime).Round(10*time.Millisecond))
	if len(d.failures) > 0 || len(missing) > 0 {
		for _, f := range d.failures {
			fmt.Fprintln(os.Stderr, "demo: FAILED:", f)
		}
		if len(missing) > 0 {
			fmt.Fprintln(os.Stderr, "demo: FAILED: checks that fired on no event:", strings.Join(missing, ", "))
		}
		return 1
	}
	return 0
}

func (d *demo) fatal(err error) int {
	fmt.Fprintln(os.Stderr, "demo:", err)
	return 1
}

// replay runs evs in order and prints each outcome.
func (d *demo) replay(ctx context.Context, sess *e2e.Session, evs []e2e.Event) []*e2e.Outcome {
	var out []*e2e.Outcome
	for i, ev := range evs {
		if ctx.Err() != nil {
			break
		}
		o, err := sess.Replay(ctx, ev)
		if err != nil {
			d.failures = append(d.failures, err.Error())
			d.printf("\n[%d] %s\n     ERROR %v\n", i+1, ev.File, err)
			if o == nil {
				continue
			}
		}
		out = append(out, o)
		d.outcome(i+1, len(evs), o)
	}
	return out
}

// outcome prints one event: the verdict line, then the details and email.
func (d *demo) outcome(n, total int, o *e2e.Outcome) {
	d.printf("\n[%d/%d] %s\n", n, total, o.Event.File)
	d.printf("  %s\n", verdict(o))
	if o.Enacted != "" {
		d.printf("     enacted first on the account: %s\n", o.Enacted)
	}
	if iv := o.Invocation; iv != nil {
		init := "warm"
		if iv.Cold {
			init = fmt.Sprintf("cold start (INIT REPORT %.2f ms)", iv.InitMs)
		}
		writes := "none"
		if ws := e2e.NonNotifyWrites(o.Writes); len(ws) > 0 {
			writes = strings.Join(e2e.WriteOps(ws), ", ")
		}
		d.printf("     %s: %s, REPORT Duration %.2f ms, peak RSS %.1f MB; %d AWS calls; account writes: %s; sent: %s, %s\n",
			o.Function, init, iv.DurationMs, float64(iv.PeakRSSKB)/1024, o.Calls, writes,
			plural(len(o.Deliveries), "email"), plural(len(o.Events), "EventBridge entry"))
	}
	if err := o.Err(); err != nil {
		d.failures = append(d.failures, fmt.Sprintf("%s: %v", o.Event.File, err))
		return
	}
	r := o.Result
	if r.Placement != "" {
		d.printf("     placement index: %s\n", r.Placement)
	}
	for _, a := range r.Actions {
		d.action(a, o)
	}
	if !d.emails {
		return
	}
	switch {
	case len(o.Deliveries) > 0:
		for _, m := range o.Deliveries {
			d.printf("     email, as delivered to queue %s by topic %s:\n", e2e.QueueName, e2e.TopicName)
			d.quote("Subject: " + m.Subject + "\n\n" + m.Message)
		}
	case notify.ShouldNotify(*r, false):
		d.failures = append(d.failures, fmt.Sprintf("%s: no email arrived in %s", o.Event.File, e2e.QueueName))
		d.printf("     email: NONE ARRIVED in %s (expected one); notify.Preview of the result:\n", e2e.QueueName)
		d.quote(notify.Preview(*r))
	default:
		d.printf("     email: %s", notify.Preview(*r))
	}
}

// verdict is the one-line summary of an outcome.
func verdict(o *e2e.Outcome) string {
	name := o.Event.Call.Name
	if name == "" {
		name = "(unparsed)"
	}
	when := "--:--:--"
	if !o.Event.Time().IsZero() {
		when = o.Event.Time().UTC().Format("15:04:05")
	}
	head := fmt.Sprintf("%s %-20s", when, name)
	if err := o.Err(); err != nil {
		return head + " ERROR " + err.Error()
	}
	r := o.Result
	if r.Skipped != "" {
		return head + " SKIPPED: " + r.Skipped
	}
	res := "?"
	if r.Resource != nil {
		res = r.Resource.Type + " " + r.Resource.ID
	}
	var fail, info, unknown, exempt []string
	for _, c := range r.Checks {
		switch {
		case c.Status == report.StatusExempt:
			exempt = append(exempt, c.ID)
		case c.Status == report.StatusUnknown:
			unknown = append(unknown, c.ID)
		case c.Status == report.StatusFail && c.Severity == report.SeverityInfo:
			info = append(info, c.ID)
		case c.Status == report.StatusFail:
			fail = append(fail, c.ID)
		}
	}
	var parts []string
	if len(fail) == 0 && len(unknown) == 0 {
		parts = append(parts, fmt.Sprintf("PASS (%d checks)", len(r.Checks)))
	} else if len(fail) > 0 {
		parts = append(parts, "FAIL "+strings.Join(fail, ", "))
	}
	if len(unknown) > 0 {
		parts = append(parts, "UNKNOWN "+strings.Join(unknown, ", "))
	}
	if len(info) > 0 {
		parts = append(parts, "info: "+strings.Join(info, ", "))
	}
	if len(exempt) > 0 {
		parts = append(parts, "EXEMPT "+strings.Join(exempt, ", "))
	}
	acts := "no action"
	if len(r.Actions) > 0 {
		acts = "actions: " + strings.Join(actionWords(r), ", ")
	}
	return fmt.Sprintf("%s %s -> %s | %s", head, res, strings.Join(parts, "; "), acts)
}

func actionWords(r *report.Result) []string {
	var out []string
	for _, a := range r.Actions {
		out = append(out, fmt.Sprintf("%s %s", a.ID, a.Status))
	}
	return out
}

// action prints what one action did (or would do) and, once written, the
// state vpcguard re-read to verify it.
func (d *demo) action(a report.Action, o *e2e.Outcome) {
	det := a.Detail
	d.printf("     action %s: %s on %s\n", a.ID, strings.ToUpper(string(a.Status)), strings.Join(a.Resources, ", "))
	if api, ok := det["api"].(string); ok && a.Status != report.ActionSkipped {
		d.printf("       call     %s %s\n", api, compactParams(det["params"]))
	}
	if reason, ok := det["reason"].(string); ok {
		d.printf("       reason   %s\n", reason)
	}
	if a.Status == report.ActionPlanned || a.Status == report.ActionSkipped {
		return
	}
	if before, ok := det["before"].(map[string]any); ok {
		if missing, ok := before["not_explicitly_denied"]; ok {
			d.printf("       before   %v statement(s); repositories not denied: %s\n", before["statements"], oneLine(missing))
		}
	}
	if diff, ok := det["diff"].(string); ok && diff != "" {
		d.printf("       diff\n")
		for _, line := range strings.Split(strings.TrimRight(diff, "\n"), "\n") {
			d.printf("         %s\n", line)
		}
	} else if after, ok := det["after"]; ok {
		d.printf("       after    %s\n", oneLine(after))
	}
	if v, ok := det["verified"].(map[string]any); ok {
		var parts []string
		if list, ok := v["checks"].([]any); ok {
			for _, c := range list {
				if m, ok := c.(map[string]any); ok {
					parts = append(parts, fmt.Sprintf("%v %v", m["check"], m["status"]))
				}
			}
		}
		verdict := "VERIFIED"
		if v["passed"] != true {
			verdict = "NOT VERIFIED"
		}
		d.printf("       %s state re-read after the write (attempt %v): %s\n", verdict, v["attempts"], strings.Join(parts, ", "))
	}
	for _, w := range e2e.NonNotifyWrites(o.Writes) {
		res := ""
		if id, ok := w.Result["vpcEndpointId"]; ok {
			res = fmt.Sprintf(" -> %v", id)
		}
		status := "applied"
		if w.Error != "" {
			status = "error " + w.Error
		}
		d.printf("       awssim   recorded the write %s:%s (%s)%s\n", w.Service, w.Operation, status, res)
	}
}

// quote prints text indented as an email.
func (d *demo) quote(text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		d.printf("       | %s\n", line)
	}
}

// summary prints the event × check table and the actions.
func (d *demo) summary() {
	cat := checks.Catalogue()
	d.printf("\n== Summary\n\nReport mode: one row per event, one column per check (F fail, . pass, ? unknown, - not applicable,\nE exempt, blank not evaluated); the columns are numbered as listed below the table.\n\n")
	header := fmt.Sprintf("%-3s %-8s %-22s %-26s ", "#", "time", "event", "resource")
	var nums []string
	for i := range cat {
		nums = append(nums, fmt.Sprintf("%3d", i+1))
	}
	d.printf("%s%s  actions\n", header, strings.Join(nums, ""))
	for i, o := range d.report {
		d.printf("%s\n", d.row(i+1, o, cat))
	}
	d.printf("\n")
	for i, c := range cat {
		d.printf("  %2d %-31s %s\n", i+1, c.ID, c.Severity)
	}
	d.printf("\nRemediate mode (fresh accounts: part 2, then part 4's event, before and after its undo):\n\n")
	for i, o := range d.remediate {
		d.printf("%s\n", d.row(i+1, o, cat))
		if ws := e2e.NonNotifyWrites(o.Writes); len(ws) > 0 {
			d.printf("%-3s %-8s %-22s writes: %s\n", "", "", "", strings.Join(e2e.WriteOps(ws), ", "))
		}
	}
}

func (d *demo) row(n int, o *e2e.Outcome, cat []checks.Definition) string {
	when := "--:--:--"
	if !o.Event.Time().IsZero() {
		when = o.Event.Time().UTC().Format("15:04:05")
	}
	name := o.Event.Call.Name
	res := ""
	cells := strings.Repeat("   ", len(cat))
	acts := "-"
	switch {
	case o.Err() != nil:
		acts = "ERROR"
	case o.Result.Skipped != "":
		res = "(skipped)"
	default:
		if o.Result.Resource != nil {
			res = o.Result.Resource.ID
		}
		st := e2e.Statuses(o.Result)
		var b strings.Builder
		for _, c := range cat {
			mark := " "
			switch st[c.ID] {
			case report.StatusFail:
				mark = "F"
			case report.StatusPass:
				mark = "."
			case report.StatusUnknown:
				mark = "?"
			case report.StatusNotApplicable:
				mark = "-"
			case report.StatusExempt:
				mark = "E"
			}
			b.WriteString("  " + mark)
		}
		cells = b.String()
		if len(o.Result.Actions) > 0 {
			acts = strings.Join(actionWords(o.Result), ", ")
		}
	}
	return fmt.Sprintf("%-3d %-8s %-22s %-26s %s  %s", n, when, clip(name, 22), clip(res, 26), cells, acts)
}

// coverage prints which checks fired (status fail) and on which event
// first; it returns the checks that never did.
func (d *demo) coverage() []string {
	first := map[string]string{}
	for _, o := range append(slices.Clone(d.report), d.remediate...) {
		if o.Err() != nil {
			continue
		}
		for _, id := range e2e.Fired(o.Result) {
			if _, ok := first[id]; !ok {
				first[id] = o.Event.Name()
			}
		}
	}
	cat := checks.Catalogue()
	d.printf("\nChecks that fired (status fail) on at least one event: %d of %d\n", len(first), len(cat))
	var missing []string
	for _, c := range cat {
		if ev, ok := first[c.ID]; ok {
			d.printf("  %-31s first on %s\n", c.ID, ev)
		} else {
			d.printf("  %-31s NEVER FIRED\n", c.ID)
			missing = append(missing, c.ID)
		}
	}
	return missing
}

// emulatorFigures prints the emulator's per-invocation figures.
func (d *demo) emulatorFigures() {
	d.printf("\nEmulator figures per invocation (INIT REPORT durationMs on a cold start; REPORT Duration; the\n")
	d.printf("bootstrap's peak RSS from /proc, as the emulator's \"Max Memory Used\" only repeats the memory size):\n\n")
	d.printf("  %-9s %-14s %-52s %10s %10s %9s\n", "mode", "function", "event", "init ms", "duration", "peak RSS")
	var inits, durs []float64
	rows := func(mode string, os []*e2e.Outcome) {
		for _, o := range os {
			iv := o.Invocation
			if iv == nil {
				continue
			}
			init := ""
			if iv.Cold {
				init = fmt.Sprintf("%.2f", iv.InitMs)
				inits = append(inits, iv.InitMs)
			}
			durs = append(durs, iv.DurationMs)
			d.printf("  %-9s %-14s %-52s %10s %7.2f ms %6.1f MB\n", mode, o.Function, clip(o.Event.Name(), 52), init, iv.DurationMs, float64(iv.PeakRSSKB)/1024)
		}
	}
	rows("report", d.report)
	rows("remediate", d.remediate)
	if len(durs) > 0 {
		d.printf("\n  %d cold starts: INIT REPORT %s ms; %d invocations: REPORT Duration min %.2f / median %.2f / max %.2f ms\n",
			len(inits), joinFloats(inits), len(durs), minF(durs), median(durs), maxF(durs))
	}
}

func joinFloats(fs []float64) string {
	var s []string
	for _, f := range fs {
		s = append(s, fmt.Sprintf("%.2f", f))
	}
	return strings.Join(s, ", ")
}

func minF(fs []float64) float64 { return slices.Min(fs) }
func maxF(fs []float64) float64 { return slices.Max(fs) }
func median(fs []float64) float64 {
	s := slices.Clone(fs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "~"
}

func rel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
		return r + "/"
	}
	return p
}

// prefixed writes each line to w with a prefix.
func prefixed(w io.Writer, prefix string) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		for _, line := range strings.SplitAfter(string(p), "\n") {
			if line != "" {
				fmt.Fprint(w, prefix+line)
			}
		}
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func multi(a, b io.Writer) io.Writer {
	if a == nil {
		return b
	}
	return io.MultiWriter(a, b)
}

// compactParams renders API parameters on one line, policy documents by
// their size (the diff and the after-state show what they hold).
func compactParams(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return oneLine(v)
	}
	c := make(map[string]any, len(m))
	for k, val := range m {
		if s, ok := val.(string); ok && strings.Contains(k, "Policy") && len(s) > 80 {
			val = fmt.Sprintf("<%d-byte policy>", len(s))
		}
		c[k] = val
	}
	return oneLine(c)
}

// oneLine is v as compact JSON.
func oneLine(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// plural is "1 email", "2 emails", "1 EventBridge entry", "3 EventBridge entries".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
