package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
)

// The published EC2 API examples (../shared/fixtures/aws-samples/ec2-api)
// are parsed by the real SDK deserializer, served verbatim, and compared with
// what the server renders for the same state: every field the sample has
// must come out the same, and every XML element of the sample must be
// rendered.

func mustTime(s string) *time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return &t
}

type ec2FixtureCase struct {
	name     string
	fixture  string
	region   string
	scenario func(sample *ec2.Client) *Scenario // may read values (policies) from the sample
	call     func(c *ec2.Client) (any, error)
	form     url.Values // the same request, for the raw XML comparison
	ignore   []string   // output fields that cannot match (generated ids, …)
	allow    []string   // sample XML elements the server does not render
	check    func(t *testing.T, want, got any)
}

func TestEC2SharedExamples(t *testing.T) {
	ctx := context.Background()
	samplePolicy := func(file string) func(*ec2.Client) string {
		return func(*ec2.Client) string {
			// The policy text exactly as the sample carries it, via the SDK.
			c := ec2.NewFromConfig(TestConfig(fixtureServer(t, 200, "text/xml", readFixture(t, "ec2-api/"+file)), "us-east-1"))
			out, err := c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-x"), ServiceName: aws.String("x")})
			if err != nil {
				t.Fatal(err)
			}
			return aws.ToString(out.VpcEndpoint.PolicyDocument)
		}
	}
	cases := []ec2FixtureCase{
		{
			name: "DescribeSubnets example 1", fixture: "DescribeSubnets-example1.xml", region: "us-east-2",
			scenario: func(*ec2.Client) *Scenario {
				return &Scenario{Account: "111122223333", Region: "us-east-2",
					VPCs: []VPC{{ID: "vpc-0ee975135dEXAMPLE", CIDR: "10.0.0.0/16"}, {ID: "vpc-07e8ffd50fEXAMPLE", CIDR: "10.0.0.0/16"}},
					Subnets: []Subnet{
						{ID: "subnet-0bb1c79de301436ee", VPC: "vpc-0ee975135dEXAMPLE", AZ: "us-east-2c", CIDR: "10.0.2.0/24"},
						{ID: "subnet-02bf4c428bf44ebce", VPC: "vpc-07e8ffd50fEXAMPLE", AZ: "us-east-2b", CIDR: "10.0.0.0/24", IPv6CIDR: "2600:1f16:115:200::/64"},
					}}
			},
			call: func(c *ec2.Client) (any, error) { return c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{}) },
			form: url.Values{"Action": {"DescribeSubnets"}},
			// The sample's ARNs name other ids than its subnets; association ids are generated.
			ignore: []string{"Subnets[].SubnetArn", "Subnets[].Ipv6CidrBlockAssociationSet[].AssociationId"},
		},
		{
			name: "DescribeSubnets example 2 (filtered)", fixture: "DescribeSubnets-example2-filtered.xml", region: "us-west-2",
			scenario: func(*ec2.Client) *Scenario {
				return &Scenario{Account: "123456789012", Region: "us-west-2",
					VPCs: []VPC{{ID: "vpc-0056ae9ffdEXAMPLE", CIDR: "172.168.0.0/16"}, {ID: "vpc-0fffffffffEXAMPLE", CIDR: "10.0.0.0/16"}},
					Subnets: []Subnet{
						{ID: "subnet-0aaaaaaaaaEXAMPLE", VPC: "vpc-0fffffffffEXAMPLE", AZ: "us-west-2a", CIDR: "10.0.0.0/24"},
						{ID: "subnet-0f8c6c2f37EXAMPLE", VPC: "vpc-0056ae9ffdEXAMPLE", AZ: "us-west-2b", CIDR: "172.168.0.0/16"},
					}}
			},
			call: func(c *ec2.Client) (any, error) {
				return c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []types.Filter{
					{Name: aws.String("vpc-id"), Values: []string{"vpc-0056ae9ffdEXAMPLE"}},
					{Name: aws.String("state"), Values: []string{"available"}},
				}})
			},
			form:   url.Values{"Action": {"DescribeSubnets"}, "Filter.1.Name": {"vpc-id"}, "Filter.1.Value.1": {"vpc-0056ae9ffdEXAMPLE"}},
			ignore: []string{"Subnets[].SubnetArn"},
		},
		{
			name: "DescribeRouteTables", fixture: "DescribeRouteTables.xml", region: "us-east-1",
			scenario: func(*ec2.Client) *Scenario {
				return &Scenario{Account: "111122223333",
					VPCs: []VPC{{ID: "vpc-12345678912345678", CIDR: "172.31.0.0/16"}},
					RouteTables: []RouteTable{{ID: "rtb-1122334455667788a", VPC: "vpc-12345678912345678", Main: true, Routes: []Route{
						{Destination: "10.0.1.0/32", GatewayID: "igw-012345678901abcdef"},
						{Destination: "172.31.0.0/16", GatewayID: "local"},
						{Destination: "0.0.0.0/0", GatewayID: "igw-012345678901abcdef"},
					}}}}
			},
			call:   func(c *ec2.Client) (any, error) { return c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{}) },
			form:   url.Values{"Action": {"DescribeRouteTables"}},
			ignore: []string{"RouteTables[].Associations[].RouteTableAssociationId"},
		},
		{
			name: "DescribeVpcAttribute enableDnsSupport", fixture: "DescribeVpcAttribute-enableDnsSupport.xml", region: "us-east-1",
			scenario: func(*ec2.Client) *Scenario { return &Scenario{VPCs: []VPC{{ID: "vpc-1a2b3c4d"}}} },
			call: func(c *ec2.Client) (any, error) {
				return c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String("vpc-1a2b3c4d"), Attribute: types.VpcAttributeNameEnableDnsSupport})
			},
			form: url.Values{"Action": {"DescribeVpcAttribute"}, "VpcId": {"vpc-1a2b3c4d"}, "Attribute": {"enableDnsSupport"}},
		},
		{
			name: "DescribeVpcAttribute enableDnsHostnames", fixture: "DescribeVpcAttribute-enableDnsHostnames.xml", region: "us-east-1",
			scenario: func(*ec2.Client) *Scenario {
				return &Scenario{VPCs: []VPC{{ID: "vpc-1a2b3c4d", DNSHostnames: Ptr(true)}}}
			},
			call: func(c *ec2.Client) (any, error) {
				return c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String("vpc-1a2b3c4d"), Attribute: types.VpcAttributeNameEnableDnsHostnames})
			},
			form: url.Values{"Action": {"DescribeVpcAttribute"}, "VpcId": {"vpc-1a2b3c4d"}, "Attribute": {"enableDnsHostnames"}},
		},
		{
			name: "DescribeVpcs", fixture: "DescribeVpcs.xml", region: "us-east-1",
			scenario: func(*ec2.Client) *Scenario {
				return &Scenario{Account: "111122223333",
					DHCPOptions: []DHCPOptions{{ID: "dopt-19edf471"}, {ID: "dopt-f30d649a"}},
					VPCs: []VPC{
						{ID: "vpc-081ec835f3EXAMPLE", CIDR: "10.0.1.0/24", DHCPOptionsID: "dopt-19edf471", Tags: Tags{"Name": "MyVPC"}},
						{ID: "vpc-0ee975135dEXAMPLE", CIDR: "10.0.0.0/16", DHCPOptionsID: "dopt-f30d649a"},
						{ID: "vpc-06e4ab6c6cEXAMPLE", CIDR: "10.0.0.0/16", DHCPOptionsID: "dopt-19edf471", OwnerID: "123456789012", Tags: Tags{"Name": "Shared VPC"}},
					}}
			},
			call:   func(c *ec2.Client) (any, error) { return c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}) },
			form:   url.Values{"Action": {"DescribeVpcs"}},
			ignore: []string{"Vpcs[].CidrBlockAssociationSet[].AssociationId"},
		},
		{
			name: "DescribeSecurityGroups example 1 (peered group reference)", fixture: "DescribeSecurityGroups-example1-peered-group-reference.xml", region: "us-east-1",
			scenario: func(*ec2.Client) *Scenario {
				return &Scenario{
					VPCs: []VPC{{ID: "vpc-81326ae4"}},
					SecurityGroups: []SecurityGroup{{ID: "sg-1a2b3c4d", VPC: "vpc-81326ae4", Name: "MySecurityGroup", Ingress: []Rule{
						{Protocol: "tcp", FromPort: 22, ToPort: 22, IPRanges: []IPRange{{CIDR: "0.0.0.0/0"}}},
						{Protocol: "icmp", FromPort: -1, ToPort: -1, Groups: []GroupRef{{
							UserID: "111222333444", GroupID: "sg-11aa22bb", VPCID: "vpc-dd326ab8", VPCPeeringConnectionID: "pcx-11223344", PeeringStatus: "active",
						}}},
					}}},
				}
			},
			call: func(c *ec2.Client) (any, error) {
				return c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-1a2b3c4d"}})
			},
			form: url.Values{"Action": {"DescribeSecurityGroups"}, "GroupId.1": {"sg-1a2b3c4d"}},
			// securityGroupRuleId is in the sample but not in the SDK's UserIdGroupPair.
			allow: []string{"DescribeSecurityGroupsResponse/securityGroupInfo/item/ipPermissions/item/groups/item/securityGroupRuleId"},
		},
		{
			name: "DescribeSecurityGroups example 3 (IPv6)", fixture: "DescribeSecurityGroups-example3-ipv6.xml", region: "us-east-1",
			scenario: func(*ec2.Client) *Scenario {
				return &Scenario{
					VPCs: []VPC{{ID: "vpc-31896b55"}},
					SecurityGroups: []SecurityGroup{{ID: "sg-9bf6ceff", VPC: "vpc-31896b55", Name: "SSHAccess", Description: "Security group for SSH access",
						Ingress: []Rule{{Protocol: "tcp", FromPort: 22, ToPort: 22, IPRanges: []IPRange{{CIDR: "0.0.0.0/0"}}, IPv6Ranges: []IPRange{{CIDR: "::/0"}}}},
						Egress:  []Rule{{Protocol: "-1", IPRanges: []IPRange{{CIDR: "0.0.0.0/0"}}, IPv6Ranges: []IPRange{{CIDR: "::/0"}}}},
					}},
				}
			},
			call: func(c *ec2.Client) (any, error) {
				return c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
			},
			form: url.Values{"Action": {"DescribeSecurityGroups"}},
		},
		{
			name: "DescribeSecurityGroups example 4 (default group)", fixture: "DescribeSecurityGroups-example4-default-sg.xml", region: "us-east-1",
			scenario: func(*ec2.Client) *Scenario {
				return &Scenario{
					VPCs: []VPC{{ID: "vpc-a33cbfda"}},
					SecurityGroups: []SecurityGroup{{ID: "sg-bcc24bcd", VPC: "vpc-a33cbfda", Name: "default", Description: "default VPC security group",
						Ingress: []Rule{
							{Protocol: "-1", Groups: []GroupRef{{GroupID: "sg-bcc24bcd"}}},
							{Protocol: "tcp", FromPort: 3389, ToPort: 3389, IPRanges: []IPRange{{CIDR: "203.0.113.0/24", Description: "RDP access from B network"}}},
						},
					}},
				}
			},
			call: func(c *ec2.Client) (any, error) {
				return c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{{Name: aws.String("group-name"), Values: []string{"default"}}}})
			},
			form: url.Values{"Action": {"DescribeSecurityGroups"}},
		},
		{
			name: "DescribeVpcEndpoints", fixture: "DescribeVpcEndpoints.xml", region: "us-east-1",
			scenario: func(sample *ec2.Client) *Scenario {
				out, err := sample.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
				if err != nil {
					t.Fatal(err)
				}
				return &Scenario{
					VPCs: []VPC{{ID: "vpc-aabb1122"}, {ID: "vpc-1a2b3c4d"}, {ID: "vpc-abcabcabc12312312"}},
					Subnets: []Subnet{
						{ID: "subnet-d6fcaa8d", VPC: "vpc-1a2b3c4d", AZ: "us-east-1b", CIDR: "10.0.1.0/24"},
						{ID: "subnet-7b16de0c", VPC: "vpc-1a2b3c4d", AZ: "us-east-1a", CIDR: "10.0.2.0/24"},
						{ID: "subnet-aaaabbbb333322211", VPC: "vpc-abcabcabc12312312", CIDR: "10.0.1.0/24"},
					},
					RouteTables:    []RouteTable{{ID: "rtb-3d560345", VPC: "vpc-aabb1122"}},
					SecurityGroups: []SecurityGroup{{ID: "sg-54e8bf31", VPC: "vpc-1a2b3c4d", Name: "default"}},
					VPCEndpoints: []VPCEndpoint{
						{ID: "vpce-032a826a", VPC: "vpc-aabb1122", Service: "com.amazonaws.us-east-1.dynamodb", RouteTables: []string{"rtb-3d560345"},
							Policy: Policy(*out.VpcEndpoints[0].PolicyDocument), PrivateDNS: Ptr(true), CreationTime: mustTime("2017-09-05T20:41:28Z"), Tags: Tags{"Name": "TeamA"}},
						{ID: "vpce-0f89a33420c1931d7", VPC: "vpc-1a2b3c4d", Type: "Interface", Service: "com.amazonaws.us-east-1.elasticloadbalancing",
							Subnets: []string{"subnet-d6fcaa8d", "subnet-7b16de0c"}, SecurityGroups: []string{"sg-54e8bf31"},
							NetworkInterfaceIDs: []string{"eni-2ec2b084", "eni-1b4a65cf"}, Policy: Policy(*out.VpcEndpoints[1].PolicyDocument),
							PrivateDNS: Ptr(false), CreationTime: mustTime("2017-09-05T17:55:27.583Z"), Tags: Tags{"Name": "TeamA"}},
						{ID: "vpce-22223333bbbbaaaa1", VPC: "vpc-abcabcabc12312312", Type: "GatewayLoadBalancer",
							Service: "com.amazonaws.vpce.us-east-1.vpce-svc-abcd33a1c4321c123", Subnets: []string{"subnet-aaaabbbb333322211"},
							NetworkInterfaceIDs: []string{"eni-111111222222333aad"}, CreationTime: mustTime("2020-11-11T08:06:03.522Z")},
					},
				}
			},
			call: func(c *ec2.Client) (any, error) { return c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{}) },
			form: url.Values{"Action": {"DescribeVpcEndpoints"}},
			// DNS names embed generated suffixes; their number is checked below.
			ignore: []string{"VpcEndpoints[].DnsEntries"},
			check: func(t *testing.T, want, got any) {
				w, g := want.(*ec2.DescribeVpcEndpointsOutput), got.(*ec2.DescribeVpcEndpointsOutput)
				for i := range w.VpcEndpoints {
					if len(w.VpcEndpoints[i].DnsEntries) != len(g.VpcEndpoints[i].DnsEntries) {
						t.Errorf("endpoint %d: %d DNS entries, the sample has %d", i, len(g.VpcEndpoints[i].DnsEntries), len(w.VpcEndpoints[i].DnsEntries))
					}
				}
			},
		},
		{
			name: "CreateVpcEndpoint example 1 (Gateway)", fixture: "CreateVpcEndpoint-example1-gateway.xml", region: "us-west-1",
			scenario: func(*ec2.Client) *Scenario {
				return &Scenario{Region: "us-west-1",
					VPCs:        []VPC{{ID: "vpc-1a2b3c4d"}},
					RouteTables: []RouteTable{{ID: "rtb-11aa22bb", VPC: "vpc-1a2b3c4d"}}}
			},
			call: func(c *ec2.Client) (any, error) {
				return c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
					VpcId: aws.String("vpc-1a2b3c4d"), ServiceName: aws.String("com.amazonaws.us-west-1.s3"),
					RouteTableIds:  []string{"rtb-11aa22bb"},
					PolicyDocument: aws.String(samplePolicy("CreateVpcEndpoint-example1-gateway.xml")(nil)),
				})
			},
			form:   url.Values{"Action": {"CreateVpcEndpoint"}, "VpcId": {"vpc-1a2b3c4d"}, "ServiceName": {"com.amazonaws.us-west-1.s3"}, "RouteTableId.1": {"rtb-11aa22bb"}},
			ignore: []string{"VpcEndpoint.VpcEndpointId", "VpcEndpoint.CreationTimestamp"},
		},
		{
			name: "CreateVpcEndpoint example 2 (Interface)", fixture: "CreateVpcEndpoint-example2-interface.xml", region: "us-east-1",
			scenario: func(*ec2.Client) *Scenario {
				return &Scenario{
					VPCs:           []VPC{{ID: "vpc-1a2b3c4d"}},
					Subnets:        []Subnet{{ID: "subnet-1a2b3c4d", VPC: "vpc-1a2b3c4d", CIDR: "10.0.0.0/24"}},
					SecurityGroups: []SecurityGroup{{ID: "sg-11aa22bb", VPC: "vpc-1a2b3c4d", Name: "default"}}}
			},
			call: func(c *ec2.Client) (any, error) {
				return c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
					VpcId: aws.String("vpc-1a2b3c4d"), ServiceName: aws.String("com.amazonaws.us-east-1.elasticloadbalancing"),
					VpcEndpointType: types.VpcEndpointTypeInterface, SubnetIds: []string{"subnet-1a2b3c4d"},
					SecurityGroupIds: []string{"sg-11aa22bb"}, PrivateDnsEnabled: aws.Bool(true),
					PolicyDocument: aws.String(samplePolicy("CreateVpcEndpoint-example2-interface.xml")(nil)),
				})
			},
			form: url.Values{"Action": {"CreateVpcEndpoint"}, "VpcId": {"vpc-1a2b3c4d"}, "ServiceName": {"com.amazonaws.us-east-1.elasticloadbalancing"},
				"VpcEndpointType": {"Interface"}, "SubnetId.1": {"subnet-1a2b3c4d"}},
			ignore: []string{"VpcEndpoint.VpcEndpointId", "VpcEndpoint.CreationTimestamp", "VpcEndpoint.NetworkInterfaceIds", "VpcEndpoint.DnsEntries"},
			check: func(t *testing.T, want, got any) {
				w, g := want.(*ec2.CreateVpcEndpointOutput).VpcEndpoint, got.(*ec2.CreateVpcEndpointOutput).VpcEndpoint
				if len(w.DnsEntries) != len(g.DnsEntries) || len(w.NetworkInterfaceIds) != len(g.NetworkInterfaceIds) {
					t.Errorf("got %d DNS entries and %d ENIs, the sample has %d and %d", len(g.DnsEntries), len(g.NetworkInterfaceIds), len(w.DnsEntries), len(w.NetworkInterfaceIds))
				}
				if last := g.DnsEntries[len(g.DnsEntries)-1]; aws.ToString(last.DnsName) != aws.ToString(w.DnsEntries[2].DnsName) {
					t.Errorf("private DNS name %q, the sample has %q", aws.ToString(last.DnsName), aws.ToString(w.DnsEntries[2].DnsName))
				}
			},
		},
		{
			name: "CreateVpcEndpoint example 3 (GatewayLoadBalancer)", fixture: "CreateVpcEndpoint-example3-gatewayloadbalancer.xml", region: "us-east-1",
			scenario: func(*ec2.Client) *Scenario {
				return &Scenario{Account: "123456789012",
					VPCs:    []VPC{{ID: "vpc-11122223333344445"}},
					Subnets: []Subnet{{ID: "subnet-aaaa1111bbbb22233", VPC: "vpc-11122223333344445", CIDR: "10.0.0.0/24"}}}
			},
			call: func(c *ec2.Client) (any, error) {
				return c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
					VpcId: aws.String("vpc-11122223333344445"), ServiceName: aws.String("com.amazonaws.vpce.us-east-1.vpce-svc-123abcc1298abc123"),
					VpcEndpointType: types.VpcEndpointTypeGatewayLoadBalancer, SubnetIds: []string{"subnet-aaaa1111bbbb22233"},
				})
			},
			form: url.Values{"Action": {"CreateVpcEndpoint"}, "VpcId": {"vpc-11122223333344445"}, "ServiceName": {"com.amazonaws.vpce.us-east-1.vpce-svc-123abcc1298abc123"},
				"VpcEndpointType": {"GatewayLoadBalancer"}, "SubnetId.1": {"subnet-aaaa1111bbbb22233"}},
			ignore: []string{"VpcEndpoint.VpcEndpointId", "VpcEndpoint.CreationTimestamp", "VpcEndpoint.NetworkInterfaceIds"},
		},
		{
			name: "ModifyVpcEndpoint", fixture: "ModifyVpcEndpoint.xml", region: "us-east-1",
			scenario: func(*ec2.Client) *Scenario {
				return &Scenario{VPCs: []VPC{{ID: "vpc-1a2b3c4d"}}, VPCEndpoints: []VPCEndpoint{{ID: "vpce-1a2b3c4d", VPC: "vpc-1a2b3c4d"}}}
			},
			call: func(c *ec2.Client) (any, error) {
				return c.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String("vpce-1a2b3c4d"), ResetPolicy: aws.Bool(true)})
			},
			form: url.Values{"Action": {"ModifyVpcEndpoint"}, "VpcEndpointId": {"vpce-1a2b3c4d"}, "ResetPolicy": {"true"}},
		},
		{
			name: "DeleteVpcEndpoints", fixture: "DeleteVpcEndpoints.xml", region: "us-east-1",
			scenario: func(*ec2.Client) *Scenario {
				return &Scenario{VPCs: []VPC{{ID: "vpc-1a2b3c4d"}}, VPCEndpoints: []VPCEndpoint{{ID: "vpce-1a2b3c4d", VPC: "vpc-1a2b3c4d"}}}
			},
			call: func(c *ec2.Client) (any, error) {
				return c.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{"vpce-1a2b3c4d"}})
			},
			form: url.Values{"Action": {"DeleteVpcEndpoints"}, "VpcEndpointId.1": {"vpce-1a2b3c4d"}},
			check: func(t *testing.T, want, got any) {
				if n := len(got.(*ec2.DeleteVpcEndpointsOutput).Unsuccessful); n != 0 {
					t.Errorf("%d unsuccessful items, want none", n)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sample := readFixture(t, "ec2-api/"+tc.fixture)
			sampleClient := ec2.NewFromConfig(TestConfig(fixtureServer(t, 200, "text/xml;charset=UTF-8", sample), tc.region))
			want, err := tc.call(sampleClient)
			if err != nil {
				t.Fatalf("the SDK cannot parse the sample: %v", err)
			}
			sc := tc.scenario(sampleClient)
			_, cfg := start(t, sc)
			got, err := tc.call(ec2.NewFromConfig(cfg))
			if err != nil {
				t.Fatalf("server: %v", err)
			}
			compareSubset(t, want, got, tc.ignore...)
			if tc.check != nil {
				tc.check(t, want, got)
			}
			// The raw XML of a fresh server for the same request.
			srv2, url2 := Start(t, sc)
			form := url.Values{"Version": {"2016-11-15"}}
			for k, v := range tc.form {
				form[k] = v
			}
			status, raw := rawPost(t, url2, srv2.Region(), "ec2", form)
			if status != 200 {
				t.Fatalf("raw request: %d %s", status, raw)
			}
			checkXMLShape(t, sample, raw, tc.allow...)
		})
	}
}

