package notify

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestGolden keeps each representative email, exactly as an email client
// shows it, in testdata/<name>.golden. Run with -update to accept a change,
// then read the diff: this is what lands in a security engineer's inbox.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Preview(tc.result())
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./pkg/notify -run TestGolden -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("email differs from %s (run with -update to accept it):\n--- got ---\n%s", path, got)
			}
			checkEmail(t, RenderEmail(tc.result()))
		})
	}
}
