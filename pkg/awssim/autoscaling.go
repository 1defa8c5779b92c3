package awssim

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Application Auto Scaling speaks awsJson1_1 (X-Amz-Target:
// AnyScaleFrontendService.<Op>, awsjson.New11(schemas.AnyScaleFrontendService)
// in the SDK's api_client.go); its SigV4 signing name is
// application-autoscaling.

var autoScalingOps = map[string]handler{
	"DescribeScalableTargets": (*Server).describeScalableTargets,
	"RegisterScalableTarget":  (*Server).registerScalableTarget, // capacity.go
}

// SageMakerVariantDimension is the scalable dimension of a SageMaker
// endpoint variant's instance count.
const SageMakerVariantDimension = "sagemaker:variant:DesiredInstanceCount"

// scalableNamespaces are Application Auto Scaling's service namespaces.
var scalableNamespaces = []string{
	"ecs", "elasticmapreduce", "ec2", "appstream", "dynamodb", "rds", "sagemaker", "custom-resource",
	"comprehend", "lambda", "cassandra", "kafka", "elasticache", "neptune", "workspaces",
}

var (
	scalableDimension = regexp.MustCompile(`^([a-z0-9-]+):[A-Za-z0-9-]+:[A-Za-z]+$`)
	variantResourceID = regexp.MustCompile(`^endpoint/([^/]+)/variant/([^/]+)$`)
)

type scalableTargetState struct {
	ScalableTarget
	namespace string
	arn       string
	roleARN   string
	created   time.Time
}

// buildScalableTargets validates and indexes the scalable targets; it runs
// after buildSageMaker, since a variant's target must name a variant of an
// existing endpoint (RegisterScalableTarget refuses anything else).
func (st *state) buildScalableTargets(sc *Scenario, v *validation) {
	seen := map[string]bool{}
	for i := range sc.ScalableTargets {
		t := &sc.ScalableTargets[i]
		if t.ScalableDimension == "" {
			t.ScalableDimension = SageMakerVariantDimension
		}
		if t.MinCapacity == nil {
			t.MinCapacity = Ptr(int32(1))
		}
		m := scalableDimension.FindStringSubmatch(t.ScalableDimension)
		switch {
		case t.ResourceID == "":
			v.add("scalable target %d has no resourceId", i)
			continue
		case m == nil || !slices.Contains(scalableNamespaces, m[1]):
			v.add("scalable target %s: scalableDimension %q: want <namespace>:<resource type>:<property>, like %s", t.ResourceID, t.ScalableDimension, SageMakerVariantDimension)
			continue
		case *t.MinCapacity < 0 || t.MaxCapacity < *t.MinCapacity:
			v.add("scalable target %s: want 0 ≤ minCapacity ≤ maxCapacity, got %d and %d", t.ResourceID, *t.MinCapacity, t.MaxCapacity)
		}
		key := t.ScalableDimension + " " + t.ResourceID
		if seen[key] {
			v.add("scalable target %s (%s) is defined twice", t.ResourceID, t.ScalableDimension)
			continue
		}
		seen[key] = true
		if strings.HasPrefix(t.ScalableDimension, "sagemaker:variant:") {
			st.checkVariantTarget(t, v)
		}
		h := fnv.New64a()
		h.Write([]byte(key))
		ts := &scalableTargetState{
			ScalableTarget: *t,
			namespace:      m[1],
			arn:            fmt.Sprintf("arn:%s:application-autoscaling:%s:%s:scalable-target/%016x%016x", st.partition, st.region, st.account, h.Sum64(), mix64(h.Sum64())),
			roleARN:        st.autoScalingRoleARN(m[1]),
			created:        baseTime.Add(time.Duration(i) * time.Second),
		}
		st.scalableTargets = append(st.scalableTargets, ts)
	}
}

// checkVariantTarget checks that a SageMaker variant target names a variant
// of an existing endpoint.
func (st *state) checkVariantTarget(t *ScalableTarget, v *validation) {
	m := variantResourceID.FindStringSubmatch(t.ResourceID)
	if m == nil {
		v.add("scalable target %s: a %s target's resourceId is endpoint/<endpoint>/variant/<variant>", t.ResourceID, t.ScalableDimension)
		return
	}
	e, ok := st.endpoints[strings.ToLower(m[1])]
	if !ok {
		v.add("scalable target %s: endpoint %q is not in endpoints", t.ResourceID, m[1])
		return
	}
	cfg, ok := st.configs[strings.ToLower(e.Config)]
	if !ok {
		return // reported with the endpoint
	}
	if !slices.ContainsFunc(cfg.Variants, func(pv Variant) bool { return pv.Name == m[2] }) {
		v.add("scalable target %s: endpoint config %s has no variant %q", t.ResourceID, cfg.Name, m[2])
	}
}

// autoScalingRoleARN is the service-linked role Application Auto Scaling
// uses for a namespace.
func (st *state) autoScalingRoleARN(namespace string) string {
	suffix := map[string]string{"sagemaker": "SageMakerEndpoint", "ecs": "ECSService", "dynamodb": "DynamoDBTable"}[namespace]
	if suffix == "" {
		suffix = strings.ToUpper(namespace[:1]) + namespace[1:]
	}
	return fmt.Sprintf("arn:%s:iam::%s:role/aws-service-role/%s.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_%s",
		st.partition, st.account, namespace, suffix)
}

type aasSuspendedState struct {
	DynamicScalingInSuspended  bool `json:"DynamicScalingInSuspended"`
	DynamicScalingOutSuspended bool `json:"DynamicScalingOutSuspended"`
	ScheduledScalingSuspended  bool `json:"ScheduledScalingSuspended"`
}

type aasScalableTarget struct {
	ServiceNamespace  string            `json:"ServiceNamespace"`
	ResourceID        string            `json:"ResourceId"`
	ScalableDimension string            `json:"ScalableDimension"`
	MinCapacity       int32             `json:"MinCapacity"`
	MaxCapacity       int32             `json:"MaxCapacity"`
	RoleARN           string            `json:"RoleARN"`
	CreationTime      epoch             `json:"CreationTime"`
	SuspendedState    aasSuspendedState `json:"SuspendedState"`
	ScalableTargetARN string            `json:"ScalableTargetARN"`
}

func (s *Server) describeScalableTargets(c *call) (any, *apiError) {
	var in struct {
		ServiceNamespace  string
		ResourceIds       []string
		ScalableDimension string
		MaxResults        *int
		NextToken         string
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	switch {
	case in.ServiceNamespace == "":
		return nil, validationError("1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null")
	case !slices.Contains(scalableNamespaces, in.ServiceNamespace):
		return nil, validationError("1 validation error detected: Value '%s' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
			in.ServiceNamespace, strings.Join(scalableNamespaces, ", "))
	case in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 50):
		return nil, validationError("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 50", *in.MaxResults)
	case in.ScalableDimension != "" && len(in.ResourceIds) == 0:
		return nil, validationError("If you specify a scalable dimension, you must also specify a resource ID")
	}
	for _, id := range in.ResourceIds {
		if id == "" || len(id) > 1600 {
			return nil, validationError("1 validation error detected: Value '%s' at 'resourceIds' failed to satisfy constraint: Member must have length between 1 and 1600", id)
		}
	}
	requested := 50
	if in.MaxResults != nil {
		requested = *in.MaxResults
	}
	// The token is bound to the query: resuming another query is an error.
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%s|%s", in.ServiceNamespace, in.ScalableDimension, strings.Join(in.ResourceIds, "\x00"))
	tokenKey := fmt.Sprintf("%s|%x", c.key(), h.Sum64())
	start := 0
	if in.NextToken != "" {
		pos, ok := decodeToken(tokenKey, in.NextToken)
		if !ok {
			return nil, errorf(400, "InvalidNextTokenException", "Invalid token: %s", in.NextToken)
		}
		start = pos
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	limit := s.st.pageLimit(c.key(), requested, requested)
	keep := func(t *scalableTargetState) bool {
		return t.namespace == in.ServiceNamespace &&
			(len(in.ResourceIds) == 0 || slices.Contains(in.ResourceIds, t.ResourceID)) &&
			(in.ScalableDimension == "" || t.ScalableDimension == in.ScalableDimension)
	}
	page, next := sortedPage(s.st.scalableTargets, false, start, limit, keep)
	out := struct {
		ScalableTargets []aasScalableTarget `json:"ScalableTargets"`
		NextToken       string              `json:"NextToken,omitempty"`
	}{ScalableTargets: []aasScalableTarget{}}
	for _, t := range page {
		out.ScalableTargets = append(out.ScalableTargets, aasScalableTarget{
			ServiceNamespace: t.namespace, ResourceID: t.ResourceID, ScalableDimension: t.ScalableDimension,
			MinCapacity: *t.MinCapacity, MaxCapacity: t.MaxCapacity, RoleARN: t.roleARN,
			CreationTime: epoch(t.created), ScalableTargetARN: t.arn,
		})
	}
	if next >= 0 {
		out.NextToken = encodeToken(tokenKey, next)
	}
	return out, nil
}
