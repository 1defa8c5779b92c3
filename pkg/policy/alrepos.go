package policy

import (
	"fmt"
	"strings"
)

// The Amazon Linux package repositories that a model container could
// install packages from through the S3 gateway endpoint, and that the
// SageMaker guide ("Give SageMaker Hosted Endpoints Access to Resources in
// Your Amazon VPC", section "Restrict Package Installation on the Model
// Container with a Custom Endpoint Policy") tells you to deny.
//
// Sources:
//   - The guide's two snippets deny s3:GetObject, Principal "*", on
//     arn:aws:s3:::packages.*.amazonaws.com/* and arn:aws:s3:::repo.*.amazonaws.com/*
//     (Sid AmazonLinuxAMIRepositoryAccess) and on
//     arn:aws:s3:::amazonlinux.*.amazonaws.com/* (Sid AmazonLinux2AMIRepositoryAccess).
//   - Amazon Linux 2 over HTTPS reads from amazonlinux-2-repos-<region>; the
//     Amazon EMR release guide asks endpoint policies to allow
//     arn:aws:s3:::amazonlinux-2-repos-$region/*.
//   - Amazon Linux 2023 reads from al2023-repos-<region>-de612dc2; the AWS
//     Application Migration Service guide asks endpoint policies to allow
//     arn:aws:s3:::al2023-repos-<REGION>-de612dc2/*. vpcguard denies the
//     suffix as a wildcard (al2023-repos-<region>-*/*) so that a new suffix
//     is covered too, and probes the documented bucket.
//
// Wildcard against wildcard: a policy's own pattern (say
// arn:aws:s3:::al2023-repos-*/*) is never compared with vpcguard's pattern
// as text. Each target carries concrete sample object ARNs in the region —
// the real bucket, with a realistic key and a second, unrelated key — and a
// target counts as denied only when every sample is. A deny that covers
// only part of a bucket (one release path) therefore does not count.

// RepoTarget is one Amazon Linux repository bucket family.
type RepoTarget struct {
	// Name is a short stable identifier (al1-packages, al1-repo,
	// al2-amazonlinux, al2-repos, al2023-repos).
	Name string
	// Description names the repository for messages.
	Description string
	// Pattern is the resource to put in a Deny.
	Pattern string
	// Samples are concrete object ARNs in the region to evaluate against.
	Samples []string
}

// repoFamily describes one target independently of partition and region.
type repoFamily struct {
	name, description string
	pattern           func(p, region, domain string) string
	bucket            func(region, domain string) string
	keys              []string
}

// repoFamilies are ordered from the guide's snippets to the newer buckets;
// the order is also the order of the resources in the Deny vpcguard adds.
func repoFamilies() []repoFamily {
	return []repoFamily{
		{
			name: "al1-packages", description: "Amazon Linux AMI packages (packages.<region>)",
			pattern: func(p, _, d string) string { return "arn:" + p + ":s3:::packages.*." + d + "/*" },
			bucket:  func(r, d string) string { return "packages." + r + "." + d },
			keys:    []string{"2018.03/main/20180308f2d7/x86_64/Packages/bash-4.2.46-34.43.amzn1.x86_64.rpm"},
		},
		{
			name: "al1-repo", description: "Amazon Linux AMI mirror lists (repo.<region>)",
			pattern: func(p, _, d string) string { return "arn:" + p + ":s3:::repo.*." + d + "/*" },
			bucket:  func(r, d string) string { return "repo." + r + "." + d },
			keys:    []string{"2018.03/main/mirror.list"},
		},
		{
			name: "al2-amazonlinux", description: "Amazon Linux 2 repositories (amazonlinux.<region>)",
			pattern: func(p, _, d string) string { return "arn:" + p + ":s3:::amazonlinux.*." + d + "/*" },
			bucket:  func(r, d string) string { return "amazonlinux." + r + "." + d },
			keys:    []string{"2/core/latest/x86_64/mirror.list"},
		},
		{
			name: "al2-repos", description: "Amazon Linux 2 repositories over HTTPS (amazonlinux-2-repos-<region>)",
			pattern: func(p, r, _ string) string { return "arn:" + p + ":s3:::amazonlinux-2-repos-" + r + "/*" },
			bucket:  func(r, _ string) string { return "amazonlinux-2-repos-" + r },
			keys:    []string{"2/core/latest/x86_64/mirror.list"},
		},
		{
			name: "al2023-repos", description: "Amazon Linux 2023 repositories (al2023-repos-<region>-de612dc2)",
			pattern: func(p, r, _ string) string { return "arn:" + p + ":s3:::al2023-repos-" + r + "-*/*" },
			bucket:  func(r, _ string) string { return "al2023-repos-" + r + "-de612dc2" },
			keys:    []string{"core/mirrors/latest/x86_64/mirror.list"},
		},
	}
}

