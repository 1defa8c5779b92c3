package securityhub

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
)

const (
	acct   = "111122223333"
	region = "us-east-1"
	vpcID  = "vpc-0b1b2c3d4e5f60002"
)

var at = time.Date(2026, 11, 20, 10, 0, 0, 123e6, time.UTC)

func ref(typ, id string) report.Ref { return report.Ref{Type: typ, ID: id} }

// sample is a CreateEndpointConfig result with a failing model check, a
// failing info check, an unverified check, a pass and a check that does not
// apply.
func sample() report.Result {
	return report.Result{
		Event: report.Event{ID: "ev-1", Name: "CreateEndpointConfig", Source: "sagemaker.amazonaws.com",
			Account: acct, Region: region, Actor: "arn:aws:iam::111122223333:role/ml-engineer"},
		Mode:     report.ModeReport,
		Resource: &report.Resource{Type: report.ResourceEndpointConfig, ID: "churn-config"},
		Checks: []report.Check{
			{ID: checks.ModelInVPC, Status: report.StatusFail, Severity: report.SeverityHigh,
				Verdicts: []report.Verdict{{Subject: ref(report.ResourceModel, "Churn-V7"), Status: report.StatusFail,
					Message: "model Churn-V7 has no VpcConfig", Remediation: "aws sagemaker create-model --model-name churn-v7-vpc ..."}}},
			{ID: checks.VPCFlowLogs, Status: report.StatusFail, Severity: report.SeverityInfo,
				Verdicts: []report.Verdict{{Subject: ref(report.ResourceVPC, vpcID), Status: report.StatusFail,
					Message: vpcID + " has no active flow log", Remediation: "aws ec2 create-flow-logs ..."}}},
			{ID: checks.VPCDNS, Status: report.StatusUnknown, Severity: report.SeverityHigh,
				Verdicts: []report.Verdict{{Subject: ref(report.ResourceVPC, vpcID), Status: report.StatusUnknown,
					Message: "could not verify the DNS attributes of " + vpcID + ": AccessDenied", Remediation: "Grant ec2:DescribeVpcAttribute"}}},
			{ID: checks.SubnetsMultiAZ, Status: report.StatusPass, Severity: report.SeverityMedium,
				Verdicts: []report.Verdict{{Subject: ref(report.ResourceModel, "churn-v7"), Status: report.StatusPass,
					Message: "model churn-v7 spans 2 zones", Related: []report.Ref{ref(report.ResourceSubnet, "subnet-a"), ref(report.ResourceSubnet, "subnet-b")}}}},
			{ID: checks.S3EndpointRoutes, Status: report.StatusNotApplicable, Severity: report.SeverityHigh,
				Verdicts: []report.Verdict{{Subject: ref(report.ResourceVPC, vpcID), Status: report.StatusNotApplicable,
					Message: vpcID + " has no S3 gateway endpoint"}}},
		},
		Actions: []report.Action{},
	}
}

func byCheck(t *testing.T, fs []Finding, check string) Finding {
	t.Helper()
	for _, f := range fs {
		if f.Check == check {
			return f
		}
	}
	t.Fatalf("no finding for %s among %d", check, len(fs))
	return Finding{}
}

