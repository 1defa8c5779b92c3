package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudformation"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
)

// Organization mode: the central stack gets a bus the members forward to,
// rules on it, the functions' organization settings and permissions, and
// two service-managed StackSets that deploy the members:
//
//   - member role: once per account (IAM is global), in the first member
//     Region: role vpcguard-member, trusted by the central function roles
//     only, with the guard permissions of the function roles (the same
//     builders, iam.go);
//   - forwarder: per account × member Region: a rule on the default bus
//     per event function, with the central rules' patterns, to the central
//     bus, with the role EventBridge needs; and, unless existingTrail, the
//     trail that makes EventBridge see the calls there.
//
// Both target the OUs of memberOrganizationalUnits (or, when unset, those
// given at deploy as the MemberOrganizationalUnits parameter), except the
// central account itself, and deploy to accounts that join them later.
// Their templates are CDK stacks of their own, synthesized apart (with
// cdk-nag) and embedded as TemplateBody.

// Names of the StackSets, their stacks and their parameters.
const (
	memberRoleStackSet = "vpcguard-member-role"
	forwarderStackSet  = "vpcguard-forwarder"
	paramCentralAcct   = "CentralAccountId"
	paramCentralRoles  = "CentralRoleArns"
	paramCentralUndo   = "CentralUndoRoleArn"
	paramCentralRegion = "CentralRegion"
	paramCentralBus    = "CentralBusArn"
	paramMemberOUs     = "MemberOrganizationalUnits"
	// maxTemplateBody is CloudFormation's limit on TemplateBody.
	maxTemplateBody = 51200
	// memberUnreachableMessage is config.MemberUnreachable of the root
	// module: the message of the log line an unreachable member gives.
	memberUnreachableMessage = "member account unreachable"
	// undoSessionPrefix is config.UndoSessionPrefix of the root module: the
	// undo function's member-role sessions, and only its, are so named.
	undoSessionPrefix = "vpcguard-undo-"
)

// Organization is what organization mode adds to the stack, for the tests.
type Organization struct {
	Bus        awsevents.EventBus
	Rules      map[string][]awsevents.Rule // per event function, on Bus: one per trigger
	MemberRole awscloudformation.CfnStackSet
	Forwarder  awscloudformation.CfnStackSet
	// Templates are the StackSets' templates, as embedded.
	MemberRoleTemplate, ForwarderTemplate map[string]interface{}
}

