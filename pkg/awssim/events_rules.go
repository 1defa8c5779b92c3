package awssim

import (
	"strconv"
	"strings"
)

// EventBridge rule reads (awsJson1_1, AWSEvents.DescribeRule and
// AWSEvents.ListTargetsByRule), for vpcguard's health check.

type ebTarget struct {
	ID  string `json:"Id"`
	Arn string `json:"Arn"`
}

// busName accepts a bus name or ARN; empty is the default bus.
func busName(v string) string {
	if v == "" {
		return "default"
	}
	if i := strings.LastIndex(v, ":event-bus/"); i >= 0 {
		return v[i+len(":event-bus/"):]
	}
	return v
}

func (s *Server) findRule(name, bus string) (*eventRuleState, *apiError) {
	if name == "" {
		return nil, validationError("1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	r := s.st.health.rules[busName(bus)+"/"+name]
	if r == nil {
		return nil, errorf(400, "ResourceNotFoundException", "Rule %s does not exist on EventBus %s.", name, busName(bus))
	}
	return r, nil
}

func (s *Server) describeRule(c *call) (any, *apiError) {
	var in struct {
		Name         string
		EventBusName string
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, aerr := s.findRule(in.Name, in.EventBusName)
	if aerr != nil {
		return nil, aerr
	}
	out := map[string]any{"Name": r.Name, "Arn": r.arn, "State": r.State, "EventBusName": r.EventBus, "CreatedBy": s.st.account}
	if r.EventPattern != "" {
		out["EventPattern"] = r.EventPattern
	}
	if r.ScheduleExpression != "" {
		out["ScheduleExpression"] = r.ScheduleExpression
	}
	if r.Description != "" {
		out["Description"] = r.Description
	}
	return out, nil
}

func (s *Server) listTargetsByRule(c *call) (any, *apiError) {
	var in struct {
		Rule         string
		EventBusName string
		NextToken    string
		Limit        int
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	if in.Limit < 0 || in.Limit > 100 {
		return nil, validationError("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100", in.Limit)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, aerr := s.findRule(in.Rule, in.EventBusName)
	if aerr != nil {
		return nil, aerr
	}
	start := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(in.NextToken)
		if err != nil || n < 0 || n > len(r.Targets) {
			return nil, validationError("The NextToken provided is invalid.")
		}
		start = n
	}
	limit := s.st.pageLimit("events:ListTargetsByRule", in.Limit, 100)
	end := min(start+limit, len(r.Targets))
	out := struct {
		Targets   []ebTarget `json:"Targets"`
		NextToken string     `json:"NextToken,omitempty"`
	}{Targets: []ebTarget{}}
	for _, t := range r.Targets[start:end] {
		out.Targets = append(out.Targets, ebTarget{ID: t.ID, Arn: t.ARN})
	}
	if end < len(r.Targets) {
		out.NextToken = strconv.Itoa(end)
	}
	return out, nil
}
