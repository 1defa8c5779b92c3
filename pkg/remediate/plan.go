package remediate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/policy"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// Options tune the planner.
type Options struct {
	// ExemptTag is the tag key (VPCGUARD_EXEMPT_TAG) that exempts a model,
	// VPC, VPC endpoint or route table from every change; any value counts.
	// Empty: nothing is exempt.
	ExemptTag string
	// Region and Partition of the endpoints; default the snapshot's.
	Region    string
	Partition string
	// Now is the moment exemptions expire and holds end against (the
	// exempt tag's expires=, an undo's 7 days).
	Now time.Time
	// Holds are the repairs that were undone recently: vpcguard does not
	// redo them automatically until they end (see pkg/ledger).
	Holds []ledger.Hold
}

// Plan computes the repairs for the failing checks of results, from the
// state in snap alone: it never calls AWS, and the same input always gives
// the same steps in the same order (VPCs in the order of the models, then
// the triggering endpoint's VPC; per VPC create, associate, policy).
//
// A check that is not failing in results plans nothing (pass, unknown and
// not-applicable alike), so a compliant state plans nothing. Each step is
// also re-derived from the state, per VPC and per endpoint: the check
// result only says which kind of repair is wanted.
//
// Refusals are steps with Refused set (reported as skipped): an exempt
// model, VPC, endpoint or route table (a blanket or malformed exempt tag
// on it, or a live exemption for the check the step fixes); state whose
// exemption cannot be told; a repair undone less than 7 days ago (a hold);
// a route table that already sends S3 traffic elsewhere; several S3
// gateway endpoints in one VPC; a policy that cannot be parsed, has no
// Allow left, or would outgrow the size limit.
func Plan(snap *inventory.Snapshot, results []report.Check, opts Options) []Step {
	if snap == nil {
		return nil
	}
	p := planner{snap: snap, opts: opts, failing: map[string]bool{}}
	if p.opts.Region == "" {
		p.opts.Region = snap.Region
	}
	if p.opts.Partition == "" {
		p.opts.Partition = snap.Partition
	}
	if p.opts.Partition == "" {
		p.opts.Partition = "aws"
	}
	for _, r := range results {
		if r.Status == report.StatusFail {
			p.failing[r.ID] = true
		}
	}
	if !p.failing[checks.S3EndpointPresent] && !p.failing[checks.S3EndpointRoutes] &&
		!p.failing[checks.S3EndpointDeniesALRepos] && !p.failing[checks.S3EndpointPolicyAllows] {
		return nil
	}
	var steps []Step
	groups, _ := snap.ByVPC()
	for _, g := range groups {
		steps = append(steps, p.planVPC(g)...)
	}
	return steps
}

type planner struct {
	snap    *inventory.Snapshot
	opts    Options
	failing map[string]bool
}

// planVPC plans the repairs of one VPC. When the whole VPC may not be
// changed, every step it would take is reported as refused with that reason.
func (p *planner) planVPC(g inventory.VPCGroup) []Step {
	v := g.VPC
	if !v.Endpoints.OK() {
		return nil // every endpoint check is unknown here: nothing to act on
	}
	eps := v.S3GatewayEndpoints(p.opts.Region)
	var steps []Step
	if p.failing[checks.S3EndpointPresent] && len(eps) == 0 && len(g.Models) > 0 {
		steps = append(steps, p.create(g)...)
	}
	if p.failing[checks.S3EndpointRoutes] && len(eps) > 0 && len(g.Models) > 0 {
		steps = append(steps, p.associate(g, eps)...)
	}
	if p.failing[checks.S3EndpointDeniesALRepos] || p.failing[checks.S3EndpointPolicyAllows] {
		for _, e := range eps {
			if s, ok := p.policyStep(g, e); ok {
				steps = append(steps, s)
			}
		}
	}
	if why := p.vpcBlocked(g); why != "" {
		for i := range steps {
			if steps[i].Refused == "" {
				steps[i].Refused = why
			}
		}
	}
	for i := range steps {
		if steps[i].Refused == "" && v.Info.OK() {
			if why := p.exemptFrom(steps[i].Check, "VPC "+g.ID, v.Info.Value.Tags); why != "" {
				steps[i].Refused, steps[i].Verify = why, nil
			}
		}
	}
	return steps
}

