package policy

import (
	"strings"
	"testing"
)

func TestRestrictsToVPC(t *testing.T) {
	const (
		vpc  = "vpc-111bbb22"
		vpce = "vpce-1a2b3c4d"
		res  = `"Resource":["arn:aws:s3:::model-artifacts-111122223333","arn:aws:s3:::model-artifacts-111122223333/*"]`
	)
	endpoints := []string{vpce, "vpce-0f0f0f0f"}
	for _, tc := range []struct {
		name, policy string
		want         bool
		detail       string
	}{
		{"AWS example: deny unless vpce", readTestdata(t, "bucket-deny-unless-vpce.json"), true, `unless aws:SourceVpce is vpce-1a2b3c4d`},
		{"deny unless vpc", doc(Version2012, `{"Sid":"VPCOnly","Effect":"Deny","Principal":"*","Action":"s3:*",`+res+`,"Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-111bbb22"}}}`), true, `(Sid "VPCOnly") denies s3:GetObject to everyone unless aws:SourceVpc is vpc-111bbb22`},
		{"IfExists, operator and key case", doc(Version2012, `{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:GetObject",`+res+`,"Condition":{"stringnotequalsifexists":{"AWS:SourceVpce":["vpce-0f0f0f0f","vpce-other"]}}}`), true, "aws:SourceVpce is vpce-0f0f0f0f, vpce-other"},
		{"restricted to another vpc", doc(Version2012, `{"Effect":"Deny","Principal":"*","Action":"s3:*",`+res+`,"Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-other"}}}`), false, "allows only aws:SourceVpc vpc-other"},
		{"deny for one role only", doc(Version2012, `{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/r"},"Action":"s3:*",`+res+`,"Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-111bbb22"}}}`), false, "no statement limits"},
		{"deny of puts only", doc(Version2012, `{"Effect":"Deny","Principal":"*","Action":"s3:PutObject",`+res+`,"Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-111bbb22"}}}`), false, "no statement limits"},
		{"allow from the endpoint", doc(Version2012, `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",`+res+`,"Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}`), true, "only when aws:SourceVpce is vpce-1a2b3c4d"},
		{"allow from the vpc, but also open", doc(Version2012,
			`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",`+res+`,"Condition":{"StringEquals":{"aws:SourceVpc":"vpc-111bbb22"}}}`,
			`{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"s3:GetObject",`+res+`}`), false, `(Sid "Open") allows it to everyone`},
		{"secure transport only", doc(Version2012, `{"Effect":"Deny","Principal":"*","Action":"s3:*",`+res+`,"Condition":{"Bool":{"aws:SecureTransport":false}}}`), false, "no statement limits s3:GetObject to vpc-111bbb22 or its endpoints vpce-1a2b3c4d, vpce-0f0f0f0f"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, detail := RestrictsToVPC(mustParse(t, tc.policy), vpc, endpoints)
			if got != tc.want || !strings.Contains(detail, tc.detail) {
				t.Errorf("RestrictsToVPC = %v, %q; want %v, ~%q", got, detail, tc.want, tc.detail)
			}
		})
	}
	if ok, detail := RestrictsToVPC(nil, vpc, nil); ok || detail != "the bucket has no policy" {
		t.Errorf("nil document: %v %q", ok, detail)
	}
}
