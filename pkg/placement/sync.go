package placement

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/state"
)

// Sweep is what one sweep saw, for Sync.
type Sweep struct {
	ID string
	// Listed is when the listing of models began: entries written since
	// (by events) are newer than the listing and never removed.
	Listed time.Time
	// Listing is every model ListModels returned; nil when the listing
	// failed (then nothing is removed and the index is not marked built).
	Listing []inventory.ModelSummary
	// Snapshot holds the models of this run, placed (their subnets read).
	Snapshot *inventory.Snapshot
	// Endpoints are the in-service endpoints, when EndpointsRead (every one
	// of them and their configs could be read).
	Endpoints     []inventory.EndpointUse
	EndpointsRead bool
}

// Synced is what Sync changed.
type Synced struct {
	Added, Removed, Unindexed       int
	EndpointsWritten, EndpointsGone int
	Built                           bool
	BuiltNote                       string // why the index is not marked built, if it is not
}

// Sync brings the index in line with a sweep: it indexes the models the
// run described (known holds what the index had, by lower-cased name, as
// Models returned it), removes entries of models ListModels no longer
// lists, replaces the endpoints' records with the in-service endpoints,
// and marks the index built when the run covered every model.
func (p *Scope) Sync(ctx context.Context, known map[string]Entry, sw Sweep) (Synced, error) {
	var out Synced
	var puts []state.Entry
	var dels []state.Key
	indexed := map[string]time.Time{} // what the index holds after the sync
	for key, e := range known {
		indexed[key] = e.Created
	}
	for _, m := range sw.Snapshot.Models {
		if m.Indexed {
			continue
		}
		e, ok := p.EntryOf(sw.Snapshot, m)
		if !ok {
			out.Unindexed++
			continue
		}
		old, found := known[strings.ToLower(m.Name)]
		indexed[strings.ToLower(m.Name)] = e.Created
		if found && old.Created.Equal(e.Created) {
			continue
		}
		if found {
			dels = append(dels, p.staleCopies(old, e)...)
		}
		puts = append(puts, p.copies(e)...)
		out.Added++
	}
	if sw.Listing != nil {
		listed := make(map[string]bool, len(sw.Listing))
		for _, m := range sw.Listing {
			listed[strings.ToLower(m.Name)] = true
		}
		for key, e := range known {
			if !listed[key] && e.Indexed.Before(sw.Listed) {
				dels = append(dels, p.keysOf(e)...)
				out.Removed++
			}
		}
	}
	if sw.EndpointsRead {
		had, err := p.Endpoints(ctx)
		if err != nil {
			return out, p.invalidateAfter(ctx, err)
		}
		inService := map[string]bool{}
		for _, use := range sw.Endpoints {
			key := strings.ToLower(use.Name)
			inService[key] = true
			next := p.endpointOf(use)
			var old *Endpoint
			if e, ok := had[key]; ok {
				old = &e
				if e.Config == next.Config && slices.Equal(e.Models, next.Models) {
					continue
				}
			}
			ps, ds := p.endpointWrites(old, &next)
			puts, dels = append(puts, ps...), append(dels, ds...)
			out.EndpointsWritten++
		}
		for key, e := range had {
			if !inService[key] && e.Indexed.Before(sw.Listed) {
				_, ds := p.endpointWrites(&e, nil)
				dels = append(dels, ds...)
				out.EndpointsGone++
			}
		}
	}
	if len(puts)+len(dels) > 0 {
		if err := p.x.store.WriteBatch(ctx, puts, dels); err != nil {
			return out, p.invalidateAfter(ctx, err)
		}
	}
	switch {
	case out.Unindexed > 0:
		out.BuiltNote = "some models could not be indexed (their VPC is unknown)"
		return out, p.Invalidate(ctx)
	case sw.Listing == nil:
		out.BuiltNote = "the models could not be listed"
		return out, nil
	}
	missing := 0
	for _, m := range sw.Listing {
		if c, ok := indexed[strings.ToLower(m.Name)]; !ok || !c.Equal(m.Created.UTC()) {
			missing++
		}
	}
	if missing > 0 {
		out.BuiltNote = strconv.Itoa(missing) + " listed model(s) are not indexed yet (not read by this pass so far)"
		return out, nil
	}
	b := Built{At: sw.Listed.UTC(), Models: len(sw.Listing), By: sw.ID}
	if err := p.x.store.Put(ctx, p.builtKey(), b); err != nil {
		return out, p.invalidateAfter(ctx, err)
	}
	out.Built = true
	return out, nil
}
