package notify

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// MaxBody is the largest body vpcguard sends. Amazon SNS accepts 256 KiB
// (262,144 bytes) per message, subject and attributes included; the rest is
// headroom for those.
const MaxBody = 250_000

// Email is one SNS message: an email subject, a plain-text body and the
// message attributes that subscription filter policies match on.
type Email struct {
	Subject    string
	Body       string
	Attributes map[string]snstypes.MessageAttributeValue
}

// RenderEmail renders the notification for r. It is pure: the same result
// always gives the same email.
func RenderEmail(r report.Result) Email {
	return Email{Subject: Subject(r), Body: Body(r), Attributes: Attributes(r)}
}

// Preview is the email for r as an email client shows it: the subject line,
// a blank line, then the body (Amazon SNS appends its own unsubscribe
// footer). For a result that sends no email under the default configuration
// it says why in one line.
func Preview(r report.Result) string {
	switch {
	case r.Skipped != "":
		return "(no email: the event was skipped: " + textLine(r.Skipped, 500) + ")\n"
	case !ShouldNotify(r, false):
		return "(no email: " + textLine(subjectResource(r), 200) +
			" is compliant; set VPCGUARD_NOTIFY_COMPLIANT=true to be told about compliant events too)\n"
	}
	e := RenderEmail(r)
	return "Subject: " + e.Subject + "\n\n" + e.Body
}

// ShouldNotify reports whether r deserves a message: a failing or unknown
// check (above info severity) or a planned, applied or failed action — or,
// with notifyCompliant, any evaluated event. Skipped events never notify.
func ShouldNotify(r report.Result, notifyCompliant bool) bool {
	if r.Skipped != "" {
		return false
	}
	return notifyCompliant || len(r.Failing()) > 0 || mostSignificantAction(r) != ""
}

// limits bound every list and value in the body. Body renders with the most
// generous limits that fit in MaxBody.
type limits struct {
	text    int // bytes of one value (a name, a message)
	list    int // items of one list (resources, detail keys)
	lines   int // lines of one multi-line text (a remediation, a diff)
	checks  int // failing checks (and notes) shown in full
	actions int // actions shown in full
	json    int // bytes of a JSON value shown whole; a larger one is described, never cut
	passing int // passing and not-applicable checks listed by name
}

var levels = []limits{
	{text: 2000, list: 50, lines: 400, checks: 100, actions: 50, json: 20 << 10, passing: 100},
	{text: 500, list: 10, lines: 100, checks: 30, actions: 20, json: 2 << 10, passing: 30},
	{text: 200, list: 3, lines: 20, checks: 10, actions: 10, json: 0, passing: 0},
}

// Body is the plain-text email body for r: what happened, each failing check
// with its resources, why it matters and how to fix it, what vpcguard did,
// and the passing checks. It is valid UTF-8 and at most MaxBody bytes: long
// lists are summarised ("… and 1,234 more") and JSON is shown whole or not
// at all.
func Body(r report.Result) string {
	for _, l := range levels {
		if w := renderBody(r, l); !w.over {
			return w.b.String()
		}
	}
	// The last level is bounded far below MaxBody; this is a safety net that
	// cuts at a line break.
	b := renderBody(r, levels[len(levels)-1]).b.String()
	const note = "\n[vpcguard shortened this message to fit the size limit of Amazon SNS]\n"
	b = clipUTF8(b, MaxBody-len(note))
	if i := strings.LastIndexByte(b, '\n'); i > 0 {
		b = b[:i]
	}
	return b + note
}

// writer builds the body and notes when it outgrows MaxBody.
type writer struct {
	b    strings.Builder
	over bool
}

func (w *writer) line(parts ...string) {
	if w.over {
		return
	}
	for _, p := range parts {
		w.b.WriteString(p)
	}
	w.b.WriteByte('\n')
	w.over = w.b.Len() > MaxBody
}

func (w *writer) linef(format string, args ...any) { w.line(fmt.Sprintf(format, args...)) }

