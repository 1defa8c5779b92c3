package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/smithy-go"
)

// Gatherer reads the state behind an evaluation. Independent calls run
// concurrently: a CreateModel evaluation takes three sequential round trips
// (the model; its subnets, groups, role and bucket; its VPC).
type Gatherer struct {
	SageMaker SageMakerAPI
	EC2       EC2API
	S3        S3API
	IAM       IAMAPI
	// AutoScaling is optional: with it, an endpoint's models are counted
	// with the autoscaling max of their variants; nil keeps the variants'
	// initial instance counts.
	AutoScaling AutoScalingAPI

	Account   string
	Region    string
	Partition string // default aws
	// Concurrency bounds each fan-out of similar calls (default 8).
	Concurrency int
	// ModelTags makes the gatherer read each model's tags (one ListTags
	// per model); the exempt tag needs them where vpcguard may write.
	ModelTags bool
	// ENIActions are the actions simulated for each execution role.
	ENIActions []string
	// Placement finds the models a change affects (the state table's
	// index); nil lists and describes every model (see Scoped).
	Placement Placement
}

// ModelRequest names a model to evaluate and how many instances will host it.
type ModelRequest struct {
	Name          string
	Instances     int
	InstancesFrom string
	Via           string // the endpoint config or endpoint that uses it
}

func (g *Gatherer) newSnapshot() *Snapshot {
	p := g.Partition
	if p == "" {
		p = "aws"
	}
	return &Snapshot{
		Account: g.Account, Region: g.Region, Partition: p,
		ModelErrs: map[string]error{},
		VPCs:      map[string]*VPC{},
		Roles:     map[string]Fact[RolePermissions]{},
		Buckets:   map[string]Fact[BucketPolicy]{},
	}
}

// Models gathers the state of the named models (a CreateModel event).
func (g *Gatherer) Models(ctx context.Context, reqs []ModelRequest) *Snapshot {
	s := g.newSnapshot()
	s.Models = g.describeModels(ctx, s, reqs)
	g.gatherPlacement(ctx, s, true)
	return s
}

// EndpointConfig gathers the state of every model of an endpoint config,
// each with the instance count its variants give it. A config has no
// endpoint yet, so no autoscaling: the variants' InitialInstanceCount.
func (g *Gatherer) EndpointConfig(ctx context.Context, name string) *Snapshot {
	return g.endpointConfigCounted(ctx, name, "", nil)
}

// Endpoint gathers the state behind an endpoint: its endpoint config (read
// from the endpoint when configName, CloudTrail's hint, is empty). A model
// is counted with max(InitialInstanceCount, autoscaling MaxCapacity) of
// each variant that uses it, when g.AutoScaling is set.
func (g *Gatherer) Endpoint(ctx context.Context, endpointName, configName string) *Snapshot {
	if configName == "" {
		out, err := g.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(endpointName)})
		if err != nil {
			s := g.newSnapshot()
			s.ModelErrs["endpoint "+endpointName] = fmt.Errorf("describe endpoint %s: %w", endpointName, err)
			return s
		}
		configName = aws.ToString(out.EndpointConfigName)
	}
	s := g.endpointConfigCounted(ctx, configName, endpointName, nil)
	if s.Endpoint != nil {
		s.Endpoint.Name = endpointName
	}
	for i := range s.Models {
		s.Models[i].Via = "endpoint " + endpointName + " (config " + configName + ")"
	}
	return s
}