// vpcBlocked says why nothing in the VPC may be changed, or "".
func (p *planner) vpcBlocked(g inventory.VPCGroup) string {
	var why []string
	if len(p.snap.ModelErrs) > 0 {
		names := make([]string, 0, len(p.snap.ModelErrs))
		for n := range p.snap.ModelErrs {
			names = append(names, n)
		}
		sort.Strings(names)
		why = append(why, fmt.Sprintf("%s could not be read, so vpcguard cannot tell whether it is exempt or which route tables it uses",
			strings.Join(names, ", ")))
	}
	switch {
	case !g.VPC.Info.OK():
		why = append(why, fmt.Sprintf("the tags of %s could not be read (%v), so vpcguard cannot tell whether it is exempt", g.ID, g.VPC.Info.Err))
	case p.exempt(g.VPC.Info.Value.Tags):
		why = append(why, p.forbidden(g.ID, g.VPC.Info.Value.Tags))
	}
	return strings.Join(why, "; ")
}

// tableSet is the outcome of matching the model subnets of a VPC to route
// tables: the tables to add (with the subnets and models they serve) and
// the tables left out, each with the reason.
type tableSet struct {
	add      []string
	subnets  []string
	models   []string
	excluded map[string]string
}

// modelTables finds the route tables of the VPC's model subnets that do not
// yet send S3 through target (nil: an endpoint still to be created). Route
// tables that serve an exempt model, are tagged exempt, or already route S3
// elsewhere are excluded with the reason.
func (p *planner) modelTables(g inventory.VPCGroup, target *inventory.Endpoint) tableSet {
	ts := tableSet{excluded: map[string]string{}}
	tables := g.VPC.RouteTables.Value
	served := func(m inventory.Model) []inventory.RouteTable {
		var out []inventory.RouteTable
		for _, subnet := range m.VPCConfig.SubnetIDs {
			sn, ok := p.snap.Subnets.Value[subnet]
			if !ok || sn.VPCID != g.ID {
				continue
			}
			if rt, err := inventory.RouteTableFor(tables, subnet); err == nil {
				out = append(out, rt)
			}
		}
		return out
	}
	check, action := checks.S3EndpointPresent, report.ActionCreateS3GatewayEndpoint
	if target != nil {
		check, action = checks.S3EndpointRoutes, report.ActionAssociateRouteTables
	}
	exemptBy := map[string]string{} // route table → exempt model using it
	for _, m := range g.Models {
		if p.exempt(m.Tags) || p.exemptFrom(check, "", m.Tags) != "" {
			for _, rt := range served(m) {
				if _, seen := exemptBy[rt.ID]; !seen {
					exemptBy[rt.ID] = m.Name
				}
			}
		}
	}
	add := map[string]bool{}
	for _, m := range g.Models {
		used := false
		for _, subnet := range m.VPCConfig.SubnetIDs {
			sn, ok := p.snap.Subnets.Value[subnet]
			if !ok || sn.VPCID != g.ID {
				continue
			}
			rt, err := inventory.RouteTableFor(tables, subnet)
			if err != nil {
				continue
			}
			if target != nil && rt.RoutesVia(*target) {
				continue
			}
			why := ""
			switch {
			case exemptBy[rt.ID] != "":
				why = fmt.Sprintf("it serves exempt model %s (tagged %s)", exemptBy[rt.ID], p.opts.ExemptTag)
			case p.exempt(rt.Tags):
				why = fmt.Sprintf("it is tagged %s", p.opts.ExemptTag)
			case p.exemptFrom(check, "it", rt.Tags) != "":
				why = p.exemptFrom(check, "it", rt.Tags)
			case p.held(action, rt.ID) != "":
				why = p.held(action, rt.ID)
			default:
				if r := p.foreignS3Route(g, rt, target); r != "" {
					why = "it already sends S3 traffic " + r + "; vpcguard never replaces a route, check which path these subnets should take"
				}
			}
			if why != "" {
				ts.excluded[rt.ID] = why
				continue
			}
			add[rt.ID] = true
			ts.subnets = appendNew(ts.subnets, subnet)
			used = true
		}
		if used {
			ts.models = appendNew(ts.models, m.Name)
		}
	}
	ts.add = slices.Sorted(maps.Keys(add))
	return ts
}

