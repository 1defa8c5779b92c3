package sweep_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/securityhub"
	"github.com/vpcguard/vpcguard/pkg/sweep"
)

// TestOrganizationSweepReconcilesEachMembersHub: the lifecycle across an
// event and an organization sweep, in the members' own Security Hubs. An
// event of ml-prod makes its s3-endpoint-present finding ACTIVE in
// ml-prod's hub; someone repairs ml-prod's VPC; the organization sweep
// archives that finding (PASSED, same CreatedAt, later UpdatedAt) in
// ml-prod's hub, keeps research's failures ACTIVE in research's eu-west-1
// hub, reports the pair where Security Hub is not enabled, and writes no
// finding into another account's hub.
func TestOrganizationSweepReconcilesEachMembersHub(t *testing.T) {
	env := map[string]string{
		"VPCGUARD_SECURITY_HUB": "true", "VPCGUARD_ACCOUNTS": orgMLProd + "," + orgResearch + "," + orgCentral,
		"VPCGUARD_TOPIC_ARN": "arn:aws:sns:us-east-1:111122223333:vpcguard-findings",
	}
	org, s, _ := startOrgSweep(t, func(o *awssim.OrgScenario) { o.DelegatedAdministrators = nil }, env, false)
	ctx := context.Background()
	if err := org.Server(orgResearch, "us-east-1").SetFault("securityhub:*", awssim.SecurityHubNotEnabled(orgResearch)); err != nil {
		t.Fatal(err)
	}

	// The event, through modelguard's handler in the central account.
	getenv := func(k string) string {
		return map[string]string{
			"VPCGUARD_MEMBER_ROLE": "vpcguard-member", "VPCGUARD_REGIONS": "us-east-1,eu-west-1", "VPCGUARD_SECURITY_HUB": "true",
			"VPCGUARD_ROLE_ARN": "arn:aws:iam::111122223333:role/vpcguard-modelguard",
		}[k]
	}
	h, err := app.NewHandler(ctx, getenv, slog.New(slog.DiscardHandler), []cloudtrail.Kind{cloudtrail.KindCreateModel})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", "organization", "sagemaker-CreateModel-payments-fraud-ml-prod.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := h.HandleJSON(ctx, raw); err != nil || res.SecurityHub == nil || res.SecurityHub.Active == 0 {
		t.Fatalf("event: %+v, %v", res.SecurityHub, err)
	}
	const prodVPC = "vpc-04440000000000001"
	presentID := securityhub.IDPrefix("aws", "us-east-1", orgMLProd) + checks.S3EndpointPresent + "/" + prodVPC
	first := org.Server(orgMLProd, "us-east-1").Findings()[presentID]
	if first["RecordState"] != "ACTIVE" {
		t.Fatalf("after the event, %s = %v", presentID, first)
	}

	// ml-prod's owner adds the S3 gateway endpoint, in ml-prod.
	member, err := memberConfig(ctx, t, org, orgMLProd, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ec2.NewFromConfig(member).CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(prodVPC), ServiceName: aws.String("com.amazonaws.us-east-1.s3"), VpcEndpointType: ec2types.VpcEndpointTypeGateway,
		RouteTableIds: []string{"rtb-04440000000000001"},
	}); err != nil {
		t.Fatal(err)
	}

	time.Sleep(2 * time.Millisecond) // the sweep's evaluation is later than the event's
	sum, err := s.Run(ctx, sweep.Trigger{ID: "sweep-org-hub", Account: orgCentral, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	p := org.Server(orgMLProd, "us-east-1").Findings()[presentID]
	if p["RecordState"] != "ARCHIVED" || p["Compliance"].(map[string]any)["Status"] != "PASSED" || p["CreatedAt"] != first["CreatedAt"] ||
		p["UpdatedAt"].(string) <= first["UpdatedAt"].(string) || p["ProductFields"].(map[string]any)["vpcguard/EventId"] != "sweep-org-hub" {
		t.Errorf("ml-prod's repaired finding after the sweep: %v", p)
	}
	var researchActive int
	for id, f := range org.Server(orgResearch, "eu-west-1").Findings() {
		if f["AwsAccountId"] != orgResearch || !strings.HasPrefix(id, securityhub.IDPrefix("aws", "eu-west-1", orgResearch)) {
			t.Errorf("research eu-west-1 holds %s of %v", id, f["AwsAccountId"])
		}
		if f["RecordState"] == "ACTIVE" {
			researchActive++
		}
	}
	if researchActive == 0 {
		t.Error("research's failing findings are not in its eu-west-1 hub")
	}
	for _, acct := range []string{orgMLProd, orgResearch, orgCentral} {
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			for id, f := range org.Server(acct, region).Findings() {
				if f["AwsAccountId"] != acct || f["ProductArn"] != securityhub.ProductARN("aws", region, acct) {
					t.Errorf("%s %s holds %s of account %v under %v", acct, region, id, f["AwsAccountId"], f["ProductArn"])
				}
			}
		}
	}
	if len(org.Server(orgCentral, "us-east-1").Findings()) == 0 {
		t.Error("the central account's own findings are not in its hub")
	}

	// Each row says what its reconciliation did; the run totals them and
	// names the pair without Security Hub, in the digest too.
	if d := target(t, sum, orgMLProd, "us-east-1").Summary.Delivery.SecurityHub; !strings.HasPrefix(d, "written: ") || !strings.Contains(d, "1 ARCHIVED") ||
		!strings.Contains(d, "in account "+orgMLProd+" us-east-1") {
		t.Errorf("ml-prod us-east-1 delivery %q", d)
	}
	if d := target(t, sum, orgResearch, "us-east-1").Summary.Delivery.SecurityHub; !strings.HasPrefix(d, "not-enabled") {
		t.Errorf("research us-east-1 delivery %q", d)
	}
	if d := sum.Delivery.SecurityHub; !strings.HasPrefix(d, "reconciled in each account's own Security Hub, 6 account/Region pair(s): ") ||
		!strings.Contains(d, "not enabled in 1 ("+orgResearch+" us-east-1)") || strings.Contains(d, "failed") {
		t.Errorf("organization delivery %q", d)
	}
	if !strings.Contains(sum.Digest.Body, "Security Hub is not enabled in 1 account/Region pair(s), so their findings are not there: "+orgResearch+" us-east-1") {
		t.Errorf("digest does not name the pair without Security Hub:\n%s", sum.Digest.Body)
	}
}

// memberConfig signs as account's vpcguard-member role (as the central
// functions do), for acting in the member account as its owner would.
func memberConfig(ctx context.Context, t *testing.T, org *awssim.Org, account, region string) (aws.Config, error) {
	t.Helper()
	base := awssim.TestConfig(org.URL(), region)
	home, err := app.ClientsFrom(base)
	if err != nil {
		return aws.Config{}, err
	}
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{"VPCGUARD_MEMBER_ROLE": "vpcguard-member", "VPCGUARD_REGIONS": region,
			"VPCGUARD_ROLE_ARN": "arn:aws:iam::111122223333:role/vpcguard-modelguard"}[k]
	})
	if err != nil {
		return aws.Config{}, err
	}
	return app.NewAccounts(base, home, cfg).Config(ctx, account, region)
}
