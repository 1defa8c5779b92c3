package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The organization-mode contexts: the synth of the issue, the same in
// remediate mode with OUs, and the defaults (one Region, OUs at deploy).
var (
	orgCtx          = map[string]string{"organizationId": "o-a1b2c3d4e5", "memberRegions": "us-east-1,eu-west-1"}
	orgRemediateCtx = map[string]string{"organizationId": "o-a1b2c3d4e5", "memberRegions": "us-east-1,eu-west-1", "mode": "remediate",
		"memberOrganizationalUnits": "ou-a1b2-workload1,ou-a1b2-research1", "existingTrail": "true", "stackSetCallAs": "self"}
	orgDefaultsCtx = map[string]string{"organizationId": "o-a1b2c3d4e5"}
)

const orgID = "o-a1b2c3d4e5"

// templateResources lists a template's resources of one type.
func templateResources(tmpl map[string]interface{}, typ string) map[string]map[string]interface{} {
	out := map[string]map[string]interface{}{}
	res, _ := tmpl["Resources"].(map[string]interface{})
	for id, r := range res {
		if m := r.(map[string]interface{}); m["Type"] == typ {
			out[id] = m
		}
	}
	return out
}

func only(t *testing.T, what string, m map[string]map[string]interface{}) (string, map[string]interface{}) {
	t.Helper()
	if len(m) != 1 {
		t.Fatalf("%s: %d resources, want 1: %s", what, len(m), toJSON(m))
	}
	for id, r := range m {
		return id, r
	}
	return "", nil
}

func stackSets(t *testing.T, s *synthesized) (role, fwd map[string]interface{}) {
	t.Helper()
	for _, r := range s.resources("AWS::CloudFormation::StackSet") {
		switch props(r)["StackSetName"] {
		case memberRoleStackSet:
			role = props(r)
		case forwarderStackSet:
			fwd = props(r)
		}
	}
	if role == nil || fwd == nil || len(s.resources("AWS::CloudFormation::StackSet")) != 2 {
		t.Fatalf("stack sets: %s", toJSON(s.resources("AWS::CloudFormation::StackSet")))
	}
	return role, fwd
}

func TestSingleAccountModeHasNoOrganizationResources(t *testing.T) {
	s := synth(t, reportCtx)
	if s.stack.Organization != nil {
		t.Fatal("organization resources without organizationId")
	}
	for _, typ := range []string{"AWS::CloudFormation::StackSet", "AWS::Events::EventBus", "AWS::Events::EventBusPolicy", "AWS::Logs::MetricFilter"} {
		if n := len(s.resources(typ)); n != 0 {
			t.Errorf("%d %s in single-account mode", n, typ)
		}
	}
	if strings.Contains(toJSON(s.json), memberRoleName) || strings.Contains(toJSON(s.json), "VPCGUARD_MEMBER_ROLE") {
		t.Error("single-account mode mentions the member role")
	}
}

// TestCentralBusAcceptsOnlyTheOrganization: the bus policy lets any
// principal put events only with aws:PrincipalOrgID = the organization.
func TestCentralBusAcceptsOnlyTheOrganization(t *testing.T) {
	s := synth(t, orgCtx)
	busID, bus := only(t, "bus", s.resources("AWS::Events::EventBus"))
	if props(bus)["Name"] != centralBusName {
		t.Errorf("bus = %s", toJSON(bus))
	}
	_, pol := only(t, "bus policy", s.resources("AWS::Events::EventBusPolicy"))
	sts := statements(map[string]interface{}{"Statement": props(pol)["Statement"]})
	if p := props(pol); p["EventBusName"] == nil || flatten(p["EventBusName"]) != "${"+busID+"}" {
		t.Errorf("policy on %s", toJSON(p["EventBusName"]))
	}
	want := map[string]interface{}{
		"Sid": "cdk-AllowOrganizationToPutEvents", "Effect": "Allow", "Principal": map[string]interface{}{"AWS": "*"}, "Action": "events:PutEvents",
		"Resource":  "${" + busID + ".Arn}",
		"Condition": map[string]interface{}{"StringEquals": map[string]interface{}{"aws:PrincipalOrgID": orgID}},
	}
	if len(sts) != 1 || toJSON(resolve(sts[0])) != toJSON(want) {
		t.Errorf("bus policy statements = %s\nwant %s", toJSON(resolve(sts)), toJSON(want))
	}
}

