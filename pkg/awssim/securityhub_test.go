package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"
)

const hubProduct = "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"

func hubClient(t *testing.T) (*Server, *securityhub.Client) {
	t.Helper()
	srv, url := Start(t, &Scenario{Account: "111122223333", Region: "us-east-1"})
	return srv, securityhub.NewFromConfig(TestConfig(url, "us-east-1"))
}

// hubFinding is a minimal valid finding.
func hubFinding(id, updated string) types.AwsSecurityFinding {
	return types.AwsSecurityFinding{
		SchemaVersion: aws.String("2018-10-08"), Id: aws.String(id), ProductArn: aws.String(hubProduct),
		GeneratorId: aws.String("vpc-dns"), AwsAccountId: aws.String("111122223333"),
		Types:     []string{"Software and Configuration Checks/AWS Security Best Practices"},
		CreatedAt: aws.String("2026-11-20T10:00:00.000Z"), UpdatedAt: aws.String(updated),
		Severity: &types.Severity{Label: types.SeverityLabelHigh}, Title: aws.String("t"), Description: aws.String("d"),
		Resources:   []types.Resource{{Type: aws.String("AwsEc2Vpc"), Id: aws.String("arn:aws:ec2:us-east-1:111122223333:vpc/vpc-1")}},
		RecordState: types.RecordStateActive,
		Compliance:  &types.Compliance{Status: types.ComplianceStatusFailed},
	}
}

func TestSecurityHubValidatesEachFinding(t *testing.T) {
	_, c := hubClient(t)
	long := func(n int) *string { return aws.String(strings.Repeat("x", n)) }
	cases := map[string]struct {
		edit func(*types.AwsSecurityFinding)
		want string
	}{
		"empty title":        {func(f *types.AwsSecurityFinding) { f.Title = aws.String("") }, "data.Title should NOT be shorter than 1 characters."},
		"long title":         {func(f *types.AwsSecurityFinding) { f.Title = long(257) }, "data.Title should NOT be longer than 256 characters."},
		"blank description":  {func(f *types.AwsSecurityFinding) { f.Description = aws.String("   ") }, `data.Description should match pattern ".*\S.*".`},
		"long description":   {func(f *types.AwsSecurityFinding) { f.Description = long(1025) }, "data.Description should NOT be longer than 1024 characters."},
		"long id":            {func(f *types.AwsSecurityFinding) { f.Id = long(513) }, "data.Id should NOT be longer than 512 characters."},
		"schema version":     {func(f *types.AwsSecurityFinding) { f.SchemaVersion = aws.String("2020-01-01") }, "data.SchemaVersion should be equal to one of the allowed values"},
		"bad timestamp":      {func(f *types.AwsSecurityFinding) { f.UpdatedAt = aws.String("yesterday") }, `data.UpdatedAt should match format "date-time".`},
		"no severity":        {func(f *types.AwsSecurityFinding) { f.Severity = nil }, "data should have required property 'Severity'."},
		"bad type namespace": {func(f *types.AwsSecurityFinding) { f.Types = []string{"Checks/Foo"} }, "data.Types should match the namespace/category/classifier format"},
		"no resources":       {func(f *types.AwsSecurityFinding) { f.Resources = []types.Resource{} }, "data.Resources should NOT have fewer than 1 items."},
		"33 resources": {func(f *types.AwsSecurityFinding) {
			for range 32 {
				f.Resources = append(f.Resources, f.Resources[0])
			}
		}, "data.Resources should NOT have more than 32 items."},
		"long recommendation": {func(f *types.AwsSecurityFinding) {
			f.Remediation = &types.Remediation{Recommendation: &types.Recommendation{Text: long(513)}}
		}, "data.Remediation.Recommendation.Text should NOT be longer than 512 characters."},
		"long product field": {func(f *types.AwsSecurityFinding) { f.ProductFields = map[string]string{"k": *long(2049)} },
			`data.ProductFields["k"] should NOT be longer than 2048 characters.`},
		"51 product fields": {func(f *types.AwsSecurityFinding) {
			f.ProductFields = map[string]string{}
			for i := range 51 {
				f.ProductFields[fmt.Sprint(i)] = "v"
			}
		}, "data.ProductFields should NOT have more than 50 properties."},
		"long other value": {func(f *types.AwsSecurityFinding) {
			f.Resources[0].Details = &types.ResourceDetails{Other: map[string]string{"k": *long(1024)}}
		}, `data.Resources[0].Details.Other["k"] should NOT be longer than 1023 characters.`},
		"over 240 KB": {func(f *types.AwsSecurityFinding) {
			f.ProductFields = map[string]string{}
			for i := range 40 {
				f.ProductFields[fmt.Sprint(i)] = *long(2000)
			}
			for i := range 31 {
				f.Resources = append(f.Resources, types.Resource{Type: aws.String("Other"), Id: aws.String(fmt.Sprint(i)),
					Details: &types.ResourceDetails{Other: map[string]string{"a": *long(1000), "b": *long(1000), "c": *long(1000), "d": *long(1000), "e": *long(1000), "f": *long(1000)}}})
			}
		}, "the maximum size of a finding is 240 KB"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := hubFinding("vpcguard/x/"+strings.ReplaceAll(name, " ", "-"), "2026-11-20T10:00:00.000Z")
			tc.edit(&f)
			out, err := c.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{f, hubFinding("good", "2026-11-20T10:00:00.000Z")}})
			if err != nil {
				t.Fatal(err)
			}
			if *out.FailedCount != 1 || *out.SuccessCount != 1 || len(out.FailedFindings) != 1 {
				t.Fatalf("failed %d, success %d", *out.FailedCount, *out.SuccessCount)
			}
			got := out.FailedFindings[0]
			if *got.ErrorCode != "InvalidInput" || !strings.HasPrefix(*got.ErrorMessage, "Finding does not adhere to Amazon Finding Format. ") ||
				!strings.Contains(*got.ErrorMessage, tc.want) {
				t.Errorf("%s: %s", *got.ErrorCode, *got.ErrorMessage)
			}
		})
	}
}

