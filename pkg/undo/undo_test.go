package undo_test

// Wire-level tests: the repairs and their undo through the real SDK v2
// clients against the simulated account (pkg/awssim), with the ledger in a
// file and in the state table (awssim's DynamoDB).

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/policy"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/state"
	"github.com/vpcguard/vpcguard/pkg/state/statetest"
	"github.com/vpcguard/vpcguard/pkg/undo"
)

const (
	account = "111122223333"
	region  = "us-east-1"
)

// scenario: vpc-1 with subnet-a on rtb-a, subnet-b on the main table and
// subnet-c on rtb-c; model churn in subnet-a and subnet-b, model other in
// subnet-c; the endpoints given.
func scenario(endpoints ...awssim.VPCEndpoint) *awssim.Scenario {
	return statetest.Scenario(&awssim.Scenario{
		Account: account, Region: region,
		VPCs: []awssim.VPC{{ID: "vpc-1", CIDR: "10.0.0.0/16", DNSHostnames: aws.Bool(true)}},
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
		Models: []awssim.Model{
			{Name: "churn", VPCConfig: &awssim.VPCConfig{Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroupIDs: []string{"sg-1"}}},
			{Name: "other", VPCConfig: &awssim.VPCConfig{Subnets: []string{"subnet-c"}, SecurityGroupIDs: []string{"sg-1"}}},
		},
		Roles: []awssim.Role{{Name: "SageMakerExecutionRole", Allow: []string{"ec2:*"}}},
	})
}

type store interface {
	remediate.Ledger
	remediate.Locker
	undo.Ledger
}

type env struct {
	sim     *awssim.Server
	clients *app.Clients
	g       inventory.Gatherer
	ledger  store
	u       *undo.Undoer
}

func newEnv(t *testing.T, sc *awssim.Scenario, kind string) *env {
	t.Helper()
	sim, url := awssim.Start(t, sc)
	var l store
	switch kind {
	case "file":
		f, err := ledger.OpenFile(filepath.Join(t.TempDir(), "ledger.json"))
		if err != nil {
			t.Fatal(err)
		}
		l = f
	case "table":
		l = ledger.NewTable(state.New(dynamodb.NewFromConfig(awssim.TestConfig(url, region)), statetest.Table))
	}
	return envAt(t, sim, url, l, kind)
}

