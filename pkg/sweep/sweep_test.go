package sweep_test

// Wire-level tests: the real SDK v2 clients, with the sweep's adaptive
// retryer, against the simulated account (pkg/awssim).

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/notify"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/sweep"
	"github.com/vpcguard/vpcguard/pkg/sweep/sweepsim"
)

// TestSweepSmallAccount sweeps 200 models in 10 VPCs, one of each kind of
// problem, in report mode: the checks found per VPC, the digest, the
// events, nothing written, and API calls that grow with the models plus a
// constant per VPC.
func TestSweepSmallAccount(t *testing.T) {
	sc := sweepsim.Generate(sweepsim.Options{Models: 200, VPCs: 10, Endpoints: 4})
	e := newEnv(t, sc, noBackoff)
	s := e.sweeper(reportConfig(), sweep.Options{Concurrency: 8})

	sum, err := s.Run(context.Background(), sweep.Trigger{ID: "run-1"})
	if err != nil {
		t.Fatal(err)
	}
	c := sum.Coverage
	if c.ModelsListed != 200 || c.ModelsEvaluated != 200 || c.ModelsRemaining != 0 || !c.PassComplete || c.Cursor != "" {
		t.Fatalf("coverage = %+v, want all 200 models in one complete pass", c)
	}
	if sum.VPCs != 10 || sum.Sweep.Account != sweepsim.Account || sum.Endpoints.InService != 4 {
		t.Errorf("vpcs %d, account %q, endpoints %+v", sum.VPCs, sum.Sweep.Account, sum.Endpoints)
	}

	// Each VPC fails exactly its own problem (and VPC 7 its models' role).
	want := map[int]string{
		sweepsim.NoS3Endpoint: checks.S3EndpointPresent, sweepsim.EndpointNotRouted: checks.S3EndpointRoutes,
		sweepsim.DefaultPolicy: checks.S3EndpointPolicyCustom, sweepsim.NoDNSHostnames: checks.VPCDNS,
		sweepsim.OneZone: checks.SubnetsMultiAZ, sweepsim.RoleWithoutENI: checks.ExecutionRoleENIPermission,
	}
	for v := range 10 {
		r := result(t, sum, sweepsim.VPCID(v))
		var failing []string
		for _, c := range r.Failing() {
			failing = append(failing, c.ID)
		}
		switch id, ok := want[v]; {
		case !ok && len(failing) > 0:
			t.Errorf("VPC %d fails %v, want nothing", v, failing)
		case ok && !slices.Contains(failing, id):
			t.Errorf("VPC %d fails %v, want %s among them", v, failing, id)
		}
		for _, ch := range r.Checks {
			if ch.Status == report.StatusUnknown {
				t.Errorf("VPC %d: %s unknown: %s", v, ch.ID, ch.Message)
			}
		}
	}
	// Models 99 and 199 have no VpcConfig.
	acct := result(t, sum, sweepsim.Account)
	if acct.Resource.Type != "account" || status(acct, checks.ModelInVPC) != report.StatusFail {
		t.Errorf("account group: %+v", acct.Checks)
	}

	// Report mode writes nothing; the repairs are planned.
	if w := e.ec2Writes(); len(w) > 0 {
		t.Errorf("report mode wrote %+v", w)
	}
	if sum.Actions[report.ActionPlanned] != 3 { // create in VPC 0, associate in 1, deny in 2
		t.Errorf("actions = %v, want 3 planned", sum.Actions)
	}

	// Calls: the models, plus a constant per VPC; tags only where a repair
	// is planned (the 60 models of VPCs 0-2) or a check above info fails
	// for the model (its own exemption may cover it), each model once.
	tagged := map[string]bool{}
	for i := range 200 {
		if v := sweepsim.ModelVPC(i, 10); v >= 0 && v <= 2 {
			tagged[sweepsim.ModelName(i)] = true
		}
	}
	for _, r := range sum.Results {
		for _, c := range r.Checks {
			if c.Status == report.StatusFail && c.Severity != report.SeverityInfo {
				for _, res := range c.Resources {
					if strings.HasPrefix(res, "model-") {
						tagged[res] = true
					}
				}
			}
		}
	}
	if len(tagged) <= 60 || len(tagged) >= 200 {
		t.Errorf("%d models concerned by tags: the generated account changed?", len(tagged))
	}
	st := e.sim.Stats()
	for op, n := range map[string]int{
		"sagemaker:DescribeModel": 200, "sagemaker:ListModels": 2, "sagemaker:ListTags": len(tagged),
		"sagemaker:ListEndpoints": 1, "sagemaker:DescribeEndpoint": 4, "sagemaker:DescribeEndpointConfig": 4,
		"ec2:DescribeRouteTables": 10, "ec2:DescribeVpcEndpoints": 10, "ec2:DescribeVpcs": 10,
		"ec2:DescribeVpcAttribute": 20, "ec2:DescribeFlowLogs": 10, "ec2:DescribeNatGateways": 10,
		"ec2:DescribeSubnets": 1, "ec2:DescribeSecurityGroups": 1, "ec2:DescribeDhcpOptions": 1, "ec2:DescribePrefixLists": 1,
		"iam:SimulatePrincipalPolicy": sweepsim.Roles, "s3:GetBucketPolicy": sweepsim.Buckets,
		"application-autoscaling:DescribeScalableTargets": 1,
	} {
		if st.Calls[op] != n {
			t.Errorf("%s: %d calls, want %d", op, st.Calls[op], n)
		}
		if sum.API.ByOperation[op] != n {
			t.Errorf("summary counts %d calls of %s, want %d", sum.API.ByOperation[op], op, n)
		}
	}

	// The digest: one SNS message; the findings as events.
	pub := e.sim.Published()
	if len(pub) != 1 {
		t.Fatalf("%d SNS messages, want 1 digest", len(pub))
	}
	d := pub[0]
	if !strings.HasPrefix(d.Subject, "[vpcguard] HIGH sweep 111122223333 us-east-1: ") || len(d.Subject) > 99 {
		t.Errorf("subject %q", d.Subject)
	}
	for _, s := range []string{"Every model of the account evaluated: 200 in 10 VPCs", "TOP OFFENDERS", sweepsim.VPCID(0),
		checks.S3EndpointPresent, "No earlier pass to compare with", "3 planned", "sagemaker:DescribeModel"} {
		if !strings.Contains(d.Message, s) {
			t.Errorf("digest lacks %q:\n%s", s, d.Message)
		}
	}
	if d.Attributes[notify.AttrSeverity].StringValue != "high" || d.Attributes[notify.AttrResourceType].StringValue != "sweep" {
		t.Errorf("attributes %+v", d.Attributes)
	}
	found := false
	for _, ev := range e.sim.Events() {
		if ev.DetailType != notify.DetailTypeFinding {
			continue
		}
		var det notify.FindingDetail
		if err := json.Unmarshal([]byte(ev.Detail), &det); err != nil {
			t.Fatal(err)
		}
		if det.Event.Name != "Sweep" || det.Resource == nil {
			t.Errorf("finding event %+v", det)
		}
		if det.Resource.ID == sweepsim.VPCID(0) && det.Check.ID == checks.S3EndpointPresent {
			found = true
		}
	}
	if !found {
		t.Errorf("no finding event for s3-endpoint-present in VPC 0 among %d events", len(e.sim.Events()))
	}

	// The state: one completed pass; a second run reports no change.
	if st := e.state(t); st.Current != nil || st.Previous == nil || st.Previous.Models != 200 || st.Previous.Findings.Len() == 0 {
		t.Fatalf("state after one run: %+v", st)
	}
	sum2, err := s.Run(context.Background(), sweep.Trigger{ID: "run-2"})
	if err != nil {
		t.Fatal(err)
	}
	if ch := sum2.Changes; ch == nil || ch.FirstPass || len(ch.New) != 0 || len(ch.Resolved) != 0 || ch.ResolvedPending {
		t.Errorf("changes on an unchanged account: %+v", ch)
	}
}

