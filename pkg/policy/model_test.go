package policy

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustParse(t testing.TB, text string) *Document {
	t.Helper()
	doc, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, text)
	}
	return doc
}

func TestParseShapes(t *testing.T) {
	doc := mustParse(t, `{"Version":"2012-10-17","Id":"P1","Statement":{
		"Sid":"One","Effect":"Deny",
		"Principal":{"AWS":["arn:aws:iam::111122223333:role/a","*"],"Service":"sagemaker.amazonaws.com","CanonicalUser":"79a5","Federated":"cognito-identity.amazonaws.com"},
		"NotAction":"s3:PutObject","NotResource":["arn:aws:s3:::b/*","arn:aws:s3:::c"],
		"Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:TlsVersion":[1.2,"1.3"]},"StringEquals":{"aws:SourceVpc":"vpc-1"}}}}`)
	if doc.Version != Version2012 || doc.ID != "P1" || !doc.HasID || !doc.StatementIsObject || len(doc.Statements) != 1 {
		t.Fatalf("document = %+v", doc)
	}
	st := doc.Statements[0]
	if st.Sid != "One" || st.Effect != Deny || st.Action != nil || !reflect.DeepEqual(st.NotAction, []string{"s3:PutObject"}) ||
		st.Resource != nil || len(st.NotResource) != 2 {
		t.Fatalf("statement = %+v", st)
	}
	if !st.Principal.Everyone() || len(st.Principal.Entries) != 4 {
		t.Fatalf("principal = %+v", st.Principal)
	}
	if v, ok := st.Condition.Values("bool", "AWS:SECURETRANSPORT"); !ok || !reflect.DeepEqual(v, []string{"false"}) {
		t.Errorf("Bool condition = %v %v (keys and operators compare without case)", v, ok)
	}
	if v, _ := st.Condition.Values("NumericLessThan", "s3:TlsVersion"); !reflect.DeepEqual(v, []string{"1.2", "1.3"}) {
		t.Errorf("numeric condition = %v", v)
	}
	if !strings.HasPrefix(string(st.Raw), "{\n\t\t\"Sid\"") || !strings.HasSuffix(string(st.Raw), `"vpc-1"}}}`) {
		t.Errorf("raw statement not kept as written: %s", st.Raw)
	}
}

func TestParseKeepsRawStatements(t *testing.T) {
	for _, name := range []string{"aws-default.json", "guide-al1-deny.json", "guide-al2-deny.json", "guide-merged.json",
		"guide-merged-with-allow.json", "allowlist.json", "bucket-deny-unless-vpce.json"} {
		t.Run(name, func(t *testing.T) {
			text := readTestdata(t, name)
			doc := mustParse(t, text)
			at := 0
			for _, st := range doc.Statements {
				i := strings.Index(text[at:], string(st.Raw))
				if i < 0 {
					t.Fatalf("%s: raw bytes are not a piece of the document:\n%s", st.Label(), st.Raw)
				}
				at += i + len(st.Raw)
			}
		})
	}
}

