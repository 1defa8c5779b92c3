// Package awshttp is how vpcguard's SDK clients reach AWS over HTTP.
//
// The HTTP client is the SDK's own (aws/transport/http.BuildableClient), so
// it behaves like every other SDK program: the proxy from HTTPS_PROXY,
// HTTP_PROXY and NO_PROXY, the SDK's dial, TLS and per-service read
// timeouts, TLS 1.2 at least, and pooled connections. Because it is a
// BuildableClient, config.LoadDefaultConfig can add the CA bundle that
// AWS_CA_BUNDLE or the shared config's ca_bundle names (any other client
// type makes it fail with "unable to add custom RootCAs HTTPClient"), and
// each service client can add its own read timeout.
//
// One thing is added, as a middleware rather than a transport so that the
// client stays the SDK's: request bodies are handed to net/http reduced to
// Read and Seek. smithy-go (v1.28.9) closes a request body as soon as the
// response headers arrive; afterwards its body wrapper's WriteTo returns
// io.EOF, which net/http's writer takes for an error, so it closes the
// connection while the response body is still being read. The call then
// fails with "deserialization failed … use of closed network connection" on
// a 200 and the retryer sends it again: a duplicate write. Against a
// loopback server about 1 call in 500 hit it; against AWS it is rarer but
// possible. Without WriteTo, net/http's final check of the body is a plain
// Read, which returns io.EOF as it should.
package awshttp

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// AttemptTimeout bounds one attempt of a call, from dialling to the end of
// the response body: a connection that hangs fails that attempt (and the
// retryer tries again) instead of holding the function until its deadline.
const AttemptTimeout = 60 * time.Second

// EnvCABundle is the SDK's variable naming a PEM file of extra trusted CAs.
const EnvCABundle = "AWS_CA_BUNDLE"

// Client returns the SDK's buildable HTTP client with AttemptTimeout.
func Client() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTimeout(AttemptTimeout)
}

// LoadOptions give config.LoadDefaultConfig vpcguard's transport: Client
// and PlainRequestBodies on every service client built from the config.
func LoadOptions() []func(*awsconfig.LoadOptions) error {
	return []func(*awsconfig.LoadOptions) error{
		awsconfig.WithHTTPClient(Client()),
		awsconfig.WithAPIOptions([]func(*middleware.Stack) error{PlainRequestBodies}),
	}
}

// PlainRequestBodies is an API option (aws.Config.APIOptions) that hides
// every method of a request's body but Read and Seek from net/http. It runs
// last before the HTTP client, on every attempt; Seek stays, so the
// retryer still rewinds the body and the length is still known.
func PlainRequestBodies(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("VpcguardPlainRequestBody",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			req, ok := in.Request.(*smithyhttp.Request)
			if !ok {
				return next.HandleDeserialize(ctx, in)
			}
			stream, isWriterTo := req.GetStream().(interface {
				io.ReadSeeker
				io.WriterTo
			})
			if !isWriterTo || !req.IsStreamSeekable() {
				return next.HandleDeserialize(ctx, in)
			}
			plain, err := req.SetStream(plainBody{stream})
			if err != nil {
				return middleware.DeserializeOutput{}, middleware.Metadata{}, fmt.Errorf("vpcguard: wrap the request body: %w", err)
			}
			in.Request = plain
			return next.HandleDeserialize(ctx, in)
		}), middleware.After)
}

// plainBody hides every method of the body but Read and Seek.
type plainBody struct{ rs io.ReadSeeker }

func (b plainBody) Read(p []byte) (int, error)                { return b.rs.Read(p) }
func (b plainBody) Seek(off int64, whence int) (int64, error) { return b.rs.Seek(off, whence) }

// CheckCABundle reads the file AWS_CA_BUNDLE names, when it is set, and
// says what is wrong with it, naming the variable: missing, unreadable,
// or holding no PEM certificate. The SDK reads the same file later but
// reports only "open …: no such file or directory" or "failed to load
// custom CA bundle PEM file".
func CheckCABundle(getenv func(string) string) error {
	path := getenv(EnvCABundle)
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s=%q: cannot read the CA bundle: %w", EnvCABundle, path, err)
	}
	if n := countCertificates(b); n == 0 {
		return fmt.Errorf("%s=%q: the file holds no PEM certificate (want one or more -----BEGIN CERTIFICATE----- blocks)", EnvCABundle, path)
	}
	return nil
}

// countCertificates counts the PEM certificates of b that parse.
func countCertificates(b []byte) int {
	n := 0
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return n
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err == nil {
			n++
		}
	}
}