// TestSweepChanges: a finding that appears and one that is resolved
// between two passes are reported as such.
func TestSweepChanges(t *testing.T) {
	sc := sweepsim.Generate(sweepsim.Options{Models: 30, VPCs: 3})
	e := newEnv(t, sc, noBackoff)
	s := e.sweeper(reportConfig(), sweep.Options{Concurrency: 4})
	if _, err := s.Run(context.Background(), sweep.Trigger{}); err != nil {
		t.Fatal(err)
	}
	// Fix VPC 0 (create its endpoint) and break VPC 2's DNS: run the
	// remediation as a person would, through a remediate-mode sweep.
	cfg := reportConfig()
	cfg.Mode = report.ModeRemediate
	cfg.Remediations = []string{report.ActionCreateS3GatewayEndpoint}
	fix, err := e.sweeper(cfg, sweep.Options{Concurrency: 4}).Run(context.Background(), sweep.Trigger{})
	if err != nil {
		t.Fatal(err)
	}
	if fix.Actions[report.ActionApplied] != 1 {
		t.Fatalf("remediate mode: actions %v, want the endpoint of VPC 0 applied", fix.Actions)
	}
	sum, err := s.Run(context.Background(), sweep.Trigger{})
	if err != nil {
		t.Fatal(err)
	}
	var resolved []string
	for _, c := range sum.Changes.Resolved {
		resolved = append(resolved, c.Check)
	}
	if !slices.Contains(resolved, checks.S3EndpointPresent) {
		t.Errorf("resolved = %+v, want s3-endpoint-present", sum.Changes.Resolved)
	}
	if !strings.Contains(sum.Digest.Body, "Resolved: ") || !strings.Contains(sum.Digest.Body, checks.S3EndpointPresent+" (high, failing): "+sweepsim.VPCID(0)) {
		t.Errorf("digest:\n%s", sum.Digest.Body)
	}
}

