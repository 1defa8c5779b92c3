package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// multiTarget reports whether the environment asks for more than the
// function's own account and Region (VPCGUARD_MEMBER_ROLE, VPCGUARD_REGIONS).
func multiTarget(getenv func(string) string) bool {
	cfg, err := config.FromEnv(getenv)
	return err == nil && cfg.MultiTarget()
}

// NewOrganization builds the organization sweep from the environment, as
// New builds the single-account one: the accounts of
// VPCGUARD_ORGANIZATIONAL_UNITS (the whole organization when unset), or
// VPCGUARD_ACCOUNTS (locally when set, and whenever Organizations cannot be
// read), × VPCGUARD_REGIONS; without VPCGUARD_MEMBER_ROLE the function's
// own account only, in each Region. The cursor of each account and Region
// is kept beside VPCGUARD_SWEEP_STATE (TargetStateURI).
func NewOrganization(ctx context.Context, env Env) (*OrgSweeper, error) {
	single, err := New(ctx, env) // validates everything, opens the home clients and the store
	if err != nil {
		return nil, err
	}
	cfg, opts := single.Config, single.Options
	calls := single.Calls
	base, err := app.LoadConfig(ctx, LoadOptions(calls)...)
	if err != nil {
		return nil, err
	}
	home, err := app.ClientsFrom(base)
	if err != nil {
		return nil, err
	}
	accounts := app.NewAccounts(base, home, cfg)
	o := &OrgSweeper{
		Clients: accounts, Regions: cfg.Regions, Config: cfg, Options: opts,
		SNS: single.SNS, Events: single.Events, Calls: calls, Log: single.Log, Index: single.Index,
	}
	// Each account's repairs keep the single sweep's ledger, locks and
	// undo command.
	if home, ok := single.Remediator.(*remediate.Remediator); ok {
		o.NewRemediator = func(c *app.Clients, log *slog.Logger) Remediator {
			r := remediate.New(c.EC2, cfg, log)
			r.Ledger, r.Locker, r.Undo = home.Ledger, home.Locker, home.Undo
			return r
		}
	}
	// Each account and Region's findings go to its own Security Hub,
	// through the member role (the single sweep's publisher writes only to
	// the function's own).
	if single.SecurityHub != nil {
		o.SecurityHub = app.SecurityHubPublisher(home, accounts, single.Log)
	}
	if len(o.Regions) == 0 {
		o.Regions = []string{home.Region}
	}
	if cfg.Organization() {
		o.Organization = &OrganizationAccounts{Client: organizations.NewFromConfig(base), Parents: cfg.OrganizationalUnits}
		o.Accounts, o.PreferAccounts = cfg.Accounts, env.Local && len(cfg.Accounts) > 0
	} else {
		id, err := accounts.HomeAccount(ctx)
		if err != nil {
			return nil, err
		}
		o.Accounts = []string{id}
	}
	if opts.State != "" {
		o.Store = func(account, region string) Store {
			uri := TargetStateURI(opts.State, account, region)
			st, err := OpenStore(uri, home.S3)
			if err != nil {
				return nil
			}
			if f, ok := st.(FileStore); ok {
				os.MkdirAll(filepath.Dir(f.Path), 0o755)
			}
			return st
		}
	}
	return o, nil
}

// Handle is the Lambda handler of the organization sweep.
func (o *OrgSweeper) Handle(ctx context.Context, ev events.CloudWatchEvent) (*OrgSummary, error) {
	return o.Run(ctx, Trigger{ID: ev.ID, Time: ev.Time, Account: ev.AccountID, Region: ev.Region})
}

// mainOrganization is Main for the organization sweep.
func mainOrganization(ctx context.Context, env Env, inLambda bool, timeout time.Duration, jsonOnly, results bool, stdout, stderr io.Writer) int {
	o, err := NewOrganization(ctx, env)
	if err != nil {
		env.Log.Error("cannot start", "error", err.Error())
		fmt.Fprintf(stderr, "sweep: %v\n", err)
		return exitStartup
	}
	if inLambda {
		lambda.StartWithOptions(o.Handle, lambda.WithContext(ctx))
		return exitOK
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	t := Trigger{Region: o.Regions[0]}
	if a, ok := o.Clients.(*app.Accounts); ok {
		t.Account, _ = a.HomeAccount(ctx)
	}
	sum, runErr := o.Run(ctx, t)
	if !jsonOnly {
		fmt.Fprintf(stdout, "Subject: %s\n\n%s\n", sum.Digest.Subject, sum.Digest.Body)
	}
	var out any = sum
	if results {
		out = struct {
			*OrgSummary
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