func renderBody(r report.Result, l limits) *writer {
	w := &writer{}
	failing := sortedFailing(r)
	intro(w, r, failing, l)
	whatHappened(w, r, l)
	failingChecks(w, r, failing, l)
	notes(w, r, l)
	exemptChecks(w, r, l)
	actions(w, r, l)
	others(w, r, l)
	footer(w)
	return w
}

// resourceWords is "SageMaker model fraud-v3" for the body.
func resourceWords(r report.Result, l limits) string {
	if r.Resource == nil {
		return "the resources of event " + textLine(r.Event.Name, l.text)
	}
	kind := map[string]string{
		"model":           "SageMaker model",
		"endpoint-config": "SageMaker endpoint configuration",
		"endpoint":        "SageMaker endpoint",
		"vpc-endpoint":    "VPC endpoint",
		"account":         "account",
	}[r.Resource.Type]
	if kind == "" {
		kind = textLine(r.Resource.Type, 64)
	}
	return strings.TrimSpace(kind + " " + textLine(r.Resource.ID, l.text))
}

func intro(w *writer, r report.Result, failing []report.Check, l limits) {
	var nFail, nUnknown int
	for _, c := range failing {
		if c.Status == report.StatusFail {
			nFail++
		} else {
			nUnknown++
		}
	}
	what := resourceWords(r, l)
	switch {
	case nFail > 0 && nUnknown > 0:
		w.linef("vpcguard found %s with %s and could not verify %s.",
			plural(nFail, "problem", "problems"), what, plural(nUnknown, "more check", "more checks"))
	case nFail > 0:
		w.linef("vpcguard found %s with %s.", plural(nFail, "problem", "problems"), what)
	case nUnknown > 0:
		w.linef("vpcguard could not verify %s of %s.", plural(nUnknown, "check", "checks"), what)
	default:
		w.linef("%s passes every vpcguard check that applies to it.", what)
	}
	repaired := 0
	for _, c := range failing {
		if repairedBy(r, c.ID) {
			repaired++
		}
	}
	switch mostSignificantAction(r) {
	case report.ActionFailed:
		w.line("A repair FAILED: see WHAT VPCGUARD DID below. The problem is still there.")
	case report.ActionApplied:
		// Repairs whose check no longer fails: an earlier delivery of the
		// event repaired it, and this one evaluated the repaired state.
		passing := repairedPassing(r, failing)
		switch {
		case len(failing) > 0 && repaired == len(failing) && repaired == 1:
			w.line("vpcguard repaired it.")
		case len(failing) > 0 && repaired == len(failing):
			w.line("vpcguard repaired all of them.")
		case len(passing) > 0 && len(failing) == 0:
			w.linef("vpcguard repaired %s: the state re-read after the repair passes.", strings.Join(passing, ", "))
		case len(passing) > 0 && repaired == 0:
			w.linef("vpcguard repaired %s, which now passes; the problems below need you.", strings.Join(passing, ", "))
		default:
			w.linef("vpcguard repaired %d of them; the rest need you.", repaired)
		}
	case report.ActionPlanned:
		w.line("vpcguard runs in report mode and changed nothing; below is what it would do in remediate mode.")
	default:
		if len(failing) > 0 {
			w.line("vpcguard changed nothing: the fixes below are yours to apply.")
		}
	}
	w.line()
}

func whatHappened(w *writer, r report.Result, l limits) {
	e := r.Event
	w.line("WHAT HAPPENED")
	field := func(label, value string) {
		if value != "" {
			w.line("  ", label, textLine(value, l.text))
		}
	}
	event := textLine(e.Name, l.text)
	if e.Source != "" {
		event += " (" + textLine(e.Source, l.text) + ")"
	}
	if strings.TrimSpace(event) == "" {
		event = "unknown"
	}
	w.line("  Event:    ", event)
	field("Who:      ", e.Actor)
	field("When:     ", e.Time)
	field("Account:  ", e.Account)
	field("Region:   ", e.Region)
	if r.Resource != nil {
		w.line("  Resource: ", resourceWords(r, l))
		if link := resourceLink(e.Region, r.Resource.Type, r.Resource.ID); link != "" {
			w.line("            ", link)
		} else if link := idLink(e.Region, r.Resource.ID); link != "" {
			w.line("            ", link)
		}
	}
	switch r.Mode {
	case report.ModeRemediate:
		w.line("  Mode:     remediate (vpcguard repairs what it is allowed to)")
	case report.ModeReport, "":
		w.line("  Mode:     report (vpcguard reads, never writes)")
	default:
		w.line("  Mode:     ", textLine(string(r.Mode), 64))
	}
	field("Event ID: ", e.ID)
	w.line()
}