// TestSweepAutoscalingMax: an endpoint registered with Application Auto
// Scaling counts its variant's MaxCapacity. endpoint-00002 hosts model-00010
// in VPC 4 (compliant, two /24 subnets: 502 free IPs) with 2 instances
// now, but may scale to 300 (600 IPs); endpoint-00003 may scale to 3. The
// targets are listed for the whole namespace, page by page, whatever the
// number of endpoints.
func TestSweepAutoscalingMax(t *testing.T) {
	generate := func() *awssim.Scenario {
		sc := sweepsim.Generate(sweepsim.Options{Models: 40, VPCs: 6, Endpoints: 8})
		sc.ScalableTargets = []awssim.ScalableTarget{
			{ResourceID: "endpoint/endpoint-00002/variant/AllTraffic", MinCapacity: awssim.Ptr(int32(2)), MaxCapacity: 300},
			{ResourceID: "endpoint/endpoint-00003/variant/AllTraffic", MaxCapacity: 3},
		}
		sc.PageSizes = map[string]int{"application-autoscaling:DescribeScalableTargets": 1}
		return sc
	}
	t.Run("read", func(t *testing.T) {
		e := newEnv(t, generate(), noBackoff)
		sum, err := e.sweeper(reportConfig(), sweep.Options{Concurrency: 4}).Run(context.Background(), sweep.Trigger{})
		if err != nil {
			t.Fatal(err)
		}
		r := result(t, sum, sweepsim.VPCID(4))
		var msg string
		for _, c := range r.Checks {
			if c.ID == checks.SubnetIPCapacity {
				msg = c.Message
			}
		}
		if status(r, checks.SubnetIPCapacity) != report.StatusFail || !strings.Contains(msg, "needs 600 free IPs for 300 instances") ||
			!strings.Contains(msg, "autoscaling max of variant AllTraffic of endpoint endpoint-00002 (config cfg-00002): 300, now 2") {
			t.Errorf("VPC 4 subnet-ip-capacity %s: %s", status(r, checks.SubnetIPCapacity), msg)
		}
		if status(result(t, sum, sweepsim.VPCID(3)), checks.SubnetIPCapacity) != report.StatusPass {
			t.Error("VPC 3: 3 instances fit")
		}
		if sum.Endpoints.InService != 8 || sum.Endpoints.Autoscaled != 2 || len(sum.Notes) != 0 {
			t.Errorf("endpoints %+v, notes %v", sum.Endpoints, sum.Notes)
		}
		if n := e.sim.Calls("application-autoscaling:DescribeScalableTargets"); n != 2 || sum.API.ByOperation["application-autoscaling:DescribeScalableTargets"] != 2 {
			t.Errorf("%d DescribeScalableTargets calls (summary: %d), want 2 pages of 1", n, sum.API.ByOperation["application-autoscaling:DescribeScalableTargets"])
		}
	})
	t.Run("denied", func(t *testing.T) {
		sc := generate()
		sc.Faults = map[string]awssim.Fault{"application-autoscaling:*": {AccessDenied: true}}
		e := newEnv(t, sc, noBackoff)
		sum, err := e.sweeper(reportConfig(), sweep.Options{Concurrency: 4}).Run(context.Background(), sweep.Trigger{})
		if err != nil {
			t.Fatal(err)
		}
		if status(result(t, sum, sweepsim.VPCID(4)), checks.SubnetIPCapacity) != report.StatusPass || !sum.Coverage.PassComplete {
			t.Errorf("VPC 4: the current 2 instances fit; coverage %+v", sum.Coverage)
		}
		if len(sum.Notes) != 1 || !strings.Contains(sum.Notes[0], "autoscaling limits could not be read") || !strings.Contains(sum.Notes[0], "AccessDeniedException") {
			t.Errorf("notes %v", sum.Notes)
		}
	})
}

