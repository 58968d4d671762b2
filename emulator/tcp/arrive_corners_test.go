package tcp

import (
	"errors"
	"testing"
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
)

// Named tests for the notable cells of the SEGMENT ARRIVES matrix and the
// corners the matrix's axes do not reach (bad ACKs, straddling segments,
// rate limits). Each names the RFC rule it checks. Fixtures come from
// fixtures_test.go: ISS = 1000, IRS = 5000.

// ackTo is <SEQ=seq><ACK=ack><CTL=ACK> from the endpoint under test.
func ackTo(seq, ack seqnum.Value) Segment {
	return Segment{Src: fxLocal, Dst: fxRemote, Seq: seq, Ack: ack, Flags: ACK}
}

// rstTo is <SEQ=seq><CTL=RST> from the endpoint under test.
func rstTo(seq seqnum.Value) Segment {
	return Segment{Src: fxLocal, Dst: fxRemote, Seq: seq, Flags: RST}
}

// rstAckTo is <SEQ=0><ACK=ack><CTL=RST,ACK> from the endpoint under test.
func rstAckTo(ack seqnum.Value) Segment {
	return Segment{Src: fxLocal, Dst: fxRemote, Ack: ack, Flags: RST | ACK}
}

// expectReply checks that exactly one segment went out and that it is want
// (addresses, SEQ, ACK when set, control bits, no payload).
func expectReply(t *testing.T, sent []sentSeg, want Segment) sentSeg {
	t.Helper()
	if len(sent) != 1 {
		t.Fatalf("sent %s, want exactly %s", describeSent(sent), want.String())
	}
	if !sameSegment(sent[0].seg, want) {
		t.Fatalf("sent %s, want %s", describeSent(sent), want.String())
	}
	return sent[0]
}

func expectNoReply(t *testing.T, sent []sentSeg) {
	t.Helper()
	if len(sent) != 0 {
		t.Fatalf("sent %s, want nothing", describeSent(sent))
	}
}

func expectState(t *testing.T, f *fixture, want State) {
	t.Helper()
	if got := f.ep.State(); got != want {
		t.Fatalf("state %s, want %s", got, want)
	}
}

func expectSignals(t *testing.T, f *fixture, want ...Error) {
	t.Helper()
	if len(f.rec.signals) != len(want) {
		t.Fatalf("signals %v, want %v", f.rec.signals, want)
	}
	for i := range want {
		if f.rec.signals[i] != want[i] {
			t.Fatalf("signals %v, want %v", f.rec.signals, want)
		}
	}
}

func expectChallenge(t *testing.T, s sentSeg) {
	t.Helper()
	if !isChallenge(s.rule) {
		t.Fatalf("the ACK was sent by rule %s, want an RFC 5961 challenge ACK", s.rule)
	}
}

// --- SYN-RECEIVED -------------------------------------------------------

// RFC 9293 §3.10.7.4 second, SYN-RECEIVED: "If this connection was
// initiated with a passive OPEN (i.e., came from the LISTEN state), then
// return this connection to LISTEN state and return. The user need not be
// informed." The session then removes the forked copy.
func TestSynReceivedPassiveRSTReturnsToListen(t *testing.T) {
	for _, rfc5961 := range []bool{false, true} {
		f := synReceivedPassive(t, rfc9293Config(rfc5961))
		expectNoReply(t, f.arrive(peer(fxIRS+1, 0, RST, "")))
		expectState(t, f, Listen)
		expectSignals(t, f)
		if len(f.rec.released) != 1 {
			t.Fatalf("RFC 5961 %v: released %v, want the child released once", rfc5961, f.rec.released)
		}
		if _, armed := f.ep.Deadline(TimerRetransmit); armed {
			t.Fatalf("RFC 5961 %v: the SYN,ACK is still being retransmitted; \"the retransmission queue should be flushed\"", rfc5961)
		}
	}
}

// RFC 9293 §3.10.7.4 second, SYN-RECEIVED: "If this connection was
// initiated with an active OPEN (i.e., came from SYN-SENT state), then the
// connection was refused; signal the user "connection refused". ... enter
// the CLOSED state and delete the TCB".
func TestSynReceivedActiveRSTIsConnectionRefused(t *testing.T) {
	f := synReceivedActive(t, rfc9293Config(false))
	expectNoReply(t, f.arrive(peer(fxIRS+1, 0, RST, "")))
	expectState(t, f, Closed)
	expectSignals(t, f, ErrConnectionRefused)
	if !errors.Is(f.ep.LastError(), ErrConnectionRefused) {
		t.Fatalf("LastError = %v, want connection refused", f.ep.LastError())
	}
}

