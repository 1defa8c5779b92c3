package sweepsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/sweep"
)

// BenchOptions describe one benchmark run of the sweep.
type BenchOptions struct {
	Account Options
	// Latency is added to every call; RatePerSecond and Burst throttle
	// sagemaker:DescribeModel (0: no limit).
	Latency       time.Duration
	RatePerSecond float64
	Burst         int
	Concurrency   int           // the sweep's (default sweep.DefaultConcurrency)
	Timeout       time.Duration // the run's deadline, like Lambda's (0: none)
	Reserve       time.Duration // default sweep.DefaultReserve
	Log           *slog.Logger  // the sweep's log (default none)
	// Index gives the sweep the placement index in a state table of the
	// account (VPCGUARD_STATE_TABLE), empty at the start.
	Index bool
	// Runs is how many sweeps run one after the other on the unchanged
	// account (default 1); with Index, the later ones describe only what
	// the index lacks.
	Runs int
}

// BenchResult is what the run measured.
type BenchResult struct {
	Options BenchOptions
	Summary *sweep.Summary
	Wall    time.Duration // the sweep's Run, start to end
	Server  awssim.Stats  // the simulated account's counters: the calls it answered
	// Later are the runs after the first (Runs > 1), in order.
	Later []RunResult
}

// RunResult is one later run of the sweep.
type RunResult struct {
	Summary *sweep.Summary
	Wall    time.Duration
	Server  awssim.Stats
}

// Bench generates the account, serves it in-process on 127.0.0.1 with the
// faults, and runs one sweep through the real SDK clients with the sweep's
// production retryer (adaptive mode, real backoff) in report mode.
func Bench(ctx context.Context, o BenchOptions) (*BenchResult, error) {
	sc := Generate(o.Account)
	if o.Index {
		sc.DynamoDBTables = append(sc.DynamoDBTables, StateTable())
	}
	sc.Faults = map[string]awssim.Fault{}
	if o.Latency > 0 {
		sc.Faults["*"] = awssim.Fault{Latency: awssim.Duration(o.Latency)}
	}
	if o.RatePerSecond > 0 {
		sc.Faults["sagemaker:DescribeModel"] = awssim.Fault{Latency: awssim.Duration(o.Latency), RatePerSecond: o.RatePerSecond, Burst: o.Burst}
	}
	sim, err := awssim.NewServer(sc)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()

	calls := sweep.NewCalls()
	cfg := awssim.TestConfig("http://"+ln.Addr().String(), Region)
	cfg.Retryer = func() aws.Retryer { return sweep.NewRetryer(sweep.DefaultMaxAttempts) }
	cfg.APIOptions = append(cfg.APIOptions, calls.AddTo)
	// Enough idle connections for the concurrency (the default keeps 2 per host).
	cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxIdleConns: 512}}
	clients, err := app.ClientsFrom(cfg)
	if err != nil {
		return nil, err
	}
	vcfg := config.Config{Mode: report.ModeReport, ExpectedInstances: 1, ExemptTag: config.DefaultExemptTag, Remediations: report.ActionIDs()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if o.Log != nil {
		log = o.Log
	}
	s := &sweep.Sweeper{
		Gatherer: inventory.Gatherer{
			SageMaker: clients.SageMaker, EC2: clients.EC2, S3: clients.S3, IAM: clients.IAM, AutoScaling: clients.AutoScaling,
			Region: clients.Region, Partition: clients.Partition, ENIActions: checks.ENIActions(),
		},
		Config:     vcfg,
		Options:    sweep.Options{Concurrency: o.Concurrency, Reserve: o.Reserve},
		Remediator: remediate.New(clients.EC2, vcfg, log),
		Calls:      calls,
		Log:        log,
	}
	if s.Options.Reserve == 0 {
		s.Options.Reserve = sweep.DefaultReserve
	}
	if o.Index {
		s.Index = clients.Index(StateTableName)
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	if o.Log != nil {
		// One line a second: DescribeModel calls answered and throttled.
		done := make(chan struct{})
		defer close(done)
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			prevCalls, prevThrottles := 0, 0
			for {
				select {
				case <-done:
					return
				case <-t.C:
					c, th := sim.Calls("sagemaker:DescribeModel"), sim.Throttles("sagemaker:DescribeModel")
					o.Log.Debug("DescribeModel", "calls_per_s", c-prevCalls, "throttled_per_s", th-prevThrottles, "total", c)
					prevCalls, prevThrottles = c, th
				}
			}
		}()
	}
	start := time.Now()
	sum, err := s.Run(ctx, sweep.Trigger{ID: "bench"})
	wall := time.Since(start)
	if err != nil {
		return nil, err
	}
	if sum.Coverage.ModelsEvaluated == 0 {
		return nil, errors.New("no model was evaluated")
	}
	res := &BenchResult{Options: o, Summary: sum, Wall: wall, Server: sim.Stats()}
	for range o.Runs - 1 {
		sim.ResetStats()
		start := time.Now()
		sum, err := s.Run(ctx, sweep.Trigger{ID: "bench"})
		if err != nil {
			return nil, err
		}
		res.Later = append(res.Later, RunResult{Summary: sum, Wall: time.Since(start), Server: sim.Stats()})
	}
	return res, nil
}

// StateTableName is the state table of the generated accounts.
const StateTableName = "vpcguard-state"

// StateTable is the state table as a scenario defines it (pkg/state's
// contract: pk/sk strings, TTL on expires).
func StateTable() awssim.DynamoDBTable {
	return awssim.DynamoDBTable{Name: StateTableName, PartitionKey: "pk", SortKey: "sk", TTLAttribute: "expires"}
}

// PerModelOps are the operations whose calls grow with the models;
// PerVPCOps those that grow with the VPCs.
var (
	PerModelOps = []string{"sagemaker:ListModels", "sagemaker:DescribeModel", "sagemaker:ListTags"}
	PerVPCOps   = []string{"ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeRouteTables",
		"ec2:DescribeVpcEndpoints", "ec2:DescribeFlowLogs", "ec2:DescribeNatGateways"}
)

// CallsPer returns the calls of ops (answered by the account, retries of
// throttled calls excluded) divided by n.
func (r *BenchResult) CallsPer(ops []string, n int) float64 {
	if n == 0 {
		return 0
	}
	total := 0
	for _, op := range ops {
		total += r.Server.Calls[op] - r.Server.Throttles[op]
	}
	return float64(total) / float64(n)
}

// String describes the options in one line.
func (o BenchOptions) String() string {
	s := fmt.Sprintf("%d models in %d VPCs, %d in-service endpoints; %v latency on every call", o.Account.Models, o.Account.VPCs, o.Account.Endpoints, o.Latency)
	if o.RatePerSecond > 0 {
		s += fmt.Sprintf(", DescribeModel limited to %g/s (burst %d)", o.RatePerSecond, o.Burst)
	}
	s += fmt.Sprintf("; concurrency %d", o.Concurrency)
	if o.Index {
		s += "; placement index in a state table"
	}
	return s
}
