package sweep

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/health"
	"github.com/vpcguard/vpcguard/pkg/notify"
	"github.com/vpcguard/vpcguard/pkg/placement"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// DefaultAccountConcurrency is how many accounts the organization sweep
// works on at once; each sweeps its Regions one after the other, with the
// sweep's own concurrency (VPCGUARD_SWEEP_CONCURRENCY) inside each.
const DefaultAccountConcurrency = 8

// Coverage of one account and Region in an organization sweep.
const (
	TargetCovered    = "covered"     // every model evaluated (the pass is complete)
	TargetPartial    = "partial"     // some models evaluated; the cursor continues the pass next run
	TargetNotCovered = "not covered" // nothing evaluated: the error says why
)

// OrgSweeper is the organization sweep: every account of the targeted OUs
// (Organizations; VPCGUARD_ACCOUNTS when it cannot be read) in every
// Region served, each swept like one account (Sweeper) through the
// member role, with its own cursor, and one digest for them all.
type OrgSweeper struct {
	// Clients gives each account's clients in each Region (app.Accounts).
	Clients app.AccountClients
	// Organization lists the accounts; nil: Accounts is the list.
	Organization *OrganizationAccounts
	// Accounts (VPCGUARD_ACCOUNTS) are swept when Organization is nil or
	// cannot be read, and first when PreferAccounts (local runs).
	Accounts       []string
	PreferAccounts bool
	// Regions are swept in each account (VPCGUARD_REGIONS, else the
	// function's own Region).
	Regions []string
	Config  config.Config
	Options Options
	// Store opens the cursor of an account and Region; nil keeps none.
	Store func(account, region string) Store
	// SNS publishes the one digest; Events the per-finding events, sent by
	// each account and Region's sweep to Config.EventBus.
	SNS    SNSPublisher
	Events notify.EventsPutter
	Calls  *Calls
	Log    *slog.Logger
	// Concurrency is accounts at once (default DefaultAccountConcurrency).
	Concurrency int
	Now         func() time.Time
	// Index is the placement index of the state table, one scope per
	// account and Region; nil keeps none.
	Index *placement.Index
	// NewRemediator builds the remediator of one account and Region
	// (default remediate.New on its EC2 client, without a ledger).
	NewRemediator func(c *app.Clients, log *slog.Logger) Remediator
	// Health is the self-check of the central deployment (the single
	// sweep's: the trail of the function's Region, its rules, topic,
	// dead-letter queue and functions), run beside the sweep; nil skips it.
	Health HealthChecker
	// SecurityHub, when set, reconciles each account and Region's findings
	// in that account's own Security Hub (app.AccountHubs); nil writes none.
	SecurityHub Reconciler
}

// OrgSummary is what one organization sweep found and did.
type OrgSummary struct {
	Sweep   report.Event `json:"sweep"`
	Mode    report.Mode  `json:"mode"`
	Started time.Time    `json:"started"`
	Elapsed int64        `json:"elapsed_ms"`
	// Source says where the account list came from.
	Source   string         `json:"accounts_from"`
	Accounts int            `json:"accounts"`
	Regions  []string       `json:"regions"`
	Targets  []TargetResult `json:"targets"` // one per account and Region, in account then Region order
	Covered  int            `json:"covered"`
	Partial  int            `json:"partial"`
	// NotCovered counts the accounts and Regions of which nothing was
	// evaluated; their rows say why.
	NotCovered int                         `json:"not_covered"`
	Models     int                         `json:"models_evaluated"`
	VPCs       int                         `json:"vpcs"`
	Findings   FindingCounts               `json:"findings"`
	Actions    map[report.ActionStatus]int `json:"actions"`
	API        CallStats                   `json:"api_calls"`
	// AssumeRoles is how many member-role sessions this run opened.
	AssumeRoles int `json:"assume_role_calls"`
	// Health is the central deployment's self-check; nil when it did not run.
	Health   *health.Report `json:"health,omitempty"`
	Notes    []string       `json:"notes,omitempty"`
	Delivery Delivery       `json:"delivery"`

	Digest  Digest          `json:"-"`
	Results []report.Result `json:"-"` // every target's results
}

// TargetResult is one account in one Region.
type TargetResult struct {
	Account string `json:"account"`
	Name    string `json:"name,omitempty"`
	Region  string `json:"region"`
	Status  string `json:"status"`          // TargetCovered, TargetPartial, TargetNotCovered
	Error   string `json:"error,omitempty"` // why it is not covered, or what failed to be delivered
	// Summary is its sweep (nil when not covered).
	Summary *Summary `json:"summary,omitempty"`
}

