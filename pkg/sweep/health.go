package sweep

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/health"
	"github.com/vpcguard/vpcguard/pkg/notify"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// HealthChecker runs vpcguard's self-check (pkg/health); *health.Checker
// is one.
type HealthChecker interface {
	Check(ctx context.Context) health.Report
}

// newHealthChecker is the self-check of the function's own deployment:
// the trail of its Region, its rules, topic, dead-letter queue and
// functions. In organization mode, and with several Regions, that is the
// central deployment; the report says what it does not read.
func newHealthChecker(c *app.Clients, cfg config.Config) *health.Checker {
	return &health.Checker{
		Readers: health.ReadersFrom(c.Config, c.Events, c.SNS),
		Targets: health.Targets{Region: c.Region, TopicARN: cfg.TopicARN, Health: cfg.Health, NotChecked: healthNotChecked(cfg, c.Region)},
	}
}

// forwarderStackSet is the StackSet that deploys the member accounts'
// forwarder (infra/org.go).
const forwarderStackSet = "vpcguard-forwarder"

// healthNotChecked is what the health check of the deployment in home
// does not read: the member accounts' side of organization mode (reading
// it would need more than the member role's guard permissions), and the
// trails of the other Regions served, where vpcguard has no rule.
func healthNotChecked(cfg config.Config, home string) []string {
	var out []string
	if cfg.Organization() {
		out = append(out, "the member accounts' trails, forwarder rules and forwarder dead-letter queues (StackSet "+forwarderStackSet+
			"): the member role may not read them")
	}
	var others []string
	for _, r := range cfg.Regions {
		if r != home {
			others = append(others, r)
		}
	}
	if len(others) > 0 {
		out = append(out, "this account's trails in "+strings.Join(others, ", ")+": vpcguard's rules are in "+home+
			", so the trail read is the one that feeds them there")
	}
	return out
}

// startHealth runs the self-check beside the sweep; the function it
// returns waits for the report (nil when h is nil).
func startHealth(ctx context.Context, h HealthChecker) func() *health.Report {
	if h == nil {
		return func() *health.Report { return nil }
	}
	done := make(chan struct{})
	var r health.Report
	go func() {
		defer close(done)
		r = h.Check(ctx)
	}()
	return func() *health.Report {
		<-done
		return &r
	}
}

// healthOK reports whether the health check found nothing to say (or did
// not run: h nil).
func healthOK(h *health.Report) bool {
	return h == nil || h.Status == report.StatusPass
}

// digestSeverity is a digest's severity: the highest of the findings' and
// of the health items' that are not OK.
func digestSeverity(f FindingCounts, h *health.Report) report.Severity {
	sev := highestOf(f)
	if !healthOK(h) && h.Severity.Rank() > sev.Rank() {
		sev = h.Severity
	}
	return sev
}

// healthSubject is what a digest's subject says of the health check, or "".
func healthSubject(h *health.Report) string {
	switch {
	case healthOK(h):
		return ""
	case h.NotSeeingEvents:
		return "NOT SEEING EVENTS"
	case h.Status == report.StatusFail:
		return "HEALTH FAILING"
	}
	return "HEALTH UNVERIFIED"
}

// healthAtTop leads a digest with the health section when an item fails
// or could not be verified: the rest may read as "compliant" only because
// vpcguard hears nothing.
func healthAtTop(w *lines, h *health.Report) {
	if healthOK(h) {
		return
	}
	w.add("%s", h.Headline())
	w.add("")
	healthLines(w, h)
	w.add("")
}

// healthAtEnd is the health section near the end of a digest, when every
// item passes (or the check did not run).
func healthAtEnd(w *lines, h *health.Report) {
	if !healthOK(h) {
		return
	}
	w.add("")
	healthLines(w, h)
}

func healthLines(w *lines, h *health.Report) {
	if h == nil {
		w.add("HEALTH: not checked")
		return
	}
	for _, l := range h.Lines() {
		w.add("%s", l)
	}
}

// sendHealth puts one "vpcguard Health" event on bus when the health check
// found an item failing or unverified, and says what it did (the
// summary's Delivery.Health; "" when the check did not run).
func sendHealth(ctx context.Context, log *slog.Logger, events notify.EventsPutter, bus string, h *health.Report) (string, error) {
	switch {
	case h == nil:
		return "", nil
	case healthOK(h):
		return "not sent: every health item passes", nil
	case bus == "":
		return "not sent: VPCGUARD_EVENT_BUS is unset", nil
	case events == nil:
		return "not sent: publishing is off (local run without -publish)", nil
	}
	entry, err := health.Entry(*h, bus)
	if err != nil {
		return "failed: " + err.Error(), err
	}
	out, err := events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
	if err == nil && out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		e := out.Entries[0]
		err = fmt.Errorf("entry rejected: %s: %s", deref(e.ErrorCode), deref(e.ErrorMessage))
	}
	if err != nil {
		return "failed: " + err.Error(), fmt.Errorf("%s event: %w", health.DetailType, err)
	}
	failing := []string{}
	for _, it := range h.Failing() {
		failing = append(failing, it.ID)
	}
	log.WarnContext(ctx, "vpcguard health", "status", string(h.Status), "not_seeing_events", h.NotSeeingEvents, "items", strings.Join(failing, ","))
	return fmt.Sprintf("%q event sent to %s", health.DetailType, bus), nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