// foreignS3Route describes how rt already sends S3 traffic somewhere other
// than target (nil: a new endpoint), or returns "". A gateway endpoint can
// only be added to a table without a route to the S3 prefix list; when that
// prefix list is unknown, any prefix-list route not through a known non-S3
// endpoint counts, to be safe.
func (p *planner) foreignS3Route(g inventory.VPCGroup, rt inventory.RouteTable, target *inventory.Endpoint) string {
	s3 := inventory.S3ServiceName(p.opts.Region)
	targetID := ""
	if target != nil {
		targetID = target.ID
	}
	for _, e := range g.VPC.Endpoints.Value {
		if e.ID != targetID && e.ServiceName == s3 && e.Type == "Gateway" && e.State != "deleted" &&
			slices.Contains(e.RouteTableIDs, rt.ID) {
			return fmt.Sprintf("through endpoint %s (state %s)", e.ID, e.State)
		}
	}
	for _, r := range rt.Routes {
		if r.DestinationPrefixListID == "" || (targetID != "" && r.GatewayID == targetID) {
			continue
		}
		if pl := p.snap.S3PrefixList; pl.OK() {
			if r.DestinationPrefixListID != pl.Value {
				continue
			}
		} else if i := slices.IndexFunc(g.VPC.Endpoints.Value, func(e inventory.Endpoint) bool { return e.ID == r.GatewayID }); i >= 0 &&
			g.VPC.Endpoints.Value[i].ServiceName != s3 {
			continue
		}
		return fmt.Sprintf("to %s through %s", r.DestinationPrefixListID, routeTarget(r))
	}
	return ""
}

func routeTarget(r inventory.Route) string {
	t := "another target"
	switch {
	case r.GatewayID != "":
		t = r.GatewayID
	case r.NATGatewayID != "":
		t = r.NATGatewayID
	case r.TransitGatewayID != "":
		t = r.TransitGatewayID
	}
	if r.State == "blackhole" {
		t += " (blackhole)"
	}
	return t
}

