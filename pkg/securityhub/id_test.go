package securityhub

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vpcguard/vpcguard/pkg/report"
)

func TestFindingIDFormat(t *testing.T) {
	cases := []struct {
		subject report.Ref
		want    string
	}{
		{report.Ref{Type: report.ResourceVPC, ID: "vpc-0b1b2c3d4e5f60002"},
			"vpcguard/aws/us-east-1/111122223333/s3-endpoint-present/vpc-0b1b2c3d4e5f60002"},
		// SageMaker names are case-insensitive; their ARNs hold them in lower case.
		{report.Ref{Type: report.ResourceModel, ID: "Churn-Model-V7"},
			"vpcguard/aws/us-east-1/111122223333/s3-endpoint-present/churn-model-v7"},
		// A role is named by its name: the path is not part of its identity.
		{report.Ref{Type: report.ResourceRole, ID: "arn:aws:iam::111122223333:role/service-role/AmazonSageMaker-Exec"},
			"vpcguard/aws/us-east-1/111122223333/s3-endpoint-present/AmazonSageMaker-Exec"},
		{report.Ref{Type: report.ResourceBucket, ID: "ml.artifacts-1"},
			"vpcguard/aws/us-east-1/111122223333/s3-endpoint-present/ml.artifacts-1"},
	}
	for _, tc := range cases {
		if got := FindingID("aws", "us-east-1", "111122223333", "s3-endpoint-present", tc.subject); got != tc.want {
			t.Errorf("FindingID(%+v) = %q, want %q", tc.subject, got, tc.want)
		}
	}
	if got := IDPrefix("aws-us-gov", "us-gov-west-1", "111122223333"); got != "vpcguard/aws-us-gov/us-gov-west-1/111122223333/" {
		t.Errorf("IDPrefix = %q", got)
	}
}

// TestFindingIDEncodesWhatASFFRefuses: characters outside the Id alphabet
// are percent-encoded byte by byte, so every Id has exactly six segments, is
// deterministic, and two resource ids never share an Id.
func TestFindingIDEncodesWhatASFFRefuses(t *testing.T) {
	odd := []string{
		"a/b", "a%2Fb", "a b", "a\tb", "a~b", "~", "%", "Ünïcödé", "a\x00b", "a\nb", "café", "a..b", "a@b+c=d,e:f_g",
	}
	seen := map[string]string{}
	for _, raw := range odd {
		id := FindingID("aws", "eu-west-1", "111122223333", "vpc-dns", report.Ref{Type: report.ResourceOther, ID: raw})
		if again := FindingID("aws", "eu-west-1", "111122223333", "vpc-dns", report.Ref{Type: report.ResourceOther, ID: raw}); again != id {
			t.Errorf("%q: not deterministic: %q then %q", raw, id, again)
		}
		if n := strings.Count(id, "/"); n != 5 {
			t.Errorf("%q: Id %q has %d slashes, want 5", raw, id, n)
		}
		last := id[strings.LastIndexByte(id, '/')+1:]
		for i := 0; i < len(last); i++ {
			if !idChar(last[i]) && last[i] != '%' {
				t.Errorf("%q: Id %q holds %q unencoded", raw, id, last[i])
			}
		}
		if other, dup := seen[id]; dup {
			t.Errorf("%q and %q share the Id %q", raw, other, id)
		}
		seen[id] = raw
	}
	if got := FindingID("aws", "eu-west-1", "111122223333", "vpc-dns", report.Ref{Type: report.ResourceOther, ID: "a/b c"}); !strings.HasSuffix(got, "/a%2Fb%20c") {
		t.Errorf("a/b c → %q", got)
	}
}

// TestFindingIDNeverExceeds512: a resource id too long for the Id keeps a
// prefix and gains a hash of the whole id: under the limit, deterministic,
// distinct per id, never dropped.
func TestFindingIDNeverExceeds512(t *testing.T) {
	long := strings.Repeat("x", 600)
	a := FindingID("aws", "us-east-1", "111122223333", "bucket-policy-vpc-restricted", report.Ref{Type: report.ResourceBucket, ID: long})
	b := FindingID("aws", "us-east-1", "111122223333", "bucket-policy-vpc-restricted", report.Ref{Type: report.ResourceBucket, ID: long + "y"})
	if len(a) > MaxIDLength || len(b) > MaxIDLength {
		t.Fatalf("lengths %d and %d, want ≤ %d", len(a), len(b), MaxIDLength)
	}
	if a == b {
		t.Error("two long ids share an Id")
	}
	if !strings.Contains(a, "/xxxx") || !strings.Contains(a, "~") {
		t.Errorf("shortened Id %q keeps no prefix or no hash", a)
	}
	// Multi-byte characters are encoded before the cut, which never splits
	// an escape.
	uni := strings.Repeat("é", 300)
	c := FindingID("aws", "us-east-1", "111122223333", "vpc-dns", report.Ref{Type: report.ResourceOther, ID: uni})
	if len(c) > MaxIDLength || !utf8.ValidString(c) {
		t.Fatalf("Id of 300 é: %d bytes", len(c))
	}
	tail := c[strings.LastIndexByte(c, '/')+1 : strings.IndexByte(c, '~')]
	if len(tail)%6 != 0 || !strings.HasPrefix(tail, "%C3%A9") {
		t.Errorf("the cut splits an escape: %q", tail)
	}
	// An unshortened id never contains "~": the two forms cannot collide.
	if short := FindingID("aws", "us-east-1", "111122223333", "vpc-dns", report.Ref{Type: report.ResourceOther, ID: "x~0123456789abcdef"}); strings.Contains(short, "~") {
		t.Errorf("~ left unencoded in %q", short)
	}
}
