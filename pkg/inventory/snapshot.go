// Package inventory gathers the real state that vpcguard's checks evaluate:
// the models, their VPC, subnets, route tables, endpoints, DNS, security
// groups, flow logs, the artifact bucket policy and the execution role's
// permissions. The data types here are plain values; the checks and the
// remediation planner read them without calling AWS.
//
// Every piece of state is a Fact: the value, or the error that kept vpcguard
// from reading it. A failed call never hides the other facts.
package inventory

import (
	"fmt"
	"slices"
	"time"

	"github.com/vpcguard/vpcguard/pkg/nacl"
)

// Fact is one piece of gathered state, or why it could not be read.
type Fact[T any] struct {
	Value T
	Err   error
}

// Known builds a Fact holding v.
func Known[T any](v T) Fact[T] { return Fact[T]{Value: v} }

// Failed builds a Fact for state that could not be read.
func Failed[T any](err error) Fact[T] { return Fact[T]{Err: err} }

// OK reports whether the value was read.
func (f Fact[T]) OK() bool { return f.Err == nil }

// Snapshot is the state behind one evaluation.
type Snapshot struct {
	Account   string
	Region    string
	Partition string // aws, aws-cn, aws-us-gov

	// Models are the models evaluated, each with its own VPC config. One for
	// CreateModel; every model of the config for endpoint events; every
	// model placed in the VPC for VPC-endpoint events.
	Models []Model
	// ModelErrs holds models that could not be described, by name.
	ModelErrs map[string]error

	// VPCs holds the network state of every VPC a model is placed in (and,
	// for VPC-endpoint events, the endpoint's VPC), by VPC id.
	VPCs map[string]*VPC
	// Subnets are the models' subnets, by subnet id; a subnet id that AWS
	// does not know is absent.
	Subnets Fact[map[string]Subnet]
	// SecurityGroups are the models' security groups, by group id; an id
	// that AWS does not know is absent.
	SecurityGroups Fact[map[string]SecurityGroup]
	// Roles are the execution roles' ENI permissions, by role ARN.
	Roles map[string]Fact[RolePermissions]
	// Buckets are the artifact buckets' policies, by bucket name.
	Buckets map[string]Fact[BucketPolicy]
	// S3PrefixList is the id of the region's S3 prefix list (pl-…), which
	// gateway endpoint routes and security group rules refer to.
	S3PrefixList Fact[string]
	// S3CIDRs are the CIDRs of that prefix list: the addresses S3 traffic
	// through the gateway endpoint goes to, which network ACLs must let
	// through.
	S3CIDRs Fact[[]string]
	// SubnetACLs are the network ACLs associated with the models' subnets,
	// by subnet id (DescribeNetworkAcls association.subnet-id). A subnet
	// absent here uses its VPC's default ACL (VPC.DefaultACL).
	SubnetACLs Fact[map[string]NetworkACL]

	// Trigger is the VPC endpoint a VPC-endpoint event is about, if any.
	Trigger *EndpointRef
	// PlacementNote says why the models were found by a full scan although
	// a placement index was configured; empty otherwise.
	PlacementNote string
	// Endpoint is the endpoint an endpoint event evaluated, with its config
	// and the models of its variants (for the placement index).
	Endpoint *EndpointUse
}

// EndpointUse is an endpoint, its current config and the models of its
// variants, in variant order.
type EndpointUse struct {
	Name   string
	Config string
	Models []string
}

// EndpointRef names the VPC endpoints an EC2 event acted on.
type EndpointRef struct {
	IDs     []string
	VPCID   string // empty when unknown (endpoints gone, or in several VPCs)
	Deleted bool   // the event deleted them (or AWS reports them deleted)
}

