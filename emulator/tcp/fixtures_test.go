package tcp

import (
	"testing"
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
)

// Fixtures put an endpoint INTO each state of RFC 9293 §3.3.2 through the
// public API only — Listen, Connect, Close and Arrive of the peer's segments —
// the way smoltcp's socket_established() does, so that a state reached here
// is a state a real exchange reaches. Every fixture checks the sequence
// variables its story implies, so a test built on it can state its
// expectations from the story (ISS, IRS and what was exchanged) rather than
// from the code under test.

const (
	fxLocal  AddrID = 1 // the endpoint under test
	fxRemote AddrID = 2 // its peer, played by the test

	fxISS seqnum.Value = 1000 // our ISS (a fixed ISN, as graders set it)
	fxIRS seqnum.Value = 5000 // the peer's ISS

	fxPeerWnd = 65535 // SEG.WND on every segment the peer sends

	// fxSetup is when a fixture is built; fxNow is when a test's segment
	// arrives, so that a timer (re)started by the arrival is told apart
	// from one started while building the fixture.
	fxSetup = 0
	fxNow   = time.Second
)

// rfc9293Config is the rfc9293 profile's values (emulator.ProfileRFC9293;
// package tcp cannot import emulator, and profile_sync_test.go checks that
// the two agree), with the RFC 5961 switch set as asked.
func rfc9293Config(rfc5961 bool) *Config {
	c := &Config{
		MSL:               120 * time.Second,
		TimeWait:          240 * time.Second,
		RTOInitial:        time.Second,
		RTOMin:            time.Second,
		RTOMax:            60 * time.Second,
		SynRetries:        6,
		SynAckRetries:     5,
		DataRetries:       15,
		ChallengeACKLimit: 10,
		MSS:               1460,
		RcvBuf:            MaxWindow,
		SndBuf:            1 << 20,
		Backlog:           128,
	}
	c.RFC5961 = rfc5961
	return c
}

// MatrixProfile exposes rfc9293Config to profile_sync_test.go (package
// tcp_test), which compares it with emulator.ProfileRFC9293.
func MatrixProfile() Config { return *rfc9293Config(false) }

// sentSeg is a segment an endpoint handed to the sink, with the rule it cited.
type sentSeg struct {
	from uint32 // the sending endpoint's ID
	seg  Segment
	rule Rule
}

type stateChange struct {
	ep       uint32
	from, to State
	rule     Rule
}

// recorder is a tcp.Sink that keeps everything an endpoint reports. Fork
// hands out a fresh endpoint with ISS fxISS, as a fixed-ISN session would.
type recorder struct {
	nextID      uint32
	backlogFull bool

	changes   []stateChange
	sent      []sentSeg
	discarded []Rule
	noted     []Rule
	signals   []Error
	released  []uint32
	children  []*Endpoint
	reopened  []Segment
	armed     []Timer
}

func newRecorder() *recorder { return &recorder{nextID: 100} }

// clear forgets what was recorded (the children stay reachable through the
// endpoints that hold them).
func (r *recorder) clear() {
	r.changes, r.sent, r.discarded, r.noted = nil, nil, nil, nil
	r.signals, r.released, r.children, r.reopened, r.armed = nil, nil, nil, nil, nil
}

func (r *recorder) StateChanged(ep *Endpoint, from, to State, rule Rule) {
	r.changes = append(r.changes, stateChange{ep.ID, from, to, rule})
}

func (r *recorder) Sent(ep *Endpoint, seg *Segment, rule Rule) {
	r.sent = append(r.sent, sentSeg{ep.ID, *seg, rule})
}

func (r *recorder) Discarded(ep *Endpoint, seg *Segment, rule Rule) {
	r.discarded = append(r.discarded, rule)
}

func (r *recorder) Noted(ep *Endpoint, seg *Segment, rule Rule) { r.noted = append(r.noted, rule) }

func (r *recorder) TimerArmed(ep *Endpoint, t Timer, at time.Duration) {
	r.armed = append(r.armed, t)
}

func (r *recorder) TimerCancelled(ep *Endpoint, t Timer) {}

func (r *recorder) DataReady(ep *Endpoint, n int) {}

func (r *recorder) Signal(ep *Endpoint, err Error) { r.signals = append(r.signals, err) }

func (r *recorder) Reopen(ep *Endpoint, syn *Segment, minISS seqnum.Value) {
	r.reopened = append(r.reopened, *syn)
}