// patternsOn returns the rules on a bus ("" = the default bus) as
// "<target> <event pattern JSON>".
func patternsOn(t *testing.T, rules map[string]map[string]interface{}, bus string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for id, r := range rules {
		p := props(r)
		if p["EventPattern"] == nil {
			continue
		}
		onBus := ""
		if b, ok := p["EventBusName"]; ok {
			onBus = flatten(b)
		}
		if onBus != bus {
			continue
		}
		targets := asList(p["Targets"])
		if len(targets) != 1 {
			t.Fatalf("rule %s has %d targets", id, len(targets))
		}
		out[flatten(targets[0].(map[string]interface{})["Arn"])+" "+toJSON(p["EventPattern"])] = true
	}
	return out
}

// patternsOnly drops the targets of patternsOn.
func patternsOnly(m map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		_, p, _ := strings.Cut(k, " ")
		out[p] = true
	}
	return out
}

// TestCentralBusRulesAreTheDefaultBusRules: each event function has a rule
// on the central bus with exactly its default-bus rule's pattern.
func TestCentralBusRulesAreTheDefaultBusRules(t *testing.T) {
	s := synth(t, orgCtx)
	busID, _ := only(t, "bus", s.resources("AWS::Events::EventBus"))
	rules := s.resources("AWS::Events::Rule")
	onDefault, onCentral := patternsOn(t, rules, ""), patternsOn(t, rules, "${"+busID+"}")
	if len(onDefault) == 0 || !maps.Equal(onDefault, onCentral) {
		t.Errorf("default-bus patterns %v\ncentral-bus patterns %v", onDefault, onCentral)
	}
	for name, rules := range s.stack.Organization.Rules {
		if len(rules) != len(functionSpecs[name].Triggers()) {
			t.Errorf("%s: %d central rules for %d triggers", name, len(rules), len(functionSpecs[name].Triggers()))
		}
		want := map[string]interface{}{"Arn": map[string]interface{}{"Fn::GetAtt": []string{s.logicalID(t, s.stack.Functions[name]), "Arn"}}}
		noPanic(t, "central rule of "+name, func() {
			s.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), &map[string]interface{}{
				"EventBusName": map[string]interface{}{"Ref": busID},
				"Targets":      []interface{}{assertions.Match_ObjectLike(&want)},
			})
		})
	}
}