// Run sweeps the organization once. It returns an error when the digest,
// some events or some cursor could not be delivered (the summary is still
// returned); an account or Region that could not be read is in the
// summary as not covered, with the error, and in one log line
// (config.MemberUnreachable) per account.
func (o *OrgSweeper) Run(ctx context.Context, t Trigger) (*OrgSummary, error) {
	start, t0 := o.now(), time.Now()
	if t.ID == "" {
		t.ID = "sweep-" + start.UTC().Format("20060102T150405Z")
	}
	if t.Time.IsZero() {
		t.Time = start
	}
	log := o.logger().With("sweep_id", t.ID)
	before := o.Calls.Stats()
	sum := &OrgSummary{
		Sweep: report.Event{ID: t.ID, Name: EventName, Source: EventSource, Account: t.Account, Region: t.Region,
			Time: t.Time.UTC().Format(time.RFC3339)},
		Mode: o.Config.Mode, Started: start.UTC(), Regions: slices.Clone(o.Regions),
		Actions: map[report.ActionStatus]int{}, Targets: []TargetResult{},
	}
	note := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		sum.Notes = append(sum.Notes, msg)
		log.WarnContext(ctx, msg)
	}

	b := newBudget(ctx, time.Now, o.Options.Reserve)
	healthCtx, cancelHealth := b.readContext(ctx)
	defer cancelHealth()
	healthReport := startHealth(healthCtx, o.Health)

	accounts := o.listAccounts(ctx, sum, note)
	sum.Accounts = len(accounts)
	rows := make([][]TargetResult, len(accounts))
	sem := make(chan struct{}, o.concurrency())
	var wg sync.WaitGroup
	for i, a := range accounts {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			rows[i] = o.sweepAccount(ctx, log, t, a, b)
		})
	}
	wg.Wait()

	var errs []error
	for _, r := range rows {
		for _, row := range r {
			sum.add(row)
			if row.Summary != nil && row.Error != "" {
				errs = append(errs, fmt.Errorf("account %s (%s): %s", row.Account, row.Region, row.Error))
			}
		}
	}
	slices.SortStableFunc(sum.Findings.ByCheck, func(a, b CheckCount) int { return cmp.Compare(catalogueIndex(a.ID), catalogueIndex(b.ID)) })
	if sum.NotCovered > 0 {
		note("%d of %d account/Region pairs were not covered; their rows say why", sum.NotCovered, len(sum.Targets))
	}
	sum.API = o.Calls.Stats().since(before)
	sum.AssumeRoles = sum.API.ByOperation["sts:AssumeRole"]
	sum.Elapsed = millis(time.Since(t0))
	sum.Delivery.Events = o.eventsDelivery(sum)
	sum.Delivery.State = o.stateDelivery(sum)
	var hubsOff []string
	sum.Delivery.SecurityHub, hubsOff = o.securityHubDelivery(sum)
	if len(hubsOff) > 0 {
		note("Security Hub is not enabled in %d account/Region pair(s), so their findings are not there: %s", len(hubsOff), strings.Join(hubsOff, ", "))
	}
	if sum.Health = healthReport(); sum.Health != nil {
		sum.Health.Account = sum.Sweep.Account
	}
	var healthErr error
	if sum.Delivery.Health, healthErr = sendHealth(ctx, log, o.Events, o.Config.EventBus, sum.Health); healthErr != nil {
		errs = append(errs, healthErr)
	}
	log.InfoContext(ctx, "swept the organization", "accounts", sum.Accounts, "regions", len(sum.Regions), "covered", sum.Covered,
		"partial", sum.Partial, "not_covered", sum.NotCovered, "findings", sum.Findings.Total, "assume_role_calls", sum.AssumeRoles,
		"api_calls", sum.API.Total, "elapsed_ms", sum.Elapsed)

	sum.Digest = RenderOrganization(sum)
	if err := o.publish(ctx, log, sum); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		log.ErrorContext(ctx, "sweep not fully delivered", "error", err.Error())
		return sum, err
	}
	return sum, nil
}