// envAt is the env of a running simulated account and a ledger.
func envAt(t *testing.T, sim *awssim.Server, url string, l store, where string) *env {
	t.Helper()
	clients, err := app.ClientsFrom(awssim.TestConfig(url, region))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{sim: sim, clients: clients, ledger: l}
	e.g = clients.Gatherer()
	e.g.Account, e.g.ModelTags = account, true
	e.u = &undo.Undoer{EC2: clients.EC2, Ledger: l, Locker: l, Scoped: e.g.Scoped, Account: account, Region: region,
		Where: where, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
	return e
}

// event is one CreateModel event for model: gather, check, repair with the
// ledger in remediate mode.
func (e *env) event(t *testing.T, model string) []report.Action {
	t.Helper()
	snap := e.g.Models(context.Background(), []inventory.ModelRequest{{Name: model, Instances: 1}})
	cfg := config.Config{Mode: report.ModeRemediate, ExemptTag: config.DefaultExemptTag, Remediations: report.ActionIDs()}
	r := remediate.New(e.clients.EC2, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	r.Ledger, r.Locker = e.ledger, e.ledger
	actions, err := r.ForAttempt(remediate.Attempt{Event: report.Event{ID: "ev-" + model, Name: "CreateModel"}}).
		Remediate(context.Background(), snap, checks.Run(snap, checks.Catalogue()))
	if err != nil {
		t.Fatalf("repair: %v", err)
	}
	return actions
}

func entryOf(t *testing.T, a report.Action) string {
	t.Helper()
	id, _ := a.Detail[remediate.DetailLedgerEntry].(string)
	if !ledger.ValidID(id) {
		t.Fatalf("%s %s carries no ledger entry: %v", a.ID, a.Status, a.Detail)
	}
	return id
}

func (e *env) s3Endpoints(t *testing.T) []ec2types.VpcEndpoint {
	t.Helper()
	out, err := e.clients.EC2.DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var live []ec2types.VpcEndpoint
	for _, ep := range out.VpcEndpoints {
		if ep.State != "deleted" && ep.State != "Deleted" {
			live = append(live, ep)
		}
	}
	return live
}

func (e *env) writes() int {
	n := 0
	for _, w := range e.sim.Writes() {
		if w.Service == "ec2" {
			n++
		}
	}
	return n
}

func statuses(actions []report.Action) []string {
	var out []string
	for _, a := range actions {
		out = append(out, a.ID+" "+string(a.Status))
	}
	return out
}

func eachStore(t *testing.T, fn func(t *testing.T, kind string)) {
	for _, kind := range []string{"file", "table"} {
		t.Run(kind, func(t *testing.T) { fn(t, kind) })
	}
}

// TestUndoPolicy: add-al-repo-deny restored to the exact previous text;
// the entry is marked, a hold set; a second undo is refused; the next event
// does not redo the repair.
func TestUndoPolicy(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		custom := `{"Version":"2012-10-17","Statement":[{"Sid":"Artifacts","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`
		e := newEnv(t, scenario(awssim.VPCEndpoint{ID: "vpce-0a1", VPC: "vpc-1", RouteTables: []string{"rtb-a", "rtb-main", "rtb-c"}, Policy: awssim.Policy(custom)}), kind)
		actions := e.event(t, "churn")
		if got := statuses(actions); !slices.Equal(got, []string{"add-al-repo-deny applied"}) {
			t.Fatalf("repair %q", got)
		}
		id := entryOf(t, actions[0])
		res, err := e.u.Undo(context.Background(), undo.Request{Action: id})
		if err != nil || res.Status != undo.StatusReverted {
			t.Fatalf("undo = %+v, %v", res, err)
		}
		ep := e.s3Endpoints(t)[0]
		if aws.ToString(ep.PolicyDocument) != custom {
			t.Errorf("policy after undo:\n%s\nwant the exact previous text\n%s", aws.ToString(ep.PolicyDocument), custom)
		}
		if res.HoldUntil == nil || !strings.Contains(res.Reason, "will not make this repair automatically again until") ||
			len(res.Calls) != 1 || !strings.HasPrefix(res.Calls[0], "ModifyVpcEndpoint vpce-0a1 PolicyDocument") {
			t.Errorf("result %+v", res)
		}
		en, _ := e.ledger.Get(context.Background(), ledger.Ref{Account: account, Region: region, ID: id})
		if en.Status != ledger.StatusReverted || en.Undo == nil || !en.Undo.HoldUntil.Equal(*res.HoldUntil) {
			t.Errorf("entry after undo %+v", en)
		}
		w := e.writes()
		if again, _ := e.u.Undo(context.Background(), undo.Request{Action: id}); again.Status != undo.StatusRefused || !strings.Contains(again.Reason, "already reverted") {
			t.Errorf("second undo %+v", again)
		}
		next := e.event(t, "churn")
		if got := statuses(next); !slices.Equal(got, []string{"add-al-repo-deny skipped"}) ||
			!strings.Contains(next[0].Detail[remediate.DetailReason].(string), "was undone at") {
			t.Errorf("next event %q %v", got, next)
		}
		if e.writes() != w {
			t.Errorf("%d writes after the undo", e.writes()-w)
		}
	})
}

