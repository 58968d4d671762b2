package emulator

import (
	"bytes"
	"net/netip"
	"reflect"
	"testing"
)

// ReceiveInto reads what Receive reads and logs the same events: the
// caller's buffer changes where the octets land, nothing the peer or the
// log can see. Two sessions run one story; one reads with Receive, the
// other with ReceiveInto, in reads smaller, equal to and larger than what
// is queued, and past the peer's FIN.
func TestReceiveIntoIsReceive(t *testing.T) {
	type read func(s *Session, id EndpointID, max int) ([]byte, bool, error)
	viaReceive := func(s *Session, id EndpointID, max int) ([]byte, bool, error) {
		data, eof, _, err := s.Receive(id, max)
		return data, eof, err
	}
	buf := make([]byte, 64)
	viaInto := func(s *Session, id EndpointID, max int) ([]byte, bool, error) {
		data, eof, _, err := s.ReceiveInto(id, buf[:max])
		return bytes.Clone(data), eof, err
	}
	story := func(rd read) (reads []string, log []Event) {
		s, err := New(Config{Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		srv := netip.MustParseAddrPort("10.0.0.2:80")
		lis, _, err := s.Listen(srv, EndpointOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := s.Connect(netip.MustParseAddrPort("10.0.0.1:1000"), srv, nil, EndpointOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RunUntilIdle(100); err != nil {
			t.Fatal(err)
		}
		a, err := s.Accept(lis)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Send(c, []byte("hello, world")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Close(c); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RunUntilIdle(100); err != nil {
			t.Fatal(err)
		}
		for _, max := range []int{0, 5, 5, 64, 64} {
			data, eof, err := rd(s, a, max)
			reads = append(reads, string(data)+"|"+boolStr(eof)+"|"+errStr(err))
		}
		return reads, s.Events(0)
	}
	wantReads, wantLog := story(viaReceive)
	gotReads, gotLog := story(viaInto)
	if !reflect.DeepEqual(gotReads, wantReads) {
		t.Errorf("reads: ReceiveInto %q, Receive %q", gotReads, wantReads)
	}
	if want := []string{"||", "hello||", ", wor||", "ld|true|", "|true|error: connection closing"}; !reflect.DeepEqual(wantReads, want) {
		t.Errorf("Receive read %q, want %q", wantReads, want)
	}
	if !reflect.DeepEqual(gotLog, wantLog) {
		t.Errorf("the logs differ: ReceiveInto logged %d events, Receive %d", len(gotLog), len(wantLog))
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return ""
}

func errStr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
