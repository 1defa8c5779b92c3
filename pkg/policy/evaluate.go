package policy

import (
	"strings"
)

// Decision is the outcome of evaluating one request against one document.
type Decision string

const (
	// ExplicitDeny: a Deny statement certainly covers the request for every
	// caller, with no Condition.
	ExplicitDeny Decision = "explicit-deny"
	// Allowed: some Allow statement covers the request for at least some
	// caller (see Evaluation.Limited).
	Allowed Decision = "allowed"
	// ImplicitDeny: no Allow statement covers the request, and no Deny that
	// vpcguard can count does either.
	ImplicitDeny Decision = "implicit-deny"
)

// Request is what vpcguard asks about: one action on one concrete resource
// ARN, by any caller at all (anonymous included).
type Request struct {
	Action   string // e.g. s3:GetObject
	Resource string // e.g. arn:aws:s3:::packages.us-east-1.amazonaws.com/x
}

// Evaluation is the answer, with the statement that decided it.
type Evaluation struct {
	Decision Decision
	// Statement is the index of the deciding statement, -1 for ImplicitDeny.
	Statement int
	Sid       string
	// Label names the deciding statement for messages; empty for ImplicitDeny.
	Label string
	// Limited is set on Allowed when the deciding Allow holds only for some
	// callers or requests (LimitedBy says why): vpcguard still counts it as
	// an allow, because it is one for someone.
	Limited   bool
	LimitedBy []string
	// Uncounted lists Deny statements that cover the request but that
	// vpcguard does not count as a deny for everyone (a Condition, a
	// specific principal, ...), so a message can say why they do not help.
	Uncounted []Uncounted
}

// Uncounted is a Deny statement that matches the request only for some
// callers or under some condition.
type Uncounted struct {
	Statement int
	Label     string
	Reasons   []string
}

// String renders the evaluation for a message.
func (e Evaluation) String() string {
	switch e.Decision {
	case ExplicitDeny:
		return "explicitly denied by " + e.Label
	case Allowed:
		s := "allowed by " + e.Label
		if e.Limited {
			s += " (" + strings.Join(e.LimitedBy, "; ") + ")"
		}
		return s
	}
	return "implicitly denied (no Allow statement covers it)"
}

// uncountedNote names, for a message, the Denies that cover the request
// but do not count ("" when there are none).
func (e Evaluation) uncountedNote() string {
	var parts []string
	for _, u := range e.Uncounted {
		parts = append(parts, u.Label+" also covers it but is not counted ("+strings.Join(u.Reasons, "; ")+")")
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, "; ")
}

// Evaluate decides req against doc. A Deny is counted only when it covers
// the request for everyone with certainty (Principal "*" or {"AWS":"*"}, no
// Condition, no policy variable in the way); an Allow counts as soon as it
// may hold for someone. Both choices are the conservative ones for a check
// that wants the request denied.
func Evaluate(doc *Document, req Request) Evaluation {
	out := Evaluation{Decision: ImplicitDeny, Statement: -1}
	if doc == nil {
		return out
	}
	variables := doc.Version == Version2012
	var fullAllow, limitedAllow *Statement
	var limitedWhy []string
	for i := range doc.Statements {
		st := &doc.Statements[i]
		t, why := applies(st, req, variables)
		if t == no {
			continue
		}
		switch {
		case st.Effect == Deny && t == yes:
			out = decided(ExplicitDeny, st)
			out.Uncounted = nil
			return out
		case st.Effect == Deny:
			out.Uncounted = append(out.Uncounted, Uncounted{Statement: st.Index, Label: st.Label(), Reasons: why})
		case t == yes && fullAllow == nil:
			fullAllow = st
		case t == maybe && limitedAllow == nil:
			limitedAllow, limitedWhy = st, why
		}
	}
	uncounted := out.Uncounted
	switch {
	case fullAllow != nil:
		out = decided(Allowed, fullAllow)
	case limitedAllow != nil:
		out = decided(Allowed, limitedAllow)
		out.Limited, out.LimitedBy = true, limitedWhy
	}
	out.Uncounted = uncounted
	return out
}