func TestUndoPolicyRefusedWhenChanged(t *testing.T) {
	e := newEnv(t, scenario(awssim.VPCEndpoint{ID: "vpce-0a1", VPC: "vpc-1", RouteTables: []string{"rtb-a", "rtb-main", "rtb-c"}}), "file")
	id := entryOf(t, e.event(t, "churn")[0])
	// A person tightens the policy vpcguard wrote.
	tightened := strings.Replace(policy.HardenedDefault("aws", region), `"Action":"*"`, `"Action":"s3:GetObject"`, 1)
	if _, err := e.clients.EC2.ModifyVpcEndpoint(context.Background(), &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String("vpce-0a1"), PolicyDocument: aws.String(tightened)}); err != nil {
		t.Fatal(err)
	}
	w := e.writes()
	res, err := e.u.Undo(context.Background(), undo.Request{Action: id})
	if err != nil || res.Status != undo.StatusRefused || !strings.Contains(res.Reason, "has changed since vpcguard wrote it") ||
		!strings.Contains(res.Diff, `-       "Action": "*",`) || !strings.Contains(res.Diff, `+       "Action": "s3:GetObject",`) {
		t.Fatalf("undo %+v, %v", res, err)
	}
	if e.writes() != w {
		t.Error("a refused undo wrote")
	}
	if aws.ToString(e.s3Endpoints(t)[0].PolicyDocument) != tightened {
		t.Error("the person's policy was changed")
	}
}

// TestUndoAssociate removes exactly the route tables vpcguard added; a
// table someone added afterwards stays.
func TestUndoAssociate(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		e := newEnv(t, scenario(awssim.VPCEndpoint{ID: "vpce-0a1", VPC: "vpc-1", RouteTables: []string{"rtb-a"}, Policy: awssim.Policy(policy.HardenedDefault("aws", region))}), kind)
		actions := e.event(t, "churn")
		if got := statuses(actions); !slices.Equal(got, []string{"associate-route-tables applied"}) {
			t.Fatalf("repair %q", got)
		}
		id := entryOf(t, actions[0])
		// Someone adds rtb-c afterwards.
		if _, err := e.clients.EC2.ModifyVpcEndpoint(context.Background(), &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String("vpce-0a1"), AddRouteTableIds: []string{"rtb-c"}}); err != nil {
			t.Fatal(err)
		}
		res, err := e.u.Undo(context.Background(), undo.Request{Action: id})
		if err != nil || res.Status != undo.StatusReverted || res.Calls[0] != "ModifyVpcEndpoint vpce-0a1 RemoveRouteTableIds rtb-main" {
			t.Fatalf("undo %+v, %v", res, err)
		}
		got := slices.Sorted(slices.Values(e.s3Endpoints(t)[0].RouteTableIds))
		if !slices.Equal(got, []string{"rtb-a", "rtb-c"}) {
			t.Errorf("route tables after undo %v, want rtb-a (before) and rtb-c (someone's)", got)
		}
		next := e.event(t, "churn")
		if got := statuses(next); !slices.Equal(got, []string{"associate-route-tables skipped"}) {
			t.Errorf("next event %q", got)
		}
	})
}

func TestUndoAssociateRefusedWhenRouteChanged(t *testing.T) {
	e := newEnv(t, scenario(awssim.VPCEndpoint{ID: "vpce-0a1", VPC: "vpc-1", RouteTables: []string{"rtb-a"}, Policy: awssim.Policy(policy.HardenedDefault("aws", region))}), "file")
	id := entryOf(t, e.event(t, "churn")[0])
	if _, err := e.clients.EC2.ModifyVpcEndpoint(context.Background(), &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String("vpce-0a1"), RemoveRouteTableIds: []string{"rtb-main"}}); err != nil {
		t.Fatal(err)
	}
	w := e.writes()
	res, err := e.u.Undo(context.Background(), undo.Request{Action: id})
	if err != nil || res.Status != undo.StatusRefused || !strings.Contains(res.Reason, "route table rtb-main no longer routes S3 through vpce-0a1") {
		t.Fatalf("undo %+v, %v", res, err)
	}
	if e.writes() != w {
		t.Error("a refused undo wrote")
	}
}

