// Package sweepsim generates simulated accounts (awssim scenarios) of any
// size for the sweep's tests and its benchmark: many models spread over
// many VPCs, with a known mix of compliant and non-compliant VPCs. It is
// test infrastructure; product code never imports it.
package sweepsim

import (
	"cmp"
	"fmt"

	"github.com/vpcguard/vpcguard/pkg/awssim"
)

// Defaults of the generated account.
const (
	Account = "111122223333"
	Region  = "us-east-1"
)

// Options size the account.
type Options struct {
	// Account and Region of the generated state (default Account, Region).
	Account, Region string
	Models          int // default 100
	VPCs            int // default 5 (at most 250)
	Endpoints       int // in-service endpoints, each on its own config and model (default Models/20)
}

// Every tenth VPC, by index modulo 10, carries one kind of problem; the
// others are compliant but for what the models themselves bring.
const (
	NoS3Endpoint      = 0 // s3-endpoint-present fails (a repair is planned)
	EndpointNotRouted = 1 // the endpoint misses the second subnet's route table: s3-endpoint-routes
	DefaultPolicy     = 2 // the endpoint keeps the full-access policy: s3-endpoint-policy-custom, s3-endpoint-denies-al-repos
	NoDNSHostnames    = 3 // vpc-dns
	OneZone           = 5 // both subnets in one AZ: subnets-multi-az
)

// Model problems, by model index.
const (
	NoVPCEvery = 100 // model i with i%100 == 99 has no VpcConfig: model-in-vpc
	Roles      = 10  // model i runs as role i%10; role RoleWithoutENI lacks the ec2 actions
	// RoleWithoutENI fails execution-role-eni-permissions for its models.
	RoleWithoutENI = 7
	Buckets        = 20 // model i's artifacts are in bucket i%20
)

// HardenedPolicy allows the model buckets and denies the Amazon Linux
// repositories, as the guide suggests.
const HardenedPolicy = `{"Version":"2012-10-17","Statement":[` +
	`{"Sid":"ModelArtifacts","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::models-*","arn:aws:s3:::models-*/*"]},` +
	`{"Sid":"DenyAmazonLinuxRepos","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":[` +
	`"arn:aws:s3:::packages.*.amazonaws.com/*","arn:aws:s3:::repo.*.amazonaws.com/*","arn:aws:s3:::amazonlinux.*.amazonaws.com/*",` +
	`"arn:aws:s3:::amazonlinux-2-repos-us-east-1/*","arn:aws:s3:::al2023-repos-us-east-1-*/*"]}]}`

// VPCID is the id of VPC v.
func VPCID(v int) string { return fmt.Sprintf("vpc-%017x", v+1) }

// ModelName is the name of model i; names sort in index order.
func ModelName(i int) string { return fmt.Sprintf("model-%05d", i) }

// ModelVPC is the index of model i's VPC, or -1 when it has none.
func ModelVPC(i, vpcs int) int {
	if i%NoVPCEvery == NoVPCEvery-1 {
		return -1
	}
	return i % vpcs
}

