package sweep_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
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

// env is a simulated account served with an S3 object store in front for
// the sweep state (awssim serves S3 GetBucketPolicy only; objects is the
// smallest faithful GetObject/PutObject for one bucket), and the real SDK
// clients pointed at it with the sweep's retryer and call counter.
type env struct {
	sim     *awssim.Server
	objects *objectStore
	clients *app.Clients
	calls   *sweep.Calls
}

// newEnv serves sc. backoff replaces the retryer's backoff (nil: the
// SDK's exponential backoff with jitter, as in production).
func newEnv(t testing.TB, sc *awssim.Scenario, backoff retry.BackoffDelayer) *env {
	t.Helper()
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CA_BUNDLE", "")
	os.Unsetenv("AWS_CA_BUNDLE")
	sc.Topics = append(sc.Topics, awssim.Topic{Name: "vpcguard"})
	sim, err := awssim.NewServer(sc)
	if err != nil {
		t.Fatal(err)
	}
	objects := &objectStore{bucket: stateBucket, next: sim, objects: map[string][]byte{}}
	hs := httptest.NewServer(objects) // 127.0.0.1
	t.Cleanup(hs.Close)

	calls := sweep.NewCalls()
	cfg := awssim.TestConfig(hs.URL, sweepsim.Region)
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
	return &env{sim: sim, objects: objects, clients: clients, calls: calls}
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
			SageMaker: e.clients.SageMaker, EC2: e.clients.EC2, S3: e.clients.S3, IAM: e.clients.IAM,
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
	b := e.objects.get(stateKey)
	if b == nil {
		t.Fatal("no state object was saved")
	}
	var st sweep.State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("state object: %v\n%s", err, b)
	}
	return &st
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

// objectStore serves S3 GetObject and PutObject (path style) for one
// bucket, as S3 answers them, and passes every other request to next.
type objectStore struct {
	bucket  string
	next    http.Handler
	mu      sync.Mutex
	objects map[string][]byte
	gets    int
	puts    int
}

func (o *objectStore) get(key string) []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.objects[key]
}

func (o *objectStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+o.bucket+"/")
	if !ok || rest == "" || r.URL.RawQuery != "" && !strings.HasPrefix(r.URL.RawQuery, "x-id=") {
		o.next.ServeHTTP(w, r)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	w.Header().Set("x-amz-request-id", "objectstore")
	switch r.Method {
	case http.MethodGet:
		o.gets++
		b, ok := o.objects[rest]
		if !ok {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
				`<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>%s</Key><RequestId>objectstore</RequestId></Error>`, rest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Header().Set("ETag", fmt.Sprintf(`"%x"`, len(b)))
		w.Write(b)
	case http.MethodPut:
		o.puts++
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
			if body, err = unchunk(body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		o.objects[rest] = body
		w.Header().Set("ETag", fmt.Sprintf(`"%x"`, len(body)))
		w.WriteHeader(http.StatusOK)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// unchunk decodes an aws-chunked body (hex size[;ext] CRLF data CRLF …
// 0 CRLF trailers CRLF).
func unchunk(b []byte) ([]byte, error) {
	var out []byte
	r := bufio.NewReader(bytes.NewReader(b))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("aws-chunked: %w", err)
		}
		sizeHex, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(sizeHex, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("aws-chunked size %q: %w", line, err)
		}
		if n == 0 {
			return out, nil
		}
		chunk := make([]byte, n)
		if _, err := io.ReadFull(r, chunk); err != nil {
			return nil, err
		}
		out = append(out, chunk...)
		if _, err := r.ReadString('\n'); err != nil {
			return nil, err
		}
	}
}