// TestSweepPaginatesListModels: ListModels pages of 7 still give every model.
func TestSweepPaginatesListModels(t *testing.T) {
	sc := sweepsim.Generate(sweepsim.Options{Models: 30, VPCs: 3})
	sc.PageSizes = map[string]int{"sagemaker:ListModels": 7}
	e := newEnv(t, sc, noBackoff)
	sum, err := e.sweeper(reportConfig(), sweep.Options{Concurrency: 4}).Run(context.Background(), sweep.Trigger{})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.sim.Calls("sagemaker:ListModels"); got != 5 {
		t.Errorf("ListModels calls = %d, want 5 pages of 7", got)
	}
	if sum.Coverage.ModelsListed != 30 || sum.Coverage.ModelsEvaluated != 30 || e.sim.Calls("sagemaker:DescribeModel") != 30 {
		t.Errorf("coverage %+v, DescribeModel calls %d", sum.Coverage, e.sim.Calls("sagemaker:DescribeModel"))
	}
}

// TestSweepTimeBudget: a deadline too short for the account stops the run
// cleanly once the budget's describe time is over; it says what it
// covered and saves the cursor; the next run continues after it and
// completes the pass, with no model described twice. The budget's clock
// is the test's: it reaches the describe cut-off once a given number of
// models has been described, whatever the machine's speed.
func TestSweepTimeBudget(t *testing.T) {
	const models, cutoff = 250, 97
	const reserve = 10 * time.Minute
	sc := sweepsim.Generate(sweepsim.Options{Models: models, VPCs: 4})
	e := newEnv(t, sc, noBackoff)
	// One model at a time, so the cut-off falls exactly between two models.
	s := e.sweeper(reportConfig(), sweep.Options{Concurrency: 1, Reserve: reserve})

	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	deadline, _ := ctx.Deadline()
	start := time.Now()
	sweep.SetBudgetClock(s, func() time.Time {
		now := start
		if e.sim.Calls("sagemaker:DescribeModel") >= cutoff {
			// Past the describe cut-off (the reserve before the deadline),
			// before the state-read cut-off (half the reserve).
			now = deadline.Add(-reserve * 3 / 4)
		}
		return now
	})
	first, err := s.Run(ctx, sweep.Trigger{ID: "run-1"})
	if err != nil {
		t.Fatal(err)
	}
	if n := e.sim.Calls("sagemaker:DescribeModel"); n != cutoff {
		t.Errorf("%d DescribeModel calls, want %d: the budget did not stop the describing when its time was over", n, cutoff)
	}
	c := first.Coverage
	if c.PassComplete || c.ModelsEvaluated != cutoff || c.Stopped != "the time budget ran out" {
		t.Fatalf("first run coverage %+v, want a partial pass of %d models", c, cutoff)
	}
	if c.First != sweepsim.ModelName(0) || c.Last != sweepsim.ModelName(c.ModelsEvaluated-1) || c.Cursor != c.Last ||
		c.ModelsRemaining != models-c.ModelsEvaluated {
		t.Errorf("coverage %+v is inconsistent", c)
	}
	if !strings.Contains(first.Digest.Subject, "(partial)") || !strings.Contains(first.Digest.Body, "PARTIAL: this run evaluated") ||
		!strings.Contains(first.Digest.Body, "The next run continues after "+c.Cursor) {
		t.Errorf("digest does not say the run was partial:\n%s\n%s", first.Digest.Subject, first.Digest.Body)
	}
	if st := e.state(t); st.Current == nil || st.Current.Cursor != c.Cursor || st.Previous != nil {
		t.Fatalf("state after the partial run: %+v", st)
	}

	second, err := s.Run(context.Background(), sweep.Trigger{ID: "run-2"})
	if err != nil {
		t.Fatal(err)
	}
	c2 := second.Coverage
	if !c2.PassComplete || c2.ResumedAfter != c.Cursor || c2.ModelsEvaluated != models-c.ModelsEvaluated ||
		c2.Pass.ModelsEvaluated != models || c2.Pass.Runs != 2 || c2.Pass.ID != "run-1" {
		t.Errorf("second run coverage %+v, want the rest of the pass", c2)
	}
	if n := e.sim.Calls("sagemaker:DescribeModel"); n != models {
		t.Errorf("DescribeModel calls = %d, want %d: each model once", n, models)
	}
	if !strings.Contains(second.Digest.Body, "This run completed the pass started") {
		t.Errorf("digest:\n%s", second.Digest.Body)
	}
	if st := e.state(t); st.Current != nil || st.Previous == nil || st.Previous.Models != models {
		t.Errorf("state after the pass: %+v", st)
	}
}

