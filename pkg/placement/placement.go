// Package placement is the placement index: which models each VPC, subnet
// and security group carries, and which endpoints serve each model, kept
// in the state table (pkg/state) so that a change event finds the models it
// affects without listing and describing the account.
//
// A SageMaker model never changes after CreateModel (its VpcConfig, role
// and containers are fixed), so an entry, once written, stays true until
// the model is deleted. The index is kept by the event functions
// (CreateModel and every event that describes models adds them,
// DeleteModel removes them, CreateEndpoint, UpdateEndpoint and
// DeleteEndpoint keep endpoint → config → models) and rebuilt by the sweep,
// which also removes what no longer exists.
//
// # Layout (pkg/state's table)
//
//	pk                                         sk               record
//	placement#<account>#<region>               built            Built: the last sweep that indexed every model
//	placement#<account>#<region>#models        model#<name>     Entry of every indexed model
//	placement#<account>#<region>#vpc#<id>      model#<name>     the same Entry, per model placed in the VPC
//	placement#<account>#<region>#subnet#<id>   model#<name>     the same Entry, per model using the subnet
//	placement#<account>#<region>#sg#<id>       model#<name>     the same Entry, per model using the group
//	placement#<account>#<region>#endpoints     endpoint#<name>  Endpoint: its config and its variants' models
//	placement#<account>#<region>#model#<name>  endpoint#<name>  Endpoint, per model it serves
//
// Names are lower-cased in keys (SageMaker names are case-insensitive);
// records keep them as AWS shows them. Entries are copied into each
// partition they belong to, so that one Query answers "the models of this
// VPC" (PageSize per page) with no further read.
//
// # Trust
//
// The index answers only once a sweep has indexed every model of the
// account (the built record). An upkeep write that fails removes that
// record, so events fall back to the full scan until the next sweep
// rebuilds it: a model missing from the index is never silently skipped.
// Entries carry no tags (tags change after CreateModel); the handler
// re-reads the models the index gave before it reports a failure or plans a
// change (inventory.Gatherer.Confirm), and drops those that no longer exist.
package placement

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/state"
)

// PageSize is the most entries one index Query reads.
const PageSize = 1000

// ErrNotBuilt is the answer of an index that no complete sweep has built
// (or that an upkeep failure invalidated).
var ErrNotBuilt = errors.New("the placement index is not built: no sweep has indexed every model since it was created or last invalidated")

// Index is the placement index in one state table.
type Index struct {
	store *state.Store
	now   func() time.Time
}

// New returns the index kept in store.
func New(store *state.Store) *Index {
	return &Index{store: store, now: time.Now}
}

// WithClock returns a copy of x whose records are stamped by now.
func (x *Index) WithClock(now func() time.Time) *Index {
	c := *x
	c.now = now
	return &c
}

// In returns the index of one account and region; it implements
// inventory.Placement.
func (x *Index) In(account, region string) *Scope {
	return &Scope{x: x, account: account, region: region}
}

// Scope is the index of one account and region.
type Scope struct {
	x               *Index
	account, region string
	answers, models atomic.Int64 // what ModelsPlaced answered through this scope
}

// Answered reports whether ModelsPlaced answered through this scope, and
// with how many models in all.
func (p *Scope) Answered() (bool, int) {
	return p.answers.Load() > 0, int(p.models.Load())
}

var _ inventory.Placement = (*Scope)(nil)

// Entry is what the index keeps of one model.
type Entry struct {
	Account          string    `dynamodbav:"account"`
	Region           string    `dynamodbav:"region"`
	Name             string    `dynamodbav:"name"`
	ARN              string    `dynamodbav:"arn"`
	Created          time.Time `dynamodbav:"created"`
	VPCID            string    `dynamodbav:"vpc,omitempty"` // empty: the model has no VpcConfig
	SubnetIDs        []string  `dynamodbav:"subnets,omitempty"`
	SecurityGroupIDs []string  `dynamodbav:"securityGroups,omitempty"`
	ExecutionRoleARN string    `dynamodbav:"role,omitempty"`
	ArtifactBuckets  []string  `dynamodbav:"buckets,omitempty"`
	// Artifacts are the model data objects (and prefixes) of the
	// containers, as inventory reads them from DescribeModel.
	Artifacts []inventory.Artifact `dynamodbav:"artifacts,omitempty"`
	Indexed   time.Time            `dynamodbav:"indexed"` // when this entry was written
}

// Model is the entry as the gatherer's model, marked Indexed (tags unread).
func (e Entry) Model() inventory.Model {
	m := inventory.Model{
		Name: e.Name, ARN: e.ARN, ExecutionRoleARN: e.ExecutionRoleARN, Created: e.Created,
		ArtifactBuckets: e.ArtifactBuckets, Artifacts: e.Artifacts, Indexed: true,
	}
	if e.VPCID != "" || len(e.SubnetIDs) > 0 {
		m.VPCConfig = &inventory.VPCConfig{SubnetIDs: e.SubnetIDs, SecurityGroupIDs: e.SecurityGroupIDs}
	}
	return m
}

// Endpoint is what the index keeps of one endpoint: its current config and
// the models of its variants.
type Endpoint struct {
	Name    string    `dynamodbav:"name"`
	Config  string    `dynamodbav:"config"`
	Models  []string  `dynamodbav:"models"`
	Indexed time.Time `dynamodbav:"indexed"`
}

// Built is the record of the last sweep that indexed every model.
type Built struct {
	At     time.Time `dynamodbav:"at"`
	Models int       `dynamodbav:"models"`
	By     string    `dynamodbav:"by"` // the sweep's id
}

// --- keys -------------------------------------------------------------------------

