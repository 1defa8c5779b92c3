package awssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Scenario is the state of one simulated account in one region. It is
// loaded from a JSON file (LoadScenario, ParseScenario) or built in Go. The
// JSON keys are the `json` tags below; README.md summarises them.
//
// Unset fields get the defaults AWS would give (see each type). IDs must
// carry their AWS prefix (vpc-, subnet-, rtb-, vpce-, sg-, nat-, dopt-, fl-,
// pl-). ARNs are derived from Account, Region and Partition.
type Scenario struct {
	Account   string `json:"account"`             // 12 digits; default 123456789012
	Region    string `json:"region"`              // default us-east-1
	Partition string `json:"partition,omitempty"` // default from the region: aws, aws-cn, aws-us-gov
	// CallerARN is what STS GetCallerIdentity returns and what AccessDenied
	// messages name; default arn:<partition>:sts::<account>:assumed-role/vpcguard/awssim.
	CallerARN string `json:"callerArn,omitempty"`
	// AnyRegion accepts requests signed for any region. By default requests
	// to regional services (everything but IAM and STS) signed for another
	// region than Region fail with SignatureDoesNotMatch, as a real regional
	// endpoint does.
	AnyRegion bool `json:"anyRegion,omitempty"`
	// PageSize caps every paginated operation's page (0: the service's
	// own default). PageSizes overrides it per operation ("ec2:DescribeSubnets").
	PageSize  int            `json:"pageSize,omitempty"`
	PageSizes map[string]int `json:"pageSizes,omitempty"`

	VPCs           []VPC           `json:"vpcs,omitempty"`
	DHCPOptions    []DHCPOptions   `json:"dhcpOptions,omitempty"`
	Subnets        []Subnet        `json:"subnets,omitempty"`
	RouteTables    []RouteTable    `json:"routeTables,omitempty"`
	VPCEndpoints   []VPCEndpoint   `json:"vpcEndpoints,omitempty"`
	SecurityGroups []SecurityGroup `json:"securityGroups,omitempty"`
	NATGateways    []NATGateway    `json:"natGateways,omitempty"`
	FlowLogs       []FlowLog       `json:"flowLogs,omitempty"`
	// NetworkACLs are the network ACLs; see NetworkACL for the defaults.
	NetworkACLs []NetworkACL `json:"networkAcls,omitempty"`
	// PrefixLists adds to (or overrides by name) the AWS-managed prefix
	// lists, which always include com.amazonaws.<region>.s3 and .dynamodb.
	PrefixLists []PrefixList `json:"prefixLists,omitempty"`

	Models          []Model          `json:"models,omitempty"`
	EndpointConfigs []EndpointConfig `json:"endpointConfigs,omitempty"`
	Endpoints       []Endpoint       `json:"endpoints,omitempty"`
	// ScalableTargets are the Application Auto Scaling targets, such as
	// the endpoint variants registered for autoscaling.
	ScalableTargets []ScalableTarget `json:"scalableTargets,omitempty"`

	Roles   []Role   `json:"roles,omitempty"`
	Buckets []Bucket `json:"buckets,omitempty"`
	Topics  []Topic  `json:"topics,omitempty"`
	// EventBuses lists the EventBridge buses (names); when empty every bus
	// name is accepted.
	EventBuses []string `json:"eventBuses,omitempty"`

	// DynamoDBTables are the DynamoDB tables (the state table).
	DynamoDBTables []DynamoDBTable `json:"dynamodbTables,omitempty"`

	// Trails, Rules, Queues and Metrics serve the reads of vpcguard's
	// health self-check (health.go): CloudTrail, EventBridge, SQS and
	// CloudWatch; topics carry their subscriptions.
	Trails  []Trail     `json:"trails,omitempty"`
	Rules   []EventRule `json:"rules,omitempty"`
	Queues  []Queue     `json:"queues,omitempty"`
	Metrics []Metric    `json:"metrics,omitempty"`

	// Faults are injected per operation key: "ec2:DescribeRouteTables",
	// "sagemaker:*" (a whole service) or "*" (everything).
	Faults map[string]Fault `json:"faults,omitempty"`
	// EventFailures make PutEvents entries fail.
	EventFailures []EntryFailure `json:"eventFailures,omitempty"`
}

// Tags are resource tags, key → value.
type Tags map[string]string

