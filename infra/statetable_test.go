package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The state table is the single-table contract of pkg/state: pk/sk
// strings, TTL on expires, on demand, point-in-time recovery, encrypted,
// retained and protected.
func TestStateTable(t *testing.T) {
	s := synth(t, reportCtx)
	noPanic(t, "state table", func() {
		s.template.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(1))
		s.template.HasResource(jsii.String("AWS::DynamoDB::Table"), &map[string]interface{}{
			"DeletionPolicy":      "Retain",
			"UpdateReplacePolicy": "Retain",
			"Properties": map[string]interface{}{
				"KeySchema": []interface{}{
					map[string]interface{}{"AttributeName": "pk", "KeyType": "HASH"},
					map[string]interface{}{"AttributeName": "sk", "KeyType": "RANGE"},
				},
				"AttributeDefinitions": []interface{}{
					map[string]interface{}{"AttributeName": "pk", "AttributeType": "S"},
					map[string]interface{}{"AttributeName": "sk", "AttributeType": "S"},
				},
				"BillingMode":                      "PAY_PER_REQUEST",
				"PointInTimeRecoverySpecification": map[string]interface{}{"PointInTimeRecoveryEnabled": true},
				"SSESpecification":                 map[string]interface{}{"SSEEnabled": true},
				"TimeToLiveSpecification":          map[string]interface{}{"AttributeName": "expires", "Enabled": true},
				"DeletionProtectionEnabled":        true,
				"GlobalSecondaryIndexes":           assertions.Match_Absent(),
				"StreamSpecification":              assertions.Match_Absent(),
			},
		})
	})
}

// Each function may make exactly the item actions it uses, on the state
// table only, on the record families it uses only (the placement index;
// the ledger, holds and VPC locks of pkg/ledger; event progress for the
// event functions alone).
func TestStateTableGrantsAreExactAndScoped(t *testing.T) {
	for _, ctx := range []map[string]string{reportCtx, remediateCtx} {
		s := synth(t, ctx)
		table := "${" + s.logicalID(t, s.stack.StateTable) + ".Arn}"
		byRole := map[string][]string{}
		for _, g := range s.grants(t) {
			if !strings.HasPrefix(g.action, "dynamodb:") {
				continue
			}
			if g.resource != table {
				t.Errorf("%v: %s may %s on %s, want the state table only", ctx, g.role, g.action, g.resource)
			}
			families := `["placement#*","ledger#*","hold#*","lock#*"]`
			if g.role == s.logicalID(t, s.stack.Roles["modelguard"]) || g.role == s.logicalID(t, s.stack.Roles["endpointguard"]) {
				families = `["placement#*","ledger#*","hold#*","event#*","lock#*"]`
			}
			if want := `{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":` + families + `}}`; g.condition != want {
				t.Errorf("%v: %s %s condition %s, want %s", ctx, g.role, g.action, g.condition, want)
			}
			byRole[g.role] = append(byRole[g.role], g.action)
		}
		for name, role := range s.stack.Roles {
			got := slices.Sorted(slices.Values(byRole[s.logicalID(t, role)]))
			if want := slices.Sorted(slices.Values(functionSpecs[name].StateActions)); !slices.Equal(got, want) {
				t.Errorf("%v: %s may %v on the state table, want exactly %v", ctx, name, got, want)
			}
		}
	}
}
