package cloudtrail_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
)

// The demo events in events/ (repository root), decoded as the Lambda
// runtime does and read with FromEvent. Every file must be listed here, and
// together they must cover every handled call, a failed call and a
// CreateModel without VpcConfig.
func TestDemoEvents(t *testing.T) {
	const (
		mlEngineer   = "arn:aws:iam::111122223333:role/ml-engineer"
		networkAdmin = "arn:aws:iam::111122223333:role/network-admin"
		exec         = "arn:aws:iam::111122223333:role/sagemaker-exec"
		xgboost      = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
	)
	model := func(name, image, role string, vpc *cloudtrail.VPCConfig) *cloudtrail.CreateModel {
		return &cloudtrail.CreateModel{
			ModelName: name, ModelARN: "arn:aws:sagemaker:us-east-1:111122223333:model/" + name,
			ExecutionRoleARN: role, VPCConfig: vpc,
			Containers: []cloudtrail.Container{{Image: image, ModelDataURL: "s3://ml-artifacts-111122223333/" + name + "/model.tar.gz"}},
		}
	}
	vpc := func(sg string, subnets ...string) *cloudtrail.VPCConfig {
		return &cloudtrail.VPCConfig{Subnets: subnets, SecurityGroupIDs: []string{sg}}
	}
	churnVPC := vpc("sg-0bbb0000000000001", "subnet-0bbb000000000a001", "subnet-0bbb000000000b001")

	cases := map[string]struct {
		actor string
		set   func(*cloudtrail.Call)
	}{
		"sagemaker-CreateModel-fraud-detector-compliant.json": {mlEngineer, func(c *cloudtrail.Call) {
			c.CreateModel = model("fraud-detector-v3", xgboost, exec,
				vpc("sg-0aaa0000000000001", "subnet-0aaa000000000a001", "subnet-0aaa000000000b001"))
		}},
		"sagemaker-CreateModel-churn-no-s3-endpoint.json": {mlEngineer, func(c *cloudtrail.Call) {
			c.CreateModel = model("churn-model-v7", xgboost, exec, churnVPC)
		}},
		"sagemaker-CreateModel-recsys-default-endpoint-policy.json": {mlEngineer, func(c *cloudtrail.Call) {
			c.CreateModel = model("recsys-ranker-v2",
				"763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311-ubuntu20.04-sagemaker", exec,
				vpc("sg-0ccc0000000000001", "subnet-0ccc000000000a001", "subnet-0ccc000000000b001"))
		}},
		"sagemaker-CreateModel-forecast-single-az-no-eni-permissions.json": {mlEngineer, func(c *cloudtrail.Call) {
			c.CreateModel = model("forecast-v1", xgboost, "arn:aws:iam::111122223333:role/sagemaker-exec-noeni",
				vpc("sg-0ddd0000000000001", "subnet-0ddd000000000a001"))
		}},
		"sagemaker-CreateModel-legacy-nlp-no-vpc.json": {mlEngineer, func(c *cloudtrail.Call) {
			c.CreateModel = model("legacy-nlp-v1",
				"763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:2.1.0-transformers4.37.0-cpu-py310-ubuntu22.04", exec, nil)
		}},
		"sagemaker-CreateModel-churn-failed-already-exists.json": {mlEngineer, func(c *cloudtrail.Call) {
			c.ErrorCode = "ValidationException"
			c.ErrorMessage = `Cannot create already existing model "arn:aws:sagemaker:us-east-1:111122223333:model/churn-model-v7".`
			c.CreateModel = model("churn-model-v7", xgboost, exec, churnVPC)
			c.CreateModel.ModelARN = "" // responseElements null
		}},
		"sagemaker-CreateEndpointConfig-churn.json": {mlEngineer, func(c *cloudtrail.Call) {
			c.CreateEndpointConfig = &cloudtrail.CreateEndpointConfig{
				EndpointConfigName: "churn-config-v7",
				EndpointConfigARN:  "arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/churn-config-v7",
				ProductionVariants: []cloudtrail.ProductionVariant{
					{VariantName: "AllTraffic", ModelName: "churn-model-v7", InstanceType: "ml.m5.xlarge", InitialInstanceCount: 2},
				},
			}
		}},
		"sagemaker-CreateEndpoint-churn.json": {mlEngineer, func(c *cloudtrail.Call) {
			c.CreateEndpoint = &cloudtrail.CreateEndpoint{
				EndpointName: "churn-endpoint", EndpointConfigName: "churn-config-v7",
				EndpointARN: "arn:aws:sagemaker:us-east-1:111122223333:endpoint/churn-endpoint",
			}
		}},
		"ec2-CreateVpcEndpoint-recsys-gateway-s3-default-policy.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.CreateVpcEndpoint = &cloudtrail.CreateVpcEndpoint{
				VpcEndpointID: "vpce-0ccc0000000000001", VPCID: "vpc-0c1b2c3d4e5f60003",
				ServiceName: "com.amazonaws.us-east-1.s3", Type: "Gateway",
				RouteTableIDs:  []string{"rtb-0ccc0000000000001"},
				PolicyDocument: `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`,
				State:          "available",
			}
		}},
		"ec2-ModifyVpcEndpoint-fraud-remove-route-table.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.ModifyVpcEndpoint = &cloudtrail.ModifyVpcEndpoint{
				VpcEndpointID: "vpce-0aaa0000000000001", RemoveRouteTableIDs: []string{"rtb-0aaa0000000000001"},
			}
		}},
		"ec2-ModifyVpcEndpoint-fraud-replace-policy-drops-al-denies.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.ModifyVpcEndpoint = &cloudtrail.ModifyVpcEndpoint{
				VpcEndpointID:  "vpce-0aaa0000000000001",
				PolicyDocument: `{"Version":"2012-10-17","Statement":[{"Sid":"AllowAllS3","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`,
			}
		}},
		"ec2-ModifyVpcEndpoint-recsys-guide-deny-snippets-as-whole-policy.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.ModifyVpcEndpoint = &cloudtrail.ModifyVpcEndpoint{
				VpcEndpointID:  "vpce-0ccc0000000000001",
				PolicyDocument: `{"Statement":[{"Sid":"AmazonLinuxAMIRepositoryAccess","Principal":"*","Action":["s3:GetObject"],"Effect":"Deny","Resource":["arn:aws:s3:::packages.*.amazonaws.com/*","arn:aws:s3:::repo.*.amazonaws.com/*"]},{"Sid":"AmazonLinux2AMIRepositoryAccess","Principal":"*","Action":["s3:GetObject"],"Effect":"Deny","Resource":["arn:aws:s3:::amazonlinux.*.amazonaws.com/*"]}]}`,
			}
		}},
		"ec2-ModifyVpcEndpoint-fraud-allowlist-locks-out-artifacts.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.ModifyVpcEndpoint = &cloudtrail.ModifyVpcEndpoint{
				VpcEndpointID:  "vpce-0aaa0000000000001",
				PolicyDocument: `{"Version":"2012-10-17","Statement":[{"Sid":"ProductionModelBuckets","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::models-prod-*","arn:aws:s3:::models-prod-*/*"]},{"Sid":"AmazonLinuxAMIRepositoryAccess","Effect":"Deny","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::packages.*.amazonaws.com/*","arn:aws:s3:::repo.*.amazonaws.com/*"]},{"Sid":"AmazonLinux2AMIRepositoryAccess","Effect":"Deny","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::amazonlinux.*.amazonaws.com/*","arn:aws:s3:::amazonlinux-2-repos-us-east-1/*","arn:aws:s3:::al2023-repos-us-east-1-*/*"]}]}`,
			}
		}},
		"ec2-DeleteVpcEndpoints-forecast-s3-endpoint-under-live-model.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.DeleteVpcEndpoints = &cloudtrail.DeleteVpcEndpoints{VpcEndpointIDs: []string{"vpce-0ddd0000000000009"}}
		}},
		"sagemaker-UpdateEndpoint-churn-to-config-without-vpc.json": {mlEngineer, func(c *cloudtrail.Call) {
			c.UpdateEndpoint = &cloudtrail.UpdateEndpoint{
				EndpointName: "churn-endpoint", EndpointConfigName: "churn-config-v8",
				EndpointARN: "arn:aws:sagemaker:us-east-1:111122223333:endpoint/churn-endpoint",
			}
		}},
		"sagemaker-DeleteEndpoint-churn.json": {mlEngineer, func(c *cloudtrail.Call) {
			c.DeleteEndpoint = &cloudtrail.DeleteEndpoint{EndpointName: "churn-endpoint"}
		}},
		"sagemaker-DeleteModel-churn-model-v7.json": {mlEngineer, func(c *cloudtrail.Call) {
			c.DeleteModel = &cloudtrail.DeleteModel{ModelName: "churn-model-v7"}
		}},
		// Drift calls.
		"ec2-AssociateRouteTable-fraud-model-subnet-to-public-table.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.RouteTableChange = &cloudtrail.RouteTableChange{RouteTableID: "rtb-0aaa0000000000002", SubnetID: "subnet-0aaa000000000a001",
				AssociationID: "rtbassoc-0d87206ad8ac66887"}
		}},
		"ec2-ReplaceRouteTableAssociation-fraud-second-subnet-to-public-table.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.RouteTableChange = &cloudtrail.RouteTableChange{RouteTableID: "rtb-0aaa0000000000002",
				AssociationID: "rtbassoc-03d77bcbbb67b1d5d", NewAssociationID: "rtbassoc-0e32dc8c7c7c41774"}
		}},
		"ec2-ReplaceRoute-fraud-unused-table-no-model.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.RouteTableChange = &cloudtrail.RouteTableChange{RouteTableID: "rtb-0aaa0000000000003", Destination: "0.0.0.0/0", Target: "igw-0aaa0000000000001"}
		}},
		"ec2-DisassociateRouteTable-fraud-subnet-falls-back-to-main-table.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.RouteTableChange = &cloudtrail.RouteTableChange{AssociationID: "rtbassoc-0e32dc8c7c7c41774"}
		}},
		"ec2-CreateRoute-churn-default-route-via-transit-gateway.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.RouteTableChange = &cloudtrail.RouteTableChange{RouteTableID: "rtb-0bbb0000000000001", Destination: "0.0.0.0/0", Target: "tgw-0bbb0000000000001"}
		}},
		"ec2-DeleteRoute-fraud-main-table-loses-nat.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.RouteTableChange = &cloudtrail.RouteTableChange{RouteTableID: "rtb-0aaa0000000000001", Destination: "0.0.0.0/0"}
		}},
		"ec2-ModifyVpcAttribute-fraud-dns-hostnames-off.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.VPCChange = &cloudtrail.VPCChange{VPCID: "vpc-0a1b2c3d4e5f60001", Attribute: "enableDnsHostnames", Value: false}
		}},
		"ec2-AssociateDhcpOptions-recsys-custom-dns-servers.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.VPCChange = &cloudtrail.VPCChange{VPCID: "vpc-0c1b2c3d4e5f60003", DHCPOptionsID: "dopt-0ccc0000000000009"}
		}},
		"ec2-AuthorizeSecurityGroupEgress-recsys-https-to-s3.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.EgressChange = &cloudtrail.SecurityGroupChange{GroupID: "sg-0ccc0000000000001"}
		}},
		"ec2-RevokeSecurityGroupEgress-fraud-https-to-s3.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.EgressChange = &cloudtrail.SecurityGroupChange{GroupID: "sg-0aaa0000000000001"}
		}},
		"ec2-RevokeSecurityGroupEgress-bastion-group-no-model.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.EgressChange = &cloudtrail.SecurityGroupChange{GroupID: "sg-0aaa0000000000009"}
		}},
		"ec2-ModifySecurityGroupRules-churn-egress-narrowed-to-postgres.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.EgressChange = &cloudtrail.SecurityGroupChange{GroupID: "sg-0bbb0000000000001", RuleIDs: []string{"sgr-006da0f0d8b79a2b1"}}
		}},
		"ec2-DeleteFlowLogs-recsys-vpc-flow-log.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.DeleteFlowLogs = &cloudtrail.DeleteFlowLogs{FlowLogIDs: []string{"fl-0ccc0000000000001"}}
		}},
		"ec2-CreateNetworkAclEntry-fraud-default-acl-denies-https-to-s3.json": {networkAdmin, func(c *cloudtrail.Call) {
			from, to := 443, 443
			c.NetworkACLChange = &cloudtrail.NetworkACLChange{NetworkACLID: "acl-0aaa0000000000001", RuleNumber: 90, Egress: true,
				Protocol: "6", RuleAction: "deny", CIDR: "52.216.0.0/15", PortFrom: &from, PortTo: &to}
		}},
		"ec2-DeleteNetworkAclEntry-fraud-removes-the-s3-deny.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.NetworkACLChange = &cloudtrail.NetworkACLChange{NetworkACLID: "acl-0aaa0000000000001", RuleNumber: 90, Egress: true}
		}},
		"ec2-ReplaceNetworkAclEntry-forecast-opens-every-ephemeral-port.json": {networkAdmin, func(c *cloudtrail.Call) {
			from, to := 1024, 65535
			c.NetworkACLChange = &cloudtrail.NetworkACLChange{NetworkACLID: "acl-0ddd0000000000001", RuleNumber: 140,
				Protocol: "6", RuleAction: "allow", CIDR: "0.0.0.0/0", PortFrom: &from, PortTo: &to}
		}},
		"ec2-ReplaceNetworkAclAssociation-churn-subnet-to-locked-down-acl.json": {networkAdmin, func(c *cloudtrail.Call) {
			c.NetworkACLChange = &cloudtrail.NetworkACLChange{NetworkACLID: "acl-0bbb0000000000002",
				AssociationID: "aclassoc-08f830b34bba886ee", NewAssociationID: "aclassoc-0c1d2e3f4a5b6c7d8"}
		}},
		"autoscaling-RegisterScalableTarget-churn-endpoint-max-100.json": {mlEngineer, func(c *cloudtrail.Call) {
			two, hundred := 2, 100
			c.ScalableTarget = &cloudtrail.RegisterScalableTarget{ServiceNamespace: "sagemaker", ResourceID: "endpoint/churn-endpoint/variant/AllTraffic",
				ScalableDimension: "sagemaker:variant:DesiredInstanceCount", MinCapacity: &two, MaxCapacity: &hundred, Service: "application-autoscaling"}
		}},
		"sagemaker-UpdateEndpointWeightsAndCapacities-churn-scale-out-130.json": {mlEngineer, func(c *cloudtrail.Call) {
			n := 130
			c.EndpointCapacity = &cloudtrail.EndpointCapacity{EndpointName: "churn-endpoint",
				EndpointARN: "arn:aws:sagemaker:us-east-1:111122223333:endpoint/churn-endpoint",
				Variants:    []cloudtrail.VariantCapacity{{VariantName: "AllTraffic", DesiredInstanceCount: &n}}}
		}},
	}

	files := glob(t, filepath.Join(repoRoot(t), "events", "*.json"))
	kinds := map[cloudtrail.Kind]bool{}
	var failed, noVPC bool
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			tc, ok := cases[name]
			if !ok {
				t.Fatalf("new file events/%s: add it to TestDemoEvents", name)
			}
			var ev events.CloudWatchEvent
			if err := json.Unmarshal(readFile(t, f), &ev); err != nil {
				t.Fatal(err)
			}
			got, err := cloudtrail.FromEvent(ev)
			if err != nil {
				t.Fatal(err)
			}
			var detail struct {
				EventID   string `json:"eventID"`
				EventName string `json:"eventName"`
				EventTime string `json:"eventTime"`
			}
			if err := json.Unmarshal(ev.Detail, &detail); err != nil {
				t.Fatal(err)
			}
			want := cloudtrail.Call{
				Kind: kindNamed(detail.EventName), EnvelopeID: ev.ID, EventID: detail.EventID, Name: detail.EventName,
				Source: cloudtrail.SourceEC2, Account: "111122223333", Region: "us-east-1", Time: at(detail.EventTime), Actor: tc.actor,
				// The people of the demo account: alice assumes ml-engineer, bob network-admin.
				SessionName: map[string]string{mlEngineer: "alice", networkAdmin: "bob"}[tc.actor],
			}
			switch ev.Source {
			case "aws.sagemaker":
				want.Source = cloudtrail.SourceSageMaker
			case "aws.autoscaling":
				want.Source = cloudtrail.SourceAutoScaling
			}
			tc.set(&want)
			sameCall(t, got, want)
			if ev.ID == detail.EventID || ev.ID == "" {
				t.Errorf("envelope id %q should be its own", ev.ID)
			}
			kinds[got.Kind] = true
			failed = failed || got.Failed()
			noVPC = noVPC || (got.CreateModel != nil && got.CreateModel.VPCConfig == nil)
		})
	}
	for name := range cases {
		if !contains(files, name) {
			t.Errorf("TestDemoEvents lists %s, which is not in events/", name)
		}
	}
	for k := cloudtrail.KindCreateModel; k.String() != "Unknown"; k++ {
		if !kinds[k] {
			t.Errorf("no demo event for %v", k)
		}
	}
	for _, k := range cloudtrail.DriftKinds() {
		if !kinds[k] {
			t.Errorf("no demo event for %v", k)
		}
	}
	if !failed || !noVPC {
		t.Errorf("demo events lack a failed call (%v) or a CreateModel without VpcConfig (%v)", failed, noVPC)
	}
}

func contains(files []string, base string) bool {
	for _, f := range files {
		if filepath.Base(f) == base {
			return true
		}
	}
	return false
}
