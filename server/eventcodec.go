package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	"github.com/tcpemu/tcpemu/store"
)

// The stored form of events. The emulator's Event holds codes and numbers
// only, so it is stored exactly and rendered to the API on reading, like
// a live one. Each event is first laid out as a fixed 55-octet record
// (little-endian; the seq is implied by its place), then XORed with a
// prediction of it, so that most octets become zero. The prediction is
// the last event of the same kind whose endpoint ID has the same low bit
// (a connection's two ends usually have neighbouring IDs, and their
// events alternate): a segment sent is most like the previous segment
// that end sent, a timer armed like the previous timer armed — far
// closer than the previous event, which is often of another kind. Only
// the time (the first group) is predicted by the previous event, which
// mostly shares it.
//
// What is written for an event: a head octet, the event's kind (below
// 128) with the endpoint ID's low bit as its top bit, which picks the
// prediction; a byte saying which of the record's seven 8-octet groups
// differ from the prediction; for each such group a byte saying which of
// its octets do; and those octets XORed. About 8.5 octets an event on
// connection lifecycles (16.75 when the previous event was the
// prediction), which is most of what persisting costs: it is written
// twice, the journal, then the database.
const eventSize = 55

// eventRecord is the fixed layout, padded to seven whole groups: event
// reads it (encodeEvents computes its groups as words, eventWords).
type eventRecord [56]byte

func (r *eventRecord) event(seq uint64) emulator.Event {
	le := binary.LittleEndian
	return emulator.Event{
		Seq: seq, Time: time.Duration(le.Uint64(r[0:])), Endpoint: emulator.EndpointID(le.Uint32(r[8:])),
		Kind: emulator.Kind(r[12]), Cause: emulator.Cause(r[13]), From: tcp.State(r[14]), To: tcp.State(r[15]),
		Rule: tcp.Rule(le.Uint16(r[16:])), Timer: tcp.Timer(r[18]), Call: emulator.Call(r[19]),
		Err: tcp.Error(r[20]), Drop: emulator.DropReason(r[21]),
		Seg: emulator.SegmentHeader{
			Src: tcp.AddrID(le.Uint32(r[22:])), Dst: tcp.AddrID(le.Uint32(r[26:])),
			Seq: seqnum.Value(le.Uint32(r[30:])), Ack: seqnum.Value(le.Uint32(r[34:])),
			Len: uint16(le.Uint32(r[38:])), Window: le.Uint16(r[42:]),
			Flags: tcp.Flags(r[44]), MSS: le.Uint16(r[45:]),
		},
		Value: int64(le.Uint64(r[47:])),
	}
}

// eventWords is an event's record as its seven groups, each read as a
// little-endian uint64: what put lays out, computed without the octets.
type eventWords [7]uint64

func (w *eventWords) set(e *emulator.Event) {
	src, seq, ln, v := uint64(e.Seg.Src), uint64(e.Seg.Seq), uint64(e.Seg.Len), uint64(e.Value)
	w[0] = uint64(e.Time)
	w[1] = uint64(uint32(e.Endpoint)) | uint64(e.Kind)<<32 | uint64(e.Cause)<<40 | uint64(e.From)<<48 | uint64(e.To)<<56
	w[2] = uint64(e.Rule) | uint64(e.Timer)<<16 | uint64(e.Call)<<24 | uint64(e.Err)<<32 | uint64(e.Drop)<<40 | src&0xffff<<48
	w[3] = src>>16 | uint64(e.Seg.Dst)<<16 | seq&0xffff<<48
	w[4] = seq>>16 | uint64(e.Seg.Ack)<<16 | ln&0xffff<<48
	w[5] = ln>>16 | uint64(e.Seg.Window)<<16 | uint64(e.Seg.Flags)<<32 | uint64(e.Seg.MSS)<<40 | v&0xff<<56
	w[6] = v >> 8
}

// predictions are what an event is XORed with, one per head octet's kind
// (mod 32) and endpoint bit; the encoder and the decoder update them
// alike. The encoder keeps words, the decoder records.
type (
	predictions [64]eventWords
	recordPreds [64]eventRecord
)

// headOf is an event's head octet: its kind and its endpoint's low bit.
func headOf(e *emulator.Event) byte { return byte(e.Kind)&0x7f | byte(e.Endpoint&1)<<7 }

// slotOf is the prediction a head octet picks.
func slotOf(h byte) int { return int(h&31) | int(h>>7)<<5 }

// eventEncoder writes a run of events in the stored form, in as many
// pieces as the caller has them (the log keeps them in two buffers).
type eventEncoder struct {
	pred     predictions
	lastTime uint64
}

