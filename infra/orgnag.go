package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
)

// assumeMemberRoleSuppression: the functions assume the member role of
// whichever member account an event comes from.
func assumeMemberRoleSuppression() suppression {
	return suppression{
		id: "AwsSolutions-IAM5",
		reason: "sts:AssumeRole on role/" + memberRoleName + " of any account, only with aws:ResourceOrgID = the organization: " +
			"an event or the sweep names the member account, one of the organization's, which may join after the deploy.",
		appliesTo: []string{"Resource::arn:<AWS::Partition>:iam::*:role/" + memberRoleName},
	}
}

// suppressMemberRoleFindings covers the member role's guard permissions:
// the same findings as a function role's, in the member Regions.
func suppressMemberRoleFindings(role awsiam.Role, cfg Settings, regions []*string) {
	names := make([]string, 0, len(regions))
	for _, r := range regions {
		if cfg.Organization() && len(cfg.MemberRegions) > 0 {
			names = append(names, *r)
		} else {
			names = append(names, "<"+paramCentralRegion+">")
		}
	}
	suppress(role, true, guardSuppressions(Settings{Mode: cfg.Mode, Remediations: cfg.Remediations}, names)...)
}
