package awssim

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// SQS speaks awsJson1_0 (X-Amz-Target AmazonSQS.<Op>, the SDK v2's
// awsjson.New10(schemas.AmazonSQS) since it left the query protocol). It
// is awsQueryCompatible: errors carry the query-era code in the
// X-Amzn-Query-Error header ("AWS.SimpleQueueService.NonExistentQueue;Sender").
// Queues are addressed by the URL path /<account>/<name>, whatever the host.

var sqsOps = map[string]handler{
	"GetQueueAttributes": (*Server).getQueueAttributes,
}

func (s *Server) getQueueAttributes(c *call) (any, *apiError) {
	var in struct {
		QueueURL       string   `json:"QueueUrl"`
		AttributeNames []string `json:"AttributeNames"`
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	if in.QueueURL == "" {
		return nil, &apiError{Status: 400, Code: "com.amazonaws.sqs#MissingParameter", Message: "The request must contain the parameter QueueUrl.", queryError: "MissingParameter;Sender"}
	}
	s.mu.RLock()
	q := s.findQueue(in.QueueURL)
	account, region, partition := s.st.account, s.st.region, s.st.partition
	s.mu.RUnlock()
	if q == nil {
		return nil, &apiError{Status: 400, Code: "com.amazonaws.sqs#QueueDoesNotExist", Message: "The specified queue does not exist.",
			queryError: "AWS.SimpleQueueService.NonExistentQueue;Sender"}
	}
	all := map[string]string{
		"ApproximateNumberOfMessages":           strconv.Itoa(q.Messages),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(q.InFlight),
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(q.Delayed),
		"QueueArn":                              fmt.Sprintf("arn:%s:sqs:%s:%s:%s", partition, region, account, q.Name),
		"CreatedTimestamp":                      strconv.FormatInt(baseTime.Unix(), 10),
		"LastModifiedTimestamp":                 strconv.FormatInt(baseTime.Unix(), 10),
		"VisibilityTimeout":                     "30",
		"MaximumMessageSize":                    "262144",
		"MessageRetentionPeriod":                "1209600",
		"DelaySeconds":                          "0",
		"ReceiveMessageWaitTimeSeconds":         "0",
		"SqsManagedSseEnabled":                  "true",
	}
	out := map[string]string{}
	for _, name := range in.AttributeNames {
		if name == "All" {
			for k, v := range all {
				out[k] = v
			}
			continue
		}
		v, ok := all[name]
		if !ok {
			return nil, &apiError{Status: 400, Code: "com.amazonaws.sqs#InvalidAttributeName", Message: "Unknown Attribute " + name + ".", queryError: "InvalidAttributeName;Sender"}
		}
		out[name] = v
	}
	if len(out) == 0 {
		return struct{}{}, nil
	}
	return map[string]any{"Attributes": out}, nil
}

// findQueue resolves a queue URL (…/<account>/<name>) of this account.
func (s *Server) findQueue(raw string) *Queue {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	account, name, ok := strings.Cut(strings.Trim(u.Path, "/"), "/")
	if !ok || account != s.st.account {
		return nil
	}
	return s.st.health.queues[name]
}
