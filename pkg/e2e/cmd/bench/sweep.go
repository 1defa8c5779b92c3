package main

import (
	"context"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/pkg/sweep/sweepsim"
)

// SweepResult is one sweep of a generated account (sweepsim.Bench, the
// engine of go run ./pkg/sweep/cmd/sweepbench).
type SweepResult struct {
	Setup            string  `json:"setup"`
	Models           int     `json:"models"`
	VPCs             int     `json:"vpcs"`
	LatencyMs        int64   `json:"latency_ms"`
	DescribeModelRPS float64 `json:"describe_model_rate_per_s"`
	Burst            int     `json:"describe_model_burst"`
	Concurrency      int     `json:"concurrency"`
	WallMs           int64   `json:"wall_ms"`
	APICalls         int     `json:"api_calls"`          // answered by the account, throttled ones included
	Throttles        int     `json:"throttles_absorbed"` // throttled calls, retried by the adaptive retryer
	DescribeModel    int     `json:"describe_model_calls"`
	ModelsListed     int     `json:"models_listed"`
	ModelsEvaluated  int     `json:"models_evaluated"`
	PassComplete     bool    `json:"pass_complete"`
	CallsPerModel    float64 `json:"calls_per_model"`
	CallsPerVPC      float64 `json:"calls_per_vpc"`
	MaxInFlight      int     `json:"max_in_flight"`
	Findings         int     `json:"findings"`
	// Second is the next sweep of the unchanged account, with the index
	// the first one built.
	Second *SweepRun `json:"second_sweep,omitempty"`
}

// SweepRun is a later sweep of the same account.
type SweepRun struct {
	WallMs        int64  `json:"wall_ms"`
	APICalls      int    `json:"api_calls"`
	DescribeModel int    `json:"describe_model_calls"`
	ListModels    int    `json:"list_models_calls"`
	IndexCalls    int    `json:"state_table_calls"`
	Evaluated     int    `json:"models_evaluated"`
	Placement     string `json:"placement"`
}

// sweepOptions are sweepbench's defaults; quick scales the account down
// tenfold (the VPCs stay 50).
func sweepOptions(quick bool) sweepsim.BenchOptions {
	o := sweepsim.BenchOptions{
		Account:       sweepsim.Options{Models: 10000, VPCs: 50, Endpoints: 500},
		Latency:       20 * time.Millisecond,
		RatePerSecond: 200,
		Burst:         50,
		Concurrency:   32,
		Index:         true,
		Runs:          2,
	}
	if quick {
		o.Account.Models, o.Account.Endpoints = 1000, 50
	}
	return o
}

func runSweep(ctx context.Context, o sweepsim.BenchOptions) (*SweepResult, error) {
	res, err := sweepsim.Bench(ctx, o)
	if err != nil {
		return nil, err
	}
	sum, srv := res.Summary, res.Server
	throttles := 0
	for _, n := range srv.Throttles {
		throttles += n
	}
	r := &SweepResult{
		Setup:            o.String(),
		Models:           o.Account.Models,
		VPCs:             o.Account.VPCs,
		LatencyMs:        o.Latency.Milliseconds(),
		DescribeModelRPS: o.RatePerSecond,
		Burst:            o.Burst,
		Concurrency:      o.Concurrency,
		WallMs:           res.Wall.Milliseconds(),
		APICalls:         srv.TotalCalls,
		Throttles:        throttles,
		DescribeModel:    srv.Calls["sagemaker:DescribeModel"],
		ModelsListed:     sum.Coverage.ModelsListed,
		ModelsEvaluated:  sum.Coverage.ModelsEvaluated,
		PassComplete:     sum.Coverage.PassComplete,
		CallsPerModel:    res.CallsPer(sweepsim.PerModelOps, sum.Coverage.ModelsEvaluated),
		CallsPerVPC:      res.CallsPer(sweepsim.PerVPCOps, sum.VPCs),
		MaxInFlight:      srv.MaxInFlight,
		Findings:         sum.Findings.Total,
	}
	progress("  %d API calls, %d throttles absorbed, %.1f s", r.APICalls, r.Throttles, res.Wall.Seconds())
	for _, later := range res.Later {
		st := later.Server
		ddb := 0
		for op, n := range st.Calls {
			if strings.HasPrefix(op, "dynamodb:") {
				ddb += n
			}
		}
		r.Second = &SweepRun{
			WallMs: later.Wall.Milliseconds(), APICalls: st.TotalCalls, DescribeModel: st.Calls["sagemaker:DescribeModel"],
			ListModels: st.Calls["sagemaker:ListModels"], IndexCalls: ddb, Evaluated: later.Summary.Coverage.ModelsEvaluated,
			Placement: later.Summary.Placement,
		}
		progress("  second sweep: %d API calls, %d DescribeModel, %.1f s", st.TotalCalls, r.Second.DescribeModel, later.Wall.Seconds())
	}
	return r, nil
}
