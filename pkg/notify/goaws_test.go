package notify

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/Admiral-Piett/goaws/app"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/sirupsen/logrus"
)

// startGoaws runs goaws's SNS/SQS router in this process on a loopback
// httptest listener. goaws keeps its topics and queues in package globals,
// so the tests that use it do not run in parallel; each starts from empty.
func startGoaws(t *testing.T) *httptest.Server {
	t.Helper()
	logrus.SetOutput(io.Discard)
	srv := httptest.NewServer(router.New()) // 127.0.0.1:<random port>
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	app.CurrentEnvironment = app.Environment{
		Host: u.Hostname(), Port: u.Port(), Region: region, AccountID: acct,
		QueueAttributeDefaults: app.EnvQueueAttributes{VisibilityTimeout: 30, MaximumMessageSize: 262144},
	}
	app.SyncTopics.Lock()
	app.SyncTopics.Topics = map[string]*app.Topic{}
	app.SyncTopics.Unlock()
	app.SyncQueues.Lock()
	app.SyncQueues.Queues = map[string]*app.Queue{}
	app.SyncQueues.Unlock()
	return srv
}

// sqsQuery calls goaws's SQS query API by hand: the SDK's SQS client speaks
// the JSON protocol, which goaws does not.
func sqsQuery(t *testing.T, srv *httptest.Server, form url.Values, out any) {
	t.Helper()
	resp, err := http.PostForm(srv.URL+"/", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d: %s", form.Get("Action"), resp.StatusCode, body)
	}
	if err := xml.Unmarshal(body, out); err != nil {
		t.Fatalf("%s: %v: %s", form.Get("Action"), err, body)
	}
}

func createQueue(t *testing.T, srv *httptest.Server, name string) (queueURL, arn string) {
	t.Helper()
	var out struct {
		QueueURL string `xml:"CreateQueueResult>QueueUrl"`
	}
	sqsQuery(t, srv, url.Values{"Action": {"CreateQueue"}, "QueueName": {name}}, &out)
	return srv.URL + "/queue/" + name, "arn:aws:sqs:" + region + ":" + acct + ":" + name
}

// sqsMessage is one message of a ReceiveMessage response.
type sqsMessage struct {
	Body       string `xml:"Body"`
	Attributes []struct {
		Name        string `xml:"Name"`
		DataType    string `xml:"Value>DataType"`
		StringValue string `xml:"Value>StringValue"`
	} `xml:"MessageAttribute"`
}

func receive(t *testing.T, srv *httptest.Server, queueURL string) []sqsMessage {
	t.Helper()
	var out struct {
		Messages []sqsMessage `xml:"ReceiveMessageResult>Message"`
	}
	sqsQuery(t, srv, url.Values{
		"Action": {"ReceiveMessage"}, "QueueUrl": {queueURL}, "MaxNumberOfMessages": {"10"},
		"MessageAttributeName.1": {"All"}, "WaitTimeSeconds": {"0"},
	}, &out)
	return out.Messages
}

// snsEnvelope is what SNS delivers to a queue without raw delivery.
type snsEnvelope struct {
	Type              string
	TopicArn          string
	Subject           string
	Message           string
	MessageAttributes map[string]struct{ Type, Value string }
}