// RFC 9293 §3.10.7.4 fourth, SYN-RECEIVED: "If the connection was
// initiated with a passive OPEN, then return this connection to the LISTEN
// state and return." — before, and regardless of, RFC 5961's challenge.
func TestSynReceivedPassiveSYNInWindowReturnsToListen(t *testing.T) {
	for _, rfc5961 := range []bool{false, true} {
		f := synReceivedPassive(t, rfc9293Config(rfc5961))
		expectNoReply(t, f.arrive(peer(fxIRS+100, 0, SYN, "")))
		expectState(t, f, Listen)
		expectSignals(t, f)
	}
}

// A retransmitted SYN lies left of the window (SEG.SEQ = IRS < RCV.NXT):
// §3.10.7.4 first, "If an incoming segment is not acceptable, an
// acknowledgment should be sent in reply". The rfc9293 profile does not
// resend the SYN,ACK as Linux does (Config.ResendSynAckOnDupSYN).
func TestSynReceivedRetransmittedSYNIsAnsweredWithACK(t *testing.T) {
	f := synReceivedPassive(t, rfc9293Config(false))
	expectReply(t, f.arrive(peer(fxIRS, 0, SYN, "")), ackTo(fxISS+1, fxIRS+1))
	expectState(t, f, SynReceived)
}

// RFC 9293 §3.10.7.4 fifth, SYN-RECEIVED: "If the segment acknowledgment
// is not acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST> and send
// it." The connection stays (RFC 9293 §3.5.1 Figure 10's half-open case).
func TestSynReceivedUnacceptableACKGetsReset(t *testing.T) {
	for _, ack := range []seqnum.Value{fxISS, fxISS + 2} {
		f := synReceivedPassive(t, rfc9293Config(false))
		expectReply(t, f.arrive(peer(fxIRS+1, ack, ACK, "")), rstTo(ack))
		expectState(t, f, SynReceived)
	}
}

// RFC 9293 §3.5 Figure 8 line 6: in a simultaneous open the peer's
// <SEQ=IRS><ACK=ISS+1><CTL=SYN,ACK> repeats the SYN already held and
// acknowledges ours: SYN-RECEIVED → ESTABLISHED with nothing to send.
func TestSimultaneousOpenSynAckCompletesHandshake(t *testing.T) {
	for _, rfc5961 := range []bool{false, true} {
		f := synReceivedActive(t, rfc9293Config(rfc5961))
		expectNoReply(t, f.arrive(peer(fxIRS, fxISS+1, SYN|ACK, "")))
		expectState(t, f, Established)
		if tcb := f.ep.TCB(); tcb.SndUna != fxISS+1 || tcb.RcvNxt != fxIRS+1 {
			t.Fatalf("SND.UNA/RCV.NXT = %d/%d, want %d/%d", tcb.SndUna, tcb.RcvNxt, fxISS+1, fxIRS+1)
		}
	}
}

// --- SYN-SENT -----------------------------------------------------------

// RFC 9293 §3.10.7.3 fourth: "Otherwise, enter SYN-RECEIVED, form a SYN,ACK
// segment <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>" — the same ISS as our SYN.
func TestSynSentSYNStartsSimultaneousOpenWithSameISS(t *testing.T) {
	f := synSent(t, rfc9293Config(false))
	s := expectReply(t, f.arrive(peer(fxIRS, 0, SYN, "")),
		Segment{Src: fxLocal, Dst: fxRemote, Seq: fxISS, Ack: fxIRS + 1, Flags: SYN | ACK})
	if s.seg.Options.MSS == 0 {
		t.Fatalf("the SYN,ACK carries no MSS option")
	}
	expectState(t, f, SynReceived)
	if f.ep.Passive() {
		t.Fatalf("a SYN-RECEIVED entered from SYN-SENT must remember the active OPEN (MUST-11)")
	}
}

