package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"
)

// goBuildFlags are the flags every function binary is built with. -trimpath
// and -buildvcs=false keep the binary (and so its asset hash) independent of
// the checkout's location and git state.
var goBuildFlags = []string{
	"-tags", "lambda.norpc",
	"-trimpath",
	"-buildvcs=false",
	"-ldflags", "-s -w",
}

// goBundler builds functions/<name> into the asset directory with the local Go
// toolchain. CDK calls TryBundle during synth; there is no Docker fallback.
//
// Its fields are unexported on purpose: jsii hands exported fields of a Go
// object to JavaScript, where CDK serialises them into the asset cache key
// (an absolute path there would differ per checkout). Each function gets its
// own asset because the asset's source path is its own directory, and the
// asset hash is taken from the built output (AssetHashType_OUTPUT), so it
// changes with the code and the build flags and with nothing else.
type goBundler struct {
	repoRoot string // module root that holds go.mod and functions/
	name     string // functions/<name>
}

var _ awscdk.ILocalBundling = (*goBundler)(nil)

// TryBundle runs `go build` for linux/arm64 into outputDir/bootstrap. A
// failure panics: the jsii runtime turns the panic into an error thrown from
// CDK's bundling step, so synth stops with the compiler's message instead of
// falling back to Docker (returning false would make CDK try Docker).
func (b *goBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	if err := b.build(*outputDir); err != nil {
		panic(err)
	}
	return jsii.Bool(true)
}

// build compiles the function into dir/bootstrap.
func (b *goBundler) build(dir string) error {
	out := filepath.Join(dir, "bootstrap")
	args := append([]string{"build"}, goBuildFlags...)
	args = append(args, "-o", out, "./functions/"+b.name)
	cmd := exec.Command("go", args...)
	cmd.Dir = b.repoRoot
	cmd.Env = append(os.Environ(),
		"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0",
		"GOFLAGS=",     // the flags above are the whole build: no -race, -mod or -cover from the caller
		"GOWORK=off",   // build the root module alone, whatever go.work exists around it
		"GOARM64=v8.0", // the default, pinned: the binary must not depend on the caller's env
	)
	var stderr bytes.Buffer
	cmd.Stdout = os.Stderr
	cmd.Stderr = &stderr
	fmt.Fprintf(os.Stderr, "vpcguard: go build ./functions/%s (linux/arm64)\n", b.name)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./functions/%s for linux/arm64 failed (%v):\n%s",
			b.name, err, strings.TrimSpace(stderr.String()))
	}
	if _, err := os.Stat(out); err != nil {
		return fmt.Errorf("go build ./functions/%s: no bootstrap written: %w", b.name, err)
	}
	return nil
}

// functionCode is the Lambda code asset of functions/<name>, built by goBundler.
func functionCode(repoRoot, name string) awslambda.Code {
	return awslambda.Code_FromAsset(jsii.String(filepath.Join(repoRoot, "functions", name)), &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_OUTPUT,
		Bundling: &awscdk.BundlingOptions{
			// Required by the type, never pulled nor run: TryBundle either
			// builds or fails synth.
			Image:      awscdk.DockerImage_FromRegistry(jsii.String("vpcguard/no-docker-bundling")),
			Local:      &goBundler{repoRoot: repoRoot, name: name},
			OutputType: awscdk.BundlingOutput_NOT_ARCHIVED,
		},
	})
}
