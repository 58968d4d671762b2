// Package wire is the byte-level encoding of session snapshots: unsigned
// and zig-zag varints (encoding/binary), fixed-width words, booleans and
// length-prefixed byte strings. The emulator and its tcp package both write
// and read their parts of a snapshot with it.
//
// The Reader is strict, so that a snapshot has exactly one encoding: a
// varint with a redundant trailing 0x80…00 group, a boolean other than 0 or
// 1, or a value out of the range the caller asks for is an error, never
// silently accepted. Errors are sticky: after the first one every read
// returns zero and Err reports the first, with the byte offset and the field
// being read. No read allocates more than the remaining input could fill.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math"
)

// ErrTruncated means the input ended in the middle of a field.
var ErrTruncated = errors.New("truncated")

// Writer appends fields to a byte slice, B. With a Sink, Spill hands what
// has been written so far to it and starts again: a hash of a large
// encoding needs no buffer of its size.
type Writer struct {
	B    []byte
	Sink hash.Hash
}

// spillAt is how much a Writer with a Sink gathers before Spill passes it on.
const spillAt = 32 << 10

// Spill passes the bytes written so far to the Sink, if there is one and
// enough of them; the encoder calls it between records.
func (w *Writer) Spill() {
	if w.Sink != nil && len(w.B) >= spillAt {
		w.Flush()
	}
}

// Flush passes every byte written so far to the Sink.
func (w *Writer) Flush() {
	w.Sink.Write(w.B) // a hash never fails
	w.B = w.B[:0]
}

// Uint writes an unsigned varint.
func (w *Writer) Uint(v uint64) { w.B = binary.AppendUvarint(w.B, v) }

// Int writes a zig-zag varint (durations, signed counts).
func (w *Writer) Int(v int64) { w.B = binary.AppendVarint(w.B, v) }

// Byte writes one byte (enumerations).
func (w *Writer) Byte(v byte) { w.B = append(w.B, v) }

// Bool writes 0 or 1.
func (w *Writer) Bool(v bool) {
	if v {
		w.B = append(w.B, 1)
	} else {
		w.B = append(w.B, 0)
	}
}

// Fixed64 writes eight bytes, little-endian (keys and RNG states, which are
// uniformly random and would only grow as varints).
func (w *Writer) Fixed64(v uint64) { w.B = binary.LittleEndian.AppendUint64(w.B, v) }

// Float writes a float64's IEEE 754 bits, so that it reads back exactly.
func (w *Writer) Float(f float64) { w.Fixed64(math.Float64bits(f)) }

// Bytes writes a length-prefixed byte string.
func (w *Writer) Bytes(b []byte) {
	w.Uint(uint64(len(b)))
	w.B = append(w.B, b...)
}

// String writes a length-prefixed string.
func (w *Writer) String(s string) {
	w.Uint(uint64(len(s)))
	w.B = append(w.B, s...)
}

// Reader reads fields from a byte slice.
type Reader struct {
	b     []byte
	off   int
	start int // where the field read last (or being read) starts
	err   error
}

// NewReader reads b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err is the first error met, or nil.
func (r *Reader) Err() error { return r.err }

// Offset is how many bytes have been read.
func (r *Reader) Offset() int { return r.off }

// Len is how many bytes remain.
func (r *Reader) Len() int { return len(r.b) - r.off }

// Failf records an error about the field what (unless one was recorded
// already), at the offset where the field read last starts: the caller's
// own checks of a value it read report through it, so that every error
// names the field and where it is.
func (r *Reader) Failf(what, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s at byte %d: %s", what, r.start, fmt.Sprintf(format, args...))
	}
}

func (r *Reader) truncated(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s at byte %d: %w", what, r.start, ErrTruncated)
	}
}

// Uint reads an unsigned varint.
func (r *Reader) Uint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	r.start = r.off
	v, n := binary.Uvarint(r.b[r.off:])
	switch {
	case n == 0:
		r.truncated(what)
		return 0
	case n < 0:
		r.Failf(what, "varint overflows 64 bits")
		return 0
	case n > 1 && r.b[r.off+n-1] == 0:
		r.Failf(what, "varint is not minimally encoded")
		return 0
	}
	r.off += n
	return v
}