func TestRenderRequiredFieldsAndStatusMapping(t *testing.T) {
	fs := Render(sample(), at, Options{Partition: "aws", Version: "v1.2.3"})
	if len(fs) != 5 {
		t.Fatalf("%d findings, want one per verdict (5)", len(fs))
	}
	for _, f := range fs {
		a := f.ASFF
		for name, v := range map[string]*string{
			"SchemaVersion": a.SchemaVersion, "Id": a.Id, "ProductArn": a.ProductArn, "GeneratorId": a.GeneratorId,
			"AwsAccountId": a.AwsAccountId, "CreatedAt": a.CreatedAt, "UpdatedAt": a.UpdatedAt, "Title": a.Title,
			"Description": a.Description, "CompanyName": a.CompanyName, "ProductName": a.ProductName,
		} {
			if aws.ToString(v) == "" {
				t.Errorf("%s: %s is empty", f.Check, name)
			}
		}
		if *a.SchemaVersion != "2018-10-08" || *a.ProductArn != "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default" ||
			*a.GeneratorId != f.Check || *a.AwsAccountId != acct || *a.CompanyName != "vpcguard" || *a.ProductName != "vpcguard" {
			t.Errorf("%s: identity fields %v %v %v %v", f.Check, *a.SchemaVersion, *a.ProductArn, *a.GeneratorId, *a.AwsAccountId)
		}
		if *a.CreatedAt != "2026-11-20T10:00:00.123Z" || *a.UpdatedAt != *a.CreatedAt {
			t.Errorf("%s: CreatedAt %s UpdatedAt %s", f.Check, *a.CreatedAt, *a.UpdatedAt)
		}
		if len(a.Types) != 1 || a.Types[0] != FindingType || a.FindingProviderFields == nil || a.FindingProviderFields.Severity == nil ||
			a.FindingProviderFields.Severity.Label != a.Severity.Label || len(a.Resources) == 0 {
			t.Errorf("%s: types %v, provider fields %+v, %d resources", f.Check, a.Types, a.FindingProviderFields, len(a.Resources))
		}
		if pf := a.ProductFields; pf["vpcguard/CheckId"] != f.Check || pf["vpcguard/EventId"] != "ev-1" || pf["vpcguard/Version"] != "v1.2.3" ||
			pf["vpcguard/Mode"] != "report" || pf["vpcguard/CheckStatus"] != string(f.Status) {
			t.Errorf("%s: product fields %v", f.Check, pf)
		}
	}

	type want struct {
		compliance types.ComplianceStatus
		record     types.RecordState
		severity   types.SeverityLabel
		recorded   bool
		fix        bool
	}
	for check, w := range map[string]want{
		checks.ModelInVPC:       {types.ComplianceStatusFailed, types.RecordStateActive, types.SeverityLabelHigh, true, true},
		checks.VPCFlowLogs:      {types.ComplianceStatusFailed, types.RecordStateActive, types.SeverityLabelInformational, true, true},
		checks.VPCDNS:           {types.ComplianceStatusNotAvailable, types.RecordStateActive, types.SeverityLabelHigh, true, true},
		checks.SubnetsMultiAZ:   {types.ComplianceStatusPassed, types.RecordStateArchived, types.SeverityLabelInformational, false, false},
		checks.S3EndpointRoutes: {types.ComplianceStatusNotAvailable, types.RecordStateArchived, types.SeverityLabelInformational, false, false},
	} {
		f := byCheck(t, fs, check)
		if f.ASFF.Compliance.Status != w.compliance || f.ASFF.RecordState != w.record || f.ASFF.Severity.Label != w.severity || f.Record != w.recorded {
			t.Errorf("%s: %s/%s/%s record=%v, want %s/%s/%s record=%v", check, f.ASFF.Compliance.Status, f.ASFF.RecordState,
				f.ASFF.Severity.Label, f.Record, w.compliance, w.record, w.severity, w.recorded)
		}
		if got := f.ASFF.Remediation != nil; got != w.fix {
			t.Errorf("%s: remediation present = %v, want %v", check, got, w.fix)
		}
	}
	if d := *byCheck(t, fs, checks.VPCDNS).ASFF.Description; !strings.HasPrefix(d, "Not verified: could not verify the DNS attributes") {
		t.Errorf("unknown description %q", d)
	}
}