// RFC 9293 §3.10.7.3 second: "If the ACK was acceptable, then signal to
// the user "error: connection reset", drop the segment, enter CLOSED
// state, delete TCB, and return." (Deliberately also with RFC 5961: no
// RCV.NXT exists in SYN-SENT; RFC 5961 §3.2 accepts a RST that
// acknowledges the SYN.)
func TestSynSentRSTWithAcceptableACKIsConnectionReset(t *testing.T) {
	for _, rfc5961 := range []bool{false, true} {
		f := synSent(t, rfc9293Config(rfc5961))
		expectNoReply(t, f.arrive(peer(12345, fxISS+1, RST|ACK, "")))
		expectState(t, f, Closed)
		expectSignals(t, f, ErrConnectionReset)
	}
}

// RFC 9293 §3.10.7.3 second: "Otherwise (no ACK), drop the segment and
// return." A RST whose ACK is unacceptable is dropped by the first step.
func TestSynSentRSTWithoutAcceptableACKIsIgnored(t *testing.T) {
	for _, seg := range []Segment{peer(fxIRS, 0, RST, ""), peer(fxIRS, fxISS, RST|ACK, ""), peer(fxIRS, fxISS+2, RST|ACK, "")} {
		f := synSent(t, rfc9293Config(false))
		expectNoReply(t, f.arrive(seg))
		expectState(t, f, SynSent)
		expectSignals(t, f)
	}
}

// RFC 9293 §3.10.7.3 first: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send
// a reset ... <SEQ=SEG.ACK><CTL=RST> and discard the segment."
func TestSynSentUnacceptableACKGetsReset(t *testing.T) {
	for _, ack := range []seqnum.Value{fxISS - 1, fxISS, fxISS + 2} {
		f := synSent(t, rfc9293Config(false))
		expectReply(t, f.arrive(peer(fxIRS, ack, SYN|ACK, "")), rstTo(ack))
		expectState(t, f, SynSent)
	}
}

// --- LISTEN and CLOSED ---------------------------------------------------

// RFC 9293 §3.10.7.2: RST ignored; any ACK answered with
// <SEQ=SEG.ACK><CTL=RST>; a SYN forks a connection that answers
// <SEQ=ISS><ACK=SEG.SEQ+1><CTL=SYN,ACK>; the listener stays in LISTEN.
func TestListenRules(t *testing.T) {
	f := listening(t, rfc9293Config(false))
	expectNoReply(t, f.arrive(peer(fxIRS, fxISS, RST|ACK, "")))
	expectReply(t, f.arrive(peer(fxIRS, 777, ACK, dataText)), rstTo(777))
	s := expectReply(t, f.arrive(peer(fxIRS, 0, SYN, "")),
		Segment{Src: fxLocal, Dst: fxRemote, Seq: fxISS, Ack: fxIRS + 1, Flags: SYN | ACK})
	expectState(t, f, Listen)
	if len(f.rec.children) != 1 || s.from != f.rec.children[0].ID || f.rec.children[0].State() != SynReceived {
		t.Fatalf("the SYN,ACK must come from one forked connection in SYN-RECEIVED")
	}
	if !f.rec.children[0].Passive() {
		t.Fatalf("the forked connection must remember its passive OPEN (MUST-11)")
	}
}

// A listener whose backlog is full drops the SYN; the peer retransmits.
func TestListenBacklogFullDropsSYN(t *testing.T) {
	f := listening(t, rfc9293Config(false))
	f.rec.backlogFull = true
	expectNoReply(t, f.arrive(peer(fxIRS, 0, SYN, "")))
	expectState(t, f, Listen)
}

// RFC 9293 §3.10.7.1: "An incoming segment not containing a RST causes a
// RST to be sent in response", in the form that the sender will accept.
func TestClosedAnswersWithAcceptableReset(t *testing.T) {
	f := closed(t, rfc9293Config(false))
	expectReply(t, f.arrive(peer(fxIRS, 0, SYN, "")), rstAckTo(fxIRS+1))
	expectReply(t, f.arrive(peer(fxIRS, 0, FIN, dataText)), rstAckTo(fxIRS+11))
	expectReply(t, f.arrive(peer(fxIRS, 4242, ACK, dataText)), rstTo(4242))
	expectNoReply(t, f.arrive(peer(fxIRS, 0, RST, "")))
}

// --- RST in synchronized states -----------------------------------------

