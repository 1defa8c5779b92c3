// Package scenarios holds the simulated accounts that the demo, the
// end-to-end tests and the wire-level tests run against: awssim scenario
// files, embedded so that any package and command can load them by name.
package scenarios

import (
	"embed"
	"encoding/json"
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

//go:embed orgs/*.json
var orgFiles embed.FS

// LoadOrg reads the simulated organization called name (orgs/<name>.json)
// and parses it for awssim. An account's Region entry may name one of the
// scenarios above instead of holding its own: {"scenario": "demo"} (the
// scenario's account must be the account's).
func LoadOrg(name string) (*awssim.OrgScenario, error) {
	raw, err := orgFiles.ReadFile("orgs/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("organization %q: %w", name, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("organization %s: %w", name, err)
	}
	accounts, _ := doc["accounts"].([]any)
	for _, a := range accounts {
		acct, _ := a.(map[string]any)
		regions, _ := acct["regions"].([]any)
		for i, r := range regions {
			ref, _ := r.(map[string]any)["scenario"].(string)
			if ref == "" {
				continue
			}
			b, err := Read(ref)
			if err != nil {
				return nil, fmt.Errorf("organization %s: account %v: %w", name, acct["id"], err)
			}
			var sc map[string]any
			if err := json.Unmarshal(b, &sc); err != nil {
				return nil, fmt.Errorf("organization %s: scenario %s: %w", name, ref, err)
			}
			if sc["account"] != acct["id"] {
				return nil, fmt.Errorf("organization %s: account %v: scenario %s is account %v", name, acct["id"], ref, sc["account"])
			}
			regions[i] = sc
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	o, err := awssim.ParseOrgScenario(b)
	if err != nil {
		return nil, fmt.Errorf("organization %s: %w", name, err)
	}
	return o, nil
}

// OrgNames lists the organizations, sorted.
func OrgNames() []string {
	entries, _ := fs.ReadDir(orgFiles, "orgs")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), path.Ext(e.Name())))
	}
	return out
}
