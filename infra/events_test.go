package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// matchPattern is EventBridge's event-pattern matching for the subset the
// stack uses: nested objects, lists of exact strings or numbers, and
// {"exists": bool} / {"prefix": "..."}. A field's list matches when any entry
// matches; an array value in the event matches when any element does.
func matchPattern(pattern, event map[string]interface{}) (bool, error) {
	for key, want := range pattern {
		got, present := event[key]
		switch w := want.(type) {
		case map[string]interface{}:
			sub, ok := got.(map[string]interface{})
			if !ok {
				return false, nil
			}
			m, err := matchPattern(w, sub)
			if err != nil || !m {
				return false, err
			}
		case []interface{}:
			m, err := matchAny(w, got, present)
			if err != nil || !m {
				return false, err
			}
		default:
			return false, fmt.Errorf("pattern field %q: want an object or a list, got %T", key, want)
		}
	}
	return true, nil
}

func matchAny(options []interface{}, got interface{}, present bool) (bool, error) {
	values := []interface{}{got}
	if l, ok := got.([]interface{}); ok {
		values = l
	}
	for _, opt := range options {
		switch o := opt.(type) {
		case string, float64, bool:
			if present && slices.Contains(values, opt) {
				return true, nil
			}
		case map[string]interface{}:
			if len(o) != 1 {
				return false, fmt.Errorf("content filter %v: one operator expected", o)
			}
			if e, ok := o["exists"]; ok {
				if e == present {
					return true, nil
				}
				continue
			}
			if p, ok := o["prefix"].(string); ok {
				for _, v := range values {
					if s, ok := v.(string); ok && present && len(s) >= len(p) && s[:len(p)] == p {
						return true, nil
					}
				}
				continue
			}
			return false, fmt.Errorf("content filter %v not supported by this matcher", o)
		default:
			return false, fmt.Errorf("pattern value %v (%T) not supported by this matcher", opt, opt)
		}
	}
	return false, nil
}

func TestMatcher(t *testing.T) {
	pattern := map[string]interface{}{
		"source": []interface{}{"aws.ec2"},
		"detail": map[string]interface{}{
			"eventName": []interface{}{"A", "B"},
			"errorCode": []interface{}{map[string]interface{}{"exists": false}},
		},
	}
	for _, tc := range []struct {
		event string
		want  bool
	}{
		{`{"source":"aws.ec2","detail":{"eventName":"A"}}`, true},
		{`{"source":"aws.ec2","detail":{"eventName":"B","other":1}}`, true},
		{`{"source":"aws.ec2","detail":{"eventName":"C"}}`, false},
		{`{"source":"aws.ec2","detail":{"eventName":"A","errorCode":"AccessDenied"}}`, false},
		{`{"source":"aws.s3","detail":{"eventName":"A"}}`, false},
		{`{"source":"aws.ec2"}`, false},
		{`{"source":["x","aws.ec2"],"detail":{"eventName":"A"}}`, true},
	} {
		var ev map[string]interface{}
		if err := json.Unmarshal([]byte(tc.event), &ev); err != nil {
			t.Fatal(err)
		}
		got, err := matchPattern(pattern, ev)
		if err != nil || got != tc.want {
			t.Errorf("%s: match = %v (%v), want %v", tc.event, got, err, tc.want)
		}
	}
	if _, err := matchPattern(map[string]interface{}{"a": []interface{}{map[string]interface{}{"numeric": []interface{}{">", 1}}}}, map[string]interface{}{"a": 2.0}); err == nil {
		t.Error("an unsupported operator must be an error, not a silent mismatch")
	}
}

// Each rule in the synthesized template matches every event file of the
// calls its function handles, and no other file: the rest of the catalogue,
// and the failed calls (errorCode) of its own service.
func TestRulePatternsMatchTheEventFiles(t *testing.T) {
	s := synth(t, reportCtx)
	files, err := filepath.Glob(filepath.Join(testRepoRoot(t), "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no events/*.json to match the rules against")
	}
	type eventFile struct {
		name  string
		event map[string]interface{}
	}
	var events []eventFile
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev map[string]interface{}
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		events = append(events, eventFile{filepath.Base(f), ev})
	}

	rules := s.resources("AWS::Events::Rule")
	matchedBy := map[string][]string{} // file → functions whose rule matched it
	handled := map[string]bool{}       // event names with a matching file
	for name, fn := range s.stack.Functions {
		spec := functionSpecs[name]
		if spec.Trigger.Scheduled || spec.Trigger.Manual {
			continue
		}
		fnArn := toJSON(map[string]interface{}{"Fn::GetAtt": []string{s.logicalID(t, fn), "Arn"}})
		var patterns []map[string]interface{}
		for _, r := range rules {
			for _, target := range asList(props(r)["Targets"]) {
				if toJSON(target.(map[string]interface{})["Arn"]) == fnArn {
					p, _ := props(r)["EventPattern"].(map[string]interface{})
					patterns = append(patterns, p)
				}
			}
		}
		if len(patterns) != len(spec.Triggers()) || slices.ContainsFunc(patterns, func(p map[string]interface{}) bool { return p == nil }) {
			t.Fatalf("%s: %d rules with an event pattern target it, want one per trigger (%d)", name, len(patterns), len(spec.Triggers()))
		}
		matches := 0
		for _, ef := range events {
			got := false
			for _, pattern := range patterns {
				m, err := matchPattern(pattern, ef.event)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				got = got || m
			}
			detail, _ := ef.event["detail"].(map[string]interface{})
			eventName, _ := detail["eventName"].(string)
			_, failed := detail["errorCode"]
			extra, _ := detail["additionalEventData"].(map[string]interface{})
			want := false
			for _, tr := range spec.Triggers() {
				want = want || (ef.event["source"] == tr.Source && detail["eventSource"] == tr.EventSource &&
					slices.Contains(tr.EventNames, eventName) && !failed && (tr.Service == "" || extra["service"] == tr.Service))
			}
			if got != want {
				t.Errorf("rules of %s on %s: match = %v, want %v", name, ef.name, got, want)
			}
			if got {
				matches++
				matchedBy[ef.name] = append(matchedBy[ef.name], name)
				handled[eventName] = true
			}
		}
		if matches == 0 {
			t.Errorf("rules of %s match none of the %d event files", name, len(events))
		}
		for _, tr := range spec.Triggers() {
			for _, en := range tr.EventNames {
				if !handled[en] {
					t.Errorf("%s handles %s but no event file of that call matches its rule", name, en)
				}
			}
		}
	}
	failedCalls := 0
	for _, ef := range events {
		if fns := matchedBy[ef.name]; len(fns) > 1 {
			t.Errorf("%s matches the rules of %v: one event, one function", ef.name, fns)
		}
		if detail, _ := ef.event["detail"].(map[string]interface{}); detail["errorCode"] != nil {
			failedCalls++
		}
	}
	if failedCalls == 0 {
		t.Error("no event file of a failed call (errorCode): the errorCode filter is untested")
	}
}
