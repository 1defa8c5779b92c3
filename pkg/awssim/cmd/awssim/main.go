// Command awssim serves a simulated AWS account from a scenario file.
//
//	go run ./pkg/awssim/cmd/awssim -scenario FILE [-addr 127.0.0.1:0] [-writes FILE] [-v]
//
// The first line on stdout is the server's URL (point the SDK at it with
// AWS_ENDPOINT_URL). It serves until SIGINT or SIGTERM, then prints the
// recorded writes as a JSON array on stdout (or into -writes FILE). The
// writes, counters and faults are also under /_awssim/ while it runs.
//
// `go run` does not pass a signal sent to its own pid on to the program:
// signal the process group, or build the binary and run it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vpcguard/vpcguard/pkg/awssim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "awssim:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done, then writes the recorded writes.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("awssim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scenario := fs.String("scenario", "", "scenario JSON file (required)")
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on")
	writes := fs.String("writes", "", "write the recorded writes to this file on exit instead of stdout")
	verbose := fs.Bool("v", false, "log every request on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *scenario == "" || fs.NArg() > 0 {
		fs.Usage()
		return flag.ErrHelp
	}
	sc, err := awssim.LoadScenario(*scenario)
	if err != nil {
		return err
	}
	srv, err := awssim.NewServer(sc)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %v", *addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-addr %q: awssim listens on loopback only (127.0.0.1)", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	var h http.Handler = srv
	if *verbose {
		logger := log.New(stderr, "awssim: ", log.Lmicroseconds)
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			srv.ServeHTTP(w, r)
			logger.Printf("%s %s %s (%s)", r.Method, r.URL.RequestURI(), r.Header.Get("X-Amz-Target"), time.Since(start).Round(time.Microsecond))
		})
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	if _, err := fmt.Fprintf(stdout, "http://%s\n", ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	if f, ok := stdout.(*os.File); ok {
		f.Sync()
	}

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(shutdown)

	out := stdout
	if *writes != "" {
		f, err := os.Create(*writes)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(srv.Writes())
}
