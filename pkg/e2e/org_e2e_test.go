//go:build e2e

package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/e2e"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
	"github.com/vpcguard/vpcguard/pkg/sweep"
)

// The simulated organization (pkg/scenarios/orgs/organization.json): the
// functions run in the central account 111122223333 (us-east-1).
const (
	mlProd   = "444455556666" // its vpcguard-member trusts the central roles
	research = "777788889999" // the same, in eu-west-1
	sandbox  = "222233334444" // its vpcguard-member trusts another principal
)

// orgSession starts the organization, with the functions in organization
// mode for us-east-1 and eu-west-1 (as the stack sets them) plus env.
func orgSession(t *testing.T, env map[string]string) *e2e.Session {
	t.Helper()
	o, err := scenarios.LoadOrg("organization")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"VPCGUARD_MEMBER_ROLE": "vpcguard-member", "VPCGUARD_REGIONS": "us-east-1,eu-west-1"}
	for k, v := range env {
		vars[k] = v
	}
	log := &syncWriter{b: &strings.Builder{}}
	s, err := (&e2e.Runner{Bin: bin, SNS: sns, Log: log}).Start(e2e.SessionConfig{Org: o, Env: vars})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if t.Failed() {
			t.Logf("emulator and function output:\n%s", log.String())
		}
	})
	return s
}

func orgEventFile(t *testing.T, name string) e2e.Event {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "events", "organization", name))
	if err != nil {
		t.Fatal(err)
	}
	return e2e.NewEvent(name, raw)
}

const (
	prodModelEvent     = "sagemaker-CreateModel-payments-fraud-ml-prod.json"
	researchModelEvent = "sagemaker-CreateModel-nlp-summarizer-research-eu-west-1.json"
)

// TestOrganizationEvents: the modelguard binary, under the Lambda runtime,
// evaluates an event of another account and one of another Region through
// the assumed member roles; the email and the findings leave from the
// central account and name the member account and Region.
func TestOrganizationEvents(t *testing.T) {
	s := orgSession(t, nil)
	for _, tc := range []struct {
		file, account, region, check string
	}{
		{prodModelEvent, mlProd, "us-east-1", checks.S3EndpointPresent},
		{researchModelEvent, research, "eu-west-1", checks.S3EndpointDeniesALRepos},
	} {
		o := invoke(t, s, "modelguard", orgEventFile(t, tc.file))
		r := mustResult(t, o)
		if r.Skipped != "" || r.Event.Account != tc.account || r.Event.Region != tc.region {
			t.Fatalf("%s: result %+v", tc.file, r)
		}
		if st := e2e.Statuses(r)[tc.check]; st != report.StatusFail {
			t.Errorf("%s: %s = %s", tc.file, tc.check, st)
		}
		if n := s.Org.Server(tc.account, tc.region).Calls("sagemaker:DescribeModel"); n != 1 {
			t.Errorf("%s: %s %s answered %d DescribeModel", tc.file, tc.account, tc.region, n)
		}
		if len(o.Deliveries) != 1 || !strings.Contains(o.Deliveries[0].Attributes["account"], tc.account) ||
			!strings.Contains(o.Deliveries[0].Attributes["region"], tc.region) || !strings.Contains(o.Deliveries[0].Message, tc.account) {
			t.Errorf("%s: emails %+v", tc.file, o.Deliveries)
		}
		if len(o.Events) == 0 {
			t.Errorf("%s: no finding on the central bus", tc.file)
		}
		for _, ev := range o.Events {
			var d struct {
				Event report.Event `json:"event"`
			}
			if json.Unmarshal([]byte(ev.Detail), &d); d.Event.Account != tc.account || d.Event.Region != tc.region {
				t.Errorf("%s: finding event names %s %s", tc.file, d.Event.Account, d.Event.Region)
			}
		}
	}
	assumed := s.Org.AssumedRoles()
	if len(assumed) != 2 || assumed[0].Account != mlProd || assumed[1].Account != research ||
		assumed[0].SessionName != "vpcguard-5c1f3a2e-7d4b-4c8e-9f60-1a2b3c4d5e01" ||
		assumed[0].Caller != "arn:aws:sts::111122223333:assumed-role/vpcguard-modelguard/awssim" {
		t.Errorf("assumed roles = %+v", assumed)
	}
	for key, ws := range s.Org.Writes() {
		if key != "111122223333/us-east-1" {
			t.Errorf("report mode wrote in %s: %v", key, e2e.WriteOps(ws))
		}
	}
}

