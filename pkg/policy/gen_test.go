package policy

import (
	"encoding/json"
	"strings"
)

// A small generator of valid policies, driven by fuzz bytes: the merge
// property test needs random VALID policies, which raw bytes almost never
// are. It varies every shape the parser accepts — Statement as object or
// array, string-or-list fields, every Principal form, NotAction /
// NotResource, conditions with string, bool and number values, key order,
// whitespace, colliding Sids and sizes near the 20,480 limit — and draws
// actions and resources from a vocabulary that hits the Amazon Linux
// repository buckets from every side.

type byteSource struct {
	data []byte
	i    int
}

func (b *byteSource) next() byte {
	if b.i >= len(b.data) {
		return 0
	}
	v := b.data[b.i]
	b.i++
	return v
}

func (b *byteSource) intn(n int) int { return int(b.next()) % n }

func (b *byteSource) pick(xs []string) string { return xs[b.intn(len(xs))] }

var (
	genActions = []string{
		"*", "s3:*", "s3:GetObject", "S3:getobject", "s3:Get*", "s3:GetObjec?", "s3:GetObject?", "s3:PutObject",
		"s3:List*", "ec2:*", "iam:*", "*:GetObject", "s3:*Object",
	}
	genResources = []string{
		"*", "arn:aws:s3:::*", "arn:*:s3:::*",
		"arn:aws:s3:::packages.*.amazonaws.com/*", "arn:aws:s3:::repo.*.amazonaws.com/*", "arn:aws:s3:::amazonlinux.*.amazonaws.com/*",
		"arn:aws:s3:::amazonlinux-2-repos-us-east-1/*", "arn:aws:s3:::amazonlinux-2-repos-*/*",
		"arn:aws:s3:::al2023-repos-us-east-1-*/*", "arn:aws:s3:::al2023-repos-*/*", "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*",
		"arn:aws:s3:::al2023-repos-us-east-1-de612dc2/core/*", "arn:aws:s3:::packages.us-east-1.amazonaws.com/2018.03/*",
		"arn:aws:s3:::PACKAGES.*.amazonaws.com/*", "arn:aws:s3:::*-repos-*/*", "arn:aws:s3:::packages.us-east-?.amazonaws.com/*",
		"arn:aws:s3:::model-artifacts-111122223333", "arn:aws:s3:::model-artifacts-111122223333/*",
		"arn:aws:s3:::${aws:username}/*", "arn:aws:s3:::${aws:username}*", "arn:aws-cn:s3:::*", "arn:aws-cn:s3:::amazonlinux-2-repos-cn-north-1/*",
		"arn:aws:s3:::a*b?c/*",
		// Key patterns: the shapes that fooled sample keys.
		"arn:aws:s3:::*/repodata/*", "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*e*", "arn:aws:s3:::packages.us-east-1.amazonaws.com/?",
		"arn:aws:s3:::packages.us-east-1.amazonaws.com/??*", "arn:aws:s3:::*/*.rpm", "arn:aws:s3:::amazonlinux-2-repos-*/2/*", "arn:aws:s3:::b", "arn:aws:s3:::b/*",
	}
	genPrincipals = []string{
		`"*"`, `{"AWS":"*"}`, `{"AWS":["*"]}`, `{"AWS":["arn:aws:iam::111122223333:role/r","*"]}`,
		`{"AWS":"arn:aws:iam::111122223333:root"}`, `{"Service":"sagemaker.amazonaws.com"}`,
		`{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`,
		`{"Federated":"cognito-identity.amazonaws.com","AWS":"111122223333"}`,
	}
	genConditions = []string{
		`{"StringNotEquals":{"aws:SourceVpc":"vpc-111bbb22"}}`,
		`{"StringEquals":{"aws:SourceVpce":["vpce-1a2b3c4d","vpce-0f0f0f0f"]}}`,
		`{"Bool":{"aws:SecureTransport":false}}`,
		`{"NumericLessThan":{"s3:TlsVersion":1.2}}`,
		`{"StringEquals":{}}`,
		`{}`,
	}
	genSids = []string{
		"", "A1", "AllowAll", DenySid, strings.ToLower(DenySid), DenySid + "2", "AmazonLinuxAMIRepositoryAccess",
	}
	genSpace = []string{"", "", " ", "\n  ", "\t", "\r\n"}
)

