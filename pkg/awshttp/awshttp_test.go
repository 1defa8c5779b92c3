package awshttp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkhttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go/middleware"

	"github.com/vpcguard/vpcguard/pkg/awshttp"
	"github.com/vpcguard/vpcguard/pkg/awssim"
)

const (
	region   = "us-east-1"
	topicARN = "arn:aws:sns:us-east-1:111122223333:vpcguard"
)

const publishResponse = `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>`

// snsClient is a real SNS client for url with the given HTTP client, one
// attempt per call unless attempts says otherwise.
func snsClient(url string, client aws.HTTPClient, plain bool, attempts int) *sns.Client {
	cfg := awssim.TestConfig(url, region)
	cfg.HTTPClient = client
	cfg.APIOptions = nil
	if plain {
		cfg.APIOptions = []func(*middleware.Stack) error{awshttp.PlainRequestBodies}
	}
	return sns.NewFromConfig(cfg, func(o *sns.Options) { o.RetryMaxAttempts = attempts })
}

// bodySeen records what net/http would be given as the request body.
type bodySeen struct {
	writerTo bool
	body     []byte
}

// recordingClient is an HTTP client that answers Publish itself and keeps
// the request bodies it was handed.
type recordingClient struct {
	mu   sync.Mutex
	seen []*bodySeen
}

func (c *recordingClient) Do(r *http.Request) (*http.Response, error) {
	s := &bodySeen{}
	_, s.writerTo = r.Body.(io.WriterTo)
	s.body, _ = io.ReadAll(r.Body)
	c.mu.Lock()
	c.seen = append(c.seen, s)
	c.mu.Unlock()
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/xml"}},
		Body: io.NopCloser(strings.NewReader(publishResponse)), Request: r}, nil
}

func publish(t *testing.T, c *sns.Client, msg string) error {
	t.Helper()
	_, err := c.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String(msg)})
	return err
}

// The SDK's own request body exposes WriteTo, which returns io.EOF once the
// SDK has closed it; with PlainRequestBodies net/http sees only Read (and
// gets the whole body), and reading past the end after the close is a
// clean EOF.
func TestPlainRequestBodiesHideWriteTo(t *testing.T) {
	for _, plain := range []bool{false, true} {
		rc := &recordingClient{}
		var afterClose error
		c := snsClient("http://127.0.0.1:9", doFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := rc.Do(r)
			// Close as the SDK does once headers are in, then copy the
			// rest as net/http's writer does.
			r.Body.Close()
			_, afterClose = io.Copy(io.Discard, r.Body)
			return resp, err
		}), plain, 1)
		if err := publish(t, c, "hello"); err != nil {
			t.Fatalf("plain=%v: %v", plain, err)
		}
		s := rc.seen[0]
		if !bytes.Contains(s.body, []byte("Message=hello")) || !bytes.Contains(s.body, []byte("Action=Publish")) {
			t.Errorf("plain=%v: body %q", plain, s.body)
		}
		if plain {
			if s.writerTo || afterClose != nil {
				t.Errorf("with PlainRequestBodies: body has WriteTo %v, copy after close: %v", s.writerTo, afterClose)
			}
		} else if !s.writerTo || !errors.Is(afterClose, io.EOF) {
			// The condition the workaround exists for. If smithy-go no
			// longer has it, PlainRequestBodies may go.
			t.Errorf("without PlainRequestBodies: body has WriteTo %v, copy after close: %v (smithy-go changed?)", s.writerTo, afterClose)
		}
	}
}

type doFunc func(*http.Request) (*http.Response, error)

func (f doFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// Through the real transport and a loopback server: the request's last
// bytes reach the server, which sends the response headers, while
// net/http's writer is held before its final check of the body (a
// connection whose writes return late, as on a busy machine), and the
// response body follows later. Every call succeeds with one attempt, and
// the server sees each exactly once. Without PlainRequestBodies every call
// fails with "deserialization failed … use of closed network connection"
// on a 200 (and the retryer would send it again).
func TestNoEarlyCloseWhenTheWriterIsLate(t *testing.T) {
	var received atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		received.Add(1)
		// The headers first; the body is still on its way once the SDK
		// has them (and has closed the request body).
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		time.Sleep(20 * time.Millisecond)
		io.WriteString(w, publishResponse)
	}))
	defer hs.Close()
	client := awshttp.Client().WithTransportOptions(func(tr *http.Transport) {
		dial := tr.DialContext
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return lateWriter{c}, nil
		}
	})
	c := snsClient(hs.URL, client, true, 1)
	const calls, workers = 100, 8
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < calls; i += workers {
				// Larger than net/http's 4 KiB write buffer, so the body's
				// end goes to the connection before the final check.
				if err := publish(t, c, strings.Repeat("x", 16<<10)); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 || received.Load() != calls {
		t.Fatalf("%d of %d calls failed (first: %v); the server received %d", failed.Load(), calls, firstErr.Load(), received.Load())
	}
}