// VPC is one VPC.
type VPC struct {
	ID   string `json:"id"`
	CIDR string `json:"cidr"` // default 10.0.0.0/16
	// DNSSupport (enableDnsSupport) defaults to true and DNSHostnames
	// (enableDnsHostnames) to false, as for a VPC that is not the default VPC.
	DNSSupport   *bool `json:"dnsSupport,omitempty"`
	DNSHostnames *bool `json:"dnsHostnames,omitempty"`
	// DHCPOptionsID names an entry of Scenario.DHCPOptions; when empty the
	// VPC uses a generated set with AmazonProvidedDNS.
	DHCPOptionsID string `json:"dhcpOptionsId,omitempty"`
	IsDefault     bool   `json:"isDefault,omitempty"`
	State         string `json:"state,omitempty"`   // default available
	OwnerID       string `json:"ownerId,omitempty"` // default the account (another one for a shared VPC)
	Tags          Tags   `json:"tags,omitempty"`
}

// DHCPOptions is a DHCP option set.
type DHCPOptions struct {
	ID                string   `json:"id"`
	DomainNameServers []string `json:"domainNameServers,omitempty"` // default ["AmazonProvidedDNS"]
	DomainName        string   `json:"domainName,omitempty"`
	NTPServers        []string `json:"ntpServers,omitempty"`
	Tags              Tags     `json:"tags,omitempty"`
}

// Subnet is one subnet.
type Subnet struct {
	ID   string `json:"id"`
	VPC  string `json:"vpc"`
	AZ   string `json:"az,omitempty"`   // default <region>a
	AZID string `json:"azId,omitempty"` // default derived from AZ, e.g. use1-az1
	CIDR string `json:"cidr"`
	// AvailableIPs defaults to the CIDR's size minus the 5 addresses AWS
	// reserves. Set it (0 included) to simulate a full subnet.
	AvailableIPs        *int   `json:"availableIps,omitempty"`
	IPv6CIDR            string `json:"ipv6Cidr,omitempty"`
	DefaultForAZ        bool   `json:"defaultForAz,omitempty"`
	MapPublicIPOnLaunch bool   `json:"mapPublicIpOnLaunch,omitempty"`
	State               string `json:"state,omitempty"` // default available
	OwnerID             string `json:"ownerId,omitempty"`
	Tags                Tags   `json:"tags,omitempty"`
}

// RouteTable is one route table. A local route for the VPC's CIDR is added
// when the table has none, and every VPC gets a main table if none is given.
type RouteTable struct {
	ID      string   `json:"id"`
	VPC     string   `json:"vpc"`
	Main    bool     `json:"main,omitempty"`
	Subnets []string `json:"subnets,omitempty"` // explicitly associated subnets
	Routes  []Route  `json:"routes,omitempty"`
	OwnerID string   `json:"ownerId,omitempty"`
	Tags    Tags     `json:"tags,omitempty"`
}

// Route is one route. Destination is a shorthand: an IPv4 CIDR, an IPv6
// CIDR or a pl- id. Routes of gateway endpoints are added from the
// endpoints' RouteTables; internet gateways are routes with GatewayID igw-….
type Route struct {
	Destination             string `json:"destination,omitempty"`
	DestinationCIDR         string `json:"destinationCidr,omitempty"`
	DestinationIPv6CIDR     string `json:"destinationIpv6Cidr,omitempty"`
	DestinationPrefixListID string `json:"destinationPrefixListId,omitempty"`

	GatewayID              string `json:"gatewayId,omitempty"` // igw-…, vgw-…, vpce-…, local
	NATGatewayID           string `json:"natGatewayId,omitempty"`
	TransitGatewayID       string `json:"transitGatewayId,omitempty"`
	VPCPeeringConnectionID string `json:"vpcPeeringConnectionId,omitempty"`
	NetworkInterfaceID     string `json:"networkInterfaceId,omitempty"`
	EgressOnlyIGWID        string `json:"egressOnlyInternetGatewayId,omitempty"`
	State                  string `json:"state,omitempty"`  // default active
	Origin                 string `json:"origin,omitempty"` // default CreateRouteTable for local, else CreateRoute
}

