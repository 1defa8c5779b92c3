package sweep_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/sweep"
	"github.com/vpcguard/vpcguard/pkg/sweep/sweepsim"
)

// findingLines are a sweep's results, comparable across runs.
func findingLines(sum *sweep.Summary) []string {
	var out []string
	for _, r := range sum.Results {
		for _, c := range r.Checks {
			out = append(out, r.Resource.ID+" "+c.ID+" "+string(c.Status)+" "+strings.Join(c.Resources, ","))
		}
	}
	return out
}

// With the placement index, the first sweep describes every model and
// builds the index; the second, on the unchanged account, describes none
// and reports the same; a model the index holds with another creation time
// is described again, and an entry of a model no longer listed is removed.
func TestSweepReusesTheIndex(t *testing.T) {
	sc := sweepsim.Generate(sweepsim.Options{Models: 150, VPCs: 10})
	sc.DynamoDBTables = append(sc.DynamoDBTables, sweepsim.StateTable())
	e := newEnv(t, sc, noBackoff)
	s := e.sweeper(reportConfig(), sweep.Options{Concurrency: 8})
	s.Index = e.clients.Index(sweepsim.StateTableName)
	ctx := context.Background()
	run := func() (*sweep.Summary, int) {
		t.Helper()
		e.sim.ResetStats()
		sum, err := s.Run(ctx, sweep.Trigger{ID: "t", Account: sweepsim.Account, Time: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return sum, e.sim.Calls("sagemaker:DescribeModel")
	}
	first, described := run()
	if described != 150 || !strings.Contains(first.Placement, "150 indexed") || !strings.Contains(first.Placement, "answers the events") {
		t.Fatalf("first sweep: %d DescribeModel; %s", described, first.Placement)
	}
	second, described := run()
	if described != 0 || !strings.Contains(second.Placement, "150 of the 150 models read came from the index") {
		t.Errorf("second sweep: %d DescribeModel; %s", described, second.Placement)
	}
	if a, b := findingLines(first), findingLines(second); !slices.Equal(a, b) || len(a) == 0 {
		t.Errorf("the second sweep reports otherwise:\n%v\n%v", a, b)
	}

	// A model re-created under the same name (another creation time), and
	// an entry of a model that no longer exists.
	idx := e.clients.Index(sweepsim.StateTableName).In(sweepsim.Account, sweepsim.Region)
	known, err := idx.Models(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old := known[sweepsim.ModelName(3)]
	stale := old.Model()
	stale.Indexed, stale.Created = false, old.Created.Add(-time.Hour)
	ghost := old.Model()
	ghost.Indexed, ghost.Name = false, "deleted-model"
	snap := &inventory.Snapshot{Subnets: inventory.Known(map[string]inventory.Subnet{}), Models: []inventory.Model{stale, ghost}}
	for _, id := range old.SubnetIDs {
		snap.Subnets.Value[id] = inventory.Subnet{ID: id, VPCID: old.VPCID}
	}
	idx.Invalidate(ctx)
	stampedEarlier := e.clients.Index(sweepsim.StateTableName).WithClock(func() time.Time { return time.Now().Add(-time.Hour) })
	if _, err := stampedEarlier.In(sweepsim.Account, sweepsim.Region).AddModels(ctx, snap, nil); err != nil {
		t.Fatal(err)
	}
	third, described := run()
	if described != 1 || !strings.Contains(third.Placement, "1 indexed, 1 removed") || !strings.Contains(third.Placement, "answers the events") {
		t.Errorf("third sweep: %d DescribeModel; %s", described, third.Placement)
	}
	if _, found, _ := idx.Model(ctx, "deleted-model"); found {
		t.Error("the entry of a model that no longer exists is still indexed")
	}
	if e, _, _ := idx.Model(ctx, sweepsim.ModelName(3)); !e.Created.Equal(old.Created) {
		t.Errorf("model 3 indexed with %v, want %v", e.Created, old.Created)
	}
	for _, r := range third.Results {
		for _, c := range r.Checks {
			if slices.Contains(c.Resources, "deleted-model") && c.Status != report.StatusPass {
				t.Errorf("%s reports the deleted model", c.ID)
			}
		}
	}
}
