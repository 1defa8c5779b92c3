// Command infra is vpcguard's CDK app: `npx cdk synth` (cdk.json at the
// repository root runs it) builds every functions/<name> for linux/arm64 and
// writes the CloudFormation template of the VpcGuard stack to cdk.out/.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// stackName is the CloudFormation stack vpcguard deploys.
const stackName = "VpcGuard"

func main() {
	if err := run(); err != nil {
		// No jsii.Close here: after a failed bundling callback the kernel
		// is not in a state to shut down cleanly, and its complaints would
		// bury the message. Exiting closes its pipes; it ends with them.
		fmt.Fprintln(os.Stderr, "vpcguard infra:", err)
		os.Exit(1)
	}
	jsii.Close()
}

// run synthesizes the app. A failure inside CDK (a function that does not
// compile, an invalid construct, a cdk-nag error) reaches Go as a panic of
// the jsii bindings; it is returned as an error.
func run() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	root, err := repoRoot()
	if err != nil {
		return err
	}
	// The CLI runs the app in the directory of cdk.json and passes paths
	// relative to it (CDK_OUTDIR, CDK_ERROR_FILE, ...); cdk.json's "cd infra"
	// only serves `go run`. Go back before the first jsii call: the jsii
	// kernel inherits the working directory.
	if err := os.Chdir(root); err != nil {
		return err
	}
	app := awscdk.NewApp(nil)
	if _, err := NewApp(app, root); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

// NewApp adds the vpcguard stack, configured from the app's context, and the
// cdk-nag checks to app.
func NewApp(app awscdk.App, root string) (*VpcGuardStack, error) {
	settings, err := SettingsFromContext(app.Node())
	if err != nil {
		return nil, err
	}
	functions, err := DiscoverFunctions(root)
	if err != nil {
		return nil, err
	}
	stack := NewVpcGuardStack(app, stackName, &StackProps{
		StackProps: awscdk.StackProps{
			Description: jsii.String("vpcguard: keeps SageMaker hosted models private inside their VPC"),
		},
		RepoRoot:  root,
		Settings:  settings,
		Functions: functions,
	})
	if settings.Organization() {
		if err := stack.addOrganization(&StackProps{RepoRoot: root, Settings: settings, Functions: functions}); err != nil {
			return nil, fmt.Errorf("organization mode: %w", err)
		}
	}
	ApplyNag(app)
	return stack, nil
}

// repoRoot is the parent of the infra module: the app runs in infra/
// (cdk.json: "cd infra && go run ."), and so do its tests.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root := filepath.Dir(wd)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("repository root %s has no go.mod (run the app from infra/): %w", root, err)
	}
	return root, nil
}
