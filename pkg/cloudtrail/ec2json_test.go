package cloudtrail

import (
	"reflect"
	"testing"
)

func mustDecode(t *testing.T, s string) any {
	t.Helper()
	v := decodeJSON([]byte(s))
	if v == nil && s != "null" {
		t.Fatalf("bad test JSON %s", s)
	}
	return v
}

func TestStrs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`"rtb-1"`, []string{"rtb-1"}},
		{`["rtb-1","rtb-2"]`, []string{"rtb-1", "rtb-2"}},
		{`{"content":"rtb-1","tag":1}`, []string{"rtb-1"}},
		{`[{"content":"rtb-1","tag":1},{"content":"rtb-2","tag":2}]`, []string{"rtb-1", "rtb-2"}},
		{`{"item":"rtb-1"}`, []string{"rtb-1"}},
		{`{"item":["rtb-1","rtb-2"]}`, []string{"rtb-1", "rtb-2"}},
		{`{"items":[{"routeTableId":"rtb-1"},{"routeTableId":"rtb-2"}]}`, []string{"rtb-1", "rtb-2"}},
		{`{"xmlns":"x","item":{"routeTableId":"rtb-1","tag":1}}`, []string{"rtb-1"}},
		{`12`, []string{"12"}},
		{`""`, nil},
		{`{}`, nil},
		{`null`, nil},
		{`"omitted"`, nil},
		{`["HIDDEN_DUE_TO_SECURITY_REASONS","rtb-1"]`, []string{"rtb-1"}},
		{`{"groupId":"sg-1","groupName":"default"}`, nil}, // a structure, not a string list
	} {
		if got := strs(mustDecode(t, tc.in)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("strs(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStrAndScalars(t *testing.T) {
	for _, tc := range []struct {
		in      string
		str     string
		boolean bool
		integer int
	}{
		{`"vpc-1"`, "vpc-1", false, 0},
		{`{"content":"vpc-1","tag":1}`, "vpc-1", false, 0},
		{`true`, "true", true, 0},
		{`"true"`, "true", true, 0},
		{`"2"`, "2", false, 2},
		{`2`, "2", false, 2},
		{`2.0`, "2.0", false, 2},
		{`2.5`, "2.5", false, 0},
		{`-1`, "-1", false, 0},
		{`1e300`, "1e300", false, 0},
		{`200802171337`, "200802171337", false, 0}, // out of int32: not a count
		{`"HIDDEN_DUE_TO_SECURITY_REASONS"`, "", false, 0},
		{`"omitted"`, "", false, 0},
		{`["vpc-1"]`, "", false, 0},
		{`{"a":1}`, "", false, 0},
		{`null`, "", false, 0},
	} {
		v := mustDecode(t, tc.in)
		if got := str(v); got != tc.str {
			t.Errorf("str(%s) = %q, want %q", tc.in, got, tc.str)
		}
		if got := boolean(v); got != tc.boolean {
			t.Errorf("boolean(%s) = %v, want %v", tc.in, got, tc.boolean)
		}
		if got := integer(v); got != tc.integer {
			t.Errorf("integer(%s) = %v, want %v", tc.in, got, tc.integer)
		}
	}
}

func TestItems(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{`{"item":{"groupId":"sg-1"}}`, 1},
		{`{"item":[{"groupId":"sg-1"},{"groupId":"sg-2"}]}`, 2},
		{`{"items":[{"groupId":"sg-1"}]}`, 1},
		{`[{"groupId":"sg-1"},"junk",{"groupId":"sg-2"}]`, 2},
		{`{"groupId":"sg-1"}`, 1},
		{`""`, 0},
		{`{}`, 0},
		{`{"omitted":true}`, 0},
	} {
		if got := items(mustDecode(t, tc.in)); len(got) != tc.want {
			t.Errorf("items(%s) = %v, want %d elements", tc.in, got, tc.want)
		}
	}
}

func TestField(t *testing.T) {
	m := mustDecode(t, `{"VpcConfig":{"Subnets":["s"]},"modelName":"m","zz":1,"ZZ":2}`).(map[string]any)
	if got := strs(field(object(field(m, "vpcConfig")), "subnets")); !reflect.DeepEqual(got, []string{"s"}) {
		t.Errorf("case-insensitive field: %q", got)
	}
	if got := str(field(m, "modelName")); got != "m" {
		t.Errorf("exact field: %q", got)
	}
	if got := str(field(m, "Zz")); got != "2" { // sorted keys: "ZZ" before "zz"
		t.Errorf("ambiguous field not deterministic: %q", got)
	}
	if field(m, "absent") != nil || field(nil, "x") != nil {
		t.Error("absent field not nil")
	}
}

func TestUnwrap(t *testing.T) {
	for _, tc := range []struct {
		in, op, suffix string
		want           string // the VpcId read from the unwrapped value
		wantNil        bool
	}{
		{`{"CreateVpcEndpointRequest":{"VpcId":"vpc-1"}}`, "CreateVpcEndpoint", "Request", "vpc-1", false},
		{`{"CreateVpcEndpointRequest":""}`, "CreateVpcEndpoint", "Request", "", false},
		{`{"DelTGwVpcAttachReq":{"VpcId":"vpc-1"}}`, "DeleteTransitGatewayVpcAttachment", "Request", "vpc-1", false},
		{`{"CreateVpcEndpointResponse":{"xmlns":"x","vpcId":"vpc-1"}}`, "CreateVpcEndpoint", "Response", "vpc-1", false},
		{`{"vpcId":"vpc-1","routeTableIdSet":{}}`, "CreateVpcEndpoint", "Request", "vpc-1", false},
		{`{"vpcId":"vpc-1"}`, "CreateVpcEndpoint", "Request", "vpc-1", false},
		{`"HIDDEN_DUE_TO_SECURITY_REASONS"`, "CreateVpcEndpoint", "Request", "", true},
		{`null`, "CreateVpcEndpoint", "Request", "", true},
	} {
		got := unwrap(mustDecode(t, tc.in), tc.op, tc.suffix)
		if (got == nil) != tc.wantNil {
			t.Errorf("unwrap(%s) = %v, want nil=%v", tc.in, got, tc.wantNil)
		}
		if id := str(field(got, "VpcId")); id != tc.want {
			t.Errorf("unwrap(%s): VpcId %q, want %q", tc.in, id, tc.want)
		}
	}
}
