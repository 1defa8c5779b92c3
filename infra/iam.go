package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
)

// The read actions that state gathering needs (issue #2). The ones listed
// here are exactly those of the function code; Describe/List actions of EC2,
// sagemaker:List* and application-autoscaling:DescribeScalableTargets (an
// endpoint variant's autoscaling max) support no resource ARNs, so they are
// granted on "*".
var (
	sagemakerDescribeActions = []string{
		"sagemaker:DescribeModel",
		"sagemaker:DescribeEndpointConfig",
		"sagemaker:DescribeEndpoint",
		"sagemaker:ListTags",
	}
	sagemakerListActions = []string{
		"sagemaker:ListModels",
		"sagemaker:ListEndpoints",
	}
	ec2DescribeActions = []string{
		"ec2:DescribeSubnets",
		"ec2:DescribeRouteTables",
		"ec2:DescribeVpcEndpoints",
		"ec2:DescribeVpcs",
		"ec2:DescribeVpcAttribute",
		"ec2:DescribeDhcpOptions",
		"ec2:DescribeFlowLogs",
		"ec2:DescribeSecurityGroups",
		"ec2:DescribeNatGateways",
		"ec2:DescribePrefixLists",
		"ec2:DescribeNetworkAcls",
	}
	autoscalingDescribeActions = []string{
		"application-autoscaling:DescribeScalableTargets",
	}
)

// regional is arn:<partition>:<service>:<region>:<account>:<resource>/<name>
// in the stack's own region and account.
func regional(stack awscdk.Stack, service, resource, name string) *string {
	return stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String(service), Resource: jsii.String(resource), ResourceName: jsii.String(name),
	})
}

// s3ServiceName is the gateway endpoint service vpcguard may create.
func s3ServiceName(stack awscdk.Stack) *string {
	return jsii.String(fmt.Sprintf("com.amazonaws.%s.s3", *stack.Region()))
}

