package policy

import (
	"reflect"
	"strings"
	"testing"
)

func TestALRepoResources(t *testing.T) {
	got := ALRepoResources("aws", "us-east-1")
	var patterns []string
	for _, tg := range got {
		patterns = append(patterns, tg.Pattern)
	}
	want := []string{
		"arn:aws:s3:::packages.*.amazonaws.com/*",
		"arn:aws:s3:::repo.*.amazonaws.com/*",
		"arn:aws:s3:::amazonlinux.*.amazonaws.com/*",
		"arn:aws:s3:::amazonlinux-2-repos-us-east-1/*",
		"arn:aws:s3:::al2023-repos-us-east-1-*/*",
	}
	if !reflect.DeepEqual(patterns, want) {
		t.Errorf("patterns = %q\nwant %q", patterns, want)
	}
	if got[0].Bucket != "packages.us-east-1.amazonaws.com" || got[0].ObjectPrefix != "arn:aws:s3:::packages.us-east-1.amazonaws.com/" {
		t.Errorf("packages target = %+v", got[0])
	}
	if got[4].Bucket != "al2023-repos-us-east-1-de612dc2" {
		t.Errorf("al2023 bucket = %q", got[4].Bucket)
	}
	for _, tg := range got {
		if tg.Name == "" || tg.Description == "" || tg.ObjectPrefix != "arn:aws:s3:::"+tg.Bucket+"/" {
			t.Errorf("target %+v is incomplete", tg)
		}
		// The Deny vpcguard adds covers every object of the bucket, and no
		// other target's pattern reaches into it.
		if includes(prefixGlob(tg.ObjectPrefix), []glob{mustGlob(tg.Pattern)}, false) != yes {
			t.Errorf("%s: pattern %s does not cover every object of %s", tg.Name, tg.Pattern, tg.Bucket)
		}
		for _, other := range got {
			if other.Name != tg.Name && intersects(prefixGlob(tg.ObjectPrefix), mustGlob(other.Pattern), false) != no {
				t.Errorf("%s's pattern reaches into %s's bucket", other.Name, tg.Name)
			}
		}
	}
	cn := ALRepoResources("aws-cn", "cn-north-1")
	if cn[0].Pattern != "arn:aws-cn:s3:::packages.*.amazonaws.com.cn/*" || cn[3].Pattern != "arn:aws-cn:s3:::amazonlinux-2-repos-cn-north-1/*" {
		t.Errorf("aws-cn patterns: %q, %q", cn[0].Pattern, cn[3].Pattern)
	}
}

func TestCheckPartitionRegion(t *testing.T) {
	for _, tc := range []struct {
		partition, region string
		ok                bool
	}{
		{"aws", "us-east-1", true},
		{"aws", "ap-southeast-3", true},
		{"aws-cn", "cn-north-1", true},
		{"aws-us-gov", "us-gov-west-1", true},
		{"aws", "cn-north-1", false},
		{"aws-cn", "us-east-1", false},
		{"aws", "us-gov-west-1", false},
		{"aws", "us-east", false},
		{"aws", "US-EAST-1", false},
		{"aws", "us-east-1*", false},
		{"aws", "", false},
		{"", "us-east-1", false},
		{"gcp", "us-east-1", false},
		{"aws-", "us-east-1", false},
	} {
		if err := CheckPartitionRegion(tc.partition, tc.region); (err == nil) != tc.ok {
			t.Errorf("CheckPartitionRegion(%q, %q) = %v, want ok=%v", tc.partition, tc.region, err, tc.ok)
		}
	}
}

