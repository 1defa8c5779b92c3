package cloudtrail_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
)

const (
	testActor   = "arn:aws:iam::111122223333:role/platform-ci"
	testAccount = "111122223333"
)

// testCall is the envelope part every testdata/ call shares: record n has
// envelope id 2222…n, eventID 1111…n and eventTime 12:00:n; the file name
// starts with <service>-<eventName>-.
func testCall(n string, kind cloudtrail.Kind, source string) cloudtrail.Call {
	return cloudtrail.Call{
		Kind: kind, EnvelopeID: "22222222-2222-4222-8222-2222222222" + n, EventID: "11111111-1111-4111-8111-1111111111" + n,
		Name: kind.String(), Source: source, Account: testAccount, Region: "us-east-1",
		Time: at("2025-10-01T12:00:" + n + "Z"), Actor: testActor, SessionName: "carol",
	}
}

func kindNamed(name string) cloudtrail.Kind {
	for k := cloudtrail.KindCreateModel; k.String() != "Unknown"; k++ {
		if k.String() == name {
			return k
		}
	}
	for _, k := range cloudtrail.DriftKinds() {
		if k.String() == name {
			return k
		}
	}
	return cloudtrail.KindUnknown
}

func TestTestdata(t *testing.T) {
	const policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::ml-artifacts-111122223333/*"}]}`
	for _, tc := range []struct {
		file string
		n    string                 // record number: the last digits of its ids, the second of its eventTime
		body func(*cloudtrail.Call) // sets the expected body and any field that differs from testCall
	}{
		{"sagemaker-CreateModel-pascal-vpcconfig-containers.json", "01", func(c *cloudtrail.Call) {
			c.CreateModel = &cloudtrail.CreateModel{
				ModelName: "pipeline-model", ModelARN: "arn:aws:sagemaker:us-east-1:111122223333:model/pipeline-model",
				ExecutionRoleARN: "arn:aws:iam::111122223333:role/sagemaker-exec",
				VPCConfig: &cloudtrail.VPCConfig{
					Subnets:          []string{"subnet-0aaa000000000a001", "subnet-0aaa000000000b001"},
					SecurityGroupIDs: []string{"sg-0aaa0000000000001"},
				},
				Containers: []cloudtrail.Container{
					{Image: "111122223333.dkr.ecr.us-east-1.amazonaws.com/prep:1", ModelDataURL: "s3://ml-artifacts-111122223333/pipeline-model/prep.tar.gz"},
					{Image: "111122223333.dkr.ecr.us-east-1.amazonaws.com/rank:1", ModelDataS3URI: "s3://ml-artifacts-111122223333/pipeline-model/rank/"},
				},
			}
		}},
		{"sagemaker-CreateModel-hidden-values.json", "02", func(c *cloudtrail.Call) {
			c.CreateModel = &cloudtrail.CreateModel{
				ModelName: "secret-model", ModelARN: "arn:aws:sagemaker:us-east-1:111122223333:model/secret-model",
				Containers: []cloudtrail.Container{{Image: "111122223333.dkr.ecr.us-east-1.amazonaws.com/secret:1"}},
			}
		}},
		{"sagemaker-CreateModel-truncated-request.json", "03", func(c *cloudtrail.Call) {
			c.CreateModel = &cloudtrail.CreateModel{ModelARN: "arn:aws:sagemaker:us-east-1:111122223333:model/huge-model"}
		}},
		{"sagemaker-CreateEndpointConfig-serverless-string-count.json", "04", func(c *cloudtrail.Call) {
			c.CreateEndpointConfig = &cloudtrail.CreateEndpointConfig{
				EndpointConfigName: "mixed-config",
				EndpointConfigARN:  "arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/mixed-config",
				ProductionVariants: []cloudtrail.ProductionVariant{
					{VariantName: "Blue", ModelName: "churn-model-v7", InstanceType: "ml.c5.large", InitialInstanceCount: 3},
					{VariantName: "Green", ModelName: "churn-model-v8", Serverless: true},
				},
				ExecutionRoleARN: "arn:aws:iam::111122223333:role/sagemaker-exec",
				VPCConfig:        &cloudtrail.VPCConfig{Subnets: []string{"subnet-0bbb000000000a001"}, SecurityGroupIDs: []string{"sg-0bbb0000000000001"}},
			}
		}},
		{"ec2-CreateVpcEndpoint-gateway-multi-route.json", "05", func(c *cloudtrail.Call) {
			c.CreateVpcEndpoint = &cloudtrail.CreateVpcEndpoint{
				VpcEndpointID: "vpce-0aaa0000000000002", VPCID: "vpc-0a1b2c3d4e5f60001",
				ServiceName: "com.amazonaws.us-east-1.s3", Type: "Gateway",
				RouteTableIDs:  []string{"rtb-0aaa0000000000001", "rtb-0aaa0000000000002"},
				PolicyDocument: policy, State: "available",
			}
		}},
		{"ec2-CreateVpcEndpoint-failed-route-exists.json", "06", func(c *cloudtrail.Call) {
			c.ErrorCode = "Client.RouteAlreadyExists"
			c.ErrorMessage = "route table rtb-0bbb0000000000001 already has a route with destination-prefix-list-id pl-63a5400a"
			c.CreateVpcEndpoint = &cloudtrail.CreateVpcEndpoint{
				VPCID: "vpc-0b1b2c3d4e5f60002", ServiceName: "com.amazonaws.us-east-1.s3",
				RouteTableIDs: []string{"rtb-0bbb0000000000001"},
			}
		}},
		{"ec2-CreateVpcEndpoint-old-style-bare.json", "07", func(c *cloudtrail.Call) {
			c.EnvelopeID = c.EventID // bare record: no EventBridge id
			c.CreateVpcEndpoint = &cloudtrail.CreateVpcEndpoint{
				VPCID: "vpc-0c1b2c3d4e5f60003", ServiceName: "com.amazonaws.us-east-1.s3", Type: "Gateway",
				RouteTableIDs: []string{"rtb-0ccc0000000000001", "rtb-0ccc0000000000002"},
				// policyDocument "omitted": unknown, not data
			}
		}},
		{"ec2-CreateVpcEndpoint-empty-request-interface.json", "08", func(c *cloudtrail.Call) {
			c.CreateVpcEndpoint = &cloudtrail.CreateVpcEndpoint{
				VpcEndpointID: "vpce-0aaa0000000000003", VPCID: "vpc-0a1b2c3d4e5f60001",
				ServiceName: "com.amazonaws.us-east-1.sagemaker.runtime", Type: "Interface",
				SubnetIDs:        []string{"subnet-0aaa000000000a001"},
				SecurityGroupIDs: []string{"sg-0aaa0000000000001", "sg-0aaa0000000000002"},
				State:            "pending",
			}
		}},
		{"ec2-ModifyVpcEndpoint-reset-policy-routes.json", "09", func(c *cloudtrail.Call) {
			c.ModifyVpcEndpoint = &cloudtrail.ModifyVpcEndpoint{
				VpcEndpointID:       "vpce-0aaa0000000000001",
				AddRouteTableIDs:    []string{"rtb-0aaa0000000000003", "rtb-0aaa0000000000004"},
				RemoveRouteTableIDs: []string{"rtb-0aaa0000000000001"},
				ResetPolicy:         true,
			}
		}},
		{"ec2-DeleteVpcEndpoints-partial.json", "10", func(c *cloudtrail.Call) {
			c.DeleteVpcEndpoints = &cloudtrail.DeleteVpcEndpoints{
				VpcEndpointIDs: []string{"vpce-0ddd0000000000009", "vpce-0ddd0000000000010"},
				Unsuccessful:   []string{"vpce-0ddd0000000000010"},
			}
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := cloudtrail.Parse(readFile(t, filepath.Join("testdata", tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			source := cloudtrail.SourceEC2
			if strings.HasPrefix(tc.file, "sagemaker-") {
				source = cloudtrail.SourceSageMaker
			}
			kind, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(tc.file, "sagemaker-"), "ec2-"), "-")
			want := testCall(tc.n, kindNamed(kind), source)
			tc.body(&want)
			sameCall(t, got, want)
		})
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string // JSON, or @file in testdata
		is   error  // sentinel, when there is one
		msg  string // part of the message
	}{
		{"malformed", `{"detail-type":`, nil, "not a JSON object"},
		{"empty input", ``, nil, "not a JSON object"},
		{"a string", `"CreateModel"`, nil, "not a JSON object"},
		{"null", `null`, cloudtrail.ErrNotRecord, "no eventName"},
		{"empty object", `{}`, cloudtrail.ErrNotRecord, "no eventName"},
		{"record without source", `{"eventName":"CreateModel"}`, cloudtrail.ErrNotRecord, "eventSource"},
		{"eventName not a string", `{"eventName":5,"eventSource":"sagemaker.amazonaws.com"}`, cloudtrail.ErrNotRecord, "cannot unmarshal"},
		{"empty array", `[]`, cloudtrail.ErrRecordCount, "no records"},
		{"empty Records", `{"Records":[]}`, cloudtrail.ErrRecordCount, "no records"},
		{"Records not an array", `{"Records":{}}`, nil, "Records"},
		{"bad record in Records", `{"Records":[{"eventName":"X","eventSource":"y"},42]}`, cloudtrail.ErrNotRecord, "record 1"},
		{"two records", "@error-records-two.json", cloudtrail.ErrRecordCount, "holds 2 records"},
		{"not an API call", "@error-not-api-call.json", cloudtrail.ErrNotAPICall, `"EC2 Instance State-change Notification"`},
		{"detail not a record", "@error-detail-not-record.json", cloudtrail.ErrNotRecord, "detail"},
		{"envelope without detail", `{"detail-type":"AWS API Call via CloudTrail","id":"e1"}`, cloudtrail.ErrNotRecord, `event "e1"`},
		{"detail a string", `{"detail-type":"AWS API Call via CloudTrail","detail":"{}"}`, cloudtrail.ErrNotRecord, "detail"},
		{"envelope bad time", `{"detail-type":"AWS API Call via CloudTrail","time":"yesterday","detail":{}}`, nil, "EventBridge envelope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.in)
			if file, ok := strings.CutPrefix(tc.in, "@"); ok {
				data = readFile(t, filepath.Join("testdata", file))
			}
			_, err := cloudtrail.Parse(data)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "cloudtrail: ") {
				t.Errorf("err = %q, want cloudtrail: … %q …", err, tc.msg)
			}
		})
	}
}

// Several records: ParseAll returns each; Parse refuses with ErrRecordCount.
func TestParseAll(t *testing.T) {
	calls, err := cloudtrail.ParseAll(readFile(t, filepath.Join("testdata", "error-records-two.json")))
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0].CreateEndpoint.EndpointName != "a" || calls[1].CreateEndpoint.EndpointName != "b" {
		t.Errorf("calls = %+v", calls)
	}
}

func TestKinds(t *testing.T) {
	for _, tc := range []struct {
		name, source string
		want         cloudtrail.Kind
	}{
		{"CreateModel", cloudtrail.SourceSageMaker, cloudtrail.KindCreateModel},
		{"CreateEndpointConfig", cloudtrail.SourceSageMaker, cloudtrail.KindCreateEndpointConfig},
		{"CreateEndpoint", cloudtrail.SourceSageMaker, cloudtrail.KindCreateEndpoint},
		{"CreateVpcEndpoint", cloudtrail.SourceEC2, cloudtrail.KindCreateVpcEndpoint},
		{"ModifyVpcEndpoint", cloudtrail.SourceEC2, cloudtrail.KindModifyVpcEndpoint},
		{"DeleteVpcEndpoints", cloudtrail.SourceEC2, cloudtrail.KindDeleteVpcEndpoints},
		{"CreateModel", cloudtrail.SourceEC2, cloudtrail.KindUnknown},
		{"CreateVpcEndpoint", cloudtrail.SourceSageMaker, cloudtrail.KindUnknown},
		{"DeleteModel", cloudtrail.SourceSageMaker, cloudtrail.KindDeleteModel},
		{"UpdateEndpoint", cloudtrail.SourceSageMaker, cloudtrail.KindUpdateEndpoint},
		{"DeleteEndpoint", cloudtrail.SourceSageMaker, cloudtrail.KindDeleteEndpoint},
		{"DeleteModel", cloudtrail.SourceEC2, cloudtrail.KindUnknown},
		{"DescribeModel", cloudtrail.SourceSageMaker, cloudtrail.KindUnknown},
		{"", "", cloudtrail.KindUnknown},
	} {
		if got := cloudtrail.KindOf(tc.name, tc.source); got != tc.want {
			t.Errorf("KindOf(%q, %q) = %v, want %v", tc.name, tc.source, got, tc.want)
		}
		if got := cloudtrail.Handled(tc.name, tc.source); got != (tc.want != cloudtrail.KindUnknown) {
			t.Errorf("Handled(%q, %q) = %v", tc.name, tc.source, got)
		}
		if tc.want != cloudtrail.KindUnknown && tc.want.String() != tc.name {
			t.Errorf("%v.String() = %q, want %q", tc.want, tc.want.String(), tc.name)
		}
	}
	if b, _ := json.Marshal(cloudtrail.KindUnknown); string(b) != `"Unknown"` {
		t.Errorf("KindUnknown marshals as %s", b)
	}
}

// FromEvent is what the Lambda calls on the decoded envelope.
func TestFromEventDetailType(t *testing.T) {
	_, err := cloudtrail.FromEvent(events.CloudWatchEvent{ID: "x", DetailType: "Scheduled Event", Detail: json.RawMessage(`{}`)})
	if !errors.Is(err, cloudtrail.ErrNotAPICall) {
		t.Errorf("err = %v", err)
	}
}
