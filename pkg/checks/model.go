package checks

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/inventory"
)

func evalModelInVPC(s *inventory.Snapshot) Outcome {
	return combine(modelFindings(s, func(m inventory.Model) finding {
		switch {
		case m.VPCConfig == nil:
			return fail(fmt.Sprintf("model %s has no VpcConfig: its containers run outside your VPC, with internet access", m.Name),
				recreateModelFix(m, "--vpc-config Subnets=<subnet-a>,<subnet-b>,SecurityGroupIds=<sg>"), m.Name)
		case len(m.VPCConfig.SubnetIDs) == 0 || len(m.VPCConfig.SecurityGroupIDs) == 0:
			return fail(fmt.Sprintf("model %s has a VpcConfig with %s and %s", m.Name,
				plural(len(m.VPCConfig.SubnetIDs), "subnet", "subnets"),
				plural(len(m.VPCConfig.SecurityGroupIDs), "security group", "security groups")),
				recreateModelFix(m, "--vpc-config Subnets=<subnet-a>,<subnet-b>,SecurityGroupIds=<sg>"), m.Name)
		}
		return pass(fmt.Sprintf("model %s runs in subnets %s with security groups %s", m.Name,
			strings.Join(m.VPCConfig.SubnetIDs, ", "), strings.Join(m.VPCConfig.SecurityGroupIDs, ", ")), m.Name)
	}))
}

// recreateModelFix is the guide's only way to change a model's network:
// a VpcConfig cannot be edited in place.
func recreateModelFix(m inventory.Model, vpcArg string) string {
	role := m.ExecutionRoleARN
	if role == "" {
		role = "<execution-role-arn>"
	}
	return fmt.Sprintf("A model's VpcConfig cannot be changed in place. Create a new model, a new endpoint config that uses it, then move the endpoint:\n"+
		"  aws sagemaker describe-model --model-name %[1]s   # copy its containers\n"+
		"  aws sagemaker create-model --model-name %[1]s-vpc --execution-role-arn %[2]s --primary-container <as above> %[3]s\n"+
		"  aws sagemaker create-endpoint-config --endpoint-config-name <config>-vpc --production-variants VariantName=AllTraffic,ModelName=%[1]s-vpc,InitialInstanceCount=<n>,InstanceType=<type>\n"+
		"  aws sagemaker update-endpoint --endpoint-name <endpoint> --endpoint-config-name <config>-vpc",
		m.Name, role, vpcArg)
}

func evalSubnetsMultiAZ(s *inventory.Snapshot) Outcome {
	return combine(modelFindings(s, inVPC(func(m inventory.Model) finding {
		if !s.Subnets.OK() {
			return unknown("the subnets of model "+m.Name, s.Subnets.Err, m.Name)
		}
		known, _ := s.ModelSubnets(m)
		zones := map[string]bool{}
		for _, sn := range known {
			zones[sn.AZ] = true
		}
		names := slices.Sorted(maps.Keys(zones))
		resources := append([]string{m.Name}, m.VPCConfig.SubnetIDs...)
		if len(zones) >= 2 {
			return pass(fmt.Sprintf("model %s spans %s (%s)", m.Name, plural(len(zones), "zone", "zones"), strings.Join(names, ", ")), resources...)
		}
		return fail(fmt.Sprintf("model %s has subnets in %s only (%s): one zone's outage takes the endpoint down",
			m.Name, plural(len(zones), "Availability Zone", "Availability Zones"), strings.Join(names, ", ")),
			recreateModelFix(m, "--vpc-config Subnets=<subnet-in-zone-a>,<subnet-in-zone-b>,SecurityGroupIds="+strings.Join(m.VPCConfig.SecurityGroupIDs, ",")),
			resources...)
	})))
}

