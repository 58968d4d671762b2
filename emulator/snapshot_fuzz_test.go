package emulator_test

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// snapSeeds are real snapshots: a fresh session; a linux-profile
// handshake with data in flight, delayed ACKs and a per-endpoint override;
// and a session with every impairment — paths, fault rules, a reordered
// segment held back, a cut scheduled for later, a segment left for an
// external host and CLOSED records awaiting recycling.
func snapSeeds(t testing.TB) map[string][]byte {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	seeds := map[string][]byte{}
	s, err := emulator.New(emulator.Config{})
	must(err)
	seeds["fresh"] = s.Snapshot()

	s, err = emulator.New(emulator.Config{Seed: 3, Profile: "linux"})
	must(err)
	d := 40 * time.Millisecond
	_, _, err = s.Listen(impSrv, emulator.EndpointOptions{Overrides: &emulator.Overrides{DelayedACK: &d}})
	must(err)
	_, _, err = s.Connect(impCli, impSrv, []byte("hello"), emulator.EndpointOptions{})
	must(err)
	_, err = s.AdvanceBy(25*time.Millisecond, 0)
	must(err)
	seeds["handshake"] = s.Snapshot()

	s, err = emulator.New(emulator.Config{Seed: 9, KeepClosed: 2})
	must(err)
	c, srv := impCli.Addr(), impSrv.Addr()
	must(s.SetPath(c, srv, emulator.Path{Delay: 5 * time.Millisecond, Jitter: 3 * time.Millisecond, Loss: 0.1,
		Reorder: 1, ReorderDelay: 40 * time.Millisecond, ReorderBehind: 2}))
	must(s.SetDefaultPath(emulator.Path{Delay: time.Millisecond, Duplicate: 0.5, Bandwidth: 100000}))
	_, err = s.AddFault(emulator.Fault{Name: "dup FIN", Flags: tcp.FIN, Action: emulator.FaultDuplicate, Copies: 2, Spacing: time.Millisecond, Count: 1})
	must(err)
	_, err = s.AddFault(emulator.Fault{To: impCli, Nth: 4, Action: emulator.FaultCorrupt})
	must(err)
	lid, _, err := s.Listen(impSrv, emulator.EndpointOptions{Backlog: 2})
	must(err)
	for range 3 {
		_, _, err = s.Connect(netip.AddrPortFrom(c, 0), impSrv, []byte("data"), emulator.EndpointOptions{})
		must(err)
	}
	_, _, err = s.Connect(impCli, netip.MustParseAddrPort("192.0.2.1:80"), nil, emulator.EndpointOptions{})
	must(err)
	_, err = s.AdvanceBy(30*time.Millisecond, 0)
	must(err)
	if id, err := s.Accept(lid); err == nil {
		_, _ = s.Abort(id)
	}
	must(s.Partition(c, srv, true, s.Now()+time.Second))
	seeds["impaired"] = s.Snapshot()
	return seeds
}

// FuzzRestoreSession feeds RestoreSession arbitrary bytes, starting from
// real snapshots: it must never panic, must reject what it cannot read
// with an error wrapping ErrBadSnapshot or ErrSnapshotVersion, and —
// since every state has exactly one encoding — whatever it accepts must
// be exactly what Snapshot writes for the restored session, which must
// then take calls and run its clock without panicking.
func FuzzRestoreSession(f *testing.F) {
	for _, b := range snapSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := emulator.RestoreSession(b)
		if err != nil {
			if !errors.Is(err, emulator.ErrBadSnapshot) && !errors.Is(err, emulator.ErrSnapshotVersion) {
				t.Fatalf("error wraps neither ErrBadSnapshot nor ErrSnapshotVersion: %v", err)
			}
			return
		}
		if again := s.Snapshot(); !bytes.Equal(again, b) {
			t.Fatalf("accepted %d bytes that Snapshot writes as %d bytes (first difference at byte %d)",
				len(b), len(again), firstByteDiff(again, b))
		}
		// A daemon serves what it restored: whatever the TCBs' numbers
		// say, calls and the clock must not panic.
		for _, id := range s.Endpoints() {
			_, _ = s.Send(id, []byte("x"))
			_, _, _, _ = s.Receive(id, 10)
		}
		_, _ = s.AdvanceBy(time.Minute, 2000)
		for _, id := range s.Endpoints() {
			_, _ = s.Close(id)
		}
		_, _ = s.RunUntilIdle(2000)
	})
}