// listAccounts is the accounts to sweep, and where they came from.
func (o *OrgSweeper) listAccounts(ctx context.Context, sum *OrgSummary, note func(string, ...any)) []Account {
	fromEnv := func(why string) []Account {
		out := make([]Account, 0, len(o.Accounts))
		for _, id := range o.Accounts {
			out = append(out, Account{ID: id})
		}
		sum.Source = config.EnvAccounts + " (" + why + ")"
		return out
	}
	switch {
	case len(o.Accounts) > 0 && (o.PreferAccounts || o.Organization == nil):
		return fromEnv("set")
	case o.Organization == nil:
		note("no account to sweep: Organizations is not configured and %s is unset", config.EnvAccounts)
		sum.Source = "none"
		return nil
	}
	active, inactive, err := o.Organization.List(ctx)
	if err != nil {
		if len(o.Accounts) > 0 {
			note("the organization's accounts could not be listed, so %s was swept instead: %v", config.EnvAccounts, err)
			return fromEnv("Organizations could not be read")
		}
		note("the organization's accounts could not be listed and %s is unset, so no account was swept: %v", config.EnvAccounts, err)
		sum.Source = "none: Organizations could not be read"
		return nil
	}
	sum.Source = "Organizations: the whole organization (ListAccounts)"
	if len(o.Organization.Parents) > 0 {
		sum.Source = "Organizations: " + strings.Join(o.Organization.Parents, ", ") + " and the OUs under them"
	}
	if len(inactive) > 0 {
		note("%d account(s) are not active and were not swept: %s", len(inactive), strings.Join(inactive, ", "))
	}
	return active
}

// sweepAccount sweeps one account in each Region, one Region after the
// other. A member role that cannot be assumed leaves every Region of the
// account not covered, with one alarm line.
func (o *OrgSweeper) sweepAccount(ctx context.Context, log *slog.Logger, t Trigger, a Account, b budget) []TargetResult {
	out := make([]TargetResult, 0, len(o.Regions))
	var roleErr error
	for _, region := range o.Regions {
		row := TargetResult{Account: a.ID, Name: a.Name, Region: region, Status: TargetNotCovered}
		switch {
		case roleErr != nil:
			row.Error = roleErr.Error() // the same role, refused once per account
		case ctx.Err() != nil || b.describeOver():
			row.Error = "not started: the time budget ran out (the next run starts again from this account's cursor)"
		default:
			o.sweepTarget(ctx, log, t, &row, &roleErr)
		}
		out = append(out, row)
	}
	return out
}

func (o *OrgSweeper) sweepTarget(ctx context.Context, log *slog.Logger, t Trigger, row *TargetResult, roleErr *error) {
	tlog := log.With("account", row.Account, "region", row.Region)
	// A member session opened (or renewed) during this account's sweep is
	// named after the run.
	ctx = app.WithSessionName(ctx, t.ID)
	clients, err := o.Clients.Clients(ctx, row.Account, row.Region)
	if err != nil {
		row.Error = err.Error()
		var ae *app.AccountError
		if errors.As(err, &ae) && ae.RoleARN != "" {
			*roleErr = err
		}
		tlog.ErrorContext(ctx, config.MemberUnreachable, "error", err.Error())
		return
	}
	var rem Remediator = remediate.New(clients.EC2, o.Config, tlog)
	if o.NewRemediator != nil {
		rem = o.NewRemediator(clients, tlog)
	}
	s := &Sweeper{
		Gatherer: clients.Gatherer(), Config: o.Config, Options: o.Options,
		Remediator: rem, Events: o.Events, Index: o.Index, Log: tlog, Now: o.Now,
		SecurityHub: o.SecurityHub,
	}
	if o.Store != nil {
		s.Store = o.Store(row.Account, row.Region)
	}
	sum, err := s.Run(ctx, Trigger{ID: t.ID, Time: t.Time, Account: row.Account, Region: row.Region})
	row.Summary = sum
	if err != nil {
		row.Error = "not fully delivered: " + err.Error()
	}
	sum.Delivery.Digest = "in the organization digest"
	switch {
	case sum.Coverage.PassComplete:
		row.Status = TargetCovered
	case sum.Coverage.ModelsEvaluated > 0 || sum.Coverage.ResumedAfter != "":
		row.Status = TargetPartial
	default:
		row.Status = TargetNotCovered
		row.Error = cmp.Or(row.Error, sum.Coverage.Stopped, strings.Join(sum.Notes, "; "), "no model was evaluated")
	}
}

