package main

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
)

// grant is one (action, resource) pair of an identity policy, with the
// statement's condition.
type grant struct {
	role      string // logical ID of the role the policy is attached to
	sid       string
	action    string
	resource  string // intrinsics rendered as ${Ref} / ${Id.Attr}
	condition string // JSON, "" if none
}

// grants lists every Allow of every AWS::IAM::Policy in the template.
func (s *synthesized) grants(t *testing.T) []grant {
	t.Helper()
	var out []grant
	for id, p := range s.resources("AWS::IAM::Policy") {
		pr := props(p)
		roles := pr["Roles"].([]interface{})
		if len(roles) != 1 {
			t.Errorf("policy %s is attached to %d roles, want one", id, len(roles))
		}
		role, _ := roles[0].(map[string]interface{})["Ref"].(string)
		for _, st := range statements(pr["PolicyDocument"]) {
			if st["Effect"] != "Allow" {
				continue
			}
			if _, ok := st["NotAction"]; ok {
				t.Errorf("policy %s uses NotAction", id)
			}
			if _, ok := st["NotResource"]; ok {
				t.Errorf("policy %s uses NotResource", id)
			}
			cond := ""
			if c, ok := st["Condition"]; ok {
				cond = toJSON(resolve(c))
			}
			sid, _ := st["Sid"].(string)
			for _, a := range stringList(st["Action"]) {
				for _, r := range asList(st["Resource"]) {
					out = append(out, grant{role: role, sid: sid, action: a, resource: flatten(r), condition: cond})
				}
			}
		}
	}
	return out
}

