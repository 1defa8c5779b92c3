package placement

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/state"
)

// EntryOf is the entry of model m of snapshot s, and false when the model
// cannot be indexed: it has a VpcConfig but its VPC is unknown (its subnets
// could not be read), so no VPC query could find it.
func (p *Scope) EntryOf(s *inventory.Snapshot, m inventory.Model) (Entry, bool) {
	e := Entry{
		Account: p.account, Region: p.region, Name: m.Name, ARN: m.ARN, Created: m.Created.UTC(),
		ExecutionRoleARN: m.ExecutionRoleARN, ArtifactBuckets: m.ArtifactBuckets, Artifacts: m.Artifacts,
		Indexed: p.x.now().UTC(),
	}
	if m.VPCConfig != nil {
		e.VPCID = s.ModelVPC(m)
		if e.VPCID == "" || m.Created.IsZero() {
			return Entry{}, false
		}
		e.SubnetIDs, e.SecurityGroupIDs = m.VPCConfig.SubnetIDs, m.VPCConfig.SecurityGroupIDs
	}
	return e, !m.Created.IsZero()
}

// Upkeep is what one event did to the index.
type Upkeep struct {
	Added, Removed []string // model names
	Endpoint       string   // the endpoint written or removed
	// Unindexed are the models that could not be indexed (VPC unknown); the
	// index was invalidated because of them.
	Unindexed []string
}

// String describes the upkeep in one line ("" when nothing happened).
func (u Upkeep) String() string {
	var parts []string
	if len(u.Added) > 0 {
		parts = append(parts, "indexed model "+strings.Join(u.Added, ", "))
	}
	if len(u.Removed) > 0 {
		parts = append(parts, "removed model "+strings.Join(u.Removed, ", "))
	}
	if u.Endpoint != "" {
		parts = append(parts, u.Endpoint)
	}
	if len(u.Unindexed) > 0 {
		parts = append(parts, "could not index "+strings.Join(u.Unindexed, ", ")+" (VPC unknown): index invalidated until the next sweep")
	}
	return strings.Join(parts, "; ")
}

// Prior is what the index held of some models, by lower-cased name (nil:
// not indexed), read ahead of AddModels (beside the evaluation) so that it
// need not read them again.
type Prior map[string]*Entry

// Prior reads the entries of the named models.
func (p *Scope) Prior(ctx context.Context, names ...string) (Prior, error) {
	out := Prior{}
	for _, name := range names {
		e, found, err := p.Model(ctx, name)
		if err != nil {
			return nil, err
		}
		out[strings.ToLower(name)] = nil
		if found {
			out[strings.ToLower(name)] = &e
		}
	}
	return out, nil
}

// AddModels indexes the described models of s (those the index did not
// give). A model already indexed with the same creation time is left as it
// is; one recreated under the same name replaces its old entry and copies.
// prior (may be nil) holds entries already read. A model that cannot be
// indexed invalidates the index.
func (p *Scope) AddModels(ctx context.Context, s *inventory.Snapshot, prior Prior) (Upkeep, error) {
	var u Upkeep
	var puts []state.Entry
	var dels []state.Key
	for _, m := range s.Models {
		if m.Indexed {
			continue
		}
		e, ok := p.EntryOf(s, m)
		if !ok {
			u.Unindexed = append(u.Unindexed, m.Name)
			continue
		}
		var old Entry
		var found bool
		if e, ok := prior[strings.ToLower(m.Name)]; ok {
			if found = e != nil; found {
				old = *e
			}
		} else {
			var err error
			if old, found, err = p.Model(ctx, m.Name); err != nil {
				return u, p.invalidateAfter(ctx, err)
			}
		}
		if found && old.Created.Equal(e.Created) {
			continue
		}
		if found {
			dels = append(dels, p.staleCopies(old, e)...)
		}
		puts = append(puts, p.copies(e)...)
		u.Added = append(u.Added, m.Name)
	}
	if len(puts)+len(dels) > 0 {
		if err := p.x.store.WriteBatch(ctx, puts, dels); err != nil {
			return u, p.invalidateAfter(ctx, err)
		}
	}
	if len(u.Unindexed) > 0 {
		if err := p.Invalidate(ctx); err != nil {
			return u, fmt.Errorf("placement index: %s could not be indexed (VPC unknown) and %w", strings.Join(u.Unindexed, ", "), err)
		}
	}
	return u, nil
}

// copies are the items of entry e: one per partition.
func (p *Scope) copies(e Entry) []state.Entry {
	var out []state.Entry
	for _, pk := range p.partitions(e) {
		out = append(out, state.Entry{Key: state.Key{PK: pk, SK: modelSK(e.Name)}, Record: e})
	}
	return out
}

// keysOf are the keys of every copy of e.
func (p *Scope) keysOf(e Entry) []state.Key {
	var out []state.Key
	for _, pk := range p.partitions(e) {
		out = append(out, state.Key{PK: pk, SK: modelSK(e.Name)})
	}
	return out
}

// staleCopies are the copies of old that next does not overwrite.
func (p *Scope) staleCopies(old, next Entry) []state.Key {
	keep := p.keysOf(next)
	return slices.DeleteFunc(p.keysOf(old), func(k state.Key) bool { return slices.Contains(keep, k) })
}

