package e2e

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	goaws "github.com/Admiral-Piett/goaws/app"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/sirupsen/logrus"
)

// TopicName is the SNS topic vpcguard publishes its emails to.
const TopicName = "vpcguard-findings"

// QueueName is the SQS queue subscribed to the topic: the inbox the
// end-to-end run reads.
const QueueName = "vpcguard-inbox"

// goaws keeps its topics and queues in package globals: one instance per
// process.
var goawsRunning sync.Mutex

// SNS is goaws's SNS/SQS router served in this process on a loopback
// listener, with the topic TopicName and the queue QueueName subscribed to
// it (SNS envelope delivery, as an email-like subscriber sees it).
type SNS struct {
	URL      string // http://127.0.0.1:PORT: AWS_ENDPOINT_URL_SNS
	TopicARN string
	QueueURL string
	srv      *http.Server
	client   *http.Client
}

// Delivery is one message that arrived in the queue: the SNS envelope.
type Delivery struct {
	TopicARN   string
	Subject    string
	Message    string
	Attributes map[string]string // name → "Type Value"
	Body       string            // the SQS body as received (the envelope JSON)
}

// StartSNS starts goaws for account and region. Only one may run at a
// time in a process; Close releases it.
func StartSNS(ctx context.Context, account, region string) (*SNS, error) {
	if !goawsRunning.TryLock() {
		return nil, errors.New("e2e: goaws is already running in this process")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		goawsRunning.Unlock()
		return nil, err
	}
	logrus.SetOutput(io.Discard)
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	goaws.CurrentEnvironment = goaws.Environment{
		Host: "127.0.0.1", Port: port, Region: region, AccountID: account,
		QueueAttributeDefaults: goaws.EnvQueueAttributes{VisibilityTimeout: 30, MaximumMessageSize: 262144},
	}
	resetGoaws()
	s := &SNS{
		URL:    "http://127.0.0.1:" + port,
		srv:    &http.Server{Handler: router.New(), ReadHeaderTimeout: 10 * time.Second},
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil}},
	}
	go s.srv.Serve(ln)
	if err := s.setup(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func resetGoaws() {
	goaws.SyncTopics.Lock()
	goaws.SyncTopics.Topics = map[string]*goaws.Topic{}
	goaws.SyncTopics.Unlock()
	goaws.SyncQueues.Lock()
	goaws.SyncQueues.Queues = map[string]*goaws.Queue{}
	goaws.SyncQueues.Unlock()
}

// setup creates the topic and the queue and subscribes the queue.
func (s *SNS) setup(ctx context.Context) error {
	var topic struct {
		ARN string `xml:"CreateTopicResult>TopicArn"`
	}
	if err := s.query(ctx, url.Values{"Action": {"CreateTopic"}, "Name": {TopicName}}, &topic); err != nil {
		return err
	}
	s.TopicARN = topic.ARN
	var queue struct {
		URL string `xml:"CreateQueueResult>QueueUrl"`
	}
	if err := s.query(ctx, url.Values{"Action": {"CreateQueue"}, "QueueName": {QueueName}}, &queue); err != nil {
		return err
	}
	s.QueueURL = s.URL + "/queue/" + QueueName
	queueARN := "arn:aws:sqs:" + goaws.CurrentEnvironment.Region + ":" + goaws.CurrentEnvironment.AccountID + ":" + QueueName
	var sub struct {
		ARN string `xml:"SubscribeResult>SubscriptionArn"`
	}
	if err := s.query(ctx, url.Values{"Action": {"Subscribe"}, "TopicArn": {s.TopicARN}, "Protocol": {"sqs"}, "Endpoint": {queueARN}}, &sub); err != nil {
		return err
	}
	if s.TopicARN == "" || sub.ARN == "" {
		return fmt.Errorf("e2e: goaws: topic %q subscription %q", s.TopicARN, sub.ARN)
	}
	return nil
}

// query calls goaws's query API (SQS's XML protocol: the SDK's SQS client
// speaks JSON, which goaws does not).
func (s *SNS) query(ctx context.Context, form url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("e2e: goaws %s: %w", form.Get("Action"), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("e2e: goaws %s: HTTP %d: %s", form.Get("Action"), resp.StatusCode, clip(string(body), 300))
	}
	if out == nil {
		return nil
	}
	if err := xml.Unmarshal(body, out); err != nil {
		return fmt.Errorf("e2e: goaws %s: %w: %s", form.Get("Action"), err, clip(string(body), 300))
	}
	return nil
}

// Receive drains the queue: every message delivered since the last call,
// oldest first, each deleted once read.
func (s *SNS) Receive(ctx context.Context) ([]Delivery, error) {
	var out []Delivery
	for {
		var resp struct {
			Messages []struct {
				Body          string `xml:"Body"`
				ReceiptHandle string `xml:"ReceiptHandle"`
			} `xml:"ReceiveMessageResult>Message"`
		}
		if err := s.query(ctx, url.Values{
			"Action": {"ReceiveMessage"}, "QueueUrl": {s.QueueURL}, "MaxNumberOfMessages": {"10"},
			"MessageAttributeName.1": {"All"}, "WaitTimeSeconds": {"0"},
		}, &resp); err != nil {
			return out, err
		}
		if len(resp.Messages) == 0 {
			return out, nil
		}
		for _, m := range resp.Messages {
			d := Delivery{Body: m.Body, Attributes: map[string]string{}}
			var env struct {
				TopicArn          string
				Subject           string
				Message           string
				MessageAttributes map[string]struct{ Type, Value string }
			}
			if err := json.Unmarshal([]byte(m.Body), &env); err != nil {
				return out, fmt.Errorf("e2e: goaws delivered a body that is not an SNS envelope: %w: %s", err, clip(m.Body, 200))
			}
			d.TopicARN, d.Subject, d.Message = env.TopicArn, env.Subject, env.Message
			for k, v := range env.MessageAttributes {
				d.Attributes[k] = v.Type + " " + v.Value
			}
			out = append(out, d)
			if err := s.query(ctx, url.Values{"Action": {"DeleteMessage"}, "QueueUrl": {s.QueueURL}, "ReceiptHandle": {m.ReceiptHandle}}, nil); err != nil {
				return out, err
			}
		}
	}
}

// Close stops goaws and forgets its topics and queues.
func (s *SNS) Close() error {
	if s.srv == nil {
		return nil
	}
	err := stopServer(s.srv)
	s.srv = nil
	resetGoaws()
	goawsRunning.Unlock()
	return err
}
