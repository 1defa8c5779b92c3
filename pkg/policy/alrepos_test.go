package policy

import (
	"reflect"
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
	if s := got[0].Samples; s[0] != "arn:aws:s3:::packages.us-east-1.amazonaws.com/2018.03/main/20180308f2d7/x86_64/Packages/bash-4.2.46-34.43.amzn1.x86_64.rpm" ||
		s[1] != "arn:aws:s3:::packages.us-east-1.amazonaws.com/vpcguard-probe" {
		t.Errorf("packages samples = %q", s)
	}
	if s := got[4].Samples[0]; s != "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/core/mirrors/latest/x86_64/mirror.list" {
		t.Errorf("al2023 sample = %q", s)
	}
	for _, tg := range got {
		if len(tg.Samples) < 2 || tg.Name == "" || tg.Description == "" {
			t.Errorf("target %+v is incomplete", tg)
		}
		for _, s := range tg.Samples {
			if matchResource(tg.Pattern, s, false) != yes {
				t.Errorf("%s: sample %s is not covered by its own pattern %s", tg.Name, s, tg.Pattern)
			}
		}
		for _, other := range got {
			if other.Name != tg.Name && matchResource(other.Pattern, tg.Samples[0], false) != no {
				t.Errorf("%s's pattern covers %s's sample", other.Name, tg.Name)
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
		})
	}
}