// RFC 9293 §3.10.7.4 second, RFC 5961 3): "If the RST bit is set and the
// sequence number does not exactly match the next expected sequence value,
// yet is within the current receive window, TCP endpoints MUST send an
// acknowledgment (challenge ACK)" — and the connection survives.
func TestRSTInWindowNotExactGetsChallengeACKWith5961(t *testing.T) {
	f := established(t, rfc9293Config(true))
	s := expectReply(t, f.arrive(peer(fxIRS+2, 0, RST, "")), ackTo(fxISS+1, fxIRS+1))
	expectChallenge(t, s)
	expectState(t, f, Established)
	expectSignals(t, f)
}

// Without RFC 5961 any RST in the window resets (RFC 9293 §3.10.7.4
// second: "Users should also receive an unsolicited general "connection
// reset" signal. Enter the CLOSED state").
func TestRSTInWindowNotExactResetsWithout5961(t *testing.T) {
	f := established(t, rfc9293Config(false))
	expectNoReply(t, f.arrive(peer(fxIRS+1000, 0, RST, "")))
	expectState(t, f, Closed)
	expectSignals(t, f, ErrConnectionReset)
}

// RFC 5961 2): "If the RST bit is set and the sequence number exactly
// matches the next expected sequence number (RCV.NXT), then TCP endpoints
// MUST reset the connection".
func TestRSTExactlyAtRcvNxtResetsWith5961(t *testing.T) {
	f := established(t, rfc9293Config(true))
	expectNoReply(t, f.arrive(peer(fxIRS+1, 0, RST, "")))
	expectState(t, f, Closed)
	expectSignals(t, f, ErrConnectionReset)
}

// RFC 9293 §3.10.7.4 first: unacceptable, "unless the RST bit is set, if
// so drop the segment and return"; RFC 5961 1): "silently drop".
func TestRSTOutsideWindowIsDroppedSilently(t *testing.T) {
	for _, rfc5961 := range []bool{false, true} {
		for _, seq := range []seqnum.Value{fxIRS, fxIRS + 1 + MaxWindow} {
			f := established(t, rfc9293Config(rfc5961))
			expectNoReply(t, f.arrive(peer(seq, 0, RST, "")))
			expectState(t, f, Established)
		}
	}
}

// RFC 9293 §3.10.7.4 second, CLOSING/LAST-ACK/TIME-WAIT: "If the RST bit
// is set, then enter the CLOSED state, delete the TCB, and return." With
// RFC 1337 on, TIME-WAIT ignores it instead.
func TestTimeWaitRSTClosesUnlessRFC1337(t *testing.T) {
	f := timeWait(t, rfc9293Config(false))
	expectNoReply(t, f.arrive(peer(fxIRS+2, 0, RST, "")))
	expectState(t, f, Closed)
	expectSignals(t, f)

	cfg := rfc9293Config(false)
	cfg.RFC1337 = true
	f = timeWait(t, cfg)
	expectNoReply(t, f.arrive(peer(fxIRS+2, 0, RST, "")))
	expectState(t, f, TimeWait)
}

// --- SYN in synchronized states -----------------------------------------

// RFC 9293 §3.10.7.4 fourth (RFC 793 §3.9): "If the SYN is in the window
// it is an error: send a reset, ... the user should also receive an
// unsolicited general "connection reset" signal, enter the CLOSED state".
// The reset takes §3.5.2's form for the offending segment, so that its
// sender — a new connection attempt — accepts it.
func TestSYNInWindowResetsWithout5961(t *testing.T) {
	f := established(t, rfc9293Config(false))
	expectReply(t, f.arrive(peer(fxIRS+10, 0, SYN, "")), rstAckTo(fxIRS+11))
	expectState(t, f, Closed)
	expectSignals(t, f, ErrConnectionReset)

	f = established(t, rfc9293Config(false))
	expectReply(t, f.arrive(peer(fxIRS+10, 3333, SYN|ACK, "")), rstTo(3333))
	expectState(t, f, Closed)
}

// RFC 9293 §3.10.7.4 fourth (RFC 5961 §4.2): "if the SYN bit is set,
// irrespective of the sequence number, TCP endpoints MUST send a "challenge
// ACK" ... After sending the acknowledgment, TCP implementations MUST drop
// the unacceptable segment and stop processing further."
func TestSYNInWindowGetsChallengeACKWith5961(t *testing.T) {
	for _, build := range []func(testing.TB, *Config) *fixture{established, synReceivedActive, closeWait, timeWait} {
		f := build(t, rfc9293Config(true))
		s := expectReply(t, f.arrive(peer(f.rcvNxt+10, 0, SYN, "")), ackTo(f.sndNxt, f.rcvNxt))
		expectChallenge(t, s)
		expectState(t, f, f.state)
	}
}

