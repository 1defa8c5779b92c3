package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/state"
	"github.com/vpcguard/vpcguard/pkg/state/statetest"
)

var ev1 = EventKey{Account: "111122223333", Region: "us-east-1", Event: "ev-1"}

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// store is what every ledger store offers (FileStore, TableStore).
type store interface {
	Record(ctx context.Context, e Entry) error
	Update(ctx context.Context, ref Ref, fn func(*Entry) error) (Entry, error)
	Get(ctx context.Context, ref Ref) (Entry, error)
	Recent(ctx context.Context, account, region string, limit int) ([]Entry, error)
	AddHold(ctx context.Context, h Hold) error
	Holds(ctx context.Context, account, region string, vpcs []string) ([]Hold, error)
	Begin(ctx context.Context, k EventKey) (Progress, bool, error)
	Claim(ctx context.Context, k EventKey, part, holder string, lease time.Duration) (ClaimResult, error)
	Complete(ctx context.Context, k EventKey, part string, action *report.Action) error
	Release(ctx context.Context, k EventKey, part, holder string) error
	Lock(ctx context.Context, key, holder string, ttl time.Duration) (bool, error)
	Unlock(ctx context.Context, key, holder string) error
}

var (
	_ store = (*FileStore)(nil)
	_ store = (*TableStore)(nil)
)

// clock is a settable time shared by a store and its table.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// eachStore runs fn on the file store and on the table store in awssim
// and, where it runs, dynalite: they must behave alike. Each starts at t0.
func eachStore(t *testing.T, fn func(t *testing.T, s store, c *clock)) {
	t.Run("file", func(t *testing.T) {
		c := &clock{t: t0}
		f, err := OpenFile(filepath.Join(t.TempDir(), "ledger.json"))
		if err != nil {
			t.Fatal(err)
		}
		f.Now = c.now
		fn(t, f, c)
	})
	for _, b := range statetest.Both(t) {
		t.Run("table-"+b.Name, func(t *testing.T) {
			c := &clock{t: t0}
			ts := NewTable(state.New(b.Client, statetest.Table).WithClock(c.now))
			ts.Now = c.now
			fn(t, ts, c)
		})
	}
}

func policyText(s string) *string { return &s }

func entry(id string, at time.Time) Entry {
	return Entry{
		ID: id, Action: report.ActionAddALRepoDeny, Status: StatusPending, Time: at, Event: "ev-1",
		Account: "111122223333", Region: "us-east-1", VPCID: "vpc-1", EndpointID: "vpce-1", Resources: []string{"vpce-1"},
		Before: State{EndpointID: "vpce-1", Policy: policyText(`{"Statement":[]}`)},
		After:  State{EndpointID: "vpce-1", Policy: policyText(`{"Statement":[{"Effect":"Deny"}]}`)},
	}
}

func TestRecordGetUpdateRecent(t *testing.T) {
	eachStore(t, func(t *testing.T, f store, _ *clock) { testRecordGetUpdateRecent(t, f) })
}

