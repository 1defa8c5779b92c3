package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
)

// Enactor repeats recorded drift calls on a simulated account through the
// SDK, so that the account holds the state after the call.
type Enactor struct {
	EC2         *ec2.Client
	SageMaker   *sagemaker.Client
	AutoScaling *applicationautoscaling.Client
}

// EnactDrift repeats a drift call (route tables, routes, VPC attributes,
// DHCP options, security group egress, flow logs, network ACLs, endpoint capacities) with
// the event's parameters. Other calls, and failed ones, are not repeated.
// It returns a one-line description of what it did, or "". The egress
// permissions, which vpcguard itself never reads from CloudTrail, are read
// here from the raw record.
func (e Enactor) EnactDrift(ctx context.Context, ev Event) (string, error) {
	c := ev.Call
	if ev.ParseErr != nil || c.Failed() {
		return "", nil
	}
	what, err := e.enact(ctx, ev)
	if err != nil {
		return "", fmt.Errorf("enact %s: %w", c.Name, err)
	}
	return what, nil
}

func (e Enactor) enact(ctx context.Context, ev Event) (string, error) {
	c := ev.Call
	switch c.Kind {
	case cloudtrail.KindModifyVpcAttribute:
		v := c.VPCChange
		in := &ec2.ModifyVpcAttributeInput{VpcId: aws.String(v.VPCID)}
		val := &ec2types.AttributeBooleanValue{Value: aws.Bool(v.Value)}
		switch v.Attribute {
		case "enableDnsSupport":
			in.EnableDnsSupport = val
		case "enableDnsHostnames":
			in.EnableDnsHostnames = val
		default:
			return "", fmt.Errorf("attribute %q not enacted", v.Attribute)
		}
		_, err := e.EC2.ModifyVpcAttribute(ctx, in)
		return fmt.Sprintf("ModifyVpcAttribute %s: %s=%v", v.VPCID, v.Attribute, v.Value), err
	case cloudtrail.KindAssociateDhcpOptions:
		v := c.VPCChange
		_, err := e.EC2.AssociateDhcpOptions(ctx, &ec2.AssociateDhcpOptionsInput{VpcId: aws.String(v.VPCID), DhcpOptionsId: aws.String(v.DHCPOptionsID)})
		return fmt.Sprintf("AssociateDhcpOptions %s: %s", v.VPCID, v.DHCPOptionsID), err
	case cloudtrail.KindAssociateRouteTable:
		r := c.RouteTableChange
		_, err := e.EC2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: aws.String(r.RouteTableID), SubnetId: aws.String(r.SubnetID)})
		return fmt.Sprintf("AssociateRouteTable %s to %s", r.SubnetID, r.RouteTableID), err
	case cloudtrail.KindReplaceRouteTableAssociation:
		r := c.RouteTableChange
		_, err := e.EC2.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{AssociationId: aws.String(r.AssociationID), RouteTableId: aws.String(r.RouteTableID)})
		return fmt.Sprintf("ReplaceRouteTableAssociation %s: now %s", r.AssociationID, r.RouteTableID), err
	case cloudtrail.KindDisassociateRouteTable:
		r := c.RouteTableChange
		_, err := e.EC2.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: aws.String(r.AssociationID)})
		return "DisassociateRouteTable " + r.AssociationID, err
	case cloudtrail.KindCreateRoute, cloudtrail.KindReplaceRoute:
		r := c.RouteTableChange
		in := &ec2.CreateRouteInput{RouteTableId: aws.String(r.RouteTableID)}
		setDestination(r.Destination, &in.DestinationCidrBlock, &in.DestinationIpv6CidrBlock, &in.DestinationPrefixListId)
		switch prefix, _, _ := strings.Cut(r.Target, "-"); prefix {
		case "nat":
			in.NatGatewayId = aws.String(r.Target)
		case "tgw":
			in.TransitGatewayId = aws.String(r.Target)
		case "pcx":
			in.VpcPeeringConnectionId = aws.String(r.Target)
		case "eni":
			in.NetworkInterfaceId = aws.String(r.Target)
		case "eigw":
			in.EgressOnlyInternetGatewayId = aws.String(r.Target)
		default:
			in.GatewayId = aws.String(r.Target)
		}
		var err error
		if c.Kind == cloudtrail.KindCreateRoute {
			_, err = e.EC2.CreateRoute(ctx, in)
		} else {
			_, err = e.EC2.ReplaceRoute(ctx, &ec2.ReplaceRouteInput{
				RouteTableId: in.RouteTableId, DestinationCidrBlock: in.DestinationCidrBlock, DestinationIpv6CidrBlock: in.DestinationIpv6CidrBlock,
				DestinationPrefixListId: in.DestinationPrefixListId, GatewayId: in.GatewayId, NatGatewayId: in.NatGatewayId,
				TransitGatewayId: in.TransitGatewayId, VpcPeeringConnectionId: in.VpcPeeringConnectionId,
				NetworkInterfaceId: in.NetworkInterfaceId, EgressOnlyInternetGatewayId: in.EgressOnlyInternetGatewayId,
			})
		}
		return fmt.Sprintf("%s %s: %s via %s", c.Name, r.RouteTableID, r.Destination, r.Target), err
	case cloudtrail.KindDeleteRoute:
		r := c.RouteTableChange
		in := &ec2.DeleteRouteInput{RouteTableId: aws.String(r.RouteTableID)}
		setDestination(r.Destination, &in.DestinationCidrBlock, &in.DestinationIpv6CidrBlock, &in.DestinationPrefixListId)
		_, err := e.EC2.DeleteRoute(ctx, in)
		return fmt.Sprintf("DeleteRoute %s: %s", r.RouteTableID, r.Destination), err
	case cloudtrail.KindAuthorizeSecurityGroupEgress, cloudtrail.KindRevokeSecurityGroupEgress:
		g := c.EgressChange
		perms, err := recordedPermissions(ev.Raw)
		if err != nil {
			return "", err
		}
		if c.Kind == cloudtrail.KindAuthorizeSecurityGroupEgress {
			_, err = e.EC2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(g.GroupID), IpPermissions: perms})
		} else {
			_, err = e.EC2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(g.GroupID), IpPermissions: perms})
		}
		return fmt.Sprintf("%s %s: %d permissions", c.Name, g.GroupID, len(perms)), err
	case cloudtrail.KindModifySecurityGroupRules:
		g := c.EgressChange
		rules, err := recordedRuleUpdates(ev.Raw)
		if err != nil {
			return "", err
		}
		_, err = e.EC2.ModifySecurityGroupRules(ctx, &ec2.ModifySecurityGroupRulesInput{GroupId: aws.String(g.GroupID), SecurityGroupRules: rules})
		return fmt.Sprintf("ModifySecurityGroupRules %s: %s", g.GroupID, strings.Join(g.RuleIDs, ",")), err
	case cloudtrail.KindDeleteFlowLogs:
		d := c.DeleteFlowLogs
		out, err := e.EC2.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: d.FlowLogIDs})
		if err == nil && len(out.Unsuccessful) > 0 {
			err = fmt.Errorf("%d unsuccessful", len(out.Unsuccessful))
		}
		return "DeleteFlowLogs " + strings.Join(d.FlowLogIDs, ","), err
	case cloudtrail.KindRegisterScalableTarget:
		t := c.ScalableTarget
		in := &applicationautoscaling.RegisterScalableTargetInput{
			ServiceNamespace: aastypes.ServiceNamespace(t.ServiceNamespace), ResourceId: aws.String(t.ResourceID),
			ScalableDimension: aastypes.ScalableDimension(t.ScalableDimension),
		}
		if t.MinCapacity != nil {
			in.MinCapacity = aws.Int32(int32(*t.MinCapacity))
		}
		if t.MaxCapacity != nil {
			in.MaxCapacity = aws.Int32(int32(*t.MaxCapacity))
		}
		_, err := e.AutoScaling.RegisterScalableTarget(ctx, in)
		return fmt.Sprintf("RegisterScalableTarget %s: min %s, max %s", t.ResourceID, intOrDash(t.MinCapacity), intOrDash(t.MaxCapacity)), err
	case cloudtrail.KindUpdateEndpointWeightsAndCapacities:
		u := c.EndpointCapacity
		in := &sagemaker.UpdateEndpointWeightsAndCapacitiesInput{EndpointName: aws.String(u.EndpointName)}
		var what []string
		for _, v := range u.Variants {
			d := smtypes.DesiredWeightAndCapacity{VariantName: aws.String(v.VariantName)}
			if v.DesiredInstanceCount != nil {
				d.DesiredInstanceCount = aws.Int32(int32(*v.DesiredInstanceCount))
			}
			in.DesiredWeightsAndCapacities = append(in.DesiredWeightsAndCapacities, d)
			what = append(what, v.VariantName+"="+intOrDash(v.DesiredInstanceCount))
		}
		_, err := e.SageMaker.UpdateEndpointWeightsAndCapacities(ctx, in)
		return fmt.Sprintf("UpdateEndpointWeightsAndCapacities %s: %s", u.EndpointName, strings.Join(what, ", ")), err
	case cloudtrail.KindCreateNetworkAclEntry, cloudtrail.KindReplaceNetworkAclEntry, cloudtrail.KindDeleteNetworkAclEntry, cloudtrail.KindReplaceNetworkAclAssociation:
		return e.enactNetworkACL(ctx, c)
	}
	return "", nil
}