// An acceptable segment whose SYN lies left of RCV.NXT has the SYN trimmed
// off as old (§3.10.7.4 first: "trimming off any portions that lie outside
// the window (including SYN and FIN)") and its new data is processed; RFC
// 5961 challenges it "irrespective of the sequence number".
func TestOldSYNOnStraddlingSegmentIsTrimmedWithout5961(t *testing.T) {
	seg := peer(fxIRS, fxISS+1, SYN|ACK, dataText) // the SYN at IRS, data from IRS+1
	f := established(t, rfc9293Config(false))
	expectReply(t, f.arrive(seg), ackTo(fxISS+1, fxIRS+11))
	expectState(t, f, Established)

	f = established(t, rfc9293Config(true))
	expectChallenge(t, expectReply(t, f.arrive(seg), ackTo(fxISS+1, fxIRS+1)))
	if got := f.ep.TCB().RcvQueued; got != 0 {
		t.Fatalf("RFC 5961: %d octets accepted from a challenged segment", got)
	}
}

// --- text, trimming, out of order ---------------------------------------

// RFC 9293 §3.10.7.4 first: "If a segment's contents straddle the boundary
// between old and new, only the new parts are processed."
func TestSegmentStraddlingLeftEdgeKeepsOnlyNewOctets(t *testing.T) {
	f := established(t, rfc9293Config(false))
	expectReply(t, f.arrive(peer(fxIRS+1, fxISS+1, ACK, "0123")), ackTo(fxISS+1, fxIRS+5))
	expectReply(t, f.arrive(peer(fxIRS+1, fxISS+1, ACK, dataText)), ackTo(fxISS+1, fxIRS+11))
	buf := make([]byte, 32)
	n, _, err := f.ep.Receive(fxNow, buf, f.rec)
	if err != nil || string(buf[:n]) != dataText {
		t.Fatalf("received %q, %v; want %q", buf[:n], err, dataText)
	}
}

// A FIN ahead of RCV.NXT is held (SHLD-31) and answered with a duplicate
// ACK (RFC 5681 §4.2); once the gap fills, the eighth step runs: "advance
// RCV.NXT over the FIN, and send an acknowledgment for the FIN ...
// ESTABLISHED STATE: Enter the CLOSE-WAIT state."
func TestOutOfOrderFINIsProcessedWhenTheGapFills(t *testing.T) {
	f := established(t, rfc9293Config(false))
	expectReply(t, f.arrive(peer(fxIRS+11, fxISS+1, FIN|ACK, "")), ackTo(fxISS+1, fxIRS+1))
	expectState(t, f, Established)
	expectReply(t, f.arrive(peer(fxIRS+1, fxISS+1, ACK, dataText)), ackTo(fxISS+1, fxIRS+12))
	expectState(t, f, CloseWait)
	expectSignals(t, f, ErrConnectionClosing)
}

// In CLOSE-WAIT the peer's retransmitted FIN is an old duplicate: "an
// acknowledgment should be sent in reply" and nothing else happens — no
// second "connection closing".
func TestCloseWaitRetransmittedFINIsAckedAgain(t *testing.T) {
	f := closeWait(t, rfc9293Config(false))
	expectReply(t, f.arrive(peer(fxIRS+1, fxISS+1, FIN|ACK, "")), ackTo(fxISS+1, fxIRS+2))
	expectState(t, f, CloseWait)
	expectSignals(t, f)
}

// --- closing states -----------------------------------------------------

// RFC 9293 §3.10.7.4 eighth, FIN-WAIT-1: "If our FIN has been ACKed
// (perhaps in this segment), then enter TIME-WAIT ...; otherwise, enter
// the CLOSING state." (§3.6 Figure 13, simultaneous close.)
func TestFinWait1SimultaneousCloseEntersClosing(t *testing.T) {
	f := finWait1(t, rfc9293Config(false))
	expectReply(t, f.arrive(peer(fxIRS+1, fxISS+1, FIN|ACK, "")), ackTo(fxISS+2, fxIRS+2))
	expectState(t, f, Closing)
	expectSignals(t, f, ErrConnectionClosing)
}

