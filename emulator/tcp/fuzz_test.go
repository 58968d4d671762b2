package tcp_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// FuzzArriveInEveryState puts an endpoint into one of the eleven states of
// RFC 9293 §3.3.2 through the public API (a handshake, data, CLOSE and the
// peer's segments, actively or via a listener's child), then feeds it
// fuzzer-chosen segments — any flags, SEQ and ACK relative to its TCB or
// raw, any window, payload and options — interleaved with timer expiries and
// RECEIVE/SEND calls. After every input it checks:
//
//   - no panic;
//   - SND.UNA =< SND.NXT, and only the SYN, the queued data and the FIN lie
//     between them;
//   - every state change is one Figure 6 draws, or one §3.10.7's text adds
//     (RST, a SYN in the window, a timeout: → CLOSED; FIN-WAIT-1 → TIME-WAIT
//     when the FIN's ACK and a FIN arrive together; SYN-RECEIVED →
//     CLOSE-WAIT), or one of the documented extras (SYN-RECEIVED → LISTEN for
//     a passive child, MUST-11; TIME-WAIT → CLOSED on a reopening SYN) — and
//     the reported changes chain from the state before to the state after;
//   - RCV.NXT never moves backwards while synchronized, and never past the
//     window it advertised (§3.10.7.4: only text inside the window is taken);
//   - no octet is received into a full buffer (RCV.QUEUED =< the buffer);
//   - every segment sent lies between SND.UNA-1 (a window probe) and
//     SND.NXT, carries at most SND.MSS octets and, when it has ACK (not a
//     RST), acknowledges RCV.NXT;
//   - a timer is never armed in the past, and a deleted TCB does nothing
//     more in the same input.
func FuzzArriveInEveryState(f *testing.F) {
	f.Fuzz(func(t *testing.T, state, setup uint8, iss, irs uint32, ops []byte) {
		h := newFzHarness(t, tcp.State(state%uint8(tcp.NumStates)), setup, seqnum.Value(iss), seqnum.Value(irs))
		h.run(ops)
	})
}

// Setup bits of FuzzArriveInEveryState's second argument.
const (
	fzLinux        = 1 << iota // linux profile instead of rfc9293
	fzPassive                  // reach the state through a listener's child
	fzDataOut                  // our data in flight (unacknowledged)
	fzDataIn                   // the peer's data received and not read
	fzDelayedACK               // delayed ACK 200 ms
	fzSmallBuffers             // 1000-octet receive buffer, MSS 100
	fzToggle1337               // flip the profile's RFC 1337 setting
	fzEarlyClose               // FIN-WAIT-1: CLOSE in SYN-RECEIVED, before the handshake's ACK
)

const (
	fzLocal  tcp.AddrID = 1
	fzRemote tcp.AddrID = 2
)

// fzHarness is the endpoints' owner: a tcp.Sink that records everything,
// routes segments the way a session would and checks each report.
type fzHarness struct {
	t   *testing.T
	cfg tcp.Config
	now time.Duration
	eps []*tcp.Endpoint // the endpoint under test, or a listener and its children
	log []string        // what happened, for failure messages

	// During one input: the state each endpoint had before it, the changes
	// reported, the endpoints released, and whether a user call caused it.
	before  map[*tcp.Endpoint]fzSnap
	changes map[*tcp.Endpoint][]fzEdge
	gone    map[*tcp.Endpoint]bool
	cause   string
	reopen  []tcp.Segment
	nextISS seqnum.Value
	closed  bool // CLOSE was called (an ESTABLISHED → FIN-WAIT-1 may follow the handshake's ACK)
}

type fzSnap struct {
	state tcp.State
	tcb   tcp.TCB
}

func newFzHarness(t *testing.T, want tcp.State, setup uint8, iss, irs seqnum.Value) *fzHarness {
	h := &fzHarness{t: t, nextISS: iss}
	if setup&fzLinux != 0 {
		h.cfg = emulator.ProfileLinux()
	} else {
		h.cfg = emulator.ProfileRFC9293()
	}
	if setup&fzDelayedACK != 0 {
		h.cfg.DelayedACK = 200 * time.Millisecond
	}
	if setup&fzSmallBuffers != 0 {
		h.cfg.RcvBuf, h.cfg.MSS = 1000, 100
	}
	if setup&fzToggle1337 != 0 {
		h.cfg.RFC1337 = !h.cfg.RFC1337
	}
	h.build(want, setup, iss, irs)
	if got := h.target().State(); got != want && !(want == tcp.Listen && got == tcp.Listen) {
		h.fail("setup reached %v, want %v", got, want)
	}
	h.logf("--- %v reached (setup %#x, ISS=%d, IRS=%d)", want, setup, iss, irs)
	return h
}

