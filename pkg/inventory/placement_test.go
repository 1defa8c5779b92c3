package inventory_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/inventory"
)

// Scoped without a placement index: the full scan (ListModels, every
// DescribeModel), filtered by the query, then only the selected models'
// VPCs. The demo account has five models: fraud-detector-v3 (fraud VPC),
// churn-model-v7 (churn VPC, with a security group of the fraud VPC),
// recsys-ranker-v2, forecast-v1 and legacy-nlp-v1 (no VpcConfig).

const recsysVPC = "vpc-0c1b2c3d4e5f60003"

func modelNames(s *inventory.Snapshot) []string {
	var out []string
	for _, m := range s.Models {
		out = append(out, m.Name)
	}
	slices.Sort(out)
	return out
}

func TestScopedFullScanSelectsByVPCSubnetOrGroup(t *testing.T) {
	for _, tc := range []struct {
		name   string
		q      inventory.PlacementQuery
		models []string
		vpcs   []string
	}{
		{"by VPC", inventory.PlacementQuery{VPCID: fraudVPC}, []string{"fraud-detector-v3"}, []string{fraudVPC}},
		{"by subnet", inventory.PlacementQuery{SubnetIDs: []string{"subnet-0bbb000000000b001"}}, []string{"churn-model-v7"}, []string{churnVPC}},
		// sg-0bbb… lives in the fraud VPC but only churn-model-v7 (churn VPC) uses it.
		{"by security group", inventory.PlacementQuery{SecurityGroupIDs: []string{"sg-0bbb0000000000001"}}, []string{"churn-model-v7"}, []string{churnVPC}},
		{"fields combine with OR", inventory.PlacementQuery{VPCID: recsysVPC, SubnetIDs: []string{"subnet-0ddd000000000a001"}},
			[]string{"forecast-v1", "recsys-ranker-v2"}, []string{recsysVPC, forecastVP}},
		// A VPC without models: nothing selected, its own state still read.
		{"VPC without models", inventory.PlacementQuery{VPCID: "vpc-0e0e0e0e0e0e0e0e0"}, nil, []string{"vpc-0e0e0e0e0e0e0e0e0"}},
		{"group no model uses", inventory.PlacementQuery{SecurityGroupIDs: []string{"sg-0fff0000000000009"}}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, srv := startScenario(t, "demo", func(sc *awssim.Scenario) {
				sc.PageSize = 2
				sc.VPCs = append(sc.VPCs, awssim.VPC{ID: "vpc-0e0e0e0e0e0e0e0e0", CIDR: "10.99.0.0/16"})
			})
			s := g.Scoped(context.Background(), tc.q)
			if got := modelNames(s); !slices.Equal(got, tc.models) {
				t.Errorf("models %v, want %v", got, tc.models)
			}
			if got := slices.Sorted(maps.Keys(s.VPCs)); !slices.Equal(got, tc.vpcs) {
				t.Errorf("VPCs gathered %v, want %v", got, tc.vpcs)
			}
			if len(s.ModelErrs) != 0 || s.PlacementNote != "" {
				t.Errorf("errs %v, note %q", s.ModelErrs, s.PlacementNote)
			}
			// The full scan: every model described once, the list paged.
			if n := srv.Calls("sagemaker:DescribeModel"); n != 5 {
				t.Errorf("%d DescribeModel calls, want 5 (every model)", n)
			}
			if n := srv.Calls("sagemaker:ListModels"); n != 3 {
				t.Errorf("%d ListModels calls, want 3 pages of 2", n)
			}
			for _, v := range s.VPCs {
				if !v.RouteTables.OK() || !v.DNS.OK() || !v.Endpoints.OK() {
					t.Errorf("%s not gathered: %+v", v.ID, v)
				}
			}
			for _, m := range s.Models {
				if _, ok := s.Roles[m.ExecutionRoleARN]; !ok {
					t.Errorf("role of %s not simulated", m.Name)
				}
			}
		})
	}
}

func TestScopedEmptyQueryReadsNothing(t *testing.T) {
	g, srv := start(t, 0)
	s := g.Scoped(context.Background(), inventory.PlacementQuery{})
	if len(s.Models) != 0 || len(s.VPCs) != 0 {
		t.Errorf("models %v, vpcs %v", s.Models, s.VPCs)
	}
	if n := srv.Calls("*"); n != 0 {
		t.Errorf("%d calls for an empty query", n)
	}
}

