package securityhub_test

// Wire-level tests: the real SDK v2 securityhub client (and the guard and
// sweep around it) against the simulated account's Security Hub.

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	shsdk "github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/guard"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/notify"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
	"github.com/vpcguard/vpcguard/pkg/securityhub"
	"github.com/vpcguard/vpcguard/pkg/sweep"
)

const (
	account  = "111122223333"
	region   = "us-east-1"
	churnVPC = "vpc-0b1b2c3d4e5f60002"
	topic    = "arn:aws:sns:us-east-1:111122223333:vpcguard-findings"
	bus      = "default"
	prefix   = "vpcguard/aws/us-east-1/111122223333/"
)

// syncBuffer is a log sink safe for the SDK's concurrent calls.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	srv     *awssim.Server
	clients *app.Clients
	pub     *securityhub.Publisher
	logs    *syncBuffer
	log     *slog.Logger
}

func newEnv(t testing.TB, mutate func(*awssim.Scenario)) *env {
	t.Helper()
	return newScenarioEnv(t, "demo", mutate)
}

func newScenarioEnv(t testing.TB, scenario string, mutate func(*awssim.Scenario)) *env {
	t.Helper()
	sc, err := scenarios.Load(scenario)
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(sc)
	}
	srv, url := awssim.Start(t, sc)
	clients, err := app.ClientsFrom(awssim.TestConfig(url, region))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	pub := app.SecurityHubPublisher(clients, nil, log)
	// Security Hub's own rates would make these tests wait; TestPacer
	// tests the pacing.
	pub.ImportRate, pub.GetRate = 1000, 1000
	return &env{srv: srv, clients: clients, pub: pub, logs: logs, log: log}
}

func (e *env) handler(t testing.TB) *guard.Handler {
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{"VPCGUARD_TOPIC_ARN": topic, "VPCGUARD_EVENT_BUS": bus, "VPCGUARD_SECURITY_HUB": "true"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	return &guard.Handler{
		Config: cfg,
		Gatherer: inventory.Gatherer{
			SageMaker: e.clients.SageMaker, EC2: e.clients.EC2, S3: e.clients.S3, IAM: e.clients.IAM, AutoScaling: e.clients.AutoScaling,
			Region: e.clients.Region, Partition: e.clients.Partition, ENIActions: checks.ENIActions(), ModelTags: true,
		},
		Kinds: []cloudtrail.Kind{cloudtrail.KindCreateModel, cloudtrail.KindCreateEndpointConfig, cloudtrail.KindCreateEndpoint,
			cloudtrail.KindCreateVpcEndpoint, cloudtrail.KindModifyVpcEndpoint, cloudtrail.KindDeleteVpcEndpoints},
		Notifier:    &notify.Notifier{SNS: e.clients.SNS, Events: e.clients.Events, TopicARN: topic, EventBus: bus, Log: e.log},
		SecurityHub: e.pub,
		Log:         e.log,
	}
}

func (e *env) sweeper() *sweep.Sweeper {
	return &sweep.Sweeper{
		Gatherer: inventory.Gatherer{
			SageMaker: e.clients.SageMaker, EC2: e.clients.EC2, S3: e.clients.S3, IAM: e.clients.IAM, AutoScaling: e.clients.AutoScaling,
			Region: e.clients.Region, Partition: e.clients.Partition, ENIActions: checks.ENIActions(),
		},
		Config:      config.Config{Mode: report.ModeReport, ExpectedInstances: 1, ExemptTag: config.DefaultExemptTag, SecurityHub: true},
		Options:     sweep.Options{Concurrency: 4},
		SecurityHub: e.pub,
		Log:         e.log,
	}
}

func event(t testing.TB, name string, edit func(string) string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		raw = []byte(edit(string(raw)))
	}
	return raw
}

func str(v any) string { s, _ := v.(string); return s }

