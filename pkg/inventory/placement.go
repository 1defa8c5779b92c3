package inventory

import (
	"context"
	"fmt"
	"slices"
)

// PlacementQuery names what a change touched. Set fields combine with OR:
// a model is selected when it is placed in VPCID, or uses one of SubnetIDs,
// or one of SecurityGroupIDs. An empty query selects nothing.
type PlacementQuery struct {
	VPCID            string
	SubnetIDs        []string
	SecurityGroupIDs []string
}

// Empty reports whether q selects nothing.
func (q PlacementQuery) Empty() bool {
	return q.VPCID == "" && len(q.SubnetIDs) == 0 && len(q.SecurityGroupIDs) == 0
}

// Placement finds the models a change affects, fully described (VpcConfig,
// role, artifact buckets, tags). A model never changes after CreateModel, so
// an index may answer without describing them again. The state table's
// placement index implements it; a nil Placement makes the gatherer list and
// describe every model of the account (the full scan).
type Placement interface {
	ModelsPlaced(ctx context.Context, q PlacementQuery) ([]Model, error)
}

// Scoped gathers the state behind a change that q describes: the models it
// selects and the network state of their VPCs (and of q.VPCID). The models
// come from g.Placement when it is set; when it is nil, or fails, every
// model is listed and described and the query filters them (the full scan;
// the reason is kept in s.PlacementNote).
func (g *Gatherer) Scoped(ctx context.Context, q PlacementQuery) *Snapshot {
	s := g.newSnapshot()
	if q.Empty() {
		return s
	}
	if g.Placement != nil {
		models, err := g.Placement.ModelsPlaced(ctx, q)
		if err == nil {
			s.Models = models
			g.gatherPlacementOf(ctx, s, q.VPCID)
			return s
		}
		s.PlacementNote = fmt.Sprintf("placement index unreadable, full scan instead: %v", err)
	}
	s.Models = g.allModels(ctx, s)
	g.gatherSubnetsAndGroups(ctx, s, false) // the subnets place every model
	s.Models = slices.DeleteFunc(s.Models, func(m Model) bool { return !q.selects(s, m) })
	g.gatherPlacementOf(ctx, s, q.VPCID)
	return s
}

// selects reports whether m is placed where q points; the VPC comes from
// the snapshot's subnets.
func (q PlacementQuery) selects(s *Snapshot, m Model) bool {
	if m.VPCConfig == nil {
		return false
	}
	if q.VPCID != "" {
		if s.ModelVPC(m) == q.VPCID {
			return true
		}
		// Subnets unread: the model's VPC cannot be told, and dropping it
		// would read as "no model here". It stays, and its checks say why
		// they are unknown.
		if !s.Subnets.OK() {
			return true
		}
	}
	for _, id := range m.VPCConfig.SubnetIDs {
		if slices.Contains(q.SubnetIDs, id) {
			return true
		}
	}
	for _, id := range m.VPCConfig.SecurityGroupIDs {
		if slices.Contains(q.SecurityGroupIDs, id) {
			return true
		}
	}
	return false
}

// gatherPlacementOf reads the subnets, groups, roles and buckets of the
// snapshot's models, then their VPCs and vpc.
func (g *Gatherer) gatherPlacementOf(ctx context.Context, s *Snapshot, vpc string) {
	g.gatherSubnetsAndGroups(ctx, s, true)
	g.gatherVPCs(ctx, s, g.modelVPCs(s, vpc))
}