func TestSecurityHubRequestLimitsAndAccounts(t *testing.T) {
	_, c := hubClient(t)
	ctx := context.Background()
	many := make([]types.AwsSecurityFinding, 101)
	for i := range many {
		many[i] = hubFinding(fmt.Sprint("f", i), "2026-11-20T10:00:00.000Z")
	}
	var invalid *types.InvalidInputException
	if _, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: many}); !errors.As(err, &invalid) {
		t.Errorf("101 findings: %v", err)
	}
	other := hubFinding("x", "2026-11-20T10:00:00.000Z")
	other.AwsAccountId = aws.String("999988887777")
	var api smithy.APIError
	if _, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{other}}); !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" {
		t.Errorf("another account's finding: %v", err)
	}
	foreign := hubFinding("x", "2026-11-20T10:00:00.000Z")
	foreign.ProductArn = aws.String("arn:aws:securityhub:us-east-1:999988887777:product/999988887777/default")
	if _, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{foreign}}); !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" {
		t.Errorf("another account's product: %v", err)
	}
}

// TestSecurityHubUpdateRule: a later UpdatedAt replaces the finding, an
// older or equal one is ignored, and the fields people own survive.
func TestSecurityHubUpdateRule(t *testing.T) {
	srv, c := hubClient(t)
	ctx := context.Background()
	put := func(f types.AwsSecurityFinding) {
		t.Helper()
		out, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{f}})
		if err != nil || *out.FailedCount != 0 {
			t.Fatalf("%v %+v", err, out)
		}
	}
	put(hubFinding("id-1", "2026-11-20T10:00:00.000Z"))
	if got := srv.Findings()["id-1"]; got["Workflow"].(map[string]any)["Status"] != "NEW" || got["Region"] != "us-east-1" {
		t.Fatalf("new finding %v", got)
	}
	srv.SetWorkflowStatus("id-1", "SUPPRESSED")

	older := hubFinding("id-1", "2026-11-20T09:00:00Z")
	older.Title = aws.String("older")
	put(older)
	same := hubFinding("id-1", "2026-11-20T10:00:00.000Z")
	same.Title = aws.String("same time")
	put(same)
	if got := srv.Findings()["id-1"]["Title"]; got != "t" {
		t.Errorf("an older or equal UpdatedAt replaced the finding: %v", got)
	}

	newer := hubFinding("id-1", "2026-11-20T11:00:00.5+01:00") // 10:00:00.5Z: later
	newer.Title = aws.String("newer")
	newer.RecordState = types.RecordStateArchived
	newer.Workflow = &types.Workflow{Status: types.WorkflowStatusNew}
	newer.Note = &types.Note{Text: aws.String("provider note"), UpdatedBy: aws.String("x"), UpdatedAt: aws.String("2026-11-20T11:00:00Z")}
	put(newer)
	got := srv.Findings()["id-1"]
	if got["Title"] != "newer" || got["RecordState"] != "ARCHIVED" || got["Workflow"].(map[string]any)["Status"] != "SUPPRESSED" || got["Note"] != nil {
		t.Errorf("after a later import: title %v, state %v, workflow %v, note %v", got["Title"], got["RecordState"], got["Workflow"], got["Note"])
	}
}