// TestRestoreSessionRejectsMalformedInput checks the exact error for each
// kind of damage.
func TestRestoreSessionRejectsMalformedInput(t *testing.T) {
	good := snapSeeds(t)["handshake"]
	fresh := snapSeeds(t)["fresh"]
	with := func(b []byte, at int, v ...byte) []byte {
		out := append([]byte(nil), b...)
		return append(out[:at], append(v, out[at+len(v):]...)...)
	}
	for _, c := range []struct {
		name string
		in   []byte
		want string
		is   error
	}{
		{"empty", nil, "restore session: bad snapshot: magic at byte 0: truncated", emulator.ErrBadSnapshot},
		{"not a snapshot", []byte("GIF89a"), `restore session: bad snapshot: not a tcpemu session snapshot (magic "GIF8")`, emulator.ErrBadSnapshot},
		{"unknown version", with(good, 4, 2), "restore session: unknown snapshot version 2 (this build reads version 1)", emulator.ErrSnapshotVersion},
		{"header only", good[:5], "restore session: bad snapshot: seed at byte 5: truncated", emulator.ErrBadSnapshot},
		{"truncated by one byte", good[:len(good)-1], "restore session: bad snapshot: impairments at byte 562: truncated", emulator.ErrBadSnapshot},
		{"truncated in the TCBs", good[:400], "restore session: bad snapshot: local address at byte 400: truncated", emulator.ErrBadSnapshot},
		{"trailing garbage", append(append([]byte(nil), good...), 1, 2, 3),
			"restore session: bad snapshot: end of snapshot at byte 563: 3 bytes of trailing garbage", emulator.ErrBadSnapshot},
		{"varint not minimal", with(fresh, 5, 0x80, 0x00), "restore session: bad snapshot: seed at byte 5: varint is not minimally encoded", emulator.ErrBadSnapshot},
		{"varint overflow", append([]byte("TESN\x01"), bytes.Repeat([]byte{0xff}, 11)...),
			"restore session: bad snapshot: seed at byte 5: varint overflows 64 bits", emulator.ErrBadSnapshot},
		{"not a boolean", with(fresh, 11, 2), "restore session: bad snapshot: fixed ISS at byte 11: 2 is not a boolean", emulator.ErrBadSnapshot},
		{"huge count", append(append([]byte(nil), fresh[:snapAddrTableAt(t, fresh)]...), 0xff, 0xff, 0xff, 0x7f),
			"restore session: bad snapshot: address table at byte 93: 268435455 elements cannot fit in the 0 bytes left", emulator.ErrBadSnapshot},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := emulator.RestoreSession(c.in)
			if err == nil {
				t.Fatalf("restored a session (%d endpoints) from damaged input", len(s.Endpoints()))
			}
			if err.Error() != c.want {
				t.Errorf("error\n got %s\nwant %s", err, c.want)
			}
			if !errors.Is(err, c.is) {
				t.Errorf("error does not wrap %v", c.is)
			}
		})
	}
}

// snapAddrTableAt is where a fresh session's snapshot writes the length of
// its address table: just before the last five sections' bytes.
func snapAddrTableAt(t *testing.T, fresh []byte) int {
	t.Helper()
	// A fresh session ends: 0 addresses, 0 hosts, 0 ports, 0 configurations,
	// next ID 1, 0 endpoints, 0 closed, 0 items, 0 external, no impairments.
	tail := []byte{0, 0, 0, 0, 1, 0, 0, 0, 0, 0}
	if !bytes.HasSuffix(fresh, tail) {
		t.Fatalf("a fresh snapshot ends % x, not % x", fresh[len(fresh)-len(tail):], tail)
	}
	return len(fresh) - len(tail)
}