// groupFailing puts the failing checks in blocks: one per failed check, and
// one per set of unknown checks that share their message and fix (one
// AccessDenied usually leaves several checks unverified for one reason).
func groupFailing(failing []report.Check) [][]report.Check {
	var groups [][]report.Check
	index := map[[2]string]int{}
	for _, c := range failing {
		if c.Status != report.StatusUnknown {
			groups = append(groups, []report.Check{c})
			continue
		}
		key := [2]string{c.Message, c.Remediation}
		if i, ok := index[key]; ok {
			groups[i] = append(groups[i], c)
			continue
		}
		index[key] = len(groups)
		groups = append(groups, []report.Check{c})
	}
	return groups
}

func failingChecks(w *writer, r report.Result, failing []report.Check, l limits) {
	if len(failing) == 0 {
		return
	}
	w.linef("FAILING CHECKS (%s)", commas(len(failing)))
	w.line()
	shown := 0
	groups := groupFailing(failing)
	for i, group := range groups {
		if shown >= l.checks {
			var rest []report.Check
			for _, g := range groups[i:] {
				rest = append(rest, g...)
			}
			w.linef("… and %s more: %s", plural(len(rest), "check", "checks"), idList(rest, l))
			w.line()
			break
		}
		shown += len(group)
		c := group[0]
		sev := strings.ToUpper(textLine(string(c.Severity), 16))
		if c.Status == report.StatusUnknown {
			unknownBlock(w, r, i+1, group, l)
			continue
		}
		def, known := checks.Lookup(c.ID)
		title := textLine(c.ID, 64)
		if known {
			title = def.Title
		}
		w.linef("%d. [%s] FAILED: %s (%s)", i+1, sev, title, textLine(c.ID, 64))
		w.line("   Found: ", textLine(c.Message, l.text))
		resources(w, r, c.Resources, l)
		if known && def.Guideline != "" {
			w.line("   Why it matters: ", def.Guideline)
		}
		controlsLine(w, "   ", c.ID)
		repairs(w, r, c.ID)
		if fix := textLines(c.Remediation, l.lines, l.text); len(fix) > 0 {
			if repairedBy(r, c.ID) {
				w.line("   How to fix by hand (for the record: vpcguard already did):")
			} else {
				w.line("   How to fix by hand:")
			}
			for _, f := range fix {
				w.line("     ", f)
			}
		}
		w.line()
	}
}

