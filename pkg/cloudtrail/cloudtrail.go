// Package cloudtrail turns the events vpcguard receives into typed calls.
// It is pure: JSON in, a Call out, no AWS.
//
// Input is an EventBridge "AWS API Call via CloudTrail" event whose detail
// is a CloudTrail record (what the Lambdas get), a bare CloudTrail record,
// or a CloudTrail log file {"Records": [...]} (or a bare JSON array of
// records) holding exactly one record. Parse takes the bytes, FromEvent the
// already decoded events.CloudWatchEvent, ParseAll every record of a file.
//
// These calls get a typed body: sagemaker.amazonaws.com CreateModel,
// CreateEndpointConfig, CreateEndpoint, UpdateEndpoint, DeleteEndpoint and
// DeleteModel; ec2.amazonaws.com CreateVpcEndpoint, ModifyVpcEndpoint and
// DeleteVpcEndpoints; so do the drift calls of drift.go (EC2 network
// changes, Application Auto Scaling RegisterScalableTarget, SageMaker
// UpdateEndpointWeightsAndCapacities). Any other
// call parses to a Call of KindUnknown, and a failed call (errorCode set)
// parses like a successful one: deciding to skip them is the handler's job.
//
// CloudTrail is a hint, not the truth: whatever is missing, redacted or
// shaped unexpectedly is left empty, never guessed, and the handler re-reads
// the API. Only input that is not an API-call event at all is an error.
//
// The shapes, as seen in the real samples under shared/fixtures/aws-samples:
//   - SageMaker parameters are camelCase JSON (modelName, primaryContainer).
//     No published CreateModel record carries a vpcConfig, so its casing is
//     unverified: keys are matched case-insensitively (vpcConfig, VpcConfig,
//     subnets, Subnets, ...).
//   - Newer EC2 actions log the query request wrapped in one key,
//     {"CreateVpcEndpointRequest": {...}} with PascalCase members, and the
//     wrapper's value is the string "" when the request had no parameters.
//     Some wrappers are abbreviated ({"DelTGwVpcAttachReq": ...}).
//   - An EC2 list parameter (RouteTableId.N) is one {"content": x, "tag": 1}
//     object for one element, an array of them for several, or a plain
//     string or array of strings.
//   - EC2 responseElements are the XML response turned into JSON, wrapped in
//     {"<Op>Response": {"xmlns": ..., ..., "requestId": ...}}; a set is
//     {"item": x} with one element, {"item": [...]} with several, and ""
//     when empty; numbers may be strings ("size": "100") or numbers.
//   - Old-style EC2 actions log camelCase requests with sets as
//     {"instancesSet": {"items": [{"instanceId": x}]}}.
//   - CloudTrail truncates or hides some values: a string "omitted" or
//     "HIDDEN_DUE_TO_SECURITY_REASONS", or an object with "omitted": true.
//     Those read as empty.
//   - Trimmed or old records lack userIdentity, eventVersion, requestID,
//     recipientAccountId or readOnly; errorCode may be null.
package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Event sources and the EventBridge detail-type vpcguard consumes.
const (
	SourceSageMaker   = "sagemaker.amazonaws.com"
	SourceEC2         = "ec2.amazonaws.com"
	DetailTypeAPICall = "AWS API Call via CloudTrail"
)

// Errors for input that is not one CloudTrail API call; test with errors.Is.
var (
	ErrNotAPICall  = errors.New(`detail-type is not "` + DetailTypeAPICall + `"`)
	ErrNotRecord   = errors.New("not a CloudTrail record")
	ErrRecordCount = errors.New("want exactly one CloudTrail record")
)

// Kind says which typed body a Call carries.
type Kind int

const (
	KindUnknown Kind = iota // not a call vpcguard handles: no body
	KindCreateModel
	KindCreateEndpointConfig
	KindCreateEndpoint
	KindCreateVpcEndpoint
	KindModifyVpcEndpoint
	KindDeleteVpcEndpoints
	KindDeleteModel
	KindUpdateEndpoint
	KindDeleteEndpoint
)

// KindOf maps an eventName and eventSource to a Kind.
func KindOf(name, source string) Kind {
	switch source + " " + name {
	case SourceSageMaker + " CreateModel":
		return KindCreateModel
	case SourceSageMaker + " CreateEndpointConfig":
		return KindCreateEndpointConfig
	case SourceSageMaker + " CreateEndpoint":
		return KindCreateEndpoint
	case SourceEC2 + " CreateVpcEndpoint":
		return KindCreateVpcEndpoint
	case SourceEC2 + " ModifyVpcEndpoint":
		return KindModifyVpcEndpoint
	case SourceEC2 + " DeleteVpcEndpoints":
		return KindDeleteVpcEndpoints
	case SourceSageMaker + " DeleteModel":
		return KindDeleteModel
	case SourceSageMaker + " UpdateEndpoint":
		return KindUpdateEndpoint
	case SourceSageMaker + " DeleteEndpoint":
		return KindDeleteEndpoint
	}
	return driftKindOf(name, source)
}

