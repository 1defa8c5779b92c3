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

	"github.com/vpcguard/vpcguard/pkg/awssim"
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

// Load reads the scenario called name and parses it for awssim.
func Load(name string) (*awssim.Scenario, error) {
	raw, err := Read(name)
	if err != nil {
		return nil, err
	}
	sc, err := awssim.ParseScenario(raw)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", name, err)
	}
	return sc, nil
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