// create plans CreateVpcEndpoint for a VPC without an S3 gateway endpoint.
func (p *planner) create(g inventory.VPCGroup) []Step {
	base := Step{
		Action: report.ActionCreateS3GatewayEndpoint,
		Check:  checks.S3EndpointPresent,
		VPCID:  g.ID,
		Verify: []string{checks.S3EndpointPresent, checks.S3EndpointRoutes, checks.S3EndpointDeniesALRepos, checks.S3EndpointPolicyAllows},
	}
	refuse := func(resources []string, why string) Step {
		s := base
		s.Resources, s.Refused, s.Verify = resources, why, nil
		return s
	}
	switch {
	case !g.VPC.RouteTables.OK():
		return []Step{refuse([]string{g.ID}, fmt.Sprintf("the route tables of %s could not be read (%v)", g.ID, g.VPC.RouteTables.Err))}
	case !p.snap.Subnets.OK():
		return []Step{refuse([]string{g.ID}, fmt.Sprintf("the model subnets could not be read (%v)", p.snap.Subnets.Err))}
	}
	doc := policy.HardenedDefault(p.opts.Partition, p.opts.Region)
	if doc == "" {
		return []Step{refuse([]string{g.ID}, fmt.Sprintf("no endpoint policy can be built for partition %q and region %q; vpcguard never creates an endpoint with the full-access default",
			p.opts.Partition, p.opts.Region))}
	}
	if why := p.held(report.ActionCreateS3GatewayEndpoint, g.ID); why != "" {
		return []Step{refuse([]string{g.ID}, why)}
	}
	ts := p.modelTables(g, nil)
	var steps []Step
	if len(ts.add) > 0 {
		s := base
		s.Resources = append([]string{g.ID}, ts.add...)
		s.Models, s.Subnets = ts.models, ts.subnets
		s.Create = &ec2.CreateVpcEndpointInput{
			VpcId:           aws.String(g.ID),
			VpcEndpointType: ec2types.VpcEndpointTypeGateway,
			ServiceName:     aws.String(inventory.S3ServiceName(p.opts.Region)),
			RouteTableIds:   ts.add,
			PolicyDocument:  aws.String(doc),
			TagSpecifications: []ec2types.TagSpecification{{
				ResourceType: ec2types.ResourceTypeVpcEndpoint,
				Tags:         []ec2types.Tag{{Key: aws.String(ManagedTagKey), Value: aws.String(ManagedTagValue)}},
			}},
			ClientToken: aws.String(ClientToken(g.ID)),
		}
		s.NewPolicy = doc
		s.Before = map[string]any{"vpc_id": g.ID, "s3_gateway_endpoints": []string{}, "route_tables_without_s3_route": ts.add}
		s.After = map[string]any{
			"vpc_id":               g.ID,
			"s3_gateway_endpoints": []string{"(new, tagged " + ManagedTagKey + "=" + ManagedTagValue + ")"},
			"route_table_ids":      ts.add,
			"policy":               "the AWS default (Allow everything) plus the Deny of every Amazon Linux repository",
		}
		steps = append(steps, s)
	}
	if len(ts.excluded) > 0 {
		steps = append(steps, refuse(append([]string{g.ID}, slices.Sorted(maps.Keys(ts.excluded))...), excludedReason(ts.excluded)))
	}
	return steps
}

// associate plans ModifyVpcEndpoint AddRouteTableIds for the model subnets'
// route tables that lack the VPC's S3 gateway endpoint.
func (p *planner) associate(g inventory.VPCGroup, eps []inventory.Endpoint) []Step {
	base := Step{
		Action: report.ActionAssociateRouteTables,
		Check:  checks.S3EndpointRoutes,
		VPCID:  g.ID,
		Verify: []string{checks.S3EndpointRoutes},
	}
	refuse := func(resources []string, why string) Step {
		s := base
		s.Resources, s.Refused, s.Verify = resources, why, nil
		return s
	}
	if !g.VPC.RouteTables.OK() || !p.snap.Subnets.OK() {
		return nil // s3-endpoint-routes is unknown for this VPC
	}
	if len(eps) > 1 {
		ids := make([]string, len(eps))
		for i, e := range eps {
			ids[i] = e.ID
		}
		// With no target, tables already on one of eps are excluded as
		// routed elsewhere: what is left has no S3 route at all.
		missing := p.modelTables(g, nil).add
		if len(missing) == 0 {
			return nil
		}
		return []Step{refuse(append(slices.Clone(ids), missing...), fmt.Sprintf(
			"%s has %d S3 gateway endpoints (%s), each with its own policy: choose by hand which one route tables %s should use",
			g.ID, len(eps), strings.Join(ids, ", "), strings.Join(missing, ", ")))}
	}
	e := eps[0]
	base.EndpointID = e.ID
	ts := p.modelTables(g, &e)
	var steps []Step
	if len(ts.add) > 0 {
		s := base
		s.Resources = append([]string{e.ID}, ts.add...)
		s.Models, s.Subnets = ts.models, ts.subnets
		if p.exempt(e.Tags) {
			s.Refused = "endpoint " + p.forbidden(e.ID, e.Tags)
			s.Verify = nil
		} else if why := p.exemptFrom(checks.S3EndpointRoutes, "endpoint "+e.ID, e.Tags); why != "" {
			s.Refused, s.Verify = why, nil
		} else {
			s.Modify = &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(e.ID), AddRouteTableIds: ts.add}
		}
		current := sortedCopy(e.RouteTableIDs)
		s.Before = map[string]any{"vpc_endpoint_id": e.ID, "route_table_ids": current}
		s.After = map[string]any{"vpc_endpoint_id": e.ID, "route_table_ids": sortedCopy(append(current, ts.add...))}
		steps = append(steps, s)
	}
	if len(ts.excluded) > 0 {
		s := refuse(append([]string{e.ID}, slices.Sorted(maps.Keys(ts.excluded))...), excludedReason(ts.excluded))
		s.EndpointID = e.ID
		steps = append(steps, s)
	}
	return steps
}

