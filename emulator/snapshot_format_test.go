package emulator_test

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpemu/tcpemu/emulator"
)

// TestSnapshotFormatStaysReadable restores the snapshots committed in
// testdata/snapshots (written by an earlier build, as a store holds them)
// and requires each to re-encode to the same bytes. A change to the
// encoding that forgets to bump the version fails here, before a daemon
// misreads the snapshots in its data directory. After an intended change
// of format — with snapshotVersion bumped — regenerate the files with
// `make rewrite` (go test ./emulator -run TestSnapshotFormat -rewrite).
func TestSnapshotFormatStaysReadable(t *testing.T) {
	dir := filepath.Join("testdata", "snapshots")
	if f := flag.Lookup("rewrite"); f != nil && f.Value.String() == "true" {
		for name, b := range snapSeeds(t) {
			var out strings.Builder
			for len(b) > 0 {
				n := min(len(b), 40)
				out.WriteString(hex.EncodeToString(b[:n]) + "\n")
				b = b[n:]
			}
			if err := os.WriteFile(filepath.Join(dir, name+".hex"), []byte(out.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.hex"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no snapshots in %s (%v)", dir, err)
	}
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		b, err := hex.DecodeString(strings.ReplaceAll(string(text), "\n", ""))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		s, err := emulator.RestoreSession(b)
		if err != nil {
			t.Errorf("%s no longer restores: %v. If the encoding changed on purpose, bump snapshotVersion "+
				"(snapshot.go) so that stored snapshots are refused rather than misread, then `make rewrite`", file, err)
			continue
		}
		if again := s.Snapshot(); !bytes.Equal(again, b) {
			t.Errorf("%s restores but re-encodes differently (first difference at byte %d): the encoding changed "+
				"without a version bump (snapshot.go); bump it, then `make rewrite`", file, firstByteDiff(again, b))
		}
	}
}
