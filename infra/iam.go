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

// guardScope is where the guard permissions apply: the account of the
// stack they are deployed with, in Regions (the stack's own when empty).
// The function roles and the member role (organization mode) get their
// guard permissions from the same two builders below, with their scope.
type guardScope struct {
	stack   awscdk.Stack
	regions []*string // Region names, or tokens; empty: the stack's Region
}

// arns is the resource in every Region of the scope.
func (g guardScope) arns(service, resource, name string) []*string {
	if len(g.regions) == 0 {
		return []*string{regional(g.stack, service, resource, name)}
	}
	out := make([]*string, 0, len(g.regions))
	for _, r := range g.regions {
		out = append(out, g.stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String(service), Region: r, Resource: jsii.String(resource), ResourceName: jsii.String(name),
		}))
	}
	return out
}

// s3ServiceNames is the ec2:VpceServiceName condition value: the S3 gateway
// service of each Region (one string for one Region).
func (g guardScope) s3ServiceNames() interface{} {
	if len(g.regions) == 0 {
		return s3ServiceName(g.stack)
	}
	var out []*string
	for _, r := range g.regions {
		out = append(out, jsii.String(fmt.Sprintf("com.amazonaws.%s.s3", *r)))
	}
	if len(out) == 1 {
		return out[0]
	}
	return out
}

// functionScope is the scope of a function role: its account, in the
// member Regions of organization mode (for the central account's own
// models there), else the stack's Region.
func functionScope(stack awscdk.Stack, cfg Settings) guardScope {
	g := guardScope{stack: stack}
	if cfg.Organization() {
		g.regions = *jsii.Strings(cfg.MemberRegions...)
	}
	return g
}

func statement(sid string, actions []string, resources []*string, conditions map[string]interface{}) awsiam.PolicyStatement {
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

// functionStatements is the whole identity policy of one function role
// (besides sqs:SendMessage on the dead-letter queue, which the Lambda
// construct adds for its DeadLetterConfig): its own plumbing around the
// guard permissions. Write statements appear only in remediate mode, and
// only for the allowed actions.
func functionStatements(stack awscdk.Stack, cfg Settings, topic awssns.Topic, key awskms.Key, logs awslogs.LogGroup) []awsiam.PolicyStatement {
	scope := functionScope(stack, cfg)
	out := []awsiam.PolicyStatement{
		statement("WriteOwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, []*string{logs.LogGroupArn()}, nil),
	}
	out = append(out, guardReadStatements(scope)...)
	out = append(out,
		statement("PublishNotifications", []string{"sns:Publish"}, []*string{topic.TopicArn()}, nil),
		statement("EncryptNotifications", []string{"kms:Decrypt", "kms:GenerateDataKey"}, []*string{key.KeyArn()},
			map[string]interface{}{"StringEquals": map[string]interface{}{"kms:ViaService": snsViaService(stack)}}),
		statement("PutFindingEvents", []string{"events:PutEvents"},
			[]*string{regional(stack, "events", "event-bus", cfg.EventBusName)}, nil),
	)
	if cfg.SecurityHub {
		out = append(out, securityHubStatements(scope)...)
	}
	return append(out, guardWriteStatements(scope, cfg)...)
}

// guardReadStatements are the reads of state gathering (report mode).
func guardReadStatements(g guardScope) []awsiam.PolicyStatement { return modelReadStatements(g, true) }

// modelReadStatements are the reads that place models (SageMaker, EC2,
// bucket policies, role simulation) and, with scalableTargets, the
// variants' autoscaling limits.
func modelReadStatements(g guardScope, scalableTargets bool) []awsiam.PolicyStatement {
	star := []*string{jsii.String("*")}
	var sagemaker []*string
	for _, resource := range []string{"model", "endpoint-config", "endpoint"} {
		sagemaker = append(sagemaker, g.arns("sagemaker", resource, "*")...)
	}
	out := []awsiam.PolicyStatement{
		statement("DescribeSageMakerResources", sagemakerDescribeActions, sagemaker, nil),
		statement("ListSageMakerResources", sagemakerListActions, star, nil),
		statement("DescribeNetwork", ec2DescribeActions, star, nil),
	}
	if scalableTargets {
		out = append(out, statement("DescribeScalableTargets", autoscalingDescribeActions, star, nil))
	}
	return append(out,
		statement("ReadModelBucketPolicies", []string{"s3:GetBucketPolicy"},
			[]*string{g.stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("s3"), Region: jsii.String(""), Account: jsii.String(""), Resource: jsii.String("*"),
			})}, nil),
		statement("SimulateExecutionRoles", []string{"iam:SimulatePrincipalPolicy"},
			[]*string{g.stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("iam"), Region: jsii.String(""), Resource: jsii.String("role"), ResourceName: jsii.String("*"),
			})}, nil),
	)
}