// The same FIN acknowledging ours: FIN-WAIT-1 → TIME-WAIT in one segment,
// the 2MSL timer started at its arrival.
func TestFinWait1FINAckingOurFINEntersTimeWait(t *testing.T) {
	f := finWait1(t, rfc9293Config(false))
	expectReply(t, f.arrive(peer(fxIRS+1, fxISS+2, FIN|ACK, "")), ackTo(fxISS+2, fxIRS+2))
	expectState(t, f, TimeWait)
	if at, armed := f.ep.Deadline(TimerTimeWait); !armed || at != fxNow+240*time.Second {
		t.Fatalf("time-wait timer armed=%v at %v, want at %v", armed, at, fxNow+240*time.Second)
	}
}

// RFC 9293 §3.10.7.4 fifth, CLOSING: "if the ACK acknowledges our FIN,
// then enter the TIME-WAIT state; otherwise, ignore the segment."
func TestClosingACKOfOurFINEntersTimeWait(t *testing.T) {
	f := closing(t, rfc9293Config(false))
	expectNoReply(t, f.arrive(peer(fxIRS+2, fxISS+1, ACK, "")))
	expectState(t, f, Closing)
	expectNoReply(t, f.arrive(peer(fxIRS+2, fxISS+2, ACK, "")))
	expectState(t, f, TimeWait)
	if at, armed := f.ep.Deadline(TimerTimeWait); !armed || at != fxNow+240*time.Second {
		t.Fatalf("time-wait timer armed=%v at %v, want at %v", armed, at, fxNow+240*time.Second)
	}
}

// RFC 9293 §3.10.7.4 fifth, LAST-ACK: "The only thing that can arrive in
// this state is an acknowledgment of our FIN. If our FIN is now
// acknowledged, delete the TCB, enter the CLOSED state, and return."
func TestLastAckACKOfOurFINCloses(t *testing.T) {
	f := lastAck(t, rfc9293Config(false))
	expectNoReply(t, f.arrive(peer(fxIRS+2, fxISS+1, ACK, "")))
	expectState(t, f, LastAck)
	expectNoReply(t, f.arrive(peer(fxIRS+2, fxISS+2, ACK, "")))
	expectState(t, f, Closed)
	if len(f.rec.released) != 1 {
		t.Fatalf("the TCB was not deleted")
	}
}

// RFC 9293 §3.10.7.4 fifth, TIME-WAIT: "The only thing that can arrive in
// this state is a retransmission of the remote FIN. Acknowledge it, and
// restart the 2 MSL timeout." It is left of the window (RCV.NXT is past
// it), so the first step meets it.
func TestTimeWaitRetransmittedFINIsAckedAndRestarts(t *testing.T) {
	f := timeWait(t, rfc9293Config(false))
	expectReply(t, f.arrive(peer(fxIRS+1, fxISS+2, FIN|ACK, "")), ackTo(fxISS+2, fxIRS+2))
	expectState(t, f, TimeWait)
	if at, armed := f.ep.Deadline(TimerTimeWait); !armed || at != fxNow+240*time.Second {
		t.Fatalf("time-wait timer armed=%v at %v, want restarted to %v", armed, at, fxNow+240*time.Second)
	}
	expectSignals(t, f)
}

// Under rfc9293 an acceptable segment without a FIN is not a retransmitted
// FIN: TIME-WAIT ignores it and does not restart (the linux profile's
// TimeWaitRestartOnACK does).
func TestTimeWaitIgnoresAcceptableACK(t *testing.T) {
	f := timeWait(t, rfc9293Config(false))
	expectNoReply(t, f.arrive(peer(fxIRS+2, fxISS+2, ACK, "")))
	expectState(t, f, TimeWait)
	if at, _ := f.ep.Deadline(TimerTimeWait); at != fxSetup+240*time.Second {
		t.Fatalf("time-wait timer at %v, want unchanged at %v", at, fxSetup+240*time.Second)
	}
}

// --- the ACK field ------------------------------------------------------

