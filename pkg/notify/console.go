package notify

import (
	"net/url"
	"regexp"
	"strings"
)

// Console links let the reader open the resource in one click. A link is
// built only for values that have the exact shape of an AWS id or name, so a
// hostile name never produces a surprising URL.

var (
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$`)
	sagemakerRE = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)
	ec2IDRE     = regexp.MustCompile(`^(vpc|vpce|subnet|rtb|sg|dopt|nat)-[0-9a-f]{8,17}$`)
	roleARNRE   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$`)
)

// consoleBase is the regional console for region, or "" for a region vpcguard
// does not know how to link (an ISO partition, a malformed value).
func consoleBase(region string) string {
	if !regionRE.MatchString(region) {
		return ""
	}
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "https://" + region + ".console.amazonaws.cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "https://" + region + ".console.amazonaws-us-gov.com"
	case strings.Contains(region, "-iso"):
		return ""
	}
	return "https://" + region + ".console.aws.amazon.com"
}

// resourceLink is the console page of the SageMaker resource the event is
// about (type model, endpoint-config or endpoint), or "".
func resourceLink(region, typ, name string) string {
	base := consoleBase(region)
	if base == "" || !sagemakerRE.MatchString(name) {
		return ""
	}
	var page string
	switch typ {
	case "model":
		page = "models"
	case "endpoint-config":
		page = "endpointConfig"
	case "endpoint":
		page = "endpoints"
	default:
		return ""
	}
	return base + "/sagemaker/home?region=" + region + "#/" + page + "/" + url.PathEscape(name)
}

// idLink is the console page of an EC2/VPC id (vpc-, vpce-, subnet-, rtb-,
// sg-, dopt-, nat-) or of an IAM role ARN, or "".
func idLink(region, id string) string {
	if m := roleARNRE.FindStringSubmatch(id); m != nil {
		if strings.HasPrefix(id, "arn:aws-cn:") {
			return "https://console.amazonaws.cn/iam/home#/roles/details/" + m[1]
		}
		if strings.HasPrefix(id, "arn:aws-us-gov:") {
			return "https://console.amazonaws-us-gov.com/iam/home#/roles/details/" + m[1]
		}
		if strings.HasPrefix(id, "arn:aws:") {
			return "https://console.aws.amazon.com/iam/home#/roles/details/" + m[1]
		}
		return ""
	}
	base := consoleBase(region)
	if base == "" || !ec2IDRE.MatchString(id) {
		return ""
	}
	vpc := base + "/vpcconsole/home?region=" + region + "#"
	switch prefix, _, _ := strings.Cut(id, "-"); prefix {
	case "vpc":
		return vpc + "VpcDetails:VpcId=" + id
	case "vpce":
		return vpc + "EndpointDetails:vpcEndpointId=" + id
	case "subnet":
		return vpc + "SubnetDetails:subnetId=" + id
	case "rtb":
		return vpc + "RouteTableDetails:RouteTableId=" + id
	case "dopt":
		return vpc + "DhcpOptionsDetails:DhcpOptionsId=" + id
	case "nat":
		return vpc + "NatGatewayDetails:natGatewayId=" + id
	case "sg":
		return base + "/ec2/home?region=" + region + "#SecurityGroup:groupId=" + id
	}
	return ""
}
