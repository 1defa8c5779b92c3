package securityhub

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/report"
)

// MaxIDLength is the longest finding Id Security Hub accepts
// (AwsSecurityFinding.Id: "Length Constraints: Minimum length of 1. Maximum
// length of 512", pattern .*\S.*, Security Hub API Reference). GeneratorId
// has the same limit; check IDs are far shorter.
const MaxIDLength = 512

// IDPrefix is the part of every vpcguard finding Id before the check:
// "vpcguard/<partition>/<region>/<account>/". The sweep finds vpcguard's
// findings of one account and Region with a PREFIX filter on it.
func IDPrefix(partition, region, account string) string {
	return "vpcguard/" + escape(partition) + "/" + escape(region) + "/" + escape(account) + "/"
}

// FindingID is the Id of the finding about subject for check: a public
// contract, the same for the event functions and the sweep, so that both
// update one finding:
//
//	vpcguard/<partition>/<region>/<account>/<check-id>/<resource-id>
//
// The resource id is the subject's id or name: a VPC, endpoint, subnet …
// id; a SageMaker name in lower case (SageMaker names are case-insensitive
// and its ARNs hold them in lower case); an execution role by its name (role
// names are unique in an account; the ARN's path is not part of the
// identity). Each part is encoded so that the Id is made of unreserved
// characters only and has exactly six segments: every byte outside
// A–Z a–z 0–9 - . _ : @ + = , becomes %XX (so "/" in a name cannot add a
// segment, and "%" and "~" never appear unencoded). An Id that would be
// longer than MaxIDLength keeps as much of the encoded resource id as fits,
// then "~" and the first 16 hex digits of the SHA-256 of the raw resource
// id: deterministic, never dropped, and distinct from every unshortened Id
// ("~" only ever appears there).
func FindingID(partition, region, account, check string, subject report.Ref) string {
	prefix := IDPrefix(partition, region, account) + escape(check) + "/"
	raw := resourceID(subject)
	id := escape(raw)
	if len(prefix)+len(id) <= MaxIDLength {
		return prefix + id
	}
	sum := sha256.Sum256([]byte(raw))
	tail := "~" + hex.EncodeToString(sum[:8])
	keep := max(MaxIDLength-len(prefix)-len(tail), 0)
	cut := id[:min(keep, len(id))]
	// Never cut inside a %XX escape.
	if i := strings.LastIndexByte(cut, '%'); i >= 0 && i > len(cut)-3 {
		cut = cut[:i]
	}
	return prefix + cut + tail
}

// resourceID is the subject's part of the finding Id (see FindingID).
func resourceID(r report.Ref) string {
	switch r.Type {
	case report.ResourceModel, report.ResourceEndpointConfig, report.ResourceEndpoint:
		return strings.ToLower(r.ID)
	case report.ResourceRole:
		if i := strings.LastIndexByte(r.ID, '/'); i >= 0 && strings.HasPrefix(r.ID, "arn:") {
			return r.ID[i+1:]
		}
	}
	return r.ID
}

// escape percent-encodes every byte outside the Id alphabet.
func escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if idChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xF])
	}
	if b.Len() == 0 {
		return "%--" // an empty part still makes a segment; no escape looks like this
	}
	return b.String()
}

func idChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._:@+=,", c) >= 0
}
