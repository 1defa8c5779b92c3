package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/merge/*.golden")

// checkMerge asserts the merge promises for any input; it is shared with
// the fuzz target.
func checkMerge(t testing.TB, original, partition, region string, r MergeResult) {
	t.Helper()
	if !r.Changed {
		if r.Policy != original || len(r.Added) != 0 || r.Diff != "" {
			t.Fatalf("unchanged result differs from the original: %+v", r)
		}
		if r.Refused == "" {
			for _, s := range RepoAccess(mustParse(t, original), partition, region) {
				if s.Decision != ExplicitDeny {
					t.Fatalf("nothing added although %s is %s", s.Target.Name, s.Decision)
				}
			}
		}
		return
	}
	if r.Refused != "" {
		t.Fatalf("changed and refused: %+v", r)
	}
	if !json.Valid([]byte(r.Policy)) || len(r.Policy) > MaxPolicyLength {
		t.Fatalf("merged policy invalid or too long (%d):\n%s", len(r.Policy), r.Policy)
	}
	before, after := mustParse(t, original), mustParse(t, r.Policy)
	if before.Version != after.Version || before.HasID != after.HasID || before.ID != after.ID ||
		!bytes.Equal(before.rawVersion, after.rawVersion) || !bytes.Equal(before.rawID, after.rawID) {
		t.Fatalf("Version/Id changed: %q %q → %q %q", before.rawVersion, before.rawID, after.rawVersion, after.rawID)
	}
	if after.StatementIsObject || len(after.Statements) != len(before.Statements)+len(r.Added) || len(r.Added) != 1 {
		t.Fatalf("%d statements + %d added → %d", len(before.Statements), len(r.Added), len(after.Statements))
	}
	for i, st := range before.Statements {
		if !bytes.Equal(st.Raw, after.Statements[i].Raw) {
			t.Fatalf("statement %d not kept byte for byte:\n%s\n%s", i, st.Raw, after.Statements[i].Raw)
		}
	}
	for i, st := range after.Statements[len(before.Statements):] {
		if st.Effect != Deny || !st.Principal.Wildcard || st.Condition != nil || string(st.Raw) != r.Added[i] {
			t.Fatalf("added statement is not an unconditional Deny for everyone: %s", st.Raw)
		}
		if !strings.HasPrefix(st.Sid, DenySid) {
			t.Fatalf("added Sid %q", st.Sid)
		}
	}
	for _, s := range RepoAccess(after, partition, region) {
		if s.Decision != ExplicitDeny {
			t.Fatalf("after the merge %s is %s", s.Target.Name, s.Decision)
		}
	}
	again, err := MergeALRepoDenies(r.Policy, partition, region)
	if err != nil || again.Changed || again.Refused != "" || again.Policy != r.Policy {
		t.Fatalf("merge is not idempotent: %+v, %v", again, err)
	}
	if !strings.Contains(r.Diff, "\n+ ") {
		t.Fatalf("diff without an added line:\n%s", r.Diff)
	}
}

func TestMergeGolden(t *testing.T) {
	for _, tc := range []struct{ name, input string }{
		{"aws-default", readTestdata(t, "aws-default.json")},
		{"guide-merged-with-allow", readTestdata(t, "guide-merged-with-allow.json")},
		{"allowlist-single-object", readTestdata(t, "allowlist.json")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := MergeALRepoDenies(tc.input, "aws", "us-east-1")
			if err != nil {
				t.Fatal(err)
			}
			checkMerge(t, tc.input, "aws", "us-east-1", r)
			got := r.Policy + "\n\n" + r.Diff
			path := filepath.Join("testdata", "merge", tc.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestMergeGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("merge of %s:\n%s\nwant:\n%s", tc.name, got, want)
			}
		})
	}
}

func TestMergeAddsOnlyTheMissing(t *testing.T) {
	r, err := MergeALRepoDenies(readTestdata(t, "guide-merged-with-allow.json"), "aws", "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Sid":"VpcguardDenyAmazonLinuxRepos","Effect":"Deny","Principal":"*","Action":["s3:GetObject"],` +
		`"Resource":["arn:aws:s3:::amazonlinux-2-repos-eu-west-1/*","arn:aws:s3:::al2023-repos-eu-west-1-*/*"]}`
	if !r.Changed || len(r.Added) != 1 || r.Added[0] != want {
		t.Fatalf("added %q, want %q", r.Added, want)
	}
	if strings.Join(r.Missing, ",") != "al2-repos,al2023-repos" {
		t.Errorf("missing = %v", r.Missing)
	}
}