func TestRepoAccess(t *testing.T) {
	type want map[string]Decision
	allowed := want{"al1-packages": Allowed, "al1-repo": Allowed, "al2-amazonlinux": Allowed, "al2-repos": Allowed, "al2023-repos": Allowed}
	denyWith := func(resources string) string {
		return doc("", allowAll, `{"Sid":"D","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":`+resources+`}`)
	}
	for _, tc := range []struct {
		name, policy string
		want         want
	}{
		{"aws default", DefaultEndpointPolicy, allowed},
		{"guide snippets on full access", readTestdata(t, "guide-merged-with-allow.json"),
			want{"al1-packages": ExplicitDeny, "al1-repo": ExplicitDeny, "al2-amazonlinux": ExplicitDeny, "al2-repos": Allowed, "al2023-repos": Allowed}},
		{"guide snippets alone (deny-only)", readTestdata(t, "guide-merged.json"),
			want{"al1-packages": ExplicitDeny, "al1-repo": ExplicitDeny, "al2-amazonlinux": ExplicitDeny, "al2-repos": ImplicitDeny, "al2023-repos": ImplicitDeny}},
		{"allow-list", readTestdata(t, "allowlist.json"),
			want{"al1-packages": ImplicitDeny, "al1-repo": ImplicitDeny, "al2-amazonlinux": ImplicitDeny, "al2-repos": ImplicitDeny, "al2023-repos": ImplicitDeny}},
		{"hardened default", HardenedDefault("aws", "us-east-1"),
			want{"al1-packages": ExplicitDeny, "al1-repo": ExplicitDeny, "al2-amazonlinux": ExplicitDeny, "al2-repos": ExplicitDeny, "al2023-repos": ExplicitDeny}},
		// Wildcard against wildcard, decided by the samples.
		{"broader al2023 wildcard", denyWith(`"arn:aws:s3:::al2023-repos-*/*"`),
			want{"al1-packages": Allowed, "al1-repo": Allowed, "al2-amazonlinux": Allowed, "al2-repos": Allowed, "al2023-repos": ExplicitDeny}},
		{"exact documented al2023 bucket", denyWith(`"arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*"`),
			want{"al1-packages": Allowed, "al1-repo": Allowed, "al2-amazonlinux": Allowed, "al2-repos": Allowed, "al2023-repos": ExplicitDeny}},
		{"one path of the al2023 bucket only", denyWith(`"arn:aws:s3:::al2023-repos-us-east-1-de612dc2/core/*"`), allowed},
		{"another region only", denyWith(`["arn:aws:s3:::amazonlinux-2-repos-eu-west-1/*","arn:aws:s3:::al2023-repos-eu-west-1-*/*"]`), allowed},
		{"one wildcard for both new families", denyWith(`"arn:aws:s3:::*-repos-*/*"`),
			want{"al1-packages": Allowed, "al1-repo": Allowed, "al2-amazonlinux": Allowed, "al2-repos": ExplicitDeny, "al2023-repos": ExplicitDeny}},
		{"deny all of s3:GetObject", denyWith(`"*"`),
			want{"al1-packages": ExplicitDeny, "al1-repo": ExplicitDeny, "al2-amazonlinux": ExplicitDeny, "al2-repos": ExplicitDeny, "al2023-repos": ExplicitDeny}},

		// The false passes of sample keys (issue 15). An Allow-list whose key
		// pattern misses any chosen sample still lets repository objects
		// through: the metadata under repodata/ here.
		{"allow-list limited to a key pattern", doc("", `{"Sid":"Meta","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::*/repodata/*"}`), allowed},
		// A Deny limited to a key pattern that every sample happens to match
		// (all contain an "e") leaves the other keys readable.
		{"deny limited to keys with an e", denyWith(`"arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*e*"`), allowed},
		// IAM: "If policies that apply to a request include an Allow statement
		// and a Deny statement, the Deny statement trumps the Allow": two
		// Denies that each cover part of the keys deny them all together.
		{"two denies that cover the bucket only together", doc("", allowAll,
			`{"Sid":"One","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::packages.us-east-1.amazonaws.com/?"}`,
			`{"Sid":"More","Effect":"Deny","Principal":"*","Action":"s3:Get*","Resource":"arn:aws:s3:::packages.us-east-1.amazonaws.com/??*"}`),
			want{"al1-packages": ExplicitDeny, "al1-repo": Allowed, "al2-amazonlinux": Allowed, "al2-repos": Allowed, "al2023-repos": Allowed}},
		// IAM: with no applicable Allow a request is implicitly denied. Every
		// key the Allow gives is taken back by the Deny; the rest no Allow
		// covers.
		{"every allowed key denied again", doc("",
			`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::amazonlinux-2-repos-us-east-1/2/*"}`,
			`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::amazonlinux-2-repos-*/2/*"}`),
			want{"al1-packages": ImplicitDeny, "al1-repo": ImplicitDeny, "al2-amazonlinux": ImplicitDeny, "al2-repos": ImplicitDeny, "al2023-repos": ImplicitDeny}},
		// A Deny that does not certainly apply to everyone is not counted.
		{"conditional deny of every repository", doc("", allowAll,
			`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}`), allowed},
		{"deny through a policy variable", doc("2012-10-17", allowAll,
			`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:username}/*"}`), allowed},
		{"NotResource deny spares only model artifacts", doc("", allowAll,
			`{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":["arn:aws:s3:::ml-artifacts-111122223333/*","arn:aws:s3:::ml-artifacts-111122223333"]}`),
			want{"al1-packages": ExplicitDeny, "al1-repo": ExplicitDeny, "al2-amazonlinux": ExplicitDeny, "al2-repos": ExplicitDeny, "al2023-repos": ExplicitDeny}},
		{"NotResource deny that spares a key pattern", doc("", allowAll,
			`{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::*.rpm"}`), allowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := want{}
			for _, s := range RepoAccess(mustParse(t, tc.policy), "aws", "us-east-1") {
				got[s.Target.Name] = s.Decision
				if s.Denied() != (s.Decision != Allowed) {
					t.Errorf("%s: Denied() = %v for %s", s.Target.Name, s.Denied(), s.Decision)
				}
				if s.Decision != ImplicitDeny && s.Evaluation.Label == "" {
					t.Errorf("%s: %s without a deciding statement", s.Target.Name, s.Decision)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("RepoAccess = %v\nwant %v", got, tc.want)
			}
			// Each verdict names a concrete object that shows it.
			d := mustParse(t, tc.policy)
			for _, s := range RepoAccess(d, "aws", "us-east-1") {
				if s.Decision == ExplicitDeny {
					continue
				}
				if !strings.HasPrefix(s.Sample, s.Target.ObjectPrefix) || Evaluate(d, Request{"s3:GetObject", s.Sample}).Decision != s.Decision {
					t.Errorf("%s: sample %q does not show %s", s.Target.Name, s.Sample, s.Decision)
				}
			}
		})
	}
}

