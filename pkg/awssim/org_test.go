package awssim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
)

const (
	central  = "111122223333"
	mlProd   = "444455556666" // trusts the central function roles
	research = "777788889999" // trusts them too, in OU Research under Workloads
	sandbox  = "222233334444" // its vpcguard-member trusts another principal
	legacy   = "333344445555" // no vpcguard-member role
	mgmt     = "999988887777"
)

func startOrg(t *testing.T, edit func(*awssim.OrgScenario)) (*awssim.Org, string) {
	t.Helper()
	o, err := scenarios.LoadOrg("organization")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(o)
	}
	return awssim.StartOrg(t, o)
}

func memberRole(account string) string { return "arn:aws:iam::" + account + ":role/vpcguard-member" }

// assumed is a configuration whose credentials come from AssumeRole into
// account's member role, through the SDK's own provider and cache.
func assumed(base aws.Config, account, region string) aws.Config {
	cfg := base.Copy()
	cfg.Region = region
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), memberRole(account),
		func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "vpcguard-test"; o.Duration = time.Hour }))
	return cfg
}

func errorCode(err error) (string, string) {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode(), api.ErrorMessage()
	}
	return "", ""
}

func modelNames(t *testing.T, cfg aws.Config) []string {
	t.Helper()
	out, err := sagemaker.NewFromConfig(cfg).ListModels(context.Background(), &sagemaker.ListModelsInput{})
	if err != nil {
		t.Fatalf("ListModels in %s: %v", cfg.Region, err)
	}
	var names []string
	for _, m := range out.Models {
		names = append(names, aws.ToString(m.ModelName))
	}
	slices.Sort(names)
	return names
}

