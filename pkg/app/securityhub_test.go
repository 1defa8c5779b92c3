package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/securityhub"
)

// hubFindings are the findings a simulated account holds in a Region, by
// Id; each is checked to be that account's own, under its own product.
func hubFindings(t *testing.T, org *awssim.Org, account, region string) map[string]map[string]any {
	t.Helper()
	found := org.Server(account, region).Findings()
	for id, f := range found {
		if !strings.HasPrefix(id, securityhub.IDPrefix("aws", region, account)) || f["AwsAccountId"] != account ||
			f["ProductArn"] != securityhub.ProductARN("aws", region, account) {
			t.Errorf("%s %s holds %s: account %v, product %v", account, region, id, f["AwsAccountId"], f["ProductArn"])
		}
	}
	return found
}

// hubCalls counts the Security Hub calls a simulated account and Region
// answered.
func hubCalls(s *awssim.Server) int {
	return s.Calls("securityhub:BatchImportFindings") + s.Calls("securityhub:GetFindings")
}

// TestSecurityHubFindingsGoToTheMembersHub: in organization mode, the
// findings of a member's event are imported into that member's Security
// Hub, in the event's Region, signed by the member role (the session that
// read the state: no second AssumeRole); the central account's events go
// to the central account's hub of their Region; no hub holds another
// account's finding.
func TestSecurityHubFindingsGoToTheMembersHub(t *testing.T) {
	org, h, logs := orgHandler(t, orgEnv(map[string]string{"VPCGUARD_SECURITY_HUB": "true"}))
	ctx := context.Background()

	for _, tc := range []struct {
		event, account, region, failing string
		assumed                         int
	}{
		{prodModel, mlProd, "us-east-1", checks.S3EndpointPresent, 1},
		{researchModel, research, "eu-west-1", checks.S3EndpointPolicyCustom, 2},
	} {
		res, err := h.HandleJSON(ctx, orgEvent(t, tc.event, nil))
		if err != nil {
			t.Fatal(err)
		}
		d := res.SecurityHub
		if d == nil || d.Status != report.SecurityHubWritten || d.Account != tc.account || d.Region != tc.region || d.Active == 0 {
			t.Fatalf("%s: delivery %+v", tc.event, d)
		}
		found := hubFindings(t, org, tc.account, tc.region)
		if len(found) != d.Active {
			t.Errorf("%s: %d findings in %s %s, the delivery says %d", tc.event, len(found), tc.account, tc.region, d.Active)
		}
		var failing bool
		for _, f := range found {
			failing = failing || f["GeneratorId"] == tc.failing
		}
		if !failing {
			t.Errorf("%s: no %s finding in %s %s", tc.event, tc.failing, tc.account, tc.region)
		}
		if n := len(org.AssumedRoles()); n != tc.assumed {
			t.Errorf("%s: %d AssumeRole calls, want %d (one per member account)", tc.event, n, tc.assumed)
		}
	}
	// The central account's own event, in its second Region, with its own
	// credentials.
	res, err := h.HandleJSON(ctx, orgEvent(t, prodModel, inAccount(centralAccount, "eu-west-1")))
	if err != nil {
		t.Fatal(err)
	}
	if d := res.SecurityHub; d == nil || d.Account != centralAccount || d.Region != "eu-west-1" {
		t.Errorf("central eu-west-1: delivery %+v", res.SecurityHub)
	}
	hubFindings(t, org, centralAccount, "eu-west-1")
	if n := org.Global().Calls("sts:AssumeRole"); n != 2 {
		t.Errorf("%d AssumeRole calls in all, want 2", n)
	}
	// Nothing landed anywhere else.
	for _, pair := range [][2]string{{centralAccount, "us-east-1"}, {mlProd, "eu-west-1"}, {research, "us-east-1"}} {
		if n := hubCalls(org.Server(pair[0], pair[1])); n != 0 {
			t.Errorf("%s %s answered %d Security Hub calls", pair[0], pair[1], n)
		}
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("errors logged: %s", logs.String())
	}
}

