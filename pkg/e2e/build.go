package e2e

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// The Lambda Runtime Interface Emulator, pinned to the pseudo-version the
// Go module proxy serves. The Makefile's tools target installs the same.
const (
	RIEPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	RIEVersion = "v0.0.0-20261030222936-bef5c4ba774d"
)

// ModulePath is the root module's path; FindRoot looks for its go.mod.
const ModulePath = "github.com/vpcguard/vpcguard"

// Binaries are the programs an end-to-end run executes.
type Binaries struct {
	// Bootstrap maps a function name (modelguard) to its bootstrap file,
	// built as for Lambda: -trimpath -tags lambda.norpc, CGO_ENABLED=0.
	Bootstrap map[string]string
	// RIE is the aws-lambda-rie executable.
	RIE string
	// BuildTime is how long Build took.
	BuildTime time.Duration
}

// Functions lists the function names, sorted.
func (b *Binaries) Functions() []string {
	out := make([]string, 0, len(b.Bootstrap))
	for name := range b.Bootstrap {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// BuildOptions say where to build.
type BuildOptions struct {
	Root     string // the root module (FindRoot when empty)
	Dir      string // where the bootstraps go: Dir/<function>/bootstrap (required)
	ToolsDir string // where aws-lambda-rie is found or installed (default Root/.tools)
	// Functions to build (default every directory under Root/functions).
	Functions []string
	Log       io.Writer // progress lines; nil discards them
}

// FindRoot walks up from the working directory to the root module's go.mod.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module "+ModulePath+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of module %s above the working directory", ModulePath)
		}
		dir = parent
	}
}

// Build compiles the functions into Dir/<name>/bootstrap with one go build, and finds aws-lambda-rie in ToolsDir, installing it
// there (go install …@RIEVersion) when it is missing or another version.
func Build(ctx context.Context, o BuildOptions) (*Binaries, error) {
	start := time.Now()
	if o.Root == "" {
		root, err := FindRoot()
		if err != nil {
			return nil, err
		}
		o.Root = root
	}
	if o.Dir == "" {
		return nil, errors.New("e2e: BuildOptions.Dir is required")
	}
	if o.ToolsDir == "" {
		o.ToolsDir = filepath.Join(o.Root, ".tools")
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	names := o.Functions
	if len(names) == 0 {
		var err error
		if names, err = FunctionNames(o.Root); err != nil {
			return nil, err
		}
	}
	out := filepath.Join(o.Dir, "_out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Log, "build: CGO_ENABLED=0 go build -trimpath -tags lambda.norpc ./functions/{%s}\n", strings.Join(names, ","))
	args := []string{"build", "-trimpath", "-tags", "lambda.norpc", "-o", out + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "./functions/"+n)
	}
	if err := goCmd(ctx, o.Root, []string{"CGO_ENABLED=0", "GOOS=" + runtime.GOOS, "GOARCH=" + runtime.GOARCH}, args...); err != nil {
		return nil, fmt.Errorf("e2e: build the functions: %w", err)
	}
	b := &Binaries{Bootstrap: map[string]string{}}
	for _, n := range names {
		dir := filepath.Join(o.Dir, n)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		dst := filepath.Join(dir, "bootstrap")
		if err := os.Rename(filepath.Join(out, n), dst); err != nil {
			return nil, fmt.Errorf("e2e: %s: %w", n, err)
		}
		b.Bootstrap[n] = dst
	}
	os.Remove(out)
	rie, err := EnsureRIE(ctx, o.Root, o.ToolsDir, o.Log)
	if err != nil {
		return nil, err
	}
	b.RIE = rie
	b.BuildTime = time.Since(start)
	return b, nil
}

// EnsureRIE returns toolsDir/aws-lambda-rie, installing RIEVersion there
// first unless that version is already in place.
func EnsureRIE(ctx context.Context, root, toolsDir string, log io.Writer) (string, error) {
	abs, err := filepath.Abs(toolsDir)
	if err != nil {
		return "", err
	}
	path := filepath.Join(abs, "aws-lambda-rie")
	if v := binaryVersion(path); v == RIEVersion {
		return path, nil
	} else if v != "" {
		fmt.Fprintf(log, "build: %s is %s, want %s\n", path, v, RIEVersion)
	}
	fmt.Fprintf(log, "build: go install %s@%s (into %s)\n", RIEPackage, RIEVersion, abs)
	if err := goCmd(ctx, root, []string{"CGO_ENABLED=0", "GOBIN=" + abs, "GOOS=" + runtime.GOOS, "GOARCH=" + runtime.GOARCH},
		"install", RIEPackage+"@"+RIEVersion); err != nil {
		return "", fmt.Errorf("e2e: install aws-lambda-rie: %w", err)
	}
	if v := binaryVersion(path); v != RIEVersion {
		return "", fmt.Errorf("e2e: %s reports version %q after install, want %s", path, v, RIEVersion)
	}
	return path, nil
}

// binaryVersion is the main module version recorded in a Go binary, or "".
func binaryVersion(path string) string {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return ""
	}
	return info.Main.Version
}

// FunctionNames lists the function directories under root/functions, sorted.
func FunctionNames(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("e2e: no function under %s/functions", root)
	}
	sort.Strings(names)
	return names, nil
}

func goCmd(ctx context.Context, dir string, env []string, args ...string) error {
	// go test and go run put their own go first on PATH.
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