func path(f map[string]any, keys ...string) any {
	var v any = f
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// imports are the BatchImportFindings calls awssim received, with their
// findings.
func (e *env) imports() [][]map[string]any {
	var out [][]map[string]any
	for _, w := range e.srv.Writes() {
		if w.Service != "securityhub" || w.Operation != "BatchImportFindings" {
			continue
		}
		var batch []map[string]any
		list, _ := w.Params["Findings"].([]any)
		for _, f := range list {
			m, _ := f.(map[string]any)
			batch = append(batch, m)
		}
		out = append(out, batch)
	}
	return out
}

// TestEventImportsItsFailingFindings: the churn model's CreateModel imports
// one ACTIVE finding per failing check and resource, in the Security Hub of
// its own account, and nothing for what passes.
func TestEventImportsItsFailingFindings(t *testing.T) {
	e := newEnv(t, nil)
	res, err := e.handler(t).HandleJSON(context.Background(), event(t, "sagemaker-CreateModel-churn-no-s3-endpoint.json", nil))
	if err != nil {
		t.Fatal(err)
	}
	d := res.SecurityHub
	if d == nil || d.Status != report.SecurityHubWritten || d.Account != account || d.Region != region || d.Archived != 0 {
		t.Fatalf("delivery = %+v", d)
	}
	var want []string
	passing := 0
	for _, c := range res.Checks {
		for _, v := range c.Verdicts {
			id := securityhub.FindingID("aws", region, account, c.ID, v.Subject)
			if v.Status == report.StatusFail || v.Status == report.StatusUnknown {
				want = append(want, id)
			} else {
				passing++
			}
		}
	}
	stored := e.srv.Findings()
	var got []string
	for id := range stored {
		got = append(got, id)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) || d.Active != len(want) || d.Unchanged != passing {
		t.Fatalf("stored %v, want %v; delivery %+v (passing %d)", got, want, d, passing)
	}
	f := stored[prefix+"s3-endpoint-present/"+churnVPC]
	if f == nil {
		t.Fatal("no s3-endpoint-present finding for the churn VPC")
	}
	for k, want := range map[string]string{
		"ProductArn": "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default", "GeneratorId": checks.S3EndpointPresent,
		"RecordState": "ACTIVE", "AwsAccountId": account, "SchemaVersion": "2018-10-08",
	} {
		if str(f[k]) != want {
			t.Errorf("%s = %v, want %s", k, f[k], want)
		}
	}
	if str(path(f, "Compliance", "Status")) != "FAILED" || str(path(f, "Severity", "Label")) != "HIGH" ||
		str(path(f, "ProductFields", "vpcguard/EventId")) != res.Event.ID || str(f["CreatedAt"]) != str(f["UpdatedAt"]) ||
		!strings.HasPrefix(str(path(f, "Remediation", "Recommendation", "Text")), "aws ec2 create-vpc-endpoint") {
		t.Errorf("finding %v", f)
	}
	if rs, _ := f["Resources"].([]any); len(rs) < 2 || str(path(rs[0].(map[string]any), "Type")) != "AwsEc2Vpc" {
		t.Errorf("resources %v", f["Resources"])
	}
	// The info check is ACTIVE with INFORMATIONAL severity.
	if flow := stored[prefix+"vpc-flow-logs/"+churnVPC]; str(path(flow, "Severity", "Label")) != "INFORMATIONAL" || str(flow["RecordState"]) != "ACTIVE" {
		t.Errorf("flow logs finding %v", flow)
	}
	// SNS and EventBridge went out as well.
	if len(e.srv.Published()) != 1 || len(e.srv.Events()) == 0 {
		t.Errorf("%d emails, %d events", len(e.srv.Published()), len(e.srv.Events()))
	}
}

// TestLifecycleEventThenSweep: an event makes findings ACTIVE; after the
// VPC is repaired the sweep archives the one that now passes (same Id,
// later UpdatedAt, CreatedAt kept), keeps what still fails ACTIVE, and
// archives a finding whose resource is gone; the workflow status a person
// set stays, and vpcguard never sends the fields people own.
func TestLifecycleEventThenSweep(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := e.handler(t).HandleJSON(ctx, event(t, "sagemaker-CreateModel-churn-no-s3-endpoint.json", nil)); err != nil {
		t.Fatal(err)
	}
	presentID, flowID := prefix+"s3-endpoint-present/"+churnVPC, prefix+"vpc-flow-logs/"+churnVPC
	first := e.srv.Findings()
	if str(first[presentID]["RecordState"]) != "ACTIVE" {
		t.Fatalf("after the event: %v", first[presentID])
	}
	if !e.srv.SetWorkflowStatus(presentID, "NOTIFIED") {
		t.Fatal("cannot set the workflow status")
	}

	// A finding about a VPC that no longer exists, written by an earlier event.
	goneID := prefix + "vpc-dns/vpc-0deadbeef0000000"
	gone := report.Result{
		Event: report.Event{ID: "old-event", Name: "CreateModel", Account: account, Region: region}, Mode: report.ModeReport,
		Checks: []report.Check{{ID: checks.VPCDNS, Status: report.StatusFail, Severity: report.SeverityHigh, Verdicts: []report.Verdict{
			{Subject: report.Ref{Type: report.ResourceVPC, ID: "vpc-0deadbeef0000000"}, Status: report.StatusFail, Message: "DNS is off"}}}},
	}
	if d, err := e.pub.Publish(ctx, gone, time.Now().Add(-time.Hour)); err != nil || d.Active != 1 {
		t.Fatalf("old finding: %+v, %v", d, err)
	}

	// Someone repairs the churn VPC: an S3 gateway endpoint on its table.
	if _, err := e.clients.EC2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
		VpcId: aws.String(churnVPC), ServiceName: aws.String("com.amazonaws.us-east-1.s3"), VpcEndpointType: ec2types.VpcEndpointTypeGateway,
		RouteTableIds: []string{"rtb-0bbb0000000000001"},
	}); err != nil {
		t.Fatal(err)
	}

	time.Sleep(2 * time.Millisecond) // the sweep's evaluation is later than the event's
	sum, err := e.sweeper().Run(ctx, sweep.Trigger{ID: "sweep-1", Account: account, Region: region})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Coverage.PassComplete || !strings.HasPrefix(sum.Delivery.SecurityHub, "written") {
		t.Fatalf("coverage %+v, delivery %q", sum.Coverage, sum.Delivery.SecurityHub)
	}
	after := e.srv.Findings()
	p := after[presentID]
	if str(p["RecordState"]) != "ARCHIVED" || str(path(p, "Compliance", "Status")) != "PASSED" ||
		str(p["CreatedAt"]) != str(first[presentID]["CreatedAt"]) || str(p["UpdatedAt"]) <= str(first[presentID]["UpdatedAt"]) ||
		str(path(p, "Workflow", "Status")) != "NOTIFIED" || str(path(p, "ProductFields", "vpcguard/EventId")) != "sweep-1" {
		t.Errorf("repaired VPC's finding: state %v compliance %v created %v→%v updated %v→%v workflow %v",
			p["RecordState"], path(p, "Compliance", "Status"), first[presentID]["CreatedAt"], p["CreatedAt"],
			first[presentID]["UpdatedAt"], p["UpdatedAt"], path(p, "Workflow", "Status"))
	}
	if f := after[flowID]; str(f["RecordState"]) != "ACTIVE" || str(f["CreatedAt"]) != str(first[flowID]["CreatedAt"]) {
		t.Errorf("still failing: %v created %v (was %v)", f["RecordState"], f["CreatedAt"], first[flowID]["CreatedAt"])
	}
	g := after[goneID]
	if str(g["RecordState"]) != "ARCHIVED" || str(path(g, "Compliance", "Status")) != "NOT_AVAILABLE" ||
		!strings.HasPrefix(str(g["Description"]), "No longer evaluated") || str(path(g, "ProductFields", "vpcguard/CheckStatus")) != "gone" {
		t.Errorf("gone resource's finding: %v %v %q", g["RecordState"], path(g, "Compliance", "Status"), g["Description"])
	}
	for _, batch := range e.imports() {
		for _, f := range batch {
			for _, k := range []string{"Workflow", "WorkflowState", "Note", "UserDefinedFields", "VerificationState"} {
				if f[k] != nil {
					t.Errorf("vpcguard sent %s for %s", k, f["Id"])
				}
			}
			for k := range f["ProductFields"].(map[string]any) {
				if strings.HasPrefix(k, "aws/") {
					t.Errorf("vpcguard sent Security Hub's own product field %s", k)
				}
			}
		}
	}
	for op := range e.srv.Stats().Calls {
		if strings.HasPrefix(op, "securityhub:") && op != "securityhub:BatchImportFindings" && op != "securityhub:GetFindings" {
			t.Errorf("vpcguard called %s", op)
		}
	}

	// A second sweep archives nothing again: archived findings are not
	// rewritten, failing ones are refreshed.
	archivedAt := str(after[presentID]["UpdatedAt"])
	if _, err := e.sweeper().Run(ctx, sweep.Trigger{ID: "sweep-2", Account: account, Region: region}); err != nil {
		t.Fatal(err)
	}
	again := e.srv.Findings()
	if str(again[presentID]["UpdatedAt"]) != archivedAt || str(again[flowID]["UpdatedAt"]) <= str(after[flowID]["UpdatedAt"]) {
		t.Errorf("second sweep: archived updated %v→%v, failing %v→%v", archivedAt, again[presentID]["UpdatedAt"],
			after[flowID]["UpdatedAt"], again[flowID]["UpdatedAt"])
	}
}