// addOrganization adds organization mode to the central stack.
func (s *VpcGuardStack) addOrganization(props *StackProps) error {
	cfg := props.Settings
	stack := s.Stack
	org := &Organization{Rules: map[string][]awsevents.Rule{}}
	s.Organization = org

	// The Regions served: memberRegions, which must include this one.
	regions := []*string{stack.Region()}
	if len(cfg.MemberRegions) > 0 {
		regions = *jsii.Strings(cfg.MemberRegions...)
		awscdk.NewCfnRule(stack, jsii.String("CentralRegionIsAMemberRegion"), &awscdk.CfnRuleProps{
			Assertions: &[]*awscdk.CfnRuleAssertion{{
				Assert: awscdk.Fn_ConditionContains(jsii.Strings(cfg.MemberRegions...), stack.Region()),
				AssertDescription: jsii.String("context memberRegions (" + strings.Join(cfg.MemberRegions, ",") +
					") must include the Region of the central stack: the central account's own calls are read there"),
			}},
		})
	}
	targets := jsii.Strings(cfg.MemberOrganizationalUnits...)
	if len(cfg.MemberOrganizationalUnits) == 0 {
		targets = awscdk.NewCfnParameter(stack, jsii.String(paramMemberOUs), &awscdk.CfnParameterProps{
			Type: jsii.String("CommaDelimitedList"),
			Description: jsii.String("The OUs whose accounts vpcguard guards: the root id (r-…, `aws organizations list-roots`) for the " +
				"whole organization, or OU ids (ou-…). Context memberOrganizationalUnits sets them at synth instead."),
			AllowedPattern: jsii.String(`^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`),
		}).ValueAsList()
	}

	// The central bus: only accounts of the organization may put events.
	org.Bus = awsevents.NewEventBus(stack, jsii.String("CentralBus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(centralBusName),
		Description:  jsii.String("vpcguard: the CloudTrail calls of the member accounts, forwarded from each member Region"),
	})
	org.Bus.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowOrganizationToPutEvents"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("events:PutEvents"),
		Resources:  &[]*string{org.Bus.EventBusArn()},
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:PrincipalOrgID": cfg.OrganizationID}},
	}))

	var forwarded []FunctionSpec // the functions with rules on the central bus
	var roleArns []*string       // the roles that may assume the member role, but undo's
	var undoArn *string          // the undo function's, when it acts in the members
	for _, spec := range props.Functions {
		switch {
		case !actsInMembers(spec, cfg):
		case spec.Undoes:
			undoArn = s.Roles[spec.Name].RoleArn()
		default:
			roleArns = append(roleArns, s.Roles[spec.Name].RoleArn())
		}
	}
	for _, spec := range props.Functions {
		if !actsInMembers(spec, cfg) {
			continue
		}
		fn, role := s.Functions[spec.Name], s.Roles[spec.Name]
		fn.AddEnvironment(jsii.String("VPCGUARD_MEMBER_ROLE"), jsii.String(memberRoleName), nil)
		fn.AddEnvironment(jsii.String("VPCGUARD_REGIONS"), awscdk.Fn_Join(jsii.String(","), &regions), nil)
		role.AddToPrincipalPolicy(statement("AssumeMemberRoles", []string{"sts:AssumeRole"},
			[]*string{stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("iam"), Region: jsii.String(""), Account: jsii.String("*"),
				Resource: jsii.String("role"), ResourceName: jsii.String(memberRoleName),
			})},
			map[string]interface{}{"StringEquals": map[string]interface{}{"aws:ResourceOrgID": cfg.OrganizationID}}))
		if spec.Trigger.Manual {
			continue // the undo function: no rule
		}
		if spec.Trigger.Scheduled {
			fn.AddEnvironment(jsii.String("VPCGUARD_ORGANIZATIONAL_UNITS"), awscdk.Fn_Join(jsii.String(","), targets), nil)
			role.AddToPrincipalPolicy(statement("ListOrganizationAccounts", []string{
				"organizations:ListAccounts", "organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent",
			}, []*string{jsii.String("*")}, nil))
			if spec.KeepsState && s.StateBucket != nil {
				bucket := *stack.GetLogicalId(s.StateBucket.Node().DefaultChild().(awscdk.CfnElement))
				suppress(role, true, suppression{
					id: "AwsSolutions-IAM5",
					reason: "s3:GetObject/PutObject on the sweep's cursors in its own state bucket: one object per member account and " +
						"Region (sweep/<account>/<region>/state.json), for accounts that may join the organization after the deploy.",
					appliesTo: []string{"Resource::<" + bucket + ".Arn>/" + sweepStateObjects(cfg)},
				})
			}
			continue
		}
		forwarded = append(forwarded, spec)
		target := awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: s.DLQ,
			RetryAttempts:   jsii.Number(retryAttempts),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(maxEventAgeHrs)),
		})
		for i, tr := range spec.Triggers() {
			org.Rules[spec.Name] = append(org.Rules[spec.Name], awsevents.NewRule(stack, jsii.String(triggerID(spec, i, tr)+"OrganizationRule"), &awsevents.RuleProps{
				EventBus: org.Bus,
				// The default-bus rule's name, on this bus: the health
				// check names it.
				RuleName:     jsii.String(ruleName(stack, spec.Name, i, tr)),
				Description:  jsii.String("vpcguard: " + strings.Join(tr.EventNames, ", ") + " calls that succeeded in member accounts"),
				EventPattern: eventPattern(tr),
				Targets:      &[]awsevents.IRuleTarget{target},
			}))
		}
	}
	for _, spec := range props.Functions {
		if actsInMembers(spec, cfg) {
			s.alarmOnUnreachableMembers(spec, s.Functions[spec.Name])
		}
	}
	// The health check reads the central bus's rules too: every member
	// event arrives through them.
	for _, spec := range props.Functions {
		if !spec.ChecksHealth {
			continue
		}
		rules := append(healthRules(stack, props.Functions, ""), healthRules(stack, forwarded, centralBusName)...)
		s.Functions[spec.Name].AddEnvironment(jsii.String(healthRulesVar), jsii.String(strings.Join(rules, ",")), nil)
		s.Roles[spec.Name].AddToPrincipalPolicy(statement("HealthReadCentralBusRules", ruleReadActions, ruleArns(stack, forwarded, centralBusName), nil))
	}

	// The members' templates.
	context, _ := stack.Node().GetAllContext(nil).(map[string]interface{})
	roleTmpl, fwdTmpl, err := memberTemplates(context, cfg, props.Functions)
	if err != nil {
		return err
	}
	org.MemberRoleTemplate, org.ForwarderTemplate = roleTmpl.template, fwdTmpl.template

	deployTargets := &awscloudformation.CfnStackSet_DeploymentTargetsProperty{
		OrganizationalUnitIds: targets,
		// The central account reads itself with the function roles, from
		// its own default bus: it gets no member role and no forwarder.
		AccountFilterType: jsii.String("DIFFERENCE"),
		Accounts:          &[]*string{stack.Account()},
	}
	common := func(name, description string, capability string, regions []*string, params map[string]*string, body string) *awscloudformation.CfnStackSetProps {
		var p []interface{}
		for _, k := range slices.Sorted(maps.Keys(params)) {
			p = append(p, &awscloudformation.CfnStackSet_ParameterProperty{ParameterKey: jsii.String(k), ParameterValue: params[k]})
		}
		return &awscloudformation.CfnStackSetProps{
			StackSetName:    jsii.String(name),
			Description:     jsii.String(description),
			PermissionModel: jsii.String("SERVICE_MANAGED"),
			CallAs:          jsii.String(cfg.StackSetCallAs),
			AutoDeployment: &awscloudformation.CfnStackSet_AutoDeploymentProperty{
				Enabled: jsii.Bool(true), RetainStacksOnAccountRemoval: jsii.Bool(false),
			},
			Capabilities: jsii.Strings(capability),
			// ManagedExecution is free-form JSON in the resource schema: its
			// keys are written as CloudFormation spells them.
			ManagedExecution: map[string]interface{}{"Active": true},
			OperationPreferences: &awscloudformation.CfnStackSet_OperationPreferencesProperty{
				// One account that fails does not hold back the others; the
				// sweep reports it as not covered.
				FailureTolerancePercentage: jsii.Number(100),
				MaxConcurrentPercentage:    jsii.Number(100),
				RegionConcurrencyType:      jsii.String("PARALLEL"),
			},
			Parameters:          &p,
			StackInstancesGroup: &[]interface{}{&awscloudformation.CfnStackSet_StackInstancesProperty{DeploymentTargets: deployTargets, Regions: &regions}},
			TemplateBody:        jsii.String(body),
		}
	}
	roleParams := map[string]*string{
		paramCentralAcct:  stack.Account(),
		paramCentralRoles: awscdk.Fn_Join(jsii.String(","), &roleArns),
	}
	if undoArn != nil {
		roleParams[paramCentralUndo] = undoArn
	}
	if len(cfg.MemberRegions) == 0 {
		roleParams[paramCentralRegion] = stack.Region()
	}
	org.MemberRole = awscloudformation.NewCfnStackSet(stack, jsii.String("MemberRoleStackSet"), common(memberRoleStackSet,
		"vpcguard: role "+memberRoleName+" in every member account (IAM is global: one Region), assumed by the central functions only",
		"CAPABILITY_NAMED_IAM", regions[:1], roleParams, roleTmpl.body))
	org.Forwarder = awscloudformation.NewCfnStackSet(stack, jsii.String("ForwarderStackSet"), common(forwarderStackSet,
		"vpcguard: in every member account and Region, the CloudTrail calls vpcguard handles, forwarded to the central bus",
		"CAPABILITY_IAM", regions, map[string]*string{paramCentralBus: org.Bus.EventBusArn()}, fwdTmpl.body))

	awscdk.NewCfnOutput(stack, jsii.String("CentralBusArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("The bus the member accounts forward their calls to"),
		Value:       org.Bus.EventBusArn(),
	})
	return nil
}