// TestUndoCreate deletes the endpoint vpcguard created, only with confirm,
// naming the models that lose their private S3 path.
func TestUndoCreate(t *testing.T) {
	eachStore(t, func(t *testing.T, kind string) {
		e := newEnv(t, scenario(), kind)
		actions := e.event(t, "churn")
		if got := statuses(actions); !slices.Equal(got, []string{"create-s3-gateway-endpoint applied"}) {
			t.Fatalf("repair %q", got)
		}
		id := entryOf(t, actions[0])
		w := e.writes()
		res, err := e.u.Undo(context.Background(), undo.Request{Action: id})
		if err != nil || res.Status != undo.StatusRefused || !strings.Contains(res.Reason, "cuts the private S3 path of model churn; undo it only with confirm") ||
			!slices.Equal(res.ModelsLosingS3, []string{"churn"}) || e.writes() != w {
			t.Fatalf("undo without confirm %+v, %v (%d writes)", res, err, e.writes()-w)
		}
		res, err = e.u.Undo(context.Background(), undo.Request{Action: id, Confirm: true})
		if err != nil || res.Status != undo.StatusReverted || !strings.HasPrefix(res.Calls[0], "DeleteVpcEndpoints vpce-") ||
			!slices.Equal(res.ModelsLosingS3, []string{"churn"}) {
			t.Fatalf("undo %+v, %v", res, err)
		}
		for _, ep := range e.s3Endpoints(t) {
			if aws.ToString(ep.ServiceName) == "com.amazonaws.us-east-1.s3" {
				t.Fatalf("S3 endpoint %s still there", aws.ToString(ep.VpcEndpointId))
			}
		}
		// The next event for another model of the VPC does not create it again.
		next := e.event(t, "other")
		if got := statuses(next); !slices.Equal(got, []string{"create-s3-gateway-endpoint skipped"}) {
			t.Errorf("next event %q", got)
		}
	})
}

func TestUndoCreateRefusedWithoutTag(t *testing.T) {
	e := newEnv(t, scenario(), "file")
	id := entryOf(t, e.event(t, "churn")[0])
	ep := aws.ToString(e.s3Endpoints(t)[0].VpcEndpointId)
	// Someone takes the endpoint over: the managed tag no longer says true.
	if _, err := e.clients.EC2.CreateTags(context.Background(), &ec2.CreateTagsInput{Resources: []string{ep},
		Tags: []ec2types.Tag{{Key: aws.String("vpcguard:managed"), Value: aws.String("no, platform team")}}}); err != nil {
		t.Fatal(err)
	}
	w := e.writes()
	res, _ := e.u.Undo(context.Background(), undo.Request{Action: id, Confirm: true})
	if res.Status != undo.StatusRefused || !strings.Contains(res.Reason, "no longer carries the tag vpcguard:managed=true") || e.writes() != w {
		t.Fatalf("undo %+v", res)
	}
}

func TestUndoBadInput(t *testing.T) {
	e := newEnv(t, scenario(), "file")
	for req, want := range map[string]string{
		"rep-20261126T101500Z-00000000": "no ledger entry rep-20261126T101500Z-00000000 in account 111122223333, us-east-1",
		"vpce-0a1":                      "is not an action instance id",
		"":                              "is not an action instance id",
	} {
		res, err := e.u.Undo(context.Background(), undo.Request{Action: req})
		if err != nil || res.Status != undo.StatusRefused || !strings.Contains(res.Reason, want) {
			t.Errorf("%q: %+v, %v", req, res, err)
		}
	}
	off := *e.u
	off.Ledger = nil
	if res, _ := off.Undo(context.Background(), undo.Request{Action: "rep-20261126T101500Z-00000000"}); !strings.Contains(res.Reason, "no ledger is kept") {
		t.Errorf("no ledger: %+v", res)
	}
	if e.writes() != 0 {
		t.Errorf("%d writes", e.writes())
	}
}
