package notify

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vpcguard/vpcguard/pkg/awssim"
)

// TestNotifyAgainstAwssim runs the whole Notifier against the project's
// simulated account, with the SDK configured the way main does it
// (LoadDefaultConfig from AWS_ENDPOINT_URL): the email and every event
// arrive, and an entry the simulator rejects on the first call is retried.
func TestNotifyAgainstAwssim(t *testing.T) {
	sim, url := awssim.Start(t, &awssim.Scenario{
		Account: acct, Region: region,
		Topics:     []awssim.Topic{{Name: "vpcguard-findings"}},
		EventBuses: []string{"vpcguard-findings"},
	})
	sim.AddEntryFailure(awssim.EntryFailure{Call: 1, Entry: 2, ErrorCode: "ThrottlingException"})
	cfg := awssim.LoadTestConfig(t, url, region)
	n := Notifier{
		SNS: sns.NewFromConfig(cfg), Events: eventbridge.NewFromConfig(cfg),
		TopicARN: topicARN, EventBus: "vpcguard-findings",
	}
	r := twentyThree()
	if err := n.Notify(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	msgs := sim.Published()
	want := RenderEmail(r)
	if len(msgs) != 1 || msgs[0].Subject != want.Subject || msgs[0].Message != want.Body || msgs[0].Structure != "" {
		t.Fatalf("published %d messages; first subject %q", len(msgs), msgs[0].Subject)
	}
	for name, v := range want.Attributes {
		if got := msgs[0].Attributes[name]; got.DataType != *v.DataType || got.StringValue != *v.StringValue {
			t.Errorf("attribute %s = %+v", name, got)
		}
	}
	events := sim.Events()
	if len(events) != 23 {
		t.Fatalf("%d events accepted, want 23", len(events))
	}
	if last := events[len(events)-1]; last.Call != 4 || last.Source != EventSource {
		t.Errorf("the rejected entry came back as %+v, want it alone in call 4", last)
	}
}
