package wire

import (
	"errors"
	"math"
	"testing"
)

// TestReaderRejectsWhatWriterNeverWrites: each malformed field gives its
// own error, naming the field and the byte it starts at, and the first
// error sticks.
func TestReaderRejectsWhatWriterNeverWrites(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []byte
		read func(r *Reader)
		want string
	}{
		{"empty", nil, func(r *Reader) { r.Uint("n") }, "n at byte 0: truncated"},
		{"unfinished varint", []byte{0x80}, func(r *Reader) { r.Uint("n") }, "n at byte 0: truncated"},
		{"non-minimal varint", []byte{0x81, 0x00}, func(r *Reader) { r.Uint("n") }, "n at byte 0: varint is not minimally encoded"},
		{"overflowing varint", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, func(r *Reader) { r.Uint("n") },
			"n at byte 0: varint overflows 64 bits"},
		{"too large", []byte{0x80, 0x02}, func(r *Reader) { r.Uint8("b") }, "b at byte 0: 256 is larger than 255"},
		{"out of range", []byte{0x03}, func(r *Reader) { r.IntRange("i", 0, 1) }, "i at byte 0: -2 is outside [0, 1]"},
		{"not a boolean", []byte{1, 2}, func(r *Reader) { r.Bool("a"); r.Bool("b") }, "b at byte 1: 2 is not a boolean"},
		{"unknown enum", []byte{9}, func(r *Reader) { r.Enum("kind", 3) }, "kind at byte 0: 9 is not one of the 3 known values"},
		{"count beyond input", []byte{5, 1, 2}, func(r *Reader) { r.Count("list", 1) }, "list at byte 0: 5 elements cannot fit in the 2 bytes left"},
		{"short bytes", []byte{4, 1}, func(r *Reader) { r.Bytes("data") }, "data at byte 0: 4 elements cannot fit in the 1 bytes left"},
		{"short fixed", []byte{1, 2, 3}, func(r *Reader) { r.Fixed64("key") }, "key at byte 0: truncated"},
		{"first error sticks", []byte{2, 9}, func(r *Reader) { r.Bool("a"); r.Bool("b"); r.Failf("c", "later") }, "a at byte 0: 2 is not a boolean"},
		{"trailing bytes", []byte{1, 7, 7}, func(r *Reader) { r.Uint("n"); r.End() }, "end of snapshot at byte 1: 2 bytes of trailing garbage"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := NewReader(c.in)
			c.read(r)
			if r.Err() == nil || r.Err().Error() != c.want {
				t.Errorf("error %v, want %s", r.Err(), c.want)
			}
		})
	}
	r := NewReader(nil)
	r.Uint("n")
	if !errors.Is(r.Err(), ErrTruncated) {
		t.Errorf("a truncation error %v does not wrap ErrTruncated", r.Err())
	}
}

// TestWriterReaderRoundTrip: every kind of field reads back as written.
func TestWriterReaderRoundTrip(t *testing.T) {
	var w Writer
	w.Uint(math.MaxUint64)
	w.Int(math.MinInt64)
	w.Int(-1)
	w.Byte(7)
	w.Bool(true)
	w.Fixed64(0x0102030405060708)
	w.Float(math.Inf(-1))
	w.Bytes([]byte("abc"))
	w.String("")
	r := NewReader(w.B)
	if v := r.Uint("u"); v != math.MaxUint64 {
		t.Errorf("Uint %d", v)
	}
	if v := r.Int("i"); v != math.MinInt64 {
		t.Errorf("Int %d", v)
	}
	if v := r.Int("i"); v != -1 {
		t.Errorf("Int %d", v)
	}
	if v := r.Byte("b"); v != 7 {
		t.Errorf("Byte %d", v)
	}
	if !r.Bool("bool") {
		t.Error("Bool false")
	}
	if v := r.Fixed64("f"); v != 0x0102030405060708 {
		t.Errorf("Fixed64 %x", v)
	}
	if v := r.Float("x"); !math.IsInf(v, -1) {
		t.Errorf("Float %v", v)
	}
	if v := r.Bytes("bytes"); string(v) != "abc" {
		t.Errorf("Bytes %q", v)
	}
	if v := r.String("s"); v != "" {
		t.Errorf("String %q", v)
	}
	r.End()
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
}
