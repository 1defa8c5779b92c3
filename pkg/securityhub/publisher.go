package securityhub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"

	"github.com/vpcguard/vpcguard/pkg/report"
)

// BatchImportFindings and GetFindings limits (Security Hub API Reference:
// BatchImportFindingsRequest.Findings has 1 to 100 members; a GetFindings
// filter attribute takes up to 20 values; MaxResults is at most 100).
const (
	MaxImportBatch   = 100
	maxFilterValues  = 20
	maxFindingsPage  = 100
	importRate       = 10 // BatchImportFindings: rate limit 10 requests per second per account and Region
	getRate          = 3  // GetFindings: rate limit 3 requests per second
	notEnabledCode   = "InvalidAccessException"
	notEnabledAdvice = "enable Security Hub in that account and Region, or set VPCGUARD_SECURITY_HUB=false"
)

// Publisher writes findings to Security Hub: Publish for one event's
// result, Reconcile for a sweep's. Its methods are safe for concurrent use.
type Publisher struct {
	Hubs    Hubs
	Options Options
	Log     *slog.Logger
	// ImportRate and GetRate are the calls per second per account and
	// Region vpcguard allows itself (default: Security Hub's rate limits,
	// 10 and 3); the SDK's retryer absorbs the throttling that remains.
	ImportRate, GetRate float64

	mu     sync.Mutex
	pacers map[string]*pacer
}

// Publish writes the findings of an event's result: the failing and
// unverified ones ACTIVE, and, for each that Security Hub holds ACTIVE, the
// passing ones ARCHIVED. at is when the evaluation began (a finding a newer
// evaluation wrote is left alone). The delivery is nil for a skipped event.
// Security Hub not being enabled is reported in the delivery and logged,
// and is not an error; a refused finding (after one retry) or a failed call
// is.
func (p *Publisher) Publish(ctx context.Context, r report.Result, at time.Time) (*report.SecurityHubDelivery, error) {
	if r.Skipped != "" {
		return nil, nil
	}
	account, region := r.Event.Account, r.Event.Region
	s, d, err := p.open(ctx, account, region)
	if s == nil {
		return d, err
	}
	findings := collect([]report.Result{r}, at, p.Options)
	if len(findings) == 0 {
		d.Status = report.SecurityHubNothing
		return d, nil
	}
	active, err := s.activeByID(ctx, findings)
	if err != nil {
		return s.failed(ctx, err)
	}
	return s.write(ctx, plan(findings, active, at, nil))
}

// Sweep is the scope of one sweep for Reconcile.
type Sweep struct {
	Account, Region string
	EventID         string    // the sweep's id, in ProductFields
	At              time.Time // when the sweep began reading state
	// Complete is true when the run evaluated every model of the account
	// from the start of a pass: a vpcguard finding it has no verdict for is
	// then about a resource that is gone or that no model uses any more.
	Complete bool
}

// Reconcile makes Security Hub hold the sweep's truth: it reads every ACTIVE
// vpcguard finding of the account and Region (GetFindings, paged), writes
// the failing ones, archives those whose resource now passes and, when the
// sweep was complete, those it no longer saw. A check that could not be
// verified somewhere, or a verdict about no single resource (a model that
// could not be described), keeps that check's unseen findings as they are.
func (p *Publisher) Reconcile(ctx context.Context, results []report.Result, sw Sweep) (*report.SecurityHubDelivery, error) {
	s, d, err := p.open(ctx, sw.Account, sw.Region)
	if s == nil {
		return d, err
	}
	scoped := make([]report.Result, len(results))
	for i, r := range results {
		r.Event.Account, r.Event.Region = cmp.Or(r.Event.Account, sw.Account), cmp.Or(r.Event.Region, sw.Region)
		scoped[i] = r
	}
	findings := collect(scoped, sw.At, p.Options)
	named := make(map[string]bool, len(findings))
	for _, f := range findings {
		named[f.ID()] = true
	}
	active, err := s.allActive(ctx, named)
	if err != nil {
		return s.failed(ctx, err)
	}
	var gone *goneRule
	if sw.Complete {
		uncertain, all := uncertainChecks(scoped)
		gone = &goneRule{uncertain: uncertain, none: all, sweep: sw}
	}
	return s.write(ctx, plan(findings, active, sw.At, gone))
}

