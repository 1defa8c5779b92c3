package awssim

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// S3 is REST:
//
//   - GetBucketPolicy: GET /<bucket>?policy (path style, the SDK's
//     UsePathStyle) or GET /?policy with Host <bucket>.<host> (virtual-hosted
//     style);
//   - GetObject: GET /<bucket>/<key> (path style only);
//   - PutObject: PUT /<bucket>/<key> (path style only), the body plain or
//     aws-chunked, its checksums verified.
//
// The SDK adds x-id=GetObject / x-id=PutObject to the query; any other
// query on an object (?acl, ?tagging, ?uploads, …) is an operation awssim
// does not simulate.

var s3Ops = map[string]handler{
	"GetBucketPolicy": (*Server).getBucketPolicy,
	"GetObject":       (*Server).getObject,
	"PutObject":       (*Server).putObject,
}

// maxObjectKey is S3's limit on a key's length, in bytes.
const maxObjectKey = 1024

type s3Request struct {
	bucket string
	key    string
}

// object is a stored S3 object.
type object struct {
	body        []byte
	contentType string
	etag        string // quoted MD5, as S3 gives for a single-part upload
	modified    time.Time
}

func newObject(body []byte, contentType string, modified time.Time) *object {
	sum := md5.Sum(body)
	if contentType == "" {
		contentType = "binary/octet-stream" // what S3 stores when none is sent
	}
	return &object{body: body, contentType: contentType, etag: `"` + hex.EncodeToString(sum[:]) + `"`, modified: modified.UTC().Truncate(time.Second)}
}