// unknownBlock explains checks that could not be verified for one reason.
func unknownBlock(w *writer, r report.Result, n int, group []report.Check, l limits) {
	c := group[0] // the most severe: groups keep sortedFailing's order
	sev := strings.ToUpper(textLine(string(c.Severity), 16))
	title := func(c report.Check) string {
		if def, ok := checks.Lookup(c.ID); ok {
			return def.Title
		}
		return textLine(c.ID, 64)
	}
	if len(group) == 1 {
		w.linef("%d. [%s] NOT VERIFIED: %s (%s)", n, sev, title(c), textLine(c.ID, 64))
		w.line("   vpcguard could not read the state this check needs, so it neither passed nor failed.")
	} else {
		w.linef("%d. [%s] NOT VERIFIED: %d checks, for one reason", n, sev, len(group))
		for j, g := range group {
			if j == l.list {
				w.linef("   … and %s more: %s", commas(len(group)-j), idList(group[j:], l))
				break
			}
			w.linef("   - %s (%s, %s)", title(g), textLine(g.ID, 64), textLine(string(g.Severity), 16))
		}
		w.line("   vpcguard could not read the state these checks need, so they neither passed nor failed.")
	}
	w.line("   Reason: ", textLine(c.Message, l.text))
	if p := missingPermission(c.Message); p != "" {
		w.line("   Missing permission (most likely): ", p)
	}
	var all []string
	for _, g := range group {
		for _, res := range g.Resources {
			if !slices.Contains(all, res) {
				all = append(all, res)
			}
		}
	}
	resources(w, r, all, l)
	if def, ok := checks.Lookup(c.ID); ok && len(group) == 1 {
		w.line("   Why it matters: ", def.Guideline)
		controlsLine(w, "   ", c.ID)
	} else if len(group) > 1 {
		w.line("   Why it matters:")
		for j, g := range group {
			if j == l.list {
				break
			}
			if def, ok := checks.Lookup(g.ID); ok {
				w.line("     - ", def.Guideline)
			}
		}
	}
	if fix := textLines(c.Remediation, l.lines, l.text); len(fix) > 0 {
		w.line("   How to fix:")
		for _, f := range fix {
			w.line("     ", f)
		}
	}
	w.line()
}

// resources lists a check's resources, each with its console link when it
// has one.
func resources(w *writer, r report.Result, list []string, l limits) {
	if len(list) == 0 {
		return
	}
	w.line("   Resources:")
	for i, res := range list {
		if i == l.list {
			w.linef("     … and %s more", commas(len(list)-i))
			break
		}
		link := idLink(r.Event.Region, res)
		if link == "" && r.Resource != nil && res == r.Resource.ID {
			link = resourceLink(r.Event.Region, r.Resource.Type, res)
		}
		if link != "" {
			w.line("     - ", textLine(res, l.text), "  ", link)
		} else {
			w.line("     - ", textLine(res, l.text))
		}
	}
}

var (
	permissionRE = regexp.MustCompile(`perform: ([a-z0-9-]+:[A-Za-z0-9]+)`)
	operationRE  = regexp.MustCompile(`operation error ([A-Za-z0-9 ]+): ([A-Za-z0-9]+)`)
)

// missingPermission names the IAM action an AccessDenied message is about:
// AWS's own text ("not authorized to perform: ec2:DescribeVpcEndpoints") or,
// failing that, the SDK's "operation error EC2: DescribeVpcEndpoints".
func missingPermission(msg string) string {
	if !accessDenied(msg) {
		return ""
	}
	if m := permissionRE.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	if m := operationRE.FindStringSubmatch(msg); m != nil {
		return strings.ToLower(strings.ReplaceAll(m[1], " ", "")) + ":" + m[2]
	}
	return ""
}

// notes lists the informational checks that did not pass: worth knowing,
// not counted as problems.
func notes(w *writer, r report.Result, l limits) {
	var info []report.Check
	for _, c := range r.Checks {
		if c.Severity == report.SeverityInfo && (c.Status == report.StatusFail || c.Status == report.StatusUnknown) {
			info = append(info, c)
		}
	}
	if len(info) == 0 {
		return
	}
	w.linef("NOTES (%s, informational: not counted as problems)", commas(len(info)))
	for i, c := range info {
		if i == l.checks {
			w.linef("  … and %s more: %s", commas(len(info)-i), idList(info[i:], l))
			break
		}
		if c.Status == report.StatusUnknown && slices.ContainsFunc(r.Failing(), func(f report.Check) bool { return f.Message == c.Message }) {
			w.line("  - ", textLine(c.ID, 64), ": not verified, for the reason given above")
			continue
		}
		prefix := ""
		if c.Status == report.StatusUnknown {
			prefix = "not verified: "
		}
		w.line("  - ", textLine(c.ID, 64), ": ", prefix, textLine(c.Message, l.text))
		for j, f := range textLines(c.Remediation, l.lines, l.text) {
			if j == 0 {
				w.line("    Fix: ", f)
			} else {
				w.line("         ", f)
			}
		}
		controlsLine(w, "    ", c.ID)
	}
	w.line()
}

