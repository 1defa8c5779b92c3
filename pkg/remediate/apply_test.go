package remediate_test

// Wire-level tests: the real SDK v2 clients against the simulated account
// (pkg/awssim), through the real gatherer, checks and handler.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/guard"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/policy"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
)

const (
	region  = "us-east-1"
	account = "111122223333"
	roleARN = "arn:aws:iam::111122223333:role/vpcguard-modelguard"
)

// hardened is policy.HardenedDefault("aws", "us-east-1") written out: the
// exact text that must go over the wire.
const hardened = `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},` +
	`{"Sid":"VpcguardDenyAmazonLinuxRepos","Effect":"Deny","Principal":"*","Action":["s3:GetObject"],"Resource":[` +
	`"arn:aws:s3:::packages.*.amazonaws.com/*","arn:aws:s3:::repo.*.amazonaws.com/*","arn:aws:s3:::amazonlinux.*.amazonaws.com/*",` +
	`"arn:aws:s3:::amazonlinux-2-repos-us-east-1/*","arn:aws:s3:::al2023-repos-us-east-1-*/*"]}]}`

// The SDK client is what the Remediator needs, and the Remediator is what
// the handler needs.
var (
	_ remediate.EC2API = (*ec2.Client)(nil)
	_ guard.Remediator = (*remediate.Remediator)(nil)
)

// scenario is one VPC: subnet-a on rtb-a, subnet-b on the main table,
// subnet-c on rtb-c; model churn in subnet-a and subnet-b. endpoints are
// added as given.
func scenario(endpoints ...awssim.VPCEndpoint) *awssim.Scenario {
	return &awssim.Scenario{
		Account: account,
		Region:  region,
		VPCs:    []awssim.VPC{{ID: "vpc-1", CIDR: "10.0.0.0/16", DNSHostnames: aws.Bool(true)}},
		Subnets: []awssim.Subnet{
			{ID: "subnet-a", VPC: "vpc-1", AZ: "us-east-1a", CIDR: "10.0.1.0/24"},
			{ID: "subnet-b", VPC: "vpc-1", AZ: "us-east-1b", CIDR: "10.0.2.0/24"},
			{ID: "subnet-c", VPC: "vpc-1", AZ: "us-east-1c", CIDR: "10.0.3.0/24"},
		},
		RouteTables: []awssim.RouteTable{
			{ID: "rtb-main", VPC: "vpc-1", Main: true},
			{ID: "rtb-a", VPC: "vpc-1", Subnets: []string{"subnet-a"}},
			{ID: "rtb-c", VPC: "vpc-1", Subnets: []string{"subnet-c"}},
		},
		VPCEndpoints:   endpoints,
		SecurityGroups: []awssim.SecurityGroup{{ID: "sg-1", VPC: "vpc-1"}},
		Models: []awssim.Model{{
			Name:      "churn",
			VPCConfig: &awssim.VPCConfig{Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroupIDs: []string{"sg-1"}},
		}},
		Roles: []awssim.Role{{Name: "SageMakerExecutionRole", Allow: []string{"ec2:*"}}},
	}
}

// env is the simulated account with real SDK clients pointed at it.
type env struct {
	sim *awssim.Server
	ec2 *ec2.Client
	g   inventory.Gatherer
}

func newEnv(t *testing.T, sc *awssim.Scenario) *env {
	t.Helper()
	// Hermetic: no shared config or credentials, no CA bundle, no IMDS.
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CA_BUNDLE", "")
	os.Unsetenv("AWS_CA_BUNDLE")

	sim := awssim.New(sc)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDVPCGUARDTEST", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
				o.RateLimiter = ratelimit.None
			})
		},
	}
	e := &env{sim: sim, ec2: ec2.NewFromConfig(cfg)}
	e.g = inventory.Gatherer{
		SageMaker:  sagemaker.NewFromConfig(cfg),
		EC2:        e.ec2,
		S3:         s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		IAM:        iam.NewFromConfig(cfg),
		Account:    account,
		Region:     region,
		Partition:  "aws",
		ModelTags:  true,
		ENIActions: checks.ENIActions(),
	}
	return e
}

