package state_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/state"
	"github.com/vpcguard/vpcguard/pkg/state/statetest"
)

// record is a typical record: a claim with a status and a counter.
type record struct {
	Status  string   `dynamodbav:"status"`
	Attempt int      `dynamodbav:"attempt"`
	Models  []string `dynamodbav:"models,omitempty"`
}

// eachBackend runs fn against awssim and, where it runs, dynalite: the
// store must behave the same on both.
func eachBackend(t *testing.T, fn func(t *testing.T, s *state.Store)) {
	for _, b := range statetest.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, state.New(b.Client, statetest.Table))
		})
	}
}

func TestPutGet(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *state.Store) {
		ctx := context.Background()
		k := state.Key{PK: "test#putget", SK: "a"}
		if _, found, err := s.Get(ctx, k); err != nil || found {
			t.Fatalf("Get of a missing item = found %v, %v; want not found, no error", found, err)
		}
		want := record{Status: "planned", Attempt: 1, Models: []string{"m1", "m2"}}
		if err := s.Put(ctx, k, want); err != nil {
			t.Fatal(err)
		}
		it, found, err := s.Get(ctx, k)
		if err != nil || !found {
			t.Fatalf("Get = found %v, %v", found, err)
		}
		var got record
		if err := it.Decode(&got); err != nil {
			t.Fatal(err)
		}
		if it.Key != k || got.Status != want.Status || got.Attempt != 1 || !slices.Equal(got.Models, want.Models) {
			t.Errorf("Get = %+v %+v, want %+v %+v", it.Key, got, k, want)
		}
		if !it.Expires.IsZero() {
			t.Errorf("Expires = %v, want none", it.Expires)
		}
	})
}

func TestPutIfAbsent(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *state.Store) {
		ctx := context.Background()
		k := state.Key{PK: "test#absent", SK: "claim"}
		if err := s.Put(ctx, k, record{Status: "first"}, state.If(state.Absent())); err != nil {
			t.Fatalf("first claim: %v", err)
		}
		err := s.Put(ctx, k, record{Status: "second"}, state.If(state.Absent()))
		if !errors.Is(err, state.ErrConditionFailed) {
			t.Fatalf("second claim: %v, want ErrConditionFailed", err)
		}
		it, _, err := s.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		var got record
		it.Decode(&got)
		if got.Status != "first" {
			t.Errorf("after a failed claim the item is %+v, want the first one kept", got)
		}
	})
}

func TestExpiredItemsAreAbsent(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *state.Store) {
		ctx := context.Background()
		now := time.Now()
		k := state.Key{PK: "test#ttl", SK: "old"}
		if err := s.Put(ctx, k, record{Status: "stale"}, state.ExpiresAt(now.Add(-time.Minute))); err != nil {
			t.Fatal(err)
		}
		if _, found, err := s.Get(ctx, k); err != nil || found {
			t.Fatalf("Get of an expired item = found %v, %v; want absent", found, err)
		}
		if err := s.Delete(ctx, k, state.If(state.Present())); !errors.Is(err, state.ErrConditionFailed) {
			t.Errorf("Delete if present of an expired item = %v, want ErrConditionFailed", err)
		}
		// TTL deletes late: a claim replaces the expired item.
		if err := s.Put(ctx, k, record{Status: "fresh"}, state.If(state.Absent()), state.ExpiresAt(now.Add(time.Hour))); err != nil {
			t.Fatalf("claim over an expired item: %v", err)
		}
		it, found, err := s.Get(ctx, k)
		if err != nil || !found {
			t.Fatalf("Get = %v, %v", found, err)
		}
		if got := it.Expires.Unix(); got != now.Add(time.Hour).Unix() {
			t.Errorf("Expires = %d, want %d", got, now.Add(time.Hour).Unix())
		}
		// A later clock sees it expire.
		later := s.WithClock(func() time.Time { return now.Add(2 * time.Hour) })
		if _, found, _ := later.Get(ctx, k); found {
			t.Error("an item is still found after its expiry")
		}
	})
}