// Model is a SageMaker model as vpcguard sees it.
type Model struct {
	Name             string
	ARN              string
	ExecutionRoleARN string
	// VPCConfig is nil when the model has none (its containers then have
	// internet access outside any VPC).
	VPCConfig *VPCConfig
	// ArtifactBuckets are the S3 buckets of the containers' model data.
	ArtifactBuckets []string
	// Artifacts are the S3 objects the containers read their model data
	// from, one per ModelDataUrl and per S3 model data source.
	Artifacts []Artifact
	Tags      map[string]string
	// Created is the model's CreationTime. A model never changes after
	// CreateModel: its name and creation time identify what it is.
	Created time.Time
	// Indexed is set on a model the placement index gave without
	// describing it: its Tags are unread and its existence unconfirmed
	// until Gatherer.Confirm re-reads it.
	Indexed bool
	// Instances is how many instances will host the model; InstancesFrom
	// says where that number came from (e.g. "VPCGUARD_EXPECTED_INSTANCES",
	// "endpoint config cfg-1 variant AllTraffic", "autoscaling max").
	Instances     int
	InstancesFrom string
	// Via names the endpoint config (or endpoint) that brought the model
	// into the evaluation, if any.
	Via string
}

// Artifact is the model data one container reads from S3: an object (a
// ModelDataUrl, an S3Object data source), or every object under a key
// prefix (an S3Prefix data source, a multi-model container's ModelDataUrl),
// which vpcguard judges by one representative object under it.
type Artifact struct {
	// Container is the container's position (the primary container, then
	// Containers in order), Field where it names the data:
	// "ModelDataUrl", "ModelDataSource" or "AdditionalModelDataSources[N]".
	Container int
	Field     string
	// URI is the s3:// URI as the model gives it.
	URI string
	// Bucket and Key locate the object; for a prefix, Key is the
	// representative object under it.
	Bucket string
	Key    string
	// Prefix: URI is a key prefix, not an object.
	Prefix bool
}

// RepresentativeObject is the name vpcguard gives the object it judges an
// S3 prefix by: any object under the prefix that no statement names
// specifically is treated as this one is.
const RepresentativeObject = "vpcguard-representative-object"

// ObjectARN is the ARN of the artifact's object (for a prefix, of the
// representative object under it).
func (a Artifact) ObjectARN(partition string) string {
	return "arn:" + partition + ":s3:::" + a.Bucket + "/" + a.Key
}

// String names the artifact for messages.
func (a Artifact) String() string {
	s := fmt.Sprintf("%s (container %d %s", a.URI, a.Container, a.Field)
	if a.Prefix {
		s += ", an S3 prefix judged by the object " + a.Key
	}
	return s + ")"
}

// VPCConfig is a model's VpcConfig.
type VPCConfig struct {
	SubnetIDs        []string
	SecurityGroupIDs []string
}

// VPC is the network state of one VPC. Each field is read by its own call.
type VPC struct {
	ID string
	// Info holds the DHCP option set id and tags.
	Info Fact[VPCInfo]
	// DNS holds enableDnsSupport and enableDnsHostnames.
	DNS Fact[DNSAttributes]
	// DHCP is the VPC's DHCP option set.
	DHCP Fact[DHCPOptions]
	// RouteTables are all route tables of the VPC (the main one included).
	RouteTables Fact[[]RouteTable]
	// Endpoints are all VPC endpoints of the VPC, every type and service.
	Endpoints Fact[[]Endpoint]
	// FlowLogs are the flow logs on the VPC itself.
	FlowLogs Fact[[]FlowLog]
	// NATGateways are the VPC's available NAT gateways.
	NATGateways Fact[[]NATGateway]
	// DefaultACL is the VPC's default network ACL, which serves every
	// subnet without an explicit association.
	DefaultACL Fact[NetworkACL]
}

// NetworkACL is one network ACL with its entries, inbound and outbound.
type NetworkACL struct {
	ID        string
	VPCID     string
	Default   bool
	SubnetIDs []string // associated subnets
	Entries   []nacl.Entry
}

