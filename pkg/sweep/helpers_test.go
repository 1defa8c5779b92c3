package sweep_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/sweep"
	"github.com/vpcguard/vpcguard/pkg/sweep/sweepsim"
)

const (
	topicARN    = "arn:aws:sns:us-east-1:111122223333:vpcguard"
	bus         = "vpcguard"
	stateBucket = "vpcguard-state"
	stateKey    = "sweep/state.json"
)

// env is a simulated account, the sweep's state bucket included, and the
// real SDK clients pointed at it with the sweep's retryer and call counter.
type env struct {
	sim     *awssim.Server
	clients *app.Clients
	calls   *sweep.Calls
}

// newEnv serves sc with the state bucket added. backoff replaces the
// retryer's backoff (nil: the SDK's exponential backoff with jitter, as in
// production).
func newEnv(t testing.TB, sc *awssim.Scenario, backoff retry.BackoffDelayer) *env {
	t.Helper()
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CA_BUNDLE", "")
	os.Unsetenv("AWS_CA_BUNDLE")
	sc.Topics = append(sc.Topics, awssim.Topic{Name: "vpcguard"})
	sc.Buckets = append(sc.Buckets, awssim.Bucket{Name: stateBucket})
	sim, url := awssim.Start(t, sc)

	calls := sweep.NewCalls()
	cfg := awssim.TestConfig(url, sweepsim.Region)
	cfg.Retryer = func() aws.Retryer {
		if backoff == nil {
			return sweep.NewRetryer(sweep.DefaultMaxAttempts)
		}
		return sweep.NewRetryer(sweep.DefaultMaxAttempts, func(o *retry.StandardOptions) { o.Backoff = backoff })
	}
	cfg.APIOptions = append(cfg.APIOptions, calls.AddTo)
	clients, err := app.ClientsFrom(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: sim, clients: clients, calls: calls}
}

var noBackoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })

func reportConfig() config.Config {
	return config.Config{
		Mode: report.ModeReport, TopicARN: topicARN, EventBus: bus,
		ExpectedInstances: 1, ExemptTag: config.DefaultExemptTag, Remediations: report.ActionIDs(),
	}
}

// sweeper is the sweep as functions/sweep builds it, on env's clients.
func (e *env) sweeper(cfg config.Config, opts sweep.Options) *sweep.Sweeper {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := remediate.New(e.clients.EC2, cfg, log)
	r.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	return &sweep.Sweeper{
		Gatherer: inventory.Gatherer{
			SageMaker: e.clients.SageMaker, EC2: e.clients.EC2, S3: e.clients.S3, IAM: e.clients.IAM, AutoScaling: e.clients.AutoScaling,
			Region: e.clients.Region, Partition: e.clients.Partition, ENIActions: checks.ENIActions(),
		},
		Config:     cfg,
		Options:    opts,
		Store:      sweep.S3Store{Client: e.clients.S3, Bucket: stateBucket, Key: stateKey},
		Remediator: r,
		SNS:        e.clients.SNS,
		Events:     e.clients.Events,
		Calls:      e.calls,
		Log:        log,
	}
}

// state decodes the saved state object.
func (e *env) state(t *testing.T) *sweep.State {
	t.Helper()
	b, ok := e.sim.Object(stateBucket, stateKey)
	if !ok {
		t.Fatal("no state object was saved")
	}
	var st sweep.State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("state object: %v\n%s", err, b)
	}
	return &st
}

// putState stores st as the state object, as a run before would have.
func (e *env) putState(t *testing.T, st sweep.State) {
	t.Helper()
	store := sweep.S3Store{Client: e.clients.S3, Bucket: stateBucket, Key: stateKey}
	if err := store.Save(context.Background(), &st); err != nil {
		t.Fatal(err)
	}
}

// ec2Writes are the EC2 writes the simulated account received.
func (e *env) ec2Writes() []awssim.Write {
	var out []awssim.Write
	for _, w := range e.sim.Writes() {
		if w.Service == "ec2" {
			out = append(out, w)
		}
	}
	return out
}

// result returns the result for the resource id (a VPC id or the account).
func result(t *testing.T, sum *sweep.Summary, id string) report.Result {
	t.Helper()
	for _, r := range sum.Results {
		if r.Resource.ID == id {
			return r
		}
	}
	t.Fatalf("no result for %s", id)
	return report.Result{}
}

func status(r report.Result, check string) report.Status {
	for _, c := range r.Checks {
		if c.ID == check {
			return c.Status
		}
	}
	return ""
}