// jsonString encodes s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// genList renders a string-or-list field from the vocabulary.
func genList(src *byteSource, vocab []string) string {
	if src.intn(3) == 0 {
		return jsonString(src.pick(vocab))
	}
	n := 1 + src.intn(3)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = jsonString(src.pick(vocab))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// genObject writes members in an order and spacing drawn from src.
func genObject(src *byteSource, members [][2]string) string {
	for i := len(members) - 1; i > 0; i-- { // Fisher–Yates on fuzz bytes
		j := src.intn(i + 1)
		members[i], members[j] = members[j], members[i]
	}
	var b strings.Builder
	b.WriteString("{" + src.pick(genSpace))
	for i, m := range members {
		if i > 0 {
			b.WriteString("," + src.pick(genSpace))
		}
		b.WriteString(jsonString(m[0]) + src.pick(genSpace) + ":" + src.pick(genSpace) + m[1])
	}
	b.WriteString(src.pick(genSpace) + "}")
	return b.String()
}

func genStatement(src *byteSource) string {
	var m [][2]string
	switch sid := src.intn(len(genSids) + 2); {
	case sid < len(genSids):
		m = append(m, [2]string{"Sid", jsonString(genSids[sid])})
	case sid == len(genSids) && src.intn(8) == 0:
		// A long Sid pushes the document towards the size limit.
		m = append(m, [2]string{"Sid", jsonString("Pad" + strings.Repeat("x", 19200+src.intn(64)*20))})
	}
	effect := "Allow"
	if src.intn(5) < 2 {
		effect = "Deny"
	}
	m = append(m, [2]string{"Effect", jsonString(effect)})
	switch p := src.intn(10); {
	case p == 0: // no principal
	case p == 1:
		m = append(m, [2]string{"NotPrincipal", `{"AWS":"arn:aws:iam::111122223333:root"}`})
	default:
		m = append(m, [2]string{"Principal", src.pick(genPrincipals)})
	}
	if src.intn(4) == 0 {
		m = append(m, [2]string{"NotAction", genList(src, genActions)})
	} else {
		m = append(m, [2]string{"Action", genList(src, genActions)})
	}
	if src.intn(5) == 0 {
		m = append(m, [2]string{"NotResource", genList(src, genResources)})
	} else {
		m = append(m, [2]string{"Resource", genList(src, genResources)})
	}
	if src.intn(4) == 0 {
		m = append(m, [2]string{"Condition", src.pick(genConditions)})
	}
	return genObject(src, m)
}

// genPolicy builds a valid policy document from fuzz bytes.
func genPolicy(data []byte) string {
	src := &byteSource{data: data}
	var m [][2]string
	switch src.intn(3) {
	case 1:
		m = append(m, [2]string{"Version", jsonString(Version2008)})
	case 2:
		m = append(m, [2]string{"Version", jsonString(Version2012)})
	}
	if src.intn(3) == 0 {
		m = append(m, [2]string{"Id", jsonString(src.pick([]string{"", "P1", "Policy1415115909152"}))})
	}
	n := 1 + src.intn(5)
	if n == 1 && src.intn(2) == 0 {
		m = append(m, [2]string{"Statement", genStatement(src)})
	} else {
		sts := make([]string, n)
		for i := range sts {
			sts[i] = genStatement(src)
		}
		m = append(m, [2]string{"Statement", "[" + src.pick(genSpace) + strings.Join(sts, ","+src.pick(genSpace)) + src.pick(genSpace) + "]"})
	}
	return src.pick(genSpace) + genObject(src, m) + src.pick(genSpace)
}
