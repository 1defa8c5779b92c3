package cloudtrail_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
)

// FuzzParse feeds Parse and ParseAll arbitrary bytes, seeded with the real
// samples (when ../shared is present), testdata/ and events/. No input may
// panic; every call returned must be self-consistent; every error must say
// it comes from this package.
//
//	go test -run='^$' -fuzz=FuzzParse -fuzztime=60s ./pkg/cloudtrail
func FuzzParse(f *testing.F) {
	var seeds []string
	if dir := sharedSamples(f); dir != "" {
		seeds = append(seeds, glob(f, filepath.Join(dir, "cloudtrail", "*.json"))...)
		seeds = append(seeds, glob(f, filepath.Join(dir, "eventbridge", "*.json"))...)
	}
	seeds = append(seeds, glob(f, filepath.Join("testdata", "*.json"))...)
	seeds = append(seeds, glob(f, filepath.Join(repoRoot(f), "events", "*.json"))...)
	for _, s := range seeds {
		f.Add(readFile(f, s))
	}
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `{"Records":[]}`, `[{"eventName":"CreateVpcEndpoint","eventSource":"ec2.amazonaws.com"}]`,
		`{"eventName":"CreateVpcEndpoint","eventSource":"ec2.amazonaws.com","requestParameters":{"CreateVpcEndpointRequest":""},"responseElements":{"CreateVpcEndpointResponse":{"vpcEndpoint":{"routeTableIdSet":{"item":{"item":[1,{"content":{"content":"x"}}]}}}}}}`,
		`{"eventName":"CreateEndpointConfig","eventSource":"sagemaker.amazonaws.com","requestParameters":{"productionVariants":{"item":[{"initialInstanceCount":1e400}]}}}`,
	} {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := cloudtrail.Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "cloudtrail: ") {
				t.Errorf("error without the package prefix: %v", err)
			}
		} else {
			checkCall(t, c)
		}
		calls, err := cloudtrail.ParseAll(data)
		if err == nil && len(calls) == 0 {
			t.Error("ParseAll: no calls and no error")
		}
		for _, c := range calls {
			checkCall(t, c)
		}
	})
}

// checkCall holds for every call the parser returns.
func checkCall(t *testing.T, c cloudtrail.Call) {
	t.Helper()
	if c.Name == "" || c.Source == "" {
		t.Errorf("call without name or source: %+v", c)
	}
	if c.Kind != cloudtrail.KindOf(c.Name, c.Source) {
		t.Errorf("kind %v for %s %s", c.Kind, c.Source, c.Name)
	}
	bodies := map[cloudtrail.Kind]bool{
		cloudtrail.KindCreateModel:          c.CreateModel != nil,
		cloudtrail.KindCreateEndpointConfig: c.CreateEndpointConfig != nil,
		cloudtrail.KindCreateEndpoint:       c.CreateEndpoint != nil,
		cloudtrail.KindCreateVpcEndpoint:    c.CreateVpcEndpoint != nil,
		cloudtrail.KindModifyVpcEndpoint:    c.ModifyVpcEndpoint != nil,
		cloudtrail.KindDeleteVpcEndpoints:   c.DeleteVpcEndpoints != nil,
		cloudtrail.KindDeleteModel:          c.DeleteModel != nil,
		cloudtrail.KindUpdateEndpoint:       c.UpdateEndpoint != nil,
		cloudtrail.KindDeleteEndpoint:       c.DeleteEndpoint != nil,
	}
	// The drift kinds share a body per family.
	for _, k := range cloudtrail.DriftKinds() {
		var set bool
		switch k {
		case cloudtrail.KindModifyVpcAttribute, cloudtrail.KindAssociateDhcpOptions:
			set = c.VPCChange != nil
		case cloudtrail.KindAuthorizeSecurityGroupEgress, cloudtrail.KindRevokeSecurityGroupEgress, cloudtrail.KindModifySecurityGroupRules:
			set = c.EgressChange != nil
		case cloudtrail.KindDeleteFlowLogs:
			set = c.DeleteFlowLogs != nil
		case cloudtrail.KindRegisterScalableTarget:
			set = c.ScalableTarget != nil
		case cloudtrail.KindUpdateEndpointWeightsAndCapacities:
			set = c.EndpointCapacity != nil
		case cloudtrail.KindCreateNetworkAclEntry, cloudtrail.KindReplaceNetworkAclEntry, cloudtrail.KindDeleteNetworkAclEntry, cloudtrail.KindReplaceNetworkAclAssociation:
			set = c.NetworkACLChange != nil
		default:
			set = c.RouteTableChange != nil
		}
		if k == c.Kind && !set {
			t.Errorf("kind %v without its body", k)
		}
	}
	if n := countSet(c.VPCChange != nil, c.RouteTableChange != nil, c.EgressChange != nil, c.DeleteFlowLogs != nil,
		c.ScalableTarget != nil, c.EndpointCapacity != nil, c.NetworkACLChange != nil); n > 1 || (n == 1) != slices.Contains(cloudtrail.DriftKinds(), c.Kind) {
		t.Errorf("kind %v with %d drift bodies", c.Kind, n)
	}
	if s := c.ScalableTarget; s != nil && ((s.MinCapacity != nil && *s.MinCapacity < 0) || (s.MaxCapacity != nil && *s.MaxCapacity < 0)) {
		t.Errorf("negative capacity %+v", s)
	}
	for k, set := range bodies {
		if set != (k == c.Kind) {
			t.Errorf("kind %v: %v body set = %v", c.Kind, k, set)
		}
	}
	if p := c.CreateEndpointConfig; p != nil {
		for _, v := range p.ProductionVariants {
			if v.InitialInstanceCount < 0 {
				t.Errorf("negative instance count %d", v.InitialInstanceCount)
			}
		}
	}
}

func countSet(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
