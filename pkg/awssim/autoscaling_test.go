package awssim

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
)

func autoScalingScenario() *Scenario {
	sc := sageMakerScenario()
	sc.ScalableTargets = []ScalableTarget{
		{ResourceID: "endpoint/ep/variant/AllTraffic", MinCapacity: Ptr(int32(2)), MaxCapacity: 8},
		{ResourceID: "endpoint/ep/variant/shadow", MaxCapacity: 3},
		{ResourceID: "endpoint/ep-creating/variant/AllTraffic", MaxCapacity: 4},
		{ResourceID: "service/cluster/web", ScalableDimension: "ecs:service:DesiredCount", MinCapacity: Ptr(int32(0)), MaxCapacity: 10},
	}
	return sc
}

func TestAutoScalingDescribeScalableTargets(t *testing.T) {
	ctx := context.Background()
	sc := autoScalingScenario()
	sc.PageSizes = map[string]int{"application-autoscaling:DescribeScalableTargets": 1}
	srv, cfg := start(t, sc)
	c := applicationautoscaling.NewFromConfig(cfg)

	// The endpoint's variants, by resource id and dimension, page by page.
	in := &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace:  aastypes.ServiceNamespaceSagemaker,
		ResourceIds:       []string{"endpoint/ep/variant/AllTraffic", "endpoint/ep/variant/shadow", "endpoint/ep/variant/gone"},
		ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount,
	}
	var got []aastypes.ScalableTarget
	for p := applicationautoscaling.NewDescribeScalableTargetsPaginator(c, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		must(t, err)
		got = append(got, page.ScalableTargets...)
	}
	if len(got) != 2 || srv.Calls("application-autoscaling:DescribeScalableTargets") != 2 {
		t.Fatalf("%d targets in %d calls, want 2 in 2 pages", len(got), srv.Calls("application-autoscaling:DescribeScalableTargets"))
	}
	a := got[0]
	if aws.ToString(a.ResourceId) != "endpoint/ep/variant/AllTraffic" || a.ServiceNamespace != aastypes.ServiceNamespaceSagemaker ||
		a.ScalableDimension != aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount ||
		aws.ToInt32(a.MinCapacity) != 2 || aws.ToInt32(a.MaxCapacity) != 8 || a.CreationTime == nil || a.SuspendedState == nil ||
		!strings.HasPrefix(aws.ToString(a.ScalableTargetARN), "arn:aws:application-autoscaling:us-east-1:111122223333:scalable-target/") ||
		!strings.HasSuffix(aws.ToString(a.RoleARN), "/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint") {
		t.Errorf("target %+v", a)
	}
	if aws.ToString(got[1].ResourceId) != "endpoint/ep/variant/shadow" || aws.ToInt32(got[1].MinCapacity) != 1 || aws.ToInt32(got[1].MaxCapacity) != 3 {
		t.Errorf("second target (minCapacity defaults to 1) %+v", got[1])
	}

	// The namespace alone lists all of its targets; other namespaces are apart.
	out, err := c.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker, MaxResults: aws.Int32(50)})
	must(t, err)
	if len(out.ScalableTargets) != 1 || out.NextToken == nil {
		t.Errorf("page size 1: %d targets, next %v", len(out.ScalableTargets), out.NextToken)
	}
	var ids []string
	for p := applicationautoscaling.NewDescribeScalableTargetsPaginator(c, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		must(t, err)
		for _, t := range page.ScalableTargets {
			ids = append(ids, aws.ToString(t.ResourceId))
		}
	}
	if !slices.Equal(ids, []string{"endpoint/ep/variant/AllTraffic", "endpoint/ep/variant/shadow", "endpoint/ep-creating/variant/AllTraffic"}) {
		t.Errorf("sagemaker namespace: %v", ids)
	}
	out, err = c.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs})
	must(t, err)
	if len(out.ScalableTargets) != 1 || aws.ToInt32(out.ScalableTargets[0].MinCapacity) != 0 || aws.ToString(out.ScalableTargets[0].ResourceId) != "service/cluster/web" {
		t.Errorf("ecs namespace: %+v", out.ScalableTargets)
	}
	out, err = c.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker, ResourceIds: []string{"endpoint/none/variant/x"}})
	must(t, err)
	if len(out.ScalableTargets) != 0 || out.NextToken != nil {
		t.Errorf("unknown resource: %+v", out)
	}

	// Errors, as the service gives them.
	_, err = c.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker, MaxResults: aws.Int32(51)})
	wantCode(t, err, "ValidationException")
	_, err = c.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: "bogus"})
	wantCode(t, err, "ValidationException")
	_, err = c.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker,
		ScalableDimension: aastypes.ScalableDimensionSageMakerVariantDesiredInstanceCount})
	wantCode(t, err, "ValidationException")
	_, err = c.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker, NextToken: aws.String("nope")})
	wantCode(t, err, "InvalidNextTokenException")
	// A token from one query does not resume another.
	first, err := c.DescribeScalableTargets(ctx, in)
	must(t, err)
	_, err = c.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker, NextToken: first.NextToken})
	wantCode(t, err, "InvalidNextTokenException")

	// Faults are per operation like every other service's.
	must(t, srv.SetFault("application-autoscaling:DescribeScalableTargets", Fault{AccessDenied: true}))
	_, err = c.DescribeScalableTargets(ctx, in)
	wantCode(t, err, "AccessDeniedException")
	if !strings.Contains(err.Error(), "application-autoscaling:DescribeScalableTargets") {
		t.Errorf("access denied names no action: %v", err)
	}
	srv.ClearFault("application-autoscaling:DescribeScalableTargets")
	must(t, srv.SetFault("application-autoscaling:*", Fault{ThrottleFirst: 2}))
	_, err = c.DescribeScalableTargets(ctx, in)
	must(t, err)
	if n := srv.Throttles("application-autoscaling:DescribeScalableTargets"); n != 2 {
		t.Errorf("throttles %d, want 2 (retried by the standard retryer)", n)
	}
	if n := len(srv.Writes()); n != 0 {
		t.Errorf("%d writes: DescribeScalableTargets is a read", n)
	}
}