// Handled reports whether vpcguard evaluates this call.
func Handled(name, source string) bool { return KindOf(name, source) != KindUnknown }

// String is the event name of the kind, or "Unknown".
func (k Kind) String() string {
	switch k {
	case KindCreateModel:
		return "CreateModel"
	case KindCreateEndpointConfig:
		return "CreateEndpointConfig"
	case KindCreateEndpoint:
		return "CreateEndpoint"
	case KindCreateVpcEndpoint:
		return "CreateVpcEndpoint"
	case KindModifyVpcEndpoint:
		return "ModifyVpcEndpoint"
	case KindDeleteVpcEndpoints:
		return "DeleteVpcEndpoints"
	case KindDeleteModel:
		return "DeleteModel"
	case KindUpdateEndpoint:
		return "UpdateEndpoint"
	case KindDeleteEndpoint:
		return "DeleteEndpoint"
	}
	return driftKindName(k)
}

// MarshalText writes the kind by name, for logs and JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Call is one CloudTrail API call. Exactly the body that matches Kind is
// set; all are nil for KindUnknown.
type Call struct {
	Kind       Kind
	EnvelopeID string    // EventBridge event id; the CloudTrail eventID for a bare record
	EventID    string    // CloudTrail eventID
	Name       string    // eventName
	Source     string    // eventSource
	Account    string    // envelope account, else recipientAccountId, else userIdentity.accountId
	Region     string    // awsRegion, else the envelope region
	Time       time.Time // eventTime, else the envelope time; zero when neither parses
	// Actor is the caller's ARN: the role (sessionIssuer) for an assumed
	// role, else userIdentity.arn; empty when the record has none.
	Actor string
	// SessionName is an assumed role's session name (the last part of
	// userIdentity.arn, arn:…:sts::A:assumed-role/ROLE/SESSION), else "".
	SessionName  string
	ErrorCode    string // set when the call failed
	ErrorMessage string
	ReadOnly     bool

	CreateModel          *CreateModel
	CreateEndpointConfig *CreateEndpointConfig
	CreateEndpoint       *CreateEndpoint
	CreateVpcEndpoint    *CreateVpcEndpoint
	ModifyVpcEndpoint    *ModifyVpcEndpoint
	DeleteVpcEndpoints   *DeleteVpcEndpoints
	DeleteModel          *DeleteModel
	UpdateEndpoint       *UpdateEndpoint
	DeleteEndpoint       *DeleteEndpoint
	DriftBodies          // the drift calls (drift.go)
}

// Failed reports whether the call returned an error.
func (c Call) Failed() bool { return c.ErrorCode != "" }

// Parse reads an EventBridge event, a bare CloudTrail record or a log file
// with one record. A log file with several records is an ErrRecordCount
// error (use ParseAll).
func Parse(data []byte) (Call, error) {
	calls, err := ParseAll(data)
	if err != nil {
		return Call{}, err
	}
	if len(calls) != 1 {
		return Call{}, fmt.Errorf("cloudtrail: log file holds %d records: %w (ParseAll reads them all)", len(calls), ErrRecordCount)
	}
	return calls[0], nil
}

// ParseAll reads every call of an EventBridge event (one), a bare record
// (one), a log file {"Records": [...]} or a JSON array of records. An empty
// log file is an ErrRecordCount error.
func ParseAll(data []byte) ([]Call, error) {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '[' {
		var recs []json.RawMessage
		if err := json.Unmarshal(t, &recs); err != nil {
			return nil, fmt.Errorf("cloudtrail: array of records: %w", err)
		}
		return fromRecords(recs)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("cloudtrail: not a JSON object: %w", err)
	}
	_, hasDetailType := top["detail-type"]
	_, hasDetail := top["detail"]
	records, hasRecords := top["Records"]
	switch {
	case hasDetailType || hasDetail:
		var ev events.CloudWatchEvent
		if err := json.Unmarshal(data, &ev); err != nil {
			return nil, fmt.Errorf("cloudtrail: EventBridge envelope: %w", err)
		}
		c, err := FromEvent(ev)
		if err != nil {
			return nil, err
		}
		return []Call{c}, nil
	case hasRecords:
		var recs []json.RawMessage
		if err := json.Unmarshal(records, &recs); err != nil {
			return nil, fmt.Errorf("cloudtrail: log file Records: %w", err)
		}
		return fromRecords(recs)
	}
	c, err := fromRecord(data, envelope{})
	if err != nil {
		return nil, fmt.Errorf("cloudtrail: %w", err)
	}
	return []Call{c}, nil
}

