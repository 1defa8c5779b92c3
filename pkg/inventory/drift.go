package inventory

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
)

// Drift scopes: from what a drift event names (a route table, a gone
// association, a gone flow log, an endpoint) to the models it can affect.
// Each resolves the change to a PlacementQuery and gathers through Scoped,
// so the placement index serves them when it is configured. An error means
// the affected models cannot be told; it is never "no model affected".

// RouteTableUsers gathers the models with a subnet that route table id
// serves: its explicit associations, or, for a VPC's main table, every
// subnet without one. The table's VPC is read first (one DescribeRouteTables);
// a table that no longer exists serves nobody.
func (g *Gatherer) RouteTableUsers(ctx context.Context, id string) (*Snapshot, error) {
	out, err := g.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{
		Filters: []ec2types.Filter{{Name: aws.String("route-table-id"), Values: []string{id}}},
	})
	if err != nil {
		return nil, fmt.Errorf("describe route table %s: %w", id, err)
	}
	if len(out.RouteTables) == 0 {
		return g.newSnapshot(), nil
	}
	s := g.Scoped(ctx, PlacementQuery{VPCID: aws.ToString(out.RouteTables[0].VpcId)})
	s.keepModels(func(m Model, v *VPC) bool {
		return !v.RouteTables.OK() || slices.ContainsFunc(m.VPCConfig.SubnetIDs, func(subnet string) bool {
			rt, err := RouteTableFor(v.RouteTables.Value, subnet)
			return err == nil && rt.ID == id
		})
	})
	return s, nil
}

// MainTableUsers gathers the models with a subnet that a main route table
// serves (a subnet without an explicit association), in every VPC of the
// region. After DisassociateRouteTable the association is gone and
// CloudTrail logs nothing else: the subnet it freed is now served by its
// VPC's main table, so it is among these.
func (g *Gatherer) MainTableUsers(ctx context.Context) (*Snapshot, error) {
	var subnets []ec2types.Subnet
	explicit := map[string]bool{}
	var errSubnets, errTables error
	var wg sync.WaitGroup
	wg.Go(func() { subnets, errSubnets = g.regionSubnets(ctx) })
	wg.Go(func() {
		p := ec2.NewDescribeRouteTablesPaginator(g.EC2, &ec2.DescribeRouteTablesInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				errTables = fmt.Errorf("describe route tables: %w", err)
				return
			}
			for _, t := range page.RouteTables {
				for _, a := range t.Associations {
					if id := aws.ToString(a.SubnetId); id != "" {
						explicit[id] = true
					}
				}
			}
		}
	})
	wg.Wait()
	if errSubnets != nil || errTables != nil {
		return nil, firstErr(errSubnets, errTables)
	}
	var q PlacementQuery
	for _, sn := range subnets {
		if id := aws.ToString(sn.SubnetId); !explicit[id] {
			q.SubnetIDs = append(q.SubnetIDs, id)
		}
	}
	return g.Scoped(ctx, q), nil
}

// FlowLogGaps gathers the models placed in a VPC that has no active flow log
// on the VPC itself. After DeleteFlowLogs the flow log is gone and
// CloudTrail logs only its id, so the VPC it watched is unknown: it is among
// the VPCs without one.
func (g *Gatherer) FlowLogGaps(ctx context.Context) (*Snapshot, error) {
	var subnets []ec2types.Subnet
	watched := map[string]bool{} // resource ids with an active flow log
	var errSubnets, errLogs error
	var wg sync.WaitGroup
	wg.Go(func() { subnets, errSubnets = g.regionSubnets(ctx) })
	wg.Go(func() {
		p := ec2.NewDescribeFlowLogsPaginator(g.EC2, &ec2.DescribeFlowLogsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				errLogs = fmt.Errorf("describe flow logs: %w", err)
				return
			}
			for _, f := range page.FlowLogs {
				if st := aws.ToString(f.FlowLogStatus); st == "" || st == "ACTIVE" {
					watched[aws.ToString(f.ResourceId)] = true
				}
			}
		}
	})
	wg.Wait()
	if errSubnets != nil || errLogs != nil {
		return nil, firstErr(errSubnets, errLogs)
	}
	var q PlacementQuery
	for _, sn := range subnets {
		if !watched[aws.ToString(sn.VpcId)] {
			q.SubnetIDs = append(q.SubnetIDs, aws.ToString(sn.SubnetId))
		}
	}
	return g.Scoped(ctx, q), nil
}

// regionSubnets reads every subnet of the region.
func (g *Gatherer) regionSubnets(ctx context.Context) ([]ec2types.Subnet, error) {
	var out []ec2types.Subnet
	p := ec2.NewDescribeSubnetsPaginator(g.EC2, &ec2.DescribeSubnetsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe subnets: %w", err)
		}
		out = append(out, page.Subnets...)
	}
	return out, nil
}

// keepModels keeps the models with a VpcConfig for which keep holds, given
// the state of their VPC. A model whose VPC cannot be told because the
// subnets could not be read is kept (its checks then say why they are
// unknown); one whose subnets do not exist is dropped.
func (s *Snapshot) keepModels(keep func(Model, *VPC) bool) {
	s.Models = slices.DeleteFunc(s.Models, func(m Model) bool {
		if m.VPCConfig == nil {
			return true
		}
		v := s.VPCs[s.ModelVPC(m)]
		if v == nil {
			return s.Subnets.OK()
		}
		return !keep(m, v)
	})
}

// EndpointCapacity gathers an endpoint's models counted with the instances
// the endpoint may run now: for each variant, the larger of its current
// desired instance count (DescribeEndpoint, which reflects
// UpdateEndpointWeightsAndCapacities; the config's initial count when the
// endpoint reports none) and its Application Auto Scaling MaxCapacity (when
// g.AutoScaling is set).
func (g *Gatherer) EndpointCapacity(ctx context.Context, endpoint string) *Snapshot {
	out, err := g.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(endpoint)})
	if err != nil {
		s := g.newSnapshot()
		s.ModelErrs["endpoint "+endpoint] = fmt.Errorf("describe endpoint %s: %w", endpoint, err)
		return s
	}
	desired := map[string]int{}
	for _, v := range out.ProductionVariants {
		if v.DesiredInstanceCount != nil {
			desired[aws.ToString(v.VariantName)] = int(aws.ToInt32(v.DesiredInstanceCount))
		}
	}
	config := aws.ToString(out.EndpointConfigName)
	s := g.endpointConfigCounted(ctx, config, endpoint, desired)
	for i := range s.Models {
		s.Models[i].Via = "endpoint " + endpoint + " (config " + config + ")"
	}
	return s
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
