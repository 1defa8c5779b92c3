package awssim

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestExampleScenario(t *testing.T) {
	sc, err := LoadScenario("testdata/example.json")
	must(t, err)
	srv := New(sc)
	st := srv.st
	if len(st.vpcs.order) != 2 || len(st.models) != 2 || st.s3PrefixList() != "pl-63a5400a" {
		t.Errorf("example: %d vpcs, %d models, s3 list %s", len(st.vpcs.order), len(st.models), st.s3PrefixList())
	}
	if len(st.scalableTargets) != 1 || st.scalableTargets[0].namespace != "sagemaker" || st.scalableTargets[0].MaxCapacity != 6 {
		t.Errorf("example: scalable targets %+v", st.scalableTargets)
	}
	e := st.vpces.byID["vpce-0a1b2c3d4e5f60001"]
	if !strings.HasPrefix(string(e.Policy), `{"Version":"2012-10-17","Statement":[{"Effect":"Deny"`) {
		t.Errorf("policy given as an object is kept compacted: %s", e.Policy)
	}
}

func TestScenarioDefaults(t *testing.T) {
	sc := &Scenario{
		VPCs:           []VPC{{ID: "vpc-1", CIDR: "10.0.0.0/16"}},
		Subnets:        []Subnet{{ID: "subnet-1", VPC: "vpc-1", CIDR: "10.0.0.0/28"}},
		SecurityGroups: []SecurityGroup{{ID: "sg-1", VPC: "vpc-1"}},
		VPCEndpoints:   []VPCEndpoint{{ID: "vpce-1", VPC: "vpc-1"}},
		Models:         []Model{{Name: "MyModel", ExecutionRole: "Role"}},
	}
	before, _ := json.Marshal(sc)
	st, err := buildState(sc)
	must(t, err)
	after, _ := json.Marshal(sc)
	if string(before) != string(after) {
		t.Error("building the state changed the caller's scenario")
	}
	sn := st.subnets.byID["subnet-1"]
	if *sn.AvailableIPs != 11 || sn.AZ != "us-east-1a" || sn.AZID != "use1-az1" {
		t.Errorf("subnet defaults: %+v", sn)
	}
	v := st.vpcs.byID["vpc-1"]
	if !*v.DNSSupport || *v.DNSHostnames || st.dhcp.byID[v.DHCPOptionsID].DomainNameServers[0] != "AmazonProvidedDNS" {
		t.Errorf("vpc defaults: %+v", v)
	}
	tables := st.rtbsByVPC["vpc-1"]
	if len(tables) != 1 || !tables[0].Main || tables[0].Routes[0].GatewayID != "local" {
		t.Errorf("generated main table: %+v", tables)
	}
	e := st.vpces.byID["vpce-1"]
	if e.Type != "Gateway" || e.Service != "com.amazonaws.us-east-1.s3" || e.Policy != DefaultEndpointPolicy || e.State != "available" {
		t.Errorf("endpoint defaults: %+v", e)
	}
	if g := st.sgs.byID["sg-1"]; len(g.Egress) != 1 || g.Egress[0].IPRanges[0].CIDR != "0.0.0.0/0" {
		t.Errorf("default egress: %+v", g.Egress)
	}
	m := st.models["mymodel"]
	if m.arn != "arn:aws:sagemaker:us-east-1:123456789012:model/mymodel" || m.roleARN != "arn:aws:iam::123456789012:role/Role" || m.PrimaryContainer == nil {
		t.Errorf("model: %+v", m)
	}
	if azID("ap-southeast-2", "ap-southeast-2c") != "apse2-az3" || azID("eu-central-1", "eu-central-1b") != "euc1-az2" {
		t.Error("azID")
	}
	if partitionFor("cn-north-1") != "aws-cn" || partitionFor("us-gov-west-1") != "aws-us-gov" {
		t.Error("partitionFor")
	}
}