// TestStackSetsAreServiceManagedWithAutoDeployment: both StackSets deploy
// to the targeted OUs (not the central account) and to accounts that join
// them; the member role once per account, the forwarder in every member
// Region; each template fits CloudFormation's TemplateBody limit.
func TestStackSetsAreServiceManagedWithAutoDeployment(t *testing.T) {
	for _, tc := range []struct {
		ctx        map[string]string
		ous        string
		roleRegion string
		fwdRegions string
		callAs     string
	}{
		{orgCtx, `{"Ref":"MemberOrganizationalUnits"}`, `["us-east-1"]`, `["us-east-1","eu-west-1"]`, callAsDelegatedAdmin},
		{orgRemediateCtx, `["ou-a1b2-workload1","ou-a1b2-research1"]`, `["us-east-1"]`, `["us-east-1","eu-west-1"]`, callAsSelf},
		{orgDefaultsCtx, `{"Ref":"MemberOrganizationalUnits"}`, `[{"Ref":"AWS::Region"}]`, `[{"Ref":"AWS::Region"}]`, callAsDelegatedAdmin},
	} {
		s := synth(t, tc.ctx)
		role, fwd := stackSets(t, s)
		for name, ss := range map[string]map[string]interface{}{"member role": role, "forwarder": fwd} {
			if ss["PermissionModel"] != "SERVICE_MANAGED" || toJSON(ss["AutoDeployment"]) != `{"Enabled":true,"RetainStacksOnAccountRemoval":false}` ||
				toJSON(ss["ManagedExecution"]) != `{"Active":true}` ||
				ss["CallAs"] != tc.callAs {
				t.Errorf("%v %s: %s", tc.ctx, name, toJSON(ss))
			}
			groups := asList(ss["StackInstancesGroup"])
			if len(groups) != 1 {
				t.Fatalf("%v %s: %d instance groups", tc.ctx, name, len(groups))
			}
			targets := groups[0].(map[string]interface{})["DeploymentTargets"].(map[string]interface{})
			if toJSON(targets["OrganizationalUnitIds"]) != tc.ous || targets["AccountFilterType"] != "DIFFERENCE" ||
				toJSON(targets["Accounts"]) != `[{"Ref":"AWS::AccountId"}]` {
				t.Errorf("%v %s: targets %s", tc.ctx, name, toJSON(targets))
			}
			regions := toJSON(groups[0].(map[string]interface{})["Regions"])
			if want := map[string]string{"member role": tc.roleRegion, "forwarder": tc.fwdRegions}[name]; regions != want {
				t.Errorf("%v %s: Regions %s, want %s", tc.ctx, name, regions, want)
			}
			body, _ := ss["TemplateBody"].(string)
			var parsed map[string]interface{}
			if len(body) == 0 || len(body) > maxTemplateBody || json.Unmarshal([]byte(body), &parsed) != nil {
				t.Errorf("%v %s: TemplateBody of %d bytes", tc.ctx, name, len(body))
			}
			if _, ok := parsed["Parameters"].(map[string]interface{})["BootstrapVersion"]; ok {
				t.Errorf("%v %s: the template needs a CDK bootstrap", tc.ctx, name)
			}
			t.Logf("%v %s: TemplateBody %d bytes of %d", tc.ctx, name, len(body), maxTemplateBody)
		}
		if toJSON(role["Capabilities"]) != `["CAPABILITY_NAMED_IAM"]` || toJSON(fwd["Capabilities"]) != `["CAPABILITY_IAM"]` {
			t.Errorf("capabilities %s / %s", toJSON(role["Capabilities"]), toJSON(fwd["Capabilities"]))
		}
	}
	if n := len(synth(t, orgCtx).resources("AWS::CloudFormation::StackSet")); n != 2 {
		t.Errorf("%d StackSets", n)
	}
	noPanic(t, "region rule", func() {
		tmpl := synth(t, orgCtx).json
		rule := toJSON(tmpl["Rules"])
		if !strings.Contains(rule, `"Fn::Contains":[["us-east-1","eu-west-1"],{"Ref":"AWS::Region"}]`) {
			t.Errorf("no rule that the central Region is a member Region: %s", rule)
		}
	})
}

// stackSetParam is one parameter value of a StackSet.
func stackSetParam(ss map[string]interface{}, key string) interface{} {
	for _, p := range asList(ss["Parameters"]) {
		if m := p.(map[string]interface{}); m["ParameterKey"] == key {
			return m["ParameterValue"]
		}
	}
	return nil
}

