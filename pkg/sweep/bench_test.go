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