// probeKey is the second sample key of every target: an object outside
// any release path, so that a deny on one path does not pass for the bucket.
const probeKey = "vpcguard-probe"

// ALRepoResources returns the Amazon Linux repository targets for an S3
// gateway endpoint in partition and region.
func ALRepoResources(partition, region string) []RepoTarget {
	domain := dnsSuffix(partition)
	families := repoFamilies()
	out := make([]RepoTarget, 0, len(families))
	for _, f := range families {
		bucket := "arn:" + partition + ":s3:::" + f.bucket(region, domain)
		t := RepoTarget{
			Name:        f.name,
			Description: f.description,
			Pattern:     f.pattern(partition, region, domain),
		}
		for _, k := range f.keys {
			t.Samples = append(t.Samples, bucket+"/"+k)
		}
		t.Samples = append(t.Samples, bucket+"/"+probeKey)
		out = append(out, t)
	}
	return out
}

// dnsSuffix is the service domain of a partition, which the older
// repository bucket names embed (packages.cn-north-1.amazonaws.com.cn).
func dnsSuffix(partition string) string {
	if partition == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// CheckPartitionRegion validates a partition ("aws", "aws-cn",
// "aws-us-gov", ...) and a region name ("us-east-1"), and that they go
// together.
func CheckPartitionRegion(partition, region string) error {
	if !validPartition(partition) {
		return fmt.Errorf("invalid partition %q", partition)
	}
	if !validRegion(region) {
		return fmt.Errorf("invalid region %q", region)
	}
	cn, gov := strings.HasPrefix(region, "cn-"), strings.HasPrefix(region, "us-gov-")
	if (partition == "aws-cn") != cn || (partition == "aws-us-gov") != gov {
		return fmt.Errorf("region %q is not in partition %q", region, partition)
	}
	return nil
}

// validPartition: "aws" or "aws-" followed by lowercase words ("aws-us-gov").
func validPartition(p string) bool {
	parts := strings.Split(p, "-")
	if parts[0] != "aws" {
		return false
	}
	for _, w := range parts[1:] {
		if !allIn(w, "abcdefghijklmnopqrstuvwxyz") {
			return false
		}
	}
	return true
}

// validRegion: two letters, one or more lowercase words, a number
// ("us-east-1", "us-gov-west-1", "ap-southeast-3").
func validRegion(r string) bool {
	parts := strings.Split(r, "-")
	if len(parts) < 3 || len(parts[0]) != 2 || !allIn(parts[0], "abcdefghijklmnopqrstuvwxyz") {
		return false
	}
	for _, w := range parts[1 : len(parts)-1] {
		if !allIn(w, "abcdefghijklmnopqrstuvwxyz") {
			return false
		}
	}
	return allIn(parts[len(parts)-1], "0123456789")
}

// allIn: s is non-empty and made only of bytes in set.
func allIn(s, set string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(set, rune(s[i])) {
			return false
		}
	}
	return true
}

// RepoStatus is how doc treats s3:GetObject on one repository target.
type RepoStatus struct {
	Target RepoTarget
	// Decision is the least-denied outcome over the target's samples:
	// Allowed if any sample is allowed, else ImplicitDeny if any is
	// implicitly denied, else ExplicitDeny.
	Decision Decision
	// Sample is the sample that decided, and Evaluation its evaluation
	// (the deciding statement, for a message to cite).
	Sample     string
	Evaluation Evaluation
}

// Denied reports whether the target is effectively denied (explicitly, or
// because no Allow covers it).
func (s RepoStatus) Denied() bool { return s.Decision != Allowed }

// RepoAccess evaluates s3:GetObject on every Amazon Linux repository target
// of partition/region against doc.
func RepoAccess(doc *Document, partition, region string) []RepoStatus {
	targets := ALRepoResources(partition, region)
	out := make([]RepoStatus, 0, len(targets))
	for _, t := range targets {
		st := RepoStatus{Target: t}
		for i, sample := range t.Samples {
			ev := Evaluate(doc, Request{Action: "s3:GetObject", Resource: sample})
			if i == 0 || rank(ev.Decision) > rank(st.Decision) {
				st.Decision, st.Sample, st.Evaluation = ev.Decision, sample, ev
			}
		}
		out = append(out, st)
	}
	return out
}

// rank orders decisions from most denied to most allowed.
func rank(d Decision) int {
	switch d {
	case ExplicitDeny:
		return 0
	case ImplicitDeny:
		return 1
	}
	return 2
}
