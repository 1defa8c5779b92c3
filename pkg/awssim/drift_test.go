package awssim

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// The drift writes through the real SDK v2 clients: each changes what the
// Describe calls return afterwards, refuses bad input with EC2's error and
// changes nothing then, and is recorded as a write.

func routeTableOf(t *testing.T, c *ec2.Client, subnet string) (id string, explicit bool) {
	t.Helper()
	out, err := c.DescribeRouteTables(context.Background(), &ec2.DescribeRouteTablesInput{
		Filters: []types.Filter{{Name: aws.String("association.subnet-id"), Values: []string{subnet}}},
	})
	must(t, err)
	if len(out.RouteTables) == 1 {
		return aws.ToString(out.RouteTables[0].RouteTableId), true
	}
	return "", false
}

func TestEC2RouteTableAssociations(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, netScenario())
	c := ec2.NewFromConfig(cfg)

	// subnet-1a is on the main table; associate it with rtb-1b.
	if _, explicit := routeTableOf(t, c, "subnet-1a"); explicit {
		t.Fatal("subnet-1a starts explicitly associated")
	}
	a, err := c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: aws.String("rtb-1b"), SubnetId: aws.String("subnet-1a")})
	must(t, err)
	if aws.ToString(a.AssociationId) == "" || a.AssociationState == nil || a.AssociationState.State != types.RouteTableAssociationStateCodeAssociated {
		t.Errorf("associate: %+v", a)
	}
	if id, _ := routeTableOf(t, c, "subnet-1a"); id != "rtb-1b" {
		t.Errorf("subnet-1a on %q after AssociateRouteTable", id)
	}
	_, err = c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: aws.String("rtb-1c"), SubnetId: aws.String("subnet-1a")})
	wantCode(t, err, "Resource.AlreadyAssociated")
	_, err = c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: aws.String("rtb-2"), SubnetId: aws.String("subnet-1c")})
	wantCode(t, err, "InvalidParameterValue")

	// Move it to rtb-1c: a new association id, on the new table.
	r, err := c.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{AssociationId: a.AssociationId, RouteTableId: aws.String("rtb-1c")})
	must(t, err)
	if aws.ToString(r.NewAssociationId) == aws.ToString(a.AssociationId) || aws.ToString(r.NewAssociationId) == "" {
		t.Errorf("new association %q", aws.ToString(r.NewAssociationId))
	}
	if id, _ := routeTableOf(t, c, "subnet-1a"); id != "rtb-1c" {
		t.Errorf("subnet-1a on %q after ReplaceRouteTableAssociation", id)
	}
	_, err = c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: a.AssociationId})
	wantCode(t, err, "InvalidAssociationID.NotFound") // the old association is gone

	// Disassociate: back on the main table.
	_, err = c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: r.NewAssociationId})
	must(t, err)
	if _, explicit := routeTableOf(t, c, "subnet-1a"); explicit {
		t.Error("subnet-1a still explicitly associated after DisassociateRouteTable")
	}

	// The main association moves with ReplaceRouteTableAssociation.
	main, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{"vpc-1"}}, {Name: aws.String("association.main"), Values: []string{"true"}}}})
	must(t, err)
	mainAssoc := main.RouteTables[0].Associations[0].RouteTableAssociationId
	_, err = c.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: mainAssoc})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{AssociationId: mainAssoc, RouteTableId: aws.String("rtb-1b")})
	must(t, err)
	main, err = c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{"vpc-1"}}, {Name: aws.String("association.main"), Values: []string{"true"}}}})
	must(t, err)
	if len(main.RouteTables) != 1 || aws.ToString(main.RouteTables[0].RouteTableId) != "rtb-1b" {
		t.Errorf("main table after the move: %+v", main.RouteTables)
	}

	want := []string{"AssociateRouteTable", "ReplaceRouteTableAssociation", "DisassociateRouteTable", "ReplaceRouteTableAssociation"}
	if got := onlySucceeded(srv); !slices.Equal(got, want) {
		t.Errorf("successful writes %v, want %v", got, want)
	}
	if n := len(srv.Writes()); n != len(want)+4 {
		t.Errorf("%d writes recorded, want the 4 refused ones too", n)
	}
}

