package notify

import (
	"context"
	"fmt"

	"github.com/vpcguard/vpcguard/pkg/report"
)

// The channels Notify delivers on, by name: an event's handling records
// each one it completed (pkg/ledger's progress), so a retried event repeats
// only the channels that failed.
const (
	ChannelEmail  = "email"  // SNS, VPCGUARD_TOPIC_ARN
	ChannelEvents = "events" // EventBridge, VPCGUARD_EVENT_BUS
)

// Channels are the channels Notify would deliver r on: those configured,
// when r deserves a notification at all.
func (n Notifier) Channels(r report.Result) []string {
	if r.Skipped != "" || !ShouldNotify(r, n.NotifyCompliant) {
		return nil
	}
	var out []string
	if n.TopicARN != "" {
		out = append(out, ChannelEmail)
	}
	if n.EventBus != "" {
		out = append(out, ChannelEvents)
	}
	return out
}

// NotifyChannel delivers r on one channel of Channels.
func (n Notifier) NotifyChannel(ctx context.Context, r report.Result, channel string) error {
	log := n.logger().With("event_id", r.Event.ID, "event_name", r.Event.Name)
	switch channel {
	case ChannelEmail:
		return n.publish(ctx, log, r)
	case ChannelEvents:
		return n.putEvents(ctx, log, r)
	}
	return fmt.Errorf("notify: no channel %q", channel)
}