// session is one account and Region's Security Hub during one call.
type session struct {
	p       *Publisher
	hub     API
	product string
	prefix  string
	d       *report.SecurityHubDelivery
	log     *slog.Logger
	pace    *pacer
	getPace *pacer
}

// open reaches the Security Hub of account in region. A nil session means
// nothing is to be sent; the delivery (and error, if any) say why.
func (p *Publisher) open(ctx context.Context, account, region string) (*session, *report.SecurityHubDelivery, error) {
	d := &report.SecurityHubDelivery{Account: account, Region: region}
	log := p.logger().With("security_hub_account", account, "security_hub_region", region)
	if account == "" || region == "" {
		d.Status, d.Message = report.SecurityHubRefused, "the account or Region is unknown: nothing sent"
		log.WarnContext(ctx, "security hub: "+d.Message)
		return nil, d, nil
	}
	hub, err := p.Hubs.Hub(ctx, account, region)
	if errors.Is(err, ErrNotServed) {
		d.Status, d.Message = report.SecurityHubRefused, err.Error()+": nothing sent"
		log.WarnContext(ctx, "security hub: findings not sent", "reason", err.Error())
		return nil, d, nil
	}
	if err != nil {
		d.Status, d.Message = report.SecurityHubFailed, err.Error()
		return nil, d, fmt.Errorf("security hub of %s in %s: %w", account, region, err)
	}
	part := p.Options.partition()
	return &session{
		p: p, hub: hub, d: d, log: log,
		product: ProductARN(part, region, account),
		prefix:  IDPrefix(part, region, account),
		pace:    p.pacer("import/"+account+"/"+region, cmp.Or(p.ImportRate, importRate)),
		getPace: p.pacer("get/"+account+"/"+region, cmp.Or(p.GetRate, getRate)),
	}, d, nil
}

func (p *Publisher) logger() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

// failed reports a call's error in the delivery. Security Hub not being
// enabled is logged (once: the session stops at it) and is not an error.
func (s *session) failed(ctx context.Context, err error) (*report.SecurityHubDelivery, error) {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == notEnabledCode {
		s.d.Status = report.SecurityHubNotEnabled
		s.d.Message = api.ErrorMessage() + " (" + notEnabledCode + "): no finding written; " + notEnabledAdvice
		s.log.WarnContext(ctx, "security hub is not enabled: findings not written", "error", api.ErrorMessage(), "advice", notEnabledAdvice)
		return s.d, nil
	}
	s.d.Status, s.d.Message = report.SecurityHubFailed, err.Error()
	s.log.ErrorContext(ctx, "security hub call failed", "error", err.Error())
	return s.d, fmt.Errorf("security hub of %s in %s: %w", s.d.Account, s.d.Region, err)
}

// existing is what vpcguard needs to know of a finding Security Hub holds.
type existing struct {
	createdAt, firstObservedAt string
	updatedAt                  time.Time
	finding                    *types.AwsSecurityFinding // kept for findings no verdict names (Reconcile)
}

func existingOf(f types.AwsSecurityFinding, keep bool) existing {
	e := existing{createdAt: aws.ToString(f.CreatedAt), firstObservedAt: aws.ToString(f.FirstObservedAt)}
	e.updatedAt, _ = time.Parse(time.RFC3339Nano, aws.ToString(f.UpdatedAt))
	if keep {
		e.finding = &f
	}
	return e
}

