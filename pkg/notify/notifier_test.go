package notify

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vpcguard/vpcguard/pkg/report"
)

type recordSNS struct {
	inputs []*sns.PublishInput
	err    error
}

func (r *recordSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	r.inputs = append(r.inputs, in)
	if r.err != nil {
		return nil, r.err
	}
	return &sns.PublishOutput{MessageId: aws.String("m-1")}, nil
}

type recordEvents struct{ inputs []*eventbridge.PutEventsInput }

func (r *recordEvents) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	r.inputs = append(r.inputs, in)
	return &eventbridge.PutEventsOutput{}, nil
}

func compliant() report.Result {
	r := singleAZ()
	r.Checks[1].Status, r.Checks[1].Remediation = report.StatusPass, ""
	return r
}

func TestNotifyWhatIsSent(t *testing.T) {
	skipped := noVPC()
	skipped.Skipped = "the call failed (AccessDenied): nothing changed"
	for _, tc := range []struct {
		name            string
		r               report.Result
		topic, bus      string
		notifyCompliant bool
		emails, calls   int
	}{
		{"failing: email and events", noVPC(), topicARN, "bus", false, 1, 1},
		{"skipped: nothing", skipped, topicARN, "bus", true, 0, 0},
		{"compliant: nothing", compliant(), topicARN, "bus", false, 0, 0},
		{"compliant with VPCGUARD_NOTIFY_COMPLIANT: an email, no events", compliant(), topicARN, "bus", true, 1, 0},
		{"planned action only: email", func() report.Result {
			r := routesPlanned()
			r.Checks[6].Status = report.StatusPass
			return r
		}(), topicARN, "bus", false, 1, 1},
		{"no topic: events only", noVPC(), "", "bus", false, 0, 1},
		{"no bus: email only", noVPC(), topicARN, "", false, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, e := &recordSNS{}, &recordEvents{}
			n := Notifier{SNS: s, Events: e, TopicARN: tc.topic, EventBus: tc.bus, NotifyCompliant: tc.notifyCompliant}
			if err := n.Notify(context.Background(), tc.r); err != nil {
				t.Fatal(err)
			}
			if len(s.inputs) != tc.emails || len(e.inputs) != tc.calls {
				t.Errorf("%d emails and %d PutEvents calls, want %d and %d", len(s.inputs), len(e.inputs), tc.emails, tc.calls)
			}
			for _, in := range s.inputs {
				if aws.ToString(in.TopicArn) != tc.topic || in.MessageStructure != nil || in.Subject == nil || in.Message == nil {
					t.Errorf("publish input %+v", in)
				}
			}
		})
	}
}

func TestNotifyErrors(t *testing.T) {
	boom := errors.New("boom")
	s, e := &recordSNS{err: boom}, &recordEvents{}
	err := Notifier{SNS: s, Events: e, TopicARN: topicARN, EventBus: "bus"}.Notify(context.Background(), noVPC())
	if !errors.Is(err, boom) {
		t.Errorf("Notify error %v, want it to wrap the publish error", err)
	}
	if len(e.inputs) != 1 {
		t.Error("a failed email kept the events from being sent")
	}
	err = Notifier{TopicARN: topicARN}.Notify(context.Background(), noVPC())
	if err == nil || !strings.Contains(err.Error(), "no SNS client") {
		t.Errorf("Notify without a client: %v", err)
	}
}

func TestAttributes(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    report.Result
		want map[string]string
	}{
		{"applied", missingEndpointRepaired(), map[string]string{AttrSeverity: "high", AttrAction: "applied", AttrChecks: `["s3-endpoint-present"]`, AttrResourceType: "model"}},
		{"planned", routesPlanned(), map[string]string{AttrAction: "planned"}},
		{"failed beats applied", func() report.Result {
			r := missingEndpointRepaired()
			r.Actions = append(r.Actions, report.Action{ID: report.ActionAddALRepoDeny, Status: report.ActionFailed})
			return r
		}(), map[string]string{AttrAction: "failed"}},
		{"skipped counts as none", func() report.Result {
			r := routesPlanned()
			r.Actions[0].Status = report.ActionSkipped
			return r
		}(), map[string]string{AttrAction: "none"}},
		{"compliant", compliant(), map[string]string{AttrSeverity: "none", AttrChecks: "[]", AttrAction: "none", AttrResourceType: "endpoint-config"}},
		{"info failures are not failing", singleAZ(), map[string]string{AttrSeverity: "medium", AttrChecks: `["subnets-multi-az"]`}},
		{"missing values", report.Result{Checks: []report.Check{{ID: "model-in-vpc", Status: report.StatusUnknown, Severity: report.SeverityHigh}}},
			map[string]string{AttrAccount: "unknown", AttrRegion: "unknown", AttrResourceType: "unknown", AttrChecks: `["model-in-vpc"]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Attributes(tc.r)
			for k, v := range tc.want {
				if g := aws.ToString(got[k].StringValue); g != v {
					t.Errorf("%s = %q, want %q", k, g, v)
				}
			}
		})
	}
}

func TestPreviewWithoutEmail(t *testing.T) {
	skipped := noVPC()
	skipped.Skipped = "event DescribeModel from sagemaker.amazonaws.com is not one vpcguard handles"
	if got := Preview(skipped); !strings.HasPrefix(got, "(no email: the event was skipped: event DescribeModel") {
		t.Errorf("Preview(skipped) = %q", got)
	}
	if got := Preview(compliant()); !strings.Contains(got, "is compliant; set VPCGUARD_NOTIFY_COMPLIANT=true") {
		t.Errorf("Preview(compliant) = %q", got)
	}
	e := RenderEmail(compliant())
	if !strings.HasPrefix(e.Subject, "[vpcguard] OK endpoint-config churn-xgb-config: compliant") {
		t.Errorf("compliant subject %q", e.Subject)
	}
	if !strings.HasPrefix(e.Body, "SageMaker endpoint configuration churn-xgb-config passes every vpcguard check that applies to it.") {
		t.Errorf("compliant body starts %.100q", e.Body)
	}
}

// TestEntriesOddDetail: a detail value JSON cannot encode is replaced, not
// fatal.
func TestEntriesOddDetail(t *testing.T) {
	r := missingEndpointRepaired()
	r.Actions[0].Detail["weird"] = math.NaN()
	entries, err := Entries(r, "bus")
	if err != nil || len(entries) != 2 {
		t.Fatalf("%d entries, error %v", len(entries), err)
	}
	if d := aws.ToString(entries[1].Detail); !strings.Contains(d, `"truncated":true`) || !strings.Contains(d, `"weird":"(not representable as JSON, omitted)"`) {
		t.Errorf("detail %s", d)
	}
}
