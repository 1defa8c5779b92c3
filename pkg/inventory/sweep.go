package inventory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// Sweep support: the steps of an account-wide evaluation as separate
// methods, so that the sweep (pkg/sweep) can schedule them itself: list
// every model, describe them in an order and for as long as its time budget
// allows, then gather the placement state of the described models once.
// AccountWide does the same in one call, without a budget.

// NewSnapshot returns an empty snapshot for g's account, region and partition.
func (g *Gatherer) NewSnapshot() *Snapshot { return g.newSnapshot() }

// ModelSummary is what ListModels says of a model.
type ModelSummary struct {
	Name    string
	ARN     string
	Created time.Time
}

// ListModels lists every model of the account (ListModels, 100 a page), in
// the order SageMaker returns them: the one way vpcguard lists models. On
// error it returns the models listed so far.
func (g *Gatherer) ListModels(ctx context.Context) ([]ModelSummary, error) {
	var out []ModelSummary
	p := sagemaker.NewListModelsPaginator(g.SageMaker, &sagemaker.ListModelsInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list models: %w", err)
		}
		for _, m := range page.Models {
			out = append(out, ModelSummary{Name: aws.ToString(m.ModelName), ARN: aws.ToString(m.ModelArn), Created: aws.ToTime(m.CreationTime)})
		}
	}
	return out, nil
}

// DescribeModel reads one model (DescribeModel, and ListTags beside it when
// g.ModelTags is set) and gives it the instances r asks for.
func (g *Gatherer) DescribeModel(ctx context.Context, r ModelRequest) (Model, error) {
	var wg sync.WaitGroup
	var tags map[string]string
	var tagErr error
	if g.ModelTags {
		wg.Go(func() { tags, tagErr = g.modelTags(ctx, g.modelARN(r.Name)) })
	}
	out, err := g.SageMaker.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String(r.Name)})
	wg.Wait()
	if err == nil && tagErr != nil {
		err = fmt.Errorf("list tags: %w", tagErr)
	}
	if err != nil {
		return Model{}, fmt.Errorf("describe model %s: %w", r.Name, err)
	}
	m := modelFrom(out)
	m.Tags = tags
	m.Instances, m.InstancesFrom, m.Via = r.Instances, r.InstancesFrom, r.Via
	return m, nil
}

// ReadModelTags reads the tags of the model with ARN arn (ListTags).
func (g *Gatherer) ReadModelTags(ctx context.Context, arn string) (map[string]string, error) {
	tags, err := g.modelTags(ctx, arn)
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", arn, err)
	}
	return tags, nil
}

// Place gathers everything that depends on s.Models: their subnets,
// security groups, execution roles, artifact buckets and the S3 prefix list
// together, then the state of every VPC they use. Calls grow with the
// distinct subnets, groups (200 ids a call), roles and buckets, plus seven
// per VPC and one DescribeDhcpOptions: never with models × VPCs.
func (g *Gatherer) Place(ctx context.Context, s *Snapshot) {
	g.gatherPlacement(ctx, s, true)
}

// EndpointUsage is what the account's in-service endpoints ask of its
// models: the instances hosting each one, summed over every endpoint and
// variant that uses it.
type EndpointUsage struct {
	Endpoints int // in-service endpoints listed
	Configs   int // distinct endpoint configs read
	// Models holds, by lower-cased model name, the instances and where they
	// come from ("endpoint fraud (config fraud-v3) variant AllTraffic: 2
	// instances").
	Models map[string]ModelRequest
	// Err joins what could not be read: the listing, or single endpoints
	// and configs (whose models then keep the default instance count).
	Err error
	// Uses are the endpoints read, each with its config and the models of
	// its variants (those whose endpoint or config failed are left out, and
	// Err says so).
	Uses []EndpointUse
	// Autoscaled counts the variants counted with their autoscaling max
	// (above their current count); ScalingErr says why the autoscaling
	// limits could not be read (the current counts are then used).
	Autoscaled int
	ScalingErr error
}

