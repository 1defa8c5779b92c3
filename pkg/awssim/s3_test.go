package awssim

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// captureHost records the host the SDK sends a request to.
func captureHost(host *string) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("captureHost", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if req, ok := in.Request.(*smithyhttp.Request); ok {
				*host = req.URL.Host
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
	}
}

func TestS3GetBucketPolicy(t *testing.T) {
	ctx := context.Background()
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::art/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]}`
	srv, cfg := start(t, &Scenario{Buckets: []Bucket{{Name: "art", Policy: Policy(policy)}, {Name: "bare"}, {Name: "locked", AccessDenied: true}}})
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })

	out, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("art")})
	must(t, err)
	if aws.ToString(out.Policy) != policy {
		t.Errorf("policy %q", aws.ToString(out.Policy))
	}
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("bare")})
	wantCode(t, err, "NoSuchBucketPolicy")
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("nope")})
	wantCode(t, err, "NoSuchBucket")
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("locked")})
	wantCode(t, err, "AccessDenied")
	_, err = c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("art")})
	wantCode(t, err, "NotImplemented")
	if srv.Calls("s3:GetBucketPolicy") != 4 {
		t.Errorf("calls: %v", srv.Stats().Calls)
	}

	// Virtual-hosted style: the SDK puts the bucket in the host name; every
	// host is dialled to the server.
	u, _ := url.Parse(srv.URL())
	vcfg := cfg.Copy()
	vcfg.BaseEndpoint = aws.String("http://s3.awssim.test:" + u.Port())
	dialer := &net.Dialer{}
	vcfg.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, u.Host)
	}}}
	var host string
	vc := s3.NewFromConfig(vcfg, func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, captureHost(&host))
	})
	out, err = vc.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("art")})
	must(t, err)
	if aws.ToString(out.Policy) != policy || host != "art.s3.awssim.test:"+u.Port() {
		t.Errorf("virtual-hosted: host %q, policy %q", host, aws.ToString(out.Policy))
	}
}

// captureHeaders records the headers of the requests the SDK sends.
func captureHeaders(into *[]http.Header) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("captureHeaders", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			if req, ok := in.Request.(*smithyhttp.Request); ok {
				*into = append(*into, req.Header.Clone())
			}
			return next.HandleDeserialize(ctx, in)
		}), middleware.After)
	}
}

func getObject(t *testing.T, c *s3.Client, bucket, key string) (*s3.GetObjectOutput, []byte, error) {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, nil, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	must(t, err)
	return out, b, nil
}

func etagOf(b []byte) string {
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// TestS3Objects: GetObject and PutObject, path style, through the real SDK
// client with its default checksums.
func TestS3Objects(t *testing.T) {
	ctx := context.Background()
	seed := `{"version":1}`
	srv, cfg := start(t, &Scenario{Buckets: []Bucket{
		{Name: "state", Objects: map[string]string{"sweep/seed.json": seed}},
		{Name: "locked", AccessDenied: true, Objects: map[string]string{"k": "v"}},
	}})
	var sent []http.Header
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.APIOptions = append(o.APIOptions, captureHeaders(&sent))
	})

	// A scenario object.
	out, body, err := getObject(t, c, "state", "sweep/seed.json")
	must(t, err)
	if string(body) != seed || aws.ToString(out.ContentType) != "binary/octet-stream" || aws.ToString(out.ETag) != etagOf([]byte(seed)) ||
		aws.ToInt64(out.ContentLength) != int64(len(seed)) || out.LastModified == nil {
		t.Errorf("seeded object: %q, type %q, etag %q, length %d", body, aws.ToString(out.ContentType), aws.ToString(out.ETag), aws.ToInt64(out.ContentLength))
	}

	// S3's errors: the key, the bucket, access.
	_, _, err = getObject(t, c, "state", "sweep/none.json")
	var nsk *s3types.NoSuchKey
	if !errors.As(err, &nsk) || status(err) != 404 {
		t.Errorf("missing key: %v (status %d), want a *types.NoSuchKey 404", err, status(err))
	}
	_, _, err = getObject(t, c, "nope", "k")
	wantCode(t, err, "NoSuchBucket")
	_, _, err = getObject(t, c, "locked", "k")
	wantCode(t, err, "AccessDenied")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("nope"), Key: aws.String("k"), Body: strings.NewReader("x")})
	wantCode(t, err, "NoSuchBucket")

	// PutObject as the sweep's S3Store sends it, then as other callers do:
	// a reader of unknown length, an explicit checksum, 1 MiB.
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	for i, in := range []*s3.PutObjectInput{
		{Body: bytes.NewReader([]byte(`{"a":1}`)), ContentLength: aws.Int64(7), ContentType: aws.String("application/json")},
		{Body: strings.NewReader(`{"a":2}`)},
		{Body: bytes.NewReader([]byte(`{"a":3}`)), ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256},
		{Body: bytes.NewReader(big), ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc32c},
	} {
		want, _ := io.ReadAll(in.Body.(io.ReadSeeker))
		in.Body.(io.Seeker).Seek(0, io.SeekStart)
		in.Bucket, in.Key = aws.String("state"), aws.String("sweep/state.json")
		sent = sent[:0]
		put, err := c.PutObject(ctx, in)
		if err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
		out, body, err := getObject(t, c, "state", "sweep/state.json")
		must(t, err)
		if !bytes.Equal(body, want) || aws.ToString(put.ETag) != etagOf(want) || aws.ToString(out.ETag) != etagOf(want) {
			t.Errorf("put %d: got %d bytes back (want %d), etags %s %s", i, len(body), len(want), aws.ToString(put.ETag), aws.ToString(out.ETag))
		}
		if got, ok := srv.Object("state", "sweep/state.json"); !ok || !bytes.Equal(got, want) {
			t.Errorf("put %d: Server.Object has %d bytes", i, len(got))
		}
		// Over HTTP the SDK signs the payload's SHA-256, and sends the
		// checksum it is asked for as a header: both were verified.
		if len(sent) == 0 || len(sent[0].Get("X-Amz-Content-Sha256")) != 64 ||
			i == 2 && sent[0].Get("X-Amz-Checksum-Sha256") == "" || i == 3 && sent[0].Get("X-Amz-Checksum-Crc32c") == "" {
			t.Errorf("put %d: sent %v", i, sent)
		}

	}
	if out, _, _ := getObject(t, c, "state", "sweep/state.json"); aws.ToString(out.ContentType) != "application/octet-stream" { // the SDK's default
		t.Errorf("content type of an object put without one: %q", aws.ToString(out.ContentType))
	}

	// Each PutObject is a write, applied to the state, its body not logged.
	var puts []Write
	for _, w := range srv.Writes() {
		if w.Operation == "PutObject" {
			puts = append(puts, w)
		}
	}
	if len(puts) != 5 || puts[0].Error != "NoSuchBucket" || puts[1].Service != "s3" || puts[1].Params["Bucket"] != "state" ||
		puts[1].Params["Key"] != "sweep/state.json" || puts[1].Params["ContentType"] != "application/json" || puts[1].Result["ETag"] != etagOf([]byte(`{"a":1}`)) {
		t.Errorf("writes %+v", puts)
	}

	// Retried throttles: recorded as injected, stored once.
	must(t, srv.SetFault("s3:PutObject", Fault{ThrottleFirst: 1}))
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("state"), Key: aws.String("retried"), Body: bytes.NewReader([]byte("r"))})
	must(t, err)
	if w := srv.Writes(); len(w) != 7 || !w[5].Injected || w[5].Error != "SlowDown" || w[6].Error != "" {
		t.Errorf("throttled put: %+v", w[5:])
	}
	if b, ok := srv.Object("state", "retried"); !ok || string(b) != "r" {
		t.Errorf("retried object %q %v", b, ok)
	}

	// Other object operations are not simulated.
	_, err = c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("state"), Key: aws.String("retried")})
	wantCode(t, err, "NotImplemented")

	if _, err := ParseScenario([]byte(`{"buckets":[{"name":"state","objects":{"":"x"}}]}`)); err == nil || !strings.Contains(err.Error(), `object key ""`) {
		t.Errorf("empty object key: %v", err)
	}
}

// TestS3PutObjectChecksums: a body that does not match its digest is
// refused with S3's BadDigest, whole or aws-chunked, and nothing is stored.
func TestS3PutObjectChecksums(t *testing.T) {
	srv, url := Start(t, &Scenario{Buckets: []Bucket{{Name: "state"}}})
	put := func(key, body string, h map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, url+"/state/"+key+"?x-id=PutObject", strings.NewReader(body))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	md5b64 := func(s string) string { sum := md5.Sum([]byte(s)); return base64.StdEncoding.EncodeToString(sum[:]) }
	crc := func(s string) string {
		b := make([]byte, 4)
		binary.BigEndian.PutUint32(b, crc32.ChecksumIEEE([]byte(s)))
		return base64.StdEncoding.EncodeToString(b)
	}
	chunked := func(body, trailer string) string {
		return fmt.Sprintf("%x\r\n%s\r\n0\r\n%s\r\n\r\n", len(body), body, trailer)
	}
	for _, tc := range []struct {
		name, body string
		h          map[string]string
		status     int
		code       string
	}{
		{"content-md5", "hello", map[string]string{"Content-MD5": md5b64("hello")}, 200, ""},
		{"content-md5 mismatch", "hello", map[string]string{"Content-MD5": md5b64("hellO")}, 400, "BadDigest"},
		{"crc32 header", "hello", map[string]string{"X-Amz-Checksum-Crc32": crc("hello")}, 200, ""},
		{"crc32 header mismatch", "hello", map[string]string{"X-Amz-Checksum-Crc32": crc("hellO")}, 400, "BadDigest"},
		{"payload sha256 mismatch", "hello", map[string]string{"X-Amz-Content-Sha256": strings.Repeat("0", 64)}, 400, "XAmzContentSHA256Mismatch"},
		{"aws-chunked with crc32 trailer", chunked("hello", "x-amz-checksum-crc32:"+crc("hello")),
			map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": "5", "X-Amz-Trailer": "x-amz-checksum-crc32"}, 200, ""},
		{"aws-chunked trailer mismatch", chunked("hello", "x-amz-checksum-crc32:"+crc("hellO")),
			map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": "5"}, 400, "BadDigest"},
		{"aws-chunked wrong decoded length", chunked("hello", ""),
			map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": "6"}, 400, "IncompleteBody"},
		{"aws-chunked truncated", "5\r\nhel", map[string]string{"Content-Encoding": "aws-chunked"}, 400, "IncompleteBody"},
	} {
		status, body := put(strings.ReplaceAll(tc.name, " ", "-"), tc.body, tc.h)
		if status != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") && tc.code != "" {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, body, tc.status, tc.code)
		}
		got, stored := srv.Object("state", strings.ReplaceAll(tc.name, " ", "-"))
		if stored != (tc.status == 200) || stored && string(got) != "hello" {
			t.Errorf("%s: stored %v %q", tc.name, stored, got)
		}
	}
}