// endpointConfigCounted gathers the models of config; when endpoint is set,
// the autoscaling maxima of its variants are read beside the models (one
// DescribeScalableTargets, no extra round trip). desired, when it names a
// variant, replaces that variant's initial instance count (the endpoint's
// current desired count).
func (g *Gatherer) endpointConfigCounted(ctx context.Context, config, endpoint string, desired map[string]int) *Snapshot {
	s := g.newSnapshot()
	variants, err := g.configVariants(ctx, config)
	if err != nil {
		s.ModelErrs["endpoint config "+config] = err
		return s
	}
	if endpoint != "" {
		use := &EndpointUse{Config: config}
		for _, v := range variants {
			use.Models = appendNew(use.Models, v.model)
		}
		s.Endpoint = use
	}
	for i, v := range variants {
		if n, ok := desired[v.variant]; ok {
			variants[i].initial, variants[i].countFrom = n, "desired"
		}
	}
	var scaling *variantScaling
	var wg sync.WaitGroup
	if endpoint != "" && g.AutoScaling != nil && len(variants) > 0 {
		wg.Go(func() { scaling = g.variantMaxima(ctx, endpoint, variants) })
	}
	s.Models = g.describeModels(ctx, s, modelRequests(config, variants, nil))
	wg.Wait()
	if scaling != nil {
		byModel := map[string]ModelRequest{}
		for _, r := range modelRequests(config, variants, scaling) {
			byModel[strings.ToLower(r.Name)] = r
		}
		for i := range s.Models {
			if r, ok := byModel[strings.ToLower(s.Models[i].Name)]; ok {
				s.Models[i].Instances, s.Models[i].InstancesFrom = r.Instances, r.InstancesFrom
			}
		}
	}
	g.gatherPlacement(ctx, s, true)
	return s
}

// VPCEndpoint gathers what a VPC-endpoint event affects: the endpoint, its
// VPC and every model placed in that VPC. With g.Placement, the endpoint's
// VPC is read first and the index names its models (calls that do not grow
// with the account); without it, or when the index cannot answer, every
// model is listed and described (the reason in s.PlacementNote). When the
// endpoint is gone and its VPC unknown, every VPC that holds a model is in
// scope.
func (g *Gatherer) VPCEndpoint(ctx context.Context, ref EndpointRef) *Snapshot {
	s := g.newSnapshot()
	if g.Placement != nil {
		g.resolveEndpoint(ctx, &ref)
		if ref.VPCID != "" {
			models, err := g.Placement.ModelsPlaced(ctx, PlacementQuery{VPCID: ref.VPCID})
			if err == nil {
				s.Trigger = &ref
				s.Models = models
				g.placeInVPC(ctx, s, ref.VPCID)
				return s
			}
			s.PlacementNote = fmt.Sprintf("placement index unreadable, full scan instead: %v", err)
		} else {
			s.PlacementNote = "the endpoint's VPC is unknown (the endpoint is gone), so every model is read: full scan"
		}
		s.Trigger = &ref
		s.Models = g.allModels(ctx, s)
		g.placeInVPC(ctx, s, ref.VPCID)
		return s
	}
	var wg sync.WaitGroup
	var all []Model
	wg.Go(func() { g.resolveEndpoint(ctx, &ref) })
	wg.Go(func() { all = g.allModels(ctx, s) })
	wg.Wait()
	s.Trigger = &ref
	s.Models = all
	g.placeInVPC(ctx, s, ref.VPCID)
	return s
}

// resolveEndpoint reads the endpoints ref names: their VPC (when ref has
// none and they are in one) and whether AWS reports them deleted. A failed
// read changes nothing: the VPCs' own endpoint lists, read later, are the
// truth.
func (g *Gatherer) resolveEndpoint(ctx context.Context, ref *EndpointRef) {
	if len(ref.IDs) == 0 {
		return
	}
	out, err := g.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-endpoint-id"), Values: ref.IDs}},
	})
	if err != nil {
		return
	}
	var vpcs []string
	for _, raw := range out.VpcEndpoints {
		e := endpointFrom(raw)
		vpcs = appendNew(vpcs, e.VPCID)
		if !live(e.State) {
			ref.Deleted = true
		}
	}
	if ref.VPCID == "" && len(vpcs) == 1 {
		ref.VPCID = vpcs[0]
	}
}

