package emulator

import (
	"net/netip"
	"testing"

	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// IsOpen agrees with State for a listener, a connecting endpoint, an
// aborted one and IDs that never were.
func TestIsOpenAgreesWithState(t *testing.T) {
	s, err := New(Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	lis, _, err := s.Listen(netip.MustParseAddrPort("10.0.0.2:80"), EndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := s.Connect(netip.MustParseAddrPort("10.0.0.1:1000"), netip.MustParseAddrPort("10.0.0.2:80"), nil, EndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	aborted, _, err := s.Connect(netip.MustParseAddrPort("10.0.0.1:1001"), netip.MustParseAddrPort("10.0.0.2:80"), nil, EndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Abort(aborted); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id   EndpointID
		open bool
	}{{lis, true}, {conn, true}, {aborted, false}, {0, false}, {aborted + 100, false}} {
		st, err := s.State(c.id)
		if fromState := err == nil && st != tcp.Closed; fromState != c.open || s.IsOpen(c.id) != c.open {
			t.Fatalf("endpoint %d: IsOpen %v, State %v (%v); want open=%v", c.id, s.IsOpen(c.id), st, err, c.open)
		}
	}
}