// TestMemberRoleTrustsOnlyTheCentralFunctionRoles: role vpcguard-member
// may be assumed by the central account's principals whose ARN is one of
// the function roles, in the organization, and by nobody else; sessions
// named for an undo (vpcguard-undo-…) only by the undo function's role, in
// remediate mode, and by no other.
func TestMemberRoleTrustsOnlyTheCentralFunctionRoles(t *testing.T) {
	for _, ctx := range []map[string]string{orgCtx, orgRemediateCtx, orgDefaultsCtx} {
		s := synth(t, ctx)
		tmpl := s.stack.Organization.MemberRoleTemplate
		_, role := only(t, "member roles", templateResources(tmpl, "AWS::IAM::Role"))
		if props(role)["RoleName"] != memberRoleName || props(role)["MaxSessionDuration"] != float64(3600) {
			t.Errorf("%v: role %s", ctx, toJSON(props(role)))
		}
		remediate := ctx["mode"] == "remediate"
		trust := statements(props(role)["AssumeRolePolicyDocument"])
		principal := map[string]interface{}{"AWS": "arn:${AWS::Partition}:iam::${" + paramCentralAcct + "}:root"}
		want := []interface{}{map[string]interface{}{
			"Action": "sts:AssumeRole",
			"Condition": map[string]interface{}{
				"ArnEquals":     map[string]interface{}{"aws:PrincipalArn": "${" + paramCentralRoles + "}"},
				"StringEquals":  map[string]interface{}{"aws:PrincipalOrgID": orgID},
				"StringNotLike": map[string]interface{}{"sts:RoleSessionName": "vpcguard-undo-*"},
			},
			"Effect": "Allow", "Principal": principal,
		}}
		if remediate {
			want = append(want, map[string]interface{}{
				"Action": "sts:AssumeRole",
				"Condition": map[string]interface{}{
					"ArnEquals":    map[string]interface{}{"aws:PrincipalArn": "${" + paramCentralUndo + "}"},
					"StringEquals": map[string]interface{}{"aws:PrincipalOrgID": orgID},
					"StringLike":   map[string]interface{}{"sts:RoleSessionName": "vpcguard-undo-*"},
				},
				"Effect": "Allow", "Principal": principal,
			})
		}
		var got []interface{}
		for _, st := range trust {
			got = append(got, resolve(st))
		}
		if toJSON(got) != toJSON(want) {
			t.Errorf("%v: trust %s\nwant %s", ctx, toJSON(got), toJSON(want))
		}
		// The StackSet passes the event functions' and sweep's roles, and
		// only them; the undo function's apart, in remediate mode only.
		roleSet, _ := stackSets(t, s)
		var want2 []string
		for _, name := range slices.Sorted(maps.Keys(s.stack.Roles)) {
			if !functionSpecs[name].Trigger.Manual {
				want2 = append(want2, "${"+s.logicalID(t, s.stack.Roles[name])+".Arn}")
			}
		}
		if got := flatten(stackSetParam(roleSet, paramCentralRoles)); got != strings.Join(want2, ",") {
			t.Errorf("%v: CentralRoleArns = %s, want %s", ctx, got, strings.Join(want2, ","))
		}
		undoArn := "${" + s.logicalID(t, s.stack.Roles["undo"]) + ".Arn}"
		_, undoParam := tmpl["Parameters"].(map[string]interface{})[paramCentralUndo]
		if got := flatten(stackSetParam(roleSet, paramCentralUndo)); remediate != (got == undoArn) || remediate != undoParam {
			t.Errorf("%v: CentralUndoRoleArn = %q (template parameter %v)", ctx, got, undoParam)
		}
		if got := flatten(stackSetParam(roleSet, paramCentralAcct)); got != "${AWS::AccountId}" {
			t.Errorf("%v: CentralAccountId = %s", ctx, got)
		}
	}
}

// memberGrants lists the (action resource condition) of the member role.
func memberGrants(tmpl map[string]interface{}) []string {
	return memberGrantsOf(tmpl, func(string) bool { return true })
}