// TestSweepAbsorbsThrottling: DescribeModel limited to 10 calls a second;
// the adaptive retryer (real backoff) paces the calls and every model is
// still evaluated, the throttles counted on both sides.
func TestSweepAbsorbsThrottling(t *testing.T) {
	const models = 24
	sc := sweepsim.Generate(sweepsim.Options{Models: models, VPCs: 4})
	sc.Faults = map[string]awssim.Fault{"sagemaker:DescribeModel": {RatePerSecond: 10, Burst: 4}}
	e := newEnv(t, sc, nil)
	sum, err := e.sweeper(reportConfig(), sweep.Options{Concurrency: 8}).Run(context.Background(), sweep.Trigger{})
	if err != nil {
		t.Fatal(err)
	}
	throttles := e.sim.Throttles("sagemaker:DescribeModel")
	t.Logf("%d throttles absorbed, %d DescribeModel calls, %s", throttles, e.sim.Calls("sagemaker:DescribeModel"), time.Duration(sum.Elapsed)*time.Millisecond)
	if throttles == 0 {
		t.Fatal("no call was throttled: the test does not test throttling")
	}
	if sum.Coverage.ModelsEvaluated != models || !sum.Coverage.PassComplete {
		t.Errorf("coverage %+v", sum.Coverage)
	}
	for _, r := range sum.Results {
		for _, c := range r.Checks {
			if c.Status == report.StatusUnknown {
				t.Errorf("%s %s unknown: %s", r.Resource.ID, c.ID, c.Message)
			}
		}
	}
	if got := sum.API.ThrottledByOperation["sagemaker:DescribeModel"]; got != throttles {
		t.Errorf("summary counts %d throttles, the account answered %d", got, throttles)
	}
	if got := e.sim.Calls("sagemaker:DescribeModel"); got != models+throttles {
		t.Errorf("DescribeModel calls = %d, want %d models + %d retries", got, models, throttles)
	}
}