// ACLFor returns the network ACL that serves subnet: its association, else
// the default ACL of its VPC.
func (s *Snapshot) ACLFor(subnet string, v *VPC) (NetworkACL, error) {
	if !s.SubnetACLs.OK() {
		return NetworkACL{}, s.SubnetACLs.Err
	}
	if a, ok := s.SubnetACLs.Value[subnet]; ok {
		return a, nil
	}
	if v == nil {
		return NetworkACL{}, fmt.Errorf("the VPC of subnet %s was not read", subnet)
	}
	if !v.DefaultACL.OK() {
		return NetworkACL{}, v.DefaultACL.Err
	}
	return v.DefaultACL.Value, nil
}

// VPCInfo is what DescribeVpcs says of a VPC.
type VPCInfo struct {
	DHCPOptionsID string
	CIDR          string
	Tags          map[string]string
}

// DNSAttributes are the two DNS attributes of a VPC.
type DNSAttributes struct {
	Support   bool // enableDnsSupport
	Hostnames bool // enableDnsHostnames
}

// DHCPOptions is a DHCP option set, reduced to what DNS resolution needs.
type DHCPOptions struct {
	ID                string
	DomainNameServers []string // e.g. ["AmazonProvidedDNS"]
}

// Subnet is one subnet.
type Subnet struct {
	ID           string
	VPCID        string
	AZ           string
	AZID         string
	CIDR         string
	AvailableIPs int
}

// RouteTable is one route table with its associations and routes.
type RouteTable struct {
	ID        string
	VPCID     string
	Main      bool     // the VPC's main table (serves subnets without an explicit association)
	SubnetIDs []string // explicitly associated subnets
	Routes    []Route
	Tags      map[string]string
}

// Route is one route. Exactly one destination field is set.
type Route struct {
	DestinationCIDR         string // IPv4 CIDR
	DestinationIPv6CIDR     string
	DestinationPrefixListID string // pl-… for gateway endpoint routes
	GatewayID               string // igw-…, vgw-…, vpce-… or "local"
	NATGatewayID            string
	TransitGatewayID        string
	State                   string // active | blackhole
}

// Endpoint is a VPC endpoint.
type Endpoint struct {
	ID             string
	VPCID          string
	ServiceName    string // com.amazonaws.<region>.s3
	Type           string // Gateway | Interface | GatewayLoadBalancer
	State          string // available, pending, deleted, …
	RouteTableIDs  []string
	SubnetIDs      []string
	PolicyDocument string // as AWS returns it (JSON text), empty if none
	PrivateDNS     bool
	Tags           map[string]string
}

// FlowLog is one flow log on a VPC.
type FlowLog struct {
	ID          string
	TrafficType string // ACCEPT | REJECT | ALL
	Status      string // ACTIVE, …
	Destination string
}

// NATGateway is one NAT gateway.
type NATGateway struct {
	ID       string
	SubnetID string
	State    string
}

// SecurityGroup is one security group with its egress rules.
type SecurityGroup struct {
	ID     string
	Name   string
	VPCID  string
	Egress []Permission
	Tags   map[string]string
}

// Permission is one IP permission (rule) of a security group.
type Permission struct {
	Protocol      string // "-1" for all, "tcp", "udp", "icmp" or a number
	FromPort      int32
	ToPort        int32
	IPv4Ranges    []string
	IPv6Ranges    []string
	PrefixListIDs []string
	GroupIDs      []string
}

// RolePermissions is the result of simulating the guide's ec2 actions for a
// role: action → allowed.
type RolePermissions struct {
	RoleARN string
	Allowed map[string]bool
}

// BucketPolicy is an S3 bucket policy; Exists is false when the bucket has
// none (NoSuchBucketPolicy).
type BucketPolicy struct {
	Bucket   string
	Exists   bool
	Document string
}

