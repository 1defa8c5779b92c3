package inventory

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// Conversions from SDK shapes to the snapshot's plain values.

func modelFrom(out *sagemaker.DescribeModelOutput) Model {
	m := Model{
		Name:             aws.ToString(out.ModelName),
		ARN:              aws.ToString(out.ModelArn),
		ExecutionRoleARN: aws.ToString(out.ExecutionRoleArn),
		Created:          aws.ToTime(out.CreationTime),
	}
	if vc := out.VpcConfig; vc != nil {
		m.VPCConfig = &VPCConfig{SubnetIDs: vc.Subnets, SecurityGroupIDs: vc.SecurityGroupIds}
	}
	containers := out.Containers
	if out.PrimaryContainer != nil {
		containers = append([]smtypes.ContainerDefinition{*out.PrimaryContainer}, containers...)
	}
	for _, c := range containers {
		uris := []string{aws.ToString(c.ModelDataUrl)}
		if c.ModelDataSource != nil && c.ModelDataSource.S3DataSource != nil {
			uris = append(uris, aws.ToString(c.ModelDataSource.S3DataSource.S3Uri))
		}
		for _, u := range uris {
			if b := BucketOf(u); b != "" && !slices.Contains(m.ArtifactBuckets, b) {
				m.ArtifactBuckets = append(m.ArtifactBuckets, b)
			}
			if BucketOf(u) != "" && !slices.Contains(m.ArtifactObjects, u) {
				m.ArtifactObjects = append(m.ArtifactObjects, u)
			}
		}
	}
	return m
}

// BucketOf returns the bucket of an s3:// URI, or "" for anything else.
func BucketOf(uri string) string {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return ""
	}
	bucket, _, _ := strings.Cut(rest, "/")
	return bucket
}

func subnetFrom(s ec2types.Subnet) Subnet {
	return Subnet{
		ID:           aws.ToString(s.SubnetId),
		VPCID:        aws.ToString(s.VpcId),
		AZ:           aws.ToString(s.AvailabilityZone),
		AZID:         aws.ToString(s.AvailabilityZoneId),
		CIDR:         aws.ToString(s.CidrBlock),
		AvailableIPs: int(aws.ToInt32(s.AvailableIpAddressCount)),
	}
}

func securityGroupFrom(g ec2types.SecurityGroup) SecurityGroup {
	sg := SecurityGroup{ID: aws.ToString(g.GroupId), Name: aws.ToString(g.GroupName), VPCID: aws.ToString(g.VpcId)}
	for _, p := range g.IpPermissionsEgress {
		perm := Permission{Protocol: aws.ToString(p.IpProtocol), FromPort: aws.ToInt32(p.FromPort), ToPort: aws.ToInt32(p.ToPort)}
		for _, r := range p.IpRanges {
			perm.IPv4Ranges = append(perm.IPv4Ranges, aws.ToString(r.CidrIp))
		}
		for _, r := range p.Ipv6Ranges {
			perm.IPv6Ranges = append(perm.IPv6Ranges, aws.ToString(r.CidrIpv6))
		}
		for _, r := range p.PrefixListIds {
			perm.PrefixListIDs = append(perm.PrefixListIDs, aws.ToString(r.PrefixListId))
		}
		for _, r := range p.UserIdGroupPairs {
			perm.GroupIDs = append(perm.GroupIDs, aws.ToString(r.GroupId))
		}
		sg.Egress = append(sg.Egress, perm)
	}
	return sg
}

func routeTableFrom(t ec2types.RouteTable) RouteTable {
	rt := RouteTable{ID: aws.ToString(t.RouteTableId), VPCID: aws.ToString(t.VpcId), Tags: tagsFrom(t.Tags)}
	for _, a := range t.Associations {
		if aws.ToBool(a.Main) {
			rt.Main = true
		}
		if id := aws.ToString(a.SubnetId); id != "" {
			rt.SubnetIDs = append(rt.SubnetIDs, id)
		}
	}
	for _, r := range t.Routes {
		rt.Routes = append(rt.Routes, Route{
			DestinationCIDR:         aws.ToString(r.DestinationCidrBlock),
			DestinationIPv6CIDR:     aws.ToString(r.DestinationIpv6CidrBlock),
			DestinationPrefixListID: aws.ToString(r.DestinationPrefixListId),
			GatewayID:               aws.ToString(r.GatewayId),
			NATGatewayID:            aws.ToString(r.NatGatewayId),
			TransitGatewayID:        aws.ToString(r.TransitGatewayId),
			State:                   string(r.State),
		})
	}
	return rt
}

func endpointFrom(e ec2types.VpcEndpoint) Endpoint {
	return Endpoint{
		ID:             aws.ToString(e.VpcEndpointId),
		VPCID:          aws.ToString(e.VpcId),
		ServiceName:    aws.ToString(e.ServiceName),
		Type:           string(e.VpcEndpointType),
		State:          strings.ToLower(string(e.State)),
		RouteTableIDs:  e.RouteTableIds,
		SubnetIDs:      e.SubnetIds,
		PolicyDocument: aws.ToString(e.PolicyDocument),
		PrivateDNS:     aws.ToBool(e.PrivateDnsEnabled),
		Tags:           tagsFrom(e.Tags),
	}
}

func tagsFrom(tags []ec2types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
