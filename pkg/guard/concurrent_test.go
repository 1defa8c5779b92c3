package guard_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/guard"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/state/statetest"
)

// TestTwentyConcurrentCreateModelsOneEndpoint: 20 CreateModel events at
// once, for 20 models of one VPC with disjoint route tables and no S3
// endpoint, through the handler (remediate mode, the ledger and the VPC
// locks in the state table): exactly one endpoint, on all 20 route tables,
// and one create attempt.
func TestTwentyConcurrentCreateModelsOneEndpoint(t *testing.T) {
	const n = 20
	sc := &awssim.Scenario{
		Account: "111122223333", Region: "us-east-1",
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
	sim, url := awssim.Start(t, statetest.Scenario(sc))
	if err := sim.SetFault("ec2:CreateVpcEndpoint", awssim.Fault{Latency: awssim.Duration(100 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	clients, err := app.ClientsFrom(awssim.TestConfig(url, "us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{"VPCGUARD_MODE": "remediate", "VPCGUARD_STATE_TABLE": statetest.Table}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	store, _, err := app.OpenLedger(cfg, clients)
	if err != nil || store == nil {
		t.Fatalf("ledger: %v", err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	r := remediate.New(clients.EC2, cfg, log)
	r.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	r.Ledger, r.Locker = store, store
	g := clients.Gatherer()
	g.ModelTags = true
	h := &guard.Handler{Config: cfg, Gatherer: g, Kinds: allKinds, Remediator: r, Progress: store, Log: log}

	var wg sync.WaitGroup
	results := make([]report.Result, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("model-%02d", i)
			call := cloudtrail.Call{Kind: cloudtrail.KindCreateModel, Name: "CreateModel", Source: cloudtrail.SourceSageMaker,
				Account: "111122223333", Region: "us-east-1", EnvelopeID: fmt.Sprintf("ev-%02d", i),
				CreateModel: &cloudtrail.CreateModel{ModelName: name}}
			<-start
			results[i], errs[i] = h.Handle(context.Background(), call)
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("event %d: %v", i, errs[i])
		}
		if a := results[i].Actions; len(a) != 1 || a[0].Status != report.ActionApplied {
			t.Errorf("event %d: actions %+v", i, a)
		}
	}
	out, err := clients.EC2.DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{"vpc-1"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.VpcEndpoints) != 1 {
		t.Fatalf("%d endpoints after %d concurrent CreateModel events", len(out.VpcEndpoints), n)
	}
	got := slices.Sorted(slices.Values(out.VpcEndpoints[0].RouteTableIds))
	if len(got) != n || got[0] != "rtb-00" || got[n-1] != fmt.Sprintf("rtb-%02d", n-1) {
		t.Errorf("the endpoint's route tables %v", got)
	}
	creates := 0
	for _, w := range sim.Writes() {
		if w.Operation == "CreateVpcEndpoint" {
			creates++
		}
	}
	if creates != 1 {
		t.Errorf("%d create attempts, want 1 (the others waited for the VPC's lock and joined)", creates)
	}
}
