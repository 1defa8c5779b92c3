package main

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// reportCtx and remediateCtx are the two modes every IAM test looks at.
var (
	reportCtx    = map[string]string{}
	remediateCtx = map[string]string{"mode": "remediate"}
)

func TestEveryFunctionDirectoryIsDeployed(t *testing.T) {
	s := synth(t, reportCtx)
	specs, err := DiscoverFunctions(testRepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) < 2 {
		t.Fatalf("want at least modelguard and endpointguard, found %d functions", len(specs))
	}
	noPanic(t, "function count", func() {
		s.template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(len(specs)))
		s.template.ResourceCountIs(jsii.String("AWS::IAM::Role"), jsii.Number(len(specs)))
	})
	for _, spec := range specs {
		if _, ok := s.stack.Functions[spec.Name]; !ok {
			t.Errorf("functions/%s has no Lambda function", spec.Name)
		}
	}
}

func TestFunctionProperties(t *testing.T) {
	s := synth(t, map[string]string{"logLevel": "debug", "expectedInstances": "3", "exemptTag": "team:keep", "notifyCompliant": "true"})
	specs, err := DiscoverFunctions(testRepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	// Every function knows every vpcguard role that repairs (the loop
	// guard of issue #4): a repair by modelguard arrives at endpointguard
	// as an EC2 event. The undo function's role is not among them: an
	// undo is evaluated.
	var allRoles []interface{}
	for _, spec := range specs {
		if !spec.Undoes {
			allRoles = append(allRoles, map[string]interface{}{"Fn::GetAtt": []string{s.logicalID(t, s.stack.Roles[spec.Name]), "Arn"}})
		}
	}
	if len(allRoles) != len(specs)-1 {
		t.Fatalf("%d repairing roles of %d functions", len(allRoles), len(specs))
	}
	for name, fn := range s.stack.Functions {
		spec := functionSpecs[name]
		fnID := s.logicalID(t, fn)
		roleID := s.logicalID(t, s.stack.Roles[name])
		env := map[string]interface{}{
			"VPCGUARD_MODE":               "report",
			"VPCGUARD_TOPIC_ARN":          map[string]interface{}{"Ref": s.logicalID(t, s.stack.Topic)},
			"VPCGUARD_EVENT_BUS":          "default",
			"VPCGUARD_EXPECTED_INSTANCES": "3",
			"VPCGUARD_EXEMPT_TAG":         "team:keep",
			"VPCGUARD_REMEDIATIONS":       strings.Join(actionIDs, ","),
			"VPCGUARD_ROLE_ARN":           map[string]interface{}{"Fn::Join": []interface{}{",", allRoles}},
			"VPCGUARD_NOTIFY_COMPLIANT":   "true",
		}
		want := map[string]interface{}{
			"Runtime":       "provided.al2023",
			"Architectures": []string{"arm64"},
			"Handler":       "bootstrap",
			"MemorySize":    spec.Memory,
			"Timeout":       spec.Timeout.Seconds(),
			"Role":          map[string]interface{}{"Fn::GetAtt": []string{roleID, "Arn"}},
			"LoggingConfig": assertions.Match_ObjectLike(&map[string]interface{}{
				"LogFormat":           "JSON",
				"ApplicationLogLevel": "DEBUG",
			}),
			"DeadLetterConfig": map[string]interface{}{
				"TargetArn": map[string]interface{}{"Fn::GetAtt": []string{s.logicalID(t, s.stack.DLQ), "Arn"}},
			},
			"Environment":                  map[string]interface{}{"Variables": env},
			"ReservedConcurrentExecutions": assertions.Match_Absent(),
		}
		if !spec.Undoes {
			env["VPCGUARD_UNDO_FUNCTION"] = map[string]interface{}{"Ref": s.logicalID(t, s.stack.Functions["undo"])}
		}
		if len(spec.StateActions) > 0 {
			env["VPCGUARD_STATE_TABLE"] = map[string]interface{}{"Ref": s.logicalID(t, s.stack.StateTable)}
		}
		if spec.KeepsState {
			env["VPCGUARD_SWEEP_STATE"] = map[string]interface{}{"Fn::Join": []interface{}{"", []interface{}{
				"s3://", map[string]interface{}{"Ref": s.logicalID(t, s.stack.StateBucket)}, "/" + sweepStateKey,
			}}}
		}
		if spec.ChecksHealth {
			env["VPCGUARD_RULES"] = healthRulesEnv(specs)
			env["VPCGUARD_FUNCTIONS"] = healthFunctionsEnv(specs)
			env["VPCGUARD_DLQ_URL"] = map[string]interface{}{"Ref": s.logicalID(t, s.stack.DLQ)}
		}
		want["FunctionName"] = stackName + "-" + name
		noPanic(t, name, func() {
			s.template.HasResource(jsii.String("AWS::Lambda::Function"), &map[string]interface{}{"Properties": want})
			s.template.HasResourceProperties(jsii.String("AWS::Lambda::EventInvokeConfig"), &map[string]interface{}{
				"FunctionName":             map[string]interface{}{"Ref": fnID},
				"MaximumRetryAttempts":     retryAttempts,
				"MaximumEventAgeInSeconds": maxEventAgeHrs * 3600,
			})
		})
	}
	noPanic(t, "log groups", func() {
		s.template.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), &map[string]interface{}{"RetentionInDays": 30})
		s.template.ResourceCountIs(jsii.String("AWS::Logs::LogGroup"), jsii.Number(len(s.stack.Functions)))
	})
}

