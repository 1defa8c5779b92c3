package remediate

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/report"
)

var planTime = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)

func planAt(s *inventory.Snapshot, holds ...ledger.Hold) []Step {
	return Plan(s, checks.Run(s, checks.Catalogue()), Options{ExemptTag: exemptTag, Now: planTime, Holds: holds})
}

func reasons(steps []Step) []string {
	var out []string
	for _, s := range steps {
		if s.Refused != "" {
			out = append(out, s.Refused)
		}
	}
	return out
}

func setVPCTags(s *inventory.Snapshot, tags map[string]string) {
	info := s.VPCs["vpc-1"].Info.Value
	info.Tags = tags
	s.VPCs["vpc-1"].Info = inventory.Known(info)
}

func TestPlanScopedExemptions(t *testing.T) {
	live := "reason=accepted; owner=ml-platform; expires=2027-03-31"
	tests := []struct {
		name    string
		snap    func() *inventory.Snapshot
		want    []string
		reasons []string
	}{
		{
			name: "VPC exempt from s3-endpoint-present: create refused, with the exemption",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				setVPCTags(s, map[string]string{exemptTag: "checks=s3-endpoint-present; " + live})
				return s
			},
			want:    []string{"create-s3-gateway-endpoint refused vpc-1,rtb-a,rtb-c,rtb-main"},
			reasons: []string{`VPC vpc-1 is exempt from s3-endpoint-present by its vpcguard:exempt tag (reason "accepted", owner ml-platform, until 2027-03-31)`},
		},
		{
			name: "VPC exempt from another check only: the repair goes ahead",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				setVPCTags(s, map[string]string{exemptTag: "checks=vpc-flow-logs; " + live})
				return s
			},
			want: []string{"create-s3-gateway-endpoint CreateVpcEndpoint vpc-1,rtb-a,rtb-c,rtb-main"},
		},
		{
			name: "VPC exemption expired: the repair goes ahead",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				setVPCTags(s, map[string]string{exemptTag: "checks=s3-endpoint-present; reason=r; owner=o; expires=2027-02-28"})
				return s
			},
			want: []string{"create-s3-gateway-endpoint CreateVpcEndpoint vpc-1,rtb-a,rtb-c,rtb-main"},
		},
		{
			name: "malformed VPC tag: fails safe, nothing changed, the problem said",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				setVPCTags(s, map[string]string{exemptTag: "checks=s3-endpoint-present; reason=r; owner=o; expires=31.03.2027"})
				return s
			},
			want:    []string{"create-s3-gateway-endpoint refused vpc-1,rtb-a,rtb-c,rtb-main"},
			reasons: []string{`vpc-1 carries a malformed vpcguard:exempt tag (expires="31.03.2027" is not a date in the form YYYY-MM-DD`},
		},
		{
			name: "route table exempt from s3-endpoint-present: left out of the create",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				setTableTags(s, "rtb-c", map[string]string{exemptTag: "checks=s3-endpoint-present " + strings.ReplaceAll(live, ";", "")})
				return s
			},
			want:    []string{"create-s3-gateway-endpoint CreateVpcEndpoint vpc-1,rtb-a,rtb-main", "create-s3-gateway-endpoint refused vpc-1,rtb-c"},
			reasons: []string{"route table rtb-c left out: it is exempt from s3-endpoint-present"},
		},
		{
			name: "model exempt from s3-endpoint-routes: its tables are not associated",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				addEndpoint(s, "vpce-1", hardenedUSEast1, "rtb-a", "rtb-main")
				s.Models[1].Tags = map[string]string{exemptTag: "checks=s3-endpoint-routes; " + live}
				return s
			},
			want:    []string{"associate-route-tables refused vpce-1,rtb-c"},
			reasons: []string{"route table rtb-c left out: it serves exempt model m2"},
		},
		{
			name: "endpoint exempt from s3-endpoint-denies-al-repos: policy left alone",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				e := addEndpoint(s, "vpce-1", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, "rtb-a", "rtb-c", "rtb-main")
				e.Tags = map[string]string{exemptTag: "checks=s3-endpoint-denies-al-repos; " + live}
				return s
			},
			want:    []string{"add-al-repo-deny refused vpce-1"},
			reasons: []string{"endpoint vpce-1 is exempt from s3-endpoint-denies-al-repos"},
		},
		{
			name: "endpoint exempt from the policy check only: routes still associated",
			snap: func() *inventory.Snapshot {
				s := newSnap()
				e := addEndpoint(s, "vpce-1", hardenedUSEast1, "rtb-a", "rtb-main")
				e.Tags = map[string]string{exemptTag: "checks=s3-endpoint-denies-al-repos; " + live}
				return s
			},
			want: []string{"associate-route-tables ModifyVpcEndpoint vpce-1,rtb-c"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			steps := planAt(tc.snap())
			if got := summary(steps); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("steps:\n  got  %q\n  want %q", got, tc.want)
			}
			got := reasons(steps)
			if len(got) != len(tc.reasons) {
				t.Fatalf("refusals %q, want %d", got, len(tc.reasons))
			}
			for i := range got {
				if !strings.Contains(got[i], tc.reasons[i]) {
					t.Errorf("refusal %d: %q does not contain %q", i, got[i], tc.reasons[i])
				}
			}
		})
	}
}