// TestOrganizationMemberThatRefuses: a member role whose trust policy
// names someone else: the event ends skipped with the account and STS's
// error, one ERROR line with the alarm's message, and nothing written,
// emailed or sent (remediate mode).
func TestOrganizationMemberThatRefuses(t *testing.T) {
	s := orgSession(t, map[string]string{"VPCGUARD_MODE": "remediate"})
	ev := edit(t, "sagemaker-CreateModel-churn-no-s3-endpoint.json", "sandbox-create-model", func(ev, detail map[string]any) {
		ev["account"], detail["recipientAccountId"] = sandbox, sandbox
	})
	o := invoke(t, s, "modelguard", ev)
	r := mustResult(t, o)
	if !strings.HasPrefix(r.Skipped, "account 222233334444 (us-east-1): cannot assume arn:aws:iam::222233334444:role/vpcguard-member: AccessDenied: User: arn:aws:sts::111122223333:assumed-role/vpcguard-modelguard/awssim is not authorized to perform: sts:AssumeRole") {
		t.Errorf("skipped = %q", r.Skipped)
	}
	wantNothingSent(t, o)
	alarms := 0
	for _, line := range o.Invocation.Logs {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["message"] == "member account unreachable" && m["level"] == "ERROR" && m["account"] == sandbox {
			alarms++
		}
	}
	if alarms != 1 {
		t.Errorf("%d alarm lines in %v", alarms, o.Invocation.Logs)
	}
	for key, ws := range s.Org.Writes() {
		t.Errorf("wrote in %s: %v", key, e2e.WriteOps(ws))
	}
}

// TestOrganizationRemediate: the repair lands in the member account and
// Region, made by the member role.
func TestOrganizationRemediate(t *testing.T) {
	s := orgSession(t, map[string]string{"VPCGUARD_MODE": "remediate"})
	o := invoke(t, s, "modelguard", orgEventFile(t, prodModelEvent))
	r := mustResult(t, o)
	if len(r.Actions) != 1 || r.Actions[0].Status != report.ActionApplied {
		t.Fatalf("actions = %v", e2e.ActionSummary(r))
	}
	ws := s.Org.Server(mlProd, "us-east-1").Writes()
	if len(ws) != 1 || ws[0].Operation != "CreateVpcEndpoint" || param(ws[0], "VpcId") != "vpc-04440000000000001" {
		t.Errorf("ml-prod writes = %v", e2e.WriteOps(ws))
	}
	if n := len(e2e.NonNotifyWrites(o.Writes)); n != 0 {
		t.Errorf("%d writes in the central account", n)
	}
}

// TestOrganizationSweep: the sweep binary, on its schedule, sweeps every
// account of the organization in both Regions and sends one digest.
func TestOrganizationSweep(t *testing.T) {
	s := orgSession(t, nil)
	o, sum := orgSweep(t, s)
	if sum.Accounts != 6 || len(sum.Targets) != 12 || sum.Covered != 6 || sum.NotCovered != 6 || sum.AssumeRoles != 5 {
		t.Errorf("accounts %d, targets %d, covered %d, not covered %d, AssumeRole %d", sum.Accounts, len(sum.Targets), sum.Covered, sum.NotCovered, sum.AssumeRoles)
	}
	if len(o.Deliveries) != 1 || !strings.Contains(o.Deliveries[0].Subject, "organization sweep") ||
		!strings.Contains(o.Deliveries[0].Message, "222233334444 sandbox (us-east-1, eu-west-1): account 222233334444 (us-east-1): cannot assume") {
		t.Errorf("digest emails: %+v", o.Deliveries)
	}
	if n := s.Org.Global().Calls("organizations:ListAccounts"); n == 0 {
		t.Error("the organization was not listed")
	}
}

// orgSweep invokes the sweep binary with its scheduled event, in the
// central account, and returns the organization summary it answers.
func orgSweep(t *testing.T, s *e2e.Session) (*e2e.Outcome, sweep.OrgSummary) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	raw, _ := json.Marshal(map[string]any{
		"version": "0", "id": "0b6a2f38-3f4e-4d0c-9a2e-5e1f0c9d8b01", "detail-type": "Scheduled Event", "source": "aws.events",
		"account": "111122223333", "time": now.Format(time.RFC3339), "region": "us-east-1",
		"resources": []string{"arn:aws:events:us-east-1:111122223333:rule/vpcguard-sweep"}, "detail": map[string]any{},
	})
	o, err := s.Invoke(context.Background(), "sweep", e2e.NewEvent("scheduled-event", raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Invocation.Err(); err != nil {
		t.Fatalf("sweep: %v", err)
	}
	var sum sweep.OrgSummary
	if err := json.Unmarshal(o.Invocation.Body, &sum); err != nil {
		t.Fatalf("%v: %s", err, clip(string(o.Invocation.Body), 300))
	}
	return o, sum
}
