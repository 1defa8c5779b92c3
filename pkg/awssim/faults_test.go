package awssim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// faultScenario has one resource for each service's call.
func faultScenario() *Scenario {
	return &Scenario{
		VPCs:       []VPC{{ID: "vpc-1"}},
		Models:     []Model{{Name: "m"}},
		Buckets:    []Bucket{{Name: "bucket", Policy: `{"Statement":[]}`}},
		Roles:      []Role{{Name: "r", Allow: []string{"*"}}},
		Topics:     []Topic{{Name: "t"}},
		EventBuses: []string{"default"},
	}
}

// serviceCalls makes one successful-by-default call per service.
func serviceCalls(cfg aws.Config) map[string]func(context.Context) error {
	e, sm, aas := ec2.NewFromConfig(cfg), sagemaker.NewFromConfig(cfg), applicationautoscaling.NewFromConfig(cfg)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ic, sn, eb, st := iam.NewFromConfig(cfg), sns.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg), sts.NewFromConfig(cfg)
	return map[string]func(context.Context) error{
		"ec2:DescribeRouteTables": func(ctx context.Context) error {
			_, err := e.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{})
			return err
		},
		"sagemaker:DescribeModel": func(ctx context.Context) error {
			_, err := sm.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String("m")})
			return err
		},
		"s3:GetBucketPolicy": func(ctx context.Context) error {
			_, err := s3c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("bucket")})
			return err
		},
		"iam:SimulatePrincipalPolicy": func(ctx context.Context) error {
			_, err := ic.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/r"), ActionNames: []string{"ec2:DescribeVpcs"}})
			return err
		},
		"sns:Publish": func(ctx context.Context) error {
			_, err := sn.Publish(ctx, &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:t"), Message: aws.String("m")})
			return err
		},
		"events:PutEvents": func(ctx context.Context) error {
			_, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries(1, "vpcguard")})
			return err
		},
		"sts:GetCallerIdentity": func(ctx context.Context) error {
			_, err := st.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		},
		"application-autoscaling:DescribeScalableTargets": func(ctx context.Context) error {
			_, err := aas.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker})
			return err
		},
	}
}

func status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// TestThrottlingIsRetried: two throttles, then success, all inside the
// standard retryer's three attempts; every service's throttling error is one
// the retryer knows.
func TestThrottlingIsRetried(t *testing.T) {
	ctx := context.Background()
	want := map[string]struct {
		code   string
		status int
	}{
		"ec2:DescribeRouteTables": {"RequestLimitExceeded", 503}, "sagemaker:DescribeModel": {"ThrottlingException", 400},
		"s3:GetBucketPolicy": {"SlowDown", 503}, "iam:SimulatePrincipalPolicy": {"Throttling", 400}, "sns:Publish": {"Throttling", 400},
		"events:PutEvents": {"ThrottlingException", 400}, "sts:GetCallerIdentity": {"Throttling", 400},
		"application-autoscaling:DescribeScalableTargets": {"ThrottlingException", 400},
	}
	sc := faultScenario()
	sc.Faults = map[string]Fault{"*": {ThrottleFirst: 2}}
	srv, cfg := start(t, sc)
	for op, call := range serviceCalls(cfg) {
		if err := call(ctx); err != nil {
			t.Errorf("%s: not retried to success: %v", op, err)
		}
		if c, th := srv.Calls(op), srv.Throttles(op); c != 3 || th != 2 {
			t.Errorf("%s: %d calls, %d throttles; want 3 and 2", op, c, th)
		}
	}
	// Writes record the throttled attempts as injected errors.
	w := srv.Writes()
	if len(w) != 6 || !w[0].Injected || w[2].Error != "" {
		t.Errorf("writes: %+v", w)
	}

	// Beyond the retryer's attempts the caller sees the real error.
	cfg1 := cfg.Copy()
	cfg1.RetryMaxAttempts = 1
	must(t, srv.SetFault("*", Fault{ThrottleFirst: 1}))
	for op, call := range serviceCalls(cfg1) {
		err := call(ctx)
		if apiCode(err) != want[op].code || status(err) != want[op].status {
			t.Errorf("%s: got %s %d, want %s %d", op, apiCode(err), status(err), want[op].code, want[op].status)
		}
	}
}

