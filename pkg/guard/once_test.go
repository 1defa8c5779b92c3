package guard_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/guard"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/notify"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
	"github.com/vpcguard/vpcguard/pkg/state"
	"github.com/vpcguard/vpcguard/pkg/state/statetest"
)

const findingsTopic = "arn:aws:sns:us-east-1:111122223333:vpcguard-findings"

// ledgerStore is a ledger store: the file, or the state table.
type ledgerStore interface {
	guard.Progress
	remediate.Ledger
	remediate.Locker
	Recent(ctx context.Context, account, region string, limit int) ([]ledger.Entry, error)
}

// stores are the progress stores under test: the ledger file, and the
// state table in awssim and (where it runs) dynalite.
func stores(t *testing.T) map[string]func(t *testing.T) ledgerStore {
	out := map[string]func(t *testing.T) ledgerStore{"file": func(t *testing.T) ledgerStore { return fileStore(t) }}
	for _, b := range statetest.Both(t) {
		out["table "+b.Name] = func(t *testing.T) ledgerStore { return ledger.NewTable(state.New(b.Client, statetest.Table)) }
	}
	return out
}

// notifying is the demo account's handler with SNS and EventBridge going to
// the simulated account and, when store is set, the event progress (and in
// remediate mode the ledger and locks) in store.
func notifying(t *testing.T, mode report.Mode, store ledgerStore) (*guard.Handler, *awssim.Server) {
	t.Helper()
	sc, err := scenarios.Load("demo")
	if err != nil {
		t.Fatal(err)
	}
	srv, url := awssim.Start(t, sc)
	clients, err := app.ClientsFrom(awssim.TestConfig(url, "us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Mode, cfg.TopicARN, cfg.EventBus = mode, findingsTopic, "vpcguard"
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	g := clients.Gatherer()
	g.ModelTags = true
	h := &guard.Handler{
		Config: cfg, Gatherer: g, Kinds: allKinds, Log: log,
		Notifier: &notify.Notifier{SNS: clients.SNS, Events: clients.Events, TopicARN: findingsTopic, EventBus: "vpcguard", Log: log},
	}
	if mode == report.ModeRemediate {
		r := remediate.New(clients.EC2, cfg, log)
		r.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
		if store != nil {
			r.Ledger, r.Locker = store, store
		}
		h.Remediator = r
	}
	if store != nil {
		h.Progress = store
	}
	return h, srv
}

func count(srv *awssim.Server, service, op string, ok bool) int {
	n := 0
	for _, w := range srv.Writes() {
		if w.Service == service && w.Operation == op && (w.Error == "") == ok {
			n++
		}
	}
	return n
}

func eventFile(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func fileStore(t *testing.T) *ledger.FileStore {
	t.Helper()
	f, err := ledger.OpenFile(filepath.Join(t.TempDir(), "ledger.json"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestRetryAfterEventBridgeFailureSendsNoSecondEmail: the email went out,
// EventBridge failed, the handler returned an error and Lambda retried the
// event. The retry puts the EventBridge entries and sends no second email.
// Without the progress record it would (the control case).
func TestRetryAfterEventBridgeFailureSendsNoSecondEmail(t *testing.T) {
	cases := stores(t)
	cases["without progress (control)"] = nil
	for name, newStore := range cases {
		withProgress := newStore != nil
		t.Run(name, func(t *testing.T) {
			var store ledgerStore
			if withProgress {
				store = newStore(t)
			}
			h, srv := notifying(t, report.ModeReport, store)
			raw := eventFile(t, "sagemaker-CreateModel-churn-no-s3-endpoint.json")
			if err := srv.SetFault("events:PutEvents", awssim.Fault{InternalError: true}); err != nil {
				t.Fatal(err)
			}
			if _, err := h.HandleJSON(context.Background(), raw); err == nil || !strings.Contains(err.Error(), "eventbridge") {
				t.Fatalf("first delivery: %v, want the EventBridge failure", err)
			}
			if n := count(srv, "sns", "Publish", true); n != 1 {
				t.Fatalf("first delivery: %d emails", n)
			}
			srv.ClearFaults()
			if _, err := h.HandleJSON(context.Background(), raw); err != nil {
				t.Fatalf("retry: %v", err)
			}
			emails, puts := count(srv, "sns", "Publish", true), count(srv, "events", "PutEvents", true)
			if puts != 1 {
				t.Errorf("retry: %d successful PutEvents, want 1", puts)
			}
			want := 1
			if !withProgress {
				want = 2
			}
			if emails != want {
				t.Errorf("%d emails after the retry, want %d", emails, want)
			}
		})
	}
}

// TestRetryAfterEmailFailureRepairsOnce: remediate mode; the repair is
// applied, the email fails, Lambda retries. The retry makes no second
// repair attempt (no EC2 write at all), reports the repair it made before
// and sends the one email, with it; the EventBridge entries went out once.
func TestRetryAfterEmailFailureRepairsOnce(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) { testRetryAfterEmailFailureRepairsOnce(t, newStore(t)) })
	}
}

func testRetryAfterEmailFailureRepairsOnce(t *testing.T, store ledgerStore) {
	h, srv := notifying(t, report.ModeRemediate, store)
	raw := eventFile(t, "sagemaker-CreateModel-churn-no-s3-endpoint.json")
	if err := srv.SetFault("sns:Publish", awssim.Fault{InternalError: true}); err != nil {
		t.Fatal(err)
	}
	first, err := h.HandleJSON(context.Background(), raw)
	if err == nil {
		t.Fatal("the email failure must fail the delivery")
	}
	if len(first.Actions) != 1 || first.Actions[0].Status != report.ActionApplied {
		t.Fatalf("first delivery actions %+v", first.Actions)
	}
	ec2Writes := count(srv, "ec2", "CreateVpcEndpoint", true) + count(srv, "ec2", "ModifyVpcEndpoint", true)
	srv.ClearFaults()
	again, err := h.HandleJSON(context.Background(), raw)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n := count(srv, "ec2", "CreateVpcEndpoint", true) + count(srv, "ec2", "ModifyVpcEndpoint", true) +
		count(srv, "ec2", "CreateVpcEndpoint", false) + count(srv, "ec2", "ModifyVpcEndpoint", false); n != ec2Writes {
		t.Errorf("the retry made %d more EC2 writes", n-ec2Writes)
	}
	if len(again.Actions) != 1 || again.Actions[0].Status != report.ActionApplied || again.Actions[0].ID != report.ActionCreateS3GatewayEndpoint {
		t.Fatalf("retry actions %+v", again.Actions)
	}
	if emails := count(srv, "sns", "Publish", true); emails != 1 {
		t.Errorf("%d emails", emails)
	}
	if puts := count(srv, "events", "PutEvents", true); puts != 1 {
		t.Errorf("%d PutEvents (the first delivery's went out already)", puts)
	}
	var sent string
	for _, w := range srv.Writes() {
		if w.Service == "sns" && w.Error == "" {
			sent, _ = w.Params["Message"].(string)
		}
	}
	if !strings.Contains(sent, "vpcguard repaired s3-endpoint-present, which now passes") || !strings.Contains(sent, "create-s3-gateway-endpoint: APPLIED") {
		t.Errorf("the retry's email does not tell of the repair:\n%s", sent)
	}
	if entries, _ := store.Recent(context.Background(), "111122223333", "us-east-1", 0); len(entries) != 1 || entries[0].Status != ledger.StatusApplied {
		t.Errorf("ledger %+v", entries)
	}
}

// TestConcurrentDuplicateDeliveriesEmailOnce: EventBridge delivers at least
// once, and two copies may run at the same time: one email, one set of
// EventBridge entries.
func TestConcurrentDuplicateDeliveriesEmailOnce(t *testing.T) {
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			h, srv := notifying(t, report.ModeReport, newStore(t))
			raw := eventFile(t, "sagemaker-CreateModel-churn-no-s3-endpoint.json")
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Go(func() { _, errs[i] = h.HandleJSON(context.Background(), raw) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("delivery %d: %v", i, err)
				}
			}
			if n := count(srv, "sns", "Publish", true); n != 1 {
				t.Errorf("%d emails for one event delivered 4 times", n)
			}
			if n := count(srv, "events", "PutEvents", true); n != 1 {
				t.Errorf("%d PutEvents for one event delivered 4 times", n)
			}
		})
	}
}
