package awssim

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
)

// bigScenario has n models spread over 100 VPCs with their network.
func bigScenario(n int) *Scenario {
	sc := &Scenario{}
	for v := 0; v < 100; v++ {
		vpc := fmt.Sprintf("vpc-%04d", v)
		sc.VPCs = append(sc.VPCs, VPC{ID: vpc, CIDR: fmt.Sprintf("10.%d.0.0/16", v)})
		for s := 0; s < 3; s++ {
			sc.Subnets = append(sc.Subnets, Subnet{ID: fmt.Sprintf("subnet-%04d%d", v, s), VPC: vpc, AZ: "us-east-1" + string(rune('a'+s)), CIDR: fmt.Sprintf("10.%d.%d.0/24", v, s)})
		}
		sc.RouteTables = append(sc.RouteTables, RouteTable{ID: fmt.Sprintf("rtb-%04d", v), VPC: vpc, Main: true})
		sc.SecurityGroups = append(sc.SecurityGroups, SecurityGroup{ID: fmt.Sprintf("sg-%04d", v), VPC: vpc})
		sc.VPCEndpoints = append(sc.VPCEndpoints, VPCEndpoint{ID: fmt.Sprintf("vpce-%04d", v), VPC: vpc, RouteTables: []string{fmt.Sprintf("rtb-%04d", v)}})
	}
	for i := 0; i < n; i++ {
		v := i % 100
		sc.Models = append(sc.Models, Model{Name: fmt.Sprintf("model-%05d", i),
			PrimaryContainer: &Container{ModelDataURL: fmt.Sprintf("s3://bucket-%d/m.tar.gz", v)},
			VPCConfig:        &VPCConfig{Subnets: []string{fmt.Sprintf("subnet-%04d0", v), fmt.Sprintf("subnet-%04d1", v)}, SecurityGroupIDs: []string{fmt.Sprintf("sg-%04d", v)}}})
	}
	return sc
}

func BenchmarkNewServer10kModels(b *testing.B) {
	sc := bigScenario(10000)
	for b.Loop() {
		if _, err := NewServer(sc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDescribeModel10k(b *testing.B) {
	srv, url := Start(b, bigScenario(10000))
	c := sagemaker.NewFromConfig(TestConfig(url, srv.Region()))
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := c.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String(fmt.Sprintf("model-%05d", i%10000))}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkListModels10k walks all 10,000 models, 100 per page.
func BenchmarkListModels10k(b *testing.B) {
	srv, url := Start(b, bigScenario(10000))
	c := sagemaker.NewFromConfig(TestConfig(url, srv.Region()))
	ctx := context.Background()
	for b.Loop() {
		n := 0
		pg := sagemaker.NewListModelsPaginator(c, &sagemaker.ListModelsInput{MaxResults: aws.Int32(100)})
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			n += len(out.Models)
		}
		if n != 10000 {
			b.Fatalf("%d models", n)
		}
	}
}

func BenchmarkDescribeRouteTablesBySubnet(b *testing.B) {
	srv, url := Start(b, bigScenario(10000))
	c := ec2.NewFromConfig(TestConfig(url, srv.Region()))
	ctx := context.Background()
	i := 0
	for b.Loop() {
		out, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{fmt.Sprintf("vpc-%04d", i%100)}}}})
		if err != nil || len(out.RouteTables) != 1 {
			b.Fatal(err)
		}
		i++
	}
}
