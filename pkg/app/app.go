// Package app starts a vpcguard function binary: under the Lambda runtime
// when AWS_LAMBDA_RUNTIME_API is set, otherwise once, locally, on the event
// file given with -event. Both paths run the same guard.Handler.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/guard"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/notify"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/state"
)

// Exit codes of local mode.
const (
	exitOK       = 0
	exitHandler  = 1 // the handler returned an error (the result is still printed)
	exitStartup  = 2 // bad configuration or arguments
	exitBadEvent = 3 // the event could not be read or parsed
)

// Main runs the function called name that handles kinds, and returns the
// process exit code.
func Main(name string, kinds ...cloudtrail.Kind) int {
	inLambda := os.Getenv("AWS_LAMBDA_RUNTIME_API") != ""
	logOut := io.Writer(os.Stderr) // locally stdout holds only the result
	if inLambda {
		logOut = os.Stdout
	}
	log := NewLogger(logOut, os.Getenv("AWS_LAMBDA_LOG_LEVEL")).With("function", name)

	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	eventPath := fs.String("event", "", "EventBridge event file to handle once (- for stdin)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return exitStartup
	}
	if !inLambda && *eventPath == "" {
		fmt.Fprintf(os.Stderr, "usage: %s -event FILE|-   (or run under the Lambda runtime)\n", name)
		return exitStartup
	}

	ctx := context.Background()
	h, err := NewHandler(ctx, os.Getenv, log, kinds)
	if err != nil {
		log.Error("cannot start", "error", err.Error())
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return exitStartup
	}
	if inLambda {
		lambda.StartWithOptions(rawHandler{h}, lambda.WithContext(ctx))
		return exitOK
	}
	return runOnce(ctx, h, *eventPath, os.Stdin, os.Stdout, os.Stderr)
}

// NewHandler builds the handler from the environment: the VPCGUARD_*
// configuration and the SDK's default AWS configuration.
func NewHandler(ctx context.Context, getenv func(string) string, log *slog.Logger, kinds []cloudtrail.Kind) (*guard.Handler, error) {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	clients, err := ClientsFrom(awsCfg)
	if err != nil {
		return nil, err
	}
	store, where, err := OpenLedger(cfg, clients)
	if err != nil {
		return nil, err
	}
	// The gatherer and remediator of one account and Region: the
	// function's own, or (organization mode) an event's.
	target := func(c *Clients) guard.Target {
		g := c.Gatherer()
		// Tags decide exemptions, in the plan of report mode too; the extra
		// call per model runs beside DescribeModel.
		g.ModelTags = true
		rem := remediate.New(c.EC2, cfg, log)
		rem.Undo = UndoCommand(cfg, clients.Region)
		if store != nil {
			rem.Ledger, rem.Locker = store, store
		}
		return guard.Target{Gatherer: g, Remediator: rem}
	}
	home := target(clients)
	h := &guard.Handler{
		Config:     cfg,
		Gatherer:   home.Gatherer,
		Kinds:      kinds,
		Remediator: home.Remediator,
		Notifier: &notify.Notifier{
			SNS: clients.SNS, Events: clients.Events,
			TopicARN: cfg.TopicARN, EventBus: cfg.EventBus, NotifyCompliant: cfg.NotifyCompliant,
			Log: log,
		},
		Index: clients.Index(cfg.StateTable),
		Log:   log,
	}
	if store != nil {
		h.Progress = store
		log.Debug("ledger", "where", where)
	}
	// Organization mode or several Regions: each event is read, and its
	// findings written to Security Hub, in its own account and Region;
	// notifications still leave from here.
	var accounts AccountClients
	if cfg.MultiTarget() {
		accounts = NewAccounts(awsCfg, clients, cfg)
		h.Targets = guardTargets{accounts: accounts, newTarget: target}
	}
	if cfg.SecurityHub {
		h.SecurityHub = SecurityHubPublisher(clients, accounts, log)
	}
	return h, nil
}