// failing is a result with n failing VPC checks on n VPCs.
func failing(n int, check string) report.Result {
	r := report.Result{Event: report.Event{ID: "sweep-x", Name: "Sweep", Account: account, Region: region}, Mode: report.ModeReport}
	c := report.Check{ID: check, Status: report.StatusFail, Severity: report.SeverityInfo}
	for i := range n {
		vpc := fmt.Sprintf("vpc-%017d", i)
		c.Verdicts = append(c.Verdicts, report.Verdict{Subject: report.Ref{Type: report.ResourceVPC, ID: vpc}, Status: report.StatusFail,
			Message: vpc + " has no active flow log", Remediation: "aws ec2 create-flow-logs --resource-ids " + vpc})
	}
	r.Checks = []report.Check{c}
	return r
}

// TestBatchesOfAtMost100: 250 findings take three calls of 100, 100 and 50.
func TestBatchesOfAtMost100(t *testing.T) {
	e := newEnv(t, nil)
	d, err := e.pub.Publish(context.Background(), failing(250, checks.VPCFlowLogs), time.Now())
	if err != nil || d.Active != 250 {
		t.Fatalf("%+v, %v", d, err)
	}
	var sizes []int
	for _, b := range e.imports() {
		sizes = append(sizes, len(b))
	}
	if !slices.Equal(sizes, []int{100, 100, 50}) || len(e.srv.Findings()) != 250 {
		t.Errorf("batches %v, %d stored", sizes, len(e.srv.Findings()))
	}
	// 250 Ids are looked up 20 at a time.
	if n := e.srv.Calls("securityhub:GetFindings"); n != 13 {
		t.Errorf("%d GetFindings calls, want 13", n)
	}
}

