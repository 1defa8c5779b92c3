package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// testOutRoot holds every cloud assembly the tests synthesize.
var testOutRoot string

func TestMain(m *testing.M) {
	if root := os.Getenv(synthChildEnv); root != "" {
		os.Exit(synthChild(root))
	}
	dir, err := os.MkdirTemp("", "vpcguard-infra-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testOutRoot = dir
	code := m.Run()
	jsii.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// noPanic runs f and turns a panic (how the jsii bindings report a failed
// assertion or a synth error) into a test failure.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s: %v", what, r)
		}
	}()
	f()
}

// testRepoRoot is the repository the tests synthesize: the parent of infra/.
func testRepoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

// cdkJSONContext is the "context" block of ../cdk.json: the feature flags
// `cdk synth` runs with, so the tests see the same template.
func cdkJSONContext(t *testing.T) map[string]interface{} {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testRepoRoot(t), "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Context map[string]interface{} `json:"context"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	return doc.Context
}

// synthesized is one synthesized vpcguard app.
type synthesized struct {
	stack    *VpcGuardStack
	template assertions.Template
	json     map[string]interface{} // the CloudFormation template
	outdir   string
	settings Settings
}

var synthCache = map[string]*synthesized{}

// synth builds the app of this repository with the given context (on top of
// cdk.json's) once per distinct context, and returns its template.
func synth(t *testing.T, ctx map[string]string) *synthesized {
	t.Helper()
	keys := make([]string, 0, len(ctx))
	for k := range ctx {
		keys = append(keys, k+"="+ctx[k])
	}
	slices.Sort(keys)
	cacheKey := strings.Join(keys, ";")
	if s, ok := synthCache[cacheKey]; ok {
		return s
	}
	context := cdkJSONContext(t)
	for k, v := range ctx {
		context[k] = v
	}
	outdir, err := os.MkdirTemp(testOutRoot, "synth-")
	if err != nil {
		t.Fatal(err)
	}
	s := &synthesized{outdir: outdir}
	noPanic(t, "synth "+cacheKey, func() {
		app := awscdk.NewApp(&awscdk.AppProps{Context: &context, Outdir: jsii.String(outdir)})
		stack, err := NewApp(app, testRepoRoot(t))
		if err != nil {
			t.Fatal(err)
		}
		s.stack = stack
		s.settings, _ = SettingsFromContext(app.Node())
		s.template = assertions.Template_FromStack(stack.Stack, nil)
		s.json = *s.template.ToJSON()
	})
	synthCache[cacheKey] = s
	return s
}

// resources returns the template's resources of one type, by logical ID.
func (s *synthesized) resources(typ string) map[string]map[string]interface{} {
	out := map[string]map[string]interface{}{}
	for id, r := range s.json["Resources"].(map[string]interface{}) {
		res := r.(map[string]interface{})
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// logicalID is the template ID of a construct's CloudFormation resource.
func (s *synthesized) logicalID(t *testing.T, c constructs.IConstruct) string {
	t.Helper()
	el, ok := c.Node().DefaultChild().(awscdk.CfnElement)
	if !ok {
		t.Fatalf("%s has no CloudFormation resource", *c.Node().Path())
	}
	return *s.stack.GetLogicalId(el)
}

// props returns a resource's Properties.
func props(r map[string]interface{}) map[string]interface{} {
	p, _ := r["Properties"].(map[string]interface{})
	return p
}

// toJSON renders v compactly for comparisons and messages.
func toJSON(v interface{}) string {
	b, _ := json.Marshal(v)
	return string(b)
}