func onlySucceeded(srv *Server) []string {
	var out []string
	for _, w := range srv.Writes() {
		if w.Error == "" {
			out = append(out, w.Operation)
		}
	}
	return out
}

func TestEC2Routes(t *testing.T) {
	ctx := context.Background()
	_, cfg := start(t, netScenario())
	c := ec2.NewFromConfig(cfg)
	routes := func() map[string]types.Route {
		out, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{"rtb-1main"}})
		must(t, err)
		m := map[string]types.Route{}
		for _, r := range out.RouteTables[0].Routes {
			m[aws.ToString(r.DestinationCidrBlock)+aws.ToString(r.DestinationPrefixListId)] = r
		}
		return m
	}
	_, err := c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String("rtb-1main"), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String("igw-1")})
	wantCode(t, err, "RouteAlreadyExists")
	_, err = c.ReplaceRoute(ctx, &ec2.ReplaceRouteInput{RouteTableId: aws.String("rtb-1main"), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String("igw-1")})
	must(t, err)
	if r := routes()["0.0.0.0/0"]; aws.ToString(r.GatewayId) != "igw-1" || r.NatGatewayId != nil {
		t.Errorf("default route after ReplaceRoute: %+v", r)
	}
	_, err = c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String("rtb-1main"), DestinationCidrBlock: aws.String("192.168.0.0/16"), NatGatewayId: aws.String("nat-1")})
	must(t, err)
	_, err = c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String("rtb-1main"), DestinationCidrBlock: aws.String("172.16.0.0/12"), NatGatewayId: aws.String("nat-404")})
	wantCode(t, err, "InvalidNatGatewayID.NotFound")
	_, err = c.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: aws.String("rtb-1main"), DestinationCidrBlock: aws.String("0.0.0.0/0")})
	must(t, err)
	got := routes()
	if _, ok := got["0.0.0.0/0"]; ok {
		t.Error("default route still there after DeleteRoute")
	}
	if _, ok := got["192.168.0.0/16"]; !ok {
		t.Error("created route missing")
	}
	_, err = c.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: aws.String("rtb-1main"), DestinationCidrBlock: aws.String("0.0.0.0/0")})
	wantCode(t, err, "InvalidRoute.NotFound")
	_, err = c.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: aws.String("rtb-1main"), DestinationCidrBlock: aws.String("10.0.0.0/16")})
	wantCode(t, err, "InvalidParameterValue") // the local route
	_, err = c.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: aws.String("rtb-1main"), DestinationPrefixListId: aws.String("pl-63a5400a")})
	wantCode(t, err, "InvalidParameterValue") // the gateway endpoint's route
	if _, ok := routes()["pl-63a5400a"]; !ok {
		t.Error("a refused DeleteRoute removed the endpoint route")
	}
}

func TestEC2VPCAttributesAndDHCP(t *testing.T) {
	ctx := context.Background()
	_, cfg := start(t, netScenario())
	c := ec2.NewFromConfig(cfg)
	attr := func(a types.VpcAttributeName) bool {
		out, err := c.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String("vpc-1"), Attribute: a})
		must(t, err)
		if a == types.VpcAttributeNameEnableDnsSupport {
			return aws.ToBool(out.EnableDnsSupport.Value)
		}
		return aws.ToBool(out.EnableDnsHostnames.Value)
	}
	_, err := c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String("vpc-1"), EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(false)}})
	must(t, err)
	if attr(types.VpcAttributeNameEnableDnsSupport) || !attr(types.VpcAttributeNameEnableDnsHostnames) {
		t.Error("ModifyVpcAttribute enableDnsSupport=false not applied alone")
	}
	_, err = c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String("vpc-1"),
		EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(true)}, EnableDnsHostnames: &types.AttributeBooleanValue{Value: aws.Bool(false)}})
	wantCode(t, err, "InvalidParameterCombination")
	if attr(types.VpcAttributeNameEnableDnsSupport) {
		t.Error("a refused ModifyVpcAttribute changed the VPC")
	}
	_, err = c.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String("vpc-404"), EnableDnsSupport: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
	wantCode(t, err, "InvalidVpcID.NotFound")

	_, err = c.AssociateDhcpOptions(ctx, &ec2.AssociateDhcpOptionsInput{VpcId: aws.String("vpc-1"), DhcpOptionsId: aws.String("dopt-custom")})
	must(t, err)
	out, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-1"}})
	must(t, err)
	if got := aws.ToString(out.Vpcs[0].DhcpOptionsId); got != "dopt-custom" {
		t.Errorf("DHCP options %q after AssociateDhcpOptions", got)
	}
	_, err = c.AssociateDhcpOptions(ctx, &ec2.AssociateDhcpOptionsInput{VpcId: aws.String("vpc-1"), DhcpOptionsId: aws.String("dopt-404")})
	wantCode(t, err, "InvalidDhcpOptionID.NotFound")
	_, err = c.AssociateDhcpOptions(ctx, &ec2.AssociateDhcpOptionsInput{VpcId: aws.String("vpc-1"), DhcpOptionsId: aws.String("default")})
	must(t, err)
}

