package policy

import "testing"

func TestMatchPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, value  string
		fold, variables bool
		want            tri
	}{
		{"*", "", false, false, yes},
		{"*", "arn:aws:s3:::b/k", false, false, yes},
		{"s3:*", "s3:GetObject", true, false, yes},
		{"s3:Get*", "s3:GetObject", true, false, yes},
		{"S3:GETOBJECT", "s3:GetObject", true, false, yes},
		{"s3:getobject", "s3:GetObject", false, false, no},
		{"s3:GetObjec?", "s3:GetObject", true, false, yes},
		{"s3:GetObjec?", "s3:GetObjec", true, false, no},
		{"s3:GetObject?", "s3:GetObject", true, false, no},
		{"s3:?etObject", "s3:GetObject", true, false, yes},
		{"s3:*Object", "s3:GetObject", true, false, yes},
		{"s3:*Object", "s3:GetObjectAcl", true, false, no},
		{"s3:*Object*", "s3:GetObjectAcl", true, false, yes},
		{"ec2:*", "s3:GetObject", true, false, no},
		{"*:GetObject", "s3:GetObject", true, false, yes},
		// Resources: exact case, '*' spans '/' and ':'.
		{"arn:aws:s3:::packages.*.amazonaws.com/*", "arn:aws:s3:::packages.us-east-1.amazonaws.com/2018.03/main/x", false, false, yes},
		{"arn:aws:s3:::packages.*.amazonaws.com/*", "arn:aws:s3:::Packages.us-east-1.amazonaws.com/x", false, false, no},
		{"arn:aws:s3:::packages.*.amazonaws.com/*", "arn:aws:s3:::packages.us-east-1.amazonaws.com", false, false, no},
		{"arn:aws:s3:::packages.*.amazonaws.com/*", "arn:aws:s3:::packages.cn-north-1.amazonaws.com.cn/x", false, false, no},
		{"arn:aws:s3:::*", "arn:aws:s3:::b/k", false, false, yes},
		{"arn:*:s3:::b/*", "arn:aws-cn:s3:::b/k", false, false, yes},
		{"arn:aws:s3:::al2023-repos-??-east-1-*/*", "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/core/x", false, false, yes},
		{"a*b*c*d", "aXbYcZd", false, false, yes},
		{"a*b*c*d", "aXbYcZ", false, false, no},
		{"**", "abc", false, false, yes},
		{"é?", "éß", false, false, yes},
		// Policy variables: only in 2012-10-17 documents, and only "maybe".
		{"arn:aws:s3:::${aws:username}/*", "arn:aws:s3:::alice/k", false, true, maybe},
		{"arn:aws:s3:::${aws:username}/*", "arn:aws:s3:::alice/k", false, false, no},
		{"arn:aws:s3:::${aws:username}/*", "arn:aws:s3:::${aws:username}/k", false, false, yes},
		{"arn:aws:s3:::${aws:username}/x", "arn:aws:s3:::alice/k", false, true, no},
		{"arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", false, true, yes},
		{"arn:aws:s3:::b/${*}", "arn:aws:s3:::b/k", false, true, no},
		{"arn:aws:s3:::b/${?}${$}", "arn:aws:s3:::b/?$", false, true, yes},
		{"arn:aws:s3:::b/${unclosed", "arn:aws:s3:::b/${unclosed", false, true, yes},
	} {
		if got := matchPattern(tc.pattern, tc.value, tc.fold, tc.variables); got != tc.want {
			t.Errorf("matchPattern(%q, %q, fold=%v, vars=%v) = %d, want %d", tc.pattern, tc.value, tc.fold, tc.variables, got, tc.want)
		}
	}
}

func TestCoversPrefix(t *testing.T) {
	for _, tc := range []struct {
		pattern, prefix string
		fold, want      bool
	}{
		{"*", "s3:", true, true},
		{"s3:*", "s3:", true, true},
		{"S3:*", "s3:", true, true},
		{"s3*", "s3:", true, true},
		{"s3:**", "s3:", true, true},
		{"*:*", "s3:", true, true},
		{"s3:Get*", "s3:", true, false},
		{"s3:GetObject", "s3:", true, false},
		{"ec2:*", "s3:", true, false},
		{"arn:aws:s3:::*", "arn:aws:s3:::", false, true},
		{"arn:*", "arn:aws:s3:::", false, true},
		{"arn:aws:s3:::b*", "arn:aws:s3:::", false, false},
		{"arn:aws:s3:::${x}*", "arn:aws:s3:::", false, false},
	} {
		if got := coversPrefix(tc.pattern, tc.prefix, tc.fold); got != tc.want {
			t.Errorf("coversPrefix(%q, %q) = %v, want %v", tc.pattern, tc.prefix, got, tc.want)
		}
	}
}

func TestMayMatchPrefix(t *testing.T) {
	for _, tc := range []struct {
		pattern, prefix string
		fold, want      bool
	}{
		{"iam:*", "s3:", true, false},
		{"s3:PutObject", "s3:", true, true},
		{"S3:PutObject", "s3:", true, true},
		{"s*", "s3:", true, true},
		{"*", "s3:", true, true},
		{"?3:*", "s3:", true, true},
		{"s3", "s3:", true, false},
		{"arn:aws:ec2:*", "arn:aws:s3:::", false, false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::", false, true},
		{"arn:${aws:x}", "arn:aws:s3:::", false, true},
	} {
		if got := mayMatchPrefix(tc.pattern, tc.prefix, tc.fold); got != tc.want {
			t.Errorf("mayMatchPrefix(%q, %q) = %v, want %v", tc.pattern, tc.prefix, got, tc.want)
		}
	}
}
