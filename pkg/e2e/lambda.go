package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// InvokePath is the emulator's invoke URL path (the Lambda Invoke API).
const InvokePath = "/2015-03-31/functions/function/invocations"

// FunctionConfig starts one function under the emulator.
type FunctionConfig struct {
	Name      string // the function's name, e.g. modelguard
	Bootstrap string // its bootstrap executable
	RIE       string // aws-lambda-rie
	// Env is the function's whole environment (the emulator passes its own
	// environment on to the bootstrap); nothing is inherited from this
	// process. PATH is added when absent.
	Env map[string]string
	// Log, when set, receives a copy of every line the emulator and the
	// function print, prefixed with the function's name.
	Log io.Writer
}

// Function is one bootstrap running under aws-lambda-rie on loopback. Its
// methods are safe for concurrent use; invocations are sent one at a time
// (concurrent invocations crash the emulator).
type Function struct {
	Name      string
	bootstrap string
	URL       string // http://127.0.0.1:PORT, the emulator's invoke address
	APIAddr   string // 127.0.0.1:PORT, the runtime API the bootstrap polls
	cmd       *exec.Cmd
	invokeMu  sync.Mutex
	client    *http.Client

	mu       sync.Mutex
	cond     *sync.Cond
	lines    []outLine
	eof      int // streams closed
	exited   bool
	exitErr  error
	inits    int // INIT REPORT lines consumed
	closed   bool
	done     chan struct{}
	children []int
}

type outLine struct {
	stream string // stdout | stderr
	text   string
	at     time.Time
}

// Invocation is one invoke through the emulator.
type Invocation struct {
	RequestID string
	Status    int    // HTTP status of the invoke response
	Body      []byte // the function's response (or the emulator's error)
	// ErrorType and ErrorMessage are set when the handler returned an error:
	// the emulator answers HTTP 200 with {"errorType","errorMessage"}.
	ErrorType    string
	ErrorMessage string
	Wall         time.Duration // the round trip as this process saw it

	// Cold is true for the invocation that initialised the runtime; InitMs
	// is then the emulator's INIT REPORT durationMs (the REPORT line's own
	// "Init Duration" figure is wrong: it times a call that only starts
	// the init).
	Cold   bool
	InitMs float64
	// From the REPORT line.
	DurationMs   float64
	BilledMs     float64
	MemorySizeMB int
	MaxMemoryMB  int // the emulator reports the memory size here, not a measurement
	// PeakRSSKB is the bootstrap's peak resident set (VmHWM) after the
	// invocation, read from /proc: the real "max memory used". 0 when unknown.
	PeakRSSKB int
	// Report is the REPORT line as printed; InitReport the INIT REPORT line.
	Report     string
	InitReport string
	// Logs are the function's own lines between START and END.
	Logs []string
}

// Err is the invocation's failure: a handler error, an HTTP status other
// than 200, or nil.
func (iv *Invocation) Err() error {
	switch {
	case iv.ErrorType != "":
		return fmt.Errorf("%s: handler error %s: %s", iv.RequestID, iv.ErrorType, iv.ErrorMessage)
	case iv.Status != http.StatusOK:
		return fmt.Errorf("%s: emulator answered HTTP %d: %s", iv.RequestID, iv.Status, clip(string(iv.Body), 300))
	}
	return nil
}

// StartFunction starts the emulator with the bootstrap, both bound to
// 127.0.0.1 on free ports, and waits until it accepts invocations.
func StartFunction(ctx context.Context, c FunctionConfig) (*Function, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // a free port may be taken meanwhile
		f, err := startFunction(ctx, c)
		if err == nil {
			return f, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func startFunction(ctx context.Context, c FunctionConfig) (*Function, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	f := &Function{
		Name:      c.Name,
		bootstrap: c.Bootstrap,
		URL:       "http://127.0.0.1:" + strconv.Itoa(ports[0]),
		APIAddr:   "127.0.0.1:" + strconv.Itoa(ports[1]),
		client:    &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}},
		done:      make(chan struct{}),
	}
	f.cond = sync.NewCond(&f.mu)
	cmd := exec.Command(c.RIE,
		"--runtime-interface-emulator-address", "127.0.0.1:"+strconv.Itoa(ports[0]),
		"--runtime-api-address", f.APIAddr,
		"--log-level", "info",
		c.Bootstrap)
	env := make([]string, 0, len(c.Env)+1)
	if _, ok := c.Env["PATH"]; !ok {
		env = append(env, "PATH=/usr/local/bin:/usr/bin:/bin")
	}
	keys := make([]string, 0, len(c.Env))
	for k := range c.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+c.Env[k])
	}
	cmd.Env = env
	cmd.SysProcAttr = procAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("e2e: start %s: %w", c.RIE, err)
	}
	f.cmd = cmd
	go f.collect("stdout", stdout, c.Log)
	go f.collect("stderr", stderr, c.Log)
	go func() {
		// Wait only after both pipes are drained (os/exec's rule).
		f.mu.Lock()
		for f.eof < 2 {
			f.cond.Wait()
		}
		f.mu.Unlock()
		err := cmd.Wait()
		f.mu.Lock()
		f.exited, f.exitErr = true, err
		f.cond.Broadcast()
		f.mu.Unlock()
		close(f.done)
	}()
	if err := f.waitReady(ctx, 15*time.Second); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// collect keeps every output line and wakes the waiters.
