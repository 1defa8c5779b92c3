package placement_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/placement"
	"github.com/vpcguard/vpcguard/pkg/state"
	"github.com/vpcguard/vpcguard/pkg/state/statetest"
)

const (
	account = "111122223333"
	region  = "us-east-1"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// snapshot places models m (name → subnets) in VPCs: subnet-a* in vpc-a,
// subnet-b* in vpc-b; "" subnets means no VpcConfig.
func snapshot(models ...inventory.Model) *inventory.Snapshot {
	s := &inventory.Snapshot{Account: account, Region: region, Subnets: inventory.Known(map[string]inventory.Subnet{
		"subnet-a1": {ID: "subnet-a1", VPCID: "vpc-a"}, "subnet-a2": {ID: "subnet-a2", VPCID: "vpc-a"},
		"subnet-b1": {ID: "subnet-b1", VPCID: "vpc-b"},
	})}
	s.Models = models
	return s
}

func model(name string, created time.Time, sg string, subnets ...string) inventory.Model {
	m := inventory.Model{Name: name, ARN: "arn:aws:sagemaker:us-east-1:111122223333:model/" + name, Created: created,
		ExecutionRoleARN: "arn:aws:iam::111122223333:role/exec", ArtifactBuckets: []string{"bucket"},
		Artifacts: []inventory.Artifact{{Field: "ModelDataUrl", URI: "s3://bucket/" + name + "/model.tar.gz", Bucket: "bucket", Key: name + "/model.tar.gz"}}}
	if len(subnets) > 0 {
		m.VPCConfig = &inventory.VPCConfig{SubnetIDs: subnets, SecurityGroupIDs: []string{sg}}
	}
	return m
}

func eachBackend(t *testing.T, fn func(t *testing.T, b *statetest.Backend, p *placement.Scope)) {
	for _, b := range statetest.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			x := placement.New(state.New(b.Client, statetest.Table)).WithClock(func() time.Time { return t0 })
			fn(t, b, x.In(account, region))
		})
	}
}

func names(ms []inventory.Model) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	sort.Strings(out)
	return out
}

