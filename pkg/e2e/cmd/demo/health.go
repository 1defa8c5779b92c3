package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/pkg/e2e"
	"github.com/vpcguard/vpcguard/pkg/health"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
)

// healthEnv is what the stack sets on the sweep for the health check: the
// demo account's rules (scenario "demo") and functions, named as the
// emulated functions are (vpcguard-<name>), and its dead-letter queue.
var healthEnv = map[string]string{
	"VPCGUARD_RULES": "vpcguard-modelguard=vpcguard-modelguard,vpcguard-modelguard-autoscaling=vpcguard-modelguard," +
		"vpcguard-endpointguard=vpcguard-endpointguard,vpcguard-sweep=vpcguard-sweep",
	"VPCGUARD_FUNCTIONS": "vpcguard-modelguard,vpcguard-endpointguard,vpcguard-sweep",
	"VPCGUARD_DLQ_URL":   "https://sqs.us-east-1.amazonaws.com/111122223333/vpcguard-dlq",
}

// health is part 3: the sweep binary's -health on a fresh demo account,
// whose trail is stopped. It shows the failing item and its fix.
func (d *demo) health(ctx context.Context, runner *e2e.Runner, scenario string) {
	d.printf("\n== 3. Is vpcguard seeing anything? sweep -health on the account, read-only\n")
	sc, err := scenarios.Load(scenario)
	if err != nil {
		d.failures = append(d.failures, "health: "+err.Error())
		return
	}
	sess, err := runner.Start(e2e.SessionConfig{Scenario: sc, Env: healthEnv})
	if err != nil {
		d.failures = append(d.failures, "health: "+err.Error())
		return
	}
	defer sess.Close()
	env := sess.FunctionEnv("sweep")
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, runner.Bin.Bootstrap["sweep"], "-health", "-json")
	cmd.Env = list
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	code := 0
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		d.failures = append(d.failures, "health: "+err.Error())
		return
	}
	var r health.Report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		d.failures = append(d.failures, fmt.Sprintf("health: exit %d, output is not a report: %v\n%s", code, err, stderr.String()))
		return
	}
	d.printf("  sweep -health exits %d; the same section heads every digest of the sweep while it fails:\n", code)
	d.quote(r.String())
	var trail *health.Item
	for i, it := range r.Items {
		if it.ID == health.ItemTrail {
			trail = &r.Items[i]
		}
	}
	switch {
	case trail == nil || trail.Status != report.StatusFail || !strings.Contains(trail.Fix, "aws cloudtrail start-logging"):
		d.failures = append(d.failures, "health: the demo account's stopped trail is not reported with its fix")
	case code != 3 || len(r.Failing()) != 1:
		d.failures = append(d.failures, fmt.Sprintf("health: exit %d, %d items failing, want 3 and the trail only", code, len(r.Failing())))
	default:
		d.printf("  the fix, as an administrator would run it:\n")
		d.printf("       $ %s\n", trail.Fix)
		d.printf("  until then the sweep's digest reads \"NOT SEEING EVENTS\" (severity critical) and a %q event goes to the bus\n", health.DetailType)
	}
}
