package sweep_test

import (
	"context"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/sweep/sweepsim"
)

// BenchmarkSweep runs the sweep over 1,000 models in 10 VPCs with 20 ms on
// every call and DescribeModel limited to 200 calls a second (the full-size
// figures come from go run ./pkg/sweep/cmd/sweepbench). Run it with
// -benchtime=1x: each iteration is a whole sweep.
func BenchmarkSweep(b *testing.B) {
	o := sweepsim.BenchOptions{
		Account:       sweepsim.Options{Models: 1000, VPCs: 10, Endpoints: 50},
		Latency:       20 * time.Millisecond,
		RatePerSecond: 200, Burst: 50, Concurrency: 32,
	}
	for b.Loop() {
		res, err := sweepsim.Bench(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		throttles := 0
		for _, n := range res.Server.Throttles {
			throttles += n
		}
		b.ReportMetric(float64(res.Server.TotalCalls), "calls")
		b.ReportMetric(float64(throttles), "throttles")
		b.ReportMetric(float64(res.Summary.Coverage.ModelsEvaluated), "models")
		b.ReportMetric(res.CallsPer(sweepsim.PerModelOps, res.Summary.Coverage.ModelsEvaluated), "calls/model")
		b.ReportMetric(res.CallsPer(sweepsim.PerVPCOps, res.Summary.VPCs), "calls/vpc")
		b.ReportMetric(float64(res.Wall.Milliseconds()), "wall-ms")
	}
}

// BenchmarkOrganizationSweep sweeps 20 member accounts × 2 Regions × 500
// models (5 VPCs each) with 20 ms on every call, STS and Organizations
// included: the member role is assumed once per account, whatever the
// Regions and models (make bench prints the same run beside the
// single-account sweep). Run it with -benchtime=1x.
func BenchmarkOrganizationSweep(b *testing.B) {
	for _, hub := range []bool{false, true} {
		name := "SecurityHubOff"
		if hub {
			name = "SecurityHubOn" // each account and Region reconciled in its own hub
		}
		b.Run(name, func(b *testing.B) { benchOrganizationSweep(b, hub) })
	}
}

func benchOrganizationSweep(b *testing.B, hub bool) {
	o := sweepsim.OrgBenchOptions{
		Accounts: 20, Regions: []string{"us-east-1", "eu-west-1"},
		Account: sweepsim.Options{Models: 500, VPCs: 5, Endpoints: 25},
		Latency: 20 * time.Millisecond, Concurrency: 16, SecurityHub: hub,
	}
	for b.Loop() {
		res, err := sweepsim.OrgBench(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		if res.AssumeRoles != o.Accounts {
			b.Fatalf("%d AssumeRole calls for %d accounts", res.AssumeRoles, o.Accounts)
		}
		b.ReportMetric(float64(res.AssumeRoles), "assume-roles")
		b.ReportMetric(float64(res.APICalls), "calls")
		b.ReportMetric(float64(res.Summary.Models), "models")
		b.ReportMetric(float64(res.Wall.Milliseconds()), "wall-ms")
		if hub {
			if res.Findings == 0 || res.HubCalls == 0 {
				b.Fatalf("%d Security Hub calls, %d findings in the members' hubs", res.HubCalls, res.Findings)
			}
			b.ReportMetric(float64(res.HubCalls), "hub-calls")
			b.ReportMetric(float64(res.Findings), "findings")
		}
	}
}
