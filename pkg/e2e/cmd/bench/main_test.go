package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"testing"
)

func TestParseCreateModel(t *testing.T) {
	out := "goos: linux\ngoarch: amd64\npkg: github.com/vpcguard/vpcguard/pkg/guard\ncpu: Intel(R) Xeon(R) Processor\n" +
		"BenchmarkCreateModelReport-2   \t       5\t 161062864 ns/op\t        14.00 calls/op\t         3.000 round-trips\t       163.0 worst-ms\nPASS\n"
	r, err := parseCreateModel(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Runs != 5 || r.RoundTrips != 3 || r.WorstMs != 163 || r.CallsPerEval != 14 || r.MeanMs < 161.06 || r.MeanMs > 161.07 {
		t.Errorf("parsed %+v", r)
	}
	if _, err := parseCreateModel("BenchmarkCreateModelReport-2 5 161062864 ns/op\n"); err == nil {
		t.Error("a line without the custom metrics parsed")
	}
	if _, err := parseCreateModel("FAIL\n"); err == nil {
		t.Error("no result line parsed")
	}
}

func TestSpreadAndFormat(t *testing.T) {
	var s Spread
	for _, v := range []float64{5, 1, 4, 2} {
		s.add(v)
	}
	s.finish()
	if s.N != 4 || s.Median != 3 || s.Min != 1 || s.Max != 5 {
		t.Errorf("spread %+v", s)
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567", -1500: "-1,500"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestZipBootstrap(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "bootstrap")
	data := make([]byte, 64<<10) // zeros: compresses well
	if err := os.WriteFile(src, data, 0o755); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "function.zip")
	size, err := zipBootstrap(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Method != zip.Deflate ||
		zr.File[0].Mode().Perm() != 0o755 || zr.File[0].UncompressedSize64 != uint64(len(data)) {
		t.Errorf("zip entries %+v", zr.File[0].FileHeader)
	}
	if size <= 0 || size >= int64(len(data)) {
		t.Errorf("zip size %d for %d zero bytes", size, len(data))
	}
}
