package server

import (
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// Any run of events comes back from the stored form exactly, read from
// any seq on, and a cut or altered encoding is an error, never other
// events.
func TestStoredEventsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 40).Draw(t, "n")
		first := rapid.Uint64Range(0, 1<<40).Draw(t, "first")
		evs := make([]emulator.Event, n)
		for i := range evs {
			small := rapid.IntRange(0, 3) // mostly repeated values, as real logs have
			evs[i] = emulator.Event{
				Seq: first + uint64(i), Time: time.Duration(small.Draw(t, "t")) * time.Millisecond,
				Endpoint: emulator.EndpointID(rapid.Uint32().Draw(t, "ep")), Kind: emulator.Kind(small.Draw(t, "k")),
				Cause: emulator.Cause(small.Draw(t, "c")), From: tcp.State(rapid.Uint8().Draw(t, "from")), To: tcp.State(small.Draw(t, "to")),
				Rule: tcp.Rule(rapid.Uint16().Draw(t, "rule")), Timer: tcp.Timer(small.Draw(t, "timer")), Call: emulator.Call(small.Draw(t, "call")),
				Err: tcp.Error(small.Draw(t, "err")), Drop: emulator.DropReason(small.Draw(t, "drop")),
				Seg: emulator.SegmentHeader{
					Src: tcp.AddrID(small.Draw(t, "src")), Dst: tcp.AddrID(small.Draw(t, "dst")),
					Seq: seqnum.Value(rapid.Uint32().Draw(t, "seq")), Ack: seqnum.Value(rapid.Uint32().Draw(t, "ack")),
					Len: rapid.Uint16().Draw(t, "len"), Window: rapid.Uint16().Draw(t, "win"),
					Flags: tcp.Flags(rapid.Uint8().Draw(t, "flags")), MSS: rapid.Uint16().Draw(t, "mss"),
				},
				Value: rapid.Int64().Draw(t, "value"),
			}
		}
		b := encodeEvents(evs, nil)
		from := first + uint64(rapid.IntRange(0, n).Draw(t, "from"))
		got, err := decodeEvents(b, first, uint32(n), from, n, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := evs[from-first:]
		if len(got) != len(want) {
			t.Fatalf("%d events back, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("event %d: %+v, want %+v", i, got[i], want[i])
			}
		}
		if n > 0 {
			if _, err := decodeEvents(b[:len(b)-1], first, uint32(n), first, n, nil); err == nil {
				t.Fatal("a cut encoding decoded without error")
			}
			if _, err := decodeEvents(append(b, 0), first, uint32(n), first, n, nil); err == nil {
				t.Fatal("an encoding with octets left over decoded without error")
			}
		}
	})
}
