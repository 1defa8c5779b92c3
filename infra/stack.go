package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudtrail"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// cloudTrailDetailType is the detail-type of CloudTrail management events on
// the default event bus.
const cloudTrailDetailType = "AWS API Call via CloudTrail"

// Async delivery settings shared by the rule targets and the functions.
const (
	retryAttempts  = 2
	maxEventAgeHrs = 1
	logRetention   = awslogs.RetentionDays_ONE_MONTH
)

// StackProps configures NewVpcGuardStack.
type StackProps struct {
	awscdk.StackProps
	RepoRoot  string         // holds go.mod and functions/
	Settings  Settings       // context parameters
	Functions []FunctionSpec // from DiscoverFunctions
}

// VpcGuardStack exposes what the tests look at.
type VpcGuardStack struct {
	awscdk.Stack
	Topic     awssns.Topic
	Key       awskms.Key
	DLQ       awssqs.Queue
	Functions map[string]awslambda.Function
	Roles     map[string]awsiam.Role
	// StateBucket holds the sweep's cursor; nil when no function keeps state.
	StateBucket awss3.Bucket
	// Organization is what organization mode adds (org.go); nil otherwise.
	Organization *Organization
	// StateTable is the state table (VPCGUARD_STATE_TABLE): the placement
	// index; nil when no function uses it.
	StateTable awsdynamodb.Table
	accessLogs awss3.Bucket // created on first use
}

// sweepStateKey is the object that holds the sweep's cursor and last findings.
const sweepStateKey = "sweep/state.json"

