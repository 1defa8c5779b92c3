package awssim

import (
	"net"
	"net/http"
	"strings"
)

// S3 is REST: GET /<bucket>?policy (path style, the SDK's UsePathStyle) or
// GET /?policy with Host <bucket>.<host> (virtual-hosted style).

var s3Ops = map[string]handler{
	"GetBucketPolicy": (*Server).getBucketPolicy,
}

type s3Request struct {
	bucket string
	key    string
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
	switch {
	case c.r.Method == http.MethodGet && policy && key == "" && bucket != "":
		c.op = "GetBucketPolicy"
		return nil
	}
	c.op = "Unknown"
	return errorf(501, "NotImplemented", "awssim simulates only GetBucketPolicy (GET /<bucket>?policy), not %s %s", c.r.Method, c.r.URL.RequestURI())
}

func (s *Server) getBucketPolicy(c *call) (any, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.st.buckets[c.s3.bucket]
	switch {
	case !ok:
		return nil, &apiError{Status: 404, Code: "NoSuchBucket", Message: "The specified bucket does not exist", extra: map[string]string{"BucketName": c.s3.bucket}}
	case b.AccessDenied:
		return nil, &apiError{Status: 403, Code: "AccessDenied", Message: "Access Denied"}
	case b.Policy == "":
		return nil, &apiError{Status: 404, Code: "NoSuchBucketPolicy", Message: "The bucket policy does not exist", extra: map[string]string{"BucketName": c.s3.bucket}}
	}
	return rawBody{contentType: "application/json", data: []byte(b.Policy)}, nil
}
