package sweep

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/health"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// Summary is what one run of the sweep found and did: the Lambda return
// value, the local output (as JSON) and the source of the digest.
type Summary struct {
	Sweep     report.Event   `json:"sweep"` // name Sweep, source vpcguard
	Mode      report.Mode    `json:"mode"`
	Started   time.Time      `json:"started"`
	Elapsed   int64          `json:"elapsed_ms"`
	Coverage  Coverage       `json:"coverage"`
	Endpoints EndpointCounts `json:"endpoints"`
	// VPCs is how many VPCs hold a model evaluated by this run.
	VPCs     int           `json:"vpcs"`
	Findings FindingCounts `json:"findings"`
	// Exempt are the checks a live exemption covers, per VPC.
	Exempt    []ExemptFinding             `json:"exempt"`
	Offenders []Offender                  `json:"top_offenders"`
	Changes   *Changes                    `json:"changes,omitempty"` // nil when no state is kept
	Actions   map[report.ActionStatus]int `json:"actions"`
	API       CallStats                   `json:"api_calls"`
	State     string                      `json:"state"` // where the state is kept, or why it is not
	// Placement is what the placement index saved and what the run changed
	// in it; empty without an index (VPCGUARD_STATE_TABLE unset).
	Placement string   `json:"placement,omitempty"`
	Notes     []string `json:"notes,omitempty"`
	Delivery  Delivery `json:"delivery"`
	// Health is vpcguard's self-check (pkg/health); nil when it did not run.
	Health *health.Report `json:"health,omitempty"`

	// Digest is the SNS message rendered from the summary.
	Digest Digest `json:"-"`
	// Results are the per-VPC results (the event functions' contract), in
	// VPC id order, then the account's models outside any known VPC. They
	// are large (every offending model by name) and left out of the JSON.
	Results []report.Result `json:"-"`
	// securityHub is what the Security Hub reconciliation did (nil: it did
	// not run), for the organization sweep's totals.
	securityHub *report.SecurityHubDelivery
}

// Coverage says which models the run evaluated: no silent truncation.
type Coverage struct {
	ModelsListed    int      `json:"models_listed"`    // models of the account now
	ModelsEvaluated int      `json:"models_evaluated"` // by this run
	ModelsRemaining int      `json:"models_remaining"` // of the pass, left for the next run
	First           string   `json:"first,omitempty"`  // first and last model evaluated (name order)
	Last            string   `json:"last,omitempty"`
	ResumedAfter    string   `json:"resumed_after,omitempty"` // the cursor this run started after
	Cursor          string   `json:"cursor,omitempty"`        // the next run continues after this model
	PassComplete    bool     `json:"pass_complete"`           // every model of the pass is evaluated
	Stopped         string   `json:"stopped,omitempty"`       // why the run stopped before the last model
	Pass            PassInfo `json:"pass"`
}

// PassInfo describes the pass the run worked on.
type PassInfo struct {
	ID              string    `json:"id"`
	Started         time.Time `json:"started"`
	Runs            int       `json:"runs"`
	ModelsEvaluated int       `json:"models_evaluated"`
}

// EndpointCounts are the in-service endpoints read for instance counts.
type EndpointCounts struct {
	InService int `json:"in_service"`
	Configs   int `json:"configs"`
	// Autoscaled counts the variants whose models are checked with their
	// autoscaling max rather than their current instance count.
	Autoscaled int `json:"autoscaled_variants"`
}

// FindingCounts count the failing and unverified checks. A finding is one
// check in one VPC (or in the account group): Total and BySeverity count
// those above info severity, as the event functions' notifications do.
type FindingCounts struct {
	Total      int                     `json:"total"`
	VPCs       int                     `json:"vpcs"` // VPCs with a finding above info
	Failed     int                     `json:"failed"`
	Unknown    int                     `json:"unknown"`
	BySeverity map[report.Severity]int `json:"by_severity"`
	// ByCheck lists every check that failed or could not be verified
	// somewhere (info checks included), in catalogue order.
	ByCheck []CheckCount `json:"by_check"`
}

// CheckCount is one check across the VPCs.
type CheckCount struct {
	ID       string          `json:"id"`
	Severity report.Severity `json:"severity"`
	Fail     int             `json:"fail"`    // VPCs (and account group) where it fails
	Unknown  int             `json:"unknown"` // … where it could not be verified
	// Models counts the models concerned: those the check names, or every
	// model of the VPC for a check about the VPC itself.
	Models int `json:"models"`
}

