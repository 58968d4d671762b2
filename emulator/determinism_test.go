package emulator_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// TestDeterministicEventLog runs a long random scenario — thousands of
// calls on three listeners and dozens of connections (a closed port and an
// external host among them), junk segments injected at every endpoint,
// external segments answered, an impaired default path — and checks
// DESIGN.md's promise: the same seed and the same calls give the same event
// log byte for byte, every field of every event (each run in the same
// process, so a map iteration order that leaked into the log would show).
// A different seed must give different ISNs (RFC 6528's secret key), and in
// every log the events are numbered consecutively from 0 and their times
// never decrease.
func TestDeterministicEventLog(t *testing.T) {
	calls := 3000
	if testing.Short() {
		calls = 1000
	}
	for _, profile := range []string{"rfc9293", "linux"} {
		t.Run(profile, func(t *testing.T) {
			a := detRun(t, profile, 7, calls)
			b := detRun(t, profile, 7, calls)
			if len(a.events) < 5*calls {
				t.Errorf("only %d events from %d calls: the scenario is too tame to prove much", len(a.events), calls)
			}
			if !bytes.Equal(a.log, b.log) {
				t.Fatalf("two runs with seed 7 differ:\n%s", detFirstDiff(a.log, b.log))
			}
			c := detRun(t, profile, 8, calls)
			if len(a.isns) == 0 || len(c.isns) == 0 {
				t.Fatalf("no SYN sent (seed 7: %d, seed 8: %d)", len(a.isns), len(c.isns))
			}
			// The first call is the same connect at time 0 in both runs: only
			// the seed differs.
			if a.isns[0] == c.isns[0] {
				t.Errorf("seeds 7 and 8 give the first connection the same ISS %d", a.isns[0])
			}
			seen := map[seqnum.Value]bool{}
			for _, v := range a.isns {
				seen[v] = true
			}
			for _, v := range c.isns {
				if seen[v] {
					t.Errorf("ISS %d appears under seed 7 and seed 8", v)
				}
			}
		})
	}
}

type detResult struct {
	events []emulator.Event
	log    []byte         // every field of every event, one per line
	isns   []seqnum.Value // each endpoint's ISS, from its first SYN, in log order
}

