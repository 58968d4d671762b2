package server

import (
	"encoding/binary"
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
				Endpoint: emulator.EndpointID(rapid.Uint32().Draw(t, "ep")), Kind: emulator.Kind(rapid.SampledFrom([]uint8{0, 1, 2, 3, 33, 200}).Draw(t, "k")),
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

// encodeEventsRef is the stored form as its comment describes it, octet
// by octet: encodeEvents must write exactly this (the format is stamped
// StoreFormat; a faster encoder is no reason to change it).
func encodeEventsRef(evs []emulator.Event, b []byte) []byte {
	var (
		last, cur eventRecord
		byHead    = map[byte]*eventRecord{} // the last event of each kind (mod 32) and endpoint bit
	)
	for i := range evs {
		cur.put(&evs[i])
		head := byte(evs[i].Kind)&0x7f | byte(evs[i].Endpoint&1)<<7
		key := head&31 | head&0x80
		pred := byHead[key]
		if pred == nil {
			pred = new(eventRecord)
			byHead[key] = pred
		}
		var groups byte
		b = append(b, head)
		mark := len(b)
		b = append(b, 0)
		for g := range 7 {
			bitsAt, bits := -1, byte(0)
			for j := range 8 {
				prev := pred[g*8+j]
				if g == 0 {
					prev = last[j] // the time: the previous event's
				}
				o := cur[g*8+j] ^ prev
				if o == 0 {
					continue
				}
				if bitsAt < 0 {
					groups |= 1 << g
					bitsAt = len(b)
					b = append(b, 0)
				}
				bits |= 1 << j
				b = append(b, o)
			}
			if bitsAt >= 0 {
				b[bitsAt] = bits
			}
		}
		b[mark] = groups
		*pred, last = cur, cur
	}
	return b
}

// put lays out the record octet by octet, as eventRecord.event reads it.
func (r *eventRecord) put(e *emulator.Event) {
	le := binary.LittleEndian
	le.PutUint64(r[0:], uint64(e.Time))
	le.PutUint32(r[8:], uint32(e.Endpoint))
	r[12], r[13], r[14], r[15] = byte(e.Kind), byte(e.Cause), byte(e.From), byte(e.To)
	le.PutUint16(r[16:], uint16(e.Rule))
	r[18], r[19], r[20], r[21] = byte(e.Timer), byte(e.Call), byte(e.Err), byte(e.Drop)
	le.PutUint32(r[22:], uint32(e.Seg.Src))
	le.PutUint32(r[26:], uint32(e.Seg.Dst))
	le.PutUint32(r[30:], uint32(e.Seg.Seq))
	le.PutUint32(r[34:], uint32(e.Seg.Ack))
	le.PutUint32(r[38:], uint32(e.Seg.Len)) // 32 bits: room to grow
	le.PutUint16(r[42:], e.Seg.Window)
	r[44] = byte(e.Seg.Flags)
	le.PutUint16(r[45:], e.Seg.MSS)
	le.PutUint64(r[47:], uint64(e.Value))
}

// nonZeroOctets marks exactly the non-zero octets, for every pattern of
// them and any values they hold.
func TestNonZeroOctets(t *testing.T) {
	for want := range 256 {
		for _, v := range []byte{1, 0x80, 0xff, 0x10} {
			var x uint64
			for j := range 8 {
				if want&(1<<j) != 0 {
					x |= uint64(v+byte(j)|1) << (8 * j)
				}
			}
			if got := nonZeroOctets(x); got != byte(want) {
				t.Fatalf("nonZeroOctets(%#x) = %08b, want %08b", x, got, want)
			}
		}
	}
}

// encodeEvents writes the reference form octet for octet, after whatever
// b already held.
func TestEncodeEventsMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		evs := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) emulator.Event {
			small := rapid.IntRange(0, 3)
			return emulator.Event{
				Time: time.Duration(rapid.Int64().Draw(t, "t")), Endpoint: emulator.EndpointID(small.Draw(t, "ep")),
				Kind: emulator.Kind(small.Draw(t, "k")), Rule: tcp.Rule(rapid.Uint16().Draw(t, "rule")),
				Seg: emulator.SegmentHeader{
					Seq: seqnum.Value(rapid.Uint32().Draw(t, "seq")), Len: rapid.Uint16().Draw(t, "len"),
					Window: rapid.Uint16().Draw(t, "win"), Flags: tcp.Flags(small.Draw(t, "flags")),
				},
				Value: int64(small.Draw(t, "value")) << rapid.IntRange(0, 62).Draw(t, "shift"),
			}
		}), 0, 30).Draw(t, "evs")
		prefix := rapid.SliceOfN(rapid.Byte(), 0, 5).Draw(t, "prefix")
		want := encodeEventsRef(evs, append([]byte(nil), prefix...))
		got := encodeEvents(evs, append([]byte(nil), prefix...))
		if string(got) != string(want) {
			t.Fatalf("encodeEvents = %x, want %x", got, want)
		}
	})
}

// BenchmarkEncodeEvents encodes the events of lifecycles as the bench
// runs them (emuctl bench lifecycles): what each journaled Batch costs.
func BenchmarkEncodeEvents(b *testing.B) {
	evs := lifecycleEvents(b)
	buf := make([]byte, 0, len(evs)*64)
	b.SetBytes(int64(len(evs)))
	b.ReportAllocs()
	for b.Loop() {
		buf = encodeEvents(evs, buf[:0])
	}
	b.ReportMetric(float64(len(buf))/float64(len(evs)), "octets/event")
}
