package sweep_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
	"github.com/vpcguard/vpcguard/pkg/state"
	"github.com/vpcguard/vpcguard/pkg/sweep"
	"github.com/vpcguard/vpcguard/pkg/sweep/sweepsim"
)

// TestSweepKeepsToItsStateFamilies: a remediate-mode sweep with the index
// and the ledger in the state table writes placement, ledger and lock
// records, and never an event's progress (event#…), which only the event
// functions keep: the stack grants the sweep's role the other families
// only (infra: repairFamilies).
func TestSweepKeepsToItsStateFamilies(t *testing.T) {
	sc, err := scenarios.Load("demo")
	if err != nil {
		t.Fatal(err)
	}
	sc.DynamoDBTables = append(sc.DynamoDBTables, sweepsim.StateTable())
	e := newEnv(t, sc, noBackoff)
	cfg := reportConfig()
	cfg.Mode = report.ModeRemediate
	s := e.sweeper(cfg, sweep.Options{Concurrency: 4})
	s.Index = e.clients.Index(sweepsim.StateTableName)
	table := ledger.NewTable(state.New(e.clients.DynamoDB, sweepsim.StateTableName))
	r := s.Remediator.(*remediate.Remediator)
	r.Ledger, r.Locker = table, table
	sum, err := s.Run(context.Background(), sweep.Trigger{ID: "sweep-families", Account: sc.Account, Time: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Actions[report.ActionApplied] == 0 {
		t.Fatalf("no repair applied: %v", sum.Actions)
	}
	families := map[string]int{}
	for _, item := range e.sim.Items(sweepsim.StateTableName) {
		var pk map[string]string
		if err := json.Unmarshal(item["pk"], &pk); err != nil {
			t.Fatal(err)
		}
		family, _, _ := strings.Cut(pk["S"], "#")
		families[family]++
	}
	for _, want := range []string{"placement", "ledger"} {
		if families[want] == 0 {
			t.Errorf("no %s record: %v", want, families)
		}
	}
	for family := range families {
		if family != "placement" && family != "ledger" && family != "hold" && family != "lock" {
			t.Errorf("the sweep wrote %s records (%v)", family, families)
		}
	}
}