// placeInVPC reads the subnets and groups of s's models, keeps those placed
// in vpc (all of them when vpc is unknown) and reads their VPCs' state.
func (g *Gatherer) placeInVPC(ctx context.Context, s *Snapshot, vpc string) {
	g.gatherSubnetsAndGroups(ctx, s, false)
	if vpc != "" {
		s.Models = slices.DeleteFunc(s.Models, func(m Model) bool { return s.ModelVPC(m) != vpc })
	}
	g.gatherVPCs(ctx, s, g.modelVPCs(s, vpc))
}

// AccountWide gathers every model of the account and the VPCs they use: the
// sweep. Calls grow with the models plus a constant per VPC.
func (g *Gatherer) AccountWide(ctx context.Context) *Snapshot {
	s := g.newSnapshot()
	s.Models = g.allModels(ctx, s)
	g.gatherPlacement(ctx, s, true)
	return s
}

// gatherPlacement reads everything that depends on the models: subnets,
// groups, roles and buckets together, then each VPC.
func (g *Gatherer) gatherPlacement(ctx context.Context, s *Snapshot, withRolesAndBuckets bool) {
	g.gatherSubnetsAndGroups(ctx, s, withRolesAndBuckets)
	g.gatherVPCs(ctx, s, g.modelVPCs(s, ""))
}

func (g *Gatherer) modelVPCs(s *Snapshot, extra string) []string {
	var ids []string
	for _, m := range s.Models {
		if id := s.ModelVPC(m); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if extra != "" && !slices.Contains(ids, extra) {
		ids = append(ids, extra)
	}
	return ids
}

// describeModels reads each model (and its tags) concurrently. A model that
// cannot be read is kept in s.ModelErrs.
func (g *Gatherer) describeModels(ctx context.Context, s *Snapshot, reqs []ModelRequest) []Model {
	models := make([]*Model, len(reqs))
	var mu sync.Mutex
	fanOut(ctx, g.concurrency(), len(reqs), func(ctx context.Context, i int) {
		m, err := g.DescribeModel(ctx, reqs[i])
		if err != nil {
			mu.Lock()
			s.ModelErrs["model "+reqs[i].Name] = err
			mu.Unlock()
			return
		}
		models[i] = &m
	})
	var out []Model
	for _, m := range models {
		if m != nil {
			out = append(out, *m)
		}
	}
	return out
}

// modelARN derives a model's ARN; SageMaker lower-cases names in ARNs.
func (g *Gatherer) modelARN(name string) string {
	p := g.Partition
	if p == "" {
		p = "aws"
	}
	return fmt.Sprintf("arn:%s:sagemaker:%s:%s:model/%s", p, g.Region, g.Account, strings.ToLower(name))
}

func (g *Gatherer) modelTags(ctx context.Context, arn string) (map[string]string, error) {
	tags := map[string]string{}
	p := sagemaker.NewListTagsPaginator(g.SageMaker, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range page.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return tags, nil
}

// allModels lists and describes every model of the account.
func (g *Gatherer) allModels(ctx context.Context, s *Snapshot) []Model {
	listed, err := g.ListModels(ctx)
	if err != nil {
		s.ModelErrs["the account's models"] = err
	}
	reqs := make([]ModelRequest, len(listed))
	for i, m := range listed {
		reqs[i] = ModelRequest{Name: m.Name}
	}
	return g.describeModels(ctx, s, reqs)
}

// variantUse is one production variant of an endpoint config.
type variantUse struct {
	variant, model string
	initial        int
	countFrom      string // what initial is: "" for the config's initial count, "desired" for the endpoint's current one
}

func (v variantUse) countName() string {
	if v.countFrom == "" {
		return "initial"
	}
	return v.countFrom
}

// configVariants reads an endpoint config's variants: each one's model and
// the instances it starts with.
func (g *Gatherer) configVariants(ctx context.Context, name string) ([]variantUse, error) {
	out, err := g.SageMaker.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("describe endpoint config %s: %w", name, err)
	}
	var vs []variantUse
	for _, v := range out.ProductionVariants {
		vs = append(vs, variantUse{variant: aws.ToString(v.VariantName), model: aws.ToString(v.ModelName), initial: int(aws.ToInt32(v.InitialInstanceCount))})
	}
	return vs, nil
}

// variantScaling is what Application Auto Scaling says of an endpoint's
// variants: the MaxCapacity of those registered, or why it could not be read.
type variantScaling struct {
	endpoint string
	max      map[string]int // variant → MaxCapacity
	err      error
}

// SageMakerVariantResourceID is the Application Auto Scaling resource id of
// an endpoint variant.
func SageMakerVariantResourceID(endpoint, variant string) string {
	return "endpoint/" + endpoint + "/variant/" + variant
}

// variantMaxima reads the scalable targets of the endpoint's variants (one
// DescribeScalableTargets: an endpoint has at most 10 variants).
func (g *Gatherer) variantMaxima(ctx context.Context, endpoint string, vs []variantUse) *variantScaling {
	sc := &variantScaling{endpoint: endpoint, max: map[string]int{}}
	variantOf := map[string]string{}
	var ids []string
	for _, v := range vs {
		id := SageMakerVariantResourceID(endpoint, v.variant)
		if _, dup := variantOf[id]; !dup {
			variantOf[id] = v.variant
			ids = append(ids, id)
		}
	}
	p := applicationautoscaling.NewDescribeScalableTargetsPaginator(g.AutoScaling, &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace:  aastypes.ServiceNamespaceSagemaker,
		ResourceIds:       ids,
		ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			// All or nothing: a partial answer would mix two counts.
			sc.max, sc.err = nil, fmt.Errorf("describe scalable targets of endpoint %s: %w", endpoint, err)
			return sc
		}
		for _, t := range page.ScalableTargets {
			if v, ok := variantOf[aws.ToString(t.ResourceId)]; ok && t.MaxCapacity != nil {
				sc.max[v] = int(aws.ToInt32(t.MaxCapacity))
			}
		}
	}
	return sc
}