// ModelSubnets returns the subnets of m that AWS knows, in the model's order,
// and the ids it does not know.
func (s *Snapshot) ModelSubnets(m Model) (known []Subnet, missing []string) {
	if m.VPCConfig == nil || !s.Subnets.OK() {
		return nil, nil
	}
	for _, id := range m.VPCConfig.SubnetIDs {
		if sn, ok := s.Subnets.Value[id]; ok {
			known = append(known, sn)
		} else {
			missing = append(missing, id)
		}
	}
	return known, missing
}

// ModelVPC returns the VPC of a model's subnets ("" when unknown). Subnets of
// a VPC config all belong to one VPC; the first known subnet decides.
func (s *Snapshot) ModelVPC(m Model) string {
	known, _ := s.ModelSubnets(m)
	if len(known) == 0 {
		return ""
	}
	return known[0].VPCID
}

// RouteTableFor returns the route table that serves subnet in tables: its
// explicit association, else the VPC's main table.
func RouteTableFor(tables []RouteTable, subnetID string) (RouteTable, error) {
	var main *RouteTable
	for i := range tables {
		t := &tables[i]
		for _, id := range t.SubnetIDs {
			if id == subnetID {
				return *t, nil
			}
		}
		if t.Main {
			main = t
		}
	}
	if main == nil {
		return RouteTable{}, fmt.Errorf("no route table serves subnet %s and the VPC has no main table", subnetID)
	}
	return *main, nil
}

// RoutesVia reports whether rt sends S3 traffic through gateway endpoint
// e: e lists the table, or the table has a prefix-list route through e.
func (rt RouteTable) RoutesVia(e Endpoint) bool {
	if slices.Contains(e.RouteTableIDs, rt.ID) {
		return true
	}
	for _, r := range rt.Routes {
		if r.GatewayID == e.ID && r.DestinationPrefixListID != "" {
			return true
		}
	}
	return false
}

// S3ServiceName is the S3 endpoint service name in region.
func S3ServiceName(region string) string { return "com.amazonaws." + region + ".s3" }

// S3GatewayEndpoints returns the VPC's S3 gateway endpoints that are not
// being deleted.
func (v *VPC) S3GatewayEndpoints(region string) []Endpoint {
	var out []Endpoint
	for _, e := range v.Endpoints.Value {
		if e.Type == "Gateway" && e.ServiceName == S3ServiceName(region) && live(e.State) {
			out = append(out, e)
		}
	}
	return out
}

func live(state string) bool {
	switch state {
	case "deleting", "deleted", "failed", "rejected", "expired":
		return false
	}
	return true
}

// VPCGroup is one VPC with the models placed in it.
type VPCGroup struct {
	ID     string
	VPC    *VPC
	Models []Model
}

// ModelNames lists the group's model names, in order.
func (g VPCGroup) ModelNames() []string {
	names := make([]string, len(g.Models))
	for i, m := range g.Models {
		names[i] = m.Name
	}
	return names
}

// ByVPC groups the models that have a VpcConfig by the VPC of their
// subnets, in model order, then adds the triggering endpoint's VPC even
// with no model in it. Models whose VPC cannot be told (subnets unread or
// unknown, VPC not gathered) are returned apart. Models without a
// VpcConfig are in neither.
func (s *Snapshot) ByVPC() (groups []VPCGroup, unplaced []Model) {
	index := map[string]int{}
	add := func(id string) int {
		if i, ok := index[id]; ok {
			return i
		}
		index[id] = len(groups)
		groups = append(groups, VPCGroup{ID: id, VPC: s.VPCs[id]})
		return len(groups) - 1
	}
	for _, m := range s.Models {
		if m.VPCConfig == nil {
			continue
		}
		id := s.ModelVPC(m)
		if id == "" || s.VPCs[id] == nil {
			unplaced = append(unplaced, m)
			continue
		}
		i := add(id)
		groups[i].Models = append(groups[i].Models, m)
	}
	if t := s.Trigger; t != nil && t.VPCID != "" && s.VPCs[t.VPCID] != nil {
		add(t.VPCID)
	}
	return groups, unplaced
}
