package undo

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/placement"
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
		it.Undo = cmd.For(ledger.RefOf(e), e.Action == report.ActionCreateS3GatewayEndpoint)
	}
	return it
}

// Main runs the undo function and returns the process exit code: under the
// Lambda runtime (AWS_LAMBDA_RUNTIME_API set) it serves invocations of
// {"action":"<id>"[,"account":"<id>","region":"<name>"][,"confirm":true]};
// locally it is
//
//	undo -action ID [-account A] [-region R] [-confirm]   take one repair back, print the result as JSON
//	undo -list [-account A] [-region R] [-n 50]           the recent ledger, one JSON object per line
//
// where -account and -region name where the repair was made (default the
// function's own: that of its credentials, and AWS_REGION).
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
	account := fs.String("account", "", "the account the repair was made in (default this one; another needs VPCGUARD_MEMBER_ROLE)")
	region := fs.String("region", "", "the Region the repair was made in (default AWS_REGION, where the ledger is; another must be in VPCGUARD_REGIONS)")
	n := fs.Int("n", 50, "with -list: how many entries, newest first (0: all)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if !inLambda && (*action == "") == !*list {
		fmt.Fprintln(stderr, "usage: undo -action ID [-account A] [-region R] [-confirm]   or   undo -list [-account A] [-region R] [-n 50]")
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
		entries, err := u.List(ctx, *account, *region, *n)
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
	res, err := u.Undo(ctx, Request{Action: *action, Account: *account, Region: *region, Confirm: *confirm})
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
// account (STS GetCallerIdentity). Other accounts and Regions are reached
// through app's Accounts factory (VPCGUARD_MEMBER_ROLE, VPCGUARD_REGIONS),
// which refuses those not served. cmd writes the local undo command.
func New(ctx context.Context, getenv func(string) string, log *slog.Logger) (*Undoer, ledger.UndoCommand, error) {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return nil, ledger.UndoCommand{}, err
	}
	base, err := app.LoadConfig(ctx)
	if err != nil {
		return nil, ledger.UndoCommand{}, err
	}
	clients, err := app.ClientsFrom(base)
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
	targets := accountTargets{base: base, home: clients, cfg: cfg, index: clients.Index(cfg.StateTable)}
	home := targets.of(clients, aws.ToString(id.Account))
	u := &Undoer{
		EC2: home.EC2, Scoped: home.Scoped, Targets: targets,
		Account: aws.ToString(id.Account), Region: clients.Region, Where: where, Log: log,
	}
	if store != nil {
		u.Ledger, u.Locker = store, store
	}
	cmd := app.UndoCommand(cfg, clients.Region)
	cmd.Account = u.Account
	return u, cmd, nil
}

// accountTargets serves Targets from app's Accounts factory, as the event
// functions reach an event's account and Region: the function's own
// credentials in its own account, the member role (VPCGUARD_MEMBER_ROLE)
// in another, the Regions of VPCGUARD_REGIONS; anything else refused.
type accountTargets struct {
	base  aws.Config
	home  *app.Clients
	cfg   config.Config
	index *placement.Index // the state table's placement index, or nil
}

// Target opens a factory of its own for each undo, so that the member-role
// session is named after this undo (CloudTrail in the member account
// records which undo wrote), not after the first one this execution
// environment served. An undo is rare; it costs one AssumeRole.
func (t accountTargets) Target(ctx context.Context, account, region, session string) (Target, error) {
	c, err := app.NewAccounts(t.base, t.home, t.cfg).Clients(app.WithSessionName(ctx, session), account, region)
	var ae *app.AccountError
	switch {
	case errors.As(err, &ae) && (ae.NotServed || accessDenied(ae.Err)):
		return Target{}, Refusal{Err: err, NotServed: ae.NotServed}
	case err != nil:
		return Target{}, err
	}
	return t.of(c, account), nil
}

// of is the Target of clients c in account.
func (t accountTargets) of(c *app.Clients, account string) Target {
	g := c.Gatherer()
	g.Account = account
	if t.index != nil {
		g.Placement = t.index.In(account, c.Region) // the models of a VPC, from the index
	}
	return Target{EC2: c.EC2, Scoped: g.Scoped}
}

// accessDenied reports whether STS refused the role for good (its trust
// policy, or no such role): a retry would be refused alike.
func accessDenied(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && (api.ErrorCode() == "AccessDenied" || api.ErrorCode() == "AccessDeniedException")
}