// actsInMembers reports whether function spec reads or writes the member
// accounts through the member role: every function people do not invoke,
// and the undo function when it has repairs to take back there
// (undoesInMembers).
func actsInMembers(spec FunctionSpec, cfg Settings) bool {
	return !spec.Trigger.Manual || (spec.Undoes && undoesInMembers(cfg))
}

// alarmOnUnreachableMembers alarms (to the topic) on the function's log
// line for a member account whose role cannot be assumed.
func (s *VpcGuardStack) alarmOnUnreachableMembers(spec FunctionSpec, fn awslambda.Function) {
	mf := fn.LogGroup().AddMetricFilter(jsii.String("MemberUnreachable"), &awslogs.MetricFilterOptions{
		FilterPattern:   awslogs.FilterPattern_StringValue(jsii.String("$.message"), jsii.String("="), jsii.String(memberUnreachableMessage)),
		MetricNamespace: jsii.String("vpcguard"),
		MetricName:      jsii.String("MemberUnreachable" + pascal(spec.Name)),
		MetricValue:     jsii.String("1"),
	})
	alarm := awscloudwatch.NewAlarm(s.Stack, jsii.String(pascal(spec.Name)+"MemberUnreachableAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("vpcguard " + spec.Name + ": a member account's role " + memberRoleName +
			" could not be assumed (missing, distrusting the central roles, or the account is not in the organization); the log line names it"),
		Metric: mf.Metric(&awscloudwatch.MetricOptions{
			Period:    awscdk.Duration_Minutes(jsii.Number(5)),
			Statistic: jsii.String("Sum"),
		}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	alarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(s.Topic))
}

// memberTemplate is one synthesized member template.
type memberTemplate struct {
	body     string // as embedded in TemplateBody
	template map[string]interface{}
}

// memberTemplates synthesizes the member-role and forwarder stacks in an
// app of their own (no assets, no bootstrap: StackSets deploy them into
// accounts CDK never saw) with the central app's context and cdk-nag, and
// fails on any cdk-nag error or on a template over CloudFormation's
// TemplateBody limit.
func memberTemplates(context map[string]interface{}, cfg Settings, functions []FunctionSpec) (role, fwd memberTemplate, err error) {
	dir, err := os.MkdirTemp("", "vpcguard-members-")
	if err != nil {
		return role, fwd, err
	}
	defer os.RemoveAll(dir)
	ctx := map[string]interface{}{}
	for k, v := range context {
		ctx[k] = v
	}
	ctx["aws:cdk:enable-path-metadata"] = false
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir), Context: &ctx, AnalyticsReporting: jsii.Bool(false)})
	props := func(description string) *awscdk.StackProps {
		return &awscdk.StackProps{Description: jsii.String(description), Synthesizer: awscdk.NewBootstraplessSynthesizer(nil)}
	}
	newMemberRoleStack(app, "VpcGuardMemberRole", props("vpcguard member role (StackSet "+memberRoleStackSet+")"), cfg)
	newForwarderStack(app, "VpcGuardForwarder", props("vpcguard forwarder (StackSet "+forwarderStackSet+")"), cfg, functions)
	ApplyNag(app)
	asm := app.Synth(nil)

	var errs []error
	read := func(name string) memberTemplate {
		art := asm.GetStackByName(jsii.String(name))
		for _, m := range *art.Messages() {
			if m.Level == cxapi.SynthesisMessageLevel_ERROR {
				errs = append(errs, fmt.Errorf("%s: %s: %v", name, str(m.Id), m.Entry.Data))
			}
		}
		t, _ := art.Template().(map[string]interface{})
		b, err := json.Marshal(t)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		if len(b) > maxTemplateBody {
			errs = append(errs, fmt.Errorf("%s: the template is %d bytes; CloudFormation's TemplateBody takes at most %d", name, len(b), maxTemplateBody))
		}
		return memberTemplate{body: string(b), template: t}
	}
	role, fwd = read("VpcGuardMemberRole"), read("VpcGuardForwarder")
	return role, fwd, errors.Join(errs...)
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// newMemberRoleStack is the member-role StackSet's template: the role the
// central functions assume, with the guard permissions of the member
// Regions.
func newMemberRoleStack(app awscdk.App, id string, props *awscdk.StackProps, cfg Settings) {
	stack := awscdk.NewStack(app, jsii.String(id), props)
	centralAccount := awscdk.NewCfnParameter(stack, jsii.String(paramCentralAcct), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), AllowedPattern: jsii.String(`^[0-9]{12}$`),
		Description: jsii.String("The account of the central vpcguard stack"),
	})
	centralRoles := awscdk.NewCfnParameter(stack, jsii.String(paramCentralRoles), &awscdk.CfnParameterProps{
		Type: jsii.String("CommaDelimitedList"),
		Description: jsii.String("The roles of the central vpcguard functions: the only principals that may assume " + memberRoleName +
			" (in sessions not named " + undoSessionPrefix + "…)"),
	})
	scope := guardScope{stack: stack}
	if len(cfg.MemberRegions) > 0 {
		scope.regions = *jsii.Strings(cfg.MemberRegions...)
	} else {
		scope.regions = []*string{awscdk.NewCfnParameter(stack, jsii.String(paramCentralRegion), &awscdk.CfnParameterProps{
			Type: jsii.String("String"), Description: jsii.String("The Region vpcguard serves (the central stack's)"),
		}).ValueAsString()}
	}
	description := "vpcguard: the central functions read SageMaker and VPC state here"
	if cfg.SecurityHub {
		description += " and write this account's Security Hub findings"
	}
	description += remediateSuffix(cfg)
	role := awsiam.NewRole(stack, jsii.String("MemberRole"), &awsiam.RoleProps{
		RoleName: jsii.String(memberRoleName),
		// The undo function's session names are reserved to it (below).
		AssumedBy: awsiam.NewAccountPrincipal(centralAccount.ValueAsString()).WithConditions(&map[string]interface{}{
			"ArnEquals":     map[string]interface{}{"aws:PrincipalArn": centralRoles.ValueAsList()},
			"StringEquals":  map[string]interface{}{"aws:PrincipalOrgID": cfg.OrganizationID},
			"StringNotLike": map[string]interface{}{"sts:RoleSessionName": undoSessionPrefix + "*"},
		}),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
		Description:        jsii.String(description),
	})
	statements := append(guardReadStatements(scope), guardWriteStatements(scope, cfg)...)
	if cfg.SecurityHub {
		// The central functions write each member's findings to its own
		// Security Hub through this role.
		statements = append(statements, securityHubStatements(scope)...)
	}
	for _, st := range statements {
		role.AddToPrincipalPolicy(st)
	}
	if undoesInMembers(cfg) {
		// The undo function assumes the role only in sessions named for an
		// undo, and only those sessions hold the reverse writes.
		undoRole := awscdk.NewCfnParameter(stack, jsii.String(paramCentralUndo), &awscdk.CfnParameterProps{
			Type: jsii.String("String"), AllowedPattern: jsii.String(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$`),
			Description: jsii.String("The role of the central vpcguard undo function: it alone may assume " + memberRoleName +
				" in sessions named " + undoSessionPrefix + "…, which alone hold the reverse writes"),
		})
		role.AssumeRolePolicy().AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Effect:     awsiam.Effect_ALLOW,
			Actions:    jsii.Strings("sts:AssumeRole"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewAccountPrincipal(centralAccount.ValueAsString())},
			Conditions: &map[string]interface{}{
				"ArnEquals":    map[string]interface{}{"aws:PrincipalArn": undoRole.ValueAsString()},
				"StringEquals": map[string]interface{}{"aws:PrincipalOrgID": cfg.OrganizationID},
				"StringLike":   map[string]interface{}{"sts:RoleSessionName": undoSessionPrefix + "*"},
			},
		}))
		addMemberUndoStatements(role, scope, cfg)
	}
	suppressMemberRoleFindings(role, cfg, scope.regions)
}

// newForwarderStack is the forwarder StackSet's template, per account and
// Region: each event function's rule on the default bus, to the central
// bus, with a dead-letter queue, and (unless existingTrail) the trail of
// the Region.
func newForwarderStack(app awscdk.App, id string, props *awscdk.StackProps, cfg Settings, functions []FunctionSpec) {
	stack := awscdk.NewStack(app, jsii.String(id), props)
	busArn := awscdk.NewCfnParameter(stack, jsii.String(paramCentralBus), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), Description: jsii.String("The central vpcguard bus"),
	}).ValueAsString()
	role := awsiam.NewRole(stack, jsii.String("ForwarderRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil).WithConditions(&map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": stack.Account()},
		}),
		Description: jsii.String("vpcguard: EventBridge puts this Region's matched calls on the central bus"),
	})
	// The target grants the role events:PutEvents on the central bus, and
	// nothing else. What EventBridge cannot deliver there goes to the dead-
	// letter queue (CDK's event-bus target takes no retry policy:
	// EventBridge's default retries apply).
	bus := awsevents.EventBus_FromEventBusArn(stack, jsii.String("CentralBus"), busArn)
	dlq := newForwarderDeadLetterQueue(stack)
	for _, spec := range functions {
		if spec.Trigger.Scheduled {
			continue
		}
		for i, tr := range spec.Triggers() {
			awsevents.NewRule(stack, jsii.String(triggerID(spec, i, tr)+"Forward"), &awsevents.RuleProps{
				Description:  jsii.String("vpcguard " + spec.Name + ": " + strings.Join(tr.EventNames, ", ") + " calls that succeeded, to the central bus"),
				EventPattern: eventPattern(tr),
				Targets:      &[]awsevents.IRuleTarget{awseventstargets.NewEventBus(bus, &awseventstargets.EventBusProps{Role: role, DeadLetterQueue: dlq})},
			})
		}
	}
	if !cfg.ExistingTrail {
		(&VpcGuardStack{Stack: stack}).newTrail()
	}
}

// triggerID names the rule of a function's i-th trigger, as addFunction
// does: the function, then the source of every trigger after the first.
func triggerID(spec FunctionSpec, i int, tr Trigger) string {
	if i == 0 {
		return pascal(spec.Name)
	}
	return pascal(spec.Name) + pascal(strings.TrimPrefix(tr.Source, "aws."))
}
