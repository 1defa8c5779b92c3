package ledger

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/report"
)

var ev1 = EventKey{Account: "111122223333", Region: "us-east-1", Event: "ev-1"}

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func newStore(t *testing.T) *FileStore {
	t.Helper()
	f, err := OpenFile(filepath.Join(t.TempDir(), "ledger.json"))
	if err != nil {
		t.Fatal(err)
	}
	f.Now = func() time.Time { return t0 }
	return f
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
	ctx := context.Background()
	f := newStore(t)
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
	ctx := context.Background()
	f := newStore(t)
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
	f.Now = func() time.Time { return t0.Add(HoldDuration) }
	if hs, _ := f.Holds(ctx, "111122223333", "us-east-1", []string{"vpc-1"}); len(hs) != 0 {
		t.Fatalf("a hold past its 7 days: %+v", hs)
	}
	f.Now = func() time.Time { return t0.Add(EntryRetention - time.Second) }
	if err := f.Record(ctx, entry(NewID(f.Now()), f.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get(ctx, RefOf(old)); err != nil {
		t.Fatalf("an entry younger than 400 days was dropped: %v", err)
	}
	f.Now = func() time.Time { return t0.Add(EntryRetention) }
	if err := f.Record(ctx, entry(NewID(f.Now()), f.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get(ctx, RefOf(old)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an entry of 400 days is kept: %v", err)
	}
}

func TestProgressClaims(t *testing.T) {
	ctx := context.Background()
	f := newStore(t)
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
	f.Now = func() time.Time { return t0.Add(2 * time.Minute) }
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
	f.Now = func() time.Time { return t0.Add(ProgressRetention) }
	if _, isNew, _ := f.Begin(ctx, ev1); !isNew {
		t.Fatal("progress older than 24 hours starts anew")
	}
	if _, err := f.Claim(ctx, EventKey{Account: "111122223333", Region: "us-east-1", Event: "ev-unknown"}, "email", "x", time.Minute); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claim without Begin: %v", err)
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
