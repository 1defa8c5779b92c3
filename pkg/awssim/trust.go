package awssim

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// A role's trust policy (Role.TrustPolicy) decides who may assume it with
// STS AssumeRole (Org). awssim evaluates the subset of IAM that trust
// policies between accounts use, and refuses to load anything else:
//
//   - Statement: one object or a list; Effect Allow or Deny; Action a
//     string or list of patterns (sts:AssumeRole, sts:*, *);
//   - Principal: "*" or {"AWS": ARN or account ID, or a list of them}:
//     arn:…:iam::A:root or A (any principal of account A), a role ARN
//     arn:…:iam::A:role/[path/]NAME (its sessions), or an assumed-role
//     session ARN; other principal kinds (Service, Federated) match no
//     awssim caller;
//   - Condition: StringEquals, StringNotEquals, StringLike, StringNotLike,
//     ArnEquals, ArnNotEquals, ArnLike, ArnNotLike (each also …IfExists)
//     on aws:PrincipalArn (the caller's role ARN), aws:PrincipalAccount,
//     aws:PrincipalOrgID (the caller's organization, "" outside one) and
//     sts:RoleSessionName (the session name the AssumeRole asks for);
//     the Arn operators, like IAM's, take * and ? in ArnEquals too.
//
// An explicit Deny that matches wins; otherwise an Allow must match. The
// caller's own identity policy (which must also allow sts:AssumeRole) is
// not modelled.

// trustPolicy is a parsed trust policy.
type trustPolicy struct {
	statements []trustStatement
}

type trustStatement struct {
	allow      bool
	anyone     bool     // Principal "*" or {"AWS": "*"}
	principals []string // AWS principals
	actions    []string
	conditions []trustCondition
}

type trustCondition struct {
	op       string // without IfExists
	ifExists bool
	key      string // lower case
	values   []string
}

// principal is who calls, as a trust policy sees them.
type principal struct {
	account string
	roleARN string // arn:…:iam::A:role/[path/]NAME
	arn     string // the session: arn:…:sts::A:assumed-role/NAME/SESSION
	orgID   string // the caller account's organization, or ""
	// sessionName is the RoleSessionName the caller asks for (AssumeRole).
	sessionName string
}

var trustOperators = map[string]bool{
	"StringEquals": true, "StringNotEquals": true, "StringLike": true, "StringNotLike": true,
	"ArnEquals": true, "ArnNotEquals": true, "ArnLike": true, "ArnNotLike": true,
}

var trustKeys = map[string]bool{"aws:principalarn": true, "aws:principalaccount": true, "aws:principalorgid": true, "sts:rolesessionname": true}

// parseTrust parses a trust policy document, refusing what awssim cannot
// evaluate.
func parseTrust(doc string) (*trustPolicy, error) {
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, fmt.Errorf("trust policy is not a JSON policy document: %w", err)
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(raw.Statement, &stmts); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw.Statement, &one); err != nil || one == nil {
			return nil, errors.New("trust policy: Statement must be an object or a list of objects")
		}
		stmts = []map[string]json.RawMessage{one}
	}
	if len(stmts) == 0 {
		return nil, errors.New("trust policy has no statement")
	}
	tp := &trustPolicy{}
	for i, m := range stmts {
		st, err := parseTrustStatement(m)
		if err != nil {
			return nil, fmt.Errorf("trust policy statement %d: %w", i, err)
		}
		tp.statements = append(tp.statements, st)
	}
	return tp, nil
}

