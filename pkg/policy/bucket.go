package policy

import (
	"fmt"
	"slices"
	"strings"
)

// RestrictsToVPC tells whether an S3 bucket policy limits reading the bucket
// (s3:GetObject) to the model's VPC or its S3 endpoints, for the info check
// bucket-policy-vpc-restricted, with a detail for the message.
//
// It is true when either
//   - a Deny for everyone that covers s3:GetObject carries
//     StringNotEquals or StringNotEqualsIfExists on aws:SourceVpc with vpcID
//     among the values, or on aws:SourceVpce with one of endpointIDs among
//     them (the pattern of the AWS examples: deny unless from the VPC); or
//   - an Allow that covers s3:GetObject carries StringEquals or
//     StringEqualsIfExists on aws:SourceVpc = vpcID or aws:SourceVpce in
//     endpointIDs, and no Allow grants s3:GetObject to everyone without a
//     Condition. This form is weaker (same-account principals whose own IAM
//     policies allow the read are not held by it) and the detail says so.
//
// A policy that restricts to another VPC or endpoint is reported as not
// restricting to this one, naming what it does restrict to.
func RestrictsToVPC(doc *Document, vpcID string, endpointIDs []string) (bool, string) {
	if doc == nil {
		return false, "the bucket has no policy"
	}
	const get = "s3:GetObject"
	var elsewhere []string
	var allowedFrom *Statement
	var allowedWhy string
	openAllow := ""
	for i := range doc.Statements {
		st := &doc.Statements[i]
		if actionCovers(st, get) == no {
			continue
		}
		switch st.Effect {
		case Deny:
			if st.NotPrincipal != nil || !st.Principal.Everyone() {
				continue
			}
			for _, op := range []string{"StringNotEquals", "StringNotEqualsIfExists"} {
				if vals, ok := st.Condition.Values(op, "aws:SourceVpc"); ok {
					if slices.Contains(vals, vpcID) {
						return true, fmt.Sprintf("%s denies s3:GetObject to everyone unless aws:SourceVpc is %s", st.Label(), vpcID)
					}
					elsewhere = append(elsewhere, fmt.Sprintf("%s allows only aws:SourceVpc %s", st.Label(), strings.Join(vals, ", ")))
				}
				if vals, ok := st.Condition.Values(op, "aws:SourceVpce"); ok {
					if e := firstCommon(vals, endpointIDs); e != "" {
						return true, fmt.Sprintf("%s denies s3:GetObject to everyone unless aws:SourceVpce is %s", st.Label(), strings.Join(vals, ", "))
					}
					elsewhere = append(elsewhere, fmt.Sprintf("%s allows only aws:SourceVpce %s", st.Label(), strings.Join(vals, ", ")))
				}
			}
		case Allow:
			if st.Condition == nil && st.NotPrincipal == nil && st.Principal.Everyone() {
				if openAllow == "" {
					openAllow = st.Label()
				}
				continue
			}
			if allowedFrom != nil {
				continue
			}
			for _, op := range []string{"StringEquals", "StringEqualsIfExists"} {
				if vals, ok := st.Condition.Values(op, "aws:SourceVpc"); ok && slices.Contains(vals, vpcID) {
					allowedFrom, allowedWhy = st, "aws:SourceVpc is "+vpcID
				}
				if vals, ok := st.Condition.Values(op, "aws:SourceVpce"); ok && firstCommon(vals, endpointIDs) != "" {
					allowedFrom, allowedWhy = st, "aws:SourceVpce is "+firstCommon(vals, endpointIDs)
				}
			}
		}
	}
	if allowedFrom != nil {
		if openAllow != "" {
			return false, fmt.Sprintf("%s allows s3:GetObject when %s, but %s allows it to everyone without a Condition",
				allowedFrom.Label(), allowedWhy, openAllow)
		}
		return true, fmt.Sprintf("%s allows s3:GetObject only when %s (an Allow: principals of the account whose IAM policies grant the read are not limited by it; a Deny unless aws:SourceVpce is stronger)",
			allowedFrom.Label(), allowedWhy)
	}
	where := vpcID
	if len(endpointIDs) > 0 {
		where += " or its endpoints " + strings.Join(endpointIDs, ", ")
	}
	detail := "no statement limits s3:GetObject to " + where
	if len(elsewhere) > 0 {
		detail += "; " + strings.Join(elsewhere, "; ")
	}
	return false, detail
}

// actionCovers: does st's Action/NotAction take in action?
func actionCovers(st *Statement, action string) tri {
	if st.Action != nil {
		return anyOf(len(st.Action), func(i int) tri { return matchAction(st.Action[i], action) })
	}
	return anyOf(len(st.NotAction), func(i int) tri { return matchAction(st.NotAction[i], action) }).not()
}

func firstCommon(a, b []string) string {
	for _, x := range a {
		if slices.Contains(b, x) {
			return x
		}
	}
	return ""
}
