package awssim

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Fault is what to inject into calls of an operation. Keys name an
// operation ("ec2:DescribeRouteTables"), a whole service ("sagemaker:*") or
// everything ("*"); the most specific key wins. Counters ("first N calls")
// start when the fault is set and count each operation separately, also
// under a wildcard key.
//
// Checks run in this order: Latency (always), ThrottleFirst, RatePerSecond,
// AccessDenied, InternalErrorFirst/InternalError, Error.
type Fault struct {
	// Latency is added to every call before it is answered.
	Latency Duration `json:"latency,omitempty"`
	// ThrottleFirst throttles the first N calls with the service's real
	// throttling error (EC2 RequestLimitExceeded 503, SageMaker,
	// EventBridge and Application Auto Scaling ThrottlingException 400, S3
	// SlowDown 503, IAM/SNS/STS Throttling 400), all of which the SDK's
	// standard retryer retries.
	ThrottleFirst int `json:"throttleFirst,omitempty"`
	// RatePerSecond > 0 is a token bucket (Burst tokens, default
	// max(1, RatePerSecond)): calls beyond the rate are throttled.
	RatePerSecond float64 `json:"ratePerSecond,omitempty"`
	Burst         int     `json:"burst,omitempty"`
	// AccessDenied fails every call with the service's access-denied error
	// (EC2 UnauthorizedOperation 403, SageMaker/EventBridge/Application
	// Auto Scaling AccessDeniedException 400, S3 AccessDenied 403, IAM/STS
	// AccessDenied 403, SNS AuthorizationError 403).
	AccessDenied bool `json:"accessDenied,omitempty"`
	// InternalErrorFirst fails the first N calls, InternalError every call,
	// with a 500 (InternalError; InternalFailure for SageMaker and
	// EventBridge, InternalServiceException for Application Auto Scaling).
	InternalErrorFirst int  `json:"internalErrorFirst,omitempty"`
	InternalError      bool `json:"internalError,omitempty"`
	// Error returns any other error.
	Error *FaultError `json:"error,omitempty"`
}

// FaultError is an arbitrary error to inject.
type FaultError struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
	Status  int    `json:"status,omitempty"` // default 400
	First   int    `json:"first,omitempty"`  // only the first N calls (0: every call)
}

func validateFault(key string, f Fault) error {
	if !faultKey.MatchString(key) {
		return fmt.Errorf("fault %q: want a key like ec2:DescribeRouteTables, sagemaker:* or *", key)
	}
	if f.Latency < 0 || f.ThrottleFirst < 0 || f.RatePerSecond < 0 || f.Burst < 0 || f.InternalErrorFirst < 0 {
		return fmt.Errorf("fault %q: negative values are not allowed", key)
	}
	if f.Error != nil && (f.Error.Code == "" || f.Error.First < 0 || f.Error.Status < 0 || f.Error.Status > 599) {
		return fmt.Errorf("fault %q: error needs a code, a status of 100-599 and first ≥ 0", key)
	}
	return nil
}

type faultEntry struct {
	f   Fault
	ops map[string]*faultCounter
}

type faultCounter struct {
	calls  int
	tokens float64
	last   time.Time
}

type faultSet struct {
	mu      sync.Mutex
	entries map[string]*faultEntry
}

func (fs *faultSet) set(key string, f Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.entries == nil {
		fs.entries = map[string]*faultEntry{}
	}
	fs.entries[key] = &faultEntry{f: f, ops: map[string]*faultCounter{}}
}

func (fs *faultSet) clear(key string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if key == "" {
		fs.entries = nil
		return
	}
	delete(fs.entries, key)
}

func (fs *faultSet) snapshot() map[string]Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make(map[string]Fault, len(fs.entries))
	for k, e := range fs.entries {
		out[k] = e.f
	}
	return out
}

type faultKind int

const (
	noFault faultKind = iota
	faultThrottle
	faultAccessDenied
	faultInternal
	faultCustom
)