func TestRenderControlsResourcesAndIds(t *testing.T) {
	fs := Render(sample(), at, Options{})
	model := byCheck(t, fs, checks.ModelInVPC).ASFF
	if *model.Id != "vpcguard/aws/us-east-1/111122223333/model-in-vpc/churn-v7" {
		t.Errorf("Id = %s", *model.Id)
	}
	if want := []string{"AWS Config sagemaker-model-in-vpc"}; !reflect.DeepEqual(model.Compliance.RelatedRequirements, want) ||
		model.ProductFields["vpcguard/Controls"] != want[0] {
		t.Errorf("controls %v / %q", model.Compliance.RelatedRequirements, model.ProductFields["vpcguard/Controls"])
	}
	flow := byCheck(t, fs, checks.VPCFlowLogs).ASFF
	if want := []string{"AWS Security Hub EC2.6", "AWS Config vpc-flow-logs-enabled"}; !reflect.DeepEqual(flow.Compliance.RelatedRequirements, want) {
		t.Errorf("vpc-flow-logs requirements %v", flow.Compliance.RelatedRequirements)
	}
	// The model: Other with its CloudFormation type; the endpoint config the
	// event was about is named too.
	if len(model.Resources) != 2 {
		t.Fatalf("model resources %+v", model.Resources)
	}
	r0, r1 := model.Resources[0], model.Resources[1]
	if *r0.Type != "Other" || *r0.Id != "arn:aws:sagemaker:us-east-1:111122223333:model/churn-v7" || r0.Details.Other["Type"] != "AWS::SageMaker::Model" ||
		r0.Details.Other["ModelName"] != "Churn-V7" || r0.Partition != types.PartitionAws || *r0.Region != region {
		t.Errorf("subject resource %+v %+v", r0, r0.Details)
	}
	if *r1.Type != "Other" || *r1.Id != "arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/churn-config" || r1.Details.Other["Type"] != "AWS::SageMaker::EndpointConfig" {
		t.Errorf("event resource %+v", r1)
	}
	multiAZ := byCheck(t, fs, checks.SubnetsMultiAZ).ASFF
	if got := *multiAZ.Resources[1].Type + " " + *multiAZ.Resources[1].Id; got != "AwsEc2Subnet arn:aws:ec2:us-east-1:111122223333:subnet/subnet-a" {
		t.Errorf("subnet resource %s", got)
	}
	if *flow.Resources[0].Type != "AwsEc2Vpc" || *flow.Resources[0].Id != "arn:aws:ec2:us-east-1:111122223333:vpc/"+vpcID {
		t.Errorf("vpc resource %+v", flow.Resources[0])
	}
	// Every native type and the Other types.
	for typ, want := range map[string]string{
		report.ResourceSecurityGroup: "AwsEc2SecurityGroup arn:aws-cn:ec2:cn-north-1:111122223333:security-group/sg-1",
		report.ResourceRouteTable:    "AwsEc2RouteTable arn:aws-cn:ec2:cn-north-1:111122223333:route-table/rtb-1",
		report.ResourceNetworkACL:    "AwsEc2NetworkAcl arn:aws-cn:ec2:cn-north-1:111122223333:network-acl/acl-1",
		report.ResourceBucket:        "AwsS3Bucket arn:aws-cn:s3:::bkt",
		report.ResourceRole:          "AwsIamRole arn:aws-cn:iam::111122223333:role/r",
		report.ResourceVPCEndpoint:   "Other arn:aws-cn:ec2:cn-north-1:111122223333:vpc-endpoint/vpce-1",
		report.ResourceEndpoint:      "Other arn:aws-cn:sagemaker:cn-north-1:111122223333:endpoint/ep",
	} {
		id := map[string]string{report.ResourceSecurityGroup: "sg-1", report.ResourceRouteTable: "rtb-1", report.ResourceNetworkACL: "acl-1", report.ResourceBucket: "bkt",
			report.ResourceRole: "r", report.ResourceVPCEndpoint: "vpce-1", report.ResourceEndpoint: "EP"}[typ]
		r := resource(ref(typ, id), "aws-cn", "cn-north-1", acct)
		if got := *r.Type + " " + *r.Id; got != want {
			t.Errorf("%s: %s, want %s", typ, got, want)
		}
	}
}

