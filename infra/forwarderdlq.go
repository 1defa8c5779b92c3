package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// forwarderDLQName is the forwarder's dead-letter queue in every member
// account and Region: a fixed name, so that an operator finds it as
// https://sqs.<region>.amazonaws.com/<member account>/vpcguard-forwarder-dlq.
const forwarderDLQName = "vpcguard-forwarder-dlq"

// newForwarderDeadLetterQueue is where the forwarder rules' targets put an
// event EventBridge could not put on the central bus (the bus policy
// refuses it, the bus is gone, throttling outlasted the retries), instead
// of dropping it: encrypted, TLS only, 14 days (SQS's longest). Each rule
// target that names it adds the one statement CDK writes for a rule's
// dead-letter queue: events.amazonaws.com may send to it only for that
// rule (aws:SourceArn).
func newForwarderDeadLetterQueue(stack awscdk.Stack) awssqs.Queue {
	q := awssqs.NewQueue(stack, jsii.String("ForwarderDeadLetterQueue"), &awssqs.QueueProps{
		QueueName:       jsii.String(forwarderDLQName),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	suppress(q, false, suppression{
		id: "AwsSolutions-SQS3",
		reason: "This queue is the dead-letter queue of the forwarder rules' targets (EventBridge DeadLetterConfig, which the rule " +
			"does not recognise as a DLQ use); a dead-letter queue of its own would only move the undelivered events again.",
	})
	awscdk.NewCfnOutput(stack, jsii.String("ForwarderDeadLetterQueueUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("The calls this Region could not forward to the central vpcguard bus"),
		Value:       q.QueueUrl(),
	})
	return q
}
