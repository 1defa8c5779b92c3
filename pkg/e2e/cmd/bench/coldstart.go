package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
	"os"
	"path/filepath"
	"time"

	"github.com/vpcguard/vpcguard/pkg/e2e"
)

// FunctionResult is one function's figures.
type FunctionResult struct {
	Name  string `json:"name"`
	Event string `json:"event"`
	// InitMs are the INIT REPORT durationMs of the cold starts, one per
	// fresh emulator, in order.
	InitMs []float64 `json:"init_ms"`
	Init   Spread    `json:"init"`
	// The REPORT Duration of the first (cold) and the second (warm)
	// invocation of each emulator.
	ColdDuration Spread `json:"cold_duration_ms"`
	WarmDuration Spread `json:"warm_duration_ms"`
	// PeakRSSKB is the bootstrap's VmHWM after each invocation (cold and
	// warm of every emulator).
	PeakRSSKB []int  `json:"peak_rss_kb"`
	PeakRSS   Spread `json:"peak_rss"`
	// Boto3Ratio is python3 -c 'import boto3' (median) ÷ Init.Median; 0
	// when boto3 was not measured.
	Boto3Ratio float64      `json:"boto3_import_over_init,omitempty"`
	Asset      *AssetResult `json:"asset,omitempty"`
}

// eventInvoked reports whether EventBridge invokes the function, so that
// its cold start is measured; people invoke the undo function with an
// action id, so only its asset is.
func eventInvoked(name string) bool { return name != e2e.UndoFunction }

// coldStarts starts a fresh simulated account and a fresh emulator per
// sample and function (round-robin over the functions, so that a slow
// moment of the machine does not fall on one function), invokes it twice
// (cold, then warm) and keeps the figures.
func coldStarts(ctx context.Context, o options, bin *e2e.Binaries, res *Results) error {
	evs := map[string]e2e.Event{}
	for _, fr := range res.Functions {
		if file, ok := eventFiles[fr.Name]; ok {
			raw, err := os.ReadFile(filepath.Join(o.eventsDir, file))
			if err != nil {
				return err
			}
			evs[fr.Name] = e2e.NewEvent(file, raw)
		}
	}
	sc, err := scenarios.Load(o.scenario)
	if err != nil {
		return err
	}
	sns, err := e2e.StartSNS(ctx, sc.Account, sc.Region)
	if err != nil {
		return err
	}
	defer sns.Close()
	runner := &e2e.Runner{Bin: bin, SNS: sns, Log: o.log}

	progress("cold starts: %d per function (after %d untimed), each a fresh emulator on a fresh %q account, invoked twice",
		o.n, o.warmup, o.scenario)
	for i := 0; i < o.warmup+o.n; i++ {
		for _, fr := range res.Functions {
			if !eventInvoked(fr.Name) {
				continue
			}
			ev, ok := evs[fr.Name]
			if !ok {
				ev = scheduledEvent(sc.Account, sc.Region)
			}
			fr.Event = ev.File
			cold, warm, err := sample(ctx, runner, o.scenario, fr.Name, ev)
			if err != nil {
				return fmt.Errorf("cold start %d of %s: %w", i+1, fr.Name, err)
			}
			if i < o.warmup {
				continue
			}
			fr.InitMs = append(fr.InitMs, cold.InitMs)
			fr.PeakRSSKB = append(fr.PeakRSSKB, cold.PeakRSSKB, warm.PeakRSSKB)
			fr.ColdDuration.add(cold.DurationMs)
			fr.WarmDuration.add(warm.DurationMs)
		}
	}
	for _, fr := range res.Functions {
		for _, v := range fr.InitMs {
			fr.Init.add(v)
		}
		for _, kb := range fr.PeakRSSKB {
			fr.PeakRSS.add(float64(kb) / 1024)
		}
		fr.Init.finish()
		fr.PeakRSS.finish()
		fr.ColdDuration.finish()
		fr.WarmDuration.finish()
		progress("  %-14s init %s ms; peak RSS %s MiB", fr.Name, fmtFloats(fr.InitMs, 2), fmtRSS(fr.PeakRSSKB))
	}
	return nil
}

// sample runs one emulator: a cold invocation (the event replayed: a
// recorded EC2 call is first enacted on the account) and a warm one (the
// same event, not enacted again).
func sample(ctx context.Context, runner *e2e.Runner, scenario, name string, ev e2e.Event) (cold, warm *e2e.Invocation, err error) {
	sc, err := scenarios.Load(scenario)
	if err != nil {
		return nil, nil, err
	}
	sess, err := runner.Start(e2e.SessionConfig{Scenario: sc})
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if cerr := sess.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	for i, iv := range []**e2e.Invocation{&cold, &warm} {
		var o *e2e.Outcome
		if i == 0 && name != "sweep" {
			o, err = sess.Replay(ctx, ev)
		} else {
			o, err = sess.Invoke(ctx, name, ev)
		}
		if err != nil {
			return nil, nil, err
		}
		if err := check(name, o); err != nil {
			return nil, nil, err
		}
		*iv = o.Invocation
	}
	if !cold.Cold || cold.InitMs <= 0 {
		return nil, nil, fmt.Errorf("no INIT REPORT durationMs on the first invocation (%q)", cold.InitReport)
	}
	if cold.PeakRSSKB <= 0 || warm.PeakRSSKB <= 0 {
		return nil, nil, errors.New("no peak RSS read from /proc")
	}
	return cold, warm, nil
}

// check fails an invocation that did not do its work: a handler error, or
// a response that is not the function's result.
func check(name string, o *e2e.Outcome) error {
	if name != "sweep" {
		return o.Err()
	}
	if err := o.Invocation.Err(); err != nil {
		return err
	}
	var sum struct {
		Coverage struct {
			ModelsEvaluated int `json:"models_evaluated"`
		} `json:"coverage"`
	}
	if err := json.Unmarshal(o.Invocation.Body, &sum); err != nil || sum.Coverage.ModelsEvaluated == 0 {
		return fmt.Errorf("the response is not a sweep summary that evaluated models: %s", clip(string(o.Invocation.Body), 200))
	}
	return nil
}

// scheduledEvent is what EventBridge Scheduler's rule sends the sweep
// function (events/ holds CloudTrail events only).
func scheduledEvent(account, region string) e2e.Event {
	now := time.Now().UTC().Truncate(time.Second)
	raw, _ := json.Marshal(map[string]any{
		"version":     "0",
		"id":          fmt.Sprintf("53dc4d37-cffa-4f76-80c9-%012d", now.Unix()),
		"detail-type": "Scheduled Event",
		"source":      "aws.events",
		"account":     account,
		"time":        now.Format(time.RFC3339),
		"region":      region,
		"resources":   []string{"arn:aws:events:" + region + ":" + account + ":rule/vpcguard-sweep"},
		"detail":      map[string]any{},
	})
	return e2e.Event{File: "scheduled-event (generated)", Raw: raw}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