// exemptChecks lists the checks a live exemption covers: not problems,
// never hidden. Each message names the exemption's resource, reason, owner
// and expiry.
func exemptChecks(w *writer, r report.Result, l limits) {
	ex := r.Exempt()
	if len(ex) == 0 {
		return
	}
	w.linef("EXEMPT (%s, accepted until their exemption expires: not counted as problems, not repaired)", commas(len(ex)))
	for i, c := range ex {
		if i == l.checks {
			w.linef("  … and %s more: %s", commas(len(ex)-i), idList(ex[i:], l))
			break
		}
		msg := c.Message
		if i := strings.Index(msg, "; exempt: "); i > 0 && len(c.Exemptions) > 0 {
			msg = msg[:i] // the exemptions follow, one a line
		}
		w.line("  - ", textLine(c.ID, 64), " [", strings.ToUpper(textLine(string(c.Severity), 16)), "]: ", textLine(msg, l.text))
		for j, e := range c.Exemptions {
			if j == l.list {
				break
			}
			w.line("    Exempted by ", textLine(e.Resource, l.text), " (tag ", textLine(e.Tag, 128), "): owner ", textLine(e.Owner, l.text),
				", until ", textLine(e.Expires, 16), ", reason: ", textLine(e.Reason, l.text))
		}
	}
	w.line()
}

// others lists the passing checks by title and the not-applicable ones by
// reason (checks that share a reason share a line).
func others(w *writer, r report.Result, l limits) {
	var pass, na []report.Check
	for _, c := range r.Checks {
		switch c.Status {
		case report.StatusPass:
			pass = append(pass, c)
		case report.StatusNotApplicable:
			na = append(na, c)
		}
	}
	if len(pass) > 0 {
		w.linef("PASSING CHECKS (%s)", commas(len(pass)))
		for i, c := range pass {
			if i == l.passing {
				w.linef("  … and %s more: %s", commas(len(pass)-i), idList(pass[i:], l))
				break
			}
			title := textLine(c.Message, min(l.text, 200))
			if def, ok := checks.Lookup(c.ID); ok {
				title = def.Title
			}
			w.line("  - ", textLine(c.ID, 64), ": ", title)
		}
		w.line()
	}
	if len(na) > 0 {
		w.linef("NOT APPLICABLE (%s)", commas(len(na)))
		var reasons []string
		byReason := map[string][]report.Check{}
		for _, c := range na {
			if _, seen := byReason[c.Message]; !seen {
				reasons = append(reasons, c.Message)
			}
			byReason[c.Message] = append(byReason[c.Message], c)
		}
		for i, reason := range reasons {
			if i == l.passing {
				var rest []report.Check
				for _, m := range reasons[i:] {
					rest = append(rest, byReason[m]...)
				}
				w.linef("  … and %s more: %s", commas(len(rest)), idList(rest, l))
				break
			}
			w.line("  - ", idList(byReason[reason], l), ": ", textLine(reason, min(l.text, 200)))
		}
		w.line()
	}
}

// idList is "a, b, c" for checks, or a count when even the IDs are too many.
func idList(cs []report.Check, l limits) string {
	if len(cs) > max(l.list, l.passing)*4 {
		return fmt.Sprintf("%s checks, IDs in the result", commas(len(cs)))
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = textLine(c.ID, 64)
	}
	return strings.Join(ids, ", ")
}

// clipList shows at most l.list items of list, then how many more.
func clipList(list []string, l limits) []string {
	var out []string
	for i, s := range list {
		if i == l.list {
			out = append(out, fmt.Sprintf("… and %s more", commas(len(list)-i)))
			break
		}
		out = append(out, textLine(s, l.text))
	}
	return out
}

func footer(w *writer) {
	w.line("--")
	w.line(`vpcguard checks SageMaker hosted models against the AWS guide "Give SageMaker Hosted Endpoints Access to Resources in Your Amazon VPC".`)
	w.line(`The full result is the function's JSON return value; machines receive each finding as an EventBridge event from source "vpcguard".`)
}
