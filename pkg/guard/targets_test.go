package guard_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/guard"
)

// targets answers every event with err, and counts the calls.
type targets struct {
	err   error
	calls int
}

func (t *targets) Target(context.Context, cloudtrail.Call) (guard.Target, error) {
	t.calls++
	return guard.Target{}, t.err
}

func TestTargetErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		alarm bool
	}{
		{"not served", fmt.Errorf("account 444455556666 (us-east-1): single-account mode: %w", guard.ErrNotServed), false},
		{"unreachable", errors.New("account 444455556666 (us-east-1): cannot assume arn:aws:iam::444455556666:role/vpcguard-member: AccessDenied"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, srv := demo(t, nil)
			var logs bytes.Buffer
			h.Log = slog.New(slog.NewJSONHandler(&logs, nil))
			tg := &targets{err: tc.err}
			h.Targets = tg
			res := handleFile(t, h, "sagemaker-CreateModel-churn-no-s3-endpoint.json")
			if res.Skipped != tc.err.Error() || len(res.Checks) != 0 || tg.calls != 1 {
				t.Errorf("skipped %q, %d checks, %d target calls", res.Skipped, len(res.Checks), tg.calls)
			}
			if got := strings.Contains(logs.String(), `"msg":"`+config.MemberUnreachable+`"`); got != tc.alarm {
				t.Errorf("alarm logged = %v, want %v: %s", got, tc.alarm, logs.String())
			}
			if n := srv.Calls("*"); n != 0 {
				t.Errorf("%d calls to the home account", n)
			}
		})
	}
}

func TestRegionsBoundTheEvents(t *testing.T) {
	h, _ := demo(t, nil)
	h.Config.Regions = []string{"eu-west-1", "us-east-1"}
	tg := &targets{err: errors.New("reached")}
	h.Targets = tg
	call := cloudtrail.Call{Kind: cloudtrail.KindCreateModel, Name: "CreateModel", Source: cloudtrail.SourceSageMaker,
		Account: "111122223333", Region: "ap-south-1", CreateModel: &cloudtrail.CreateModel{ModelName: "m"}}
	res, err := h.Handle(context.Background(), call)
	if err != nil || res.Skipped != "the call was made in ap-south-1, outside the Regions vpcguard serves (VPCGUARD_REGIONS=eu-west-1,us-east-1)" || tg.calls != 0 {
		t.Errorf("skipped %q (%v), %d target calls", res.Skipped, err, tg.calls)
	}
	call.Region = "eu-west-1"
	if res, _ := h.Handle(context.Background(), call); res.Skipped != "reached" || tg.calls != 1 {
		t.Errorf("a served Region: skipped %q, %d target calls", res.Skipped, tg.calls)
	}
}
