package emulator_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// TestPropertyRandomCalls drives a session with a listener and up to four
// connecting clients through random user calls (OPEN, SEND, RECEIVE, CLOSE,
// ABORT, accept) and clock operations, with random seeds, profiles and
// knobs, and checks after every call:
//
//   - SND.UNA =< SND.NXT in sequence space on every endpoint, and no more is
//     in flight than the SYN, the queued data and the FIN (RFC 9293 §3.3.1);
//   - every octet a RECEIVE returns is the next octet its peer sent: the
//     stream arrives in order, exactly once (RFC 9293 §3.10.3, §3.10.7.4
//     "seventh, process the segment text"), and an end of stream comes only
//     after all of it;
//   - events are numbered consecutively and their times never go back;
//   - only the listener is ever in LISTEN.
//
// At the end every endpoint is closed (the applications keep reading) and
// the clock runs until nothing is pending: every endpoint must then be CLOSED
// — TIME-WAIT expired, LAST-ACK acknowledged, nothing left half-open.
//
// A failure prints the shrunk call sequence (rapid replays the minimal case
// with its log) and the session's last events.
func TestPropertyRandomCalls(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		m := newPropModel(rt)
		n := rapid.IntRange(1, 100).Draw(rt, "calls")
		for i := 0; i < n; i++ {
			m.call(rapid.SampledFrom(propCalls).Draw(rt, "call"))
			m.check()
		}
		m.closeEverything()
	})
}

// propCalls are the random calls, repeated to weight them.
var propCalls = []string{
	"connect", "connect", "connect", "connect", "connect-closed-port",
	"accept", "accept",
	"send", "send", "send", "send", "send", "send",
	"receive", "receive", "receive", "receive", "receive", "receive",
	"close", "close", "close",
	"abort",
	"step", "step", "step", "step", "step",
	"advance", "advance", "advance", "advance",
	"run", "run",
	"close-listener",
}

var (
	propListenAddr = netip.MustParseAddrPort("10.0.0.1:80")
	propClosedPort = netip.MustParseAddrPort("10.0.0.1:81")
	propClientIP   = netip.MustParseAddr("10.0.0.2")
)

// propModel is what the test knows of the session: the endpoints it has
// seen and, per endpoint, how much of its stream it sent and received.
type propModel struct {
	t          *rapid.T
	s          *emulator.Session
	listener   emulator.EndpointID
	maxClients int
	clients    int
	conns      []emulator.EndpointID // connection endpoints, in order of discovery
	known      map[emulator.EndpointID]bool
	key        map[emulator.EndpointID]uint64 // the key of the endpoint's stream
	keys       uint64
	sent       map[emulator.EndpointID]int // octets SEND accepted
	got        map[emulator.EndpointID]int // octets RECEIVE returned
	peer       map[emulator.EndpointID]emulator.EndpointID
	closed     map[emulator.EndpointID]bool // CLOSE called
	nextSeq    uint64
	lastTime   time.Duration
	calls      int
}

func newPropModel(t *rapid.T) *propModel {
	cfg := emulator.Config{
		Seed:    rapid.Uint64().Draw(t, "seed"),
		Profile: rapid.SampledFrom([]string{"rfc9293", "linux"}).Draw(t, "profile"),
		Delay:   time.Duration(rapid.IntRange(1, 100).Draw(t, "delay-ms")) * time.Millisecond,
	}
	o := &emulator.Overrides{}
	if rapid.Bool().Draw(t, "delayed-ack") {
		d := 40 * time.Millisecond
		o.DelayedACK = &d
	}
	if rapid.Bool().Draw(t, "small-buffers") {
		// Small windows and segments: zero windows, persist probes and
		// many segments per SEND. Not smaller: with a 1-octet window the
		// megabytes a run can send would take one round trip per octet.
		rcv, mss := uint32(rapid.IntRange(64, 3000).Draw(t, "rcv-buf")), uint16(rapid.IntRange(16, 600).Draw(t, "mss"))
		o.RcvBuf, o.MSS = &rcv, &mss
	}
	cfg.Overrides = o
	s, err := emulator.New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	m := &propModel{
		t: t, s: s,
		maxClients: rapid.IntRange(1, 4).Draw(t, "clients"),
		known:      map[emulator.EndpointID]bool{},
		key:        map[emulator.EndpointID]uint64{},
		sent:       map[emulator.EndpointID]int{},
		got:        map[emulator.EndpointID]int{},
		peer:       map[emulator.EndpointID]emulator.EndpointID{},
		closed:     map[emulator.EndpointID]bool{},
	}
	t.Logf("session seed=%d profile=%s delay=%v overrides=%s", cfg.Seed, cfg.Profile, cfg.Delay, propOverrides(o))
	id, _, err := s.Listen(propListenAddr, emulator.EndpointOptions{})
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	m.listener = id
	m.known[id] = true
	m.check()
	return m
}