// functionStatements is the whole identity policy of one function role
// (besides sqs:SendMessage on the dead-letter queue, which the Lambda
// construct adds for its DeadLetterConfig). Write statements appear only in
// remediate mode, and only for the allowed actions.
func functionStatements(stack awscdk.Stack, cfg Settings, topic awssns.Topic, key awskms.Key, logs awslogs.LogGroup) []awsiam.PolicyStatement {
	st := func(sid string, actions []string, resources []*string, conditions map[string]interface{}) awsiam.PolicyStatement {
		p := &awsiam.PolicyStatementProps{
			Sid:       jsii.String(sid),
			Effect:    awsiam.Effect_ALLOW,
			Actions:   jsii.Strings(actions...),
			Resources: &resources,
		}
		if conditions != nil {
			p.Conditions = &conditions
		}
		return awsiam.NewPolicyStatement(p)
	}
	star := []*string{jsii.String("*")}
	vpcEndpoints := regional(stack, "ec2", "vpc-endpoint", "*")
	routeTables := regional(stack, "ec2", "route-table", "*")

	out := []awsiam.PolicyStatement{
		st("WriteOwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			[]*string{logs.LogGroupArn()}, nil),
		st("DescribeSageMakerResources", sagemakerDescribeActions, []*string{
			regional(stack, "sagemaker", "model", "*"),
			regional(stack, "sagemaker", "endpoint-config", "*"),
			regional(stack, "sagemaker", "endpoint", "*"),
		}, nil),
		st("ListSageMakerResources", sagemakerListActions, star, nil),
		st("DescribeNetwork", ec2DescribeActions, star, nil),
		st("DescribeScalableTargets", autoscalingDescribeActions, star, nil),
		st("ReadModelBucketPolicies", []string{"s3:GetBucketPolicy"},
			[]*string{stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("s3"), Region: jsii.String(""), Account: jsii.String(""), Resource: jsii.String("*"),
			})}, nil),
		st("SimulateExecutionRoles", []string{"iam:SimulatePrincipalPolicy"},
			[]*string{stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("iam"), Region: jsii.String(""), Resource: jsii.String("role"), ResourceName: jsii.String("*"),
			})}, nil),
		st("PublishNotifications", []string{"sns:Publish"}, []*string{topic.TopicArn()}, nil),
		st("EncryptNotifications", []string{"kms:Decrypt", "kms:GenerateDataKey"}, []*string{key.KeyArn()},
			map[string]interface{}{"StringEquals": map[string]interface{}{"kms:ViaService": snsViaService(stack)}}),
		st("PutFindingEvents", []string{"events:PutEvents"},
			[]*string{regional(stack, "events", "event-bus", cfg.EventBusName)}, nil),
	}

	if cfg.SecurityHub {
		out = append(out, securityHubStatements(stack)...)
	}

	if cfg.Allows(actionCreateS3GatewayEndpoint) {
		out = append(out,
			// ec2:VpceServiceName is a condition key of CreateVpcEndpoint on
			// the vpc-endpoint resource (Service Authorization Reference).
			st("CreateS3GatewayEndpoint", []string{"ec2:CreateVpcEndpoint"}, []*string{vpcEndpoints},
				map[string]interface{}{"StringEquals": map[string]interface{}{"ec2:VpceServiceName": s3ServiceName(stack)}}),
			// The other resources a gateway endpoint's creation authorizes:
			// the VPC and the route tables it is attached to.
			st("CreateS3GatewayEndpointIn", []string{"ec2:CreateVpcEndpoint"}, []*string{
				regional(stack, "ec2", "vpc", "*"),
				routeTables,
			}, nil),
			st("TagNewVpcEndpoints", []string{"ec2:CreateTags"}, []*string{vpcEndpoints},
				map[string]interface{}{"StringEquals": map[string]interface{}{"ec2:CreateAction": "CreateVpcEndpoint"}}),
		)
	}
	// ModifyVpcEndpoint: the Service Authorization Reference lists no
	// ec2:VpceServiceName for this action (only ec2:Attribute, ec2:Region,
	// ec2:ResourceTag, ec2:VpceMultiRegion, ec2:VpceServiceRegion), so a
	// condition on it would never match and every repair would be denied.
	// It is scoped to this account and region instead.
	var modify []*string
	if cfg.Allows(actionAssociateRouteTables) || cfg.Allows(actionAddALRepoDeny) {
		modify = append(modify, vpcEndpoints)
	}
	if cfg.Allows(actionAssociateRouteTables) {
		modify = append(modify, routeTables) // AddRouteTableIds
	}
	if len(modify) > 0 {
		out = append(out, st("ModifyVpcEndpoints", []string{"ec2:ModifyVpcEndpoint"}, modify, nil))
	}
	return out
}