func TestUpdate(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *state.Store) {
		ctx := context.Background()
		k := state.Key{PK: "test#update", SK: "action"}
		if err := s.Put(ctx, k, record{Status: "planned", Attempt: 1, Models: []string{"m"}}); err != nil {
			t.Fatal(err)
		}
		it, err := s.Update(ctx, k, state.Update{Set: map[string]any{"status": "applied", "attempt": 2}, Remove: []string{"models"}},
			state.If(state.Equal("status", "planned")))
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		var got record
		it.Decode(&got)
		if got.Status != "applied" || got.Attempt != 2 || got.Models != nil {
			t.Errorf("Update returned %+v, want applied, 2, no models", got)
		}
		_, err = s.Update(ctx, k, state.Update{Set: map[string]any{"status": "applied"}}, state.If(state.Equal("status", "planned")))
		if !errors.Is(err, state.ErrConditionFailed) {
			t.Errorf("second update = %v, want ErrConditionFailed", err)
		}
		_, err = s.Update(ctx, state.Key{PK: "test#update", SK: "missing"}, state.Update{Set: map[string]any{"status": "x"}}, state.If(state.Present()))
		if !errors.Is(err, state.ErrConditionFailed) {
			t.Errorf("update if present of a missing item = %v, want ErrConditionFailed", err)
		}
		if _, found, _ := s.Get(ctx, state.Key{PK: "test#update", SK: "missing"}); found {
			t.Error("a failed conditional update created the item")
		}
		if _, err := s.Update(ctx, k, state.Update{Set: map[string]any{"attempt": 3}}, state.If(state.And(state.Less("attempt", 3), state.Has("status")))); err != nil {
			t.Errorf("update if attempt < 3: %v", err)
		}
		_, err = s.Update(ctx, k, state.Update{Set: map[string]any{"attempt": 4}}, state.If(state.Or(state.Less("attempt", 3), state.Lacks("status"))))
		if !errors.Is(err, state.ErrConditionFailed) {
			t.Errorf("update if attempt < 3 or no status = %v, want ErrConditionFailed", err)
		}
	})
}

func TestDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *state.Store) {
		ctx := context.Background()
		k := state.Key{PK: "test#delete", SK: "x"}
		if err := s.Delete(ctx, k); err != nil {
			t.Errorf("delete of a missing item: %v", err)
		}
		s.Put(ctx, k, record{Status: "applied"})
		if err := s.Delete(ctx, k, state.If(state.NotEqual("status", "applied"))); !errors.Is(err, state.ErrConditionFailed) {
			t.Errorf("conditional delete = %v, want ErrConditionFailed", err)
		}
		if err := s.Delete(ctx, k, state.If(state.Equal("status", "applied"))); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := s.Get(ctx, k); found {
			t.Error("the item is still there")
		}
	})
}

func TestQuery(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *state.Store) {
		ctx := context.Background()
		pk := "test#query"
		// Sort keys in byte order, including characters around '#'.
		sks := []string{"a#1", "a#10", "a#2", "a-0", "b#1", "B#1", "a#3"}
		var puts []state.Entry
		for i, sk := range sks {
			puts = append(puts, state.Entry{Key: state.Key{PK: pk, SK: sk}, Record: record{Attempt: i}})
		}
		puts = append(puts, state.Entry{Key: state.Key{PK: pk, SK: "a#9-expired"}, Record: record{}, Expires: time.Now().Add(-time.Hour)})
		puts = append(puts, state.Entry{Key: state.Key{PK: "test#query-other", SK: "a#1"}, Record: record{}})
		if err := s.WriteBatch(ctx, puts, nil); err != nil {
			t.Fatal(err)
		}
		collect := func(q state.Query) []string {
			var got []string
			for it, err := range s.Query(ctx, q) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, it.SK)
			}
			return got
		}
		for _, tc := range []struct {
			q    state.Query
			want []string
		}{
			{state.Query{PK: pk}, []string{"B#1", "a#1", "a#10", "a#2", "a#3", "a-0", "b#1"}},
			{state.Query{PK: pk, SKPrefix: "a#"}, []string{"a#1", "a#10", "a#2", "a#3"}},
			{state.Query{PK: pk, SKPrefix: "a#", PageSize: 2}, []string{"a#1", "a#10", "a#2", "a#3"}},
			{state.Query{PK: pk, SKPrefix: "a#", PageSize: 3, Reverse: true}, []string{"a#3", "a#2", "a#10", "a#1"}},
			{state.Query{PK: pk, PageSize: 1, Reverse: true}, []string{"b#1", "a-0", "a#3", "a#2", "a#10", "a#1", "B#1"}},
			{state.Query{PK: pk, SKPrefix: "z"}, nil},
			{state.Query{PK: "test#nothing"}, nil},
		} {
			if got := collect(tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("Query(%+v) = %q, want %q", tc.q, got, tc.want)
			}
		}
		// Breaking out of the loop stops reading.
		n := 0
		for range s.Query(ctx, state.Query{PK: pk, PageSize: 2}) {
			n++
			if n == 3 {
				break
			}
		}
		if n != 3 {
			t.Errorf("early break read %d items", n)
		}
	})
}

