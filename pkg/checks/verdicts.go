package checks

import (
	"strings"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// verdicts turns the findings a check's outcome was folded from into one
// verdict per subject. A finding's subjects are its resources of the
// check's subject type (an execution role, an artifact bucket), or else the
// model, VPC or endpoint the finding was made for. Findings about the same
// subject merge: the most urgent status wins, as in combine. Findings about
// nothing in particular ("no model is affected") give no verdict.
func verdicts(s *inventory.Snapshot, subject string, parts []finding) []report.Verdict {
	if len(parts) == 0 {
		return nil
	}
	kinds := classifier(s)
	var out []report.Verdict
	index := map[report.Ref]int{}
	for _, f := range parts {
		typed := make([]report.Ref, 0, len(f.resources)+1)
		for _, r := range f.resources {
			typed = append(typed, report.Ref{Type: kinds.kind(r, f.scope), ID: r})
		}
		var subjects []report.Ref
		if subject != "" && subject != f.scope.Type {
			for _, r := range typed {
				if r.Type == subject {
					subjects = append(subjects, r)
				}
			}
		}
		if len(subjects) == 0 && f.scope.ID != "" {
			subjects = []report.Ref{f.scope}
		}
		for _, subj := range subjects {
			related := relatedOf(subj, f.scope, typed)
			fix := ""
			if f.status == report.StatusFail || f.status == report.StatusUnknown {
				fix = f.fix
			}
			i, seen := index[subj]
			if !seen {
				index[subj] = len(out)
				out = append(out, report.Verdict{Subject: subj, Status: f.status, Message: f.message, Remediation: fix, Related: related})
				continue
			}
			out[i] = mergeVerdict(out[i], report.Verdict{Subject: subj, Status: f.status, Message: f.message, Remediation: fix, Related: related})
		}
	}
	return out
}

// relatedOf is every typed resource and the scope, once each, without the
// subject.
func relatedOf(subject, scope report.Ref, typed []report.Ref) []report.Ref {
	var out []report.Ref
	add := func(r report.Ref) {
		if r.ID == "" || r == subject {
			return
		}
		for _, o := range out {
			if o == r {
				return
			}
		}
		out = append(out, r)
	}
	add(scope)
	for _, r := range typed {
		add(r)
	}
	return out
}

// mergeVerdict folds b into a: the more urgent status wins; equal statuses
// keep both messages and fixes (each once); the related resources are
// united.
func mergeVerdict(a, b report.Verdict) report.Verdict {
	switch ra, rb := statusRank(a.Status), statusRank(b.Status); {
	case rb > ra:
		b.Related = relatedOf(b.Subject, report.Ref{}, append(b.Related, a.Related...))
		return b
	case rb < ra:
		a.Related = relatedOf(a.Subject, report.Ref{}, append(a.Related, b.Related...))
		return a
	}
	a.Message = joinOnce(a.Message, b.Message, "; ")
	a.Remediation = joinOnce(a.Remediation, b.Remediation, "\n")
	a.Related = relatedOf(a.Subject, report.Ref{}, append(a.Related, b.Related...))
	return a
}

func joinOnce(a, b, sep string) string {
	switch {
	case b == "" || a == b || strings.Contains(sep+a+sep, sep+b+sep):
		return a
	case a == "":
		return b
	}
	return a + sep + b
}

// kinds tells the type of a resource id from the snapshot it came from.
type kinds struct {
	s       *inventory.Snapshot
	models  map[string]bool
	network map[string]string // endpoint, route table and flow log ids → type
}

func classifier(s *inventory.Snapshot) kinds {
	k := kinds{s: s, models: map[string]bool{}, network: map[string]string{}}
	if s == nil {
		return k
	}
	for _, m := range s.Models {
		k.models[m.Name] = true
	}
	for name := range s.ModelErrs {
		k.models[name] = true
	}
	for _, v := range s.VPCs {
		if v == nil {
			continue
		}
		for _, e := range v.Endpoints.Value {
			k.network[e.ID] = report.ResourceVPCEndpoint
		}
		for _, rt := range v.RouteTables.Value {
			k.network[rt.ID] = report.ResourceRouteTable
		}
		for _, fl := range v.FlowLogs.Value {
			k.network[fl.ID] = report.ResourceFlowLog
		}
		if v.DefaultACL.OK() && v.DefaultACL.Value.ID != "" {
			k.network[v.DefaultACL.Value.ID] = report.ResourceNetworkACL
		}
	}
	for _, a := range s.SubnetACLs.Value {
		k.network[a.ID] = report.ResourceNetworkACL
	}
	if t := s.Trigger; t != nil {
		for _, id := range t.IDs {
			k.network[id] = report.ResourceVPCEndpoint
		}
	}
	return k
}

// kind is the type of id: first what the snapshot holds under that id (ids
// AWS assigns never collide), then the models, the artifact buckets, and
// last the id's own prefix, for ids the snapshot does not hold (a security
// group that does not exist, a deleted endpoint).
func (k kinds) kind(id string, scope report.Ref) string {
	if id == scope.ID && scope.Type != "" {
		return scope.Type
	}
	if s := k.s; s != nil {
		switch {
		case hasKey(s.Roles, id):
			return report.ResourceRole
		case hasKey(s.Subnets.Value, id):
			return report.ResourceSubnet
		case hasKey(s.SecurityGroups.Value, id):
			return report.ResourceSecurityGroup
		case hasKey(s.VPCs, id):
			return report.ResourceVPC
		}
	}
	if t, ok := k.network[id]; ok {
		return t
	}
	if k.models[id] {
		return report.ResourceModel
	}
	if k.s != nil && hasKey(k.s.Buckets, id) {
		return report.ResourceBucket
	}
	for _, p := range idPrefixes {
		if strings.HasPrefix(id, p.prefix) {
			return p.kind
		}
	}
	if strings.HasPrefix(id, "arn:") && strings.Contains(id, ":iam::") && strings.Contains(id, ":role/") {
		return report.ResourceRole
	}
	return report.ResourceOther
}

// idPrefixes are the prefixes of the ids EC2 assigns, longest first.
var idPrefixes = []struct{ prefix, kind string }{
	{"subnet-", report.ResourceSubnet},
	{"vpce-", report.ResourceVPCEndpoint},
	{"vpc-", report.ResourceVPC},
	{"rtb-", report.ResourceRouteTable},
	{"sg-", report.ResourceSecurityGroup},
	{"fl-", report.ResourceFlowLog},
	{"acl-", report.ResourceNetworkACL},
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}