// UintMax reads an unsigned varint that must not exceed max.
func (r *Reader) UintMax(what string, max uint64) uint64 {
	v := r.Uint(what)
	if v > max {
		r.Failf(what, "%d is larger than %d", v, max)
		return 0
	}
	return v
}

// Uint32 reads an unsigned varint of at most 32 bits.
func (r *Reader) Uint32(what string) uint32 { return uint32(r.UintMax(what, math.MaxUint32)) }

// Uint16 reads an unsigned varint of at most 16 bits.
func (r *Reader) Uint16(what string) uint16 { return uint16(r.UintMax(what, math.MaxUint16)) }

// Uint8 reads an unsigned varint of at most 8 bits.
func (r *Reader) Uint8(what string) uint8 { return uint8(r.UintMax(what, math.MaxUint8)) }

// Int reads a zig-zag varint.
func (r *Reader) Int(what string) int64 {
	u := r.Uint(what)
	return int64(u>>1) ^ -int64(u&1)
}

// IntRange reads a zig-zag varint that must lie in [lo, hi].
func (r *Reader) IntRange(what string, lo, hi int64) int64 {
	v := r.Int(what)
	if v < lo || v > hi {
		r.Failf(what, "%d is outside [%d, %d]", v, lo, hi)
		return 0
	}
	return v
}

// Byte reads one byte.
func (r *Reader) Byte(what string) byte {
	if r.err != nil {
		return 0
	}
	r.start = r.off
	if r.off >= len(r.b) {
		r.truncated(what)
		return 0
	}
	v := r.b[r.off]
	r.off++
	return v
}

// Enum reads one byte that must be below n.
func (r *Reader) Enum(what string, n int) byte {
	v := r.Byte(what)
	if int(v) >= n {
		r.Failf(what, "%d is not one of the %d known values", v, n)
		return 0
	}
	return v
}

// Bool reads a 0 or a 1.
func (r *Reader) Bool(what string) bool {
	v := r.Byte(what)
	if v > 1 {
		r.Failf(what, "%d is not a boolean", v)
		return false
	}
	return v == 1
}

// Fixed64 reads eight little-endian bytes.
func (r *Reader) Fixed64(what string) uint64 {
	b := r.Raw(what, 8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// Float reads a float64's bits.
func (r *Reader) Float(what string) float64 { return math.Float64frombits(r.Fixed64(what)) }

// Raw returns the next n bytes of the input itself (nil on error).
func (r *Reader) Raw(what string, n int) []byte {
	if r.err != nil {
		return nil
	}
	r.start = r.off
	if n > len(r.b)-r.off {
		r.truncated(what)
		return nil
	}
	b := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return b
}

// Bytes reads a length-prefixed byte string and returns a copy of it
// (nil for an empty one).
func (r *Reader) Bytes(what string) []byte {
	b := r.Raw(what, r.Count(what, 1))
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// String reads a length-prefixed string.
func (r *Reader) String(what string) string {
	return string(r.Raw(what, r.Count(what, 1)))
}

// Count reads the length of a list whose elements take at least minSize
// bytes each, and fails if the rest of the input could not hold them: a
// corrupt length never makes the reader allocate more than the input.
func (r *Reader) Count(what string, minSize int) int {
	n := r.Uint(what)
	if r.err != nil {
		return 0
	}
	if n > uint64(r.Len()/max(minSize, 1)) {
		r.Failf(what, "%d elements cannot fit in the %d bytes left", n, r.Len())
		return 0
	}
	return int(n)
}

// End fails unless the whole input was read.
func (r *Reader) End() {
	if r.err == nil && r.off != len(r.b) {
		r.start = r.off
		r.Failf("end of snapshot", "%d bytes of trailing garbage", len(r.b)-r.off)
	}
}
