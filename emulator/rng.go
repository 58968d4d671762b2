package emulator

import (
	"encoding/binary"
	"net/netip"
)

// rng is SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom
// number generators", OOPSLA 2014): one uint64 of state, full period 2^64,
// good enough statistics for loss and jitter draws, and — unlike
// math/rand — a sequence fixed by this file alone, so a session replays
// byte for byte on any Go version.
type rng struct{ state uint64 }

const golden = 0x9e3779b97f4a7c15

func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func (r *rng) next() uint64 {
	r.state += golden
	return mix64(r.state)
}

// chance draws "true" with probability p. 0 is exactly never and 1 exactly
// always, and neither consumes a draw: a path whose loss is 0 draws the
// same numbers for its other impairments as one with no loss field at all.
func (r *rng) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	// 53 random bits as a float in [0, 1).
	return float64(r.next()>>11)*(1.0/(1<<53)) < p
}

// upTo draws uniformly from [0, n] (n ≥ 0).
func (r *rng) upTo(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return int64(r.next() % uint64(n+1))
}

// pathRNG seeds one direction's generator from the session seed and the
// two hosts, so that what happens on one direction — a new rule, a new path,
// more traffic — never shifts the draws on another.
func pathRNG(seed uint64, from, to netip.Addr) rng {
	h := mix64(seed ^ 0x7463_7065_6d75_0001) // "tcpemu" domain separation
	for _, a := range [2]netip.Addr{from, to} {
		b := a.As16()
		h = mix64(h ^ binary.BigEndian.Uint64(b[:8]))
		h = mix64(h ^ binary.BigEndian.Uint64(b[8:]))
	}
	return rng{state: h}
}
