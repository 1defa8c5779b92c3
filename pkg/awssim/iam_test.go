package awssim

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// eniActions are the ten ec2 actions the SageMaker VPC guide lists.
var eniActions = []string{
	"ec2:DescribeVpcEndpoints", "ec2:DescribeDhcpOptions", "ec2:DescribeVpcs", "ec2:DescribeSubnets",
	"ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces", "ec2:CreateNetworkInterface",
	"ec2:DeleteNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterfacePermission",
}

func TestIAMSimulatePrincipalPolicy(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, &Scenario{Account: "111122223333", PageSizes: map[string]int{"iam:SimulatePrincipalPolicy": 4}, Roles: []Role{
		{Name: "Full", Allow: []string{"*"}},
		{Name: "Partial", Path: "/service-role/", Allow: []string{"EC2:describe*", "ec2:CreateNetworkInterface"}, Deny: []string{"ec2:*NetworkInterfacePermission"}},
		{Name: "Nothing"},
	}})
	c := iam.NewFromConfig(cfg)
	decisions := func(arn string) map[string]string {
		t.Helper()
		out := map[string]string{}
		pg := iam.NewSimulatePrincipalPolicyPaginator(c, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(arn), ActionNames: eniActions})
		for pg.HasMorePages() {
			page, err := pg.NextPage(ctx)
			must(t, err)
			for _, r := range page.EvaluationResults {
				out[aws.ToString(r.EvalActionName)] = string(r.EvalDecision)
			}
		}
		return out
	}
	full := decisions("arn:aws:iam::111122223333:role/Full")
	partial := decisions("arn:aws:iam::111122223333:role/service-role/Partial")
	nothing := decisions("arn:aws:iam::111122223333:role/Nothing")
	if len(full) != 10 || len(partial) != 10 || len(nothing) != 10 {
		t.Fatalf("results: %d %d %d", len(full), len(partial), len(nothing))
	}
	for _, a := range eniActions {
		if full[a] != "allowed" || nothing[a] != "implicitDeny" {
			t.Errorf("%s: full %s, nothing %s", a, full[a], nothing[a])
		}
	}
	want := map[string]string{"ec2:DescribeSubnets": "allowed", "ec2:CreateNetworkInterface": "allowed",
		"ec2:DeleteNetworkInterface": "implicitDeny", "ec2:CreateNetworkInterfacePermission": "explicitDeny"}
	for a, d := range want {
		if partial[a] != d {
			t.Errorf("Partial %s = %s, want %s", a, partial[a], d)
		}
	}
	if n := srv.Calls("iam:SimulatePrincipalPolicy"); n != 9 {
		t.Errorf("%d calls, want 3 roles × 3 pages", n)
	}
	_, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::111122223333:role/Gone"), ActionNames: eniActions})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::999999999999:role/Full"), ActionNames: eniActions})
	wantCode(t, err, "NoSuchEntity")
}

func TestSTSGetCallerIdentity(t *testing.T) {
	_, cfg := start(t, &Scenario{Account: "210987654321", Region: "eu-west-1"})
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	must(t, err)
	if aws.ToString(out.Account) != "210987654321" || aws.ToString(out.Arn) != "arn:aws:sts::210987654321:assumed-role/vpcguard/awssim" || aws.ToString(out.UserId) == "" {
		t.Errorf("identity: %+v", out)
	}
}
