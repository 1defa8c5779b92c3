package awssim

import (
	"context"
	"net"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/middleware"

	"github.com/vpcguard/vpcguard/pkg/awshttp"
)

// Test credentials. Signatures are not verified; any non-empty pair works.
const (
	TestAccessKeyID     = "AKIDAWSSIMTEST000000"
	TestSecretAccessKey = "awssim-test-secret-key"
)

// Start serves sc on an httptest server bound to 127.0.0.1 and closes it
// when the test ends. It fails the test if sc is invalid.
func Start(t testing.TB, sc *Scenario) (*Server, string) {
	t.Helper()
	srv, err := NewServer(sc)
	if err != nil {
		t.Fatalf("awssim: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("awssim: listen on 127.0.0.1: %v", err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	srv.url = hs.URL
	t.Cleanup(hs.Close)
	return srv, hs.URL
}

// ZeroBackoffRetryer is the SDK's standard retryer (3 attempts, the real
// retryable-error rules) with no backoff delay and no client-side retry
// quota, so that tests of throttling are fast and deterministic.
func ZeroBackoffRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		o.RateLimiter = ratelimit.None
	})
}

// TestConfig returns a hermetic aws.Config for url: static credentials, the
// given region, BaseEndpoint url, ZeroBackoffRetryer, and nothing read from
// the environment or ~/.aws. S3 clients built from it must set
// UsePathStyle (vpcguard does when an endpoint is configured).
func TestConfig(url, region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(TestAccessKeyID, TestSecretAccessKey, "")),
		BaseEndpoint: aws.String(url),
		Retryer:      ZeroBackoffRetryer,
		HTTPClient:   HTTPClient(),
		APIOptions:   []func(*middleware.Stack) error{awshttp.PlainRequestBodies},
	}
}

// HTTPClient is vpcguard's HTTP client (pkg/awshttp), for SDK clients
// that talk to a loopback server. Give them awshttp.PlainRequestBodies too
// (TestConfig and LoadTestConfig do): a loopback server answers fast
// enough to hit the early body close it works around about once in 500
// calls, and the retryer then sends a write twice.
func HTTPClient() aws.HTTPClient { return awshttp.Client() }

// SetTestEnv points code that calls config.LoadDefaultConfig at url,
// hermetically: AWS_ENDPOINT_URL, AWS_REGION, static credentials,
// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE set to /dev/null, and
// AWS_CA_BUNDLE, AWS_PROFILE and the per-service endpoint variables of the
// services awssim serves unset. It uses t.Setenv, so the test must not be
// parallel.
func SetTestEnv(t testing.TB, url, region string) {
	t.Helper()
	set := map[string]string{
		"AWS_ENDPOINT_URL":            url,
		"AWS_REGION":                  region,
		"AWS_DEFAULT_REGION":          region,
		"AWS_ACCESS_KEY_ID":           TestAccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       TestSecretAccessKey,
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED":   "true",
	}
	for k, v := range set {
		t.Setenv(k, v)
	}
	for _, k := range []string{
		"AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS",
		"AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_SAGEMAKER", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_IAM",
		"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SNS", "AWS_ENDPOINT_URL_EVENTBRIDGE", "AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING",
		"AWS_ENDPOINT_URL_CLOUDTRAIL", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_CLOUDWATCH",
	} {
		t.Setenv(k, "") // restores the old value at cleanup
		os.Unsetenv(k)
	}
}

// LoadTestConfig is SetTestEnv followed by config.LoadDefaultConfig with
// ZeroBackoffRetryer and vpcguard's transport (awshttp.LoadOptions): the
// path vpcguard's own main takes, made hermetic.
func LoadTestConfig(t testing.TB, url, region string) aws.Config {
	t.Helper()
	SetTestEnv(t, url, region)
	cfg, err := config.LoadDefaultConfig(context.Background(), append(awshttp.LoadOptions(), config.WithRetryer(ZeroBackoffRetryer))...)
	if err != nil {
		t.Fatalf("awssim: LoadDefaultConfig: %v", err)
	}
	return cfg
}
