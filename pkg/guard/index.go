package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/placement"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// indexOnly reports whether an event only changes the placement index:
// DeleteModel and DeleteEndpoint remove what they name, and there is
// nothing to evaluate (no email).
func indexOnly(k cloudtrail.Kind) bool {
	return k == cloudtrail.KindDeleteModel || k == cloudtrail.KindDeleteEndpoint
}

// indexOnly handles DeleteModel and DeleteEndpoint. A failed upkeep after
// which the index could not be invalidated is an error, so that Lambda
// retries the event.
func (h *Handler) indexOnly(ctx context.Context, log *slog.Logger, idx *placement.Scope, call cloudtrail.Call, res report.Result) (report.Result, error) {
	typ := "model"
	if call.Kind == cloudtrail.KindDeleteEndpoint {
		typ = "endpoint"
	}
	name := subjectOf(call)
	res.Resource = &report.Resource{Type: typ, ID: name}
	res.Skipped = fmt.Sprintf("%s %s: a deletion leaves nothing to evaluate", call.Name, name)
	if idx == nil {
		res.Placement = "no placement index (VPCGUARD_STATE_TABLE unset): nothing to update"
		log.InfoContext(ctx, "skipped event", "reason", res.Skipped)
		return res, nil
	}
	var u placement.Upkeep
	var err error
	if call.Kind == cloudtrail.KindDeleteModel {
		u, err = idx.RemoveModel(ctx, name, call.Time)
	} else {
		u, err = idx.RemoveEndpoint(ctx, name)
	}
	res.Placement = u.String()
	if res.Placement == "" {
		res.Placement = fmt.Sprintf("the index held no %s %s (or a newer one of that name)", typ, name)
	}
	if err != nil {
		res.Placement = joinNotes(res.Placement, "index upkeep failed: "+err.Error())
		log.ErrorContext(ctx, "placement index upkeep failed", "error", err.Error())
		if !errors.Is(err, placement.ErrInvalidated) {
			return res, err
		}
	}
	log.InfoContext(ctx, "placement index updated", "upkeep", res.Placement)
	return res, nil
}

// keepIndex applies what an evaluated event says to the index: the models
// it described are added (a model is immutable, so one read is enough),
// an endpoint's config and models are recorded, and models found gone on a
// re-read are dropped.
func keepIndex(ctx context.Context, idx *placement.Scope, call cloudtrail.Call, snap *inventory.Snapshot, prior placement.Prior, gone []string) (placement.Upkeep, error) {
	var u placement.Upkeep
	var errs []error
	if call.Source == cloudtrail.SourceSageMaker {
		added, err := idx.AddModels(ctx, snap, prior)
		u.Added, u.Unindexed = added.Added, added.Unindexed
		errs = append(errs, err)
	}
	if (call.Kind == cloudtrail.KindCreateEndpoint || call.Kind == cloudtrail.KindUpdateEndpoint) && snap.Endpoint != nil {
		ep, err := idx.PutEndpoint(ctx, *snap.Endpoint)
		u.Endpoint = ep.Endpoint
		errs = append(errs, err)
	}
	if len(gone) > 0 {
		f, err := idx.Forget(ctx, gone)
		u.Removed = f.Removed
		errs = append(errs, err)
	}
	return u, errors.Join(errs...)
}

// placementNote says how the index took part in finding the models, and
// logs why it could not when it could not.
func placementNote(ctx context.Context, log *slog.Logger, idx *placement.Scope, snap *inventory.Snapshot) string {
	if idx == nil {
		return ""
	}
	if snap.PlacementNote != "" {
		log.WarnContext(ctx, "placement index not used", "reason", snap.PlacementNote)
		return snap.PlacementNote
	}
	if ok, n := idx.Answered(); ok {
		log.InfoContext(ctx, "placement index answered", "models", n)
		return fmt.Sprintf("%d model(s) found through the placement index", n)
	}
	return ""
}

func joinNotes(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}
