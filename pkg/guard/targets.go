package guard

import (
	"context"
	"errors"

	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/inventory"
)

// Targets picks where an event is read and repaired: its account and
// Region (organization mode, VPCGUARD_REGIONS). pkg/app's factory is one.
// A nil Targets reads every event through Handler.Gatherer and repairs it
// through Handler.Remediator (single-account mode).
type Targets interface {
	Target(ctx context.Context, call cloudtrail.Call) (Target, error)
}

// Target is the gatherer and remediator of one account and Region.
type Target struct {
	Gatherer   inventory.Gatherer
	Remediator Remediator // nil: nothing is planned or repaired
}

// ErrNotServed marks a Targets error about an account or Region vpcguard
// does not serve: the event is skipped with the reason, without an alarm.
// Any other Targets error (a member role that cannot be assumed) skips the
// event too, and logs config.MemberUnreachable.
var ErrNotServed = errors.New("not served by vpcguard")
