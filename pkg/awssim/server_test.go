package awssim

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestSignatureAndRouting(t *testing.T) {
	srv, base := Start(t, &Scenario{VPCs: []VPC{{ID: "vpc-1"}}})
	do := func(auth, target, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	sig := func(region, service string) string {
		return fmt.Sprintf("AWS4-HMAC-SHA256 Credential=AKID/20240101/%s/%s/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd", region, service)
	}
	ec2Body := "Action=DescribeVpcs&Version=2016-11-15"
	cases := []struct {
		name, auth, target, body string
		status                   int
		contains                 string
	}{
		{"unsigned EC2", "", "", ec2Body, 403, "<Response><Errors><Error><Code>MissingAuthenticationToken</Code>"},
		{"unsigned JSON", "", "SageMaker.ListModels", "{}", 403, `"__type":"MissingAuthenticationToken"`},
		{"no signature", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ec2/aws4_request, SignedHeaders=host", "", ec2Body, 400, "IncompleteSignature"},
		{"no region", sig("", "ec2"), "", ec2Body, 400, "<Code>IncompleteSignature</Code>"},
		{"other region", sig("eu-west-1", "ec2"), "", ec2Body, 403, "SignatureDoesNotMatch"},
		{"IAM is global", sig("aws-global", "iam"), "", "Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=arn:aws:iam::123456789012:role/x&ActionNames.member.1=ec2:DescribeVpcs", 404, "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>"},
		{"unknown service", sig("us-east-1", "lambda"), "", "{}", 501, "NotImplemented"},
		{"unknown EC2 action", sig("us-east-1", "ec2"), "", "Action=RunInstances&Version=2016-11-15", 400, "<Code>InvalidAction</Code>"},
		{"unknown JSON operation", sig("us-east-1", "sagemaker"), "SageMaker.CreateModel", "{}", 400, "UnknownOperationException"},
		{"ok", sig("us-east-1", "ec2"), "", ec2Body, 200, "<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>"},
	}
	for _, tc := range cases {
		status, body := do(tc.auth, tc.target, tc.body)
		if status != tc.status || !strings.Contains(body, tc.contains) {
			t.Errorf("%s: %d %s\nwant %d containing %s", tc.name, status, body, tc.status, tc.contains)
		}
	}
	st := srv.Stats()
	if st.Regions["eu-west-1"] != 1 || st.Regions["us-east-1"] != 3 || st.Calls["ec2:RunInstances"] != 1 {
		t.Errorf("stats: %+v", st)
	}

	// AnyRegion serves every region, and records it.
	srv2, base2 := Start(t, &Scenario{AnyRegion: true, VPCs: []VPC{{ID: "vpc-1"}}})
	out, err := ec2.NewFromConfig(TestConfig(base2, "ap-southeast-2")).DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{})
	must(t, err)
	if len(out.Vpcs) != 1 || srv2.Stats().Regions["ap-southeast-2"] != 1 {
		t.Errorf("any region: %+v %+v", out.Vpcs, srv2.Stats().Regions)
	}
}

// TestLoadDefaultConfig goes through config.LoadDefaultConfig and
// AWS_ENDPOINT_URL, as vpcguard's functions do.
func TestLoadDefaultConfig(t *testing.T) {
	_, base := Start(t, &Scenario{Account: "444455556666", Region: "eu-central-1"})
	t.Setenv("AWS_CA_BUNDLE", "/nonexistent/ca.pem") // must be ignored
	cfg := LoadTestConfig(t, base, "eu-central-1")
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	must(t, err)
	if aws.ToString(out.Account) != "444455556666" {
		t.Errorf("account %s", aws.ToString(out.Account))
	}
}

func TestConcurrentCalls(t *testing.T) {
	ctx := context.Background()
	sc := &Scenario{}
	for i := 0; i < 200; i++ {
		sc.Models = append(sc.Models, Model{Name: fmt.Sprintf("m-%d", i)})
	}
	sc.VPCs = []VPC{{ID: "vpc-1"}}
	sc.RouteTables = []RouteTable{{ID: "rtb-1", VPC: "vpc-1"}}
	srv, cfg := start(t, sc)
	sm, e := sagemaker.NewFromConfig(cfg), ec2.NewFromConfig(cfg)
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i := 0; i < 200; i++ {
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			_, err := sm.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String(fmt.Sprintf("m-%d", i))})
			errs <- err
		}(i)
		go func(i int) {
			defer wg.Done()
			if i%20 == 0 {
				out, err := e.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String("vpc-1"), ServiceName: aws.String("com.amazonaws.us-east-1.sagemaker.api"), VpcEndpointType: "Interface"})
				if err == nil && out.VpcEndpoint == nil {
					err = fmt.Errorf("no endpoint")
				}
				errs <- err
				return
			}
			_, err := e.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if srv.Calls("*") != 400 || len(srv.Writes()) != 10 || srv.Stats().MaxInFlight < 2 {
		t.Errorf("calls %d, writes %d, max in flight %d", srv.Calls("*"), len(srv.Writes()), srv.Stats().MaxInFlight)
	}
}

func TestDecodeQuery(t *testing.T) {
	form, _ := url.ParseQuery("Action=X&Version=1&RouteTableId.2=b&RouteTableId.1=a&RouteTableId.10=j&TagSpecification.1.ResourceType=vpc-endpoint&TagSpecification.1.Tag.1.Key=k&TagSpecification.1.Tag.1.Value=v&ActionNames.member.1=ec2:A&MessageAttributes.entry.1.Name=n&MessageAttributes.entry.1.Value.DataType=String")
	got := decodeQuery(form)
	want := `map[ActionNames:[ec2:A] MessageAttributes:[map[Name:n Value:map[DataType:String]]] RouteTableId:[a b j] TagSpecification:[map[ResourceType:vpc-endpoint Tag:[map[Key:k Value:v]]]]]`
	if fmt.Sprint(got) != want {
		t.Errorf("got  %v\nwant %s", got, want)
	}
}

func TestWildcard(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{{"*", "", true}, {"ec2:*", "ec2:DescribeVpcs", true}, {"ec2:describe*", "ec2:describevpcs", true}, {"ec2:*NetworkInterface", "ec2:CreateNetworkInterfacePermission", false},
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"*b*d", "abcbd", true}, {`a\*`, "a*", true}, {`a\*`, "ab", false}, {"exact", "exact", true}} {
		if got := wildcard(tc.p, tc.s); got != tc.want {
			t.Errorf("wildcard(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

// TestNoConnectionRace runs many calls with large responses and no retries:
// with HTTPClient (TestConfig's client) none may fail with the SDK's
// "use of closed network connection" race.
func TestNoConnectionRace(t *testing.T) {
	sc := &Scenario{VPCs: []VPC{{ID: "vpc-1"}}}
	for i := 0; i < 20; i++ {
		sc.RouteTables = append(sc.RouteTables, RouteTable{ID: fmt.Sprintf("rtb-%d", i), VPC: "vpc-1"})
	}
	_, cfg := start(t, sc)
	cfg.RetryMaxAttempts = 1
	c := ec2.NewFromConfig(cfg)
	n := 1500 // with a plain http.Client about 1 call in 500 failed
	if testing.Short() {
		n = 150
	}
	for i := 0; i < n; i++ {
		if _, err := c.DescribeRouteTables(context.Background(), &ec2.DescribeRouteTablesInput{MaxResults: aws.Int32(100)}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
}