// TestThrottlingIsRetriedByTheSDK: Security Hub's 429
// TooManyRequestsException is retried by the SDK's standard retryer.
func TestThrottlingIsRetriedByTheSDK(t *testing.T) {
	e := newEnv(t, nil)
	for _, op := range []string{"securityhub:BatchImportFindings", "securityhub:GetFindings"} {
		if err := e.srv.SetFault(op, awssim.Fault{ThrottleFirst: 2}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := e.pub.Publish(context.Background(), failing(3, checks.VPCFlowLogs), time.Now())
	if err != nil || d.Status != report.SecurityHubWritten || d.Active != 3 {
		t.Fatalf("%+v, %v", d, err)
	}
	if e.srv.Throttles("securityhub:BatchImportFindings") != 2 || e.srv.Throttles("securityhub:GetFindings") != 2 || len(e.srv.Findings()) != 3 {
		t.Errorf("throttles %d/%d, %d stored", e.srv.Throttles("securityhub:BatchImportFindings"), e.srv.Throttles("securityhub:GetFindings"), len(e.srv.Findings()))
	}
}

// TestRefusedFindingsAreRetriedOnceThenAnError: a finding refused in
// FailedFindings is sent again once; refused again, the event fails (so that
// Lambda retries it) and the delivery names it, while SNS and EventBridge
// still went out.
func TestRefusedFindingsAreRetriedOnceThenAnError(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.AddImportFailure(awssim.ImportFailure{Call: 1, Match: "/vpc-00000000000000001"})
	d, err := e.pub.Publish(context.Background(), failing(3, checks.VPCFlowLogs), time.Now())
	if err != nil || d.Active != 3 || len(e.imports()) != 2 || len(e.imports()[1]) != 1 {
		t.Fatalf("transient refusal: %+v, %v, imports %d", d, err, len(e.imports()))
	}

	e = newEnv(t, nil)
	e.srv.AddImportFailure(awssim.ImportFailure{Match: "s3-endpoint-present", ErrorCode: "InternalFailure", ErrorMessage: "try again"})
	res, err := e.handler(t).HandleJSON(context.Background(), event(t, "sagemaker-CreateModel-churn-no-s3-endpoint.json", nil))
	want := prefix + "s3-endpoint-present/" + churnVPC
	if err == nil || !strings.Contains(err.Error(), "security hub refused 1 of 5 findings after one retry") || !strings.Contains(err.Error(), want+": InternalFailure: try again") {
		t.Fatalf("error = %v", err)
	}
	d = res.SecurityHub
	if d.Status != report.SecurityHubFailed || !slices.Equal(d.Failed, []string{want}) || d.Active != 4 {
		t.Errorf("delivery %+v", d)
	}
	if imports := e.imports(); len(imports) != 2 || len(imports[1]) != 1 || str(imports[1][0]["Id"]) != want {
		t.Errorf("imports: %d calls", len(imports))
	}
	if len(e.srv.Published()) != 1 || len(e.srv.Events()) == 0 {
		t.Errorf("notifications: %d emails, %d events", len(e.srv.Published()), len(e.srv.Events()))
	}
}

// TestSecurityHubNotEnabled: InvalidAccessException is reported in the
// result and logged once, the event succeeds, and SNS and EventBridge still
// go out.
func TestSecurityHubNotEnabled(t *testing.T) {
	e := newEnv(t, nil)
	if err := e.srv.SetFault("securityhub:*", awssim.SecurityHubNotEnabled(account)); err != nil {
		t.Fatal(err)
	}
	res, err := e.handler(t).HandleJSON(context.Background(), event(t, "sagemaker-CreateModel-churn-no-s3-endpoint.json", nil))
	if err != nil {
		t.Fatalf("the event failed: %v", err)
	}
	d := res.SecurityHub
	if d == nil || d.Status != report.SecurityHubNotEnabled || !strings.Contains(d.Message, "Account 111122223333 is not subscribed to AWS Security Hub") {
		t.Fatalf("delivery %+v", d)
	}
	if n := strings.Count(e.logs.String(), "security hub is not enabled"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, e.logs.String())
	}
	if e.srv.Calls("securityhub:BatchImportFindings") != 0 || len(e.srv.Findings()) != 0 {
		t.Error("findings were sent after InvalidAccessException")
	}
	if len(e.srv.Published()) != 1 || len(e.srv.Events()) == 0 {
		t.Errorf("notifications: %d emails, %d events", len(e.srv.Published()), len(e.srv.Events()))
	}

	// The sweep reports it too, and delivers its digest.
	sum, err := e.sweeper().Run(context.Background(), sweep.Trigger{ID: "sweep-1", Account: account, Region: region})
	if err != nil || !strings.HasPrefix(sum.Delivery.SecurityHub, "not-enabled") {
		t.Errorf("sweep: %v, %q", err, sum.Delivery.SecurityHub)
	}
}

// TestNeverAnotherAccountsSecurityHub: an event from another account is
// evaluated and notified, but its findings go to no Security Hub at all.
func TestNeverAnotherAccountsSecurityHub(t *testing.T) {
	e := newEnv(t, nil)
	other := func(s string) string { return strings.ReplaceAll(s, account, "999988887777") }
	res, err := e.handler(t).HandleJSON(context.Background(), event(t, "sagemaker-CreateModel-churn-no-s3-endpoint.json", other))
	if err != nil {
		t.Fatal(err)
	}
	if res.Event.Account != "999988887777" || res.SecurityHub == nil || res.SecurityHub.Status != report.SecurityHubRefused ||
		!strings.Contains(res.SecurityHub.Message, "single-account mode: only "+account+" in "+region) {
		t.Fatalf("account %s, delivery %+v", res.Event.Account, res.SecurityHub)
	}
	if n := e.srv.Calls("securityhub:BatchImportFindings") + e.srv.Calls("securityhub:GetFindings"); n != 0 {
		t.Errorf("%d Security Hub calls for another account's event", n)
	}
	// And awssim, like Security Hub, refuses another account's finding.
	hub, err := e.pub.Hubs.Hub(context.Background(), account, region)
	if err != nil {
		t.Fatal(err)
	}
	f := securityhub.Render(failing(1, checks.VPCFlowLogs), time.Now(), securityhub.Options{})[0].ASFF
	f.AwsAccountId = aws.String("999988887777")
	if _, err := hub.BatchImportFindings(context.Background(), &shsdk.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{f}}); err == nil || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Errorf("awssim accepted another account's finding: %v", err)
	}
}

