package health

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/vpcguard/vpcguard/pkg/notify"
)

// Checker runs the health check: Observe, then Evaluate.
type Checker struct {
	Readers Readers
	Targets Targets
	Now     func() time.Time // default time.Now
}

// Check reads the state and evaluates every item.
func (c *Checker) Check(ctx context.Context) Report {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	return Evaluate(Observe(ctx, c.Readers, c.Targets, now()))
}

// Entry is the "vpcguard Health" EventBridge entry of r, for bus: source
// vpcguard (as the findings), the report as its detail.
func Entry(r Report, bus string) (ebtypes.PutEventsRequestEntry, error) {
	detail, err := json.Marshal(r)
	if err != nil {
		return ebtypes.PutEventsRequestEntry{}, fmt.Errorf("health event: %w", err)
	}
	return ebtypes.PutEventsRequestEntry{
		EventBusName: aws.String(bus),
		Source:       aws.String(notify.EventSource),
		DetailType:   aws.String(DetailType),
		Detail:       aws.String(string(detail)),
		Time:         aws.Time(r.Checked),
	}, nil
}

// ReadersFrom builds the SDK clients the health check reads through.
func ReadersFrom(cfg aws.Config, events *eventbridge.Client, topics *sns.Client) Readers {
	return Readers{
		CloudTrail: cloudtrail.NewFromConfig(cfg),
		Events:     events,
		SNS:        topics,
		SQS:        sqs.NewFromConfig(cfg),
		CloudWatch: cloudwatch.NewFromConfig(cfg),
	}
}