// modelRequests turns a config's variants into one request per model, with
// the instances summed over the variants that use it: each variant counts
// max(InitialInstanceCount, its autoscaling MaxCapacity) when scaling
// (nil: not read) knows it.
func modelRequests(config string, vs []variantUse, scaling *variantScaling) []ModelRequest {
	type use struct {
		req     ModelRequest
		names   []string // variant names
		parts   []string // each variant's count and where it comes from
		autoMax bool     // some variant is counted with its autoscaling max
		desired bool     // some variant is counted with the endpoint's desired count
	}
	var uses []*use
	for _, v := range vs {
		i := slices.IndexFunc(uses, func(u *use) bool { return u.req.Name == v.model })
		if i < 0 {
			uses = append(uses, &use{req: ModelRequest{Name: v.model, Via: "endpoint config " + config}})
			i = len(uses) - 1
		}
		u := uses[i]
		n, part := v.initial, fmt.Sprintf("variant %s: %d, %s", v.variant, v.initial, v.countName())
		if scaling != nil {
			if m, ok := scaling.max[v.variant]; ok && m > v.initial {
				n, part, u.autoMax = m, fmt.Sprintf("autoscaling max of variant %s: %d, %s %d", v.variant, m, v.countName(), v.initial), true
			}
		}
		u.req.Instances += n
		u.desired = u.desired || v.countFrom != ""
		u.names = append(u.names, v.variant)
		u.parts = append(u.parts, part)
	}
	reqs := make([]ModelRequest, 0, len(uses))
	for _, u := range uses {
		r := u.req
		switch {
		case u.autoMax:
			r.InstancesFrom = fmt.Sprintf("endpoint %s, config %s: %s", scaling.endpoint, config, strings.Join(u.parts, "; "))
		default:
			r.InstancesFrom = fmt.Sprintf("endpoint config %s variant %s", config, strings.Join(u.names, ", "))
			if u.desired {
				r.InstancesFrom = fmt.Sprintf("endpoint config %s: %s", config, strings.Join(u.parts, "; "))
			}
			if scaling != nil && scaling.err != nil {
				what := "initial"
				if u.desired {
					what = "desired"
				}
				r.InstancesFrom += "; the autoscaling max could not be read, so the " + what + " count is used (" + scaling.err.Error() + ")"
			}
		}
		reqs = append(reqs, r)
	}
	return reqs
}