// VPCEndpoint is a VPC endpoint.
type VPCEndpoint struct {
	ID      string `json:"id"`
	VPC     string `json:"vpc"`
	Type    string `json:"type,omitempty"`    // Gateway (default), Interface, GatewayLoadBalancer
	Service string `json:"service,omitempty"` // default com.amazonaws.<region>.s3
	State   string `json:"state,omitempty"`   // default available
	// RouteTables of a Gateway endpoint; each gets a route to the service's
	// prefix list through the endpoint.
	RouteTables    []string `json:"routeTables,omitempty"`
	Subnets        []string `json:"subnets,omitempty"`
	SecurityGroups []string `json:"securityGroups,omitempty"`
	// Policy is the policy document, kept as given (a JSON string, or a JSON
	// object that is stored compacted). Default: the full-access policy for
	// Gateway and Interface endpoints of AWS services, none otherwise.
	Policy              Policy     `json:"policy,omitempty"`
	PrivateDNS          *bool      `json:"privateDns,omitempty"` // default true for Interface endpoints of AWS services
	NetworkInterfaceIDs []string   `json:"networkInterfaceIds,omitempty"`
	RequesterManaged    bool       `json:"requesterManaged,omitempty"`
	OwnerID             string     `json:"ownerId,omitempty"`
	CreationTime        *time.Time `json:"creationTime,omitempty"`
	Tags                Tags       `json:"tags,omitempty"`
}

// SecurityGroup is a security group.
type SecurityGroup struct {
	ID          string `json:"id"`
	VPC         string `json:"vpc"`
	Name        string `json:"name,omitempty"`        // default the id
	Description string `json:"description,omitempty"` // default the name
	Ingress     []Rule `json:"ingress,omitempty"`
	// Egress nil (key absent) means AWS's default rule, all traffic to
	// 0.0.0.0/0; an empty list means no egress rule at all.
	Egress  []Rule `json:"egress"`
	OwnerID string `json:"ownerId,omitempty"`
	Tags    Tags   `json:"tags,omitempty"`
}

// Rule is one IP permission. Ports are rendered unless Protocol is "-1".
type Rule struct {
	Protocol      string          `json:"protocol"` // -1, tcp, udp, icmp or a number
	FromPort      int32           `json:"fromPort,omitempty"`
	ToPort        int32           `json:"toPort,omitempty"`
	IPRanges      []IPRange       `json:"ipRanges,omitempty"`      // "10.0.0.0/8" or {"cidr","description"}
	IPv6Ranges    []IPRange       `json:"ipv6Ranges,omitempty"`    // "::/0" or {"cidr","description"}
	PrefixListIDs []PrefixListRef `json:"prefixListIds,omitempty"` // "pl-…" or {"id","description"}
	Groups        []GroupRef      `json:"groups,omitempty"`        // "sg-…" or {"groupId",…}
}

// IPRange is a CIDR with an optional description. In JSON it is a string or
// an object.
type IPRange struct {
	CIDR        string `json:"cidr"`
	Description string `json:"description,omitempty"`
}

// PrefixListRef is a prefix list in a rule. In JSON a string or an object.
type PrefixListRef struct {
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
}

// GroupRef is a security group referenced by a rule. In JSON a string (the
// group id) or an object.
type GroupRef struct {
	GroupID                string `json:"groupId"`
	GroupName              string `json:"groupName,omitempty"`
	UserID                 string `json:"userId,omitempty"` // default the account
	VPCID                  string `json:"vpcId,omitempty"`
	VPCPeeringConnectionID string `json:"vpcPeeringConnectionId,omitempty"`
	PeeringStatus          string `json:"peeringStatus,omitempty"`
	Description            string `json:"description,omitempty"`
}

// NATGateway is a NAT gateway.
type NATGateway struct {
	ID               string `json:"id"`
	Subnet           string `json:"subnet"`
	VPC              string `json:"vpc,omitempty"`              // default the subnet's
	State            string `json:"state,omitempty"`            // default available
	ConnectivityType string `json:"connectivityType,omitempty"` // default public
	Tags             Tags   `json:"tags,omitempty"`
}

// FlowLog is a flow log.
type FlowLog struct {
	ID              string `json:"id"`
	Resource        string `json:"resource"`                  // vpc-…, subnet-… or eni-…
	TrafficType     string `json:"trafficType,omitempty"`     // default ALL
	Status          string `json:"status,omitempty"`          // flowLogStatus, default ACTIVE
	DeliverStatus   string `json:"deliverStatus,omitempty"`   // deliverLogsStatus, default SUCCESS
	DestinationType string `json:"destinationType,omitempty"` // default cloud-watch-logs
	Destination     string `json:"destination,omitempty"`     // logDestination ARN
	LogGroupName    string `json:"logGroupName,omitempty"`
	Tags            Tags   `json:"tags,omitempty"`
}

// PrefixList is an AWS-managed prefix list. CIDRs default to none for a
// scenario's own list; the built-in S3 and DynamoDB lists have some.
type PrefixList struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"` // com.amazonaws.<region>.s3
	CIDRs []string `json:"cidrs,omitempty"`
}

