package policy

import (
	"fmt"
	"strings"
	"testing"
)

const (
	pkgARN    = "arn:aws:s3:::packages.us-east-1.amazonaws.com/2018.03/main/x"
	al2ARN    = "arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/2/core/latest/x86_64/mirror.list"
	al2023ARN = "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/core/mirrors/latest/x86_64/mirror.list"
	modelARN  = "arn:aws:s3:::model-artifacts-111122223333/model.tar.gz"
	allowAll  = `{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`
)

// doc builds a policy from statements, with an optional Version.
func doc(version string, statements ...string) string {
	v := ""
	if version != "" {
		v = fmt.Sprintf(`"Version":%q,`, version)
	}
	return "{" + v + `"Statement":[` + strings.Join(statements, ",") + "]}"
}

func TestEvaluate(t *testing.T) {
	get := func(arn string) Request { return Request{Action: "s3:GetObject", Resource: arn} }
	for _, tc := range []struct {
		name    string
		policy  string
		req     Request
		want    Decision
		stmt    int  // deciding statement, -1 for none
		limited bool // for Allowed
	}{
		// The AWS default and its equivalents.
		{"aws default", DefaultEndpointPolicy, get(pkgARN), Allowed, 0, false},
		{"aws default, no version", doc("", allowAll), get(pkgARN), Allowed, 0, false},
		{"principal AWS star", doc("", `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}`), get(pkgARN), Allowed, 0, false},

		// The guide's snippets, alone (deny-only) and on top of full access.
		{"guide AL1 alone", readTestdata(t, "guide-al1-deny.json"), get(pkgARN), ExplicitDeny, 0, false},
		{"guide AL1 alone, model bucket", readTestdata(t, "guide-al1-deny.json"), get(modelARN), ImplicitDeny, -1, false},
		{"guide merged + allow, AL1", readTestdata(t, "guide-merged-with-allow.json"), get(pkgARN), ExplicitDeny, 1, false},
		{"guide merged + allow, AL2", readTestdata(t, "guide-merged-with-allow.json"), get(al2ARN), ExplicitDeny, 2, false},
		{"guide merged + allow, AL2023 not covered", readTestdata(t, "guide-merged-with-allow.json"), get(al2023ARN), Allowed, 0, false},
		{"guide merged + allow, PutObject not denied", readTestdata(t, "guide-merged-with-allow.json"), Request{"s3:PutObject", pkgARN}, Allowed, 0, false},
		{"deny-only, everything implicit", readTestdata(t, "guide-merged.json"), get(modelARN), ImplicitDeny, -1, false},

		// Wildcards in Action.
		{"deny s3:Get*", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"s3:Get*","Resource":"*"}`), get(pkgARN), ExplicitDeny, 1, false},
		{"deny s3:GetObjec?", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"s3:GetObjec?","Resource":"*"}`), get(pkgARN), ExplicitDeny, 1, false},
		{"deny s3:GetObject? does not match", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"s3:GetObject?","Resource":"*"}`), get(pkgARN), Allowed, 0, false},
		{"deny action case-insensitive", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"S3:getobject","Resource":"*"}`), get(pkgARN), ExplicitDeny, 1, false},
		{"deny other service", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"ec2:*","Resource":"*"}`), get(pkgARN), Allowed, 0, false},
		{"deny action list", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":["s3:PutObject","s3:GetObject"],"Resource":"*"}`), get(pkgARN), ExplicitDeny, 1, false},

		// Wildcards in Resource; resources are case-sensitive.
		{"deny resource ?", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::packages.us-east-?.amazonaws.com/*"}`), get(pkgARN), ExplicitDeny, 1, false},
		{"deny resource other case", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::PACKAGES.*.amazonaws.com/*"}`), get(pkgARN), Allowed, 0, false},
		{"deny one path only", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::packages.us-east-1.amazonaws.com/2017.09/*"}`), get(pkgARN), Allowed, 0, false},
		{"deny bucket not objects", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::packages.us-east-1.amazonaws.com"}`), get(pkgARN), Allowed, 0, false},

		// NotAction / NotResource.
		{"deny NotAction put", doc("", allowAll, `{"Effect":"Deny","Principal":"*","NotAction":"s3:PutObject","Resource":"*"}`), get(pkgARN), ExplicitDeny, 1, false},
		{"deny NotAction get*", doc("", allowAll, `{"Effect":"Deny","Principal":"*","NotAction":["s3:Get*"],"Resource":"*"}`), get(pkgARN), Allowed, 0, false},
		{"deny NotResource model bucket", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":["arn:aws:s3:::model-artifacts-111122223333/*"]}`), get(pkgARN), ExplicitDeny, 1, false},
		{"deny NotResource, model bucket spared", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":["arn:aws:s3:::model-artifacts-111122223333/*"]}`), get(modelARN), Allowed, 0, false},
		{"allow NotResource repos", doc("", `{"Effect":"Allow","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::packages.*"}`), get(pkgARN), ImplicitDeny, -1, false},
		{"allow NotAction", doc("", `{"Effect":"Allow","Principal":"*","NotAction":"iam:*","Resource":"*"}`), get(pkgARN), Allowed, 0, false},

		// Principals: a specific principal does not cover every caller.
		{"deny one role", doc("", allowAll, `{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/r"},"Action":"s3:GetObject","Resource":"*"}`), get(pkgARN), Allowed, 0, false},
		{"deny AWS star in list", doc("", allowAll, `{"Effect":"Deny","Principal":{"AWS":["arn:aws:iam::111122223333:role/r","*"]},"Action":"s3:GetObject","Resource":"*"}`), get(pkgARN), ExplicitDeny, 1, false},
		{"deny service star", doc("", allowAll, `{"Effect":"Deny","Principal":{"Service":"*"},"Action":"s3:GetObject","Resource":"*"}`), get(pkgARN), Allowed, 0, false},
		{"deny NotPrincipal", doc("", allowAll, `{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"*"}`), get(pkgARN), Allowed, 0, false},
		{"deny without principal", doc("", allowAll, `{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}`), get(pkgARN), Allowed, 0, false},
		{"allow one role is an allow", doc("", `{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/r"]},"Action":"s3:*","Resource":"*"}`), get(pkgARN), Allowed, 0, true},

		// Conditions: a conditional Deny is not counted; a conditional Allow is a possible allow.
		{"conditional deny", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}}`), get(pkgARN), Allowed, 0, false},
		{"conditional allow", doc("", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true}}}`), get(pkgARN), Allowed, 0, true},
		{"full allow preferred over limited", doc("", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true}}}`, allowAll), get(pkgARN), Allowed, 1, false},
		{"first certain deny wins", doc("", allowAll,
			`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}`,
			`{"Sid":"Real","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::packages.*"}`), get(pkgARN), ExplicitDeny, 2, false},

		// Policy variables: in 2012-10-17 a Deny through one is not counted, an Allow is possible.
		{"deny via variable, 2012", doc(Version2012, allowAll, `{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:username}*"}`), get(pkgARN), Allowed, 0, false},
		{"allow via variable, 2012", doc(Version2012, `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:username}/*"}`), get(pkgARN), Allowed, 0, true},
		{"no variables in Action", doc(Version2012, `{"Effect":"Allow","Principal":"*","Action":"s3:${aws:username}","Resource":"*"}`), get(pkgARN), ImplicitDeny, -1, false},
		{"variable is text in 2008", doc(Version2008, `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:username}/*"}`), get(pkgARN), ImplicitDeny, -1, false},

		// The restrictive allow-list style.
		{"allowlist, repos implicit", readTestdata(t, "allowlist.json"), get(pkgARN), ImplicitDeny, -1, false},
		{"allowlist, model bucket", readTestdata(t, "allowlist.json"), get(modelARN), Allowed, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := Evaluate(mustParse(t, tc.policy), tc.req)
			if ev.Decision != tc.want || ev.Statement != tc.stmt || (ev.Decision == Allowed && ev.Limited != tc.limited) {
				t.Errorf("Evaluate = %+v, want %s by statement %d (limited %v)", ev, tc.want, tc.stmt, tc.limited)
			}
			if (ev.Statement < 0) != (ev.Label == "") {
				t.Errorf("label %q for statement %d", ev.Label, ev.Statement)
			}
			if ev.String() == "" {
				t.Error("empty String()")
			}
		})
	}
}

func TestEvaluateExplainsUncountedDenies(t *testing.T) {
	d := mustParse(t, doc("", allowAll,
		`{"Sid":"OnlyOneRole","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/r"},"Action":"s3:GetObject","Resource":"*"}`,
		`{"Sid":"Conditional","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}}`))
	ev := Evaluate(d, Request{"s3:GetObject", pkgARN})
	if ev.Decision != Allowed || len(ev.Uncounted) != 2 {
		t.Fatalf("Evaluate = %+v", ev)
	}
	if !strings.Contains(ev.Uncounted[0].Label, "OnlyOneRole") || !strings.Contains(strings.Join(ev.Uncounted[0].Reasons, ";"), "specific principals") {
		t.Errorf("first uncounted = %+v", ev.Uncounted[0])
	}
	if !strings.Contains(strings.Join(ev.Uncounted[1].Reasons, ";"), "Condition") {
		t.Errorf("second uncounted = %+v", ev.Uncounted[1])
	}
	if Evaluate(nil, Request{"s3:GetObject", pkgARN}).Decision != ImplicitDeny {
		t.Error("a nil document allows")
	}
}

func TestIsFullAccess(t *testing.T) {
	for _, tc := range []struct {
		name, policy string
		want         bool
	}{
		{"aws default 2008", DefaultEndpointPolicy, true},
		{"aws default with empty Sid", `{"Version":"2008-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, true},
		{"aws default, interface shape", "{\n  \"Statement\": [\n    {\n      \"Action\": \"*\", \n      \"Effect\": \"Allow\", \n      \"Principal\": \"*\", \n      \"Resource\": \"*\"\n    }\n  ]\n}", true},
		{"AWS star, s3:*", doc(Version2012, `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}`), true},
		{"arn:aws:s3:::*", doc("", `{"Effect":"Allow","Principal":"*","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}`), true},
		{"NotAction iam", doc("", `{"Effect":"Allow","Principal":"*","NotAction":"iam:*","Resource":"*"}`), true},
		{"plus a narrower allow", doc("", allowAll, `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"s3:GetObject","Resource":"*"}`), true},
		{"s3:Get* only", doc("", `{"Effect":"Allow","Principal":"*","Action":"s3:Get*","Resource":"*"}`), false},
		{"one bucket", doc("", `{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::b/*"}`), false},
		{"NotAction s3:PutObject", doc("", `{"Effect":"Allow","Principal":"*","NotAction":"s3:PutObject","Resource":"*"}`), false},
		{"NotResource", doc("", `{"Effect":"Allow","Principal":"*","Action":"*","NotResource":"arn:aws:s3:::secret/*"}`), false},
		{"one role", doc("", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/r"},"Action":"*","Resource":"*"}`), false},
		{"condition", doc("", `{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"1"}}}`), false},
		{"with guide denies", readTestdata(t, "guide-merged-with-allow.json"), false},
		{"with a conditional deny", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}`), false},
		{"deny-only", readTestdata(t, "guide-merged.json"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsFullAccess(mustParse(t, tc.policy)); got != tc.want {
				t.Errorf("IsFullAccess = %v, want %v", got, tc.want)
			}
		})
	}
	if IsFullAccess(nil) {
		t.Error("IsFullAccess(nil)")
	}
}

// TestRemainingAllow: does any S3 request still get through? IAM User
// Guide, "The difference between explicit and implicit denies": a Deny
// that applies trumps an Allow that applies (explicit deny), and a request
// no Allow covers is denied by default (implicit deny). So an Allow counts
// only if some request it covers is not certainly denied.
func TestRemainingAllow(t *testing.T) {
	bucketOnly := `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`
	for _, tc := range []struct {
		name, policy string
		want         bool
		label        string // the surviving Allow
	}{
		{"aws default", DefaultEndpointPolicy, true, "Statement[0]"},
		{"guide merged, deny-only", readTestdata(t, "guide-merged.json"), false, ""},
		{"guide AL1 alone", readTestdata(t, "guide-al1-deny.json"), false, ""},
		{"guide merged with allow", readTestdata(t, "guide-merged-with-allow.json"), true, "Statement[0]"},
		{"allow for one role", doc("", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/r"},"Action":"s3:GetObject","Resource":"*"}`), true, "Statement[0]"},
		{"deny everything", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}`), false, ""},
		{"deny all of s3", doc("", allowAll, `{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"arn:aws:s3:::*"}`), false, ""},
		{"deny everything but conditional", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}`), true, "Statement[0]"},
		{"deny everything for one role", doc("", allowAll, `{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::1:role/r"},"Action":"*","Resource":"*"}`), true, "Statement[0]"},
		{"deny everything but one bucket", doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"*","NotResource":"arn:aws:s3:::b/*"}`), true, "Statement[0]"},
		// The false pass: an Allow of s3:GetObject on one bucket
		// and a Deny of s3:* on that bucket and its objects.
		{"allow taken back by a deny of the bucket", doc("2012-10-17", bucketOnly,
			`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`), false, ""},
		{"allow taken back by a wider action pattern", doc("", bucketOnly,
			`{"Effect":"Deny","Principal":"*","Action":"s3:Get*","Resource":"arn:aws:s3:::*"}`), false, ""},
		// Object keys have at least one character: "arn:aws:s3:::b/" names
		// nothing, so these two Denies take back all of b/*.
		{"allow taken back by two denies together", doc("", bucketOnly,
			`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/?"}`,
			`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/??*"}`), false, ""},
		{"two denies leave a gap", doc("", bucketOnly,
			`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/a*"}`,
			`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/?b*"}`), true, "Statement[0]"},
		{"deny of the objects only leaves the bucket's other actions", doc("",
			`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`,
			`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), true, "Statement[0]"},
		{"a conditional deny does not take anything back", doc("", bucketOnly,
			`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}`), true, "Statement[0]"},
		{"a deny through a policy variable does not count", doc("2012-10-17", bucketOnly,
			`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::${aws:username}/*"}`), true, "Statement[0]"},
		{"allow of another service only", doc("", `{"Effect":"Allow","Principal":"*","Action":"ec2:*","Resource":"*"}`), false, ""},
		{"NotAction deny of everything but iam", doc("", allowAll, `{"Effect":"Deny","Principal":"*","NotAction":"iam:*","Resource":"*"}`), false, ""},
		{"NotAction deny spares s3:ListBucket", doc("", allowAll, `{"Effect":"Deny","Principal":"*","NotAction":"s3:ListBucket","Resource":"*"}`), true, "Statement[0]"},
		{"second allow survives", doc("", bucketOnly,
			`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::c/*"}`,
			`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"arn:aws:s3:::b/*"}`), true, "Statement[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustParse(t, tc.policy)
			r := RemainingAllow(d, "aws")
			if r.Undecided || r.Allows != tc.want {
				t.Fatalf("RemainingAllow = %+v, want allows=%v", r, tc.want)
			}
			if !r.Allows {
				if r.Why == "" {
					t.Error("no reason given")
				}
				return
			}
			if r.Label != tc.label {
				t.Errorf("surviving statement %s, want %s", r.Label, tc.label)
			}
			// The example is a real request that Evaluate allows.
			if ev := Evaluate(d, r.Example); ev.Decision != Allowed || !strings.HasPrefix(r.Example.Action, "s3:") || !strings.HasPrefix(r.Example.Resource, "arn:aws:s3:::") {
				t.Errorf("example %+v evaluates to %s", r.Example, ev)
			}
		})
	}
	if r := RemainingAllow(nil, "aws"); r.Allows {
		t.Error("no policy allows nothing")
	}
}