// TestPlanExemptStatusPlansNothing: with the exemptions applied to the
// results (as the handler does), a fully exempt check is not failing, so
// no step is planned at all.
func TestPlanExemptStatusPlansNothing(t *testing.T) {
	s := newSnap()
	setVPCTags(s, map[string]string{exemptTag: "checks=s3-endpoint-present; reason=r; owner=o; expires=2027-03-31"})
	results := checks.RunWith(s, checks.Catalogue(), checks.Exemptions{Tag: exemptTag, Now: planTime})
	if steps := Plan(s, results, Options{ExemptTag: exemptTag, Now: planTime}); len(steps) != 0 {
		t.Fatalf("steps %q", summary(steps))
	}
}

func TestPlanHolds(t *testing.T) {
	undone := planTime.Add(-24 * time.Hour)
	hold := func(action string, resources ...string) ledger.Hold {
		return ledger.Hold{Action: action, Account: "111122223333", Region: testRegion, VPCID: "vpc-1", Resources: resources,
			Entry: "rep-20270228T120000Z-0123abcd", Undone: undone, Until: undone.Add(ledger.HoldDuration)}
	}
	t.Run("create held", func(t *testing.T) {
		steps := planAt(newSnap(), hold(report.ActionCreateS3GatewayEndpoint, "vpc-1"))
		if got := summary(steps); !reflect.DeepEqual(got, []string{"create-s3-gateway-endpoint refused vpc-1"}) {
			t.Fatalf("steps %q", got)
		}
		if r := reasons(steps)[0]; !strings.Contains(r, "create-s3-gateway-endpoint on vpc-1 was undone at 2027-02-28T12:00:00Z (ledger entry rep-20270228T120000Z-0123abcd)") ||
			!strings.Contains(r, "until 2027-03-07T12:00:00Z") {
			t.Errorf("reason %q", r)
		}
	})
	t.Run("associate held on one table", func(t *testing.T) {
		s := newSnap()
		addEndpoint(s, "vpce-1", hardenedUSEast1, "rtb-main")
		steps := planAt(s, hold(report.ActionAssociateRouteTables, "rtb-a"))
		if got := summary(steps); !reflect.DeepEqual(got, []string{"associate-route-tables ModifyVpcEndpoint vpce-1,rtb-c", "associate-route-tables refused vpce-1,rtb-a"}) {
			t.Fatalf("steps %q", got)
		}
	})
	t.Run("policy held", func(t *testing.T) {
		s := newSnap()
		addEndpoint(s, "vpce-1", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, "rtb-a", "rtb-c", "rtb-main")
		steps := planAt(s, hold(report.ActionAddALRepoDeny, "vpce-1"))
		if got := summary(steps); !reflect.DeepEqual(got, []string{"add-al-repo-deny refused vpce-1"}) {
			t.Fatalf("steps %q", got)
		}
	})
	t.Run("a hold of another action or past its end holds nothing", func(t *testing.T) {
		old := hold(report.ActionCreateS3GatewayEndpoint, "vpc-1")
		old.Until = planTime
		steps := planAt(newSnap(), old, hold(report.ActionAddALRepoDeny, "vpc-1"))
		if got := summary(steps); !reflect.DeepEqual(got, []string{"create-s3-gateway-endpoint CreateVpcEndpoint vpc-1,rtb-a,rtb-c,rtb-main"}) {
			t.Fatalf("steps %q", got)
		}
	})
}