func setDestination(dest string, cidr, ipv6, prefixList **string) {
	switch {
	case strings.HasPrefix(dest, "pl-"):
		*prefixList = aws.String(dest)
	case strings.Contains(dest, ":"):
		*ipv6 = aws.String(dest)
	default:
		*cidr = aws.String(dest)
	}
}

func intOrDash(n *int) string {
	if n == nil {
		return "-"
	}
	return strconv.Itoa(*n)
}

// recordedPermissions reads requestParameters.ipPermissions.items of a
// classic Authorize/RevokeSecurityGroupEgress record.
func recordedPermissions(raw []byte) ([]ec2types.IpPermission, error) {
	var ev struct {
		Detail struct {
			RequestParameters struct {
				IPPermissions struct {
					Items []struct {
						IPProtocol string `json:"ipProtocol"`
						FromPort   *int32 `json:"fromPort"`
						ToPort     *int32 `json:"toPort"`
						IPRanges   struct {
							Items []struct {
								CidrIP string `json:"cidrIp"`
							} `json:"items"`
						} `json:"ipRanges"`
						PrefixListIDs struct {
							Items []struct {
								PrefixListID string `json:"prefixListId"`
							} `json:"items"`
						} `json:"prefixListIds"`
					} `json:"items"`
				} `json:"ipPermissions"`
			} `json:"requestParameters"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	var out []ec2types.IpPermission
	for _, p := range ev.Detail.RequestParameters.IPPermissions.Items {
		perm := ec2types.IpPermission{IpProtocol: aws.String(p.IPProtocol), FromPort: p.FromPort, ToPort: p.ToPort}
		for _, r := range p.IPRanges.Items {
			perm.IpRanges = append(perm.IpRanges, ec2types.IpRange{CidrIp: aws.String(r.CidrIP)})
		}
		for _, pl := range p.PrefixListIDs.Items {
			perm.PrefixListIds = append(perm.PrefixListIds, ec2types.PrefixListId{PrefixListId: aws.String(pl.PrefixListID)})
		}
		out = append(out, perm)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no ipPermissions in the record")
	}
	return out, nil
}

// recordedRuleUpdates reads the one SecurityGroupRule of a
// ModifySecurityGroupRulesRequest record.
func recordedRuleUpdates(raw []byte) ([]ec2types.SecurityGroupRuleUpdate, error) {
	var ev struct {
		Detail struct {
			RequestParameters struct {
				Request struct {
					Rule struct {
						ID   string `json:"SecurityGroupRuleId"`
						Spec struct {
							IPProtocol string `json:"IpProtocol"`
							FromPort   *int32 `json:"FromPort"`
							ToPort     *int32 `json:"ToPort"`
							CidrIpv4   string `json:"CidrIpv4"`
						} `json:"SecurityGroupRule"`
					} `json:"SecurityGroupRule"`
				} `json:"ModifySecurityGroupRulesRequest"`
			} `json:"requestParameters"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	r := ev.Detail.RequestParameters.Request.Rule
	if r.ID == "" {
		return nil, fmt.Errorf("no SecurityGroupRule in the record")
	}
	return []ec2types.SecurityGroupRuleUpdate{{
		SecurityGroupRuleId: aws.String(r.ID),
		SecurityGroupRule: &ec2types.SecurityGroupRuleRequest{
			IpProtocol: aws.String(r.Spec.IPProtocol), FromPort: r.Spec.FromPort, ToPort: r.Spec.ToPort, CidrIpv4: aws.String(r.Spec.CidrIpv4),
		},
	}}, nil
}