// TestRepoAccessMessages: the verdict names the statement that leaves a
// bucket open, with an object it lets through, and the Deny that closes it.
func TestRepoAccessMessages(t *testing.T) {
	d := mustParse(t, doc("", `{"Sid":"Meta","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::*/repodata/*"}`))
	s := RepoAccess(d, "aws", "us-east-1")[4]
	if got := s.String(); !strings.Contains(got, `allowed by Statement[0] (Sid "Meta")`) || !strings.Contains(got, "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/") || !strings.Contains(got, "/repodata/") {
		t.Errorf("open message: %s", got)
	}
	d = mustParse(t, doc("", allowAll,
		`{"Sid":"One","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::packages.us-east-1.amazonaws.com/?"}`,
		`{"Sid":"More","Effect":"Deny","Principal":"*","Action":"s3:Get*","Resource":"arn:aws:s3:::packages.us-east-1.amazonaws.com/??*"}`))
	if got := RepoAccess(d, "aws", "us-east-1")[0].String(); got != `every object explicitly denied by Statement[1] (Sid "One") and Statement[2] (Sid "More") together` {
		t.Errorf("union message: %s", got)
	}
	if got := RepoAccess(mustParse(t, HardenedDefault("aws", "us-east-1")), "aws", "us-east-1")[0].String(); got != `every object explicitly denied by Statement[1] (Sid "VpcguardDenyAmazonLinuxRepos")` {
		t.Errorf("deny message: %s", got)
	}
}
