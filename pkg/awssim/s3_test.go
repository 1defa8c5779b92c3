package awssim

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// captureHost records the host the SDK sends a request to.
func captureHost(host *string) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("captureHost", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if req, ok := in.Request.(*smithyhttp.Request); ok {
				*host = req.URL.Host
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
	}
}

func TestS3GetBucketPolicy(t *testing.T) {
	ctx := context.Background()
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::art/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]}`
	srv, cfg := start(t, &Scenario{Buckets: []Bucket{{Name: "art", Policy: Policy(policy)}, {Name: "bare"}, {Name: "locked", AccessDenied: true}}})
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })

	out, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("art")})
	must(t, err)
	if aws.ToString(out.Policy) != policy {
		t.Errorf("policy %q", aws.ToString(out.Policy))
	}
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("bare")})
	wantCode(t, err, "NoSuchBucketPolicy")
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("nope")})
	wantCode(t, err, "NoSuchBucket")
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("locked")})
	wantCode(t, err, "AccessDenied")
	_, err = c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("art")})
	wantCode(t, err, "NotImplemented")
	if srv.Calls("s3:GetBucketPolicy") != 4 {
		t.Errorf("calls: %v", srv.Stats().Calls)
	}

	// Virtual-hosted style: the SDK puts the bucket in the host name; every
	// host is dialled to the server.
	u, _ := url.Parse(srv.URL())
	vcfg := cfg.Copy()
	vcfg.BaseEndpoint = aws.String("http://s3.awssim.test:" + u.Port())
	dialer := &net.Dialer{}
	vcfg.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, u.Host)
	}}}
	var host string
	vc := s3.NewFromConfig(vcfg, func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, captureHost(&host))
	})
	out, err = vc.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("art")})
	must(t, err)
	if aws.ToString(out.Policy) != policy || host != "art.s3.awssim.test:"+u.Port() {
		t.Errorf("virtual-hosted: host %q, policy %q", host, aws.ToString(out.Policy))
	}
}
