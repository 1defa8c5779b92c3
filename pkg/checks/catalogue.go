// Package checks is vpcguard's catalogue: one check per guideline of the
// SageMaker guide "Give SageMaker Hosted Endpoints Access to Resources in Your
// Amazon VPC". Each check describes itself (ID, title, severity, the
// guideline it enforces) and is a pure function of an inventory.Snapshot.
//
// The IDs are a public contract: notifications, subscription filters and
// tests use them. Never rename one; retire it instead.
package checks

import (
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// Check IDs.
const (
	ModelInVPC                 = "model-in-vpc"
	SubnetsMultiAZ             = "subnets-multi-az"
	SubnetIPCapacity           = "subnet-ip-capacity"
	SecurityGroupsValid        = "security-groups-valid"
	SecurityGroupEgressS3      = "security-group-egress-s3"
	S3EndpointPresent          = "s3-endpoint-present"
	S3EndpointRoutes           = "s3-endpoint-routes"
	S3EndpointPolicyCustom     = "s3-endpoint-policy-custom"
	S3EndpointDeniesALRepos    = "s3-endpoint-denies-al-repos"
	S3EndpointPolicyAllows     = "s3-endpoint-policy-allows"
	VPCDNS                     = "vpc-dns"
	BucketPolicyVPCRestricted  = "bucket-policy-vpc-restricted"
	ExecutionRoleENIPermission = "execution-role-eni-permissions"
	OutboundAccess             = "outbound-access"
	VPCFlowLogs                = "vpc-flow-logs"
	NetworkACLS3               = "network-acl-s3"
)

// Definition is one check: what it is, why it matters, and how it decides.
type Definition struct {
	ID       string
	Title    string
	Severity report.Severity
	// Guideline is the one line of the guide this check enforces, written
	// for the person who reads the notification.
	Guideline string
	// Evaluate decides the check from the gathered state. It never calls AWS.
	Evaluate func(*inventory.Snapshot) Outcome
}

// Outcome is what a check's function found; the catalogue adds the ID and
// severity to make a report.Check.
type Outcome struct {
	Status      report.Status
	Resources   []string
	Message     string
	Remediation string
}

// Catalogue returns every check, in the order results are reported. Each
// call builds a fresh slice: callers may filter it freely.
func Catalogue() []Definition {
	return []Definition{
		{ModelInVPC, "Model runs in your VPC", report.SeverityHigh,
			"Give every model a VpcConfig (subnets and security groups) so its containers reach resources only through your VPC.",
			evalModelInVPC},
		{SubnetsMultiAZ, "Subnets span two or more Availability Zones", report.SeverityMedium,
			"Use subnets in at least two Availability Zones so the endpoint survives the loss of one zone.",
			evalSubnetsMultiAZ},
		{SubnetIPCapacity, "Subnets have free IPs for every instance", report.SeverityMedium,
			"Keep at least two free private IP addresses per model instance in the model's subnets.",
			evalSubnetIPCapacity},
		{SecurityGroupsValid, "Security groups exist in the subnets' VPC", report.SeverityHigh,
			"The model's security groups must exist and belong to the VPC of its subnets.",
			evalSecurityGroupsValid},
		{SecurityGroupEgressS3, "Security groups allow HTTPS egress to S3", report.SeverityMedium,
			"The containers reach S3 over HTTPS: the security groups must allow TCP 443 outbound to the S3 prefix list.",
			evalSecurityGroupEgressS3},
		{S3EndpointPresent, "VPC has an S3 gateway endpoint", report.SeverityHigh,
			"Create an S3 VPC endpoint so the containers reach their model artifacts without internet access.",
			evalS3EndpointPresent},
		{S3EndpointRoutes, "S3 endpoint is on every model subnet's route table", report.SeverityHigh,
			"The S3 gateway endpoint works only for subnets whose route table it is associated with.",
			evalS3EndpointRoutes},
		{S3EndpointPolicyCustom, "S3 endpoint has a custom policy", report.SeverityLow,
			"Prefer a custom endpoint policy over the default, which gives full access to every bucket.",
			evalS3EndpointPolicyCustom},
		{S3EndpointDeniesALRepos, "S3 endpoint denies the Amazon Linux repositories", report.SeverityMedium,
			"Deny the Amazon Linux and Amazon Linux 2 package-repository buckets in the endpoint policy so containers cannot install packages through it.",
			evalS3EndpointDeniesALRepos},
		{S3EndpointPolicyAllows, "S3 endpoint policy still allows access", report.SeverityHigh,
			"An endpoint policy with no Allow blocks every request, model artifacts included.",
			evalS3EndpointPolicyAllows},
		{VPCDNS, "VPC DNS resolves S3 names", report.SeverityHigh,
			"Keep DNS support and hostnames on and the Amazon-provided resolver, so the standard S3 URLs resolve to the endpoint.",
			evalVPCDNS},
		{BucketPolicyVPCRestricted, "Artifact bucket is restricted to the VPC", report.SeverityInfo,
			"Optionally restrict the model-artifact bucket to requests from your VPC or its endpoint with a bucket policy.",
			evalBucketPolicyVPCRestricted},
		{ExecutionRoleENIPermission, "Execution role may manage network interfaces", report.SeverityHigh,
			"A custom execution role needs the ec2 network-interface permissions so SageMaker can attach the model to your VPC.",
			evalExecutionRoleENIPermissions},
		{OutboundAccess, "Outbound access beyond S3", report.SeverityInfo,
			"Containers in the VPC reach nothing outside it but S3; use interface endpoints or a NAT gateway for other services.",
			evalOutboundAccess},
		{VPCFlowLogs, "VPC flow logs are on", report.SeverityInfo,
			"VPC flow logs show all the network traffic of the model containers.",
			evalVPCFlowLogs},
		{NetworkACLS3, "Network ACLs let S3 traffic through", report.SeverityMedium,
			"Network ACLs are stateless: each model subnet's ACL must allow TCP 443 out to the S3 prefix list's CIDRs and the responses back in on ports 1024-65535, or the gateway endpoint is blocked as surely as without a route.",
			evalNetworkACLS3},
	}
}

// Lookup returns the definition of id.
func Lookup(id string) (Definition, bool) {
	for _, d := range Catalogue() {
		if d.ID == id {
			return d, true
		}
	}
	return Definition{}, false
}

// EndpointDependent keeps the checks of defs that depend on the VPC's S3
// endpoint: what a VPC-endpoint event can change.
func EndpointDependent(defs []Definition) []Definition {
	var out []Definition
	for _, d := range defs {
		switch d.ID {
		case S3EndpointPresent, S3EndpointRoutes, S3EndpointPolicyCustom, S3EndpointDeniesALRepos, S3EndpointPolicyAllows:
			out = append(out, d)
		}
	}
	return out
}

// Run evaluates every check of defs against s.
func Run(s *inventory.Snapshot, defs []Definition) []report.Check {
	out := make([]report.Check, 0, len(defs))
	for _, d := range defs {
		o := d.Evaluate(s)
		if o.Resources == nil {
			o.Resources = []string{}
		}
		c := report.Check{ID: d.ID, Status: o.Status, Severity: d.Severity, Resources: o.Resources, Message: o.Message}
		if o.Status != report.StatusPass && o.Status != report.StatusNotApplicable {
			c.Remediation = o.Remediation
		}
		out = append(out, c)
	}
	return out
}