// policyStep plans the policy change of one S3 gateway endpoint, or a
// refusal; ok is false when the endpoint's policy needs nothing.
func (p *planner) policyStep(g inventory.VPCGroup, e inventory.Endpoint) (Step, bool) {
	s := Step{
		Action:     report.ActionAddALRepoDeny,
		Check:      checks.S3EndpointDeniesALRepos,
		VPCID:      g.ID,
		EndpointID: e.ID,
		Resources:  []string{e.ID},
		Verify:     []string{checks.S3EndpointDeniesALRepos, checks.S3EndpointPolicyAllows},
	}
	refuse := func(why string) (Step, bool) {
		s.Refused, s.Verify = why, nil
		return s, true
	}
	text := e.PolicyDocument
	if strings.TrimSpace(text) == "" {
		text = policy.DefaultEndpointPolicy // what AWS applies to an endpoint without one
	}
	s.OldPolicy = text
	doc, err := policy.Parse(text)
	if err != nil {
		if !p.failing[checks.S3EndpointDeniesALRepos] {
			return s, false
		}
		return refuse(fmt.Sprintf("the policy of %s cannot be read (%v); vpcguard never rewrites a policy it cannot read exactly", e.ID, err))
	}
	needsDeny := false
	for _, st := range policy.RepoAccess(doc, p.opts.Partition, p.opts.Region) {
		if !st.Denied() {
			needsDeny = true
		}
	}
	remaining := policy.RemainingAllow(doc, p.opts.Partition)
	lockedOut := !remaining.Allows && !remaining.Undecided
	switch {
	case lockedOut && p.failing[checks.S3EndpointPolicyAllows]:
		s.Check = checks.S3EndpointPolicyAllows
	case needsDeny && p.failing[checks.S3EndpointDeniesALRepos]:
	default:
		return s, false
	}
	m, err := policy.MergeALRepoDenies(text, p.opts.Partition, p.opts.Region)
	switch {
	case err != nil:
		return refuse(fmt.Sprintf("the Deny cannot be merged into the policy of %s: %v", e.ID, err))
	case m.Refused != "" && lockedOut:
		return refuse(m.Refused + "; vpcguard never adds or widens an Allow")
	case m.Refused != "":
		return refuse(m.Refused)
	case !m.Changed:
		return s, false
	}
	if why := p.deniesOwnArtifact(g, doc, m); why != "" {
		return refuse(why)
	}
	s.NewPolicy, s.Diff = m.Policy, m.Diff
	s.Before = map[string]any{"vpc_endpoint_id": e.ID, "route_table_ids": sortedCopy(e.RouteTableIDs),
		"statements": len(doc.Statements), "not_explicitly_denied": m.Missing}
	s.After = map[string]any{"vpc_endpoint_id": e.ID, "route_table_ids": sortedCopy(e.RouteTableIDs),
		"statements": len(doc.Statements) + len(m.Added), "added_statements": m.Added}
	switch {
	case p.exempt(e.Tags):
		return refuse("endpoint " + p.forbidden(e.ID, e.Tags))
	case p.exemptFrom(s.Check, "endpoint "+e.ID, e.Tags) != "":
		return refuse(p.exemptFrom(s.Check, "endpoint "+e.ID, e.Tags))
	case p.held(report.ActionAddALRepoDeny, e.ID) != "":
		return refuse(p.held(report.ActionAddALRepoDeny, e.ID))
	case len(g.Models) == 0:
		return refuse(fmt.Sprintf("no SageMaker model in this evaluation is placed in %s; vpcguard changes only the endpoints its models use", g.ID))
	}
	if name := p.exemptModelVia(g, e, s.Check); name != "" {
		return refuse(fmt.Sprintf("exempt model %s (tagged %s) reaches S3 through %s, so its policy is never changed", name, p.opts.ExemptTag, e.ID))
	}
	s.Modify = &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(e.ID), PolicyDocument: aws.String(m.Policy)}
	for _, mod := range g.Models {
		s.Models = appendNew(s.Models, mod.Name)
	}
	return s, true
}

