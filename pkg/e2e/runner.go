package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// Runner runs the built functions against simulated accounts.
type Runner struct {
	Bin *Binaries
	// SNS receives the functions' SNS calls (AWS_ENDPOINT_URL_SNS) and its
	// topic is VPCGUARD_TOPIC_ARN. When nil, SNS goes to the account like
	// every other service and VPCGUARD_TOPIC_ARN is not set.
	SNS *SNS
	// Log receives the emulators' and functions' output lines.
	Log io.Writer
}

// SessionConfig is one simulated account and how the functions run
// against it.
type SessionConfig struct {
	Scenario *awssim.Scenario
	// Env overrides FunctionEnv per variable; an empty value unsets one.
	Env map[string]string
	// Org, instead of Scenario, serves a whole organization (org.go); the
	// functions run in its account Central (default the first principal's)
	// in Region (default us-east-1), each signing as the organization's
	// principal for its role.
	Org             *awssim.OrgScenario
	Central, Region string
	// Index gives the account the state table (StateTable), builds the
	// placement index with one sweep before the session starts, and sets
	// VPCGUARD_STATE_TABLE for the functions.
	Index bool
}

// Session is one simulated account with the functions pointed at it. The
// emulators start on first use and stop with Close. Replay and Invoke are
// serialised.
type Session struct {
	Account *Account
	// Org is the whole organization of an organization session, else nil.
	Org    *awssim.Org
	keys   map[string]string // function → access key (organization sessions)
	runner *Runner
	env    map[string]string
	mu     sync.Mutex
	funcs  map[string]*Function
	order  []string

	// IndexNote is what the sweep that built the index said (Index set).
	IndexNote string
}

// Start serves cfg.Scenario and prepares the functions' environment.
func (r *Runner) Start(cfg SessionConfig) (*Session, error) {
	if cfg.Org != nil {
		return r.startOrg(cfg)
	}
	if cfg.Index {
		addStateTable(cfg.Scenario)
	}
	acct, err := StartAccount(cfg.Scenario)
	if err != nil {
		return nil, err
	}
	s := &Session{Account: acct, runner: r, env: map[string]string{}, funcs: map[string]*Function{}}
	if cfg.Index {
		if s.IndexNote, err = buildIndex(context.Background(), acct); err != nil {
			acct.Close()
			return nil, err
		}
		s.env["VPCGUARD_STATE_TABLE"] = StateTable
	}
	for k, v := range cfg.Env {
		s.env[k] = v
	}
	return s, nil
}

func (r *Runner) startOrg(cfg SessionConfig) (*Session, error) {
	central, region := cfg.Central, cfg.Region
	if central == "" && len(cfg.Org.Principals) > 0 {
		central = strings.SplitN(cfg.Org.Principals[0].RoleARN, ":", 6)[4]
	}
	if region == "" {
		region = "us-east-1"
	}
	acct, org, err := StartOrg(cfg.Org, central, region)
	if err != nil {
		return nil, err
	}
	s := &Session{Account: acct, Org: org, keys: accessKeys(cfg.Org, central, r.Bin.Functions()),
		runner: r, env: map[string]string{}, funcs: map[string]*Function{}}
	for k, v := range cfg.Env {
		s.env[k] = v
	}
	return s, nil
}

// FunctionEnv is the environment function name runs with: the SDK's
// standard variables pointing every service at the account (SNS at goaws),
// static credentials, no shared config files, Lambda's own variables as
// the CDK stack sets them (128 MB, 60 s) and vpcguard's configuration in
// report mode with the topic and the event bus "vpcguard". Nothing comes
// from this process's environment (AWS_PROFILE, AWS_CA_BUNDLE …).
func (s *Session) FunctionEnv(name string) map[string]string {
	acct, region := s.Account.Account(), s.Account.Region()
	env := map[string]string{
		"AWS_ENDPOINT_URL":                s.Account.URL,
		"AWS_REGION":                      region,
		"AWS_DEFAULT_REGION":              region,
		"AWS_ACCESS_KEY_ID":               awssim.TestAccessKeyID,
		"AWS_SECRET_ACCESS_KEY":           awssim.TestSecretAccessKey,
		"AWS_CONFIG_FILE":                 "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE":     "/dev/null",
		"AWS_EC2_METADATA_DISABLED":       "true",
		"AWS_LAMBDA_FUNCTION_NAME":        "vpcguard-" + name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     "60",
		"AWS_LAMBDA_LOG_LEVEL":            "INFO",
		"HOME":                            "/nonexistent",
		"VPCGUARD_MODE":                   string(report.ModeReport),
		"VPCGUARD_EVENT_BUS":              "vpcguard",
		"VPCGUARD_ROLE_ARN":               s.ownRoles(acct),
	}
	if key := s.keys[name]; key != "" {
		env["AWS_ACCESS_KEY_ID"] = key
	}
	if sns := s.runner.SNS; sns != nil {
		env["AWS_ENDPOINT_URL_SNS"] = sns.URL
		env["VPCGUARD_TOPIC_ARN"] = sns.TopicARN
	}
	for k, v := range s.env {
		if v == "" {
			delete(env, k)
		} else {
			env[k] = v
		}
	}
	return env
}

