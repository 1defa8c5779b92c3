// Package ledger is vpcguard's record of its own writes, kept so that every
// repair can be taken back (pkg/undo) and every event's effects happen once.
//
// Three kinds of record exist:
//
//   - Entry: one repair, recorded before its write (no write without a
//     record) with the exact state before and the state intended after,
//     then its outcome, then, if it is undone, the undo. Kept 400 days.
//   - Hold: a repair that was undone. vpcguard does not redo it
//     automatically for 7 days (otherwise the next event would).
//   - Progress: what one event's handling has already done (each repair,
//     the email, the EventBridge entries), so that a retry repeats only what
//     did not complete. Kept 24 hours, like Lambda's retries.
//
// Locks serialise vpcguard's writes in one VPC across concurrent events.
//
// The stores: the state table (VPCGUARD_STATE_TABLE, DynamoDB) and, for
// local runs without one, a JSON file (VPCGUARD_LEDGER_FILE, FileStore).
// The interfaces are declared where they are consumed (pkg/remediate,
// pkg/guard, pkg/undo).
package ledger

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/vpcguard/vpcguard/pkg/report"
)

// Retention of the records.
const (
	EntryRetention    = 400 * 24 * time.Hour // a repair's record
	HoldDuration      = 7 * 24 * time.Hour   // an undone repair is not redone automatically
	ProgressRetention = 24 * time.Hour       // an event's progress (idempotency)
)

// Errors of the stores.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Status is where a repair stands.
type Status string

const (
	StatusPending  Status = "pending"  // recorded; the write's outcome is not recorded (yet)
	StatusApplied  Status = "applied"  // written and verified
	StatusFailed   Status = "failed"   // the write failed or did not verify
	StatusReverted Status = "reverted" // undone, and the re-read state equals the recorded before
)

// Entry is one repair.
type Entry struct {
	// ID is the action instance id (NewID): what `undo -action` takes.
	ID     string `json:"id"`
	Action string `json:"action"` // report.Action* (the action ID)
	Status Status `json:"status"`
	// Time is when the entry was recorded, just before the write.
	Time      time.Time `json:"time"`
	Event     string    `json:"event"` // the id of the event (or sweep) that made the repair
	EventName string    `json:"event_name,omitempty"`
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	VPCID     string    `json:"vpc_id"`
	// EndpointID is the endpoint changed; for a create, the one created
	// (known once the outcome is recorded).
	EndpointID string         `json:"vpc_endpoint_id,omitempty"`
	Resources  []string       `json:"resources"`
	Check      string         `json:"check"`
	API        string         `json:"api"`
	Params     map[string]any `json:"params,omitempty"`
	// Before is the exact state the write changes, re-read just before it.
	Before State `json:"before"`
	// After is the state the write intends.
	After   State     `json:"after"`
	Outcome *Outcome  `json:"outcome,omitempty"`
	Undo    *Undo     `json:"undo,omitempty"`
	Expires time.Time `json:"expires"`
}

// State is the part of a VPC a repair changes.
type State struct {
	// NoEndpoint: the VPC has no live S3 gateway endpoint (before a create).
	NoEndpoint bool   `json:"no_endpoint,omitempty"`
	EndpointID string `json:"vpc_endpoint_id,omitempty"`
	// Policy is the endpoint's full policy text as AWS returned it ("": no
	// policy document); nil when the repair does not concern the policy.
	Policy *string `json:"policy,omitempty"`
	// RouteTableIDs are the endpoint's route tables, sorted.
	RouteTableIDs []string `json:"route_table_ids,omitempty"`
	// Tags are the endpoint's tags (a create's intended after).
	Tags map[string]string `json:"tags,omitempty"`
}

// Outcome is what the write came to.
type Outcome struct {
	Time   time.Time `json:"time"`
	Status string    `json:"status"` // the action's status: applied, failed or skipped
	// Written: the write call succeeded (a failed verification after it
	// still changed the state; a failed call changed nothing).
	Written    bool   `json:"written"`
	Reason     string `json:"reason,omitempty"`
	ErrorCode  string `json:"error_code,omitempty"`
	EndpointID string `json:"vpc_endpoint_id,omitempty"` // a create's new endpoint
}

