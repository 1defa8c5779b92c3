package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// The body's account of remediation: under each failing check, what
// vpcguard did about it; then, per action, the exact call, the state before
// and after, the verification and the policy change.

// fixes maps each remediation action to the checks it repairs, for actions
// whose detail does not name its check.
var fixes = map[string][]string{
	report.ActionCreateS3GatewayEndpoint: {checks.S3EndpointPresent},
	report.ActionAssociateRouteTables:    {checks.S3EndpointRoutes},
	report.ActionAddALRepoDeny:           {checks.S3EndpointDeniesALRepos},
}

// repairsOf lists the checks action a repairs: its detail's "check", else
// the catalogue's.
func repairsOf(a report.Action) []string {
	if id, ok := a.Detail["check"].(string); ok && id != "" {
		return []string{id}
	}
	return fixes[a.ID]
}

// repairedBy reports whether an applied action repairs check id.
func repairedBy(r report.Result, id string) bool {
	for _, a := range r.Actions {
		if a.Status == report.ActionApplied && slices.Contains(repairsOf(a), id) {
			return true
		}
	}
	return false
}

// repairedPassing lists the checks that applied actions repaired and that
// are not among failing (they pass on the state the result evaluated).
func repairedPassing(r report.Result, failing []report.Check) []string {
	var out []string
	for _, a := range r.Actions {
		if a.Status != report.ActionApplied {
			continue
		}
		for _, id := range repairsOf(a) {
			id = textLine(id, 64)
			if !slices.ContainsFunc(failing, func(c report.Check) bool { return c.ID == id }) && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// repairs says, under a failing check, what vpcguard did about it.
func repairs(w *writer, r report.Result, id string) {
	for _, a := range r.Actions {
		if !slices.Contains(repairsOf(a), id) {
			continue
		}
		name := textLine(a.ID, 64)
		switch a.Status {
		case report.ActionApplied:
			w.linef("   vpcguard repaired this: %s was applied and verified (details below).", name)
		case report.ActionPlanned:
			w.linef("   vpcguard would repair this in remediate mode: %s (details below).", name)
		case report.ActionFailed:
			w.linef("   vpcguard tried to repair this and FAILED: %s (details below).", name)
		case report.ActionSkipped:
			w.linef("   vpcguard did not repair this: %s was skipped (reason below).", name)
		}
	}
}

func actions(w *writer, r report.Result, l limits) {
	if len(r.Actions) == 0 {
		return
	}
	allPlanned, wrote := true, false
	for _, a := range r.Actions {
		allPlanned = allPlanned && a.Status == report.ActionPlanned
		wrote = wrote || a.Status == report.ActionApplied || a.Status == report.ActionFailed
	}
	switch {
	case allPlanned:
		w.line("WHAT VPCGUARD WOULD DO (in remediate mode; nothing was changed)")
	case !wrote:
		w.line("WHAT VPCGUARD DID NOT DO (nothing was changed)")
	default:
		w.line("WHAT VPCGUARD DID")
	}
	w.line()
	for i, a := range r.Actions {
		if i == l.actions {
			w.linef("… and %s more actions", commas(len(r.Actions)-i))
			w.line()
			break
		}
		w.linef("%d. %s: %s", i+1, textLine(a.ID, 64), strings.ToUpper(textLine(string(a.Status), 32)))
		if ids := repairsOf(a); len(ids) > 0 {
			w.line("   Repairs: ", textLine(strings.Join(ids, ", "), l.text))
		}
		if len(a.Resources) > 0 {
			w.line("   Resources: ", strings.Join(clipList(a.Resources, l), ", "))
		}
		detail(w, r.Event.Region, a.Status, a.Detail, l)
		w.line()
	}
}

// detail renders an action's detail (the keys pkg/remediate writes): why
// it was skipped or failed, the API call and its parameters, the state
// before and after, the verification, the policy diff and the new policy,
// then any other key.
func detail(w *writer, region string, status report.ActionStatus, d map[string]any, l limits) {
	multi := func(label string, v any) {
		indent := strings.Repeat(" ", len(label))
		for j, line := range textLines(fmt.Sprint(v), l.lines, l.text) {
			if j == 0 {
				w.line("   ", label, line)
			} else {
				w.line("   ", indent, line)
			}
		}
	}
	if v, ok := d["reason"]; ok {
		multi("Reason: ", v)
	}
	if v, ok := d["error"]; ok {
		multi("Error: ", v)
	}
	if v, ok := d["api"]; ok {
		w.line("   API call: ", scalar(v, l))
	}
	newPolicy, _ := d["new_policy"].(string)
	if v, ok := d["params"]; ok {
		// The policy document is shown once, indented, below.
		if p, ok := v.(map[string]any); ok && newPolicy != "" && p["PolicyDocument"] == newPolicy {
			p = maps.Clone(p)
			p["PolicyDocument"] = "(the new policy below)"
			v = p
		}
		w.line("   Parameters: ", jsonWhole(v, l, "actions[].detail.params"))
	}
	if v, ok := d["before"]; ok {
		w.line("   Before: ", jsonWhole(v, l, "actions[].detail.before"))
	}
	if v, ok := d["after"]; ok {
		if status == report.ActionApplied {
			w.line("   After:  ", jsonWhole(v, l, "actions[].detail.after"))
		} else {
			w.line("   Intended: ", jsonWhole(v, l, "actions[].detail.after"))
		}
	}
	if v, ok := d["verified"]; ok {
		w.line("   Verified: ", verified(v, l))
	}
	if after, ok := d["after"].(map[string]any); ok && d["api"] == "CreateVpcEndpoint" {
		if id, ok := after["vpc_endpoint_id"].(string); ok && id != "" {
			if link := idLink(region, id); link != "" {
				w.line("   Created: ", id, "  ", link)
			} else {
				w.line("   Created: ", textLine(id, l.text))
			}
		}
	}
	if v, ok := d["diff"].(string); ok && v != "" {
		w.line("   Policy change:")
		for _, line := range textLines(v, l.lines, l.text) {
			w.line("     ", line)
		}
	}
	if v, ok := d["new_policy"]; ok {
		label := "New policy"
		switch status {
		case report.ActionPlanned:
			label = "Policy it would set"
		case report.ActionFailed, report.ActionSkipped:
			label = "Policy it meant to set"
		}
		policy(w, label, v, l)
	}
	if _, ok := d["old_policy"]; ok {
		w.line("   The previous policy is kept in the result (actions[].detail.old_policy).")
	}
	undo(w, d, l)
	var keys []string
	for k := range d {
		switch k {
		case "check", "reason", "error", "error_code", "api", "params", "before", "after", "verified",
			"diff", "new_policy", "old_policy", "undo", "ledger_entry":
		default:
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i == l.list {
			w.linef("   … and %s more details", commas(len(keys)-i))
			break
		}
		w.line("   ", textLine(k, 64), ": ", scalar(d[k], l))
	}
}

// undo shows how to take a written action back: the ledger entry and the
// exact command, or why vpcguard cannot ("undo" detail of pkg/remediate).
func undo(w *writer, d map[string]any, l limits) {
	u, ok := d["undo"].(map[string]any)
	if !ok {
		return
	}
	if id, ok := u["ledger_entry"].(string); ok && id != "" {
		w.line("   Ledger entry: ", textLine(id, 64))
	}
	if cmd, ok := u["command"].(string); ok && cmd != "" {
		w.line("   Undo: ", textLine(cmd, len(cmd)+1))
	}
	if note, ok := u["note"].(string); ok && note != "" {
		w.line("         ", textLine(note, l.text))
	}
}

// verified reads the "verified" detail, {"passed","attempts","checks":
// [{"check","status","message"}]}: "yes, the state re-read after the change
// passes s3-endpoint-present, s3-endpoint-routes". Another shape is shown as
// JSON.
func verified(v any, l limits) string {
	m, ok := v.(map[string]any)
	list, okList := m["checks"].([]any)
	if !ok || !okList {
		return jsonWhole(v, l, "actions[].detail.verified")
	}
	var passing, other []string
	for i, c := range list {
		if i == l.list {
			other = append(other, fmt.Sprintf("… and %s more", commas(len(list)-i)))
			break
		}
		cm, _ := c.(map[string]any)
		id := textLine(fmt.Sprint(cm["check"]), 64)
		if st, _ := cm["status"].(string); st == string(report.StatusPass) {
			passing = append(passing, id)
		} else {
			other = append(other, fmt.Sprintf("%s is %s (%s)", id, textLine(st, 32), textLine(fmt.Sprint(cm["message"]), l.text)))
		}
	}
	reads := ""
	if n, ok := m["attempts"]; ok && fmt.Sprint(n) != "1" {
		reads = fmt.Sprintf(" (after %s re-reads)", textLine(fmt.Sprint(n), 16))
	}
	if m["passed"] == true {
		return "yes, the state re-read after the change passes " + strings.Join(append(passing, other...), ", ") + reads
	}
	return "NO, the state re-read after the change still fails: " + strings.Join(append(other, passing...), "; ") + reads
}

// policy shows a policy document indented, whole, or says where it is.
func policy(w *writer, label string, v any, l limits) {
	var raw []byte
	switch p := v.(type) {
	case string:
		raw = []byte(p)
	default:
		raw, _ = json.Marshal(p)
	}
	var pretty bytes.Buffer
	if len(raw) > 0 && len(raw) <= l.json && json.Indent(&pretty, raw, "", "  ") == nil {
		w.line("   ", label, ":")
		for _, line := range strings.Split(pretty.String(), "\n") {
			w.line("     ", textLine(line, len(line)+1))
		}
		return
	}
	w.linef("   %s: %s bytes, not shown here (see actions[].detail.new_policy in the result).", label, commas(len(raw)))
}

// scalar shows a detail value on one line.
func scalar(v any, l limits) string {
	if s, ok := v.(string); ok {
		return textLine(s, l.text)
	}
	return jsonWhole(v, l, "actions[].detail")
}

// jsonWhole shows v as compact JSON when it fits in l.json, and otherwise
// says how large it is and where to find it: JSON is never cut.
func jsonWhole(v any, l limits, where string) string {
	if s, ok := v.(string); ok {
		if len(s) <= l.json || len(s) <= l.text {
			return textLine(s, len(s)+1)
		}
		return fmt.Sprintf("(%s bytes, not shown here; see %s in the result)", commas(len(s)), where)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "(not representable as JSON)"
	}
	s := strings.TrimSpace(b.String())
	if len(s) > l.json {
		return fmt.Sprintf("(%s bytes of JSON, not shown here; see %s in the result)", commas(len(s)), where)
	}
	// JSON escapes control characters already; textLine escapes the bidi
	// and format characters it leaves, which keeps the JSON valid.
	return textLine(s, len(s)+1)
}
