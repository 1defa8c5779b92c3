package undo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/undo"
)

// TestAnUndoIsEvaluatedAndHeld: the DeleteVpcEndpoints an undo made in
// ml-prod (a vpcguard-member session named for the undo) is not skipped as
// vpcguard's own repair: endpointguard evaluates it like a person's
// change, reports s3-endpoint-present failing again, and does not redo the
// repair (the hold), so the finding and the email say the truth at once.
// The same call in a session of the other functions is skipped.
func TestAnUndoIsEvaluatedAndHeld(t *testing.T) {
	e := startOrg(t)
	a := e.repair(t, "5c1f3a2e-7d4b-4c8e-9f60-1a2b3c4d5e01", nil)
	if a.Status != report.ActionApplied {
		t.Fatalf("repair %+v", a)
	}
	endpoint := a.Resources[0]
	id := entryOf(t, a)
	res, err := e.undoer(t, nil, &bytes.Buffer{}).Undo(context.Background(), undo.Request{Action: id, Account: mlProd, Confirm: true})
	if err != nil || res.Status != undo.StatusReverted {
		t.Fatalf("undo %+v, %v", res, err)
	}
	before := e.writes()

	deleted := func(session string) []byte {
		raw, err := os.ReadFile(filepath.Join("..", "..", "events", "ec2-DeleteVpcEndpoints-forecast-s3-endpoint-under-live-model.json"))
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(raw), "111122223333", mlProd)
		s = strings.ReplaceAll(s, "vpce-0ddd0000000000009", endpoint)
		s = strings.ReplaceAll(s, "assumed-role/network-admin/bob", "assumed-role/vpcguard-member/"+session)
		s = strings.ReplaceAll(s, "role/network-admin", "role/vpcguard-member")
		return []byte(s)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", awssim.TestAccessKeyID)
	h, err := app.NewHandler(context.Background(), e.getenv(nil), slog.New(slog.DiscardHandler), []cloudtrail.Kind{cloudtrail.KindDeleteVpcEndpoints})
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.HandleJSON(context.Background(), deleted(app.SessionName(config.UndoSessionPrefix+id)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Skipped != "" || got.Event.Account != mlProd {
		t.Fatalf("the undo's call: skipped %q, account %s", got.Skipped, got.Event.Account)
	}
	var present report.Status
	for _, c := range got.Checks {
		if c.ID == checks.S3EndpointPresent {
			present = c.Status
		}
	}
	if present != report.StatusFail {
		t.Errorf("s3-endpoint-present = %s after the undo deleted the endpoint", present)
	}
	held := slices.ContainsFunc(got.Actions, func(x report.Action) bool {
		why, _ := x.Detail["reason"].(string)
		return x.ID == report.ActionCreateS3GatewayEndpoint && x.Status == report.ActionSkipped && strings.Contains(why, "was undone at")
	})
	if !held {
		out, _ := json.Marshal(got.Actions)
		t.Errorf("the repair is not held: %s", out)
	}
	if after := e.writes(); !equalWrites(before, after) {
		t.Errorf("writes after the undo's event: %v, before %v", after, before)
	}

	// A session of the event functions or the sweep: vpcguard's own repair.
	got, err = h.HandleJSON(context.Background(), deleted("vpcguard-5c1f3a2e-7d4b-4c8e-9f60-1a2b3c4d5e01"))
	if err != nil || got.Skipped != "the call was made by vpcguard itself" {
		t.Errorf("a guard session's call: %q, %v", got.Skipped, err)
	}
}