func (s *Server) routeS3(c *call) *apiError {
	path := strings.TrimPrefix(c.r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	if bucket == "" {
		// Virtual-hosted style: the bucket is the first label of the host.
		host := c.r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if net.ParseIP(host) == nil && strings.Count(host, ".") >= 1 {
			bucket, _, _ = strings.Cut(host, ".")
		}
	}
	c.s3 = s3Request{bucket: bucket, key: key}
	q := c.r.URL.Query()
	_, policy := q["policy"]
	// On an object, the SDK's only query parameter is x-id (the operation).
	plainObject := key != "" && bucket != "" && (len(q) == 0 || len(q) == 1 && q.Has("x-id"))
	switch {
	case c.r.Method == http.MethodGet && policy && key == "" && bucket != "":
		c.op = "GetBucketPolicy"
		return nil
	case c.r.Method == http.MethodGet && plainObject:
		c.op = "GetObject"
		return nil
	case c.r.Method == http.MethodPut && plainObject:
		c.op = "PutObject"
		return nil
	}
	c.op = "Unknown"
	return errorf(501, "NotImplemented", "awssim simulates only GetBucketPolicy (GET /<bucket>?policy), GetObject (GET /<bucket>/<key>) and PutObject (PUT /<bucket>/<key>), not %s %s",
		c.r.Method, c.r.URL.RequestURI())
}

// bucketFor returns the bucket of c, or S3's error for it.
func (s *Server) bucketFor(c *call) (*Bucket, *apiError) {
	b, ok := s.st.buckets[c.s3.bucket]
	switch {
	case !ok:
		return nil, &apiError{Status: 404, Code: "NoSuchBucket", Message: "The specified bucket does not exist", extra: map[string]string{"BucketName": c.s3.bucket}}
	case b.AccessDenied:
		return nil, &apiError{Status: 403, Code: "AccessDenied", Message: "Access Denied"}
	}
	return b, nil
}

func (s *Server) getBucketPolicy(c *call) (any, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, aerr := s.bucketFor(c)
	switch {
	case aerr != nil:
		return nil, aerr
	case b.Policy == "":
		return nil, &apiError{Status: 404, Code: "NoSuchBucketPolicy", Message: "The bucket policy does not exist", extra: map[string]string{"BucketName": c.s3.bucket}}
	}
	return rawBody{contentType: "application/json", data: []byte(b.Policy)}, nil
}

// getObject answers a missing key with 404 NoSuchKey, as S3 does for a
// caller allowed s3:ListBucket (without it S3 says 403 AccessDenied, which
// awssim does not model).
func (s *Server) getObject(c *call) (any, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, aerr := s.bucketFor(c); aerr != nil {
		return nil, aerr
	}
	o, ok := s.st.objects[c.s3.bucket][c.s3.key]
	if !ok {
		return nil, &apiError{Status: 404, Code: "NoSuchKey", Message: "The specified key does not exist.", extra: map[string]string{"Key": c.s3.key}}
	}
	h := c.w.Header()
	h.Set("ETag", o.etag)
	h.Set("Last-Modified", o.modified.Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Length", strconv.Itoa(len(o.body)))
	return rawBody{contentType: o.contentType, data: o.body}, nil
}

// putObject stores the body, whole (S3 has no partial writes): plain, or
// aws-chunked (the SDK's streaming upload, with its checksum trailer).
// Content-MD5 and x-amz-checksum-{crc32,crc32c,sha1,sha256}, as headers or
// trailers, are verified: BadDigest on a mismatch, as S3 answers.
func (s *Server) putObject(c *call) (any, *apiError) {
	body, trailers, aerr := s3Payload(c)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := verifyChecksums(c.r.Header, trailers, body); aerr != nil {
		return nil, aerr
	}
	if len(c.s3.key) > maxObjectKey {
		return nil, &apiError{Status: 400, Code: "KeyTooLongError", Message: "Your key is too long"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, aerr := s.bucketFor(c); aerr != nil {
		return nil, aerr
	}
	o := newObject(body, c.r.Header.Get("Content-Type"), time.Now())
	if s.st.objects[c.s3.bucket] == nil {
		s.st.objects[c.s3.bucket] = map[string]*object{}
	}
	s.st.objects[c.s3.bucket][c.s3.key] = o
	c.result = map[string]any{"ETag": o.etag, "size": len(body)}
	c.w.Header().Set("ETag", o.etag)
	return nil, nil
}

// s3Payload decodes the request body of c: as sent, or aws-chunked (hex
// size[;chunk-signature=…] CRLF data CRLF … 0 CRLF trailers CRLF), whose
// decoded length must be x-amz-decoded-content-length.
func s3Payload(c *call) ([]byte, http.Header, *apiError) {
	if !strings.Contains(c.r.Header.Get("Content-Encoding"), "aws-chunked") {
		return c.body, nil, nil
	}
	bad := func(format string, args ...any) *apiError {
		return &apiError{Status: 400, Code: "IncompleteBody", Message: "aws-chunked body: " + fmt.Sprintf(format, args...)}
	}
	var out []byte
	r := bufio.NewReader(bytes.NewReader(c.body))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, nil, bad("chunk header: %v", err)
		}
		sizeHex, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(sizeHex, 16, 64)
		if err != nil || n < 0 || n > int64(len(c.body)) {
			return nil, nil, bad("chunk size %q", strings.TrimSpace(line))
		}
		if n == 0 {
			break
		}
		chunk := make([]byte, n)
		if _, err := io.ReadFull(r, chunk); err != nil {
			return nil, nil, bad("chunk of %d bytes: %v", n, err)
		}
		out = append(out, chunk...)
		if crlf, err := r.ReadString('\n'); err != nil || strings.TrimSpace(crlf) != "" {
			return nil, nil, bad("no CRLF after a chunk")
		}
	}
	trailers := http.Header{}
	for {
		line, err := r.ReadString('\n')
		line = strings.TrimSpace(line)
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, nil, bad("trailer %q", line)
		}
		trailers.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		if err != nil {
			break
		}
	}
	if d := c.r.Header.Get("X-Amz-Decoded-Content-Length"); d != "" && d != strconv.Itoa(len(out)) {
		return nil, nil, bad("x-amz-decoded-content-length %s, got %d bytes", d, len(out))
	}
	return out, trailers, nil
}

// verifyChecksums checks the signed payload hash (x-amz-content-sha256),
// Content-MD5 and the x-amz-checksum-* values sent as headers or trailers.
func verifyChecksums(h, trailers http.Header, body []byte) *apiError {
	if want := h.Get("X-Amz-Content-Sha256"); len(want) == 64 && !strings.HasPrefix(want, "STREAMING-") {
		if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != strings.ToLower(want) {
			return &apiError{Status: 400, Code: "XAmzContentSHA256Mismatch", Message: "The provided 'x-amz-content-sha256' header does not match what was computed."}
		}
	}
	if want := h.Get("Content-MD5"); want != "" {
		sum := md5.Sum(body)
		if want != base64.StdEncoding.EncodeToString(sum[:]) {
			return &apiError{Status: 400, Code: "BadDigest", Message: "The Content-MD5 you specified did not match what we received."}
		}
	}
	algorithms := map[string]func() hash.Hash{
		"crc32":  func() hash.Hash { return crc32.NewIEEE() },
		"crc32c": func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
		"sha1":   sha1.New,
		"sha256": sha256.New,
	}
	for name, newHash := range algorithms {
		header := "X-Amz-Checksum-" + strings.ToUpper(name[:1]) + name[1:]
		want := h.Get(header)
		if want == "" {
			want = trailers.Get(header)
		}
		if want == "" {
			continue
		}
		hh := newHash()
		hh.Write(body)
		if got := base64.StdEncoding.EncodeToString(hh.Sum(nil)); got != want {
			return &apiError{Status: 400, Code: "BadDigest", Message: fmt.Sprintf("The %s you specified did not match the calculated checksum.", strings.ToUpper(name))}
		}
	}
	return nil
}

// Object returns the content of an object, and whether it exists.
func (s *Server) Object(bucket, key string) ([]byte, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.st.objects[bucket][key]
	if !ok {
		return nil, false
	}
	return bytes.Clone(o.body), true
}