// ownRoles is VPCGUARD_ROLE_ARN as the stack sets it: the role of every
// function that repairs, so that no vpcguard repair triggers another
// vpcguard function (an undo's calls are evaluated: not the undo role).
func (s *Session) ownRoles(acct string) string {
	var arns []string
	for _, fn := range s.runner.Bin.Functions() {
		if fn != "undo" {
			arns = append(arns, "arn:aws:iam::"+acct+":role/vpcguard-"+fn)
		}
	}
	return strings.Join(arns, ",")
}

// Function returns the running emulator of function name, starting it
// first if needed.
func (s *Session) Function(ctx context.Context, name string) (*Function, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.function(ctx, name)
}

func (s *Session) function(ctx context.Context, name string) (*Function, error) {
	if f := s.funcs[name]; f != nil {
		return f, nil
	}
	boot := s.runner.Bin.Bootstrap[name]
	if boot == "" {
		return nil, fmt.Errorf("e2e: no function %q built", name)
	}
	f, err := StartFunction(ctx, FunctionConfig{
		Name: name, Bootstrap: boot, RIE: s.runner.Bin.RIE, Env: s.FunctionEnv(name), Log: s.runner.Log,
	})
	if err != nil {
		return nil, err
	}
	s.funcs[name] = f
	s.order = append(s.order, name)
	return f, nil
}

// Outcome is one replayed event.
type Outcome struct {
	Event    Event
	Function string
	// Enacted describes the recorded call repeated on the account before
	// the invocation ("" when none); EnactWrites are its writes.
	Enacted     string
	EnactWrites []awssim.Write
	Invocation  *Invocation
	// Result is the function's response decoded; nil when it returned an
	// error or something else.
	Result *report.Result
	// Writes are the writes vpcguard made during the invocation (the
	// EventBridge PutEvents of its notifications included); Events the
	// EventBridge entries the account accepted; Deliveries the SNS messages
	// that reached the subscribed queue.
	Writes     []awssim.Write
	Events     []awssim.Event
	Deliveries []Delivery
	// Calls and Throttles count the AWS calls the account answered during
	// the invocation, and how many it throttled.
	Calls     int
	Throttles int
}

// Err is the invocation's failure (a handler error or a bad response).
func (o *Outcome) Err() error {
	if o.Invocation == nil {
		return errors.New("not invoked")
	}
	if err := o.Invocation.Err(); err != nil {
		return err
	}
	if o.Result == nil {
		return fmt.Errorf("the response is not a vpcguard result: %s", clip(string(o.Invocation.Body), 200))
	}
	return nil
}

// Replay enacts ev on the account (see Enact), invokes the function whose
// rule matches it, and collects what vpcguard wrote, published and sent.
// A handler error is not a Go error: see Outcome.Err.
func (s *Session) Replay(ctx context.Context, ev Event) (*Outcome, error) {
	return s.replay(ctx, ev, FunctionFor(ev), true)
}

// Invoke sends ev to function name without enacting anything.
func (s *Session) Invoke(ctx context.Context, name string, ev Event) (*Outcome, error) {
	return s.replay(ctx, ev, name, false)
}