// build drives a fresh endpoint into want through the public API, playing
// the peer by hand: its ISS is irs and it acknowledges what it is told to.
func (h *fzHarness) build(want tcp.State, setup uint8, iss, irs seqnum.Value) {
	e := h.newEndpoint()
	passive := setup&fzPassive != 0
	switch want {
	case tcp.Closed:
		e.Local, e.Remote = fzLocal, fzRemote
		return
	case tcp.Listen:
		h.user("listen", func() error { return e.Listen(h.now, h) })
		return
	case tcp.SynSent:
		h.user("connect", func() error { return e.Connect(h.now, fzRemote, iss, h) })
		return
	}
	// SYN-RECEIVED and every synchronized state start with a handshake.
	if passive {
		h.user("listen", func() error { return e.Listen(h.now, h) })
		h.peer(tcp.SYN, irs, 0, nil)
	} else {
		h.user("connect", func() error { return e.Connect(h.now, fzRemote, iss, h) })
		if want == tcp.SynReceived {
			h.peer(tcp.SYN, irs, 0, nil) // simultaneous open
		}
	}
	if want == tcp.SynReceived {
		return
	}
	if want == tcp.FinWait1 && setup&fzEarlyClose != 0 {
		if !passive {
			h.peer(tcp.SYN, irs, 0, nil)
		}
		h.userClose()
		return
	}
	if passive {
		h.peer(tcp.ACK, irs.Add(1), iss.Add(1), nil)
	} else {
		h.peer(tcp.SYN|tcp.ACK, irs, iss.Add(1), nil)
	}
	if setup&fzDataOut != 0 {
		h.user("send", func() error { return h.target().Send(h.now, fzPayload(0, 1200), h) })
	}
	if setup&fzDataIn != 0 {
		h.peer(tcp.ACK|tcp.PSH, h.rcvNxt(), h.sndUna(), fzPayload(1, 300))
	}
	switch want {
	case tcp.Established:
	case tcp.FinWait1:
		h.userClose()
	case tcp.FinWait2:
		h.userClose()
		h.peer(tcp.ACK, h.rcvNxt(), h.sndNxt(), nil)
	case tcp.CloseWait:
		h.peer(tcp.FIN|tcp.ACK, h.rcvNxt(), h.sndUna(), nil)
	case tcp.Closing:
		h.userClose()
		h.peer(tcp.FIN|tcp.ACK, h.rcvNxt(), h.sndUna(), nil)
	case tcp.LastAck:
		h.peer(tcp.FIN|tcp.ACK, h.rcvNxt(), h.sndUna(), nil)
		h.userClose()
	case tcp.TimeWait:
		h.userClose()
		h.peer(tcp.ACK, h.rcvNxt(), h.sndNxt(), nil)
		h.peer(tcp.FIN|tcp.ACK, h.rcvNxt(), h.sndNxt(), nil)
	}
}

func (h *fzHarness) userClose() {
	h.closed = true
	if n := h.target().TCB().RcvQueued; n > 0 {
		// Read first: Linux answers a CLOSE with unread data by a reset.
		h.user("receive", func() error {
			_, _, err := h.target().Receive(h.now, make([]byte, n), h)
			return err
		})
	}
	h.user("close", func() error { return h.target().Close(h.now, h) })
}

func (h *fzHarness) newEndpoint() *tcp.Endpoint {
	e := new(tcp.Endpoint)
	e.Init(uint32(len(h.eps)+1), &h.cfg)
	e.Local = fzLocal
	h.eps = append(h.eps, e)
	return e
}

