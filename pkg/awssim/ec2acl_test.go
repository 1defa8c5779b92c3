package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// aclScenario: one VPC with three subnets; acl-custom holds subnet-b with
// an HTTPS-only egress, subnet-a and subnet-c use the generated default ACL.
func aclScenario() *Scenario {
	return &Scenario{
		Account: "111122223333", Region: "us-east-1",
		VPCs: []VPC{{ID: "vpc-1", CIDR: "10.0.0.0/16"}, {ID: "vpc-2", CIDR: "10.1.0.0/16"}},
		Subnets: []Subnet{
			{ID: "subnet-a", VPC: "vpc-1", CIDR: "10.0.1.0/24"},
			{ID: "subnet-b", VPC: "vpc-1", CIDR: "10.0.2.0/24"},
			{ID: "subnet-c", VPC: "vpc-1", CIDR: "10.0.3.0/24"},
			{ID: "subnet-z", VPC: "vpc-2", CIDR: "10.1.1.0/24"},
		},
		NetworkACLs: []NetworkACL{{ID: "acl-custom", VPC: "vpc-1", Subnets: []string{"subnet-b"}, Tags: Tags{"Name": "models"},
			Entries: []ACLEntry{
				{Rule: 100, Egress: true, Protocol: "tcp", Action: "allow", CIDR: "0.0.0.0/0", Ports: Ports{443, 443, true}},
				{Rule: 90, Egress: true, Protocol: "6", Action: "DENY", CIDR: "52.216.9.9/16", Ports: Ports{0, 65535, true}},
				{Rule: 100, Protocol: "-1", Action: "allow", CIDR: "10.0.0.0/8"},
				{Rule: 110, Protocol: "all", Action: "allow", IPv6CIDR: "::/0"},
			}}},
	}
}

func describeACLs(t *testing.T, client *ec2.Client, in *ec2.DescribeNetworkAclsInput) []ec2types.NetworkAcl {
	t.Helper()
	var out []ec2types.NetworkAcl
	p := ec2.NewDescribeNetworkAclsPaginator(client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.NetworkAcls...)
	}
	return out
}

func aclIDs(acls []ec2types.NetworkAcl) []string {
	var ids []string
	for _, a := range acls {
		ids = append(ids, aws.ToString(a.NetworkAclId))
	}
	return ids
}

func sdkFilter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: values}
}

