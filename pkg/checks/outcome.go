package checks

import (
	"fmt"
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
		return 3
	case report.StatusUnknown:
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
	var o Outcome
	o.Status = worst
	var msgs, fixes []string
	for _, f := range fs {
		if !shown(f) {
			continue
		}
		for _, r := range f.resources {
			if !slices.Contains(o.Resources, r) {
				o.Resources = append(o.Resources, r)
			}
		}
		if f.message != "" && !slices.Contains(msgs, f.message) {
			msgs = append(msgs, f.message)
		}
		if f.fix != "" && !slices.Contains(fixes, f.fix) {
			fixes = append(fixes, f.fix)
		}
	}
	o.Message = strings.Join(msgs, "; ")
	o.Remediation = strings.Join(fixes, "\n")
	return o
}

// vpcGroup is the models placed in one VPC.
type vpcGroup struct {
	id     string
	vpc    *inventory.VPC
	models []inventory.Model
}

func (g vpcGroup) modelNames() string {
	names := make([]string, len(g.models))
	for i, m := range g.models {
		names[i] = m.Name
	}
	return strings.Join(names, ", ")
}

// scope sorts the snapshot's models by VPC. Models without a VpcConfig are
// left out (model-in-vpc reports them); a model whose VPC cannot be told
// yields an unknown finding. The trigger endpoint's VPC is included even
// with no model in it, so that its own policy is checked.
func scope(s *inventory.Snapshot) (groups []vpcGroup, undetermined []finding) {
	index := map[string]int{}
	add := func(id string) int {
		if i, ok := index[id]; ok {
			return i
		}
		index[id] = len(groups)
		groups = append(groups, vpcGroup{id: id, vpc: s.VPCs[id]})
		return len(groups) - 1
	}
	for _, m := range s.Models {
		if m.VPCConfig == nil {
			continue
		}
		id := s.ModelVPC(m)
		if id == "" || s.VPCs[id] == nil {
			if !s.Subnets.OK() {
				undetermined = append(undetermined, unknown("the VPC of model "+m.Name, s.Subnets.Err, m.Name))
			} else {
				undetermined = append(undetermined, unknown("the VPC of model "+m.Name,
					fmt.Errorf("none of its subnets %s exists", strings.Join(m.VPCConfig.SubnetIDs, ", ")), m.Name))
			}
			continue
		}
		i := add(id)
		groups[i].models = append(groups[i].models, m)
	}
	if t := s.Trigger; t != nil && t.VPCID != "" && s.VPCs[t.VPCID] != nil {
		add(t.VPCID)
	}
	return groups, undetermined
}

// modelFindings applies per to every model, or reports that none exists.
func modelFindings(s *inventory.Snapshot, per func(inventory.Model) finding) []finding {
	var fs []finding
	for _, name := range sortedKeys(s.ModelErrs) {
		fs = append(fs, unknown(name, s.ModelErrs[name], name))
	}
	for _, m := range s.Models {
		fs = append(fs, per(m))
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
