package awssim

import (
	"strings"
	"time"
	"unicode/utf8"
)

// SNS speaks the AWS query protocol. Message attributes arrive as
// MessageAttributes.entry.N.Name and .Value.DataType/StringValue/BinaryValue.

var snsOps = map[string]handler{
	"Publish":                  (*Server).publish,
	"ListSubscriptionsByTopic": (*Server).listSubscriptionsByTopic, // sns_subscriptions.go
}

// Message is an SNS message the simulated account accepted.
type Message struct {
	MessageID  string                      `json:"messageId"`
	TopicARN   string                      `json:"topicArn"`
	Subject    string                      `json:"subject,omitempty"`
	Message    string                      `json:"message"`
	Structure  string                      `json:"messageStructure,omitempty"`
	GroupID    string                      `json:"messageGroupId,omitempty"`
	Attributes map[string]MessageAttribute `json:"attributes,omitempty"`
	Time       time.Time                   `json:"time"`
}

// MessageAttribute is an SNS message attribute.
type MessageAttribute struct {
	DataType    string `json:"dataType"`
	StringValue string `json:"stringValue,omitempty"`
	BinaryValue string `json:"binaryValue,omitempty"` // base64, as sent
}

// MaxSNSMessage is the largest SNS message, in bytes.
const MaxSNSMessage = 262144

type publishResult struct {
	MessageID string `xml:"MessageId"`
}

func invalidParameter(what string) *apiError {
	return errorf(400, "InvalidParameter", "Invalid parameter: %s", what)
}

func (s *Server) publish(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	topic := p.str("TopicArn")
	if topic == "" {
		topic = p.str("TargetArn")
	}
	msg := p.str("Message")
	subject := p.str("Subject")
	switch {
	case topic == "" && p.str("PhoneNumber") == "":
		return nil, invalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
	case p.str("PhoneNumber") != "":
		return nil, invalidParameter("PhoneNumber Reason: awssim does not send SMS")
	case msg == "":
		return nil, invalidParameter("Empty message")
	case len(msg) > MaxSNSMessage:
		return nil, invalidParameter("Message too long")
	case utf8.RuneCountInString(subject) > 100:
		return nil, invalidParameter("Subject")
	case strings.ContainsAny(subject, "\r\n"):
		return nil, invalidParameter("Subject")
	}
	attrs := map[string]MessageAttribute{}
	for _, e := range p.indexes("MessageAttributes.entry") {
		name := p.str(e + ".Name")
		a := MessageAttribute{
			DataType:    p.str(e + ".Value.DataType"),
			StringValue: p.str(e + ".Value.StringValue"),
			BinaryValue: p.str(e + ".Value.BinaryValue"),
		}
		switch {
		case name == "":
			return nil, invalidParameter("MessageAttributes Reason: an attribute has no name")
		case a.DataType == "":
			return nil, invalidParameter("The message attribute '" + name + "' must contain non-empty message attribute type.")
		case !strings.HasPrefix(a.DataType, "String") && !strings.HasPrefix(a.DataType, "Number") && !strings.HasPrefix(a.DataType, "Binary"):
			return nil, invalidParameter("The message attribute '" + name + "' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.")
		case a.StringValue == "" && a.BinaryValue == "":
			return nil, invalidParameter("The message attribute '" + name + "' must contain non-empty message attribute value.")
		}
		attrs[name] = a
	}
	if len(attrs) > 10 {
		return nil, invalidParameter("MessageAttributes Reason: at most 10 message attributes")
	}
	s.mu.RLock()
	known := s.st.topics[topic]
	s.mu.RUnlock()
	if !known {
		return nil, errorf(404, "NotFound", "Topic does not exist")
	}
	if strings.HasSuffix(topic, ".fifo") && p.str("MessageGroupId") == "" {
		return nil, invalidParameter("The MessageGroupId parameter is required for FIFO topics")
	}
	m := Message{
		TopicARN: topic, Subject: subject, Message: msg,
		Structure: p.str("MessageStructure"), GroupID: p.str("MessageGroupId"),
		Time: time.Now().UTC(),
	}
	if len(attrs) > 0 {
		m.Attributes = attrs
	}
	s.logMu.Lock()
	m.MessageID = uuidFrom(uint64(len(s.published)+1) ^ 0x5e50000)
	s.published = append(s.published, m)
	s.logMu.Unlock()
	c.result = map[string]any{"messageId": m.MessageID}
	return &publishResult{MessageID: m.MessageID}, nil
}

// Published returns the SNS messages accepted, oldest first.
func (s *Server) Published() []Message {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append(make([]Message, 0, len(s.published)), s.published...)
}
