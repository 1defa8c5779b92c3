package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// publishResponse is Example 2 of "Publish" in the Amazon SNS API Reference
// (../shared/fixtures/aws-samples/sns-api/Publish-example2-topic.xml, read
// from there when present).
const publishResponse = `<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/">
    <PublishResult>
        <MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId>
    </PublishResult>
    <ResponseMetadata>
        <RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId>
    </ResponseMetadata>
</PublishResponse>`

// snsError is the error envelope of the SNS query protocol (ErrorResponse
// with Type, Code, Message and RequestId), which goaws does not reproduce:
// it answers 400 with codes such as AWS.SimpleNotificationService.NonExistentTopic
// where SNS answers 404 NotFound.
func snsError(status int, typ, code, message string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <Error>
    <Type>%s</Type>
    <Code>%s</Code>
    <Message>%s</Message>
  </Error>
  <RequestId>9dd01905-5012-5f99-8663-4b3ecd0dfaef</RequestId>
</ErrorResponse>`, typ, code, message)
	}
}

// fakeSNS answers Publish with the scripted responses in turn (the last one
// repeats) and records every request's form.
type fakeSNS struct {
	mu        sync.Mutex
	responses []func(http.ResponseWriter)
	requests  []url.Values
}

func (f *fakeSNS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	f.mu.Lock()
	n := len(f.requests)
	f.requests = append(f.requests, form)
	respond := f.responses[min(n, len(f.responses)-1)]
	f.mu.Unlock()
	respond(w)
}

func success(t *testing.T) func(http.ResponseWriter) {
	body := publishResponse
	if b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "aws-samples", "sns-api", "Publish-example2-topic.xml")); err == nil {
		body = string(b)
	}
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, body)
	}
}

func fakeSNSClient(t *testing.T, f *fakeSNS) *sns.Client {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return sns.NewFromConfig(hermeticConfig(t), func(o *sns.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

const topicARN = "arn:aws:sns:us-east-1:123456789012:vpcguard-findings"

// TestPublishWire checks the request the SDK puts on the wire: a plain
// String message (no MessageStructure) with the subject and every attribute.
func TestPublishWire(t *testing.T) {
	f := &fakeSNS{responses: []func(http.ResponseWriter){success(t)}}
	n := Notifier{SNS: fakeSNSClient(t, f), TopicARN: topicARN}
	r := unknownAccessDenied()
	if err := n.Notify(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if len(f.requests) != 1 {
		t.Fatalf("%d requests", len(f.requests))
	}
	form, want := f.requests[0], RenderEmail(r)
	for k, v := range map[string]string{
		"Action": "Publish", "Version": "2010-03-31", "TopicArn": topicARN,
		"Subject": want.Subject, "Message": want.Body, "MessageStructure": "",
	} {
		if got := form.Get(k); got != v {
			t.Errorf("%s = %.80q, want %.80q", k, got, v)
		}
	}
	got := map[string]string{}
	for i := 1; form.Get(fmt.Sprintf("MessageAttributes.entry.%d.Name", i)) != ""; i++ {
		p := fmt.Sprintf("MessageAttributes.entry.%d.", i)
		got[form.Get(p+"Name")] = form.Get(p+"Value.DataType") + " " + form.Get(p+"Value.StringValue")
	}
	wantAttrs := map[string]string{
		AttrSeverity: "String high", AttrAccount: "String 123456789012", AttrRegion: "String us-east-1",
		AttrAction: "String none", AttrResourceType: "String model", AttrExempt: "String.Array []",
		AttrChecks: `String.Array ["s3-endpoint-present","s3-endpoint-routes","s3-endpoint-policy-custom","s3-endpoint-denies-al-repos","s3-endpoint-policy-allows"]`,
	}
	if fmt.Sprint(got) != fmt.Sprint(wantAttrs) {
		t.Errorf("attributes on the wire:\n %v\nwant\n %v", got, wantAttrs)
	}
}

// TestPublishErrors: what the handler sees when SNS refuses, and which
// refusals the SDK (and Notifier) retry.
func TestPublishErrors(t *testing.T) {
	notFound := snsError(404, "Sender", "NotFound", "Topic does not exist")
	throttled := snsError(429, "Sender", "Throttled", "Rate exceeded")
	internal := snsError(500, "Receiver", "InternalError", "An internal service error has occurred")
	denied := snsError(403, "Sender", "AuthorizationError", "User: arn:aws:sts::123456789012:assumed-role/vpcguard/fn is not authorized to perform: SNS:Publish on resource: "+topicARN)
	for _, tc := range []struct {
		name      string
		responses []func(http.ResponseWriter)
		requests  int // requests the SDK makes (3 attempts at most)
		errCode   string
	}{
		{"not found is final", []func(http.ResponseWriter){notFound}, 1, "NotFound"},
		{"access denied is final", []func(http.ResponseWriter){denied}, 1, "AuthorizationError"},
		{"throttling is retried", []func(http.ResponseWriter){throttled, throttled, success(t)}, 3, ""},
		{"throttling is retried, then fails", []func(http.ResponseWriter){throttled}, 3, "Throttled"},
		{"internal errors are retried, then fail", []func(http.ResponseWriter){internal}, 3, "InternalError"},
		{"an internal error then success", []func(http.ResponseWriter){internal, success(t)}, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSNS{responses: tc.responses}
			err := Notifier{SNS: fakeSNSClient(t, f), TopicARN: topicARN}.Notify(context.Background(), noVPC())
			if len(f.requests) != tc.requests {
				t.Errorf("%d requests, want %d", len(f.requests), tc.requests)
			}
			if tc.errCode == "" {
				if err != nil {
					t.Errorf("Notify: %v", err)
				}
				return
			}
			var apiErr interface{ ErrorCode() string }
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.errCode {
				t.Errorf("Notify error %v, want code %s", err, tc.errCode)
			}
			if !strings.Contains(fmt.Sprint(err), topicARN) {
				t.Errorf("error %q does not name the topic", err)
			}
		})
	}
	var nf *snstypes.NotFoundException
	f := &fakeSNS{responses: []func(http.ResponseWriter){notFound}}
	if err := (Notifier{SNS: fakeSNSClient(t, f), TopicARN: topicARN}).Notify(context.Background(), noVPC()); !errors.As(err, &nf) {
		t.Errorf("a 404 NotFound is %T, want *types.NotFoundException", errors.Unwrap(err))
	}
}
