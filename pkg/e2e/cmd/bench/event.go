package main

import (
	"context"
	"time"

	"github.com/vpcguard/vpcguard/pkg/sweep/sweepsim"
)

// EventResult is one ModifyVpcEndpoint event on a generated account
// (sweepsim.EventBench), with or without the placement index.
type EventResult struct {
	Models        int    `json:"models"`
	VPCs          int    `json:"vpcs"`
	Index         bool   `json:"index"`
	LatencyMs     int64  `json:"latency_ms"`
	APICalls      int    `json:"api_calls"` // every call the account answered, the state table's included
	IndexQueries  int    `json:"index_queries"`
	DescribeModel int    `json:"describe_model_calls"`
	WallMs        int64  `json:"wall_ms"`
	Evaluated     int    `json:"models_evaluated"` // the models of the endpoint's VPC
	Placement     string `json:"placement,omitempty"`
}

// eventSizes are the account sizes of the event figures.
func eventSizes(quick bool) []int {
	if quick {
		return []int{100, 1000}
	}
	return []int{100, 1000, 10000}
}

// runEvents measures the event at every size, without and with the index,
// with the sweep benchmark's latency and DescribeModel limit.
func runEvents(ctx context.Context, quick bool) ([]*EventResult, error) {
	var out []*EventResult
	for _, n := range eventSizes(quick) {
		for _, index := range []bool{false, true} {
			o := sweepsim.EventBenchOptions{
				Account: sweepsim.Options{Models: n, VPCs: 50, Endpoints: n / 20},
				Latency: 20 * time.Millisecond, RatePerSecond: 200, Burst: 50, Index: index,
			}
			progress("ModifyVpcEndpoint event: %s", o)
			r, err := sweepsim.EventBench(ctx, o)
			if err != nil {
				return out, err
			}
			er := &EventResult{
				Models: n, VPCs: o.Account.VPCs, Index: index, LatencyMs: o.Latency.Milliseconds(),
				APICalls: r.Server.TotalCalls, IndexQueries: r.IndexQueries, DescribeModel: r.Server.Calls["sagemaker:DescribeModel"],
				WallMs: r.Wall.Milliseconds(), Evaluated: r.Models, Placement: r.Result.Placement,
			}
			progress("  %d API calls, %.2f s", er.APICalls, r.Wall.Seconds())
			out = append(out, er)
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
		}
	}
	return out, nil
}
