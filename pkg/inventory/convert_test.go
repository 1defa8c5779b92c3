package inventory

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// TestModelArtifacts: every S3 object a model's containers read is an
// artifact, with the container and field that name it; prefixes (S3Prefix
// data sources, multi-model containers) are judged by a representative
// object under them.
func TestModelArtifacts(t *testing.T) {
	s3src := func(uri string, typ smtypes.S3ModelDataType) *smtypes.S3ModelDataSource {
		return &smtypes.S3ModelDataSource{S3Uri: aws.String(uri), S3DataType: typ, CompressionType: smtypes.ModelCompressionTypeNone}
	}
	out := &sagemaker.DescribeModelOutput{
		ModelName:        aws.String("churn"),
		PrimaryContainer: &smtypes.ContainerDefinition{ModelDataUrl: aws.String("s3://ml-artifacts-111122223333/churn/model.tar.gz")},
		Containers: []smtypes.ContainerDefinition{
			{ModelDataSource: &smtypes.ModelDataSource{S3DataSource: s3src("s3://llm-weights/llama/", smtypes.S3ModelDataTypeS3Prefix)}},
			{ModelDataSource: &smtypes.ModelDataSource{S3DataSource: s3src("s3://llm-weights/single.safetensors", smtypes.S3ModelDataTypeS3Object)},
				AdditionalModelDataSources: []smtypes.AdditionalModelDataSource{{ChannelName: aws.String("draft"), S3DataSource: s3src("s3://drafts/d", smtypes.S3ModelDataTypeS3Prefix)}}},
			{Mode: smtypes.ContainerModeMultiModel, ModelDataUrl: aws.String("s3://mme-models/tenants/")},
			{ModelDataUrl: aws.String("https://s3.us-east-1.amazonaws.com/legacy/model.tar.gz")},
			{ModelDataUrl: aws.String("s3://bucket-only")},
			{Image: aws.String("no data")},
		},
	}
	m := modelFrom(out)
	want := []Artifact{
		{Container: 0, Field: "ModelDataUrl", URI: "s3://ml-artifacts-111122223333/churn/model.tar.gz", Bucket: "ml-artifacts-111122223333", Key: "churn/model.tar.gz"},
		{Container: 1, Field: "ModelDataSource", URI: "s3://llm-weights/llama/", Bucket: "llm-weights", Key: "llama/" + RepresentativeObject, Prefix: true},
		{Container: 2, Field: "ModelDataSource", URI: "s3://llm-weights/single.safetensors", Bucket: "llm-weights", Key: "single.safetensors"},
		{Container: 2, Field: "AdditionalModelDataSources[0]", URI: "s3://drafts/d", Bucket: "drafts", Key: "d/" + RepresentativeObject, Prefix: true},
		{Container: 3, Field: "ModelDataUrl", URI: "s3://mme-models/tenants/", Bucket: "mme-models", Key: "tenants/" + RepresentativeObject, Prefix: true},
	}
	if !reflect.DeepEqual(m.Artifacts, want) {
		t.Errorf("artifacts:\n%+v\nwant\n%+v", m.Artifacts, want)
	}
	if b := []string{"ml-artifacts-111122223333", "llm-weights", "drafts", "mme-models", "bucket-only"}; !reflect.DeepEqual(m.ArtifactBuckets, b) {
		t.Errorf("buckets %q, want %q", m.ArtifactBuckets, b)
	}
	if got := m.Artifacts[1].ObjectARN("aws"); got != "arn:aws:s3:::llm-weights/llama/vpcguard-representative-object" {
		t.Errorf("ARN %s", got)
	}
	if got := m.Artifacts[1].String(); got != "s3://llm-weights/llama/ (container 1 ModelDataSource, an S3 prefix judged by the object llama/vpcguard-representative-object)" {
		t.Errorf("String %s", got)
	}
}
