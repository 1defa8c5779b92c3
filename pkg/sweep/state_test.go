package sweep

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/report"
)

func TestOpenStore(t *testing.T) {
	for _, tc := range []struct {
		uri, want string
		err       bool
	}{
		{"s3://bucket/sweep/state.json", "s3://bucket/sweep/state.json", false},
		{"s3://bucket", "s3://bucket/sweep-state.json", false},
		{"s3://bucket/prefix/", "s3://bucket/prefix/sweep-state.json", false},
		{"/tmp/x.json", "/tmp/x.json", false},
		{"s3:///key", "", true},
		{"ssm://param", "", true},
	} {
		st, err := OpenStore(tc.uri, noObjects{})
		switch {
		case tc.err && err == nil:
			t.Errorf("%q: no error", tc.uri)
		case !tc.err && err != nil:
			t.Errorf("%q: %v", tc.uri, err)
		case !tc.err && st.String() != tc.want:
			t.Errorf("%q: %s, want %s", tc.uri, st, tc.want)
		}
	}
	if st, err := OpenStore("", nil); st != nil || err != nil {
		t.Errorf("empty: %v %v", st, err)
	}
}

type noObjects struct{ S3Objects }

func TestFileStoreRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	fs := FileStore{Path: path}
	ctx := context.Background()
	if st, err := fs.Load(ctx); st != nil || err != nil {
		t.Fatalf("missing file: %v %v", st, err)
	}
	want := &State{Version: StateVersion, Current: &Pass{ID: "p", Started: time.Unix(0, 0).UTC(), Runs: 2, Models: 5, Cursor: "m-5",
		Findings: Findings{"vpc-dns": {"vpc-1": report.StatusFail}}}}
	if err := fs.Save(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := fs.Load(ctx)
	if err != nil || got.Current.Cursor != "m-5" || got.Current.Findings["vpc-dns"]["vpc-1"] != report.StatusFail {
		t.Fatalf("%+v %v", got, err)
	}
	os.WriteFile(path, []byte(`{"version":99}`), 0o600)
	if _, err := fs.Load(ctx); err == nil {
		t.Error("a state of another version was accepted")
	}
}

func TestDiff(t *testing.T) {
	prev := &Pass{Findings: Findings{"vpc-dns": {"vpc-1": report.StatusFail}, "model-in-vpc": {"m-1": report.StatusFail}}}
	run := Findings{"vpc-dns": {"vpc-2": report.StatusFail}, "model-in-vpc": {"m-1": report.StatusFail}}
	ch := diff(prev, run, run, false)
	if len(ch.New) != 1 || ch.New[0].Subjects[0] != "vpc-2" || !ch.ResolvedPending || len(ch.Resolved) != 0 {
		t.Errorf("partial: %+v", ch)
	}
	ch = diff(prev, run, run, true)
	if len(ch.Resolved) != 1 || ch.Resolved[0].Check != "vpc-dns" || ch.Resolved[0].Subjects[0] != "vpc-1" {
		t.Errorf("complete: %+v", ch)
	}
	if ch := diff(nil, run, run, true); !ch.FirstPass {
		t.Errorf("no previous: %+v", ch)
	}
}

func TestBudget(t *testing.T) {
	now := time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(10*time.Minute))
	defer cancel()
	at := func(t time.Time) func() time.Time { return func() time.Time { return t } }
	b := newBudget(ctx, at(now), time.Minute)
	if !b.has || b.describe != now.Add(9*time.Minute) || b.read != now.Add(9*time.Minute+30*time.Second) {
		t.Errorf("%+v", b)
	}
	// A short run keeps half its time for the phases after describing.
	ctx2, cancel2 := context.WithDeadline(context.Background(), now.Add(10*time.Second))
	defer cancel2()
	if b := newBudget(ctx2, at(now), time.Minute); b.describe != now.Add(5*time.Second) {
		t.Errorf("%+v", b)
	}
	if b := newBudget(context.Background(), at(now.Add(time.Hour)), time.Minute); b.has || b.describeOver() {
		t.Errorf("no deadline: %+v", b)
	}
}
