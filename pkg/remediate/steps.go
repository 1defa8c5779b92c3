// Package remediate plans and applies vpcguard's repairs of the S3 gateway
// endpoint of a model's VPC, in the controller-runtime way: observe (the
// gathered inventory.Snapshot) → compare (the failing checks) → plan (Plan,
// pure) → apply (Remediator, thin and idempotent) → verify (re-read the
// state and re-run the check each action fixes).
//
// Three actions exist; their IDs are a public contract (report.Action*):
//
//   - create-s3-gateway-endpoint: CreateVpcEndpoint (Gateway, S3, the model
//     subnets' route tables, the hardened default policy, tag
//     vpcguard:managed=true, a deterministic ClientToken);
//   - associate-route-tables: ModifyVpcEndpoint AddRouteTableIds (never
//     removes a route table);
//   - add-al-repo-deny: ModifyVpcEndpoint PolicyDocument = the existing
//     policy plus only the missing Deny (policy.MergeALRepoDenies).
//
// Model-level problems (no VpcConfig, one zone, IP capacity, security
// groups, DNS, role permissions) are never fixed: a model's VpcConfig cannot
// change in place, and the checks' remediation text says what to do.
package remediate

import (
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpcguard/vpcguard/pkg/report"
)

// The API calls a step makes.
const (
	APICreateVpcEndpoint = "CreateVpcEndpoint"
	APIModifyVpcEndpoint = "ModifyVpcEndpoint"
)

// ManagedTagKey and ManagedTagValue tag every endpoint vpcguard creates.
const (
	ManagedTagKey   = "vpcguard:managed"
	ManagedTagValue = "true"
)

// Detail keys of a report.Action that a step produces. They are part of the
// result contract: add keys, never rename them.
const (
	DetailCheck     = "check"      // the check the action fixes
	DetailAPI       = "api"        // CreateVpcEndpoint | ModifyVpcEndpoint
	DetailParams    = "params"     // the exact API parameters, by their AWS names
	DetailBefore    = "before"     // the relevant state as found
	DetailAfter     = "after"      // the state the action produces
	DetailOldPolicy = "old_policy" // policy actions: the full old document
	DetailNewPolicy = "new_policy" // policy actions (and create): the full new document
	DetailDiff      = "diff"       // policy actions: a readable diff
	DetailReason    = "reason"     // skipped or failed: why
	DetailError     = "error"      // failed write: "<AWS error code>: <message>"
	DetailErrorCode = "error_code" // failed write: the AWS error code alone
	DetailVerified  = "verified"   // applied or failed after a write: the re-run checks
	DetailNote      = "note"       // anything else the reader should know (a create repeated with a new token)
)

// Step is one planned action: what it fixes, the exact call it makes, and
// the state before and after. A step with Refused set is a refusal: it is
// reported as skipped with that reason and never applied.
type Step struct {
	// Action is the action ID (report.ActionCreateS3GatewayEndpoint, …).
	Action string
	// Check is the ID of the check the step fixes.
	Check string
	// Refused, when set, says why vpcguard will not take this step.
	Refused string

	VPCID string
	// EndpointID is the endpoint a ModifyVpcEndpoint changes ("" for create).
	EndpointID string
	// Resources are the resources the action changes (or would have).
	Resources []string
	// Models and Subnets are the models and model subnets the step repairs;
	// verification re-runs the checks for exactly these.
	Models  []string
	Subnets []string

	// Exactly one of Create and Modify is set on a step that is not refused.
	Create *ec2.CreateVpcEndpointInput
	Modify *ec2.ModifyVpcEndpointInput

	// Before and After describe the relevant state (plain JSON values).
	Before map[string]any
	After  map[string]any
	// OldPolicy, NewPolicy and Diff are set on policy changes (NewPolicy
	// also on create).
	OldPolicy string
	NewPolicy string
	Diff      string

	// Verify lists the checks re-run on the re-read state after applying;
	// all must pass for the action to count as applied. Check comes first.
	Verify []string
}

// API names the call the step makes ("" for a refusal without one).
func (s Step) API() string {
	switch {
	case s.Create != nil:
		return APICreateVpcEndpoint
	case s.Modify != nil:
		return APIModifyVpcEndpoint
	}
	return ""
}

// Params renders the call's parameters with their AWS names, for the
// report. Only the parameters set are present.
func (s Step) Params() map[string]any {
	switch {
	case s.Create != nil:
		in := s.Create
		p := map[string]any{
			"VpcId":           aws.ToString(in.VpcId),
			"VpcEndpointType": string(in.VpcEndpointType),
			"ServiceName":     aws.ToString(in.ServiceName),
			"RouteTableIds":   slices.Clone(in.RouteTableIds),
			"PolicyDocument":  aws.ToString(in.PolicyDocument),
			"ClientToken":     aws.ToString(in.ClientToken),
		}
		var specs []any
		for _, ts := range in.TagSpecifications {
			var tags []any
			for _, t := range ts.Tags {
				tags = append(tags, map[string]any{"Key": aws.ToString(t.Key), "Value": aws.ToString(t.Value)})
			}
			specs = append(specs, map[string]any{"ResourceType": string(ts.ResourceType), "Tags": tags})
		}
		if specs != nil {
			p["TagSpecifications"] = specs
		}
		return p
	case s.Modify != nil:
		in := s.Modify
		p := map[string]any{"VpcEndpointId": aws.ToString(in.VpcEndpointId)}
		if len(in.AddRouteTableIds) > 0 {
			p["AddRouteTableIds"] = slices.Clone(in.AddRouteTableIds)
		}
		if in.PolicyDocument != nil {
			p["PolicyDocument"] = aws.ToString(in.PolicyDocument)
		}
		return p
	}
	return nil
}

// Report renders the step as a report.Action with status; the executor adds
// the outcome keys (reason, error, verified).
func (s Step) Report(status report.ActionStatus) report.Action {
	d := map[string]any{DetailCheck: s.Check}
	if api := s.API(); api != "" {
		d[DetailAPI] = api
		d[DetailParams] = s.Params()
	}
	if s.Before != nil {
		d[DetailBefore] = maps.Clone(s.Before)
	}
	if s.After != nil {
		d[DetailAfter] = maps.Clone(s.After)
	}
	if s.OldPolicy != "" {
		d[DetailOldPolicy] = s.OldPolicy
	}
	if s.NewPolicy != "" {
		d[DetailNewPolicy] = s.NewPolicy
	}
	if s.Diff != "" {
		d[DetailDiff] = s.Diff
	}
	if s.Refused != "" {
		d[DetailReason] = s.Refused
	}
	resources := slices.Clone(s.Resources)
	if resources == nil {
		resources = []string{}
	}
	return report.Action{ID: s.Action, Status: status, Resources: resources, Detail: d}
}
