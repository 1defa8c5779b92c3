// Package notify tells people and machines what vpcguard found: one plain-text
// SNS email per evaluated event that needs attention, and one EventBridge
// event per failing check and per remediation action.
//
// Rendering is pure (RenderEmail, Entries, Preview); Notifier publishes
// through narrow interfaces that the SDK's sns and eventbridge clients
// satisfy.
package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vpcguard/vpcguard/pkg/report"
)

// SNSPublisher is the part of *sns.Client that Notifier uses.
type SNSPublisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// EventsPutter is the part of *eventbridge.Client that Notifier uses.
type EventsPutter interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Notifier publishes a result: the email to TopicARN (skipped when empty)
// and the events to EventBus (skipped when empty).
type Notifier struct {
	SNS             SNSPublisher
	Events          EventsPutter
	TopicARN        string
	EventBus        string
	NotifyCompliant bool // also email about compliant events (VPCGUARD_NOTIFY_COMPLIANT)
	Log             *slog.Logger
}

// Notify publishes r. Skipped and (unless NotifyCompliant) compliant results
// send nothing. It returns an error when the email or any event could not be
// delivered after the SDK's retries (and, for events, one retry of the
// entries EventBridge rejected), so that the handler fails, Lambda retries
// the event and, in the end, the dead-letter queue keeps it. Both channels
// are always attempted; a handler that records its progress delivers them
// one by one (Channels, NotifyChannel) so that a retry repeats only the one
// that failed.
func (n Notifier) Notify(ctx context.Context, r report.Result) error {
	log := n.logger().With("event_id", r.Event.ID, "event_name", r.Event.Name)
	if r.Skipped != "" {
		log.DebugContext(ctx, "no notification: event skipped")
		return nil
	}
	if !ShouldNotify(r, n.NotifyCompliant) {
		log.InfoContext(ctx, "no notification: compliant")
		return nil
	}
	var errs []error
	for _, ch := range n.Channels(r) {
		if err := n.NotifyChannel(ctx, r, ch); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (n Notifier) logger() *slog.Logger {
	if n.Log != nil {
		return n.Log
	}
	return slog.New(slog.DiscardHandler)
}

// publish sends the email as a plain String message (SNS delivers message
// attributes only for that structure).
func (n Notifier) publish(ctx context.Context, log *slog.Logger, r report.Result) error {
	if n.SNS == nil {
		return errors.New("sns: VPCGUARD_TOPIC_ARN is set but the notifier has no SNS client")
	}
	e := RenderEmail(r)
	out, err := n.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn:          aws.String(n.TopicARN),
		Subject:           aws.String(e.Subject),
		Message:           aws.String(e.Body),
		MessageAttributes: e.Attributes,
	}, retryThrottled)
	if err != nil {
		log.ErrorContext(ctx, "sns publish failed", "topic", n.TopicARN, "subject", e.Subject, "error", err.Error())
		return fmt.Errorf("sns publish to %s: %w", n.TopicARN, err)
	}
	log.InfoContext(ctx, "emailed", "topic", n.TopicARN, "message_id", aws.ToString(out.MessageId),
		"subject", e.Subject, "bytes", len(e.Body))
	return nil
}

// retryThrottled makes the SDK retry SNS's own throttling error. SNS answers
// a throttled Publish with HTTP 429 and the error code "Throttled", which is
// not among the SDK's default throttle codes (Throttling, ThrottledException
// …) and, being a modeled error, is not retried for its 429 either: without
// this the standard retryer gives up at the first throttle.
func retryThrottled(o *sns.Options) {
	if o.Retryer != nil {
		o.Retryer = retry.AddWithErrorCodes(o.Retryer, "Throttled")
	}
}

