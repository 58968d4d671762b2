package emulator

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
)

// isnGenerator selects initial sequence numbers the way RFC 6528 §3
// proposes: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
// where M is a timer ticking every 4 µs — here the session's virtual clock —
// and F is a keyed hash (SipHash-2-4) whose key comes from the session seed.
// The same seed and the same calls give the same ISNs.
type isnGenerator struct {
	k0, k1 uint64
}

func newISNGenerator(seed uint64) isnGenerator {
	// Spread the seed into a 128-bit key (splitmix64 steps).
	return isnGenerator{k0: splitmix(seed), k1: splitmix(seed ^ 0x9e3779b97f4a7c15)}
}

// iss is ISN = M + F(local, remote, key). F's message is the local ip (16
// octets, IPv4 as IPv4-mapped IPv6), the local port (2, little-endian),
// the remote ip and the remote port: 36 octets, which SipHash reads as four
// little-endian words and a last one holding the remaining four octets and
// the length. The words are taken straight from the addresses rather than
// from a buffer laid out first (TestISNMessage checks them against one).
func (g isnGenerator) iss(now time.Duration, local, remote netip.AddrPort) seqnum.Value {
	a, b := local.Addr().As16(), remote.Addr().As16()
	le := binary.LittleEndian
	m0, m1 := le.Uint64(a[0:]), le.Uint64(a[8:])
	m2 := uint64(local.Port()) | le.Uint64(b[0:])<<16 // port, then b[0:6]
	m3 := le.Uint64(b[6:])
	last := uint64(le.Uint16(b[14:])) | uint64(remote.Port())<<16 | isnMessageLen<<56
	m := uint32(now / (4 * time.Microsecond))
	return seqnum.Value(m + uint32(sipHash24(g.k0, g.k1, []uint64{m0, m1, m2, m3}, last)))
}

// isnMessageLen is the length of F's message in octets.
const isnMessageLen = 36

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// sipHash24 is SipHash-2-4 (Aumasson and Bernstein, 2012) of a message
// given as its full little-endian words m and its last word (the final
// octets, with the message's length in the top octet, as the algorithm
// pads them).
func sipHash24(k0, k1 uint64, m []uint64, last uint64) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13) ^ v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16) ^ v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21) ^ v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17) ^ v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	for _, w := range m {
		v3 ^= w
		round()
		round()
		v0 ^= w
	}
	v3 ^= last
	round()
	round()
	v0 ^= last
	v2 ^= 0xff
	round()
	round()
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}
