package sweep

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/health"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// Exit codes of a local run.
const (
	exitOK      = 0
	exitRun     = 1 // the sweep ran but an output could not be delivered
	exitStartup = 2 // bad configuration or arguments
	// exitUnhealthy: -health found an item failing or unverified.
	exitUnhealthy = 3
)

// Env is what a sweep is built from: the environment and where its logs go.
type Env struct {
	Getenv func(string) string
	Log    *slog.Logger
	// Local builds a read-only local run: report mode whatever
	// VPCGUARD_MODE says, and nothing published unless Publish.
	Local   bool
	Publish bool
	// State overrides VPCGUARD_SWEEP_STATE when not empty.
	State string
}

// New builds a Sweeper from the environment: the VPCGUARD_* configuration,
// the sweep's own variables and the SDK's default AWS configuration (with
// the adaptive retryer and call counting).
func New(ctx context.Context, env Env) (*Sweeper, error) {
	cfg, err := config.FromEnv(env.Getenv)
	if err != nil {
		return nil, err
	}
	opts, err := OptionsFromEnv(env.Getenv)
	if err != nil {
		return nil, err
	}
	if env.State != "" {
		if _, _, err := parseStateURI(env.State); err != nil {
			return nil, fmt.Errorf("-state %q: %v", env.State, err)
		}
		opts.State = env.State
	}
	log := env.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if env.Local && cfg.Mode == report.ModeRemediate {
		log.Warn("a local sweep is a read-only audit: report mode, whatever VPCGUARD_MODE says")
	}
	if env.Local {
		cfg.Mode = report.ModeReport
	}
	calls := NewCalls()
	clients, err := app.NewClients(ctx, LoadOptions(calls)...)
	if err != nil {
		return nil, err
	}
	store, err := OpenStore(opts.State, clients.S3)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvState, err)
	}
	if _, isFile := store.(FileStore); isFile && !env.Local {
		log.Warn("the sweep state is a local file, which does not outlive a Lambda execution environment: use s3://bucket/key", "state", opts.State)
	}
	// The sweep's repairs are ledgered, and it honours the holds of undone
	// repairs, like the event functions.
	rem := remediate.New(clients.EC2, cfg, log)
	ledgerStore, where, err := app.OpenLedger(cfg, clients)
	if err != nil {
		return nil, err
	}
	rem.Undo = app.UndoCommand(cfg, clients.Region)
	if ledgerStore != nil {
		rem.Ledger, rem.Locker = ledgerStore, ledgerStore
		log.Debug("ledger", "where", where)
	}
	s := &Sweeper{
		Gatherer:   clients.Gatherer(),
		Config:     cfg,
		Options:    opts,
		Store:      store,
		Remediator: rem,
		Index:      clients.Index(cfg.StateTable),
		Calls:      calls,
		Log:        log,
		Health: &health.Checker{
			Readers: health.ReadersFrom(clients.Config, clients.Events, clients.SNS),
			Targets: health.Targets{Region: clients.Region, TopicARN: cfg.TopicARN, Health: cfg.Health},
		},
	}
	if !env.Local || env.Publish {
		s.SNS, s.Events = clients.SNS, clients.Events
		if cfg.SecurityHub {
			s.SecurityHub = app.SecurityHubPublisher(clients, nil, log)
		}
	}
	return s, nil
}

// Handle is the Lambda handler: one sweep per scheduled event. The summary
// is the return value (without the per-VPC results, which can be large).
func (s *Sweeper) Handle(ctx context.Context, ev events.CloudWatchEvent) (*Summary, error) {
	return s.Run(ctx, Trigger{ID: ev.ID, Time: ev.Time, Account: ev.AccountID, Region: ev.Region})
}

// Main runs the sweep function and returns the exit code: under the Lambda
// runtime (AWS_LAMBDA_RUNTIME_API set) it serves scheduled events; locally
// it sweeps once, read-only, and prints the digest and the JSON summary.
func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	inLambda := getenv("AWS_LAMBDA_RUNTIME_API") != ""
	logOut := stderr // locally stdout holds only the output
	if inLambda {
		logOut = stdout
	}
	log := app.NewLogger(logOut, getenv("AWS_LAMBDA_LOG_LEVEL")).With("function", "sweep")

	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	state := fs.String("state", "", "where the cursor and last findings are kept: s3://bucket/key or a file (default $"+EnvState+"; none: nothing kept)")
	timeout := fs.Duration("timeout", 0, "time budget of the run, like Lambda's timeout (0: none); the sweep stops "+EnvReserve+" before it")
	publish := fs.Bool("publish", false, "also publish the digest to VPCGUARD_TOPIC_ARN and the events to VPCGUARD_EVENT_BUS")
	jsonOnly := fs.Bool("json", false, "print only the JSON summary")
	results := fs.Bool("results", false, "add the per-VPC results (every resource by name) to the JSON")
	healthOnly := fs.Bool("health", false, "run only the health self-check (read-only) and print it; exit "+fmt.Sprint(exitUnhealthy)+" when an item fails or cannot be verified")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sweep [-state LOCATION] [-timeout DURATION] [-publish] [-json] [-results] | sweep -health [-json]\n"+
			"Sweeps every SageMaker model of the account the SDK's default configuration points at, read-only,\n"+
			"and prints the digest and a JSON summary. Under the Lambda runtime it serves scheduled events.\n"+
			"-health checks only whether vpcguard is seeing events: trail, rules, topic, dead-letter queue, functions.\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitStartup
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return exitStartup
	}

	ctx := context.Background()
	env := Env{Getenv: getenv, Log: log, Local: !inLambda, Publish: *publish, State: *state}
	if multiTarget(getenv) { // organization mode, or several Regions: org_main.go
		return mainOrganization(ctx, env, inLambda, *timeout, *jsonOnly, *results, stdout, stderr)
	}
	s, err := New(ctx, env)
	if err != nil {
		log.Error("cannot start", "error", err.Error())
		fmt.Fprintf(stderr, "sweep: %v\n", err)
		return exitStartup
	}
	if inLambda {
		lambda.StartWithOptions(s.Handle, lambda.WithContext(ctx))
		return exitOK
	}
	if *healthOnly {
		return runHealth(ctx, s.Health, *timeout, *jsonOnly, stdout, stderr)
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	sum, runErr := s.Run(ctx, Trigger{})
	if !*jsonOnly {
		fmt.Fprintf(stdout, "Subject: %s\n\n%s\n", sum.Digest.Subject, sum.Digest.Body)
	}
	var out any = sum
	if *results {
		out = struct {
			*Summary
			Results []report.Result `json:"results"`
		}{sum, sum.Results}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "sweep: write summary: %v\n", err)
		return exitRun
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "sweep: %v\n", runErr)
		return exitRun
	}
	return exitOK
}

// runHealth is `sweep -health`: the self-check alone, printed as text and
// JSON (or JSON only).
func runHealth(ctx context.Context, h HealthChecker, timeout time.Duration, jsonOnly bool, stdout, stderr io.Writer) int {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	r := h.Check(ctx)
	if !jsonOnly {
		fmt.Fprint(stdout, r.String())
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		fmt.Fprintf(stderr, "sweep: write health: %v\n", err)
		return exitRun
	}
	if r.Status != report.StatusPass {
		return exitUnhealthy
	}
	return exitOK
}
