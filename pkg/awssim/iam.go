package awssim

import (
	"fmt"
	"strconv"
	"strings"
)

// IAM and STS speak the AWS query protocol: form parameters in, XML with an
// <OpResult> element out. Lists are ActionNames.member.N.

var iamOps = map[string]handler{
	"SimulatePrincipalPolicy": (*Server).simulatePrincipalPolicy,
}

var stsOps = map[string]handler{
	"GetCallerIdentity": (*Server).getCallerIdentity,
}

type members[T any] struct {
	Members []T `xml:"member"`
}

type evalResult struct {
	EvalActionName       string                    `xml:"EvalActionName"`
	EvalResourceName     string                    `xml:"EvalResourceName"`
	EvalDecision         string                    `xml:"EvalDecision"`
	MatchedStatements    members[matchedStatement] `xml:"MatchedStatements"`
	MissingContextValues members[string]           `xml:"MissingContextValues"`
}

type matchedStatement struct {
	SourcePolicyID   string `xml:"SourcePolicyId"`
	SourcePolicyType string `xml:"SourcePolicyType"`
}

type simulateResult struct {
	EvaluationResults members[evalResult] `xml:"EvaluationResults"`
	IsTruncated       bool                `xml:"IsTruncated"`
	Marker            string              `xml:"Marker,omitempty"`
}

// Decisions SimulatePrincipalPolicy returns.
const (
	DecisionAllowed      = "allowed"
	DecisionImplicitDeny = "implicitDeny"
	DecisionExplicitDeny = "explicitDeny"
)

// decide evaluates action against a role's allow and deny patterns.
func (r *roleState) decide(action string) (string, string) {
	a := strings.ToLower(action)
	for _, p := range r.Deny {
		if wildcard(strings.ToLower(p), a) {
			return DecisionExplicitDeny, p
		}
	}
	for _, p := range r.Allow {
		if wildcard(strings.ToLower(p), a) {
			return DecisionAllowed, p
		}
	}
	return DecisionImplicitDeny, ""
}

func (s *Server) simulatePrincipalPolicy(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	source := p.str("PolicySourceArn")
	actions := p.list("ActionNames.member")
	resources := p.list("ResourceArns.member")
	if source == "" {
		return nil, errorf(400, "ValidationError", "1 validation error detected: Value null at 'policySourceArn' failed to satisfy constraint: Member must not be null")
	}
	if len(actions) == 0 {
		return nil, errorf(400, "ValidationError", "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null")
	}
	for _, a := range actions {
		if a != "*" && !strings.Contains(a, ":") {
			return nil, errorf(400, "InvalidInput", "Actions must be in the format service:action, got %q.", a)
		}
	}
	maxItems := 0
	if v := p.str("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, errorf(400, "ValidationError", "1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", v)
		}
		maxItems = n
	}
	parts := strings.SplitN(source, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" {
		return nil, errorf(400, "InvalidInput", "ARN %s is not valid.", source)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	kind, path, _ := strings.Cut(parts[5], "/")
	name := path[strings.LastIndexByte(path, '/')+1:]
	role, ok := s.st.roles[strings.ToLower(name)]
	if kind != "role" || !ok || parts[4] != s.st.account {
		return nil, errorf(404, "NoSuchEntity", "The %s with name %s cannot be found.", kind, name)
	}
	if !strings.EqualFold(role.arn, source) {
		return nil, errorf(404, "NoSuchEntity", "The role with name %s cannot be found (its ARN is %s).", name, role.arn)
	}

	start := 0
	if m := p.str("Marker"); m != "" {
		pos, ok := decodeToken(c.key(), m)
		if !ok {
			return nil, errorf(400, "InvalidInput", "Invalid Marker.")
		}
		start = pos
	}
	limit := s.st.pageLimit(c.key(), maxItems, 1000)
	resource := "*"
	if len(resources) > 0 {
		resource = resources[0]
	}
	out := &simulateResult{}
	page, next := paginate(c.key(), actions, pageSpec{start: start, limit: limit}, func(string) bool { return true })
	for _, a := range page {
		decision, pattern := role.decide(a)
		r := evalResult{EvalActionName: a, EvalResourceName: resource, EvalDecision: decision}
		if pattern != "" {
			r.MatchedStatements.Members = []matchedStatement{{SourcePolicyID: fmt.Sprintf("awssim:%s:%s", role.Name, pattern), SourcePolicyType: "role"}}
		}
		out.EvaluationResults.Members = append(out.EvaluationResults.Members, r)
	}
	if next != "" {
		out.IsTruncated, out.Marker = true, next
	}
	return out, nil
}

type callerIdentity struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

func (s *Server) getCallerIdentity(c *call) (any, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return &callerIdentity{
		Arn:     s.st.callerARN,
		UserID:  "AROA" + strings.ToUpper(s.st.derivedID("", "caller")[4:17]) + ":awssim",
		Account: s.st.account,
	}, nil
}