func TestEC2SharedErrorExample(t *testing.T) {
	ctx := context.Background()
	sample := readFixture(t, "ec2-api/error-InvalidInstanceID.NotFound.xml")
	sampleClient := ec2.NewFromConfig(TestConfig(fixtureServer(t, 400, "text/xml;charset=UTF-8", sample), "us-east-1"))
	_, wantErr := sampleClient.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	wantCode(t, wantErr, "InvalidInstanceID.NotFound")

	srv, cfg := start(t, &Scenario{})
	_, err := ec2.NewFromConfig(cfg).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-1a2b3c4d"}})
	wantCode(t, err, "InvalidSubnetID.NotFound")
	var ae smithy.APIError
	errors.As(err, &ae)
	if ae.ErrorMessage() != "The subnet ID 'subnet-1a2b3c4d' does not exist" {
		t.Errorf("message %q", ae.ErrorMessage())
	}
	for _, e := range []error{wantErr, err} {
		var re *awshttp.ResponseError
		if !errors.As(e, &re) || re.ServiceRequestID() == "" {
			t.Errorf("no request id parsed from %v", e)
		}
	}
	status, raw := rawPost(t, srv.URL(), "us-east-1", "ec2", url.Values{"Action": {"DescribeSubnets"}, "Version": {"2016-11-15"}, "SubnetId.1": {"subnet-1a2b3c4d"}})
	if status != 400 {
		t.Errorf("status %d", status)
	}
	checkXMLShape(t, sample, raw)
}

