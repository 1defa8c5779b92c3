package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
)

// Event is one event file to replay.
type Event struct {
	File string // base name, e.g. sagemaker-CreateModel-churn-no-s3-endpoint.json
	Raw  []byte
	// Call is the parsed CloudTrail call; ParseErr is set for input that is
	// not one (the functions must reject it too).
	Call     cloudtrail.Call
	ParseErr error
}

// Time is the call's eventTime (zero when unknown).
func (e Event) Time() time.Time { return e.Call.Time }

// Name is the file name without .json.
func (e Event) Name() string { return strings.TrimSuffix(e.File, ".json") }

// NewEvent wraps raw bytes as an Event called file.
func NewEvent(file string, raw []byte) Event {
	ev := Event{File: file, Raw: raw}
	ev.Call, ev.ParseErr = cloudtrail.Parse(raw)
	return ev
}

// LoadEvents reads every *.json file in dir, ordered by CloudTrail
// eventTime (then file name); files that do not parse come last.
func LoadEvents(dir string) ([]Event, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("e2e: no event file in %s", dir)
	}
	var out []Event
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, NewEvent(filepath.Base(p), raw))
	}
	SortEvents(out)
	return out, nil
}

// SortEvents orders events by eventTime, then file name.
func SortEvents(evs []Event) {
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if (a.ParseErr == nil) != (b.ParseErr == nil) {
			return a.ParseErr == nil
		}
		if !a.Time().Equal(b.Time()) {
			return a.Time().Before(b.Time())
		}
		return a.File < b.File
	})
}

// Guards are the functions that evaluate CloudTrail events.
var Guards = []string{"endpointguard", "modelguard"}

// FunctionFor names the function whose EventBridge rule matches the event:
// endpointguard for ec2.amazonaws.com, modelguard otherwise (it also gets
// whatever does not parse, to show how it is rejected).
func FunctionFor(ev Event) string {
	if ev.ParseErr == nil && ev.Call.Source == cloudtrail.SourceEC2 {
		return "endpointguard"
	}
	return "modelguard"
}

// Enact makes the simulated account hold the state after the recorded
// call: it repeats ModifyVpcEndpoint and DeleteVpcEndpoints through the SDK
// with the event's parameters. CreateVpcEndpoint is not repeated (the
// scenario already holds the endpoint it created), nor is a failed call or
// any other event (Enactor.EnactDrift repeats the drift calls). It returns
// a one-line description of what it did, or "".
func Enact(ctx context.Context, client *ec2.Client, ev Event) (string, error) {
	c := ev.Call
	if ev.ParseErr != nil || c.Failed() {
		return "", nil
	}
	switch c.Kind {
	case cloudtrail.KindModifyVpcEndpoint:
		m := c.ModifyVpcEndpoint
		in := &ec2.ModifyVpcEndpointInput{
			VpcEndpointId:       aws.String(m.VpcEndpointID),
			AddRouteTableIds:    m.AddRouteTableIDs,
			RemoveRouteTableIds: m.RemoveRouteTableIDs,
		}
		var what []string
		if len(m.AddRouteTableIDs) > 0 {
			what = append(what, "add route tables "+strings.Join(m.AddRouteTableIDs, ","))
		}
		if len(m.RemoveRouteTableIDs) > 0 {
			what = append(what, "remove route tables "+strings.Join(m.RemoveRouteTableIDs, ","))
		}
		if m.PolicyDocument != "" {
			in.PolicyDocument = aws.String(m.PolicyDocument)
			what = append(what, fmt.Sprintf("replace the policy (%d bytes)", len(m.PolicyDocument)))
		}
		if m.ResetPolicy {
			in.ResetPolicy = aws.Bool(true)
			what = append(what, "reset the policy")
		}
		if _, err := client.ModifyVpcEndpoint(ctx, in); err != nil {
			return "", fmt.Errorf("enact ModifyVpcEndpoint %s: %w", m.VpcEndpointID, err)
		}
		return fmt.Sprintf("ModifyVpcEndpoint %s: %s", m.VpcEndpointID, strings.Join(what, "; ")), nil
	case cloudtrail.KindDeleteVpcEndpoints:
		d := c.DeleteVpcEndpoints
		out, err := client.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: d.VpcEndpointIDs})
		if err != nil {
			return "", fmt.Errorf("enact DeleteVpcEndpoints %s: %w", strings.Join(d.VpcEndpointIDs, ","), err)
		}
		if len(out.Unsuccessful) > 0 {
			return "", fmt.Errorf("enact DeleteVpcEndpoints: %d unsuccessful", len(out.Unsuccessful))
		}
		return "DeleteVpcEndpoints " + strings.Join(d.VpcEndpointIDs, ","), nil
	}
	return "", nil
}