func TestWriteBatch(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *state.Store) {
		ctx := context.Background()
		pk := "test#batch"
		var puts []state.Entry
		for i := range 60 {
			puts = append(puts, state.Entry{Key: state.Key{PK: pk, SK: fmt.Sprintf("%03d", i)}, Record: record{Attempt: i}})
		}
		// A key named twice: the last put wins.
		puts = append(puts, state.Entry{Key: state.Key{PK: pk, SK: "000"}, Record: record{Status: "last"}})
		if err := s.WriteBatch(ctx, puts, nil); err != nil {
			t.Fatal(err)
		}
		var dels []state.Key
		for i := 0; i < 60; i += 2 {
			dels = append(dels, state.Key{PK: pk, SK: fmt.Sprintf("%03d", i)})
		}
		// A put and a delete of the same key keep the put.
		keep := state.Entry{Key: state.Key{PK: pk, SK: "010"}, Record: record{Status: "kept"}}
		if err := s.WriteBatch(ctx, []state.Entry{keep}, dels); err != nil {
			t.Fatal(err)
		}
		var got []string
		for it, err := range s.Query(ctx, state.Query{PK: pk}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, it.SK)
		}
		if len(got) != 31 || got[0] != "001" || !slices.Contains(got, "010") || slices.Contains(got, "000") {
			t.Errorf("after the batches: %d items %q…, want the 30 odd ones and 010", len(got), got[:min(5, len(got))])
		}
		it, _, _ := s.Get(ctx, keep.Key)
		var r record
		it.Decode(&r)
		if r.Status != "kept" {
			t.Errorf("010 = %+v, want the put kept", r)
		}
	})
}

// Bad input is refused before any call, with a clear error.
func TestBadInput(t *testing.T) {
	b := statetest.Awssim(t)
	s := state.New(b.Client, statetest.Table)
	ctx := context.Background()
	type withPK struct {
		PK string `dynamodbav:"pk"`
	}
	checks := map[string]error{
		"empty sk":         s.Put(ctx, state.Key{PK: "x"}, record{}),
		"reserved pk":      s.Put(ctx, state.Key{PK: "x", SK: "y"}, withPK{PK: "z"}),
		"reserved expires": s.Put(ctx, state.Key{PK: "x", SK: "y"}, map[string]any{"expires": 1}),
		"update key": func() error {
			_, err := s.Update(ctx, state.Key{PK: "x", SK: "y"}, state.Update{Set: map[string]any{"sk": "z"}})
			return err
		}(),
		"empty update":     func() error { _, err := s.Update(ctx, state.Key{PK: "x", SK: "y"}, state.Update{}); return err }(),
		"batch empty pk":   s.WriteBatch(ctx, []state.Entry{{Key: state.Key{SK: "y"}}}, nil),
		"delete empty key": s.Delete(ctx, state.Key{}),
	}
	for name, err := range checks {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	var qerr error
	for _, err := range s.Query(ctx, state.Query{}) {
		qerr = err
	}
	if qerr == nil {
		t.Error("query without pk: no error")
	}
	if n := b.Sim.Calls("*"); n != 0 {
		t.Errorf("bad input made %d calls", n)
	}
}

// An unreadable table is an error that keeps the AWS error code, so that
// callers can tell AccessDenied and throttling apart and fall back.
func TestErrorsKeepTheCode(t *testing.T) {
	b := statetest.Awssim(t)
	s := state.New(b.Client, statetest.Table)
	ctx := context.Background()
	b.Sim.SetFault("dynamodb:Query", awssim.Fault{AccessDenied: true})
	var err error
	for _, e := range s.Query(ctx, state.Query{PK: "x"}) {
		err = e
	}
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" {
		t.Errorf("query error = %v, want AccessDeniedException", err)
	}
	missing := state.New(b.Client, "no-such-table")
	if _, _, err := missing.Get(ctx, state.Key{PK: "a", SK: "b"}); !errors.As(err, &api) || api.ErrorCode() != "ResourceNotFoundException" {
		t.Errorf("get from a missing table = %v, want ResourceNotFoundException", err)
	}
}