// deniesOwnArtifact says why the merged policy must not be written when
// it would take away an artifact a model of g can read today (a bucket of
// the model's own named like a repository, say al2023-repos-us-east-1-team),
// or returns "".
func (p *planner) deniesOwnArtifact(g inventory.VPCGroup, before *policy.Document, m policy.MergeResult) string {
	after, err := policy.Parse(m.Policy)
	if err != nil {
		return fmt.Sprintf("the merged policy does not read back (%v)", err)
	}
	var lost []string
	for _, mod := range g.Models {
		for _, a := range mod.Artifacts {
			req := policy.Request{Action: "s3:GetObject", Resource: a.ObjectARN(p.opts.Partition)}
			if policy.Evaluate(before, req).Decision == policy.Allowed && policy.Evaluate(after, req).Decision != policy.Allowed {
				lost = append(lost, fmt.Sprintf("model %s's %s", mod.Name, a.URI))
			}
		}
	}
	if len(lost) == 0 {
		return ""
	}
	return fmt.Sprintf("the Amazon Linux repository Deny would also deny %s, which the model reads today; vpcguard never locks a model out of its own artifacts: move them to a bucket the repository patterns do not match, or add a narrower Deny by hand",
		strings.Join(lost, ", "))
}

// exemptModelVia names an exempt model of g whose subnets route S3 through
// e, or returns "".
func (p *planner) exemptModelVia(g inventory.VPCGroup, e inventory.Endpoint, check string) string {
	isExempt := func(m inventory.Model) bool { return p.exempt(m.Tags) || p.exemptFrom(check, "", m.Tags) != "" }
	if !g.VPC.RouteTables.OK() || !p.snap.Subnets.OK() {
		for _, m := range g.Models {
			if isExempt(m) {
				return m.Name // cannot tell which endpoint it uses: assume this one
			}
		}
		return ""
	}
	for _, m := range g.Models {
		if !isExempt(m) {
			continue
		}
		for _, subnet := range m.VPCConfig.SubnetIDs {
			if rt, err := inventory.RouteTableFor(g.VPC.RouteTables.Value, subnet); err == nil && rt.RoutesVia(e) {
				return m.Name
			}
		}
	}
	return ""
}

// ClientToken is the idempotency token of vpcguard's CreateVpcEndpoint in
// vpcID: one per VPC, whatever the route tables. A retry, a duplicate of
// the same event and a concurrent event for another model of the VPC (with
// other route tables) thus get the endpoint the first call created, or
// IdempotentParameterMismatch, never a second endpoint; the executor then
// adds its route tables to that endpoint. It is "vpcguard-" and 40 hex
// digits of a SHA-256: 49 ASCII characters (the limit is 64).
func ClientToken(vpcID string) string {
	h := sha256.Sum256([]byte(report.ActionCreateS3GatewayEndpoint + "\n" + vpcID))
	return "vpcguard-" + hex.EncodeToString(h[:])[:40]
}

func excludedReason(excluded map[string]string) string {
	parts := make([]string, 0, len(excluded))
	for _, id := range slices.Sorted(maps.Keys(excluded)) {
		parts = append(parts, fmt.Sprintf("route table %s left out: %s", id, excluded[id]))
	}
	return strings.Join(parts, "; ")
}

func sortedCopy(ids []string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	return slices.Compact(out)
}

func appendNew(list []string, vs ...string) []string {
	for _, v := range vs {
		if v != "" && !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}