func egressOf(t *testing.T, c *ec2.Client, group string) []types.IpPermission {
	t.Helper()
	out, err := c.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{group}})
	must(t, err)
	return out.SecurityGroups[0].IpPermissionsEgress
}

func TestEC2SecurityGroupEgress(t *testing.T) {
	ctx := context.Background()
	_, cfg := start(t, netScenario())
	c := ec2.NewFromConfig(cfg)
	https := types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
		PrefixListIds: []types.PrefixListId{{PrefixListId: aws.String("pl-63a5400a")}}}

	// sg-1 allows exactly that: a duplicate, then revoked.
	_, err := c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String("sg-1"), IpPermissions: []types.IpPermission{https}})
	wantCode(t, err, "InvalidPermission.Duplicate")
	rv, err := c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String("sg-1"), IpPermissions: []types.IpPermission{https}})
	must(t, err)
	if !aws.ToBool(rv.Return) || len(rv.UnknownIpPermissions) != 0 || len(egressOf(t, c, "sg-1")) != 0 {
		t.Errorf("revoke: %+v, egress left %+v", rv, egressOf(t, c, "sg-1"))
	}
	// Revoking it again: nothing to revoke, reported as unknown.
	rv, err = c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String("sg-1"), IpPermissions: []types.IpPermission{https}})
	must(t, err)
	if len(rv.UnknownIpPermissions) != 1 {
		t.Errorf("unknown permissions %+v", rv.UnknownIpPermissions)
	}

	au, err := c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String("sg-3"), IpPermissions: []types.IpPermission{https}})
	must(t, err)
	if len(au.SecurityGroupRules) != 1 || !aws.ToBool(au.SecurityGroupRules[0].IsEgress) || aws.ToString(au.SecurityGroupRules[0].PrefixListId) != "pl-63a5400a" {
		t.Fatalf("authorize rules %+v", au.SecurityGroupRules)
	}
	id := au.SecurityGroupRules[0].SecurityGroupRuleId

	// ModifySecurityGroupRules narrows it to 10.0.0.0/8; the rule keeps its id.
	_, err = c.ModifySecurityGroupRules(ctx, &ec2.ModifySecurityGroupRulesInput{GroupId: aws.String("sg-3"), SecurityGroupRules: []types.SecurityGroupRuleUpdate{{
		SecurityGroupRuleId: id,
		SecurityGroupRule:   &types.SecurityGroupRuleRequest{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), CidrIpv4: aws.String("10.0.0.0/8")},
	}}})
	must(t, err)
	eg := egressOf(t, c, "sg-3")
	if len(eg) != 1 || len(eg[0].IpRanges) != 1 || aws.ToString(eg[0].IpRanges[0].CidrIp) != "10.0.0.0/8" || len(eg[0].PrefixListIds) != 0 {
		t.Errorf("egress after modify: %+v", eg)
	}
	rules, err := c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []types.Filter{{Name: aws.String("group-id"), Values: []string{"sg-3"}}}})
	must(t, err)
	if len(rules.SecurityGroupRules) != 1 || aws.ToString(rules.SecurityGroupRules[0].SecurityGroupRuleId) != aws.ToString(id) {
		t.Errorf("rules after modify: %+v", rules.SecurityGroupRules)
	}
	_, err = c.ModifySecurityGroupRules(ctx, &ec2.ModifySecurityGroupRulesInput{GroupId: aws.String("sg-3"), SecurityGroupRules: []types.SecurityGroupRuleUpdate{{
		SecurityGroupRuleId: aws.String("sgr-0404"), SecurityGroupRule: &types.SecurityGroupRuleRequest{IpProtocol: aws.String("-1"), CidrIpv4: aws.String("0.0.0.0/0")},
	}}})
	wantCode(t, err, "InvalidSecurityGroupRuleId.NotFound")

	// Revoke by rule id.
	_, err = c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String("sg-3"), SecurityGroupRuleIds: []string{aws.ToString(id)}})
	must(t, err)
	if eg := egressOf(t, c, "sg-3"); len(eg) != 0 {
		t.Errorf("egress after revoking by id: %+v", eg)
	}
	// One range out of a rule of two leaves the other.
	_, err = c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String("sg-3"), IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}, {CidrIp: aws.String("0.0.0.0/0")}}}}})
	must(t, err)
	_, err = c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String("sg-3"), IpPermissions: []types.IpPermission{{
		IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}})
	must(t, err)
	if eg := egressOf(t, c, "sg-3"); len(eg) != 1 || aws.ToString(eg[0].IpRanges[0].CidrIp) != "10.0.0.0/8" {
		t.Errorf("egress after revoking one range: %+v", eg)
	}
	_, err = c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String("sg-404"), IpPermissions: []types.IpPermission{https}})
	wantCode(t, err, "InvalidGroup.NotFound")
}

