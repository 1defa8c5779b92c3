package main

import (
	"slices"
	"strings"
	"testing"
)

// healthRulesEnv is VPCGUARD_RULES as the stack must set it: every rule of
// every function, named <stack>-<function>[-<source>], with its function.
func healthRulesEnv(specs []FunctionSpec) string {
	var out []string
	for _, spec := range specs {
		for i, tr := range spec.Triggers() {
			rule := stackName + "-" + spec.Name
			if i > 0 {
				rule += "-" + strings.TrimPrefix(tr.Source, "aws.")
			}
			out = append(out, rule+"="+stackName+"-"+spec.Name)
		}
	}
	return strings.Join(out, ",")
}

func healthFunctionsEnv(specs []FunctionSpec) string {
	var out []string
	for _, spec := range specs {
		out = append(out, stackName+"-"+spec.Name)
	}
	return strings.Join(out, ",")
}

// ruleRef is how VPCGUARD_RULES and the health reads name a template's
// rule: its name, after its bus's (organization mode's central bus) and a
// slash when it is not on the default bus.
func ruleRef(t *testing.T, s *synthesized, rule map[string]interface{}) string {
	t.Helper()
	name, _ := props(rule)["Name"].(string)
	bus, ok := props(rule)["EventBusName"]
	if !ok {
		return name
	}
	if s.stack.Organization == nil || flatten(bus) != "${"+s.logicalID(t, s.stack.Organization.Bus)+"}" {
		t.Fatalf("rule %s on bus %s", name, toJSON(bus))
	}
	return centralBusName + "/" + name
}

// The variables name exactly the rules and functions of the template: the
// health check looks at what was deployed (in organization mode, the
// central bus's rules too).
func TestHealthVariablesNameTheStacksRulesAndFunctions(t *testing.T) {
	for _, ctx := range []map[string]string{reportCtx, orgCtx} {
		healthVariablesNameTheStacksRulesAndFunctions(t, ctx)
	}
}

func healthVariablesNameTheStacksRulesAndFunctions(t *testing.T, ctx map[string]string) {
	s := synth(t, ctx)
	sweep, ok := s.stack.Functions["sweep"]
	if !ok || !functionSpecs["sweep"].ChecksHealth {
		t.Fatal("the sweep runs the health check")
	}
	env := props(s.resources("AWS::Lambda::Function")[s.logicalID(t, sweep)])["Environment"].(map[string]interface{})["Variables"].(map[string]interface{})
	var ruleNames, fnNames []string
	targets := map[string]string{} // rule name → target function logical id
	for _, r := range s.resources("AWS::Events::Rule") {
		p := props(r)
		name := ruleRef(t, s, r)
		ruleNames = append(ruleNames, name)
		for _, tg := range asList(p["Targets"]) {
			targets[name] = flatten(tg.(map[string]interface{})["Arn"])
		}
	}
	byID := map[string]string{}
	for id, f := range s.resources("AWS::Lambda::Function") {
		name, _ := props(f)["FunctionName"].(string)
		fnNames = append(fnNames, name)
		byID["${"+id+".Arn}"] = name
	}
	var pairs []string
	for _, rule := range ruleNames {
		pairs = append(pairs, rule+"="+byID[targets[rule]])
	}
	got := strings.Split(env["VPCGUARD_RULES"].(string), ",")
	slices.Sort(got)
	slices.Sort(pairs)
	if !slices.Equal(got, pairs) || len(pairs) < len(s.stack.Functions) {
		t.Errorf("%v: VPCGUARD_RULES %v\nthe template's rules and targets %v", ctx, got, pairs)
	}
	if central := strings.Count(","+env["VPCGUARD_RULES"].(string), ","+centralBusName+"/"); (s.stack.Organization != nil) != (central > 0) {
		t.Errorf("%v: %d rules of the central bus in VPCGUARD_RULES", ctx, central)
	}
	gotFns := strings.Split(env["VPCGUARD_FUNCTIONS"].(string), ",")
	slices.Sort(gotFns)
	slices.Sort(fnNames)
	if !slices.Equal(gotFns, fnNames) {
		t.Errorf("VPCGUARD_FUNCTIONS %v, the template's %v", gotFns, fnNames)
	}
	if toJSON(env["VPCGUARD_DLQ_URL"]) != `{"Ref":"`+s.logicalID(t, s.stack.DLQ)+`"}` {
		t.Errorf("VPCGUARD_DLQ_URL %s", toJSON(env["VPCGUARD_DLQ_URL"]))
	}
	for name, fn := range s.stack.Functions {
		if name == "sweep" {
			continue
		}
		v := props(s.resources("AWS::Lambda::Function")[s.logicalID(t, fn)])["Environment"].(map[string]interface{})["Variables"].(map[string]interface{})
		for _, k := range []string{"VPCGUARD_RULES", "VPCGUARD_FUNCTIONS", "VPCGUARD_DLQ_URL"} {
			if _, ok := v[k]; ok {
				t.Errorf("%s has %s: only the sweep checks health", name, k)
			}
		}
	}
}

// The health reads, exactly, on the stack's own resources; "*" only where
// the action supports no resource; only the sweep's role has them.
func TestHealthReadsAreExactlyGranted(t *testing.T) {
	for _, ctx := range []map[string]string{remediateCtx, orgRemediateCtx} {
		healthReadsAreExactlyGranted(t, ctx)
	}
}

func healthReadsAreExactlyGranted(t *testing.T, ctx map[string]string) {
	s := synth(t, ctx)
	sweepRole := s.logicalID(t, s.stack.Roles["sweep"])
	rules := []string{}
	for _, r := range s.resources("AWS::Events::Rule") {
		rules = append(rules, "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/"+ruleRef(t, s, r))
	}
	want := map[string][]string{
		"cloudtrail:DescribeTrails":      {"*"},
		"cloudtrail:GetTrailStatus":      {"arn:${AWS::Partition}:cloudtrail:*:*:trail/*"},
		"cloudtrail:GetEventSelectors":   {"arn:${AWS::Partition}:cloudtrail:*:*:trail/*"},
		"events:DescribeRule":            rules,
		"events:ListTargetsByRule":       rules,
		"sns:ListSubscriptionsByTopic":   {"${" + s.logicalID(t, s.stack.Topic) + "}"},
		"sqs:GetQueueAttributes":         {"${" + s.logicalID(t, s.stack.DLQ) + ".Arn}"},
		"cloudwatch:GetMetricStatistics": {"*"},
	}
	got := map[string][]string{}
	for _, g := range s.grants(t) {
		if _, ok := want[g.action]; !ok {
			continue
		}
		if g.role != sweepRole {
			t.Errorf("%s may %s", roleName(t, s, g.role), g.action)
		}
		if g.condition != "" {
			t.Errorf("%s with a condition %s", g.action, g.condition)
		}
		got[g.action] = append(got[g.action], g.resource)
	}
	for action, res := range want {
		slices.Sort(res)
		slices.Sort(got[action])
		if !slices.Equal(got[action], res) {
			t.Errorf("%v: %s on %v, want %v", ctx, action, got[action], res)
		}
	}
	if len(rules) < 4 {
		t.Errorf("%d rules", len(rules))
	}
}