// UndoCommand writes the undo command of the repairs: the undo function
// (VPCGUARD_UNDO_FUNCTION) when the stack names it, else the local command
// on the configured ledger (the state table before the file, as OpenLedger).
// region is the function's own; a repair made in another Region or (in
// organization mode) another account than the function's own (that of
// VPCGUARD_ROLE_ARN; when unknown, every account is named) gets its account
// and Region in the command.
func UndoCommand(cfg config.Config, region string) ledger.UndoCommand {
	return ledger.UndoCommand{Function: cfg.UndoFunction, Region: region, Account: cfg.HomeAccount(),
		MemberRole: cfg.MemberRole, Regions: cfg.Regions, Table: cfg.StateTable, File: cfg.LedgerFile}
}

// LedgerStore is everything vpcguard keeps about its own writes: the repair
// ledger and holds, the per-VPC locks and each event's progress.
type LedgerStore interface {
	remediate.Ledger
	remediate.Locker
	guard.Progress
	// What the undo function needs besides.
	Get(ctx context.Context, ref ledger.Ref) (ledger.Entry, error)
	AddHold(ctx context.Context, h ledger.Hold) error
	Recent(ctx context.Context, account, region string, limit int) ([]ledger.Entry, error)
}

// OpenLedger opens the ledger the configuration names: the state table of
// VPCGUARD_STATE_TABLE, else the JSON file of VPCGUARD_LEDGER_FILE, else
// none (nil); where says which.
func OpenLedger(cfg config.Config, c *Clients) (store LedgerStore, where string, err error) {
	if cfg.StateTable != "" {
		t := ledger.NewTable(state.New(c.DynamoDB, cfg.StateTable))
		return t, t.String(), nil
	}
	if cfg.LedgerFile == "" {
		return nil, "none (VPCGUARD_LEDGER_FILE unset)", nil
	}
	f, err := ledger.OpenFile(cfg.LedgerFile)
	if err != nil {
		return nil, "", fmt.Errorf("VPCGUARD_LEDGER_FILE: %w", err)
	}
	return f, "file " + f.Path, nil
}

// rawHandler gives the guard the event's bytes as they arrived, so that
// every bad payload (truncated, not JSON, not an event) is answered with
// vpcguard's own "parse event: …" error rather than the runtime's.
type rawHandler struct{ h *guard.Handler }

func (r rawHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	res, err := r.h.HandleJSON(ctx, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// runOnce handles one event file and prints the result as JSON.
func runOnce(ctx context.Context, h *guard.Handler, path string, stdin io.Reader, stdout, stderr io.Writer) int {
	raw, err := readEvent(path, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "read event: %v\n", err)
		return exitBadEvent
	}
	res, err := h.HandleJSON(ctx, raw)
	if res.Event.Name == "" && err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return exitBadEvent
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if encErr := enc.Encode(res); encErr != nil {
		fmt.Fprintf(stderr, "write result: %v\n", encErr)
		return exitHandler
	}
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return exitHandler
	}
	return exitOK
}

func readEvent(path string, stdin io.Reader) (json.RawMessage, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	// An EventBridge event is at most 256 KB; refuse anything far larger.
	raw, err := io.ReadAll(io.LimitReader(r, 1<<20+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > 1<<20 {
		return nil, errors.New("event larger than 1 MiB")
	}
	return raw, nil
}

// NewLogger returns a JSON logger in Lambda's application log shape
// (timestamp, level, message) at the level AWS_LAMBDA_LOG_LEVEL names.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToUpper(strings.TrimSpace(level)) {
	case "TRACE", "DEBUG":
		l = slog.LevelDebug
	case "WARN":
		l = slog.LevelWarn
	case "ERROR", "FATAL":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: l,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 {
				switch a.Key {
				case slog.TimeKey:
					a.Key = "timestamp"
				case slog.MessageKey:
					a.Key = "message"
				}
			}
			return a
		},
	}))
}
