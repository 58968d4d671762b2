package server

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
)

// appendAddr writes an address as its length-prefixed MarshalBinary
// form (the stored format), whatever its length, after what b held, and
// octets reads it back.
func TestAppendAddrIsLengthPrefixedBinary(t *testing.T) {
	addrs := []netip.AddrPort{{}} // the zero one too: a record without a remote
	for _, s := range []string{
		"10.0.0.1:80", "[2001:db8::1]:443", "[fe80::1%eth0]:22",
		"[fe80::1%" + strings.Repeat("z", 140) + "]:7", // length past one uvarint octet
	} {
		addrs = append(addrs, netip.MustParseAddrPort(s))
	}
	for _, a := range addrs {
		s := a.String()
		v, _ := a.MarshalBinary()
		want := appendStr([]byte{9}, v)
		got := appendAddr([]byte{9}, a)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: %x, want %x", s, got, want)
		}
		o := octets{b: got[1:]}
		if back := o.addr(); o.bad || back != a || len(o.b) != 0 {
			t.Fatalf("%s: read back %v (bad %v, %d octets left)", s, back, o.bad, len(o.b))
		}
	}
}