func fromRecords(recs []json.RawMessage) ([]Call, error) {
	if len(recs) == 0 {
		return nil, fmt.Errorf("cloudtrail: log file holds no records: %w", ErrRecordCount)
	}
	calls := make([]Call, 0, len(recs))
	for i, r := range recs {
		c, err := fromRecord(r, envelope{})
		if err != nil {
			return nil, fmt.Errorf("cloudtrail: record %d: %w", i, err)
		}
		calls = append(calls, c)
	}
	return calls, nil
}

// FromEvent reads the CloudTrail record in an EventBridge event, as the
// Lambda runtime delivers it.
func FromEvent(ev events.CloudWatchEvent) (Call, error) {
	if ev.DetailType != DetailTypeAPICall {
		return Call{}, fmt.Errorf("cloudtrail: event %q has detail-type %q: %w", ev.ID, ev.DetailType, ErrNotAPICall)
	}
	c, err := fromRecord(ev.Detail, envelope{id: ev.ID, account: ev.AccountID, region: ev.Region, time: ev.Time})
	if err != nil {
		return Call{}, fmt.Errorf("cloudtrail: event %q: detail: %w", ev.ID, err)
	}
	return c, nil
}

// envelope is what an EventBridge event adds around the record.
type envelope struct {
	id, account, region string
	time                time.Time
}

// record is the part of a CloudTrail record that vpcguard reads.
type record struct {
	UserIdentity struct {
		Type           string `json:"type"`
		ARN            string `json:"arn"`
		AccountID      string `json:"accountId"`
		SessionContext struct {
			SessionIssuer struct {
				ARN string `json:"arn"`
			} `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	ErrorCode          string          `json:"errorCode"`
	ErrorMessage       string          `json:"errorMessage"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	EventID            string          `json:"eventID"`
	ReadOnly           any             `json:"readOnly"` // true, or "true" in some records
	RecipientAccountID string          `json:"recipientAccountId"`
	AdditionalEvent    json.RawMessage `json:"additionalEventData"`
}

func fromRecord(data json.RawMessage, env envelope) (Call, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return Call{}, fmt.Errorf("%w: empty", ErrNotRecord)
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return Call{}, fmt.Errorf("%w: %w", ErrNotRecord, err)
	}
	if r.EventName == "" || r.EventSource == "" {
		return Call{}, fmt.Errorf("%w: no eventName or eventSource", ErrNotRecord)
	}
	c := Call{
		Kind:         KindOf(r.EventName, r.EventSource),
		EnvelopeID:   firstStr(env.id, r.EventID),
		EventID:      r.EventID,
		Name:         r.EventName,
		Source:       r.EventSource,
		Account:      firstStr(env.account, r.RecipientAccountID, r.UserIdentity.AccountID),
		Region:       firstStr(r.AWSRegion, env.region),
		Time:         env.time,
		Actor:        r.UserIdentity.ARN,
		ErrorCode:    r.ErrorCode,
		ErrorMessage: r.ErrorMessage,
		ReadOnly:     boolean(r.ReadOnly),
	}
	if t, err := time.Parse(time.RFC3339, r.EventTime); err == nil {
		c.Time = t
	}
	if issuer := r.UserIdentity.SessionContext.SessionIssuer.ARN; r.UserIdentity.Type == "AssumedRole" && issuer != "" {
		c.Actor = issuer
	}
	if _, resource, ok := strings.Cut(r.UserIdentity.ARN, ":assumed-role/"); ok {
		if _, session, ok := strings.Cut(resource, "/"); ok {
			c.SessionName = session
		}
	}

	req, resp := decodeJSON(r.RequestParameters), decodeJSON(r.ResponseElements)
	switch c.Kind {
	case KindCreateModel:
		c.CreateModel = parseCreateModel(req, resp)
	case KindCreateEndpointConfig:
		c.CreateEndpointConfig = parseCreateEndpointConfig(req, resp)
	case KindCreateEndpoint:
		c.CreateEndpoint = parseCreateEndpoint(req, resp)
	case KindCreateVpcEndpoint:
		c.CreateVpcEndpoint = parseCreateVpcEndpoint(req, resp)
	case KindModifyVpcEndpoint:
		c.ModifyVpcEndpoint = parseModifyVpcEndpoint(req, resp)
	case KindDeleteVpcEndpoints:
		c.DeleteVpcEndpoints = parseDeleteVpcEndpoints(req, resp)
	case KindDeleteModel:
		c.DeleteModel = parseDeleteModel(req)
	case KindUpdateEndpoint:
		c.UpdateEndpoint = parseUpdateEndpoint(req, resp)
	case KindDeleteEndpoint:
		c.DeleteEndpoint = parseDeleteEndpoint(req)
	default:
		c.DriftBodies = parseDrift(c.Kind, req, resp, decodeJSON(r.AdditionalEvent))
	}
	return c, nil
}
