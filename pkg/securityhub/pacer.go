package securityhub

import (
	"context"
	"sync"
	"time"
)

// pacer spaces calls to at most rate per second with a burst of rate
// calls: Security Hub's rate limits are per account and Region (the API
// Reference gives BatchImportFindings 10 requests per second and
// GetFindings 3), and staying under them leaves the SDK's retryer only the
// throttling caused by others.
type pacer struct {
	mu     sync.Mutex
	rate   float64
	tokens float64
	last   time.Time
}

func (p *Publisher) pacer(key string, rate float64) *pacer {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pacers == nil {
		p.pacers = map[string]*pacer{}
	}
	pc := p.pacers[key]
	if pc == nil {
		pc = &pacer{rate: rate, tokens: rate}
		p.pacers[key] = pc
	}
	return pc
}

// wait takes one token, sleeping until one is there.
func (pc *pacer) wait(ctx context.Context) error {
	pc.mu.Lock()
	now := time.Now()
	if !pc.last.IsZero() {
		pc.tokens = min(pc.rate, pc.tokens+now.Sub(pc.last).Seconds()*pc.rate)
	}
	pc.last = now
	pc.tokens--
	var delay time.Duration
	if pc.tokens < 0 {
		delay = time.Duration(-pc.tokens / pc.rate * float64(time.Second))
	}
	pc.mu.Unlock()
	if delay <= 0 {
		return nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
