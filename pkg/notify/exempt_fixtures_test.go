package notify

import (
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/checks"
	"github.com/vpcguard/vpcguard/pkg/report"
)

const undoID = "rep-20261126T101500Z-3f9a1c2b"

// repairedWithUndoAndExemption is missingEndpointRepaired with the ledger
// entry and undo command on the repair, and vpc-flow-logs exempt.
func repairedWithUndoAndExemption() report.Result {
	r := missingEndpointRepaired()
	r.Actions[0].Detail["ledger_entry"] = undoID
	r.Actions[0].Detail["undo"] = map[string]any{
		"ledger_entry": undoID,
		"command":      `aws lambda invoke --region us-east-1 --function-name VpcGuard-UndoFunction --cli-binary-format raw-in-base64-out --payload '{"action":"` + undoID + `","confirm":true}' /dev/stdout`,
		"note":         "undo deletes the endpoint, which cuts the private S3 path of model fraud-v3; after an undo vpcguard does not redo this repair automatically for 7 days",
	}
	for i, c := range r.Checks {
		if c.ID == checks.VPCFlowLogs {
			r.Checks[i] = report.Check{ID: checks.VPCFlowLogs, Status: report.StatusExempt, Severity: report.SeverityInfo, Resources: []string{vpcID},
				Message: vpcID + ` has no active flow log: the traffic of models fraud-v3 is not recorded; exempt: VPC ` + vpcID +
					` by its vpcguard:exempt tag (reason "flow logs are collected by the network account", owner netops@example.com, until 2027-03-31)`,
				Exemptions: []report.Exemption{{Resource: vpcID, Tag: "vpcguard:exempt", Reason: "flow logs are collected by the network account",
					Owner: "netops@example.com", Expires: "2027-03-31"}}}
		}
	}
	return r
}

func init() {
	goldenCases = append(goldenCases, struct {
		name   string
		result func() report.Result
	}{"repaired-undo-exempt", repairedWithUndoAndExemption})
}

func TestExemptOnlyResultSendsNoEmail(t *testing.T) {
	r := compliant()
	r.Checks[0].Status = report.StatusExempt
	if ShouldNotify(r, false) {
		t.Fatal("an exempt check is not a problem: no email")
	}
	if attr := Attributes(r)[AttrExempt]; *attr.StringValue != `["`+r.Checks[0].ID+`"]` {
		t.Errorf("exempt attribute %q", *attr.StringValue)
	}
	if p := Preview(r); !strings.Contains(p, "no email") {
		t.Errorf("preview %q", p)
	}
	if n := len((Notifier{TopicARN: "arn:aws:sns:us-east-1:1:t", EventBus: "b"}).Channels(r)); n != 0 {
		t.Errorf("%d channels for an exempt-only result", n)
	}
}

func TestEmailListsExemptAndUndo(t *testing.T) {
	body := Body(repairedWithUndoAndExemption())
	for _, want := range []string{
		"EXEMPT (1, accepted until their exemption expires",
		"  - vpc-flow-logs [INFO]: ",
		"    Exempted by " + vpcID + " (tag vpcguard:exempt): owner netops@example.com, until 2027-03-31, reason: flow logs are collected by the network account",
		"   Ledger entry: " + undoID,
		`   Undo: aws lambda invoke --region us-east-1 --function-name VpcGuard-UndoFunction --cli-binary-format raw-in-base64-out --payload '{"action":"` + undoID + `","confirm":true}' /dev/stdout`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q", want)
		}
	}
	if strings.Contains(body, "NOTES") && strings.Contains(body[strings.Index(body, "NOTES"):], "vpc-flow-logs") {
		t.Error("an exempt check is listed among the notes")
	}
}

func TestRemediationEventCarriesUndoCommand(t *testing.T) {
	r := repairedWithUndoAndExemption()
	entries, err := Entries(r, "vpcguard")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		if *e.DetailType == DetailTypeRemediation {
			found = true
			if !strings.Contains(*e.Detail, `"command":"aws lambda invoke --region us-east-1 --function-name VpcGuard-UndoFunction`) ||
				!strings.Contains(*e.Detail, `"ledger_entry":"`+undoID+`"`) {
				t.Errorf("remediation event without the undo command: %s", *e.Detail)
			}
		}
		if *e.DetailType == DetailTypeFinding && strings.Contains(*e.Detail, `"vpc-flow-logs"`) {
			t.Errorf("an exempt check became a finding event: %s", *e.Detail)
		}
	}
	if !found {
		t.Fatal("no remediation event")
	}
}
