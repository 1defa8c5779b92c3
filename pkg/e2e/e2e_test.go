package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/vpcguard/vpcguard/pkg/cloudtrail"
)

// Lines as aws-lambda-rie RIEVersion prints them.
const (
	sampleReport     = "REPORT RequestId: c20d7049-e9f1-4ee3-b4cf-22cd64f50b17\tInit Duration: 0.04 ms\tDuration: 32.86 ms\tBilled Duration: 33 ms\tMemory Size: 3008 MB\tMax Memory Used: 3008 MB\t"
	sampleWarmReport = "REPORT RequestId: e1ae66fd-5467-4932-a486-06b727f0ee43\tDuration: 1.27 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t"
	sampleInitReport = "26 Nov 2026 19:06:20,516 [INFO] (rapid) INIT REPORT(durationMs: 22.595000)"
)

func TestEmulatorLines(t *testing.T) {
	m := reportRe.FindStringSubmatch(sampleReport)
	if m == nil || m[1] != "c20d7049-e9f1-4ee3-b4cf-22cd64f50b17" || m[2] != "32.86" || m[3] != "33" || m[4] != "3008" {
		t.Errorf("REPORT with init: %q", m)
	}
	if m := reportRe.FindStringSubmatch(sampleWarmReport); m == nil || m[2] != "1.27" || m[4] != "128" {
		t.Errorf("REPORT: %q", m)
	}
	if m := initReportRe.FindStringSubmatch(sampleInitReport); m == nil || m[1] != "22.595000" {
		t.Errorf("INIT REPORT: %q", m)
	}
}

// TestMakefilePinsTheSameRIE keeps `make tools` and Build on one version.
func TestMakefilePinsTheSameRIE(t *testing.T) {
	root, err := FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^RIE_VERSION\s*:?=\s*(\S+)`).FindSubmatch(b)
	if m == nil || string(m[1]) != RIEVersion {
		t.Errorf("Makefile RIE_VERSION = %q, want %s", m, RIEVersion)
	}
}

func TestLoadEvents(t *testing.T) {
	root, err := FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	evs, err := LoadEvents(filepath.Join(root, "events"))
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range evs {
		if ev.ParseErr != nil {
			t.Errorf("%s: %v", ev.File, ev.ParseErr)
		}
		if i > 0 && ev.Time().Before(evs[i-1].Time()) {
			t.Errorf("%s comes before %s but happened earlier", evs[i-1].File, ev.File)
		}
		want := "modelguard"
		if ev.Call.Source == cloudtrail.SourceEC2 {
			want = "endpointguard"
		}
		if got := FunctionFor(ev); got != want {
			t.Errorf("%s goes to %s, want %s", ev.File, got, want)
		}
	}
	mixed := []Event{NewEvent("bad.json", []byte("{")), evs[1], evs[0]}
	SortEvents(mixed)
	if mixed[0].File != evs[0].File || mixed[1].File != evs[1].File || mixed[2].File != "bad.json" {
		t.Errorf("sorted: %s, %s, %s", mixed[0].File, mixed[1].File, mixed[2].File)
	}
	if FunctionFor(mixed[2]) != "modelguard" {
		t.Error("unparsed input should go to modelguard")
	}
}
