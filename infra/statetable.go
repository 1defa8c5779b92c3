package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// The state table's contract (pkg/state): partition key pk (S), sort key
// sk (S), TTL attribute expires (N, epoch seconds).
const (
	stateTablePK  = "pk"
	stateTableSK  = "sk"
	stateTableTTL = "expires"
)

// The record families of the state table, by the first segment of pk
// (dynamodb:LeadingKeys): the placement index, and the repair ledger, undo
// holds, event progress and VPC locks (pkg/ledger). The event functions
// touch them all; the sweep and the undo function every one but event
// progress.
var (
	eventFamilies  = []string{"placement#*", "ledger#*", "hold#*", "event#*", "lock#*"}
	repairFamilies = []string{"placement#*", "ledger#*", "hold#*", "lock#*"}
)

// newStateTable is the state table: on-demand, point-in-time recovery on,
// encrypted with the AWS-managed KMS key, kept when the stack is deleted
// (it holds the index, later the repair ledger) and protected from
// deletion.
func (s *VpcGuardStack) newStateTable() awsdynamodb.Table {
	return awsdynamodb.NewTable(s.Stack, jsii.String("StateTable"), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(stateTablePK), Type: awsdynamodb.AttributeType_STRING},
		SortKey:             &awsdynamodb.Attribute{Name: jsii.String(stateTableSK), Type: awsdynamodb.AttributeType_STRING},
		TimeToLiveAttribute: jsii.String(stateTableTTL),
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:         awsdynamodb.TableEncryption_AWS_MANAGED,
		DeletionProtection: jsii.Bool(true),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
	})
}

// stateTableStatement grants a function exactly the item actions it makes
// on the state table, on that table only (no index, no stream), and only on
// items of the families it keeps.
func stateTableStatement(table awsdynamodb.Table, actions, families []string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("UseStateTable"),
		Effect:    awsiam.Effect_ALLOW,
		Actions:   jsii.Strings(actions...),
		Resources: &[]*string{table.TableArn()},
		Conditions: &map[string]interface{}{
			"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": families},
		},
	})
}