func TestSNSSharedPublishExamples(t *testing.T) {
	ctx := context.Background()
	for _, f := range []string{"Publish-example1-targetarn.xml", "Publish-example2-topic.xml", "Publish-example3-messagestructure-json.xml"} {
		t.Run(f, func(t *testing.T) {
			sample := readFixture(t, "sns-api/"+f)
			in := &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:My-Topic"), Subject: aws.String("My first message"), Message: aws.String("Hello world!")}
			want, err := sns.NewFromConfig(TestConfig(fixtureServer(t, 200, "text/xml", sample), "us-east-1")).Publish(ctx, in)
			must(t, err)
			if aws.ToString(want.MessageId) == "" {
				t.Fatal("the SDK read no MessageId from the sample")
			}
			srv, cfg := start(t, &Scenario{Topics: []Topic{{Name: "My-Topic"}}})
			got, err := sns.NewFromConfig(cfg).Publish(ctx, in)
			must(t, err)
			if len(aws.ToString(got.MessageId)) != len(aws.ToString(want.MessageId)) {
				t.Errorf("MessageId %q is not shaped like the sample's %q", aws.ToString(got.MessageId), aws.ToString(want.MessageId))
			}
			_, raw := rawPost(t, srv.URL(), "us-east-1", "sns", url.Values{"Action": {"Publish"}, "Version": {"2010-03-31"},
				"TopicArn": {"arn:aws:sns:us-east-1:123456789012:My-Topic"}, "Message": {"Hello world!"}})
			checkXMLShape(t, sample, raw)
		})
	}
}