func TestRenderRepairsAndActions(t *testing.T) {
	r := report.Result{
		Event: report.Event{ID: "ev-2", Name: "CreateModel", Account: acct, Region: region}, Mode: report.ModeRemediate,
		Checks: []report.Check{
			{ID: checks.S3EndpointPresent, Status: report.StatusFail, Severity: report.SeverityHigh, Verdicts: []report.Verdict{
				{Subject: ref(report.ResourceVPC, vpcID), Status: report.StatusFail, Message: vpcID + " has no S3 gateway endpoint"}}},
			{ID: checks.S3EndpointRoutes, Status: report.StatusFail, Severity: report.SeverityHigh, Verdicts: []report.Verdict{
				{Subject: ref(report.ResourceVPC, "vpc-2"), Status: report.StatusFail, Message: "not on rtb-1, rtb-2",
					Related: []report.Ref{ref(report.ResourceVPCEndpoint, "vpce-2"), ref(report.ResourceRouteTable, "rtb-1"), ref(report.ResourceRouteTable, "rtb-2")}}}},
			{ID: checks.S3EndpointDeniesALRepos, Status: report.StatusFail, Severity: report.SeverityMedium, Verdicts: []report.Verdict{
				{Subject: ref(report.ResourceVPCEndpoint, "vpce-3"), Status: report.StatusFail, Message: "reads AL repos"}}},
		},
		Actions: []report.Action{
			{ID: report.ActionCreateS3GatewayEndpoint, Status: report.ActionApplied, Resources: []string{vpcID, "rtb-0"},
				Detail: map[string]any{remediate.DetailCheck: checks.S3EndpointPresent}},
			// Half of the routes: one table applied, the other refused.
			{ID: report.ActionAssociateRouteTables, Status: report.ActionApplied, Resources: []string{"vpce-2", "rtb-1"},
				Detail: map[string]any{remediate.DetailCheck: checks.S3EndpointRoutes}},
			{ID: report.ActionAssociateRouteTables, Status: report.ActionSkipped, Resources: []string{"vpce-2", "rtb-2"},
				Detail: map[string]any{remediate.DetailCheck: checks.S3EndpointRoutes}},
			{ID: report.ActionAddALRepoDeny, Status: report.ActionPlanned, Resources: []string{"vpce-3"},
				Detail: map[string]any{remediate.DetailCheck: checks.S3EndpointDeniesALRepos}},
		},
	}
	fs := Render(r, at, Options{})
	present := byCheck(t, fs, checks.S3EndpointPresent)
	if present.Status != report.StatusPass || !present.Record || present.ASFF.RecordState != types.RecordStateArchived ||
		present.ASFF.Compliance.Status != types.ComplianceStatusPassed || present.ASFF.ProductFields["vpcguard/Action"] != report.ActionCreateS3GatewayEndpoint ||
		present.ASFF.ProductFields["vpcguard/ActionStatus"] != "applied" || !strings.HasPrefix(*present.ASFF.Description, "Repaired by vpcguard (create-s3-gateway-endpoint") {
		t.Errorf("repaired: %s record=%v %s %v %q", present.Status, present.Record, present.ASFF.RecordState, present.ASFF.ProductFields, *present.ASFF.Description)
	}
	if routes := byCheck(t, fs, checks.S3EndpointRoutes); routes.Status != report.StatusFail || routes.ASFF.RecordState != types.RecordStateActive {
		t.Errorf("a partly refused repair counts as repaired: %s %s", routes.Status, routes.ASFF.RecordState)
	}
	deny := byCheck(t, fs, checks.S3EndpointDeniesALRepos)
	if deny.Status != report.StatusFail || deny.ASFF.ProductFields["vpcguard/Action"] != report.ActionAddALRepoDeny || deny.ASFF.ProductFields["vpcguard/ActionStatus"] != "planned" {
		t.Errorf("planned repair: %s %v", deny.Status, deny.ASFF.ProductFields)
	}
}