// lateWriter returns from each Write 5 ms after the bytes were sent.
type lateWriter struct{ net.Conn }

func (c lateWriter) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	time.Sleep(5 * time.Millisecond)
	return n, err
}

// A retried call sends the whole body again: Seek survives the wrapper.
func TestRetrySendsTheWholeBodyAgain(t *testing.T) {
	var bodies []string
	var mu sync.Mutex
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>busy</Message></Error></ErrorResponse>`)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, publishResponse)
	}))
	defer hs.Close()
	if err := publish(t, snsClient(hs.URL, awshttp.Client(), true, 3), "again"); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 2 || bodies[0] != bodies[1] || !strings.Contains(bodies[1], "Message=again") {
		t.Fatalf("bodies %q", bodies)
	}
}

// The client is the SDK's BuildableClient, so LoadDefaultConfig adds the
// CA bundle of AWS_CA_BUNDLE, or of ca_bundle in the shared config, and
// the calls trust a server whose certificate that CA signed.
func TestCABundle(t *testing.T) {
	sc := &awssim.Scenario{Account: "111122223333", Topics: []awssim.Topic{{Name: "vpcguard"}}}
	_, url, ca := awssim.StartTLS(t, sc)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, ca.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	load := func(t *testing.T) error {
		cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awshttp.LoadOptions()...)
		if err != nil {
			return err
		}
		if _, ok := cfg.HTTPClient.(*sdkhttp.BuildableClient); !ok {
			t.Errorf("HTTP client is a %T", cfg.HTTPClient)
		}
		_, err = sns.NewFromConfig(cfg).Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("tls")})
		return err
	}

	t.Run("AWS_CA_BUNDLE", func(t *testing.T) {
		awssim.SetTestEnv(t, url, region)
		t.Setenv("AWS_MAX_ATTEMPTS", "1")
		t.Setenv(awshttp.EnvCABundle, bundle)
		if err := load(t); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("shared config ca_bundle", func(t *testing.T) {
		awssim.SetTestEnv(t, url, region)
		t.Setenv("AWS_MAX_ATTEMPTS", "1")
		cfgFile := filepath.Join(t.TempDir(), "config")
		if err := os.WriteFile(cfgFile, []byte("[default]\nca_bundle = "+bundle+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("AWS_CONFIG_FILE", cfgFile)
		if err := load(t); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("no bundle", func(t *testing.T) {
		awssim.SetTestEnv(t, url, region)
		t.Setenv("AWS_MAX_ATTEMPTS", "1")
		err := load(t)
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("without the CA: %v, want a certificate error", err)
		}
	})
}

func TestCheckCABundle(t *testing.T) {
	dir := t.TempDir()
	ca, err := awssim.NewTestCA("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.pem")
	notPEM := filepath.Join(dir, "not.pem")
	keyOnly := filepath.Join(dir, "key.pem")
	os.WriteFile(good, append([]byte("# corporate CAs\n"), ca.PEM...), 0o600)
	os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600)
	os.WriteFile(keyOnly, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600)
	for path, want := range map[string]string{
		"":                         "",
		good:                       "",
		filepath.Join(dir, "nope"): "cannot read the CA bundle",
		notPEM:                     "holds no PEM certificate",
		keyOnly:                    "holds no PEM certificate",
	} {
		err := awshttp.CheckCABundle(func(k string) string {
			if k == awshttp.EnvCABundle {
				return path
			}
			return ""
		})
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", path, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "AWS_CA_BUNDLE=")):
			t.Errorf("%q: %v, want AWS_CA_BUNDLE and %q", path, err, want)
		}
	}
}

// net/http reads the proxy variables once per process, so the check runs
// in a child process of this test binary with them set.
func TestProxyFromEnvironment(t *testing.T) {
	if os.Getenv("AWSHTTP_PROXY_CHILD") == "1" {
		tr := awshttp.Client().GetTransport()
		for target, want := range map[string]string{
			"https://sagemaker.us-east-1.amazonaws.com/": "http://proxy.example:3128",
			"https://sts.us-east-1.amazonaws.com/":       "",
			"http://ec2.us-east-1.amazonaws.com/":        "http://plain.example:8080",
		} {
			u, _ := url.Parse(target)
			got, err := tr.Proxy(&http.Request{URL: u})
			if err != nil {
				t.Fatal(err)
			}
			if s := ""; got != nil {
				s = got.String()
				if s != want {
					t.Errorf("%s: proxy %s, want %q", target, s, want)
				}
			} else if want != "" {
				t.Errorf("%s: no proxy, want %s", target, want)
			}
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestProxyFromEnvironment$", "-test.count=1")
	cmd.Env = append(os.Environ(), "AWSHTTP_PROXY_CHILD=1",
		"HTTPS_PROXY=http://proxy.example:3128", "HTTP_PROXY=http://plain.example:8080", "NO_PROXY=sts.us-east-1.amazonaws.com",
		"https_proxy=", "http_proxy=", "no_proxy=")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("PASS")) {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