// gatherSubnetsAndGroups is the second round trip: everything that needs
// only the models.
func (g *Gatherer) gatherSubnetsAndGroups(ctx context.Context, s *Snapshot, withRolesAndBuckets bool) {
	var subnets, groups, roles, buckets []string
	for _, m := range s.Models {
		if m.VPCConfig != nil {
			subnets = appendNew(subnets, m.VPCConfig.SubnetIDs...)
			groups = appendNew(groups, m.VPCConfig.SecurityGroupIDs...)
			if m.ExecutionRoleARN != "" {
				roles = appendNew(roles, m.ExecutionRoleARN)
			}
		}
		buckets = appendNew(buckets, m.ArtifactBuckets...)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wg.Go(func() { s.Subnets = g.subnets(ctx, subnets) })
	wg.Go(func() { s.SecurityGroups = g.securityGroups(ctx, groups) })
	wg.Go(func() { s.S3PrefixList, s.S3CIDRs = g.s3PrefixList(ctx) })
	wg.Go(func() { s.SubnetACLs = g.subnetACLs(ctx, subnets) })
	if withRolesAndBuckets {
		wg.Go(func() {
			fanOut(ctx, g.concurrency(), len(roles), func(ctx context.Context, i int) {
				f := g.rolePermissions(ctx, roles[i])
				mu.Lock()
				s.Roles[roles[i]] = f
				mu.Unlock()
			})
		})
		wg.Go(func() {
			fanOut(ctx, g.concurrency(), len(buckets), func(ctx context.Context, i int) {
				f := g.bucketPolicy(ctx, buckets[i])
				mu.Lock()
				s.Buckets[buckets[i]] = f
				mu.Unlock()
			})
		})
	}
	wg.Wait()
}

func (g *Gatherer) subnets(ctx context.Context, ids []string) Fact[map[string]Subnet] {
	out := map[string]Subnet{}
	// A filter, not SubnetIds: an unknown id then is simply absent instead
	// of failing the whole call.
	err := eachChunk(ids, 200, func(chunk []string) error {
		p := ec2.NewDescribeSubnetsPaginator(g.EC2, &ec2.DescribeSubnetsInput{
			Filters: []ec2types.Filter{{Name: aws.String("subnet-id"), Values: chunk}},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("describe subnets: %w", err)
			}
			for _, sn := range page.Subnets {
				out[aws.ToString(sn.SubnetId)] = subnetFrom(sn)
			}
		}
		return nil
	})
	if err != nil {
		return Failed[map[string]Subnet](err)
	}
	return Known(out)
}

func (g *Gatherer) securityGroups(ctx context.Context, ids []string) Fact[map[string]SecurityGroup] {
	out := map[string]SecurityGroup{}
	err := eachChunk(ids, 200, func(chunk []string) error {
		p := ec2.NewDescribeSecurityGroupsPaginator(g.EC2, &ec2.DescribeSecurityGroupsInput{
			Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: chunk}},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("describe security groups: %w", err)
			}
			for _, sg := range page.SecurityGroups {
				out[aws.ToString(sg.GroupId)] = securityGroupFrom(sg)
			}
		}
		return nil
	})
	if err != nil {
		return Failed[map[string]SecurityGroup](err)
	}
	return Known(out)
}

