package sweepsim

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/guard"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/sweep"
)

// EventBenchOptions describe one ModifyVpcEndpoint event on a generated
// account, handled as endpointguard handles it.
type EventBenchOptions struct {
	Account       Options
	Latency       time.Duration // added to every call of the event
	RatePerSecond float64       // sagemaker:DescribeModel limit (0: none)
	Burst         int
	// Index gives the handler the placement index, built beforehand by one
	// sweep (without latency; not measured).
	Index bool
}

// EventBenchResult is what the event cost.
type EventBenchResult struct {
	Options EventBenchOptions
	Result  report.Result
	Wall    time.Duration // the handler, start to end
	Server  awssim.Stats  // the calls of the event alone
	// IndexQueries are the state table Query calls; Models the models the
	// event evaluated (those of the endpoint's VPC).
	IndexQueries int
	Models       int
}

// EventVPC is the VPC whose S3 endpoint the benchmark's event modifies: a
// compliant one, so the event plans nothing and sends nothing.
const EventVPC = 4

// EventBench serves the generated account in-process on 127.0.0.1 and
// handles one ModifyVpcEndpoint of VPC EventVPC's S3 endpoint (its policy
// set again) through guard.Handler with the real SDK clients and the
// functions' standard retryer, as endpointguard does, in report mode.
func EventBench(ctx context.Context, o EventBenchOptions) (*EventBenchResult, error) {
	if o.Account.VPCs == 0 {
		o.Account.VPCs = 5 // Generate's default
	}
	if o.Account.VPCs <= EventVPC {
		return nil, fmt.Errorf("the account needs more than %d VPCs", EventVPC)
	}
	sc := Generate(o.Account)
	if o.Index {
		sc.DynamoDBTables = append(sc.DynamoDBTables, StateTable())
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

	cfg := awssim.TestConfig("http://"+ln.Addr().String(), Region)
	cfg.Retryer = func() aws.Retryer { return retry.NewStandard() } // the functions' retryer (pkg/app)
	cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}}
	clients, err := app.ClientsFrom(cfg)
	if err != nil {
		return nil, err
	}
	vcfg := config.Config{Mode: report.ModeReport, ExpectedInstances: 1, ExemptTag: config.DefaultExemptTag, Remediations: report.ActionIDs()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := &guard.Handler{
		Config:     vcfg,
		Gatherer:   clients.Gatherer(),
		Kinds:      []cloudtrail.Kind{cloudtrail.KindCreateVpcEndpoint, cloudtrail.KindModifyVpcEndpoint, cloudtrail.KindDeleteVpcEndpoints},
		Remediator: remediate.New(clients.EC2, vcfg, log),
		Log:        log,
	}
	h.Gatherer.ModelTags = true // as pkg/app sets it for the event functions
	if o.Index {
		h.Index = clients.Index(StateTableName)
		sw := &sweep.Sweeper{Gatherer: clients.Gatherer(), Config: vcfg, Options: sweep.Options{Concurrency: 32}, Index: h.Index, Log: log}
		sum, err := sw.Run(ctx, sweep.Trigger{ID: "build-index", Account: Account})
		if err != nil {
			return nil, fmt.Errorf("build the index: %w", err)
		}
		if _, err := h.Index.In(Account, Region).Built(ctx); err != nil {
			return nil, fmt.Errorf("build the index: %w (%s)", err, sum.Placement)
		}
	}
	if o.Latency > 0 {
		sim.SetFault("*", awssim.Fault{Latency: awssim.Duration(o.Latency)})
	}
	if o.RatePerSecond > 0 {
		sim.SetFault("sagemaker:DescribeModel", awssim.Fault{Latency: awssim.Duration(o.Latency), RatePerSecond: o.RatePerSecond, Burst: o.Burst})
	}
	sim.ResetStats()

	call := cloudtrail.Call{
		Kind: cloudtrail.KindModifyVpcEndpoint, Name: "ModifyVpcEndpoint", Source: cloudtrail.SourceEC2,
		EnvelopeID: "bench-modify-vpc-endpoint", Account: Account, Region: Region, Time: time.Now().UTC(),
		Actor:             "arn:aws:iam::" + Account + ":role/network-admin",
		ModifyVpcEndpoint: &cloudtrail.ModifyVpcEndpoint{VpcEndpointID: vpceID(EventVPC), PolicyDocument: HardenedPolicy},
	}
	start := time.Now()
	res, err := h.Handle(ctx, call)
	wall := time.Since(start)
	if err != nil {
		return nil, err
	}
	st := sim.Stats()
	out := &EventBenchResult{Options: o, Result: res, Wall: wall, Server: st, IndexQueries: st.Calls["dynamodb:Query"]}
	for i := range o.Account.Models {
		if ModelVPC(i, o.Account.VPCs) == EventVPC {
			out.Models++
		}
	}
	return out, nil
}

// String describes the options in one line.
func (o EventBenchOptions) String() string {
	s := fmt.Sprintf("%d models in %d VPCs; %v latency on every call", o.Account.Models, o.Account.VPCs, o.Latency)
	if o.RatePerSecond > 0 {
		s += fmt.Sprintf(", DescribeModel limited to %g/s (burst %d)", o.RatePerSecond, o.Burst)
	}
	if o.Index {
		return s + "; placement index"
	}
	return s + "; no index (full scan)"
}