func (p *Scope) root() string { return "placement#" + p.account + "#" + p.region }

func (p *Scope) builtKey() state.Key { return state.Key{PK: p.root(), SK: "built"} }

func (p *Scope) modelsPK() string { return p.root() + "#models" }

func (p *Scope) vpcPK(id string) string    { return p.root() + "#vpc#" + id }
func (p *Scope) subnetPK(id string) string { return p.root() + "#subnet#" + id }
func (p *Scope) sgPK(id string) string     { return p.root() + "#sg#" + id }

func (p *Scope) endpointsPK() string { return p.root() + "#endpoints" }

func (p *Scope) modelEndpointsPK(model string) string {
	return p.root() + "#model#" + strings.ToLower(model)
}

func modelSK(name string) string    { return "model#" + strings.ToLower(name) }
func endpointSK(name string) string { return "endpoint#" + strings.ToLower(name) }

// partitions are the pks an entry is copied into: the models list, its VPC,
// its subnets and its groups.
func (p *Scope) partitions(e Entry) []string {
	pks := []string{p.modelsPK()}
	if e.VPCID != "" {
		pks = append(pks, p.vpcPK(e.VPCID))
	}
	for _, id := range e.SubnetIDs {
		pks = append(pks, p.subnetPK(id))
	}
	for _, id := range e.SecurityGroupIDs {
		pks = append(pks, p.sgPK(id))
	}
	return pks
}

// --- queries ------------------------------------------------------------------------

// ModelsPlaced returns the models placed where q points (in its VPC, or
// using one of its subnets or groups), from the index: one Query per
// partition and PageSize entries, no SageMaker call. An index no sweep has
// built answers ErrNotBuilt.
func (p *Scope) ModelsPlaced(ctx context.Context, q inventory.PlacementQuery) ([]inventory.Model, error) {
	if q.Empty() {
		return nil, nil
	}
	if _, err := p.Built(ctx); err != nil {
		return nil, err
	}
	var pks []string
	if q.VPCID != "" {
		pks = append(pks, p.vpcPK(q.VPCID))
	}
	for _, id := range q.SubnetIDs {
		pks = append(pks, p.subnetPK(id))
	}
	for _, id := range q.SecurityGroupIDs {
		pks = append(pks, p.sgPK(id))
	}
	seen := map[string]bool{}
	var out []inventory.Model
	for _, pk := range pks {
		entries, err := p.entries(ctx, pk)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if key := strings.ToLower(e.Name); !seen[key] {
				seen[key] = true
				out = append(out, e.Model())
			}
		}
	}
	p.answers.Add(1)
	p.models.Add(int64(len(out)))
	return out, nil
}

// Built returns the record of the sweep that built the index, or
// ErrNotBuilt.
func (p *Scope) Built(ctx context.Context) (Built, error) {
	it, found, err := p.x.store.Get(ctx, p.builtKey())
	if err != nil {
		return Built{}, fmt.Errorf("placement index: %w", err)
	}
	if !found {
		return Built{}, ErrNotBuilt
	}
	var b Built
	if err := it.Decode(&b); err != nil {
		return Built{}, fmt.Errorf("placement index: %w", err)
	}
	return b, nil
}

// Models returns every indexed model of the scope, by lower-cased name.
func (p *Scope) Models(ctx context.Context) (map[string]Entry, error) {
	entries, err := p.entries(ctx, p.modelsPK())
	if err != nil {
		return nil, err
	}
	out := make(map[string]Entry, len(entries))
	for _, e := range entries {
		out[strings.ToLower(e.Name)] = e
	}
	return out, nil
}

// Model returns the entry of one model, if indexed.
func (p *Scope) Model(ctx context.Context, name string) (Entry, bool, error) {
	it, found, err := p.x.store.Get(ctx, state.Key{PK: p.modelsPK(), SK: modelSK(name)})
	if err != nil || !found {
		return Entry{}, false, err
	}
	var e Entry
	if err := it.Decode(&e); err != nil {
		return Entry{}, false, err
	}
	return e, true, nil
}

// EndpointsServing returns the endpoints that serve model (by its
// variants), from the index.
func (p *Scope) EndpointsServing(ctx context.Context, model string) ([]Endpoint, error) {
	return p.endpoints(ctx, p.modelEndpointsPK(model))
}

// Endpoints returns every indexed endpoint, by lower-cased name.
func (p *Scope) Endpoints(ctx context.Context) (map[string]Endpoint, error) {
	eps, err := p.endpoints(ctx, p.endpointsPK())
	if err != nil {
		return nil, err
	}
	out := make(map[string]Endpoint, len(eps))
	for _, e := range eps {
		out[strings.ToLower(e.Name)] = e
	}
	return out, nil
}

func (p *Scope) entries(ctx context.Context, pk string) ([]Entry, error) {
	var out []Entry
	for it, err := range p.x.store.Query(ctx, state.Query{PK: pk, SKPrefix: "model#", PageSize: PageSize}) {
		if err != nil {
			return nil, fmt.Errorf("placement index: %w", err)
		}
		var e Entry
		if err := it.Decode(&e); err != nil {
			return nil, fmt.Errorf("placement index: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (p *Scope) endpoints(ctx context.Context, pk string) ([]Endpoint, error) {
	var out []Endpoint
	for it, err := range p.x.store.Query(ctx, state.Query{PK: pk, SKPrefix: "endpoint#", PageSize: PageSize}) {
		if err != nil {
			return nil, fmt.Errorf("placement index: %w", err)
		}
		var e Endpoint
		if err := it.Decode(&e); err != nil {
			return nil, fmt.Errorf("placement index: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}