// Generate builds the account.
func Generate(o Options) *awssim.Scenario {
	if o.Models <= 0 {
		o.Models = 100
	}
	if o.VPCs <= 0 {
		o.VPCs = 5
	}
	o.VPCs = min(o.VPCs, 250)
	if o.Endpoints == 0 {
		o.Endpoints = o.Models / 20
	}
	sc := &awssim.Scenario{Account: cmp.Or(o.Account, Account), Region: cmp.Or(o.Region, Region)}
	for v := range o.VPCs {
		id := VPCID(v)
		kind := v % 10
		sc.VPCs = append(sc.VPCs, awssim.VPC{
			ID: id, CIDR: fmt.Sprintf("10.%d.0.0/16", v), DNSHostnames: awssim.Ptr(kind != NoDNSHostnames),
			Tags: awssim.Tags{"Name": fmt.Sprintf("ml-%02d", v)},
		})
		azA, azB := sc.Region+"a", sc.Region+"b"
		if kind == OneZone {
			azB = azA
		}
		a, b := subnetID(v, 0), subnetID(v, 1)
		sc.Subnets = append(sc.Subnets,
			awssim.Subnet{ID: a, VPC: id, AZ: azA, CIDR: fmt.Sprintf("10.%d.1.0/24", v)},
			awssim.Subnet{ID: b, VPC: id, AZ: azB, CIDR: fmt.Sprintf("10.%d.2.0/24", v)},
		)
		mainRT, rtB := fmt.Sprintf("rtb-%017x", 2*v+1), fmt.Sprintf("rtb-%017x", 2*v+2)
		sc.RouteTables = append(sc.RouteTables,
			awssim.RouteTable{ID: mainRT, VPC: id, Main: true},
			awssim.RouteTable{ID: rtB, VPC: id, Subnets: []string{b}},
		)
		sc.SecurityGroups = append(sc.SecurityGroups, awssim.SecurityGroup{ID: sgID(v), VPC: id, Name: "sagemaker"})
		switch kind {
		case NoS3Endpoint:
		case EndpointNotRouted:
			sc.VPCEndpoints = append(sc.VPCEndpoints, awssim.VPCEndpoint{ID: vpceID(v), VPC: id, RouteTables: []string{mainRT}, Policy: HardenedPolicy})
		case DefaultPolicy:
			sc.VPCEndpoints = append(sc.VPCEndpoints, awssim.VPCEndpoint{ID: vpceID(v), VPC: id, RouteTables: []string{mainRT, rtB}})
		default:
			sc.VPCEndpoints = append(sc.VPCEndpoints, awssim.VPCEndpoint{ID: vpceID(v), VPC: id, RouteTables: []string{mainRT, rtB}, Policy: HardenedPolicy})
		}
		if v%2 == 0 {
			sc.FlowLogs = append(sc.FlowLogs, awssim.FlowLog{ID: fmt.Sprintf("fl-%017x", v+1), Resource: id})
		}
	}
	for r := range Roles {
		role := awssim.Role{Name: fmt.Sprintf("SageMakerRole-%d", r), Allow: []string{"ec2:*", "s3:GetObject"}}
		if r == RoleWithoutENI {
			role.Allow = []string{"s3:GetObject"}
		}
		sc.Roles = append(sc.Roles, role)
	}
	for b := range Buckets {
		bucket := awssim.Bucket{Name: fmt.Sprintf("models-%02d", b)}
		if b%2 == 0 {
			bucket.Policy = awssim.Policy(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",`+
				`"Resource":["arn:aws:s3:::models-%02d","arn:aws:s3:::models-%02d/*"],"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-any"}}}]}`, b, b))
		}
		sc.Buckets = append(sc.Buckets, bucket)
	}
	for i := range o.Models {
		m := awssim.Model{
			Name:             ModelName(i),
			ExecutionRole:    fmt.Sprintf("SageMakerRole-%d", i%Roles),
			PrimaryContainer: &awssim.Container{Image: "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-cpu", ModelDataURL: fmt.Sprintf("s3://models-%02d/model-%05d/model.tar.gz", i%Buckets, i)},
		}
		if v := ModelVPC(i, o.VPCs); v >= 0 {
			m.VPCConfig = &awssim.VPCConfig{Subnets: []string{subnetID(v, 0), subnetID(v, 1)}, SecurityGroupIDs: []string{sgID(v)}}
		}
		sc.Models = append(sc.Models, m)
	}
	for e := range min(o.Endpoints, o.Models) {
		model := ModelName(e * (o.Models / max(o.Endpoints, 1)))
		cfg := fmt.Sprintf("cfg-%05d", e)
		sc.EndpointConfigs = append(sc.EndpointConfigs, awssim.EndpointConfig{
			Name: cfg, Variants: []awssim.Variant{{Name: "AllTraffic", Model: model, InitialInstanceCount: 2}},
		})
		sc.Endpoints = append(sc.Endpoints, awssim.Endpoint{Name: fmt.Sprintf("endpoint-%05d", e), Config: cfg})
	}
	return sc
}

func subnetID(v, n int) string { return fmt.Sprintf("subnet-%017x", 2*v+n+1) }
func sgID(v int) string        { return fmt.Sprintf("sg-%017x", v+1) }
func vpceID(v int) string      { return fmt.Sprintf("vpce-%017x", v+1) }