// TestSweepAccessDenied: a denied call makes the checks that need it
// unknown, never a crash, and leaves the other results intact.
func TestSweepAccessDenied(t *testing.T) {
	t.Run("route tables", func(t *testing.T) {
		sc := sweepsim.Generate(sweepsim.Options{Models: 40, VPCs: 4})
		sc.Faults = map[string]awssim.Fault{"ec2:DescribeRouteTables": {AccessDenied: true}}
		e := newEnv(t, sc, noBackoff)
		sum, err := e.sweeper(reportConfig(), sweep.Options{Concurrency: 4}).Run(context.Background(), sweep.Trigger{})
		if err != nil {
			t.Fatal(err)
		}
		r := result(t, sum, sweepsim.VPCID(3)) // has an endpoint: its routes cannot be told
		if status(r, checks.S3EndpointRoutes) != report.StatusUnknown {
			t.Errorf("s3-endpoint-routes = %s, want unknown", status(r, checks.S3EndpointRoutes))
		}
		if status(r, checks.VPCDNS) != report.StatusFail || status(result(t, sum, sweepsim.VPCID(0)), checks.S3EndpointPresent) != report.StatusFail {
			t.Error("the other checks were not evaluated")
		}
		if sum.Findings.Unknown == 0 || !sum.Coverage.PassComplete || !strings.Contains(sum.Digest.Body, "unverified "+checks.S3EndpointRoutes) {
			t.Errorf("summary %+v\n%s", sum.Findings, sum.Digest.Body)
		}
	})
	t.Run("list models", func(t *testing.T) {
		sc := sweepsim.Generate(sweepsim.Options{Models: 20, VPCs: 2})
		sc.Faults = map[string]awssim.Fault{"sagemaker:ListModels": {AccessDenied: true}}
		e := newEnv(t, sc, noBackoff)
		sum, err := e.sweeper(reportConfig(), sweep.Options{Concurrency: 4}).Run(context.Background(), sweep.Trigger{})
		if err != nil {
			t.Fatal(err)
		}
		r := result(t, sum, "unknown")
		if status(r, checks.ModelInVPC) != report.StatusUnknown || !strings.Contains(r.Checks[0].Message, "AccessDeniedException") {
			t.Errorf("account result %+v", r.Checks[0])
		}
		if sum.Coverage.PassComplete || sum.Coverage.ModelsEvaluated != 0 || len(sum.Notes) == 0 {
			t.Errorf("coverage %+v notes %v", sum.Coverage, sum.Notes)
		}
		if st := e.state(t); st.Current == nil || st.Current.Models != 0 || st.Previous != nil {
			t.Errorf("state %+v: the pass must not advance", st)
		}
	})
}

// TestSweepRemediateMode: repairs follow VPCGUARD_MODE, the allow-list and
// the exempt tag (read only for the VPCs with a repair planned); a run that
// continues a pass covers only part of the account and applies nothing.
func TestSweepRemediateMode(t *testing.T) {
	sc := sweepsim.Generate(sweepsim.Options{Models: 30, VPCs: 3})
	sc.Models[0].Tags = awssim.Tags{"vpcguard:exempt": "true"} // model-00000, in VPC 0
	e := newEnv(t, sc, noBackoff)
	cfg := reportConfig()
	cfg.Mode = report.ModeRemediate
	cfg.Remediations = []string{report.ActionCreateS3GatewayEndpoint, report.ActionAssociateRouteTables}
	s := e.sweeper(cfg, sweep.Options{Concurrency: 4})

	// A pass in progress: this run continues after model-00004.
	st := sweep.State{Version: sweep.StateVersion, Current: &sweep.Pass{ID: "p", Started: time.Now().UTC(), Runs: 1, Models: 5, Cursor: sweepsim.ModelName(4), Findings: sweep.Findings{}}}
	e.putState(t, st)
	partial, err := s.Run(context.Background(), sweep.Trigger{})
	if err != nil {
		t.Fatal(err)
	}
	if partial.Coverage.ModelsEvaluated != 25 || !partial.Coverage.PassComplete || partial.Coverage.Pass.ModelsEvaluated != 30 {
		t.Fatalf("coverage %+v", partial.Coverage)
	}
	if w := e.ec2Writes(); len(w) > 0 || partial.Actions[report.ActionSkipped] == 0 || partial.Actions[report.ActionApplied] > 0 {
		t.Fatalf("a run over part of the account: actions %v, writes %+v", partial.Actions, w)
	}
	reason, _ := result(t, partial, sweepsim.VPCID(1)).Actions[0].Detail["reason"].(string)
	if !strings.Contains(reason, "only part of the account") {
		t.Errorf("reason %q", reason)
	}

	// The next run sweeps the whole account: VPC 1's routes are added; VPC
	// 0 holds an exempt model on every route table, so nothing is created;
	// VPC 2's policy repair is not in the allow-list.
	full, err := s.Run(context.Background(), sweep.Trigger{})
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, w := range e.ec2Writes() {
		ops = append(ops, w.Operation)
	}
	if !slices.Equal(ops, []string{"ModifyVpcEndpoint"}) || full.Actions[report.ActionApplied] != 1 {
		t.Errorf("writes %v, actions %v", ops, full.Actions)
	}
	for _, a := range result(t, full, sweepsim.VPCID(0)).Actions {
		if a.Status != report.ActionSkipped {
			t.Errorf("VPC 0 (exempt model): %+v", a)
		}
	}
	// Tags were read for the models of the VPCs with a repair planned only.
	if n := e.sim.Calls("sagemaker:ListTags"); n != 25+30 {
		t.Errorf("ListTags calls = %d, want 55 (the 25 models of the first run, the 30 of the second)", n)
	}
}