func evalSubnetIPCapacity(s *inventory.Snapshot) Outcome {
	return combine(modelFindings(s, inVPC(func(m inventory.Model) finding {
		if !s.Subnets.OK() {
			return unknown("the free IPs of model "+m.Name+"'s subnets", s.Subnets.Err, m.Name)
		}
		known, _ := s.ModelSubnets(m)
		free := 0
		parts := make([]string, 0, len(known))
		for _, sn := range known {
			free += sn.AvailableIPs
			parts = append(parts, fmt.Sprintf("%s: %d", sn.ID, sn.AvailableIPs))
		}
		instances := max(m.Instances, 1)
		need := 2 * instances
		from := ""
		if m.InstancesFrom != "" {
			from = " (" + m.InstancesFrom + ")"
		}
		resources := append([]string{m.Name}, m.VPCConfig.SubnetIDs...)
		msg := fmt.Sprintf("model %s needs %d free IPs for %s%s; its subnets have %d (%s)",
			m.Name, need, plural(instances, "instance", "instances"), from, free, strings.Join(parts, ", "))
		if free >= need {
			return pass(msg, resources...)
		}
		return fail(msg, "Free addresses in these subnets, or recreate the model in larger subnets:\n"+
			recreateModelFix(m, "--vpc-config Subnets=<larger-subnet-a>,<larger-subnet-b>,SecurityGroupIds="+strings.Join(m.VPCConfig.SecurityGroupIDs, ",")),
			resources...)
	})))
}

func evalSecurityGroupsValid(s *inventory.Snapshot) Outcome {
	return combine(modelFindings(s, inVPC(func(m inventory.Model) finding {
		if !s.SecurityGroups.OK() {
			return unknown("the security groups of model "+m.Name, s.SecurityGroups.Err, m.Name)
		}
		vpc := s.ModelVPC(m)
		var missing, foreign []string
		for _, id := range m.VPCConfig.SecurityGroupIDs {
			sg, ok := s.SecurityGroups.Value[id]
			switch {
			case !ok:
				missing = append(missing, id)
			case vpc != "" && sg.VPCID != vpc:
				foreign = append(foreign, fmt.Sprintf("%s (in %s)", id, sg.VPCID))
			}
		}
		resources := append([]string{m.Name}, m.VPCConfig.SecurityGroupIDs...)
		if len(missing) == 0 && len(foreign) == 0 {
			if vpc == "" {
				return unknown("the VPC of model "+m.Name, fmt.Errorf("none of its subnets exists"), m.Name)
			}
			return pass(fmt.Sprintf("model %s's security groups %s exist in %s", m.Name, strings.Join(m.VPCConfig.SecurityGroupIDs, ", "), vpc), resources...)
		}
		var why []string
		if len(missing) > 0 {
			why = append(why, "do not exist: "+strings.Join(missing, ", "))
		}
		if len(foreign) > 0 {
			why = append(why, "belong to another VPC than "+vpc+": "+strings.Join(foreign, ", "))
		}
		return fail(fmt.Sprintf("model %s's security groups %s", m.Name, strings.Join(why, "; ")),
			recreateModelFix(m, "--vpc-config Subnets="+strings.Join(m.VPCConfig.SubnetIDs, ",")+",SecurityGroupIds=<sg-in-"+orPlaceholder(vpc, "vpc")+">"),
			resources...)
	})))
}

func evalSecurityGroupEgressS3(s *inventory.Snapshot) Outcome {
	return combine(modelFindings(s, inVPC(func(m inventory.Model) finding {
		if !s.SecurityGroups.OK() {
			return unknown("the egress rules of model "+m.Name, s.SecurityGroups.Err, m.Name)
		}
		prefixList := ""
		if s.S3PrefixList.OK() {
			prefixList = s.S3PrefixList.Value
		}
		resources := append([]string{m.Name}, m.VPCConfig.SecurityGroupIDs...)
		for _, id := range m.VPCConfig.SecurityGroupIDs {
			sg, ok := s.SecurityGroups.Value[id]
			if !ok {
				continue
			}
			if dest, ok := allowsHTTPSTo(sg.Egress, prefixList); ok {
				return pass(fmt.Sprintf("security group %s of model %s allows TCP 443 out to %s", id, m.Name, dest), resources...)
			}
		}
		if !s.S3PrefixList.OK() {
			return unknown("the S3 prefix list", s.S3PrefixList.Err, resources...)
		}
		sg := "<sg>"
		if len(m.VPCConfig.SecurityGroupIDs) > 0 {
			sg = m.VPCConfig.SecurityGroupIDs[0]
		}
		return fail(fmt.Sprintf("no security group of model %s allows TCP 443 out to S3 (%s or 0.0.0.0/0): the containers cannot download their model artifacts", m.Name, orPlaceholder(prefixList, "the S3 prefix list")),
			fmt.Sprintf("aws ec2 authorize-security-group-egress --group-id %s --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,PrefixListIds=[{PrefixListId=%s}]'", sg, orPlaceholder(prefixList, "<s3-prefix-list-id>")),
			resources...)
	})))
}

