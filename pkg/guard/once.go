package guard

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// Exactly-once effects: each event id has a progress record (pkg/ledger)
// that notes every repair and every notification channel it completed. A
// retry of the event (Lambda's, after a partial failure) repeats only what
// did not complete, and a concurrent duplicate delivery does not deliver a
// channel the other one is delivering.

// Progress is where the handling of an event notes what it completed (the
// state table, or the ledger file).
type Progress interface {
	Begin(ctx context.Context, event ledger.EventKey) (ledger.Progress, bool, error)
	Claim(ctx context.Context, event ledger.EventKey, part, holder string, lease time.Duration) (ledger.ClaimResult, error)
	Complete(ctx context.Context, event ledger.EventKey, part string, action *report.Action) error
	Release(ctx context.Context, event ledger.EventKey, part, holder string) error
}

// ChannelNotifier is a Notifier that delivers channel by channel
// (*notify.Notifier is one).
type ChannelNotifier interface {
	Notifier
	Channels(r report.Result) []string
	NotifyChannel(ctx context.Context, r report.Result, channel string) error
}

// attemptRemediator is a Remediator that can be told which delivery of an
// event it serves (*remediate.Remediator is one).
type attemptRemediator interface {
	ForAttempt(remediate.Attempt) *remediate.Remediator
}

// ClaimLease is how long a notification channel claimed by one invocation
// is left to it: longer than the function's timeout, so a live claim means
// a live delivery; a dead invocation's claim is taken over after it.
const ClaimLease = 2 * time.Minute

// Progress parts.
const (
	partNotify = "notify " // + channel
	partRepair = "repair " // + remediate.StepKey
)

// attempt is the progress of one delivery of an event.
type attempt struct {
	store  Progress
	event  ledger.EventKey
	holder string
	log    *slog.Logger
	prev   ledger.Progress
}

// beginAttempt reads (or creates) the event's progress. Without a store or
// an event id it returns nil, and everything is done as if for the first
// time; when the store fails, too, with a warning.
func (h *Handler) beginAttempt(ctx context.Context, log *slog.Logger, ev report.Event) *attempt {
	if h.Progress == nil || ev.ID == "" {
		return nil
	}
	event := ledger.EventKey{Account: ev.Account, Region: ev.Region, Event: ev.ID}
	p, isNew, err := h.Progress.Begin(ctx, event)
	if err != nil {
		log.WarnContext(ctx, "the event's progress record is unavailable: a retry may repeat an email or an EventBridge entry", "error", err.Error())
		return nil
	}
	if !isNew {
		log.InfoContext(ctx, "retry of an event: repeating only what did not complete", "done", slices.Sorted(maps.Keys(p.Done)))
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &attempt{store: h.Progress, event: event, holder: "inv-" + hex.EncodeToString(b[:]), log: log, prev: p}
}

// remediateAttempt is what the Remediator needs of this delivery.
func (a *attempt) remediateAttempt(ev report.Event) remediate.Attempt {
	ra := remediate.Attempt{Event: ev}
	if a == nil {
		return ra
	}
	type done struct {
		key string
		at  time.Time
	}
	var order []done
	for part := range a.prev.Actions {
		if key, ok := strings.CutPrefix(part, partRepair); ok {
			order = append(order, done{key, a.prev.Done[part]})
		}
	}
	slices.SortFunc(order, func(x, y done) int { return cmp.Or(x.at.Compare(y.at), cmp.Compare(x.key, y.key)) })
	for _, d := range order {
		ra.Done = append(ra.Done, remediate.DoneStep{Key: d.key, Action: a.prev.Actions[partRepair+d.key]})
	}
	ra.Complete = func(ctx context.Context, key string, act report.Action) error {
		return a.store.Complete(ctx, a.event, partRepair+key, &act)
	}
	return ra
}

// notify delivers res channel by channel, skipping those an earlier
// delivery completed or another one is delivering now.
func (h *Handler) notify(ctx context.Context, a *attempt, res report.Result) error {
	cn, ok := h.Notifier.(ChannelNotifier)
	if a == nil || !ok {
		return h.Notifier.Notify(ctx, res)
	}
	var errs []error
	for _, ch := range cn.Channels(res) {
		part := partNotify + ch
		got, err := a.store.Claim(ctx, a.event, part, a.holder, ClaimLease)
		if err != nil {
			// Unknown: deliver rather than lose the notification.
			a.log.WarnContext(ctx, "progress unavailable; delivering anyway", "channel", ch, "error", err.Error())
			got = ledger.Claimed
		}
		switch got {
		case ledger.AlreadyDone:
			a.log.InfoContext(ctx, "not sent again: an earlier delivery of this event sent it", "channel", ch)
			continue
		case ledger.InProgress:
			a.log.InfoContext(ctx, "not sent: another delivery of this event is sending it now", "channel", ch)
			continue
		}
		if err := cn.NotifyChannel(ctx, res, ch); err != nil {
			if rerr := a.store.Release(context.WithoutCancel(ctx), a.event, part, a.holder); rerr != nil {
				a.log.WarnContext(ctx, "claim not released (it expires by itself)", "channel", ch, "error", rerr.Error())
			}
			errs = append(errs, err)
			continue
		}
		if err := a.store.Complete(context.WithoutCancel(ctx), a.event, part, nil); err != nil {
			a.log.WarnContext(ctx, "sent, but not recorded: a retry may send it again", "channel", ch, "error", err.Error())
		}
	}
	return errors.Join(errs...)
}