// s3PrefixList reads the region's S3 prefix list: its id and its CIDRs,
// from the one DescribePrefixLists that answers both (the AWS-managed list
// holds the same CIDRs as GetManagedPrefixListEntries of it, without a
// second, sequential call).
func (g *Gatherer) s3PrefixList(ctx context.Context) (Fact[string], Fact[[]string]) {
	out, err := g.EC2.DescribePrefixLists(ctx, &ec2.DescribePrefixListsInput{
		Filters: []ec2types.Filter{{Name: aws.String("prefix-list-name"), Values: []string{S3ServiceName(g.Region)}}},
	})
	if err != nil {
		err = fmt.Errorf("describe prefix lists: %w", err)
		return Failed[string](err), Failed[[]string](err)
	}
	if len(out.PrefixLists) == 0 {
		err := fmt.Errorf("no prefix list named %s", S3ServiceName(g.Region))
		return Failed[string](err), Failed[[]string](err)
	}
	pl := out.PrefixLists[0]
	id := aws.ToString(pl.PrefixListId)
	if len(pl.Cidrs) == 0 {
		return Known(id), Failed[[]string](fmt.Errorf("describe prefix lists: %s lists no CIDR", id))
	}
	return Known(id), Known(pl.Cidrs)
}

// subnetACLs reads the network ACLs associated with subnets, by subnet.
func (g *Gatherer) subnetACLs(ctx context.Context, subnets []string) Fact[map[string]NetworkACL] {
	out := map[string]NetworkACL{}
	err := eachChunk(subnets, 200, func(chunk []string) error {
		p := ec2.NewDescribeNetworkAclsPaginator(g.EC2, &ec2.DescribeNetworkAclsInput{
			Filters: []ec2types.Filter{{Name: aws.String("association.subnet-id"), Values: chunk}},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("describe network acls of subnets: %w", err)
			}
			for _, raw := range page.NetworkAcls {
				a := networkACLFrom(raw)
				for _, id := range a.SubnetIDs {
					if slices.Contains(chunk, id) {
						out[id] = a
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return Failed[map[string]NetworkACL](err)
	}
	return Known(out)
}

// defaultACL reads the default network ACL of a VPC.
func (g *Gatherer) defaultACL(ctx context.Context, vpc string) Fact[NetworkACL] {
	p := ec2.NewDescribeNetworkAclsPaginator(g.EC2, &ec2.DescribeNetworkAclsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}, {Name: aws.String("default"), Values: []string{"true"}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return Failed[NetworkACL](fmt.Errorf("describe the default network acl of %s: %w", vpc, err))
		}
		for _, raw := range page.NetworkAcls {
			if a := networkACLFrom(raw); a.Default && a.VPCID == vpc {
				return Known(a)
			}
		}
	}
	return Failed[NetworkACL](fmt.Errorf("%s has no default network ACL", vpc))
}

func (g *Gatherer) rolePermissions(ctx context.Context, role string) Fact[RolePermissions] {
	perms := RolePermissions{RoleARN: role, Allowed: map[string]bool{}}
	p := iam.NewSimulatePrincipalPolicyPaginator(g.IAM, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(role),
		ActionNames:     g.ENIActions,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return Failed[RolePermissions](fmt.Errorf("simulate principal policy for %s: %w", role, err))
		}
		for _, r := range page.EvaluationResults {
			perms.Allowed[aws.ToString(r.EvalActionName)] = r.EvalDecision == "allowed"
		}
	}
	return Known(perms)
}

func (g *Gatherer) bucketPolicy(ctx context.Context, bucket string) Fact[BucketPolicy] {
	out, err := g.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil {
		var api smithy.APIError
		if errors.As(err, &api) && api.ErrorCode() == "NoSuchBucketPolicy" {
			return Known(BucketPolicy{Bucket: bucket})
		}
		return Failed[BucketPolicy](fmt.Errorf("get bucket policy of %s: %w", bucket, err))
	}
	return Known(BucketPolicy{Bucket: bucket, Exists: true, Document: aws.ToString(out.Policy)})
}

// gatherVPCs is the third round trip: every VPC's own state, all calls of
// all VPCs at once (bounded).
func (g *Gatherer) gatherVPCs(ctx context.Context, s *Snapshot, ids []string) {
	if len(ids) == 0 {
		return
	}
	vpcs := make([]*VPC, len(ids))
	for i, id := range ids {
		vpcs[i] = &VPC{ID: id}
		s.VPCs[id] = vpcs[i]
	}
	var dhcp Fact[map[string]DHCPOptions]
	tasks := []func(context.Context){
		func(ctx context.Context) { dhcp = g.dhcpOptions(ctx) },
	}
	for _, v := range vpcs {
		tasks = append(tasks,
			func(ctx context.Context) { v.Info = g.vpcInfo(ctx, v.ID) },
			func(ctx context.Context) { v.DNS = g.dnsAttributes(ctx, v.ID) },
			func(ctx context.Context) { v.RouteTables = g.routeTables(ctx, v.ID) },
			func(ctx context.Context) { v.Endpoints = g.endpoints(ctx, v.ID) },
			func(ctx context.Context) { v.FlowLogs = g.flowLogs(ctx, v.ID) },
			func(ctx context.Context) { v.NATGateways = g.natGateways(ctx, v.ID) },
			func(ctx context.Context) { v.DefaultACL = g.defaultACL(ctx, v.ID) },
		)
	}
	fanOut(ctx, max(g.concurrency(), 8), len(tasks), func(ctx context.Context, i int) { tasks[i](ctx) })
	for _, v := range vpcs {
		switch {
		case !v.Info.OK():
			v.DHCP = Failed[DHCPOptions](v.Info.Err)
		case !dhcp.OK():
			v.DHCP = Failed[DHCPOptions](dhcp.Err)
		default:
			id := v.Info.Value.DHCPOptionsID
			if d, ok := dhcp.Value[id]; ok || id == "default" || id == "" {
				d.ID = id
				v.DHCP = Known(d)
			} else {
				v.DHCP = Failed[DHCPOptions](fmt.Errorf("DHCP option set %s of %s not found", id, v.ID))
			}
		}
	}
}

func (g *Gatherer) vpcInfo(ctx context.Context, id string) Fact[VPCInfo] {
	out, err := g.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{id}}},
	})
	if err != nil {
		return Failed[VPCInfo](fmt.Errorf("describe vpcs: %w", err))
	}
	if len(out.Vpcs) == 0 {
		return Failed[VPCInfo](fmt.Errorf("%s not found", id))
	}
	v := out.Vpcs[0]
	return Known(VPCInfo{DHCPOptionsID: aws.ToString(v.DhcpOptionsId), CIDR: aws.ToString(v.CidrBlock), Tags: tagsFrom(v.Tags)})
}

