package sweep

import (
	"context"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/middleware"
)

// DefaultMaxAttempts is how many attempts the sweep's retryer makes per
// call (the SDK's default is 3): a sweep may meet sustained throttling,
// which the adaptive mode paces, and a call given up is a model unverified.
const DefaultMaxAttempts = 10

// NewRetryer is the sweep's retryer: the SDK's adaptive mode, which adds a
// client-side token bucket that slows the attempt rate when calls are
// throttled and restores it when they no longer are, on top of the standard
// mode's retries with exponential backoff and jitter.
func NewRetryer(maxAttempts int, std ...func(*retry.StandardOptions)) aws.Retryer {
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) { so.MaxAttempts = maxAttempts })
		o.StandardOptions = append(o.StandardOptions, std...)
	})
}

// LoadOptions are the sweep's additions to the SDK's default configuration
// (for app.NewClients): the adaptive retryer (AWS_MAX_ATTEMPTS still
// applies) and, when calls is not nil, the counting of every attempt.
func LoadOptions(calls *Calls) []func(*awsconfig.LoadOptions) error {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer { return NewRetryer(DefaultMaxAttempts) }),
	}
	if calls != nil {
		opts = append(opts, awsconfig.WithAPIOptions([]func(*middleware.Stack) error{calls.AddTo}))
	}
	return opts
}

// Calls counts the AWS calls the sweep's clients make: every attempt,
// retries included, by operation ("sagemaker:DescribeModel"), and those
// that were throttled. It is safe for concurrent use.
type Calls struct {
	mu        sync.Mutex
	calls     map[string]int
	throttles map[string]int
	throttle  retry.IsErrorThrottles
}

// NewCalls returns an empty counter.
func NewCalls() *Calls {
	return &Calls{calls: map[string]int{}, throttles: map[string]int{}, throttle: retry.IsErrorThrottles(retry.DefaultThrottles)}
}

// AddTo adds the counting middleware to a client's stack, after the retry
// middleware so that it sees each attempt (an API option).
func (c *Calls) AddTo(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("VpcguardSweepCalls",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleFinalize(ctx, in)
			c.record(opKey(ctx), err != nil && c.throttle.IsErrorThrottle(err) == aws.TrueTernary)
			return out, md, err
		}), middleware.After)
}

func (c *Calls) record(op string, throttled bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op]++
	if throttled {
		c.throttles[op]++
	}
}

// opKey names the operation as awssim and IAM do: "sagemaker:DescribeModel".
func opKey(ctx context.Context) string {
	svc := strings.ToLower(strings.ReplaceAll(awsmiddleware.GetServiceID(ctx), " ", ""))
	switch svc {
	case "eventbridge":
		svc = "events"
	case "applicationautoscaling":
		svc = "application-autoscaling"
	}
	return svc + ":" + awsmiddleware.GetOperationName(ctx)
}

// CallStats are the counts of Calls at one moment.
type CallStats struct {
	Total       int            `json:"total"`
	ByOperation map[string]int `json:"by_operation"`
	Throttled   int            `json:"throttled"` // throttled attempts, each retried (or given up)
	// ThrottledByOperation counts them by operation.
	ThrottledByOperation map[string]int `json:"throttled_by_operation,omitempty"`
}

// Stats returns the counts so far; a nil Calls counts nothing.
func (c *Calls) Stats() CallStats {
	st := CallStats{ByOperation: map[string]int{}}
	if c == nil {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st.ByOperation = maps.Clone(c.calls)
	for _, n := range c.calls {
		st.Total += n
	}
	if len(c.throttles) > 0 {
		st.ThrottledByOperation = maps.Clone(c.throttles)
	}
	for _, n := range c.throttles {
		st.Throttled += n
	}
	return st
}

// since returns the counts of st beyond those of before.
func (st CallStats) since(before CallStats) CallStats {
	out := CallStats{ByOperation: map[string]int{}}
	for op, n := range st.ByOperation {
		if d := n - before.ByOperation[op]; d > 0 {
			out.ByOperation[op] = d
			out.Total += d
		}
	}
	for op, n := range st.ThrottledByOperation {
		if d := n - before.ThrottledByOperation[op]; d > 0 {
			if out.ThrottledByOperation == nil {
				out.ThrottledByOperation = map[string]int{}
			}
			out.ThrottledByOperation[op] = d
			out.Throttled += d
		}
	}
	return out
}

// millis is a duration in JSON as whole milliseconds.
func millis(d time.Duration) int64 { return d.Milliseconds() }