func TestHardenedDefault(t *testing.T) {
	got := HardenedDefault("aws", "us-east-1")
	want := `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},` +
		`{"Sid":"VpcguardDenyAmazonLinuxRepos","Effect":"Deny","Principal":"*","Action":["s3:GetObject"],"Resource":[` +
		`"arn:aws:s3:::packages.*.amazonaws.com/*","arn:aws:s3:::repo.*.amazonaws.com/*","arn:aws:s3:::amazonlinux.*.amazonaws.com/*",` +
		`"arn:aws:s3:::amazonlinux-2-repos-us-east-1/*","arn:aws:s3:::al2023-repos-us-east-1-*/*"]}]}`
	if got != want {
		t.Fatalf("HardenedDefault =\n%s\nwant\n%s", got, want)
	}
	d := mustParse(t, got)
	if !RemainingAllow(d, "aws").Allows || IsFullAccess(d) {
		t.Error("the hardened default must allow, and must not read as the full-access default")
	}
	for _, s := range RepoAccess(d, "aws", "us-east-1") {
		if s.Decision != ExplicitDeny {
			t.Errorf("%s is %s", s.Target.Name, s.Decision)
		}
	}
	if ev := Evaluate(d, Request{"s3:GetObject", modelARN}); ev.Decision != Allowed || ev.Limited {
		t.Errorf("model artifacts: %v", ev)
	}
	for _, pr := range [][2]string{{"aws-cn", "cn-northwest-1"}, {"aws-us-gov", "us-gov-east-1"}, {"aws", "ap-southeast-3"}} {
		h := HardenedDefault(pr[0], pr[1])
		if h == "" {
			t.Fatalf("HardenedDefault(%q, %q) is empty", pr[0], pr[1])
		}
		for _, s := range RepoAccess(mustParse(t, h), pr[0], pr[1]) {
			if s.Decision != ExplicitDeny {
				t.Errorf("%s/%s: %s is %s", pr[0], pr[1], s.Target.Name, s.Decision)
			}
		}
	}
	if h := HardenedDefault("aws", "not a region"); h != "" {
		t.Errorf("HardenedDefault with a bad region = %q", h)
	}
}

