package scenario

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkRunLibrary parses and runs the whole scenarios/ library
// in-process once per iteration (TIME-WAIT's minutes included: the clock
// is virtual).
func BenchmarkRunLibrary(b *testing.B) {
	files, _ := filepath.Glob("../scenarios/*.pkt")
	srcs := make([][]byte, len(files))
	for i, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		srcs[i] = src
	}
	b.ReportAllocs()
	for b.Loop() {
		for i, src := range srcs {
			if res := RunFile(files[i], src, NewLocal, Options{}); !res.Passed() {
				b.Fatalf("%s: %s", files[i], res.Status)
			}
		}
	}
	b.ReportMetric(float64(len(files)), "scripts/op")
}

// BenchmarkParse measures the parser alone on the longest library script.
func BenchmarkParse(b *testing.B) {
	src, err := os.ReadFile("../scenarios/time-wait-old-duplicate.pkt")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("x", string(src)); err != nil {
			b.Fatal(err)
		}
	}
}
