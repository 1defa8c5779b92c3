package notify

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// MaxSubject is the longest subject vpcguard sends. Amazon SNS requires an
// email subject to be ASCII, without line breaks or control characters,
// beginning with a letter, number or punctuation mark, and less than 100
// characters long.
const MaxSubject = 99

// headlines say in a few words what a failing check means and which
// resource to name: "no S3 endpoint" + " in " + the first vpc- resource.
var headlines = map[string]struct {
	fail   string // what is wrong
	prep   string // joins fail to the resource id
	prefix string // id prefix of the resource to name; "" names none
	noun   string // what could not be verified, for unknown checks
}{
	checks.ModelInVPC:                 {"not in a VPC", "", "", "VPC config"},
	checks.SubnetsMultiAZ:             {"subnets in one AZ", "in", "vpc-", "subnet AZs"},
	checks.SubnetIPCapacity:           {"too few free IPs", "in", "subnet-", "subnet IPs"},
	checks.SecurityGroupsValid:        {"invalid security groups", "", "", "security groups"},
	checks.SecurityGroupEgressS3:      {"no HTTPS egress to S3", "from", "sg-", "security group egress"},
	checks.S3EndpointPresent:          {"no S3 endpoint", "in", "vpc-", "S3 endpoint"},
	checks.S3EndpointRoutes:           {"S3 endpoint not routed", "for", "rtb-", "S3 endpoint routes"},
	checks.S3EndpointPolicyCustom:     {"default S3 endpoint policy", "on", "vpce-", "S3 endpoint policy"},
	checks.S3EndpointDeniesALRepos:    {"Amazon Linux repos not denied", "by", "vpce-", "S3 endpoint policy"},
	checks.S3EndpointPolicyAllows:     {"S3 endpoint policy blocks all", "on", "vpce-", "S3 endpoint policy"},
	checks.VPCDNS:                     {"DNS breaks S3 names", "in", "vpc-", "VPC DNS"},
	checks.BucketPolicyVPCRestricted:  {"artifact bucket open beyond the VPC", "", "", "bucket policy"},
	checks.ExecutionRoleENIPermission: {"role lacks ENI permissions", "", "", "execution role"},
	checks.OutboundAccess:             {"outbound access", "in", "vpc-", "outbound access"},
	checks.VPCFlowLogs:                {"no flow logs", "in", "vpc-", "flow logs"},
}

// Subject is the email subject for r, e.g.
//
//	[vpcguard] HIGH model fraud-v3: no S3 endpoint in vpc-0abc (+1 more) - repaired
//
// Whatever the names in r, it is printable ASCII, non-empty and at most
// MaxSubject characters; a long resource name is shortened first.
func Subject(r report.Result) string {
	prefix := "[vpcguard] " + severityWord(r) + " "
	what := subjectResource(r)
	headline := subjectHeadline(r)
	suffix := ""
	if n := len(r.Failing()); n > 1 {
		suffix = fmt.Sprintf(" (+%d more)", n-1)
	}
	if s := actionWord(r); s != "" {
		suffix += " - " + s
	}
	// Give the name what the fixed parts leave, but never less than 16.
	room := MaxSubject - len(prefix) - len(": ") - len(headline) - len(suffix)
	what = clipASCII(what, max(room, 16))
	room = MaxSubject - len(prefix) - len(what) - len(": ") - len(suffix)
	headline = clipASCII(headline, max(room, 0))
	return clipASCII(strings.TrimRight(prefix+what+": "+headline, ": ")+suffix, MaxSubject)
}

// severityWord is HIGH, MEDIUM … for a non-compliant result, OK otherwise.
func severityWord(r report.Result) string {
	sev := r.HighestSeverity()
	switch {
	case sev == "" && len(r.Failing()) > 0:
		return "ISSUE" // failing checks of a severity vpcguard does not rank
	case sev == "":
		return "OK"
	}
	if w := clipASCII(strings.ToUpper(asciiLine(string(sev))), 10); w != "" {
		return w
	}
	return "ISSUE"
}

// subjectResource is "model fraud-v3" (or the event name when the result
// names no resource), folded to ASCII.
func subjectResource(r report.Result) string {
	if r.Resource == nil || (r.Resource.Type == "" && r.Resource.ID == "") {
		if name := asciiLine(r.Event.Name); name != "" {
			return name
		}
		return "event"
	}
	typ := asciiLine(r.Resource.Type)
	id := asciiLine(r.Resource.ID)
	if id == "" {
		id = "(no name)"
	}
	return strings.TrimSpace(typ + " " + id)
}

// subjectHeadline describes the most severe failing check, or says that the
// result is compliant.
func subjectHeadline(r report.Result) string {
	failing := sortedFailing(r)
	if len(failing) == 0 {
		switch actionWord(r) {
		case "":
			return "compliant"
		default:
			return "remediation"
		}
	}
	c := failing[0]
	h, known := headlines[c.ID]
	if !known {
		h.fail, h.noun = asciiLine(c.ID), asciiLine(c.ID)
	}
	if c.Status == report.StatusUnknown {
		s := "could not verify " + h.noun
		if accessDenied(c.Message) {
			s += " (access denied)"
		}
		return s
	}
	s := h.fail
	if h.prefix != "" {
		// Name the resource, unless the subject already does.
		if id := firstWithPrefix(c.Resources, h.prefix); id != "" && (r.Resource == nil || asciiLine(r.Resource.ID) != id) {
			s += " " + h.prep + " " + id
		}
	}
	return s
}

// sortedFailing is r.Failing() with the most severe first; at equal
// severity a failure comes before an unknown, then the result's order.
func sortedFailing(r report.Result) []report.Check {
	failing := r.Failing()
	slices.SortStableFunc(failing, func(a, b report.Check) int {
		if c := cmp.Compare(b.Severity.Rank(), a.Severity.Rank()); c != 0 {
			return c
		}
		return cmp.Compare(statusOrder(a.Status), statusOrder(b.Status))
	})
	return failing
}

func statusOrder(s report.Status) int {
	if s == report.StatusFail {
		return 0
	}
	return 1
}

// firstWithPrefix is the first resource that is an id with prefix (vpc-…),
// folded to ASCII and kept short.
func firstWithPrefix(resources []string, prefix string) string {
	for _, r := range resources {
		if strings.HasPrefix(r, prefix) {
			return clipASCII(asciiLine(r), 30)
		}
	}
	return ""
}

// accessDenied reports whether an unknown check's message shows that
// vpcguard's role lacked a permission.
func accessDenied(msg string) bool {
	for _, s := range []string{"AccessDenied", "UnauthorizedOperation", "AuthorizationError", "not authorized"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// actionWord summarises the remediation for the subject: "REPAIR FAILED",
// "repaired", "partly repaired", "fix planned", or "".
func actionWord(r report.Result) string {
	switch mostSignificantAction(r) {
	case report.ActionFailed:
		return "REPAIR FAILED"
	case report.ActionApplied:
		for _, c := range r.Failing() {
			if !repairedBy(r, c.ID) {
				return "partly repaired"
			}
		}
		return "repaired"
	case report.ActionPlanned:
		return "fix planned"
	}
	return ""
}