// NewVpcGuardStack defines every resource vpcguard needs in one account and
// region: per function a role, log group, Lambda and its trigger; a shared
// dead-letter queue; the KMS-encrypted notification topic; alarms; and
// (unless existingTrail) the CloudTrail trail that makes EventBridge see the
// API calls at all.
func NewVpcGuardStack(scope constructs.Construct, id string, props *StackProps) *VpcGuardStack {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	s := &VpcGuardStack{
		Stack:     stack,
		Functions: map[string]awslambda.Function{},
		Roles:     map[string]awsiam.Role{},
	}
	cfg := props.Settings

	// Notification topic, encrypted with a customer-managed key.
	s.Key = awskms.NewKey(stack, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("vpcguard: encrypts the notification topic"),
		EnableKeyRotation: jsii.Bool(true),
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	s.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToEncrypt"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": stack.Account()},
		},
	}), nil)
	s.Topic = awssns.NewTopic(stack, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("vpcguard"),
		MasterKey:   s.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	if cfg.NotificationEmail != "" {
		s.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(cfg.NotificationEmail), nil))
	}

	// One dead-letter queue for the rule targets (EventBridge could not
	// invoke) and the functions (the async invocation failed every retry).
	s.DLQ = awssqs.NewQueue(stack, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})

	if !cfg.ExistingTrail {
		s.newTrail()
	}
	for _, spec := range props.Functions {
		if spec.KeepsState && s.StateBucket == nil {
			s.StateBucket = s.newBucket("SweepStateBucket", "sweep-state/", nil)
		}
		if len(spec.StateActions) > 0 && s.StateTable == nil {
			s.StateTable = s.newStateTable()
		}
	}

	// The roles of the functions that repair and notify: every one but
	// the undo function's, which does neither.
	var roleArns []*string
	for _, spec := range props.Functions {
		fn, role := s.addFunction(props.RepoRoot, cfg, spec)
		s.Functions[spec.Name] = fn
		s.Roles[spec.Name] = role
		if !spec.Undoes {
			roleArns = append(roleArns, role.RoleArn())
		}
	}
	// Every function skips the events of the vpcguard roles that repair
	// (own-role loop guard): a repair by modelguard is an EC2 event for
	// endpointguard. An undo's is not skipped: it is evaluated like a
	// person's change (the finding reopens at once) and its repair is held,
	// not redone.
	for _, spec := range props.Functions {
		s.Functions[spec.Name].AddEnvironment(jsii.String("VPCGUARD_ROLE_ARN"),
			awscdk.Fn_Join(jsii.String(","), &roleArns), nil)
	}
	// The health self-check reads the stack's own rules, functions, topic
	// and dead-letter queue (health.go).
	for _, spec := range props.Functions {
		if !spec.ChecksHealth {
			continue
		}
		for k, v := range s.healthEnv(props.Functions) {
			s.Functions[spec.Name].AddEnvironment(jsii.String(k), v, nil)
		}
		for _, st := range healthStatements(s.Stack, props.Functions, s.Topic, s.DLQ) {
			s.Roles[spec.Name].AddToPrincipalPolicy(st)
		}
		suppress(s.Roles[spec.Name], true, healthSuppressions()...)
	}
	// The others name the undo function in each repair's undo command.
	for _, u := range props.Functions {
		if !u.Undoes {
			continue
		}
		for _, spec := range props.Functions {
			if !spec.Undoes {
				s.Functions[spec.Name].AddEnvironment(jsii.String("VPCGUARD_UNDO_FUNCTION"), s.Functions[u.Name].FunctionName(), nil)
			}
		}
	}
	// The key policy names the roles of the functions that notify (not
	// undo's, which publishes nothing): only they (and the account's
	// administrators, through the default statement) may use the key, and
	// only through SNS. The roles are named in a condition, not as
	// principals, so KMS does not reject a role that IAM has not propagated
	// yet when the stack is first created.
	s.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowVpcGuardFunctionsToPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAccountRootPrincipal()},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{
			"ArnEquals":    map[string]interface{}{"aws:PrincipalArn": roleArns},
			"StringEquals": map[string]interface{}{"kms:ViaService": snsViaService(stack)},
		},
	}), nil)
	// CloudWatch alarms publish as a service: the topic policy must allow it
	// (enforceSSL replaced the default policy), for this account's alarms.
	s.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{s.Topic.TopicArn()},
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": stack.Account()},
			"ArnLike": map[string]interface{}{"aws:SourceArn": stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"), ResourceName: jsii.String("*"),
				ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
			})},
		},
	}))

	dlqAlarm := awscloudwatch.NewAlarm(stack, jsii.String("DeadLetterQueueAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("vpcguard: events could not be delivered or processed; they wait in the dead-letter queue"),
		Metric: s.DLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period:    awscdk.Duration_Minutes(jsii.Number(5)),
			Statistic: jsii.String("Maximum"),
		}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	dlqAlarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(s.Topic))

	awscdk.NewCfnOutput(stack, jsii.String("TopicArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("SNS topic of vpcguard's notifications"),
		Value:       s.Topic.TopicArn(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("DeadLetterQueueUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Events that could not be delivered or processed"),
		Value:       s.DLQ.QueueUrl(),
	})
	for _, spec := range props.Functions {
		awscdk.NewCfnOutput(stack, jsii.String(pascal(spec.Name)+"FunctionName"), &awscdk.CfnOutputProps{
			Description: jsii.String("Lambda function " + spec.Name),
			Value:       s.Functions[spec.Name].FunctionName(),
		})
	}
	return s
}