func TestEC2DeleteFlowLogs(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, netScenario())
	c := ec2.NewFromConfig(cfg)
	out, err := c.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: []string{"fl-1", "fl-404"}})
	must(t, err)
	if len(out.Unsuccessful) != 1 || aws.ToString(out.Unsuccessful[0].ResourceId) != "fl-404" ||
		aws.ToString(out.Unsuccessful[0].Error.Code) != "InvalidFlowLogId.NotFound" {
		t.Errorf("unsuccessful %+v", out.Unsuccessful)
	}
	left, err := c.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
	must(t, err)
	if len(left.FlowLogs) != 1 || aws.ToString(left.FlowLogs[0].FlowLogId) != "fl-2" {
		t.Errorf("flow logs left %+v", left.FlowLogs)
	}
	byRes, err := c.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{Filter: []types.Filter{{Name: aws.String("resource-id"), Values: []string{"vpc-1"}}}})
	must(t, err)
	if len(byRes.FlowLogs) != 0 {
		t.Errorf("vpc-1 still has %+v", byRes.FlowLogs)
	}
	if w := srv.Writes(); len(w) != 1 || w[0].Operation != "DeleteFlowLogs" {
		t.Errorf("writes %+v", w)
	}
}

func capacityScenario() *Scenario {
	sc := netScenario()
	sc.Models = []Model{{Name: "churn", ExecutionRole: "exec", PrimaryContainer: &Container{Image: "img"},
		VPCConfig: &VPCConfig{Subnets: []string{"subnet-1a"}, SecurityGroupIDs: []string{"sg-1"}}}}
	sc.EndpointConfigs = []EndpointConfig{{Name: "churn-cfg", Variants: []Variant{{Name: "AllTraffic", Model: "churn", InitialInstanceCount: 2}}}}
	sc.Endpoints = []Endpoint{{Name: "churn", Config: "churn-cfg"}}
	sc.Roles = []Role{{Name: "exec"}}
	return sc
}

