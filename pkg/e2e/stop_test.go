package e2e

import (
	"io"
	"net"
	"net/http"
	"testing"
)

// stopServer, used by the account's and goaws's Close: a connection that
// was dialled but never carried a request (Shutdown counts it busy for
// 5 s) is closed, and that is no error; the server is stopped either way.
func TestStopServer(t *testing.T) {
	for _, idle := range []bool{false, true} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		accepted := make(chan struct{})
		hs := &http.Server{Handler: http.NotFoundHandler(), ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				close(accepted)
			}
		}}
		served := make(chan error, 1)
		go func() { served <- hs.Serve(ln) }()
		var conn net.Conn
		if idle {
			if conn, err = net.Dial("tcp", ln.Addr().String()); err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			<-accepted // the server tracks it: Shutdown must wait for it
		}
		if err := stopServer(hs); err != nil {
			t.Errorf("idle connection %v: %v", idle, err)
		}
		if err := <-served; err != http.ErrServerClosed {
			t.Errorf("idle connection %v: Serve returned %v", idle, err)
		}
		if conn != nil {
			if n, err := conn.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Errorf("the idle connection is still open: %d, %v", n, err)
			}
		}
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			c.Close()
			t.Errorf("idle connection %v: the listener still accepts", idle)
		}
	}
}