// undoStatements is the whole identity policy of the undo function's role:
// the reads that find an endpoint's models and re-read its state, and
// exactly the reverse writes of the allowed repairs, on this account and
// region:
//
//   - add-al-repo-deny, associate-route-tables: ec2:ModifyVpcEndpoint (the
//     previous policy; RemoveRouteTableIds, which also needs the route
//     tables);
//   - create-s3-gateway-endpoint: ec2:DeleteVpcEndpoints, only on endpoints
//     tagged vpcguard:managed=true (aws:ResourceTag).
//
// No repair and no notification: undo neither creates nor adds anything.
func undoStatements(stack awscdk.Stack, cfg Settings, logs awslogs.LogGroup) []awsiam.PolicyStatement {
	st := func(sid string, actions []string, resources []*string, conditions map[string]interface{}) awsiam.PolicyStatement {
		p := &awsiam.PolicyStatementProps{
			Sid: jsii.String(sid), Effect: awsiam.Effect_ALLOW, Actions: jsii.Strings(actions...), Resources: &resources,
		}
		if conditions != nil {
			p.Conditions = &conditions
		}
		return awsiam.NewPolicyStatement(p)
	}
	star := []*string{jsii.String("*")}
	vpcEndpoints := regional(stack, "ec2", "vpc-endpoint", "*")
	out := []awsiam.PolicyStatement{
		st("WriteOwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, []*string{logs.LogGroupArn()}, nil),
		st("DescribeSageMakerResources", sagemakerDescribeActions, []*string{
			regional(stack, "sagemaker", "model", "*"),
			regional(stack, "sagemaker", "endpoint-config", "*"),
			regional(stack, "sagemaker", "endpoint", "*"),
		}, nil),
		st("ListSageMakerResources", sagemakerListActions, star, nil),
		st("DescribeNetwork", ec2DescribeActions, star, nil),
		// The models' placement is gathered as for an event (one way to
		// list models), which reads their roles and buckets too.
		st("ReadModelBucketPolicies", []string{"s3:GetBucketPolicy"},
			[]*string{stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("s3"), Region: jsii.String(""), Account: jsii.String(""), Resource: jsii.String("*"),
			})}, nil),
		st("SimulateExecutionRoles", []string{"iam:SimulatePrincipalPolicy"},
			[]*string{stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("iam"), Region: jsii.String(""), Resource: jsii.String("role"), ResourceName: jsii.String("*"),
			})}, nil),
	}
	var modify []*string
	if cfg.Allows(actionAssociateRouteTables) || cfg.Allows(actionAddALRepoDeny) {
		modify = append(modify, vpcEndpoints)
	}
	if cfg.Allows(actionAssociateRouteTables) {
		modify = append(modify, regional(stack, "ec2", "route-table", "*")) // RemoveRouteTableIds
	}
	if len(modify) > 0 {
		out = append(out, st("UndoModifyVpcEndpoint", []string{"ec2:ModifyVpcEndpoint"}, modify, nil))
	}
	if cfg.Allows(actionCreateS3GatewayEndpoint) {
		out = append(out, st("UndoCreateVpcEndpoint", []string{"ec2:DeleteVpcEndpoints"}, []*string{vpcEndpoints},
			map[string]interface{}{"StringEquals": map[string]interface{}{"aws:ResourceTag/" + managedTagKey: managedTagValue}}))
	}
	return out
}

// The tag of every endpoint vpcguard creates (pkg/remediate), which the
// undo's deletion requires.
const (
	managedTagKey   = "vpcguard:managed"
	managedTagValue = "true"
)

// stateStatements let the sweep read and write its cursor object, and list
// the bucket so that a missing object reads as NoSuchKey (no state yet)
// rather than AccessDenied.
func stateStatements(bucket awss3.Bucket, key string) []awsiam.PolicyStatement {
	return []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadWriteSweepState"),
			Actions:   jsii.Strings("s3:GetObject", "s3:PutObject"),
			Resources: &[]*string{bucket.ArnForObjects(jsii.String(key))},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ListSweepStateBucket"),
			Actions:   jsii.Strings("s3:ListBucket"),
			Resources: &[]*string{bucket.BucketArn()},
		}),
	}
}

// securityHubStatements let a function write its findings to the Security
// Hub of its own account and Region (context securityHub=true): importing
// only under the account's own product, only findings about the account
// itself (securityhub:TargetAccount is the AwsAccountId of the request's
// findings), and reading the findings of its own hub. The Service
// Authorization Reference gives BatchImportFindings the product resource
// and GetFindings the hub resource.
func securityHubStatements(stack awscdk.Stack) []awsiam.PolicyStatement {
	product := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("securityhub"), Resource: jsii.String("product"),
		ResourceName: awscdk.Fn_Join(jsii.String(""), &[]*string{stack.Account(), jsii.String("/default")}),
	})
	hub := regional(stack, "securityhub", "hub", "default")
	return []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ImportOwnSecurityHubFindings"),
			Actions:   jsii.Strings("securityhub:BatchImportFindings"),
			Resources: &[]*string{product},
			Conditions: &map[string]interface{}{
				"StringEquals": map[string]interface{}{"securityhub:TargetAccount": stack.Account()},
			},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadOwnSecurityHubFindings"),
			Actions:   jsii.Strings("securityhub:GetFindings"),
			Resources: &[]*string{hub},
		}),
	}
}
