package tcp

import (
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
)

// arriveACK is the fifth step, "check the ACK field", for a segment with
// ACK set. It reports whether processing goes on to the text and FIN.
func (e *Endpoint) arriveACK(now time.Duration, seg *Segment, fin bool, s Sink) bool {
	if e.state == SynReceived {
		// "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state
		// and continue processing with the variables below set to:
		// SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK. If the
		// segment acknowledgment is not acceptable, form a reset segment
		// <SEQ=SEG.ACK><CTL=RST> and send it."
		if !(e.sndUna.LessThan(seg.Ack) && seg.Ack.LessThanEq(e.sndNxt)) {
			rst := Segment{Src: e.Local, Dst: e.Remote, Seq: seg.Ack, Flags: RST}
			s.Sent(e, &rst, RuleACKSynReceivedBad)
			s.Discarded(e, seg, RuleACKSynReceivedBad)
			return false
		}
		e.sndWnd = uint32(seg.Window)
		e.sndWl1, e.sndWl2 = seg.Seq, seg.Ack
		e.maxSndWnd = max(e.maxSndWnd, e.sndWnd)
		e.synAcknowledged(now, e.iss.Add(1), s)
		e.transition(Established, RuleACKSynReceived, s)
		if e.flags&flagCloseQueued != 0 {
			// The CLOSE queued in SYN-RECEIVED now goes ahead (§3.10.4).
			e.transition(FinWait1, RuleCloseSendFIN, s)
		}
		// Text (and a FIN) that came with the SYN was held until now.
		e.deliverHeld(now, s)
	}

	if e.cfg.RFC5961 && !e.ackInRange(seg.Ack) {
		// RFC 5961 §5.2: acceptable only if (SND.UNA - MAX.SND.WND) =<
		// SEG.ACK =< SND.NXT; otherwise challenge and drop.
		e.challengeACK(now, seg, RuleACKChallenge, s)
		return false
	}
	if seg.Ack.GreaterThan(e.sndNxt) {
		// "If the ACK acks something not yet sent (SEG.ACK > SND.NXT),
		// then send an ACK, drop the segment, and return."
		e.sendACK(RuleACKUnsent, s)
		s.Discarded(e, seg, RuleACKUnsent)
		return false
	}
	// Any ACK the peer sends answers our zero-window probes: only
	// unanswered probes count towards giving up (MUST-37).
	e.probes = 0
	if e.sndUna.LessThan(seg.Ack) {
		// "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK.
		// Any segments on the retransmission queue that are thereby
		// entirely acknowledged are removed."
		synWasUnacked := !e.synAcked()
		e.ackAdvance(now, seg.Ack, s)
		if synWasUnacked && e.synAcked() && len(e.held) > 0 {
			// A CLOSE in SYN-RECEIVED moved us to FIN-WAIT-1 before the
			// handshake's ACK: text that came with the SYN, "queued for
			// processing later" (§3.10.7.2), is processed now.
			e.deliverHeld(now, s)
		}
	} else if seg.Ack.LessThan(e.sndUna) {
		// "If the ACK is a duplicate (SEG.ACK < SND.UNA), it can be ignored."
		e.noteDuplicate(seg, s)
	}
	if e.sndUna.LessThanEq(seg.Ack) {
		e.updateWindow(seg)
		e.armPersist(now, s)
	}

	switch e.state {
	case FinWait1:
		// "In addition to the processing for the ESTABLISHED state, if
		// the FIN segment is now acknowledged, then enter FIN-WAIT-2."
		if e.finAcked() {
			e.transition(FinWait2, RuleACKFinWait1, s)
			if e.cfg.FinWait2Timeout > 0 {
				e.arm(TimerFinWait2, now+e.cfg.FinWait2Timeout, s)
			}
		}
	case Closing:
		// "if the ACK acknowledges our FIN, then enter the TIME-WAIT
		// state; otherwise, ignore the segment."
		if e.finAcked() {
			e.transition(TimeWait, RuleACKClosing, s)
			e.startTimeWait(now, s)
		}
	case LastAck:
		// "The only thing that can arrive in this state is an
		// acknowledgment of our FIN. If our FIN is now acknowledged,
		// delete the TCB, enter the CLOSED state, and return."
		if e.finAcked() {
			e.release(RuleACKLastAck, s)
			return false
		}
	case TimeWait:
		// "The only thing that can arrive in this state is a
		// retransmission of the remote FIN" — which fails the sequence
		// test and is answered there. An acceptable segment without a FIN
		// changes nothing.
		if !fin {
			s.Discarded(e, seg, RuleACKTimeWaitIgnored)
			return false
		}
	}
	return true
}

// ackInRange is RFC 5961 §5.2's test (SND.UNA - MAX.SND.WND) =< SEG.ACK =<
// SND.NXT.
func (e *Endpoint) ackInRange(ack seqnum.Value) bool {
	return e.sndUna.Sub(seqnum.Size(e.maxSndWnd)).LessThanEq(ack) && ack.LessThanEq(e.sndNxt)
}

// noteDuplicate records an old ACK that is ignored; a bare one is not worth
// an event of its own beyond its delivery.
func (e *Endpoint) noteDuplicate(seg *Segment, s Sink) {
	if len(seg.Payload) == 0 && seg.Flags&FIN == 0 {
		s.Noted(e, seg, RuleACKDuplicate)
	}
}

// ackAdvance moves SND.UNA to ack: acknowledged data leaves the send
// buffer, an RTT sample is taken if the timed segment is covered (Karn's
// rule keeps retransmitted ones out), and the retransmission timer restarts
// or stops (RFC 6298 §5.2–§5.3).
func (e *Endpoint) ackAdvance(now time.Duration, ack seqnum.Value, s Sink) {
	n := int(e.sndUna.Size(ack))
	if !e.synAcked() {
		n-- // the SYN's sequence number
	}
	if e.flags&flagFinSent != 0 && e.finSeq.LessThan(ack) {
		n-- // the FIN's
	}
	n = min(max(n, 0), len(e.sndBuf))
	e.sndBuf = e.sndBuf[n:]
	e.sndUna = ack
	e.retries = 0
	e.probes = 0
	if e.flags&flagRTTTiming != 0 && e.rttSeq.LessThanEq(ack) {
		e.flags &^= flagRTTTiming
		e.sampleRTT(now - e.rttStart)
	}
	e.restartRetransmitTimer(now, true, s)
	if e.flags&flagRecovering != 0 {
		if ack.LessThan(e.recoverSeq) && e.sndUna != e.sndNxt {
			// A partial ACK after a timeout: the next segment was lost
			// too, so resend it now rather than one RTO later.
			e.retransmitFirst(RuleRetransmit, s)
		} else {
			e.flags &^= flagRecovering
		}
	}
}

// startTimeWait turns off every other timer and starts the 2×MSL wait
// ("start the time-wait timer, turn off the other timers").
func (e *Endpoint) startTimeWait(now time.Duration, s Sink) {
	for t := Timer(0); t < numTimers; t++ {
		if t != TimerTimeWait {
			e.cancel(t, s)
		}
	}
	e.arm(TimerTimeWait, now+e.cfg.TimeWait, s)
}
