package sweep_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/sweep"
	"github.com/vpcguard/vpcguard/pkg/sweep/sweepsim"
)

// TestSweepExemptions: VPC 0 (no S3 endpoint) is exempt from
// s3-endpoint-present by its tag, and the models of VPC 5 (one zone) from
// subnets-multi-az by their own tags. The digest lists both under EXEMPT,
// counts neither as a finding, and plans no repair for VPC 0.
func TestSweepExemptions(t *testing.T) {
	sc := sweepsim.Generate(sweepsim.Options{Models: 100, VPCs: 10, Endpoints: 2})
	sc.VPCs[sweepsim.NoS3Endpoint].Tags["vpcguard:exempt"] = "checks=s3-endpoint-present; reason=isolated test VPC, no S3; owner=ml-platform@example.com; expires=2099-12-31"
	for i := range sc.Models {
		if sweepsim.ModelVPC(i, 10) == sweepsim.OneZone {
			sc.Models[i].Tags = map[string]string{"vpcguard:exempt": "checks=subnets-multi-az reason=batch scoring tolerates a zone outage owner=risk-ml expires=2099-12-31"}
		}
	}
	e := newEnv(t, sc, noBackoff)
	sum, err := e.sweeper(reportConfig(), sweep.Options{Concurrency: 8}).Run(context.Background(), sweep.Trigger{ID: "run-1"})
	if err != nil {
		t.Fatal(err)
	}
	if st := status(result(t, sum, sweepsim.VPCID(sweepsim.NoS3Endpoint)), checks.S3EndpointPresent); st != report.StatusExempt {
		t.Errorf("VPC 0 s3-endpoint-present = %s", st)
	}
	if st := status(result(t, sum, sweepsim.VPCID(sweepsim.OneZone)), checks.SubnetsMultiAZ); st != report.StatusExempt {
		t.Errorf("VPC 5 subnets-multi-az = %s", st)
	}
	for _, a := range result(t, sum, sweepsim.VPCID(sweepsim.NoS3Endpoint)).Actions {
		if a.ID == report.ActionCreateS3GatewayEndpoint {
			t.Errorf("an exempt VPC got action %s %s", a.ID, a.Status)
		}
	}
	for _, cc := range sum.Findings.ByCheck {
		if cc.ID == checks.S3EndpointPresent || cc.ID == checks.SubnetsMultiAZ {
			t.Errorf("an exempt check is counted as a finding: %+v", cc)
		}
	}
	if len(sum.Exempt) != 2 {
		t.Fatalf("summary exempt %+v", sum.Exempt)
	}
	for _, want := range []string{
		"EXEMPT: 2 (checks a live exemption covers: not repaired, not counted above)",
		"  s3-endpoint-present (high) in " + sweepsim.VPCID(0),
		"    by " + sweepsim.VPCID(0) + ": owner ml-platform@example.com, until 2099-12-31, reason: isolated test VPC, no S3",
		"  subnets-multi-az (medium) in " + sweepsim.VPCID(5),
		"owner risk-ml, until 2099-12-31, reason: batch scoring tolerates a zone outage",
	} {
		if !strings.Contains(sum.Digest.Body, want) {
			t.Errorf("digest lacks %q:\n%s", want, sum.Digest.Body)
		}
	}
}

// TestSweepHonoursHolds: a repair undone less than 7 days ago is not made
// again by the sweep either, and its ledger records the sweep's repairs.
func TestSweepHonoursHolds(t *testing.T) {
	sc := sweepsim.Generate(sweepsim.Options{Models: 100, VPCs: 10, Endpoints: 2})
	e := newEnv(t, sc, noBackoff)
	cfg := reportConfig()
	cfg.Mode = report.ModeRemediate
	s := e.sweeper(cfg, sweep.Options{Concurrency: 8})
	l, err := ledger.OpenFile(filepath.Join(t.TempDir(), "ledger.json"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := l.AddHold(context.Background(), ledger.Hold{Action: report.ActionCreateS3GatewayEndpoint, Account: sweepsim.Account, Region: sweepsim.Region,
		VPCID: sweepsim.VPCID(0), Resources: []string{sweepsim.VPCID(0)}, Entry: "rep-20261126T101500Z-3f9a1c2b", Undone: now, Until: now.Add(ledger.HoldDuration)}); err != nil {
		t.Fatal(err)
	}
	r := s.Remediator.(*remediate.Remediator)
	r.Ledger, r.Locker = l, l
	sum, err := s.Run(context.Background(), sweep.Trigger{ID: "run-1"})
	if err != nil {
		t.Fatal(err)
	}
	var held, applied int
	for _, res := range sum.Results {
		for _, a := range res.Actions {
			switch {
			case a.ID == report.ActionCreateS3GatewayEndpoint && a.Status == report.ActionSkipped &&
				strings.Contains(a.Detail[remediate.DetailReason].(string), "was undone at"):
				held++
			case a.Status == report.ActionApplied:
				applied++
			}
		}
	}
	if held != 1 || applied == 0 {
		t.Fatalf("held %d, applied %d: %v", held, applied, sum.Actions)
	}
	for _, w := range e.ec2Writes() {
		if w.Operation == "CreateVpcEndpoint" {
			t.Errorf("the held create was made: %+v", w)
		}
	}
	entries, _ := l.Recent(context.Background(), sweepsim.Account, sweepsim.Region, 0)
	if len(entries) != applied || entries[0].Event != "run-1" || entries[0].EventName != sweep.EventName {
		t.Errorf("%d ledger entries for %d repairs: %+v", len(entries), applied, entries)
	}
}