var (
	detServers = []netip.AddrPort{
		netip.MustParseAddrPort("10.0.0.1:80"), netip.MustParseAddrPort("10.0.0.1:443"), netip.MustParseAddrPort("10.0.0.3:22"),
	}
	detClosed   = netip.MustParseAddrPort("10.0.0.1:81")
	detExternal = netip.MustParseAddrPort("192.0.2.1:80")
	detClients  = []netip.Addr{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.4")}
)

// detRun plays the scenario: its calls come from a generator of their own
// (the same in every run), while the session's seed varies.
func detRun(t *testing.T, profile string, seed uint64, calls int) detResult {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	s, err := emulator.New(emulator.Config{Seed: seed, Profile: profile, Delay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetDefaultPath(emulator.Path{
		Delay: 5 * time.Millisecond, Jitter: 2 * time.Millisecond, Loss: 0.02, Duplicate: 0.02,
		Reorder: 0.03, ReorderDelay: 10 * time.Millisecond,
	}); err != nil {
		t.Fatal(err)
	}
	var listeners, eps []emulator.EndpointID
	for _, a := range detServers {
		id, _, err := s.Listen(a, emulator.EndpointOptions{})
		if err != nil {
			t.Fatal(err)
		}
		listeners = append(listeners, id)
	}
	pick := func(ids []emulator.EndpointID) emulator.EndpointID {
		if len(ids) == 0 {
			return 1
		}
		return ids[rng.IntN(len(ids))]
	}
	// live picks an endpoint that is not CLOSED (most of the time: calls
	// on closed and recycled ones are part of the story too).
	live := func() emulator.EndpointID {
		var ids []emulator.EndpointID
		for _, id := range s.Endpoints() {
			if st, err := s.Status(id); err == nil && st.State != tcp.Closed && st.State != tcp.Listen {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 || rng.IntN(10) == 0 {
			return pick(eps)
		}
		return pick(ids)
	}
	junk := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	connect := func() {
		remote := detServers[rng.IntN(len(detServers))]
		switch rng.IntN(10) {
		case 0:
			remote = detClosed
		case 1:
			remote = detExternal
		}
		local := netip.AddrPortFrom(detClients[rng.IntN(len(detClients))], 0)
		if id, _, err := s.Connect(local, remote, junk(rng.IntN(3)*700), emulator.EndpointOptions{}); err == nil {
			eps = append(eps, id)
		}
	}
	connect()
	for i := 1; i < calls; i++ {
		switch rng.IntN(20) {
		case 0, 1:
			connect()
		case 2:
			if id, err := s.Accept(pick(listeners)); err == nil {
				eps = append(eps, id)
			}
		case 3, 4, 5:
			_, _ = s.Send(live(), junk(rng.IntN(3000)))
		case 6, 7:
			_, _, _, _ = s.Receive(live(), 1+rng.IntN(5000))
		case 8:
			_, _ = s.Close(live())
		case 9:
			if rng.IntN(4) == 0 {
				_, _ = s.Abort(live())
			} else {
				_, _ = s.Status(live())
			}
		case 10, 11:
			s.Step()
		case 12:
			_, _ = s.AdvanceBy(time.Duration(rng.IntN(3000))*time.Millisecond, 5000)
		case 13:
			_, _ = s.RunUntilIdle(1 + rng.IntN(500))
		case 14, 15, 16:
			detInjectAt(s, rng, live(), junk)
		case 17:
			detInjectAnywhere(s, rng, junk)
		case 18:
			detAnswerExternal(s, rng)
		case 19:
			if rng.IntN(20) == 0 {
				// A listener closes (resetting its unaccepted children)
				// and listens again.
				k := rng.IntN(len(listeners))
				_, _ = s.Close(listeners[k])
				if id, _, err := s.Listen(detServers[k], emulator.EndpointOptions{}); err == nil {
					listeners[k] = id
				}
			} else {
				_, _ = s.AdvanceBy(time.Duration(rng.IntN(300))*time.Second, 5000)
			}
		}
	}
	for _, id := range s.Endpoints() {
		_, _ = s.Close(id)
	}
	_, _ = s.RunUntilIdle(200_000)

	r := detResult{events: s.AllEvents()}
	var b bytes.Buffer
	synSeen := map[emulator.EndpointID]bool{}
	var last time.Duration
	for i, ev := range r.events {
		if ev.Seq != uint64(i) {
			t.Fatalf("event %d has Seq %d", i, ev.Seq)
		}
		if ev.Time < last {
			t.Fatalf("event %d at %v, after one at %v", ev.Seq, ev.Time, last)
		}
		last = ev.Time
		// %#v writes every field of the struct, and any field added later,
		// as numbers (no String methods, no text rendered on the way).
		fmt.Fprintf(&b, "%#v\n", ev)
		if ev.Kind == emulator.KindSegmentSent && ev.Endpoint != 0 && ev.Seg.Flags&tcp.SYN != 0 && !synSeen[ev.Endpoint] {
			synSeen[ev.Endpoint] = true
			r.isns = append(r.isns, ev.Seg.Seq)
		}
	}
	r.log = b.Bytes()
	return r
}

// detInjectAt injects a junk segment on an endpoint's own 4-tuple, its
// numbers near the endpoint's TCB so that some land inside its windows.
func detInjectAt(s *emulator.Session, rng *rand.Rand, id emulator.EndpointID, junk func(int) []byte) {
	st, err := s.Status(id)
	if err != nil || !st.Local.IsValid() || !st.Remote.IsValid() {
		return
	}
	// Mostly plausible flags (a forged ACK, data, FIN); a third anything.
	flags := []tcp.Flags{tcp.ACK, tcp.ACK | tcp.PSH, tcp.FIN | tcp.ACK, tcp.Flags(rng.Uint32())}[rng.IntN(4)]
	seg := tcp.Segment{
		Flags:   flags,
		Seq:     st.TCB.RcvNxt + seqnum.Value(rng.IntN(140000)-70000),
		Ack:     st.TCB.SndUna + seqnum.Value(rng.IntN(140000)-70000),
		Window:  uint16(rng.Uint32()),
		Payload: junk(rng.IntN(4) * rng.IntN(100)),
	}
	if rng.IntN(4) == 0 {
		seg.Seq, seg.Ack = seqnum.Value(rng.Uint32()), seqnum.Value(rng.Uint32())
	}
	_, _ = s.Inject(st.Remote, st.Local, seg)
}

// detInjectAnywhere injects a junk segment between random addresses:
// listeners, closed ports, clients, the external host.
func detInjectAnywhere(s *emulator.Session, rng *rand.Rand, junk func(int) []byte) {
	addrs := append([]netip.AddrPort{detClosed, detExternal,
		netip.AddrPortFrom(detClients[0], 49152), netip.AddrPortFrom(detClients[1], 49153)}, detServers...)
	src, dst := addrs[rng.IntN(len(addrs))], addrs[rng.IntN(len(addrs))]
	if src == dst {
		return
	}
	seg := tcp.Segment{
		Flags: tcp.Flags(rng.Uint32()), Seq: seqnum.Value(rng.Uint32()), Ack: seqnum.Value(rng.Uint32()),
		Window: uint16(rng.Uint32()), Payload: junk(rng.IntN(50)),
	}
	if seg.Flags&tcp.SYN != 0 {
		seg.Options.MSS = uint16(rng.IntN(2000))
	}
	_, _ = s.Inject(src, dst, seg)
}

// detAnswerExternal plays the external host: a SYN gets a SYN-ACK, data and
// FINs get an ACK, and now and then a reset.
func detAnswerExternal(s *emulator.Session, rng *rand.Rand) {
	for _, seg := range s.TakeExternal() {
		src, dst := s.Addr(seg.Dst), s.Addr(seg.Src)
		reply := tcp.Segment{Flags: tcp.ACK, Seq: seg.Ack, Ack: seg.End(), Window: 4096}
		switch {
		case seg.Flags&tcp.RST != 0:
			continue
		case rng.IntN(10) == 0:
			reply.Flags = tcp.RST
		case seg.Flags&(tcp.SYN|tcp.ACK) == tcp.SYN:
			reply = tcp.Segment{Flags: tcp.SYN | tcp.ACK, Seq: seqnum.Value(rng.Uint32()), Ack: seg.End(), Window: 4096,
				Options: tcp.Options{MSS: 1000}}
		case seg.Len() == 0:
			continue // a bare ACK needs no answer
		}
		_, _ = s.Inject(src, dst, reply)
	}
}

// detFirstDiff shows where two logs part.
func detFirstDiff(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < min(len(la), len(lb)); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return fmt.Sprintf("first difference at event %d:\n  %s\n  %s", i, la[i], lb[i])
		}
	}
	return fmt.Sprintf("one log is a prefix of the other (%d and %d events)", len(la)-1, len(lb)-1)
}