func TestDescribeNetworkAcls(t *testing.T) {
	srv, cfg := start(t, aclScenario())
	client := ec2.NewFromConfig(cfg)
	def1 := srv.st.acls.defaultOf["vpc-1"].ID
	def2 := srv.st.acls.defaultOf["vpc-2"].ID

	all := describeACLs(t, client, &ec2.DescribeNetworkAclsInput{})
	if got := aclIDs(all); !reflect.DeepEqual(got, []string{"acl-custom", def1, def2}) {
		t.Fatalf("all ACLs %q", got)
	}
	custom := all[0]
	if aws.ToBool(custom.IsDefault) || aws.ToString(custom.VpcId) != "vpc-1" || aws.ToString(custom.OwnerId) != "111122223333" ||
		len(custom.Associations) != 1 || aws.ToString(custom.Associations[0].SubnetId) != "subnet-b" ||
		!strings.HasPrefix(aws.ToString(custom.Associations[0].NetworkAclAssociationId), "aclassoc-") ||
		len(custom.Tags) != 1 {
		t.Errorf("custom ACL %+v", custom)
	}
	// Entries: egress first, by rule number, names normalised to numbers,
	// the CIDR canonical, the '*' entries last, ports only where they apply.
	type e struct {
		rule            int32
		egress          bool
		proto, act, net string
		ports           string
	}
	var entries []e
	for _, x := range custom.Entries {
		ports := ""
		if x.PortRange != nil {
			ports = fmt.Sprintf("%d-%d", aws.ToInt32(x.PortRange.From), aws.ToInt32(x.PortRange.To))
		}
		entries = append(entries, e{aws.ToInt32(x.RuleNumber), aws.ToBool(x.Egress), aws.ToString(x.Protocol), string(x.RuleAction),
			aws.ToString(x.CidrBlock) + aws.ToString(x.Ipv6CidrBlock), ports})
	}
	want := []e{
		{90, true, "6", "deny", "52.216.0.0/16", "0-65535"},
		{100, true, "6", "allow", "0.0.0.0/0", "443-443"},
		{32767, true, "-1", "deny", "0.0.0.0/0", ""},
		{100, false, "-1", "allow", "10.0.0.0/8", ""},
		{110, false, "-1", "allow", "::/0", ""},
		{32767, false, "-1", "deny", "0.0.0.0/0", ""},
	}
	if !reflect.DeepEqual(entries, want) {
		t.Errorf("entries\n%+v\nwant\n%+v", entries, want)
	}
	// The generated default ACL: AWS's default entries, the other subnets.
	d := all[1]
	if !aws.ToBool(d.IsDefault) || len(d.Entries) != 4 || len(d.Associations) != 2 {
		t.Errorf("default ACL %+v", d)
	}

	for _, tc := range []struct {
		name    string
		filters []ec2types.Filter
		want    []string
	}{
		{"association.subnet-id of an explicit association", []ec2types.Filter{sdkFilter("association.subnet-id", "subnet-b")}, []string{"acl-custom"}},
		{"association.subnet-id of default associations", []ec2types.Filter{sdkFilter("association.subnet-id", "subnet-a", "subnet-c", "subnet-z")}, []string{def1, def2}},
		{"association.subnet-id of all", []ec2types.Filter{sdkFilter("association.subnet-id", "subnet-a", "subnet-b")}, []string{def1, "acl-custom"}},
		{"vpc-id and default", []ec2types.Filter{sdkFilter("vpc-id", "vpc-1"), sdkFilter("default", "true")}, []string{def1}},
		{"default false", []ec2types.Filter{sdkFilter("default", "false")}, []string{"acl-custom"}},
		{"network-acl-id", []ec2types.Filter{sdkFilter("network-acl-id", "acl-custom")}, []string{"acl-custom"}},
		{"network-acl-id wildcard", []ec2types.Filter{sdkFilter("network-acl-id", "acl-c*")}, []string{"acl-custom"}},
		{"entry.cidr", []ec2types.Filter{sdkFilter("entry.cidr", "52.216.0.0/16")}, []string{"acl-custom"}},
		{"entry.port-range.from", []ec2types.Filter{sdkFilter("entry.port-range.from", "443")}, []string{"acl-custom"}},
		{"tag", []ec2types.Filter{sdkFilter("tag:Name", "models")}, []string{"acl-custom"}},
		{"unknown subnet", []ec2types.Filter{sdkFilter("association.subnet-id", "subnet-nope")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := aclIDs(describeACLs(t, client, &ec2.DescribeNetworkAclsInput{Filters: tc.filters}))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}

	// Paging: MaxResults 5 is the least EC2 takes; a page size of 1
	// makes three pages.
	srv.st.pageSizes = map[string]int{"ec2:DescribeNetworkAcls": 1}
	pages := 0
	p := ec2.NewDescribeNetworkAclsPaginator(client, &ec2.DescribeNetworkAclsInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages += len(page.NetworkAcls)
	}
	if pages != 3 || srv.Calls("ec2:DescribeNetworkAcls") < 3 {
		t.Errorf("paged %d ACLs in %d calls", pages, srv.Calls("ec2:DescribeNetworkAcls"))
	}

	var api smithy.APIError
	_, err := client.DescribeNetworkAcls(context.Background(), &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{"acl-nope"}})
	if !errors.As(err, &api) || api.ErrorCode() != "InvalidNetworkAclID.NotFound" {
		t.Errorf("unknown id: %v", err)
	}
	_, err = client.DescribeNetworkAcls(context.Background(), &ec2.DescribeNetworkAclsInput{Filters: []ec2types.Filter{sdkFilter("bogus", "x")}})
	if !errors.As(err, &api) || api.ErrorCode() != "InvalidParameterValue" {
		t.Errorf("unknown filter: %v", err)
	}
}

func TestNetworkAclWrites(t *testing.T) {
	srv, cfg := start(t, aclScenario())
	client := ec2.NewFromConfig(cfg)
	ctx := context.Background()
	entry := func(rule int32) *ec2.CreateNetworkAclEntryInput {
		return &ec2.CreateNetworkAclEntryInput{NetworkAclId: aws.String("acl-custom"), RuleNumber: aws.Int32(rule), Egress: aws.Bool(true),
			Protocol: aws.String("6"), RuleAction: ec2types.RuleActionAllow, CidrBlock: aws.String("3.5.0.0/19"), PortRange: &ec2types.PortRange{From: aws.Int32(443), To: aws.Int32(443)}}
	}
	if _, err := client.CreateNetworkAclEntry(ctx, entry(80)); err != nil {
		t.Fatal(err)
	}
	var api smithy.APIError
	for _, tc := range []struct {
		name string
		call func() error
		code string
	}{
		{"duplicate rule", func() error { _, err := client.CreateNetworkAclEntry(ctx, entry(80)); return err }, "NetworkAclEntryAlreadyExists"},
		{"rule out of range", func() error { _, err := client.CreateNetworkAclEntry(ctx, entry(32767)); return err }, "InvalidParameterValue"},
		{"TCP without ports", func() error {
			in := entry(81)
			in.PortRange = nil
			_, err := client.CreateNetworkAclEntry(ctx, in)
			return err
		}, "InvalidParameterValue"},
		{"unknown ACL", func() error {
			in := entry(82)
			in.NetworkAclId = aws.String("acl-nope")
			_, err := client.CreateNetworkAclEntry(ctx, in)
			return err
		}, "InvalidNetworkAclID.NotFound"},
		{"replace a missing rule", func() error {
			_, err := client.ReplaceNetworkAclEntry(ctx, &ec2.ReplaceNetworkAclEntryInput{NetworkAclId: aws.String("acl-custom"), RuleNumber: aws.Int32(7), Egress: aws.Bool(true),
				Protocol: aws.String("-1"), RuleAction: ec2types.RuleActionDeny, CidrBlock: aws.String("0.0.0.0/0")})
			return err
		}, "InvalidNetworkAclEntry.NotFound"},
		{"delete a missing rule", func() error {
			_, err := client.DeleteNetworkAclEntry(ctx, &ec2.DeleteNetworkAclEntryInput{NetworkAclId: aws.String("acl-custom"), RuleNumber: aws.Int32(7), Egress: aws.Bool(false)})
			return err
		}, "InvalidNetworkAclEntry.NotFound"},
		{"unknown association", func() error {
			_, err := client.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{AssociationId: aws.String("aclassoc-nope"), NetworkAclId: aws.String("acl-custom")})
			return err
		}, "InvalidAssociationID.NotFound"},
	} {
		if err := tc.call(); !errors.As(err, &api) || api.ErrorCode() != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	if _, err := client.ReplaceNetworkAclEntry(ctx, &ec2.ReplaceNetworkAclEntryInput{NetworkAclId: aws.String("acl-custom"), RuleNumber: aws.Int32(90), Egress: aws.Bool(true),
		Protocol: aws.String("-1"), RuleAction: ec2types.RuleActionAllow, CidrBlock: aws.String("52.216.0.0/16")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteNetworkAclEntry(ctx, &ec2.DeleteNetworkAclEntryInput{NetworkAclId: aws.String("acl-custom"), RuleNumber: aws.Int32(110), Egress: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	// Move subnet-a from the default ACL to acl-custom.
	assoc := srv.st.acls.assocIDs["subnet-a"]
	out, err := client.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{AssociationId: aws.String(assoc), NetworkAclId: aws.String("acl-custom")})
	if err != nil {
		t.Fatal(err)
	}
	if id := aws.ToString(out.NewAssociationId); !strings.HasPrefix(id, "aclassoc-") || id == assoc {
		t.Errorf("new association id %q (old %q)", id, assoc)
	}
	acls := describeACLs(t, client, &ec2.DescribeNetworkAclsInput{Filters: []ec2types.Filter{sdkFilter("association.subnet-id", "subnet-a")}})
	if got := aclIDs(acls); !reflect.DeepEqual(got, []string{"acl-custom"}) {
		t.Fatalf("subnet-a now in %q", got)
	}
	var rules []string
	for _, e := range acls[0].Entries {
		rules = append(rules, fmt.Sprintf("%d:%s:%s", aws.ToInt32(e.RuleNumber), e.RuleAction, aws.ToString(e.Protocol)))
	}
	if !slices.Contains(rules, "80:allow:6") || !slices.Contains(rules, "90:allow:-1") || slices.Contains(rules, "110:allow:-1") {
		t.Errorf("entries after the writes: %q", rules)
	}
	var ops []string
	for _, w := range srv.Writes() {
		ops = append(ops, w.Operation+":"+w.Error)
	}
	want := []string{"CreateNetworkAclEntry:", "CreateNetworkAclEntry:NetworkAclEntryAlreadyExists", "CreateNetworkAclEntry:InvalidParameterValue",
		"CreateNetworkAclEntry:InvalidParameterValue", "CreateNetworkAclEntry:InvalidNetworkAclID.NotFound", "ReplaceNetworkAclEntry:InvalidNetworkAclEntry.NotFound",
		"DeleteNetworkAclEntry:InvalidNetworkAclEntry.NotFound", "ReplaceNetworkAclAssociation:InvalidAssociationID.NotFound",
		"ReplaceNetworkAclEntry:", "DeleteNetworkAclEntry:", "ReplaceNetworkAclAssociation:"}
	if !reflect.DeepEqual(ops, want) {
		t.Errorf("writes\n%q\nwant\n%q", ops, want)
	}
}

func TestManagedPrefixLists(t *testing.T) {
	sc := aclScenario()
	sc.PageSizes = map[string]int{"ec2:GetManagedPrefixListEntries": 2, "ec2:DescribeManagedPrefixLists": 1}
	_, cfg := start(t, sc)
	client := ec2.NewFromConfig(cfg)
	ctx := context.Background()

	legacy, err := client.DescribePrefixLists(ctx, &ec2.DescribePrefixListsInput{Filters: []ec2types.Filter{sdkFilter("prefix-list-name", "com.amazonaws.us-east-1.s3")}})
	if err != nil || len(legacy.PrefixLists) != 1 {
		t.Fatalf("DescribePrefixLists: %v %+v", err, legacy)
	}
	want := legacy.PrefixLists[0].Cidrs
	if len(want) < 2 || aws.ToString(legacy.PrefixLists[0].PrefixListId) != "pl-63a5400a" {
		t.Fatalf("S3 list %+v", legacy.PrefixLists[0])
	}

	var lists []ec2types.ManagedPrefixList
	p := ec2.NewDescribeManagedPrefixListsPaginator(client, &ec2.DescribeManagedPrefixListsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		lists = append(lists, page.PrefixLists...)
	}
	if len(lists) != 2 || aws.ToString(lists[0].PrefixListName) != "com.amazonaws.us-east-1.s3" || aws.ToString(lists[0].OwnerId) != "AWS" ||
		lists[0].State != ec2types.PrefixListStateCreateComplete || aws.ToString(lists[0].AddressFamily) != "IPv4" ||
		aws.ToString(lists[0].PrefixListArn) != "arn:aws:ec2:us-east-1:aws:prefix-list/pl-63a5400a" {
		t.Fatalf("managed lists %+v", lists)
	}

	// The entries, paged two at a time, are the CIDRs DescribePrefixLists gives.
	var cidrs []string
	pe := ec2.NewGetManagedPrefixListEntriesPaginator(client, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: lists[0].PrefixListId})
	pagesSeen := 0
	for pe.HasMorePages() {
		page, err := pe.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pagesSeen++
		for _, e := range page.Entries {
			cidrs = append(cidrs, aws.ToString(e.Cidr))
		}
	}
	if !reflect.DeepEqual(cidrs, want) || pagesSeen != (len(want)+1)/2 {
		t.Errorf("entries %q in %d pages, want %q", cidrs, pagesSeen, want)
	}
	var api smithy.APIError
	if _, err := client.GetManagedPrefixListEntries(ctx, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String("pl-00000000")}); !errors.As(err, &api) || api.ErrorCode() != "InvalidPrefixListID.NotFound" {
		t.Errorf("unknown list: %v", err)
	}
}

func TestNetworkACLScenarioValidation(t *testing.T) {
	sc := aclScenario()
	sc.NetworkACLs = append(sc.NetworkACLs,
		NetworkACL{ID: "acl-bad", VPC: "vpc-1", Default: true, Subnets: []string{"subnet-b", "subnet-z"}, Entries: []ACLEntry{
			{Rule: 0, Protocol: "6", Action: "allow", CIDR: "0.0.0.0/0", Ports: Ports{443, 443, true}},
			{Rule: 10, Protocol: "6", Action: "allow", CIDR: "0.0.0.0/0"},
			{Rule: 20, Protocol: "smtp", Action: "allow", CIDR: "0.0.0.0/0"},
			{Rule: 30, Protocol: "-1", Action: "permit", CIDR: "0.0.0.0/0"},
			{Rule: 40, Protocol: "-1", Action: "deny", CIDR: "nope"},
			{Rule: 40, Protocol: "-1", Action: "deny", CIDR: "0.0.0.0/0"},
		}},
		NetworkACL{ID: "acl-default2", VPC: "vpc-1", Default: true},
		NetworkACL{ID: "nacl-1", VPC: "vpc-1"},
	)
	err := sc.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"rule number 0: want 1 to 32766", "rule 10: TCP and UDP entries need a port range", `rule 20: protocol "smtp"`, `rule 30: action "permit"`,
		`rule 40: cidr "nope" is not an IPv4 CIDR`, "rule 40 is defined twice", "subnet subnet-b is associated with two network acls",
		"network acl acl-bad (vpc vpc-1): subnet subnet-z is in vpc vpc-2", "vpc vpc-1 has two default network acls, acl-bad and acl-default2",
		`network acl "nacl-1": the id must start with "acl-"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// The JSON form: ports as a string or an object, and back.
	raw := `{"vpcs":[{"id":"vpc-1"}],"subnets":[{"id":"subnet-a","vpc":"vpc-1","cidr":"10.0.0.0/24"}],
	  "networkAcls":[{"id":"acl-1","vpc":"vpc-1","subnets":["subnet-a"],"entries":[
	    {"rule":100,"egress":true,"protocol":"tcp","action":"allow","cidr":"0.0.0.0/0","ports":"443"},
	    {"rule":110,"protocol":"tcp","action":"allow","cidr":"0.0.0.0/0","ports":{"from":1024,"to":65535}}]}]}`
	parsed, err := ParseScenario([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if e := parsed.NetworkACLs[0].Entries; e[0].Ports != (Ports{443, 443, true}) || e[1].Ports != (Ports{1024, 65535, true}) {
		t.Errorf("ports %+v", e)
	}
	if _, err := ParseScenario([]byte(strings.Replace(raw, `"ports":"443"`, `"ports":"https"`, 1))); err == nil || !strings.Contains(err.Error(), `ports "https"`) {
		t.Errorf("bad ports: %v", err)
	}
}

// TestNetworkAclsWithTheAWSCLI: the AWS CLI (botocore), an independent
// client, reads awssim's ACLs and managed prefix lists.
func TestNetworkAclsWithTheAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not installed; skipping the independent-client test")
	}
	_, url := Start(t, aclScenario())
	cli := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command("aws", append([]string{"--endpoint-url", url, "--region", "us-east-1", "--output", "json"}, args...)...)
		cmd.Env = append(cmd.Environ(), "AWS_ACCESS_KEY_ID=AKIDAWSSIM", "AWS_SECRET_ACCESS_KEY=secret", "AWS_CONFIG_FILE=/dev/null",
			"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	var acls struct {
		NetworkAcls []struct {
			NetworkAclId string
			IsDefault    bool
			Entries      []struct {
				RuleNumber int
				Protocol   string
				RuleAction string
				Egress     bool
				CidrBlock  string
				PortRange  *struct{ From, To int }
			}
			Associations []struct{ SubnetId, NetworkAclAssociationId string }
		}
	}
	if err := json.Unmarshal(cli("ec2", "describe-network-acls", "--filters", "Name=association.subnet-id,Values=subnet-b"), &acls); err != nil {
		t.Fatal(err)
	}
	if len(acls.NetworkAcls) != 1 || acls.NetworkAcls[0].NetworkAclId != "acl-custom" || len(acls.NetworkAcls[0].Entries) != 6 ||
		acls.NetworkAcls[0].Entries[0].PortRange == nil || acls.NetworkAcls[0].Entries[1].PortRange.From != 443 {
		t.Fatalf("aws ec2 describe-network-acls: %+v", acls)
	}
	var entries struct{ Entries []struct{ Cidr string } }
	if err := json.Unmarshal(cli("ec2", "get-managed-prefix-list-entries", "--prefix-list-id", "pl-63a5400a"), &entries); err != nil || len(entries.Entries) < 2 {
		t.Fatalf("get-managed-prefix-list-entries: %v %+v", err, entries)
	}
	// The writes, in the shape of network-acl-s3's fix commands, are run
	// with the CLI in pkg/guard (TestNetworkACLFixCommandsWork).
}