func remediateConfig(allowed ...string) config.Config {
	if allowed == nil {
		allowed = report.ActionIDs()
	}
	return config.Config{Mode: report.ModeRemediate, ExemptTag: config.DefaultExemptTag, Remediations: allowed, RoleARNs: []string{roleARN}}
}

func (e *env) remediator(cfg config.Config) *remediate.Remediator {
	r := remediate.New(e.ec2, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	return r
}

// gather reads the state of a CreateModel event for churn.
func (e *env) gather(t *testing.T) (*inventory.Snapshot, []report.Check) {
	t.Helper()
	snap := e.g.Models(context.Background(), []inventory.ModelRequest{{Name: "churn", Instances: 1, InstancesFrom: "test"}})
	if len(snap.ModelErrs) > 0 {
		t.Fatalf("gather: %v", snap.ModelErrs)
	}
	return snap, checks.Run(snap, checks.Catalogue())
}

// event is one delivery of the CreateModel event: gather, check, remediate.
func (e *env) event(t *testing.T, r *remediate.Remediator) ([]report.Action, error) {
	t.Helper()
	snap, results := e.gather(t)
	return r.Remediate(context.Background(), snap, results)
}

// writes returns the recorded writes of op, without the failed ones unless
// withFailed.
func (e *env) writes(op string, withFailed bool) []awssim.Write {
	var out []awssim.Write
	for _, w := range e.sim.Writes() {
		if w.Operation == op && (withFailed || w.Error == "") {
			out = append(out, w)
		}
	}
	return out
}

// s3Endpoints re-reads the VPC's live S3 gateway endpoints.
func (e *env) s3Endpoints(t *testing.T) []ec2types.VpcEndpoint {
	t.Helper()
	out, err := e.ec2.DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{"vpc-1"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var live []ec2types.VpcEndpoint
	for _, ep := range out.VpcEndpoints {
		if ep.State != "deleted" && aws.ToString(ep.ServiceName) == "com.amazonaws.us-east-1.s3" {
			live = append(live, ep)
		}
	}
	return live
}

// jsonTree turns v into plain JSON values, for comparison with a literal.
func jsonTree(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func wantParams(t *testing.T, got map[string]any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if g := jsonTree(t, got); !reflect.DeepEqual(g, w) {
		gb, _ := json.MarshalIndent(g, "", "  ")
		t.Errorf("parameters on the wire:\n%s\nwant\n%s", gb, want)
	}
}

func statuses(actions []report.Action) []string {
	out := []string{}
	for _, a := range actions {
		out = append(out, a.ID+" "+string(a.Status))
	}
	return out
}

func TestWireCreateEndpoint(t *testing.T) {
	e := newEnv(t, scenario())
	r := e.remediator(remediateConfig())
	actions, err := e.event(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(actions); !reflect.DeepEqual(got, []string{"create-s3-gateway-endpoint applied"}) {
		t.Fatalf("actions %q: %+v", got, actions)
	}
	creates := e.writes("CreateVpcEndpoint", true)
	if len(creates) != 1 {
		t.Fatalf("%d CreateVpcEndpoint writes", len(creates))
	}
	token := remediate.ClientToken("vpc-1")
	wantParams(t, creates[0].Params, fmt.Sprintf(`{
		"VpcId": "vpc-1",
		"VpcEndpointType": "Gateway",
		"ServiceName": "com.amazonaws.us-east-1.s3",
		"RouteTableId": ["rtb-a", "rtb-main"],
		"PolicyDocument": %q,
		"TagSpecification": [{"ResourceType": "vpc-endpoint", "Tag": [{"Key": "vpcguard:managed", "Value": "true"}]}],
		"ClientToken": %q
	}`, hardened, token))

	a := actions[0]
	eps := e.s3Endpoints(t)
	if len(eps) != 1 {
		t.Fatalf("%d S3 endpoints", len(eps))
	}
	ep := eps[0]
	if got := a.Detail[remediate.DetailAfter].(map[string]any)["vpc_endpoint_id"]; got != aws.ToString(ep.VpcEndpointId) {
		t.Errorf("after.vpc_endpoint_id %v, endpoint %s", got, aws.ToString(ep.VpcEndpointId))
	}
	if got := sortedStrings(ep.RouteTableIds); !reflect.DeepEqual(got, []string{"rtb-a", "rtb-main"}) {
		t.Errorf("route tables %v", got)
	}
	if aws.ToString(ep.PolicyDocument) != hardened {
		t.Errorf("policy %s", aws.ToString(ep.PolicyDocument))
	}
	v := a.Detail[remediate.DetailVerified].(map[string]any)
	if v["passed"] != true {
		t.Errorf("verified %v", v)
	}
	if n := len(v["checks"].([]any)); n != 4 {
		t.Errorf("%d checks re-run, want 4", n)
	}

	// The same event delivered again: the state now passes, nothing is
	// planned, nothing is written.
	again, err := e.event(t, r)
	if err != nil || len(again) != 0 {
		t.Errorf("second delivery: %q, %v", statuses(again), err)
	}
	if n := len(e.sim.Writes()); n != 1 {
		t.Errorf("%d writes after the second delivery", n)
	}
}

func TestWireAssociateAndDeny(t *testing.T) {
	// An endpoint with the AWS default policy, on rtb-a only.
	e := newEnv(t, scenario(awssim.VPCEndpoint{ID: "vpce-0a1b2c3d", VPC: "vpc-1", RouteTables: []string{"rtb-a"}}))
	r := e.remediator(remediateConfig())
	actions, err := e.event(t, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"associate-route-tables applied", "add-al-repo-deny applied"}
	if got := statuses(actions); !reflect.DeepEqual(got, want) {
		t.Fatalf("actions %q: %+v", got, actions)
	}
	mods := e.writes("ModifyVpcEndpoint", true)
	if len(mods) != 2 {
		t.Fatalf("%d ModifyVpcEndpoint writes", len(mods))
	}
	wantParams(t, mods[0].Params, `{"VpcEndpointId": "vpce-0a1b2c3d", "AddRouteTableId": ["rtb-main"]}`)
	wantParams(t, mods[1].Params, fmt.Sprintf(`{"VpcEndpointId": "vpce-0a1b2c3d", "PolicyDocument": %q}`, hardened))

	deny := actions[1]
	if deny.Detail[remediate.DetailOldPolicy] != policy.DefaultEndpointPolicy || deny.Detail[remediate.DetailNewPolicy] != hardened {
		t.Errorf("old %v new %v", deny.Detail[remediate.DetailOldPolicy], deny.Detail[remediate.DetailNewPolicy])
	}
	if d, _ := deny.Detail[remediate.DetailDiff].(string); !strings.Contains(d, "+ [1] {\"Sid\":\"VpcguardDenyAmazonLinuxRepos\"") {
		t.Errorf("diff:\n%s", d)
	}
	ep := e.s3Endpoints(t)[0]
	if got := sortedStrings(ep.RouteTableIds); !reflect.DeepEqual(got, []string{"rtb-a", "rtb-main"}) {
		t.Errorf("route tables %v", got)
	}
	if aws.ToString(ep.PolicyDocument) != hardened {
		t.Errorf("policy %s", aws.ToString(ep.PolicyDocument))
	}
	// The detail is JSON as the result contract needs it.
	if _, err := json.Marshal(actions); err != nil {
		t.Error(err)
	}

	again, err := e.event(t, r)
	if err != nil || len(again) != 0 {
		t.Errorf("second delivery: %q, %v", statuses(again), err)
	}
	if n := len(e.sim.Writes()); n != 2 {
		t.Errorf("%d writes after the second delivery", n)
	}
}

func TestWireRecreateAfterDelete(t *testing.T) {
	// vpcguard's endpoint is deleted while the model lives; the next event
	// creates it again although AWS still knows the first ClientToken.
	e := newEnv(t, scenario())
	r := e.remediator(remediateConfig())
	first, err := e.event(t, r)
	if err != nil || len(first) != 1 || first[0].Status != report.ActionApplied {
		t.Fatalf("first create: %q, %v", statuses(first), err)
	}
	dead := first[0].Detail[remediate.DetailAfter].(map[string]any)["vpc_endpoint_id"].(string)
	if _, err := e.ec2.DeleteVpcEndpoints(context.Background(), &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{dead}}); err != nil {
		t.Fatal(err)
	}
	actions, err := e.event(t, r)
	if err != nil || len(actions) != 1 || actions[0].Status != report.ActionApplied {
		t.Fatalf("re-create: %q, %v: %+v", statuses(actions), err, actions)
	}
	eps := e.s3Endpoints(t)
	if len(eps) != 1 || aws.ToString(eps[0].VpcEndpointId) == dead {
		t.Fatalf("endpoints %v", eps)
	}
	if got := actions[0].Detail[remediate.DetailAfter].(map[string]any)["vpc_endpoint_id"]; got != aws.ToString(eps[0].VpcEndpointId) {
		t.Errorf("after.vpc_endpoint_id %v", got)
	}
	if note, _ := actions[0].Detail[remediate.DetailNote].(string); !strings.Contains(note, dead+", since deleted") {
		t.Errorf("note %q", note)
	}
	creates := e.writes("CreateVpcEndpoint", false)
	if len(creates) != 2 || creates[0].Params["ClientToken"] == creates[1].Params["ClientToken"] {
		t.Errorf("creates %v", creates)
	}
}

func TestWireReportModeWritesNothing(t *testing.T) {
	e := newEnv(t, scenario(awssim.VPCEndpoint{ID: "vpce-0a1b2c3d", VPC: "vpc-1", RouteTables: []string{"rtb-a"}}))
	cfg := remediateConfig()
	cfg.Mode = report.ModeReport
	snap, results := e.gather(t)
	e.sim.ResetStats()
	actions, err := e.remediator(cfg).Remediate(context.Background(), snap, results)
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(actions); !reflect.DeepEqual(got, []string{"associate-route-tables planned", "add-al-repo-deny planned"}) {
		t.Errorf("actions %q", got)
	}
	if n := e.sim.Calls("*"); n != 0 {
		t.Errorf("report mode made %d calls", n)
	}
	if n := len(e.sim.Writes()); n != 0 {
		t.Errorf("report mode wrote %d times", n)
	}
	if p := actions[1].Detail[remediate.DetailParams].(map[string]any)["PolicyDocument"]; p != hardened {
		t.Errorf("planned policy %v", p)
	}
}

func TestWireNotAllowedIsSkipped(t *testing.T) {
	e := newEnv(t, scenario(awssim.VPCEndpoint{ID: "vpce-0a1b2c3d", VPC: "vpc-1", RouteTables: []string{"rtb-a"}}))
	actions, err := e.event(t, e.remediator(remediateConfig(report.ActionAssociateRouteTables)))
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(actions); !reflect.DeepEqual(got, []string{"associate-route-tables applied", "add-al-repo-deny skipped"}) {
		t.Fatalf("actions %q", got)
	}
	if why, _ := actions[1].Detail[remediate.DetailReason].(string); !strings.Contains(why, "VPCGUARD_REMEDIATIONS") {
		t.Errorf("reason %q", why)
	}
	if n := len(e.writes("ModifyVpcEndpoint", true)); n != 1 {
		t.Errorf("%d writes", n)
	}
}

func TestWireCompliantStateWritesNothing(t *testing.T) {
	e := newEnv(t, scenario(awssim.VPCEndpoint{ID: "vpce-0a1b2c3d", VPC: "vpc-1", RouteTables: []string{"rtb-a", "rtb-main"}, Policy: awssim.Policy(hardened)}))
	snap, results := e.gather(t)
	e.sim.ResetStats()
	actions, err := e.remediator(remediateConfig()).Remediate(context.Background(), snap, results)
	if err != nil || len(actions) != 0 {
		t.Errorf("actions %q, %v", statuses(actions), err)
	}
	if n := e.sim.Calls("*"); n != 0 {
		t.Errorf("a compliant state made %d calls", n)
	}
}

func TestWireConcurrentDuplicateEvents(t *testing.T) {
	e := newEnv(t, scenario())
	// Slow creates: every delivery gathers and re-reads the state before
	// the first endpoint exists, so all of them call CreateVpcEndpoint.
	if err := e.sim.SetFault("ec2:CreateVpcEndpoint", awssim.Fault{Latency: awssim.Duration(150 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	r := e.remediator(remediateConfig())
	const n = 6
	var wg sync.WaitGroup
	results := make([][]report.Action, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			results[i], errs[i] = e.event(t, r)
		})
	}
	close(start)
	wg.Wait()

	ids := map[any]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("delivery %d: %v", i, errs[i])
		}
		if len(results[i]) != 1 {
			t.Fatalf("delivery %d: actions %q", i, statuses(results[i]))
		}
		a := results[i][0]
		switch a.Status {
		case report.ActionApplied:
			ids[a.Detail[remediate.DetailAfter].(map[string]any)["vpc_endpoint_id"]] = true
		case report.ActionSkipped: // re-read after another delivery's create
		default:
			t.Errorf("delivery %d: %s %v", i, a.Status, a.Detail[remediate.DetailReason])
		}
	}
	if calls := e.sim.Calls("ec2:CreateVpcEndpoint"); calls < 2 {
		t.Errorf("only %d CreateVpcEndpoint calls: the deliveries did not overlap", calls)
	}
	if eps := e.s3Endpoints(t); len(eps) != 1 {
		t.Fatalf("%d S3 endpoints after %d concurrent deliveries", len(eps), n)
	}
	if got := len(e.writes("CreateVpcEndpoint", true)); got != 1 {
		t.Errorf("%d recorded creates, want 1 (replays of the ClientToken are not writes)", got)
	}
	if len(ids) != 1 {
		t.Errorf("applied actions name endpoints %v", ids)
	}
}

func TestWireStaleDuplicateWritesOnce(t *testing.T) {
	// Two deliveries gather before either writes; the second one's re-read
	// just before writing sees the first one's endpoint.
	e := newEnv(t, scenario(awssim.VPCEndpoint{ID: "vpce-0a1b2c3d", VPC: "vpc-1", RouteTables: []string{"rtb-a", "rtb-main"}}))
	r := e.remediator(remediateConfig())
	snap1, res1 := e.gather(t)
	snap2, res2 := e.gather(t)
	a1, err1 := r.Remediate(context.Background(), snap1, res1)
	a2, err2 := r.Remediate(context.Background(), snap2, res2)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if got := statuses(append(a1, a2...)); !reflect.DeepEqual(got, []string{"add-al-repo-deny applied", "add-al-repo-deny skipped"}) {
		t.Fatalf("actions %q", got)
	}
	if why, _ := a2[0].Detail[remediate.DetailReason].(string); !strings.Contains(why, "already in place") {
		t.Errorf("reason %q", why)
	}
	if n := len(e.writes("ModifyVpcEndpoint", true)); n != 1 {
		t.Errorf("%d policy writes", n)
	}
}

func TestWireFailedWrite(t *testing.T) {
	t.Run("access denied: failed, no retry, old policy stands", func(t *testing.T) {
		e := newEnv(t, scenario(awssim.VPCEndpoint{ID: "vpce-0a1b2c3d", VPC: "vpc-1", RouteTables: []string{"rtb-a", "rtb-main"}}))
		if err := e.sim.SetFault("ec2:ModifyVpcEndpoint", awssim.Fault{AccessDenied: true}); err != nil {
			t.Fatal(err)
		}
		actions, err := e.event(t, e.remediator(remediateConfig()))
		if err != nil {
			t.Errorf("a permanent error asks for a retry: %v", err)
		}
		if got := statuses(actions); !reflect.DeepEqual(got, []string{"add-al-repo-deny failed"}) {
			t.Fatalf("actions %q", got)
		}
		d := actions[0].Detail
		if d[remediate.DetailErrorCode] != "UnauthorizedOperation" || !strings.HasPrefix(d[remediate.DetailError].(string), "UnauthorizedOperation: ") {
			t.Errorf("error %v / %v", d[remediate.DetailErrorCode], d[remediate.DetailError])
		}
		if _, ok := d[remediate.DetailVerified]; ok {
			t.Error("a failed write claims a verification")
		}
		if p := aws.ToString(e.s3Endpoints(t)[0].PolicyDocument); p != policy.DefaultEndpointPolicy {
			t.Errorf("policy changed to %s", p)
		}
		if n := len(e.writes("ModifyVpcEndpoint", true)); n != 1 {
			t.Errorf("%d attempts, want 1 (not retried)", n)
		}
	})
	t.Run("server error on create: failed, retried with the same token, event retried", func(t *testing.T) {
		e := newEnv(t, scenario())
		if err := e.sim.SetFault("ec2:CreateVpcEndpoint", awssim.Fault{InternalError: true}); err != nil {
			t.Fatal(err)
		}
		actions, err := e.event(t, e.remediator(remediateConfig()))
		if err == nil {
			t.Error("a server error does not ask for a retry of the event")
		}
		if got := statuses(actions); !reflect.DeepEqual(got, []string{"create-s3-gateway-endpoint failed"}) {
			t.Fatalf("actions %q", got)
		}
		if c := actions[0].Detail[remediate.DetailErrorCode]; c != "InternalError" {
			t.Errorf("error code %v", c)
		}
		attempts := e.writes("CreateVpcEndpoint", true)
		if len(attempts) < 2 {
			t.Fatalf("%d attempts: the standard retryer did not retry", len(attempts))
		}
		for _, w := range attempts {
			if w.Params["ClientToken"] != remediate.ClientToken("vpc-1") {
				t.Errorf("attempt without the ClientToken: %v", w.Params["ClientToken"])
			}
		}
		if eps := e.s3Endpoints(t); len(eps) != 0 {
			t.Errorf("%d endpoints after a failed create", len(eps))
		}

		// Lambda retries the event once the fault is gone: one endpoint.
		e.sim.ClearFaults()
		again, err := e.event(t, e.remediator(remediateConfig()))
		if err != nil || !reflect.DeepEqual(statuses(again), []string{"create-s3-gateway-endpoint applied"}) {
			t.Errorf("retry: %q, %v", statuses(again), err)
		}
		if eps := e.s3Endpoints(t); len(eps) != 1 {
			t.Errorf("%d endpoints after the retry", len(eps))
		}
	})
	t.Run("throttled modify: the standard retryer retries it", func(t *testing.T) {
		e := newEnv(t, scenario(awssim.VPCEndpoint{ID: "vpce-0a1b2c3d", VPC: "vpc-1", RouteTables: []string{"rtb-a", "rtb-main"}}))
		if err := e.sim.SetFault("ec2:ModifyVpcEndpoint", awssim.Fault{ThrottleFirst: 1}); err != nil {
			t.Fatal(err)
		}
		actions, err := e.event(t, e.remediator(remediateConfig()))
		if err != nil || !reflect.DeepEqual(statuses(actions), []string{"add-al-repo-deny applied"}) {
			t.Errorf("actions %q, %v", statuses(actions), err)
		}
	})
}

// staleReader answers with the state as it was before the last write for
// the next stale calls: EC2's eventual consistency, exaggerated.
type staleReader struct {
	inner remediate.StateReader
	mu    sync.Mutex
	stale int
	eps   *ec2.DescribeVpcEndpointsOutput
	rtbs  *ec2.DescribeRouteTablesOutput
}

func (s *staleReader) DescribeVpcEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stale > 0 && s.eps != nil {
		return s.eps, nil
	}
	out, err := s.inner.DescribeVpcEndpoints(ctx, in, opts...)
	s.eps = out
	return out, err
}

func (s *staleReader) DescribeRouteTables(ctx context.Context, in *ec2.DescribeRouteTablesInput, opts ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stale > 0 && s.rtbs != nil {
		s.stale--
		return s.rtbs, nil
	}
	out, err := s.inner.DescribeRouteTables(ctx, in, opts...)
	s.rtbs = out
	return out, err
}

// staleAfterWrite makes reader stale for n re-reads after each write.
type staleAfterWrite struct {
	remediate.EC2Writer
	reader *staleReader
	n      int
}

func (w staleAfterWrite) ModifyVpcEndpoint(ctx context.Context, in *ec2.ModifyVpcEndpointInput, opts ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error) {
	out, err := w.EC2Writer.ModifyVpcEndpoint(ctx, in, opts...)
	w.reader.mu.Lock()
	w.reader.stale = w.n
	w.reader.mu.Unlock()
	return out, err
}

func TestWireVerification(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stale   int
		want    report.ActionStatus
		wantErr bool
	}{
		{"eventually consistent reads: applied on the third re-read", 2, report.ActionApplied, false},
		{"the write never shows: failed, and the event is retried", 100, report.ActionFailed, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, scenario(awssim.VPCEndpoint{ID: "vpce-0a1b2c3d", VPC: "vpc-1", RouteTables: []string{"rtb-a", "rtb-main"}}))
			r := e.remediator(remediateConfig())
			reader := &staleReader{inner: e.ec2}
			r.Reader = reader
			r.EC2 = staleAfterWrite{EC2Writer: e.ec2, reader: reader, n: tc.stale}
			var slept []time.Duration
			r.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
			actions, err := e.event(t, r)
			if (err != nil) != tc.wantErr {
				t.Errorf("error %v", err)
			}
			if len(actions) != 1 || actions[0].Status != tc.want {
				t.Fatalf("actions %q: %+v", statuses(actions), actions)
			}
			v := actions[0].Detail[remediate.DetailVerified].(map[string]any)
			if tc.want == report.ActionApplied && (v["passed"] != true || v["attempts"] != 3) {
				t.Errorf("verified %v", v)
			}
			if tc.want == report.ActionFailed {
				if why, _ := actions[0].Detail[remediate.DetailReason].(string); !strings.Contains(why, "s3-endpoint-denies-al-repos is fail") {
					t.Errorf("reason %q", why)
				}
				if !reflect.DeepEqual(slept, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}) {
					t.Errorf("waits %v", slept)
				}
			}
		})
	}
}

