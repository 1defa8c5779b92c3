// Package undo takes one of vpcguard's repairs back, verified: the undo
// function (functions/undo). It follows the executor's shape: observe (the
// endpoint, route tables and models as they are now) → compare (with the
// ledger entry's recorded after) → plan (Plan, pure) → apply (one write,
// under the VPC's lock) → verify (re-read until the state equals the
// recorded before) → record (the entry reverted, a 7-day hold so that no
// event redoes the repair).
//
// Each action has one undo, refused as soon as the state is not exactly
// what vpcguard left:
//
//   - add-al-repo-deny: the previous policy is restored, only while the
//     endpoint's policy is still the one vpcguard wrote (else the refusal
//     shows the diff between the two);
//   - associate-route-tables: exactly the route tables vpcguard added are
//     removed, only while each still routes S3 through that endpoint;
//   - create-s3-gateway-endpoint: the endpoint vpcguard created is deleted,
//     only while it carries the vpcguard:managed tag and the policy and
//     route tables vpcguard gave it, and only with confirm (it cuts the
//     private S3 path of the models that use it: the result names them).
package undo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpcguard/vpcguard/pkg/inventory"
	"github.com/vpcguard/vpcguard/pkg/ledger"
	"github.com/vpcguard/vpcguard/pkg/policy"
	"github.com/vpcguard/vpcguard/pkg/remediate"
	"github.com/vpcguard/vpcguard/pkg/report"
)

// Observed is the state an undo is decided on, read just before.
type Observed struct {
	// Endpoint is the entry's endpoint as it is now; nil when it is gone.
	Endpoint *inventory.Endpoint
	// RouteTables are the VPC's route tables.
	RouteTables []inventory.RouteTable
	// S3Endpoints are the VPC's live S3 gateway endpoints.
	S3Endpoints []inventory.Endpoint
	// Models are the models whose subnets reach S3 through the endpoint
	// (read for the undo of a create only).
	Models []string
}

// Plan is what an undo will do: exactly one of Refused, Modify and Delete.
type Plan struct {
	Refused string
	// Diff is set on a refused policy restore: what vpcguard wrote, then
	// what is there now.
	Diff   string
	Modify *ec2.ModifyVpcEndpointInput
	Delete *ec2.DeleteVpcEndpointsInput
	// Removed are the route tables an associate undo removes.
	Removed []string
	// ModelsLosingS3 are the models whose private S3 path a create undo cuts.
	ModelsLosingS3 []string
	// Hold is what the planner must leave alone afterwards: the VPC
	// (create), the route tables removed (associate) or the endpoint (policy).
	Hold []string
}

// PlanUndo decides the undo of entry on the observed state. It never calls
// AWS. confirm is the caller's consent to delete an endpoint.
func PlanUndo(e ledger.Entry, o Observed, confirm bool) Plan {
	refuse := func(format string, args ...any) Plan { return Plan{Refused: fmt.Sprintf(format, args...)} }
	switch {
	case e.Status == ledger.StatusReverted:
		at := "earlier"
		if e.Undo != nil {
			at = "at " + e.Undo.Time.UTC().Format("2006-01-02T15:04:05Z")
		}
		return refuse("%s was already reverted %s", e.ID, at)
	case e.Outcome != nil && !e.Outcome.Written:
		code := e.Outcome.ErrorCode
		if code == "" {
			code = e.Outcome.Status
		}
		return refuse("the write of %s failed (%s), so nothing was changed and there is nothing to undo", e.ID, code)
	}
	switch e.Action {
	case report.ActionAddALRepoDeny:
		return planPolicy(e, o)
	case report.ActionAssociateRouteTables:
		return planAssociate(e, o)
	case report.ActionCreateS3GatewayEndpoint:
		return planCreate(e, o, confirm)
	}
	return refuse("ledger entry %s is of action %q, which undo does not know", e.ID, e.Action)
}

func planPolicy(e ledger.Entry, o Observed) Plan {
	id := e.EndpointID
	switch {
	case e.Before.Policy == nil || e.After.Policy == nil:
		return Plan{Refused: fmt.Sprintf("ledger entry %s does not hold the policies before and after", e.ID)}
	case o.Endpoint == nil:
		return Plan{Refused: fmt.Sprintf("endpoint %s no longer exists: there is nothing to restore the policy of", id)}
	}
	if !samePolicy(o.Endpoint.PolicyDocument, *e.After.Policy) {
		return Plan{
			Refused: fmt.Sprintf("the policy of %s has changed since vpcguard wrote it, so restoring the previous one would undo someone else's change: nothing written (the diff shows what vpcguard wrote and what is there now)", id),
			Diff:    PolicyDiff(*e.After.Policy, o.Endpoint.PolicyDocument),
		}
	}
	in := &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id)}
	if strings.TrimSpace(*e.Before.Policy) == "" {
		in.ResetPolicy = aws.Bool(true) // there was none: AWS's default again
	} else {
		in.PolicyDocument = aws.String(*e.Before.Policy)
	}
	return Plan{Modify: in, Hold: []string{id}}
}

