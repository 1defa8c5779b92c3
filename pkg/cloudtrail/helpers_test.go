package cloudtrail_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
)

// repoRoot is the directory holding go.mod, found by walking up from the
// package directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package directory")
		}
		dir = parent
	}
}

// sharedSamples is shared/fixtures/aws-samples beside the repository, or ""
// when that folder is absent (a clone on its own).
func sharedSamples(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(repoRoot(t)), "shared", "fixtures", "aws-samples")
	if _, err := os.Stat(dir); err != nil {
		return ""
	}
	return dir
}

// needShared skips the test when the shared AWS samples are absent.
func needShared(t *testing.T) string {
	t.Helper()
	dir := sharedSamples(t)
	if dir == "" {
		t.Skip("skipping: ../shared/fixtures/aws-samples (the real AWS samples, read in place) is not beside the repository")
	}
	return dir
}

func glob(t testing.TB, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// sameCall fails the test with both calls as JSON when they differ.
func sameCall(t *testing.T, got, want cloudtrail.Call) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("call differs\n got: %s\nwant: %s", g, w)
	}
}
