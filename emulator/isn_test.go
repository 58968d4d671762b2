package emulator

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestISNMessage: iss hashes exactly the 36-octet message RFC 6528's F
// is defined on here — local ip, local port, remote ip, remote port — as
// SipHash-2-4 of that buffer laid out octet by octet, for IPv4 and IPv6
// addresses alike. ISNs are in every event log, so a different word
// layout would change them all.
func TestISNMessage(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		addr := func(name string) netip.AddrPort {
			var ip netip.Addr
			if rapid.Bool().Draw(t, name+" v6") {
				ip = netip.AddrFrom16([16]byte(rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, name+" ip6")))
			} else {
				ip = netip.AddrFrom4([4]byte(rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, name+" ip4")))
			}
			return netip.AddrPortFrom(ip, rapid.Uint16().Draw(t, name+" port"))
		}
		g := newISNGenerator(rapid.Uint64().Draw(t, "seed"))
		local, remote := addr("local"), addr("remote")
		now := time.Duration(rapid.Int64Range(0, 1<<62).Draw(t, "now"))

		var buf [36]byte
		a, b := local.Addr().As16(), remote.Addr().As16()
		copy(buf[0:16], a[:])
		binary.LittleEndian.PutUint16(buf[16:], local.Port())
		copy(buf[18:34], b[:])
		binary.LittleEndian.PutUint16(buf[34:], remote.Port())
		want := uint32(now/(4*time.Microsecond)) + uint32(sipHashBytes(g.k0, g.k1, buf[:]))
		if got := g.iss(now, local, remote); uint32(got) != want {
			t.Fatalf("iss(%v, %v, %v) = %d, want %d", now, local, remote, got, want)
		}
	})
}

// TestSipHashVector: SipHash-2-4 gives the paper's test vector (Appendix
// A: key 00 01 … 0f, message 00 01 … 0e).
func TestSipHashVector(t *testing.T) {
	k0 := binary.LittleEndian.Uint64([]byte{0, 1, 2, 3, 4, 5, 6, 7})
	k1 := binary.LittleEndian.Uint64([]byte{8, 9, 10, 11, 12, 13, 14, 15})
	msg := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}
	if got, want := sipHashBytes(k0, k1, msg), uint64(0xa129ca6149be45e5); got != want {
		t.Fatalf("SipHash-2-4 = %#x, want %#x", got, want)
	}
}

// sipHashBytes is SipHash-2-4 of any message, read into words as the
// algorithm reads it.
func sipHashBytes(k0, k1 uint64, msg []byte) uint64 {
	var words []uint64
	n := len(msg)
	for ; len(msg) >= 8; msg = msg[8:] {
		words = append(words, binary.LittleEndian.Uint64(msg))
	}
	last := uint64(n) << 56
	for i, c := range msg {
		last |= uint64(c) << (8 * i)
	}
	return sipHash24(k0, k1, words, last)
}