func testRecordGetUpdateRecent(t *testing.T, f store) {
	ctx := context.Background()
	a, b := entry(NewID(t0), t0), entry(NewID(t0.Add(time.Minute)), t0.Add(time.Minute))
	for _, e := range []Entry{a, b} {
		if err := f.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Record(ctx, a); !errors.Is(err, ErrExists) {
		t.Fatalf("a second Record of one id: %v, want ErrExists", err)
	}
	got, err := f.Get(ctx, RefOf(a))
	if err != nil || *got.Before.Policy != `{"Statement":[]}` || !got.Expires.Equal(t0.Add(EntryRetention)) {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := f.Get(ctx, Ref{Account: "111122223333", Region: "us-east-1", ID: "rep-20260101T000000Z-00000000"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of an unknown id: %v", err)
	}
	upd, err := f.Update(ctx, RefOf(a), func(e *Entry) error {
		e.Status = StatusApplied
		e.Outcome = &Outcome{Time: t0, Status: "applied"}
		return nil
	})
	if err != nil || upd.Status != StatusApplied {
		t.Fatalf("Update = %+v, %v", upd, err)
	}
	if _, err := f.Update(ctx, RefOf(a), func(e *Entry) error { e.Status = StatusReverted; return errors.New("refused") }); err == nil {
		t.Fatal("an Update whose function fails must fail")
	}
	if got, _ := f.Get(ctx, RefOf(a)); got.Status != StatusApplied {
		t.Fatalf("a failed Update changed the entry: %s", got.Status)
	}
	list, err := f.Recent(ctx, "111122223333", "us-east-1", 10)
	if err != nil || len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID {
		t.Fatalf("Recent = %v, %v (want newest first)", ids(list), err)
	}
	if list, _ := f.Recent(ctx, "111122223333", "us-east-1", 1); len(list) != 1 || list[0].ID != b.ID {
		t.Fatalf("Recent(1) = %v", ids(list))
	}
}

func ids(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func TestRetention(t *testing.T) {
	eachStore(t, testRetention)
}

func testRetention(t *testing.T, f store, c *clock) {
	ctx := context.Background()
	old := entry(NewID(t0), t0)
	if err := f.Record(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := f.AddHold(ctx, Hold{Action: report.ActionAddALRepoDeny, Account: "111122223333", Region: "us-east-1", VPCID: "vpc-1",
		Resources: []string{"vpce-1"}, Entry: old.ID, Undone: t0, Until: t0.Add(HoldDuration)}); err != nil {
		t.Fatal(err)
	}
	if hs, err := f.Holds(ctx, "111122223333", "us-east-1", []string{"vpc-1"}); err != nil || len(hs) != 1 {
		t.Fatalf("holds = %+v, %v", hs, err)
	}
	if hs, _ := f.Holds(ctx, "111122223333", "us-east-1", []string{"vpc-2"}); len(hs) != 0 {
		t.Fatalf("a hold of another VPC: %+v", hs)
	}
	c.set(t0.Add(HoldDuration))
	if hs, _ := f.Holds(ctx, "111122223333", "us-east-1", []string{"vpc-1"}); len(hs) != 0 {
		t.Fatalf("a hold past its 7 days: %+v", hs)
	}
	c.set(t0.Add(EntryRetention - time.Second))
	if err := f.Record(ctx, entry(NewID(c.now()), c.now())); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get(ctx, RefOf(old)); err != nil {
		t.Fatalf("an entry younger than 400 days was dropped: %v", err)
	}
	c.set(t0.Add(EntryRetention))
	if err := f.Record(ctx, entry(NewID(c.now()), c.now())); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get(ctx, RefOf(old)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an entry of 400 days is kept: %v", err)
	}
}

func TestProgressClaims(t *testing.T) {
	eachStore(t, testProgressClaims)
}

func testProgressClaims(t *testing.T, f store, c *clock) {
	ctx := context.Background()
	p, isNew, err := f.Begin(ctx, ev1)
	if err != nil || !isNew || !p.Expires.Equal(t0.Add(ProgressRetention)) {
		t.Fatalf("Begin = %+v, %v, %v", p, isNew, err)
	}
	if _, isNew, _ := f.Begin(ctx, ev1); isNew {
		t.Fatal("a second Begin of one event is not new")
	}
	if r, _ := f.Claim(ctx, ev1, "email", "inv-1", time.Minute); r != Claimed {
		t.Fatalf("first claim = %v", r)
	}
	if r, _ := f.Claim(ctx, ev1, "email", "inv-2", time.Minute); r != InProgress {
		t.Fatalf("a live claim of another invocation = %v, want InProgress", r)
	}
	c.set(t0.Add(2 * time.Minute))
	if r, _ := f.Claim(ctx, ev1, "email", "inv-2", time.Minute); r != Claimed {
		t.Fatalf("an expired claim is taken over: %v", r)
	}
	a := report.Action{ID: report.ActionAddALRepoDeny, Status: report.ActionApplied, Resources: []string{"vpce-1"}, Detail: map[string]any{"check": "x"}}
	if err := f.Complete(ctx, ev1, "action x", &a); err != nil {
		t.Fatal(err)
	}
	if err := f.Complete(ctx, ev1, "email", nil); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.Claim(ctx, ev1, "email", "inv-3", time.Minute); r != AlreadyDone {
		t.Fatalf("claim of a done part = %v", r)
	}
	p, _, _ = f.Begin(ctx, ev1)
	if got := p.Actions["action x"]; got.Status != report.ActionApplied || got.Detail["check"] != "x" {
		t.Fatalf("the completed action is kept: %+v", p.Actions)
	}
	if r, _ := f.Claim(ctx, ev1, "events", "inv-3", time.Minute); r != Claimed {
		t.Fatal(r)
	}
	if err := f.Release(ctx, ev1, "events", "inv-3"); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.Claim(ctx, ev1, "events", "inv-4", time.Minute); r != Claimed {
		t.Fatalf("a released claim is free: %v", r)
	}
	c.set(t0.Add(2*time.Minute + ProgressRetention))
	if _, isNew, _ := f.Begin(ctx, ev1); !isNew {
		t.Fatal("progress older than 24 hours starts anew")
	}
}

// TestConcurrentProcesses: stores opened separately on one file (as
// processes would) lose no record and grant a lock once.
func TestConcurrentProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.json")
	const n = 20
	var wg sync.WaitGroup
	var locked atomic.Int32
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Go(func() {
			f, err := OpenFile(path)
			if err != nil {
				errs <- err
				return
			}
			if err := f.Record(ctx, entry(NewID(t0.Add(time.Duration(i)*time.Second)), t0)); err != nil {
				errs <- err
			}
			ok, err := f.Lock(ctx, LockKey("111122223333", "us-east-1", "vpc-1"), "holder-"+string(rune('a'+i)), time.Minute)
			if err != nil {
				errs <- err
			}
			if ok {
				locked.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	f, _ := OpenFile(path)
	if list, _ := f.Recent(ctx, "111122223333", "us-east-1", 0); len(list) != n {
		t.Fatalf("%d entries after %d concurrent records", len(list), n)
	}
	if locked.Load() != 1 {
		t.Fatalf("%d holders got the lock", locked.Load())
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("ledger file mode %v, want 0600", st.Mode().Perm())
	}
}

func TestNeverOverwritesAForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.json")
	if err := os.WriteFile(path, []byte("my notes, not a ledger\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(path); err == nil || !strings.Contains(err.Error(), "not a vpcguard ledger") {
		t.Fatalf("OpenFile of a foreign file: %v", err)
	}
	raw, _ := os.ReadFile(path)
	if string(raw) != "my notes, not a ledger\n" {
		t.Fatal("the foreign file was changed")
	}
	if _, err := OpenFile(filepath.Join(t.TempDir(), "missing-dir", "ledger.json")); err == nil {
		t.Fatal("a ledger file in a missing directory must be refused")
	}
}

func TestIDs(t *testing.T) {
	a, b := NewID(t0), NewID(t0)
	if a == b || !ValidID(a) || !strings.HasPrefix(a, "rep-20261126T100000Z-") {
		t.Fatalf("NewID = %q, %q", a, b)
	}
	for _, bad := range []string{"", "rep-1", "rep-20261126T100000Z-ABCDEFGH", "x" + a, a + "\n"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q)", bad)
		}
	}
}

func TestLocks(t *testing.T) {
	eachStore(t, func(t *testing.T, s store, c *clock) {
		ctx := context.Background()
		key := LockKey("111122223333", "us-east-1", "vpc-1")
		if ok, err := s.Lock(ctx, key, "a", time.Minute); !ok || err != nil {
			t.Fatalf("first lock: %v %v", ok, err)
		}
		if ok, _ := s.Lock(ctx, key, "b", time.Minute); ok {
			t.Fatal("a second holder got a live lock")
		}
		if ok, _ := s.Lock(ctx, key, "a", time.Minute); !ok {
			t.Fatal("the holder cannot renew its own lock")
		}
		if ok, _ := s.Lock(ctx, LockKey("111122223333", "us-east-1", "vpc-2"), "b", time.Minute); !ok {
			t.Fatal("another VPC's lock is not free")
		}
		if err := s.Unlock(ctx, key, "b"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Lock(ctx, key, "b", time.Minute); ok {
			t.Fatal("an unlock by someone else released the lock")
		}
		c.set(t0.Add(61 * time.Second))
		if ok, _ := s.Lock(ctx, key, "b", time.Minute); !ok {
			t.Fatal("an expired lock is not taken over")
		}
		if err := s.Unlock(ctx, key, "b"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Lock(ctx, key, "c", time.Minute); !ok {
			t.Fatal("an unlocked lock is not free")
		}
	})
}

// TestConcurrentUse: 20 goroutines on one store lose no entry, get one
// lock, and race on one entry's update without losing a change.
func TestConcurrentUse(t *testing.T) {
	eachStore(t, func(t *testing.T, s store, _ *clock) {
		ctx := context.Background()
		const n = 20
		shared := entry(NewID(t0), t0)
		if err := s.Record(ctx, shared); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var locked atomic.Int32
		errs := make(chan error, 3*n)
		for i := range n {
			wg.Go(func() {
				if err := s.Record(ctx, entry(NewID(t0.Add(time.Duration(i+1)*time.Second)), t0.Add(time.Duration(i+1)*time.Second))); err != nil {
					errs <- err
				}
				ok, err := s.Lock(ctx, LockKey("111122223333", "us-east-1", "vpc-1"), fmt.Sprintf("holder-%d", i), time.Minute)
				if err != nil {
					errs <- err
				}
				if ok {
					locked.Add(1)
				}
				if _, err := s.Update(ctx, RefOf(shared), func(e *Entry) error {
					e.Resources = append(e.Resources, fmt.Sprintf("r%02d", i))
					return nil
				}); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if list, _ := s.Recent(ctx, "111122223333", "us-east-1", 0); len(list) != n+1 {
			t.Fatalf("%d entries after %d concurrent records", len(list), n)
		}
		if locked.Load() != 1 {
			t.Fatalf("%d holders got the lock", locked.Load())
		}
		got, _ := s.Get(ctx, RefOf(shared))
		if len(got.Resources) != n+1 {
			t.Fatalf("%d resources after %d concurrent updates: a change was lost", len(got.Resources)-1, n)
		}
	})
}

func TestEntriesArePerAccountAndRegion(t *testing.T) {
	eachStore(t, func(t *testing.T, s store, _ *clock) {
		ctx := context.Background()
		e := entry(NewID(t0), t0)
		if err := s.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
		other := e
		other.Region = "eu-west-1"
		if err := s.Record(ctx, other); err != nil {
			t.Fatalf("the same id in another region: %v", err)
		}
		if _, err := s.Get(ctx, Ref{Account: "444455556666", Region: "us-east-1", ID: e.ID}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another account's entry: %v", err)
		}
		if list, _ := s.Recent(ctx, "111122223333", "eu-west-1", 0); len(list) != 1 || list[0].Region != "eu-west-1" {
			t.Fatalf("recent of eu-west-1: %+v", list)
		}
	})
}
