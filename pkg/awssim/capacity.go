package awssim

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
)

// The writes that change an endpoint's instance counts: SageMaker
// UpdateEndpointWeightsAndCapacities (the variants' desired counts, which
// DescribeEndpoint then reports) and Application Auto Scaling
// RegisterScalableTarget (a variant's MinCapacity and MaxCapacity).

func (s *Server) updateEndpointWeightsAndCapacities(c *call) (any, *apiError) {
	var in struct {
		EndpointName                string
		DesiredWeightsAndCapacities []struct {
			VariantName          string
			DesiredWeight        *float32
			DesiredInstanceCount *int32
		}
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	switch {
	case in.EndpointName == "":
		return nil, validationError("1 validation error detected: Value null at 'endpointName' failed to satisfy constraint: Member must not be null")
	case len(in.DesiredWeightsAndCapacities) == 0:
		return nil, validationError("1 validation error detected: Value '[]' at 'desiredWeightsAndCapacities' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	e, ok := st.endpoints[strings.ToLower(in.EndpointName)]
	if !ok {
		return nil, validationError("Could not find endpoint \"%s\".", st.sageMakerARN("endpoint", in.EndpointName))
	}
	if e.Status != "InService" {
		return nil, validationError("Cannot update in-progress endpoint \"%s\".", e.arn)
	}
	cfg := st.configs[strings.ToLower(e.Config)]
	counts := map[string]int32{}
	for _, d := range in.DesiredWeightsAndCapacities {
		if cfg == nil || !slices.ContainsFunc(cfg.Variants, func(v Variant) bool { return v.Name == d.VariantName }) {
			return nil, validationError("The variant name(s) [%s] is/are not present in the endpoint \"%s\".", d.VariantName, e.arn)
		}
		if d.DesiredWeight == nil && d.DesiredInstanceCount == nil {
			return nil, validationError("Either DesiredWeight or DesiredInstanceCount must be specified for variant %s.", d.VariantName)
		}
		if d.DesiredInstanceCount != nil {
			if *d.DesiredInstanceCount < 0 {
				return nil, validationError("1 validation error detected: Value '%d' at 'desiredInstanceCount' failed to satisfy constraint: Member must have value greater than or equal to 0", *d.DesiredInstanceCount)
			}
			counts[d.VariantName] = *d.DesiredInstanceCount
		}
	}
	if e.Instances == nil {
		e.Instances = map[string]int32{}
	}
	for v, n := range counts {
		e.Instances[v] = n
	}
	e.modified = time.Now().UTC().Truncate(time.Millisecond)
	c.result = map[string]any{"endpointName": e.Name, "desiredInstanceCounts": counts}
	return map[string]string{"EndpointArn": e.arn}, nil
}

func (s *Server) registerScalableTarget(c *call) (any, *apiError) {
	var in struct {
		ServiceNamespace  string
		ResourceID        string `json:"ResourceId"`
		ScalableDimension string
		MinCapacity       *int32
		MaxCapacity       *int32
	}
	if aerr := decodeJSON(c, &in); aerr != nil {
		return nil, aerr
	}
	m := scalableDimension.FindStringSubmatch(in.ScalableDimension)
	switch {
	case !slices.Contains(scalableNamespaces, in.ServiceNamespace):
		return nil, validationError("1 validation error detected: Value '%s' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
			in.ServiceNamespace, strings.Join(scalableNamespaces, ", "))
	case in.ResourceID == "" || len(in.ResourceID) > 1600:
		return nil, validationError("1 validation error detected: Value '%s' at 'resourceId' failed to satisfy constraint: Member must have length between 1 and 1600", in.ResourceID)
	case m == nil || m[1] != in.ServiceNamespace:
		return nil, validationError("Unsupported scalable dimension '%s' for service namespace '%s'", in.ScalableDimension, in.ServiceNamespace)
	case in.MinCapacity != nil && *in.MinCapacity < 0, in.MaxCapacity != nil && *in.MaxCapacity < 0:
		return nil, validationError("Minimum and maximum capacity must not be negative")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	key := in.ScalableDimension + " " + in.ResourceID
	i := slices.IndexFunc(st.scalableTargets, func(t *scalableTargetState) bool {
		return t.ScalableDimension+" "+t.ResourceID == key
	})
	if i < 0 && (in.MinCapacity == nil || in.MaxCapacity == nil) {
		return nil, validationError("MinCapacity and MaxCapacity are required to register a new scalable target")
	}
	if in.ScalableDimension == SageMakerVariantDimension {
		var v validation
		st.checkVariantTarget(&ScalableTarget{ResourceID: in.ResourceID, ScalableDimension: in.ScalableDimension}, &v)
		if err := v.err(); err != nil {
			return nil, validationError("Unable to register %s: %s", in.ResourceID, strings.TrimSpace(err.Error()))
		}
	}
	var t *scalableTargetState
	if i >= 0 {
		t = st.scalableTargets[i]
	} else {
		h := fnv.New64a()
		h.Write([]byte(key))
		t = &scalableTargetState{
			ScalableTarget: ScalableTarget{ResourceID: in.ResourceID, ScalableDimension: in.ScalableDimension, MinCapacity: Ptr(int32(0))},
			namespace:      m[1],
			arn:            fmt.Sprintf("arn:%s:application-autoscaling:%s:%s:scalable-target/%016x%016x", st.partition, st.region, st.account, h.Sum64(), mix64(h.Sum64())),
			roleARN:        st.autoScalingRoleARN(m[1]),
			created:        time.Now().UTC().Truncate(time.Millisecond),
		}
	}
	min, max := *t.MinCapacity, t.MaxCapacity
	if in.MinCapacity != nil {
		min = *in.MinCapacity
	}
	if in.MaxCapacity != nil {
		max = *in.MaxCapacity
	}
	if min > max {
		return nil, validationError("Minimum capacity cannot be larger than maximum capacity")
	}
	t.MinCapacity, t.MaxCapacity = Ptr(min), max
	if i < 0 {
		st.scalableTargets = append(st.scalableTargets, t)
	}
	c.result = map[string]any{"resourceId": t.ResourceID, "minCapacity": min, "maxCapacity": max, "new": i < 0}
	return map[string]string{"ScalableTargetARN": t.arn}, nil
}
