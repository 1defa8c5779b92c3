package sweep

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The sweep's own environment variables, beside pkg/config's VPCGUARD_*
// (mode, topic, bus, allow-list, exempt tag, expected instances), which it
// reads too.
const (
	// EnvConcurrency bounds the AWS calls of each fan-out (default 16, 1-256).
	EnvConcurrency = "VPCGUARD_SWEEP_CONCURRENCY"
	// EnvState is where the cursor and the last pass's findings persist
	// between runs: s3://bucket/key (in Lambda), or a file path (local
	// runs). Unset: nothing is kept; every run starts from the first model
	// and the digest reports no changes.
	EnvState = "VPCGUARD_SWEEP_STATE"
	// EnvReserve is the time kept before the deadline for reading the VPC
	// state, checking, repairing, publishing and saving the cursor (a Go
	// duration, default 60s). The sweep stops describing models when only
	// this much is left; it is capped at half the time a run has.
	EnvReserve = "VPCGUARD_SWEEP_RESERVE"
)

// Defaults of Options.
const (
	DefaultConcurrency = 16
	DefaultReserve     = 60 * time.Second
	DefaultTop         = 10
	MaxConcurrency     = 256
)

// Options tune the sweep.
type Options struct {
	Concurrency int           // EnvConcurrency
	State       string        // EnvState
	Reserve     time.Duration // EnvReserve
	Top         int           // offenders named in the digest (default DefaultTop)
}

// OptionsFromEnv reads the sweep's variables through getenv; every bad
// value is reported.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	o := Options{Concurrency: DefaultConcurrency, Reserve: DefaultReserve, Top: DefaultTop}
	var errs []error
	if v := strings.TrimSpace(getenv(EnvConcurrency)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxConcurrency {
			errs = append(errs, fmt.Errorf("%s=%q: want a whole number from 1 to %d", EnvConcurrency, v, MaxConcurrency))
		} else {
			o.Concurrency = n
		}
	}
	if v := strings.TrimSpace(getenv(EnvReserve)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > 15*time.Minute {
			errs = append(errs, fmt.Errorf("%s=%q: want a duration from 0s to 15m, like 60s", EnvReserve, v))
		} else {
			o.Reserve = d
		}
	}
	o.State = strings.TrimSpace(getenv(EnvState))
	if o.State != "" {
		if _, _, err := parseStateURI(o.State); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %v", EnvState, o.State, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Options{}, fmt.Errorf("invalid configuration: %w", err)
	}
	return o, nil
}

func (o Options) concurrency() int {
	if o.Concurrency > 0 {
		return min(o.Concurrency, MaxConcurrency)
	}
	return DefaultConcurrency
}

func (o Options) top() int {
	if o.Top > 0 {
		return o.Top
	}
	return DefaultTop
}