// placebo decodes a cloud-custodian placebo recording's data into out,
// turning its {"__class__":"datetime",…} objects into RFC 3339 strings.
func placebo(t *testing.T, rel string, out any) (status int) {
	t.Helper()
	var rec struct {
		StatusCode int `json:"status_code"`
		Data       any `json:"data"`
	}
	must(t, json.Unmarshal(readFixture(t, rel), &rec))
	var fix func(v any) any
	fix = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			if v["__class__"] == "datetime" {
				f := func(k string) int { n, _ := v[k].(float64); return int(n) }
				return time.Date(f("year"), time.Month(f("month")), f("day"), f("hour"), f("minute"), f("second"), f("microsecond")*1000, time.UTC).Format(time.RFC3339Nano)
			}
			for k := range v {
				v[k] = fix(v[k])
			}
		case []any:
			for i := range v {
				v[i] = fix(v[i])
			}
		}
		return v
	}
	b, _ := json.Marshal(fix(rec.Data))
	must(t, json.Unmarshal(b, out))
	return rec.StatusCode
}

// TestSageMakerSharedExamples compares DescribeModel with the recorded
// (botocore-parsed, not wire) responses of cloud-custodian's placebo files.
func TestSageMakerSharedExamples(t *testing.T) {
	ctx := context.Background()
	var want sagemaker.DescribeModelOutput
	placebo(t, "sdk-json/sagemaker-DescribeModel.custodian-placebo.json", &want)
	_, cfg := start(t, &Scenario{Account: "644160558196", Models: []Model{{
		Name: "sagemaker-model", ExecutionRole: "arn:aws:iam::644160558196:role/sagemaker-iam-role",
		PrimaryContainer: &Container{Image: "644160558196.dkr.ecr.us-east-1.amazonaws.com/test:latest"},
		CreationTime:     mustTime("2021-06-21T05:01:28.466Z"),
	}}})
	c := sagemaker.NewFromConfig(cfg)
	got, err := c.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String("sagemaker-model")})
	must(t, err)
	compareSubset(t, &want, got)
	if got.VpcConfig != nil {
		t.Errorf("VpcConfig = %+v, want none (the sample has no VpcConfig key)", got.VpcConfig)
	}

	var errRec struct {
		Error struct{ Code, Message string }
	}
	if status := placebo(t, "sdk-json/sagemaker-DescribeModel-ValidationException.custodian-placebo.json", &errRec); status != 400 {
		t.Fatalf("sample status %d", status)
	}
	_, err = sagemaker.NewFromConfig(TestConfig(mustStartURL(t, &Scenario{Account: "644160558196"}), "us-east-1")).
		DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String("sagemaker-model")})
	wantCode(t, err, errRec.Error.Code)
	var ae smithy.APIError
	errors.As(err, &ae)
	if ae.ErrorMessage() != errRec.Error.Message {
		t.Errorf("message %q, the sample has %q", ae.ErrorMessage(), errRec.Error.Message)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re); re == nil || re.HTTPStatusCode() != 400 {
		t.Errorf("want HTTP 400, got %v", err)
	}
}

