package emulator

import (
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// The benchmarks of issue 2. Each reports its figure with b.ReportMetric in
// the units lifecycles/s, segments/s, allocs/segment and B/endpoint, so any
// tool reading `go test -bench` output finds them:
//
//	go test -run='^$' -bench=. -benchmem ./emulator/
//
// A lifecycle is the seed's whole story on one connection: the 3-way
// handshake, one data segment each way (each read by its user), the 4-way
// close, and the client's TIME-WAIT running out (240 s, rfc9293 profile) —
// eleven segments in all: SYN, SYN-ACK, ACK, data, ACK, data, ACK, FIN, ACK,
// FIN, ACK.
//
// Sessions use LogLimit 4096: a server journals events elsewhere and keeps
// only a recent window in memory, so a small limit is the realistic one
// (the default keeps a million events and would measure memory, not the
// core). Trimming is included in every figure.

// benchLogLimit is the session log window the benchmarks run with.
const benchLogLimit = 4096

// benchDelay is the one-way delay of the benchmarks' paths: 1 ms, a
// data-centre round trip of 2 ms. It only positions events on the virtual
// clock; the work done per segment does not depend on it.
const benchDelay = time.Millisecond

// segmentsPerLifecycle is what a lifecycle puts on the wire (see above);
// every benchmark checks it against the events it produced.
const segmentsPerLifecycle = 11

var benchPayload = []byte{'x'}

func benchSession(b *testing.B) (*Session, netip.AddrPort, EndpointID) {
	b.Helper()
	s, err := New(Config{Seed: 1, LogLimit: benchLogLimit, Delay: benchDelay})
	if err != nil {
		b.Fatal(err)
	}
	srv := netip.MustParseAddrPort("10.1.0.1:80")
	// A backlog far above what the benchmarks keep waiting: a full one
	// would drop SYNs and the benchmark would measure retransmissions.
	lid, _, err := s.Listen(srv, EndpointOptions{Backlog: 4096})
	if err != nil {
		b.Fatal(err)
	}
	return s, srv, lid
}

// benchEstablish opens n connections to the listener and accepts them as
// they come, a thousand at a time, as a server does (the backlog stays
// short); it returns the client and the accepted server endpoints.
func benchEstablish(b *testing.B, s *Session, srv netip.AddrPort, lid EndpointID, n int) (clients, servers []EndpointID) {
	clients, servers = make([]EndpointID, 0, n), make([]EndpointID, 0, n)
	for k := range n {
		c, _, err := s.Connect(pipeAddr(k), srv, nil, EndpointOptions{})
		if err != nil {
			b.Fatal(err)
		}
		clients = append(clients, c)
		if k%1000 == 999 || k == n-1 {
			if _, err := s.RunUntilIdle(0); err != nil {
				b.Fatal(err)
			}
			for {
				a, err := s.Accept(lid)
				if err != nil {
					break
				}
				servers = append(servers, a)
			}
		}
	}
	return clients, servers
}

// benchState is an endpoint's state, failing the benchmark if it is gone.
func benchState(b *testing.B, s *Session, id EndpointID) tcp.State {
	ep, err := s.lookup(id)
	if err != nil {
		b.Fatalf("endpoint %d: %v", id, err)
	}
	return ep.State()
}

func benchExpect(b *testing.B, s *Session, id EndpointID, want tcp.State, when string) {
	if got := benchState(b, s, id); got != want {
		b.Fatalf("%s: endpoint %d is %v, want %v", when, id, got, want)
	}
}

// countSent counts the segments sent in a run of events.
func countSent(evs []Event) int {
	n := 0
	for i := range evs {
		if evs[i].Kind == KindSegmentSent {
			n++
		}
	}
	return n
}

// lifecycle runs one connection through its whole life on s and returns
// how many segments were sent. It fails the benchmark if either side does
// not end CLOSED; count selects whether segments are counted (otherwise 0
// is returned and the caller checks the event count instead).
func lifecycle(b *testing.B, s *Session, lid EndpointID, cli, srv netip.AddrPort, count bool) int {
	sent := 0
	run := func() {
		evs, err := s.RunUntilIdle(0)
		if err != nil {
			b.Fatal(err)
		}
		if count {
			sent += countSent(evs)
		}
	}
	c, evs, err := s.Connect(cli, srv, nil, EndpointOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if count {
		sent += countSent(evs)
	}
	run() // SYN, SYN-ACK, ACK
	a, err := s.Accept(lid)
	if err != nil {
		b.Fatal(err)
	}
	for _, id := range [2]EndpointID{c, a} {
		evs, err := s.Send(id, benchPayload)
		if err != nil {
			b.Fatal(err)
		}
		if count {
			sent += countSent(evs)
		}
	}
	run() // data each way, each ACKed
	// One buffer for both reads, as a harness reading many connections
	// would use ReceiveInto.
	var rbuf [16]byte
	for _, id := range [2]EndpointID{c, a} {
		if data, _, _, err := s.ReceiveInto(id, rbuf[:]); err != nil || len(data) != 1 {
			b.Fatalf("receive on %d: %q, %v", id, data, err)
		}
	}
	for _, id := range [2]EndpointID{c, a} {
		evs, err := s.Close(id)
		if err != nil {
			b.Fatal(err)
		}
		if count {
			sent += countSent(evs)
		}
		// The client's FIN and its ACK: FIN-WAIT-2 and CLOSE-WAIT; then
		// the server's FIN and its ACK, and TIME-WAIT runs out.
		run()
	}
	benchExpect(b, s, c, tcp.Closed, "client after TIME-WAIT")
	benchExpect(b, s, a, tcp.Closed, "server after LAST-ACK")
	return sent
}

// BenchmarkLifecycle runs full lifecycles with one connection in flight
// (each starts when the previous one has ended) and with 100,000 in flight
// (a steady pipeline on one session).
func BenchmarkLifecycle(b *testing.B) {
	b.Run("in-flight=1", benchLifecycleOne)
	b.Run("in-flight=100000", benchLifecyclePipeline)
}

func benchLifecycleOne(b *testing.B) {
	s, srv, lid := benchSession(b)
	cli := netip.MustParseAddrPort("10.2.0.1:40000")
	// One counted lifecycle first: it pins down the segments and the
	// events a lifecycle makes, so that every timed one can be checked
	// by its event count alone, which costs nothing.
	if n := lifecycle(b, s, lid, cli, srv, true); n != segmentsPerLifecycle {
		b.Fatalf("a lifecycle sent %d segments, want %d", n, segmentsPerLifecycle)
	}
	seq := s.NextSeq()
	if n := lifecycle(b, s, lid, cli, srv, true); n != segmentsPerLifecycle {
		b.Fatalf("a lifecycle sent %d segments, want %d", n, segmentsPerLifecycle)
	}
	perLife := s.NextSeq() - seq

	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	lives := 0
	for b.Loop() {
		if s.Now() > 1<<62 {
			// 240 s a lifecycle: the virtual clock would overflow after
			// 19 million of them. A fresh session goes on untimed.
			b.StopTimer()
			s, srv, lid = benchSession(b)
			lifecycle(b, s, lid, cli, srv, false)
			b.StartTimer()
		}
		start := s.NextSeq()
		lifecycle(b, s, lid, cli, srv, false)
		if n := s.NextSeq() - start; n != perLife {
			b.Fatalf("lifecycle %d made %d events, the first made %d", lives, n, perLife)
		}
		lives++
	}
	runtime.ReadMemStats(&m1)
	reportLifecycles(b, lives, lives*segmentsPerLifecycle, m1.Mallocs-m0.Mallocs)
}

func reportLifecycles(b *testing.B, lives, segments int, mallocs uint64) {
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(lives)/sec, "lifecycles/s")
	b.ReportMetric(float64(segments)/sec, "segments/s")
	b.ReportMetric(float64(mallocs)/float64(segments), "allocs/segment")
}

// The pipeline's timeline, in steps of pipeStep on the virtual clock. A
// connection starts every step; each one, step by step after its start:
const (
	pipeStep      = 3 * time.Millisecond
	pipeAccept    = 2                        // accept (the handshake took 3 ms)
	pipeSend      = 334                      // ~1 s later: one byte each way
	pipeReceive   = pipeSend + 1             // each side reads it
	pipeCloseCli  = 20000                    // 60 s: the client closes
	pipeCloseSrv  = pipeCloseCli + 1         // the server closes
	pipeClosedSrv = pipeCloseSrv + 1         // the server is CLOSED (LAST-ACK done)
	pipeClosedCli = pipeCloseSrv + 80000 + 1 // 240 s of TIME-WAIT later: client CLOSED
	// pipeInFlight connections are between their start and their end at
	// any time: about 20% ESTABLISHED (idle after their exchange), the rest
	// closing, most in TIME-WAIT (as on a busy real server).
	pipeInFlight = pipeClosedCli
	pipeRing     = 1 << 17 // > pipeInFlight: a connection's slot and client address
)

type pipeConn struct{ cli, srv EndpointID }

// sampled picks the connections whose intermediate states the pipeline
// checks (every one is checked to end CLOSED on both sides): a lookup per
// check is a cache miss with 100,000 in flight, and checking every state
// of every connection would be a good part of what is measured.
func sampled(j int) bool { return j%16 == 0 }

// pipeAddr is client k's address: 128 hosts of 1,024 ports each.
func pipeAddr(k int) netip.AddrPort {
	ip := netip.AddrFrom4([4]byte{10, 3, byte(k >> 18), byte(k >> 10)})
	return netip.AddrPortFrom(ip, uint16(1024+k&1023))
}

// pipeline is the 100,000-in-flight workload: step i advances the clock to
// i×pipeStep and applies each stage to the connection it is due for.
type pipeline struct {
	b     *testing.B
	s     *Session
	srv   netip.AddrPort
	lid   EndpointID
	conns [pipeRing]pipeConn
	addrs [pipeRing]netip.AddrPort
	next  int // the next step
	sent  int // segments sent
}

func (p *pipeline) step() {
	b, s, i := p.b, p.s, p.next
	p.next++
	evs, err := s.AdvanceTo(time.Duration(i)*pipeStep, 0)
	if err != nil {
		b.Fatal(err)
	}
	p.sent += countSent(evs)
	if j := i - pipeAccept; j >= 0 {
		a, err := s.Accept(p.lid)
		if err != nil {
			b.Fatalf("accept at step %d: %v", i, err)
		}
		c := &p.conns[j%pipeRing]
		c.srv = a
		if sampled(j) {
			if ep, _ := s.lookup(a); ep.Remote != s.intern(p.addrs[j%pipeRing]) {
				b.Fatalf("accepted %d is not connection %d's", a, j)
			}
			benchExpect(b, s, c.cli, tcp.Established, "client after the handshake")
		}
	}
	if j := i - pipeSend; j >= 0 {
		c := p.conns[j%pipeRing]
		for _, id := range [2]EndpointID{c.cli, c.srv} {
			evs, err := s.Send(id, benchPayload)
			if err != nil {
				b.Fatal(err)
			}
			p.sent += countSent(evs)
		}
	}
	if j := i - pipeReceive; j >= 0 {
		c := p.conns[j%pipeRing]
		var rbuf [16]byte
		for _, id := range [2]EndpointID{c.cli, c.srv} {
			if data, _, _, err := s.ReceiveInto(id, rbuf[:]); err != nil || len(data) != 1 {
				b.Fatalf("receive on %d: %q, %v", id, data, err)
			}
		}
	}
	if j := i - pipeCloseCli; j >= 0 {
		evs, err := s.Close(p.conns[j%pipeRing].cli)
		if err != nil {
			b.Fatal(err)
		}
		p.sent += countSent(evs)
	}
	if j := i - pipeCloseSrv; j >= 0 {
		c := p.conns[j%pipeRing]
		if sampled(j) {
			benchExpect(b, s, c.cli, tcp.FinWait2, "client after its FIN")
		}
		evs, err := s.Close(c.srv)
		if err != nil {
			b.Fatal(err)
		}
		p.sent += countSent(evs)
	}
	if j := i - pipeClosedSrv; j >= 0 {
		c := p.conns[j%pipeRing]
		benchExpect(b, s, c.srv, tcp.Closed, "server after LAST-ACK")
		if sampled(j) {
			benchExpect(b, s, c.cli, tcp.TimeWait, "client after the server's FIN")
		}
	}
	if j := i - pipeClosedCli; j >= 0 {
		benchExpect(b, s, p.conns[j%pipeRing].cli, tcp.Closed, "client after TIME-WAIT")
	}
	k := i % pipeRing
	id, evs, err := s.Connect(p.addrs[k], p.srv, nil, EndpointOptions{})
	if err != nil {
		b.Fatalf("connect %d: %v", i, err)
	}
	p.sent += countSent(evs)
	p.conns[k] = pipeConn{cli: id}
}

func benchLifecyclePipeline(b *testing.B) {
	s, srv, lid := benchSession(b)
	p := &pipeline{b: b, s: s, srv: srv, lid: lid}
	for k := range p.addrs {
		p.addrs[k] = pipeAddr(k)
	}
	// Fill the pipeline untimed: from here on every step starts one
	// lifecycle and finishes one, with pipeInFlight in between.
	for p.next <= pipeInFlight {
		p.step()
	}
	p.sent = 0
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	lives := 0
	for b.Loop() {
		p.step()
		lives++
	}
	runtime.ReadMemStats(&m1)
	// Every step sends one lifecycle's segments, give or take the ones
	// in the air at the edges of the timed run.
	if lives >= 1000 && (p.sent < lives*segmentsPerLifecycle-100 || p.sent > lives*segmentsPerLifecycle+100) {
		b.Fatalf("%d steps sent %d segments, want about %d", lives, p.sent, lives*segmentsPerLifecycle)
	}
	reportLifecycles(b, lives, p.sent, m1.Mallocs-m0.Mallocs)
}

// BenchmarkDataSegments measures segments on an ESTABLISHED connection: one
// op is a request and its response (100 octets each way, each read by its
// user and ACKed) — four segments.
func BenchmarkDataSegments(b *testing.B) {
	s, srv, lid := benchSession(b)
	c, _, err := s.Connect(netip.MustParseAddrPort("10.2.0.1:40000"), srv, nil, EndpointOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.RunUntilIdle(0); err != nil {
		b.Fatal(err)
	}
	a, err := s.Accept(lid)
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 100)
	exchange := func() int {
		sent := 0
		for _, dir := range [2][2]EndpointID{{c, a}, {a, c}} {
			evs, err := s.Send(dir[0], msg)
			if err != nil {
				b.Fatal(err)
			}
			sent += countSent(evs)
			if evs, err = s.RunUntilIdle(0); err != nil {
				b.Fatal(err)
			}
			sent += countSent(evs)
			if data, _, _, err := s.Receive(dir[1], len(msg)); err != nil || len(data) != len(msg) {
				b.Fatalf("receive on %d: %d octets, %v", dir[1], len(data), err)
			}
		}
		return sent
	}
	const perOp = 4
	if n := exchange(); n != perOp {
		b.Fatalf("an exchange sent %d segments, want %d", n, perOp)
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	segs := 0
	for b.Loop() {
		segs += exchange()
	}
	runtime.ReadMemStats(&m1)
	if segs != perOp*b.N {
		b.Fatalf("%d exchanges sent %d segments, want %d", b.N, segs, perOp*b.N)
	}
	b.ReportMetric(float64(segs)/b.Elapsed().Seconds(), "segments/s")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(segs), "allocs/segment")
}

// BenchmarkIdleEstablished measures the memory an idle ESTABLISHED
// connection costs: one op creates a session with 100,000 of them (each
// handshake done, the child accepted, nothing sent) and measures the live
// heap's growth. B/endpoint divides it by the endpoints — both sides, so
// 200,000 — and so includes everything the session keeps for them: the
// endpoint records, routing and address tables, the schedule and its share
// of the log.
func BenchmarkIdleEstablished(b *testing.B) {
	const conns = 100_000
	var perEndpoint float64
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		b.StartTimer()
		s, srv, lid := benchSession(b)
		clients, servers := benchEstablish(b, s, srv, lid, conns)
		ids := append(clients, servers...)
		b.StopTimer()
		for _, id := range ids[len(ids)-10:] {
			benchExpect(b, s, id, tcp.Established, "idle connection")
		}
		if len(ids) != 2*conns {
			b.Fatalf("%d endpoints, want %d", len(ids), 2*conns)
		}
		ids = nil
		runtime.GC()
		runtime.ReadMemStats(&m1)
		perEndpoint = float64(m1.HeapAlloc-m0.HeapAlloc) / (2 * conns)
		runtime.KeepAlive(s)
		b.StartTimer()
	}
	b.ReportMetric(perEndpoint, "B/endpoint")
}
