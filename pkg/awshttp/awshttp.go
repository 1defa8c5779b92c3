// Package awshttp is the HTTP client vpcguard gives the AWS SDK.
//
// smithy-go (v1.28.9) closes a request body as soon as the response headers
// arrive; afterwards its body wrapper's WriteTo returns io.EOF, which
// net/http's writer takes for an error, so it closes the connection while
// the response body is still being read. The call then fails with
// "deserialization failed … use of closed network connection" on a 200 and
// the retryer sends it again: a duplicate write. Against a loopback server
// about 1 call in 500 hit it; against AWS it is rarer but possible. Hiding
// WriteTo from net/http turns the final check into a plain Read, which
// returns io.EOF as it should.
package awshttp

import (
	"io"
	"net/http"
	"time"
)

// Client returns an HTTP client for the SDK: the default transport, with
// request bodies reduced to Read and Close.
func Client() *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	return &http.Client{Transport: plainBodyTransport{base}, Timeout: 60 * time.Second}
}

type plainBodyTransport struct{ base http.RoundTripper }

func (t plainBodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return t.base.RoundTrip(r)
	}
	r2 := *r
	r2.Body = plainBody{r.Body}
	return t.base.RoundTrip(&r2)
}

// plainBody hides every method of the body but Read and Close.
type plainBody struct{ rc io.ReadCloser }

func (b plainBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b plainBody) Close() error               { return b.rc.Close() }
