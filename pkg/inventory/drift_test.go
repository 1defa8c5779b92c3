package inventory_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/awssim"
)

// The drift scopes against the demo account. Its route tables: the fraud
// VPC's main table rtb-0aaa…1 (serves subnet a001 of fraud-detector-v3),
// rtb-0aaa…3 (explicitly b001, the model's other subnet) and rtb-0aaa…2
// (the NAT subnet c001, no model); every other VPC has only its main table.

func TestRouteTableUsers(t *testing.T) {
	for _, tc := range []struct {
		table  string
		models []string
	}{
		{"rtb-0aaa0000000000001", []string{"fraud-detector-v3"}}, // main table: a001 has no explicit association
		{"rtb-0aaa0000000000003", []string{"fraud-detector-v3"}}, // explicit: b001
		{"rtb-0aaa0000000000002", nil},                           // the NAT subnet's table: no model
		{"rtb-0bbb0000000000001", []string{"churn-model-v7"}},
		{"rtb-0fff0000000000404", nil}, // gone: serves nobody
	} {
		t.Run(tc.table, func(t *testing.T) {
			g, srv := start(t, 0)
			s, err := g.RouteTableUsers(context.Background(), tc.table)
			if err != nil {
				t.Fatal(err)
			}
			if got := modelNames(s); !slices.Equal(got, tc.models) {
				t.Errorf("models %v, want %v", got, tc.models)
			}
			if tc.models != nil && (s.VPCs[s.ModelVPC(s.Models[0])] == nil || len(s.VPCs) != 1) {
				t.Errorf("VPCs %v", s.VPCs)
			}
			if tc.table == "rtb-0fff0000000000404" && srv.Calls("sagemaker:ListModels") != 0 {
				t.Error("a table that does not exist still scanned the models")
			}
		})
	}
}

// The table's VPC cannot be read: the affected models cannot be told, an
// error (never "no model affected").
func TestRouteTableUsersFailsWhenTheTableCannotBeRead(t *testing.T) {
	g, srv := start(t, 0)
	if err := srv.SetFault("ec2:DescribeRouteTables", awssim.Fault{AccessDenied: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.RouteTableUsers(context.Background(), "rtb-0aaa0000000000001"); err == nil || !strings.Contains(err.Error(), "UnauthorizedOperation") {
		t.Fatalf("err = %v, want the denied DescribeRouteTables", err)
	}
}

func TestMainTableUsers(t *testing.T) {
	g, srv := start(t, 2)
	s, err := g.MainTableUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// fraud-detector-v3 (a001 on the main table), churn, recsys and
	// forecast (main tables only); legacy-nlp-v1 has no VpcConfig.
	if got := modelNames(s); !slices.Equal(got, []string{"churn-model-v7", "forecast-v1", "fraud-detector-v3", "recsys-ranker-v2"}) {
		t.Errorf("models %v", got)
	}
	if srv.Calls("ec2:DescribeSubnets") < 4 {
		t.Errorf("%d DescribeSubnets calls: the region's 8 subnets at page size 2 take 4 pages (plus the models' own)", srv.Calls("ec2:DescribeSubnets"))
	}

	if err := srv.SetFault("ec2:DescribeSubnets", awssim.Fault{AccessDenied: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.MainTableUsers(context.Background()); err == nil || !strings.Contains(err.Error(), "describe subnets") {
		t.Errorf("err = %v", err)
	}
}

func TestFlowLogGaps(t *testing.T) {
	// The demo's churn VPC has no flow log; the others have an active one.
	g, _ := start(t, 0)
	s, err := g.FlowLogGaps(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := modelNames(s); !slices.Equal(got, []string{"churn-model-v7"}) {
		t.Errorf("models %v", got)
	}

	// A flow log that stopped delivering (status not ACTIVE) leaves a gap too.
	g, srv := startScenario(t, "demo", func(sc *awssim.Scenario) {
		for i := range sc.FlowLogs {
			if sc.FlowLogs[i].Resource == fraudVPC {
				sc.FlowLogs[i].Status = "INACTIVE"
			}
		}
	})
	s, err = g.FlowLogGaps(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := modelNames(s); !slices.Equal(got, []string{"churn-model-v7", "fraud-detector-v3"}) {
		t.Errorf("models %v", got)
	}
	if err := srv.SetFault("ec2:DescribeFlowLogs", awssim.Fault{AccessDenied: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.FlowLogGaps(context.Background()); err == nil || !strings.Contains(err.Error(), "describe flow logs") {
		t.Errorf("err = %v", err)
	}
}

func TestEndpointCapacityCountsTheDesiredInstances(t *testing.T) {
	for _, tc := range []struct {
		name    string
		desired int32 // 0: the config's initial 2
		max     int32 // 0: no scalable target
		want    int
		from    string
	}{
		{"initial", 0, 0, 2, "variant AllTraffic: 2, desired"},
		{"desired after UpdateEndpointWeightsAndCapacities", 7, 0, 7, "variant AllTraffic: 7, desired"},
		{"autoscaling max above the desired count", 3, 9, 9, "autoscaling max of variant AllTraffic: 9, desired 3"},
		{"desired above the autoscaling max", 6, 4, 6, "variant AllTraffic: 6, desired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := startScenario(t, "demo", func(sc *awssim.Scenario) {
				if tc.desired > 0 {
					sc.Endpoints[0].Instances = map[string]int32{"AllTraffic": tc.desired}
				}
				if tc.max > 0 {
					sc.ScalableTargets = append(sc.ScalableTargets, awssim.ScalableTarget{
						ResourceID: "endpoint/churn-endpoint/variant/AllTraffic", MinCapacity: awssim.Ptr(int32(1)), MaxCapacity: tc.max,
					})
				}
			})
			s := g.EndpointCapacity(context.Background(), "churn-endpoint")
			if len(s.Models) != 1 || len(s.ModelErrs) != 0 {
				t.Fatalf("models %+v, errs %v", s.Models, s.ModelErrs)
			}
			m := s.Models[0]
			if m.Name != "churn-model-v7" || m.Instances != tc.want || !strings.Contains(m.InstancesFrom, tc.from) ||
				m.Via != "endpoint churn-endpoint (config churn-config-v7)" {
				t.Errorf("model %s: %d instances from %q via %q", m.Name, m.Instances, m.InstancesFrom, m.Via)
			}
		})
	}
	g, _ := start(t, 0)
	s := g.EndpointCapacity(context.Background(), "no-such-endpoint")
	if err := s.ModelErrs["endpoint no-such-endpoint"]; err == nil || !strings.Contains(err.Error(), "ValidationException") {
		t.Errorf("errs %v", s.ModelErrs)
	}
}
