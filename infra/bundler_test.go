package main

import (
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// copyCheckout copies the root module (everything but VCS data, build
// output, node_modules and the infra module itself) to a new directory, as a
// second clone at another path would have it.
func copyCheckout(t *testing.T, src string) string {
	t.Helper()
	dst, err := os.MkdirTemp(testOutRoot, "checkout-")
	if err != nil {
		t.Fatal(err)
	}
	skip := map[string]bool{".git": true, "cdk.out": true, "node_modules": true, "infra": true, "bin": true, ".tools": true}
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() && skip[d.Name()] && rel != "." {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, b, 0o644)
		}
		return nil // symlinks and the like: not part of a Go build
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// synthAt synthesizes the app of the checkout at root into a new directory
// and returns it with the asset hash of each function.
func synthAt(t *testing.T, root string) (string, map[string]string) {
	t.Helper()
	outdir, err := os.MkdirTemp(testOutRoot, "synth-")
	if err != nil {
		t.Fatal(err)
	}
	hashes := map[string]string{}
	noPanic(t, "synth of "+root, func() {
		context := cdkJSONContext(t)
		app := awscdk.NewApp(&awscdk.AppProps{Context: &context, Outdir: jsii.String(outdir)})
		stack, err := NewApp(app, root)
		if err != nil {
			t.Fatal(err)
		}
		app.Synth(nil)
		tmpl := readJSON(t, filepath.Join(outdir, stackName+".template.json"))
		for name, fn := range stack.Functions {
			id := *stack.GetLogicalId(fn.Node().DefaultChild().(awscdk.CfnElement))
			res := tmpl["Resources"].(map[string]interface{})[id].(map[string]interface{})
			key := props(res)["Code"].(map[string]interface{})["S3Key"].(string)
			hashes[name] = strings.TrimSuffix(key, ".zip")
		}
	})
	return outdir, hashes
}

func readJSON(t *testing.T, path string) map[string]interface{} {
	t.Helper()
	var v map[string]interface{}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// The asset hash is a function of the function's source and build flags
// alone: two checkouts at different paths give the same hashes, and every
// function ships its own binary, built as the Lambda runtime needs it.
func TestAssetsAreReproducibleAndPerFunction(t *testing.T) {
	repo := testRepoRoot(t)
	outA, hashesA := synthAt(t, copyCheckout(t, repo))
	_, hashesB := synthAt(t, copyCheckout(t, repo))
	if len(hashesA) < 2 {
		t.Fatalf("want at least two functions, got %v", hashesA)
	}
	if toJSON(hashesA) != toJSON(hashesB) {
		t.Errorf("same source, different asset hashes:\n  %v\n  %v", hashesA, hashesB)
	}
	byHash := map[string]string{}
	for name, h := range hashesA {
		if other, dup := byHash[h]; dup {
			t.Errorf("%s and %s share asset %s", name, other, h)
		}
		byHash[h] = name
	}

	module := modulePath(t, repo)
	for name, h := range hashesA {
		dir := filepath.Join(outA, "asset."+h)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Name() != "bootstrap" {
			t.Errorf("%s asset holds %v, want bootstrap alone", name, entries)
			continue
		}
		bin := filepath.Join(dir, "bootstrap")
		if info, _ := os.Stat(bin); info.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s: bootstrap is not executable (%v)", name, info.Mode())
		}
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatalf("%s: bootstrap is not an ELF binary: %v", name, err)
		}
		if f.Machine != elf.EM_AARCH64 || f.Class != elf.ELFCLASS64 {
			t.Errorf("%s: bootstrap is %v %v, want 64-bit arm64", name, f.Class, f.Machine)
		}
		// -ldflags '-s -w': no symbol table, no DWARF. (Go leaves -ldflags
		// out of the build info under -trimpath, so look at the sections.)
		for _, sec := range f.Sections {
			if sec.Name == ".symtab" || strings.HasPrefix(sec.Name, ".debug_") || strings.HasPrefix(sec.Name, ".zdebug_") {
				t.Errorf("%s: section %s present, want -ldflags '-s -w'", name, sec.Name)
			}
		}
		f.Close()

		bi, err := buildinfo.ReadFile(bin)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := module + "/functions/" + name; bi.Path != want {
			t.Errorf("asset of %s holds %s", name, bi.Path)
		}
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		for k, v := range map[string]string{
			"GOOS": "linux", "GOARCH": "arm64", "CGO_ENABLED": "0",
			"-tags": "lambda.norpc", "-trimpath": "true",
		} {
			if settings[k] != v {
				t.Errorf("%s built with %s=%q, want %q", name, k, settings[k], v)
			}
		}
		if _, ok := settings["vcs.revision"]; ok {
			t.Errorf("%s: VCS stamp in the binary makes the hash depend on git state", name)
		}
	}
}

// A function that does not compile stops synth with the compiler's message;
// nothing falls back to Docker. The synth runs in a child process (this test
// binary again, see TestMain): a failed bundling callback leaves the jsii
// kernel of that process unclean, which must not leak into other tests.
func TestBuildFailureFailsSynthWithTheCompilerError(t *testing.T) {
	root := copyCheckout(t, testRepoRoot(t))
	broken := filepath.Join(root, "functions", "modelguard", "zz_broken.go")
	if err := os.WriteFile(broken, []byte("package main\n\nvar _ = notDeclaredAnywhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	context, err := json.Marshal(cdkJSONContext(t))
	if err != nil {
		t.Fatal(err)
	}
	outdir, err := os.MkdirTemp(testOutRoot, "synth-")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), synthChildEnv+"="+root, "CDK_OUTDIR="+outdir, "CDK_CONTEXT_JSON="+string(context))
	out, err := cmd.CombinedOutput()
	msg := string(out)
	if err == nil {
		t.Fatalf("synth succeeded with a function that does not compile:\n%s", msg)
	}
	for _, want := range []string{"go build ./functions/modelguard", "undefined: notDeclaredAnywhere"} {
		if !strings.Contains(msg, want) {
			t.Errorf("synth error lacks %q:\n%s", want, msg)
		}
	}
	if regexp.MustCompile(`(?i)docker`).MatchString(msg) {
		t.Errorf("synth error mentions Docker:\n%s", msg)
	}
}

// synthChildEnv names the checkout that a child test process synthesizes
// (with the CDK_OUTDIR and CDK_CONTEXT_JSON the CLI would pass) instead of
// running the tests.
const synthChildEnv = "VPCGUARD_INFRA_TEST_SYNTH_ROOT"

// synthChild is the child's whole run: it exits 0 when synth succeeds, and
// 1 with the error when it fails.
func synthChild(root string) int {
	defer jsii.Close()
	failed := false
	func() {
		defer func() {
			if r := recover(); r != nil {
				fmt.Fprintln(os.Stderr, "synth failed:", r)
				failed = true
			}
		}()
		app := awscdk.NewApp(nil)
		if _, err := NewApp(app, root); err != nil {
			panic(err)
		}
		app.Synth(nil)
	}()
	if failed {
		return 1
	}
	return 0
}

// modulePath is the module line of the root go.mod.
func modulePath(t *testing.T, root string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.TrimSpace(m)
		}
	}
	t.Fatal("no module line in go.mod")
	return ""
}
