package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/report"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	cfg, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != report.ModeReport || cfg.ExpectedInstances != 1 || cfg.ExemptTag != "vpcguard:exempt" ||
		!slices.Equal(cfg.Remediations, report.ActionIDs()) || cfg.NotifyCompliant || cfg.TopicARN != "" {
		t.Errorf("defaults = %+v", cfg)
	}
	if cfg.Allows(report.ActionAddALRepoDeny) {
		t.Error("report mode allows a write")
	}
}

func TestEverySetting(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{
		"VPCGUARD_MODE":               "remediate",
		"VPCGUARD_TOPIC_ARN":          "arn:aws:sns:us-east-1:111122223333:vpcguard",
		"VPCGUARD_EVENT_BUS":          "security",
		"VPCGUARD_EXPECTED_INSTANCES": " 4 ",
		"VPCGUARD_EXEMPT_TAG":         "team:exempt",
		"VPCGUARD_REMEDIATIONS":       "add-al-repo-deny, create-s3-gateway-endpoint,add-al-repo-deny",
		"VPCGUARD_ROLE_ARN":           "arn:aws:iam::111122223333:role/vpcguard-modelguard, arn:aws:iam::111122223333:role/vpcguard-endpointguard",
		"VPCGUARD_NOTIFY_COMPLIANT":   "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != report.ModeRemediate || cfg.ExpectedInstances != 4 || cfg.ExemptTag != "team:exempt" || !cfg.NotifyCompliant || cfg.EventBus != "security" {
		t.Errorf("cfg = %+v", cfg)
	}
	if want := []string{report.ActionAddALRepoDeny, report.ActionCreateS3GatewayEndpoint}; !slices.Equal(cfg.Remediations, want) {
		t.Errorf("remediations = %v, want %v", cfg.Remediations, want)
	}
	if !cfg.OwnRole("arn:aws:iam::111122223333:role/vpcguard-endpointguard") || cfg.OwnRole("arn:aws:iam::111122223333:role/ml-engineer") || cfg.OwnRole("") {
		t.Errorf("own roles = %v", cfg.RoleARNs)
	}
	if !cfg.Allows(report.ActionAddALRepoDeny) || cfg.Allows(report.ActionAssociateRouteTables) {
		t.Error("Allows does not follow the allow-list")
	}
}

func TestNoneAllowsNothing(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{"VPCGUARD_MODE": "remediate", "VPCGUARD_REMEDIATIONS": "none"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range report.ActionIDs() {
		if cfg.Allows(id) {
			t.Errorf("none allows %s", id)
		}
	}
}

func TestBadValuesAreReportedTogether(t *testing.T) {
	_, err := FromEnv(env(map[string]string{
		"VPCGUARD_MODE":               "fix-everything",
		"VPCGUARD_EXPECTED_INSTANCES": "0",
		"VPCGUARD_REMEDIATIONS":       "delete-endpoint",
		"VPCGUARD_NOTIFY_COMPLIANT":   "sometimes",
		"VPCGUARD_TOPIC_ARN":          "my-topic",
		"VPCGUARD_EXEMPT_TAG":         "aws:reserved",
		"VPCGUARD_ROLE_ARN":           "arn:aws:iam::111122223333:role/ok,vpcguard-modelguard",
	}))
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, name := range []string{"VPCGUARD_MODE", "VPCGUARD_EXPECTED_INSTANCES", "VPCGUARD_REMEDIATIONS", "VPCGUARD_NOTIFY_COMPLIANT", "VPCGUARD_TOPIC_ARN", "VPCGUARD_EXEMPT_TAG", `VPCGUARD_ROLE_ARN="vpcguard-modelguard"`, `unknown action "delete-endpoint"`} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestStateTable(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{"VPCGUARD_STATE_TABLE": " VpcGuard-StateTable.v1_2 "}))
	if err != nil || cfg.StateTable != "VpcGuard-StateTable.v1_2" {
		t.Errorf("StateTable = %q, %v", cfg.StateTable, err)
	}
	if cfg, _ := FromEnv(env(nil)); cfg.StateTable != "" {
		t.Errorf("unset: %q, want none", cfg.StateTable)
	}
	for _, bad := range []string{"ab", "arn:aws:dynamodb:us-east-1:111122223333:table/x", "state table"} {
		_, err := FromEnv(env(map[string]string{"VPCGUARD_STATE_TABLE": bad}))
		if err == nil || !strings.Contains(err.Error(), "VPCGUARD_STATE_TABLE") {
			t.Errorf("%q: %v, want an error naming VPCGUARD_STATE_TABLE", bad, err)
		}
	}
}

func TestHealthVariables(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{
		EnvRules:     " VpcGuard-modelguard=VpcGuard-modelguard-fn, VpcGuard-sweep ,vpcguard/VpcGuard-modelguard=VpcGuard-modelguard-fn",
		EnvFunctions: "VpcGuard-modelguard-fn,VpcGuard-sweep-fn",
		EnvDLQURL:    "https://sqs.us-east-1.amazonaws.com/111122223333/VpcGuard-DeadLetterQueue",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Health{
		Rules: []RuleRef{{Name: "VpcGuard-modelguard", Function: "VpcGuard-modelguard-fn"}, {Name: "VpcGuard-sweep"},
			{Bus: "vpcguard", Name: "VpcGuard-modelguard", Function: "VpcGuard-modelguard-fn"}},
		Functions: []string{"VpcGuard-modelguard-fn", "VpcGuard-sweep-fn"},
		DLQURL:    "https://sqs.us-east-1.amazonaws.com/111122223333/VpcGuard-DeadLetterQueue",
	}
	if !reflect.DeepEqual(cfg.Health, want) {
		t.Errorf("health = %+v\nwant %+v", cfg.Health, want)
	}

	_, err = FromEnv(env(map[string]string{
		EnvRules:     "ok=fine,bad rule=x,r=fn:alias,bus/=fn,bad bus/r=fn",
		EnvFunctions: "fine,arn:aws:lambda:us-east-1:111122223333:function:x",
		EnvDLQURL:    "vpcguard-dlq",
	}))
	if err == nil {
		t.Fatal("bad health variables accepted")
	}
	for _, want := range []string{`VPCGUARD_RULES="bad rule=x"`, `VPCGUARD_RULES="r=fn:alias"`, `VPCGUARD_RULES="bus/=fn"`, `VPCGUARD_RULES="bad bus/r=fn"`, `VPCGUARD_FUNCTIONS="arn:aws:lambda`, `VPCGUARD_DLQ_URL="vpcguard-dlq"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %s: %v", want, err)
		}
	}
}

func TestLedgerAndUndoSettings(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{
		"VPCGUARD_LEDGER_FILE":   " /var/tmp/vpcguard-ledger.json ",
		"VPCGUARD_UNDO_FUNCTION": "VpcGuard-UndoFunction1A2B3C",
	}))
	if err != nil || cfg.LedgerFile != "/var/tmp/vpcguard-ledger.json" || cfg.UndoFunction != "VpcGuard-UndoFunction1A2B3C" {
		t.Fatalf("cfg = %+v, %v", cfg, err)
	}
	if _, err := FromEnv(env(map[string]string{"VPCGUARD_UNDO_FUNCTION": "undo; rm -rf /"})); err == nil || !strings.Contains(err.Error(), "VPCGUARD_UNDO_FUNCTION") {
		t.Fatalf("a function name with spaces accepted: %v", err)
	}
}