func TestRulesMatchTheHandledCallsOnTheDefaultBus(t *testing.T) {
	s := synth(t, reportCtx)
	dlqArn := map[string]interface{}{"Fn::GetAtt": []string{s.logicalID(t, s.stack.DLQ), "Arn"}}
	for name, fn := range s.stack.Functions {
		target := map[string]interface{}{
			"Arn":              map[string]interface{}{"Fn::GetAtt": []string{s.logicalID(t, fn), "Arn"}},
			"DeadLetterConfig": map[string]interface{}{"Arn": dlqArn},
			"RetryPolicy": map[string]interface{}{
				"MaximumRetryAttempts":     retryAttempts,
				"MaximumEventAgeInSeconds": maxEventAgeHrs * 3600,
			},
		}
		for _, tr := range functionSpecs[name].Triggers() {
			want := map[string]interface{}{
				"State":   "ENABLED",
				"Targets": []interface{}{assertions.Match_ObjectLike(&target)},
			}
			if tr.Scheduled {
				want["ScheduleExpression"] = defaultSweepSchedule
			} else {
				detail := map[string]interface{}{
					"eventSource": []string{tr.EventSource},
					"eventName":   tr.EventNames,
					"errorCode":   []interface{}{map[string]interface{}{"exists": false}},
				}
				if tr.Service != "" {
					detail["additionalEventData"] = map[string]interface{}{"service": []string{tr.Service}}
				}
				want["EventPattern"] = map[string]interface{}{
					"source":      []string{tr.Source},
					"detail-type": []string{"AWS API Call via CloudTrail"},
					"detail":      detail,
				}
			}
			noPanic(t, "rule of "+name+" for "+tr.Source, func() {
				s.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), &want)
			})
		}
	}
	// Application Auto Scaling's calls reach EventBridge as aws.autoscaling
	// with additionalEventData.service application-autoscaling (AWS's own
	// example, shared/fixtures/aws-samples/eventbridge), never as
	// aws.application-autoscaling, which is the source of its scaling events.
	more := functionSpecs["modelguard"].More
	if len(more) != 1 || more[0].Source != "aws.autoscaling" || more[0].Service != "application-autoscaling" ||
		!slices.Equal(more[0].EventNames, []string{"RegisterScalableTarget"}) {
		t.Errorf("modelguard's Application Auto Scaling trigger: %+v", more)
	}
	rules := 0
	for _, spec := range functionSpecs {
		rules += len(spec.Triggers())
	}
	if n := len(s.resources("AWS::Events::Rule")); n != rules || len(functionSpecs["undo"].Triggers()) != 0 {
		t.Errorf("%d rules, want %d (none for the undo function, which people invoke)", n, rules)
	}
	for _, r := range s.resources("AWS::Events::Rule") {
		if _, ok := props(r)["EventBusName"]; ok {
			t.Errorf("rule on a custom bus: %s; CloudTrail events arrive on the default bus", toJSON(props(r)))
		}
	}
}

func TestSweepScheduleFromContext(t *testing.T) {
	s := synth(t, map[string]string{"sweepSchedule": "cron(0 3 * * ? *)"})
	if _, ok := s.stack.Functions["sweep"]; !ok {
		t.Skip("functions/sweep does not exist yet")
	}
	noPanic(t, "sweep rule", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), &map[string]interface{}{
			"ScheduleExpression": "cron(0 3 * * ? *)",
		})
	})
}

func TestSweepKeepsItsCursorInItsOwnBucket(t *testing.T) {
	s := synth(t, reportCtx)
	if _, ok := s.stack.Functions["sweep"]; !ok {
		t.Skip("functions/sweep does not exist yet")
	}
	bucket := s.logicalID(t, s.stack.StateBucket)
	var got []string
	for _, g := range s.grants(t) {
		if strings.HasPrefix(g.action, "s3:") && g.action != "s3:GetBucketPolicy" {
			if g.role != s.logicalID(t, s.stack.Roles["sweep"]) {
				t.Errorf("%s may %s on %s", g.role, g.action, g.resource)
			}
			got = append(got, g.action+" "+g.resource)
		}
	}
	slices.Sort(got)
	want := []string{
		"s3:GetObject ${" + bucket + ".Arn}/" + sweepStateKey,
		"s3:ListBucket ${" + bucket + ".Arn}",
		"s3:PutObject ${" + bucket + ".Arn}/" + sweepStateKey,
	}
	if !slices.Equal(got, want) {
		t.Errorf("sweep state grants %v, want %v", got, want)
	}
}