// memberGrantsOf lists those of the statements whose Sid keep accepts.
func memberGrantsOf(tmpl map[string]interface{}, keep func(sid string) bool) []string {
	var out []string
	for _, p := range templateResources(tmpl, "AWS::IAM::Policy") {
		for _, st := range statements(props(p)["PolicyDocument"]) {
			if sid, _ := st["Sid"].(string); !keep(sid) {
				continue
			}
			cond := ""
			if c, ok := st["Condition"]; ok {
				cond = " " + toJSON(resolve(c))
			}
			for _, a := range stringList(st["Action"]) {
				for _, r := range asList(st["Resource"]) {
					out = append(out, a+" "+flatten(r)+cond)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestMemberRoleHasTheFunctionRolesGuardPermissions: the member role's
// policy is the guard part of a function role's (the same builders), in
// the member Regions: read-only in report mode, plus exactly the allowed
// actions in remediate mode.
func TestMemberRoleHasTheFunctionRolesGuardPermissions(t *testing.T) {
	plumbing := func(action string) bool {
		for _, p := range []string{"logs:", "sns:", "kms:", "events:", "sqs:", "sts:", "organizations:", "dynamodb:", "securityhub:", "cloudtrail:", "cloudwatch:", "lambda:"} {
			if strings.HasPrefix(action, p) {
				return true
			}
		}
		return false
	}
	for _, ctx := range []map[string]string{orgCtx, orgRemediateCtx} {
		s := synth(t, ctx)
		member := memberGrantsOf(s.stack.Organization.MemberRoleTemplate, notUndo) // the undo's: orgundo_test.go
		// The function role of modelguard, its guard part, in the same shape.
		var fn []string
		for _, g := range s.grants(t) {
			if g.role != s.logicalID(t, s.stack.Roles["modelguard"]) || plumbing(g.action) {
				continue
			}
			cond := ""
			if g.condition != "" {
				cond = " " + g.condition
			}
			fn = append(fn, g.action+" "+g.resource+cond)
		}
		slices.Sort(fn)
		if !slices.Equal(member, fn) {
			t.Errorf("%v: member role grants\n  %s\nfunction role guard grants\n  %s", ctx, strings.Join(member, "\n  "), strings.Join(fn, "\n  "))
		}
		regional := 0
		for _, g := range member {
			if strings.Contains(g, "${AWS::Region}") {
				t.Errorf("%v: member grant %s is bound to the stack's Region", ctx, g)
			}
			if strings.Contains(g, ":us-east-1:") || strings.Contains(g, ":eu-west-1:") {
				regional++
			}
			action, _, _ := strings.Cut(g, " ")
			if ctx["mode"] != "remediate" && !readOnly(action) {
				t.Errorf("%v: report mode member grant %s", ctx, g)
			}
		}
		if regional == 0 {
			t.Errorf("%v: no grant names a member Region", ctx)
		}
	}
	// One member Region, not given: the Region is the central stack's.
	grants := memberGrants(synth(t, orgDefaultsCtx).stack.Organization.MemberRoleTemplate)
	if !slices.ContainsFunc(grants, func(g string) bool { return strings.Contains(g, "sagemaker:${"+paramCentralRegion+"}:") }) {
		t.Errorf("default Regions: member grants %v", grants)
	}
}

// TestForwarderPatternsEqualTheCentralPatterns: the forwarder's rules, on
// the member's default bus, carry exactly the central rules' patterns and
// send to the central bus with a role that may only put events there.
func TestForwarderPatternsEqualTheCentralPatterns(t *testing.T) {
	for _, ctx := range []map[string]string{orgCtx, orgRemediateCtx} {
		s := synth(t, ctx)
		busID, _ := only(t, "bus", s.resources("AWS::Events::EventBus"))
		central := patternsOnly(patternsOn(t, s.resources("AWS::Events::Rule"), "${"+busID+"}"))
		tmpl := s.stack.Organization.ForwarderTemplate
		roleID, role := only(t, "forwarder role", templateResources(tmpl, "AWS::IAM::Role"))
		forwarded := map[string]bool{}
		for id, r := range templateResources(tmpl, "AWS::Events::Rule") {
			p := props(r)
			if _, ok := p["EventBusName"]; ok {
				t.Errorf("%v: forwarder rule %s is not on the default bus", ctx, id)
			}
			forwarded[toJSON(p["EventPattern"])] = true
			targets := asList(p["Targets"])
			if len(targets) != 1 || flatten(targets[0].(map[string]interface{})["Arn"]) != "${"+paramCentralBus+"}" ||
				flatten(targets[0].(map[string]interface{})["RoleArn"]) != "${"+roleID+".Arn}" {
				t.Errorf("%v: forwarder rule %s targets %s", ctx, id, toJSON(targets))
			}
		}
		if len(central) == 0 || !maps.Equal(central, forwarded) {
			t.Errorf("%v: central patterns %v, forwarded %v", ctx, slices.Collect(maps.Keys(central)), slices.Collect(maps.Keys(forwarded)))
		}
		trust := statements(props(role)["AssumeRolePolicyDocument"])
		if len(trust) != 1 || toJSON(resolve(trust[0])) != `{"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"${AWS::AccountId}"}},"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"}}` {
			t.Errorf("%v: forwarder role trust %s", ctx, toJSON(resolve(trust)))
		}
		if g := memberGrants(tmpl); len(g) != 1 || g[0] != "events:PutEvents ${"+paramCentralBus+"}" {
			t.Errorf("%v: forwarder grants %v", ctx, g)
		}
		_, fwdSet := stackSets(t, s)
		if got := flatten(stackSetParam(fwdSet, paramCentralBus)); got != "${"+busID+".Arn}" {
			t.Errorf("%v: CentralBusArn = %s", ctx, got)
		}
		trails := len(templateResources(tmpl, "AWS::CloudTrail::Trail"))
		if want := map[bool]int{true: 0, false: 1}[ctx["existingTrail"] == "true"]; trails != want {
			t.Errorf("%v: %d trails in the forwarder", ctx, trails)
		}
	}
}

// TestFunctionsMayAssumeOnlyTheMemberRole: each function may assume
// role/vpcguard-member of the organization's accounts, and no other role.
func TestFunctionsMayAssumeOnlyTheMemberRole(t *testing.T) {
	for _, ctx := range []map[string]string{orgCtx, orgRemediateCtx} {
		s := synth(t, ctx)
		byRole := map[string]int{}
		for _, g := range s.grants(t) {
			if !strings.HasPrefix(g.action, "sts:") && !strings.HasPrefix(g.action, "iam:PassRole") {
				continue
			}
			byRole[g.role]++
			if g.action != "sts:AssumeRole" || g.resource != "arn:${AWS::Partition}:iam::*:role/"+memberRoleName ||
				g.condition != `{"StringEquals":{"aws:ResourceOrgID":"`+orgID+`"}}` {
				t.Errorf("%v: %+v", ctx, g)
			}
		}
		for name, role := range s.stack.Roles {
			want := 1
			if functionSpecs[name].Trigger.Manual && ctx["mode"] != "remediate" {
				want = 0 // no repair to undo in the members
			}
			if byRole[s.logicalID(t, role)] != want {
				t.Errorf("%v: %s has %d sts grants, want %d", ctx, name, byRole[s.logicalID(t, role)], want)
			}
		}
		for _, g := range s.grants(t) {
			if strings.HasPrefix(g.action, "organizations:") && g.role != s.logicalID(t, s.stack.Roles["sweep"]) {
				t.Errorf("%v: %s may %s", ctx, roleName(t, s, g.role), g.action)
			}
			if g.resource == "*" && !readOnly(g.action) {
				t.Errorf("%v: %s on *", ctx, g.action)
			}
		}
	}
}

func TestOrganizationEnvironmentAndAlarms(t *testing.T) {
	s := synth(t, orgCtx)
	for name, fn := range s.stack.Functions {
		if functionSpecs[name].Trigger.Manual {
			continue
		}
		env := props(s.resources("AWS::Lambda::Function")[s.logicalID(t, fn)])["Environment"].(map[string]interface{})["Variables"].(map[string]interface{})
		if env["VPCGUARD_MEMBER_ROLE"] != memberRoleName || flatten(env["VPCGUARD_REGIONS"]) != "us-east-1,eu-west-1" {
			t.Errorf("%s: env %s", name, toJSON(env))
		}
		_, ous := env["VPCGUARD_ORGANIZATIONAL_UNITS"]
		if ous != functionSpecs[name].Trigger.Scheduled {
			t.Errorf("%s: VPCGUARD_ORGANIZATIONAL_UNITS set = %v", name, ous)
		}
		if functionSpecs[name].KeepsState && !strings.Contains(toJSON(s.json), `sweep/*/*/state.json`) {
			t.Errorf("%s: no grant on the per-account cursors", name)
		}
	}
	guards := 0
	for name := range s.stack.Functions {
		if !functionSpecs[name].Trigger.Manual {
			guards++
		}
	}
	filters := s.resources("AWS::Logs::MetricFilter")
	if len(filters) != guards {
		t.Errorf("%d metric filters for %d functions", len(filters), guards)
	}
	for _, f := range filters {
		if p := props(f); p["FilterPattern"] != `{ $.message = "`+memberUnreachableMessage+`" }` {
			t.Errorf("filter pattern %v", p["FilterPattern"])
		}
	}
	noPanic(t, "alarms", func() {
		single := synth(t, reportCtx)
		alarms := len(single.resources("AWS::CloudWatch::Alarm"))
		s.template.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(alarms+guards))
	})
	if *synth(t, orgDefaultsCtx).stack.Organization.MemberRole.StackSetName() != memberRoleStackSet {
		t.Error("member role StackSet name")
	}
}

// TestConstantsMatchTheFunctions keeps the metric filter's message equal
// to the root module's config.MemberUnreachable, and the undo sessions'
// prefix the member role reserves to config.UndoSessionPrefix.
func TestConstantsMatchTheFunctions(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(testRepoRoot(t), "pkg", "config", "org.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			for i, name := range vs.Names {
				if i >= len(vs.Values) {
					break
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
					found[name.Name], _ = strconv.Unquote(lit.Value)
				}
			}
		}
		return true
	})
	for name, infra := range map[string]string{"MemberUnreachable": memberUnreachableMessage, "UndoSessionPrefix": undoSessionPrefix} {
		if found[name] != infra {
			t.Errorf("pkg/config %s = %q, infra uses %q", name, found[name], infra)
		}
	}
}

func TestOrganizationIsCdkNagClean(t *testing.T) {
	for _, ctx := range []map[string]string{orgCtx, orgRemediateCtx, orgDefaultsCtx} {
		s := synth(t, ctx) // the member stacks' cdk-nag errors fail this synth
		noPanic(t, "annotations", func() {
			errs := assertions.Annotations_FromStack(s.stack.Stack).FindError(
				jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
			for _, e := range *errs {
				t.Errorf("%v: %s: %v", ctx, *e.Id, e.Entry.Data)
			}
		})
	}
}

func TestOrganizationSettings(t *testing.T) {
	s, err := parseSettings(ctxGetter(map[string]string{
		"organizationId": "o-a1b2c3d4e5", "memberRegions": "us-east-1, eu-west-1,us-east-1",
		"memberOrganizationalUnits": "r-a1b2", "stackSetCallAs": "self",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Organization() || !slices.Equal(s.MemberRegions, []string{"us-east-1", "eu-west-1"}) ||
		!slices.Equal(s.MemberOrganizationalUnits, []string{"r-a1b2"}) || s.StackSetCallAs != callAsSelf {
		t.Errorf("settings %+v", s)
	}
	_, err = parseSettings(ctxGetter(map[string]string{
		"organizationId": "o-a1b2c3d4e5", "memberRegions": "us-east-1,Ireland", "memberOrganizationalUnits": "Workloads", "stackSetCallAs": "admin",
	}))
	for _, key := range []string{"memberRegions", "memberOrganizationalUnits", "stackSetCallAs"} {
		if err == nil || !strings.Contains(err.Error(), "context "+key+"=") {
			t.Errorf("error does not name %s: %v", key, err)
		}
	}
	if _, err := parseSettings(ctxGetter(map[string]string{"organizationId": "a1b2c3"})); err == nil || !strings.Contains(err.Error(), "organizationId") {
		t.Errorf("bad organization id: %v", err)
	}
	if _, err := parseSettings(ctxGetter(map[string]string{"memberRegions": "us-east-1"})); err == nil || !strings.Contains(err.Error(), "set organizationId too") {
		t.Errorf("memberRegions without organizationId: %v", err)
	}
}

// TestForwarderRulesMatchTheMemberEvents: the member events of
// events/organization/ match exactly one forwarder rule, that of the
// function that handles them.
func TestForwarderRulesMatchTheMemberEvents(t *testing.T) {
	s := synth(t, orgCtx)
	files, err := filepath.Glob(filepath.Join(testRepoRoot(t), "events", "organization", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no events/organization/*.json: %v", err)
	}
	rules := templateResources(s.stack.Organization.ForwarderTemplate, "AWS::Events::Rule")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev map[string]interface{}
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		var matched []string
		for id, r := range rules {
			pattern, _ := props(r)["EventPattern"].(map[string]interface{})
			ok, err := matchPattern(pattern, ev)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				matched = append(matched, id)
			}
		}
		if len(matched) != 1 || !strings.HasPrefix(matched[0], "Modelguard") {
			t.Errorf("%s matches forwarder rules %v", filepath.Base(f), matched)
		}
	}
}
