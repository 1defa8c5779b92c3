package sweep

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/vpcguard/vpcguard/pkg/health"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// HealthChecker runs vpcguard's self-check (pkg/health); *health.Checker
// is one.
type HealthChecker interface {
	Check(ctx context.Context) health.Report
}

// healthOK reports whether the run's health check found nothing to say
// (or did not run).
func (sum *Summary) healthOK() bool {
	return sum.Health == nil || sum.Health.Status == report.StatusPass
}

// severity is the digest's severity: the highest of the findings' and
// the health items' that are not OK.
func (sum *Summary) severity() report.Severity {
	var sev report.Severity
	for _, s := range []report.Severity{report.SeverityCritical, report.SeverityHigh, report.SeverityMedium, report.SeverityLow} {
		if sum.Findings.BySeverity[s] > 0 {
			sev = s
			break
		}
	}
	if !sum.healthOK() && sum.Health.Severity.Rank() > sev.Rank() {
		sev = sum.Health.Severity
	}
	return sev
}

// healthSubject is what the subject says of the health check, or "".
func (sum *Summary) healthSubject() string {
	switch {
	case sum.healthOK():
		return ""
	case sum.Health.NotSeeingEvents:
		return "NOT SEEING EVENTS"
	case sum.Health.Status == report.StatusFail:
		return "HEALTH FAILING"
	}
	return "HEALTH UNVERIFIED"
}

// healthLines are the digest's health section.
func (sum *Summary) healthLines() []string {
	if sum.Health == nil {
		return []string{"HEALTH: not checked"}
	}
	return sum.Health.Lines()
}

// sendHealth puts one "vpcguard Health" event when the health check found
// an item failing or unverified.
func (s *Sweeper) sendHealth(ctx context.Context, log *slog.Logger, sum *Summary) error {
	switch {
	case sum.Health == nil:
		return nil
	case sum.healthOK():
		sum.Delivery.Health = "not sent: every health item passes"
		return nil
	case s.Config.EventBus == "":
		sum.Delivery.Health = "not sent: VPCGUARD_EVENT_BUS is unset"
		return nil
	case s.Events == nil:
		sum.Delivery.Health = "not sent: publishing is off (local run without -publish)"
		return nil
	}
	entry, err := health.Entry(*sum.Health, s.Config.EventBus)
	if err != nil {
		sum.Delivery.Health = "failed: " + err.Error()
		return err
	}
	out, err := s.Events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
	if err == nil && out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		e := out.Entries[0]
		err = fmt.Errorf("entry rejected: %s: %s", deref(e.ErrorCode), deref(e.ErrorMessage))
	}
	if err != nil {
		sum.Delivery.Health = "failed: " + err.Error()
		return fmt.Errorf("%s event: %w", health.DetailType, err)
	}
	sum.Delivery.Health = fmt.Sprintf("%q event sent to %s", health.DetailType, s.Config.EventBus)
	failing := []string{}
	for _, it := range sum.Health.Failing() {
		failing = append(failing, it.ID)
	}
	log.WarnContext(ctx, "vpcguard health", "status", string(sum.Health.Status), "not_seeing_events", sum.Health.NotSeeingEvents, "items", strings.Join(failing, ","))
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
