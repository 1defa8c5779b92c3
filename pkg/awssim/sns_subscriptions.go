package awssim

import "strconv"

// SNS ListSubscriptionsByTopic (query protocol), for vpcguard's health
// check: pages of 100, NextToken an offset.

type snsSubscription struct {
	TopicArn        string `xml:"TopicArn"`
	Protocol        string `xml:"Protocol"`
	SubscriptionArn string `xml:"SubscriptionArn"`
	Owner           string `xml:"Owner"`
	Endpoint        string `xml:"Endpoint"`
}

type listSubscriptionsResult struct {
	Subscriptions []snsSubscription `xml:"Subscriptions>member"`
	NextToken     string            `xml:"NextToken,omitempty"`
}

func (s *Server) listSubscriptionsByTopic(c *call) (any, *apiError) {
	p := ec2Params(c.form)
	topic := p.str("TopicArn")
	if topic == "" {
		return nil, invalidParameter("TopicArn Reason: no value for required parameter")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.st.topics[topic] {
		return nil, errorf(404, "NotFound", "Topic does not exist")
	}
	subs := s.st.health.subscriptions[topic]
	start := 0
	if tok := p.str("NextToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(subs) {
			return nil, invalidParameter("NextToken")
		}
		start = n
	}
	end := min(start+s.st.pageLimit("sns:ListSubscriptionsByTopic", 0, 100), len(subs))
	out := &listSubscriptionsResult{Subscriptions: []snsSubscription{}}
	for _, sub := range subs[start:end] {
		out.Subscriptions = append(out.Subscriptions, snsSubscription{
			TopicArn: topic, Protocol: sub.Protocol, SubscriptionArn: sub.arn, Owner: s.st.account, Endpoint: sub.Endpoint,
		})
	}
	if end < len(subs) {
		out.NextToken = strconv.Itoa(end)
	}
	return out, nil
}
