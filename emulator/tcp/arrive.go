package tcp

import (
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
)

// Arrive processes a segment addressed to this endpoint: RFC 9293 §3.10.7,
// SEGMENT ARRIVES. The segment's payload is only read.
func (e *Endpoint) Arrive(now time.Duration, seg *Segment, s Sink) {
	switch e.state {
	case Closed:
		e.arriveClosed(seg, s)
	case Listen:
		e.arriveListen(now, seg, s)
	case SynSent:
		e.arriveSynSent(now, seg, s)
	case SynReceived, Established, FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait:
		e.arriveSynchronized(now, seg, s)
	default:
		panic("tcp: endpoint in an unknown state")
	}
}

// arriveClosed is §3.10.7.1: "all data in the incoming segment is
// discarded. An incoming segment containing a RST is discarded. An
// incoming segment not containing a RST causes a RST to be sent."
func (e *Endpoint) arriveClosed(seg *Segment, s Sink) {
	rst, ok := ResetFor(seg)
	if !ok {
		s.Discarded(e, seg, RuleClosedDiscardRST)
		return
	}
	s.Sent(e, &rst, RuleClosedReset)
}

// arriveListen is §3.10.7.2.
func (e *Endpoint) arriveListen(now time.Duration, seg *Segment, s Sink) {
	switch {
	case seg.Flags&RST != 0:
		// "first, check for a RST: An incoming RST should be ignored."
		s.Discarded(e, seg, RuleListenRSTIgnored)
	case seg.Flags&ACK != 0:
		// "second, check for an ACK: Any acknowledgment is bad if it
		// arrives on a connection still in the LISTEN state. An acceptable
		// reset segment should be formed for any arriving ACK-bearing
		// segment. The RST should be formatted as follows: <SEQ=SEG.ACK><CTL=RST>"
		rst, _ := ResetFor(seg)
		s.Sent(e, &rst, RuleListenACKReset)
	case seg.Flags&SYN != 0:
		// "third, check for a SYN": the listener forks a connection that
		// takes the SYN; the listener itself stays in LISTEN.
		child, iss := s.Fork(e, seg)
		if child == nil {
			s.Discarded(e, seg, RuleListenBacklogFull)
			return
		}
		child.openFromListen(now, e, seg, iss, s)
	default:
		// "fourth, other data or control: ... drop the segment and return."
		s.Discarded(e, seg, RuleListenOtherDropped)
	}
}

// openFromListen runs §3.10.7.2's SYN rule on a freshly forked child:
// "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ, and any other control or
// text should be queued for processing later. ISS should be selected and a
// SYN segment sent of the form: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. SND.NXT
// is set to ISS+1 and SND.UNA to ISS. The connection state should be
// changed to SYN-RECEIVED."
func (e *Endpoint) openFromListen(now time.Duration, l *Endpoint, seg *Segment, iss seqnum.Value, s Sink) {
	e.Parent = l.ID
	e.Local, e.Remote = seg.Dst, seg.Src
	e.state = Listen // the child starts as a copy of its listener
	e.passive = true
	e.irs, e.rcvNxt, e.rcvAdv = seg.Seq, seg.Seq.Add(1), seg.Seq.Add(1)
	e.iss, e.sndUna, e.sndNxt = iss, iss, iss.Add(1)
	e.sndMSS = peerMSS(seg, e.cfg)
	// SND.WND, SND.WL1 and SND.WL2 come from the SYN, as in SYN-SENT
	// (§3.10.7.3). §3.10.7.2 leaves them to the ACK that completes the
	// handshake, but a CLOSE in SYN-RECEIVED enters FIN-WAIT-1 first
	// (§3.10.4), whose ACK processing never sets them: with SND.WND zero the
	// FIN never left and an unset SND.WL1 blocked every later window update.
	// Linux (tcp_create_openreq_child) and BSD (syncache_socket) do the same.
	e.updateWindow(seg)
	if seg.Options.HasTimestamps {
		e.flags |= flagPeerTimestamps
		e.tsRecent = seg.Options.TSVal
	}
	if len(seg.Payload) > 0 || seg.Flags&FIN != 0 {
		// Text (and a FIN) on the SYN waits until ESTABLISHED.
		e.hold(seg.Seq.Add(1), seg.Payload, seg.Flags&FIN != 0)
	}
	e.transition(SynReceived, RuleListenSYN, s)
	e.sendSYN(now, true, RuleListenSYN, s)
}

// peerMSS is the effective send MSS: the peer's MSS option (536 when
// absent, MUST-15) capped by our own (RFC 9293 §3.7.1).
func peerMSS(seg *Segment, cfg *Config) uint16 {
	m := uint16(DefaultPeerMSS)
	if seg.Options.MSS != 0 {
		m = seg.Options.MSS
	}
	return min(m, cfg.MSS)
}

