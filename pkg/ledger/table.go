package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/state"
)

// TableStore keeps the ledger in the state table (VPCGUARD_STATE_TABLE),
// shared by every function. Its families of records (pkg/state's layout):
//
//	pk                                        sk                    record
//	ledger#<account>#<region>                 <entry id>            a repair (expires 400 days after it)
//	hold#<account>#<region>#<vpc-id>          <action>#<entry id>   an undone repair held for 7 days
//	event#<account>#<region>#<event id>       begin                 an event's progress began (24 hours)
//	                                          part#<part>           one part claimed or done
//	lock#<account>#<region>#<vpc-id>          lock                  the VPC's write lock (its TTL)
//
// Every write that decides something is conditional: a new entry (absent),
// an entry's update (its version), a claim (absent, expired or one's own),
// a lock (absent, expired or one's own). Each record's JSON is in the
// attribute "record"; action, status, time, event, vpc_id and resources
// are repeated as attributes for people reading the table.
type TableStore struct {
	State *state.Store
	// Now is the clock of claims, holds and retention (default time.Now).
	Now func() time.Time
}

// NewTable returns the ledger in the state table s.
func NewTable(s *state.Store) *TableStore { return &TableStore{State: s} }

func (t *TableStore) String() string { return "table " + t.State.Table() }

func (t *TableStore) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// updateAttempts bounds the retries of an entry update that lost a race;
// each retry waits a little longer, with jitter.
const updateAttempts = 20

// entryItem is an entry as stored.
type entryItem struct {
	Action    string   `dynamodbav:"action"`
	Status    string   `dynamodbav:"status"`
	Time      string   `dynamodbav:"time"`
	Event     string   `dynamodbav:"event"`
	VPCID     string   `dynamodbav:"vpc_id"`
	Resources []string `dynamodbav:"resources,omitempty"`
	Version   int      `dynamodbav:"version"`
	Record    string   `dynamodbav:"record"`
}

func entryKey(r Ref) state.Key {
	return state.Key{PK: "ledger#" + r.Account + "#" + r.Region, SK: r.ID}
}

func itemOf(e Entry, version int) (entryItem, error) {
	raw, err := json.Marshal(e)
	if err != nil {
		return entryItem{}, fmt.Errorf("encode ledger entry %s: %w", e.ID, err)
	}
	return entryItem{Action: e.Action, Status: string(e.Status), Time: e.Time.UTC().Format(time.RFC3339), Event: e.Event,
		VPCID: e.VPCID, Resources: e.Resources, Version: version, Record: string(raw)}, nil
}

func (it entryItem) entry() (Entry, error) {
	var e Entry
	if err := json.Unmarshal([]byte(it.Record), &e); err != nil {
		return Entry{}, fmt.Errorf("decode ledger entry: %w", err)
	}
	return e, nil
}

// Record adds a new entry; ErrExists when its id is taken.
func (t *TableStore) Record(ctx context.Context, e Entry) error {
	if e.Expires.IsZero() {
		e.Expires = e.Time.Add(EntryRetention)
	}
	it, err := itemOf(e, 1)
	if err != nil {
		return err
	}
	err = t.State.Put(ctx, entryKey(RefOf(e)), it, state.If(state.Absent()), state.ExpiresAt(e.Expires))
	if errors.Is(err, state.ErrConditionFailed) {
		return fmt.Errorf("ledger entry %s: %w", e.ID, ErrExists)
	}
	return err
}

func (t *TableStore) get(ctx context.Context, ref Ref) (Entry, int, error) {
	raw, found, err := t.State.Get(ctx, entryKey(ref))
	if err != nil {
		return Entry{}, 0, err
	}
	if !found {
		return Entry{}, 0, fmt.Errorf("ledger entry %s: %w", ref.ID, ErrNotFound)
	}
	var it entryItem
	if err := raw.Decode(&it); err != nil {
		return Entry{}, 0, err
	}
	e, err := it.entry()
	return e, it.Version, err
}

// Get returns entry ref; ErrNotFound when there is none.
func (t *TableStore) Get(ctx context.Context, ref Ref) (Entry, error) {
	e, _, err := t.get(ctx, ref)
	return e, err
}

