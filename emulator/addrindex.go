package emulator

import (
	"encoding/binary"
	"net/netip"

	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// addrIndex finds the handle of an interned address (Session.intern). An
// IPv4 address and port — the common case — is keyed by one word, which
// the map hashes and compares as a machine word; any other address by its
// netip.AddrPort, a 24-octet key behind a generic hash. Every Connect
// interns both of its addresses, and with 100,000 connections in flight
// the lookup of a client's address was a twelfth of the time.
type addrIndex struct {
	v4    map[uint64]tcp.AddrID
	other map[netip.AddrPort]tcp.AddrID
}

func newAddrIndex() addrIndex {
	return addrIndex{v4: make(map[uint64]tcp.AddrID), other: make(map[netip.AddrPort]tcp.AddrID)}
}

// v4Key is ap as one word, if its address is IPv4 (not IPv4-mapped IPv6).
func v4Key(ap netip.AddrPort) (uint64, bool) {
	ip := ap.Addr()
	if !ip.Is4() {
		return 0, false
	}
	// As16 rather than As4, which the inliner prices for its panic: an
	// IPv4 address's octets are the last four of its IPv4-mapped form.
	a := ip.As16()
	return uint64(binary.BigEndian.Uint32(a[12:]))<<16 | uint64(ap.Port()), true
}

func (x *addrIndex) get(ap netip.AddrPort) (tcp.AddrID, bool) {
	if k, ok := v4Key(ap); ok {
		id, found := x.v4[k]
		return id, found
	}
	id, found := x.other[ap]
	return id, found
}

func (x *addrIndex) put(ap netip.AddrPort, id tcp.AddrID) {
	if k, ok := v4Key(ap); ok {
		x.v4[k] = id
		return
	}
	x.other[ap] = id
}