// putEvents sends every entry in batches, then retries the entries that
// EventBridge rejected once; what still fails is logged and returned.
func (n Notifier) putEvents(ctx context.Context, log *slog.Logger, r report.Result) error {
	if n.Events == nil {
		return errors.New("eventbridge: VPCGUARD_EVENT_BUS is set but the notifier has no EventBridge client")
	}
	entries, err := labeledEntries(r, n.EventBus)
	if err != nil {
		// An entry that cannot be built is a bug; send the others anyway.
		log.ErrorContext(ctx, "eventbridge entry not built", "error", err.Error())
	}
	if len(entries) == 0 {
		return err
	}
	rejected, callErr := n.send(ctx, entries)
	if len(rejected) > 0 {
		log.WarnContext(ctx, "eventbridge rejected entries; retrying them once",
			"rejected", len(rejected), "of", len(entries))
		var retryErr error
		rejected, retryErr = n.send(ctx, entriesOf(rejected))
		callErr = errors.Join(callErr, retryErr)
	}
	for _, f := range rejected {
		log.ErrorContext(ctx, "eventbridge entry not delivered", "entry", f.label,
			"error_code", f.code, "error_message", f.message)
	}
	var errs []error
	if err != nil {
		errs = append(errs, fmt.Errorf("eventbridge: %w", err))
	}
	if callErr != nil {
		errs = append(errs, fmt.Errorf("eventbridge put events on %s: %w", n.EventBus, callErr))
	}
	if len(rejected) > 0 {
		errs = append(errs, fmt.Errorf("eventbridge rejected %d of %d entries on %s after one retry: %s",
			len(rejected), len(entries), n.EventBus, summarize(rejected)))
	}
	if len(errs) == 0 {
		log.InfoContext(ctx, "events sent", "bus", n.EventBus, "entries", len(entries))
	}
	return errors.Join(errs...)
}

// rejection is an entry EventBridge did not accept.
type rejection struct {
	labeledEntry
	code, message string
}

func entriesOf(rs []rejection) []labeledEntry {
	out := make([]labeledEntry, len(rs))
	for i, r := range rs {
		out[i] = r.labeledEntry
	}
	return out
}

// send puts entries in batches. It returns the entries EventBridge rejected
// one by one, and the errors of calls that failed as a whole (after the
// SDK's own retries); the entries of such a call are not retried here.
func (n Notifier) send(ctx context.Context, entries []labeledEntry) ([]rejection, error) {
	var rejected []rejection
	var errs []error
	for _, batch := range batches(entries) {
		in := &eventbridge.PutEventsInput{Entries: make([]ebtypes.PutEventsRequestEntry, len(batch))}
		for i, e := range batch {
			in.Entries[i] = e.entry
		}
		out, err := n.Events.PutEvents(ctx, in)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if out.FailedEntryCount == 0 {
			continue
		}
		// Result entries match request entries by position.
		for i, e := range batch {
			switch {
			case i >= len(out.Entries):
				rejected = append(rejected, rejection{e, "MissingResultEntry", "no result entry for this request entry"})
			case out.Entries[i].ErrorCode != nil:
				rejected = append(rejected, rejection{e, aws.ToString(out.Entries[i].ErrorCode), aws.ToString(out.Entries[i].ErrorMessage)})
			}
		}
	}
	return rejected, errors.Join(errs...)
}

// batches splits entries into PutEvents requests of at most MaxBatchEntries
// entries and MaxBatchBytes.
func batches(entries []labeledEntry) [][]labeledEntry {
	var out [][]labeledEntry
	var cur []labeledEntry
	size := 0
	for _, e := range entries {
		s := EntrySize(e.entry)
		if len(cur) == MaxBatchEntries || (len(cur) > 0 && size+s > MaxBatchBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, e)
		size += s
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// EntrySize is the size EventBridge counts for an entry: 14 bytes for Time,
// and the UTF-8 bytes of Source, DetailType, Detail and each resource.
func EntrySize(e ebtypes.PutEventsRequestEntry) int {
	n := len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	if e.Time != nil {
		n += 14
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// summarize counts rejections by error code: "InternalFailure x2, ThrottlingException x1".
func summarize(rs []rejection) string {
	counts := map[string]int{}
	for _, r := range rs {
		counts[r.code]++
	}
	codes := slices.SortedFunc(maps.Keys(counts), func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b))
	})
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%s x%d", c, counts[c])
	}
	return strings.Join(parts, ", ")
}
