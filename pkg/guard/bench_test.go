package guard_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/state/statetest"
)

// BenchmarkCreateModelReport measures a CreateModel evaluation against the
// demo account with the same latency injected on every AWS call. Its
// figures: wall time, and the sequential round trips on the critical path
// (wall time ÷ latency, rounded down). The goal is ≤ 3 round trips.
func BenchmarkCreateModelReport(b *testing.B) {
	const latency = 50 * time.Millisecond
	h, srv := demo(b, nil)
	if err := srv.SetFault("*", awssim.Fault{Latency: awssim.Duration(latency)}); err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile("../../events/sagemaker-CreateModel-fraud-detector-compliant.json")
	if err != nil {
		b.Fatal(err)
	}
	measureRoundTrips(b, srv, latency, func() error {
		_, err := h.HandleJSON(context.Background(), raw)
		return err
	})
}

// BenchmarkCreateEndpointReport is the same measure for a CreateEndpoint of
// an autoscaled endpoint (the autoscaled-endpoint scenario): the endpoint
// config, then its models beside the variants' autoscaling limits, then
// subnets and the rest, then the VPC: four round trips, the autoscaling
// read adding none.
func BenchmarkCreateEndpointReport(b *testing.B) {
	const latency = 50 * time.Millisecond
	h, srv := account(b, "autoscaled-endpoint", nil)
	if err := srv.SetFault("*", awssim.Fault{Latency: awssim.Duration(latency)}); err != nil {
		b.Fatal(err)
	}
	call := cloudtrail.Call{Kind: cloudtrail.KindCreateEndpoint, Name: "CreateEndpoint", Source: cloudtrail.SourceSageMaker,
		Account: "111122223333", Region: "us-east-1",
		CreateEndpoint: &cloudtrail.CreateEndpoint{EndpointName: "scoring-endpoint", EndpointConfigName: "scoring-config-v1"}}
	measureRoundTrips(b, srv, latency, func() error {
		_, err := h.Handle(context.Background(), call)
		return err
	})
}

// measureRoundTrips runs evaluate b.N times and reports the worst wall
// time, the sequential round trips it stands for (worst ÷ latency, rounded
// down) and the AWS calls per evaluation.
func measureRoundTrips(b *testing.B, srv *awssim.Server, latency time.Duration, evaluate func() error) {
	b.Helper()
	var worst time.Duration
	calls := srv.Calls("*")
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if err := evaluate(); err != nil {
			b.Fatal(err)
		}
		worst = max(worst, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64(worst/latency), "round-trips")
	b.ReportMetric(float64(worst.Milliseconds()), "worst-ms")
	b.ReportMetric(float64(srv.Calls("*")-calls)/float64(b.N), "calls/op")
}

// BenchmarkCreateModelReportIndexed is BenchmarkCreateModelReport with the
// placement index: the model's prior entry is read beside the evaluation,
// so a model indexed for the first time costs one write after the three
// round trips (the first iteration), and one already indexed none.
func BenchmarkCreateModelReportIndexed(b *testing.B) {
	const latency = 50 * time.Millisecond
	h, srv := demo(b, func(sc *awssim.Scenario) { statetest.Scenario(sc) })
	clients, err := app.ClientsFrom(awssim.TestConfig(srv.URL(), "us-east-1"))
	if err != nil {
		b.Fatal(err)
	}
	h.Index = clients.Index(statetest.Table)
	if err := srv.SetFault("*", awssim.Fault{Latency: awssim.Duration(latency)}); err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile("../../events/sagemaker-CreateModel-fraud-detector-compliant.json")
	if err != nil {
		b.Fatal(err)
	}
	measureRoundTrips(b, srv, latency, func() error {
		res, err := h.HandleJSON(context.Background(), raw)
		if err == nil && strings.Contains(res.Placement, "failed") {
			b.Fatal(res.Placement)
		}
		return err
	})
}
