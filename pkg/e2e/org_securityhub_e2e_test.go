//go:build e2e

package e2e_test

import (
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/securityhub"
)

// TestOrganizationSecurityHub: with VPCGUARD_SECURITY_HUB=true, the
// modelguard binary writes a member's findings into that member's own
// Security Hub, in the event's Region (signed by its member role); the
// sweep binary then reconciles every account and Region in its own hub.
// No hub ever holds a finding of another account or under another product.
func TestOrganizationSecurityHub(t *testing.T) {
	s := orgSession(t, map[string]string{"VPCGUARD_SECURITY_HUB": "true"})
	for _, tc := range []struct{ file, account, region, failing string }{
		{prodModelEvent, mlProd, "us-east-1", checks.S3EndpointPresent},
		{researchModelEvent, research, "eu-west-1", checks.S3EndpointDeniesALRepos},
	} {
		r := mustResult(t, invoke(t, s, "modelguard", orgEventFile(t, tc.file)))
		d := r.SecurityHub
		if d == nil || d.Status != report.SecurityHubWritten || d.Account != tc.account || d.Region != tc.region || d.Active == 0 {
			t.Fatalf("%s: delivery %+v", tc.file, d)
		}
		id := securityhub.IDPrefix("aws", tc.region, tc.account) + tc.failing + "/"
		var found bool
		for fid, f := range s.Org.Server(tc.account, tc.region).Findings() {
			found = found || strings.HasPrefix(fid, id) && f["RecordState"] == "ACTIVE"
		}
		if !found {
			t.Errorf("%s: no ACTIVE %s… finding in %s %s", tc.file, id, tc.account, tc.region)
		}
	}

	_, sum := orgSweep(t, s)
	if d := sum.Delivery.SecurityHub; !strings.HasPrefix(d, "reconciled in each account's own Security Hub, 6 account/Region pair(s)") {
		t.Errorf("sweep delivery %q", d)
	}
	for _, account := range s.Org.Accounts() {
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			for id, f := range s.Org.Server(account, region).Findings() {
				if f["AwsAccountId"] != account || f["ProductArn"] != securityhub.ProductARN("aws", region, account) ||
					!strings.HasPrefix(id, securityhub.IDPrefix("aws", region, account)) {
					t.Errorf("%s %s holds %s of %v under %v", account, region, id, f["AwsAccountId"], f["ProductArn"])
				}
			}
		}
	}
	if len(s.Org.Server(s.Account.Account(), "us-east-1").Findings()) == 0 {
		t.Error("the sweep wrote no finding of the central account's own models")
	}
}
