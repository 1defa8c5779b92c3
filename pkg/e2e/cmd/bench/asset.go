package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// deployFlags are the go build flags of infra/bundler.go (goBuildFlags):
// the CDK stack builds every function with exactly these.
var deployFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w"}

// AssetResult is one function's Lambda asset: the linux/arm64 bootstrap
// and the zip of it that Lambda receives.
type AssetResult struct {
	RawBytes    int64 `json:"raw_bytes"`
	ZippedBytes int64 `json:"zipped_bytes"`
}

// goBuild builds functions/name into out for goos/goarch with the deploy's
// flags and environment (infra/bundler.go: CGO_ENABLED=0, GOFLAGS and
// go.work ignored, GOARM64=v8.0 for arm64).
func goBuild(ctx context.Context, root, goos, goarch, name, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	args := append([]string{"build"}, deployFlags...)
	args = append(args, "-o", out, "./functions/"+name)
	env := append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off")
	if goarch == "arm64" {
		env = append(env, "GOARM64=v8.0")
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("GOOS=%s GOARCH=%s go %s: %w\n%s", goos, goarch, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// buildAsset builds dir/bootstrap for linux/arm64, zips it into
// dir/function.zip (Deflate) and returns both sizes.
func buildAsset(ctx context.Context, root, name, dir string) (*AssetResult, error) {
	boot := filepath.Join(dir, "bootstrap")
	if err := goBuild(ctx, root, "linux", "arm64", name, boot); err != nil {
		return nil, err
	}
	fi, err := os.Stat(boot)
	if err != nil {
		return nil, err
	}
	zipped, err := zipBootstrap(boot, filepath.Join(dir, "function.zip"))
	if err != nil {
		return nil, err
	}
	return &AssetResult{RawBytes: fi.Size(), ZippedBytes: zipped}, nil
}

// zipBootstrap writes a zip holding the file as "bootstrap" (mode 0755,
// Deflate at the default level) and returns the zip's size.
func zipBootstrap(src, dst string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(w, in); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