// TestRenderExempt: a check or verdict with the exemption status is
// archived with the exemption in ProductFields, and recorded.
func TestRenderExempt(t *testing.T) {
	r := sample()
	r.Checks[0].Status = statusExempt
	r.Checks[0].Verdicts[0].Message = "model Churn-V7 is tagged vpcguard:exempt=ticket-42"
	f := byCheck(t, Render(r, at, Options{}), checks.ModelInVPC)
	if f.Status != statusExempt || !f.Record || f.ASFF.RecordState != types.RecordStateArchived || f.ASFF.Compliance.Status != types.ComplianceStatusFailed ||
		f.ASFF.ProductFields["vpcguard/Exemption"] != "model Churn-V7 is tagged vpcguard:exempt=ticket-42" {
		t.Errorf("exempt: %s record=%v %s %s %v", f.Status, f.Record, f.ASFF.RecordState, f.ASFF.Compliance.Status, f.ASFF.ProductFields)
	}
}

func TestRenderNothingForSkippedOrUnplacedResults(t *testing.T) {
	r := sample()
	r.Skipped = "the call failed (ValidationException): nothing changed"
	if fs := Render(r, at, Options{}); len(fs) != 0 {
		t.Errorf("skipped result: %d findings", len(fs))
	}
	r = sample()
	r.Event.Account = ""
	if fs := Render(r, at, Options{}); len(fs) != 0 {
		t.Errorf("no account: %d findings", len(fs))
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	a, b := Render(sample(), at, Options{Version: "x"}), Render(sample(), at, Options{Version: "x"})
	if !reflect.DeepEqual(a, b) {
		t.Error("the same result renders differently")
	}
}

// TestRenderKeepsEveryFieldWithinLimits: a long message and fix are
// shortened with a note, the fix is kept in ProductFields, and the Id is
// untouched.
func TestRenderKeepsEveryFieldWithinLimits(t *testing.T) {
	r := sample()
	v := &r.Checks[0].Verdicts[0]
	v.Message = strings.Repeat("ä very long message ", 300)
	v.Remediation = strings.Repeat("aws ec2 something --with-args ", 120)
	for i := range 40 {
		v.Related = append(v.Related, ref(report.ResourceSubnet, fmt.Sprintf("subnet-%02d", i)))
	}
	f := byCheck(t, Render(r, at, Options{}), checks.ModelInVPC).ASFF
	if n := utf8.RuneCountInString(*f.Description); n > maxDescription || !strings.HasSuffix(*f.Description, shortenedNote) {
		t.Errorf("description: %d characters, ends %q", n, (*f.Description)[len(*f.Description)-30:])
	}
	rec := *f.Remediation.Recommendation.Text
	if n := utf8.RuneCountInString(rec); n > maxRecommendation || !strings.Contains(rec, "ProductFields vpcguard/Fix") {
		t.Errorf("recommendation: %d characters: %q", n, rec[len(rec)-60:])
	}
	if fix := f.ProductFields["vpcguard/Fix"]; utf8.RuneCountInString(fix) > maxFieldValue || !strings.HasPrefix(fix, "aws ec2 something") {
		t.Errorf("ProductFields vpcguard/Fix: %d characters", utf8.RuneCountInString(fix))
	}
	if got := f.ProductFields["vpcguard/Shortened"]; !strings.Contains(got, "Description") || !strings.Contains(got, "Remediation.Recommendation.Text") {
		t.Errorf("vpcguard/Shortened = %q", got)
	}
	if len(f.Resources) != MaxResources || f.Resources[0].Details.Other["vpcguard/RelatedResourcesOmitted"] != "10" {
		t.Errorf("%d resources, omitted note %q", len(f.Resources), f.Resources[0].Details.Other["vpcguard/RelatedResourcesOmitted"])
	}
	if *f.Id != "vpcguard/aws/us-east-1/111122223333/model-in-vpc/churn-v7" {
		t.Errorf("Id changed: %s", *f.Id)
	}
}

// TestFitShortensToTheSizeLimit: a finding over 240 KB is shortened in its
// text fields, never its Id, until it fits.
func TestFitShortensToTheSizeLimit(t *testing.T) {
	f := types.AwsSecurityFinding{
		Id: aws.String("vpcguard/aws/us-east-1/111122223333/vpc-dns/vpc-1"), Description: aws.String("d"),
		ProductFields: map[string]string{},
	}
	for i := range 45 {
		f.ProductFields[fmt.Sprintf("vpcguard/K%02d", i)] = strings.Repeat("v", 2000)
	}
	for i := range 32 {
		other := map[string]string{}
		for k := range 40 {
			other[fmt.Sprintf("k%02d", k)] = strings.Repeat("o", 1000)
		}
		f.Resources = append(f.Resources, types.Resource{Type: aws.String("Other"), Id: aws.String(fmt.Sprintf("r%d", i)),
			Details: &types.ResourceDetails{Other: other}})
	}
	if Size(f) <= MaxFindingBytes {
		t.Fatalf("the test finding is only %d bytes", Size(f))
	}
	fit(&f)
	if n := Size(f); n > MaxFindingBytes {
		t.Fatalf("after fit: %d bytes", n)
	}
	if *f.Id != "vpcguard/aws/us-east-1/111122223333/vpc-dns/vpc-1" || len(f.Resources) != 32 {
		t.Errorf("Id %s, %d resources", *f.Id, len(f.Resources))
	}
	if !strings.Contains(f.ProductFields["vpcguard/Shortened"], "Resources[].Details.Other") {
		t.Errorf("shortened = %q", f.ProductFields["vpcguard/Shortened"])
	}
}

// TestSizeCountsWhatTheSDKSends: nil members are left out, as the
// rest-json serializer does.
func TestSizeCountsWhatTheSDKSends(t *testing.T) {
	f := types.AwsSecurityFinding{Id: aws.String("x"), RecordState: types.RecordStateActive}
	if got, want := Size(f), len(`{"Id":"x","RecordState":"ACTIVE"}`); got != want {
		t.Errorf("Size = %d, want %d", got, want)
	}
}

// TestSizeBoundIsAnUpperBound: the bound fit uses to skip encoding is
// never under the size Size counts, for findings as Render makes them and
// for text that JSON escapes the most (control characters, HTML, quotes,
// non-ASCII).
func TestSizeBoundIsAnUpperBound(t *testing.T) {
	nasty := "\x01\"\\<>&\u2028é€😀 " + strings.Repeat("\x1f<", 40)
	severity := types.Severity{Label: types.SeverityLabelHigh, Normalized: aws.Int32(70), Product: aws.Float64(7.5)}
	findings := []types.AwsSecurityFinding{
		{},
		{Id: aws.String("x"), RecordState: types.RecordStateActive},
		{
			Id: aws.String(nasty), Title: aws.String(nasty), Description: aws.String(strings.Repeat(nasty, 20)),
			Severity: &severity, Types: []string{nasty, "Software and Configuration Checks"},
			ProductFields: map[string]string{nasty: nasty, "vpcguard/CheckId": "vpc-dns"},
			Resources: []types.Resource{{Type: aws.String("Other"), Id: aws.String(nasty),
				Details: &types.ResourceDetails{Other: map[string]string{nasty: nasty}}}},
			Compliance: &types.Compliance{Status: types.ComplianceStatusFailed, RelatedRequirements: []string{nasty}},
		},
	}
	for _, f := range Render(sample(), time.Now(), Options{Partition: "aws", Version: "test"}) {
		findings = append(findings, f.ASFF)
	}
	for i, f := range findings {
		if b, n := sizeBound(reflect.ValueOf(f)), Size(f); b < n {
			t.Errorf("finding %d: bound %d < size %d", i, b, n)
		}
	}
}
