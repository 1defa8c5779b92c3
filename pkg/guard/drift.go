package guard

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// Drift events: a change to a VPC, a route table, a security group, a flow
// log, a network ACL or an endpoint's instance counts that can break a live
// model. Each is
// scoped to the models the change can affect (through Gatherer.Scoped, so
// the placement index serves them when configured) and runs only the checks
// that change can affect. A change that touches no model is skipped with a
// result that says so, and sends nothing.

// drift is how one drift call is evaluated.
type drift struct {
	resource report.Resource
	checks   []string // the checks the change can affect
	// skip says why the call changes nothing vpcguard checks ("" to evaluate).
	skip string
	// touched names what changed, for the result of a change that touches no
	// model: "no SageMaker model uses <touched>".
	touched string
	// scope gathers the models the change can affect and their state. An
	// error means they cannot be told: it becomes a model error, so every
	// check reports unknown.
	scope func(context.Context, *inventory.Gatherer) (*inventory.Snapshot, error)
}

var routeChecks = []string{checks.S3EndpointRoutes, checks.OutboundAccess}

// variantResource is the Application Auto Scaling resource id of a
// SageMaker endpoint variant.
var variantResource = regexp.MustCompile(`^endpoint/([^/]+)/variant/([^/]+)$`)

// sageMakerVariantDimension is the scalable dimension of a variant's
// instance count.
const sageMakerVariantDimension = "sagemaker:variant:DesiredInstanceCount"

// driftOf describes how call is evaluated; ok is false for calls that are
// not drift calls.
func driftOf(call cloudtrail.Call) (d drift, ok bool) {
	scoped := func(q inventory.PlacementQuery) func(context.Context, *inventory.Gatherer) (*inventory.Snapshot, error) {
		return func(ctx context.Context, g *inventory.Gatherer) (*inventory.Snapshot, error) {
			return g.Scoped(ctx, q), nil
		}
	}
	switch c := call; {
	case c.VPCChange != nil:
		v := c.VPCChange
		d = drift{resource: report.Resource{Type: "vpc", ID: v.VPCID}, checks: []string{checks.VPCDNS},
			touched: "VPC " + v.VPCID, scope: scoped(inventory.PlacementQuery{VPCID: v.VPCID})}
		if c.Kind == cloudtrail.KindModifyVpcAttribute && v.Attribute != "" &&
			v.Attribute != "enableDnsSupport" && v.Attribute != "enableDnsHostnames" {
			d.skip = fmt.Sprintf("ModifyVpcAttribute set %s of %s, which no vpcguard check reads", v.Attribute, v.VPCID)
		}
	case c.RouteTableChange != nil:
		r := c.RouteTableChange
		d = drift{resource: report.Resource{Type: "route-table", ID: r.RouteTableID}, checks: routeChecks}
		switch c.Kind {
		case cloudtrail.KindAssociateRouteTable:
			d.resource = report.Resource{Type: "subnet", ID: r.SubnetID}
			d.touched = "subnet " + r.SubnetID
			d.scope = scoped(inventory.PlacementQuery{SubnetIDs: nonEmpty(r.SubnetID)})
			if r.SubnetID == "" && r.GatewayID != "" {
				d.resource = report.Resource{Type: "route-table", ID: r.RouteTableID}
				d.skip = fmt.Sprintf("AssociateRouteTable made %s the table of gateway %s (an edge association): it routes traffic entering the VPC, not the model subnets' own", r.RouteTableID, r.GatewayID)
			}
		case cloudtrail.KindDisassociateRouteTable:
			d.resource = report.Resource{Type: "route-table-association", ID: r.AssociationID}
			d.touched = "a subnet served by a main route table (where the subnet of association " + r.AssociationID + " went)"
			d.scope = func(ctx context.Context, g *inventory.Gatherer) (*inventory.Snapshot, error) {
				return g.MainTableUsers(ctx)
			}
		default: // ReplaceRouteTableAssociation (r.RouteTableID is the new table), CreateRoute, ReplaceRoute, DeleteRoute
			d.touched = "a subnet that route table " + r.RouteTableID + " serves"
			id := r.RouteTableID
			d.scope = func(ctx context.Context, g *inventory.Gatherer) (*inventory.Snapshot, error) {
				return g.RouteTableUsers(ctx, id)
			}
		}
	case c.EgressChange != nil:
		sg := c.EgressChange.GroupID
		d = drift{resource: report.Resource{Type: "security-group", ID: sg}, checks: []string{checks.SecurityGroupEgressS3},
			touched: "security group " + sg, scope: scoped(inventory.PlacementQuery{SecurityGroupIDs: nonEmpty(sg)})}
	case c.DeleteFlowLogs != nil:
		f := c.DeleteFlowLogs
		d = drift{resource: report.Resource{Type: "flow-log", ID: strings.Join(f.FlowLogIDs, ",")}, checks: []string{checks.VPCFlowLogs},
			touched: "a VPC without an active flow log",
			scope: func(ctx context.Context, g *inventory.Gatherer) (*inventory.Snapshot, error) {
				return g.FlowLogGaps(ctx)
			}}
		if len(f.FlowLogIDs) > 0 && !slices.ContainsFunc(f.FlowLogIDs, func(id string) bool { return !slices.Contains(f.Unsuccessful, id) }) {
			d.skip = fmt.Sprintf("DeleteFlowLogs deleted none of %s (all unsuccessful): nothing changed", d.resource.ID)
		}
	case c.ScalableTarget != nil:
		t := c.ScalableTarget
		d = drift{resource: report.Resource{Type: "scalable-target", ID: t.ResourceID}, checks: []string{checks.SubnetIPCapacity}}
		m := variantResource.FindStringSubmatch(t.ResourceID)
		switch {
		case t.Service != "" && t.Service != cloudtrail.ServiceApplicationAutoScaling:
			d.skip = fmt.Sprintf("RegisterScalableTarget of service %q is not an Application Auto Scaling call", t.Service)
		case t.ServiceNamespace != "sagemaker" || t.ScalableDimension != sageMakerVariantDimension || m == nil:
			d.skip = fmt.Sprintf("RegisterScalableTarget of %s (%s, %s) is not a SageMaker endpoint variant's instance count", t.ResourceID, t.ServiceNamespace, t.ScalableDimension)
		default:
			d.resource = report.Resource{Type: "endpoint", ID: m[1]}
			d.touched, d.scope = "endpoint "+m[1], endpointCapacity(m[1])
		}
	case c.EndpointCapacity != nil:
		e := c.EndpointCapacity
		d = drift{resource: report.Resource{Type: "endpoint", ID: e.EndpointName}, checks: []string{checks.SubnetIPCapacity},
			touched: "endpoint " + e.EndpointName, scope: endpointCapacity(e.EndpointName)}
		if len(e.Variants) > 0 && !slices.ContainsFunc(e.Variants, func(v cloudtrail.VariantCapacity) bool { return v.DesiredInstanceCount != nil }) {
			d.skip = fmt.Sprintf("UpdateEndpointWeightsAndCapacities changed only the variant weights of %s: no instance count", e.EndpointName)
		}
	case c.NetworkACLChange != nil:
		d = networkACLDrift(c)
	default:
		return drift{}, false
	}
	return d, true
}

