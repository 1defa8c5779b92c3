package sweepsim

import (
	"context"
	"testing"
)

// The event benchmark's harness works end to end at a small size: with
// the index it reads no SageMaker listing; both ways the result is the
// compliant VPC's (no failing check).
func TestEventBenchSmall(t *testing.T) {
	for _, index := range []bool{false, true} {
		r, err := EventBench(context.Background(), EventBenchOptions{Account: Options{Models: 100, VPCs: 10}, Index: index})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Result.Failing()) != 0 || len(r.Result.Checks) == 0 {
			t.Errorf("index %v: %d checks, failing %+v", index, len(r.Result.Checks), r.Result.Failing())
		}
		list := r.Server.Calls["sagemaker:ListModels"]
		if index && (list != 0 || r.IndexQueries != 1) {
			t.Errorf("with the index: %d ListModels, %d index queries", list, r.IndexQueries)
		}
		if !index && list == 0 {
			t.Error("without the index the event lists no model")
		}
	}
}
