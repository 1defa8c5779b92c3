package policy

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// sharedSamples is where the real, published AWS payloads live (see
// ../shared/fixtures/aws-samples/SOURCES.md from the repository root).
var sharedSamples = filepath.Join("..", "..", "..", "shared", "fixtures", "aws-samples")

// fixturePolicies returns the endpoint policy documents found in the shared
// AWS samples (EC2 XML examples and the SDK JSON sample), by file; nil when
// ../shared is absent.
func fixturePolicies(t testing.TB) map[string][]string {
	out := map[string][]string{}
	xmlPolicy := regexp.MustCompile(`(?s)<policyDocument>(.*?)</policyDocument>`)
	files, _ := filepath.Glob(filepath.Join(sharedSamples, "ec2-api", "*.xml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range xmlPolicy.FindAllSubmatch(b, -1) {
			out[filepath.Base(f)] = append(out[filepath.Base(f)], html.UnescapeString(string(m[1])))
		}
	}
	files, _ = filepath.Glob(filepath.Join(sharedSamples, "sdk-json", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if json.Unmarshal(b, &v) != nil {
			continue
		}
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, x := range v {
					if s, ok := x.(string); ok && k == "PolicyDocument" {
						out[filepath.Base(f)] = append(out[filepath.Base(f)], s)
					}
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(v)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// TestSharedFixturePolicies reads every policy document of the real AWS
// samples: each is the full-access default (stray tabs and all), and each
// merges into a policy that denies every repository target.
func TestSharedFixturePolicies(t *testing.T) {
	fx := fixturePolicies(t)
	if fx == nil {
		t.Skip("../shared/fixtures/aws-samples is absent")
	}
	n := 0
	for file, docs := range fx {
		for _, text := range docs {
			n++
			d, err := Parse(text)
			if err != nil {
				t.Errorf("%s: %v\n%s", file, err, text)
				continue
			}
			if !IsFullAccess(d) || !RemainingAllow(d, "aws").Allows {
				t.Errorf("%s: the AWS default reads as IsFullAccess=%v RemainingAllow=%v", file, IsFullAccess(d), RemainingAllow(d, "aws"))
			}
			r, err := MergeALRepoDenies(text, "aws", "us-east-1")
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if !r.Changed {
				t.Errorf("%s: nothing added to the default", file)
			}
			checkMerge(t, text, "aws", "us-east-1", r)
		}
	}
	if n < 5 {
		t.Errorf("found only %d policy documents in the shared samples", n)
	}
}

// seedPolicies are the fuzz seeds: our fixtures, the shared samples, and a
// few broken documents.
func seedPolicies(f *testing.F) []string {
	seeds := []string{DefaultEndpointPolicy, HardenedDefault("aws", "us-east-1"), `{"Statement":[]}`, `{"Statement":{}}`, `{`, `[]`, `null`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":[true,1,"x"]}}}]}`}
	names, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, string(b))
	}
	for _, docs := range fixturePolicies(f) {
		seeds = append(seeds, docs...)
	}
	return seeds
}

// FuzzParse: no input panics the parser or anything downstream of it; a
// document that parses keeps its statements' raw bytes, and its merge keeps
// every promise.
func FuzzParse(f *testing.F) {
	for _, s := range seedPolicies(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		d, err := Parse(text)
		if err != nil {
			if d != nil {
				t.Fatal("a document with an error")
			}
			return
		}
		for _, st := range d.Statements {
			if !strings.Contains(text, string(st.Raw)) || !json.Valid(st.Raw) {
				t.Fatalf("%s: raw bytes not from the document", st.Label())
			}
		}
		IsFullAccess(d)
		RestrictsToVPC(d, "vpc-111bbb22", []string{"vpce-1a2b3c4d"})
		RepoAccess(d, "aws", "us-east-1")
		r, err := MergeALRepoDenies(text, "aws", "us-east-1")
		if err != nil {
			t.Fatalf("merge of a valid document: %v", err)
		}
		checkMerge(t, text, "aws", "us-east-1", r)
	})
}

// FuzzEvaluate: any document, any action, any resource — no panic, and the
// deciding statement has the effect the decision claims.
func FuzzEvaluate(f *testing.F) {
	for _, s := range seedPolicies(f) {
		f.Add(s, "s3:GetObject", pkgARN)
	}
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::${aws:username}/*"}]}`, "S3:GETOBJECT", "arn:aws:s3:::${aws:username}/x")
	f.Add(`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"a*b*c*d*e*f*g*h*"}]}`, "x", strings.Repeat("ab", 500))
	f.Fuzz(func(t *testing.T, text, action, resource string) {
		d, err := Parse(text)
		if err != nil {
			return
		}
		ev := Evaluate(d, Request{Action: action, Resource: resource})
		switch ev.Decision {
		case ImplicitDeny:
			if ev.Statement != -1 || ev.Label != "" {
				t.Fatalf("implicit deny with a statement: %+v", ev)
			}
		case ExplicitDeny, Allowed:
			if ev.Statement < 0 || ev.Statement >= len(d.Statements) {
				t.Fatalf("deciding statement out of range: %+v", ev)
			}
			want := Allow
			if ev.Decision == ExplicitDeny {
				want = Deny
			}
			if d.Statements[ev.Statement].Effect != want {
				t.Fatalf("%s decided by a %s statement", ev.Decision, d.Statements[ev.Statement].Effect)
			}
		default:
			t.Fatalf("unknown decision %q", ev.Decision)
		}
		// A Deny of everything for everyone, appended, always wins.
		all := mustParse(t, `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`)
		d.Statements = append(d.Statements, all.Statements[0])
		d.Statements[len(d.Statements)-1].Index = len(d.Statements) - 1
		if ev := Evaluate(d, Request{Action: action, Resource: resource}); ev.Decision != ExplicitDeny {
			t.Fatalf("a Deny of * for * did not win: %+v", ev)
		}
	})
}

// fuzzRegions are the partition/region pairs FuzzMerge draws from.
var fuzzRegions = [][2]string{{"aws", "us-east-1"}, {"aws", "eu-west-1"}, {"aws", "ap-southeast-3"}, {"aws-cn", "cn-north-1"}, {"aws-us-gov", "us-gov-west-1"}}

// FuzzMerge: for random VALID policies (from genPolicy), the merge keeps
// every original statement byte for byte, adds only Deny statements, is
// idempotent, stays valid JSON within the limit, leaves every repository
// target explicitly denied — unless it refuses, and then only for a reason
// that holds — and never allows anything the original did not, nor changes
// the decision for a resource outside the repository buckets.
func FuzzMerge(f *testing.F) {
	f.Add([]byte{}, byte(0))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, byte(1))
	f.Add([]byte("the quick brown fox jumps over the lazy dog"), byte(3))
	f.Add([]byte{2, 0, 4, 9, 0, 0, 0, 0, 0, 5, 0, 6, 1, 0, 0, 0, 3, 9}, byte(2))
	f.Fuzz(func(t *testing.T, data []byte, regionIdx byte) {
		pr := fuzzRegions[int(regionIdx)%len(fuzzRegions)]
		partition, region := pr[0], pr[1]
		original := genPolicy(data)
		before, err := Parse(original)
		if err != nil {
			t.Fatalf("the generator made an invalid policy: %v\n%s", err, original)
		}
		r, err := MergeALRepoDenies(original, partition, region)
		if err != nil {
			t.Fatalf("merge: %v\n%s", err, original)
		}
		checkMerge(t, original, partition, region, r)
		if r.Refused != "" {
			switch {
			case strings.Contains(r.Refused, "limit"):
				// Rebuild what the merge would have written, and measure it.
				var resources []string
				for _, s := range RepoAccess(before, partition, region) {
					if s.Decision != ExplicitDeny {
						resources = append(resources, s.Target.Pattern)
					}
				}
				added, _ := denyStatement(freeSid(before), resources)
				if n := len(assemble(before, added)); len(resources) == 0 || n <= MaxPolicyLength {
					t.Fatalf("refused for size at %d characters: %s", n, r.Refused)
				}
			case !RemainingAllow(before, partition).Allows && !RemainingAllow(before, partition).Undecided:
			default:
				t.Fatalf("refused without reason: %s", r.Refused)
			}
			return
		}
		if !r.Changed {
			return
		}
		after := mustParse(t, r.Policy)
		targets := ALRepoResources(partition, region)
		probes := []string{modelARN, "arn:aws:s3:::b/k", "arn:" + partition + ":s3:::packages." + region + ".amazonaws.com",
			"arn:aws:s3:::packages.eu-west-1.amazonaws.com/x", "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/core/x"}
		for _, tg := range targets {
			probes = append(probes, tg.ObjectPrefix+"core/x", tg.ObjectPrefix+"2/core/latest/x86_64/mirror.list", tg.ObjectPrefix+"k")
		}
		for _, action := range []string{"s3:GetObject", "S3:getObject", "s3:PutObject", "s3:ListBucket", "ec2:DescribeVpcs"} {
			for _, res := range probes {
				req := Request{Action: action, Resource: res}
				b, a := Evaluate(before, req), Evaluate(after, req)
				if rank(a.Decision) > rank(b.Decision) {
					t.Fatalf("the merge widened %v: %s → %s\n%s\n%s", req, b, a, original, r.Policy)
				}
				covered := false
				for _, tg := range targets {
					covered = covered || matchResource(tg.Pattern, res, false) != no
				}
				if (!covered || !strings.EqualFold(action, "s3:GetObject")) && (a.Decision != b.Decision || a.Statement != b.Statement) {
					t.Fatalf("the merge changed %v outside the repositories: %s → %s", req, b, a)
				}
			}
		}
	})
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

// fuzzKeys are object keys that meet the generator's patterns from every
// side (paths, suffixes, single characters, the letter e).
var fuzzKeys = []string{"k", "e", "x86_64/a.rpm", "core/mirrors/latest/x86_64/mirror.list", "2018.03/main/x", "2/core/latest/x86_64/mirror.list",
	"repodata/primary.xml.gz", "a/repodata/b", "ab", "a", "core/x", "${aws:username}", "*", "?"}

// FuzzExact: the exact verdicts agree with Evaluate on concrete requests.
// For every Amazon Linux repository bucket, RepoAccess decides s3:GetObject
// on all its objects at once; whatever object ARN of the bucket is asked,
// Evaluate never allows what RepoAccess calls denied, always denies
// explicitly what it calls explicitly denied, and allows the sample it
// gives for an open one. RemainingAllow's example request is allowed, and
// when it finds none, no S3 request is allowed.
func FuzzExact(f *testing.F) {
	f.Add([]byte{}, "k", byte(0))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, "core/x", byte(1))
	f.Add([]byte("the quick brown fox jumps over the lazy dog"), "x86_64/a.rpm", byte(3))
	f.Add([]byte{2, 0, 4, 9, 0, 0, 0, 0, 0, 5, 0, 6, 1, 0, 0, 0, 3, 9}, "e", byte(2))
	f.Fuzz(func(t *testing.T, data []byte, key string, regionIdx byte) {
		pr := fuzzRegions[int(regionIdx)%len(fuzzRegions)]
		partition, region := pr[0], pr[1]
		text := genPolicy(data)
		d, err := Parse(text)
		if err != nil {
			t.Fatalf("the generator made an invalid policy: %v\n%s", err, text)
		}
		keys := append([]string{key}, fuzzKeys...)
		if key == "" {
			keys = keys[1:] // an S3 key has at least one character
		}
		for _, s := range RepoAccess(d, partition, region) {
			if s.Decision != Allowed && s.Undecided {
				t.Fatalf("%s: undecided but %s", s.Target.Name, s.Decision)
			}
			switch {
			case s.Decision == Allowed && !s.Undecided:
				if ev := Evaluate(d, Request{"s3:GetObject", s.Sample}); ev.Decision != Allowed || !strings.HasPrefix(s.Sample, s.Target.ObjectPrefix) || len(s.Sample) == len(s.Target.ObjectPrefix) {
					t.Fatalf("%s: open sample %q evaluates to %s\n%s", s.Target.Name, s.Sample, ev, text)
				}
			case s.Decision == ImplicitDeny:
				if ev := Evaluate(d, Request{"s3:GetObject", s.Sample}); s.Sample != "" && ev.Decision != ImplicitDeny {
					t.Fatalf("%s: implicit sample %q evaluates to %s\n%s", s.Target.Name, s.Sample, ev, text)
				}
			}
			for _, k := range keys {
				ev := Evaluate(d, Request{"s3:GetObject", s.Target.ObjectPrefix + k})
				switch {
				case s.Decision == ExplicitDeny && ev.Decision != ExplicitDeny,
					s.Decision == ImplicitDeny && ev.Decision == Allowed:
					t.Fatalf("%s is %s, yet %s%s evaluates to %s\n%s", s.Target.Name, s.Decision, s.Target.ObjectPrefix, k, ev, text)
				}
			}
		}
		r := RemainingAllow(d, partition)
		if r.Allows {
			if ev := Evaluate(d, r.Example); ev.Decision != Allowed {
				t.Fatalf("example %+v of %s evaluates to %s\n%s", r.Example, r.Label, ev, text)
			}
		} else if !r.Undecided {
			for _, action := range []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket", "S3:getobject", "s3:" + key} {
				for _, res := range []string{"arn:" + partition + ":s3:::b", "arn:" + partition + ":s3:::b/" + key, "arn:" + partition + ":s3:::model-artifacts-111122223333/model.tar.gz",
					"arn:" + partition + ":s3:::packages." + region + ".amazonaws.com/x", "arn:" + partition + ":s3:::" + key} {
					if len(res) == len("arn:"+partition+":s3:::") || action == "s3:" {
						continue
					}
					if ev := Evaluate(d, Request{action, res}); ev.Decision == Allowed {
						t.Fatalf("nothing is said to remain, yet %s on %s is %s\n%s", action, res, ev, text)
					}
				}
			}
		}
	})
}