// guardWriteStatements are exactly the permissions of the allowed
// remediation actions in remediate mode; none otherwise.
func guardWriteStatements(g guardScope, cfg Settings) []awsiam.PolicyStatement {
	vpcEndpoints := g.arns("ec2", "vpc-endpoint", "*")
	routeTables := g.arns("ec2", "route-table", "*")
	var out []awsiam.PolicyStatement
	if cfg.Allows(actionCreateS3GatewayEndpoint) {
		out = append(out,
			// ec2:VpceServiceName is a condition key of CreateVpcEndpoint on
			// the vpc-endpoint resource (Service Authorization Reference).
			statement("CreateS3GatewayEndpoint", []string{"ec2:CreateVpcEndpoint"}, vpcEndpoints,
				map[string]interface{}{"StringEquals": map[string]interface{}{"ec2:VpceServiceName": g.s3ServiceNames()}}),
			// The other resources a gateway endpoint's creation authorizes:
			// the VPC and the route tables it is attached to.
			statement("CreateS3GatewayEndpointIn", []string{"ec2:CreateVpcEndpoint"}, append(g.arns("ec2", "vpc", "*"), routeTables...), nil),
			statement("TagNewVpcEndpoints", []string{"ec2:CreateTags"}, vpcEndpoints,
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
		modify = append(modify, vpcEndpoints...)
	}
	if cfg.Allows(actionAssociateRouteTables) {
		modify = append(modify, routeTables...) // AddRouteTableIds
	}
	if len(modify) > 0 {
		out = append(out, statement("ModifyVpcEndpoints", []string{"ec2:ModifyVpcEndpoint"}, modify, nil))
	}
	return out
}

// undoStatements is the whole identity policy of the undo function's role:
// the reads that find an endpoint's models and re-read its state, and
// exactly the reverse writes of the allowed repairs (undoWriteStatements),
// in the function roles' scope (functionScope: the member Regions in
// organization mode, for the central account's own repairs there). No
// repair and no notification: undo neither creates nor adds anything.
func undoStatements(stack awscdk.Stack, cfg Settings, logs awslogs.LogGroup) []awsiam.PolicyStatement {
	scope := functionScope(stack, cfg)
	// The models' placement is gathered as for an event (one way to list
	// models), which reads their roles and buckets too; no autoscaling.
	out := append([]awsiam.PolicyStatement{
		statement("WriteOwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, []*string{logs.LogGroupArn()}, nil),
	}, modelReadStatements(scope, false)...)
	return append(out, undoWriteStatements(scope, cfg)...)
}

// undoWriteStatements are exactly the reverse writes of the allowed
// repairs in scope, none in report mode; the undo function's role holds
// them, and in organization mode the member role (for the undo function's
// sessions of it):
//
//   - add-al-repo-deny, associate-route-tables: ec2:ModifyVpcEndpoint (the
//     previous policy; RemoveRouteTableIds, which also needs the route
//     tables);
//   - create-s3-gateway-endpoint: ec2:DeleteVpcEndpoints, only on endpoints
//     tagged vpcguard:managed=true (aws:ResourceTag).
func undoWriteStatements(g guardScope, cfg Settings) []awsiam.PolicyStatement {
	vpcEndpoints := g.arns("ec2", "vpc-endpoint", "*")
	var out []awsiam.PolicyStatement
	var modify []*string
	if cfg.Allows(actionAssociateRouteTables) || cfg.Allows(actionAddALRepoDeny) {
		modify = append(modify, vpcEndpoints...)
	}
	if cfg.Allows(actionAssociateRouteTables) {
		modify = append(modify, g.arns("ec2", "route-table", "*")...) // RemoveRouteTableIds
	}
	if len(modify) > 0 {
		out = append(out, statement("UndoModifyVpcEndpoint", []string{"ec2:ModifyVpcEndpoint"}, modify, nil))
	}
	if cfg.Allows(actionCreateS3GatewayEndpoint) {
		out = append(out, statement("UndoCreateVpcEndpoint", []string{"ec2:DeleteVpcEndpoints"}, vpcEndpoints,
			map[string]interface{}{"StringEquals": map[string]interface{}{"aws:ResourceTag/" + managedTagKey: managedTagValue}}))
	}
	return out
}

// undoesInMembers reports whether the undo function takes repairs back in
// the member accounts: organization mode, with a repair allowed (remediate
// mode). Then, and only then, the member role holds the reverse writes and
// trusts the undo function's role, and that role may assume it.
func undoesInMembers(cfg Settings) bool {
	if !cfg.Organization() {
		return false
	}
	for _, id := range []string{actionAddALRepoDeny, actionAssociateRouteTables, actionCreateS3GatewayEndpoint} {
		if cfg.Allows(id) {
			return true
		}
	}
	return false
}

// addMemberUndoStatements gives the member role the undo function's
// reverse writes in the member Regions (organization mode), for the undo
// function's sessions only: aws:userid of a role session is
// <role id>:<session name>, and only the undo function's role may open a
// session named undoSessionPrefix… (the member role's trust), so the other
// functions' sessions of the same role cannot delete an endpoint.
func addMemberUndoStatements(role awsiam.Role, scope guardScope, cfg Settings) {
	for _, st := range undoWriteStatements(scope, cfg) {
		st.AddCondition(jsii.String("StringLike"), map[string]interface{}{"aws:userid": "*:" + undoSessionPrefix + "*"})
		role.AddToPrincipalPolicy(st)
	}
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

// securityHubStatements let a role write findings to the Security Hub of
// its own account (context securityHub=true), in every Region of its
// scope: importing only under the account's own product, only findings
// about the account itself (securityhub:TargetAccount is the AwsAccountId
// of the request's findings), and reading only the account's own hubs. The
// function roles get them for the central account, and the member role
// (organization mode) for each member, whose findings the central
// functions write through it. The Service Authorization Reference gives
// BatchImportFindings the product resource and GetFindings the hub
// resource.
func securityHubStatements(g guardScope) []awsiam.PolicyStatement {
	account := g.stack.Account()
	return []awsiam.PolicyStatement{
		statement("ImportOwnSecurityHubFindings", []string{"securityhub:BatchImportFindings"},
			g.arns("securityhub", "product", *account+"/default"),
			map[string]interface{}{"StringEquals": map[string]interface{}{"securityhub:TargetAccount": account}}),
		statement("ReadOwnSecurityHubFindings", []string{"securityhub:GetFindings"}, g.arns("securityhub", "hub", "default"), nil),
	}
}