func (f *Function) collect(stream string, r io.Reader, log io.Writer) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			line = strings.TrimRight(line, "\r\n")
			f.mu.Lock()
			f.lines = append(f.lines, outLine{stream: stream, text: line, at: time.Now()})
			f.cond.Broadcast()
			f.mu.Unlock()
			if log != nil {
				fmt.Fprintf(log, "[%s %s] %s\n", f.Name, stream, line)
			}
		}
		if err != nil {
			break
		}
	}
	f.mu.Lock()
	f.eof++
	f.cond.Broadcast()
	f.mu.Unlock()
}

func (f *Function) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	addr := strings.TrimPrefix(f.URL, "http://")
	for {
		f.mu.Lock()
		exited, exitErr := f.exited, f.exitErr
		f.mu.Unlock()
		if exited {
			return fmt.Errorf("e2e: %s: the emulator exited at start (%v):\n%s", f.Name, exitErr, f.Output())
		}
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("e2e: %s: the emulator did not listen on %s within %s:\n%s", f.Name, addr, timeout, f.Output())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Output is everything the emulator and the function printed so far.
func (f *Function) Output() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, l := range f.lines {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	return b.String()
}

var (
	reportRe     = regexp.MustCompile(`^REPORT RequestId: (\S+)\s+(?:Init Duration: [0-9.]+ ms\s+)?Duration: ([0-9.]+) ms\s+Billed Duration: ([0-9.]+) ms\s+Memory Size: (\d+) MB\s+Max Memory Used: (\d+) MB`)
	initReportRe = regexp.MustCompile(`INIT REPORT\((?:.*?)durationMs: ([0-9.]+)`)
)

// Invoke sends one event and waits for the emulator's REPORT line (and,
// on the first invocation, its INIT REPORT line). Invocations are
// serialised. A handler error is not a Go error: see Invocation.Err.
func (f *Function) Invoke(ctx context.Context, payload []byte) (*Invocation, error) {
	f.invokeMu.Lock()
	defer f.invokeMu.Unlock()
	f.mu.Lock()
	if f.exited || f.closed {
		f.mu.Unlock()
		return nil, fmt.Errorf("e2e: %s: the emulator is not running", f.Name)
	}
	mark := len(f.lines)
	f.mu.Unlock()

	id := newRequestID()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL+InvokePath, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amzn-RequestId", id)
	start := time.Now()
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("e2e: invoke %s: %w\n%s", f.Name, err, f.tail(mark))
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	iv := &Invocation{RequestID: id, Status: resp.StatusCode, Body: body, Wall: time.Since(start)}
	if err != nil {
		return iv, fmt.Errorf("e2e: invoke %s: read the response: %w", f.Name, err)
	}
	if resp.StatusCode == http.StatusOK {
		var e struct {
			ErrorType    string `json:"errorType"`
			ErrorMessage string `json:"errorMessage"`
		}
		if json.Unmarshal(body, &e) == nil && e.ErrorType != "" {
			iv.ErrorType, iv.ErrorMessage = e.ErrorType, e.ErrorMessage
		}
	}
	if err := f.await(ctx, iv, mark); err != nil {
		return iv, err
	}
	iv.PeakRSSKB = f.peakRSS()
	return iv, nil
}

// await reads the invocation's lines: START … END and REPORT on stdout,
// INIT REPORT on stderr for the first invocation.
func (f *Function) await(ctx context.Context, iv *Invocation, mark int) error {
	deadline := time.Now().Add(10 * time.Second)
	stop := context.AfterFunc(ctx, func() { f.mu.Lock(); f.cond.Broadcast(); f.mu.Unlock() })
	defer stop()
	timer := time.AfterFunc(time.Until(deadline), func() { f.mu.Lock(); f.cond.Broadcast(); f.mu.Unlock() })
	defer timer.Stop()

	f.mu.Lock()
	defer f.mu.Unlock()
	wantInit := f.inits == 0
	for {
		iv.Logs, iv.Report, iv.InitReport = nil, "", ""
		inside := false
		for _, l := range f.lines[mark:] {
			switch {
			case l.stream == "stdout" && strings.HasPrefix(l.text, "START RequestId: "+iv.RequestID):
				inside = true
			case l.stream == "stdout" && strings.HasPrefix(l.text, "END RequestId: "+iv.RequestID):
				inside = false
			case l.stream == "stdout" && strings.HasPrefix(l.text, "REPORT RequestId: "+iv.RequestID):
				iv.Report = l.text
			case l.stream == "stderr" && strings.Contains(l.text, "INIT REPORT("):
				iv.InitReport = strings.TrimSpace(l.text[strings.Index(l.text, "INIT REPORT("):])
			case inside && l.stream == "stdout":
				iv.Logs = append(iv.Logs, l.text)
			}
		}
		if iv.Report != "" && (!wantInit || iv.InitReport != "") {
			break
		}
		if f.exited {
			return fmt.Errorf("e2e: %s: the emulator exited (%v) during the invocation:\n%s", f.Name, f.exitErr, f.tailLocked(mark))
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("e2e: %s: no REPORT line for %s within 10s:\n%s", f.Name, iv.RequestID, f.tailLocked(mark))
		}
		f.cond.Wait()
	}
	if m := reportRe.FindStringSubmatch(iv.Report); m != nil {
		iv.DurationMs, _ = strconv.ParseFloat(m[2], 64)
		iv.BilledMs, _ = strconv.ParseFloat(m[3], 64)
		iv.MemorySizeMB, _ = strconv.Atoi(m[4])
		iv.MaxMemoryMB, _ = strconv.Atoi(m[5])
	}
	if wantInit {
		iv.Cold = true
		f.inits++
		if m := initReportRe.FindStringSubmatch(iv.InitReport); m != nil {
			iv.InitMs, _ = strconv.ParseFloat(m[1], 64)
		}
	}
	return nil
}

func (f *Function) tail(mark int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tailLocked(mark)
}

func (f *Function) tailLocked(mark int) string {
	var b strings.Builder
	for _, l := range f.lines[min(mark, len(f.lines)):] {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	return b.String()
}

// Close stops the emulator and the bootstrap and waits for them: SIGTERM
// to the emulator's process group (it stops its runtime), then SIGKILL to
// both after 3 s. It is safe to call more than once.
func (f *Function) Close() error {
	f.mu.Lock()
	if f.closed || f.cmd == nil {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.mu.Unlock()
	pid := f.cmd.Process.Pid
	kids := append(childPIDs(pid), f.children...)
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-f.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	// The emulator starts the bootstrap in a process group of its own. The
	// bootstrap exits by itself once the runtime API is gone (and holds the
	// output pipes until it does); make sure, killing only a process that
	// still runs our bootstrap.
	for _, k := range kids {
		if procExe(k) == f.bootstrap {
			_ = syscall.Kill(-k, syscall.SIGKILL)
			_ = syscall.Kill(k, syscall.SIGKILL)
		}
	}
	select {
	case <-f.done:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("e2e: %s: the emulator (pid %d) did not exit", f.Name, pid)
	}
}

// PID is the emulator's process id.
func (f *Function) PID() int { return f.cmd.Process.Pid }

// ChildPIDs lists the processes whose parent is pid (Linux; nil elsewhere).
func ChildPIDs(pid int) []int { return childPIDs(pid) }

// peakRSS is the bootstrap's VmHWM in KiB.
func (f *Function) peakRSS() int {
	kids := childPIDs(f.cmd.Process.Pid)
	if len(kids) > 0 {
		f.mu.Lock()
		for _, k := range kids {
			if !containsInt(f.children, k) {
				f.children = append(f.children, k)
			}
		}
		f.mu.Unlock()
	}
	peak := 0
	for _, k := range kids {
		peak = max(peak, vmHWM(k))
	}
	return peak
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// freePorts reserves n distinct loopback ports and releases them.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
