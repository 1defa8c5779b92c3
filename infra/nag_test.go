package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestCdkNagAwsSolutionsReportsNoError(t *testing.T) {
	for _, ctx := range []map[string]string{
		reportCtx,
		remediateCtx,
		{"mode": "remediate", "remediations": actionAddALRepoDeny, "existingTrail": "true", "notificationEmail": "a@example.com"},
	} {
		s := synth(t, ctx)
		noPanic(t, "annotations", func() {
			errs := assertions.Annotations_FromStack(s.stack.Stack).FindError(
				jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
			for _, e := range *errs {
				t.Errorf("%v: %s: %v", ctx, *e.Id, e.Entry.Data)
			}
		})
	}
}

// Every suppression names its rule, is tied to a resource (no stack-wide
// suppressions), says why in a specific sentence, and for IAM5 names the
// exact wildcard resource it accepts.
func TestEverySuppressionIsSpecific(t *testing.T) {
	s := synth(t, remediateCtx)
	if md, ok := s.json["Metadata"].(map[string]interface{}); ok {
		if _, ok := md["cdk_nag"]; ok {
			t.Errorf("stack-wide cdk-nag suppression: %s", toJSON(md["cdk_nag"]))
		}
	}
	count := 0
	reasons := map[string]string{}
	for id, r := range s.json["Resources"].(map[string]interface{}) {
		md, _ := r.(map[string]interface{})["Metadata"].(map[string]interface{})
		nag, _ := md["cdk_nag"].(map[string]interface{})
		for _, x := range asList(nag["rules_to_suppress"]) {
			sup := x.(map[string]interface{})
			count++
			rule, _ := sup["id"].(string)
			reason, _ := sup["reason"].(string)
			applies := stringList(sup["applies_to"])
			if !strings.HasPrefix(rule, "AwsSolutions-") {
				t.Errorf("%s: suppression of %q", id, rule)
			}
			if rule == "AwsSolutions-IAM4" {
				t.Errorf("%s: AWS managed policies are never acceptable here", id)
			}
			if len(reason) < 80 || !strings.Contains(reason, ":") {
				t.Errorf("%s: %s reason too vague: %q", id, rule, reason)
			}
			if rule == "AwsSolutions-IAM5" && len(applies) == 0 {
				t.Errorf("%s: IAM5 suppressed for every wildcard, want the exact findings", id)
			}
			for _, a := range applies {
				if a == "Resource::arn:<AWS::Partition>:*" || strings.HasPrefix(a, "Action::") {
					t.Errorf("%s: suppression of %s", id, a)
				}
				key := rule + " " + a
				if prev, ok := reasons[key]; ok && prev != reason {
					t.Errorf("%s: two reasons for %s", id, key)
				}
				reasons[key] = reason
			}
		}
	}
	if count == 0 {
		t.Fatal("no suppression found: the test looks at the wrong place")
	}
}
