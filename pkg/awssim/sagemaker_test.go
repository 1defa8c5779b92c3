package awssim

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

func sageMakerScenario() *Scenario {
	sc := &Scenario{
		Account: "111122223333",
		Roles:   []Role{{Name: "ModelRole", Path: "/service-role/", Allow: []string{"ec2:*"}}},
		Models: []Model{
			{Name: "Churn-Model", ExecutionRole: "ModelRole",
				PrimaryContainer: &Container{Image: "img:1", ModelDataURL: "s3://artifacts/churn/model.tar.gz", Environment: map[string]string{"A": "1"}},
				VPCConfig:        &VPCConfig{Subnets: []string{"subnet-1a", "subnet-1b"}, SecurityGroupIDs: []string{"sg-1"}},
				Tags:             Tags{"team": "risk", "vpcguard:exempt": "true"}, CreationTime: mustTime("2024-05-01T10:00:00.250Z")},
			{Name: "multi", Containers: []Container{{Image: "a", ModelDataS3URI: "s3://artifacts/a/"}, {Image: "b", ModelDataURL: "s3://other/b.tar.gz"}}},
		},
		EndpointConfigs: []EndpointConfig{{Name: "cfg", Variants: []Variant{{Model: "Churn-Model", InitialInstanceCount: 3}, {Name: "shadow", Model: "deleted-model"}},
			VPCConfig: &VPCConfig{Subnets: []string{"subnet-9"}, SecurityGroupIDs: []string{"sg-9"}}, Tags: Tags{"k": "v"}}},
		Endpoints: []Endpoint{{Name: "ep", Config: "cfg", Instances: map[string]int32{"AllTraffic": 5}}, {Name: "ep-creating", Config: "cfg", Status: "Creating"}},
	}
	for i := 0; i < 23; i++ {
		sc.Models = append(sc.Models, Model{Name: fmt.Sprintf("bulk-%02d", i)})
	}
	return sc
}

func TestSageMakerDescribe(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t, sageMakerScenario())
	c := sagemaker.NewFromConfig(cfg)

	m, err := c.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String("churn-model")}) // names are case-insensitive
	must(t, err)
	if aws.ToString(m.ModelName) != "Churn-Model" || aws.ToString(m.ModelArn) != "arn:aws:sagemaker:us-east-1:111122223333:model/churn-model" ||
		aws.ToString(m.ExecutionRoleArn) != "arn:aws:iam::111122223333:role/service-role/ModelRole" ||
		aws.ToString(m.PrimaryContainer.ModelDataUrl) != "s3://artifacts/churn/model.tar.gz" || m.PrimaryContainer.Environment["A"] != "1" ||
		!slices.Equal(m.VpcConfig.Subnets, []string{"subnet-1a", "subnet-1b"}) || !slices.Equal(m.VpcConfig.SecurityGroupIds, []string{"sg-1"}) ||
		!m.CreationTime.Equal(*mustTime("2024-05-01T10:00:00.250Z")) {
		t.Errorf("model: %+v", m)
	}
	m, err = c.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String("multi")})
	must(t, err)
	if m.PrimaryContainer != nil || len(m.Containers) != 2 || aws.ToString(m.Containers[0].ModelDataSource.S3DataSource.S3Uri) != "s3://artifacts/a/" ||
		aws.ToString(m.Containers[1].ModelDataUrl) != "s3://other/b.tar.gz" || m.VpcConfig != nil {
		t.Errorf("multi-container model: %+v", m)
	}
	_, err = c.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String("Missing")})
	wantCode(t, err, "ValidationException")
	if want := `Could not find model "arn:aws:sagemaker:us-east-1:111122223333:model/missing".`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want message %s", err, want)
	}

	ec, err := c.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String("cfg")})
	must(t, err)
	if len(ec.ProductionVariants) != 2 || aws.ToString(ec.ProductionVariants[0].VariantName) != "AllTraffic" || aws.ToInt32(ec.ProductionVariants[0].InitialInstanceCount) != 3 ||
		aws.ToString(ec.ProductionVariants[1].ModelName) != "deleted-model" || ec.VpcConfig == nil || aws.ToString(ec.EndpointConfigArn) != "arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/cfg" {
		t.Errorf("endpoint config: %+v", ec)
	}
	_, err = c.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String("nope")})
	wantCode(t, err, "ValidationException")

	ep, err := c.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("ep")})
	must(t, err)
	if ep.EndpointStatus != smtypes.EndpointStatusInService || aws.ToString(ep.EndpointConfigName) != "cfg" || len(ep.ProductionVariants) != 2 ||
		aws.ToInt32(ep.ProductionVariants[0].CurrentInstanceCount) != 5 || aws.ToInt32(ep.ProductionVariants[1].CurrentInstanceCount) != 1 {
		t.Errorf("endpoint: %+v", ep)
	}
	_, err = c.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("nope")})
	wantCode(t, err, "ValidationException")

	tags, err := c.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: m.ModelArn})
	must(t, err)
	if len(tags.Tags) != 0 {
		t.Errorf("multi has no tags: %+v", tags.Tags)
	}
	tags, err = c.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String("arn:aws:sagemaker:us-east-1:111122223333:model/churn-model"), MaxResults: aws.Int32(1)})
	must(t, err)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" || tags.NextToken == nil {
		t.Fatalf("tags page 1: %+v", tags)
	}
	tags, err = c.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String("arn:aws:sagemaker:us-east-1:111122223333:model/churn-model"), NextToken: tags.NextToken})
	must(t, err)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "vpcguard:exempt" || tags.NextToken != nil {
		t.Errorf("tags page 2: %+v", tags)
	}
	if srv.Calls("sagemaker:DescribeModel") != 3 {
		t.Errorf("calls: %+v", srv.Stats().Calls)
	}
}