// TestSweepStateInS3: the cursor's object through awssim's S3. A first run
// finds no object (NoSuchKey) and saves one; the next reads it back. An
// unreadable state is reported and never overwritten; a failed save is the
// run's error.
func TestSweepStateInS3(t *testing.T) {
	sc := sweepsim.Generate(sweepsim.Options{Models: 20, VPCs: 2})
	e := newEnv(t, sc, noBackoff)
	s := e.sweeper(reportConfig(), sweep.Options{Concurrency: 4})
	puts := func() (n int, last awssim.Write) {
		for _, w := range e.sim.Writes() {
			if w.Service == "s3" && w.Operation == "PutObject" {
				n, last = n+1, w
			}
		}
		return n, last
	}

	first, err := s.Run(context.Background(), sweep.Trigger{ID: "run-1"})
	if err != nil {
		t.Fatal(err)
	}
	if n, w := puts(); n != 1 || w.Error != "" || w.Params["Key"] != stateKey || w.Params["ContentType"] != "application/json" ||
		first.Delivery.State != "saved to s3://"+stateBucket+"/"+stateKey || e.sim.Calls("s3:GetObject") != 1 {
		t.Fatalf("first run: %d puts (%+v), state %q, %d gets", n, w, first.Delivery.State, e.sim.Calls("s3:GetObject"))
	}
	if st := e.state(t); st.Previous == nil || st.Previous.ID != "run-1" || st.Previous.Models != 20 {
		t.Errorf("saved state %+v", st)
	}
	second, err := s.Run(context.Background(), sweep.Trigger{ID: "run-2"})
	if err != nil {
		t.Fatal(err)
	}
	if second.Changes == nil || second.Changes.FirstPass || e.state(t).Previous.ID != "run-2" {
		t.Errorf("second run did not compare with the first: %+v", second.Changes)
	}

	// Unreadable: reported, the run goes on, nothing overwritten.
	if err := e.sim.SetFault("s3:GetObject", awssim.Fault{AccessDenied: true}); err != nil {
		t.Fatal(err)
	}
	third, err := s.Run(context.Background(), sweep.Trigger{ID: "run-3"})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := puts(); n != 2 || !strings.Contains(strings.Join(third.Notes, "\n"), "could not be read") ||
		!strings.Contains(strings.Join(third.Notes, "\n"), "AccessDenied") || e.state(t).Previous.ID != "run-2" {
		t.Errorf("unreadable state: %d puts, notes %v", n, third.Notes)
	}

	// A failed save is the run's error, recorded by the account.
	e.sim.ClearFaults()
	if err := e.sim.SetFault("s3:PutObject", awssim.Fault{AccessDenied: true}); err != nil {
		t.Fatal(err)
	}
	fourth, err := s.Run(context.Background(), sweep.Trigger{ID: "run-4"})
	if err == nil || !strings.Contains(err.Error(), "write sweep state") || !strings.HasPrefix(fourth.Delivery.State, "failed: ") {
		t.Errorf("failed save: err %v, state %q", err, fourth.Delivery.State)
	}
	if n, w := puts(); n != 3 || w.Error != "AccessDenied" || !w.Injected {
		t.Errorf("failed save: %d puts, last %+v", n, w)
	}
}
