package config

import (
	"strings"
	"testing"
)

func TestSecurityHubIsOffUnlessSetTrue(t *testing.T) {
	for v, want := range map[string]bool{"": false, "false": false, "true": true, " TRUE ": true, "1": true, "0": false} {
		cfg, err := FromEnv(env(map[string]string{"VPCGUARD_SECURITY_HUB": v}))
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if cfg.SecurityHub != want {
			t.Errorf("VPCGUARD_SECURITY_HUB=%q gives %v, want %v", v, cfg.SecurityHub, want)
		}
	}
}

func TestSecurityHubBadValueIsNamed(t *testing.T) {
	_, err := FromEnv(env(map[string]string{"VPCGUARD_SECURITY_HUB": "enabled", "VPCGUARD_MODE": "fix"}))
	if err == nil || !strings.Contains(err.Error(), `VPCGUARD_SECURITY_HUB="enabled": want true or false`) || !strings.Contains(err.Error(), "VPCGUARD_MODE") {
		t.Fatalf("error = %v", err)
	}
}