// A failed list is a model error, never "no model here".
func TestScopedFullScanKeepsAFailedListModels(t *testing.T) {
	g, srv := start(t, 0)
	if err := srv.SetFault("sagemaker:ListModels", awssim.Fault{AccessDenied: true}); err != nil {
		t.Fatal(err)
	}
	s := g.Scoped(context.Background(), inventory.PlacementQuery{VPCID: fraudVPC})
	if err := s.ModelErrs["the account's models"]; err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("model errors %v", s.ModelErrs)
	}
	if s.VPCs[fraudVPC] == nil {
		t.Error("the query's own VPC was not gathered")
	}
}

// With the subnets unreadable, a VPC query cannot place the models: they
// all stay, so that the checks say unknown instead of "no model".
func TestScopedFullScanKeepsUnplaceableModelsForAVPCQuery(t *testing.T) {
	g, srv := start(t, 0)
	if err := srv.SetFault("ec2:DescribeSubnets", awssim.Fault{AccessDenied: true}); err != nil {
		t.Fatal(err)
	}
	s := g.Scoped(context.Background(), inventory.PlacementQuery{VPCID: fraudVPC})
	if s.Subnets.OK() {
		t.Fatal("subnets read despite the fault")
	}
	// legacy-nlp-v1 has no VpcConfig: never placed anywhere.
	if got := modelNames(s); !slices.Equal(got, []string{"churn-model-v7", "forecast-v1", "fraud-detector-v3", "recsys-ranker-v2"}) {
		t.Errorf("models %v", got)
	}
	// A subnet query does not depend on the subnets' state.
	s = g.Scoped(context.Background(), inventory.PlacementQuery{SubnetIDs: []string{"subnet-0ddd000000000a001"}})
	if got := modelNames(s); !slices.Equal(got, []string{"forecast-v1"}) {
		t.Errorf("subnet query: models %v", got)
	}
}

// fakePlacement answers ModelsPlaced from a fixed list, or fails.
type fakePlacement struct {
	models []inventory.Model
	err    error
	got    []inventory.PlacementQuery
}

func (f *fakePlacement) ModelsPlaced(_ context.Context, q inventory.PlacementQuery) ([]inventory.Model, error) {
	f.got = append(f.got, q)
	return f.models, f.err
}

func TestScopedUsesThePlacementAndFallsBackWhenItFails(t *testing.T) {
	g, srv := start(t, 0)
	fraud := g.Models(context.Background(), []inventory.ModelRequest{{Name: "fraud-detector-v3"}}).Models
	before := srv.Calls("sagemaker:DescribeModel")
	p := &fakePlacement{models: fraud}
	g.Placement = p
	q := inventory.PlacementQuery{VPCID: fraudVPC}
	s := g.Scoped(context.Background(), q)
	if got := modelNames(s); !slices.Equal(got, []string{"fraud-detector-v3"}) || s.PlacementNote != "" {
		t.Errorf("models %v, note %q", got, s.PlacementNote)
	}
	if len(p.got) != 1 || p.got[0].VPCID != fraudVPC {
		t.Errorf("queries %+v", p.got)
	}
	if n := srv.Calls("sagemaker:DescribeModel") - before; n != 0 || srv.Calls("sagemaker:ListModels") != 0 {
		t.Errorf("%d DescribeModel, %d ListModels with an index", n, srv.Calls("sagemaker:ListModels"))
	}
	if s.VPCs[fraudVPC] == nil || !s.Subnets.OK() {
		t.Error("the placed models' VPC was not gathered")
	}

	p.err = errors.New("ThrottlingException: rate exceeded")
	s = g.Scoped(context.Background(), q)
	if got := modelNames(s); !slices.Equal(got, []string{"fraud-detector-v3"}) {
		t.Errorf("fallback models %v", got)
	}
	if !strings.Contains(s.PlacementNote, "full scan") || !strings.Contains(s.PlacementNote, "ThrottlingException") {
		t.Errorf("note %q", s.PlacementNote)
	}
	if srv.Calls("sagemaker:ListModels") == 0 {
		t.Error("no full scan after the index failed")
	}
}