func (g *Gatherer) dnsAttributes(ctx context.Context, id string) Fact[DNSAttributes] {
	var a DNSAttributes
	var errSupport, errHostnames error
	var wg sync.WaitGroup
	wg.Go(func() {
		out, err := g.EC2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(id), Attribute: ec2types.VpcAttributeNameEnableDnsSupport})
		if errSupport = err; err == nil && out.EnableDnsSupport != nil {
			a.Support = aws.ToBool(out.EnableDnsSupport.Value)
		}
	})
	wg.Go(func() {
		out, err := g.EC2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(id), Attribute: ec2types.VpcAttributeNameEnableDnsHostnames})
		if errHostnames = err; err == nil && out.EnableDnsHostnames != nil {
			a.Hostnames = aws.ToBool(out.EnableDnsHostnames.Value)
		}
	})
	wg.Wait()
	if err := errors.Join(errSupport, errHostnames); err != nil {
		return Failed[DNSAttributes](fmt.Errorf("describe vpc attribute: %w", err))
	}
	return Known(a)
}

func (g *Gatherer) dhcpOptions(ctx context.Context) Fact[map[string]DHCPOptions] {
	out := map[string]DHCPOptions{}
	p := ec2.NewDescribeDhcpOptionsPaginator(g.EC2, &ec2.DescribeDhcpOptionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return Failed[map[string]DHCPOptions](fmt.Errorf("describe dhcp options: %w", err))
		}
		for _, d := range page.DhcpOptions {
			opt := DHCPOptions{ID: aws.ToString(d.DhcpOptionsId)}
			for _, c := range d.DhcpConfigurations {
				if aws.ToString(c.Key) == "domain-name-servers" {
					for _, v := range c.Values {
						opt.DomainNameServers = append(opt.DomainNameServers, aws.ToString(v.Value))
					}
				}
			}
			out[opt.ID] = opt
		}
	}
	return Known(out)
}

