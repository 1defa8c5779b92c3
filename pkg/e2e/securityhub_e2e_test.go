//go:build e2e

package e2e_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/e2e"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// TestSecurityHubThroughTheBinaries: modelguard under the Lambda runtime
// with VPCGUARD_SECURITY_HUB=true imports one event's failing findings into
// the account's Security Hub; the same event in remediate mode repairs the
// VPC and archives the finding it fixed; with Security Hub off nothing is
// sent.
func TestSecurityHubThroughTheBinaries(t *testing.T) {
	evs, err := e2e.LoadEvents(filepath.Join(root, "events"))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(evs, func(e e2e.Event) bool { return e.File == "sagemaker-CreateModel-churn-no-s3-endpoint.json" })
	if i < 0 {
		t.Fatal("the churn event is missing from events/")
	}
	ev := evs[i]
	const present = "vpcguard/aws/us-east-1/111122223333/s3-endpoint-present/vpc-0b1b2c3d4e5f60002"

	off := session(t, "demo", nil, nil)
	o := replay(t, off, ev)
	if err := o.Err(); err != nil || o.Result.SecurityHub != nil || off.Account.Calls("securityhub:BatchImportFindings") != 0 {
		t.Fatalf("Security Hub off: %v, %+v", err, o.Result.SecurityHub)
	}

	s := session(t, "demo", map[string]string{"VPCGUARD_SECURITY_HUB": "true"}, nil)
	o = replay(t, s, ev)
	if err := o.Err(); err != nil {
		t.Fatal(err)
	}
	d := o.Result.SecurityHub
	if d == nil || d.Status != report.SecurityHubWritten || d.Active != 5 || d.Account != account {
		t.Fatalf("report mode delivery %+v", d)
	}
	before := s.Account.Findings()
	if len(before) != 5 || before[present]["RecordState"] != "ACTIVE" {
		t.Fatalf("%d findings; s3-endpoint-present %v", len(before), before[present]["RecordState"])
	}
	for _, w := range e2e.NonNotifyWrites(o.Writes) {
		t.Errorf("report mode wrote %s:%s", w.Service, w.Operation)
	}

	if err := s.Reconfigure(map[string]string{"VPCGUARD_SECURITY_HUB": "true", "VPCGUARD_MODE": "remediate"}); err != nil {
		t.Fatal(err)
	}
	o = replay(t, s, ev)
	if err := o.Err(); err != nil {
		t.Fatal(err)
	}
	if d := o.Result.SecurityHub; d == nil || d.Archived != 1 || d.Active != 4 {
		t.Fatalf("remediate mode delivery %+v", d)
	}
	after := s.Account.Findings()[present]
	if after["RecordState"] != "ARCHIVED" || after["CreatedAt"] != before[present]["CreatedAt"] ||
		after["Compliance"].(map[string]any)["Status"] != "PASSED" {
		t.Errorf("after the repair: %v %v %v", after["RecordState"], after["CreatedAt"], after["Compliance"])
	}
	if len(o.Deliveries) != 1 {
		t.Errorf("%d emails", len(o.Deliveries))
	}
}