func TestSecurityHubGetFindingsFiltersAndPages(t *testing.T) {
	_, c := hubClient(t)
	ctx := context.Background()
	var batch []types.AwsSecurityFinding
	for i := range 25 {
		f := hubFinding(fmt.Sprintf("vpcguard/aws/us-east-1/111122223333/vpc-dns/vpc-%02d", i), "2026-11-20T10:00:00Z")
		if i%5 == 0 {
			f.RecordState = types.RecordStateArchived
		}
		batch = append(batch, f)
	}
	batch = append(batch, hubFinding("someone-else/1", "2026-11-20T10:00:00Z"))
	if _, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: batch}); err != nil {
		t.Fatal(err)
	}
	eq := func(v string) types.StringFilter {
		return types.StringFilter{Comparison: types.StringFilterComparisonEquals, Value: aws.String(v)}
	}
	filters := &types.AwsSecurityFindingFilters{
		ProductArn:  []types.StringFilter{eq(hubProduct)},
		RecordState: []types.StringFilter{eq("ACTIVE")},
		Id:          []types.StringFilter{{Comparison: types.StringFilterComparisonPrefix, Value: aws.String("vpcguard/aws/us-east-1/111122223333/")}},
	}
	var ids []string
	pages := 0
	p := securityhub.NewGetFindingsPaginator(c, &securityhub.GetFindingsInput{Filters: filters, MaxResults: aws.Int32(7)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, f := range out.Findings {
			ids = append(ids, *f.Id)
		}
	}
	if len(ids) != 20 || pages != 3 {
		t.Errorf("%d findings in %d pages, want 20 in 3", len(ids), pages)
	}
	// EQUALS values are joined by OR; a NOT_EQUALS excludes.
	out, err := c.GetFindings(ctx, &securityhub.GetFindingsInput{Filters: &types.AwsSecurityFindingFilters{
		Id: []types.StringFilter{eq(*batch[1].Id), eq(*batch[2].Id), eq(*batch[3].Id),
			{Comparison: types.StringFilterComparisonNotEquals, Value: batch[3].Id}},
	}})
	if err != nil || len(out.Findings) != 2 {
		t.Errorf("OR of EQUALS, minus a NOT_EQUALS: %d findings, %v", len(out.Findings), err)
	}

	var invalid *types.InvalidInputException
	tooMany := make([]types.StringFilter, 21)
	for i := range tooMany {
		tooMany[i] = eq(fmt.Sprint(i))
	}
	for name, in := range map[string]*securityhub.GetFindingsInput{
		"21 values":    {Filters: &types.AwsSecurityFindingFilters{Id: tooMany}},
		"MaxResults 0": {MaxResults: aws.Int32(0)},
		"11 attributes": {Filters: &types.AwsSecurityFindingFilters{Id: []types.StringFilter{eq("a")}, ProductArn: []types.StringFilter{eq("a")},
			GeneratorId: []types.StringFilter{eq("a")}, AwsAccountId: []types.StringFilter{eq("a")}, RecordState: []types.StringFilter{eq("a")},
			Title: []types.StringFilter{eq("a")}, CompanyName: []types.StringFilter{eq("a")}, ProductName: []types.StringFilter{eq("a")},
			ComplianceStatus: []types.StringFilter{eq("a")}, SeverityLabel: []types.StringFilter{eq("a")}, WorkflowStatus: []types.StringFilter{eq("a")}}},
	} {
		if _, err := c.GetFindings(ctx, in); !errors.As(err, &invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestSecurityHubServesTheAWSCLI: botocore, an independent client built
// from the service model, imports a finding and reads it back.
func TestSecurityHubServesTheAWSCLI(t *testing.T) {
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	srv, url := Start(t, &Scenario{Account: "111122223333", Region: "us-east-1"})
	dir := t.TempDir()
	finding := map[string]any{
		"SchemaVersion": "2018-10-08", "Id": "vpcguard/aws/us-east-1/111122223333/vpc-dns/vpc-1", "ProductArn": hubProduct,
		"GeneratorId": "vpc-dns", "AwsAccountId": "111122223333", "Types": []string{"Software and Configuration Checks/AWS Security Best Practices"},
		"CreatedAt": "2026-11-20T10:00:00.000Z", "UpdatedAt": "2026-11-20T10:00:00.000Z", "Severity": map[string]any{"Label": "HIGH"},
		"Title": "VPC DNS resolves S3 names: vpc-1", "Description": "enableDnsHostnames is off",
		"Resources":     []map[string]any{{"Type": "AwsEc2Vpc", "Id": "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-1"}},
		"ProductFields": map[string]string{"vpcguard/CheckId": "vpc-dns"},
	}
	b, _ := json.Marshal([]any{finding})
	file := filepath.Join(dir, "findings.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(cli, append([]string{"--endpoint-url", url, "--region", "us-east-1", "--output", "json", "securityhub"}, args...)...)
		cmd.Env = []string{"AWS_ACCESS_KEY_ID=" + TestAccessKeyID, "AWS_SECRET_ACCESS_KEY=" + TestSecretAccessKey,
			"AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull, "HOME=" + dir, "PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws securityhub %s: %v\n%s", args[0], err, out)
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("aws securityhub %s printed %s", args[0], out)
		}
		return m
	}
	imported := run("batch-import-findings", "--findings", "file://"+file)
	if imported["SuccessCount"] != 1.0 || imported["FailedCount"] != 0.0 {
		t.Fatalf("batch-import-findings: %v", imported)
	}
	got := run("get-findings", "--filters", `{"GeneratorId":[{"Value":"vpc-dns","Comparison":"EQUALS"}]}`)
	list, _ := got["Findings"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["Id"] != finding["Id"] || list[0].(map[string]any)["RecordState"] != "ACTIVE" {
		t.Errorf("get-findings: %v", got)
	}
	if len(srv.Findings()) != 1 {
		t.Errorf("%d stored", len(srv.Findings()))
	}
}
