package awssim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
)

// fixturesDir finds ../shared/fixtures/aws-samples next to the repository
// root (the directory holding go.mod), or skips the test.
func fixturesDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("VPCGUARD_SHARED_FIXTURES"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "..", "shared", "fixtures", "aws-samples")
			if _, err := os.Stat(filepath.Join(d, "SOURCES.md")); err != nil {
				t.Skipf("shared AWS fixtures not found at %s (a sibling shared/ of the repository root); skipping", d)
			}
			return d
		}
		if filepath.Dir(dir) == dir {
			t.Skip("repository root (go.mod) not found above the working directory; skipping the shared-fixture test")
		}
	}
}

func readFixture(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixturesDir(t), rel))
	if err != nil {
		t.Fatalf("fixture %s: %v", rel, err)
	}
	return b
}

// fixtureServer answers every request with body (as published) and status.
func fixtureServer(t *testing.T, status int, contentType string, body []byte) string {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(hs.Close)
	return hs.URL
}

// start serves sc and returns a hermetic config for it.
func start(t *testing.T, sc *Scenario) (*Server, aws.Config) {
	t.Helper()
	srv, url := Start(t, sc)
	return srv, TestConfig(url, srv.Region())
}

// rawPost sends a signed-looking query-protocol request and returns the
// status and body.
func rawPost(t *testing.T, url, region, service string, form url.Values) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=AKID/20240101/%s/%s/aws4_request, SignedHeaders=host, Signature=00", region, service))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// apiCode returns the error code of an SDK error ("" for nil).
func apiCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "not an API error: " + err.Error()
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := apiCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// compareSubset checks that every field present in want (non-nil pointers,
// non-empty slices and maps, non-zero scalars) has the same value in got.
// ignore lists field paths with indexes removed ("VpcEndpoints[].DnsEntries");
// a path is ignored when it or a parent is listed.
func compareSubset(t *testing.T, want, got any, ignore ...string) {
	t.Helper()
	var errs []string
	ign := map[string]bool{}
	for _, p := range ignore {
		ign[p] = true
	}
	walkSubset(reflect.ValueOf(want), reflect.ValueOf(got), "", false, ign, &errs)
	if len(errs) > 0 {
		t.Errorf("%d differences from the real sample:\n  %s", len(errs), strings.Join(errs, "\n  "))
	}
}

var timeType = reflect.TypeOf(time.Time{})

func walkSubset(w, g reflect.Value, path string, strict bool, ign map[string]bool, errs *[]string) {
	norm := indexRE.ReplaceAllString(path, "[]")
	for p := norm; p != ""; {
		if ign[p] {
			return
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	if !w.IsValid() {
		return
	}
	if !g.IsValid() {
		*errs = append(*errs, fmt.Sprintf("%s: missing (want %v)", path, w.Interface()))
		return
	}
	switch w.Kind() {
	case reflect.Pointer, reflect.Interface:
		if w.IsNil() {
			return
		}
		if g.IsNil() {
			*errs = append(*errs, fmt.Sprintf("%s: missing (want %v)", path, reflect.Indirect(w).Interface()))
			return
		}
		walkSubset(w.Elem(), g.Elem(), path, true, ign, errs)
	case reflect.Struct:
		if w.Type() == timeType {
			wt, gt := w.Interface().(time.Time), g.Interface().(time.Time)
			if !wt.IsZero() && !wt.Equal(gt) {
				*errs = append(*errs, fmt.Sprintf("%s: got %v, want %v", path, gt, wt))
			}
			return
		}
		for i := 0; i < w.NumField(); i++ {
			f := w.Type().Field(i)
			if !f.IsExported() || f.Name == "ResultMetadata" {
				continue
			}
			walkSubset(w.Field(i), g.Field(i), strings.TrimPrefix(path+"."+f.Name, "."), false, ign, errs)
		}
	case reflect.Slice:
		if w.Len() == 0 {
			return
		}
		if w.Len() != g.Len() {
			*errs = append(*errs, fmt.Sprintf("%s: got %d items, want %d", path, g.Len(), w.Len()))
			return
		}
		for i := 0; i < w.Len(); i++ {
			walkSubset(w.Index(i), g.Index(i), fmt.Sprintf("%s[%d]", path, i), false, ign, errs)
		}
	case reflect.Map:
		for _, k := range w.MapKeys() {
			walkSubset(w.MapIndex(k), g.MapIndex(k), fmt.Sprintf("%s[%v]", path, k), true, ign, errs)
		}
	default:
		if !strict && w.IsZero() {
			return
		}
		if !reflect.DeepEqual(w.Interface(), g.Interface()) {
			*errs = append(*errs, fmt.Sprintf("%s: got %#v, want %#v", path, g.Interface(), w.Interface()))
		}
	}
}

// xmlPaths returns the set of element paths of an XML document
// ("DescribeSubnetsResponse/subnetSet/item/subnetId").
func xmlPaths(t *testing.T, b []byte) map[string]bool {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var stack []string
	out := map[string]bool{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("xml: %v\n%s", err, b)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			stack = append(stack, tok.Name.Local)
			out[strings.Join(stack, "/")] = true
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

// checkXMLShape checks that every element path of the published sample
// also occurs in what the server rendered, except those in allow.
func checkXMLShape(t *testing.T, sample, ours []byte, allow ...string) {
	t.Helper()
	s, o := xmlPaths(t, sample), xmlPaths(t, ours)
	var missing []string
	for p := range s {
		if !o[p] && !containsStr(allow, p) {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("elements of the real sample that the server does not render:\n  %s\nserver rendered:\n%s", strings.Join(missing, "\n  "), ours)
	}
}