// target is where a segment from the peer goes: the newest live
// connection, else the listener, else the first endpoint (CLOSED, which
// answers with a reset).
func (h *fzHarness) target() *tcp.Endpoint {
	for i := len(h.eps) - 1; i >= 0; i-- {
		if st := h.eps[i].State(); st != tcp.Closed && st != tcp.Listen {
			return h.eps[i]
		}
	}
	for _, e := range h.eps {
		if e.State() == tcp.Listen && e.Parent == 0 {
			return e
		}
	}
	return h.eps[0]
}

func (h *fzHarness) rcvNxt() seqnum.Value { return h.target().TCB().RcvNxt }
func (h *fzHarness) sndUna() seqnum.Value { return h.target().TCB().SndUna }
func (h *fzHarness) sndNxt() seqnum.Value { return h.target().TCB().SndNxt }

func fzPayload(salt byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ salt
	}
	return b
}

// peer delivers a segment from the remote end during setup.
func (h *fzHarness) peer(flags tcp.Flags, seq, ack seqnum.Value, payload []byte) {
	h.arrive(&tcp.Segment{Src: fzRemote, Dst: fzLocal, Seq: seq, Ack: ack, Flags: flags, Window: 65535,
		Options: tcp.Options{MSS: 1460}, Payload: payload})
}

// run decodes ops into inputs and applies them one by one.
func (h *fzHarness) run(ops []byte) {
	r := fzReader{b: ops}
	for n := 0; r.more() && n < 64; n++ {
		op := r.byte()
		h.now += time.Duration(op>>4) * 25 * time.Millisecond
		switch op & 15 {
		case 12, 13:
			h.fireTimer()
		case 14:
			h.user("receive", func() error {
				_, _, err := h.target().Receive(h.now, make([]byte, 1+int(r.byte())*8), h)
				return err
			})
		case 15:
			n := int(r.byte())
			h.user("send", func() error { return h.target().Send(h.now, fzPayload(2, n), h) })
		default:
			seg := h.decodeSegment(&r)
			h.arrive(&seg)
		}
		for len(h.reopen) > 0 {
			// A SYN that ended a TIME-WAIT goes to the host again, as the
			// session redelivers it.
			syn := h.reopen[0]
			h.reopen = h.reopen[1:]
			h.arrive(&syn)
		}
	}
}

// decodeSegment reads a segment whose numbers are mostly relative to the
// target's TCB, so that the fuzzer reaches every window position.
func (h *fzHarness) decodeSegment(r *fzReader) tcp.Segment {
	tcb := h.target().TCB()
	flags := tcp.Flags(r.byte())
	seg := tcp.Segment{Src: fzRemote, Dst: fzLocal, Flags: flags}
	mode, off := r.byte(), seqnum.Value(int32(int16(r.uint16())))
	switch mode % 5 {
	case 0:
		seg.Seq = tcb.RcvNxt + off
	case 1:
		seg.Seq = tcb.RcvNxt.Add(seqnum.Size(tcb.RcvWnd)) + off
	case 2:
		seg.Seq = tcb.IRS + off
	case 3:
		seg.Seq = tcb.RcvNxt.Add(1<<31) + off // as far away as the circle allows
	default:
		seg.Seq = seqnum.Value(r.uint32())
	}
	mode, off = r.byte(), seqnum.Value(int32(int16(r.uint16())))
	switch mode % 5 {
	case 0:
		seg.Ack = tcb.SndUna + off
	case 1:
		seg.Ack = tcb.SndNxt + off
	case 2:
		seg.Ack = tcb.ISS + off
	case 3:
		seg.Ack = tcb.SndUna.Sub(65535) + off // RFC 5961's MAX.SND.WND edge
	default:
		seg.Ack = seqnum.Value(r.uint32())
	}
	seg.Window = r.uint16()
	if n := int(r.byte()); n < 128 {
		seg.Payload = fzPayload(3, n)
	} else {
		seg.Payload = fzPayload(3, (n-128)*32)
	}
	opts := r.byte()
	if opts&1 != 0 {
		seg.Options.MSS = r.uint16()
	}
	if opts&2 != 0 {
		seg.Options.HasTimestamps, seg.Options.TSVal, seg.Options.TSEcr = true, r.uint32(), r.uint32()
	}
	if opts&4 != 0 {
		seg.Options.HasWScale, seg.Options.WScale = true, r.byte()
	}
	seg.Options.SACKPermitted = opts&8 != 0
	if flags&tcp.URG != 0 {
		seg.Urgent = r.uint16()
	}
	return seg
}

