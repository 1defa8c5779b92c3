package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vpcguard/vpcguard/pkg/awshttp"
	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/placement"
	"github.com/vpcguard/vpcguard/pkg/state"
)

// Clients are the SDK v2 clients of one function, built from the SDK's
// default configuration (environment, shared files, the Lambda role), so
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> point them anywhere.
type Clients struct {
	Region    string
	Partition string
	SageMaker *sagemaker.Client
	EC2       *ec2.Client
	S3        *s3.Client
	IAM       *iam.Client
	SNS       *sns.Client
	Events    *eventbridge.Client
	// AutoScaling reads the endpoint variants' autoscaling limits.
	AutoScaling *applicationautoscaling.Client
	// DynamoDB reads and writes the state table (VPCGUARD_STATE_TABLE).
	DynamoDB *dynamodb.Client
	// Config is the configuration the clients were built from, for the
	// clients only one function needs (the sweep's health readers).
	Config aws.Config
	// STS tells the undo function its account (GetCallerIdentity).
	STS *sts.Client
}

// NewClients loads the default AWS configuration with the standard retryer
// and vpcguard's transport (pkg/awshttp). A CA bundle named by
// AWS_CA_BUNDLE that cannot be used stops it with an error naming the
// variable.
func NewClients(ctx context.Context, optFns ...func(*awsconfig.LoadOptions) error) (*Clients, error) {
	if err := awshttp.CheckCABundle(os.Getenv); err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer { return retry.NewStandard() }),
	}
	opts = append(opts, awshttp.LoadOptions()...)
	opts = append(opts, optFns...)
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return ClientsFrom(cfg)
}

// ClientsFrom builds the clients from an aws.Config.
func ClientsFrom(cfg aws.Config) (*Clients, error) {
	if cfg.Region == "" {
		return nil, errors.New("no AWS region: set AWS_REGION")
	}
	return &Clients{
		Region:    cfg.Region,
		Partition: partitionOf(cfg.Region),
		SageMaker: sagemaker.NewFromConfig(cfg),
		EC2:       ec2.NewFromConfig(cfg),
		// With an endpoint override (a local account, a proxy) buckets are
		// addressed by path: <bucket>.<host> would not resolve.
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			if o.BaseEndpoint != nil {
				o.UsePathStyle = true
			}
		}),
		IAM:         iam.NewFromConfig(cfg),
		SNS:         sns.NewFromConfig(cfg),
		Events:      eventbridge.NewFromConfig(cfg),
		AutoScaling: applicationautoscaling.NewFromConfig(cfg),
		DynamoDB:    dynamodb.NewFromConfig(cfg),
		Config:      cfg,
		STS:         sts.NewFromConfig(cfg),
	}, nil
}

// Gatherer is a state gatherer reading through these clients, simulating
// the guide's ENI actions for execution roles.
func (c *Clients) Gatherer() inventory.Gatherer {
	return inventory.Gatherer{
		SageMaker: c.SageMaker, EC2: c.EC2, S3: c.S3, IAM: c.IAM, AutoScaling: c.AutoScaling,
		Region: c.Region, Partition: c.Partition, ENIActions: checks.ENIActions(),
	}
}

// Index is the placement index in the state table, or nil when table is
// empty (VPCGUARD_STATE_TABLE unset).
func (c *Clients) Index(table string) *placement.Index {
	if table == "" {
		return nil
	}
	return placement.New(state.New(c.DynamoDB, table))
}

func partitionOf(region string) string {
	switch {
	case len(region) > 3 && region[:3] == "cn-":
		return "aws-cn"
	case len(region) > 7 && region[:7] == "us-gov-":
		return "aws-us-gov"
	}
	return "aws"
}
