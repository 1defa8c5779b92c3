package sweep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/vpcguard/vpcguard/pkg/notify"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// ResourceTypeSweep is the resource_type message attribute of the digest,
// beside the event functions' model, endpoint-config, endpoint and
// vpc-endpoint: subscription filter policies can select or drop it.
const ResourceTypeSweep = "sweep"

// publish sends the digest, one SNS message per run, to the topic.
func (s *Sweeper) publish(ctx context.Context, log *slog.Logger, sum *Summary) error {
	switch {
	case s.Config.TopicARN == "":
		sum.Delivery.Digest = "not sent: VPCGUARD_TOPIC_ARN is unset"
		return nil
	case s.SNS == nil:
		sum.Delivery.Digest = "not sent: publishing is off (local run without -publish)"
		return nil
	}
	out, err := s.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn:          aws.String(s.Config.TopicARN),
		Subject:           aws.String(sum.Digest.Subject),
		Message:           aws.String(sum.Digest.Body),
		MessageAttributes: digestAttributes(sum),
	}, retrySNSThrottled)
	if err != nil {
		sum.Delivery.Digest = "failed: " + err.Error()
		return fmt.Errorf("sns publish to %s: %w", s.Config.TopicARN, err)
	}
	sum.Delivery.Digest = "sent to " + s.Config.TopicARN + " (message " + aws.ToString(out.MessageId) + ")"
	log.InfoContext(ctx, "digest sent", "topic", s.Config.TopicARN, "message_id", aws.ToString(out.MessageId), "subject", sum.Digest.Subject)
	return nil
}

// retrySNSThrottled makes the SDK retry SNS's own throttling code, which is
// not among its defaults (see pkg/notify).
func retrySNSThrottled(o *sns.Options) {
	if o.Retryer != nil {
		o.Retryer = retry.AddWithErrorCodes(o.Retryer, "Throttled")
	}
}

// digestAttributes are the message attributes of the event functions'
// emails (pkg/notify), so that one filter policy serves both.
func digestAttributes(sum *Summary) map[string]snstypes.MessageAttributeValue {
	str := func(v string) snstypes.MessageAttributeValue {
		return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(clipASCII(or(v, "unknown"), 256))}
	}
	severity := "none"
	if s := digestSeverity(sum.Findings, sum.Health); s != "" && s != report.SeverityInfo {
		severity = string(s) // raised by a failing health item
	}
	ids := []string{}
	for _, c := range sum.Findings.ByCheck {
		if c.Severity != report.SeverityInfo && len(ids) < 50 {
			ids = append(ids, c.ID)
		}
	}
	action := "none"
	for _, s := range []report.ActionStatus{report.ActionFailed, report.ActionApplied, report.ActionPlanned} {
		if sum.Actions[s] > 0 {
			action = string(s)
			break
		}
	}
	return map[string]snstypes.MessageAttributeValue{
		notify.AttrSeverity:     str(severity),
		notify.AttrChecks:       {DataType: aws.String("String.Array"), StringValue: aws.String(jsonStrings(ids))},
		notify.AttrAccount:      str(sum.Sweep.Account),
		notify.AttrRegion:       str(sum.Sweep.Region),
		notify.AttrAction:       str(action),
		notify.AttrResourceType: str(ResourceTypeSweep),
	}
}

func jsonStrings(list []string) string {
	b := []byte{'['}
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%q", clipASCII(s, 64))
	}
	return string(append(b, ']'))
}

// sendEvents puts one "vpcguard Finding" event per failing check of each
// VPC and one "vpcguard Remediation" event per action, through pkg/notify
// (its entries, batching and one retry of rejected entries).
func (s *Sweeper) sendEvents(ctx context.Context, log *slog.Logger, results []report.Result, sum *Summary) error {
	switch {
	case s.Config.EventBus == "":
		sum.Delivery.Events = "not sent: VPCGUARD_EVENT_BUS is unset"
		return nil
	case s.Events == nil:
		sum.Delivery.Events = "not sent: publishing is off (local run without -publish)"
		return nil
	}
	n := notify.Notifier{Events: s.Events, EventBus: s.Config.EventBus, NotifyCompliant: s.Config.NotifyCompliant, Log: log}
	entries := 0
	var errs []error
	for _, r := range results {
		if !notify.ShouldNotify(r, n.NotifyCompliant) {
			continue
		}
		if e, err := notify.Entries(r, s.Config.EventBus); err == nil {
			entries += len(e)
		}
		if err := n.Notify(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", r.Resource.Type, r.Resource.ID, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		sum.Delivery.Events = fmt.Sprintf("failed for %d of the results: %v", len(errs), err)
		return err
	}
	sum.Delivery.Events = fmt.Sprintf("%s sent to %s", plural(entries, "event", "events"), s.Config.EventBus)
	return nil
}