// InServiceEndpoints lists the endpoints InService (ListEndpoints, 100 a
// page), reads each one (DescribeEndpoint: its config and the current
// instance count of each variant) and each distinct config once
// (DescribeEndpointConfig: the model of each variant), with g.Concurrency
// calls at most at once. With g.AutoScaling, the SageMaker scalable
// targets are listed beside the endpoints (DescribeScalableTargets, 50 a
// page, whatever the number of endpoints), and a variant counts
// max(current, autoscaling MaxCapacity) instances.
func (g *Gatherer) InServiceEndpoints(ctx context.Context) EndpointUsage {
	u := EndpointUsage{Models: map[string]ModelRequest{}}
	var maxima map[string]int
	var scaling sync.WaitGroup
	if g.AutoScaling != nil {
		scaling.Go(func() { maxima, u.ScalingErr = g.sageMakerVariantMaxima(ctx) })
	}
	var names []string
	p := sagemaker.NewListEndpointsPaginator(g.SageMaker, &sagemaker.ListEndpointsInput{
		MaxResults: aws.Int32(100), StatusEquals: smtypes.EndpointStatusInService,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			scaling.Wait()
			u.Err = fmt.Errorf("list endpoints: %w", err)
			return u
		}
		for _, e := range page.Endpoints {
			names = append(names, aws.ToString(e.EndpointName))
		}
	}
	u.Endpoints = len(names)

	type endpoint struct {
		config    string
		instances map[string]int // variant → instances
		err       error
	}
	eps := make([]endpoint, len(names))
	fanOut(ctx, g.concurrency(), len(names), func(ctx context.Context, i int) {
		out, err := g.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(names[i])})
		if err != nil {
			eps[i].err = fmt.Errorf("describe endpoint %s: %w", names[i], err)
			return
		}
		eps[i].config = aws.ToString(out.EndpointConfigName)
		eps[i].instances = map[string]int{}
		for _, v := range out.ProductionVariants {
			n := max(aws.ToInt32(v.CurrentInstanceCount), aws.ToInt32(v.DesiredInstanceCount))
			eps[i].instances[aws.ToString(v.VariantName)] = int(n)
		}
	})

	var configNames []string
	for _, e := range eps {
		if e.err == nil && e.config != "" {
			configNames = appendNew(configNames, e.config)
		}
	}
	u.Configs = len(configNames)
	type config struct {
		models map[string]string // variant → model
		err    error
	}
	configs := make([]config, len(configNames))
	fanOut(ctx, g.concurrency(), len(configNames), func(ctx context.Context, i int) {
		out, err := g.SageMaker.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String(configNames[i])})
		if err != nil {
			configs[i].err = fmt.Errorf("describe endpoint config %s: %w", configNames[i], err)
			return
		}
		configs[i].models = map[string]string{}
		for _, v := range out.ProductionVariants {
			configs[i].models[aws.ToString(v.VariantName)] = aws.ToString(v.ModelName)
		}
	})
	byName := map[string]config{}
	for i, c := range configs {
		byName[configNames[i]] = c
	}
	scaling.Wait()

	var errs []error
	for i, e := range eps {
		if e.err != nil {
			errs = append(errs, e.err)
			continue
		}
		c := byName[e.config]
		if c.err != nil {
			errs = append(errs, c.err)
			continue
		}
		use := EndpointUse{Name: names[i], Config: e.config}
		for _, variant := range slices.Sorted(maps.Keys(c.models)) {
			use.Models = appendNew(use.Models, c.models[variant])
		}
		u.Uses = append(u.Uses, use)
		for _, variant := range slices.Sorted(maps.Keys(e.instances)) {
			n, model := e.instances[variant], c.models[variant]
			if n == 0 || model == "" {
				continue // serverless, or a variant the config no longer names
			}
			key := strings.ToLower(model)
			r := u.Models[key]
			from := fmt.Sprintf("endpoint %s (config %s) variant %s: %d", names[i], e.config, variant, n)
			first := "current instances of " + from
			if m, ok := maxima[SageMakerVariantResourceID(names[i], variant)]; ok && m > n {
				from = fmt.Sprintf("autoscaling max of variant %s of endpoint %s (config %s): %d, now %d", variant, names[i], e.config, m, n)
				first, n = from, m
				u.Autoscaled++
			}
			switch {
			case r.Instances == 0:
				r = ModelRequest{Name: model, Instances: n, InstancesFrom: first, Via: "endpoint " + names[i] + " (config " + e.config + ")"}
			case strings.Count(r.InstancesFrom, ";") < 2:
				r.Instances += n
				r.InstancesFrom += "; " + from
			default:
				r.Instances += n
				if !strings.HasSuffix(r.InstancesFrom, "…") {
					r.InstancesFrom += "; …"
				}
			}
			u.Models[key] = r
		}
	}
	u.Err = errors.Join(errs...)
	return u
}

// sageMakerVariantMaxima lists the account's SageMaker scalable targets (a
// dimension filter needs resource ids, so the whole namespace) and returns
// the MaxCapacity of each endpoint variant, by resource id.
func (g *Gatherer) sageMakerVariantMaxima(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	p := applicationautoscaling.NewDescribeScalableTargetsPaginator(g.AutoScaling, &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe scalable targets: %w", err)
		}
		for _, t := range page.ScalableTargets {
			if t.ScalableDimension == aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount && t.MaxCapacity != nil {
				out[aws.ToString(t.ResourceId)] = int(aws.ToInt32(t.MaxCapacity))
			}
		}
	}
	return out, nil
}
