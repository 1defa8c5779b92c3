package sweep

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/securityhub"
)

// Reconciler makes Security Hub hold a sweep's findings;
// *securityhub.Publisher is one.
type Reconciler interface {
	Reconcile(ctx context.Context, results []report.Result, sw securityhub.Sweep) (*report.SecurityHubDelivery, error)
}

// reconcileSecurityHub hands the run's results to the Reconciler. The
// findings are as of the run's start: an event evaluated after it wins.
// Only a run that evaluated the whole account archives the findings of
// resources it no longer saw.
func (s *Sweeper) reconcileSecurityHub(ctx context.Context, results []report.Result, sum *Summary, start time.Time, wholeAccount bool) error {
	if s.SecurityHub == nil {
		sum.Delivery.SecurityHub = "not written: VPCGUARD_SECURITY_HUB is off (or a local run without -publish)"
		return nil
	}
	d, err := s.SecurityHub.Reconcile(ctx, results, securityhub.Sweep{
		Account: sum.Sweep.Account, Region: sum.Sweep.Region, EventID: sum.Sweep.ID,
		At: start, Complete: wholeAccount,
	})
	sum.Delivery.SecurityHub = describeDelivery(d, wholeAccount)
	sum.securityHub = d
	return err
}

// securityHubDelivery totals the reconciliations of an organization
// sweep's accounts and Regions, each done in that account's own Security
// Hub; the pairs where it is not enabled are named.
func (o *OrgSweeper) securityHubDelivery(sum *OrgSummary) (delivery string, notEnabled []string) {
	if o.SecurityHub == nil {
		return "not written: VPCGUARD_SECURITY_HUB is off (or a local run without -publish)", nil
	}
	var pairs, active, archived, unchanged, failed int
	for _, r := range sum.Targets {
		if r.Summary == nil || r.Summary.securityHub == nil {
			continue // not covered, or the reconciliation did not run
		}
		d := r.Summary.securityHub
		switch d.Status {
		case report.SecurityHubNotEnabled:
			notEnabled = append(notEnabled, r.Account+" "+r.Region)
		case report.SecurityHubFailed, report.SecurityHubRefused:
			failed++
		}
		pairs++
		active, archived, unchanged = active+d.Active, archived+d.Archived, unchanged+d.Unchanged
	}
	delivery = fmt.Sprintf("reconciled in each account's own Security Hub, %d account/Region pair(s): %d ACTIVE and %d ARCHIVED findings written, %d unchanged",
		pairs, active, archived, unchanged)
	if len(notEnabled) > 0 {
		delivery += fmt.Sprintf("; not enabled in %d (%s)", len(notEnabled), strings.Join(notEnabled, ", "))
	}
	if failed > 0 {
		delivery += fmt.Sprintf("; failed in %d (see their rows)", failed)
	}
	return delivery, notEnabled
}

func describeDelivery(d *report.SecurityHubDelivery, wholeAccount bool) string {
	if d == nil {
		return "nothing written"
	}
	s := fmt.Sprintf("%s: %d ACTIVE and %d ARCHIVED findings written, %d unchanged, in account %s %s",
		d.Status, d.Active, d.Archived, d.Unchanged, d.Account, d.Region)
	if !wholeAccount {
		s += "; findings of resources this run did not see were kept (the run did not cover the whole account)"
	}
	if d.Message != "" {
		s += " (" + d.Message + ")"
	}
	return s
}