func TestAutoScalingScenarioValidation(t *testing.T) {
	sc := sageMakerScenario()
	sc.ScalableTargets = []ScalableTarget{
		{MaxCapacity: 1},
		{ResourceID: "endpoint/ep/variant/AllTraffic", MaxCapacity: 1, MinCapacity: Ptr(int32(2))},
		{ResourceID: "endpoint/nope/variant/AllTraffic", MaxCapacity: 2},
		{ResourceID: "endpoint/ep/variant/canary", MaxCapacity: 2},
		{ResourceID: "ep/AllTraffic", MaxCapacity: 2},
		{ResourceID: "endpoint/ep/variant/shadow", MaxCapacity: 2},
		{ResourceID: "endpoint/ep/variant/shadow", MaxCapacity: 3},
		{ResourceID: "x", ScalableDimension: "DesiredInstanceCount", MaxCapacity: 2},
	}
	err := sc.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"scalable target 0 has no resourceId", "endpoint/ep/variant/AllTraffic: want 0 ≤ minCapacity ≤ maxCapacity",
		`endpoint/nope/variant/AllTraffic: endpoint "nope" is not in endpoints`, `endpoint config cfg has no variant "canary"`,
		"ep/AllTraffic: a sagemaker:variant:DesiredInstanceCount target's resourceId is endpoint/<endpoint>/variant/<variant>",
		"endpoint/ep/variant/shadow (sagemaker:variant:DesiredInstanceCount) is defined twice", `scalableDimension "DesiredInstanceCount"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := ParseScenario([]byte(`{"scalableTargets":[{"resourceId":"service/c/s","scalableDimension":"ecs:service:DesiredCount","maxCapacity":2,"max":3}]}`)); err == nil ||
		!strings.Contains(err.Error(), `unknown field "max"`) {
		t.Errorf("unknown key: %v", err)
	}
}