// activeByID reads which of the findings Security Hub holds ACTIVE, 20 Ids
// per GetFindings call.
func (s *session) activeByID(ctx context.Context, findings []Finding) (map[string]existing, error) {
	out := map[string]existing{}
	for start := 0; start < len(findings); start += maxFilterValues {
		end := min(start+maxFilterValues, len(findings))
		ids := make([]types.StringFilter, 0, end-start)
		for _, f := range findings[start:end] {
			ids = append(ids, types.StringFilter{Comparison: types.StringFilterComparisonEquals, Value: f.ASFF.Id})
		}
		err := s.pages(ctx, types.AwsSecurityFindingFilters{Id: ids}, func(f types.AwsSecurityFinding) {
			out[aws.ToString(f.Id)] = existingOf(f, false)
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// allActive reads every ACTIVE vpcguard finding of the session's account
// and Region; it keeps the whole finding only of those no verdict names
// (the ones a complete sweep may archive as gone).
func (s *session) allActive(ctx context.Context, named map[string]bool) (map[string]existing, error) {
	out := map[string]existing{}
	prefix := []types.StringFilter{{Comparison: types.StringFilterComparisonPrefix, Value: aws.String(s.prefix)}}
	err := s.pages(ctx, types.AwsSecurityFindingFilters{Id: prefix}, func(f types.AwsSecurityFinding) {
		out[aws.ToString(f.Id)] = existingOf(f, !named[aws.ToString(f.Id)])
	})
	return out, err
}

// pages calls GetFindings for vpcguard's ACTIVE findings that also match
// filters, page by page.
func (s *session) pages(ctx context.Context, filters types.AwsSecurityFindingFilters, each func(types.AwsSecurityFinding)) error {
	filters.ProductArn = []types.StringFilter{{Comparison: types.StringFilterComparisonEquals, Value: aws.String(s.product)}}
	filters.RecordState = []types.StringFilter{{Comparison: types.StringFilterComparisonEquals, Value: aws.String(string(types.RecordStateActive))}}
	var token *string
	for {
		if err := s.getPace.wait(ctx); err != nil {
			return err
		}
		out, err := s.hub.GetFindings(ctx, &securityhub.GetFindingsInput{
			Filters: &filters, MaxResults: aws.Int32(maxFindingsPage), NextToken: token,
		})
		if err != nil {
			return fmt.Errorf("GetFindings: %w", err)
		}
		for _, f := range out.Findings {
			each(f)
		}
		if aws.ToString(out.NextToken) == "" {
			return nil
		}
		token = out.NextToken
	}
}

// goneRule decides which unseen ACTIVE findings a complete sweep archives.
type goneRule struct {
	uncertain map[string]bool // checks that could not be verified somewhere
	none      bool            // archive no unseen finding at all
	sweep     Sweep
}

// work is what to write and how many findings were left alone.
type work struct {
	write     []types.AwsSecurityFinding
	unchanged int
}

// plan decides what to write. A finding to be ACTIVE is written unless
// Security Hub holds it ACTIVE from a newer evaluation. An update of an
// ACTIVE finding keeps its CreatedAt and FirstObservedAt, archiving
// included; a finding that reopens after it was archived starts anew. A finding to be archived is written only when
// Security Hub holds it ACTIVE from an older evaluation, or when it records
// something (a repair, an exemption). With gone, the ACTIVE findings no
// verdict names are archived as well.
func plan(findings []Finding, active map[string]existing, at time.Time, gone *goneRule) work {
	var w work
	named := make(map[string]bool, len(findings))
	for _, f := range findings {
		named[f.ID()] = true
		ex, isActive := active[f.ID()]
		switch {
		case isActive && !ex.updatedAt.Before(at):
			w.unchanged++ // a newer evaluation wrote it
		case f.Active() || isActive || f.Record:
			a := f.ASFF
			if isActive {
				a.CreatedAt, a.FirstObservedAt = aws.String(ex.createdAt), aws.String(cmp.Or(ex.firstObservedAt, ex.createdAt))
			}
			fit(&a)
			w.write = append(w.write, a)
		default:
			w.unchanged++ // passes, and never failed (or is archived already)
		}
	}
	if gone == nil || gone.none {
		return w
	}
	for _, id := range sortedIDs(active) {
		ex := active[id]
		if named[id] || ex.finding == nil || !ex.updatedAt.Before(at) || gone.uncertain[aws.ToString(ex.finding.GeneratorId)] {
			continue
		}
		w.write = append(w.write, archiveGone(*ex.finding, at, gone.sweep))
	}
	return w
}

func sortedIDs(m map[string]existing) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// archiveGone is the archived version of a finding whose resource a
// complete sweep no longer saw. Only the provider's fields are sent:
// Security Hub keeps the Workflow, Note, UserDefinedFields and
// VerificationState that people set.
func archiveGone(ex types.AwsSecurityFinding, at time.Time, sw Sweep) types.AwsSecurityFinding {
	ts := timestamp(at)
	fields := map[string]string{}
	for k, v := range ex.ProductFields {
		if !strings.HasPrefix(k, "aws/") { // Security Hub's own keys
			fields[k] = v
		}
	}
	fields["vpcguard/CheckStatus"] = "gone"
	if sw.EventID != "" {
		fields["vpcguard/EventId"] = sw.EventID
	}
	fields["vpcguard/EventName"] = "Sweep"
	types_ := ex.Types
	if ex.FindingProviderFields != nil && len(ex.FindingProviderFields.Types) > 0 {
		types_ = ex.FindingProviderFields.Types
	}
	if len(types_) == 0 {
		types_ = []string{FindingType}
	}
	var requirements []string
	if ex.Compliance != nil {
		requirements = ex.Compliance.RelatedRequirements
	}
	sev := &types.Severity{Label: types.SeverityLabelInformational}
	if ex.Severity != nil {
		sev.Original = ex.Severity.Original
	}
	f := types.AwsSecurityFinding{
		SchemaVersion: aws.String(SchemaVersion),
		Id:            ex.Id, ProductArn: ex.ProductArn, GeneratorId: ex.GeneratorId, AwsAccountId: ex.AwsAccountId,
		CompanyName: aws.String(CompanyName), ProductName: aws.String(ProductName),
		Types:     types_,
		CreatedAt: ex.CreatedAt, FirstObservedAt: ex.FirstObservedAt, LastObservedAt: ex.LastObservedAt,
		UpdatedAt: aws.String(ts),
		Severity:  sev,
		FindingProviderFields: &types.FindingProviderFields{
			Severity: &types.FindingProviderSeverity{Label: types.SeverityLabelInformational, Original: sev.Original},
			Types:    types_,
		},
		Title: ex.Title,
		Description: aws.String("No longer evaluated: the sweep found no SageMaker model that uses this resource (it was deleted, " +
			"or its models moved or were deleted). Last finding: " + aws.ToString(ex.Description)),
		Resources:     ex.Resources,
		Compliance:    &types.Compliance{Status: types.ComplianceStatusNotAvailable, RelatedRequirements: requirements},
		RecordState:   types.RecordStateArchived,
		ProductFields: fields,
	}
	fit(&f)
	return f
}

// uncertainChecks are the checks a complete sweep may not archive unseen
// findings of: those with an unverified verdict, and every check when some
// verdict is about no single resource (a model that could not be
// described may be any of them).
func uncertainChecks(results []report.Result) (checks map[string]bool, all bool) {
	out := map[string]bool{}
	for _, r := range results {
		for _, c := range r.Checks {
			if c.Status == report.StatusUnknown {
				out[c.ID] = true
			}
			for _, v := range c.Verdicts {
				if v.Status == report.StatusUnknown {
					out[c.ID] = true
					if !isResourceID(v.Subject.ID) {
						all = true
					}
				}
			}
		}
	}
	return out, all
}

// write imports w.write in batches of MaxImportBatch and retries the
// findings Security Hub refuses once.
func (s *session) write(ctx context.Context, w work) (*report.SecurityHubDelivery, error) {
	s.d.Unchanged = w.unchanged
	if len(w.write) == 0 {
		s.d.Status = report.SecurityHubNothing
		return s.d, nil
	}
	refused, err := s.importAll(ctx, w.write)
	if err != nil {
		return s.failed(ctx, err)
	}
	if len(refused) > 0 {
		s.log.WarnContext(ctx, "security hub refused findings; retrying them once", "refused", len(refused), "of", len(w.write))
		retry := make([]types.AwsSecurityFinding, 0, len(refused))
		for _, f := range w.write {
			if _, ok := refused[aws.ToString(f.Id)]; ok {
				retry = append(retry, f)
			}
		}
		refused, err = s.importAll(ctx, retry)
		if err != nil {
			return s.failed(ctx, err)
		}
	}
	for _, f := range w.write {
		if _, bad := refused[aws.ToString(f.Id)]; bad {
			continue
		}
		if f.RecordState == types.RecordStateActive {
			s.d.Active++
		} else {
			s.d.Archived++
		}
	}
	if len(refused) == 0 {
		s.d.Status = report.SecurityHubWritten
		s.log.InfoContext(ctx, "security hub findings written", "active", s.d.Active, "archived", s.d.Archived, "unchanged", s.d.Unchanged)
		return s.d, nil
	}
	var parts []string
	for _, id := range sortedKeys(refused) {
		s.d.Failed = append(s.d.Failed, id)
		parts = append(parts, id+": "+refused[id])
		s.log.ErrorContext(ctx, "security hub refused a finding", "id", id, "error", refused[id])
	}
	s.d.Status = report.SecurityHubFailed
	s.d.Message = fmt.Sprintf("%d of %d findings refused after one retry", len(refused), len(w.write))
	return s.d, fmt.Errorf("security hub refused %d of %d findings after one retry: %s", len(refused), len(w.write), strings.Join(parts, "; "))
}

// importAll sends findings in batches; it returns the refused ones, by Id,
// with "ErrorCode: ErrorMessage".
func (s *session) importAll(ctx context.Context, findings []types.AwsSecurityFinding) (map[string]string, error) {
	refused := map[string]string{}
	for start := 0; start < len(findings); start += MaxImportBatch {
		batch := findings[start:min(start+MaxImportBatch, len(findings))]
		if err := s.pace.wait(ctx); err != nil {
			return nil, err
		}
		out, err := s.hub.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: batch})
		if err != nil {
			return nil, fmt.Errorf("BatchImportFindings: %w", err)
		}
		for _, f := range out.FailedFindings {
			refused[aws.ToString(f.Id)] = aws.ToString(f.ErrorCode) + ": " + aws.ToString(f.ErrorMessage)
		}
	}
	return refused, nil
}

// collect renders the findings of results, one per Id: where several
// results judge one resource (a bucket or role shared across VPCs), the most
// urgent verdict wins. Verdicts about no single resource are left out.
func collect(results []report.Result, at time.Time, o Options) []Finding {
	var out []Finding
	index := map[string]int{}
	for _, r := range results {
		for _, f := range renderUnfitted(r, at, o) { // plan fits what it writes
			if !isResourceID(f.Subject.ID) {
				continue
			}
			i, seen := index[f.ID()]
			if !seen {
				index[f.ID()] = len(out)
				out = append(out, f)
				continue
			}
			if urgency(f.Status) > urgency(out[i].Status) {
				out[i] = f
			}
		}
	}
	return out
}

// urgency orders rendered statuses: a failure wins over an unverified
// check, which wins over an exemption, a pass and a check that no longer
// applies.
func urgency(s report.Status) int {
	switch s {
	case report.StatusFail:
		return 4
	case report.StatusUnknown:
		return 3
	case statusExempt:
		return 2
	case report.StatusPass:
		return 1
	}
	return 0
}

// isResourceID reports whether id can name a resource: AWS ids and names
// never hold white space, while a verdict about something that could not be
// read at all ("the account's models") does.
func isResourceID(id string) bool {
	return id != "" && strings.IndexFunc(id, unicode.IsSpace) < 0
}
