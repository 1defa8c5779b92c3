package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// MaxPolicyLength is the VPC endpoint policy size limit, in characters.
// vpcguard counts bytes, which is never fewer than characters.
const MaxPolicyLength = 20480

// DenySid is the Sid of the Deny statement vpcguard adds. When the policy
// already has a statement with that Sid (compared without regard to case),
// the first free one of DenySid+"2", DenySid+"3", ... is used instead: Sids
// stay unique, and nothing already there is touched.
const DenySid = "VpcguardDenyAmazonLinuxRepos"

// DefaultEndpointPolicy is the policy AWS gives a gateway endpoint created
// without one (as DescribeVpcEndpoints returns it).
const DefaultEndpointPolicy = `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

// MergeResult is the outcome of MergeALRepoDenies.
type MergeResult struct {
	// Policy is the new document text; the original, unchanged, when
	// Changed is false.
	Policy  string
	Changed bool
	// Added holds the statements added, each as compact JSON.
	Added []string
	// Missing names the targets (RepoTarget.Name) that were not explicitly
	// denied before the merge.
	Missing []string
	// Diff is a readable before/after: "  " lines kept, "+ " lines added.
	Diff string
	// Refused, when set, says why vpcguard will not change this policy
	// (Changed is then false and Policy the original).
	Refused string
}

// MergeALRepoDenies adds to an S3 gateway endpoint policy the Deny it needs
// so that s3:GetObject on every Amazon Linux repository target of
// partition/region is explicitly denied to everyone.
//
// The rules, because this text replaces a security control:
//   - every original statement is emitted byte for byte as it was written
//     (its raw JSON), in its original order, before anything added;
//   - Version and Id are kept byte for byte; a missing Version stays
//     missing (adding one would change how the original statements read
//     policy variables); "2008-10-17" and "2012-10-17" both stay as they are;
//   - only one statement is ever added, a Deny with Principal "*", Action
//     ["s3:GetObject"] (the guide's form) and the Resource patterns of the
//     targets that were not already explicitly denied, Sid DenySid;
//   - a Statement that was a single object becomes an array: the original
//     object, raw, then the addition;
//   - nothing to add: Changed is false and Policy is the original text.
//     Since the result denies every target explicitly, merging it again
//     adds nothing: merge(merge(p)) == merge(p), byte for byte;
//   - refused (Refused set, no change): a policy that lets no S3 request
//     through (deny-only, or whose unconditional Denies take back every
//     Allow; see RemainingAllow) — there the denies change nothing and the
//     real problem is elsewhere; and a result over MaxPolicyLength.
//
// The top level is written compactly as {"Version":..,"Id":..,"Statement":[..]}.
// The result is parsed back and checked (statements kept, every target
// explicitly denied) before it is returned; a failure there is an error.
//
// Errors: an invalid partition or region, or an original that does not
// parse (the error wraps ErrInvalidPolicy). Even then Policy is the
// original text, so that a careless caller never sends an empty policy.
func MergeALRepoDenies(original, partition, region string) (MergeResult, error) {
	if err := CheckPartitionRegion(partition, region); err != nil {
		return MergeResult{Policy: original}, fmt.Errorf("merge Amazon Linux repository denies: %w", err)
	}
	return merge(original, partition, region)
}

// HardenedDefault is the policy for a new S3 gateway endpoint: the AWS
// default (Allow everything to everyone) plus vpcguard's Deny of every
// Amazon Linux repository target — exactly the merge of
// DefaultEndpointPolicy. It returns "" for an invalid partition or region
// (see CheckPartitionRegion); a caller must never send "" as a policy,
// since AWS would then apply its full-access default.
func HardenedDefault(partition, region string) string {
	r, err := MergeALRepoDenies(DefaultEndpointPolicy, partition, region)
	if err != nil || !r.Changed {
		return ""
	}
	return r.Policy
}

func merge(original, partition, region string) (MergeResult, error) {
	unchanged := MergeResult{Policy: original}
	doc, err := Parse(original)
	if err != nil {
		return unchanged, fmt.Errorf("merge Amazon Linux repository denies: %w", err)
	}
	if r := RemainingAllow(doc, partition); !r.Allows && !r.Undecided {
		unchanged.Refused = r.Why + ": nothing can be read through this endpoint, so adding denies would change nothing; " +
			"the policy itself must be fixed by hand"
		return unchanged, nil
	}

	var resources []string
	for _, s := range RepoAccess(doc, partition, region) {
		if s.Decision != ExplicitDeny {
			unchanged.Missing = append(unchanged.Missing, s.Target.Name)
			resources = append(resources, s.Target.Pattern)
		}
	}
	if len(resources) == 0 {
		return unchanged, nil
	}

	added, err := denyStatement(freeSid(doc), resources)
	if err != nil {
		return unchanged, fmt.Errorf("merge Amazon Linux repository denies: %w", err)
	}
	text := assemble(doc, added)
	if len(text) > MaxPolicyLength {
		unchanged.Refused = fmt.Sprintf("the merged policy would be %d characters, over the %d-character limit of an endpoint policy",
			len(text), MaxPolicyLength)
		return unchanged, nil
	}
	if err := verifyMerge(doc, text, partition, region); err != nil {
		return unchanged, fmt.Errorf("merge Amazon Linux repository denies: result failed verification: %w", err)
	}
	return MergeResult{
		Policy:  text,
		Changed: true,
		Added:   []string{string(added)},
		Missing: unchanged.Missing,
		Diff:    diff(doc, added),
	}, nil
}

// freeSid is DenySid, or the first DenySid+N (N = 2, 3, ...) no statement
// uses.
func freeSid(doc *Document) string {
	taken := map[string]bool{}
	for _, st := range doc.Statements {
		if st.HasSid {
			taken[strings.ToLower(st.Sid)] = true
		}
	}
	sid := DenySid
	for n := 2; taken[strings.ToLower(sid)]; n++ {
		sid = fmt.Sprintf("%s%d", DenySid, n)
	}
	return sid
}

// denyStatement builds the added statement as compact JSON, elements in
// the guide's order of importance.
func denyStatement(sid string, resources []string) (json.RawMessage, error) {
	st := struct {
		Sid       string   `json:"Sid"`
		Effect    Effect   `json:"Effect"`
		Principal string   `json:"Principal"`
		Action    []string `json:"Action"`
		Resource  []string `json:"Resource"`
	}{sid, Deny, "*", []string{"s3:GetObject"}, resources}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(st); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// assemble writes {"Version":..,"Id":..,"Statement":[original raws..., added]}.
func assemble(doc *Document, added json.RawMessage) string {
	var b strings.Builder
	b.WriteString("{")
	if doc.rawVersion != nil {
		b.WriteString(`"Version":`)
		b.Write(doc.rawVersion)
		b.WriteString(",")
	}
	if doc.rawID != nil {
		b.WriteString(`"Id":`)
		b.Write(doc.rawID)
		b.WriteString(",")
	}
	b.WriteString(`"Statement":[`)
	for _, st := range doc.Statements {
		b.Write(st.Raw)
		b.WriteString(",")
	}
	b.Write(added)
	b.WriteString("]}")
	return b.String()
}

// verifyMerge re-reads the result and checks the promises made above.
func verifyMerge(before *Document, text, partition, region string) error {
	after, err := Parse(text)
	if err != nil {
		return err
	}
	if after.Version != before.Version || after.HasID != before.HasID || after.ID != before.ID {
		return fmt.Errorf("the Version or the Id changed")
	}
	if len(after.Statements) <= len(before.Statements) {
		return fmt.Errorf("no statement added")
	}
	for i, st := range before.Statements {
		if !bytes.Equal(st.Raw, after.Statements[i].Raw) {
			return fmt.Errorf("statement %d not kept byte for byte", i)
		}
	}
	for _, st := range after.Statements[len(before.Statements):] {
		if st.Effect != Deny {
			return fmt.Errorf("%s added is not a Deny", st.Label())
		}
	}
	for _, s := range RepoAccess(after, partition, region) {
		if s.Decision != ExplicitDeny {
			return fmt.Errorf("%s is still %s", s.Target.Name, s.Decision)
		}
	}
	return nil
}

// diff renders the change: kept statements as "  " lines (compacted for
// reading; the policy itself keeps their original bytes), added ones as
// "+ " lines.
func diff(doc *Document, added json.RawMessage) string {
	var b strings.Builder
	b.WriteString("--- endpoint policy (before)\n+++ endpoint policy (after)\n")
	if doc.Version != "" {
		fmt.Fprintf(&b, "  Version %q\n", doc.Version)
	}
	if doc.HasID {
		fmt.Fprintf(&b, "  Id %q\n", doc.ID)
	}
	if doc.StatementIsObject {
		b.WriteString("~ Statement: a single object before, an array after\n")
	}
	for _, st := range doc.Statements {
		fmt.Fprintf(&b, "  [%d] %s\n", st.Index, compact(st.Raw))
	}
	fmt.Fprintf(&b, "+ [%d] %s\n", len(doc.Statements), added)
	return b.String()
}

func compact(raw json.RawMessage) string {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return string(raw)
	}
	return buf.String()
}