// add counts one row into the summary.
func (sum *OrgSummary) add(row TargetResult) {
	sum.Targets = append(sum.Targets, row)
	switch row.Status {
	case TargetCovered:
		sum.Covered++
	case TargetPartial:
		sum.Partial++
	default:
		sum.NotCovered++
	}
	s := row.Summary
	if s == nil {
		return
	}
	sum.Results = append(sum.Results, s.Results...)
	sum.Models += s.Coverage.ModelsEvaluated
	sum.VPCs += s.VPCs
	f := &sum.Findings
	if f.BySeverity == nil {
		f.BySeverity = map[report.Severity]int{}
	}
	f.Total += s.Findings.Total
	f.VPCs += s.Findings.VPCs
	f.Failed += s.Findings.Failed
	f.Unknown += s.Findings.Unknown
	for sev, n := range s.Findings.BySeverity {
		f.BySeverity[sev] += n
	}
	for _, c := range s.Findings.ByCheck {
		i := slices.IndexFunc(f.ByCheck, func(x CheckCount) bool { return x.ID == c.ID })
		if i < 0 {
			f.ByCheck = append(f.ByCheck, CheckCount{ID: c.ID, Severity: c.Severity})
			i = len(f.ByCheck) - 1
		}
		f.ByCheck[i].Fail += c.Fail
		f.ByCheck[i].Unknown += c.Unknown
		f.ByCheck[i].Models += c.Models
	}
	for st, n := range s.Actions {
		sum.Actions[st] += n
	}
}

func catalogueIndex(id string) int {
	return slices.IndexFunc(checks.Catalogue(), func(d checks.Definition) bool { return d.ID == id })
}

func (o *OrgSweeper) eventsDelivery(sum *OrgSummary) string {
	switch {
	case o.Config.EventBus == "":
		return "not sent: VPCGUARD_EVENT_BUS is unset"
	case o.Events == nil:
		return "not sent: publishing is off (local run without -publish)"
	}
	failed := 0
	for _, r := range sum.Targets {
		if r.Summary != nil && strings.HasPrefix(r.Summary.Delivery.Events, "failed") {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Sprintf("failed for %d account/Region pair(s) (see their rows)", failed)
	}
	return "sent to " + o.Config.EventBus + " by each account and Region"
}

func (o *OrgSweeper) stateDelivery(sum *OrgSummary) string {
	if o.Store == nil {
		return "not kept (" + EnvState + " unset): every run starts from the first model of each account and Region"
	}
	saved := 0
	for _, r := range sum.Targets {
		if r.Summary != nil && strings.HasPrefix(r.Summary.Delivery.State, "saved") {
			saved++
		}
	}
	return fmt.Sprintf("a cursor per account and Region, %d saved", saved)
}

// publish sends the organization digest.
func (o *OrgSweeper) publish(ctx context.Context, log *slog.Logger, sum *OrgSummary) error {
	switch {
	case o.Config.TopicARN == "":
		sum.Delivery.Digest = "not sent: VPCGUARD_TOPIC_ARN is unset"
		return nil
	case o.SNS == nil:
		sum.Delivery.Digest = "not sent: publishing is off (local run without -publish)"
		return nil
	}
	out, err := o.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(o.Config.TopicARN), Subject: aws.String(sum.Digest.Subject), Message: aws.String(sum.Digest.Body),
		MessageAttributes: orgDigestAttributes(sum),
	}, retrySNSThrottled)
	if err != nil {
		sum.Delivery.Digest = "failed: " + err.Error()
		return fmt.Errorf("sns publish to %s: %w", o.Config.TopicARN, err)
	}
	sum.Delivery.Digest = "sent to " + o.Config.TopicARN + " (message " + aws.ToString(out.MessageId) + ")"
	log.InfoContext(ctx, "digest sent", "topic", o.Config.TopicARN, "message_id", aws.ToString(out.MessageId), "subject", sum.Digest.Subject)
	return nil
}

// orgDigestAttributes are the single-account digest's attributes, with
// account "organization" and the Regions swept.
func orgDigestAttributes(sum *OrgSummary) map[string]snstypes.MessageAttributeValue {
	one := &Summary{Sweep: sum.Sweep, Findings: sum.Findings, Actions: sum.Actions, Health: sum.Health}
	one.Sweep.Account = "organization"
	one.Sweep.Region = strings.Join(sum.Regions, ",")
	return digestAttributes(one)
}