// Model is a SageMaker model. Its ARN is derived (lower-cased name, as
// SageMaker does).
type Model struct {
	Name string `json:"name"`
	// ExecutionRole is a role name (its ARN is derived) or an ARN.
	ExecutionRole string `json:"executionRole,omitempty"`
	// PrimaryContainer defaults to one image with no artifact when neither
	// it nor Containers is set.
	PrimaryContainer       *Container  `json:"primaryContainer,omitempty"`
	Containers             []Container `json:"containers,omitempty"`
	VPCConfig              *VPCConfig  `json:"vpcConfig,omitempty"`
	EnableNetworkIsolation bool        `json:"enableNetworkIsolation,omitempty"`
	CreationTime           *time.Time  `json:"creationTime,omitempty"` // default a fixed time + index seconds
	Tags                   Tags        `json:"tags,omitempty"`
}

// Container is a model container.
type Container struct {
	Image        string `json:"image,omitempty"`
	ModelDataURL string `json:"modelDataUrl,omitempty"` // s3://bucket/key
	// ModelDataS3URI renders ModelDataSource.S3DataSource.S3Uri.
	ModelDataS3URI    string            `json:"modelDataS3Uri,omitempty"`
	Mode              string            `json:"mode,omitempty"` // SingleModel (default) or MultiModel
	ContainerHostname string            `json:"containerHostname,omitempty"`
	Environment       map[string]string `json:"environment,omitempty"`
}

// VPCConfig is a SageMaker VpcConfig. It may name subnets and groups that
// do not exist (that is what vpcguard detects).
type VPCConfig struct {
	Subnets          []string `json:"subnets"`
	SecurityGroupIDs []string `json:"securityGroupIds"`
}

// EndpointConfig is a SageMaker endpoint configuration.
type EndpointConfig struct {
	Name          string     `json:"name"`
	Variants      []Variant  `json:"variants"`
	VPCConfig     *VPCConfig `json:"vpcConfig,omitempty"`
	ExecutionRole string     `json:"executionRole,omitempty"`
	CreationTime  *time.Time `json:"creationTime,omitempty"`
	Tags          Tags       `json:"tags,omitempty"`
}

// Variant is a production variant. Model may name a model that does not
// exist (a deleted model).
type Variant struct {
	Name                 string  `json:"name,omitempty"` // default AllTraffic
	Model                string  `json:"model"`
	InitialInstanceCount int32   `json:"initialInstanceCount,omitempty"` // default 1
	InstanceType         string  `json:"instanceType,omitempty"`         // default ml.m5.large
	InitialVariantWeight float32 `json:"initialVariantWeight,omitempty"` // default 1
}

// Endpoint is a SageMaker endpoint; Config must name an endpoint config.
type Endpoint struct {
	Name             string     `json:"name"`
	Config           string     `json:"config"`
	Status           string     `json:"status,omitempty"` // default InService
	CreationTime     *time.Time `json:"creationTime,omitempty"`
	LastModifiedTime *time.Time `json:"lastModifiedTime,omitempty"`
	// Instances overrides each variant's current/desired instance count,
	// by variant name (default: the config's InitialInstanceCount).
	Instances map[string]int32 `json:"instances,omitempty"`
	Tags      Tags             `json:"tags,omitempty"`
}

// ScalableTarget is an Application Auto Scaling scalable target. A
// SageMaker variant's (the default dimension) must name a variant of an
// endpoint of the scenario: ResourceID endpoint/<endpoint>/variant/<variant>.
// The namespace is the dimension's first part.
type ScalableTarget struct {
	ResourceID        string `json:"resourceId"`
	ScalableDimension string `json:"scalableDimension,omitempty"` // default sagemaker:variant:DesiredInstanceCount
	MinCapacity       *int32 `json:"minCapacity,omitempty"`       // default 1
	MaxCapacity       int32  `json:"maxCapacity"`                 // ≥ minCapacity
}

// Role is an IAM role and the actions SimulatePrincipalPolicy reports for
// it. Patterns are IAM action patterns ("ec2:*", "ec2:Describe*", "*"),
// matched case-insensitively; Deny wins over Allow (explicitDeny),
// anything else is implicitDeny.
type Role struct {
	Name  string   `json:"name"`
	Path  string   `json:"path,omitempty"` // default /
	Allow []string `json:"allow,omitempty"`
	Deny  []string `json:"deny,omitempty"`
	// TrustPolicy decides who may assume the role through an Org's STS
	// AssumeRole (see trust.go for the subset evaluated); empty: nobody.
	TrustPolicy Policy `json:"trustPolicy,omitempty"`
	// MaxSessionDuration bounds AssumeRole's DurationSeconds (seconds,
	// 3600 to 43200; default 3600, as IAM's).
	MaxSessionDuration int `json:"maxSessionDuration,omitempty"`
}

