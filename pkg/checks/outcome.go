package checks

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// finding is one check's verdict on one model or one VPC; combine folds
// them into the check's Outcome.
type finding struct {
	status    report.Status
	resources []string
	message   string
	fix       string
	// scope is what the finding was made for: the model, VPC or S3
	// endpoint the check's helpers iterate over (see verdicts).
	scope report.Ref
}

// about stamps the finding with the resource it was made for.
func (f finding) about(typ, id string) finding {
	f.scope = report.Ref{Type: typ, ID: id}
	return f
}

func pass(msg string, resources ...string) finding {
	return finding{status: report.StatusPass, resources: resources, message: msg}
}

func fail(msg, fix string, resources ...string) finding {
	return finding{status: report.StatusFail, resources: resources, message: msg, fix: fix}
}

func notApplicable(msg string, resources ...string) finding {
	return finding{status: report.StatusNotApplicable, resources: resources, message: msg}
}

// unknown reports state that could not be read: never a pass, never a fail.
func unknown(what string, err error, resources ...string) finding {
	return finding{
		status:    report.StatusUnknown,
		resources: resources,
		message:   fmt.Sprintf("could not verify %s: %v", what, err),
		fix:       "Grant vpcguard's role the read permission named in the error, then re-run the check.",
	}
}

// statusRank orders statuses by how much they demand attention.
func statusRank(s report.Status) int {
	switch s {
	case report.StatusFail:
		return 4
	case report.StatusUnknown:
		return 3
	case report.StatusExempt: // above pass: what is exempt stays visible
		return 2
	case report.StatusPass:
		return 1
	}
	return 0
}

// combine folds findings into one outcome: the most urgent status wins, and
// the message and resources are those of the findings with that status (so
// a failing check names exactly what fails). Unknown findings stay visible
// beside failing ones.
func combine(fs []finding) Outcome {
	if len(fs) == 0 {
		return Outcome{Status: report.StatusNotApplicable, Message: "nothing to evaluate"}
	}
	worst := fs[0].status
	for _, f := range fs[1:] {
		if statusRank(f.status) > statusRank(worst) {
			worst = f.status
		}
	}
	shown := func(f finding) bool {
		return f.status == worst || (worst == report.StatusFail && f.status == report.StatusUnknown)
	}
	o := Outcome{Status: worst, findings: fs}
	var msgs, fixes []string
	seen := map[string]bool{} // resources, messages and fixes, each kept once in order
	once := func(kind, v string) bool {
		k := kind + "\x00" + v
		if v == "" || seen[k] {
			return false
		}
		seen[k] = true
		return true
	}
	for _, f := range fs {
		if !shown(f) {
			continue
		}
		for _, r := range f.resources {
			if once("r", r) {
				o.Resources = append(o.Resources, r)
			}
		}
		if once("m", f.message) {
			msgs = append(msgs, f.message)
		}
		if once("f", f.fix) {
			fixes = append(fixes, f.fix)
		}
	}
	o.Message = strings.Join(msgs, "; ")
	o.Remediation = strings.Join(fixes, "\n")
	return o
}

// scope sorts the snapshot's models by VPC (see inventory.Snapshot.ByVPC);
// a model whose VPC cannot be told yields an unknown finding.
func scope(s *inventory.Snapshot) (groups []inventory.VPCGroup, undetermined []finding) {
	groups, unplaced := s.ByVPC()
	for _, m := range unplaced {
		err := s.Subnets.Err
		if err == nil {
			err = fmt.Errorf("none of its subnets %s exists", strings.Join(m.VPCConfig.SubnetIDs, ", "))
		}
		undetermined = append(undetermined, unknown("the VPC of model "+m.Name, err, m.Name).about(report.ResourceModel, m.Name))
	}
	return groups, undetermined
}

// modelFindings applies per to every model, or reports that none exists.
func modelFindings(s *inventory.Snapshot, per func(inventory.Model) finding) []finding {
	var fs []finding
	for _, name := range slices.Sorted(maps.Keys(s.ModelErrs)) {
		fs = append(fs, unknown(name, s.ModelErrs[name], name).about(report.ResourceModel, name))
	}
	for _, m := range s.Models {
		fs = append(fs, per(m).about(report.ResourceModel, m.Name))
	}
	if len(fs) == 0 {
		fs = append(fs, notApplicable("no SageMaker model is affected"))
	}
	return fs
}

// inVPC wraps a per-model rule that only applies to models with a VpcConfig.
func inVPC(rule func(inventory.Model) finding) func(inventory.Model) finding {
	return func(m inventory.Model) finding {
		if m.VPCConfig == nil {
			return notApplicable("model "+m.Name+" has no VpcConfig", m.Name)
		}
		return rule(m)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// appendNew appends the values of vs not yet in list.
func appendNew(list []string, vs ...string) []string {
	for _, v := range vs {
		if v != "" && !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}