func TestParseStatementForms(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		check      func(*Document) bool
	}{
		{"principal star", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`,
			func(d *Document) bool {
				return d.Statements[0].Principal.Wildcard && d.Statements[0].Principal.Everyone()
			}},
		{"principal AWS star", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*","Resource":"*"}]}`,
			func(d *Document) bool { return d.Statements[0].Principal.Everyone() }},
		{"principal one role", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/r"]},"Action":"*","Resource":"*"}]}`,
			func(d *Document) bool { return !d.Statements[0].Principal.Everyone() }},
		{"principal service", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"*"},"Action":"*","Resource":"*"}]}`,
			func(d *Document) bool { return !d.Statements[0].Principal.Everyone() }},
		{"no principal", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			func(d *Document) bool {
				return d.Statements[0].Principal == nil && !d.Statements[0].Principal.Everyone()
			}},
		{"not principal", `{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"*","Resource":"*"}]}`,
			func(d *Document) bool { return d.Statements[0].NotPrincipal != nil }},
		{"empty condition is none", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{}}]}`,
			func(d *Document) bool { return d.Statements[0].Condition == nil }},
		{"empty operator is none", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{}}}]}`,
			func(d *Document) bool { return d.Statements[0].Condition == nil }},
		{"no version", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`,
			func(d *Document) bool { return d.Version == "" && !d.HasID }},
		{"empty sid", `{"Version":"2008-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`,
			func(d *Document) bool { return d.Statements[0].HasSid && d.Statements[0].Label() == "Statement[0]" }},
		{"escaped key", `{"Statement":[{"Eff\u0065ct":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`,
			func(d *Document) bool { return d.Statements[0].Effect == Allow }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := mustParse(t, tc.text); !tc.check(d) {
				t.Errorf("unexpected model: %+v", d.Statements[0])
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const ok = `"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"`
	for _, tc := range []struct{ name, text, want string }{
		{"empty", "  ", "empty"},
		{"not json", `{"Statement":`, "not JSON"},
		{"trailing", `{"Statement":[{` + ok + `}]} x`, "not JSON"},
		{"array", `[{"Statement":[]}]`, "must be a JSON object"},
		{"no statement", `{"Version":"2012-10-17"}`, "no Statement"},
		{"empty statement", `{"Statement":[]}`, "empty array"},
		{"statement string", `{"Statement":"x"}`, "object or an array"},
		{"statement element", `{"Statement":[1]}`, "must be a JSON object"},
		{"bad version", `{"Version":"2012-10-18","Statement":[{` + ok + `}]}`, "Version must be"},
		{"version number", `{"Version":2012,"Statement":[{` + ok + `}]}`, "Version must be a string"},
		{"id number", `{"Id":1,"Statement":[{` + ok + `}]}`, "Id must be a string"},
		{"unknown top", `{"Statements":[{` + ok + `}]}`, `unknown top-level element "Statements"`},
		{"duplicate top", `{"Statement":[{` + ok + `}],"Statement":[{` + ok + `}]}`, `duplicate key "Statement"`},
		{"lowercase effect", `{"Statement":[{"Effect":"allow","Principal":"*","Action":"*","Resource":"*"}]}`, `Effect must be "Allow" or "Deny", got "allow"`},
		{"no effect", `{"Statement":[{"Principal":"*","Action":"*","Resource":"*"}]}`, "no Effect"},
		{"both actions", `{"Statement":[{` + ok + `,"NotAction":"s3:*"}]}`, "both Action and NotAction"},
		{"no action", `{"Statement":[{"Effect":"Allow","Principal":"*","Resource":"*"}]}`, "neither Action nor NotAction"},
		{"both resources", `{"Statement":[{` + ok + `,"NotResource":"x"}]}`, "both Resource and NotResource"},
		{"no resource", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}]}`, "neither Resource nor NotResource"},
		{"both principals", `{"Statement":[{` + ok + `,"NotPrincipal":"*"}]}`, "both Principal and NotPrincipal"},
		{"principal arn string", `{"Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::1:root","Action":"*","Resource":"*"}]}`, `string principal must be "*"`},
		{"principal type", `{"Statement":[{"Effect":"Allow","Principal":{"Aws":"*"},"Action":"*","Resource":"*"}]}`, `unknown principal type "Aws"`},
		{"principal empty", `{"Statement":[{"Effect":"Allow","Principal":{},"Action":"*","Resource":"*"}]}`, "empty principal object"},
		{"principal number", `{"Statement":[{"Effect":"Allow","Principal":1,"Action":"*","Resource":"*"}]}`, "Principal: must be"},
		{"action number", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":1,"Resource":"*"}]}`, "Action: must be a string or a list"},
		{"action list of numbers", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":[1],"Resource":"*"}]}`, "Action: must be a string or a list"},
		{"action empty list", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":[],"Resource":"*"}]}`, "Action: empty list"},
		{"resource empty string", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":""}]}`, "Resource: empty string"},
		{"unknown element", `{"Statement":[{` + ok + `,"Actions":"*"}]}`, `unknown element "Actions"`},
		{"lowercase element", `{"Statement":[{"effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, `unknown element "effect"`},
		{"duplicate element", `{"Statement":[{` + ok + `,"Effect":"Deny"}]}`, `duplicate key "Effect"`},
		{"sid number", `{"Statement":[{"Sid":1,` + ok + `}]}`, "Sid must be a string"},
		{"condition string", `{"Statement":[{` + ok + `,"Condition":"x"}]}`, "Condition: must be an object"},
		{"condition flat", `{"Statement":[{` + ok + `,"Condition":{"StringEquals":"x"}}]}`, "must map condition keys"},
		{"condition null", `{"Statement":[{` + ok + `,"Condition":{"StringEquals":{"aws:SourceVpc":null}}}]}`, "strings, booleans or numbers"},
		{"condition object value", `{"Statement":[{` + ok + `,"Condition":{"StringEquals":{"aws:SourceVpc":{"a":1}}}}]}`, "strings, booleans or numbers"},
		{"names the sid", `{"Statement":[{` + ok + `},{"Sid":"Second","Effect":"Maybe","Principal":"*","Action":"*","Resource":"*"}]}`, `Statement[1] (Sid "Second")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.text)
			if err == nil {
				t.Fatalf("Parse accepted %s", tc.text)
			}
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("error %v does not wrap ErrInvalidPolicy", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}
