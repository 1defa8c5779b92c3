package remediate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// StateReader re-reads the state the actions change: a VPC's endpoints and
// route tables. The SDK v2 EC2 client satisfies it.
type StateReader interface {
	DescribeVpcEndpoints(context.Context, *ec2.DescribeVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
	DescribeRouteTables(context.Context, *ec2.DescribeRouteTablesInput, ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error)
}

// reread returns a copy of v with its endpoints and route tables read again
// (every other fact is kept as gathered). Either read failing is an error:
// a decision to write, or a verdict on a write, never rests on a guess.
func reread(ctx context.Context, r StateReader, v *inventory.VPC) (*inventory.VPC, error) {
	fresh := *v
	eps, err := inventory.ReadEndpoints(ctx, r, v.ID)
	if err != nil {
		return nil, err
	}
	tables, err := inventory.ReadRouteTables(ctx, r, v.ID)
	if err != nil {
		return nil, err
	}
	fresh.Endpoints = inventory.Known(eps)
	fresh.RouteTables = inventory.Known(tables)
	return &fresh, nil
}

// withVPC returns a shallow copy of snap whose VPC v.ID is v.
func withVPC(snap *inventory.Snapshot, v *inventory.VPC) *inventory.Snapshot {
	s := *snap
	s.VPCs = make(map[string]*inventory.VPC, len(snap.VPCs))
	for id, old := range snap.VPCs {
		s.VPCs[id] = old
	}
	s.VPCs[v.ID] = v
	return &s
}

// scoped is the state a step's checks are re-run on: only the step's VPC,
// only the models it repairs (reduced to the subnets it repairs, when it
// names them), and only the endpoint it changed or created (when known). A
// problem the step did not set out to fix (an exempt model, a refused route
// table, another VPC) thus neither fails nor passes its verification.
func scoped(snap *inventory.Snapshot, step Step, v *inventory.VPC, endpointID string) *inventory.Snapshot {
	s := &inventory.Snapshot{
		Account: snap.Account, Region: snap.Region, Partition: snap.Partition,
		ModelErrs:      map[string]error{},
		Subnets:        snap.Subnets,
		SecurityGroups: snap.SecurityGroups,
		S3PrefixList:   snap.S3PrefixList,
		S3CIDRs:        snap.S3CIDRs,
		SubnetACLs:     snap.SubnetACLs,
		Roles:          snap.Roles,
		Buckets:        snap.Buckets,
		Trigger:        &inventory.EndpointRef{VPCID: v.ID},
	}
	for _, m := range snap.Models {
		if !slices.Contains(step.Models, m.Name) || m.VPCConfig == nil {
			continue
		}
		if len(step.Subnets) > 0 {
			vc := *m.VPCConfig
			vc.SubnetIDs = slices.DeleteFunc(slices.Clone(vc.SubnetIDs), func(id string) bool { return !slices.Contains(step.Subnets, id) })
			m.VPCConfig = &vc
		}
		s.Models = append(s.Models, m)
	}
	vc := *v
	if endpointID != "" && vc.Endpoints.OK() {
		vc.Endpoints = inventory.Known(slices.DeleteFunc(slices.Clone(vc.Endpoints.Value), func(e inventory.Endpoint) bool { return e.ID != endpointID }))
	}
	s.VPCs = map[string]*inventory.VPC{v.ID: &vc}
	return s
}

// runChecks evaluates the checks ids on s; passed is true when every one
// passes.
func runChecks(s *inventory.Snapshot, ids []string) (results []report.Check, passed bool) {
	var defs []checks.Definition
	for _, id := range ids {
		if d, ok := checks.Lookup(id); ok {
			defs = append(defs, d)
		}
	}
	results = checks.Run(s, defs)
	passed = len(results) == len(ids)
	for _, r := range results {
		if r.Status != report.StatusPass {
			passed = false
		}
	}
	return results, passed
}

// verifiedDetail renders re-run checks for an action's detail.
func verifiedDetail(results []report.Check, passed bool, attempts int) map[string]any {
	list := make([]any, 0, len(results))
	for _, r := range results {
		list = append(list, map[string]any{"check": r.ID, "status": string(r.Status), "message": r.Message})
	}
	return map[string]any{"passed": passed, "attempts": attempts, "checks": list}
}

// notPassing summarises the checks that did not pass.
func notPassing(results []report.Check) string {
	var parts []string
	for _, r := range results {
		if r.Status != report.StatusPass {
			parts = append(parts, fmt.Sprintf("%s is %s (%s)", r.ID, r.Status, r.Message))
		}
	}
	return strings.Join(parts, "; ")
}