func TestWireOwnRoleEventWritesNothing(t *testing.T) {
	e := newEnv(t, scenario())
	cfg := remediateConfig()
	h := &guard.Handler{
		Config:     cfg,
		Gatherer:   e.g,
		Kinds:      []cloudtrail.Kind{cloudtrail.KindCreateModel},
		Remediator: e.remediator(cfg),
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	call := func(actor string) cloudtrail.Call {
		return cloudtrail.Call{
			Kind: cloudtrail.KindCreateModel, EnvelopeID: "ev-1", Name: "CreateModel", Source: "sagemaker.amazonaws.com",
			Account: account, Region: region, Actor: actor,
			CreateModel: &cloudtrail.CreateModel{ModelName: "churn"},
		}
	}
	res, err := h.Handle(context.Background(), call(roleARN))
	if err != nil || res.Skipped == "" || len(res.Actions) != 0 {
		t.Fatalf("own-role event: skipped %q, actions %q, %v", res.Skipped, statuses(res.Actions), err)
	}
	if n := len(e.sim.Writes()); n != 0 {
		t.Fatalf("an own-role event wrote %d times", n)
	}
	// The same event by someone else is repaired: the handler is wired.
	res, err = h.Handle(context.Background(), call("arn:aws:iam::111122223333:role/DataScientist"))
	if err != nil || !reflect.DeepEqual(statuses(res.Actions), []string{"create-s3-gateway-endpoint applied"}) {
		t.Fatalf("actions %q, %v", statuses(res.Actions), err)
	}
	// vpcguard's own CreateVpcEndpoint comes back as an event: skipped.
	own := cloudtrail.Call{Kind: cloudtrail.KindCreateVpcEndpoint, Name: "CreateVpcEndpoint", Source: "ec2.amazonaws.com",
		Account: account, Region: region, Actor: roleARN, CreateVpcEndpoint: &cloudtrail.CreateVpcEndpoint{VPCID: "vpc-1"}}
	h.Kinds = append(h.Kinds, cloudtrail.KindCreateVpcEndpoint)
	res, err = h.Handle(context.Background(), own)
	if err != nil || res.Skipped == "" {
		t.Fatalf("own CreateVpcEndpoint: %q, %v", res.Skipped, err)
	}
	if n := len(e.sim.Writes()); n != 1 {
		t.Errorf("%d writes, want the one create", n)
	}
}

func sortedStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
