// Package config turns the VPCGUARD_* environment into a validated Config.
// It is the one place that reads those variables; the CDK stack sets them and
// README.md documents them.
package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vpcguard/vpcguard/pkg/report"
)

// Config is vpcguard's runtime configuration.
type Config struct {
	Mode              report.Mode // VPCGUARD_MODE: report (default) or remediate
	TopicARN          string      // VPCGUARD_TOPIC_ARN: SNS topic for email; empty disables SNS
	EventBus          string      // VPCGUARD_EVENT_BUS: EventBridge bus for findings; empty disables
	ExpectedInstances int         // VPCGUARD_EXPECTED_INSTANCES: instances assumed for a bare CreateModel (default 1)
	ExemptTag         string      // VPCGUARD_EXEMPT_TAG: tag key that exempts a resource from changes (default vpcguard:exempt)
	Remediations      []string    // VPCGUARD_REMEDIATIONS: action IDs allowed in remediate mode (default all)
	RoleARNs          []string    // VPCGUARD_ROLE_ARN: vpcguard's own roles (comma list); their events are skipped
	NotifyCompliant   bool        // VPCGUARD_NOTIFY_COMPLIANT: also notify fully compliant events
	// Organization mode (org.go).
	MemberRole string   // VPCGUARD_MEMBER_ROLE: role assumed in member accounts; empty: single-account mode
	Regions    []string // VPCGUARD_REGIONS: the Regions served; empty: the function's own
	Accounts   []string // VPCGUARD_ACCOUNTS: the sweep's accounts when Organizations cannot be read
	// VPCGUARD_ORGANIZATIONAL_UNITS: the OUs (or root) the sweep covers; empty: the whole organization
	OrganizationalUnits []string
	SecurityHub         bool   // VPCGUARD_SECURITY_HUB: write the findings to AWS Security Hub (default false)
	StateTable          string // VPCGUARD_STATE_TABLE: the DynamoDB state table (placement index); empty: none, full scans
	// Health names what the health self-check looks at (VPCGUARD_RULES,
	// VPCGUARD_FUNCTIONS, VPCGUARD_DLQ_URL; health.go).
	Health       Health
	LedgerFile   string // VPCGUARD_LEDGER_FILE: the repair ledger as a JSON file, where there is no state table
	UndoFunction string // VPCGUARD_UNDO_FUNCTION: the undo Lambda's name, for the undo command in notifications
}

// tableName is a DynamoDB table name.
var tableName = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)

// Defaults for unset variables.
const (
	DefaultExpectedInstances = 1
	DefaultExemptTag         = "vpcguard:exempt"
)

