//go:build e2e

package e2e_test

import (
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/e2e"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// TestDriftEdges runs the drift edge cases through the function binaries
// (TestDemoEvents and TestDemoRemediate replay every drift sample of events/
// in the demo's story): the function each call reaches, a change that
// touches no model (skipped, nothing sent), a scope that cannot be read
// (every check unknown and notified), and an Application Auto Scaling
// target that is not a SageMaker variant.
func TestDriftEdges(t *testing.T) {
	report_ := map[string]string{"VPCGUARD_MODE": "report"}
	for _, tc := range []struct {
		name     string
		event    func(t *testing.T) e2e.Event
		fault    string
		function string
		skipped  string
		unknown  []string
	}{
		{name: "a group no model uses", function: "endpointguard",
			event: func(t *testing.T) e2e.Event {
				return eventFile(t, "ec2-RevokeSecurityGroupEgress-bastion-group-no-model.json")
			},
			skipped: "no SageMaker model uses security group sg-0aaa0000000000009: nothing to evaluate"},
		{name: "the region's subnets unreadable after a disassociation", function: "endpointguard", fault: "ec2:DescribeSubnets",
			event: func(t *testing.T) e2e.Event {
				// Against the demo account as it starts, b001's association is rtb-0aaa…3's.
				return edit(t, "ec2-DisassociateRouteTable-fraud-subnet-falls-back-to-main-table.json", "DisassociateRouteTable-b001.json", func(_, detail map[string]any) {
					detail["requestParameters"] = map[string]any{"associationId": "rtbassoc-03d77bcbbb67b1d5d"}
				})
			},
			unknown: []string{checks.S3EndpointRoutes, checks.OutboundAccess}},
		{name: "a route table unreadable", function: "endpointguard", fault: "ec2:DescribeRouteTables",
			event:   func(t *testing.T) e2e.Event { return eventFile(t, "ec2-DeleteRoute-fraud-main-table-loses-nat.json") },
			unknown: []string{checks.S3EndpointRoutes, checks.OutboundAccess}},
		{name: "an ECS scalable target", function: "modelguard",
			event: func(t *testing.T) e2e.Event {
				return edit(t, "autoscaling-RegisterScalableTarget-churn-endpoint-max-100.json", "RegisterScalableTarget-ecs.json", func(_, detail map[string]any) {
					req := detail["requestParameters"].(map[string]any)
					req["serviceNamespace"], req["resourceId"], req["scalableDimension"] = "ecs", "service/web/api", "ecs:service:DesiredCount"
				})
			},
			skipped: "is not a SageMaker endpoint variant's instance count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := session(t, "demo", report_, func(sc *awssim.Scenario) {
				if tc.fault != "" {
					sc.Faults = map[string]awssim.Fault{tc.fault: {AccessDenied: true}}
				}
			})
			ev := tc.event(t)
			if got := e2e.FunctionFor(ev); got != tc.function {
				t.Fatalf("%s reaches %s, want %s", ev.File, got, tc.function)
			}
			// Invoked, not enacted: the account keeps its state (and the
			// fault would deny the enactment's own reads).
			o := invoke(t, s, tc.function, ev)
			r := mustResult(t, o)
			wantWrites(t, o)
			wantNotified(t, o, false)
			if tc.skipped != "" {
				if !strings.Contains(r.Skipped, tc.skipped) || len(r.Checks) != 0 {
					t.Errorf("skipped %q with %d checks, want %q", r.Skipped, len(r.Checks), tc.skipped)
				}
				if len(o.Deliveries) != 0 || len(o.Events) != 0 {
					t.Errorf("a skipped drift event sent %d emails and %d events", len(o.Deliveries), len(o.Events))
				}
				return
			}
			if r.Skipped != "" || len(r.Checks) != len(tc.unknown) {
				t.Fatalf("skipped %q, checks %+v", r.Skipped, r.Checks)
			}
			for _, c := range r.Checks {
				if c.Status != report.StatusUnknown || !strings.Contains(c.Message, "UnauthorizedOperation") {
					t.Errorf("%s = %s: %s", c.ID, c.Status, c.Message)
				}
			}
			if len(o.Deliveries) != 1 {
				t.Errorf("%d emails for unknown checks, want 1", len(o.Deliveries))
			}
		})
	}
}