func TestAccessDeniedAndInternalErrors(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, faultScenario())
	must(t, srv.SetFault("ec2:*", Fault{AccessDenied: true}))
	must(t, srv.SetFault("sagemaker:DescribeModel", Fault{AccessDenied: true}))
	must(t, srv.SetFault("s3:GetBucketPolicy", Fault{AccessDenied: true}))
	must(t, srv.SetFault("iam:SimulatePrincipalPolicy", Fault{AccessDenied: true}))
	must(t, srv.SetFault("sns:Publish", Fault{AccessDenied: true}))
	must(t, srv.SetFault("events:*", Fault{AccessDenied: true}))
	must(t, srv.SetFault("application-autoscaling:*", Fault{AccessDenied: true}))
	must(t, srv.SetFault("sts:GetCallerIdentity", Fault{InternalErrorFirst: 1}))
	want := map[string]struct {
		code   string
		status int
	}{
		"ec2:DescribeRouteTables": {"UnauthorizedOperation", 403}, "sagemaker:DescribeModel": {"AccessDeniedException", 400},
		"s3:GetBucketPolicy": {"AccessDenied", 403}, "iam:SimulatePrincipalPolicy": {"AccessDenied", 403}, "sns:Publish": {"AuthorizationError", 403},
		"events:PutEvents": {"AccessDeniedException", 400}, "sts:GetCallerIdentity": {"", 0},
		"application-autoscaling:DescribeScalableTargets": {"AccessDeniedException", 400},
	}
	for op, call := range serviceCalls(cfg) {
		err := call(ctx)
		if apiCode(err) != want[op].code || status(err) != want[op].status {
			t.Errorf("%s: got %s %d (%v), want %s %d", op, apiCode(err), status(err), err, want[op].code, want[op].status)
		}
		if want[op].code != "" && srv.Calls(op) != 1 {
			t.Errorf("%s: AccessDenied was retried (%d calls)", op, srv.Calls(op))
		}
	}
	if srv.Calls("sts:GetCallerIdentity") != 2 {
		t.Errorf("the 500 was not retried: %d calls", srv.Calls("sts:GetCallerIdentity"))
	}
	srv.ClearFaults()
	must(t, srv.SetFault("sagemaker:DescribeModel", Fault{InternalError: true}))
	must(t, srv.SetFault("ec2:DescribeRouteTables", Fault{Error: &FaultError{Code: "IncorrectState", Message: "busy", First: 1}}))
	calls := serviceCalls(cfg)
	if err := calls["sagemaker:DescribeModel"](ctx); apiCode(err) != "InternalFailure" || status(err) != 500 {
		t.Errorf("internal error: %v", err)
	}
	if err := calls["ec2:DescribeRouteTables"](ctx); apiCode(err) != "IncorrectState" {
		t.Errorf("custom error: %v", err)
	}
	if err := calls["ec2:DescribeRouteTables"](ctx); err != nil {
		t.Errorf("custom error beyond First: %v", err)
	}
}

func TestLatencyAndRateLimit(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, faultScenario())
	must(t, srv.SetFault("sagemaker:DescribeModel", Fault{Latency: Duration(30 * time.Millisecond)}))
	calls := serviceCalls(cfg)
	t0 := time.Now()
	must(t, calls["sagemaker:DescribeModel"](ctx))
	if d := time.Since(t0); d < 30*time.Millisecond {
		t.Errorf("latency not applied: %v", d)
	}

	// Token bucket: burst 2 at 1/s; without retries the third call is throttled.
	cfg1 := cfg.Copy()
	cfg1.RetryMaxAttempts = 1
	must(t, srv.SetFault("ec2:DescribeRouteTables", Fault{RatePerSecond: 1, Burst: 2}))
	calls = serviceCalls(cfg1)
	var codes []string
	for i := 0; i < 3; i++ {
		codes = append(codes, apiCode(calls["ec2:DescribeRouteTables"](ctx)))
	}
	if codes[0] != "" || codes[1] != "" || codes[2] != "RequestLimitExceeded" {
		t.Errorf("rate limit: %v", codes)
	}
	if th := srv.Throttles("ec2:DescribeRouteTables"); th != 1 {
		t.Errorf("throttles %d", th)
	}
	if err := srv.SetFault("bad key", Fault{}); err == nil {
		t.Error("SetFault accepted a bad key")
	}
}

func TestAdminAPI(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, faultScenario())
	body, _ := json.Marshal(map[string]Fault{"sns:Publish": {AccessDenied: true}})
	resp, err := http.Post(srv.URL()+"/_awssim/faults", "application/json", bytes.NewReader(body))
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST faults: %d", resp.StatusCode)
	}
	calls := serviceCalls(cfg)
	wantCode(t, calls["sns:Publish"](ctx), "AuthorizationError")
	must(t, calls["ec2:DescribeRouteTables"](ctx))

	get := func(path string, v any) {
		t.Helper()
		resp, err := http.Get(srv.URL() + path)
		must(t, err)
		defer resp.Body.Close()
		must(t, json.NewDecoder(resp.Body).Decode(v))
	}
	var st Stats
	get("/_awssim/stats", &st)
	if st.Calls["sns:Publish"] != 1 || st.Errors["sns:Publish"] != 1 || st.Regions["us-east-1"] != 2 || st.TotalCalls != 2 || st.Writes != 1 {
		t.Errorf("stats: %+v", st)
	}
	var w []Write
	get("/_awssim/writes", &w)
	if len(w) != 1 || w[0].Error != "AuthorizationError" || !w[0].Injected || w[0].Params["Message"] != "m" {
		t.Errorf("writes: %+v", w)
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL()+"/_awssim/faults", nil)
	resp, err = http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	must(t, calls["sns:Publish"](ctx))
	var pub []Message
	get("/_awssim/published", &pub)
	if len(pub) != 1 {
		t.Errorf("published: %+v", pub)
	}
	resp, err = http.Post(srv.URL()+"/_awssim/faults", "application/json", bytes.NewReader([]byte(`{"*":{"latencyy":"1s"}}`)))
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("bad fault JSON: %d", resp.StatusCode)
	}
}