// RenderOrganization writes the digest of an organization sweep.
func RenderOrganization(sum *OrgSummary) Digest {
	sev := "OK"
	if s := digestSeverity(sum.Findings, sum.Health); s != "" && s != report.SeverityInfo {
		sev = strings.ToUpper(string(s))
	}
	head := fmt.Sprintf("[vpcguard] %s organization sweep: ", sev)
	if h := healthSubject(sum.Health); h != "" {
		head += h + "; "
	}
	findings := plural(sum.Findings.Total, "finding", "findings")
	where := fmt.Sprintf(" in %s, %s", plural(sum.Accounts, "account", "accounts"), plural(len(sum.Regions), "Region", "Regions"))
	coverage := ""
	if sum.NotCovered > 0 {
		coverage = fmt.Sprintf(" (%d not covered)", sum.NotCovered)
	} else if sum.Partial > 0 {
		coverage = " (partial)"
	}
	subject := head + findings + where + coverage
	if len(subject) > maxSubject { // the health and the coverage matter more than the counts
		subject = head + findings + coverage
	}

	var w lines
	healthAtTop(&w, sum.Health)
	w.add("vpcguard organization sweep from account %s (%s mode)", or(sum.Sweep.Account, "unknown"), sum.Mode)
	w.add("Run %s started %s and took %s.", sum.Sweep.ID, sum.Started.Format(time.RFC3339), seconds(sum.Elapsed))
	w.add("Accounts from %s; Regions %s.", sum.Source, or(strings.Join(sum.Regions, ", "), "none"))
	w.add("")
	w.add("COVERAGE: %d of %s covered, %d partial, %d NOT COVERED", sum.Covered,
		plural(len(sum.Targets), "account/Region", "account/Regions"), sum.Partial, sum.NotCovered)
	w.add("")
	w.add("  %-12s  %-20s  %-14s  %7s  %5s  %8s  %-8s  %s", "ACCOUNT", "NAME", "REGION", "MODELS", "VPCS", "FINDINGS", "HIGHEST", "STATUS")
	for _, r := range sum.Targets {
		models, vpcs, findings, highest := "-", "-", "-", "-"
		if s := r.Summary; s != nil {
			models = commas(s.Coverage.ModelsEvaluated)
			vpcs, findings = commas(s.VPCs), commas(s.Findings.Total)
			highest = or(string(highestOf(s.Findings)), "none")
		}
		status := r.Status
		if r.Status == TargetNotCovered {
			status = "NOT COVERED"
		} else if r.Error != "" {
			status += " (" + r.Error + ")"
		}
		w.add("  %-12s  %-20s  %-14s  %7s  %5s  %8s  %-8s  %s", r.Account, clipASCII(or(r.Name, "-"), 20), r.Region, models, vpcs, findings, highest, status)
	}
	w.add("")
	if sum.NotCovered > 0 {
		w.add("NOT COVERED: nothing was evaluated there")
		// One line per account and reason, with its Regions.
		type reason struct{ account, name, err string }
		var order []reason
		regions := map[reason][]string{}
		for _, r := range sum.Targets {
			if r.Status != TargetNotCovered {
				continue
			}
			k := reason{r.Account, r.Name, r.Error}
			if regions[k] == nil {
				order = append(order, k)
			}
			regions[k] = append(regions[k], r.Region)
		}
		for _, k := range order {
			w.add("  %s %s (%s): %s", k.account, or(k.name, ""), strings.Join(regions[k], ", "), k.err)
		}
		w.add("")
	}
	findingsSection(&w, sum.Findings, "")
	w.add("")
	remediationSection(&w, sum.Mode, sum.Actions, ", in the accounts and Regions above.")
	w.add("")
	api := sum.API
	w.add("AWS CALLS: %s (%s AssumeRole), %s throttled and retried.", commas(api.Total), commas(sum.AssumeRoles), commas(api.Throttled))
	topOperations(&w, api, 48)
	healthAtEnd(&w, sum.Health)
	notesSection(&w, sum.Notes)
	w.add("")
	w.add("Each failing check of each VPC is also a \"vpcguard Finding\" event naming its account and Region when")
	w.add("VPCGUARD_EVENT_BUS is set; run the sweep locally (go run ./functions/sweep -results) for every resource by name.")
	return Digest{Subject: clipASCII(subject, maxSubject), Body: w.String()}
}

func highestOf(f FindingCounts) report.Severity {
	for _, s := range []report.Severity{report.SeverityCritical, report.SeverityHigh, report.SeverityMedium, report.SeverityLow} {
		if f.BySeverity[s] > 0 {
			return s
		}
	}
	return ""
}

// TargetStateURI is the cursor location of one account and Region, next
// to the single-account one: s3://bucket/sweep/state.json →
// s3://bucket/sweep/<account>/<region>/state.json (a file path likewise).
func TargetStateURI(uri, account, region string) string {
	if uri == "" {
		return ""
	}
	bucket, key, err := parseStateURI(uri)
	if err != nil {
		return ""
	}
	dir, file := path.Split(key)
	key = dir + account + "/" + region + "/" + file
	if bucket == "" {
		return key
	}
	return "s3://" + bucket + "/" + key
}

func (o *OrgSweeper) concurrency() int {
	if o.Concurrency > 0 {
		return o.Concurrency
	}
	return DefaultAccountConcurrency
}

func (o *OrgSweeper) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *OrgSweeper) logger() *slog.Logger {
	if o.Log != nil {
		return o.Log
	}
	return slog.New(slog.DiscardHandler)
}