// build marks the index built by a sweep that listed exactly models.
func build(t *testing.T, p *placement.Scope, listed ...inventory.Model) {
	t.Helper()
	ctx := context.Background()
	known, err := p.Models(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var listing []inventory.ModelSummary
	for _, m := range listed {
		listing = append(listing, inventory.ModelSummary{Name: m.Name, Created: m.Created})
	}
	out, err := p.Sync(ctx, known, placement.Sweep{ID: "test", Listed: t0.Add(time.Hour), Listing: listing, Snapshot: snapshot()})
	if err != nil || !out.Built {
		t.Fatalf("sync: %+v, %v", out, err)
	}
}

func TestModelsPlaced(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *statetest.Backend, p *placement.Scope) {
		ctx := context.Background()
		fraud := model("Fraud", t0, "sg-1", "subnet-a1", "subnet-a2")
		churn := model("churn", t0, "sg-2", "subnet-a2")
		other := model("other", t0, "sg-1", "subnet-b1")
		noVPC := model("legacy", t0, "")
		u, err := p.AddModels(ctx, snapshot(fraud, churn, other, noVPC), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(u.Added) != 4 {
			t.Errorf("added %v, want 4 models", u.Added)
		}
		if _, err := p.ModelsPlaced(ctx, inventory.PlacementQuery{VPCID: "vpc-a"}); !errors.Is(err, placement.ErrNotBuilt) {
			t.Fatalf("before a sweep built it: %v, want ErrNotBuilt", err)
		}
		build(t, p, fraud, churn, other, noVPC)
		for _, tc := range []struct {
			q    inventory.PlacementQuery
			want []string
		}{
			{inventory.PlacementQuery{VPCID: "vpc-a"}, []string{"Fraud", "churn"}},
			{inventory.PlacementQuery{VPCID: "vpc-b"}, []string{"other"}},
			{inventory.PlacementQuery{SubnetIDs: []string{"subnet-a1"}}, []string{"Fraud"}},
			{inventory.PlacementQuery{SecurityGroupIDs: []string{"sg-1"}}, []string{"Fraud", "other"}},
			{inventory.PlacementQuery{VPCID: "vpc-b", SubnetIDs: []string{"subnet-a2"}}, []string{"Fraud", "churn", "other"}},
			{inventory.PlacementQuery{VPCID: "vpc-none"}, nil},
			{inventory.PlacementQuery{}, nil},
		} {
			got, err := p.ModelsPlaced(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if n := names(got); !slices.Equal(n, tc.want) {
				t.Errorf("ModelsPlaced(%+v) = %q, want %q", tc.q, n, tc.want)
			}
		}
		got, _ := p.ModelsPlaced(ctx, inventory.PlacementQuery{SubnetIDs: []string{"subnet-a1"}})
		m := got[0]
		if !m.Indexed || m.Tags != nil || !m.Created.Equal(t0) || m.ARN != fraud.ARN || !slices.Equal(m.VPCConfig.SubnetIDs, fraud.VPCConfig.SubnetIDs) ||
			!slices.Equal(m.Artifacts, fraud.Artifacts) || m.ExecutionRoleARN != fraud.ExecutionRoleARN {
			t.Errorf("model from the index = %+v, want %+v marked Indexed without tags", m, fraud)
		}
		// Indexing the same models again writes nothing.
		if b.Sim != nil {
			before := b.Sim.Calls("dynamodb:BatchWriteItem")
			if u, err := p.AddModels(ctx, snapshot(fraud, churn), nil); err != nil || len(u.Added) != 0 {
				t.Errorf("re-adding: %+v, %v", u, err)
			}
			if n := b.Sim.Calls("dynamodb:BatchWriteItem") - before; n != 0 {
				t.Errorf("re-adding unchanged models made %d batch writes", n)
			}
		}
	})
}

func TestRecreatedAndDeletedModels(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *statetest.Backend, p *placement.Scope) {
		ctx := context.Background()
		v1 := model("churn", t0, "sg-1", "subnet-a1")
		p.AddModels(ctx, snapshot(v1), nil)
		build(t, p, v1)
		// Deleted, then created again under the same name in another VPC.
		v2 := model("churn", t0.Add(time.Minute), "sg-2", "subnet-b1")
		if u, err := p.AddModels(ctx, snapshot(v2), nil); err != nil || len(u.Added) != 1 {
			t.Fatalf("recreate: %+v, %v", u, err)
		}
		for q, want := range map[string][]string{"vpc-a": nil, "vpc-b": {"churn"}} {
			got, err := p.ModelsPlaced(ctx, inventory.PlacementQuery{VPCID: q})
			if err != nil || !slices.Equal(names(got), want) {
				t.Errorf("%s after the re-creation: %q, %v; want %q", q, names(got), err, want)
			}
		}
		if got, _ := p.ModelsPlaced(ctx, inventory.PlacementQuery{SecurityGroupIDs: []string{"sg-1"}}); len(got) != 0 {
			t.Errorf("the old copies remain: %q", names(got))
		}
		// The first model's DeleteModel, arriving late, keeps the new one.
		if u, err := p.RemoveModel(ctx, "CHURN", t0.Add(30*time.Second)); err != nil || len(u.Removed) != 0 {
			t.Errorf("late delete of the old model: %+v, %v; want nothing removed", u, err)
		}
		if u, err := p.RemoveModel(ctx, "churn", t0.Add(2*time.Minute)); err != nil || !slices.Equal(u.Removed, []string{"churn"}) {
			t.Errorf("delete: %+v, %v", u, err)
		}
		all, _ := p.Models(ctx)
		got, _ := p.ModelsPlaced(ctx, inventory.PlacementQuery{VPCID: "vpc-b", SecurityGroupIDs: []string{"sg-2"}, SubnetIDs: []string{"subnet-b1"}})
		if len(all) != 0 || len(got) != 0 {
			t.Errorf("after DeleteModel the index holds %v and %q", all, names(got))
		}
	})
}

func TestEndpoints(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *statetest.Backend, p *placement.Scope) {
		ctx := context.Background()
		if _, err := p.PutEndpoint(ctx, inventory.EndpointUse{Name: "churn-endpoint", Config: "cfg-v7", Models: []string{"churn-v7", "shadow"}}); err != nil {
			t.Fatal(err)
		}
		serving := func(model string) []string {
			eps, err := p.EndpointsServing(ctx, model)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range eps {
				out = append(out, e.Name+"@"+e.Config)
			}
			return out
		}
		if got := serving("CHURN-V7"); !slices.Equal(got, []string{"churn-endpoint@cfg-v7"}) {
			t.Errorf("endpoints of churn-v7: %q", got)
		}
		// UpdateEndpoint to a config with another model.
		if _, err := p.PutEndpoint(ctx, inventory.EndpointUse{Name: "churn-endpoint", Config: "cfg-v8", Models: []string{"churn-v8", "shadow"}}); err != nil {
			t.Fatal(err)
		}
		if got := serving("churn-v7"); len(got) != 0 {
			t.Errorf("churn-v7 still served by %q", got)
		}
		if got := serving("shadow"); !slices.Equal(got, []string{"churn-endpoint@cfg-v8"}) {
			t.Errorf("endpoints of shadow: %q", got)
		}
		if _, err := p.RemoveEndpoint(ctx, "churn-endpoint"); err != nil {
			t.Fatal(err)
		}
		eps, _ := p.Endpoints(ctx)
		if got := serving("churn-v8"); len(got) != 0 || len(eps) != 0 {
			t.Errorf("after DeleteEndpoint: %q, %v", got, eps)
		}
	})
}

