package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func ctxGetter(ctx map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := ctx[k]; return v, ok }
}

func TestSettingsDefaults(t *testing.T) {
	s, err := parseSettings(ctxGetter(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{
		Mode:              "report",
		Remediations:      actionIDs,
		ExpectedInstances: 1,
		ExemptTag:         "vpcguard:exempt",
		EventBusName:      "default",
		LogLevel:          "INFO",
		SweepSchedule:     "rate(1 day)",
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("defaults = %+v, want %+v", s, want)
	}
	if s.Allows(actionCreateS3GatewayEndpoint) {
		t.Error("report mode allows a write")
	}
}

func TestSettingsFromContext(t *testing.T) {
	s, err := parseSettings(ctxGetter(map[string]string{
		"mode":              "remediate",
		"remediations":      "add-al-repo-deny, associate-route-tables,add-al-repo-deny",
		"notificationEmail": "ops@example.com",
		"expectedInstances": "4",
		"exemptTag":         "keep",
		"existingTrail":     "true",
		"eventBusName":      "findings",
		"logLevel":          "warn",
		"sweepSchedule":     "rate(6 hours)",
		"notifyCompliant":   "1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{
		Mode:              "remediate",
		Remediations:      []string{actionAddALRepoDeny, actionAssociateRouteTables},
		NotificationEmail: "ops@example.com",
		ExpectedInstances: 4,
		ExemptTag:         "keep",
		ExistingTrail:     true,
		EventBusName:      "findings",
		LogLevel:          "WARN",
		SweepSchedule:     "rate(6 hours)",
		NotifyCompliant:   true,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("settings = %+v, want %+v", s, want)
	}
	if s.Allows(actionCreateS3GatewayEndpoint) || !s.Allows(actionAddALRepoDeny) {
		t.Error("Allows does not follow the list")
	}
	if got := s.RemediationsEnv(); got != "add-al-repo-deny,associate-route-tables" {
		t.Errorf("VPCGUARD_REMEDIATIONS = %q", got)
	}
	none, err := parseSettings(ctxGetter(map[string]string{"mode": "remediate", "remediations": "none"}))
	if err != nil || none.RemediationsEnv() != "none" || none.Allows(actionAddALRepoDeny) {
		t.Errorf("remediations=none: %+v, %v", none, err)
	}
}

func TestSettingsErrorsAreAllReported(t *testing.T) {
	_, err := parseSettings(ctxGetter(map[string]string{
		"mode": "auto", "expectedInstances": "many", "notificationEmail": "nobody", "eventBusName": "arn:aws:events:x",
	}))
	if err == nil {
		t.Fatal("bad context accepted")
	}
	for _, key := range []string{"mode", "expectedInstances", "notificationEmail", "eventBusName"} {
		if !strings.Contains(err.Error(), "context "+key+"=") {
			t.Errorf("error does not name %s: %v", key, err)
		}
	}
}

// The infra module keeps its own copy of the remediation action IDs; they
// must stay equal to the contract in pkg/report.
func TestActionIDsMatchReportPackage(t *testing.T) {
	path := filepath.Join(testRepoRoot(t), "pkg", "report", "report.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if strings.HasPrefix(name.Name, "Action") && !strings.HasPrefix(name.Name, "ActionStatus") && i < len(vs.Values) {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, err := strconv.Unquote(lit.Value); err == nil && strings.Contains(v, "-") {
						ids = append(ids, v)
					}
				}
			}
		}
		return true
	})
	slices.Sort(ids)
	want := slices.Sorted(slices.Values(actionIDs))
	if !slices.Equal(ids, want) {
		t.Errorf("pkg/report action IDs %v, infra has %v", ids, want)
	}
}

func TestDiscoverFunctions(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("functions/modelguard/main.go", "// Command modelguard.\npackage main\n\nfunc main() {}\n")
	write("functions/modelguard/main_test.go", "package main\n")
	write("functions/endpointguard/main.go", "//go:build !windows\n\npackage main\n\nfunc main() {}\n")
	write("functions/shared/lib.go", "package shared\n")
	write("functions/_scratch/main.go", "package main\n")
	got, err := DiscoverFunctions(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range got {
		names = append(names, f.Name)
		if f.Memory < 128 || f.Timeout < time.Second {
			t.Errorf("%s: size %v MB, timeout %v", f.Name, f.Memory, f.Timeout)
		}
	}
	if !slices.Equal(names, []string{"endpointguard", "modelguard"}) {
		t.Errorf("discovered %v", names)
	}

	write("functions/newguard/main.go", "package main\n")
	if _, err := DiscoverFunctions(root); err == nil || !strings.Contains(err.Error(), "functions/newguard") {
		t.Errorf("a function without a trigger must fail synth, got %v", err)
	}
}
