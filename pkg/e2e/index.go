package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/sweep"
)

// StateTable is the state table of a session with the placement index:
// the functions get VPCGUARD_STATE_TABLE=StateTable.
const StateTable = "vpcguard-state"

// addStateTable gives the scenario the state table (pkg/state's contract).
func addStateTable(sc *awssim.Scenario) {
	sc.DynamoDBTables = append(sc.DynamoDBTables, awssim.DynamoDBTable{Name: StateTable, PartitionKey: "pk", SortKey: "sk", TTLAttribute: "expires"})
}

// buildIndex builds the placement index of the account as the deployed
// stack does: one sweep (report mode, in this process, through the real
// SDK clients). It returns what the sweep says of the index.
func buildIndex(ctx context.Context, acct *Account) (string, error) {
	clients, err := app.ClientsFrom(awssim.TestConfig(acct.URL, acct.Region()))
	if err != nil {
		return "", err
	}
	cfg := config.Config{Mode: report.ModeReport, ExpectedInstances: 1, ExemptTag: config.DefaultExemptTag, Remediations: report.ActionIDs(), StateTable: StateTable}
	s := &sweep.Sweeper{Gatherer: clients.Gatherer(), Config: cfg, Index: clients.Index(StateTable), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	sum, err := s.Run(ctx, sweep.Trigger{ID: "e2e-build-index", Account: acct.Account()})
	if err != nil {
		return "", fmt.Errorf("e2e: build the placement index: %w", err)
	}
	if _, err := clients.Index(StateTable).In(acct.Account(), acct.Region()).Built(ctx); err != nil {
		return "", fmt.Errorf("e2e: build the placement index: %w (%s)", err, sum.Placement)
	}
	acct.ResetStats()
	return sum.Placement, nil
}