func mustStartURL(t *testing.T, sc *Scenario) string {
	_, u := Start(t, sc)
	return u
}

// TestEC2SharedPlaceboRecordings rebuilds the state of cloud-custodian's
// recorded EC2 responses (parsed shapes, not wire format) as scenarios and
// checks that the server answers with the same values.
func TestEC2SharedPlaceboRecordings(t *testing.T) {
	ctx := context.Background()
	sortTags := func(tags []types.Tag) {
		for i := range tags {
			for j := i + 1; j < len(tags); j++ {
				if aws.ToString(tags[j].Key) < aws.ToString(tags[i].Key) {
					tags[i], tags[j] = tags[j], tags[i]
				}
			}
		}
	}
	tagsOf := func(tags []types.Tag) Tags {
		out := Tags{}
		for _, tg := range tags {
			out[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		return out
	}

	t.Run("DescribeRouteTables with gateway endpoint routes", func(t *testing.T) {
		var want ec2.DescribeRouteTablesOutput
		placebo(t, "sdk-json/ec2-DescribeRouteTables-with-gateway-endpoint-routes.custodian-placebo.json", &want)
		sc := &Scenario{Account: "644160558196", Region: "us-west-2"}
		vpcs := map[string]bool{}
		endpoints := map[string]string{} // vpce → prefix list
		n := 0
		for _, rt := range want.RouteTables {
			vpc := aws.ToString(rt.VpcId)
			if !vpcs[vpc] {
				vpcs[vpc] = true
				sc.VPCs = append(sc.VPCs, VPC{ID: vpc, CIDR: "10.0.0.0/21"})
			}
			t2 := RouteTable{ID: aws.ToString(rt.RouteTableId), VPC: vpc}
			for _, a := range rt.Associations {
				if aws.ToBool(a.Main) {
					t2.Main = true
					continue
				}
				sid := aws.ToString(a.SubnetId)
				n++
				sc.Subnets = append(sc.Subnets, Subnet{ID: sid, VPC: vpc, AZ: "us-west-2a", CIDR: "10.0." + itoa(n/8) + "." + itoa(n%8*32) + "/27"})
				t2.Subnets = append(t2.Subnets, sid)
			}
			for _, r := range rt.Routes {
				t2.Routes = append(t2.Routes, Route{
					DestinationCIDR: aws.ToString(r.DestinationCidrBlock), DestinationPrefixListID: aws.ToString(r.DestinationPrefixListId),
					GatewayID: aws.ToString(r.GatewayId), NATGatewayID: aws.ToString(r.NatGatewayId),
					State: string(r.State), Origin: string(r.Origin),
				})
				if strings.HasPrefix(aws.ToString(r.GatewayId), "vpce-") {
					endpoints[aws.ToString(r.GatewayId)] = aws.ToString(r.DestinationPrefixListId)
				}
			}
			sc.RouteTables = append(sc.RouteTables, t2)
		}
		service := map[string]string{"pl-68a54001": "com.amazonaws.us-west-2.s3", "pl-00a54069": "com.amazonaws.us-west-2.dynamodb"}
		for id, pl := range endpoints {
			if service[pl] == "" {
				t.Fatalf("prefix list %s is not the us-west-2 S3 or DynamoDB list", pl)
			}
			sc.VPCEndpoints = append(sc.VPCEndpoints, VPCEndpoint{ID: id, VPC: aws.ToString(want.RouteTables[0].VpcId), Service: service[pl]})
		}
		_, cfg := start(t, sc)
		got, err := ec2.NewFromConfig(cfg).DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{})
		must(t, err)
		compareSubset(t, &want, got, "RouteTables[].Associations[].RouteTableAssociationId")
	})

	t.Run("DescribeVpcEndpoints", func(t *testing.T) {
		var want ec2.DescribeVpcEndpointsOutput
		placebo(t, "sdk-json/ec2-DescribeVpcEndpoints.custodian-placebo.json", &want)
		sc := &Scenario{Account: "644160558196"}
		seen := map[string]bool{}
		n := 0
		for _, e := range want.VpcEndpoints {
			vpc := aws.ToString(e.VpcId)
			if !seen[vpc] {
				seen[vpc] = true
				sc.VPCs = append(sc.VPCs, VPC{ID: vpc})
			}
			for _, rt := range e.RouteTableIds {
				sc.RouteTables = append(sc.RouteTables, RouteTable{ID: rt, VPC: vpc})
			}
			for _, sid := range e.SubnetIds {
				if !seen[sid] {
					seen[sid] = true
					n++
					sc.Subnets = append(sc.Subnets, Subnet{ID: sid, VPC: vpc, AZ: "us-east-1" + string(rune('a'+n%6)), CIDR: "10.0." + itoa(n) + ".0/24"})
				}
			}
			var groups []string
			for _, g := range e.Groups {
				groups = append(groups, aws.ToString(g.GroupId))
				if !seen[aws.ToString(g.GroupId)] {
					seen[aws.ToString(g.GroupId)] = true
					sc.SecurityGroups = append(sc.SecurityGroups, SecurityGroup{ID: aws.ToString(g.GroupId), VPC: vpc, Name: aws.ToString(g.GroupName)})
				}
			}
			sortTags(e.Tags)
			sc.VPCEndpoints = append(sc.VPCEndpoints, VPCEndpoint{
				ID: aws.ToString(e.VpcEndpointId), VPC: vpc, Type: string(e.VpcEndpointType), Service: aws.ToString(e.ServiceName),
				State: string(e.State), RouteTables: e.RouteTableIds, Subnets: e.SubnetIds, SecurityGroups: groups,
				Policy: Policy(aws.ToString(e.PolicyDocument)), PrivateDNS: e.PrivateDnsEnabled, NetworkInterfaceIDs: e.NetworkInterfaceIds,
				RequesterManaged: aws.ToBool(e.RequesterManaged), CreationTime: e.CreationTimestamp, Tags: tagsOf(e.Tags),
			})
		}
		_, cfg := start(t, sc)
		got, err := ec2.NewFromConfig(cfg).DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
		must(t, err)
		for _, e := range got.VpcEndpoints {
			sortTags(e.Tags)
		}
		// DNS names embed generated suffixes and zones.
		compareSubset(t, &want, got, "VpcEndpoints[].DnsEntries")
	})

	t.Run("DescribeSubnets", func(t *testing.T) {
		var want ec2.DescribeSubnetsOutput
		placebo(t, "sdk-json/ec2-DescribeSubnets.custodian-placebo.json", &want)
		sc := &Scenario{Account: "644160558196", Region: "us-west-2", VPCs: []VPC{{ID: aws.ToString(want.Subnets[0].VpcId), CIDR: "10.0.0.0/21"}}}
		for _, s := range want.Subnets {
			sc.Subnets = append(sc.Subnets, Subnet{ID: aws.ToString(s.SubnetId), VPC: aws.ToString(s.VpcId), AZ: aws.ToString(s.AvailabilityZone),
				AZID: aws.ToString(s.AvailabilityZoneId), CIDR: aws.ToString(s.CidrBlock), AvailableIPs: Ptr(int(aws.ToInt32(s.AvailableIpAddressCount))), Tags: tagsOf(s.Tags)})
			sortTags(s.Tags)
		}
		_, cfg := start(t, sc)
		got, err := ec2.NewFromConfig(cfg).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
		must(t, err)
		for _, s := range got.Subnets {
			sortTags(s.Tags)
		}
		// BlockPublicAccessStates is a 2024 field the server does not model.
		compareSubset(t, &want, got, "Subnets[].BlockPublicAccessStates")
	})

	t.Run("DescribeVpcs", func(t *testing.T) {
		var want ec2.DescribeVpcsOutput
		placebo(t, "sdk-json/ec2-DescribeVpcs.custodian-placebo.json", &want)
		sc := &Scenario{Account: "644160558196"}
		for _, v := range want.Vpcs {
			if len(sc.DHCPOptions) == 0 || sc.DHCPOptions[len(sc.DHCPOptions)-1].ID != aws.ToString(v.DhcpOptionsId) {
				sc.DHCPOptions = append(sc.DHCPOptions, DHCPOptions{ID: aws.ToString(v.DhcpOptionsId)})
			}
			sortTags(v.Tags)
			sc.VPCs = append(sc.VPCs, VPC{ID: aws.ToString(v.VpcId), CIDR: aws.ToString(v.CidrBlock), DHCPOptionsID: aws.ToString(v.DhcpOptionsId),
				IsDefault: aws.ToBool(v.IsDefault), Tags: tagsOf(v.Tags)})
		}
		_, cfg := start(t, sc)
		got, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		must(t, err)
		for _, v := range got.Vpcs {
			sortTags(v.Tags)
		}
		compareSubset(t, &want, got, "Vpcs[].CidrBlockAssociationSet[].AssociationId")
	})

	t.Run("DescribeVpcAttribute enableDnsHostnames", func(t *testing.T) {
		var want ec2.DescribeVpcAttributeOutput
		placebo(t, "sdk-json/ec2-DescribeVpcAttribute-enableDnsHostnames.custodian-placebo.json", &want)
		_, cfg := start(t, &Scenario{VPCs: []VPC{{ID: aws.ToString(want.VpcId), DNSHostnames: Ptr(false)}}})
		got, err := ec2.NewFromConfig(cfg).DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: want.VpcId, Attribute: types.VpcAttributeNameEnableDnsHostnames})
		must(t, err)
		compareSubset(t, &want, got)
		if got.EnableDnsHostnames == nil || aws.ToBool(got.EnableDnsHostnames.Value) {
			t.Errorf("EnableDnsHostnames = %+v, want false", got.EnableDnsHostnames)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
