package emulator_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
)

// TestRestoredLogReportsEarlierEventsAsTrimmed: a restored session's log
// starts empty at the snapshot's NextSeq, the events before it count as
// trimmed (FirstSeq = NextSeq, as after the log limit trims), and the next
// event gets exactly the sequence number the original's got.
func TestRestoredLogReportsEarlierEventsAsTrimmed(t *testing.T) {
	s, err := emulator.New(emulator.Config{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Listen(impSrv, emulator.EndpointOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Connect(impCli, impSrv, []byte("hi"), emulator.EndpointOptions{}); err != nil {
		t.Fatal(err)
	}
	next := s.NextSeq()
	if next < 5 {
		t.Fatalf("only %d events before the snapshot", next)
	}
	r, err := emulator.RestoreSession(s.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	if r.NextSeq() != next || r.FirstSeq() != next {
		t.Fatalf("restored NextSeq %d FirstSeq %d, want both %d", r.NextSeq(), r.FirstSeq(), next)
	}
	for _, after := range []uint64{0, 2, next - 1, ^uint64(0)} {
		if evs := r.Events(after); len(evs) != 0 {
			t.Errorf("Events(%d) before any new event: %d events, want none", after, len(evs))
		}
		if evs := r.EventsN(after, 3); len(evs) != 0 {
			t.Errorf("EventsN(%d, 3) before any new event: %d events, want none", after, len(evs))
		}
	}
	want := s.Step()
	got := r.Step()
	if len(got) == 0 || got[0].Seq != next {
		t.Fatalf("the restored session's first event after the restore: %+v, want Seq %d", got, next)
	}
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Fatalf("event %d after the restore differs:\n got %+v\nwant %+v", i, got, want)
		}
	}
	// Asking from before the restore point gives what is kept, from
	// FirstSeq on — as for events the log limit trimmed.
	for _, after := range []uint64{0, next - 3} {
		if evs := r.Events(after); len(evs) != len(got) || evs[0] != got[0] {
			t.Errorf("Events(%d) = %d events, want the %d new ones from seq %d", after, len(evs), len(got), next)
		}
		if evs := r.EventsN(after, 1); len(evs) != 1 || evs[0] != got[0] {
			t.Errorf("EventsN(%d, 1) = %+v, want the first new event", after, evs)
		}
	}
}

// TestStateHashTellsStatesApart: the same calls give the same hash; any
// change of state — even only the clock moving with nothing pending —
// gives another.
func TestStateHashTellsStatesApart(t *testing.T) {
	run := func(extra time.Duration) *emulator.Session {
		s, err := emulator.New(emulator.Config{Seed: 11, Profile: "linux"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Listen(impSrv, emulator.EndpointOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Connect(impCli, impSrv, nil, emulator.EndpointOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RunUntilIdle(0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AdvanceBy(extra, 0); err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b, c := run(time.Second), run(time.Second), run(time.Second+1)
	if a.StateHash() != b.StateHash() {
		t.Error("two sessions with the same calls hash differently")
	}
	if a.StateHash() == c.StateHash() {
		t.Error("sessions whose clocks differ by 1 ns hash equal")
	}
	before := a.StateHash()
	if _, _, err := a.Connect(impCli, impSrv, nil, emulator.EndpointOptions{}); err == nil {
		t.Fatal("a second connect on the same 4-tuple succeeded")
	}
	if a.StateHash() != before {
		t.Error("a call that failed without an event changed the hash")
	}
	if _, err := a.Send(1, []byte("x")); err == nil {
		t.Fatal("SEND on a listener succeeded")
	}
	if a.StateHash() == before {
		t.Error("a call that logged an event left the hash unchanged (the log position is part of the state)")
	}
	// StateHash streams the encoding into the hash: it must be the hash of
	// Snapshot's bytes, also when they run to many spills.
	if _, err := a.Send(2, make([]byte, 300_000)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AdvanceBy(5*time.Millisecond, 0); err != nil {
		t.Fatal(err)
	}
	snap := a.Snapshot()
	if len(snap) < 200_000 {
		t.Fatalf("snapshot of %d bytes: want one with the data queued", len(snap))
	}
	if a.StateHash() != sha256.Sum256(snap) {
		t.Error("StateHash is not the SHA-256 of Snapshot's bytes")
	}
}