// RFC 9293 §3.10.7.4 fifth: "If the ACK acks something not yet sent
// (SEG.ACK > SND.NXT), then send an ACK, drop the segment, and return."
// With RFC 5961 the same ACK goes out as a (rate-limited) challenge.
func TestACKOfUnsentDataIsAnsweredAndDropped(t *testing.T) {
	for _, rfc5961 := range []bool{false, true} {
		f := established(t, rfc9293Config(rfc5961))
		s := expectReply(t, f.arrive(peer(fxIRS+1, fxISS+100, ACK, dataText)), ackTo(fxISS+1, fxIRS+1))
		if rfc5961 {
			expectChallenge(t, s)
		}
		if tcb := f.ep.TCB(); tcb.RcvQueued != 0 || tcb.SndUna != fxISS+1 {
			t.Fatalf("RFC 5961 %v: the segment was processed (RCV queued %d, SND.UNA %d)", rfc5961, tcb.RcvQueued, tcb.SndUna)
		}
	}
}

// RFC 5961 §5.2: "the ACK value is acceptable only if it is in the range
// of ((SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT)"; without it, "If the
// ACK is a duplicate (SEG.ACK < SND.UNA), it can be ignored" and the text
// is processed — the blind data injection RFC 5961 §5 closes.
func TestOldACKBelowMaxSndWndIsChallengedWith5961(t *testing.T) {
	old := (fxISS + 1).Sub(MaxWindow + 1) // one below SND.UNA − MAX.SND.WND
	f := established(t, rfc9293Config(false))
	expectReply(t, f.arrive(peer(fxIRS+1, old, ACK, dataText)), ackTo(fxISS+1, fxIRS+11))

	f = established(t, rfc9293Config(true))
	expectChallenge(t, expectReply(t, f.arrive(peer(fxIRS+1, old, ACK, dataText)), ackTo(fxISS+1, fxIRS+1)))
	if got := f.ep.TCB().RcvQueued; got != 0 {
		t.Fatalf("%d octets injected past the RFC 5961 ACK check", got)
	}
	// At the bottom of the range the ACK is acceptable.
	f = established(t, rfc9293Config(true))
	expectReply(t, f.arrive(peer(fxIRS+1, old+1, ACK, dataText)), ackTo(fxISS+1, fxIRS+11))
}

// --- RFC 5961 §7: challenge-ACK throttling --------------------------------

// RFC 5961 §7: "An implementation SHOULD include an ACK throttling
// mechanism to be conservative." The rfc9293 profile allows ten challenge
// ACKs a second per endpoint, shared by the RST, SYN and ACK challenges;
// past the limit the segment is still dropped, only silently.
func TestChallengeACKRateLimit(t *testing.T) {
	cfg := rfc9293Config(true)
	f := established(t, cfg)
	rst := peer(fxIRS+2, 0, RST, "")
	for i := 0; i < cfg.ChallengeACKLimit; i++ {
		expectChallenge(t, expectReply(t, f.arrive(rst), ackTo(fxISS+1, fxIRS+1)))
	}
	expectNoReply(t, f.arrive(rst))
	expectNoReply(t, f.arriveAt(fxNow+999*time.Millisecond, peer(fxIRS+5, 0, SYN, "")))
	expectNoReply(t, f.arriveAt(fxNow+999*time.Millisecond, peer(fxIRS+1, fxISS+100, ACK, "")))
	expectState(t, f, Established)
	expectSignals(t, f)

	// A second later the budget is back.
	expectChallenge(t, expectReply(t, f.arriveAt(fxNow+time.Second, rst), ackTo(fxISS+1, fxIRS+1)))
	// The limit throttles challenge ACKs only: an exact RST still resets.
	expectNoReply(t, f.arriveAt(fxNow+time.Second, peer(fxIRS+1, 0, RST, "")))
	expectState(t, f, Closed)
}

// The limit is per endpoint: one connection's exhausted budget does not
// silence another's.
func TestChallengeACKRateLimitIsPerEndpoint(t *testing.T) {
	cfg := rfc9293Config(true)
	a, b := established(t, cfg), established(t, cfg)
	for i := 0; i <= cfg.ChallengeACKLimit; i++ {
		a.arrive(peer(fxIRS+2, 0, RST, ""))
	}
	expectNoReply(t, a.arrive(peer(fxIRS+2, 0, RST, "")))
	expectChallenge(t, expectReply(t, b.arrive(peer(fxIRS+2, 0, RST, "")), ackTo(fxISS+1, fxIRS+1)))
}