// TestSecurityHubNotEnabledInAMember: a member without Security Hub is
// reported in the result (not-enabled, naming the member) and logged; the
// email still leaves, and the event is not an error.
func TestSecurityHubNotEnabledInAMember(t *testing.T) {
	org, h, logs := orgHandler(t, orgEnv(map[string]string{
		"VPCGUARD_SECURITY_HUB": "true", "VPCGUARD_TOPIC_ARN": "arn:aws:sns:us-east-1:111122223333:vpcguard-findings",
	}))
	if err := org.Server(mlProd, "us-east-1").SetFault("securityhub:*", awssim.SecurityHubNotEnabled(mlProd)); err != nil {
		t.Fatal(err)
	}
	res, err := h.HandleJSON(context.Background(), orgEvent(t, prodModel, nil))
	if err != nil {
		t.Fatalf("handler error: %v", err)
	}
	d := res.SecurityHub
	if d == nil || d.Status != report.SecurityHubNotEnabled || d.Account != mlProd || !strings.Contains(d.Message, "not subscribed to AWS Security Hub") {
		t.Errorf("delivery %+v", d)
	}
	if len(org.Server(mlProd, "us-east-1").Findings()) != 0 {
		t.Error("findings stored in a hub that is not enabled")
	}
	if n := len(org.Server(centralAccount, "us-east-1").Published()); n != 1 {
		t.Errorf("%d emails from the central account, want 1", n)
	}
	if !strings.Contains(logs.String(), "security hub is not enabled") || !strings.Contains(logs.String(), `"security_hub_account":"`+mlProd+`"`) {
		t.Errorf("not logged with the member's account:\n%s", logs.String())
	}
}

// TestAccountHubsServeOnlyTheirAccountsAndRegions: the Hubs refuse a
// Region outside VPCGUARD_REGIONS as not served, before any call; a member
// whose role refuses is an error naming the role; each account and
// Region's client is kept.
func TestAccountHubsServeOnlyTheirAccountsAndRegions(t *testing.T) {
	org, h, _ := orgHandler(t, orgEnv(map[string]string{"VPCGUARD_SECURITY_HUB": "true"}))
	hubs := h.SecurityHub.(*securityhub.Publisher).Hubs
	ctx := context.Background()

	_, err := hubs.Hub(ctx, mlProd, "ap-southeast-2")
	if !errors.Is(err, securityhub.ErrNotServed) || !strings.Contains(err.Error(), "ap-southeast-2 is not a Region vpcguard serves") {
		t.Errorf("a Region not served: %v", err)
	}
	if n := org.Global().Calls("*"); n != 0 {
		t.Errorf("%d STS calls for a Region not served", n)
	}
	_, err = hubs.Hub(ctx, sandbox, "us-east-1")
	if err == nil || errors.Is(err, securityhub.ErrNotServed) || !strings.Contains(err.Error(), "cannot assume arn:aws:iam::"+sandbox+":role/vpcguard-member") {
		t.Errorf("a refusing member: %v", err)
	}
	a, err := hubs.Hub(ctx, research, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := hubs.Hub(ctx, research, "eu-west-1"); b != a {
		t.Error("the client of an account and Region is not kept")
	}
	if c, _ := hubs.Hub(ctx, research, "us-east-1"); c == a {
		t.Error("two Regions share one client")
	}
}

// TestSingleAccountModeWritesOnlyItsOwnHub: without VPCGUARD_MEMBER_ROLE
// another account's event reaches no Security Hub (it is not even read).
func TestSingleAccountModeWritesOnlyItsOwnHub(t *testing.T) {
	org, h, _ := orgHandler(t, map[string]string{"VPCGUARD_ROLE_ARN": centralRoles, "VPCGUARD_SECURITY_HUB": "true"})
	if _, ok := h.SecurityHub.(*securityhub.Publisher).Hubs.(*securityhub.SingleAccount); !ok {
		t.Errorf("single-account mode uses %T", h.SecurityHub.(*securityhub.Publisher).Hubs)
	}
	res, err := h.HandleJSON(context.Background(), orgEvent(t, prodModel, nil))
	if err != nil || res.Skipped == "" {
		t.Fatalf("%+v, %v", res, err)
	}
	for _, acct := range org.Accounts() {
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			if n := hubCalls(org.Server(acct, region)); n != 0 {
				t.Errorf("%s %s answered %d Security Hub calls", acct, region, n)
			}
		}
	}
}