func planAssociate(e ledger.Entry, o Observed) Plan {
	id := e.EndpointID
	added := addedTables(e)
	switch {
	case len(added) == 0:
		return Plan{Refused: fmt.Sprintf("ledger entry %s records no route table added", e.ID)}
	case o.Endpoint == nil:
		return Plan{Refused: fmt.Sprintf("endpoint %s no longer exists: its route tables are gone with it", id)}
	}
	var changed []string
	for _, t := range added {
		i := slices.IndexFunc(o.RouteTables, func(rt inventory.RouteTable) bool { return rt.ID == t })
		if i < 0 || !slices.Contains(o.Endpoint.RouteTableIDs, t) || !o.RouteTables[i].RoutesVia(*o.Endpoint) {
			changed = append(changed, t)
		}
	}
	if len(changed) > 0 {
		return Plan{Refused: fmt.Sprintf("route table %s no longer routes S3 through %s (changed since vpcguard added it), so undo removes nothing",
			strings.Join(changed, ", "), id)}
	}
	return Plan{
		Modify:  &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), RemoveRouteTableIds: added},
		Removed: added, Hold: added,
	}
}

func planCreate(e ledger.Entry, o Observed, confirm bool) Plan {
	id := e.EndpointID
	refuse := func(format string, args ...any) Plan { return Plan{Refused: fmt.Sprintf(format, args...)} }
	switch {
	case id == "":
		return refuse("ledger entry %s does not record the endpoint created (its outcome is %s)", e.ID, e.Status)
	case o.Endpoint == nil:
		return refuse("endpoint %s no longer exists: it was deleted already", id)
	case o.Endpoint.Tags[remediate.ManagedTagKey] != remediate.ManagedTagValue:
		return refuse("endpoint %s no longer carries the tag %s=%s, so it is not vpcguard's to delete", id, remediate.ManagedTagKey, remediate.ManagedTagValue)
	case e.After.Policy != nil && !samePolicy(o.Endpoint.PolicyDocument, *e.After.Policy):
		return Plan{Refused: fmt.Sprintf("the policy of %s has changed since vpcguard created it, so someone relies on it: not deleted", id),
			Diff: PolicyDiff(*e.After.Policy, o.Endpoint.PolicyDocument)}
	}
	now := slices.Sorted(slices.Values(o.Endpoint.RouteTableIDs))
	if !slices.Equal(slices.Compact(now), e.After.RouteTableIDs) {
		return refuse("the route tables of %s are now %s, not the %s vpcguard created it with, so someone relies on it: not deleted",
			id, orNone(now), orNone(e.After.RouteTableIDs))
	}
	p := Plan{ModelsLosingS3: o.Models, Hold: []string{e.VPCID}}
	if !confirm {
		p.Refused = fmt.Sprintf("deleting %s cuts the private S3 path of %s; undo it only with confirm (-confirm, or \"confirm\":true)",
			id, modelWords(o.Models))
		return p
	}
	p.Delete = &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}}
	return p
}

// addedTables are the route tables the associate repair added.
func addedTables(e ledger.Entry) []string {
	var out []string
	for _, t := range e.After.RouteTableIDs {
		if !slices.Contains(e.Before.RouteTableIDs, t) {
			out = append(out, t)
		}
	}
	return out
}

// Reverted reports whether o equals the entry's recorded before state, for
// what the repair changed, and says what differs otherwise.
func Reverted(e ledger.Entry, o Observed, p Plan) (bool, string) {
	switch e.Action {
	case report.ActionAddALRepoDeny:
		if o.Endpoint == nil {
			return false, fmt.Sprintf("endpoint %s is gone", e.EndpointID)
		}
		want := *e.Before.Policy
		if strings.TrimSpace(want) == "" {
			want = policy.DefaultEndpointPolicy
		}
		if !samePolicy(o.Endpoint.PolicyDocument, want) {
			return false, "the policy re-read is not the recorded previous one"
		}
		return true, ""
	case report.ActionAssociateRouteTables:
		if o.Endpoint == nil {
			return false, fmt.Sprintf("endpoint %s is gone", e.EndpointID)
		}
		var still []string
		for _, t := range p.Removed {
			i := slices.IndexFunc(o.RouteTables, func(rt inventory.RouteTable) bool { return rt.ID == t })
			if slices.Contains(o.Endpoint.RouteTableIDs, t) || (i >= 0 && o.RouteTables[i].RoutesVia(*o.Endpoint)) {
				still = append(still, t)
			}
		}
		if len(still) > 0 {
			return false, fmt.Sprintf("route table %s still routes S3 through %s", strings.Join(still, ", "), e.EndpointID)
		}
		var lost []string
		for _, t := range e.Before.RouteTableIDs {
			if !slices.Contains(o.Endpoint.RouteTableIDs, t) {
				lost = append(lost, t)
			}
		}
		if len(lost) > 0 {
			return false, fmt.Sprintf("route table %s, associated before the repair, is no longer", strings.Join(lost, ", "))
		}
		return true, ""
	case report.ActionCreateS3GatewayEndpoint:
		if len(o.S3Endpoints) > 0 {
			ids := make([]string, len(o.S3Endpoints))
			for i, x := range o.S3Endpoints {
				ids[i] = x.ID + " (" + x.State + ")"
			}
			return false, fmt.Sprintf("%s still has S3 gateway endpoint %s, and had none before", e.VPCID, strings.Join(ids, ", "))
		}
		return true, ""
	}
	return false, "unknown action"
}

// samePolicy compares two policy texts as JSON (key order and spacing do
// not count, every value does).
func samePolicy(a, b string) bool {
	ca, errA := canonical(a)
	cb, errB := canonical(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return ca == cb
}

func canonical(s string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return b.String(), nil
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "(none)"
	}
	return strings.Join(list, ", ")
}

func modelWords(models []string) string {
	switch len(models) {
	case 0:
		return "no model vpcguard can see (check the models placed in the VPC first)"
	case 1:
		return "model " + models[0]
	}
	return "models " + strings.Join(models, ", ")
}