func TestSageMakerUpdateEndpointWeightsAndCapacities(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, capacityScenario())
	c := sagemaker.NewFromConfig(cfg)
	desired := func() int32 {
		out, err := c.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("churn")})
		must(t, err)
		return aws.ToInt32(out.ProductionVariants[0].DesiredInstanceCount)
	}
	if n := desired(); n != 2 {
		t.Fatalf("desired %d at the start", n)
	}
	out, err := c.UpdateEndpointWeightsAndCapacities(ctx, &sagemaker.UpdateEndpointWeightsAndCapacitiesInput{
		EndpointName:                aws.String("churn"),
		DesiredWeightsAndCapacities: []smtypes.DesiredWeightAndCapacity{{VariantName: aws.String("AllTraffic"), DesiredInstanceCount: aws.Int32(6)}},
	})
	must(t, err)
	if aws.ToString(out.EndpointArn) != "arn:aws:sagemaker:us-east-1:111122223333:endpoint/churn" {
		t.Errorf("arn %q", aws.ToString(out.EndpointArn))
	}
	if n := desired(); n != 6 {
		t.Errorf("desired %d after the update, want 6", n)
	}
	_, err = c.UpdateEndpointWeightsAndCapacities(ctx, &sagemaker.UpdateEndpointWeightsAndCapacitiesInput{
		EndpointName:                aws.String("churn"),
		DesiredWeightsAndCapacities: []smtypes.DesiredWeightAndCapacity{{VariantName: aws.String("Blue"), DesiredInstanceCount: aws.Int32(1)}},
	})
	wantCode(t, err, "ValidationException")
	_, err = c.UpdateEndpointWeightsAndCapacities(ctx, &sagemaker.UpdateEndpointWeightsAndCapacitiesInput{
		EndpointName:                aws.String("nope"),
		DesiredWeightsAndCapacities: []smtypes.DesiredWeightAndCapacity{{VariantName: aws.String("AllTraffic"), DesiredInstanceCount: aws.Int32(1)}},
	})
	wantCode(t, err, "ValidationException")
	if n := desired(); n != 6 {
		t.Errorf("a refused update changed the count to %d", n)
	}
	if got := onlySucceeded(srv); !slices.Equal(got, []string{"UpdateEndpointWeightsAndCapacities"}) {
		t.Errorf("writes %v", got)
	}
}

func TestAutoScalingRegisterScalableTarget(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, capacityScenario())
	c := applicationautoscaling.NewFromConfig(cfg)
	maxOf := func() (int32, bool) {
		out, err := c.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{
			ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceIds: []string{"endpoint/churn/variant/AllTraffic"},
		})
		must(t, err)
		if len(out.ScalableTargets) == 0 {
			return 0, false
		}
		return aws.ToInt32(out.ScalableTargets[0].MaxCapacity), true
	}
	reg := func(min, max *int32, resource string) error {
		_, err := c.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
			ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceId: aws.String(resource),
			ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount, MinCapacity: min, MaxCapacity: max,
		})
		return err
	}
	if _, ok := maxOf(); ok {
		t.Fatal("a target exists at the start")
	}
	wantCode(t, reg(nil, aws.Int32(4), "endpoint/churn/variant/AllTraffic"), "ValidationException") // a new target needs both
	must(t, reg(aws.Int32(2), aws.Int32(12), "endpoint/churn/variant/AllTraffic"))
	if n, _ := maxOf(); n != 12 {
		t.Errorf("max %d after registering", n)
	}
	must(t, reg(nil, aws.Int32(30), "endpoint/churn/variant/AllTraffic")) // an update may give one
	if n, _ := maxOf(); n != 30 {
		t.Errorf("max %d after the update", n)
	}
	wantCode(t, reg(aws.Int32(40), nil, "endpoint/churn/variant/AllTraffic"), "ValidationException") // min > max
	wantCode(t, reg(aws.Int32(1), aws.Int32(2), "endpoint/nope/variant/AllTraffic"), "ValidationException")
	if n, _ := maxOf(); n != 30 {
		t.Errorf("a refused call changed the max to %d", n)
	}
	if got := onlySucceeded(srv); !slices.Equal(got, []string{"RegisterScalableTarget", "RegisterScalableTarget"}) {
		t.Errorf("writes %v", got)
	}
}
