package ledger

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/vpcguard/vpcguard/pkg/report"
)

// FileVersion is the version of the ledger file's layout.
const FileVersion = 1

// FileStore keeps the ledger in one JSON file (VPCGUARD_LEDGER_FILE), for
// local runs without the state table. Every operation reads the file,
// changes it and replaces it whole (a temporary file renamed over it),
// under an exclusive lock on "<path>.lock": processes and goroutines that
// share the file take turns, and a reader never sees half a file. Records
// past their retention are dropped on every write.
type FileStore struct {
	Path string
	// Now is the clock of retention and claims (default time.Now).
	Now func() time.Time

	mu sync.Mutex
}

// fileData is the file's content.
type fileData struct {
	Version  int                  `json:"version"`
	Entries  []Entry              `json:"entries"`
	Holds    []Hold               `json:"holds"`
	Progress map[string]*Progress `json:"progress"`
	Locks    map[string]Claim     `json:"locks"`
}

// OpenFile returns the store of the ledger file path. The file need not
// exist (it is created on the first write, mode 0600), but its directory
// must, and an existing file must be a ledger.
func OpenFile(path string) (*FileStore, error) {
	if path == "" {
		return nil, errors.New("ledger file: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("ledger file %s: %w", path, err)
	}
	if st, err := os.Stat(filepath.Dir(abs)); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("ledger file %s: its directory does not exist", path)
	}
	f := &FileStore{Path: abs}
	if _, err := f.read(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *FileStore) String() string { return f.Path }

func (f *FileStore) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// read loads the file; a missing file is an empty ledger.
func (f *FileStore) read() (*fileData, error) {
	d := &fileData{Version: FileVersion, Progress: map[string]*Progress{}, Locks: map[string]Claim{}}
	raw, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ledger file %s: %w", f.Path, err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return d, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(d); err != nil {
		return nil, fmt.Errorf("ledger file %s is not a vpcguard ledger (it is never overwritten): %w", f.Path, err)
	}
	if d.Version != FileVersion {
		return nil, fmt.Errorf("ledger file %s has version %d; this vpcguard reads version %d", f.Path, d.Version, FileVersion)
	}
	if d.Progress == nil {
		d.Progress = map[string]*Progress{}
	}
	if d.Locks == nil {
		d.Locks = map[string]Claim{}
	}
	return d, nil
}