// TestANewerEvaluationWins: a sweep that began before an event does not
// overwrite the event's finding, and an older import is ignored.
func TestANewerEvaluationWins(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	t0 := time.Now()
	r := failing(1, checks.VPCFlowLogs)
	if _, err := e.pub.Publish(ctx, r, t0); err != nil {
		t.Fatal(err)
	}
	id := prefix + "vpc-flow-logs/vpc-00000000000000000"
	before := e.srv.Findings()[id]
	// The sweep began earlier and saw the VPC pass: it leaves the finding.
	pass := failing(1, checks.VPCFlowLogs)
	pass.Checks[0].Status, pass.Checks[0].Verdicts[0].Status = report.StatusPass, report.StatusPass
	d, err := e.pub.Reconcile(ctx, []report.Result{pass}, securityhub.Sweep{Account: account, Region: region, At: t0.Add(-time.Second), Complete: true})
	if err != nil || d.Unchanged != 1 || d.Archived != 0 {
		t.Fatalf("%+v, %v", d, err)
	}
	if after := e.srv.Findings()[id]; str(after["RecordState"]) != "ACTIVE" || str(after["UpdatedAt"]) != str(before["UpdatedAt"]) {
		t.Errorf("older sweep changed the finding: %v", after)
	}
	// A later evaluation that passes archives it.
	d, err = e.pub.Publish(ctx, pass, t0.Add(time.Second))
	if err != nil || d.Archived != 1 || str(e.srv.Findings()[id]["RecordState"]) != "ARCHIVED" {
		t.Errorf("%+v, %v, %v", d, err, e.srv.Findings()[id]["RecordState"])
	}
	// A pass for a resource that never failed writes nothing.
	d, err = e.pub.Publish(ctx, func() report.Result { p := pass; p.Checks[0].ID = checks.VPCDNS; return p }(), t0.Add(2*time.Second))
	if err != nil || d.Status != report.SecurityHubNothing || d.Unchanged != 1 {
		t.Errorf("never failed: %+v, %v", d, err)
	}
}