// fireTimer runs the earliest armed timer of any endpoint, moving the
// clock to it.
func (h *fzHarness) fireTimer() {
	var (
		first *tcp.Endpoint
		which tcp.Timer
		at    time.Duration
	)
	for _, e := range h.eps {
		for tm := tcp.Timer(0); int(tm) < tcp.NumTimers; tm++ {
			if d, ok := e.Deadline(tm); ok && (first == nil || d < at) {
				first, which, at = e, tm, d
			}
		}
	}
	if first == nil {
		return
	}
	h.now = max(h.now, at)
	h.input("timer "+which.String(), func() { first.OnTimer(h.now, which, first.TimerGen(which), h) })
}

func (h *fzHarness) arrive(seg *tcp.Segment) {
	e := h.target()
	h.input(fmt.Sprintf("segment %v WND=%d len=%d → ep%d (%v)", seg, seg.Window, len(seg.Payload), e.ID, e.State()),
		func() { e.Arrive(h.now, seg, h) })
}

func (h *fzHarness) user(call string, fn func() error) {
	h.input("user "+call, func() {
		if err := fn(); err != nil {
			h.logf("  → %v", err)
		}
	})
}

// input applies one input and checks every invariant around it.
func (h *fzHarness) input(what string, apply func()) {
	h.logf("t=%v %s", h.now, what)
	h.cause = what
	h.before = map[*tcp.Endpoint]fzSnap{}
	h.changes = map[*tcp.Endpoint][]fzEdge{}
	h.gone = map[*tcp.Endpoint]bool{}
	for _, e := range h.eps {
		h.before[e] = fzSnap{e.State(), e.TCB()}
	}
	apply()
	for _, e := range h.eps {
		h.checkAfter(e)
	}
}

func (h *fzHarness) checkAfter(e *tcp.Endpoint) {
	b, existed := h.before[e]
	from := b.state
	if !existed {
		from = tcp.Listen // a listener's new child starts as a copy of it
	}
	closeQueuedHandshake := false
	for _, c := range h.changes[e] {
		if c[0] != from {
			h.fail("ep%d: reported %v → %v while in %v", e.ID, c[0], c[1], from)
		}
		if !fzAllowed(c[0], c[1], h.cause, e.Passive()) &&
			!(closeQueuedHandshake && c == fzEdge{tcp.Established, tcp.FinWait1}) {
			h.fail("ep%d: %v → %v on %s is not a transition RFC 9293 allows", e.ID, c[0], c[1], h.cause)
		}
		closeQueuedHandshake = h.closed && c == fzEdge{tcp.SynReceived, tcp.Established}
		from = c[1]
	}
	if e.State() != from {
		h.fail("ep%d: in %v, but the reported changes end in %v", e.ID, e.State(), from)
	}
	tcb := e.TCB()
	if !tcb.SndUna.LessThanEq(tcb.SndNxt) {
		h.fail("ep%d (%v): SND.UNA=%d > SND.NXT=%d", e.ID, e.State(), tcb.SndUna, tcb.SndNxt)
	}
	if st := e.State(); st != tcp.Closed && st != tcp.Listen {
		if n := int(tcb.SndUna.Size(tcb.SndNxt)); n > tcb.SndQueued+2 {
			h.fail("ep%d (%v): %d in flight but %d octets queued", e.ID, st, n, tcb.SndQueued)
		}
	}
	if tcb.RcvQueued > int(h.cfg.RcvBuf) {
		h.fail("ep%d (%v): %d octets received into a %d-octet buffer", e.ID, e.State(), tcb.RcvQueued, h.cfg.RcvBuf)
	}
	if existed && fzHasRcvNxt(b.state) && fzHasRcvNxt(e.State()) {
		if tcb.RcvNxt.LessThan(b.tcb.RcvNxt) {
			h.fail("ep%d (%v → %v): RCV.NXT went back from %d to %d", e.ID, b.state, e.State(), b.tcb.RcvNxt, tcb.RcvNxt)
		}
		if edge := b.tcb.RcvNxt.Add(seqnum.Size(b.tcb.RcvWnd)); b.state != tcp.SynSent && edge.LessThan(tcb.RcvNxt) {
			h.fail("ep%d (%v → %v): RCV.NXT moved from %d to %d, past the window's edge %d",
				e.ID, b.state, e.State(), b.tcb.RcvNxt, tcb.RcvNxt, edge)
		}
	}
}

