package remediate_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/policy"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/state"
	"github.com/vpcguard/vpcguard/pkg/state/statetest"
)

func fileLedger(t *testing.T) *ledger.FileStore {
	t.Helper()
	f, err := ledger.OpenFile(filepath.Join(t.TempDir(), "ledger.json"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestWireLedgerRecordsBeforeAndAfter(t *testing.T) {
	e := newEnv(t, scenario(awssim.VPCEndpoint{ID: "vpce-0a1b2c3d", VPC: "vpc-1", RouteTables: []string{"rtb-a"}}))
	l := fileLedger(t)
	r := e.remediator(remediateConfig())
	r.Ledger = l
	r.Undo = ledger.UndoCommand{File: l.Path, Region: region}
	r = r.ForAttempt(remediate.Attempt{Event: report.Event{ID: "ev-1", Name: "CreateModel"}})
	actions, err := e.event(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(actions); !reflect.DeepEqual(got, []string{"associate-route-tables applied", "add-al-repo-deny applied"}) {
		t.Fatalf("actions %q", got)
	}
	entries, err := l.Recent(context.Background(), account, region, 0)
	if err != nil || len(entries) != 2 {
		t.Fatalf("ledger %d entries, %v", len(entries), err)
	}
	byAction := map[string]ledger.Entry{}
	for _, en := range entries {
		byAction[en.Action] = en
	}
	assoc, pol := byAction[report.ActionAssociateRouteTables], byAction[report.ActionAddALRepoDeny]
	if assoc.Status != ledger.StatusApplied || assoc.Event != "ev-1" || assoc.EventName != "CreateModel" || assoc.Account != account ||
		assoc.Region != region || assoc.VPCID != "vpc-1" || assoc.EndpointID != "vpce-0a1b2c3d" ||
		!reflect.DeepEqual(assoc.Before.RouteTableIDs, []string{"rtb-a"}) || !reflect.DeepEqual(assoc.After.RouteTableIDs, []string{"rtb-a", "rtb-main"}) ||
		assoc.Outcome == nil || !assoc.Outcome.Written || assoc.Outcome.Status != "applied" || !assoc.Expires.Equal(assoc.Time.Add(ledger.EntryRetention)) {
		t.Errorf("associate entry %+v (outcome %+v)", assoc, assoc.Outcome)
	}
	// The policy entry holds the full previous text as AWS returned it and
	// exactly what vpcguard wrote.
	if pol.Before.Policy == nil || *pol.Before.Policy != policy.DefaultEndpointPolicy || pol.After.Policy == nil || *pol.After.Policy != hardened {
		t.Errorf("policy entry before %v after %v", pol.Before.Policy, pol.After.Policy)
	}
	// Each action carries its ledger entry and the exact undo command.
	for _, a := range actions {
		u, _ := a.Detail[remediate.DetailUndo].(map[string]any)
		id := byAction[a.ID].ID
		want := fmt.Sprintf("VPCGUARD_LEDGER_FILE=%s AWS_REGION=us-east-1 undo -action %s", l.Path, id)
		if a.Detail[remediate.DetailLedgerEntry] != id || u["command"] != want || !strings.Contains(u["note"].(string), "7 days") {
			t.Errorf("%s: undo %v", a.ID, u)
		}
	}
}

func TestWireLedgerCreateRecordsNoEndpoint(t *testing.T) {
	e := newEnv(t, scenario())
	l := fileLedger(t)
	r := e.remediator(remediateConfig())
	r.Ledger = l
	r.Undo = ledger.UndoCommand{Function: "vpcguard-undo", Region: region}
	actions, err := e.event(t, r)
	if err != nil || len(actions) != 1 || actions[0].Status != report.ActionApplied {
		t.Fatalf("actions %q, %v", statuses(actions), err)
	}
	entries, _ := l.Recent(context.Background(), account, region, 0)
	en := entries[0]
	created := aws.ToString(e.s3Endpoints(t)[0].VpcEndpointId)
	if !en.Before.NoEndpoint || en.EndpointID != created || en.After.EndpointID != created || *en.After.Policy != hardened ||
		en.After.Tags[remediate.ManagedTagKey] != "true" || !reflect.DeepEqual(en.After.RouteTableIDs, []string{"rtb-a", "rtb-main"}) {
		t.Errorf("create entry %+v", en)
	}
	u := actions[0].Detail[remediate.DetailUndo].(map[string]any)
	want := `aws lambda invoke --region us-east-1 --function-name vpcguard-undo --cli-binary-format raw-in-base64-out --payload '{"action":"` + en.ID + `","confirm":true}' /dev/stdout`
	if u["command"] != want || !strings.Contains(u["note"].(string), "cuts the private S3 path of model churn") {
		t.Errorf("undo %v\nwant command %s", u, want)
	}
}

// failingLedger refuses every record.
type failingLedger struct{ *ledger.FileStore }

func (failingLedger) Record(context.Context, ledger.Entry) error {
	return errors.New("ProvisionedThroughputExceededException")
}

func TestWireNoWriteWithoutARecord(t *testing.T) {
	e := newEnv(t, scenario())
	r := e.remediator(remediateConfig())
	r.Ledger = failingLedger{fileLedger(t)}
	actions, err := e.event(t, r)
	if err == nil {
		t.Error("a ledger failure must ask for a retry")
	}
	if got := statuses(actions); !reflect.DeepEqual(got, []string{"create-s3-gateway-endpoint failed"}) {
		t.Fatalf("actions %q", got)
	}
	if why := actions[0].Detail[remediate.DetailReason].(string); !strings.Contains(why, "no write without a record") {
		t.Errorf("reason %q", why)
	}
	if n := len(e.sim.Writes()); n != 0 {
		t.Errorf("%d writes without a ledger entry", n)
	}
}

func TestWireNoLedgerSaysSo(t *testing.T) {
	e := newEnv(t, scenario())
	actions, err := e.event(t, e.remediator(remediateConfig()))
	if err != nil || len(actions) != 1 {
		t.Fatal(statuses(actions), err)
	}
	u, _ := actions[0].Detail[remediate.DetailUndo].(map[string]any)
	if note, _ := u["note"].(string); !strings.Contains(note, "cannot undo") {
		t.Errorf("undo %v", u)
	}
}

func TestWireHoldKeepsAnUndoneRepairUndone(t *testing.T) {
	e := newEnv(t, scenario())
	l := fileLedger(t)
	now := time.Now()
	if err := l.AddHold(context.Background(), ledger.Hold{Action: report.ActionCreateS3GatewayEndpoint, Account: account, Region: region,
		VPCID: "vpc-1", Resources: []string{"vpc-1"}, Entry: "rep-x", Undone: now, Until: now.Add(ledger.HoldDuration)}); err != nil {
		t.Fatal(err)
	}
	r := e.remediator(remediateConfig())
	r.Ledger = l
	actions, err := e.event(t, r)
	if err != nil || !reflect.DeepEqual(statuses(actions), []string{"create-s3-gateway-endpoint skipped"}) {
		t.Fatalf("actions %q, %v", statuses(actions), err)
	}
	if why := actions[0].Detail[remediate.DetailReason].(string); !strings.Contains(why, "was undone at") {
		t.Errorf("reason %q", why)
	}
	if n := len(e.sim.Writes()); n != 0 {
		t.Errorf("%d writes despite the hold", n)
	}
}

func TestWireEarlierAttemptNotRepeated(t *testing.T) {
	e := newEnv(t, scenario(awssim.VPCEndpoint{ID: "vpce-0a1b2c3d", VPC: "vpc-1", RouteTables: []string{"rtb-a", "rtb-main"}}))
	var done []remediate.DoneStep
	r := e.remediator(remediateConfig()).ForAttempt(remediate.Attempt{Event: report.Event{ID: "ev-1"},
		Complete: func(_ context.Context, key string, a report.Action) error {
			done = append(done, remediate.DoneStep{Key: key, Action: a})
			return nil
		}})
	first, err := e.event(t, r)
	if err != nil || len(done) != 1 || done[0].Key != "add-al-repo-deny vpc-1 vpce-0a1b2c3d" {
		t.Fatalf("first attempt %q, %v; completed %v", statuses(first), err, done)
	}
	// A person puts the default policy back before Lambda retries the event:
	// the retry reports the earlier repair and does not attempt it again.
	if _, err := e.ec2.ModifyVpcEndpoint(context.Background(), modifyReset("vpce-0a1b2c3d")); err != nil {
		t.Fatal(err)
	}
	writes := len(e.sim.Writes())
	r2 := e.remediator(remediateConfig()).ForAttempt(remediate.Attempt{Event: report.Event{ID: "ev-1"}, Done: done})
	again, err := e.event(t, r2)
	if err != nil || !reflect.DeepEqual(statuses(again), []string{"add-al-repo-deny applied"}) {
		t.Fatalf("retry %q, %v", statuses(again), err)
	}
	if note, _ := again[0].Detail[remediate.DetailNote].(string); !strings.Contains(note, "earlier attempt") {
		t.Errorf("note %q", note)
	}
	if n := len(e.sim.Writes()) - writes; n != 0 {
		t.Errorf("the retry wrote %d times", n)
	}
}

// concurrentScenario is one VPC holding n models, each in its own subnet
// with its own route table: disjoint route tables, no S3 endpoint.
func concurrentScenario(n int) *awssim.Scenario {
	sc := &awssim.Scenario{
		Account: account, Region: region,
		VPCs:           []awssim.VPC{{ID: "vpc-1", CIDR: "10.0.0.0/16", DNSHostnames: aws.Bool(true)}},
		RouteTables:    []awssim.RouteTable{{ID: "rtb-main", VPC: "vpc-1", Main: true}},
		SecurityGroups: []awssim.SecurityGroup{{ID: "sg-1", VPC: "vpc-1"}},
		Roles:          []awssim.Role{{Name: "SageMakerExecutionRole", Allow: []string{"ec2:*"}}},
	}
	for i := range n {
		sn, rt := fmt.Sprintf("subnet-%02d", i), fmt.Sprintf("rtb-%02d", i)
		sc.Subnets = append(sc.Subnets, awssim.Subnet{ID: sn, VPC: "vpc-1", AZ: "us-east-1a", CIDR: fmt.Sprintf("10.0.%d.0/24", i)})
		sc.RouteTables = append(sc.RouteTables, awssim.RouteTable{ID: rt, VPC: "vpc-1", Subnets: []string{sn}})
		sc.Models = append(sc.Models, awssim.Model{Name: fmt.Sprintf("model-%02d", i),
			VPCConfig: &awssim.VPCConfig{Subnets: []string{sn}, SecurityGroupIDs: []string{"sg-1"}}})
	}
	return sc
}

// TestWireConcurrentModelsOneEndpoint: concurrent CreateModel events for
// different models of one VPC, with disjoint route tables, create exactly
// one S3 endpoint, and every model's route table ends up on it. Without a
// lock the VPC's ClientToken decides (the later creates get
// IdempotentParameterMismatch and join); with the file ledger's lock the
// creates never overlap.
func TestWireConcurrentModelsOneEndpoint(t *testing.T) {
	const n = 20
	type store interface {
		remediate.Ledger
		remediate.Locker
		Recent(ctx context.Context, account, region string, limit int) ([]ledger.Entry, error)
	}
	stores := map[string]func(t *testing.T) store{
		"no lock, file ledger": func(t *testing.T) store { return fileLedger(t) },
		"file lock":            func(t *testing.T) store { return fileLedger(t) },
	}
	for _, b := range statetest.Both(t) {
		stores["state table lock, "+b.Name] = func(t *testing.T) store { return ledger.NewTable(state.New(b.Client, statetest.Table)) }
	}
	for name, newStore := range stores {
		withLock := name != "no lock, file ledger"
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, concurrentScenario(n))
			if err := e.sim.SetFault("ec2:CreateVpcEndpoint", awssim.Fault{Latency: awssim.Duration(100 * time.Millisecond)}); err != nil {
				t.Fatal(err)
			}
			l := newStore(t)
			var wg sync.WaitGroup
			results := make([][]report.Action, n)
			errs := make([]error, n)
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					snap := e.g.Models(context.Background(), []inventory.ModelRequest{{Name: fmt.Sprintf("model-%02d", i), Instances: 1}})
					res := checks.Run(snap, checks.Catalogue())
					r := e.remediator(remediateConfig())
					r.Ledger = l
					if withLock {
						r.Locker = l
					}
					r = r.ForAttempt(remediate.Attempt{Event: report.Event{ID: fmt.Sprintf("ev-%02d", i)}})
					<-start
					results[i], errs[i] = r.Remediate(context.Background(), snap, res)
				})
			}
			close(start)
			wg.Wait()
			for i := range n {
				if errs[i] != nil {
					t.Errorf("event %d: %v", i, errs[i])
				}
				if len(results[i]) != 1 || results[i][0].Status != report.ActionApplied {
					t.Errorf("event %d: %q %v", i, statuses(results[i]), results[i])
				}
			}
			eps := e.s3Endpoints(t)
			if len(eps) != 1 {
				t.Fatalf("%d S3 endpoints after %d concurrent events", len(eps), n)
			}
			var want []string
			for i := range n {
				want = append(want, fmt.Sprintf("rtb-%02d", i))
			}
			got := slices.Sorted(slices.Values(eps[0].RouteTableIds))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the endpoint's route tables %v, want %v", got, want)
			}
			t.Logf("create attempts %d (%d succeeded), ModifyVpcEndpoint %d", len(e.writes("CreateVpcEndpoint", true)), len(e.writes("CreateVpcEndpoint", false)), len(e.writes("ModifyVpcEndpoint", true)))
			if c := len(e.writes("CreateVpcEndpoint", false)); c != 1 {
				t.Errorf("%d successful creates", c)
			}
			if withLock {
				if m := len(e.writes("CreateVpcEndpoint", true)); m != 1 {
					t.Errorf("under the lock: %d create attempts, want 1", m)
				}
			}
			entries, _ := l.Recent(context.Background(), account, region, 0)
			if len(entries) < n {
				t.Errorf("%d ledger entries for %d repairs", len(entries), n)
			}
		})
	}
}

func modifyReset(id string) *ec2.ModifyVpcEndpointInput {
	return &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), ResetPolicy: aws.Bool(true)}
}
