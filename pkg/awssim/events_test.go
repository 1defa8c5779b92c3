package awssim

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

func entries(n int, source string) []ebtypes.PutEventsRequestEntry {
	var out []ebtypes.PutEventsRequestEntry
	for i := 0; i < n; i++ {
		out = append(out, ebtypes.PutEventsRequestEntry{Source: aws.String(source), DetailType: aws.String("vpcguard finding"),
			Detail: aws.String(fmt.Sprintf(`{"check":"c%d"}`, i)), EventBusName: aws.String("vpcguard")})
	}
	return out
}

func TestEventBridgePutEvents(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, &Scenario{EventBuses: []string{"vpcguard"}, EventFailures: []EntryFailure{{Call: 2, Entry: 2}}})
	c := eventbridge.NewFromConfig(cfg)

	out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries(3, "vpcguard")})
	must(t, err)
	if out.FailedEntryCount != 0 || len(out.Entries) != 3 || aws.ToString(out.Entries[0].EventId) == "" {
		t.Errorf("call 1: %+v", out)
	}
	// Call 2: the injected failure hits entry 2.
	out, err = c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries(3, "vpcguard")})
	must(t, err)
	if out.FailedEntryCount != 1 || aws.ToString(out.Entries[1].ErrorCode) != "InternalFailure" || aws.ToString(out.Entries[0].EventId) == "" {
		t.Errorf("call 2: %+v", out)
	}
	// At runtime: fail entries whose detail matches.
	srv.AddEntryFailure(EntryFailure{Match: `"c1"`, ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded"})
	out, err = c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries(2, "vpcguard")})
	must(t, err)
	if out.FailedEntryCount != 1 || aws.ToString(out.Entries[1].ErrorCode) != "ThrottlingException" {
		t.Errorf("call 3: %+v", out)
	}
	srv.ClearEntryFailures()

	// More than ten entries is a validation error of the whole call.
	_, err = c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries(11, "vpcguard")})
	wantCode(t, err, "ValidationException")
	// Bad detail and unknown bus fail per entry.
	bad := entries(2, "vpcguard")
	bad[0].Detail = aws.String("not json")
	bad[1].EventBusName = aws.String("arn:aws:events:us-east-1:123456789012:event-bus/other")
	out, err = c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: bad})
	must(t, err)
	if out.FailedEntryCount != 2 || aws.ToString(out.Entries[0].ErrorCode) != "MalformedDetail" || aws.ToString(out.Entries[1].ErrorCode) != "ResourceNotFoundException" {
		t.Errorf("bad entries: %+v", out.Entries)
	}

	ev := srv.Events()
	if len(ev) != 3+2+1 || ev[0].EventBusName != "vpcguard" || ev[0].Detail != `{"check":"c0"}` || ev[5].Call != 3 {
		t.Errorf("events: %+v", ev)
	}
	w := srv.Writes()
	if len(w) != 5 || w[1].Result["failedEntryCount"] != 1 || w[3].Error != "ValidationException" {
		t.Errorf("writes: %+v", w)
	}
	if e, _ := w[0].Params["Entries"].([]any); len(e) != 3 {
		t.Errorf("params: %#v", w[0].Params)
	}
}
