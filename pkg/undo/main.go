package undo

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// Exit codes of the local command.
const (
	exitReverted = 0 // reverted (or listed)
	exitFailed   = 1 // the write, its verification, the ledger or AWS failed
	exitUsage    = 2 // bad arguments or configuration, or no ledger
	exitRefused  = 3 // refused: nothing written
)

// ListItem is one line of `undo -list`: a ledger entry in short.
type ListItem struct {
	ID         string    `json:"id"`
	Action     string    `json:"action"`
	Status     string    `json:"status"`
	Resources  []string  `json:"resources"`
	Event      string    `json:"event"`
	EventName  string    `json:"event_name,omitempty"`
	Time       time.Time `json:"time"`
	VPCID      string    `json:"vpc_id"`
	EndpointID string    `json:"vpc_endpoint_id,omitempty"`
	RevertedAt string    `json:"reverted_at,omitempty"`
	// Undo is the command that undoes the entry, while it can be.
	Undo string `json:"undo,omitempty"`
}

// Item renders e for the list; cmd writes the undo command.
func Item(e ledger.Entry, cmd ledger.UndoCommand) ListItem {
	it := ListItem{ID: e.ID, Action: e.Action, Status: string(e.Status), Resources: e.Resources, Event: e.Event,
		EventName: e.EventName, Time: e.Time, VPCID: e.VPCID, EndpointID: e.EndpointID}
	if it.Resources == nil {
		it.Resources = []string{}
	}
	switch {
	case e.Undo != nil:
		it.RevertedAt = e.Undo.Time.UTC().Format(time.RFC3339)
	case e.Outcome == nil || e.Outcome.Written:
		it.Undo = cmd.For(e.ID, e.Action == report.ActionCreateS3GatewayEndpoint)
	}
	return it
}

// Main runs the undo function and returns the process exit code: under the
// Lambda runtime (AWS_LAMBDA_RUNTIME_API set) it serves invocations of
// {"action":"<id>"[,"confirm":true]}; locally it is
//
//	undo -action ID [-confirm]   take one repair back, print the result as JSON
//	undo -list [-n 50]           the recent ledger, one JSON object per line
func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	inLambda := getenv("AWS_LAMBDA_RUNTIME_API") != ""
	logOut := stderr
	if inLambda {
		logOut = stdout
	}
	log := app.NewLogger(logOut, getenv("AWS_LAMBDA_LOG_LEVEL")).With("function", "undo")

	fs := flag.NewFlagSet("undo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	action := fs.String("action", "", "the action instance id of the repair to undo (undo -list shows them)")
	confirm := fs.Bool("confirm", false, "consent to delete an endpoint vpcguard created (the undo of create-s3-gateway-endpoint)")
	list := fs.Bool("list", false, "print the recent ledger, one JSON object per line")
	n := fs.Int("n", 50, "with -list: how many entries, newest first (0: all)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if !inLambda && (*action == "") == !*list {
		fmt.Fprintln(stderr, "usage: undo -action ID [-confirm]   or   undo -list [-n 50]")
		return exitUsage
	}

	ctx := context.Background()
	u, cmd, err := New(ctx, getenv, log)
	if err != nil {
		fmt.Fprintf(stderr, "undo: %v\n", err)
		return exitUsage
	}
	if inLambda {
		lambda.StartWithOptions(func(ctx context.Context, req Request) (Result, error) {
			res, err := u.Undo(ctx, req)
			if err != nil {
				return Result{}, fmt.Errorf("%s: %s", res.Status, res.Reason)
			}
			return res, nil
		}, lambda.WithContext(ctx))
		return exitReverted
	}
	if *list {
		entries, err := u.List(ctx, *n)
		if err != nil {
			fmt.Fprintf(stderr, "undo: %v\n", err)
			return exitUsage
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		for _, e := range entries {
			if err := enc.Encode(Item(e, cmd)); err != nil {
				return exitFailed
			}
		}
		return exitReverted
	}
	res, err := u.Undo(ctx, Request{Action: *action, Confirm: *confirm})
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if encErr := enc.Encode(res); encErr != nil {
		return exitFailed
	}
	if err != nil {
		fmt.Fprintf(stderr, "undo: %v\n", err)
	}
	switch {
	case res.Status == StatusReverted && err == nil:
		return exitReverted
	case res.Status == StatusRefused && err == nil:
		if u.Ledger == nil {
			return exitUsage
		}
		return exitRefused
	}
	return exitFailed
}

// New builds the Undoer from the environment: the VPCGUARD_* configuration,
// the SDK's default AWS configuration, the ledger it names, and the
// account (STS GetCallerIdentity). cmd writes the local undo command.
func New(ctx context.Context, getenv func(string) string, log *slog.Logger) (*Undoer, ledger.UndoCommand, error) {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return nil, ledger.UndoCommand{}, err
	}
	clients, err := app.NewClients(ctx)
	if err != nil {
		return nil, ledger.UndoCommand{}, err
	}
	store, where, err := app.OpenLedger(cfg, clients)
	if err != nil {
		return nil, ledger.UndoCommand{}, err
	}
	id, err := clients.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, ledger.UndoCommand{}, fmt.Errorf("which account is this (sts get-caller-identity): %w", err)
	}
	g := clients.Gatherer()
	g.Account = aws.ToString(id.Account)
	if idx := clients.Index(cfg.StateTable); idx != nil {
		g.Placement = idx.In(g.Account, clients.Region) // the models of a VPC, from the index
	}
	u := &Undoer{
		EC2: clients.EC2, Account: aws.ToString(id.Account), Region: clients.Region, Where: where, Log: log,
		Scoped: g.Scoped,
	}
	if store != nil {
		u.Ledger, u.Locker = store, store
	}
	return u, app.UndoCommand(cfg, clients.Region), nil
}
