package awssim

import (
	"encoding/json"
	"strings"
	"time"
)

// EventBridge speaks awsJson1_1 (X-Amz-Target: AWSEvents.PutEvents).

var eventsOps = map[string]handler{
	"PutEvents": (*Server).putEvents,
	// Rule reads, for the health check (events_rules.go).
	"DescribeRule":      (*Server).describeRule,
	"ListTargetsByRule": (*Server).listTargetsByRule,
}

// MaxPutEventsEntries is how many entries one PutEvents call may carry.
const MaxPutEventsEntries = 10

// EntryFailure makes PutEvents entries fail. Call counts the PutEvents
// calls that reach the service (injected faults are not counted), from 1;
// 0 means every call. Entry is the 1-based entry index in the call, 0 every
// entry. Match, when set, must be a substring of the entry's Source,
// DetailType or Detail.
type EntryFailure struct {
	Call         int    `json:"call,omitempty"`
	Entry        int    `json:"entry,omitempty"`
	Match        string `json:"match,omitempty"`
	ErrorCode    string `json:"errorCode,omitempty"`    // default InternalFailure
	ErrorMessage string `json:"errorMessage,omitempty"` // default "Internal error"
}

// Event is an EventBridge entry the simulated account accepted.
type Event struct {
	EventID      string    `json:"eventId"`
	EventBusName string    `json:"eventBusName"`
	Source       string    `json:"source"`
	DetailType   string    `json:"detailType"`
	Detail       string    `json:"detail"`
	Resources    []string  `json:"resources,omitempty"`
	Time         time.Time `json:"time"`
	Call         int       `json:"call"` // which PutEvents call carried it
}

type putEventsEntry struct {
	Source       string
	DetailType   string
	Detail       string
	EventBusName string
	Resources    []string
	Time         *epoch
	TraceHeader  string
}

type putEventsResultEntry struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// AddEntryFailure adds a PutEvents entry failure rule.
func (s *Server) AddEntryFailure(f EntryFailure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eventFailures = append(s.eventFailures, f)
}

// ClearEntryFailures removes every PutEvents entry failure rule.
func (s *Server) ClearEntryFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eventFailures = nil
}

// Events returns the EventBridge entries accepted, oldest first.
func (s *Server) Events() []Event {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append(make([]Event, 0, len(s.events)), s.events...)
}

func (s *Server) putEvents(c *call) (any, *apiError) {
	var in struct {
		Entries    []putEventsEntry
		EndpointID string `json:"EndpointId"`
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	switch {
	case len(in.Entries) == 0:
		return nil, validationError("1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case len(in.Entries) > MaxPutEventsEntries:
		return nil, validationError("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to %d", MaxPutEventsEntries)
	}

	s.mu.Lock()
	s.eventsCalls++
	callN := s.eventsCalls
	failures := append([]EntryFailure(nil), s.eventFailures...)
	buses := s.st.buses
	s.mu.Unlock()

	now := time.Now().UTC()
	out := struct {
		FailedEntryCount int                    `json:"FailedEntryCount"`
		Entries          []putEventsResultEntry `json:"Entries"`
	}{}
	var accepted []Event
	var ids []string
	for i, e := range in.Entries {
		bus := e.EventBusName
		if bus == "" {
			bus = "default"
		}
		if j := strings.LastIndex(bus, ":event-bus/"); j >= 0 {
			bus = bus[j+len(":event-bus/"):]
		}
		r := putEventsResultEntry{}
		var detail any
		switch {
		case e.Source == "" || e.DetailType == "" || e.Detail == "":
			r.ErrorCode, r.ErrorMessage = "InvalidArgument", "Parameters Source, DetailType and Detail are required."
		case json.Unmarshal([]byte(e.Detail), &detail) != nil:
			r.ErrorCode, r.ErrorMessage = "MalformedDetail", "Detail is malformed."
		case len(buses) > 0 && !buses[bus]:
			r.ErrorCode, r.ErrorMessage = "ResourceNotFoundException", "Event bus "+bus+" does not exist."
		default:
			if _, ok := detail.(map[string]any); !ok {
				r.ErrorCode, r.ErrorMessage = "MalformedDetail", "Detail is malformed."
			}
		}
		if r.ErrorCode == "" {
			for _, f := range failures {
				if (f.Call == 0 || f.Call == callN) && (f.Entry == 0 || f.Entry == i+1) &&
					(f.Match == "" || strings.Contains(e.Source, f.Match) || strings.Contains(e.DetailType, f.Match) || strings.Contains(e.Detail, f.Match)) {
					r.ErrorCode, r.ErrorMessage = f.ErrorCode, f.ErrorMessage
					if r.ErrorCode == "" {
						r.ErrorCode = "InternalFailure"
					}
					if r.ErrorMessage == "" {
						r.ErrorMessage = "Internal error"
					}
					break
				}
			}
		}
		if r.ErrorCode != "" {
			out.FailedEntryCount++
			ids = append(ids, "")
		} else {
			r.EventID = uuidFrom(uint64(callN)<<16 | uint64(i) | 0xe0000000000)
			ids = append(ids, r.EventID)
			t := now
			if e.Time != nil {
				t = time.Time(*e.Time)
			}
			accepted = append(accepted, Event{
				EventID: r.EventID, EventBusName: bus, Source: e.Source, DetailType: e.DetailType,
				Detail: e.Detail, Resources: e.Resources, Time: t, Call: callN,
			})
		}
		out.Entries = append(out.Entries, r)
	}
	s.logMu.Lock()
	s.events = append(s.events, accepted...)
	s.logMu.Unlock()
	c.result = map[string]any{"failedEntryCount": out.FailedEntryCount, "eventIds": ids}
	return out, nil
}