func TestTopicIsEncryptedWithARotatingKeyAndRequiresTLS(t *testing.T) {
	s := synth(t, reportCtx)
	keyID := s.logicalID(t, s.stack.Key)
	topicID := s.logicalID(t, s.stack.Topic)
	noPanic(t, "topic", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SNS::Topic"), &map[string]interface{}{
			"KmsMasterKeyId": map[string]interface{}{"Fn::GetAtt": []string{keyID, "Arn"}},
		})
		s.template.HasResourceProperties(jsii.String("AWS::KMS::Key"), &map[string]interface{}{"EnableKeyRotation": true})
		s.template.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), &map[string]interface{}{
			"Topics": []interface{}{map[string]interface{}{"Ref": topicID}},
			"PolicyDocument": assertions.Match_ObjectLike(&map[string]interface{}{
				"Statement": assertions.Match_ArrayWith(&[]interface{}{assertions.Match_ObjectLike(&map[string]interface{}{
					"Effect":    "Deny",
					"Condition": map[string]interface{}{"Bool": map[string]interface{}{"aws:SecureTransport": "false"}},
				})}),
			}),
		})
		s.template.ResourceCountIs(jsii.String("AWS::SNS::Subscription"), jsii.Number(0))
		// enforceSSL replaces the default topic policy: CloudWatch alarms
		// need their own Allow to publish.
		s.template.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), &map[string]interface{}{
			"PolicyDocument": assertions.Match_ObjectLike(&map[string]interface{}{
				"Statement": assertions.Match_ArrayWith(&[]interface{}{assertions.Match_ObjectLike(&map[string]interface{}{
					"Effect":    "Allow",
					"Action":    "sns:Publish",
					"Principal": map[string]interface{}{"Service": "cloudwatch.amazonaws.com"},
					"Condition": assertions.Match_ObjectLike(&map[string]interface{}{
						"StringEquals": map[string]interface{}{"aws:SourceAccount": map[string]interface{}{"Ref": "AWS::AccountId"}},
					}),
				})}),
			}),
		})
	})

	// The key policy lets each role of a function that notifies (all but
	// undo's, which publishes nothing) and CloudWatch, for the alarms, use
	// the key, and the roles only through SNS.
	var roleArns []interface{}
	for _, name := range slices.Sorted(maps.Keys(s.stack.Roles)) {
		if !functionSpecs[name].Undoes {
			roleArns = append(roleArns, map[string]interface{}{"Fn::GetAtt": []string{s.logicalID(t, s.stack.Roles[name]), "Arn"}})
		}
	}
	key := s.resources("AWS::KMS::Key")[keyID]
	var sawRoles, sawCloudWatch bool
	for _, st := range statements(props(key)["KeyPolicy"]) {
		principal := toJSON(st["Principal"])
		actions := stringList(st["Action"])
		switch {
		case st["Sid"] == "AllowVpcGuardFunctionsToPublish":
			sawRoles = true
			cond, _ := st["Condition"].(map[string]interface{})
			arnEquals, _ := cond["ArnEquals"].(map[string]interface{})
			if got := toJSON(arnEquals["aws:PrincipalArn"]); got != toJSON(roleArns) {
				t.Errorf("key policy lets %s use the key, want the function roles %s", got, toJSON(roleArns))
			}
			if !strings.Contains(toJSON(cond["StringEquals"]), "kms:ViaService") {
				t.Errorf("function roles may use the key outside SNS: %s", toJSON(st))
			}
		case strings.Contains(principal, "cloudwatch.amazonaws.com"):
			sawCloudWatch = true
		}
		if st["Sid"] != nil && !slices.Equal(actions, []string{"kms:Decrypt", "kms:GenerateDataKey"}) {
			t.Errorf("key policy statement %v grants %v", st["Sid"], actions)
		}
	}
	if !sawRoles || !sawCloudWatch {
		t.Errorf("key policy: function roles %v, CloudWatch %v; want both", sawRoles, sawCloudWatch)
	}
}

func TestEmailSubscriptionFromContext(t *testing.T) {
	s := synth(t, map[string]string{"notificationEmail": "ml-platform@example.com"})
	noPanic(t, "subscription", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), &map[string]interface{}{
			"Protocol": "email",
			"Endpoint": "ml-platform@example.com",
			"TopicArn": map[string]interface{}{"Ref": s.logicalID(t, s.stack.Topic)},
		})
	})
}