func TestScenarioValidation(t *testing.T) {
	cases := []struct {
		name string
		json string
		want []string
	}{
		{"unknown key", `{"vpcs":[{"id":"vpc-1","cidrBlock":"10.0.0.0/16"}]}`, []string{`unknown field "cidrBlock"`}},
		{"syntax", "{\n  \"vpcs\": [,]\n}", []string{"line 2 column"}},
		{"references", `{
			"vpcs": [{"id": "vpc-1", "cidr": "10.0.0.0/16"}, {"id": "vpc-1"}, {"id": "vpc-2", "cidr": "10.1.0.0/16", "dhcpOptionsId": "dopt-x"}],
			"subnets": [{"id": "subnet-1", "vpc": "vpc-9", "cidr": "10.0.1.0/24"},
			            {"id": "subnet-2", "vpc": "vpc-1", "cidr": "10.9.0.0/24"},
			            {"id": "subnet-3", "vpc": "vpc-1", "cidr": "10.0.3.0/24", "az": "eu-west-1a"},
			            {"id": "sn-4", "vpc": "vpc-1", "cidr": "10.0.4.0/24"}],
			"routeTables": [{"id": "rtb-1", "vpc": "vpc-1", "main": true, "subnets": ["subnet-3", "subnet-404"]},
			                {"id": "rtb-2", "vpc": "vpc-1", "main": true, "subnets": ["subnet-3"], "routes": [{"destination": "0.0.0.0/0"}]}],
			"vpcEndpoints": [{"id": "vpce-1", "vpc": "vpc-1", "routeTables": ["rtb-9"]},
			                 {"id": "vpce-2", "vpc": "vpc-1", "service": "com.amazonaws.us-east-1.sts", "type": "Gateway"}],
			"securityGroups": [{"id": "sg-1", "vpc": "vpc-3"}],
			"natGateways": [{"id": "nat-1", "subnet": "subnet-404"}],
			"flowLogs": [{"id": "fl-1", "resource": "vpc-404"}],
			"models": [{"name": "bad_name"}, {"name": "ok"}, {"name": "OK"}],
			"endpointConfigs": [{"name": "cfg", "variants": []}],
			"endpoints": [{"name": "ep", "config": "nope"}],
			"faults": {"ec2:DescribeSubnets": {"throttleFirst": -1}, "bogus": {}}
		}`, []string{
			`vpc "vpc-1" is defined twice`, `dhcpOptionsId "dopt-x" is not in dhcpOptions`, `subnet subnet-1: vpc "vpc-9" is not in vpcs`,
			`cidr 10.9.0.0/24 is not inside`, `availability zone "eu-west-1a" is not in region us-east-1`, `subnet "sn-4": the id must start with "subnet-"`,
			`route table rtb-1: subnet "subnet-404" is not in subnets`, `subnet subnet-3 is associated with two route tables`, `vpc vpc-1 has two main route tables`,
			`needs exactly one target`, `vpc endpoint vpce-1: route table "rtb-9"`, `service "com.amazonaws.us-east-1.sts" has no prefix list`,
			`security group sg-1: vpc "vpc-3"`, `nat gateway nat-1: subnet "subnet-404"`, `flow log fl-1: vpc "vpc-404"`, `model "bad_name"`, `model "OK" is defined twice`,
			`endpoint config cfg has no variants`, `endpoint ep: config "nope"`, `fault "ec2:DescribeSubnets": negative`, `fault "bogus"`,
		}},
		{"two routes to one prefix list", `{"vpcs":[{"id":"vpc-1"}],"routeTables":[{"id":"rtb-1","vpc":"vpc-1"}],
			"vpcEndpoints":[{"id":"vpce-1","vpc":"vpc-1","routeTables":["rtb-1"]},{"id":"vpce-2","vpc":"vpc-1","routeTables":["rtb-1"]}]}`,
			[]string{"route table rtb-1 has two routes to pl-63a5400a"}},
	}
	for _, tc := range cases {
		_, err := ParseScenario([]byte(tc.json))
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error lacks %q:\n%v", tc.name, w, err)
			}
		}
	}
	if _, err := NewServer(&Scenario{Account: "12"}); err == nil || !strings.Contains(err.Error(), "12 digits") {
		t.Errorf("NewServer: %v", err)
	}
}