// readOnly reports whether an action only reads.
func readOnly(action string) bool {
	_, name, _ := strings.Cut(action, ":")
	for _, p := range []string{"Describe", "List", "Get"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return action == "iam:SimulatePrincipalPolicy"
}

// The permissions of report mode: reads, plus the function's own plumbing.
var reportModeActions = []string{
	"application-autoscaling:DescribeScalableTargets",
	"ec2:DescribeDhcpOptions", "ec2:DescribeFlowLogs", "ec2:DescribeNatGateways", "ec2:DescribeNetworkAcls", "ec2:DescribePrefixLists",
	"ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcAttribute",
	"ec2:DescribeVpcEndpoints", "ec2:DescribeVpcs",
	"events:PutEvents",
	"iam:SimulatePrincipalPolicy",
	"kms:Decrypt", "kms:GenerateDataKey",
	"logs:CreateLogStream", "logs:PutLogEvents",
	"s3:GetBucketPolicy",
	"sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel",
	"sagemaker:ListEndpoints", "sagemaker:ListModels", "sagemaker:ListTags",
	"sns:Publish",
	"sqs:SendMessage",
}

var remediationActions = []string{"ec2:CreateTags", "ec2:CreateVpcEndpoint", "ec2:DeleteVpcEndpoints", "ec2:ModifyVpcEndpoint"}

// undoReadActions: the undo function reads like the others, but publishes
// nothing and needs no autoscaling limits.
var undoReadActions = slices.DeleteFunc(slices.Clone(reportModeActions), func(a string) bool {
	return slices.Contains([]string{"application-autoscaling:DescribeScalableTargets", "events:PutEvents", "kms:Decrypt", "kms:GenerateDataKey", "sns:Publish"}, a)
})

func TestOneRolePerFunctionWithoutManagedPolicies(t *testing.T) {
	for _, ctx := range []map[string]string{reportCtx, remediateCtx} {
		s := synth(t, ctx)
		if strings.Contains(toJSON(s.json), "AWSLambdaBasicExecutionRole") {
			t.Errorf("%v: template mentions AWSLambdaBasicExecutionRole", ctx)
		}
		for id, r := range s.resources("AWS::IAM::Role") {
			if _, ok := props(r)["ManagedPolicyArns"]; ok {
				t.Errorf("%v: role %s has managed policies %s", ctx, id, toJSON(props(r)["ManagedPolicyArns"]))
			}
			if _, ok := props(r)["Policies"]; ok {
				t.Errorf("%v: role %s has inline policies outside AWS::IAM::Policy", ctx, id)
			}
		}
		seen := map[string]string{}
		for name, fn := range s.stack.Functions {
			role := toJSON(props(s.resources("AWS::Lambda::Function")[s.logicalID(t, fn)])["Role"])
			if other, dup := seen[role]; dup {
				t.Errorf("%s and %s share role %s", name, other, role)
			}
			seen[role] = name
		}
		for _, g := range s.grants(t) {
			if g.role != s.logicalID(t, s.stack.Roles[roleName(t, s, g.role)]) {
				t.Errorf("grant %+v is on a role that belongs to no function", g)
			}
		}
	}
}

func TestNoWriteActionOnAWildcardResource(t *testing.T) {
	for _, ctx := range []map[string]string{reportCtx, remediateCtx} {
		for _, g := range synth(t, ctx).grants(t) {
			if g.resource == "*" && !readOnly(g.action) {
				t.Errorf("%v: %s on * (%s)", ctx, g.action, g.sid)
			}
			if strings.Contains(g.action, "*") {
				t.Errorf("%v: wildcard action %s (%s)", ctx, g.action, g.sid)
			}
		}
	}
}

func TestReportModeHasNoWritePermissions(t *testing.T) {
	for _, ctx := range []map[string]string{
		reportCtx,
		{"mode": "report", "remediations": "all"},
		{"mode": "remediate", "remediations": "none"},
	} {
		s := synth(t, ctx)
		byRole := map[string][]string{}
		for _, g := range s.grants(t) {
			if !slices.Contains(byRole[g.role], g.action) {
				byRole[g.role] = append(byRole[g.role], g.action)
			}
			if strings.HasPrefix(g.action, "ec2:") && !strings.HasPrefix(g.action, "ec2:Describe") {
				t.Errorf("%v: %s grants %s", ctx, g.role, g.action)
			}
		}
		if len(byRole) != len(s.stack.Functions) {
			t.Errorf("%v: %d roles with policies, want %d", ctx, len(byRole), len(s.stack.Functions))
		}
		for role, actions := range byRole {
			sort.Strings(actions)
			spec := functionSpecs[roleName(t, s, role)]
			// The reads (the undo function's own), the state table's items,
			// and the sweep's own cursor object.
			want := slices.Clone(reportModeActions)
			if spec.Undoes {
				want = slices.Clone(undoReadActions)
			}
			want = append(want, spec.StateActions...)
			if spec.KeepsState {
				want = append(want, "s3:GetObject", "s3:ListBucket", "s3:PutObject")
			}
			if spec.ChecksHealth { // the health self-check's reads
				want = append(want, healthReadActions...)
			}
			want = slices.Sorted(slices.Values(want))
			if !slices.Equal(actions, want) {
				t.Errorf("%v: %s may\n  %v\nwant exactly\n  %v", ctx, role, actions, want)
			}
		}
	}
}

func TestRemediateModeWritesAreScopedAndConditioned(t *testing.T) {
	s := synth(t, remediateCtx)
	const scope = "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:"
	byRole := map[string]map[string]bool{}
	undoRole := s.logicalID(t, s.stack.Roles["undo"])
	for _, g := range s.grants(t) {
		if !slices.Contains(remediationActions, g.action) || g.role == undoRole {
			continue
		}
		if byRole[g.role] == nil {
			byRole[g.role] = map[string]bool{}
		}
		byRole[g.role][g.action+" "+strings.TrimPrefix(g.resource, scope)] = true
		if !strings.HasPrefix(g.resource, scope) {
			t.Errorf("%s on %s: not scoped to this account and region", g.action, g.resource)
		}
		switch g.action {
		case "ec2:CreateVpcEndpoint":
			if strings.HasSuffix(g.resource, ":vpc-endpoint/*") {
				want := `{"StringEquals":{"ec2:VpceServiceName":"com.amazonaws.${AWS::Region}.s3"}}`
				if g.condition != want {
					t.Errorf("CreateVpcEndpoint on vpc-endpoint/* with condition %s, want %s", g.condition, want)
				}
			} else if g.condition != "" {
				t.Errorf("CreateVpcEndpoint on %s has condition %s", g.resource, g.condition)
			}
		case "ec2:CreateTags":
			want := `{"StringEquals":{"ec2:CreateAction":"CreateVpcEndpoint"}}`
			if g.condition != want {
				t.Errorf("CreateTags with condition %q, want %s", g.condition, want)
			}
		case "ec2:ModifyVpcEndpoint":
			// The Service Authorization Reference lists no ec2:VpceServiceName
			// for ModifyVpcEndpoint: a condition on it would deny every repair.
			if strings.Contains(g.condition, "VpceServiceName") {
				t.Errorf("ModifyVpcEndpoint conditioned on a key it does not carry: %s", g.condition)
			}
		}
	}
	want := map[string]bool{
		"ec2:CreateVpcEndpoint vpc-endpoint/*": true,
		"ec2:CreateVpcEndpoint vpc/*":          true,
		"ec2:CreateVpcEndpoint route-table/*":  true,
		"ec2:CreateTags vpc-endpoint/*":        true,
		"ec2:ModifyVpcEndpoint vpc-endpoint/*": true,
		"ec2:ModifyVpcEndpoint route-table/*":  true,
	}
	if len(byRole) != len(s.stack.Functions)-1 {
		t.Errorf("%d roles may remediate, want all %d but undo's", len(byRole), len(s.stack.Functions)-1)
	}
	for role, got := range byRole {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s remediation grants\n  %v\nwant\n  %v", role, got, want)
		}
	}
}