func TestSageMakerListPagination(t *testing.T) {
	ctx := context.Background()
	sc := sageMakerScenario()
	sc.PageSizes = map[string]int{"sagemaker:ListEndpoints": 1}
	srv, cfg := start(t, sc)
	c := sagemaker.NewFromConfig(cfg)

	var names []string
	pg := sagemaker.NewListModelsPaginator(c, &sagemaker.ListModelsInput{MaxResults: aws.Int32(10), SortBy: smtypes.ModelSortKeyName, SortOrder: smtypes.OrderKeyAscending})
	pages := 0
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		must(t, err)
		pages++
		for _, m := range out.Models {
			names = append(names, aws.ToString(m.ModelName))
		}
	}
	if len(names) != 25 || pages != 3 || !slices.IsSorted(names) || names[0] != "Churn-Model" {
		t.Errorf("%d pages: %v", pages, names)
	}
	// Default order: newest first; NameContains is case-insensitive.
	out, err := c.ListModels(ctx, &sagemaker.ListModelsInput{NameContains: aws.String("BULK-1")})
	must(t, err)
	if len(out.Models) != 10 || aws.ToString(out.Models[0].ModelName) != "bulk-19" || out.NextToken != nil {
		t.Errorf("filtered: %d models, first %s", len(out.Models), aws.ToString(out.Models[0].ModelName))
	}
	out, err = c.ListModels(ctx, &sagemaker.ListModelsInput{CreationTimeAfter: aws.Time(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC))})
	must(t, err)
	if len(out.Models) != 1 || aws.ToString(out.Models[0].ModelName) != "Churn-Model" {
		t.Errorf("CreationTimeAfter: %+v", out.Models)
	}
	_, err = c.ListModels(ctx, &sagemaker.ListModelsInput{MaxResults: aws.Int32(500)})
	wantCode(t, err, "ValidationException")
	_, err = c.ListModels(ctx, &sagemaker.ListModelsInput{NextToken: aws.String("bad")})
	wantCode(t, err, "ValidationException")

	var eps []string
	epg := sagemaker.NewListEndpointsPaginator(c, &sagemaker.ListEndpointsInput{})
	for epg.HasMorePages() {
		out, err := epg.NextPage(ctx)
		must(t, err)
		for _, e := range out.Endpoints {
			eps = append(eps, aws.ToString(e.EndpointName)+":"+string(e.EndpointStatus))
		}
	}
	if !slices.Equal(eps, []string{"ep-creating:Creating", "ep:InService"}) || srv.Calls("sagemaker:ListEndpoints") != 2 {
		t.Errorf("endpoints %v in %d calls", eps, srv.Calls("sagemaker:ListEndpoints"))
	}
	le, err := c.ListEndpoints(ctx, &sagemaker.ListEndpointsInput{StatusEquals: smtypes.EndpointStatusInService})
	must(t, err)
	if len(le.Endpoints) != 1 || aws.ToString(le.Endpoints[0].EndpointName) != "ep" {
		t.Errorf("StatusEquals: %+v", le.Endpoints)
	}
}
