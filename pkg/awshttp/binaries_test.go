package awshttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/report"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
)

// The function binaries in local mode, each with what it is given.
var binaryRuns = []struct {
	name string
	args []string // relative to the module root
}{
	{"modelguard", []string{"-event", "events/sagemaker-CreateModel-churn-no-s3-endpoint.json"}},
	{"endpointguard", []string{"-event", "events/ec2-CreateVpcEndpoint-recsys-gateway-s3-default-policy.json"}},
	{"sweep", nil},
}

// buildFunctions builds every function binary, as the Makefile's build
// target does, into a temporary directory.
func buildFunctions(t *testing.T) (root, dir string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the function binaries (-short)")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	args := []string{"build", "-trimpath", "-tags", "lambda.norpc", "-o", dir + string(filepath.Separator)}
	for _, r := range binaryRuns {
		args = append(args, "./functions/"+r.name)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return root, dir
}

// hermeticEnv is the environment of a function binary run against url,
// with nothing of this machine's AWS setup (awssim.SetTestEnv's list)
// and none of its proxy variables, plus extra.
func hermeticEnv(url string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "VPCGUARD_") || strings.EqualFold(k, "HTTPS_PROXY") ||
			strings.EqualFold(k, "HTTP_PROXY") || strings.EqualFold(k, "NO_PROXY") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"AWS_ENDPOINT_URL="+url, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID="+awssim.TestAccessKeyID, "AWS_SECRET_ACCESS_KEY="+awssim.TestSecretAccessKey,
		"AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1")
	return append(env, extra...)
}

// runBinary runs one function binary and returns its exit code and output.
func runBinary(t *testing.T, root, dir, name string, args, env []string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, name), args...)
	cmd.Dir = root
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return code, stdout.String(), stderr.String()
}

// checkOutput asserts that a binary read the account: the event functions
// print a result whose checks were all read (none unknown: a TLS failure
// would make them so), the sweep its digest and a summary of every model.
func checkOutput(t *testing.T, name, stdout string, models int) {
	t.Helper()
	if name == "sweep" {
		subject, rest, _ := strings.Cut(stdout, "\n")
		i := strings.Index(rest, "\n{")
		if !strings.HasPrefix(subject, "Subject: [vpcguard] ") || i < 0 {
			t.Fatalf("sweep output:\n%s", stdout)
		}
		var sum struct {
			Coverage struct {
				ModelsEvaluated int `json:"models_evaluated"`
			} `json:"coverage"`
			Findings struct {
				Unknown int `json:"unknown"`
			} `json:"findings"`
		}
		if err := json.Unmarshal([]byte(rest[i+1:]), &sum); err != nil {
			t.Fatal(err)
		}
		if sum.Coverage.ModelsEvaluated != models || sum.Findings.Unknown > 0 {
			t.Errorf("sweep evaluated %d of %d models, %d unverified findings", sum.Coverage.ModelsEvaluated, models, sum.Findings.Unknown)
		}
		return
	}
	var res report.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, stdout)
	}
	if len(res.Checks) == 0 || res.Skipped != "" {
		t.Fatalf("%s: no checks (skipped %q)", name, res.Skipped)
	}
	for _, c := range res.Checks {
		if c.Status == report.StatusUnknown {
			t.Errorf("%s: %s unknown: %s", name, c.ID, c.Message)
		}
	}
}

func demoAccount(t *testing.T) *awssim.Scenario {
	t.Helper()
	sc, err := scenarios.Load("demo")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// Every function binary reaches a simulated account served over HTTPS
// with a certificate of a throwaway CA, trusted through AWS_CA_BUNDLE
// only; through a CONNECT proxy named by HTTPS_PROXY too. A bundle that
// does not exist stops each at start-up with an error naming the variable.
func TestBinariesWithCABundleAndProxy(t *testing.T) {
	root, dir := buildFunctions(t)
	sc := demoAccount(t)
	const proxiedHost = "awssim.test"
	srv, url, ca := awssim.StartTLS(t, sc, proxiedHost)
	bundle := filepath.Join(t.TempDir(), "corporate-ca.pem")
	if err := os.WriteFile(bundle, ca.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	port := url[strings.LastIndex(url, ":")+1:]

	for _, r := range binaryRuns {
		t.Run(r.name+"/AWS_CA_BUNDLE", func(t *testing.T) {
			before := srv.Calls("*")
			code, stdout, stderr := runBinary(t, root, dir, r.name, r.args, hermeticEnv(url, "AWS_CA_BUNDLE="+bundle))
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			checkOutput(t, r.name, stdout, len(sc.Models))
			if srv.Calls("*") == before {
				t.Error("no call reached the account")
			}
		})
		t.Run(r.name+"/HTTPS_PROXY", func(t *testing.T) {
			proxy := startConnectProxy(t, map[string]string{proxiedHost + ":" + port: "127.0.0.1:" + port})
			code, stdout, stderr := runBinary(t, root, dir, r.name, r.args,
				hermeticEnv("https://"+proxiedHost+":"+port, "AWS_CA_BUNDLE="+bundle, "HTTPS_PROXY="+proxy.url))
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			checkOutput(t, r.name, stdout, len(sc.Models))
			if got := proxy.tunnels(); len(got) == 0 || got[0] != proxiedHost+":"+port {
				t.Errorf("tunnels through the proxy: %q", got)
			}
		})
		t.Run(r.name+"/bad AWS_CA_BUNDLE", func(t *testing.T) {
			missing := filepath.Join(t.TempDir(), "no-such-ca.pem")
			before := srv.Calls("*")
			code, stdout, stderr := runBinary(t, root, dir, r.name, r.args, hermeticEnv(url, "AWS_CA_BUNDLE="+missing))
			if code != 2 {
				t.Errorf("exit %d, want 2 (start-up)", code)
			}
			first, _, _ := strings.Cut(stderrMessage(stderr), "\n")
			if !strings.Contains(first, `AWS_CA_BUNDLE="`+missing+`"`) || !strings.Contains(first, "no such file") {
				t.Errorf("stderr does not name the variable and the problem:\n%s", stderr)
			}
			if stdout != "" || srv.Calls("*") != before {
				t.Errorf("stdout %q, %d calls", stdout, srv.Calls("*")-before)
			}
		})
	}
}

// stderrMessage drops the JSON log lines of stderr, keeping the message
// the binary prints for people.
func stderrMessage(stderr string) string {
	var keep []string
	for _, l := range strings.Split(stderr, "\n") {
		if l != "" && !strings.HasPrefix(l, "{") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// connectProxy is an HTTP proxy that serves CONNECT only, to the targets
// it is given (a name to an address), and records each tunnel.
type connectProxy struct {
	url string
	mu  sync.Mutex
	log []string
}

func (p *connectProxy) tunnels() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

func startConnectProxy(t *testing.T, targets map[string]string) *connectProxy {
	t.Helper()
	p := &connectProxy{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.url = "http://" + ln.Addr().String()
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr, ok := targets[r.Host]
		if r.Method != http.MethodConnect || !ok {
			http.Error(w, "this proxy only tunnels to its targets", http.StatusForbidden)
			return
		}
		p.mu.Lock()
		p.log = append(p.log, r.Host)
		p.mu.Unlock()
		upstream, err := net.Dial("tcp", addr)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			upstream.Close()
			return
		}
		io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() {
			io.Copy(upstream, buf) // the client's bytes, buffered ones first
			upstream.Close()
		}()
		io.Copy(conn, upstream)
		conn.Close()
	})}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return p
}