// Update changes entry ref with fn: read, change, write if the entry's
// version is still the one read, else again.
func (t *TableStore) Update(ctx context.Context, ref Ref, fn func(*Entry) error) (Entry, error) {
	for attempt := range updateAttempts {
		if attempt > 0 {
			d := time.Duration(attempt)*5*time.Millisecond + time.Duration(rand.Int64N(int64(10*time.Millisecond)))
			select {
			case <-ctx.Done():
				return Entry{}, ctx.Err()
			case <-time.After(d):
			}
		}
		e, version, err := t.get(ctx, ref)
		if err != nil {
			return Entry{}, err
		}
		if err := fn(&e); err != nil {
			return Entry{}, err
		}
		e.ID, e.Account, e.Region = ref.ID, ref.Account, ref.Region
		it, err := itemOf(e, version+1)
		if err != nil {
			return Entry{}, err
		}
		err = t.State.Put(ctx, entryKey(ref), it, state.If(state.Equal("version", version)), state.ExpiresAt(e.Expires))
		if err == nil {
			return e, nil
		}
		if !errors.Is(err, state.ErrConditionFailed) {
			return Entry{}, err
		}
	}
	return Entry{}, fmt.Errorf("ledger entry %s: changed concurrently %d times in a row", ref.ID, updateAttempts)
}

