// Command sweepbench measures the sweep against a large simulated account
// served in-process (pkg/awssim on 127.0.0.1) through the real SDK clients
// and the sweep's production retryer (adaptive mode), and prints a table:
// API calls (total and per operation), wall time, throttles absorbed,
// models evaluated, calls per model and per VPC.
//
//	go run ./pkg/sweep/cmd/sweepbench [-models 10000] [-vpcs 50] [-latency 20ms] [-rate 200] [-concurrency 32] [-json]
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/vpcguard/vpcguard/pkg/sweep/sweepsim"
)

func main() {
	var o sweepsim.BenchOptions
	flag.IntVar(&o.Account.Models, "models", 10000, "models in the account")
	flag.IntVar(&o.Account.VPCs, "vpcs", 50, "VPCs they are spread over")
	flag.IntVar(&o.Account.Endpoints, "endpoints", 500, "in-service endpoints")
	flag.DurationVar(&o.Latency, "latency", 20*time.Millisecond, "latency added to every call")
	flag.Float64Var(&o.RatePerSecond, "rate", 200, "DescribeModel calls per second before throttling (0: no limit)")
	flag.IntVar(&o.Burst, "burst", 50, "DescribeModel token bucket size")
	flag.IntVar(&o.Concurrency, "concurrency", 32, "the sweep's concurrency")
	flag.DurationVar(&o.Timeout, "timeout", 0, "deadline of the run, like Lambda's timeout (0: none)")
	flag.DurationVar(&o.Reserve, "reserve", 0, "time kept before the deadline (default VPCGUARD_SWEEP_RESERVE's 60s, capped at half the run)")
	asJSON := flag.Bool("json", false, "print the figures as JSON")
	verbose := flag.Bool("v", false, "log the sweep's phases on stderr")
	flag.Parse()
	if *verbose {
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}

	res, err := sweepsim.Bench(context.Background(), o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sweepbench: %v\n", err)
		os.Exit(1)
	}
	sum, srv := res.Summary, res.Server
	throttles := 0
	for _, n := range srv.Throttles {
		throttles += n
	}
	perModel := res.CallsPer(sweepsim.PerModelOps, sum.Coverage.ModelsEvaluated)
	perVPC := res.CallsPer(sweepsim.PerVPCOps, sum.VPCs)
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{
			"options": o.String(), "wall_ms": res.Wall.Milliseconds(),
			"models_listed": sum.Coverage.ModelsListed, "models_evaluated": sum.Coverage.ModelsEvaluated,
			"vpcs": sum.VPCs, "api_calls": srv.TotalCalls, "throttles_absorbed": throttles,
			"calls_by_operation": srv.Calls, "throttles_by_operation": srv.Throttles,
			"calls_per_model": perModel, "calls_per_vpc": perVPC, "max_in_flight": srv.MaxInFlight,
			"client_calls": sum.API.Total, "client_throttled": sum.API.Throttled, "findings": sum.Findings.Total,
		})
		return
	}

	fmt.Printf("vpcguard sweep benchmark: %s\n\n", o)
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "models evaluated\t%d of %d (pass complete: %v)\n", sum.Coverage.ModelsEvaluated, sum.Coverage.ModelsListed, sum.Coverage.PassComplete)
	if c := sum.Coverage; !c.PassComplete {
		fmt.Fprintf(w, "stopped\t%s; the next run continues after %s\n", c.Stopped, c.Cursor)
	}
	fmt.Fprintf(w, "VPCs\t%d\n", sum.VPCs)
	fmt.Fprintf(w, "wall time\t%.1f s\n", res.Wall.Seconds())
	fmt.Fprintf(w, "API calls\t%d (the sweep's clients counted %d)\n", srv.TotalCalls, sum.API.Total)
	fmt.Fprintf(w, "throttles absorbed\t%d (retried; models left unverified: %d)\n", throttles, unverified(res))
	fmt.Fprintf(w, "most calls in flight\t%d\n", srv.MaxInFlight)
	fmt.Fprintf(w, "calls per model\t%.3f (ListModels, DescribeModel, ListTags where a repair is planned)\n", perModel)
	fmt.Fprintf(w, "calls per VPC\t%.1f (DescribeVpcs, 2 DescribeVpcAttribute, DescribeRouteTables, DescribeVpcEndpoints, DescribeFlowLogs, DescribeNatGateways)\n", perVPC)
	fmt.Fprintf(w, "findings\t%d (in %d VPCs and the models outside any VPC)\n", sum.Findings.Total, sum.Findings.VPCs)
	w.Flush()

	fmt.Println()
	w = tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "operation\tcalls\tthrottled\t\n")
	ops := slices.SortedFunc(maps.Keys(srv.Calls), func(a, b string) int {
		return cmp.Or(cmp.Compare(srv.Calls[b], srv.Calls[a]), cmp.Compare(a, b))
	})
	for _, op := range ops {
		fmt.Fprintf(w, "%s\t%d\t%d\t\n", op, srv.Calls[op], srv.Throttles[op])
	}
	fmt.Fprintf(w, "total\t%d\t%d\t\n", srv.TotalCalls, throttles)
	w.Flush()
}

// unverified counts the models that could not be described.
func unverified(r *sweepsim.BenchResult) int {
	n := 0
	for _, res := range r.Summary.Results {
		if res.Resource.Type != "account" {
			continue
		}
		for _, c := range res.Checks {
			if c.ID == "model-in-vpc" {
				for _, x := range c.Resources {
					if len(x) > 6 && x[:6] == "model " {
						n++
					}
				}
			}
		}
	}
	return n
}
