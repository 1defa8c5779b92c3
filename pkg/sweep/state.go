package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/vpcguard/vpcguard/pkg/report"
)

// StateVersion is the version of the State document this code writes.
const StateVersion = 1

// maxStateBytes bounds the state document read back (10,000 models with a
// few findings each take a few MB).
const maxStateBytes = 64 << 20

// State is what the sweep keeps between runs: the pass in progress (with
// its cursor) and the last completed pass (to tell what changed).
//
// A pass evaluates every model of the account once, in name order. Most
// passes take one run; when a run's time budget ends first, the run saves
// the pass with its cursor (the last model it evaluated) and the next run
// continues after it.
type State struct {
	Version  int   `json:"version"`
	Current  *Pass `json:"current,omitempty"`  // the pass in progress, if any
	Previous *Pass `json:"previous,omitempty"` // the last completed pass, if any
}

// Pass is one traversal of the account's models.
type Pass struct {
	ID       string     `json:"id"` // the id of the run that started it
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished,omitempty"`
	Runs     int        `json:"runs"`   // runs that worked on it
	Models   int        `json:"models"` // models evaluated in it so far
	// Cursor is the name of the last model evaluated (names in byte
	// order); the next run continues after it. Empty once finished.
	Cursor string `json:"cursor,omitempty"`
	// Findings are the failing and unverified checks above info severity
	// found so far, as check ID → subject → status. A subject is a resource
	// a check names: a model, VPC, endpoint, route table, subnet or group.
	Findings Findings `json:"findings"`
}

// Findings maps check ID → subject → status (fail or unknown).
type Findings map[string]map[string]report.Status

func (f Findings) add(check, subject string, st report.Status) {
	m := f[check]
	if m == nil {
		m = map[string]report.Status{}
		f[check] = m
	}
	// fail outranks unknown when two groups disagree about a subject.
	if old, ok := m[subject]; !ok || old != report.StatusFail {
		m[subject] = st
	}
}

func (f Findings) merge(o Findings) {
	for check, subjects := range o {
		for subject, st := range subjects {
			f.add(check, subject, st)
		}
	}
}

func (f Findings) has(check, subject string) bool {
	_, ok := f[check][subject]
	return ok
}

// Len is the number of (check, subject) findings.
func (f Findings) Len() int {
	n := 0
	for _, m := range f {
		n += len(m)
	}
	return n
}

func (f Findings) checks() []string {
	ids := make([]string, 0, len(f))
	for id := range f {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Store keeps the State between runs.
type Store interface {
	// Load returns the saved state, or nil and no error when none was saved.
	Load(ctx context.Context) (*State, error)
	Save(ctx context.Context, st *State) error
	// String names the location, e.g. s3://bucket/key.
	String() string
}

// S3Objects is the part of *s3.Client that S3Store uses.
type S3Objects interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// S3Store keeps the state in one S3 object (GetObject, PutObject). The
// sweep must not run twice at once (the function's reserved concurrency
// is 1): the last writer wins.
type S3Store struct {
	Client S3Objects
	Bucket string
	Key    string
}

func (s S3Store) String() string { return "s3://" + s.Bucket + "/" + s.Key }

// Load reads and decodes the object; a missing object (NoSuchKey) is no
// state yet.
func (s S3Store) Load(ctx context.Context) (*State, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Key)})
	if err != nil {
		var nsk *s3types.NoSuchKey
		var api smithy.APIError
		if errors.As(err, &nsk) || (errors.As(err, &api) && api.ErrorCode() == "NoSuchKey") {
			return nil, nil
		}
		return nil, fmt.Errorf("read sweep state %s: %w", s, err)
	}
	defer out.Body.Close()
	return decodeState(out.Body, s.String())
}

// Save writes the state as one JSON object.
func (s S3Store) Save(ctx context.Context, st *State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode sweep state: %w", err)
	}
	_, err = s.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.Bucket),
		Key:           aws.String(s.Key),
		Body:          bytes.NewReader(b),
		ContentLength: aws.Int64(int64(len(b))),
		ContentType:   aws.String("application/json"),
	})
	if err != nil {
		return fmt.Errorf("write sweep state %s: %w", s, err)
	}
	return nil
}

// FileStore keeps the state in a local file (local runs of the sweep).
type FileStore struct{ Path string }

func (f FileStore) String() string { return f.Path }

// Load reads the file; a missing file is no state yet.
func (f FileStore) Load(context.Context) (*State, error) {
	file, err := os.Open(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read sweep state: %w", err)
	}
	defer file.Close()
	return decodeState(file, f.Path)
}

// Save writes the file through a temporary file and a rename, so that a
// crash leaves the old state or the new one, never half of one.
func (f FileStore) Save(_ context.Context, st *State) error {
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return fmt.Errorf("encode sweep state: %w", err)
	}
	dir := filepath.Dir(f.Path)
	tmp, err := os.CreateTemp(dir, ".sweep-state-*")
	if err != nil {
		return fmt.Errorf("write sweep state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write sweep state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write sweep state: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("write sweep state: %w", err)
	}
	return nil
}

func decodeState(r io.Reader, where string) (*State, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxStateBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read sweep state %s: %w", where, err)
	}
	if len(b) > maxStateBytes {
		return nil, fmt.Errorf("sweep state %s is larger than %d MiB", where, maxStateBytes>>20)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("sweep state %s is not valid JSON: %w", where, err)
	}
	if st.Version != StateVersion {
		return nil, fmt.Errorf("sweep state %s has version %d; this vpcguard reads version %d", where, st.Version, StateVersion)
	}
	for _, p := range []*Pass{st.Current, st.Previous} {
		if p != nil && p.Findings == nil {
			p.Findings = Findings{}
		}
	}
	return &st, nil
}

// OpenStore returns the store that uri names: s3://bucket/key (through
// client), or a file path. An empty uri keeps no state (nil, nil).
func OpenStore(uri string, client S3Objects) (Store, error) {
	if uri == "" {
		return nil, nil
	}
	bucket, key, err := parseStateURI(uri)
	if err != nil {
		return nil, err
	}
	if bucket == "" {
		return FileStore{Path: key}, nil
	}
	if client == nil {
		return nil, errors.New("an S3 state location needs an S3 client")
	}
	return S3Store{Client: client, Bucket: bucket, Key: key}, nil
}

// parseStateURI splits s3://bucket/key (bucket set) or a file path (bucket
// empty, the path in key). A key ending in / gets sweep-state.json.
func parseStateURI(uri string) (bucket, key string, err error) {
	rest, isS3 := strings.CutPrefix(uri, "s3://")
	if !isS3 {
		if strings.Contains(uri, "://") {
			return "", "", errors.New("want s3://bucket/key or a file path")
		}
		return "", uri, nil
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if bucket == "" || strings.ContainsAny(bucket, " ?#") {
		return "", "", errors.New("want s3://bucket/key: no bucket")
	}
	if key == "" || strings.HasSuffix(key, "/") {
		key += "sweep-state.json"
	}
	return bucket, key, nil
}
