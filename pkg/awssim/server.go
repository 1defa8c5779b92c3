// Package awssim is a local simulated AWS account for vpcguard's tests and
// demo: one http.Handler that speaks the wire protocols of the calls
// vpcguard makes (EC2 query/XML, SageMaker, EventBridge and Application
// Auto Scaling JSON 1.1, S3 REST, IAM/SNS/STS query, Security Hub
// REST-JSON), so that the real SDK
// v2 clients work against it when their endpoint is its URL. State comes
// from a Scenario; writes change it and are recorded; faults (latency,
// throttling, AccessDenied, 500s) can be injected per operation.
//
// Requests are routed by the SigV4 credential scope
// (Credential=AKID/date/REGION/SERVICE/aws4_request); signatures are not
// verified. The admin API under /_awssim/ needs no signature:
//
//	GET    /_awssim/writes     recorded writes (JSON array of Write)
//	GET    /_awssim/stats      call and throttle counters (Stats)
//	GET    /_awssim/published  SNS messages published (Message)
//	GET    /_awssim/events     EventBridge entries accepted (Event)
//	GET    /_awssim/faults     faults in force
//	POST   /_awssim/faults     {"ec2:DescribeRouteTables": {...Fault}} sets faults
//	DELETE /_awssim/faults     clears every fault
//
// See README.md for the scenario format.
package awssim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxBody bounds a request body (EventBridge allows at most 256 KiB per
// event, policies are 20 KiB; S3 objects, such as the sweep's state, may
// take a few MiB).
const maxBody = 64 << 20

// Server is the simulated account. It is safe for concurrent use.
type Server struct {
	mu sync.RWMutex // guards st and the event-failure bookkeeping
	st *state

	faults faultSet

	eventsCalls   int
	eventFailures []EntryFailure

	hub hubStore // Security Hub findings

	statsMu   sync.Mutex
	calls     map[string]int
	throttles map[string]int
	errs      map[string]int
	regions   map[string]int

	logMu     sync.Mutex
	writes    []Write
	published []Message
	events    []Event

	reqSeq      atomic.Uint64
	inflight    atomic.Int64
	maxInflight atomic.Int64

	url string
}

// Write is one call of a write operation (CreateVpcEndpoint,
// ModifyVpcEndpoint, DeleteVpcEndpoints, CreateTags, SNS Publish,
// EventBridge PutEvents, S3 PutObject) as the simulated account received
// it, failed ones included. A CreateVpcEndpoint replayed with the same ClientToken and
// parameters is not a new write and is not recorded.
type Write struct {
	Seq       int       `json:"seq"`
	Time      time.Time `json:"time"`
	Service   string    `json:"service"`
	Operation string    `json:"operation"`
	Region    string    `json:"region"`
	RequestID string    `json:"requestId"`
	// Params are the decoded request parameters: query parameters as a tree
	// ("RouteTableId.1" → {"RouteTableId": [...]}), JSON bodies as decoded.
	Params map[string]any `json:"params"`
	// Result holds what the write produced (e.g. vpcEndpointId, messageId).
	Result map[string]any `json:"result,omitempty"`
	// Error is the error code returned, empty when the write was applied.
	Error    string `json:"error,omitempty"`
	Message  string `json:"message,omitempty"`
	Injected bool   `json:"injected,omitempty"` // the error was an injected fault
}

// Stats are the server's counters, keyed by operation ("ec2:DescribeSubnets").
type Stats struct {
	Calls       map[string]int `json:"calls"`
	Throttles   map[string]int `json:"throttles"`
	Errors      map[string]int `json:"errors"`  // error responses, throttles included
	Regions     map[string]int `json:"regions"` // calls by signing region
	TotalCalls  int            `json:"totalCalls"`
	MaxInFlight int            `json:"maxInFlight"` // most calls served at once
	Writes      int            `json:"writes"`
}

// New builds a server for sc. It panics if sc is invalid; NewServer
// returns the error instead.
func New(sc *Scenario) *Server {
	s, err := NewServer(sc)
	if err != nil {
		panic(err)
	}
	return s
}

// NewServer validates sc and builds a server for it. The scenario is
// copied: later changes to sc do not affect the server.
func NewServer(sc *Scenario) (*Server, error) {
	st, err := buildState(sc)
	if err != nil {
		return nil, err
	}
	s := &Server{
		st:        st,
		calls:     map[string]int{},
		throttles: map[string]int{},
		errs:      map[string]int{},
		regions:   map[string]int{},
	}
	if sc != nil {
		for k, f := range sc.Faults {
			s.faults.set(k, f)
		}
		s.eventFailures = append(s.eventFailures, sc.EventFailures...)
	}
	return s, nil
}

// URL is the server's base URL when it was started by Start or the
// awssim command; empty otherwise.
func (s *Server) URL() string { return s.url }

// Region and Account are the scenario's.
func (s *Server) Region() string  { return s.st.region }
func (s *Server) Account() string { return s.st.account }

// Writes returns the recorded writes, oldest first.
func (s *Server) Writes() []Write {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append(make([]Write, 0, len(s.writes)), s.writes...)
}

// Calls returns how many calls op ("ec2:DescribeSubnets") received,
// whatever their outcome. "*" counts every call.
func (s *Server) Calls(op string) int {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if op == "*" {
		n := 0
		for _, c := range s.calls {
			n += c
		}
		return n
	}
	return s.calls[op]
}

// Throttles returns how many throttling errors op received.
func (s *Server) Throttles(op string) int {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.throttles[op]
}

// Stats returns a copy of every counter.
func (s *Server) Stats() Stats {
	s.statsMu.Lock()
	st := Stats{
		Calls:       cloneMap(s.calls),
		Throttles:   cloneMap(s.throttles),
		Errors:      cloneMap(s.errs),
		Regions:     cloneMap(s.regions),
		MaxInFlight: int(s.maxInflight.Load()),
	}
	for _, n := range s.calls {
		st.TotalCalls += n
	}
	s.statsMu.Unlock()
	s.logMu.Lock()
	st.Writes = len(s.writes)
	s.logMu.Unlock()
	return st
}

// ResetStats zeroes the counters (not the writes).
func (s *Server) ResetStats() {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.calls, s.throttles, s.errs, s.regions = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	s.maxInflight.Store(0)
}

func cloneMap(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// protocol is a wire protocol.
type protocol int

const (
	protoEC2   protocol = iota // EC2 query, EC2 XML
	protoQuery                 // AWS query, XML with <OpResult>
	protoJSON                  // awsJson1_1
	protoS3                    // REST XML
	protoREST                  // restJson1, routed by method and path (Security Hub)
	protoCBOR                  // Smithy RPC v2 CBOR (cloudwatch.go)
)

type handler func(s *Server, c *call) (any, *apiError)

// serviceDef describes one simulated service.
type serviceDef struct {
	name     string
	proto    protocol
	xmlns    string // query protocols
	target   string // JSON: X-Amz-Target prefix
	regional bool
	ops      map[string]handler
	writes   map[string]bool

	jsonVersion string // JSON protocol version: default 1.1, DynamoDB 1.0
	// crc32 adds X-Amz-Crc32 (the body's CRC-32) to every response, as
	// DynamoDB does; its SDK client checks it.
	crc32 bool
}

var services map[string]*serviceDef

func init() {
	services = map[string]*serviceDef{
		"ec2":                     {name: "ec2", proto: protoEC2, xmlns: ec2NS, regional: true, ops: ec2Ops, writes: set(append([]string{"CreateVpcEndpoint", "ModifyVpcEndpoint", "DeleteVpcEndpoints", "CreateTags"}, append(ec2DriftWrites, ec2ACLWrites...)...)...)},
		"sagemaker":               {name: "sagemaker", proto: protoJSON, target: "SageMaker", regional: true, ops: sageMakerOps, writes: set("UpdateEndpointWeightsAndCapacities")},
		"s3":                      {name: "s3", proto: protoS3, regional: true, ops: s3Ops, writes: set("PutObject")},
		"iam":                     {name: "iam", proto: protoQuery, xmlns: "https://iam.amazonaws.com/doc/2010-05-08/", ops: iamOps},
		"sts":                     {name: "sts", proto: protoQuery, xmlns: "https://sts.amazonaws.com/doc/2011-06-15/", ops: stsOps},
		"sns":                     {name: "sns", proto: protoQuery, xmlns: "https://sns.amazonaws.com/doc/2010-03-31/", regional: true, ops: snsOps, writes: set("Publish")},
		"events":                  {name: "events", proto: protoJSON, target: "AWSEvents", regional: true, ops: eventsOps, writes: set("PutEvents")},
		"application-autoscaling": {name: "application-autoscaling", proto: protoJSON, target: "AnyScaleFrontendService", regional: true, ops: autoScalingOps, writes: set("RegisterScalableTarget")},
		"dynamodb":                {name: "dynamodb", proto: protoJSON, target: "DynamoDB_20120810", jsonVersion: "1.0", crc32: true, regional: true, ops: dynamoDBOps},
		"securityhub":             {name: "securityhub", proto: protoREST, regional: true, ops: securityHubOps, writes: set("BatchImportFindings")},
		// The health check's reads (health.go); CloudWatch signs as monitoring.
		"cloudtrail": {name: "cloudtrail", proto: protoJSON, target: "CloudTrail_20131101", regional: true, ops: cloudTrailOps},
		"sqs":        {name: "sqs", proto: protoJSON, target: "AmazonSQS", jsonVersion: "1.0", regional: true, ops: sqsOps},
		"monitoring": {name: "cloudwatch", proto: protoCBOR, target: cloudWatchService, jsonVersion: "1.0", regional: true, ops: cloudWatchOps},
	}
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// call is one request in flight.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	svc    *serviceDef
	proto  protocol
	op     string
	region string
	reqID  string
	body   []byte
	form   url.Values // query protocols
	s3     s3Request

	// write bookkeeping
	result   map[string]any
	noRecord bool
	injected bool
}

func (c *call) key() string { return c.svc.name + ":" + c.op }

func (c *call) jsonContentType() string {
	if c.svc != nil && c.svc.jsonVersion != "" {
		return "application/x-amz-json-" + c.svc.jsonVersion
	}
	return "application/x-amz-json-1.1"
}

// apiError is an error response.
type apiError struct {
	Status   int
	Code     string
	Message  string
	throttle bool
	extra    map[string]string // S3: extra elements (BucketName)
	// queryError is the X-Amzn-Query-Error header of the services that
	// were on the query protocol (SQS, CloudWatch): "Code;Sender".
	queryError string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_awssim/") {
		s.serveAdmin(w, r)
		return
	}
	n := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for {
		m := s.maxInflight.Load()
		if n <= m || s.maxInflight.CompareAndSwap(m, n) {
			break
		}
	}

	c := &call{w: w, r: r, reqID: uuidFrom(s.reqSeq.Add(1))}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		c.proto = guessProtocol(r, nil)
		s.render(c, nil, errorf(400, "RequestEntityTooLarge", "could not read the request body: %v", err))
		return
	}
	c.body = body

	region, svcName, aerr := parseAuth(r)
	c.svc = services[svcName]
	c.proto = guessProtocol(r, body)
	if c.svc != nil {
		c.proto = c.svc.proto
		if c.proto == protoCBOR && r.Header.Get("X-Amz-Target") != "" {
			c.proto = protoJSON // CloudWatch speaks awsJson1_0 too (botocore 1.43's choice)
		}
	}
	if aerr != nil {
		if svcName == "s3" && aerr.Code == "IncompleteSignature" {
			aerr.Code = "AuthorizationHeaderMalformed"
		}
		s.render(c, nil, aerr)
		return
	}
	c.region = region
	if c.svc == nil {
		s.render(c, nil, errorf(501, "NotImplemented", "awssim does not simulate the service %q", svcName))
		return
	}
	aerr = s.route(c)
	s.count(c)
	if aerr != nil {
		s.finish(c, nil, aerr)
		return
	}
	if c.svc.regional && region != s.st.region && !s.st.anyRegion {
		s.finish(c, nil, errorf(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region, not '%s'. This endpoint serves '%s'.", region, s.st.region))
		return
	}
	if aerr := s.applyFault(r.Context(), c); aerr != nil {
		c.injected = true
		s.finish(c, nil, aerr)
		return
	}
	v, aerr := c.svc.ops[c.op](s, c)
	s.finish(c, v, aerr)
}

// route finds the operation of c.
func (s *Server) route(c *call) *apiError {
	switch c.proto {
	case protoEC2, protoQuery:
		form, err := url.ParseQuery(string(c.body))
		if err != nil || c.r.Method == http.MethodGet {
			form = c.r.URL.Query()
		}
		c.form = form
		c.op = form.Get("Action")
		if c.op == "" {
			c.op = "Unknown"
			return errorf(400, "MissingAction", "The request must contain the parameter Action.")
		}
		if _, ok := c.svc.ops[c.op]; !ok {
			return errorf(400, "InvalidAction", "The action %s is not valid for this web service.", c.op)
		}
	case protoJSON:
		// <target>.<Op>; botocore writes some targets as the full shape id
		// (com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Op>).
		target := c.r.Header.Get("X-Amz-Target")
		i := strings.LastIndex(target, ".")
		prefix := target[:max(i, 0)]
		c.op = target[i+1:]
		if target == "" || i < 0 || (prefix != c.svc.target && !strings.HasSuffix(prefix, "."+c.svc.target)) {
			c.op = "Unknown"
			return errorf(400, "UnknownOperationException", "Missing or unknown X-Amz-Target %q", target)
		}
		if _, ok := c.svc.ops[c.op]; !ok {
			return errorf(400, "UnknownOperationException", "awssim does not simulate %s", target)
		}
	case protoS3:
		return s.routeS3(c)
	case protoREST:
		return s.routeREST(c)
	case protoCBOR:
		// POST /service/<Service>/operation/<Op>
		path := c.r.URL.Path
		i := strings.LastIndex(path, "/operation/")
		if i < 0 || !strings.HasSuffix(path[:i], "/service/"+c.svc.target) || c.r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
			c.op = "Unknown"
			return errorf(404, "UnknownOperationException", "want POST /service/%s/operation/<Op> with Smithy-Protocol: rpc-v2-cbor, got %s %s", c.svc.target, c.r.Method, path)
		}
		c.op = path[i+len("/operation/"):]
		if _, ok := c.svc.ops[c.op]; !ok {
			return errorf(404, "UnknownOperationException", "awssim does not simulate %s", c.op)
		}
	}
	return nil
}

func (s *Server) count(c *call) {
	s.statsMu.Lock()
	s.calls[c.key()]++
	s.regions[c.region]++
	s.statsMu.Unlock()
}

// finish records the outcome and writes the response.
func (s *Server) finish(c *call, v any, aerr *apiError) {
	if aerr != nil && c.op != "" {
		s.statsMu.Lock()
		s.errs[c.key()]++
		if aerr.throttle {
			s.throttles[c.key()]++
		}
		s.statsMu.Unlock()
	}
	if c.svc != nil && c.svc.writes[c.op] && !c.noRecord {
		s.recordWrite(c, aerr)
	}
	s.render(c, v, aerr)
}

func (s *Server) recordWrite(c *call, aerr *apiError) {
	w := Write{
		Time:      time.Now().UTC(),
		Service:   c.svc.name,
		Operation: c.op,
		Region:    c.region,
		RequestID: c.reqID,
		Params:    c.params(),
		Result:    c.result,
		Injected:  c.injected,
	}
	if aerr != nil {
		w.Error, w.Message, w.Result = aerr.Code, aerr.Message, nil
	}
	s.logMu.Lock()
	w.Seq = len(s.writes) + 1
	s.writes = append(s.writes, w)
	s.logMu.Unlock()
}

// params decodes the request parameters for the write log.
func (c *call) params() map[string]any {
	switch c.proto {
	case protoJSON, protoREST:
		var m map[string]any
		if json.Unmarshal(c.body, &m) == nil && m != nil {
			return m
		}
		return map[string]any{}
	case protoEC2, protoQuery:
		return decodeQuery(c.form)
	case protoS3:
		m := map[string]any{"Bucket": c.s3.bucket}
		if c.s3.key != "" {
			m["Key"] = c.s3.key
		}
		if ct := c.r.Header.Get("Content-Type"); ct != "" {
			m["ContentType"] = ct
		}
		return m
	}
	return map[string]any{}
}

// decodeQuery turns flat query parameters into a tree: numbered segments
// become lists, "member" and "entry" segments are dropped.
func decodeQuery(form url.Values) map[string]any {
	root := map[string]any{}
	keys := make([]string, 0, len(form))
	for k := range form {
		if k != "Action" && k != "Version" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		var segs []string
		for _, p := range strings.Split(k, ".") {
			if p != "member" && p != "entry" {
				segs = append(segs, p)
			}
		}
		node := root
		for i, p := range segs {
			if i == len(segs)-1 {
				node[p] = form.Get(k)
				break
			}
			next, ok := node[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[p] = next
			}
			node = next
		}
	}
	return listify(root).(map[string]any)
}

// listify turns maps whose keys are all positive integers into lists.
func listify(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	numeric := len(m) > 0
	for k := range m {
		if !isDigits(k) {
			numeric = false
		}
		m[k] = listify(m[k])
	}
	if !numeric {
		return m
	}
	idx := make([]string, 0, len(m))
	for k := range m {
		idx = append(idx, k)
	}
	sort.Slice(idx, func(i, j int) bool {
		if len(idx[i]) != len(idx[j]) {
			return len(idx[i]) < len(idx[j])
		}
		return idx[i] < idx[j]
	})
	out := make([]any, len(idx))
	for i, k := range idx {
		out[i] = m[k]
	}
	return out
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// parseAuth extracts the region and service of the SigV4 credential scope.
func parseAuth(r *http.Request) (region, service string, err *apiError) {
	auth := r.Header.Get("Authorization")
	var cred string
	sigv4a := false
	switch {
	case auth != "":
		algo, rest, _ := strings.Cut(auth, " ")
		switch algo {
		case "AWS4-HMAC-SHA256":
		case "AWS4-ECDSA-P256-SHA256":
			sigv4a = true
		default:
			return "", "", errorf(400, "IncompleteSignature", "Unsupported authorization scheme %q; awssim expects AWS Signature Version 4", algo)
		}
		hasSig := false
		for _, part := range strings.Split(rest, ",") {
			k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "Credential":
				cred = val
			case "Signature":
				hasSig = val != ""
			}
		}
		if !hasSig {
			return "", serviceFromCred(cred, sigv4a), errorf(400, "IncompleteSignature", "Authorization header requires 'Signature' parameter.")
		}
	case r.URL.Query().Get("X-Amz-Credential") != "":
		cred = r.URL.Query().Get("X-Amz-Credential")
		sigv4a = r.URL.Query().Get("X-Amz-Algorithm") == "AWS4-ECDSA-P256-SHA256"
		if r.URL.Query().Get("X-Amz-Signature") == "" {
			return "", serviceFromCred(cred, sigv4a), errorf(400, "IncompleteSignature", "Presigned URL requires 'X-Amz-Signature'.")
		}
	default:
		return "", "", errorf(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	parts := strings.Split(cred, "/")
	if sigv4a {
		// AKID/date/service/aws4_request, region in X-Amz-Region-Set.
		if len(parts) != 4 || parts[3] != "aws4_request" {
			return "", "", errorf(400, "IncompleteSignature", "Credential %q is not AKID/date/service/aws4_request", cred)
		}
		region = r.Header.Get("X-Amz-Region-Set")
		if region == "" {
			region = r.URL.Query().Get("X-Amz-Region-Set")
		}
		service = parts[2]
	} else {
		if len(parts) != 5 || parts[4] != "aws4_request" {
			return "", serviceFromCred(cred, false), errorf(400, "IncompleteSignature", "Credential %q is not AKID/date/region/service/aws4_request", cred)
		}
		region, service = parts[2], parts[3]
	}
	if parts[0] == "" {
		return "", service, errorf(400, "IncompleteSignature", "Credential has no access key id")
	}
	if service == "" {
		return "", "", errorf(400, "IncompleteSignature", "Credential scope has no service")
	}
	if region == "" {
		return "", service, errorf(400, "IncompleteSignature", "Credential scope has no region: %q", cred)
	}
	return region, service, nil
}

func serviceFromCred(cred string, sigv4a bool) string {
	parts := strings.Split(cred, "/")
	if sigv4a && len(parts) == 4 {
		return parts[2]
	}
	if len(parts) == 5 {
		return parts[3]
	}
	return ""
}

// guessProtocol picks an error format for a request whose service is unknown.
func guessProtocol(r *http.Request, body []byte) protocol {
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		return protoJSON
	case bytes.Contains(body, []byte("Version=2016-11-15")):
		return protoEC2
	case bytes.Contains(body, []byte("Action=")):
		return protoQuery
	}
	return protoS3
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// render writes v (or aerr) in c's protocol.
func (s *Server) render(c *call, v any, aerr *apiError) {
	h := c.w.Header()
	h.Set("x-amzn-RequestId", c.reqID)
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if aerr != nil {
		s.renderError(c, aerr)
		return
	}
	var buf bytes.Buffer
	switch c.proto {
	case protoEC2:
		if m, ok := v.(interface{ setRequestID(string) }); ok {
			m.setRequestID(c.reqID)
		}
		buf.WriteString(xmlHeader)
		start := xml.StartElement{Name: xml.Name{Space: ec2NS, Local: c.op + "Response"}}
		if err := xml.NewEncoder(&buf).EncodeElement(v, start); err != nil {
			s.renderError(c, errorf(500, "InternalError", "awssim: rendering %s: %v", c.op, err))
			return
		}
		h.Set("Content-Type", "text/xml;charset=UTF-8")
		h.Set("Server", "AmazonEC2")
	case protoQuery:
		buf.WriteString(xmlHeader)
		enc := xml.NewEncoder(&buf)
		resp := xml.StartElement{Name: xml.Name{Space: c.svc.xmlns, Local: c.op + "Response"}}
		err := enc.EncodeToken(resp)
		if err == nil && v != nil {
			err = enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: c.op + "Result"}})
		}
		if err == nil {
			err = enc.EncodeElement(struct {
				RequestID string `xml:"RequestId"`
			}{c.reqID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
		}
		if err == nil {
			err = enc.EncodeToken(resp.End())
		}
		if err == nil {
			err = enc.Flush()
		}
		if err != nil {
			s.renderError(c, errorf(500, "InternalError", "awssim: rendering %s: %v", c.op, err))
			return
		}
		h.Set("Content-Type", "text/xml")
	case protoJSON:
		if err := json.NewEncoder(&buf).Encode(v); err != nil {
			s.renderError(c, errorf(500, "InternalFailure", "awssim: rendering %s: %v", c.op, err))
			return
		}
		h.Set("Content-Type", c.jsonContentType())
	case protoREST:
		if err := json.NewEncoder(&buf).Encode(v); err != nil {
			s.renderError(c, errorf(500, "InternalException", "awssim: rendering %s: %v", c.op, err))
			return
		}
		h.Set("Content-Type", "application/json")
	case protoCBOR:
		b, err := cborEncode(v)
		if err != nil {
			s.renderError(c, errorf(500, "InternalFailure", "awssim: rendering %s: %v", c.op, err))
			return
		}
		buf.Write(b)
		h.Set("Content-Type", "application/cbor")
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
	case protoS3:
		h.Set("x-amz-request-id", c.reqID)
		h.Set("x-amz-id-2", c.reqID)
		if raw, ok := v.(rawBody); ok {
			h.Set("Content-Type", raw.contentType)
			buf.Write(raw.data)
		}
		h.Set("Server", "AmazonS3")
	}
	// No explicit Content-Length: Go sets it for short bodies and chunks
	// long ones, as EC2 does.
	c.setCRC32(buf.Bytes())
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(buf.Bytes())
}

// setCRC32 sets X-Amz-Crc32 for the services that send it.
func (c *call) setCRC32(body []byte) {
	if c.svc != nil && c.svc.crc32 {
		c.w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	}
}

// rawBody is a response body written as is (S3).
type rawBody struct {
	contentType string
	data        []byte
}

func (s *Server) renderError(c *call, e *apiError) {
	h := c.w.Header()
	var buf bytes.Buffer
	switch c.proto {
	case protoEC2:
		type ec2Error struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}
		buf.WriteString(xmlHeader)
		xml.NewEncoder(&buf).Encode(struct {
			XMLName   xml.Name   `xml:"Response"`
			Errors    []ec2Error `xml:"Errors>Error"`
			RequestID string     `xml:"RequestID"`
		}{Errors: []ec2Error{{e.Code, e.Message}}, RequestID: c.reqID})
		h.Set("Content-Type", "text/xml;charset=UTF-8")
		h.Set("Server", "AmazonEC2")
	case protoQuery:
		ns := ""
		if c.svc != nil {
			ns = c.svc.xmlns
		}
		typ := "Sender"
		if e.Status >= 500 {
			typ = "Receiver"
		}
		buf.WriteString(xmlHeader)
		xml.NewEncoder(&buf).Encode(struct {
			XMLName xml.Name `xml:"ErrorResponse"`
			NS      string   `xml:"xmlns,attr,omitempty"`
			Error   struct {
				Type    string `xml:"Type"`
				Code    string `xml:"Code"`
				Message string `xml:"Message"`
			} `xml:"Error"`
			RequestID string `xml:"RequestId"`
		}{NS: ns, Error: struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}{typ, e.Code, e.Message}, RequestID: c.reqID})
		h.Set("Content-Type", "text/xml")
	case protoJSON:
		h.Set("X-Amzn-ErrorType", e.Code)
		if e.queryError != "" {
			h.Set("X-Amzn-Query-Error", e.queryError)
		}
		json.NewEncoder(&buf).Encode(map[string]string{"__type": e.Code, "message": e.Message})
		h.Set("Content-Type", c.jsonContentType())
	case protoREST:
		h.Set("X-Amzn-ErrorType", e.Code)
		json.NewEncoder(&buf).Encode(map[string]string{"Code": e.Code, "Message": e.Message})
		h.Set("Content-Type", "application/json")
	case protoCBOR:
		if e.queryError != "" {
			h.Set("X-Amzn-Query-Error", e.queryError)
		}
		b, _ := cborEncode(map[string]any{"__type": e.Code, "message": e.Message})
		buf.Write(b)
		h.Set("Content-Type", "application/cbor")
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
	case protoS3:
		buf.WriteString(xmlHeader)
		buf.WriteString("<Error><Code>")
		xml.EscapeText(&buf, []byte(e.Code))
		buf.WriteString("</Code><Message>")
		xml.EscapeText(&buf, []byte(e.Message))
		buf.WriteString("</Message>")
		keys := make([]string, 0, len(e.extra))
		for k := range e.extra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&buf, "<%s>", k)
			xml.EscapeText(&buf, []byte(e.extra[k]))
			fmt.Fprintf(&buf, "</%s>", k)
		}
		fmt.Fprintf(&buf, "<RequestId>%s</RequestId><HostId>%s</HostId></Error>", c.reqID, c.reqID)
		h.Set("Content-Type", "application/xml")
		h.Set("x-amz-request-id", c.reqID)
		h.Set("x-amz-id-2", c.reqID)
	}
	c.setCRC32(buf.Bytes())
	c.w.WriteHeader(e.Status)
	c.w.Write(buf.Bytes())
}

