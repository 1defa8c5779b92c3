package e2e

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/vpcguard/vpcguard/pkg/awssim"
)

// Account is a simulated AWS account (awssim) served in this process on a
// loopback listener.
type Account struct {
	*awssim.Server
	URL string // http://127.0.0.1:PORT: AWS_ENDPOINT_URL
	hs  *http.Server
	// EC2 is an SDK client on the account, for enacting recorded calls.
	EC2 *ec2.Client
	// Enactor repeats recorded drift calls (enact_drift.go).
	Enactor Enactor
}

// StartAccount serves sc on 127.0.0.1.
func StartAccount(sc *awssim.Scenario) (*Account, error) {
	srv, err := awssim.NewServer(sc)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &Account{
		Server: srv,
		URL:    "http://" + ln.Addr().String(),
		hs:     &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second},
	}
	go a.hs.Serve(ln)
	cfg := awssim.TestConfig(a.URL, srv.Region())
	a.EC2 = ec2.NewFromConfig(cfg)
	a.Enactor = Enactor{EC2: a.EC2, SageMaker: sagemaker.NewFromConfig(cfg), AutoScaling: applicationautoscaling.NewFromConfig(cfg)}
	return a, nil
}

// Close stops serving (stopServer).
func (a *Account) Close() error { return stopServer(a.hs) }

// stopServer stops a test server of the harness: it waits up to 2 s for
// calls in flight, then closes what is left. By then the functions are
// gone, so what is left is a connection that an SDK client dialled but
// never sent a request on (its transport used another pooled one);
// net/http's Shutdown counts such a connection as busy for its first 5 s,
// which is not a failure of the server.
func stopServer(hs *http.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return hs.Close()
	}
	return nil
}