func propOverrides(o *emulator.Overrides) string {
	var parts []string
	if o.DelayedACK != nil {
		parts = append(parts, fmt.Sprintf("delayed_ack=%v", *o.DelayedACK))
	}
	if o.RcvBuf != nil {
		parts = append(parts, fmt.Sprintf("rcv_buf=%d mss=%d", *o.RcvBuf, *o.MSS))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// propStream is octet k of the outgoing stream with the given key (one key
// per endpoint). Every octet depends on its position, so a duplicate, a gap
// or a reordering shows.
func propStream(key uint64, k int) byte {
	x := key<<40 ^ uint64(k)
	x ^= x >> 31
	x *= 0x9e3779b97f4a7c15
	return byte(x >> 56)
}

func propData(key uint64, from, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = propStream(key, from+i)
	}
	return b
}

func (m *propModel) newKey() uint64 {
	m.keys++
	return m.keys
}

// keyOf is the key of id's stream (Connect's data needs one before the
// endpoint exists).
func (m *propModel) keyOf(id emulator.EndpointID) uint64 {
	k, ok := m.key[id]
	if !ok {
		k = m.newKey()
		m.key[id] = k
	}
	return k
}

// pick draws one of the connection endpoints seen so far.
func (m *propModel) pick() (emulator.EndpointID, bool) {
	if len(m.conns) == 0 {
		return 0, false
	}
	return m.conns[rapid.IntRange(0, len(m.conns)-1).Draw(m.t, "ep")], true
}

func (m *propModel) logf(format string, args ...any) {
	m.calls++
	m.t.Logf("#%d t=%v "+format, append([]any{m.calls, m.s.Now()}, args...)...)
}

func (m *propModel) call(name string) {
	t, s := m.t, m.s
	switch name {
	case "connect", "connect-closed-port":
		if m.clients >= m.maxClients {
			return
		}
		m.clients++
		remote := propListenAddr
		if name == "connect-closed-port" {
			remote = propClosedPort
		}
		n := rapid.SampledFrom([]int{0, 0, 1, 100, 1460, 5000}).Draw(t, "connect-data")
		key := m.newKey()
		id, _, err := s.Connect(netip.AddrPortFrom(propClientIP, 0), remote, propData(key, 0, n), emulator.EndpointOptions{})
		m.logf("Connect(→%v, data=%d) = ep%d, %v", remote, n, id, err)
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		m.key[id] = key
		m.sent[id] = n
		m.discover(id)
	case "accept":
		id, err := s.Accept(m.listener)
		m.logf("Accept() = ep%d, %v", id, err)
		if err != nil && !errors.Is(err, emulator.ErrNothingAccepted) && !errors.Is(err, emulator.ErrNotListener) &&
			!errors.Is(err, tcp.ErrConnectionDoesNotExist) {
			t.Fatalf("Accept: unexpected error %v", err)
		}
	case "send":
		id, ok := m.pick()
		if !ok {
			return
		}
		n := rapid.SampledFrom([]int{0, 1, 10, 536, 1460, 3000, 20000}).Draw(t, "send-size")
		_, err := s.Send(id, propData(m.keyOf(id), m.sent[id], n))
		m.logf("Send(ep%d, %d) = %v", id, n, err)
		if err == nil {
			m.sent[id] += n
		}
	case "receive":
		id, ok := m.pick()
		if !ok {
			return
		}
		max := rapid.SampledFrom([]int{1, 100, 1460, 100000}).Draw(t, "receive-max")
		m.receive(id, max)
	case "close":
		id, ok := m.pick()
		if !ok {
			return
		}
		_, err := s.Close(id)
		m.logf("Close(ep%d) = %v", id, err)
		m.closed[id] = true
	case "abort":
		id, ok := m.pick()
		if !ok {
			return
		}
		_, err := s.Abort(id)
		m.logf("Abort(ep%d) = %v", id, err)
		m.closed[id] = true
	case "step":
		evs := s.Step()
		m.logf("Step() → %d events", len(evs))
	case "advance":
		d := rapid.SampledFrom([]time.Duration{
			time.Millisecond, 10 * time.Millisecond, 200 * time.Millisecond, time.Second,
			3 * time.Second, 30 * time.Second, 5 * time.Minute,
		}).Draw(t, "advance-by")
		evs, err := s.AdvanceBy(d, 1_000_000)
		m.logf("AdvanceBy(%v) → %d events, %v", d, len(evs), err)
		if err != nil {
			t.Fatalf("AdvanceBy(%v): %v", d, err)
		}
	case "run":
		evs, err := s.RunUntilIdle(20_000)
		m.logf("RunUntilIdle() → %d events, %v", len(evs), err)
		if err != nil && !m.probing() {
			m.fail("RunUntilIdle: %v, and no zero window is being probed (a timer or segment loop never ends)", err)
		}
	case "close-listener":
		_, err := s.Close(m.listener)
		m.logf("Close(listener ep%d) = %v", m.listener, err)
		m.closed[m.listener] = true
	default:
		t.Fatalf("unknown call %q", name)
	}
}

// receive reads up to max octets from id and checks they continue the
// peer's stream exactly.
func (m *propModel) receive(id emulator.EndpointID, max int) {
	data, eof, _, err := m.s.Receive(id, max)
	m.logf("Receive(ep%d, %d) = %d octets, eof=%v, %v", id, max, len(data), eof, err)
	if len(data) > max {
		m.fail("Receive(ep%d, %d) returned %d octets", id, max, len(data))
	}
	if len(data) > 0 || eof {
		p, ok := m.peerOf(id)
		if !ok {
			m.fail("ep%d received %d octets (eof=%v) but has no peer that sent them", id, len(data), eof)
		}
		from := m.got[id]
		if from+len(data) > m.sent[p] {
			m.fail("ep%d received octets %d..%d of ep%d's stream, which sent only %d", id, from, from+len(data), p, m.sent[p])
		}
		for i, b := range data {
			if want := propStream(m.keyOf(p), from+i); b != want {
				m.fail("ep%d received octet %d of ep%d's stream as %#x, want %#x (out of order, duplicated or lost)", id, from+i, p, b, want)
			}
		}
		m.got[id] += len(data)
		if eof && m.got[id] != m.sent[p] {
			m.fail("ep%d reached end of stream after %d octets, but ep%d sent %d", id, m.got[id], p, m.sent[p])
		}
	}
}

// peerOf finds the other end of id's connection: the endpoint on the
// mirrored 4-tuple whose ISS is id's IRS.
func (m *propModel) peerOf(id emulator.EndpointID) (emulator.EndpointID, bool) {
	if p, ok := m.peer[id]; ok {
		return p, true
	}
	me, err := m.s.Status(id)
	if err != nil {
		return 0, false
	}
	for _, c := range m.s.Endpoints() {
		st, err := m.s.Status(c)
		if err != nil || c == id {
			continue
		}
		if st.Local == me.Remote && st.Remote == me.Local && st.TCB.ISS == me.TCB.IRS {
			m.peer[id] = c
			return c, true
		}
	}
	return 0, false
}

func (m *propModel) discover(id emulator.EndpointID) {
	if !m.known[id] {
		m.known[id] = true
		m.conns = append(m.conns, id)
	}
}

// check verifies the invariants that hold after every call.
func (m *propModel) check() {
	s := m.s
	if s.Now() < m.lastTime {
		m.fail("clock went back from %v to %v", m.lastTime, s.Now())
	}
	for _, ev := range s.Events(m.nextSeq - 1) {
		if m.nextSeq != 0 && ev.Seq != m.nextSeq {
			m.fail("event seq %d follows %d", ev.Seq, m.nextSeq-1)
		}
		if ev.Time < m.lastTime || ev.Time > s.Now() {
			m.fail("event %d at %v: previous at %v, clock at %v", ev.Seq, ev.Time, m.lastTime, s.Now())
		}
		m.nextSeq, m.lastTime = ev.Seq+1, ev.Time
	}
	m.lastTime = s.Now()
	if m.nextSeq != s.NextSeq() {
		m.fail("saw events up to %d, session's next is %d", m.nextSeq, s.NextSeq())
	}
	for _, id := range s.Endpoints() {
		st, err := s.Status(id)
		if err != nil {
			m.fail("Status(ep%d) of a listed endpoint: %v", id, err)
		}
		if id != m.listener {
			m.discover(id)
			if st.State == tcp.Listen {
				m.fail("connection ep%d is in LISTEN", id)
			}
		}
		propCheckTCB(m.fail, id, &st)
	}
	// External segments (none expected: every address is in the session).
	if ext := s.TakeExternal(); len(ext) > 0 {
		m.fail("%d segments left the session", len(ext))
	}
}

// propCheckTCB checks the send-side invariants of one endpoint's TCB:
// SND.UNA =< SND.NXT, and what lies between them is at most the SYN, the
// queued data and the FIN.
func propCheckTCB(fail func(string, ...any), id emulator.EndpointID, st *emulator.Status) {
	tcb := &st.TCB
	if !tcb.SndUna.LessThanEq(tcb.SndNxt) {
		fail("ep%d (%v): SND.UNA=%d > SND.NXT=%d", id, st.State, tcb.SndUna, tcb.SndNxt)
	}
	if st.State != tcp.Closed && st.State != tcp.Listen {
		if inFlight := int(tcb.SndUna.Size(tcb.SndNxt)); inFlight > tcb.SndQueued+2 {
			fail("ep%d (%v): %d in flight (SND.UNA=%d SND.NXT=%d) but only %d octets queued",
				id, st.State, inFlight, tcb.SndUna, tcb.SndNxt, tcb.SndQueued)
		}
	}
}

// probing reports whether some endpoint probes a zero window. RFC 9293
// §3.8.6.1 (MUST-37) keeps a sender probing for as long as the receiver
// answers, so a session whose reader never reads is never idle.
func (m *propModel) probing() bool {
	for _, id := range m.s.Endpoints() {
		if st, err := m.s.Status(id); err == nil {
			if _, ok := st.Timers[tcp.TimerPersist]; ok && st.TCB.SndWnd == 0 {
				return true
			}
		}
	}
	return false
}

// closeEverything closes every endpoint, keeps reading what arrives, and
// steps the clock until nothing is pending; then everything must be CLOSED.
func (m *propModel) closeEverything() {
	s := m.s
	m.t.Logf("-- closing everything")
	for iter := 0; ; iter++ {
		if iter > 1_000_000 {
			m.fail("still busy after %d steps of closing", iter)
		}
		for _, id := range s.Endpoints() {
			st, err := s.Status(id)
			if err != nil || st.State == tcp.Closed {
				continue
			}
			if st.TCB.RcvQueued > 0 {
				m.receive(id, st.TCB.RcvQueued)
			}
			if !m.closed[id] {
				_, err := s.Close(id)
				m.logf("Close(ep%d) = %v", id, err)
				m.closed[id] = true
			}
		}
		m.check()
		if _, ok := s.NextAt(); !ok {
			break
		}
		s.Step()
		m.check()
	}
	m.logf("idle")
	for _, id := range s.Endpoints() {
		st, _ := s.Status(id)
		if st.State != tcp.Closed {
			m.fail("ep%d is still %v after both sides closed and every timer ran (timers %v)", id, st.State, st.Timers)
		}
	}
}

// fail reports a broken invariant with the session's last events.
func (m *propModel) fail(format string, args ...any) {
	m.t.Helper()
	d := &explain.Describer{Addrs: m.s}
	evs := m.s.AllEvents()
	var b strings.Builder
	for i := max(0, len(evs)-60); i < len(evs); i++ {
		b.WriteString("  ")
		b.WriteString(d.Line(&evs[i]))
		b.WriteByte('\n')
	}
	m.t.Fatalf(format+"\nlast events:\n%s", append(args, b.String())...)
}

// TestCloseInSynReceivedClosesBothSides is the case TestPropertyRandomCalls
// shrank its first failure to: a listener's child is closed in SYN-RECEIVED
// while its handshake's ACK is in flight (RFC 9293 §3.10.4: "form a FIN
// segment and send it, and enter FIN-WAIT-1 state"); the client closes too.
// Both must end CLOSED. The child used to keep SND.WND at zero and never
// send its FIN, leaving the client in FIN-WAIT-2 for ever.
func TestCloseInSynReceivedClosesBothSides(t *testing.T) {
	s, err := emulator.New(emulator.Config{Seed: 0, Profile: "rfc9293", Delay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := s.Listen(propListenAddr, emulator.EndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cli, _, err := s.Connect(netip.AddrPortFrom(propClientIP, 0), propListenAddr, nil, emulator.EndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Step() // the SYN reaches the listener, which forks a child
	s.Step() // the SYN-ACK reaches the client: ESTABLISHED, its ACK in flight
	st, _ := s.Status(l)
	if len(st.Children) != 1 {
		t.Fatalf("listener has children %v, want one", st.Children)
	}
	child := st.Children[0]
	if st, _ := s.Status(child); st.State != tcp.SynReceived {
		t.Fatalf("child is %v, want SYN-RECEIVED", st.State)
	}
	if _, err := s.Close(child); err != nil {
		t.Fatalf("Close(child): %v", err)
	}
	if _, err := s.Close(cli); err != nil {
		t.Fatalf("Close(client): %v", err)
	}
	if _, err := s.RunUntilIdle(10_000); err != nil {
		t.Fatalf("RunUntilIdle: %v", err)
	}
	for _, id := range []emulator.EndpointID{cli, child} {
		if st, _ := s.Status(id); st.State != tcp.Closed {
			t.Errorf("ep%d is %v, want CLOSED", id, st.State)
		}
	}
}
