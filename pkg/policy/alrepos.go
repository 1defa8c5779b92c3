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
// as text, nor tried on a few sample keys. Each target names the region's
// real bucket, and RepoAccess decides s3:GetObject for every object key of
// it at once, by reasoning over the policy's patterns (PrefixAccess): a
// Deny that covers only part of a bucket (one release path, one key
// pattern) does not count, and neither does an Allow-list that happens to
// miss a couple of chosen keys.

// RepoTarget is one Amazon Linux repository bucket family.
type RepoTarget struct {
	// Name is a short stable identifier (al1-packages, al1-repo,
	// al2-amazonlinux, al2-repos, al2023-repos).
	Name string
	// Description names the repository for messages.
	Description string
	// Pattern is the resource to put in a Deny.
	Pattern string
	// Bucket is the repository bucket of the region, and ObjectPrefix the
	// start of the ARN of its every object ("arn:aws:s3:::<bucket>/").
	Bucket       string
	ObjectPrefix string
}

// repoFamily describes one target independently of partition and region.
type repoFamily struct {
	name, description string
	pattern           func(p, region, domain string) string
	bucket            func(region, domain string) string
}

// repoFamilies are ordered from the guide's snippets to the newer buckets;
// the order is also the order of the resources in the Deny vpcguard adds.
func repoFamilies() []repoFamily {
	return []repoFamily{
		{
			name: "al1-packages", description: "Amazon Linux AMI packages (packages.<region>)",
			pattern: func(p, _, d string) string { return "arn:" + p + ":s3:::packages.*." + d + "/*" },
			bucket:  func(r, d string) string { return "packages." + r + "." + d },
		},
		{
			name: "al1-repo", description: "Amazon Linux AMI mirror lists (repo.<region>)",
			pattern: func(p, _, d string) string { return "arn:" + p + ":s3:::repo.*." + d + "/*" },
			bucket:  func(r, d string) string { return "repo." + r + "." + d },
		},
		{
			name: "al2-amazonlinux", description: "Amazon Linux 2 repositories (amazonlinux.<region>)",
			pattern: func(p, _, d string) string { return "arn:" + p + ":s3:::amazonlinux.*." + d + "/*" },
			bucket:  func(r, d string) string { return "amazonlinux." + r + "." + d },
		},
		{
			name: "al2-repos", description: "Amazon Linux 2 repositories over HTTPS (amazonlinux-2-repos-<region>)",
			pattern: func(p, r, _ string) string { return "arn:" + p + ":s3:::amazonlinux-2-repos-" + r + "/*" },
			bucket:  func(r, _ string) string { return "amazonlinux-2-repos-" + r },
		},
		{
			name: "al2023-repos", description: "Amazon Linux 2023 repositories (al2023-repos-<region>-de612dc2)",
			pattern: func(p, r, _ string) string { return "arn:" + p + ":s3:::al2023-repos-" + r + "-*/*" },
			bucket:  func(r, _ string) string { return "al2023-repos-" + r + "-de612dc2" },
		},
	}
}

// ALRepoResources returns the Amazon Linux repository targets for an S3
// gateway endpoint in partition and region.
func ALRepoResources(partition, region string) []RepoTarget {
	domain := dnsSuffix(partition)
	families := repoFamilies()
	out := make([]RepoTarget, 0, len(families))
	for _, f := range families {
		bucket := f.bucket(region, domain)
		out = append(out, RepoTarget{
			Name:         f.name,
			Description:  f.description,
			Pattern:      f.pattern(partition, region, domain),
			Bucket:       bucket,
			ObjectPrefix: "arn:" + partition + ":s3:::" + bucket + "/",
		})
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

// RepoStatus is how doc treats s3:GetObject on every object of one
// repository target.
type RepoStatus struct {
	Target RepoTarget
	// Decision is Allowed when some object of the bucket is readable
	// (open), ExplicitDeny when an explicit Deny covers every object, and
	// ImplicitDeny when every object is denied but some only because no
	// Allow covers them.
	Decision Decision
	// Undecided: the patterns were too intricate to decide; the target is
	// then reported open (Decision Allowed).
	Undecided bool
	// Sample is an object ARN of the bucket that shows the decision (one
	// that is readable, or one that only the default deny stops), and
	// Evaluation its evaluation, naming the deciding statement; for
	// ExplicitDeny, Sample is empty and Evaluation names the Deny.
	Sample     string
	Evaluation Evaluation
}

// Denied reports whether the target is effectively denied (explicitly, or
// because no Allow covers it).
func (s RepoStatus) Denied() bool { return s.Decision != Allowed }

// String says, for a message, why the target is open or denied.
func (s RepoStatus) String() string {
	switch {
	case s.Undecided:
		return "vpcguard cannot rule out an Allow of some object: the patterns are too intricate to decide, so it counts as open"
	case s.Decision == Allowed:
		return fmt.Sprintf("%s, e.g. %s%s", s.Evaluation, s.Sample, s.Evaluation.uncountedNote())
	case s.Decision == ImplicitDeny:
		return "no Allow covers any of its objects"
	}
	return "every object " + s.Evaluation.String()
}

// RepoAccess decides s3:GetObject on every object of every Amazon Linux
// repository target of partition/region against doc.
func RepoAccess(doc *Document, partition, region string) []RepoStatus {
	targets := ALRepoResources(partition, region)
	out := make([]RepoStatus, 0, len(targets))
	for _, t := range targets {
		v := PrefixAccess(doc, "s3:GetObject", t.ObjectPrefix)
		out = append(out, RepoStatus{Target: t, Decision: v.Decision, Undecided: v.Undecided, Sample: v.Sample, Evaluation: v.Evaluation})
	}
	return out
}