// fzEdge is a transition, from → to.
type fzEdge [2]tcp.State

// fzHasRcvNxt: states in which RCV.NXT is defined (the peer's SYN is known).
func fzHasRcvNxt(s tcp.State) bool { return s >= tcp.SynReceived }

// fzAllowed is the transition table: Figure 6 of RFC 9293, the §3.10.7
// text's extra arrows, and the documented extras. User calls made by the
// fuzz inputs (RECEIVE, SEND) change no state.
func fzAllowed(from, to tcp.State, cause string, passive bool) bool {
	switch {
	case strings.HasPrefix(cause, "user listen"):
		return from == tcp.Closed && to == tcp.Listen
	case strings.HasPrefix(cause, "user connect"):
		return (from == tcp.Closed || from == tcp.Listen) && to == tcp.SynSent
	case strings.HasPrefix(cause, "user close"):
		switch (fzEdge{from, to}) {
		case fzEdge{tcp.SynReceived, tcp.FinWait1}, fzEdge{tcp.Established, tcp.FinWait1}, fzEdge{tcp.CloseWait, tcp.LastAck}:
			return true
		}
		return to == tcp.Closed
	case strings.HasPrefix(cause, "user"):
		return false
	}
	// Segments and timers.
	if to == tcp.Closed {
		// RST (§3.10.7.3, §3.10.7.4 second step), a SYN in the window
		// (fourth step), LAST-ACK's ACK, a reopening SYN in TIME-WAIT, and
		// the timeouts of §3.10.8. A listener is closed only by its user.
		return from != tcp.Closed && from != tcp.Listen
	}
	switch (fzEdge{from, to}) {
	case fzEdge{tcp.Listen, tcp.SynReceived}, // rcv SYN (the child's first change)
		fzEdge{tcp.SynSent, tcp.SynReceived}, // rcv SYN (simultaneous open)
		fzEdge{tcp.SynSent, tcp.Established}, // rcv SYN,ACK
		fzEdge{tcp.SynReceived, tcp.Established},
		fzEdge{tcp.SynReceived, tcp.CloseWait}, // eighth step, SYN-RECEIVED: "Enter the CLOSE-WAIT state"
		fzEdge{tcp.Established, tcp.CloseWait},
		fzEdge{tcp.FinWait1, tcp.FinWait2},
		fzEdge{tcp.FinWait1, tcp.Closing},
		fzEdge{tcp.FinWait1, tcp.TimeWait}, // eighth step: "If our FIN has been ACKed (perhaps in this segment)"
		fzEdge{tcp.FinWait2, tcp.TimeWait},
		fzEdge{tcp.Closing, tcp.TimeWait}:
		return true
	case fzEdge{tcp.SynReceived, tcp.Listen}:
		return passive // MUST-11: only a connection that came from LISTEN returns there
	}
	return false
}

// The tcp.Sink side: every report is checked as it comes.

func (h *fzHarness) StateChanged(e *tcp.Endpoint, from, to tcp.State, rule tcp.Rule) {
	h.alive(e, "changed state")
	h.logf("  ep%d %v → %v [%v]", e.ID, from, to, rule)
	h.changes[e] = append(h.changes[e], fzEdge{from, to})
}

