package guard_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// TestNetworkACLFixCommandsWork runs the create-network-acl-entry commands
// network-acl-s3 gives, as printed, with the AWS CLI against the simulated
// account, and evaluates again: the check then passes. (The commands are
// the report; vpcguard itself never runs them.)
func TestNetworkACLFixCommandsWork(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not installed; skipping the fix-command test")
	}
	h, srv := account(t, "network-acl-blocks-s3", nil)
	call := cloudtrail.Call{Kind: cloudtrail.KindCreateModel, Name: "CreateModel", Source: cloudtrail.SourceSageMaker,
		Account: "111122223333", Region: "us-east-1", CreateModel: &cloudtrail.CreateModel{ModelName: "scoring-v1"}}
	evaluate := func() report.Check {
		t.Helper()
		res, err := h.Handle(context.Background(), call)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Checks {
			if c.ID == checks.NetworkACLS3 {
				return c
			}
		}
		t.Fatal("no network-acl-s3 result")
		return report.Check{}
	}
	c := evaluate()
	if c.Status != report.StatusFail {
		t.Fatalf("network-acl-s3 = %s: %s", c.Status, c.Message)
	}
	ran := 0
	for _, line := range strings.Split(c.Remediation, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "aws ec2 create-network-acl-entry ") {
			continue
		}
		args := append(strings.Fields(line)[1:], "--endpoint-url", srv.URL())
		cmd := exec.Command("aws", args...)
		cmd.Env = append(cmd.Environ(), "AWS_ACCESS_KEY_ID=AKIDAWSSIM", "AWS_SECRET_ACCESS_KEY=secret", "AWS_CONFIG_FILE=/dev/null",
			"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		ran++
	}
	// One outbound entry (52.216.0.0/15 below rule 90), one inbound per S3 CIDR.
	if ran != 4 {
		t.Fatalf("%d commands in %q", ran, c.Remediation)
	}
	if c := evaluate(); c.Status != report.StatusPass {
		t.Errorf("after the fix commands network-acl-s3 = %s: %s", c.Status, c.Message)
	}
}
