package report

// Resource types of Ref (and of Resource.Type, which uses the same names for
// the resource an event is about). They name what a check's verdict is
// about; the Security Hub integration maps them to ASFF resource types.
const (
	ResourceModel          = "model"
	ResourceEndpointConfig = "endpoint-config"
	ResourceEndpoint       = "endpoint"
	ResourceVPCEndpoint    = "vpc-endpoint"
	ResourceVPC            = "vpc"
	ResourceSubnet         = "subnet"
	ResourceSecurityGroup  = "security-group"
	ResourceRouteTable     = "route-table"
	ResourceFlowLog        = "flow-log"
	ResourceNetworkACL     = "network-acl"
	ResourceRole           = "iam-role"     // ID is the role ARN
	ResourceBucket         = "s3-bucket"    // ID is the bucket name
	ResourceAccount        = "account"      // ID is the account id
	ResourceOther          = "unclassified" // an ID whose kind vpcguard could not tell
)

// Ref names one resource: its type (one of the Resource* constants) and its
// id or name as AWS shows it.
type Ref struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Verdict is a check's outcome for one resource, the verdict's subject: a
// model for the model checks, a VPC, an S3 endpoint, an execution role or an
// artifact bucket for the others (see checks.Definition.Subject). A check's
// Status is the most urgent of its verdicts.
type Verdict struct {
	Subject     Ref    `json:"subject"`
	Status      Status `json:"status"`
	Message     string `json:"message"`
	Remediation string `json:"remediation,omitempty"`
	// Related are the other resources involved (subnets, security groups,
	// route tables, the models a VPC serves …), without the subject.
	Related []Ref `json:"related,omitempty"`
}

// SecurityHubDelivery is what the Security Hub integration did with a
// result's findings (Result.SecurityHub; nil when it is off).
type SecurityHubDelivery struct {
	// Status is one of the SecurityHub* values below.
	Status  string `json:"status"`
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	// Active and Archived count the findings written ACTIVE and ARCHIVED;
	// Unchanged those left alone (a pass that never failed, a finding
	// already in that state, or one a newer evaluation wrote).
	Active    int `json:"active"`
	Archived  int `json:"archived"`
	Unchanged int `json:"unchanged"`
	// Failed lists the finding Ids Security Hub refused after one retry.
	Failed []string `json:"failed,omitempty"`
	// Message says why nothing or not everything was written.
	Message string `json:"message,omitempty"`
}

// Security Hub delivery statuses.
const (
	SecurityHubWritten    = "written"     // every finding that needed writing was written
	SecurityHubNothing    = "nothing"     // no finding needed writing
	SecurityHubNotEnabled = "not-enabled" // Security Hub is not enabled in that account and Region (InvalidAccessException)
	SecurityHubRefused    = "refused"     // vpcguard may not write there (another account or Region): nothing sent
	SecurityHubFailed     = "failed"      // a call or some findings failed; the function returns an error
)