// TestOrgRoutesByAccessKeyAndRegion: one URL serves every account and
// Region; the account is the one of the credentials (base or assumed),
// the Region that of the credential scope.
func TestOrgRoutesByAccessKeyAndRegion(t *testing.T) {
	org, url := startOrg(t, nil)
	ctx := context.Background()
	base := awssim.TestConfig(url, "us-east-1")

	id, err := sts.NewFromConfig(base).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != central || aws.ToString(id.Arn) != "arn:aws:sts::111122223333:assumed-role/vpcguard-modelguard/awssim" {
		t.Errorf("base caller = %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
	}
	if got := modelNames(t, base); !slices.Contains(got, "churn-model-v7") || slices.Contains(got, "payments-fraud-v2") {
		t.Errorf("the central account's models = %v", got)
	}

	prod := assumed(base, mlProd, "us-east-1")
	if got := modelNames(t, prod); !slices.Equal(got, []string{"payments-fraud-v2"}) {
		t.Errorf("ml-prod us-east-1 models = %v", got)
	}
	prodEU := assumed(base, mlProd, "eu-west-1")
	if got := modelNames(t, prodEU); len(got) != 0 {
		t.Errorf("ml-prod eu-west-1 (an empty Region) models = %v", got)
	}
	id, err = sts.NewFromConfig(prod).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Arn) != "arn:aws:sts::444455556666:assumed-role/vpcguard-member/vpcguard-test" || aws.ToString(id.Account) != mlProd {
		t.Errorf("assumed caller = %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
	}
	res := assumed(base, research, "eu-west-1")
	vpcs, err := ec2.NewFromConfig(res).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(vpcs.Vpcs) != 1 || aws.ToString(vpcs.Vpcs[0].VpcId) != "vpc-07770000000000001" || aws.ToString(vpcs.Vpcs[0].OwnerId) != research {
		t.Errorf("research eu-west-1 VPCs = %+v, %v", vpcs, err)
	}
	if n := org.Server(research, "eu-west-1").Calls("ec2:DescribeVpcs"); n != 1 {
		t.Errorf("the research account's eu-west-1 server answered %d DescribeVpcs", n)
	}
	// Two Regions of ml-prod, one cache each here: two AssumeRole calls
	// for ml-prod, one for research.
	got := org.AssumedRoles()
	if len(got) != 3 || got[0].Account != mlProd || got[0].Caller != "arn:aws:sts::111122223333:assumed-role/vpcguard-modelguard/awssim" ||
		got[0].SessionName != "vpcguard-test" || got[0].Duration != 3600 || got[2].Account != research {
		t.Errorf("assumed roles = %+v", got)
	}
	if n := org.Global().Calls("sts:AssumeRole"); n != 3 {
		t.Errorf("sts:AssumeRole calls = %d", n)
	}
}

// TestAssumeRoleRefusals: a role that does not exist, a trust policy that
// names someone else, an account outside the organization and a caller the
// trust policy does not name all get STS's AccessDenied, which names the
// caller and the role; bad parameters are ValidationErrors.
func TestAssumeRoleRefusals(t *testing.T) {
	org, url := startOrg(t, nil)
	ctx := context.Background()
	base := awssim.TestConfig(url, "us-east-1")
	client := sts.NewFromConfig(base)
	engineer := base.Copy()
	engineer.Credentials = credentials.NewStaticCredentialsProvider("AKIDMLENGINEER000000", "secret", "")

	denied := func(caller, role string) string {
		return "User: " + caller + " is not authorized to perform: sts:AssumeRole on resource: " + role
	}
	fn := "arn:aws:sts::111122223333:assumed-role/vpcguard-modelguard/awssim"
	for _, tc := range []struct {
		name   string
		client *sts.Client
		in     sts.AssumeRoleInput
		code   string
		msg    string
	}{
		{"trust names another principal", client, sts.AssumeRoleInput{RoleArn: aws.String(memberRole(sandbox))}, "AccessDenied", denied(fn, memberRole(sandbox))},
		{"no such role", client, sts.AssumeRoleInput{RoleArn: aws.String(memberRole(legacy))}, "AccessDenied", denied(fn, memberRole(legacy))},
		{"account outside the organization", client, sts.AssumeRoleInput{RoleArn: aws.String(memberRole("123456789012"))}, "AccessDenied", denied(fn, memberRole("123456789012"))},
		{"caller not in the trust policy", sts.NewFromConfig(engineer), sts.AssumeRoleInput{RoleArn: aws.String(memberRole(mlProd))},
			"AccessDenied", denied("arn:aws:sts::111122223333:assumed-role/ml-engineer/awssim", memberRole(mlProd))},
		{"role path that is not the role's", client, sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::444455556666:role/x/vpcguard-member")}, "AccessDenied", ""},
		{"session name with a space", client, sts.AssumeRoleInput{RoleArn: aws.String(memberRole(mlProd)), RoleSessionName: aws.String("vpcguard event")},
			"ValidationError", `Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"session longer than role chaining allows", client, sts.AssumeRoleInput{RoleArn: aws.String(memberRole(mlProd)), DurationSeconds: aws.Int32(7200)},
			"ValidationError", "1 hour session limit for roles assumed by role chaining"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in.RoleSessionName == nil {
				in.RoleSessionName = aws.String("vpcguard-refusal")
			}
			_, err := tc.client.AssumeRole(ctx, &in)
			code, msg := errorCode(err)
			if code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Errorf("AssumeRole = %v; want %s %q", err, tc.code, tc.msg)
			}
			var re interface{ HTTPStatusCode() int }
			if tc.code == "AccessDenied" && (!errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden) {
				t.Errorf("AccessDenied is not a 403: %v", err)
			}
		})
	}
	if n := len(org.AssumedRoles()); n != 0 {
		t.Errorf("%d refused AssumeRole calls issued credentials", n)
	}
}

// TestIssuedCredentials: assumed credentials need their session token and
// expire; unknown keys are refused in each protocol's words.
func TestIssuedCredentials(t *testing.T) {
	org, url := startOrg(t, nil)
	ctx := context.Background()
	base := awssim.TestConfig(url, "us-east-1")
	out, err := sts.NewFromConfig(base).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(memberRole(mlProd)), RoleSessionName: aws.String("vpcguard-expiry")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(c.SessionToken) == "" ||
		c.Expiration.Sub(time.Now()) < 59*time.Minute || c.Expiration.Sub(time.Now()) > 61*time.Minute {
		t.Errorf("credentials = %+v", c)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::444455556666:assumed-role/vpcguard-member/vpcguard-expiry" {
		t.Errorf("assumed role user = %s", got)
	}
	with := func(akid, secret, token string) aws.Config {
		cfg := base.Copy()
		cfg.Credentials = credentials.NewStaticCredentialsProvider(akid, secret, token)
		return cfg
	}
	good := with(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	if got := modelNames(t, good); !slices.Equal(got, []string{"payments-fraud-v2"}) {
		t.Errorf("models with the issued credentials = %v", got)
	}
	_, err = sagemaker.NewFromConfig(with(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), "forged")).ListModels(ctx, &sagemaker.ListModelsInput{})
	if code, _ := errorCode(err); code != "InvalidClientTokenId" {
		t.Errorf("a forged session token: %v", err)
	}
	_, err = ec2.NewFromConfig(with("AKIDNOBODY0000000000", "s", "")).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if code, _ := errorCode(err); code != "AuthFailure" {
		t.Errorf("EC2 with an unknown key: %v", err)
	}
	_, err = sts.NewFromConfig(with("AKIDNOBODY0000000000", "s", "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if code, _ := errorCode(err); code != "InvalidClientTokenId" {
		t.Errorf("STS with an unknown key: %v", err)
	}
	org.SetClock(func() time.Time { return time.Now().Add(61 * time.Minute) })
	_, err = sagemaker.NewFromConfig(good).ListModels(ctx, &sagemaker.ListModelsInput{})
	if code, msg := errorCode(err); code != "ExpiredToken" || !strings.Contains(msg, "expired") {
		t.Errorf("an hour later: %v", err)
	}
}

// TestOrganizationsLists: the SDK's paginators read the whole
// organization page by page, even when a page is empty; the lists follow
// the service's rules (ListAccountsForParent: direct children only), and
// only the management account and delegated administrators may read them.
func TestOrganizationsLists(t *testing.T) {
	_, url := startOrg(t, func(o *awssim.OrgScenario) { o.PageSize = 2; o.EmptyFirstPage = true })
	ctx := context.Background()
	base := awssim.TestConfig(url, "us-east-1")
	client := organizations.NewFromConfig(base)

	var all []string
	pages := 0
	for p := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range page.Accounts {
			all = append(all, aws.ToString(a.Id))
			if aws.ToString(a.Id) == mlProd && (aws.ToString(a.Arn) != "arn:aws:organizations::999988887777:account/o-a1b2c3d4e5/444455556666" ||
				a.State != "ACTIVE" || aws.ToString(a.Name) != "ml-prod" || a.JoinedTimestamp == nil) {
				t.Errorf("account = %+v", a)
			}
		}
	}
	if want := []string{mgmt, central, mlProd, research, sandbox, legacy}; !slices.Equal(all, want) || pages != 4 {
		t.Errorf("ListAccounts = %v in %d pages; want %v in 4 (an empty first page, then 2 per page)", all, pages, want)
	}

	forParent := func(parent string) []string {
		var out []string
		for p := organizations.NewListAccountsForParentPaginator(client, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)}); p.HasMorePages(); {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("ListAccountsForParent %s: %v", parent, err)
			}
			for _, a := range page.Accounts {
				out = append(out, aws.ToString(a.Id))
			}
		}
		return out
	}
	if got := forParent("r-a1b2"); !slices.Equal(got, []string{mgmt, legacy}) {
		t.Errorf("accounts directly under the root = %v", got)
	}
	if got := forParent("ou-a1b2-workload1"); !slices.Equal(got, []string{mlProd}) {
		t.Errorf("accounts directly in Workloads = %v (Research's are not)", got)
	}
	var ous []string
	for p := organizations.NewListOrganizationalUnitsForParentPaginator(client, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String("ou-a1b2-workload1")}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ou := range page.OrganizationalUnits {
			ous = append(ous, aws.ToString(ou.Id))
			if aws.ToString(ou.Arn) != "arn:aws:organizations::999988887777:ou/o-a1b2c3d4e5/ou-a1b2-research1" || aws.ToString(ou.Name) != "Research" {
				t.Errorf("OU = %+v", ou)
			}
		}
	}
	if !slices.Equal(ous, []string{"ou-a1b2-research1"}) {
		t.Errorf("OUs of Workloads = %v", ous)
	}

	_, err := client.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String("ou-a1b2-missing1")})
	if code, _ := errorCode(err); code != "ParentNotFoundException" {
		t.Errorf("unknown OU: %v", err)
	}
	_, err = client.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: aws.String("not-a-token")})
	if code, _ := errorCode(err); code != "InvalidInputException" {
		t.Errorf("bad token: %v", err)
	}
	_, err = organizations.NewFromConfig(assumed(base, mlProd, "us-east-1")).ListAccounts(ctx, &organizations.ListAccountsInput{})
	var denied interface{ ErrorCode() string }
	if !errors.As(err, &denied) || denied.ErrorCode() != "AccessDeniedException" {
		t.Errorf("a member account reading the organization: %v", err)
	}
}

// TestOrganizationsThrottlingIsRetried: the service's TooManyRequests
// throttle is retried by the SDK's standard retryer.
func TestOrganizationsThrottlingIsRetried(t *testing.T) {
	org, url := startOrg(t, nil)
	if err := org.Global().SetFault("organizations:ListAccounts", awssim.Fault{ThrottleFirst: 2}); err != nil {
		t.Fatal(err)
	}
	out, err := organizations.NewFromConfig(awssim.TestConfig(url, "us-east-1")).ListAccounts(context.Background(), &organizations.ListAccountsInput{})
	if err != nil || len(out.Accounts) != 6 {
		t.Fatalf("ListAccounts = %v, %v", out, err)
	}
	if n := org.Global().Throttles("organizations:ListAccounts"); n != 2 {
		t.Errorf("throttles = %d", n)
	}
}

// TestOrgAnswersTheAWSCLI checks the STS and Organizations answers with an
// independent client, botocore (the AWS CLI), where it is installed.
func TestOrgAnswersTheAWSCLI(t *testing.T) {
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed; skipping the botocore check of STS and Organizations")
	}
	_, url := startOrg(t, nil)
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID="+awssim.TestAccessKeyID, "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	run := func(args ...string) (map[string]any, string) {
		cmd := exec.Command(cli, append(args, "--endpoint-url", url, "--output", "json")...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			return nil, string(out)
		}
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return v, ""
	}
	v, stderr := run("sts", "assume-role", "--role-arn", memberRole(mlProd), "--role-session-name", "vpcguard-cli")
	if stderr != "" {
		t.Fatalf("aws sts assume-role: %s", stderr)
	}
	creds, _ := v["Credentials"].(map[string]any)
	user, _ := v["AssumedRoleUser"].(map[string]any)
	if !strings.HasPrefix(creds["AccessKeyId"].(string), "ASIA") || creds["Expiration"] == nil ||
		user["Arn"] != "arn:aws:sts::444455556666:assumed-role/vpcguard-member/vpcguard-cli" {
		t.Errorf("assume-role = %v", v)
	}
	_, stderr = run("sts", "assume-role", "--role-arn", memberRole(sandbox), "--role-session-name", "vpcguard-cli")
	if !strings.Contains(stderr, "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:sts::111122223333:assumed-role/vpcguard-modelguard/awssim is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222233334444:role/vpcguard-member") {
		t.Errorf("refused assume-role: %s", stderr)
	}
	v, stderr = run("organizations", "list-accounts-for-parent", "--parent-id", "ou-a1b2-research1")
	if stderr != "" {
		t.Fatalf("aws organizations list-accounts-for-parent: %s", stderr)
	}
	accts, _ := v["Accounts"].([]any)
	if len(accts) != 1 || accts[0].(map[string]any)["Id"] != research {
		t.Errorf("list-accounts-for-parent = %v", v)
	}
	v, stderr = run("organizations", "list-accounts", "--max-items", "50")
	if accts, _ := v["Accounts"].([]any); stderr != "" || len(accts) != 6 {
		t.Errorf("list-accounts = %v %s", v, stderr)
	}
}