// write replaces the file with d, dropping expired records first.
func (f *FileStore) write(d *fileData) error {
	now := f.now()
	d.Entries = slices.DeleteFunc(d.Entries, func(e Entry) bool { return !e.Expires.IsZero() && !now.Before(e.Expires) })
	d.Holds = slices.DeleteFunc(d.Holds, func(h Hold) bool { return !h.live(now) })
	for k, p := range d.Progress {
		if !now.Before(p.Expires) {
			delete(d.Progress, k)
		}
	}
	for k, c := range d.Locks {
		if !now.Before(c.Until) {
			delete(d.Locks, k)
		}
	}
	raw, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("encode ledger: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), "."+filepath.Base(f.Path)+".*")
	if err != nil {
		return fmt.Errorf("write ledger file %s: %w", f.Path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write ledger file %s: %w", f.Path, err)
	}
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write ledger file %s: %w", f.Path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write ledger file %s: %w", f.Path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write ledger file %s: %w", f.Path, err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("write ledger file %s: %w", f.Path, err)
	}
	return nil
}

// update runs fn on the file's content under the lock and writes it back
// when fn returns changed.
func (f *FileStore) update(ctx context.Context, fn func(d *fileData) (changed bool, err error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	unlock, err := lockFile(f.Path + ".lock")
	if err != nil {
		return fmt.Errorf("ledger file %s: %w", f.Path, err)
	}
	defer unlock()
	d, err := f.read()
	if err != nil {
		return err
	}
	changed, err := fn(d)
	if err != nil || !changed {
		return err
	}
	return f.write(d)
}

// view runs fn on the file's content, read under the lock.
func (f *FileStore) view(ctx context.Context, fn func(d *fileData) error) error {
	return f.update(ctx, func(d *fileData) (bool, error) { return false, fn(d) })
}

// Record adds a new entry; ErrExists when its id is taken. Its expiry is
// set to 400 days after its time when unset.
func (f *FileStore) Record(ctx context.Context, e Entry) error {
	if e.Expires.IsZero() {
		e.Expires = e.Time.Add(EntryRetention)
	}
	return f.update(ctx, func(d *fileData) (bool, error) {
		if slices.ContainsFunc(d.Entries, RefOf(e).finds) {
			return false, fmt.Errorf("ledger entry %s: %w", e.ID, ErrExists)
		}
		d.Entries = append(d.Entries, e)
		return true, nil
	})
}

func (r Ref) finds(e Entry) bool {
	return e.ID == r.ID && e.Account == r.Account && e.Region == r.Region
}

// Update changes entry ref with fn, atomically; ErrNotFound when there is
// none. An error from fn leaves the entry as it was.
func (f *FileStore) Update(ctx context.Context, ref Ref, fn func(*Entry) error) (Entry, error) {
	var out Entry
	err := f.update(ctx, func(d *fileData) (bool, error) {
		i := slices.IndexFunc(d.Entries, ref.finds)
		if i < 0 {
			return false, fmt.Errorf("ledger entry %s: %w", ref.ID, ErrNotFound)
		}
		e := d.Entries[i]
		if err := fn(&e); err != nil {
			return false, err
		}
		e.ID, e.Account, e.Region = ref.ID, ref.Account, ref.Region
		d.Entries[i], out = e, e
		return true, nil
	})
	return out, err
}

// Get returns entry ref; ErrNotFound when there is none.
func (f *FileStore) Get(ctx context.Context, ref Ref) (Entry, error) {
	var out Entry
	err := f.view(ctx, func(d *fileData) error {
		i := slices.IndexFunc(d.Entries, ref.finds)
		if i < 0 {
			return fmt.Errorf("ledger entry %s: %w", ref.ID, ErrNotFound)
		}
		out = d.Entries[i]
		return nil
	})
	return out, err
}

// Recent returns up to limit entries of account and region, newest first
// (limit ≤ 0: all).
func (f *FileStore) Recent(ctx context.Context, account, region string, limit int) ([]Entry, error) {
	var out []Entry
	err := f.view(ctx, func(d *fileData) error {
		for _, e := range d.Entries {
			if e.Account == account && e.Region == region {
				out = append(out, e)
			}
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b Entry) int { return cmp.Or(b.Time.Compare(a.Time), cmp.Compare(b.ID, a.ID)) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

// AddHold records a hold.
func (f *FileStore) AddHold(ctx context.Context, h Hold) error {
	return f.update(ctx, func(d *fileData) (bool, error) {
		d.Holds = append(d.Holds, h)
		return true, nil
	})
}

// Holds returns the live holds of account and region in vpcs.
func (f *FileStore) Holds(ctx context.Context, account, region string, vpcs []string) ([]Hold, error) {
	now := f.now()
	var out []Hold
	err := f.view(ctx, func(d *fileData) error {
		for _, h := range d.Holds {
			if h.Account == account && h.Region == region && slices.Contains(vpcs, h.VPCID) && h.live(now) {
				out = append(out, h)
			}
		}
		return nil
	})
	return out, err
}

// Begin returns the progress of event, creating it (isNew) on the first
// call; it lives 24 hours.
func (f *FileStore) Begin(ctx context.Context, k EventKey) (p Progress, isNew bool, err error) {
	now := f.now()
	err = f.update(ctx, func(d *fileData) (bool, error) {
		if cur, ok := d.Progress[k.file()]; ok && now.Before(cur.Expires) {
			p = *cur
			return false, nil
		}
		p, isNew = Progress{Event: k.Event, Started: now.UTC(), Expires: now.Add(ProgressRetention).UTC()}, true
		cp := p
		d.Progress[k.file()] = &cp
		return true, nil
	})
	return p, isNew, err
}

// file is the key of k in the file.
func (k EventKey) file() string { return k.Account + "#" + k.Region + "#" + k.Event }

func (f *FileStore) progress(d *fileData, k EventKey) (*Progress, error) {
	p, ok := d.Progress[k.file()]
	if !ok {
		return nil, fmt.Errorf("progress of event %s: %w (Begin first)", k.Event, ErrNotFound)
	}
	return p, nil
}

// Claim claims part of event for holder for lease.
func (f *FileStore) Claim(ctx context.Context, event EventKey, part, holder string, lease time.Duration) (ClaimResult, error) {
	now := f.now()
	var res ClaimResult
	err := f.update(ctx, func(d *fileData) (bool, error) {
		p, err := f.progress(d, event)
		if err != nil {
			return false, err
		}
		res = p.claim(part, holder, now, lease)
		return res == Claimed, nil
	})
	return res, err
}

// Complete marks part of event done, with the action a repair reported.
func (f *FileStore) Complete(ctx context.Context, event EventKey, part string, action *report.Action) error {
	now := f.now()
	return f.update(ctx, func(d *fileData) (bool, error) {
		p, err := f.progress(d, event)
		if err != nil {
			return false, err
		}
		p.complete(part, action, now.UTC())
		return true, nil
	})
}

// Release gives up holder's claim on part of event (the part failed).
func (f *FileStore) Release(ctx context.Context, event EventKey, part, holder string) error {
	return f.update(ctx, func(d *fileData) (bool, error) {
		p, err := f.progress(d, event)
		if err != nil {
			return false, nil // nothing to release
		}
		p.release(part, holder)
		return true, nil
	})
}

// Lock takes the lock key for holder for ttl; false when another holder
// has it.
func (f *FileStore) Lock(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	now := f.now()
	ok := false
	err := f.update(ctx, func(d *fileData) (bool, error) {
		if c, held := d.Locks[key]; held && c.Holder != holder && now.Before(c.Until) {
			return false, nil
		}
		d.Locks[key], ok = Claim{Holder: holder, Until: now.Add(ttl)}, true
		return true, nil
	})
	return ok, err
}

// Unlock releases holder's lock key.
func (f *FileStore) Unlock(ctx context.Context, key, holder string) error {
	return f.update(ctx, func(d *fileData) (bool, error) {
		if c, held := d.Locks[key]; held && c.Holder == holder {
			delete(d.Locks, key)
			return true, nil
		}
		return false, nil
	})
}