func (h *fzHarness) Sent(e *tcp.Endpoint, seg *tcp.Segment, rule tcp.Rule) {
	h.alive(e, "sent a segment")
	h.logf("  ep%d sent %v WND=%d len=%d [%v]", e.ID, seg, seg.Window, len(seg.Payload), rule)
	tcb, st := e.TCB(), e.State()
	if seg.Flags&tcp.RST != 0 || st == tcp.Closed || st == tcp.Listen {
		return
	}
	if seg.Seq.LessThan(tcb.SndUna.Sub(1)) || tcb.SndNxt.LessThan(seg.End()) {
		h.fail("ep%d (%v) sent %v, outside SND.UNA-1=%d .. SND.NXT=%d", e.ID, st, seg, tcb.SndUna-1, tcb.SndNxt)
	}
	if len(seg.Payload) > int(tcb.SndMSS) {
		h.fail("ep%d (%v) sent %d octets, SND.MSS is %d", e.ID, st, len(seg.Payload), tcb.SndMSS)
	}
	if seg.Flags&tcp.ACK != 0 && seg.Ack != tcb.RcvNxt {
		h.fail("ep%d (%v) sent %v acknowledging %d, RCV.NXT is %d", e.ID, st, seg, seg.Ack, tcb.RcvNxt)
	}
}

func (h *fzHarness) Discarded(e *tcp.Endpoint, seg *tcp.Segment, rule tcp.Rule) {
	h.logf("  ep%d discarded [%v]", e.ID, rule)
}

func (h *fzHarness) Noted(e *tcp.Endpoint, seg *tcp.Segment, rule tcp.Rule) {
	h.logf("  ep%d noted [%v]", e.ID, rule)
}

func (h *fzHarness) TimerArmed(e *tcp.Endpoint, tm tcp.Timer, at time.Duration) {
	h.alive(e, "armed a timer")
	if at < h.now {
		h.fail("ep%d armed %v at %v, before now (%v)", e.ID, tm, at, h.now)
	}
}

func (h *fzHarness) TimerCancelled(e *tcp.Endpoint, tm tcp.Timer) {}

func (h *fzHarness) DataReady(e *tcp.Endpoint, n int) {
	h.alive(e, "delivered data")
	if n <= 0 {
		h.fail("ep%d reported %d octets ready", e.ID, n)
	}
}

func (h *fzHarness) Signal(e *tcp.Endpoint, err tcp.Error) { h.logf("  ep%d signal %v", e.ID, err) }

func (h *fzHarness) Reopen(e *tcp.Endpoint, syn *tcp.Segment, minISS seqnum.Value) {
	h.logf("  ep%d reopen, ISS > %d", e.ID, minISS)
	if e.State() != tcp.Closed {
		h.fail("ep%d reopened from %v", e.ID, e.State())
	}
	if b := h.before[e]; !b.tcb.SndNxt.LessThan(minISS) {
		h.fail("ep%d reopens with ISS floor %d, not above SND.NXT=%d", e.ID, minISS, b.tcb.SndNxt)
	}
	h.reopen = append(h.reopen, *syn)
}

func (h *fzHarness) Fork(l *tcp.Endpoint, syn *tcp.Segment) (*tcp.Endpoint, seqnum.Value) {
	h.alive(l, "forked")
	if len(h.eps) >= 8 {
		return nil, 0 // a small backlog
	}
	c := h.newEndpoint()
	iss := h.nextISS
	h.nextISS = h.nextISS.Add(100_000)
	return c, iss
}

func (h *fzHarness) Released(e *tcp.Endpoint) {
	h.alive(e, "was released")
	if st := e.State(); st != tcp.Closed && !(st == tcp.Listen && e.Parent != 0) {
		h.fail("ep%d released in %v", e.ID, st)
	}
	h.gone[e] = true
}

// alive fails when a deleted TCB reports anything more in the same input.
func (h *fzHarness) alive(e *tcp.Endpoint, what string) {
	if h.gone[e] {
		h.fail("ep%d %s after its TCB was deleted", e.ID, what)
	}
}

func (h *fzHarness) logf(format string, args ...any) {
	h.log = append(h.log, fmt.Sprintf(format, args...))
}

func (h *fzHarness) fail(format string, args ...any) {
	h.t.Helper()
	h.t.Fatalf(format+"\nhistory:\n%s", append(args, strings.Join(h.log, "\n"))...)
}

// fzReader reads the fuzz input; past its end every read is zero.
type fzReader struct {
	b []byte
}

func (r *fzReader) more() bool { return len(r.b) > 0 }

func (r *fzReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *fzReader) uint16() uint16 { return uint16(r.byte())<<8 | uint16(r.byte()) }

func (r *fzReader) uint32() uint32 { return uint32(r.uint16())<<16 | uint32(r.uint16()) }
