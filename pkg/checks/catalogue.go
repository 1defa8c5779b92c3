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

// Subject is the type of resource each of the check's verdicts is about
// (report.ResourceModel, ResourceVPC, …): there is one Security Hub finding
// per check and subject. Empty means the model, VPC or S3 endpoint the
// check's helpers iterate over.
func (d Definition) Subject() string {
	subject, _ := mappings(d.ID)
	return subject
}

// Controls are the controls and rules of AWS Config and Security Hub the
// check corresponds to, where one exists.
func (d Definition) Controls() []Control {
	_, controls := mappings(d.ID)
	return controls
}

// Outcome is what a check's function found; the catalogue adds the ID and
// severity to make a report.Check.
type Outcome struct {
	Status      report.Status
	Resources   []string
	Message     string
	Remediation string

	// findings are what combine folded, kept so that exemptions can be
	// applied to each finding on its own (RunWith).
	findings []finding
}

// Catalogue returns every check, in the order results are reported. Each
// call builds a fresh slice: callers may filter it freely.
func Catalogue() []Definition {
	defs := []Definition{
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
	return defs
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

// Run evaluates every check of defs against s, without exemptions (see
// RunWith).
func Run(s *inventory.Snapshot, defs []Definition) []report.Check {
	return RunWith(s, defs, Exemptions{})
}

// Control is a control or rule of a catalogue security teams already know
// that a check corresponds to. Every one listed here was verified against
// the AWS Config and AWS Security Hub documentation.
type Control struct {
	Source string // ControlSourceConfig or ControlSourceSecurityHub
	ID     string // the AWS Config managed rule name, or the Security Hub control ID
	// Parameters is the rule parameter that makes it check what the vpcguard
	// check checks (e.g. serviceNames=s3), if any.
	Parameters string
}

// Control sources.
const (
	ControlSourceConfig      = "AWS Config"
	ControlSourceSecurityHub = "AWS Security Hub"
)

// String is "AWS Config vpc-endpoint-enabled (serviceNames=s3)".
func (c Control) String() string {
	s := c.Source + " " + c.ID
	if c.Parameters != "" {
		s += " (" + c.Parameters + ")"
	}
	return s
}

// mappings is each check's subject and its corresponding controls: the
// catalogue's metadata beside Catalogue, one case per check. A check without a case has the subject its helpers iterate over
// (a model, a VPC or an S3 endpoint) and no known control.
func mappings(id string) (subject string, controls []Control) {
	config := func(rule, params string) Control {
		return Control{Source: ControlSourceConfig, ID: rule, Parameters: params}
	}
	switch id {
	case ModelInVPC:
		return report.ResourceModel, []Control{config("sagemaker-model-in-vpc", "")}
	case SubnetsMultiAZ, SubnetIPCapacity, SecurityGroupsValid, SecurityGroupEgressS3:
		return report.ResourceModel, nil
	case S3EndpointPresent:
		return report.ResourceVPC, []Control{
			config("vpc-endpoint-enabled", "serviceNames=s3"),
			config("service-vpc-endpoint-enabled", "serviceName=s3"),
		}
	case S3EndpointRoutes, VPCDNS, OutboundAccess:
		return report.ResourceVPC, nil
	case VPCFlowLogs:
		return report.ResourceVPC, []Control{
			{Source: ControlSourceSecurityHub, ID: "EC2.6"},
			config("vpc-flow-logs-enabled", ""),
		}
	case S3EndpointPolicyCustom, S3EndpointDeniesALRepos, S3EndpointPolicyAllows:
		return report.ResourceVPCEndpoint, nil
	case BucketPolicyVPCRestricted:
		return report.ResourceBucket, nil
	case ExecutionRoleENIPermission:
		return report.ResourceRole, nil
	case NetworkACLS3:
		return report.ResourceNetworkACL, nil
	}
	return "", nil
}

// NearbyControl is a Security Hub control next to vpcguard's checks that
// vpcguard deliberately leaves to Security Hub.
type NearbyControl struct {
	Control
	Title  string // the control's title in Security Hub
	Config string // the AWS Config rule behind it
	Why    string // why vpcguard does not duplicate it
}

// LeftToSecurityHub lists the nearby Security Hub controls vpcguard does not
// duplicate (README's control table shows them beside the checks).
func LeftToSecurityHub() []NearbyControl {
	return []NearbyControl{
		{Control{ControlSourceSecurityHub, "SageMaker.5", ""}, "SageMaker models should have network isolation enabled",
			"sagemaker-model-isolation-enabled",
			"network isolation cuts a container off from every network, the VPC included; vpcguard checks the VPC path a model uses when it is not isolated"},
		{Control{ControlSourceSecurityHub, "SageMaker.4", ""}, "SageMaker endpoint production variants should have an initial instance count greater than 1",
			"sagemaker-endpoint-config-prod-instance-count",
			"instance redundancy is availability, not network placement; vpcguard's subnets-multi-az checks that the subnets let SageMaker spread those instances across zones"},
	}
}