// RemoveModel drops model name from the index: a DeleteModel made at
// deleted. An entry created at or after that moment (the model was created
// again under the same name, and the delete event arrived late) is kept.
func (p *Scope) RemoveModel(ctx context.Context, name string, deleted time.Time) (Upkeep, error) {
	old, found, err := p.Model(ctx, name)
	if err != nil {
		return Upkeep{}, p.invalidateAfter(ctx, err)
	}
	if !found || (!deleted.IsZero() && !old.Created.Before(deleted)) {
		return Upkeep{}, nil
	}
	if err := p.x.store.WriteBatch(ctx, nil, p.keysOf(old)); err != nil {
		return Upkeep{}, p.invalidateAfter(ctx, err)
	}
	return Upkeep{Removed: []string{old.Name}}, nil
}

// Forget drops models that no longer exist (found gone on a re-read).
func (p *Scope) Forget(ctx context.Context, names []string) (Upkeep, error) {
	var u Upkeep
	for _, name := range names {
		r, err := p.RemoveModel(ctx, name, time.Time{})
		u.Removed = append(u.Removed, r.Removed...)
		if err != nil {
			return u, err
		}
	}
	return u, nil
}

// PutEndpoint records that endpoint use.Name runs config use.Config, whose
// variants serve use.Models, replacing what the index said of it.
func (p *Scope) PutEndpoint(ctx context.Context, use inventory.EndpointUse) (Upkeep, error) {
	if use.Name == "" || use.Config == "" {
		return Upkeep{}, nil
	}
	old, err := p.endpoint(ctx, use.Name)
	if err != nil {
		return Upkeep{}, p.invalidateAfter(ctx, err)
	}
	next := p.endpointOf(use)
	if old != nil && old.Config == next.Config && slices.Equal(old.Models, next.Models) {
		return Upkeep{}, nil
	}
	puts, dels := p.endpointWrites(old, &next)
	if err := p.x.store.WriteBatch(ctx, puts, dels); err != nil {
		return Upkeep{}, p.invalidateAfter(ctx, err)
	}
	return Upkeep{Endpoint: fmt.Sprintf("endpoint %s → config %s → models %s", use.Name, use.Config, strings.Join(use.Models, ", "))}, nil
}

// endpointOf is the record of use, its models sorted (so that two reads of
// one config compare equal).
func (p *Scope) endpointOf(use inventory.EndpointUse) Endpoint {
	models := slices.Clone(use.Models)
	slices.Sort(models)
	return Endpoint{Name: use.Name, Config: use.Config, Models: slices.Compact(models), Indexed: p.x.now().UTC()}
}

// RemoveEndpoint drops an endpoint from the index (DeleteEndpoint).
func (p *Scope) RemoveEndpoint(ctx context.Context, name string) (Upkeep, error) {
	old, err := p.endpoint(ctx, name)
	if err != nil {
		return Upkeep{}, p.invalidateAfter(ctx, err)
	}
	if old == nil {
		return Upkeep{}, nil
	}
	puts, dels := p.endpointWrites(old, nil)
	if err := p.x.store.WriteBatch(ctx, puts, dels); err != nil {
		return Upkeep{}, p.invalidateAfter(ctx, err)
	}
	return Upkeep{Endpoint: "removed endpoint " + old.Name}, nil
}

func (p *Scope) endpoint(ctx context.Context, name string) (*Endpoint, error) {
	it, found, err := p.x.store.Get(ctx, state.Key{PK: p.endpointsPK(), SK: endpointSK(name)})
	if err != nil || !found {
		return nil, err
	}
	var e Endpoint
	if err := it.Decode(&e); err != nil {
		return nil, err
	}
	return &e, nil
}

// endpointWrites turns old (nil: none) into next (nil: removed): the
// endpoint record and one link per model it serves.
func (p *Scope) endpointWrites(old, next *Endpoint) ([]state.Entry, []state.Key) {
	var puts []state.Entry
	var dels []state.Key
	var keep []string
	if next != nil {
		puts = append(puts, state.Entry{Key: state.Key{PK: p.endpointsPK(), SK: endpointSK(next.Name)}, Record: *next})
		for _, m := range next.Models {
			puts = append(puts, state.Entry{Key: state.Key{PK: p.modelEndpointsPK(m), SK: endpointSK(next.Name)}, Record: *next})
			keep = append(keep, strings.ToLower(m))
		}
	}
	if old != nil {
		if next == nil {
			dels = append(dels, state.Key{PK: p.endpointsPK(), SK: endpointSK(old.Name)})
		}
		for _, m := range old.Models {
			if !slices.Contains(keep, strings.ToLower(m)) {
				dels = append(dels, state.Key{PK: p.modelEndpointsPK(m), SK: endpointSK(old.Name)})
			}
		}
	}
	return puts, dels
}

// Invalidate removes the built record: until a sweep rebuilds the index,
// ModelsPlaced answers ErrNotBuilt and events scan the account.
func (p *Scope) Invalidate(ctx context.Context) error {
	if err := p.x.store.Delete(ctx, p.builtKey()); err != nil {
		return fmt.Errorf("placement index: invalidate: %w", err)
	}
	return nil
}

// ErrInvalidated marks an upkeep error after which the index was
// invalidated: it is safe (events scan until a sweep rebuilds it), so the
// event need not be retried for the index's sake.
var ErrInvalidated = errors.New("the index was invalidated: events scan the account until the next sweep rebuilds it")

// invalidateAfter invalidates the index after a failed upkeep (a lost
// write must not hide a model) and returns the error, marked
// ErrInvalidated when the invalidation succeeded.
func (p *Scope) invalidateAfter(ctx context.Context, err error) error {
	err = fmt.Errorf("placement index upkeep: %w", err)
	if ierr := p.Invalidate(ctx); ierr != nil {
		return errors.Join(err, ierr)
	}
	return fmt.Errorf("%w; %w", err, ErrInvalidated)
}