func TestMergeCases(t *testing.T) {
	hardened := HardenedDefault("aws", "us-east-1")
	// padded is a full-access policy of exactly n bytes (a long Sid pads it).
	padded := func(n int) string {
		base := doc(Version2012, `{"Sid":"","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`)
		return strings.Replace(base, `"Sid":""`, `"Sid":"`+strings.Repeat("P", n-len(base))+`"`, 1)
	}
	growth := len(HardenedDefault("aws", "us-east-1")) - len(DefaultEndpointPolicy) // what the merge adds here
	for _, tc := range []struct {
		name, policy string
		changed      bool
		refused      string // substring of the refusal
		check        func(t *testing.T, r MergeResult)
	}{
		{name: "already hardened", policy: hardened},
		{name: "hardened, reformatted", policy: indent(t, hardened)},
		{name: "deny-only (the guide's snippets alone)", policy: readTestdata(t, "guide-merged.json"), refused: "no Allow statement (deny-only)"},
		{name: "deny everything", policy: doc("", allowAll, `{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}`), refused: "denies every S3 action"},
		{name: "no version stays without", policy: doc("", allowAll), changed: true, check: func(t *testing.T, r MergeResult) {
			if strings.Contains(r.Policy, "Version") {
				t.Errorf("a Version was added: %s", r.Policy)
			}
		}},
		{name: "2012 version kept", policy: doc(Version2012, allowAll), changed: true, check: func(t *testing.T, r MergeResult) {
			if !strings.HasPrefix(r.Policy, `{"Version":"2012-10-17","Statement":[`) {
				t.Errorf("policy = %s", r.Policy)
			}
		}},
		{name: "escaped version and id kept as written", policy: `{"Id":"p\u0031","Version":"2012-10-17","Statement":` + allowAll + `}`, changed: true,
			check: func(t *testing.T, r MergeResult) {
				if !strings.HasPrefix(r.Policy, `{"Version":"2012-10-17","Id":"p\u0031","Statement":[`+allowAll+`,{"Sid"`) {
					t.Errorf("policy = %s", r.Policy)
				}
			}},
		{name: "whitespace inside statements kept", policy: "{\n\t\"Statement\" : [ {\"Effect\" :\t\"Allow\", \"Principal\":\"*\",\n \"Action\":\"*\",\"Resource\":\"*\"} ]\n}", changed: true,
			check: func(t *testing.T, r MergeResult) {
				if !strings.HasPrefix(r.Policy, "{\"Statement\":[{\"Effect\" :\t\"Allow\", \"Principal\":\"*\",\n \"Action\":\"*\",\"Resource\":\"*\"},{") {
					t.Errorf("policy = %q", r.Policy)
				}
			}},
		{name: "sid collision", policy: doc("", allowAll, `{"Sid":"VpcguardDenyAmazonLinuxRepos","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::packages.*.amazonaws.com/*"}`),
			changed: true, check: func(t *testing.T, r MergeResult) {
				if !strings.HasPrefix(r.Added[0], `{"Sid":"VpcguardDenyAmazonLinuxRepos2",`) || strings.Contains(r.Added[0], "packages") {
					t.Errorf("added = %s", r.Added[0])
				}
			}},
		{name: "sid collision without regard to case", policy: doc("", allowAll,
			`{"Sid":"vpcguarddenyamazonlinuxrepos","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`,
			`{"Sid":"VPCGUARDDENYAMAZONLINUXREPOS2","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::c/*"}`),
			changed: true, check: func(t *testing.T, r MergeResult) {
				if !strings.HasPrefix(r.Added[0], `{"Sid":"VpcguardDenyAmazonLinuxRepos3",`) {
					t.Errorf("added = %s", r.Added[0])
				}
			}},
		{name: "conditional deny does not count", policy: doc("", allowAll,
			`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}}`), changed: true},
		{name: "deny for one role does not count", policy: doc("", allowAll,
			`{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/r"},"Action":"s3:GetObject","Resource":"*"}`), changed: true},
		{name: "allow-list gets the denies too", policy: readTestdata(t, "allowlist.json"), changed: true},
		{name: "exactly at the limit after the merge", policy: padded(MaxPolicyLength - growth), changed: true, check: func(t *testing.T, r MergeResult) {
			if len(r.Policy) != MaxPolicyLength {
				t.Errorf("merged length %d", len(r.Policy))
			}
		}},
		{name: "one over the limit after the merge", policy: padded(MaxPolicyLength - growth + 1), refused: "over the 20480-character limit"},
		{name: "original already over the limit", policy: padded(MaxPolicyLength + 10), refused: "over the 20480-character limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := MergeALRepoDenies(tc.policy, "aws", "us-east-1")
			if err != nil {
				t.Fatal(err)
			}
			if r.Changed != tc.changed || (tc.refused == "") != (r.Refused == "") || !strings.Contains(r.Refused, tc.refused) {
				t.Fatalf("Changed=%v Refused=%q, want changed=%v refused~%q", r.Changed, r.Refused, tc.changed, tc.refused)
			}
			checkMerge(t, tc.policy, "aws", "us-east-1", r)
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestMergeErrors(t *testing.T) {
	if _, err := MergeALRepoDenies(`{"Statement":[]}`, "aws", "us-east-1"); !errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("invalid policy: %v", err)
	}
	if _, err := MergeALRepoDenies("", "aws", "us-east-1"); !errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("empty policy: %v", err)
	}
	if r, err := MergeALRepoDenies(DefaultEndpointPolicy, "aws", "us-east-1*"); err == nil || r.Policy != DefaultEndpointPolicy {
		t.Errorf("a bad region: %v, Policy %q (must stay the original)", err, r.Policy)
	}
	if r, err := MergeALRepoDenies(`{"Statement":"x"}`, "aws", "us-east-1"); err == nil || r.Policy != `{"Statement":"x"}` || r.Changed {
		t.Errorf("invalid policy: %v, %+v", err, r)
	}
	if _, err := MergeALRepoDenies(DefaultEndpointPolicy, "aws-cn", "us-east-1"); err == nil {
		t.Error("a region outside its partition was accepted")
	}
}

func indent(t *testing.T, s string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "", "    "); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
