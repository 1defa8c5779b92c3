package inventory

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/pkg/nacl"
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
	for i, c := range containers {
		// A multi-model container's ModelDataUrl is the prefix its models
		// are loaded from.
		m.addData(i, "ModelDataUrl", aws.ToString(c.ModelDataUrl), c.Mode == smtypes.ContainerModeMultiModel)
		if c.ModelDataSource != nil && c.ModelDataSource.S3DataSource != nil {
			src := c.ModelDataSource.S3DataSource
			m.addData(i, "ModelDataSource", aws.ToString(src.S3Uri), src.S3DataType == smtypes.S3ModelDataTypeS3Prefix)
		}
		for j, extra := range c.AdditionalModelDataSources {
			if src := extra.S3DataSource; src != nil {
				m.addData(i, fmt.Sprintf("AdditionalModelDataSources[%d]", j), aws.ToString(src.S3Uri), src.S3DataType == smtypes.S3ModelDataTypeS3Prefix)
			}
		}
	}
	return m
}

// addData records the model data uri of container i: its bucket (once)
// and, when it names an object or a prefix, the artifact.
func (m *Model) addData(container int, field, uri string, prefix bool) {
	if b := BucketOf(uri); b != "" && !slices.Contains(m.ArtifactBuckets, b) {
		m.ArtifactBuckets = append(m.ArtifactBuckets, b)
	}
	if a, ok := artifactOf(container, field, uri, prefix); ok {
		m.Artifacts = append(m.Artifacts, a)
	}
}

// artifactOf reads one s3:// URI of container i; prefix says it names a
// key prefix (judged by RepresentativeObject under it). Anything that is
// not an s3:// URI with a bucket is not an S3 artifact.
func artifactOf(container int, field, uri string, prefix bool) (Artifact, bool) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return Artifact{}, false
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return Artifact{}, false
	}
	a := Artifact{Container: container, Field: field, URI: uri, Bucket: bucket, Key: key, Prefix: prefix}
	if prefix {
		if key != "" && !strings.HasSuffix(key, "/") {
			a.Key += "/"
		}
		a.Key += RepresentativeObject
	} else if key == "" {
		return Artifact{}, false // a bucket is not an object
	}
	return a, true
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
	sg := SecurityGroup{ID: aws.ToString(g.GroupId), Name: aws.ToString(g.GroupName), VPCID: aws.ToString(g.VpcId), Tags: tagsFrom(g.Tags)}
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

func networkACLFrom(a ec2types.NetworkAcl) NetworkACL {
	out := NetworkACL{ID: aws.ToString(a.NetworkAclId), VPCID: aws.ToString(a.VpcId), Default: aws.ToBool(a.IsDefault)}
	for _, as := range a.Associations {
		if id := aws.ToString(as.SubnetId); id != "" {
			out.SubnetIDs = append(out.SubnetIDs, id)
		}
	}
	for _, e := range a.Entries {
		entry := nacl.Entry{
			RuleNumber: aws.ToInt32(e.RuleNumber),
			Egress:     aws.ToBool(e.Egress),
			Protocol:   aws.ToString(e.Protocol),
			Action:     string(e.RuleAction),
			CIDR:       aws.ToString(e.CidrBlock),
			IPv6CIDR:   aws.ToString(e.Ipv6CidrBlock),
		}
		if pr := e.PortRange; pr != nil && pr.From != nil && pr.To != nil {
			entry.Ports = &nacl.PortRange{From: *pr.From, To: *pr.To}
		}
		out.Entries = append(out.Entries, entry)
	}
	return out
}