func (r *recorder) Fork(l *Endpoint, syn *Segment) (*Endpoint, seqnum.Value) {
	if r.backlogFull {
		return nil, 0
	}
	child := &Endpoint{}
	child.Init(r.nextID, l.Config())
	r.nextID++
	r.children = append(r.children, child)
	return child, fxISS
}

func (r *recorder) Released(ep *Endpoint) { r.released = append(r.released, ep.ID) }

// peer builds a segment from the peer to the endpoint under test. The
// segment has ACK set iff flags says so; ack is ignored otherwise.
func peer(seq, ack seqnum.Value, flags Flags, payload string) Segment {
	seg := Segment{Src: fxRemote, Dst: fxLocal, Seq: seq, Flags: flags, Window: fxPeerWnd}
	if flags&ACK != 0 {
		seg.Ack = ack
	}
	if payload != "" {
		seg.Payload = []byte(payload)
	}
	return seg
}

// fixture is an endpoint in a known state together with its sink, and the
// story's values of the TCB variables the expectations are written from.
type fixture struct {
	ep  *Endpoint
	rec *recorder

	state   State
	passive bool         // SYN-RECEIVED came from LISTEN (MUST-11)
	sndUna  seqnum.Value // SND.UNA
	sndNxt  seqnum.Value // SND.NXT
	rcvNxt  seqnum.Value // RCV.NXT (meaningless in CLOSED, LISTEN, SYN-SENT)
	twSince time.Duration
}

// arrive delivers seg at fxNow and returns what the endpoint sent.
func (f *fixture) arrive(seg Segment) []sentSeg {
	return f.arriveAt(fxNow, seg)
}

func (f *fixture) arriveAt(now time.Duration, seg Segment) []sentSeg {
	f.rec.clear()
	f.ep.Arrive(now, &seg, f.rec)
	return f.rec.sent
}

// check verifies that the fixture is where its story says; a broken
// fixture stops the test, since every expectation built on it would be void.
func (f *fixture) check(t testing.TB) *fixture {
	t.Helper()
	if got := f.ep.State(); got != f.state {
		t.Fatalf("fixture: endpoint is in %s, want %s", got, f.state)
	}
	if f.state == Closed || f.state == Listen {
		return f
	}
	tcb := f.ep.TCB()
	if tcb.ISS != fxISS || tcb.SndUna != f.sndUna || tcb.SndNxt != f.sndNxt {
		t.Fatalf("fixture %s: ISS/SND.UNA/SND.NXT = %d/%d/%d, want %d/%d/%d",
			f.state, tcb.ISS, tcb.SndUna, tcb.SndNxt, fxISS, f.sndUna, f.sndNxt)
	}
	if f.state != SynSent && (tcb.IRS != fxIRS || tcb.RcvNxt != f.rcvNxt) {
		t.Fatalf("fixture %s: IRS/RCV.NXT = %d/%d, want %d/%d", f.state, tcb.IRS, tcb.RcvNxt, fxIRS, f.rcvNxt)
	}
	if f.ep.Passive() != f.passive {
		t.Fatalf("fixture %s: passive = %v, want %v", f.state, f.ep.Passive(), f.passive)
	}
	if f.state.Synchronized() && tcb.RcvWnd == 0 {
		t.Fatalf("fixture %s: RCV.WND is zero", f.state)
	}
	f.rec.clear()
	return f
}

// must fails the test when a user call the fixture relies on fails.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
}

// newEndpoint returns a CLOSED endpoint bound to fxLocal.
func newEndpoint(cfg *Config) *Endpoint {
	ep := &Endpoint{}
	ep.Init(1, cfg)
	ep.Local = fxLocal
	return ep
}

// closed: a TCB that does not exist (§3.10.7.1).
func closed(t testing.TB, cfg *Config) *fixture {
	t.Helper()
	f := &fixture{ep: newEndpoint(cfg), rec: newRecorder(), state: Closed}
	return f.check(t)
}

// listening: passive OPEN (§3.10.1).
func listening(t testing.TB, cfg *Config) *fixture {
	t.Helper()
	f := closed(t, cfg)
	must(t, f.ep.Listen(fxSetup, f.rec))
	f.state = Listen
	return f.check(t)
}

// synSent: active OPEN, <SEQ=ISS><CTL=SYN> sent.
func synSent(t testing.TB, cfg *Config) *fixture {
	t.Helper()
	f := closed(t, cfg)
	must(t, f.ep.Connect(fxSetup, fxRemote, fxISS, f.rec))
	f.state, f.sndUna, f.sndNxt = SynSent, fxISS, fxISS+1
	return f.check(t)
}