func (g *Gatherer) routeTables(ctx context.Context, vpc string) Fact[[]RouteTable] {
	tables, err := ReadRouteTables(ctx, g.EC2, vpc)
	if err != nil {
		return Failed[[]RouteTable](err)
	}
	return Known(tables)
}

func (g *Gatherer) endpoints(ctx context.Context, vpc string) Fact[[]Endpoint] {
	eps, err := ReadEndpoints(ctx, g.EC2, vpc)
	if err != nil {
		return Failed[[]Endpoint](err)
	}
	return Known(eps)
}

// ReadRouteTables reads every route table of a VPC (the main one included).
func ReadRouteTables(ctx context.Context, api ec2.DescribeRouteTablesAPIClient, vpc string) ([]RouteTable, error) {
	var out []RouteTable
	p := ec2.NewDescribeRouteTablesPaginator(api, &ec2.DescribeRouteTablesInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe route tables of %s: %w", vpc, err)
		}
		for _, t := range page.RouteTables {
			out = append(out, routeTableFrom(t))
		}
	}
	return out, nil
}

// ReadEndpoints reads every VPC endpoint of a VPC, of every type.
func ReadEndpoints(ctx context.Context, api ec2.DescribeVpcEndpointsAPIClient, vpc string) ([]Endpoint, error) {
	var out []Endpoint
	p := ec2.NewDescribeVpcEndpointsPaginator(api, &ec2.DescribeVpcEndpointsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe vpc endpoints of %s: %w", vpc, err)
		}
		for _, e := range page.VpcEndpoints {
			out = append(out, endpointFrom(e))
		}
	}
	return out, nil
}

func (g *Gatherer) flowLogs(ctx context.Context, vpc string) Fact[[]FlowLog] {
	var out []FlowLog
	p := ec2.NewDescribeFlowLogsPaginator(g.EC2, &ec2.DescribeFlowLogsInput{
		Filter: []ec2types.Filter{{Name: aws.String("resource-id"), Values: []string{vpc}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return Failed[[]FlowLog](fmt.Errorf("describe flow logs: %w", err))
		}
		for _, f := range page.FlowLogs {
			out = append(out, FlowLog{
				ID: aws.ToString(f.FlowLogId), TrafficType: string(f.TrafficType),
				Status: aws.ToString(f.FlowLogStatus), Destination: aws.ToString(f.LogDestination),
			})
		}
	}
	return Known(out)
}

func (g *Gatherer) natGateways(ctx context.Context, vpc string) Fact[[]NATGateway] {
	var out []NATGateway
	p := ec2.NewDescribeNatGatewaysPaginator(g.EC2, &ec2.DescribeNatGatewaysInput{
		Filter: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return Failed[[]NATGateway](fmt.Errorf("describe nat gateways: %w", err))
		}
		for _, n := range page.NatGateways {
			out = append(out, NATGateway{ID: aws.ToString(n.NatGatewayId), SubnetID: aws.ToString(n.SubnetId), State: string(n.State)})
		}
	}
	return Known(out)
}

func (g *Gatherer) concurrency() int {
	if g.Concurrency > 0 {
		return g.Concurrency
	}
	return 8
}

// fanOut calls fn(ctx, i) for i in [0, n) with at most limit calls at once.
func fanOut(ctx context.Context, limit, n int, fn func(context.Context, int)) {
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(ctx, i)
		})
	}
	wg.Wait()
}

// eachChunk calls fn on ids in chunks of at most size (EC2 filters take at
// most 200 values); no ids, no call.
func eachChunk(ids []string, size int, fn func([]string) error) error {
	for len(ids) > 0 {
		n := min(size, len(ids))
		if err := fn(ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func appendNew(list []string, vs ...string) []string {
	for _, v := range vs {
		if v != "" && !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}