func parseTrustStatement(m map[string]json.RawMessage) (trustStatement, error) {
	var st trustStatement
	for k := range m {
		switch k {
		case "Sid", "Effect", "Principal", "Action", "Condition":
		default:
			return st, fmt.Errorf("awssim does not evaluate %s in trust policies", k)
		}
	}
	var effect string
	if err := json.Unmarshal(m["Effect"], &effect); err != nil || (effect != "Allow" && effect != "Deny") {
		return st, errors.New("Effect must be Allow or Deny")
	}
	st.allow = effect == "Allow"
	actions, err := stringOrList(m["Action"])
	if err != nil || len(actions) == 0 {
		return st, errors.New("Action must be a string or a list of strings")
	}
	st.actions = actions

	var star string
	if json.Unmarshal(m["Principal"], &star) == nil {
		if star != "*" {
			return st, fmt.Errorf("Principal %q: want \"*\" or an object", star)
		}
		st.anyone = true
	} else {
		var p map[string]json.RawMessage
		if err := json.Unmarshal(m["Principal"], &p); err != nil || len(p) == 0 {
			return st, errors.New("Principal must be \"*\" or an object such as {\"AWS\": [...]}")
		}
		for kind, v := range p {
			list, err := stringOrList(v)
			if err != nil {
				return st, fmt.Errorf("Principal %s: %w", kind, err)
			}
			if kind != "AWS" {
				continue // Service, Federated, CanonicalUser: no awssim caller is one
			}
			for _, id := range list {
				if id == "*" {
					st.anyone = true
				}
				st.principals = append(st.principals, id)
			}
		}
	}

	if raw, ok := m["Condition"]; ok {
		var cond map[string]map[string]json.RawMessage
		if err := json.Unmarshal(raw, &cond); err != nil {
			return st, errors.New("Condition must map operators to {key: value(s)}")
		}
		for op, keys := range cond {
			base, ifExists := strings.CutSuffix(op, "IfExists")
			if !trustOperators[base] {
				return st, fmt.Errorf("awssim does not evaluate the condition operator %s", op)
			}
			for key, v := range keys {
				if !trustKeys[strings.ToLower(key)] {
					return st, fmt.Errorf("awssim does not evaluate the condition key %s", key)
				}
				values, err := stringOrList(v)
				if err != nil {
					return st, fmt.Errorf("condition %s %s: %w", op, key, err)
				}
				st.conditions = append(st.conditions, trustCondition{op: base, ifExists: ifExists, key: strings.ToLower(key), values: values})
			}
		}
	}
	return st, nil
}

func stringOrList(raw json.RawMessage) ([]string, error) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("want a string or a list of strings")
	}
	return list, nil
}

// allows reports whether the policy lets p perform action.
func (tp *trustPolicy) allows(p principal, action string) bool {
	allowed := false
	for _, st := range tp.statements {
		if !st.matches(p, action) {
			continue
		}
		if !st.allow {
			return false
		}
		allowed = true
	}
	return allowed
}

func (st trustStatement) matches(p principal, action string) bool {
	actionOK := false
	for _, a := range st.actions {
		if wildcard(strings.ToLower(a), strings.ToLower(action)) {
			actionOK = true
		}
	}
	if !actionOK {
		return false
	}
	principalOK := st.anyone
	for _, id := range st.principals {
		if principalMatches(id, p) {
			principalOK = true
		}
	}
	if !principalOK {
		return false
	}
	for _, c := range st.conditions {
		if !c.holds(p) {
			return false
		}
	}
	return true
}

// principalMatches applies one AWS principal of a trust policy to p.
func principalMatches(id string, p principal) bool {
	if accountID.MatchString(id) {
		return id == p.account
	}
	parts := strings.SplitN(id, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return false
	}
	switch {
	case parts[2] == "iam" && parts[5] == "root":
		return parts[4] == p.account
	case parts[2] == "iam" && strings.HasPrefix(parts[5], "role/"):
		return id == p.roleARN
	case parts[2] == "sts" && strings.HasPrefix(parts[5], "assumed-role/"):
		return id == p.arn
	}
	return false
}

func (c trustCondition) holds(p principal) bool {
	var v string
	switch c.key {
	case "aws:principalarn":
		v = p.roleARN
	case "aws:principalaccount":
		v = p.account
	case "aws:principalorgid":
		v = p.orgID
	case "sts:rolesessionname":
		v = p.sessionName
	}
	if v == "" {
		return c.ifExists || strings.Contains(c.op, "Not")
	}
	match := false
	for _, want := range c.values {
		switch c.op {
		case "StringEquals", "StringNotEquals":
			match = match || want == v
		default:
			match = match || wildcard(want, v)
		}
	}
	if strings.Contains(c.op, "Not") {
		return !match
	}
	return match
}

// parseTrust reads the role's trust policy and checks its session limit.
func (r *roleState) parseTrust() error {
	if r.MaxSessionDuration == 0 {
		r.MaxSessionDuration = 3600
	}
	if r.MaxSessionDuration < 3600 || r.MaxSessionDuration > 43200 {
		return fmt.Errorf("maxSessionDuration %d: want 3600 to 43200 seconds", r.MaxSessionDuration)
	}
	if r.TrustPolicy == "" {
		return nil
	}
	tp, err := parseTrust(string(r.TrustPolicy))
	if err != nil {
		return err
	}
	r.trust = tp
	return nil
}