// addFunction defines functions/<name>: role, log group, function, trigger
// and error alarm.
func (s *VpcGuardStack) addFunction(repoRoot string, cfg Settings, spec FunctionSpec) (awslambda.Function, awsiam.Role) {
	id := pascal(spec.Name)
	scope := constructs.NewConstruct(s.Stack, jsii.String(id))

	description := "vpcguard " + spec.Name + ": reads SageMaker and VPC state, notifies" + remediateSuffix(cfg)
	if spec.Undoes {
		description = "vpcguard " + spec.Name + ": reads VPC state and the ledger, takes repairs back" + remediateSuffix(cfg)
	}
	role := awsiam.NewRole(scope, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(description),
	})
	logGroup := awslogs.NewLogGroup(scope, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     logRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	statements := functionStatements(s.Stack, cfg, s.Topic, s.Key, logGroup)
	if spec.Undoes {
		statements = undoStatements(s.Stack, cfg, logGroup)
	}
	for _, st := range statements {
		role.AddToPrincipalPolicy(st)
	}
	env := functionEnv(cfg, s.Topic)
	if spec.KeepsState {
		for _, st := range stateStatements(s.StateBucket, sweepStateObjects(cfg)) {
			role.AddToPrincipalPolicy(st)
		}
		(*env)["VPCGUARD_SWEEP_STATE"] = jsii.String("s3://" + *s.StateBucket.BucketName() + "/" + sweepStateKey)
	}
	if len(spec.StateActions) > 0 {
		role.AddToPrincipalPolicy(stateTableStatement(s.StateTable, spec.StateActions, spec.StateFamilies))
		(*env)["VPCGUARD_STATE_TABLE"] = s.StateTable.TableName()
	}

	fn := awslambda.NewFunction(scope, jsii.String("Function"), &awslambda.FunctionProps{
		FunctionName:          jsii.String(functionName(s.Stack, spec.Name)),
		Description:           jsii.String("vpcguard " + spec.Name),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String("bootstrap"),
		Code:                  functionCode(repoRoot, spec.Name),
		MemorySize:            jsii.Number(spec.Memory),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(spec.Timeout.Seconds())),
		Role:                  role,
		LogGroup:              logGroup,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel(cfg.LogLevel),
		SystemLogLevelV2:      awslambda.SystemLogLevel_INFO,
		Environment:           env,
		DeadLetterQueue:       s.DLQ,
		RetryAttempts:         jsii.Number(retryAttempts),
		MaxEventAge:           awscdk.Duration_Hours(jsii.Number(maxEventAgeHrs)),
	})

	target := awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
		DeadLetterQueue: s.DLQ,
		RetryAttempts:   jsii.Number(retryAttempts),
		MaxEventAge:     awscdk.Duration_Hours(jsii.Number(maxEventAgeHrs)),
	})
	for i, tr := range spec.Triggers() {
		ruleProps := &awsevents.RuleProps{Targets: &[]awsevents.IRuleTarget{target}, RuleName: jsii.String(ruleName(s.Stack, spec.Name, i, tr))}
		if tr.Scheduled {
			ruleProps.Description = jsii.String("vpcguard: scheduled sweep of every model and endpoint")
			ruleProps.Schedule = awsevents.Schedule_Expression(jsii.String(cfg.SweepSchedule))
		} else {
			ruleProps.Description = jsii.String("vpcguard: " + strings.Join(tr.EventNames, ", ") + " calls that succeeded")
			ruleProps.EventPattern = eventPattern(tr)
		}
		// The first rule keeps its construct id (and so its logical id in
		// deployed stacks); the others are named by their source.
		id := "Rule"
		if i > 0 {
			id = pascal(strings.TrimPrefix(tr.Source, "aws.")) + "Rule"
		}
		awsevents.NewRule(scope, jsii.String(id), ruleProps)
	}

	alarm := awscloudwatch.NewAlarm(scope, jsii.String("ErrorsAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("vpcguard " + spec.Name + ": invocations failed"),
		Metric: fn.MetricErrors(&awscloudwatch.MetricOptions{
			Period:    awscdk.Duration_Minutes(jsii.Number(5)),
			Statistic: jsii.String("Sum"),
		}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	alarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(s.Topic))

	if spec.Undoes {
		suppressUndoFindings(role, cfg)
	} else {
		suppressFunctionFindings(role, cfg)
	}
	return fn, role
}

// eventPattern matches the successful CloudTrail calls a function handles.
func eventPattern(t Trigger) *awsevents.EventPattern {
	detail := map[string]interface{}{
		"eventSource": []string{t.EventSource},
		"eventName":   t.EventNames,
		"errorCode":   []interface{}{map[string]interface{}{"exists": false}},
	}
	if t.Service != "" {
		detail["additionalEventData"] = map[string]interface{}{"service": []string{t.Service}}
	}
	return &awsevents.EventPattern{
		Source:     jsii.Strings(t.Source),
		DetailType: jsii.Strings(cloudTrailDetailType),
		Detail:     &detail,
	}
}

// functionEnv is the VPCGUARD_* contract that pkg/config reads (with
// VPCGUARD_ROLE_ARN, every vpcguard role, added once all roles exist).
func functionEnv(cfg Settings, topic awssns.Topic) *map[string]*string {
	env := map[string]*string{
		"VPCGUARD_MODE":               jsii.String(cfg.Mode),
		"VPCGUARD_TOPIC_ARN":          topic.TopicArn(),
		"VPCGUARD_EVENT_BUS":          jsii.String(cfg.EventBusName),
		"VPCGUARD_EXPECTED_INSTANCES": jsii.String(strconv.Itoa(cfg.ExpectedInstances)),
		"VPCGUARD_EXEMPT_TAG":         jsii.String(cfg.ExemptTag),
		"VPCGUARD_REMEDIATIONS":       jsii.String(cfg.RemediationsEnv()),
		"VPCGUARD_NOTIFY_COMPLIANT":   jsii.String(strconv.FormatBool(cfg.NotifyCompliant)),
	}
	if cfg.SecurityHub {
		env["VPCGUARD_SECURITY_HUB"] = jsii.String("true")
	}
	return &env
}

// newTrail records management write events in this region, which is what
// makes EventBridge receive "AWS API Call via CloudTrail" events.
func (s *VpcGuardStack) newTrail() awscloudtrail.Trail {
	bucket := s.newBucket("TrailBucket", "trail-bucket/", &awss3.BucketProps{
		Versioned: jsii.Bool(true),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                          jsii.String("expire"),
			Expiration:                  awscdk.Duration_Days(jsii.Number(365)),
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(30)),
		}},
	})
	return awscloudtrail.NewTrail(s.Stack, jsii.String("Trail"), &awscloudtrail.TrailProps{
		Bucket:                     bucket,
		IsMultiRegionTrail:         jsii.Bool(false),
		IncludeGlobalServiceEvents: jsii.Bool(false),
		ManagementEvents:           awscloudtrail.ReadWriteType_WRITE_ONLY,
		EnableFileValidation:       jsii.Bool(true),
		SendToCloudWatchLogs:       jsii.Bool(false),
	})
}