// Offender is a VPC (or the account group) with failing checks.
type Offender struct {
	Resource report.Resource `json:"resource"`
	Models   int             `json:"models"`
	Highest  report.Severity `json:"highest"`
	Failing  []string        `json:"failing"` // check IDs, highest severity first
	Unknown  []string        `json:"unknown,omitempty"`
	score    int
}

// Changes compare the findings with the last completed pass.
type Changes struct {
	// FirstPass: no pass was completed before, so nothing is compared.
	FirstPass bool       `json:"first_pass,omitempty"`
	Since     *time.Time `json:"since,omitempty"` // the previous pass finished
	// New are findings of this run absent from the previous pass.
	New []Change `json:"new"`
	// Resolved are findings of the previous pass absent from this whole
	// pass (fixed, or their resource is gone); known only when the pass is
	// complete (ResolvedPending otherwise).
	Resolved        []Change `json:"resolved"`
	ResolvedPending bool     `json:"resolved_pending,omitempty"`
}

// Change is one check's subjects that changed.
type Change struct {
	Check    string          `json:"check"`
	Severity report.Severity `json:"severity"`
	Status   report.Status   `json:"status"` // now (new) or then (resolved)
	Subjects []string        `json:"subjects"`
	More     int             `json:"more,omitempty"` // subjects left out of the list
}

// maxSubjects bounds the subjects listed per change.
const maxSubjects = 50

// Delivery says what became of the outputs.
type Delivery struct {
	Digest string `json:"digest"`
	Events string `json:"events"`
	State  string `json:"state"`
	// SecurityHub is what the reconciliation with Security Hub did.
	SecurityHub string `json:"security_hub,omitempty"`
	Health      string `json:"health,omitempty"` // the "vpcguard Health" event
}

// Digest is the SNS message of a sweep.
type Digest struct {
	Subject string
	Body    string
}

// tally fills the counts, offenders and actions from the results (one per
// group, in the same order).
func (sum *Summary) tally(results []report.Result, groups []group, top int) {
	sum.Findings = FindingCounts{BySeverity: map[report.Severity]int{}, ByCheck: []CheckCount{}}
	counts := map[string]*CheckCount{}
	var offenders []Offender
	for i, r := range results {
		grp := groups[i]
		if grp.vpc != "" {
			sum.VPCs++
		}
		names := map[string]bool{}
		for _, m := range grp.models {
			names[m.Name] = true
		}
		off := Offender{Resource: *r.Resource, Models: len(grp.models)}
		for _, c := range r.Checks {
			if c.Status != report.StatusFail && c.Status != report.StatusUnknown {
				continue
			}
			cc := counts[c.ID]
			if cc == nil {
				cc = &CheckCount{ID: c.ID, Severity: c.Severity}
				counts[c.ID] = cc
			}
			named := 0
			for _, res := range c.Resources {
				if names[res] || strings.HasPrefix(res, "model ") {
					named++
				}
			}
			if named == 0 {
				named = len(grp.models)
			}
			cc.Models += named
			if c.Status == report.StatusFail {
				cc.Fail++
			} else {
				cc.Unknown++
			}
			if c.Severity == report.SeverityInfo {
				continue
			}
			sum.Findings.Total++
			sum.Findings.BySeverity[c.Severity]++
			if c.Status == report.StatusFail {
				sum.Findings.Failed++
				off.Failing = append(off.Failing, c.ID)
			} else {
				sum.Findings.Unknown++
				off.Unknown = append(off.Unknown, c.ID)
			}
			if c.Severity.Rank() > off.Highest.Rank() {
				off.Highest = c.Severity
			}
			off.score += 1 << (3 * c.Severity.Rank())
		}
		for _, a := range r.Actions {
			sum.Actions[a.Status]++
		}
		if len(off.Failing)+len(off.Unknown) > 0 {
			if grp.vpc != "" {
				sum.Findings.VPCs++
			}
			bySeverity := func(a, b string) int { return cmp.Compare(severityOf(b).Rank(), severityOf(a).Rank()) }
			slices.SortStableFunc(off.Failing, bySeverity)
			slices.SortStableFunc(off.Unknown, bySeverity)
			offenders = append(offenders, off)
		}
	}
	for _, d := range checks.Catalogue() {
		if c := counts[d.ID]; c != nil {
			sum.Findings.ByCheck = append(sum.Findings.ByCheck, *c)
		}
	}
	slices.SortStableFunc(offenders, func(a, b Offender) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(b.Models, a.Models), cmp.Compare(a.Resource.ID, b.Resource.ID))
	})
	sum.Offenders = offenders[:min(top, len(offenders))]
	if sum.Offenders == nil {
		sum.Offenders = []Offender{}
	}
}