func (s *Session) replay(ctx context.Context, ev Event, name string, enact bool) (*Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.function(ctx, name)
	if err != nil {
		return nil, err
	}
	o := &Outcome{Event: ev, Function: name}
	if sns := s.runner.SNS; sns != nil {
		if _, err := sns.Receive(ctx); err != nil { // drop anything stale
			return nil, err
		}
	}
	w0 := len(s.Account.Writes())
	if enact {
		o.Enacted, err = Enact(ctx, s.Account.EC2, ev)
		if err == nil && o.Enacted == "" {
			o.Enacted, err = s.Account.Enactor.EnactDrift(ctx, ev)
		}
		if err != nil {
			return nil, fmt.Errorf("e2e: %s: %w", ev.File, err)
		}
	}
	all := s.Account.Writes()
	o.EnactWrites = all[w0:]
	w1, e1 := len(all), len(s.Account.Events())
	st1 := s.Account.Stats()

	o.Invocation, err = f.Invoke(ctx, ev.Raw)
	if err != nil {
		return o, fmt.Errorf("e2e: %s: %w", ev.File, err)
	}
	st2 := s.Account.Stats()
	o.Writes = s.Account.Writes()[w1:]
	o.Events = s.Account.Events()[e1:]
	o.Calls = st2.TotalCalls - st1.TotalCalls
	o.Throttles = sum(st2.Throttles) - sum(st1.Throttles)
	if sns := s.runner.SNS; sns != nil {
		if o.Deliveries, err = sns.Receive(ctx); err != nil {
			return o, err
		}
	}
	if o.Invocation.Err() == nil {
		var res report.Result
		if json.Unmarshal(o.Invocation.Body, &res) == nil && res.Event.Name != "" {
			o.Result = &res
		}
	}
	return o, nil
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// Reconfigure stops the session's emulators and replaces its environment
// overrides (see SessionConfig.Env); the account keeps its state. The
// functions start again, with the new environment, on first use.
func (s *Session) Reconfigure(env map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, n := range s.order {
		errs = append(errs, s.funcs[n].Close())
	}
	s.funcs, s.order, s.env = map[string]*Function{}, nil, env
	return errors.Join(errs...)
}

// Functions are the session's emulators, in the order they started.
func (s *Session) Functions() []*Function {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Function, 0, len(s.order))
	for _, n := range s.order {
		out = append(out, s.funcs[n])
	}
	return out
}

// Close stops the emulators and the account.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, n := range s.order {
		errs = append(errs, s.funcs[n].Close())
	}
	s.funcs, s.order = map[string]*Function{}, nil
	errs = append(errs, s.Account.Close())
	return errors.Join(errs...)
}

// Fired lists the IDs of the checks of r whose status is fail (info checks
// included), in report order.
func Fired(r *report.Result) []string {
	if r == nil {
		return nil
	}
	var out []string
	for _, c := range r.Checks {
		if c.Status == report.StatusFail {
			out = append(out, c.ID)
		}
	}
	return out
}

// Statuses maps each check ID of r to its status.
func Statuses(r *report.Result) map[string]report.Status {
	out := map[string]report.Status{}
	if r != nil {
		for _, c := range r.Checks {
			out[c.ID] = c.Status
		}
	}
	return out
}

// ActionSummary renders the actions of r as "id:status" items.
func ActionSummary(r *report.Result) []string {
	if r == nil {
		return nil
	}
	out := make([]string, 0, len(r.Actions))
	for _, a := range r.Actions {
		out = append(out, a.ID+":"+string(a.Status))
	}
	return out
}

// WriteOps renders writes as "service:Operation" (with " ERROR" when the
// write failed), in order.
func WriteOps(ws []awssim.Write) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		s := w.Service + ":" + w.Operation
		if w.Error != "" {
			s += " " + w.Error
		}
		out = append(out, s)
	}
	return out
}

// NonNotifyWrites drops the EventBridge PutEvents and SNS Publish writes of
// notifications (and the Security Hub findings), keeping the writes that
// change the account.
func NonNotifyWrites(ws []awssim.Write) []awssim.Write {
	var out []awssim.Write
	for _, w := range ws {
		if (w.Service == "events" && w.Operation == "PutEvents") || (w.Service == "sns" && w.Operation == "Publish") ||
			(w.Service == "securityhub" && w.Operation == "BatchImportFindings") {
			continue
		}
		out = append(out, w)
	}
	return out
}