func TestOnlyTheAllowedRemediationsAreGranted(t *testing.T) {
	for _, tc := range []struct {
		remediations string
		want         []string // action resource, per role
		undo         []string // the undo function's: the reverse writes
	}{
		{actionAddALRepoDeny, []string{"ec2:ModifyVpcEndpoint vpc-endpoint/*"}, []string{"ec2:ModifyVpcEndpoint vpc-endpoint/*"}},
		{actionAssociateRouteTables, []string{"ec2:ModifyVpcEndpoint route-table/*", "ec2:ModifyVpcEndpoint vpc-endpoint/*"},
			[]string{"ec2:ModifyVpcEndpoint route-table/*", "ec2:ModifyVpcEndpoint vpc-endpoint/*"}},
		{actionCreateS3GatewayEndpoint, []string{
			"ec2:CreateTags vpc-endpoint/*",
			"ec2:CreateVpcEndpoint route-table/*", "ec2:CreateVpcEndpoint vpc-endpoint/*", "ec2:CreateVpcEndpoint vpc/*",
		}, []string{"ec2:DeleteVpcEndpoints vpc-endpoint/*"}},
	} {
		s := synth(t, map[string]string{"mode": "remediate", "remediations": tc.remediations})
		byRole := map[string][]string{}
		for _, g := range s.grants(t) {
			if slices.Contains(remediationActions, g.action) {
				_, res, _ := strings.Cut(g.resource, "${AWS::AccountId}:")
				byRole[g.role] = append(byRole[g.role], g.action+" "+res)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(s.stack.Roles)) {
			got := byRole[s.logicalID(t, s.stack.Roles[name])]
			sort.Strings(got)
			want := tc.want
			if functionSpecs[name].Undoes {
				want = tc.undo
			}
			if !slices.Equal(got, want) {
				t.Errorf("remediations=%s: %s may %v, want %v", tc.remediations, name, got, tc.want)
			}
		}
	}
}

// TestUndoRoleHoldsExactlyTheReverseWrites: the undo function may restore
// a policy and remove route tables, and delete only the endpoints tagged
// vpcguard:managed=true; it may create, tag or add nothing.
func TestUndoRoleHoldsExactlyTheReverseWrites(t *testing.T) {
	s := synth(t, remediateCtx)
	role := s.logicalID(t, s.stack.Roles["undo"])
	const scope = "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:"
	got := map[string]string{}
	for _, g := range s.grants(t) {
		if g.role != role || !slices.Contains(remediationActions, g.action) {
			continue
		}
		got[g.action+" "+strings.TrimPrefix(g.resource, scope)] = g.condition
	}
	want := map[string]string{
		"ec2:ModifyVpcEndpoint vpc-endpoint/*":  "",
		"ec2:ModifyVpcEndpoint route-table/*":   "",
		"ec2:DeleteVpcEndpoints vpc-endpoint/*": `{"StringEquals":{"aws:ResourceTag/vpcguard:managed":"true"}}`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("undo grants\n  %v\nwant\n  %v", got, want)
	}
	// Nobody else may delete an endpoint.
	for _, g := range s.grants(t) {
		if g.action == "ec2:DeleteVpcEndpoints" && g.role != role {
			t.Errorf("%s may delete endpoints", roleName(t, s, g.role))
		}
	}
}

func TestNotificationPermissionsAreScoped(t *testing.T) {
	s := synth(t, map[string]string{"eventBusName": "findings"})
	want := map[string]string{
		"sns:Publish":         "${" + s.logicalID(t, s.stack.Topic) + "}",
		"kms:GenerateDataKey": "${" + s.logicalID(t, s.stack.Key) + ".Arn}",
		"kms:Decrypt":         "${" + s.logicalID(t, s.stack.Key) + ".Arn}",
		"events:PutEvents":    "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/findings",
		"sqs:SendMessage":     "${" + s.logicalID(t, s.stack.DLQ) + ".Arn}",
	}
	for _, g := range s.grants(t) {
		if w, ok := want[g.action]; ok && g.resource != w {
			t.Errorf("%s on %s, want %s", g.action, g.resource, w)
		}
		if strings.HasPrefix(g.action, "kms:") && !strings.Contains(g.condition, `"kms:ViaService":"sns.${AWS::Region}.amazonaws.com"`) {
			t.Errorf("%s without kms:ViaService sns: %s", g.action, g.condition)
		}
		if strings.HasPrefix(g.action, "logs:") && !strings.HasSuffix(g.resource, ".Arn}") {
			t.Errorf("%s on %s, want the function's own log group", g.action, g.resource)
		}
	}
}

// --- template helpers -------------------------------------------------------

// roleName finds the function whose role has logical ID id.
func roleName(t *testing.T, s *synthesized, id string) string {
	t.Helper()
	for name, r := range s.stack.Roles {
		if s.logicalID(t, r) == id {
			return name
		}
	}
	t.Fatalf("no function role has logical ID %s", id)
	return ""
}

func statements(doc interface{}) []map[string]interface{} {
	var out []map[string]interface{}
	d, _ := doc.(map[string]interface{})
	for _, s := range asList(d["Statement"]) {
		out = append(out, s.(map[string]interface{}))
	}
	return out
}

func asList(v interface{}) []interface{} {
	if l, ok := v.([]interface{}); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []interface{}{v}
}

func stringList(v interface{}) []string {
	var out []string
	for _, x := range asList(v) {
		out = append(out, x.(string))
	}
	return out
}

// flatten renders a value with CloudFormation intrinsics as one string:
// Ref X → ${X}, GetAtt X.A → ${X.A}, Join → the parts concatenated.
func flatten(v interface{}) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]interface{}:
		if r, ok := x["Ref"]; ok {
			return "${" + r.(string) + "}"
		}
		if g, ok := x["Fn::GetAtt"]; ok {
			l := g.([]interface{})
			return "${" + l[0].(string) + "." + l[1].(string) + "}"
		}
		if j, ok := x["Fn::Join"]; ok {
			l := j.([]interface{})
			var parts []string
			for _, p := range l[1].([]interface{}) {
				parts = append(parts, flatten(p))
			}
			return strings.Join(parts, l[0].(string))
		}
	}
	return toJSON(v)
}

// resolve flattens every intrinsic inside a JSON value.
func resolve(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		if _, ok := x["Ref"]; ok {
			return flatten(x)
		}
		if _, ok := x["Fn::GetAtt"]; ok {
			return flatten(x)
		}
		if _, ok := x["Fn::Join"]; ok {
			return flatten(x)
		}
		out := map[string]interface{}{}
		for k, e := range x {
			out[k] = resolve(e)
		}
		return out
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = resolve(e)
		}
		return out
	}
	return v
}