func decided(d Decision, st *Statement) Evaluation {
	return Evaluation{Decision: d, Statement: st.Index, Sid: st.Sid, Label: st.Label()}
}

// applies tells whether st covers req for every caller (yes), for some
// callers or under some condition (maybe, with the reasons), or not at all.
func applies(st *Statement, req Request, variables bool) (tri, []string) {
	var action tri
	if st.Action != nil {
		action = anyOf(len(st.Action), func(i int) tri { return matchAction(st.Action[i], req.Action) })
	} else {
		action = anyOf(len(st.NotAction), func(i int) tri { return matchAction(st.NotAction[i], req.Action) }).not()
	}
	if action == no {
		return no, nil
	}
	var resource tri
	if st.Resource != nil {
		resource = anyOf(len(st.Resource), func(i int) tri { return matchResource(st.Resource[i], req.Resource, variables) })
	} else {
		resource = anyOf(len(st.NotResource), func(i int) tri { return matchResource(st.NotResource[i], req.Resource, variables) }).not()
	}
	if resource == no {
		return no, nil
	}
	var why []string
	if resource == maybe {
		why = append(why, "its Resource depends on a policy variable")
	}
	switch {
	case st.NotPrincipal != nil:
		why = append(why, "it uses NotPrincipal "+st.NotPrincipal.String()+", so it does not cover every caller")
	case st.Principal == nil:
		why = append(why, "it has no Principal")
	case !st.Principal.Everyone():
		why = append(why, "its Principal "+st.Principal.String()+" names specific principals, not every caller")
	}
	if st.Condition != nil {
		why = append(why, "it has a Condition")
	}
	if len(why) > 0 {
		return maybe, why
	}
	return yes, nil
}

// s3ARNPrefixes are the S3 ARN prefixes of the partitions vpcguard reasons
// about when a pattern must cover "all of S3".
func s3ARNPrefixes() []string {
	return []string{"arn:aws:s3:::", "arn:aws-cn:s3:::", "arn:aws-us-gov:s3:::"}
}

// coversAllS3Actions: the statement's Action/NotAction takes in every s3
// action ("*", "s3:*", or a NotAction that cannot name an s3 action).
func coversAllS3Actions(st *Statement) bool {
	if st.Action != nil {
		for _, p := range st.Action {
			if coversPrefix(p, "s3:", true) {
				return true
			}
		}
		return false
	}
	for _, p := range st.NotAction {
		if mayMatchPrefix(p, "s3:", true) {
			return false
		}
	}
	return true
}

// coversAllS3Resources: the statement's Resource/NotResource takes in every
// S3 ARN ("*", "arn:aws:s3:::*", or a NotResource that cannot name one).
func coversAllS3Resources(st *Statement) bool {
	if st.Resource != nil {
		for _, p := range st.Resource {
			for _, prefix := range s3ARNPrefixes() {
				if coversPrefix(p, prefix, false) {
					return true
				}
			}
		}
		return false
	}
	for _, p := range st.NotResource {
		for _, prefix := range s3ARNPrefixes() {
			if mayMatchPrefix(p, prefix, false) {
				return false
			}
		}
	}
	return true
}

// unconditionalForEveryone: Principal everyone, no NotPrincipal, no
// Condition.
func unconditionalForEveryone(st *Statement) bool {
	return st.NotPrincipal == nil && st.Principal.Everyone() && st.Condition == nil
}

// IsFullAccess reports whether doc grants what the AWS default endpoint
// policy grants — {"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}
// — and takes nothing back: it has an Allow for everyone, without Condition,
// covering every S3 action ("*" or "s3:*") on every S3 resource, and no Deny
// statement at all (any Deny, even a conditional one, is a customisation).
func IsFullAccess(doc *Document) bool {
	if doc == nil {
		return false
	}
	full := false
	for i := range doc.Statements {
		st := &doc.Statements[i]
		if st.Effect == Deny {
			return false
		}
		if unconditionalForEveryone(st) && coversAllS3Actions(st) && coversAllS3Resources(st) {
			full = true
		}
	}
	return full
}
