package sweep

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/placement"
)

// sweepIndex is the placement index as one run uses it: the models it
// already holds, and those of them the listing shows unchanged (same name
// and creation time), which the run does not describe again.
type sweepIndex struct {
	scope  *placement.Scope
	known  map[string]placement.Entry
	cached map[string]inventory.Model // by lower-cased name
}

// indexOf reads what the index holds for the account (one Query, paged).
// An unreadable index costs only the savings: every model is described,
// and the index is left as it is.
func (s *Sweeper) indexOf(ctx context.Context, account, region string, listed []inventory.ModelSummary, listErr error, note func(string, ...any)) *sweepIndex {
	x := &sweepIndex{}
	switch {
	case s.Index == nil:
		return x
	case account == "":
		note("the placement index is not used: the account is unknown (no model listed, no account in the trigger)")
		return x
	case listErr != nil:
		return x
	}
	x.scope = s.Index.In(account, region)
	known, err := x.scope.Models(ctx)
	if err != nil {
		note("the placement index could not be read, so every model is described and the index is left as it is: %v", err)
		x.scope = nil
		return x
	}
	x.known = known
	x.cached = map[string]inventory.Model{}
	for _, m := range listed {
		key := strings.ToLower(m.Name)
		if e, ok := known[key]; ok && e.Created.Equal(m.Created) {
			model := e.Model()
			model.Indexed = false // listed just now: it exists
			x.cached[key] = model
		}
	}
	return x
}

// sync brings the index up to date with the run and says what it did.
func (x *sweepIndex) sync(ctx context.Context, id string, listStart time.Time, listed []inventory.ModelSummary, listErr error,
	snap *inventory.Snapshot, usage inventory.EndpointUsage) string {
	if x.scope == nil {
		return ""
	}
	fromIndex := 0
	for _, m := range snap.Models {
		if _, ok := x.cached[strings.ToLower(m.Name)]; ok {
			fromIndex++
		}
	}
	sw := placement.Sweep{ID: id, Listed: listStart, Snapshot: snap, Endpoints: usage.Uses, EndpointsRead: usage.Err == nil}
	if listErr == nil {
		sw.Listing = listed
	}
	out, err := x.scope.Sync(ctx, x.known, sw)
	msg := fmt.Sprintf("%d of the %d models read came from the index (not described); %d indexed, %d removed; %d endpoint(s) written, %d removed",
		fromIndex, len(snap.Models), out.Added, out.Removed, out.EndpointsWritten, out.EndpointsGone)
	switch {
	case err != nil:
		msg += "; the index could not be brought up to date: " + err.Error()
	case out.Built:
		msg += "; the index holds every model of the account and answers the events"
	default:
		msg += "; not marked complete: " + out.BuiltNote
	}
	return msg
}