func TestDeadLetterQueueIsEncryptedAndRequiresTLS(t *testing.T) {
	s := synth(t, reportCtx)
	noPanic(t, "queue", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SQS::Queue"), &map[string]interface{}{
			"SqsManagedSseEnabled":   true,
			"MessageRetentionPeriod": 14 * 24 * 3600,
		})
		s.template.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), &map[string]interface{}{
			"PolicyDocument": assertions.Match_ObjectLike(&map[string]interface{}{
				"Statement": assertions.Match_ArrayWith(&[]interface{}{assertions.Match_ObjectLike(&map[string]interface{}{
					"Effect":    "Deny",
					"Condition": map[string]interface{}{"Bool": map[string]interface{}{"aws:SecureTransport": "false"}},
				})}),
			}),
		})
	})
}

func TestAlarmsNotifyTheTopic(t *testing.T) {
	s := synth(t, reportCtx)
	topic := []interface{}{map[string]interface{}{"Ref": s.logicalID(t, s.stack.Topic)}}
	for name, fn := range s.stack.Functions {
		noPanic(t, "errors alarm of "+name, func() {
			s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), &map[string]interface{}{
				"MetricName":         "Errors",
				"Namespace":          "AWS/Lambda",
				"Dimensions":         []interface{}{map[string]interface{}{"Name": "FunctionName", "Value": map[string]interface{}{"Ref": s.logicalID(t, fn)}}},
				"Threshold":          1,
				"ComparisonOperator": "GreaterThanOrEqualToThreshold",
				"AlarmActions":       topic,
			})
		})
	}
	noPanic(t, "dead-letter queue alarm", func() {
		s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), &map[string]interface{}{
			"MetricName":   "ApproximateNumberOfMessagesVisible",
			"Namespace":    "AWS/SQS",
			"Dimensions":   []interface{}{map[string]interface{}{"Name": "QueueName", "Value": map[string]interface{}{"Fn::GetAtt": []string{s.logicalID(t, s.stack.DLQ), "QueueName"}}}},
			"Threshold":    1,
			"AlarmActions": topic,
		})
		s.template.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(len(s.stack.Functions)+1))
	})
}

func TestTrailIsCreatedUnlessOneExists(t *testing.T) {
	s := synth(t, reportCtx)
	noPanic(t, "trail", func() {
		s.template.HasResourceProperties(jsii.String("AWS::CloudTrail::Trail"), &map[string]interface{}{
			"IsLogging":               true,
			"EnableLogFileValidation": true,
			"EventSelectors": []interface{}{map[string]interface{}{
				"IncludeManagementEvents": true,
				"ReadWriteType":           "WriteOnly",
			}},
		})
		s.template.AllResourcesProperties(jsii.String("AWS::S3::Bucket"), &map[string]interface{}{
			"PublicAccessBlockConfiguration": map[string]interface{}{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			},
		})
	})
	existing := synth(t, map[string]string{"existingTrail": "true"})
	buckets := 0 // without a trail, only the sweep's state bucket and the access-log bucket
	if existing.stack.StateBucket != nil {
		buckets = 2
	}
	noPanic(t, "no trail", func() {
		existing.template.ResourceCountIs(jsii.String("AWS::CloudTrail::Trail"), jsii.Number(0))
		existing.template.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(buckets))
	})
}

func TestOutputs(t *testing.T) {
	s := synth(t, reportCtx)
	noPanic(t, "outputs", func() {
		s.template.HasOutput(jsii.String("TopicArn"), &map[string]interface{}{
			"Value": map[string]interface{}{"Ref": s.logicalID(t, s.stack.Topic)},
		})
		s.template.HasOutput(jsii.String("DeadLetterQueueUrl"), &map[string]interface{}{
			"Value": map[string]interface{}{"Ref": s.logicalID(t, s.stack.DLQ)},
		})
		for name, fn := range s.stack.Functions {
			s.template.HasOutput(jsii.String(pascal(name)+"FunctionName"), &map[string]interface{}{
				"Value": map[string]interface{}{"Ref": s.logicalID(t, fn)},
			})
		}
	})
}

func TestBadContextFailsSynth(t *testing.T) {
	for _, ctx := range []map[string]string{
		{"mode": "fix"},
		{"remediations": "delete-everything"},
		{"expectedInstances": "0"},
		{"logLevel": "LOUD"},
		{"sweepSchedule": "daily"},
		{"existingTrail": "maybe"},
	} {
		_, err := parseSettings(func(k string) (string, bool) { v, ok := ctx[k]; return v, ok })
		if err == nil {
			t.Errorf("context %v accepted", ctx)
		}
	}
}
