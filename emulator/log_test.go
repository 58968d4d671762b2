package emulator

import (
	"net/netip"
	"testing"
)

// TestLogWindow checks the event log's promises with a small LogLimit
// while calls trim it: every call's events come back whole and in order,
// at least LogLimit events stay kept (at most twice that, plus up to two
// calls' worth),
// and Events answers any range of them, across the log's two buffers.
func TestLogWindow(t *testing.T) {
	const limit = 10
	s, err := New(Config{Seed: 3, LogLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	srv := netip.MustParseAddrPort("10.0.0.1:80")
	lid, _, err := s.Listen(srv, EndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	maxCall := 0
	checkRun := func(what string, evs []Event, before uint64) {
		t.Helper()
		maxCall = max(maxCall, len(evs))
		if got := uint64(len(evs)); before+got != s.NextSeq() {
			t.Fatalf("%s: %d events from seq %d, but NextSeq is %d", what, got, before, s.NextSeq())
		}
		for i, ev := range evs {
			if ev.Seq != before+uint64(i) {
				t.Fatalf("%s: event %d has seq %d, want %d", what, i, ev.Seq, before+uint64(i))
			}
		}
	}
	for i := 0; i < 200; i++ {
		cli := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), uint16(1000+i))
		before := s.NextSeq()
		c, evs, err := s.Connect(cli, srv, []byte("hi"), EndpointOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkRun("connect", evs, before)
		before = s.NextSeq()
		evs, err = s.RunUntilIdle(0)
		if err != nil {
			t.Fatal(err)
		}
		checkRun("run", evs, before)
		if i%3 == 0 {
			before = s.NextSeq()
			evs, _ = s.Close(c)
			checkRun("close", evs, before)
		}
		if _, err := s.Accept(lid); err != nil {
			t.Fatal(err)
		}

		first, next := s.FirstSeq(), s.NextSeq()
		if kept := next - first; kept < limit || kept > uint64(2*limit+2*maxCall) {
			t.Fatalf("after call %d: %d events kept, want %d to %d", i, kept, limit, 2*limit+2*maxCall)
		}
		for _, after := range []uint64{^uint64(0), 0, first - 1, first, first + 3, s.logBase - 1, s.logBase, next - 2, next - 1} {
			got := s.Events(after)
			want := first
			if after != ^uint64(0) && after+1 > first {
				want = after + 1
			}
			if want >= next {
				if got != nil {
					t.Fatalf("Events(%d) = %d events, want none", after, len(got))
				}
				continue
			}
			if uint64(len(got)) != next-want || got[0].Seq != want || got[len(got)-1].Seq != next-1 {
				t.Fatalf("Events(%d): %d events from %d, want %d from %d", after, len(got), got[0].Seq, next-want, want)
			}
			for j := range got {
				if got[j].Seq != want+uint64(j) {
					t.Fatalf("Events(%d)[%d] has seq %d, want %d", after, j, got[j].Seq, want+uint64(j))
				}
			}
		}
		if all := s.AllEvents(); len(all) == 0 || all[0].Seq != first || all[len(all)-1].Seq != next-1 {
			t.Fatalf("AllEvents does not span %d..%d", first, next-1)
		}
		// EventsN is a prefix of Events of length min(n, what is there),
		// wherever the range starts and whichever buffers it spans.
		for _, after := range []uint64{^uint64(0), first - 1, first + 2, s.logBase - 2, s.logBase - 1, s.logBase, next - 2} {
			all := append([]Event(nil), s.Events(after)...)
			for _, n := range []int{0, 1, 2, 5, limit, 3 * limit} {
				got := s.EventsN(after, n)
				want := all
				if n > 0 && n < len(all) {
					want = all[:n]
				}
				if len(got) != len(want) || len(got) > 0 && (got[0].Seq != want[0].Seq || got[len(got)-1].Seq != want[len(want)-1].Seq) {
					t.Fatalf("EventsN(%d, %d): %d events, want the first %d of Events", after, n, len(got), len(want))
				}
			}
		}
	}
}

// TestLogHold: under a Hold, a run of calls far longer than LogLimit keeps
// every event from the held seq on; after Release the next call trims the
// log back to its window.
func TestLogHold(t *testing.T) {
	const limit = 10
	s, err := New(Config{Seed: 3, LogLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	srv := netip.MustParseAddrPort("10.0.0.1:80")
	if _, _, err := s.Listen(srv, EndpointOptions{}); err != nil {
		t.Fatal(err)
	}
	connect := func(i int) {
		t.Helper()
		cli := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), uint16(1000+i))
		if _, _, err := s.Connect(cli, srv, nil, EndpointOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RunUntilIdle(0); err != nil {
			t.Fatal(err)
		}
	}
	connect(0)
	held := s.NextSeq()
	s.Hold(held)
	for i := 1; i <= 20; i++ {
		connect(i)
	}
	if n := s.NextSeq() - held; n < 10*limit {
		t.Fatalf("the run made only %d events; the test needs many more than LogLimit %d", n, limit)
	}
	if s.FirstSeq() > held {
		t.Fatalf("under a hold from seq %d the log trimmed to %d", held, s.FirstSeq())
	}
	evs := s.Events(held - 1)
	if uint64(len(evs)) != s.NextSeq()-held || evs[0].Seq != held {
		t.Fatalf("Events after the hold: %d from seq %d, want %d from %d", len(evs), evs[0].Seq, s.NextSeq()-held, held)
	}
	s.Release()
	connect(21)
	connect(22)
	if kept := s.NextSeq() - s.FirstSeq(); s.FirstSeq() <= held || kept > 4*limit {
		t.Fatalf("after Release the log keeps seqs %d.. (%d events); want it trimmed past %d to its window", s.FirstSeq(), kept, held)
	}
}