// synReceivedPassive: a listener took <SEQ=IRS><CTL=SYN> and forked the
// child returned here, which answered <SEQ=ISS><ACK=IRS+1><CTL=SYN,ACK>.
func synReceivedPassive(t testing.TB, cfg *Config) *fixture {
	t.Helper()
	l := listening(t, cfg)
	syn := peer(fxIRS, 0, SYN, "")
	l.ep.Arrive(fxSetup, &syn, l.rec)
	if len(l.rec.children) != 1 {
		t.Fatalf("fixture: the listener forked %d children, want 1", len(l.rec.children))
	}
	f := &fixture{ep: l.rec.children[0], rec: l.rec, state: SynReceived, passive: true,
		sndUna: fxISS, sndNxt: fxISS + 1, rcvNxt: fxIRS + 1}
	return f.check(t)
}

// synReceivedActive: simultaneous open (§3.5 Figure 8) — our SYN is out and
// the peer's <SEQ=IRS><CTL=SYN> crossed it; we answered with a SYN,ACK.
func synReceivedActive(t testing.TB, cfg *Config) *fixture {
	t.Helper()
	f := synSent(t, cfg)
	f.arriveAt(fxSetup, peer(fxIRS, 0, SYN, ""))
	f.state, f.rcvNxt = SynReceived, fxIRS+1
	return f.check(t)
}

// established: active OPEN completed by <SEQ=IRS><ACK=ISS+1><CTL=SYN,ACK>.
func established(t testing.TB, cfg *Config) *fixture {
	t.Helper()
	f := synSent(t, cfg)
	f.arriveAt(fxSetup, peer(fxIRS, fxISS+1, SYN|ACK, ""))
	f.state, f.sndUna, f.rcvNxt = Established, fxISS+1, fxIRS+1
	return f.check(t)
}

// finWait1: CLOSE in ESTABLISHED sent <SEQ=ISS+1><CTL=FIN,ACK>, unacknowledged.
func finWait1(t testing.TB, cfg *Config) *fixture {
	t.Helper()
	f := established(t, cfg)
	must(t, f.ep.Close(fxSetup, f.rec))
	f.state, f.sndNxt = FinWait1, fxISS+2
	return f.check(t)
}

// finWait2: the peer acknowledged our FIN.
func finWait2(t testing.TB, cfg *Config) *fixture {
	t.Helper()
	f := finWait1(t, cfg)
	f.arriveAt(fxSetup, peer(fxIRS+1, fxISS+2, ACK, ""))
	f.state, f.sndUna = FinWait2, fxISS+2
	return f.check(t)
}

// timeWait: in FIN-WAIT-2 the peer's FIN <SEQ=IRS+1> arrived and was
// acknowledged; the 2MSL timer started at fxSetup.
func timeWait(t testing.TB, cfg *Config) *fixture {
	t.Helper()
	f := finWait2(t, cfg)
	f.arriveAt(fxSetup, peer(fxIRS+1, fxISS+2, FIN|ACK, ""))
	f.state, f.rcvNxt, f.twSince = TimeWait, fxIRS+2, fxSetup
	return f.check(t)
}

// closing: simultaneous close — in FIN-WAIT-1 the peer's FIN arrived
// without acknowledging ours (§3.5 Figure 13).
func closing(t testing.TB, cfg *Config) *fixture {
	t.Helper()
	f := finWait1(t, cfg)
	f.arriveAt(fxSetup, peer(fxIRS+1, fxISS+1, FIN|ACK, ""))
	f.state, f.rcvNxt = Closing, fxIRS+2
	return f.check(t)
}

// closeWait: in ESTABLISHED the peer's FIN <SEQ=IRS+1> arrived.
func closeWait(t testing.TB, cfg *Config) *fixture {
	t.Helper()
	f := established(t, cfg)
	f.arriveAt(fxSetup, peer(fxIRS+1, fxISS+1, FIN|ACK, ""))
	f.state, f.rcvNxt = CloseWait, fxIRS+2
	return f.check(t)
}

// lastAck: CLOSE in CLOSE-WAIT sent our FIN <SEQ=ISS+1>, unacknowledged.
func lastAck(t testing.TB, cfg *Config) *fixture {
	t.Helper()
	f := closeWait(t, cfg)
	must(t, f.ep.Close(fxSetup, f.rec))
	f.state, f.sndNxt = LastAck, fxISS+2
	return f.check(t)
}
