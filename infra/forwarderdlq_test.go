package main

import (
	"fmt"
	"maps"
	"slices"
	"testing"
)

// TestForwarderRulesHaveADeadLetterQueue: in every member account and
// Region, each forwarder rule's target keeps what it cannot deliver in the
// forwarder's queue, which is encrypted, TLS only, keeps messages 14 days,
// and accepts messages only from EventBridge for those rules.
func TestForwarderRulesHaveADeadLetterQueue(t *testing.T) {
	for _, ctx := range []map[string]string{orgCtx, orgRemediateCtx, orgDefaultsCtx} {
		tmpl := synth(t, ctx).stack.Organization.ForwarderTemplate
		qID, q := only(t, "forwarder queue", templateResources(tmpl, "AWS::SQS::Queue"))
		if p := props(q); p["QueueName"] != forwarderDLQName || p["SqsManagedSseEnabled"] != true ||
			p["MessageRetentionPeriod"] != float64(14*24*3600) {
			t.Errorf("%v: queue %s", ctx, toJSON(p))
		}
		queueArn := "${" + qID + ".Arn}"

		rules := templateResources(tmpl, "AWS::Events::Rule")
		if len(rules) == 0 {
			t.Fatalf("%v: no forwarder rule", ctx)
		}
		for id, r := range rules {
			for _, target := range asList(props(r)["Targets"]) {
				dlc, _ := target.(map[string]interface{})["DeadLetterConfig"].(map[string]interface{})
				if flatten(dlc["Arn"]) != queueArn {
					t.Errorf("%v: rule %s target %s has no dead-letter queue %s", ctx, id, toJSON(target), queueArn)
				}
			}
		}

		// The queue policy: TLS only, and one Allow per rule, for
		// EventBridge's SendMessage from that rule; nothing else.
		_, pol := only(t, "forwarder queue policy", templateResources(tmpl, "AWS::SQS::QueuePolicy"))
		if qs := asList(props(pol)["Queues"]); len(qs) != 1 || flatten(qs[0]) != "${"+qID+"}" {
			t.Errorf("%v: the policy is of %s", ctx, toJSON(qs))
		}
		allowed := map[string]bool{}
		denyTLS := 0
		for _, st := range statements(props(pol)["PolicyDocument"]) {
			s := toJSON(resolve(st))
			if st["Effect"] == "Deny" {
				if s == fmt.Sprintf(`{"Action":"sqs:*","Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny","Principal":{"AWS":"*"},"Resource":%q}`, queueArn) {
					denyTLS++
					continue
				}
				t.Errorf("%v: unexpected Deny %s", ctx, s)
				continue
			}
			cond, _ := st["Condition"].(map[string]interface{})
			arnEquals, _ := cond["ArnEquals"].(map[string]interface{})
			source := flatten(arnEquals["aws:SourceArn"])
			want := map[string]interface{}{
				"Action": "sqs:SendMessage", "Effect": "Allow", "Principal": map[string]interface{}{"Service": "events.amazonaws.com"},
				"Resource": queueArn, "Condition": map[string]interface{}{"ArnEquals": map[string]interface{}{"aws:SourceArn": source}},
			}
			delete(st, "Sid")
			if s := toJSON(resolve(st)); s != toJSON(want) || allowed[source] {
				t.Errorf("%v: queue policy statement %s, want %s once per rule", ctx, s, toJSON(want))
			}
			allowed[source] = true
		}
		var ruleArns []string
		for id := range rules {
			ruleArns = append(ruleArns, "${"+id+".Arn}")
		}
		if got := slices.Sorted(maps.Keys(allowed)); denyTLS != 1 || !slices.Equal(got, slices.Sorted(slices.Values(ruleArns))) {
			t.Errorf("%v: the queue accepts EventBridge for %v (TLS denies %d), want exactly the rules %v", ctx, got, denyTLS, ruleArns)
		}

		out, _ := tmpl["Outputs"].(map[string]interface{})
		if o, _ := out["ForwarderDeadLetterQueueUrl"].(map[string]interface{}); flatten(o["Value"]) != "${"+qID+"}" {
			t.Errorf("%v: outputs %s", ctx, toJSON(out))
		}
	}
}
