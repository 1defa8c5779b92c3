package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// ApplyNag adds cdk-nag's AWS Solutions rules to every construct of the app.
// An unsuppressed error fails `cdk synth`. Every suppression below names the
// exact finding (rule and, for IAM5, the resource) and says why it is safe.
func ApplyNag(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// suppression is one reviewed cdk-nag finding.
type suppression struct {
	id        string
	reason    string
	appliesTo []string // finding detail, e.g. "Resource::*"; empty = the whole rule on that resource
}

func suppress(c constructs.IConstruct, children bool, list ...suppression) {
	var out []*cdknag.NagPackSuppression
	for _, s := range list {
		p := &cdknag.NagPackSuppression{Id: jsii.String(s.id), Reason: jsii.String(s.reason)}
		if len(s.appliesTo) > 0 {
			var at []interface{}
			for _, a := range s.appliesTo {
				at = append(at, a)
			}
			p.AppliesTo = &at
		}
		out = append(out, p)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &out, jsii.Bool(children))
}

// IAM5 findings of a function role (its default policy is a child).
func suppressFunctionFindings(role awsiam.Role, cfg Settings) {
	regions := []string{"<AWS::Region>"}
	if cfg.Organization() && len(cfg.MemberRegions) > 0 {
		regions = cfg.MemberRegions
	}
	list := guardSuppressions(cfg, regions)
	if cfg.Organization() {
		list = append(list, assumeMemberRoleSuppression())
	}
	suppress(role, true, list...)
}

// IAM5 findings of the undo function's role: the same reads, and the
// reverse writes of the allowed repairs (one reason per finding across the
// template: remediationSuppression describes both), in the same Regions;
// and, when it takes repairs back in the member accounts, the member role.
func suppressUndoFindings(role awsiam.Role, cfg Settings) {
	regions := []string{"<AWS::Region>"}
	if cfg.Organization() && len(cfg.MemberRegions) > 0 {
		regions = cfg.MemberRegions
	}
	list := guardSuppressions(cfg, regions)
	if undoesInMembers(cfg) {
		list = append(list, assumeMemberRoleSuppression())
	}
	suppress(role, true, list...)
}

// guardSuppressions are the IAM5 findings of the guard permissions
// (iam.go) of a role that serves regions (as cdk-nag renders them): the
// reads, and the writes of remediate mode.
func guardSuppressions(cfg Settings, regions []string) []suppression {
	list := readSuppressions(cfg, regions)
	if w := remediationSuppression(cfg, regions); w != nil {
		list = append(list, *w)
	}
	return list
}

// readSuppressions are the IAM5 findings of the reads every function makes.
func readSuppressions(cfg Settings, regions []string) []suppression {
	star := "Read-only actions that support no resource-level permissions, so the Service Authorization Reference " +
		"allows only \"*\": ec2:Describe* (subnets, route tables, VPC endpoints, VPCs and their attributes, DHCP options, " +
		"flow logs, security groups, NAT gateways, prefix lists), sagemaker:ListModels/ListEndpoints and " +
		"application-autoscaling:DescribeScalableTargets (the endpoint variants' autoscaling max); for the sweep's health " +
		"self-check, cloudtrail:DescribeTrails and cloudwatch:GetMetricStatistics (the functions' Lambda metrics)."
	if cfg.Organization() {
		star += " In organization mode the sweep also lists the accounts of the organization (organizations:ListAccounts, " +
			"ListAccountsForParent, ListOrganizationalUnitsForParent), whose OUs are known only at deploy."
	}
	var sagemaker []string
	for _, resource := range []string{"model", "endpoint-config", "endpoint"} {
		for _, r := range regions {
			sagemaker = append(sagemaker, "Resource::arn:<AWS::Partition>:sagemaker:"+r+":<AWS::AccountId>:"+resource+"/*")
		}
	}
	return []suppression{
		{
			id:        "AwsSolutions-IAM5",
			reason:    star,
			appliesTo: []string{"Resource::*"},
		},
		{
			id: "AwsSolutions-IAM5",
			reason: "sagemaker:Describe*/ListTags on the models, endpoint configs and endpoints of this account and region: " +
				"vpcguard evaluates whichever one a CloudTrail event names, created by anyone at any time, so names are unknown at deploy. Read-only.",
			appliesTo: sagemaker,
		},
		{
			id: "AwsSolutions-IAM5",
			reason: "s3:GetBucketPolicy only, on the bucket that holds a model's artifacts: any bucket a SageMaker user chooses, " +
				"unknown at deploy (bucket ARNs carry no account or region). Reading the policy is how bucket-policy-vpc-restricted is checked.",
			appliesTo: []string{"Resource::arn:<AWS::Partition>:s3:::*"},
		},
		{
			id: "AwsSolutions-IAM5",
			reason: "iam:SimulatePrincipalPolicy only, on the roles of this account: the SageMaker execution role of the model under " +
				"evaluation, unknown at deploy. It simulates, it changes nothing (check execution-role-eni-permissions).",
			appliesTo: []string{"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*"},
		},
	}
}

// remediationSuppression covers the write statements of remediate mode, or
// is nil in report mode. One entry per finding: the resources overlap between
// the actions, and a finding gets one reason.
func remediationSuppression(cfg Settings, regions []string) *suppression {
	var ids, what []string
	resources := map[string]bool{}
	if cfg.Allows(actionCreateS3GatewayEndpoint) {
		ids = append(ids, actionCreateS3GatewayEndpoint)
		what = append(what, "ec2:CreateVpcEndpoint on vpc-endpoint/* only with condition ec2:VpceServiceName = "+
			"com.amazonaws.<region>.s3 (and on the VPC and route tables the gateway endpoint attaches to), "+
			"ec2:CreateTags on vpc-endpoint/* only with ec2:CreateAction = CreateVpcEndpoint")
		resources["vpc-endpoint"], resources["vpc"], resources["route-table"] = true, true, true
	}
	if cfg.Allows(actionAssociateRouteTables) || cfg.Allows(actionAddALRepoDeny) {
		m := "ec2:ModifyVpcEndpoint on vpc-endpoint/*"
		resources["vpc-endpoint"] = true
		if cfg.Allows(actionAssociateRouteTables) {
			m += " and route-table/* (AddRouteTableIds)"
			resources["route-table"] = true
		}
		m += ", which carries no ec2:VpceServiceName condition key to narrow it (Service Authorization Reference)"
		what = append(what, m)
		for _, id := range []string{actionAssociateRouteTables, actionAddALRepoDeny} {
			if cfg.Allows(id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	// The undo function's reverse writes, on the same resources.
	undo := "ec2:ModifyVpcEndpoint back to the previous policy or RemoveRouteTableIds of exactly the tables vpcguard added"
	if cfg.Allows(actionCreateS3GatewayEndpoint) {
		undo += ", ec2:DeleteVpcEndpoints on vpc-endpoint/* only with aws:ResourceTag/" + managedTagKey + " = " + managedTagValue
	}
	what = append(what, "for the undo function, the reverse: "+undo+" (held by the undo function's role and, in organization mode, "+
		"by the member role, which the undo function assumes to take back a member account's repair)")
	var appliesTo []string
	for _, r := range []string{"vpc-endpoint", "vpc", "route-table"} {
		for _, region := range regions {
			if resources[r] {
				appliesTo = append(appliesTo, "Resource::arn:<AWS::Partition>:ec2:"+region+":<AWS::AccountId>:"+r+"/*")
			}
		}
	}
	return &suppression{
		id: "AwsSolutions-IAM5",
		reason: "Remediate mode, allowed actions " + strings.Join(ids, ", ") + ": the S3 gateway endpoint, VPC and route tables " +
			"are those of whichever model an event names, in this account and region, unknown at deploy (a new endpoint has no ID " +
			"before it exists). Granted: " + strings.Join(what, "; ") + ".",
		appliesTo: appliesTo,
	}
}
