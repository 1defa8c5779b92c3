package securityhub

import (
	"context"
	"testing"
	"time"
)

// TestPacer: a burst of rate calls goes at once; the rest wait their turn,
// and a cancelled context stops the wait.
func TestPacer(t *testing.T) {
	p := &Publisher{}
	pc := p.pacer("import/a/r", 20)
	if same := p.pacer("import/a/r", 99); same != pc {
		t.Fatal("one account and Region get two pacers")
	}
	start := time.Now()
	for range 20 {
		if err := pc.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	burst := time.Since(start)
	for range 10 {
		if err := pc.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// 10 calls beyond the burst at 20 per second take at least half a
	// second (a lower bound only: a slow machine only makes it longer).
	if total := time.Since(start); total < 450*time.Millisecond {
		t.Errorf("30 calls at 20/s took %v (burst %v)", total, burst)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := 0; i < 100; i++ {
		if err := pc.wait(ctx); err != nil {
			return
		}
	}
	t.Error("a cancelled context did not stop the wait")
}