// networkACLDrift: a network ACL's entries or a subnet's association
// changed; the models on the ACL's subnets (the moved subnet, for an
// association) get network-acl-s3 again.
func networkACLDrift(c cloudtrail.Call) drift {
	n := c.NetworkACLChange
	id, association := n.NetworkACLID, ""
	d := drift{resource: report.Resource{Type: "network-acl", ID: id}, checks: []string{checks.NetworkACLS3},
		touched: "a subnet of network ACL " + id}
	switch c.Kind {
	case cloudtrail.KindReplaceNetworkAclAssociation:
		association = n.NewAssociationID
		d.touched = "the subnet moved to network ACL " + id
	case cloudtrail.KindCreateNetworkAclEntry:
		// A new entry matches only its own traffic: one for IPv6, or for a
		// protocol other than TCP, cannot change what network-acl-s3 reads.
		// (A replaced or deleted entry might have been anything.)
		proto := strings.ToLower(n.Protocol)
		switch {
		case n.CIDR == "" && n.IPv6CIDR != "":
			d.skip = fmt.Sprintf("CreateNetworkAclEntry added rule %d for IPv6 (%s) to %s: network-acl-s3 reads the IPv4 entries, S3's prefix-list CIDRs being IPv4", n.RuleNumber, n.IPv6CIDR, id)
		case proto != "" && proto != "-1" && proto != "6" && proto != "tcp" && proto != "all":
			d.skip = fmt.Sprintf("CreateNetworkAclEntry added rule %d for protocol %s to %s: it cannot match the TCP traffic to S3", n.RuleNumber, n.Protocol, id)
		}
	}
	d.scope = func(ctx context.Context, g *inventory.Gatherer) (*inventory.Snapshot, error) {
		return g.NetworkACLUsers(ctx, id, association)
	}
	return d
}

func endpointCapacity(endpoint string) func(context.Context, *inventory.Gatherer) (*inventory.Snapshot, error) {
	return func(ctx context.Context, g *inventory.Gatherer) (*inventory.Snapshot, error) {
		return g.EndpointCapacity(ctx, endpoint), nil
	}
}

// gather runs the scope; a scope that cannot be told is a model error, so
// that every check of the event reports unknown (never a pass, never
// "no model affected").
func (d drift) gather(ctx context.Context, g *inventory.Gatherer) *inventory.Snapshot {
	s, err := d.scope(ctx, g)
	if err != nil {
		s = g.Scoped(ctx, inventory.PlacementQuery{}) // an empty snapshot for the account
		s.ModelErrs["the models behind "+d.resource.Type+" "+d.resource.ID] = err
	}
	return s
}

// untouched says why a drift evaluation ends without checks: the change
// touches no model (and no model failed to be read). "" otherwise.
func (d drift) untouched(s *inventory.Snapshot) string {
	if len(s.Models) > 0 || len(s.ModelErrs) > 0 {
		return ""
	}
	why := "no SageMaker model uses " + d.touched + ": nothing to evaluate"
	if s.PlacementNote != "" {
		why += " (" + s.PlacementNote + ")"
	}
	return why
}