// arriveSynSent is §3.10.7.3.
func (e *Endpoint) arriveSynSent(now time.Duration, seg *Segment, s Sink) {
	ackOK := false
	if seg.Flags&ACK != 0 {
		// "first, check the ACK bit: If SEG.ACK =< ISS or SEG.ACK >
		// SND.NXT, send a reset (unless the RST bit is set, if so drop the
		// segment and return) <SEQ=SEG.ACK><CTL=RST> and discard the segment."
		if seg.Ack.LessThanEq(e.iss) || seg.Ack.GreaterThan(e.sndNxt) {
			if seg.Flags&RST != 0 {
				s.Discarded(e, seg, RuleSynSentBadACK)
				return
			}
			rst, _ := ResetFor(seg)
			s.Sent(e, &rst, RuleSynSentBadACKRST)
			s.Discarded(e, seg, RuleSynSentBadACK)
			return
		}
		ackOK = true // "If SND.UNA < SEG.ACK =< SND.NXT, then the ACK is acceptable."
	}
	if seg.Flags&RST != 0 {
		// "second, check the RST bit: ... If the ACK was acceptable, then
		// signal to the user 'error: connection reset', drop the segment,
		// enter CLOSED state, delete TCB, and return. Otherwise (no ACK),
		// drop the segment and return." (RFC 5961 §3.2 agrees: in SYN-SENT
		// a RST is valid when it acknowledges the SYN.)
		if !ackOK {
			s.Discarded(e, seg, RuleSynSentRSTIgnored)
			return
		}
		e.signal(ErrConnectionReset, s)
		e.release(RuleSynSentRST, s)
		return
	}
	if seg.Flags&SYN == 0 {
		// "fifth, if neither of the SYN or RST bits is set, then drop the
		// segment and return."
		s.Discarded(e, seg, RuleSynSentNoSYN)
		return
	}
	// "fourth, check the SYN bit": RCV.NXT is set to SEG.SEQ+1, IRS to
	// SEG.SEQ; SND.UNA advances to SEG.ACK if there is an ACK.
	e.irs, e.rcvNxt, e.rcvAdv = seg.Seq, seg.Seq.Add(1), seg.Seq.Add(1)
	e.sndMSS = peerMSS(seg, e.cfg)
	if seg.Options.HasTimestamps {
		e.flags |= flagPeerTimestamps
		e.tsRecent = seg.Options.TSVal
	}
	e.updateWindow(seg)
	if !ackOK {
		// Simultaneous open: "Otherwise, enter SYN-RECEIVED, form a SYN,ACK
		// segment <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it. Set the
		// variables: SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <-
		// SEG.ACK. If there are other controls or text in the segment,
		// queue them for processing after the ESTABLISHED state has been
		// reached." The SYN-ACK repeats our own ISS.
		if len(seg.Payload) > 0 || seg.Flags&FIN != 0 {
			e.hold(seg.Seq.Add(1), seg.Payload, seg.Flags&FIN != 0)
		}
		e.transition(SynReceived, RuleSynSentSimultaneousOpen, s)
		syn := e.header(e.iss, SYN|ACK)
		syn.Options = e.synOptions()
		s.Sent(e, &syn, RuleSynSentSimultaneousOpen)
		return
	}
	// "If SND.UNA > ISS (our SYN has been ACKed), change the connection
	// state to ESTABLISHED, form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT>
	// <CTL=ACK> and send it. Data or controls that were queued for
	// transmission MAY be included."
	e.synAcknowledged(now, seg.Ack, s)
	e.transition(Established, RuleSynSentSynAck, s)
	e.flags |= flagAckOwed
	// "If there are other controls or text in the segment, then continue
	// processing at the sixth step under Section 3.10.7.4." One ACK then
	// covers the SYN and the text; queued data carries it when there is any.
	rule := RuleSynSentSynAck
	if len(seg.Payload) > 0 || seg.Flags&(FIN|URG) != 0 {
		rule, _ = e.processText(now, seg, seg.Seq.Add(1), seg.Payload, seg.Flags&FIN != 0, s)
		if e.state == Closed {
			return
		}
	}
	e.finishArrival(now, rule, true, s)
}

// synAcknowledged moves SND.UNA past our SYN: the handshake's RTT sample
// (unless the SYN was retransmitted: Karn) and RFC 6298 §5.7's 3-second
// fallback when it was.
func (e *Endpoint) synAcknowledged(now time.Duration, ack seqnum.Value, s Sink) {
	e.sndUna = ack
	e.retries = 0
	if e.flags&flagRTTTiming != 0 && e.rttSeq.LessThanEq(ack) {
		e.flags &^= flagRTTTiming
		e.sampleRTT(now - e.rttStart)
	}
	if e.flags&flagSynRetx != 0 && e.flags&flagHasRTT == 0 && e.rto < 3*time.Second {
		// RFC 6298 §5.7: "the RTO MUST be re-initialized to 3 seconds
		// when data transmission begins".
		e.rto = 3 * time.Second
	}
	e.flags &^= flagRecovering
	e.restartRetransmitTimer(now, true, s)
}

// updateWindow applies the send-window rule of §3.10.7.4 ("If SND.WL1 <
// SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK), set SND.WND <-
// SEG.WND, set SND.WL1 <- SEG.SEQ, and set SND.WL2 <- SEG.ACK"), or sets
// the variables outright when a SYN first synchronizes them.
func (e *Endpoint) updateWindow(seg *Segment) {
	if seg.Flags&SYN == 0 && !(e.sndWl1.LessThan(seg.Seq) || (e.sndWl1 == seg.Seq && e.sndWl2.LessThanEq(seg.Ack))) {
		return
	}
	e.sndWnd = uint32(seg.Window)
	e.sndWl1, e.sndWl2 = seg.Seq, seg.Ack
	e.maxSndWnd = max(e.maxSndWnd, e.sndWnd)
}