// Recent returns up to limit entries of account and region, newest first
// (limit ≤ 0: all). Entry ids begin with their time, so the sort key's
// order is the time order.
func (t *TableStore) Recent(ctx context.Context, account, region string, limit int) ([]Entry, error) {
	q := state.Query{PK: entryKey(Ref{Account: account, Region: region}).PK, Reverse: true}
	if limit > 0 {
		q.PageSize = int32(min(limit, 1000))
	}
	var out []Entry
	for raw, err := range t.State.Query(ctx, q) {
		if err != nil {
			return out, err
		}
		var it entryItem
		if err := raw.Decode(&it); err != nil {
			return out, err
		}
		e, err := it.entry()
		if err != nil {
			return out, err
		}
		out = append(out, e)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// recordItem is a hold, lock or progress record as stored.
type recordItem struct {
	Record string `dynamodbav:"record"`
}

func holdKey(account, region, vpc string) string { return "hold#" + account + "#" + region + "#" + vpc }

// AddHold records a hold until h.Until.
func (t *TableStore) AddHold(ctx context.Context, h Hold) error {
	raw, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return t.State.Put(ctx, state.Key{PK: holdKey(h.Account, h.Region, h.VPCID), SK: h.Action + "#" + h.Entry},
		recordItem{Record: string(raw)}, state.ExpiresAt(h.Until))
}

// Holds returns the live holds of account and region in vpcs (one Query
// per VPC).
func (t *TableStore) Holds(ctx context.Context, account, region string, vpcs []string) ([]Hold, error) {
	now := t.now()
	var out []Hold
	for _, vpc := range vpcs {
		for raw, err := range t.State.Query(ctx, state.Query{PK: holdKey(account, region, vpc)}) {
			if err != nil {
				return nil, err
			}
			var it recordItem
			if err := raw.Decode(&it); err != nil {
				return nil, err
			}
			var h Hold
			if err := json.Unmarshal([]byte(it.Record), &h); err != nil {
				return nil, fmt.Errorf("decode hold %s: %w", raw.Key, err)
			}
			if h.live(now) {
				out = append(out, h)
			}
		}
	}
	return out, nil
}

// partItem is one part of an event's progress.
type partItem struct {
	State   string `dynamodbav:"state"` // claimed | done
	Holder  string `dynamodbav:"holder,omitempty"`
	UntilMS int64  `dynamodbav:"until_ms,omitempty"` // a claim's end, epoch milliseconds
	At      string `dynamodbav:"at,omitempty"`       // done at, RFC 3339
	Action  string `dynamodbav:"action,omitempty"`   // a repair's report.Action, JSON
}

type beginItem struct {
	Started string `dynamodbav:"started"`
}

func eventPK(k EventKey) string { return "event#" + k.Account + "#" + k.Region + "#" + k.Event }

func partKey(k EventKey, part string) state.Key { return state.Key{PK: eventPK(k), SK: "part#" + part} }

// Begin returns the progress of event k, creating it (isNew) on the first
// call; it lives 24 hours.
func (t *TableStore) Begin(ctx context.Context, k EventKey) (Progress, bool, error) {
	now := t.now().UTC()
	p := Progress{Event: k.Event, Started: now, Expires: now.Add(ProgressRetention)}
	err := t.State.Put(ctx, state.Key{PK: eventPK(k), SK: "begin"}, beginItem{Started: now.Format(time.RFC3339Nano)},
		state.If(state.Absent()), state.ExpiresAt(p.Expires))
	if err == nil {
		return p, true, nil
	}
	if !errors.Is(err, state.ErrConditionFailed) {
		return Progress{}, false, err
	}
	for raw, err := range t.State.Query(ctx, state.Query{PK: eventPK(k)}) {
		if err != nil {
			return Progress{}, false, err
		}
		if raw.SK == "begin" {
			var b beginItem
			if err := raw.Decode(&b); err == nil {
				if st, perr := time.Parse(time.RFC3339Nano, b.Started); perr == nil {
					p.Started, p.Expires = st, raw.Expires
				}
			}
			continue
		}
		part, ok := cutPart(raw.SK)
		if !ok {
			continue
		}
		var it partItem
		if err := raw.Decode(&it); err != nil {
			return Progress{}, false, err
		}
		switch it.State {
		case "done":
			at, _ := time.Parse(time.RFC3339Nano, it.At)
			if p.Done == nil {
				p.Done = map[string]time.Time{}
			}
			p.Done[part] = at
			if it.Action != "" {
				var a report.Action
				if err := json.Unmarshal([]byte(it.Action), &a); err != nil {
					return Progress{}, false, fmt.Errorf("decode the action of %s: %w", raw.Key, err)
				}
				if p.Actions == nil {
					p.Actions = map[string]report.Action{}
				}
				p.Actions[part] = a
			}
		case "claimed":
			if p.Claims == nil {
				p.Claims = map[string]Claim{}
			}
			p.Claims[part] = Claim{Holder: it.Holder, Until: time.UnixMilli(it.UntilMS).UTC()}
		}
	}
	return p, false, nil
}

func cutPart(sk string) (string, bool) { return strings.CutPrefix(sk, "part#") }

// Claim claims part of event k for holder for lease: one conditional put
// that holds when the part is neither done nor claimed by another holder
// whose claim is still live.
func (t *TableStore) Claim(ctx context.Context, k EventKey, part, holder string, lease time.Duration) (ClaimResult, error) {
	now := t.now()
	it := partItem{State: "claimed", Holder: holder, UntilMS: now.Add(lease).UnixMilli()}
	cond := state.Or(state.Absent(),
		state.And(state.Equal("state", "claimed"), state.Or(state.Less("until_ms", now.UnixMilli()), state.Equal("holder", holder))))
	err := t.State.Put(ctx, partKey(k, part), it, state.If(cond), state.ExpiresAt(now.Add(ProgressRetention)))
	if err == nil {
		return Claimed, nil
	}
	if !errors.Is(err, state.ErrConditionFailed) {
		return 0, err
	}
	raw, found, err := t.State.Get(ctx, partKey(k, part))
	if err != nil {
		return 0, err
	}
	var cur partItem
	if found {
		if err := raw.Decode(&cur); err != nil {
			return 0, err
		}
	}
	if cur.State == "done" {
		return AlreadyDone, nil
	}
	return InProgress, nil
}

// Complete marks part of event k done, with the action a repair reported.
func (t *TableStore) Complete(ctx context.Context, k EventKey, part string, action *report.Action) error {
	now := t.now().UTC()
	it := partItem{State: "done", At: now.Format(time.RFC3339Nano)}
	if action != nil {
		raw, err := json.Marshal(action)
		if err != nil {
			return fmt.Errorf("encode the action of %s: %w", part, err)
		}
		it.Action = string(raw)
	}
	return t.State.Put(ctx, partKey(k, part), it, state.ExpiresAt(now.Add(ProgressRetention)))
}

// Release gives up holder's claim on part of event k.
func (t *TableStore) Release(ctx context.Context, k EventKey, part, holder string) error {
	err := t.State.Delete(ctx, partKey(k, part), state.If(state.And(state.Equal("state", "claimed"), state.Equal("holder", holder))))
	if errors.Is(err, state.ErrConditionFailed) {
		return nil // not ours (any more)
	}
	return err
}

type lockItem struct {
	Holder string `dynamodbav:"holder"`
}

func lockKey(key string) state.Key { return state.Key{PK: "lock#" + trimVPCPrefix(key), SK: "lock"} }

// trimVPCPrefix turns LockKey's "vpc#<account>#<region>#<vpc>" into the
// table's "<account>#<region>#<vpc>".
func trimVPCPrefix(key string) string {
	rest, _ := strings.CutPrefix(key, "vpc#")
	return rest
}

// Lock takes the lock key for holder for ttl: a put that holds when no live
// lock is there, or when it is holder's own. The TTL (whole seconds) ends
// a dead holder's lock.
func (t *TableStore) Lock(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	until := t.now().Add(ttl)
	err := t.State.Put(ctx, lockKey(key), lockItem{Holder: holder},
		state.If(state.Or(state.Absent(), state.Equal("holder", holder))), state.ExpiresAt(until))
	if errors.Is(err, state.ErrConditionFailed) {
		return false, nil
	}
	return err == nil, err
}

// Unlock releases holder's lock key.
func (t *TableStore) Unlock(ctx context.Context, key, holder string) error {
	err := t.State.Delete(ctx, lockKey(key), state.If(state.Equal("holder", holder)))
	if errors.Is(err, state.ErrConditionFailed) {
		return nil
	}
	return err
}
