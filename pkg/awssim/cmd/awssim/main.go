// Command awssim serves a simulated AWS account from a scenario file.
//
//	go run ./pkg/awssim/cmd/awssim -scenario FILE [-addr 127.0.0.1:0] [-writes FILE] [-v]
//
// The first line on stdout is the server's URL (point the SDK at it with
// AWS_ENDPOINT_URL). It serves until SIGINT or SIGTERM, then prints the
// recorded writes as a JSON array on stdout (or into -writes FILE). The
// writes, counters and faults are also under /_awssim/ while it runs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
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
	log.SetFlags(0)
	log.SetPrefix("awssim: ")
	scenario := flag.String("scenario", "", "scenario JSON file (required)")
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
	writes := flag.String("writes", "", "write the recorded writes to this file on exit instead of stdout")
	verbose := flag.Bool("v", false, "log every request on stderr")
	flag.Parse()
	if *scenario == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*scenario, *addr, *writes, *verbose); err != nil {
		log.Fatal(err)
	}
}

func run(scenarioPath, addr, writesPath string, verbose bool) error {
	sc, err := awssim.LoadScenario(scenarioPath)
	if err != nil {
		return err
	}
	srv, err := awssim.NewServer(sc)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-addr %q: awssim listens on loopback only (127.0.0.1)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	var h http.Handler = srv
	if verbose {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			srv.ServeHTTP(w, r)
			log.Printf("%s %s %s (%s)", r.Method, r.URL.RequestURI(), r.Header.Get("X-Amz-Target"), time.Since(start).Round(time.Microsecond))
		})
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("http://%s\n", ln.Addr())
	os.Stdout.Sync()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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

	out := os.Stdout
	if writesPath != "" {
		f, err := os.Create(writesPath)
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