func TestSync(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *statetest.Backend, p *placement.Scope) {
		ctx := context.Background()
		gone := model("gone", t0, "sg-1", "subnet-a1")
		kept := model("kept", t0, "sg-1", "subnet-a1")
		p.AddModels(ctx, snapshot(gone, kept), nil)
		p.PutEndpoint(ctx, inventory.EndpointUse{Name: "old-endpoint", Config: "c1", Models: []string{"gone"}})
		// An event indexes a model after the sweep listed the account.
		late := model("late", t0.Add(2*time.Hour), "sg-1", "subnet-a1")
		lateIdx := placement.New(state.New(b.Client, statetest.Table)).WithClock(func() time.Time { return t0.Add(2 * time.Hour) }).In(account, region)
		lateIdx.AddModels(ctx, snapshot(late), nil)

		known, err := p.Models(ctx)
		if err != nil || len(known) != 3 {
			t.Fatalf("known = %v, %v", known, err)
		}
		fresh := model("fresh", t0, "sg-2", "subnet-b1")
		listing := []inventory.ModelSummary{{Name: "kept", Created: t0}, {Name: "fresh", Created: t0}}
		out, err := p.Sync(ctx, known, placement.Sweep{
			ID: "sweep-1", Listed: t0.Add(time.Hour), Listing: listing, Snapshot: snapshot(fresh),
			Endpoints: []inventory.EndpointUse{{Name: "new-endpoint", Config: "c2", Models: []string{"fresh"}}}, EndpointsRead: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		if out.Added != 1 || out.Removed != 1 || out.EndpointsWritten != 1 || out.EndpointsGone != 1 || !out.Built {
			t.Errorf("sync = %+v, want 1 added, 1 removed (gone, not late), 1 endpoint written, 1 gone, built", out)
		}
		all, _ := p.Models(ctx)
		var got []string
		for k := range all {
			got = append(got, k)
		}
		sort.Strings(got)
		if !slices.Equal(got, []string{"fresh", "kept", "late"}) {
			t.Errorf("index after the sweep: %q", got)
		}
		if eps, _ := p.EndpointsServing(ctx, "fresh"); len(eps) != 1 {
			t.Errorf("endpoints of fresh: %v", eps)
		}
		// A sweep that did not read a listed model does not mark it built.
		p.Invalidate(ctx)
		listing = append(listing, inventory.ModelSummary{Name: "unread", Created: t0})
		known, _ = p.Models(ctx)
		out, err = p.Sync(ctx, known, placement.Sweep{ID: "sweep-2", Listed: t0.Add(3 * time.Hour), Listing: listing, Snapshot: snapshot()})
		if err != nil || out.Built {
			t.Errorf("sync with an unread model: %+v, %v; want not built", out, err)
		}
		if _, err := p.Built(ctx); !errors.Is(err, placement.ErrNotBuilt) {
			t.Errorf("Built = %v", err)
		}
	})
}

// A model whose VPC is unknown cannot be found by a VPC query: indexing it
// is refused and the index invalidated, so events scan instead.
func TestUnplaceableModelInvalidates(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *statetest.Backend, p *placement.Scope) {
		ctx := context.Background()
		ok := model("ok", t0, "sg-1", "subnet-a1")
		p.AddModels(ctx, snapshot(ok), nil)
		build(t, p, ok)
		lost := model("lost", t0, "sg-1", "subnet-unknown")
		u, err := p.AddModels(ctx, snapshot(lost), nil)
		if err != nil || !slices.Equal(u.Unindexed, []string{"lost"}) {
			t.Fatalf("AddModels = %+v, %v", u, err)
		}
		if _, err := p.ModelsPlaced(ctx, inventory.PlacementQuery{VPCID: "vpc-a"}); !errors.Is(err, placement.ErrNotBuilt) {
			t.Errorf("after an unplaceable model: %v, want ErrNotBuilt", err)
		}
	})
}

// A failed upkeep write invalidates the index; an unreadable index is an
// error for the gatherer to fall back on.
func TestFailuresInvalidate(t *testing.T) {
	b := statetest.Awssim(t)
	p := placement.New(state.New(b.Client, statetest.Table)).WithClock(func() time.Time { return t0 }).In(account, region)
	ctx := context.Background()
	ok := model("ok", t0, "sg-1", "subnet-a1")
	p.AddModels(ctx, snapshot(ok), nil)
	build(t, p, ok)
	b.Sim.SetFault("dynamodb:BatchWriteItem", awssim.Fault{InternalError: true})
	if _, err := p.AddModels(ctx, snapshot(model("new", t0, "sg-1", "subnet-a1")), nil); err == nil {
		t.Error("a failed write is no error")
	}
	b.Sim.ClearFaults()
	if _, err := p.ModelsPlaced(ctx, inventory.PlacementQuery{VPCID: "vpc-a"}); !errors.Is(err, placement.ErrNotBuilt) {
		t.Errorf("after a failed write: %v, want ErrNotBuilt", err)
	}
	build(t, p, ok)
	b.Sim.SetFault("dynamodb:Query", awssim.Fault{AccessDenied: true})
	if _, err := p.ModelsPlaced(ctx, inventory.PlacementQuery{VPCID: "vpc-a"}); err == nil || errors.Is(err, placement.ErrNotBuilt) {
		t.Errorf("unreadable index: %v, want the AccessDenied error", err)
	}
}
