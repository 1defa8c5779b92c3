package scenarios_test

import (
	"testing"

	"github.com/vpcguard/vpcguard/pkg/awssim"
	"github.com/vpcguard/vpcguard/pkg/scenarios"
)

// TestEveryScenarioLoads keeps the embedded scenarios valid for awssim.
func TestEveryScenarioLoads(t *testing.T) {
	names := scenarios.Names()
	if len(names) == 0 {
		t.Fatal("no scenario embedded")
	}
	for _, name := range names {
		sc, err := scenarios.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := awssim.NewServer(sc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := scenarios.Read("no-such-scenario"); err == nil {
		t.Error("reading a missing scenario succeeded")
	}
}

// TestEveryOrganizationLoads keeps the embedded organizations valid.
func TestEveryOrganizationLoads(t *testing.T) {
	names := scenarios.OrgNames()
	if len(names) == 0 {
		t.Fatal("no organization embedded")
	}
	for _, name := range names {
		o, err := scenarios.LoadOrg(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := awssim.NewOrg(o); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := scenarios.LoadOrg("no-such-organization"); err == nil {
		t.Error("reading a missing organization succeeded")
	}
}
