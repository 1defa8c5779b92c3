package notify

import (
	"fmt"

	"github.com/vpcguard/vpcguard/pkg/checks"
	vpolicy "github.com/vpcguard/vpcguard/pkg/policy"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// Representative results, shaped like what pkg/guard, pkg/checks and
// pkg/remediate produce (messages, remediation texts and detail keys are
// theirs), for the golden and wire tests.

const (
	acct     = "123456789012"
	region   = "us-east-1"
	vpcID    = "vpc-0abc1234def567890"
	vpceID   = "vpce-0f1e2d3c4b5a69788"
	subnetA  = "subnet-0aa11bb22cc33dd44"
	subnetB  = "subnet-0ee55ff66aa77bb88"
	rtbA     = "rtb-0123abcd4567ef890"
	rtbB     = "rtb-0fedc9876ba543210"
	sgID     = "sg-0123456789abcdef0"
	roleARN  = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20261101T120000"
	deployer = "arn:aws:iam::123456789012:role/ml-platform-deployer"
)

func createModelEvent(id string) report.Event {
	return report.Event{
		ID: id, Name: "CreateModel", Source: "sagemaker.amazonaws.com",
		Account: acct, Region: region, Time: "2026-11-12T09:14:03Z", Actor: deployer,
	}
}

func recreateFix(model, vpcArg string) string {
	return "A model's VpcConfig cannot be changed in place. Create a new model, a new endpoint config that uses it, then move the endpoint:\n" +
		"  aws sagemaker describe-model --model-name " + model + "   # copy its containers\n" +
		"  aws sagemaker create-model --model-name " + model + "-vpc --execution-role-arn " + roleARN + " --primary-container <as above> " + vpcArg + "\n" +
		"  aws sagemaker create-endpoint-config --endpoint-config-name <config>-vpc --production-variants VariantName=AllTraffic,ModelName=" + model + "-vpc,InitialInstanceCount=<n>,InstanceType=<type>\n" +
		"  aws sagemaker update-endpoint --endpoint-name <endpoint> --endpoint-config-name <config>-vpc"
}

// check builds a report.Check with the catalogue's severity.
func check(id string, status report.Status, message, remediation string, resources ...string) report.Check {
	def, _ := checks.Lookup(id)
	if resources == nil {
		resources = []string{}
	}
	return report.Check{ID: id, Status: status, Severity: def.Severity, Resources: resources, Message: message, Remediation: remediation}
}

func pass(id, message string, resources ...string) report.Check {
	return check(id, report.StatusPass, message, "", resources...)
}

func na(id, message string, resources ...string) report.Check {
	return check(id, report.StatusNotApplicable, message, "", resources...)
}

// passingVPCChecks are the checks a model in vpcID with two zones passes.
func passingVPCChecks(model string) []report.Check {
	return []report.Check{
		pass(checks.ModelInVPC, "model "+model+" runs in subnets "+subnetA+", "+subnetB+" with security groups "+sgID, model),
		pass(checks.SubnetsMultiAZ, "model "+model+" spans 2 zones (us-east-1a, us-east-1b)", model, subnetA, subnetB),
		pass(checks.SubnetIPCapacity, "model "+model+" needs 2 free IPs for 1 instance (VPCGUARD_EXPECTED_INSTANCES); its subnets have 4086 ("+subnetA+": 2043, "+subnetB+": 2043)", model, subnetA, subnetB),
		pass(checks.SecurityGroupsValid, "model "+model+"'s security groups "+sgID+" exist in "+vpcID, model, sgID),
		pass(checks.SecurityGroupEgressS3, "security group "+sgID+" of model "+model+" allows TCP 443 out to pl-63a5400a", model, sgID),
	}
}

// noVPC is a CreateModel without VpcConfig, in report mode.
func noVPC() report.Result {
	return report.Result{
		Event:    createModelEvent("5b0f6d1e-3c2a-4f8b-9e7d-1a2b3c4d5e6f"),
		Mode:     report.ModeReport,
		Resource: &report.Resource{Type: "model", ID: "fraud-v3"},
		Checks: []report.Check{
			check(checks.ModelInVPC, report.StatusFail,
				"model fraud-v3 has no VpcConfig: its containers run outside your VPC, with internet access",
				recreateFix("fraud-v3", "--vpc-config Subnets=<subnet-a>,<subnet-b>,SecurityGroupIds=<sg>"), "fraud-v3"),
			na(checks.SubnetsMultiAZ, "model fraud-v3 is not placed in a VPC", "fraud-v3"),
			na(checks.SubnetIPCapacity, "model fraud-v3 is not placed in a VPC", "fraud-v3"),
			na(checks.SecurityGroupsValid, "model fraud-v3 is not placed in a VPC", "fraud-v3"),
			na(checks.SecurityGroupEgressS3, "model fraud-v3 is not placed in a VPC", "fraud-v3"),
			na(checks.S3EndpointPresent, "no model is placed in a VPC"),
			na(checks.S3EndpointRoutes, "no model is placed in a VPC"),
			na(checks.S3EndpointPolicyCustom, "no S3 gateway endpoint is in scope"),
			na(checks.S3EndpointDeniesALRepos, "no S3 gateway endpoint is in scope"),
			na(checks.S3EndpointPolicyAllows, "no S3 gateway endpoint is in scope"),
			na(checks.VPCDNS, "no model is placed in a VPC"),
			na(checks.BucketPolicyVPCRestricted, "model fraud-v3 is not placed in a VPC", "fraud-v3"),
			pass(checks.ExecutionRoleENIPermission, "role "+roleARN+" may call all 10 ec2 network-interface actions", "fraud-v3", roleARN),
			na(checks.OutboundAccess, "no model is placed in a VPC"),
			na(checks.VPCFlowLogs, "no model is placed in a VPC"),
		},
		Actions: []report.Action{},
	}
}

// singleAZ is a CreateEndpointConfig whose model's subnets are all in one
// zone, in report mode; the VPC also has no flow logs (an informational note).
func singleAZ() report.Result {
	r := report.Result{
		Event: report.Event{
			ID: "0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f", Name: "CreateEndpointConfig", Source: "sagemaker.amazonaws.com",
			Account: acct, Region: region, Time: "2026-11-12T10:02:41Z", Actor: deployer,
		},
		Mode:     report.ModeReport,
		Resource: &report.Resource{Type: "endpoint-config", ID: "churn-xgb-config"},
	}
	r.Checks = append(r.Checks,
		pass(checks.ModelInVPC, "model churn-xgb runs in subnets "+subnetA+", "+subnetB+" with security groups "+sgID, "churn-xgb"),
		check(checks.SubnetsMultiAZ, report.StatusFail,
			"model churn-xgb has subnets in 1 Availability Zone only (us-east-1a): one zone's outage takes the endpoint down",
			recreateFix("churn-xgb", "--vpc-config Subnets=<subnet-in-zone-a>,<subnet-in-zone-b>,SecurityGroupIds="+sgID),
			"churn-xgb", subnetA, subnetB),
		pass(checks.SubnetIPCapacity, "model churn-xgb needs 4 free IPs for 2 instances (InitialInstanceCount); its subnets have 502 ("+subnetA+": 251, "+subnetB+": 251)", "churn-xgb", subnetA, subnetB),
		pass(checks.SecurityGroupsValid, "model churn-xgb's security groups "+sgID+" exist in "+vpcID, "churn-xgb", sgID),
		pass(checks.SecurityGroupEgressS3, "security group "+sgID+" of model churn-xgb allows TCP 443 out to pl-63a5400a", "churn-xgb", sgID),
		pass(checks.S3EndpointPresent, vpcID+" has S3 gateway endpoint "+vpceID, vpcID, vpceID),
		pass(checks.S3EndpointRoutes, "every subnet of models churn-xgb routes to S3 through "+vpceID, vpcID, vpceID),
		pass(checks.S3EndpointPolicyCustom, "S3 endpoint "+vpceID+" has a custom policy", vpceID),
		pass(checks.S3EndpointDeniesALRepos, "S3 endpoint "+vpceID+" denies s3:GetObject on every Amazon Linux repository bucket", vpceID),
		pass(checks.S3EndpointPolicyAllows, "S3 endpoint "+vpceID+"'s policy allows some access", vpceID),
		pass(checks.VPCDNS, vpcID+" has DNS support and hostnames on and uses the Amazon-provided resolver", vpcID),
		pass(checks.BucketPolicyVPCRestricted, "the artifact buckets of model churn-xgb accept requests only from "+vpcID+" or its endpoints", "ml-artifacts-123456789012"),
		pass(checks.ExecutionRoleENIPermission, "role "+roleARN+" may call all 10 ec2 network-interface actions", "churn-xgb", roleARN),
		pass(checks.OutboundAccess, "subnets "+subnetA+", "+subnetB+" have no NAT route; other AWS services are reachable through com.amazonaws.us-east-1.sagemaker.runtime", vpcID, subnetA, subnetB),
		check(checks.VPCFlowLogs, report.StatusFail,
			vpcID+" has no active flow log: the traffic of models churn-xgb is not recorded",
			"aws ec2 create-flow-logs --region us-east-1 --resource-type VPC --resource-ids "+vpcID+" --traffic-type ALL --log-destination-type cloud-watch-logs --log-group-name /vpc/"+vpcID+"/flow-logs --deliver-logs-permission-arn <role-arn>",
			vpcID),
	)
	r.Actions = []report.Action{}
	return r
}

// guideMergedPolicy is the policy vpcguard gives a new S3 endpoint.
var guideMergedPolicy = vpolicy.HardenedDefault("aws", region)

// missingEndpointRepaired is a CreateModel in a VPC without an S3 endpoint,
// in remediate mode: vpcguard created the endpoint and verified it.
func missingEndpointRepaired() report.Result {
	r := report.Result{
		Event:    createModelEvent("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"),
		Mode:     report.ModeRemediate,
		Resource: &report.Resource{Type: "model", ID: "fraud-v3"},
	}
	r.Checks = append(passingVPCChecks("fraud-v3"),
		check(checks.S3EndpointPresent, report.StatusFail,
			vpcID+" has no S3 gateway endpoint, yet models fraud-v3 use it: their containers cannot reach S3 privately",
			"aws ec2 create-vpc-endpoint --region us-east-1 --vpc-id "+vpcID+" --vpc-endpoint-type Gateway --service-name com.amazonaws.us-east-1.s3 --route-table-ids "+rtbA+" "+rtbB,
			vpcID, "fraud-v3"),
		na(checks.S3EndpointRoutes, vpcID+" has no S3 gateway endpoint (see s3-endpoint-present)", vpcID),
		na(checks.S3EndpointPolicyCustom, "no S3 gateway endpoint is in scope"),
		na(checks.S3EndpointDeniesALRepos, "no S3 gateway endpoint is in scope"),
		na(checks.S3EndpointPolicyAllows, "no S3 gateway endpoint is in scope"),
		pass(checks.VPCDNS, vpcID+" has DNS support and hostnames on and uses the Amazon-provided resolver", vpcID),
		pass(checks.BucketPolicyVPCRestricted, "the artifact buckets of model fraud-v3 accept requests only from "+vpcID+" or its endpoints", "ml-artifacts-123456789012"),
		pass(checks.ExecutionRoleENIPermission, "role "+roleARN+" may call all 10 ec2 network-interface actions", "fraud-v3", roleARN),
		pass(checks.OutboundAccess, "subnets "+subnetA+", "+subnetB+" have no NAT route; other AWS services are reachable through com.amazonaws.us-east-1.sagemaker.runtime", vpcID, subnetA, subnetB),
		pass(checks.VPCFlowLogs, vpcID+" has flow log fl-0a1b2c3d4e5f67890 (ALL traffic)", vpcID, "fl-0a1b2c3d4e5f67890"),
	)
	r.Actions = []report.Action{{
		ID: report.ActionCreateS3GatewayEndpoint, Status: report.ActionApplied,
		Resources: []string{vpcID, rtbA, rtbB},
		Detail: map[string]any{
			"check": checks.S3EndpointPresent,
			"api":   "CreateVpcEndpoint",
			"params": map[string]any{
				"VpcId": vpcID, "VpcEndpointType": "Gateway", "ServiceName": "com.amazonaws.us-east-1.s3",
				"RouteTableIds": []string{rtbA, rtbB}, "PolicyDocument": guideMergedPolicy,
				"ClientToken": "vpcguard-3f9a1c0e5b7d2e4f",
				"TagSpecifications": []any{map[string]any{"ResourceType": "vpc-endpoint",
					"Tags": []any{map[string]any{"Key": "vpcguard:managed", "Value": "true"}}}},
			},
			"before": map[string]any{"vpc_id": vpcID, "s3_gateway_endpoints": []string{}, "route_table_ids": []string{rtbA, rtbB}},
			"after": map[string]any{"vpc_id": vpcID, "s3_gateway_endpoints": []string{"(new, tagged vpcguard:managed=true)"},
				"route_table_ids": []string{rtbA, rtbB}, "vpc_endpoint_id": vpceID,
				"policy": "the AWS default (Allow everything) plus the Deny of every Amazon Linux repository"},
			"new_policy": guideMergedPolicy,
			"verified": map[string]any{"passed": true, "attempts": 1, "checks": []any{
				map[string]any{"check": checks.S3EndpointPresent, "status": "pass", "message": vpcID + " has S3 gateway endpoint " + vpceID},
				map[string]any{"check": checks.S3EndpointRoutes, "status": "pass", "message": "every subnet of models fraud-v3 routes to S3 through " + vpceID},
			}},
		},
	}}
	return r
}

const userPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"ModelArtifacts","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::ml-artifacts-123456789012","arn:aws:s3:::ml-artifacts-123456789012/*"]},{"Sid":"AllowAllReads","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`

// userMerge is what add-al-repo-deny makes of userPolicy.
var userMerge = mustMerge(userPolicy)

var userPolicyMerged = userMerge.Policy

func mustMerge(original string) vpolicy.MergeResult {
	m, err := vpolicy.MergeALRepoDenies(original, "aws", region)
	if err != nil || !m.Changed {
		panic(fmt.Sprintf("merge of the fixture policy: %v (changed %v)", err, m.Changed))
	}
	return m
}

// policyMerged is a ModifyVpcEndpoint that replaced the S3 endpoint's
// policy with one that lets containers reach the Amazon Linux repositories;
// in remediate mode vpcguard merged the guide's Deny into it.
func policyMerged() report.Result {
	open := "arn:aws:s3:::packages.*.amazonaws.com/* (allowed by statement [1] \"AllowAllReads\"); " +
		"arn:aws:s3:::repo.*.amazonaws.com/* (allowed by statement [1] \"AllowAllReads\"); " +
		"arn:aws:s3:::amazonlinux.*.amazonaws.com/* (allowed by statement [1] \"AllowAllReads\")"
	r := report.Result{
		Event: report.Event{
			ID: "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a", Name: "ModifyVpcEndpoint", Source: "ec2.amazonaws.com",
			Account: acct, Region: region, Time: "2026-11-12T11:30:09Z",
			Actor: "arn:aws:iam::123456789012:role/network-admin",
		},
		Mode:     report.ModeRemediate,
		Resource: &report.Resource{Type: "vpc-endpoint", ID: vpceID},
		Checks: []report.Check{
			pass(checks.S3EndpointPresent, vpcID+" has S3 gateway endpoint "+vpceID, vpcID, vpceID),
			pass(checks.S3EndpointRoutes, "every subnet of models fraud-v3, churn-xgb routes to S3 through "+vpceID, vpcID, vpceID),
			pass(checks.S3EndpointPolicyCustom, "S3 endpoint "+vpceID+" has a custom policy", vpceID),
			check(checks.S3EndpointDeniesALRepos, report.StatusFail,
				"S3 endpoint "+vpceID+" in "+vpcID+" lets containers read Amazon Linux repositories: "+open,
				"Add this statement to the endpoint policy, keeping every existing one:\n"+
					`  {"Sid":"DenyAmazonLinuxRepos","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":["arn:aws:s3:::packages.*.amazonaws.com/*","arn:aws:s3:::repo.*.amazonaws.com/*","arn:aws:s3:::amazonlinux.*.amazonaws.com/*"]}`+"\n"+
					"Write the current policy plus the missing statements to policy.json, then:\n"+
					"  aws ec2 modify-vpc-endpoint --region us-east-1 --vpc-endpoint-id "+vpceID+" --policy-document file://policy.json",
				vpceID),
			pass(checks.S3EndpointPolicyAllows, "S3 endpoint "+vpceID+"'s policy allows some access", vpceID),
		},
	}
	diff := userMerge.Diff
	r.Actions = []report.Action{{
		ID: report.ActionAddALRepoDeny, Status: report.ActionApplied, Resources: []string{vpceID},
		Detail: map[string]any{
			"check":      checks.S3EndpointDeniesALRepos,
			"api":        "ModifyVpcEndpoint",
			"params":     map[string]any{"VpcEndpointId": vpceID, "PolicyDocument": userPolicyMerged},
			"before":     map[string]any{"vpc_endpoint_id": vpceID, "route_table_ids": []string{rtbA, rtbB}, "statements": 2, "not_explicitly_denied": []string{"arn:aws:s3:::packages.*.amazonaws.com/*", "arn:aws:s3:::repo.*.amazonaws.com/*", "arn:aws:s3:::amazonlinux.*.amazonaws.com/*"}},
			"after":      map[string]any{"vpc_endpoint_id": vpceID, "route_table_ids": []string{rtbA, rtbB}, "statements": 3, "added_statements": []string{vpolicy.DenySid}},
			"old_policy": userPolicy,
			"new_policy": userPolicyMerged,
			"diff":       diff,
			"verified": map[string]any{"passed": true, "attempts": 2, "checks": []any{
				map[string]any{"check": checks.S3EndpointDeniesALRepos, "status": "pass", "message": "S3 endpoint " + vpceID + " denies s3:GetObject on every Amazon Linux repository bucket"},
				map[string]any{"check": checks.S3EndpointPolicyAllows, "status": "pass", "message": "S3 endpoint " + vpceID + "'s policy allows some access"},
			}},
		},
	}}
	return r
}

// unknownAccessDenied is a CreateModel whose VPC endpoints vpcguard's role may not
// describe: the endpoint checks are unknown, the rest are decided.
func unknownAccessDenied() report.Result {
	why := "could not verify the VPC endpoints of " + vpcID + ": describe vpc endpoints: operation error EC2: DescribeVpcEndpoints, " +
		"https response error StatusCode: 403, RequestID: 6f1c2b3a-9d8e-4f7a-b6c5-d4e3f2a1b0c9, api error UnauthorizedOperation: " +
		"You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/vpcguard-modelguard/vpcguard-modelguard " +
		"is not authorized to perform: ec2:DescribeVpcEndpoints because no identity-based policy allows the ec2:DescribeVpcEndpoints action"
	grant := "Grant vpcguard's role the read permission named in the error, then re-run the check."
	unknown := func(id string) report.Check { return check(id, report.StatusUnknown, why, grant, vpcID) }
	r := report.Result{
		Event:    createModelEvent("4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8"),
		Mode:     report.ModeReport,
		Resource: &report.Resource{Type: "model", ID: "fraud-v3"},
	}
	r.Checks = append(passingVPCChecks("fraud-v3"),
		unknown(checks.S3EndpointPresent),
		unknown(checks.S3EndpointRoutes),
		unknown(checks.S3EndpointPolicyCustom),
		unknown(checks.S3EndpointDeniesALRepos),
		unknown(checks.S3EndpointPolicyAllows),
		pass(checks.VPCDNS, vpcID+" has DNS support and hostnames on and uses the Amazon-provided resolver", vpcID),
		pass(checks.BucketPolicyVPCRestricted, "the artifact buckets of model fraud-v3 accept requests only from "+vpcID+" or its endpoints", "ml-artifacts-123456789012"),
		pass(checks.ExecutionRoleENIPermission, "role "+roleARN+" may call all 10 ec2 network-interface actions", "fraud-v3", roleARN),
		unknown(checks.OutboundAccess),
		pass(checks.VPCFlowLogs, vpcID+" has flow log fl-0a1b2c3d4e5f67890 (ALL traffic)", vpcID, "fl-0a1b2c3d4e5f67890"),
	)
	r.Actions = []report.Action{}
	return r
}

// routesPlanned is a CreateModel in report mode whose second subnet's route
// table lacks the S3 endpoint: vpcguard plans to associate it.
func routesPlanned() report.Result {
	r := report.Result{
		Event:    createModelEvent("8c7b6a59-4d3e-4f2a-9b1c-0d9e8f7a6b5c"),
		Mode:     report.ModeReport,
		Resource: &report.Resource{Type: "model", ID: "recsys-ranker"},
	}
	r.Checks = append(passingVPCChecks("recsys-ranker"),
		pass(checks.S3EndpointPresent, vpcID+" has S3 gateway endpoint "+vpceID, vpcID, vpceID),
		check(checks.S3EndpointRoutes, report.StatusFail,
			"S3 endpoint "+vpceID+" is not on route tables "+rtbB+" (subnets "+subnetB+"): those subnets reach S3 only through the internet, if at all",
			"aws ec2 modify-vpc-endpoint --region us-east-1 --vpc-endpoint-id "+vpceID+" --add-route-table-ids "+rtbB,
			vpceID, rtbB),
		pass(checks.S3EndpointPolicyCustom, "S3 endpoint "+vpceID+" has a custom policy", vpceID),
		pass(checks.S3EndpointDeniesALRepos, "S3 endpoint "+vpceID+" denies s3:GetObject on every Amazon Linux repository bucket", vpceID),
		pass(checks.S3EndpointPolicyAllows, "S3 endpoint "+vpceID+"'s policy allows some access", vpceID),
		pass(checks.VPCDNS, vpcID+" has DNS support and hostnames on and uses the Amazon-provided resolver", vpcID),
		pass(checks.BucketPolicyVPCRestricted, "the artifact buckets of model recsys-ranker accept requests only from "+vpcID+" or its endpoints", "ml-artifacts-123456789012"),
		pass(checks.ExecutionRoleENIPermission, "role "+roleARN+" may call all 10 ec2 network-interface actions", "recsys-ranker", roleARN),
		pass(checks.OutboundAccess, "subnets "+subnetA+", "+subnetB+" have no NAT route; other AWS services are reachable through com.amazonaws.us-east-1.sagemaker.runtime", vpcID, subnetA, subnetB),
		pass(checks.VPCFlowLogs, vpcID+" has flow log fl-0a1b2c3d4e5f67890 (ALL traffic)", vpcID, "fl-0a1b2c3d4e5f67890"),
	)
	r.Actions = []report.Action{{
		ID: report.ActionAssociateRouteTables, Status: report.ActionPlanned, Resources: []string{vpceID, rtbB},
		Detail: map[string]any{
			"check":  checks.S3EndpointRoutes,
			"api":    "ModifyVpcEndpoint",
			"params": map[string]any{"VpcEndpointId": vpceID, "AddRouteTableIds": []string{rtbB}},
			"before": map[string]any{"vpc_endpoint_id": vpceID, "route_table_ids": []string{rtbA}},
			"after":  map[string]any{"vpc_endpoint_id": vpceID, "route_table_ids": []string{rtbA, rtbB}},
		},
	}}
	return r
}

// repairFailed is a CreateModel in remediate mode where creating the S3
// endpoint failed and the policy action was not allowed.
func repairFailed() report.Result {
	r := missingEndpointRepaired()
	r.Event.ID = "6d5c4b3a-2f1e-4d0c-9b8a-7f6e5d4c3b2a"
	a := &r.Actions[0]
	a.Status = report.ActionFailed
	delete(a.Detail, "verified")
	delete(a.Detail["after"].(map[string]any), "vpc_endpoint_id")
	a.Detail["error"] = "RouteAlreadyExists: The route identified by pl-63a5400a already exists in route table " + rtbB + "."
	a.Detail["error_code"] = "RouteAlreadyExists"
	a.Detail["reason"] = "CreateVpcEndpoint failed (RouteAlreadyExists): nothing was changed"
	r.Actions = append(r.Actions, report.Action{
		ID: report.ActionAddALRepoDeny, Status: report.ActionSkipped, Resources: []string{"vpce-0aaaabbbbccccdddd"},
		Detail: map[string]any{
			"check":  checks.S3EndpointDeniesALRepos,
			"reason": "action add-al-repo-deny is not in VPCGUARD_REMEDIATIONS (create-s3-gateway-endpoint,associate-route-tables)",
		},
	})
	return r
}

// goldenCases are the results whose emails are kept in testdata/.
var goldenCases = []struct {
	name   string
	result func() report.Result
}{
	{"no-vpc", noVPC},
	{"single-az", singleAZ},
	{"missing-endpoint-repaired", missingEndpointRepaired},
	{"policy-merged", policyMerged},
	{"unknown-access-denied", unknownAccessDenied},
	{"routes-planned", routesPlanned},
	{"repair-failed", repairFailed},
}