// Bucket is an S3 bucket. An empty Policy means the bucket has none
// (NoSuchBucketPolicy); an unlisted bucket does not exist (NoSuchBucket).
// Objects are its objects at the start, key → content (Content-Type
// binary/octet-stream); PutObject adds and replaces objects.
type Bucket struct {
	Name         string            `json:"name"`
	Policy       Policy            `json:"policy,omitempty"`
	AccessDenied bool              `json:"accessDenied,omitempty"` // every call on the bucket → 403 AccessDenied
	Objects      map[string]string `json:"objects,omitempty"`
}

// Topic is an SNS topic, given by Name (ARN derived) or ARN.
type Topic struct {
	Name string `json:"name,omitempty"`
	ARN  string `json:"arn,omitempty"`
	// Subscriptions are what ListSubscriptionsByTopic lists.
	Subscriptions []Subscription `json:"subscriptions,omitempty"`
}

// Policy is a policy document kept as text. In JSON it may be written as a
// string (kept byte for byte) or as an object (kept compacted).
type Policy string

// UnmarshalJSON accepts a JSON string or any other JSON value.
func (p *Policy) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*p = Policy(s)
		return nil
	}
	if string(b) == "null" {
		*p = ""
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return err
	}
	*p = Policy(buf.String())
	return nil
}

// UnmarshalJSON accepts "cidr" or {"cidr":…,"description":…}.
func (r *IPRange) UnmarshalJSON(b []byte) error {
	if s, ok := jsonString(b); ok {
		*r = IPRange{CIDR: s}
		return nil
	}
	type plain IPRange
	return strictUnmarshal(b, (*plain)(r))
}

// UnmarshalJSON accepts "pl-…" or {"id":…,"description":…}.
func (r *PrefixListRef) UnmarshalJSON(b []byte) error {
	if s, ok := jsonString(b); ok {
		*r = PrefixListRef{ID: s}
		return nil
	}
	type plain PrefixListRef
	return strictUnmarshal(b, (*plain)(r))
}

// UnmarshalJSON accepts "sg-…" or an object.
func (r *GroupRef) UnmarshalJSON(b []byte) error {
	if s, ok := jsonString(b); ok {
		*r = GroupRef{GroupID: s}
		return nil
	}
	type plain GroupRef
	return strictUnmarshal(b, (*plain)(r))
}

func jsonString(b []byte) (string, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return "", false
	}
	return s, true
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// Duration is a time.Duration written in JSON as a Go duration string
// ("150ms") or a number of milliseconds.
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if s, ok := jsonString(b); ok {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	ms, err := strconv.ParseFloat(string(bytes.TrimSpace(b)), 64)
	if err != nil {
		return fmt.Errorf("duration: want a string like \"150ms\" or milliseconds, got %s", b)
	}
	*d = Duration(time.Duration(ms * float64(time.Millisecond)))
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// Ptr returns a pointer to v, for the optional fields of a Scenario built in Go.
func Ptr[T any](v T) *T { return &v }

// LoadScenario reads and validates a scenario file.
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sc, err := ParseScenario(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sc, nil
}

// ParseScenario decodes a JSON scenario (unknown keys are errors) and
// validates it.
func ParseScenario(b []byte) (*Scenario, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		if se, ok := err.(*json.SyntaxError); ok {
			line, col := position(b, se.Offset)
			return nil, fmt.Errorf("scenario: line %d column %d: %v", line, col, err)
		}
		return nil, fmt.Errorf("scenario: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("scenario: trailing data after the JSON object")
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return &sc, nil
}

// Validate checks the scenario's references (a subnet's VPC exists, a route
// table's subnets are in its VPC, …) and reports every problem found.
func (sc *Scenario) Validate() error {
	_, err := buildState(sc)
	return err
}

// position converts a byte offset to a 1-based line and column.
func position(b []byte, off int64) (line, col int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	prefix := b[:off]
	line = bytes.Count(prefix, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(prefix, '\n')
	return line, col
}

// partitionFor returns the partition of a region.
func partitionFor(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	}
	return "aws"
}