// serveAdmin serves /_awssim/.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	writeJSON := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(v)
	}
	switch path := strings.TrimSuffix(r.URL.Path, "/"); {
	case path == "/_awssim/writes" && r.Method == http.MethodGet:
		writeJSON(s.Writes())
	case path == "/_awssim/stats" && r.Method == http.MethodGet:
		writeJSON(s.Stats())
	case path == "/_awssim/published" && r.Method == http.MethodGet:
		writeJSON(s.Published())
	case path == "/_awssim/events" && r.Method == http.MethodGet:
		writeJSON(s.Events())
	case path == "/_awssim/health":
		writeJSON(map[string]string{"status": "ok", "account": s.st.account, "region": s.st.region})
	case path == "/_awssim/faults" && r.Method == http.MethodGet:
		writeJSON(s.Faults())
	case path == "/_awssim/faults" && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		var m map[string]Fault
		dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			http.Error(w, "faults: "+err.Error(), http.StatusBadRequest)
			return
		}
		for k, f := range m {
			if err := validateFault(k, f); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		for k, f := range m {
			s.faults.set(k, f)
		}
		writeJSON(s.Faults())
	case path == "/_awssim/faults" && r.Method == http.MethodDelete:
		s.ClearFaults()
		writeJSON(s.Faults())
	default:
		http.Error(w, "unknown admin path or method: "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}
