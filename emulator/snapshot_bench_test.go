package emulator

import (
	"testing"

	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// benchSnapshotConns is the size of the snapshot benchmarks' session.
const benchSnapshotConns = 10_000

// benchSnapshotSession builds a session with 10,000 ESTABLISHED
// connections (20,000 endpoints, every child accepted), each with data in
// flight: the client has sent 1,000 octets that are on the wire,
// unacknowledged, with its retransmission timer armed, and the server has
// 100 octets received and not read.
func benchSnapshotSession(b *testing.B) *Session {
	b.Helper()
	s, srv, lid := benchSession(b)
	clients, servers := benchEstablish(b, s, srv, lid, benchSnapshotConns)
	for _, a := range servers {
		if _, err := s.Send(a, make([]byte, 100)); err != nil {
			b.Fatal(err)
		}
	}
	// Let the servers' 100 octets arrive, then put the clients' data on
	// the wire and stop before it arrives.
	if _, err := s.AdvanceBy(10*benchDelay, 0); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 1000)
	for _, c := range clients {
		if _, err := s.Send(c, data); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.AdvanceBy(benchDelay/2, 0); err != nil {
		b.Fatal(err)
	}
	for _, c := range clients[:10] {
		benchExpect(b, s, c, tcp.Established, "client")
		if ep, _ := s.lookup(c); ep.TCB().SndNxt == ep.TCB().SndUna || ep.RcvQueued() != 100 {
			b.Fatalf("client %d: %+v: want data in flight and 100 octets to read", c, ep.TCB())
		}
	}
	if s.eps.len() != 2*benchSnapshotConns+1 {
		b.Fatalf("%d endpoints, want %d", s.eps.len(), 2*benchSnapshotConns+1)
	}
	return s
}

// BenchmarkSnapshot measures Snapshot and RestoreSession of the session
// above; bytes is the snapshot's size and B/endpoint its share per
// endpoint.
func BenchmarkSnapshot(b *testing.B) {
	s := benchSnapshotSession(b)
	snap := s.Snapshot()
	b.Run("Snapshot", func(b *testing.B) {
		for b.Loop() {
			snap = s.Snapshot()
		}
		b.ReportMetric(float64(len(snap)), "bytes")
		b.ReportMetric(float64(len(snap))/float64(s.eps.len()), "B/endpoint")
	})
	b.Run("Restore", func(b *testing.B) {
		for b.Loop() {
			if _, err := RestoreSession(snap); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(snap)), "bytes")
	})
	b.Run("StateHash", func(b *testing.B) {
		for b.Loop() {
			s.StateHash()
		}
	})
}