// encodeEvents appends evs, in the stored form, to b.
func encodeEvents(evs []emulator.Event, b []byte) []byte {
	var enc eventEncoder
	return enc.encode(evs, b)
}

// encode appends evs, which continue the run, to b. It is on every
// journaled call's path, so it makes room for an event's worst case at
// once and writes by index, works on whole groups as words, and finds a
// group's non-zero octets with bit tricks rather than testing them one
// by one (encodeEventsRef in the tests is the plain form it must match
// octet for octet).
func (enc *eventEncoder) encode(evs []emulator.Event, b []byte) []byte {
	const worst = 2 + 7*9 // the head and groups bytes, and each group's bits byte and octets
	n := len(b)
	b = b[:cap(b)]
	var cur eventWords
	lastTime := enc.lastTime
	for i := range evs {
		if len(b)-n < worst {
			b = slices.Grow(b[:n], worst)
			b = b[:cap(b)]
		}
		e := &evs[i]
		cur.set(e)
		h := headOf(e)
		p := &enc.pred[slotOf(h)]
		p[0] = lastTime // the time is predicted by the previous event
		lastTime = cur[0]
		b[n] = h
		mark := n + 1
		n += 2
		var groups byte
		for g := range 7 {
			x := cur[g] ^ p[g]
			if x == 0 {
				continue
			}
			p[g] = cur[g]
			groups |= 1 << g
			mask := nonZeroOctets(x)
			b[n] = mask
			n++
			for m := uint(mask); m != 0; m &= m - 1 {
				b[n] = byte(x >> (8 * bits.TrailingZeros(m)))
				n++
			}
		}
		b[mark] = groups
	}
	enc.lastTime = lastTime
	return b[:n]
}

// nonZeroOctets is a byte whose bit j says octet j of x is not zero.
func nonZeroOctets(x uint64) byte {
	const lsb = 0x0101010101010101
	x |= x >> 4 // fold each octet onto its lowest bit
	x |= x >> 2
	x |= x >> 1
	x &= lsb
	// Gather the eight bits into the top octet: octet j's bit lands at
	// 56+j, and no two partial products carry into one another.
	return byte((x * 0x0102040810204080) >> 56)
}

var errBadEvents = errors.New("stored events do not decode")

// decodeEvents reads count stored events numbered from seq first and
// appends those with seq ≥ from, at most n in all, to out. What follows
// the events must be their names' dictionary (eventnames.go), or nothing.
func decodeEvents(b []byte, first uint64, count uint32, from uint64, n int, out []emulator.Event) ([]emulator.Event, error) {
	return decodeChunk(b, first, count, from, n, out, nil)
}

// decodeChunk is decodeEvents that also reads the dictionary into names
// (unless nil).
func decodeChunk(b []byte, first uint64, count uint32, from uint64, n int, out []emulator.Event, names map[emulator.EndpointID]storedName) ([]emulator.Event, error) {
	var (
		pred recordPreds
		rec  eventRecord // the event being decoded
		last eventRecord
	)
	for i := range uint64(count) {
		if len(b) < 2 {
			return out, errBadEvents
		}
		h, groups := b[0], b[1]
		b = b[2:]
		p := &pred[slotOf(h)]
		rec = *p
		copy(rec[:8], last[:8]) // the time is predicted by the previous event
		for g := range 7 {
			if groups&(1<<g) == 0 {
				continue
			}
			if len(b) == 0 {
				return out, errBadEvents
			}
			bits := b[0]
			b = b[1:]
			for j := g * 8; j < g*8+8; j++ {
				if bits&(1<<(j-g*8)) != 0 {
					if len(b) == 0 {
						return out, errBadEvents
					}
					rec[j] ^= b[0]
					b = b[1:]
				}
			}
		}
		if rec[12]&0x7f != h&0x7f || rec[8]&1 != h>>7 {
			return out, errBadEvents // the head names another kind or endpoint than the record
		}
		*p, last = rec, rec
		if seq := first + i; seq >= from && len(out) < n {
			out = append(out, rec.event(seq))
		}
	}
	return out, readNames(b, names)
}

// chunkEvents decodes the events of chunks with core seq ≥ from, at most
// n of them, and their names into names.
func chunkEvents(chunks []store.Chunk, from uint64, n int, out []emulator.Event, names map[emulator.EndpointID]storedName) ([]emulator.Event, error) {
	for _, ch := range chunks {
		var err error
		if out, err = decodeChunk(ch.Data, ch.FirstSeq, ch.Count, from, n, out, names); err != nil {
			return out, fmt.Errorf("stored events from seq %d: %w", apiSeq(ch.FirstSeq), err)
		}
	}
	return out, nil
}