// TestPublishThroughGoaws publishes with the real SDK SNS client to goaws
// and reads what the subscribed queues received: the SNS envelope (Subject,
// Message, MessageAttributes), a raw-delivery copy, and what subscription
// filter policies on the attributes let through.
func TestPublishThroughGoaws(t *testing.T) {
	srv := startGoaws(t)
	ctx := context.Background()
	client := sns.NewFromConfig(hermeticConfig(t), func(o *sns.Options) { o.BaseEndpoint = aws.String(srv.URL) })

	topic, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("vpcguard-findings")})
	if err != nil {
		t.Fatal(err)
	}
	topicARN := aws.ToString(topic.TopicArn)
	subscribe := func(queue string, attrs map[string]string) string {
		queueURL, queueARN := createQueue(t, srv, queue)
		_, err := client.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(queueARN), Attributes: attrs,
		})
		if err != nil {
			t.Fatalf("subscribe %s: %v", queue, err)
		}
		return queueURL
	}
	inbox := subscribe("security-inbox", nil)
	raw := subscribe("raw", map[string]string{"RawMessageDelivery": "true"})
	high := subscribe("high-only", map[string]string{"FilterPolicy": `{"severity":["critical","high"]}`})
	applied := subscribe("applied-only", map[string]string{"FilterPolicy": `{"action":["applied"]}`})
	critical := subscribe("critical-only", map[string]string{"FilterPolicy": `{"severity":["critical"]}`})

	r := missingEndpointRepaired()
	if err := (Notifier{SNS: client, TopicARN: topicARN}).Notify(ctx, r); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	want := RenderEmail(r)

	msgs := receive(t, srv, inbox)
	if len(msgs) != 1 {
		t.Fatalf("inbox has %d messages, want 1", len(msgs))
	}
	var env snsEnvelope
	if err := json.Unmarshal([]byte(msgs[0].Body), &env); err != nil {
		t.Fatalf("envelope: %v\n%s", err, msgs[0].Body)
	}
	if env.Type != "Notification" || env.TopicArn != topicARN {
		t.Errorf("envelope Type %q TopicArn %q", env.Type, env.TopicArn)
	}
	if env.Subject != want.Subject {
		t.Errorf("Subject %q, want %q", env.Subject, want.Subject)
	}
	if env.Message != want.Body {
		t.Errorf("Message differs from the rendered body (%d vs %d bytes)", len(env.Message), len(want.Body))
	}
	if len(env.MessageAttributes) != len(want.Attributes) {
		t.Errorf("envelope attributes %v, want %d", env.MessageAttributes, len(want.Attributes))
	}
	for name, v := range want.Attributes {
		got := env.MessageAttributes[name]
		if got.Type != aws.ToString(v.DataType) || got.Value != aws.ToString(v.StringValue) {
			t.Errorf("attribute %s = %+v, want %s %s", name, got, aws.ToString(v.DataType), aws.ToString(v.StringValue))
		}
	}
	if got := env.MessageAttributes[AttrChecks].Value; got != `["s3-endpoint-present"]` {
		t.Errorf("checks attribute %s", got)
	}

	// Raw delivery: the body as published, attributes as SQS attributes.
	rawMsgs := receive(t, srv, raw)
	if len(rawMsgs) != 1 || rawMsgs[0].Body != want.Body {
		t.Fatalf("raw queue: %d messages", len(rawMsgs))
	}
	gotAttrs := map[string]string{}
	for _, a := range rawMsgs[0].Attributes {
		gotAttrs[a.Name] = a.DataType + " " + a.StringValue
	}
	for name, v := range want.Attributes {
		w := aws.ToString(v.DataType) + " " + aws.ToString(v.StringValue)
		if aws.ToString(v.DataType) == "String.Array" {
			// goaws's SQS side returns a value only for the types String,
			// Number and Binary, not for custom types such as String.Array
			// (SQS keeps it as a String): only the type arrives.
			w = "String.Array "
		}
		if gotAttrs[name] != w {
			t.Errorf("raw attribute %s = %q, want %q", name, gotAttrs[name], w)
		}
	}

	// Filter policies on the String attributes.
	for queue, n := range map[string]int{high: 1, applied: 1, critical: 0} {
		if got := len(receive(t, srv, queue)); got != n {
			t.Errorf("%s received %d messages, want %d", queue[strings.LastIndex(queue, "/")+1:], got, n)
		}
	}
}

// TestPublishHostileThroughGoaws: hostile names survive the wire (SDK query
// encoding, goaws, the JSON envelope, the SQS XML) byte for byte.
func TestPublishHostileThroughGoaws(t *testing.T) {
	srv := startGoaws(t)
	ctx := context.Background()
	client := sns.NewFromConfig(hermeticConfig(t), func(o *sns.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	topic, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("vpcguard-findings")})
	if err != nil {
		t.Fatal(err)
	}
	queueURL, queueARN := createQueue(t, srv, "inbox")
	if _, err := client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(queueARN)}); err != nil {
		t.Fatal(err)
	}
	n := Notifier{SNS: client, TopicARN: aws.ToString(topic.TopicArn)}
	for i, name := range hostile {
		r := hostileResult(name, 3)
		if err := n.Notify(ctx, r); err != nil {
			t.Fatalf("hostile %d: %v", i, err)
		}
		msgs := receive(t, srv, queueURL)
		if len(msgs) != 1 {
			t.Fatalf("hostile %d: %d messages", i, len(msgs))
		}
		var env snsEnvelope
		if err := json.Unmarshal([]byte(msgs[0].Body), &env); err != nil {
			t.Fatalf("hostile %d: %v", i, err)
		}
		want := RenderEmail(r)
		if env.Subject != want.Subject || env.Message != want.Body {
			t.Errorf("hostile %d: delivered subject %q (want %q), body equal: %v", i, env.Subject, want.Subject, env.Message == want.Body)
		}
		for name, v := range want.Attributes {
			if got := env.MessageAttributes[name].Value; got != aws.ToString(v.StringValue) {
				t.Errorf("hostile %d: attribute %s = %q, want %q", i, name, got, aws.ToString(v.StringValue))
			}
		}
	}
}