// allowsHTTPSTo finds an egress rule that lets TCP 443 reach S3: to the S3
// prefix list or to 0.0.0.0/0.
func allowsHTTPSTo(rules []inventory.Permission, s3PrefixList string) (string, bool) {
	for _, r := range rules {
		if !coversTCP443(r) {
			continue
		}
		if slices.Contains(r.IPv4Ranges, "0.0.0.0/0") {
			return "0.0.0.0/0", true
		}
		if s3PrefixList != "" && slices.Contains(r.PrefixListIDs, s3PrefixList) {
			return s3PrefixList, true
		}
	}
	return "", false
}

func coversTCP443(r inventory.Permission) bool {
	switch strings.ToLower(r.Protocol) {
	case "-1", "all":
		return true
	case "tcp", "6":
		return r.FromPort <= 443 && 443 <= r.ToPort
	}
	return false
}

// ENIActions returns the ten ec2 actions the guide lists for a custom
// execution role (the gatherer simulates exactly these).
func ENIActions() []string {
	return []string{
		"ec2:CreateNetworkInterface",
		"ec2:CreateNetworkInterfacePermission",
		"ec2:DeleteNetworkInterface",
		"ec2:DeleteNetworkInterfacePermission",
		"ec2:DescribeNetworkInterfaces",
		"ec2:DescribeVpcs",
		"ec2:DescribeDhcpOptions",
		"ec2:DescribeSubnets",
		"ec2:DescribeSecurityGroups",
		"ec2:DescribeVpcEndpoints",
	}
}

func evalExecutionRoleENIPermissions(s *inventory.Snapshot) Outcome {
	return combine(modelFindings(s, inVPC(func(m inventory.Model) finding {
		if m.ExecutionRoleARN == "" {
			return unknown("the execution role of model "+m.Name, fmt.Errorf("the model names none"), m.Name)
		}
		perms, ok := s.Roles[m.ExecutionRoleARN]
		if !ok {
			return unknown("role "+m.ExecutionRoleARN, fmt.Errorf("it was not simulated"), m.Name, m.ExecutionRoleARN)
		}
		if !perms.OK() {
			return unknown("the permissions of role "+m.ExecutionRoleARN, perms.Err, m.Name, m.ExecutionRoleARN)
		}
		var denied []string
		actions := ENIActions()
		for _, a := range actions {
			if !perms.Value.Allowed[a] {
				denied = append(denied, a)
			}
		}
		if len(denied) == 0 {
			return pass(fmt.Sprintf("role %s may call all %d ec2 network-interface actions", m.ExecutionRoleARN, len(actions)), m.Name, m.ExecutionRoleARN)
		}
		return fail(fmt.Sprintf("role %s of model %s may not call %s: SageMaker cannot attach the model to the VPC", m.ExecutionRoleARN, m.Name, strings.Join(denied, ", ")),
			fmt.Sprintf("aws iam put-role-policy --role-name %s --policy-name sagemaker-vpc-eni --policy-document '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"%s\"],\"Resource\":\"*\"}]}'",
				roleName(m.ExecutionRoleARN), strings.Join(denied, "\",\"")),
			m.Name, m.ExecutionRoleARN)
	})))
}

func roleName(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func orPlaceholder(v, placeholder string) string {
	if v == "" {
		return placeholder
	}
	return v
}
