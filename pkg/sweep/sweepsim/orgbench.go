package sweepsim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/vpcguard/vpcguard/pkg/app"
	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/config"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/sweep"
)

// The generated organization: a central account (Account) that is its
// delegated administrator, and members in one OU, each with a
// vpcguard-member role that trusts the central sweep role.
const (
	OrgID        = "o-bench00000"
	MembersOU    = "ou-benc-members0"
	MemberRole   = "vpcguard-member"
	CentralRole  = "arn:aws:iam::" + Account + ":role/vpcguard-sweep"
	firstAccount = 200000000000
)

// MemberAccount is the id of member i.
func MemberAccount(i int) string { return fmt.Sprintf("%012d", firstAccount+i) }

// OrgBenchOptions describe one benchmark run of the organization sweep.
type OrgBenchOptions struct {
	Accounts int      // members (default 20)
	Regions  []string // default us-east-1, eu-west-1
	Account  Options  // each member's state in each Region (Account, Region filled in)
	Latency  time.Duration
	// Concurrency is the sweep's per fan-out; AccountConcurrency the
	// accounts at once (default sweep.DefaultAccountConcurrency).
	Concurrency, AccountConcurrency int
	// SecurityHub: the sweep also reconciles every account and Region's
	// findings in that account's own Security Hub, at Security Hub's rates.
	SecurityHub bool
}

// OrgBenchResult is what the run measured.
type OrgBenchResult struct {
	Options     OrgBenchOptions
	Summary     *sweep.OrgSummary
	Wall        time.Duration
	AssumeRoles int // STS AssumeRole calls the organization answered
	APICalls    int // calls answered by every account, STS and Organizations
	// HubCalls and Findings: the Security Hub calls every account answered,
	// and the findings they hold after the run (SecurityHub only).
	HubCalls, Findings int
}

// OrgBench generates the organization, serves it in-process on 127.0.0.1
// with Latency on every call (STS and Organizations included), and runs
// one organization sweep through the real SDK clients, the sweep's
// production retryer and the member-role factory, in report mode.
func OrgBench(ctx context.Context, o OrgBenchOptions) (*OrgBenchResult, error) {
	if o.Accounts <= 0 {
		o.Accounts = 20
	}
	if len(o.Regions) == 0 {
		o.Regions = []string{"us-east-1", "eu-west-1"}
	}
	trust, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + Account + ":root"}, "Action": "sts:AssumeRole",
		"Condition": map[string]any{"ArnEquals": map[string]any{"aws:PrincipalArn": CentralRole}, "StringEquals": map[string]any{"aws:PrincipalOrgID": OrgID}},
	}}})
	latency := map[string]awssim.Fault{}
	if o.Latency > 0 {
		latency["*"] = awssim.Fault{Latency: awssim.Duration(o.Latency)}
	}
	os := &awssim.OrgScenario{
		ID: OrgID, ManagementAccount: "100000000000", DelegatedAdministrators: []string{Account},
		OrganizationalUnits: []awssim.OrganizationalUnit{{ID: MembersOU, Name: "Members"}},
		Principals:          []awssim.Principal{{AccessKeyID: awssim.TestAccessKeyID, RoleARN: CentralRole}},
		Accounts:            []awssim.OrgAccount{{ID: "100000000000", Name: "management"}, {ID: Account, Name: "security-tooling"}},
	}
	for i := range o.Accounts {
		a := awssim.OrgAccount{ID: MemberAccount(i), Name: fmt.Sprintf("ml-%02d", i), Parent: MembersOU}
		for _, region := range o.Regions {
			opts := o.Account
			opts.Account, opts.Region = a.ID, region
			sc := Generate(opts)
			sc.Roles = append(sc.Roles, awssim.Role{Name: MemberRole, TrustPolicy: awssim.Policy(trust)})
			sc.Faults = latency
			a.Regions = append(a.Regions, sc)
		}
		os.Accounts = append(os.Accounts, a)
	}
	org, err := awssim.NewOrg(os)
	if err != nil {
		return nil, err
	}
	if o.Latency > 0 {
		org.Global().SetFault("*", awssim.Fault{Latency: awssim.Duration(o.Latency)})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: org, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	url := "http://" + ln.Addr().String()
	org.SetURL(url)

	calls := sweep.NewCalls()
	base := awssim.TestConfig(url, o.Regions[0])
	base.Retryer = func() aws.Retryer { return sweep.NewRetryer(sweep.DefaultMaxAttempts) }
	base.APIOptions = append(base.APIOptions, calls.AddTo)
	base.HTTPClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxIdleConns: 512}}
	home, err := app.ClientsFrom(base)
	if err != nil {
		return nil, err
	}
	cfg := config.Config{Mode: report.ModeReport, ExpectedInstances: 1, ExemptTag: config.DefaultExemptTag, Remediations: report.ActionIDs(),
		MemberRole: MemberRole, Regions: o.Regions, RoleARNs: []string{CentralRole}, SecurityHub: o.SecurityHub}
	accounts := app.NewAccounts(base, home, cfg)
	s := &sweep.OrgSweeper{
		Clients:      accounts,
		Organization: &sweep.OrganizationAccounts{Client: organizations.NewFromConfig(base), Parents: []string{MembersOU}},
		Regions:      o.Regions, Config: cfg,
		Options:     sweep.Options{Concurrency: o.Concurrency, Reserve: sweep.DefaultReserve},
		Calls:       calls,
		Log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		Concurrency: o.AccountConcurrency,
	}
	if o.SecurityHub {
		s.SecurityHub = app.SecurityHubPublisher(home, accounts, s.Log)
	}
	start := time.Now()
	sum, err := s.Run(ctx, sweep.Trigger{ID: "bench-org", Account: Account, Region: o.Regions[0]})
	wall := time.Since(start)
	if err != nil {
		return nil, err
	}
	if sum.NotCovered > 0 || sum.Covered != o.Accounts*len(o.Regions) {
		return nil, fmt.Errorf("%d of %d account/Regions covered (%d not covered): %+v", sum.Covered, o.Accounts*len(o.Regions), sum.NotCovered, sum.Notes)
	}
	r := &OrgBenchResult{Options: o, Summary: sum, Wall: wall, AssumeRoles: org.Global().Calls("sts:AssumeRole")}
	r.APICalls = org.Global().Calls("*")
	for i := range o.Accounts {
		for _, region := range o.Regions {
			srv := org.Server(MemberAccount(i), region)
			r.APICalls += srv.Calls("*")
			r.HubCalls += srv.Calls("securityhub:BatchImportFindings") + srv.Calls("securityhub:GetFindings")
			r.Findings += len(srv.Findings())
		}
	}
	return r, nil
}

// String describes the options in one line.
func (o OrgBenchOptions) String() string {
	return fmt.Sprintf("%d accounts × %d Regions × %d models in %d VPCs; %v latency on every call; concurrency %d per account/Region",
		o.Accounts, len(o.Regions), o.Account.Models, o.Account.VPCs, o.Latency, o.Concurrency)
}
