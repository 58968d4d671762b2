// Package seqnum holds TCP sequence numbers and the modulo-2^32 arithmetic
// RFC 9293 §3.4 prescribes for them.
//
// A raw uint32 comparison is wrong as soon as a connection's sequence space
// wraps, so every comparison in the emulator goes through this type.
package seqnum

// Value is a TCP sequence number: a point on the 2^32 circle.
type Value uint32

// Size is a distance along the sequence space (a length or a window).
type Size uint32

// LessThan reports v < w in sequence space (RFC 9293 §3.4: "=<" and "<"
// mean modulo 2^32 comparison). Two values more than 2^31 apart compare the
// way the shorter arc says.
func (v Value) LessThan(w Value) bool { return int32(v-w) < 0 }

// LessThanEq reports v =< w in sequence space.
func (v Value) LessThanEq(w Value) bool { return v == w || v.LessThan(w) }

// GreaterThan reports v > w in sequence space.
func (v Value) GreaterThan(w Value) bool { return w.LessThan(v) }

// GreaterThanEq reports v >= w in sequence space.
func (v Value) GreaterThanEq(w Value) bool { return w.LessThanEq(v) }

// InRange reports a =< v < b.
func (v Value) InRange(a, b Value) bool { return v-a < b-a }

// InWindow reports first =< v < first+size: RFC 9293 §3.10.7.4's
// "RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND". A zero-sized window holds nothing.
func (v Value) InWindow(first Value, size Size) bool { return v.InRange(first, first.Add(size)) }

// Add returns v+s, wrapping.
func (v Value) Add(s Size) Value { return v + Value(s) }

// Sub returns v-s, wrapping.
func (v Value) Sub(s Size) Value { return v - Value(s) }

// Size returns the distance from v forward to w (w-v modulo 2^32).
func (v Value) Size(w Value) Size { return Size(w - v) }

// Max returns the later of v and w in sequence space.
func Max(v, w Value) Value {
	if v.LessThan(w) {
		return w
	}
	return v
}

// Min returns the earlier of v and w in sequence space.
func Min(v, w Value) Value {
	if v.LessThan(w) {
		return v
	}
	return w
}
