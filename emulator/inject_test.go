package emulator

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// A segment's payload fits IPv4's 16-bit total length, which events rely
// on: a bigger one is refused before it touches the session.
func TestInjectRefusesAPayloadNoSegmentCanCarry(t *testing.T) {
	s, err := New(Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	src, dst := netip.MustParseAddrPort("10.0.0.2:80"), netip.MustParseAddrPort("10.0.0.1:4000")
	next := s.NextSeq()
	_, err = s.Inject(src, dst, tcp.Segment{Flags: tcp.ACK, Payload: make([]byte, tcp.MaxPayload+1)})
	if !errors.Is(err, ErrInvalidSegment) {
		t.Fatalf("inject of %d octets: %v, want ErrInvalidSegment", tcp.MaxPayload+1, err)
	}
	if s.NextSeq() != next {
		t.Fatalf("the refused segment left %d events", s.NextSeq()-next)
	}
	evs, err := s.Inject(src, dst, tcp.Segment{Flags: tcp.ACK, Payload: make([]byte, tcp.MaxPayload)})
	if err != nil || len(evs) == 0 || evs[0].Seg.Len != tcp.MaxPayload {
		t.Fatalf("inject of %d octets: %v, events %v; want it delivered with its full length", tcp.MaxPayload, err, evs)
	}
}