func severityOf(id string) report.Severity {
	if d, ok := checks.Lookup(id); ok {
		return d.Severity
	}
	return ""
}

// diff compares with the previous completed pass: run holds this run's
// findings, pass the whole pass's so far.
func diff(prev *Pass, run, pass Findings, passDone bool) *Changes {
	if prev == nil {
		return &Changes{FirstPass: true, New: []Change{}, Resolved: []Change{}}
	}
	ch := &Changes{Since: prev.Finished, New: changes(run, prev.Findings), Resolved: []Change{}}
	if passDone {
		ch.Resolved = changes(prev.Findings, pass)
	} else {
		ch.ResolvedPending = true
	}
	return ch
}

// changes lists the findings of a absent from b, by check and status.
func changes(a, b Findings) []Change {
	out := []Change{}
	for _, id := range a.checks() {
		byStatus := map[report.Status][]string{}
		for subject, st := range a[id] {
			if !b.has(id, subject) {
				byStatus[st] = append(byStatus[st], subject)
			}
		}
		for _, st := range []report.Status{report.StatusFail, report.StatusUnknown} {
			subjects := byStatus[st]
			if len(subjects) == 0 {
				continue
			}
			slices.SortFunc(subjects, bySubject)
			c := Change{Check: id, Severity: severityOf(id), Status: st, Subjects: subjects}
			if len(subjects) > maxSubjects {
				c.Subjects, c.More = subjects[:maxSubjects], len(subjects)-maxSubjects
			}
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(x, y Change) int { return cmp.Compare(y.Severity.Rank(), x.Severity.Rank()) })
	return out
}

// bySubject orders AWS resource ids (vpc-…, vpce-…, rtb-…) before model
// names, each in byte order: the VPC-level subject first.
func bySubject(a, b string) int {
	return cmp.Or(cmp.Compare(rankSubject(a), rankSubject(b)), cmp.Compare(a, b))
}

func rankSubject(s string) int {
	prefix, id, ok := strings.Cut(s, "-")
	if ok && len(id) >= 8 && len(id) <= 17 && strings.Trim(id, "0123456789abcdef") == "" &&
		strings.Trim(prefix, "abcdefghijklmnopqrstuvwxyz") == "" {
		return 0
	}
	return 1
}

// Digest limits: SNS takes subjects under 100 ASCII characters and
// messages up to 256 KB; the digest stays far below.
const (
	maxSubject     = 99
	maxDigestLines = 400
	maxLineBytes   = 600
)

// Render writes the digest of sum: subject and plain-text body.
func Render(sum *Summary) Digest {
	return Digest{Subject: subject(sum), Body: body(sum)}
}

func subject(sum *Summary) string {
	sev := "OK"
	if s := digestSeverity(sum.Findings, sum.Health); s != "" && s != report.SeverityInfo {
		sev = strings.ToUpper(string(s))
	}
	where := strings.TrimSpace(sum.Sweep.Account + " " + sum.Sweep.Region)
	s := fmt.Sprintf("[vpcguard] %s sweep %s: %s", sev, where, plural(sum.Findings.Total, "finding", "findings"))
	if h := healthSubject(sum.Health); h != "" {
		s = fmt.Sprintf("[vpcguard] %s sweep %s: %s; %s", sev, where, h, plural(sum.Findings.Total, "finding", "findings"))
	}
	if sum.Findings.Total > 0 {
		s += fmt.Sprintf(" in %d of %s", sum.Findings.VPCs, plural(sum.VPCs, "VPC", "VPCs"))
	}
	if !sum.Coverage.PassComplete {
		s += " (partial)"
	}
	return clipASCII(s, maxSubject)
}

func body(sum *Summary) string {
	var w lines
	c := sum.Coverage
	healthAtTop(&w, sum.Health)
	w.add("vpcguard sweep of account %s in %s (%s mode)", or(sum.Sweep.Account, "unknown"), or(sum.Sweep.Region, "unknown"), sum.Mode)
	w.add("Run %s started %s and took %s.", sum.Sweep.ID, sum.Started.Format(time.RFC3339), seconds(sum.Elapsed))
	w.add("")

	w.add("COVERAGE")
	switch {
	case c.PassComplete && c.ResumedAfter == "":
		w.add("  Every model of the account evaluated: %s in %s, %s in service.", commas(c.ModelsEvaluated),
			plural(sum.VPCs, "VPC", "VPCs"), plural(sum.Endpoints.InService, "endpoint", "endpoints"))
	case c.PassComplete:
		w.add("  This run completed the pass started %s (run %d of it): it evaluated the last %s, after %s.",
			c.Pass.Started.Format(time.RFC3339), c.Pass.Runs, plural(c.ModelsEvaluated, "model", "models"), c.ResumedAfter)
		w.add("  The pass evaluated %s in all; the account has %s now.", plural(c.Pass.ModelsEvaluated, "model", "models"), commas(c.ModelsListed))
	default:
		w.add("  PARTIAL: this run evaluated %s of the account's %s (%s), then stopped: %s.",
			commas(c.ModelsEvaluated), commas(c.ModelsListed), modelRange(c), or(c.Stopped, "see the notes"))
		if c.ResumedAfter != "" {
			w.add("  It continued the pass started %s (run %d of it) after %s.", c.Pass.Started.Format(time.RFC3339), c.Pass.Runs, c.ResumedAfter)
		}
		w.add("  %s of this pass remain.", plural(c.ModelsRemaining, "model", "models"))
		switch {
		case sum.Changes == nil:
			w.add("  No state is kept, so the next run starts again from the first model.")
		case c.Cursor != "":
			w.add("  The next run continues after %s.", c.Cursor)
		default:
			w.add("  The next run starts again where this one started.")
		}
	}
	w.add("")

	findingsSection(&w, sum.Findings, "  (FAIL and UNKNOWN count VPCs; info checks inform and are not counted above)")
	w.add("")

	exemptSection(&w, sum)

	if len(sum.Offenders) > 0 {
		w.add("TOP OFFENDERS")
		for i, o := range sum.Offenders {
			what := o.Resource.ID
			if o.Resource.Type == ResourceAccount {
				what = "models outside any known VPC"
			}
			parts := []string{}
			if len(o.Failing) > 0 {
				parts = append(parts, "failing "+strings.Join(o.Failing, ", "))
			}
			if len(o.Unknown) > 0 {
				parts = append(parts, "unverified "+strings.Join(o.Unknown, ", "))
			}
			w.add("  %2d. %s (%s, %s): %s", i+1, what, plural(o.Models, "model", "models"), o.Highest, strings.Join(parts, "; "))
		}
		w.add("")
	}

	w.add("CHANGES")
	ch := sum.Changes
	switch {
	case ch == nil:
		w.add("  Not tracked: %s.", sum.State)
	case ch.FirstPass:
		w.add("  No earlier pass to compare with: changes are reported from the next completed pass on.")
	default:
		since := "the previous pass"
		if ch.Since != nil {
			since += " (finished " + ch.Since.Format(time.RFC3339) + ")"
		}
		w.add("  Since %s:", since)
		changeList(&w, "New", ch.New)
		if ch.ResolvedPending {
			w.add("  Resolved: reported when this pass completes.")
		} else {
			changeList(&w, "Resolved", ch.Resolved)
		}
	}
	w.add("")

	remediationSection(&w, sum.Mode, sum.Actions, ". Each action is an EventBridge event with its details when a bus is configured.")
	w.add("")

	api := sum.API
	w.add("AWS CALLS: %s, %s throttled and retried.", commas(api.Total), commas(api.Throttled))
	topOperations(&w, api, 40)
	if sum.Placement != "" {
		w.add("")
		w.add("PLACEMENT INDEX: %s.", sum.Placement)
	}
	healthAtEnd(&w, sum.Health)
	notesSection(&w, sum.Notes)
	w.add("")
	w.add("Each failing check of each VPC is also a \"vpcguard Finding\" event when VPCGUARD_EVENT_BUS is set;")
	w.add("run the sweep locally (go run ./functions/sweep -results) for every resource by name.")
	return w.String()
}

// remediationSection writes the REMEDIATION block: the actions by status
// (applied, planned, skipped, failed), ending with tail.
func remediationSection(w *lines, mode report.Mode, actions map[report.ActionStatus]int, tail string) {
	w.add("REMEDIATION (%s mode)", mode)
	if len(actions) == 0 {
		w.add("  Nothing to repair.")
		return
	}
	var parts []string
	for _, s := range []report.ActionStatus{report.ActionApplied, report.ActionPlanned, report.ActionSkipped, report.ActionFailed} {
		if n := actions[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	w.add("  %s%s", strings.Join(parts, ", "), tail)
}

// topOperations lists the 8 operations with the most calls, the most
// first, their names padded to width.
func topOperations(w *lines, api CallStats, width int) {
	ops := slices.SortedFunc(maps.Keys(api.ByOperation), func(a, b string) int {
		return cmp.Or(cmp.Compare(api.ByOperation[b], api.ByOperation[a]), cmp.Compare(a, b))
	})
	for _, op := range ops[:min(8, len(ops))] {
		w.add("  %-*s %8s", width, op, commas(api.ByOperation[op]))
	}
}

// notesSection writes the NOTES block, when there are notes.
func notesSection(w *lines, notes []string) {
	if len(notes) == 0 {
		return
	}
	w.add("")
	w.add("NOTES")
	for _, n := range notes {
		w.add("  - %s", n)
	}
}

// findingsSection writes the FINDINGS block: the total, the counts by
// severity, and the table by check, followed by note when there is one.
func findingsSection(w *lines, f FindingCounts, note string) {
	w.add("FINDINGS: %s (failing or unverified checks, counted once per VPC)", commas(f.Total))
	var sev []string
	for _, s := range []report.Severity{report.SeverityCritical, report.SeverityHigh, report.SeverityMedium, report.SeverityLow} {
		sev = append(sev, fmt.Sprintf("%s %d", s, f.BySeverity[s]))
	}
	w.add("  %s; %d failing, %d could not be verified.", strings.Join(sev, ", "), f.Failed, f.Unknown)
	if len(f.ByCheck) > 0 {
		w.add("")
		w.add("  %-32s %-8s %6s %8s %8s", "CHECK", "SEVERITY", "FAIL", "UNKNOWN", "MODELS")
		for _, cc := range f.ByCheck {
			w.add("  %-32s %-8s %6d %8d %8s", cc.ID, cc.Severity, cc.Fail, cc.Unknown, commas(cc.Models))
		}
		if note != "" {
			w.add("%s", note)
		}
	}
}

func changeList(w *lines, label string, list []Change) {
	if len(list) == 0 {
		w.add("  %s: none.", label)
		return
	}
	n := 0
	for _, c := range list {
		n += len(c.Subjects) + c.More
	}
	w.add("  %s: %s", label, plural(n, "finding", "findings"))
	for i, c := range list {
		if i == 20 {
			w.add("    … and %d more checks", len(list)-20)
			break
		}
		shown := c.Subjects[:min(8, len(c.Subjects))]
		more := len(c.Subjects) - len(shown) + c.More
		s := strings.Join(shown, ", ")
		if more > 0 {
			s += fmt.Sprintf(" (+%d)", more)
		}
		verb := "failing"
		if c.Status == report.StatusUnknown {
			verb = "unverified"
		}
		w.add("    %s (%s, %s): %s", c.Check, c.Severity, verb, s)
	}
}

func modelRange(c Coverage) string {
	if c.ModelsEvaluated == 0 {
		return "none"
	}
	return c.First + " … " + c.Last
}

// lines builds a bounded plain-text body; every line is one line of valid
// printable text.
type lines struct {
	b strings.Builder
	n int
}

func (w *lines) add(format string, args ...any) {
	if w.n >= maxDigestLines {
		return
	}
	w.n++
	s := fmt.Sprintf(format, args...)
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' || (r < 0x20 && r >= 0) || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if len(s) > maxLineBytes {
		s = strings.ToValidUTF8(s[:maxLineBytes], "") + "…"
	}
	if w.n == maxDigestLines {
		s = "[digest shortened]"
	}
	w.b.WriteString(s)
	w.b.WriteByte('\n')
}

func (w *lines) String() string { return w.b.String() }

// clipASCII keeps printable ASCII (others become ?) and at most n bytes.
func clipASCII(s string, n int) string {
	b := []byte(strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s))
	if len(b) > n {
		b = b[:n]
	}
	return strings.TrimSpace(string(b))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return commas(n) + " " + many
}

// commas writes n with thousands separators: 10,000.
func commas(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

func seconds(ms int64) string { return strconv.FormatFloat(float64(ms)/1000, 'f', 1, 64) + " s" }

func or(s, fallback string) string { return cmp.Or(s, fallback) }
