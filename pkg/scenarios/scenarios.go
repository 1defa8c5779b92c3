// Package scenarios holds the simulated accounts that the demo, the
// end-to-end tests and the wire-level tests run against: awssim scenario
// files, embedded so that any package and command can load them by name.
package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

//go:embed *.json
var files embed.FS

// Read returns the scenario file called name (without .json).
func Read(name string) ([]byte, error) {
	b, err := files.ReadFile(name + ".json")
	if err != nil {
		return nil, fmt.Errorf("scenario %q: %w", name, err)
	}
	return b, nil
}

// Names lists the scenarios, sorted.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), path.Ext(e.Name())))
	}
	return out
}
