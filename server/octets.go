package server

import (
	"encoding/binary"
	"net/netip"
)

// The binary fields of the server's stored records (endpoint records in
// snapshots, event names in chunks): uvarints, and octet strings and
// addresses prefixed with their uvarint length.

func appendStr[T string | []byte](b []byte, v T) []byte {
	return append(binary.AppendUvarint(b, uint64(len(v))), v...)
}

func appendAddr(b []byte, a netip.AddrPort) []byte {
	// Written in place behind a one-octet length, which it nearly always
	// fits (a zone name may make it longer): no allocation.
	mark := len(b)
	b, _ = a.AppendBinary(append(b, 0)) // never fails
	if n := len(b) - mark - 1; n < 0x80 {
		b[mark] = byte(n)
		return b
	}
	v, _ := a.MarshalBinary()
	return appendStr(b[:mark], v)
}

// octets reads those fields; once one is cut short or malformed, bad is
// set and every later read returns a zero value.
type octets struct {
	b   []byte
	bad bool
}

func (o *octets) uvarint() uint64 {
	if o.bad {
		return 0
	}
	v, k := binary.Uvarint(o.b)
	if k <= 0 {
		o.bad = true
		return 0
	}
	o.b = o.b[k:]
	return v
}

// field is a length-prefixed octet string; it aliases the input.
func (o *octets) field() []byte {
	n := o.uvarint()
	if o.bad || n > uint64(len(o.b)) {
		o.bad = true
		return nil
	}
	v := o.b[:n]
	o.b = o.b[n:]
	return v
}

func (o *octets) addr() netip.AddrPort {
	var a netip.AddrPort
	if v := o.field(); !o.bad && a.UnmarshalBinary(v) != nil {
		o.bad = true
	}
	return a
}

func (o *octets) octet() byte {
	if o.bad || len(o.b) == 0 {
		o.bad = true
		return 0
	}
	v := o.b[0]
	o.b = o.b[1:]
	return v
}
