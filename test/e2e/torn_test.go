package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// emudCheck runs `emud check` on dir and returns its exit code and report.
func emudCheck(t *testing.T, dir string) (int, string) {
	t.Helper()
	out, err := exec.Command(emudBin, "check", "--data-dir", dir).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func runScript(t *testing.T, d *daemon, id string, from, to int) {
	t.Helper()
	c, _ := d.client(t)
	for i := from; i < to; i++ {
		if _, err := scriptOp(testContext(t), c, id, i); transportError(err) {
			t.Fatal(err)
		}
	}
}

func recoveryOf(t *testing.T, d *daemon, id string) *pb.SessionRecovery {
	t.Helper()
	c, _ := d.client(t)
	return must[*pb.Session](t)(c.GetSession(testContext(t), &pb.GetSessionRequest{Name: "sessions/" + id})).Recovery
}

func hasLog(d *daemon, substr string) bool {
	for _, l := range d.logLines() {
		if strings.Contains(l, substr) {
			return true
		}
	}
	return false
}

// A power cut tears the journal's last frame, and a bad sector corrupts a
// record in the database: emud check reports both (exit 1), emud starts
// anyway, restores each session to its last valid record, says so in its
// log and in the session's status, and the sessions work on from there.
func TestTornJournalAndCorruptRecordRecoverToLastValid(t *testing.T) {
	dir := t.TempDir()
	ctx := testContext(t)
	ref := startEmud(t, "tcp", "--store", "memory", "--log-level", "warn")
	rc, _ := ref.client(t)
	// Everything stays in the journal: no checkpoint before the kill.
	d := startEmud(t, "tcp", "--data-dir", dir, "--sync-interval", "1h", "--sync-records", "1000000000")
	c, _ := d.client(t)
	for _, id := range []string{"a", "b"} {
		for _, cc := range []pb.EmulatorServiceClient{c, rc} {
			must[*pb.Session](t)(cc.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: id, Session: &pb.Session{Seed: 9}}))
		}
	}
	runScript(t, d, "a", 0, 30)
	runScript(t, d, "b", 0, 30) // b's call 29 is the journal's last frame
	d.kill9(t)
	if code, out := emudCheck(t, dir); code != 0 || !strings.Contains(out, "journal records not yet checkpointed") {
		t.Fatalf("check after a clean crash: exit %d\n%s", code, out)
	}

	journals, _ := filepath.Glob(filepath.Join(dir, "journal-*.wal"))
	if len(journals) != 1 {
		t.Fatalf("journal files %v, want one", journals)
	}
	journal := journals[0]
	data, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(journal, data[:len(data)-7], 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := emudCheck(t, dir); code != 1 || !strings.Contains(out, "journal") {
		t.Fatalf("check of a torn journal: exit %d, want 1 naming the journal\n%s", code, out)
	}
	// No snapshot may cover the record corrupted below.
	d = startEmud(t, "tcp", "--data-dir", dir, "--snapshot-inputs", "1000000", "--log-level", "warn")
	if !hasLog(d, "torn or corrupt") {
		t.Fatalf("emud's log does not mention the torn journal:\n%s", strings.Join(d.logLines(), "\n"))
	}
	if r := recoveryOf(t, d, "b"); r.GetState() != pb.RecoveryState_RECOVERY_STATE_TRUNCATED || !strings.Contains(r.GetDetail(), "torn") {
		t.Fatalf("b's recovery %v, want TRUNCATED naming the torn journal", r)
	}
	if r := recoveryOf(t, d, "a"); r.GetState() != pb.RecoveryState_RECOVERY_STATE_EXACT {
		t.Fatalf("a's recovery %v, want EXACT", r)
	}
	// b lost its last call only: it equals the reference after 29 calls.
	c, _ = d.client(t)
	runScript(t, ref, "b", 0, 29)
	runScript(t, ref, "a", 0, 30)
	for _, id := range []string{"a", "b"} {
		if same, why := fingerprintOf(t, ctx, rc, id).equal(fingerprintOf(t, ctx, c, id)); !same {
			t.Fatalf("%s after the torn journal: %s", id, why)
		}
	}
	runScript(t, d, "b", 29, 30) // b goes on from its last valid record
	runScript(t, ref, "b", 29, 30)
	recoveryOf(t, d, "b") // a read: everything is checkpointed into the database first
	d.kill9(t)            // not a clean stop, which would snapshot every session

	// Corrupt a's input 14 (call 13: c2's connect) wherever its bytes are
	// in the database file.
	db := filepath.Join(dir, "tcpemu.db")
	data, err = os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	needle, n := []byte("req a/c2"), 0
	for i := bytes.Index(data, needle); i >= 0; i = bytes.Index(data, needle) {
		data[i] ^= 0x20
		n++
	}
	if n == 0 {
		t.Fatal("a's call 13 not found in the database file")
	}
	if err := os.WriteFile(db, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := emudCheck(t, dir); code != 1 || !strings.Contains(out, "session a: input 14: checksum mismatch") {
		t.Fatalf("check of a corrupt record: exit %d, want 1 naming session a's input 14\n%s", code, out)
	}
	d = startEmud(t, "tcp", "--data-dir", dir, "--log-level", "warn")
	if !hasLog(d, "session restored to the last valid input") {
		t.Fatalf("emud's log does not mention the damage:\n%s", strings.Join(d.logLines(), "\n"))
	}
	r := recoveryOf(t, d, "a")
	if r.GetState() != pb.RecoveryState_RECOVERY_STATE_TRUNCATED || !strings.Contains(r.GetDetail(), "input 14") || r.GetInputsReplayed() != 13 {
		t.Fatalf("a's recovery %v, want TRUNCATED at input 14 after 13 inputs", r)
	}
	// a is the reference after 13 calls; b is untouched.
	must[any](t)(rc.DeleteSession(ctx, &pb.DeleteSessionRequest{Name: "sessions/a"}))
	must[*pb.Session](t)(rc.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "a", Session: &pb.Session{Seed: 9}}))
	runScript(t, ref, "a", 0, 13)
	c, _ = d.client(t)
	for _, id := range []string{"a", "b"} {
		if same, why := fingerprintOf(t, ctx, rc, id).equal(fingerprintOf(t, ctx, c, id)); !same {
			t.Fatalf("%s after the corrupt record: %s", id, why)
		}
	}
	// The damaged rest was cut: a goes on, and the next start is exact.
	runScript(t, d, "a", 13, 20)
	runScript(t, ref, "a", 13, 20)
	d.stop(t)
	if code, out := emudCheck(t, dir); code != 0 {
		t.Fatalf("check after recovery: exit %d\n%s", code, out)
	}
	d = startEmud(t, "tcp", "--data-dir", dir, "--log-level", "warn")
	c, _ = d.client(t)
	for _, id := range []string{"a", "b"} {
		if r := recoveryOf(t, d, id); r.GetState() != pb.RecoveryState_RECOVERY_STATE_EXACT {
			t.Fatalf("%s's recovery %v, want EXACT", id, r)
		}
		if same, why := fingerprintOf(t, ctx, rc, id).equal(fingerprintOf(t, ctx, c, id)); !same {
			t.Fatalf("%s after the second restart: %s", id, why)
		}
	}
}

// emud never refuses to start without saying why: a data dir another emud
// holds is named as such, and emud check tells unreadable (2) from
// damaged (1).
func TestDataDirInUseIsRefusedWithAReason(t *testing.T) {
	dir := t.TempDir()
	startEmud(t, "tcp", "--data-dir", dir, "--log-level", "warn")
	out, err := exec.Command(emudBin, "--listen", "127.0.0.1:0", "--data-dir", dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by another process (is another emud running on this data dir?)") {
		t.Fatalf("second emud on the same data dir: %v\n%s", err, out)
	}
	if code, out := emudCheck(t, dir); code != 2 || !strings.Contains(out, "in use by a running emud") {
		t.Fatalf("check of a data dir in use: exit %d\n%s", code, out)
	}
	if code, out := emudCheck(t, filepath.Join(dir, "nosuch")); code != 2 {
		t.Fatalf("check of a missing data dir: exit %d\n%s", code, out)
	}
}
