package securityhub_test

import (
	"context"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/awssim"
)

// BenchmarkCreateModelWithSecurityHub measures the churn model's CreateModel
// (5 failing findings) with the same latency on every AWS call, without and
// with VPCGUARD_SECURITY_HUB=true: Security Hub adds the GetFindings of the
// lookup and the BatchImportFindings, one after the other (the function's
// own account is read once per process, before the first evaluation, and is
// not in the steady state). Pacing is off here; it only waits beyond
// Security Hub's rates.
func BenchmarkCreateModelWithSecurityHub(b *testing.B) {
	const latency = 50 * time.Millisecond
	for _, on := range []bool{false, true} {
		name := map[bool]string{false: "off", true: "on"}[on]
		b.Run(name, func(b *testing.B) {
			e := newEnv(b, nil)
			h := e.handler(b)
			h.Notifier = nil
			if !on {
				h.SecurityHub = nil
			}
			raw := event(b, "sagemaker-CreateModel-churn-no-s3-endpoint.json", nil)
			if _, err := h.HandleJSON(context.Background(), raw); err != nil { // reads the account once
				b.Fatal(err)
			}
			if err := e.srv.SetFault("*", awssim.Fault{Latency: awssim.Duration(latency)}); err != nil {
				b.Fatal(err)
			}
			var worst time.Duration
			calls := e.srv.Calls("*")
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				res, err := h.HandleJSON(context.Background(), raw)
				if err != nil || (on && res.SecurityHub.Active != 5) {
					b.Fatalf("%v %+v", err, res.SecurityHub)
				}
				worst = max(worst, time.Since(start))
			}
			b.StopTimer()
			b.ReportMetric(float64(worst/latency), "round-trips")
			b.ReportMetric(float64(worst.Milliseconds()), "worst-ms")
			b.ReportMetric(float64(e.srv.Calls("*")-calls)/float64(b.N), "calls/op")
		})
	}
}
