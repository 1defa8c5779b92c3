package securityhub

import (
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/vpcguard/vpcguard/pkg/report"
)

// MaxResources is how many resources one finding may name
// (AwsSecurityFinding.Resources: "Maximum number of 32 items").
const MaxResources = 32

// resources are the finding's Resources: the subject first, then the
// related resources and the resource the event was about, each once, at
// most MaxResources (the number left out goes into the subject's details).
func resources(v report.Verdict, about *report.Resource, partition, region, account string) []types.Resource {
	refs := []report.Ref{v.Subject}
	seen := map[report.Ref]bool{v.Subject: true}
	add := func(r report.Ref) {
		if r.ID != "" && !seen[r] {
			seen[r] = true
			refs = append(refs, r)
		}
	}
	for _, r := range v.Related {
		add(r)
	}
	if about != nil {
		switch about.Type {
		case report.ResourceModel, report.ResourceEndpointConfig, report.ResourceEndpoint, report.ResourceVPC:
			add(report.Ref{Type: about.Type, ID: about.ID})
		case report.ResourceVPCEndpoint:
			for _, id := range strings.Split(about.ID, ",") {
				add(report.Ref{Type: report.ResourceVPCEndpoint, ID: id})
			}
		}
	}
	omitted := 0
	if len(refs) > MaxResources {
		omitted = len(refs) - MaxResources
		refs = refs[:MaxResources]
	}
	out := make([]types.Resource, 0, len(refs))
	for _, r := range refs {
		out = append(out, resource(r, partition, region, account))
	}
	if omitted > 0 {
		if out[0].Details == nil {
			out[0].Details = &types.ResourceDetails{}
		}
		if out[0].Details.Other == nil {
			out[0].Details.Other = map[string]string{}
		}
		out[0].Details.Other["vpcguard/RelatedResourcesOmitted"] = strconv.Itoa(omitted)
	}
	return out
}

// resource is one ASFF resource: the native type where ASFF has one, else
// Other with Details.Other naming the CloudFormation type; the Id is the
// resource's ARN.
func resource(r report.Ref, partition, region, account string) types.Resource {
	ec2 := func(kind string) string {
		return "arn:" + partition + ":ec2:" + region + ":" + account + ":" + kind + "/" + r.ID
	}
	sagemaker := func(kind string) string {
		return "arn:" + partition + ":sagemaker:" + region + ":" + account + ":" + kind + "/" + strings.ToLower(r.ID)
	}
	out := types.Resource{Partition: types.Partition(partition), Region: aws.String(region)}
	other := func(cfnType, id string, details map[string]string) types.Resource {
		out.Type, out.Id = aws.String("Other"), aws.String(id)
		d := map[string]string{"Type": cfnType}
		for k, v := range details {
			d[k] = clip(v, maxOtherValue)
		}
		out.Details = &types.ResourceDetails{Other: d}
		return out
	}
	switch r.Type {
	case report.ResourceVPC:
		out.Type, out.Id = aws.String("AwsEc2Vpc"), aws.String(ec2("vpc"))
	case report.ResourceSubnet:
		out.Type, out.Id = aws.String("AwsEc2Subnet"), aws.String(ec2("subnet"))
	case report.ResourceSecurityGroup:
		out.Type, out.Id = aws.String("AwsEc2SecurityGroup"), aws.String(ec2("security-group"))
	case report.ResourceRouteTable:
		out.Type, out.Id = aws.String("AwsEc2RouteTable"), aws.String(ec2("route-table"))
	case report.ResourceNetworkACL:
		out.Type, out.Id = aws.String("AwsEc2NetworkAcl"), aws.String(ec2("network-acl"))
	case report.ResourceRole:
		arn := r.ID
		if !strings.HasPrefix(arn, "arn:") {
			arn = "arn:" + partition + ":iam::" + account + ":role/" + r.ID
		}
		out.Type, out.Id, out.Region = aws.String("AwsIamRole"), aws.String(arn), nil
	case report.ResourceBucket:
		out.Type, out.Id = aws.String("AwsS3Bucket"), aws.String("arn:"+partition+":s3:::"+r.ID)
	case report.ResourceAccount:
		out.Type, out.Id, out.Region = aws.String("AwsAccount"), aws.String("AWS::::Account:"+r.ID), nil
	case report.ResourceModel:
		return other("AWS::SageMaker::Model", sagemaker("model"), map[string]string{"ModelName": r.ID})
	case report.ResourceEndpointConfig:
		return other("AWS::SageMaker::EndpointConfig", sagemaker("endpoint-config"), map[string]string{"EndpointConfigName": r.ID})
	case report.ResourceEndpoint:
		return other("AWS::SageMaker::Endpoint", sagemaker("endpoint"), map[string]string{"EndpointName": r.ID})
	case report.ResourceVPCEndpoint:
		return other("AWS::EC2::VPCEndpoint", ec2("vpc-endpoint"), map[string]string{"VpcEndpointId": r.ID})
	case report.ResourceFlowLog:
		return other("AWS::EC2::FlowLog", ec2("vpc-flow-log"), map[string]string{"FlowLogId": r.ID})
	default:
		return other("unclassified", r.ID, map[string]string{"Id": r.ID})
	}
	return out
}