// FromEnv reads the configuration through getenv (os.Getenv in main, a map
// in tests). Every bad value is reported, joined, so one start-up shows all.
func FromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Mode:              report.ModeReport,
		TopicARN:          strings.TrimSpace(getenv("VPCGUARD_TOPIC_ARN")),
		EventBus:          strings.TrimSpace(getenv("VPCGUARD_EVENT_BUS")),
		ExpectedInstances: DefaultExpectedInstances,
		ExemptTag:         DefaultExemptTag,
		Remediations:      report.ActionIDs(),
	}
	var errs []error
	bad := func(name, value, want string) {
		errs = append(errs, fmt.Errorf("%s=%q: %s", name, value, want))
	}

	switch v := strings.TrimSpace(getenv("VPCGUARD_MODE")); v {
	case "", string(report.ModeReport):
	case string(report.ModeRemediate):
		cfg.Mode = report.ModeRemediate
	default:
		bad("VPCGUARD_MODE", v, "want report or remediate")
	}

	if v := strings.TrimSpace(getenv("VPCGUARD_EXPECTED_INSTANCES")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			bad("VPCGUARD_EXPECTED_INSTANCES", v, "want a whole number from 1 to 10000")
		} else {
			cfg.ExpectedInstances = n
		}
	}

	if v, ok := lookup(getenv, "VPCGUARD_EXEMPT_TAG"); ok {
		if len(v) > 128 || strings.HasPrefix(v, "aws:") {
			bad("VPCGUARD_EXEMPT_TAG", v, "want a tag key of at most 128 characters, not starting with aws:")
		} else {
			cfg.ExemptTag = v
		}
	}

	if v, ok := lookup(getenv, "VPCGUARD_REMEDIATIONS"); ok {
		ids, err := parseRemediations(v)
		if err != nil {
			bad("VPCGUARD_REMEDIATIONS", v, err.Error())
		} else {
			cfg.Remediations = ids
		}
	}

	if v := strings.TrimSpace(getenv("VPCGUARD_NOTIFY_COMPLIANT")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("VPCGUARD_NOTIFY_COMPLIANT", v, "want true or false")
		} else {
			cfg.NotifyCompliant = b
		}
	}

	cfg.LedgerFile = strings.TrimSpace(getenv("VPCGUARD_LEDGER_FILE"))
	if v := strings.TrimSpace(getenv("VPCGUARD_UNDO_FUNCTION")); v != "" {
		if len(v) > 170 || strings.ContainsAny(v, " \t\n'\"") {
			bad("VPCGUARD_UNDO_FUNCTION", v, "want a Lambda function name or ARN")
		} else {
			cfg.UndoFunction = v
		}
	}
	if v := strings.TrimSpace(getenv("VPCGUARD_SECURITY_HUB")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("VPCGUARD_SECURITY_HUB", v, "want true or false")
		} else {
			cfg.SecurityHub = b
		}
	}
	if v, ok := lookup(getenv, "VPCGUARD_STATE_TABLE"); ok {
		if !tableName.MatchString(v) {
			bad("VPCGUARD_STATE_TABLE", v, "want a DynamoDB table name: 3 to 255 letters, digits, '_', '-' or '.'")
		} else {
			cfg.StateTable = v
		}
	}

	if cfg.TopicARN != "" && !strings.HasPrefix(cfg.TopicARN, "arn:") {
		bad("VPCGUARD_TOPIC_ARN", cfg.TopicARN, "want an SNS topic ARN")
	}
	for _, part := range strings.Split(getenv("VPCGUARD_ROLE_ARN"), ",") {
		arn := strings.TrimSpace(part)
		switch {
		case arn == "":
		case !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":role/"):
			bad("VPCGUARD_ROLE_ARN", arn, "want IAM role ARNs, comma-separated")
		default:
			cfg.RoleARNs = append(cfg.RoleARNs, arn)
		}
	}
	parseOrganization(getenv, &cfg, bad)
	cfg.Health = healthFromEnv(getenv, bad)
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("invalid configuration: %w", err)
	}
	return cfg, nil
}

// Allows reports whether remediation action id may be applied.
func (c Config) Allows(id string) bool {
	return c.Mode == report.ModeRemediate && slices.Contains(c.Remediations, id)
}

// OwnRole reports whether arn is one of vpcguard's own roles, or, in
// organization mode, its member role or one of that role's sessions.
func (c Config) OwnRole(arn string) bool {
	return arn != "" && (slices.Contains(c.RoleARNs, arn) || c.isMemberSession(arn))
}

// OwnRepair reports whether a call by actor (a role ARN) in session (its
// session name, "" if none) is one of vpcguard's own repairs, which the
// event functions skip: a call of its roles (VPCGUARD_ROLE_ARN) or of its
// member role, but for the undo function's sessions of the member role
// (UndoSessionPrefix). An undo is a change like a person's: evaluated, and
// its repair held, not redone. (At home the stack leaves the undo
// function's role out of VPCGUARD_ROLE_ARN.)
func (c Config) OwnRepair(actor, session string) bool {
	if c.isMemberSession(actor) && strings.HasPrefix(session, UndoSessionPrefix) {
		return false
	}
	return c.OwnRole(actor)
}

// lookup returns the trimmed value and whether the variable was set at all
// (an empty string counts as unset, as in Lambda's console).
func lookup(getenv func(string) string, name string) (string, bool) {
	v := strings.TrimSpace(getenv(name))
	return v, v != ""
}

// parseRemediations accepts a comma list of known action IDs, or "none".
func parseRemediations(v string) ([]string, error) {
	if strings.EqualFold(v, "none") {
		return []string{}, nil
	}
	known := report.ActionIDs()
	var ids []string
	for _, part := range strings.Split(v, ",") {
		id := strings.TrimSpace(part)
		if id == "" {
			continue
		}
		if !slices.Contains(known, id) {
			return nil, fmt.Errorf("unknown action %q; want a comma list of %s, or none", id, strings.Join(known, ", "))
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("empty list; use none to allow no action")
	}
	return ids, nil
}