// decide counts the call against the matching fault and says what to do.
func (fs *faultSet) decide(service, op string, now time.Time) (time.Duration, faultKind, *FaultError) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	key := service + ":" + op
	e := fs.entries[key]
	if e == nil {
		e = fs.entries[service+":*"]
	}
	if e == nil {
		e = fs.entries["*"]
	}
	if e == nil {
		return 0, noFault, nil
	}
	f := e.f
	cnt := e.ops[key]
	if cnt == nil {
		burst := float64(f.Burst)
		if burst == 0 {
			burst = max(1, f.RatePerSecond)
		}
		cnt = &faultCounter{tokens: burst, last: now}
		e.ops[key] = cnt
	}
	cnt.calls++
	lat := time.Duration(f.Latency)
	switch {
	case f.ThrottleFirst > 0 && cnt.calls <= f.ThrottleFirst:
		return lat, faultThrottle, nil
	case f.RatePerSecond > 0:
		burst := float64(f.Burst)
		if burst == 0 {
			burst = max(1, f.RatePerSecond)
		}
		cnt.tokens = min(burst, cnt.tokens+now.Sub(cnt.last).Seconds()*f.RatePerSecond)
		cnt.last = now
		if cnt.tokens < 1 {
			return lat, faultThrottle, nil
		}
		cnt.tokens--
	}
	switch {
	case f.AccessDenied:
		return lat, faultAccessDenied, nil
	case f.InternalError || (f.InternalErrorFirst > 0 && cnt.calls <= f.InternalErrorFirst):
		return lat, faultInternal, nil
	case f.Error != nil && (f.Error.First == 0 || cnt.calls <= f.Error.First):
		return lat, faultCustom, f.Error
	}
	return lat, noFault, nil
}

// SetFault injects f into calls matching key ("ec2:DescribeRouteTables",
// "ec2:*" or "*"), replacing any fault under that key and restarting its
// counters.
func (s *Server) SetFault(key string, f Fault) error {
	if err := validateFault(key, f); err != nil {
		return err
	}
	s.faults.set(key, f)
	return nil
}

// ClearFault removes the fault under key; ClearFaults removes all.
func (s *Server) ClearFault(key string) {
	if key != "" {
		s.faults.clear(key)
	}
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.clear("") }

// Faults returns the faults in force.
func (s *Server) Faults() map[string]Fault { return s.faults.snapshot() }

// applyFault runs the fault for c, sleeping for its latency. It returns the
// error to answer with, if any.
func (s *Server) applyFault(ctx context.Context, c *call) *apiError {
	lat, kind, ferr := s.faults.decide(c.svc.name, c.op, time.Now())
	if lat > 0 {
		t := time.NewTimer(lat)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	switch kind {
	case faultThrottle:
		return throttleError(c.svc.name)
	case faultAccessDenied:
		return s.accessDenied(c)
	case faultInternal:
		return internalError(c.svc.name)
	case faultCustom:
		status := ferr.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		return &apiError{Status: status, Code: ferr.Code, Message: ferr.Message}
	}
	return nil
}

// throttleError is the service's real throttling error.
func throttleError(service string) *apiError {
	switch service {
	case "ec2":
		return &apiError{Status: 503, Code: "RequestLimitExceeded", Message: "Request limit exceeded.", throttle: true}
	case "sagemaker", "events", "application-autoscaling", "cloudtrail":
		return &apiError{Status: 400, Code: "ThrottlingException", Message: "Rate exceeded", throttle: true}
	case "s3":
		return &apiError{Status: 503, Code: "SlowDown", Message: "Please reduce your request rate.", throttle: true}
	case "securityhub":
		return &apiError{Status: 429, Code: "TooManyRequestsException", Message: "Too Many Requests", throttle: true}
	case "dynamodb":
		return &apiError{Status: 400, Code: "ProvisionedThroughputExceededException", Message: "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.", throttle: true}
	}
	return &apiError{Status: 400, Code: "Throttling", Message: "Rate exceeded", throttle: true}
}

// accessDenied is the service's real access-denied error for the caller.
func (s *Server) accessDenied(c *call) *apiError {
	s.mu.RLock()
	caller := s.st.callerARN
	s.mu.RUnlock()
	action := c.svc.name + ":" + c.op
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s because no identity-based policy allows the %s action", caller, action, action)
	switch c.svc.name {
	case "ec2":
		return &apiError{Status: 403, Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation. " + msg}
	case "sagemaker", "events", "application-autoscaling", "dynamodb", "cloudtrail":
		return &apiError{Status: 400, Code: "AccessDeniedException", Message: msg}
	case "s3":
		return &apiError{Status: 403, Code: "AccessDenied", Message: "Access Denied"}
	case "sns":
		return &apiError{Status: 403, Code: "AuthorizationError", Message: msg}
	case "securityhub":
		return &apiError{Status: 403, Code: "AccessDeniedException", Message: msg}
	}
	return &apiError{Status: 403, Code: "AccessDenied", Message: msg}
}

func internalError(service string) *apiError {
	switch service {
	case "sagemaker", "events":
		return &apiError{Status: 500, Code: "InternalFailure", Message: "An internal error has occurred."}
	case "application-autoscaling":
		return &apiError{Status: 500, Code: "InternalServiceException", Message: "An internal error has occurred."}
	case "securityhub":
		return &apiError{Status: 500, Code: "InternalException", Message: "Internal service error"}
	case "dynamodb":
		return &apiError{Status: 500, Code: "InternalServerError", Message: "Internal server error"}
	}
	return &apiError{Status: 500, Code: "InternalError", Message: "An internal error has occurred."}
}