// newBucket is a private, encrypted, TLS-only bucket that logs its access
// to the stack's access-log bucket. Buckets are retained on destroy: they
// hold audit records or the sweep's cursor.
func (s *VpcGuardStack) newBucket(id, logPrefix string, extra *awss3.BucketProps) awss3.Bucket {
	p := awss3.BucketProps{}
	if extra != nil {
		p = *extra
	}
	p.Encryption = awss3.BucketEncryption_S3_MANAGED
	p.BlockPublicAccess = awss3.BlockPublicAccess_BLOCK_ALL()
	p.EnforceSSL = jsii.Bool(true)
	p.ObjectOwnership = awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED
	p.RemovalPolicy = awscdk.RemovalPolicy_RETAIN
	p.ServerAccessLogsBucket = s.accessLogBucket()
	p.ServerAccessLogsPrefix = jsii.String(logPrefix)
	return awss3.NewBucket(s.Stack, jsii.String(id), &p)
}

// accessLogBucket receives the server access logs of the other buckets.
func (s *VpcGuardStack) accessLogBucket() awss3.Bucket {
	if s.accessLogs == nil {
		s.accessLogs = awss3.NewBucket(s.Stack, jsii.String("AccessLogsBucket"), &awss3.BucketProps{
			Encryption:        awss3.BucketEncryption_S3_MANAGED,
			BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
			EnforceSSL:        jsii.Bool(true),
			ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
			RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
			LifecycleRules: &[]*awss3.LifecycleRule{{
				Id: jsii.String("expire"), Expiration: awscdk.Duration_Days(jsii.Number(90)),
			}},
		})
	}
	return s.accessLogs
}

func snsViaService(stack awscdk.Stack) *string {
	return jsii.String(fmt.Sprintf("sns.%s.amazonaws.com", *stack.Region()))
}

func remediateSuffix(cfg Settings) string {
	var ids []string
	for _, id := range actionIDs {
		if cfg.Allows(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return " (report mode: no write permission)"
	}
	return "; may apply " + strings.Join(ids, ", ")
}

// pascal turns a directory name into a construct ID: model-guard → ModelGuard.
func pascal(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		if r == '-' || r == '_' || r == '.' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}
