package inventory

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/smithy-go"
)

// Confirm re-reads the models of s that the placement index gave without
// describing them (Indexed): each is described again, with its tags when
// g.ModelTags is set, and keeps its instance count. A model that no longer
// exists is dropped from s and its name returned, so that the caller drops
// it from the index too; one that cannot be read moves to s.ModelErrs. The
// handler calls it before it reports a failure or plans a change: an index
// entry alone is never a finding.
func (g *Gatherer) Confirm(ctx context.Context, s *Snapshot) (gone []string) {
	var idx []int
	for i, m := range s.Models {
		if m.Indexed {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	fresh := make([]*Model, len(s.Models))
	errs := make([]error, len(s.Models))
	fanOut(ctx, g.concurrency(), len(idx), func(ctx context.Context, k int) {
		i := idx[k]
		old := s.Models[i]
		m, err := g.DescribeModel(ctx, ModelRequest{Name: old.Name, Instances: old.Instances, InstancesFrom: old.InstancesFrom, Via: old.Via})
		if err != nil {
			errs[i] = err
			return
		}
		fresh[i] = &m
	})
	kept := s.Models[:0:0]
	for i, m := range s.Models {
		switch {
		case !m.Indexed:
			kept = append(kept, m)
		case fresh[i] != nil:
			kept = append(kept, *fresh[i])
		case ModelNotFound(errs[i]):
			gone = append(gone, m.Name)
		default:
			s.ModelErrs["model "+m.Name] = errs[i]
		}
	}
	s.Models = kept
	return gone
}

// ModelNotFound reports whether err is SageMaker's answer for a model that
// does not exist: a ValidationException "Could not find model …" (SageMaker
// has no ResourceNotFound for models).
func ModelNotFound(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "ValidationException" &&
		strings.Contains(api.ErrorMessage(), "Could not find model")
}
