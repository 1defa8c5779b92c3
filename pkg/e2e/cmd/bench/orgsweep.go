package main

import (
	"context"
	"time"

	"github.com/vpcguard/vpcguard/pkg/sweep/sweepsim"
)

// OrgSweepResult is one organization sweep (sweepsim.OrgBench): member
// accounts × Regions, each swept through its assumed member role.
type OrgSweepResult struct {
	Setup           string `json:"setup"`
	Accounts        int    `json:"accounts"`
	Regions         int    `json:"regions"`
	ModelsPerRegion int    `json:"models_per_account_region"`
	LatencyMs       int64  `json:"latency_ms"`
	WallMs          int64  `json:"wall_ms"`
	AssumeRoleCalls int    `json:"assume_role_calls"`
	APICalls        int    `json:"api_calls"`
	ModelsEvaluated int    `json:"models_evaluated"`
	Covered         int    `json:"covered_account_regions"`
}

// orgSweepOptions: 20 accounts × 2 Regions × 500 models, 20 ms on every
// call; quick: 5 accounts.
func orgSweepOptions(quick bool) sweepsim.OrgBenchOptions {
	o := sweepsim.OrgBenchOptions{
		Accounts: 20, Regions: []string{"us-east-1", "eu-west-1"},
		Account: sweepsim.Options{Models: 500, VPCs: 5, Endpoints: 25},
		Latency: 20 * time.Millisecond, Concurrency: 16,
	}
	if quick {
		o.Accounts = 5
	}
	return o
}

func runOrgSweep(ctx context.Context, o sweepsim.OrgBenchOptions) (*OrgSweepResult, error) {
	res, err := sweepsim.OrgBench(ctx, o)
	if err != nil {
		return nil, err
	}
	r := &OrgSweepResult{
		Setup: o.String(), Accounts: o.Accounts, Regions: len(o.Regions), ModelsPerRegion: o.Account.Models,
		LatencyMs: o.Latency.Milliseconds(), WallMs: res.Wall.Milliseconds(), AssumeRoleCalls: res.AssumeRoles,
		APICalls: res.APICalls, ModelsEvaluated: res.Summary.Models, Covered: res.Summary.Covered,
	}
	progress("  %d AssumeRole calls, %d API calls, %.1f s", r.AssumeRoleCalls, r.APICalls, res.Wall.Seconds())
	return r, nil
}