// TestAnExemptionArchivesItsFinding: a live exemption on the S3 endpoint
// makes s3-endpoint-policy-custom exempt; its finding is recorded ARCHIVED,
// still FAILED, with the exemption's reason, owner and expiry.
func TestAnExemptionArchivesItsFinding(t *testing.T) {
	e := newScenarioEnv(t, "exemption", nil)
	call := cloudtrail.Call{Kind: cloudtrail.KindCreateModel, Name: "CreateModel", Source: cloudtrail.SourceSageMaker,
		Account: account, Region: region, EnvelopeID: "ev-exempt",
		CreateModel: &cloudtrail.CreateModel{ModelName: "scoring-v1"}}
	res, err := e.handler(t).Handle(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	var exempted report.Check
	for _, c := range res.Checks {
		if c.ID == checks.S3EndpointPolicyCustom {
			exempted = c
		}
	}
	if exempted.Status != report.StatusExempt {
		t.Fatalf("%s is %s: %s", checks.S3EndpointPolicyCustom, exempted.Status, exempted.Message)
	}
	id := prefix + "s3-endpoint-policy-custom/vpce-0e2e0000000000001"
	f := e.srv.Findings()[id]
	if f == nil {
		t.Fatalf("no finding %s; delivery %+v", id, res.SecurityHub)
	}
	for k, want := range map[string]string{
		"vpcguard/CheckStatus":      "exempt",
		"vpcguard/ExemptionReason":  "default policy kept until the bucket-scoped policy ships (CHG-4711)",
		"vpcguard/ExemptionOwner":   "ml-platform@example.com",
		"vpcguard/ExemptionExpires": "2099-12-31",
	} {
		if got := str(path(f, "ProductFields", k)); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if str(f["RecordState"]) != "ARCHIVED" || str(path(f, "Compliance", "Status")) != "FAILED" || str(path(f, "Severity", "Label")) != "INFORMATIONAL" {
		t.Errorf("exempt finding: %v %v %v", f["RecordState"], path(f, "Compliance", "Status"), path(f, "Severity", "Label"))
	}
}

// TestWrittenFindingsAreShortened: the findings an event and a sweep write
// keep Security Hub's field limits (awssim refuses a finding over them, as
// Security Hub does): a verdict with a 5,000-character message and fix is
// written with both shortened and the note saying so, never refused.
func TestWrittenFindingsAreShortened(t *testing.T) {
	e := newEnv(t, nil)
	r := failing(2, checks.VPCFlowLogs)
	for i := range r.Checks[0].Verdicts {
		v := &r.Checks[0].Verdicts[i]
		v.Message, v.Remediation = strings.Repeat("m", 5000), strings.Repeat("f", 5000)
	}
	d, err := e.pub.Publish(context.Background(), report.Result{Event: r.Event, Mode: r.Mode, Checks: []report.Check{{
		ID: r.Checks[0].ID, Status: r.Checks[0].Status, Severity: r.Checks[0].Severity, Verdicts: r.Checks[0].Verdicts[:1]}}}, time.Now())
	if err != nil || d.Active != 1 {
		t.Fatalf("event: %+v, %v", d, err)
	}
	sum, err := e.pub.Reconcile(context.Background(), []report.Result{r}, securityhub.Sweep{Account: account, Region: region, EventID: "sweep-1", At: time.Now()})
	if err != nil || sum.Active != 2 {
		t.Fatalf("sweep: %+v, %v", sum, err)
	}
	found := e.srv.Findings()
	if len(found) != 2 {
		t.Fatalf("%d findings stored", len(found))
	}
	for id, f := range found {
		desc := str(f["Description"])
		if n := utf8.RuneCountInString(desc); n > 1024 || n < 500 || !strings.Contains(str(path(f, "ProductFields", "vpcguard/Shortened")), "Description") {
			t.Errorf("%s: description of %d characters, shortened %q", id, n, str(path(f, "ProductFields", "vpcguard/Shortened")))
		}
	}
}