// Undo is how a repair was taken back.
type Undo struct {
	Time time.Time `json:"time"`
	// Calls are the API calls the undo made ("ModifyVpcEndpoint …").
	Calls []string `json:"calls"`
	// HoldUntil is when vpcguard may repair the same again automatically.
	HoldUntil time.Time `json:"hold_until"`
}

// Hold keeps vpcguard from redoing an undone repair automatically.
type Hold struct {
	Action    string    `json:"action"`
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	VPCID     string    `json:"vpc_id"`
	Resources []string  `json:"resources"` // what the planner must leave alone: the VPC, route tables or endpoint
	Entry     string    `json:"entry"`     // the ledger entry undone
	Undone    time.Time `json:"undone"`
	Until     time.Time `json:"until"`
}

// Progress is what the handling of one event has done.
type Progress struct {
	Event   string    `json:"event"`
	Started time.Time `json:"started"`
	Expires time.Time `json:"expires"`
	// Done holds each completed part ("email", "events", "action …") and when.
	Done map[string]time.Time `json:"done,omitempty"`
	// Actions are the completed repairs as they were reported, by part.
	Actions map[string]report.Action `json:"actions,omitempty"`
	// Claims are the parts under way: who, and until when the claim holds.
	Claims map[string]Claim `json:"claims,omitempty"`
}

// Claim is a part of an event under way in one invocation.
type Claim struct {
	Holder string    `json:"holder"`
	Until  time.Time `json:"until"`
}

// ClaimResult is the answer to a claim.
type ClaimResult int

const (
	Claimed     ClaimResult = iota // the caller does the part now
	AlreadyDone                    // a previous attempt completed it
	InProgress                     // another invocation holds a live claim on it
)

// NewID returns a new action instance id: "rep-", the time (UTC, to the
// second) and 8 random hex digits, so ids sort by time and never collide.
func NewID(now time.Time) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("ledger: crypto/rand: %v", err)) // never happens on supported platforms
	}
	return "rep-" + now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

var idRE = regexp.MustCompile(`^rep-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$`)

// ValidID reports whether id has the form NewID gives.
func ValidID(id string) bool { return idRE.MatchString(id) }

// Ref names one ledger entry: entries are kept per account and region.
type Ref struct {
	Account, Region, ID string
}

// RefOf is the reference of e.
func RefOf(e Entry) Ref { return Ref{Account: e.Account, Region: e.Region, ID: e.ID} }

// EventKey names one event's progress.
type EventKey struct {
	Account, Region, Event string
}

// LockKey names the lock of one VPC.
func LockKey(account, region, vpc string) string {
	return "vpc#" + account + "#" + region + "#" + vpc
}

// live reports whether h still holds at now.
func (h Hold) live(now time.Time) bool { return now.Before(h.Until) }

// Names reports whether h concerns action on resource.
func (h Hold) Names(action, resource string) bool {
	return h.Action == action && slices.Contains(h.Resources, resource)
}

// claim decides a claim on part of p at now: the new claim is set in p
// when the result is Claimed.
func (p *Progress) claim(part, holder string, now time.Time, lease time.Duration) ClaimResult {
	if _, done := p.Done[part]; done {
		return AlreadyDone
	}
	if c, ok := p.Claims[part]; ok && c.Holder != holder && now.Before(c.Until) {
		return InProgress
	}
	if p.Claims == nil {
		p.Claims = map[string]Claim{}
	}
	p.Claims[part] = Claim{Holder: holder, Until: now.Add(lease)}
	return Claimed
}

// complete marks part done (with the action, for a repair).
func (p *Progress) complete(part string, action *report.Action, now time.Time) {
	if p.Done == nil {
		p.Done = map[string]time.Time{}
	}
	p.Done[part] = now
	delete(p.Claims, part)
	if action != nil {
		if p.Actions == nil {
			p.Actions = map[string]report.Action{}
		}
		p.Actions[part] = *action
	}
}

// release gives up holder's claim on part.
func (p *Progress) release(part, holder string) {
	if c, ok := p.Claims[part]; ok && c.Holder == holder {
		delete(p.Claims, part)
	}
}
