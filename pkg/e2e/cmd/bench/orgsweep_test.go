package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestTablePrintsTheOrganizationSweep: the table has the organization
// sweep's AssumeRole calls and wall time beside the single-account sweep.
func TestTablePrintsTheOrganizationSweep(t *testing.T) {
	var out bytes.Buffer
	printTable(&out, &Results{
		Sweep: &SweepResult{Models: 10000, VPCs: 50, WallMs: 84100},
		OrgSweep: &OrgSweepResult{Setup: orgSweepOptions(false).String(), Accounts: 20, Regions: 2, ModelsPerRegion: 500,
			WallMs: 46107, AssumeRoleCalls: 20, APICalls: 37062, ModelsEvaluated: 20000, Covered: 40},
	})
	for _, want := range []string{
		"sweep: wall time",
		"organization sweep: setup", "20 accounts × 2 Regions × 500 models in 5 VPCs; 20ms latency on every call",
		"organization sweep: AssumeRole", "20 calls for 20 accounts",
		"organization sweep: wall time", "46.1 s (20,000 models in 40 account/Regions covered; 37,062 API calls)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table does not say %q:\n%s", want, out.String())
		}
	}
	if q := orgSweepOptions(true); q.Accounts != 5 || len(q.Regions) != 2 || q.Account.Models != 500 {
		t.Errorf("-quick organization sweep = %+v", q)
	}
}
