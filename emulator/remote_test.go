package emulator

import (
	"net/netip"
	"testing"
)

// Remote agrees with Status for a listener (no remote yet), a client, the
// child the listener forked for it, and an ID that never was.
func TestRemoteAgreesWithStatus(t *testing.T) {
	s, err := New(Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	server, client := netip.MustParseAddrPort("10.0.0.2:80"), netip.MustParseAddrPort("10.0.0.1:1000")
	lis, _, err := s.Listen(server, EndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := s.Connect(client, server, nil, EndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunUntilIdle(1000); err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(lis)
	if err != nil || len(st.Children) != 1 {
		t.Fatalf("listener: %+v, %v; want one child", st, err)
	}
	child := st.Children[0]
	for _, c := range []struct {
		id   EndpointID
		want netip.AddrPort
	}{{lis, netip.AddrPort{}}, {conn, server}, {child, client}} {
		got, err := s.Remote(c.id)
		st, serr := s.Status(c.id)
		if err != nil || serr != nil || got != c.want || got != st.Remote {
			t.Errorf("endpoint %d: Remote %v (%v), Status.Remote %v (%v); want %v", c.id, got, err, st.Remote, serr, c.want)
		}
	}
	if _, err := s.Remote(child + 100); err == nil {
		t.Error("Remote of an endpoint that never was: no error")
	}
}
