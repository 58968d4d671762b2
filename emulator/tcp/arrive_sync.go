package tcp

import (
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
)

// arriveSynchronized is §3.10.7.4 for SYN-RECEIVED and the synchronized
// states, step by step in the RFC's order: sequence number, RST, (security,
// not modelled), SYN, ACK, URG, text, FIN.
func (e *Endpoint) arriveSynchronized(now time.Duration, seg *Segment, s Sink) {
	if e.state == TimeWait {
		if e.cfg.TimeWaitAcceptSYN && e.reopensTimeWait(seg) {
			e.reopenFromTimeWait(seg, s)
			return
		}
		if e.cfg.TimeWaitRestartOnACK {
			e.arriveTimeWaitLinux(now, seg, s)
			return
		}
	}

	if e.state == SynReceived && !e.passive && seg.Flags&(SYN|ACK|RST) == SYN|ACK && seg.Seq == e.irs {
		// Simultaneous open, RFC 9293 §3.5 Figure 8 line 5: the peer's
		// SYN,ACK repeats the SYN we already hold. Table 6 alone would reject
		// it as old; BSD and Linux (tcp_rcv_state_process) drop the old SYN
		// and process the rest, which is how the figure reaches ESTABLISHED.
		cp := *seg
		cp.Flags &^= SYN
		cp.Seq = cp.Seq.Add(1)
		seg = &cp
	}

	// "first, check sequence number" (Table 6).
	seq, text := seg.Seq, seg.Payload
	syn, fin := seg.Flags&SYN != 0, seg.Flags&FIN != 0
	zeroWindow := false
	switch {
	case seq == e.rcvNxt && int32(e.rcvWnd()) > int32(len(text)):
		// The usual segment: it starts at RCV.NXT and ends inside the
		// window, so it is acceptable and already trim's idealized
		// segment; neither test need run. (A window of 2^31 or more,
		// which only a corrupt snapshot could hold, reads as negative
		// here and takes the general path.)
	case !e.acceptable(seg):
		if e.rcvWnd() == 0 && seg.Seq == e.rcvNxt && seg.Flags&SYN == 0 {
			// "If the RCV.WND is zero, no segments will be acceptable, but
			// special allowance should be made to accept valid ACKs, URGs,
			// and RSTs": the controls are processed, the text is not.
			text, fin, zeroWindow = nil, false, true
			s.Noted(e, seg, RuleZeroWindowData)
			e.flags |= flagAckOwed
		} else {
			e.unacceptable(now, seg, s)
			return
		}
	default:
		seq, text, syn, fin = e.trim(seg)
	}

	// "second, check the RST bit".
	if seg.Flags&RST != 0 {
		e.arriveRST(now, seg, s)
		return
	}

	// "fourth, check the SYN bit". With RFC 5961 the SYN is challenged
	// "irrespective of the exact sequence number"; without it only a SYN
	// inside the window (not trimmed away as old) is an error.
	if seg.Flags&SYN != 0 && (e.cfg.RFC5961 || syn) {
		e.arriveSYN(now, seg, s)
		return
	}

	// "fifth, check the ACK field".
	if seg.Flags&ACK == 0 {
		// "if the ACK bit is off, drop the segment and return"
		s.Discarded(e, seg, RuleACKOff)
		return
	}
	if !e.arriveACK(now, seg, fin, s) {
		return
	}

	// Sixth to eighth: URG, text, FIN; then the ACK they call for. A bare
	// ACK — most arrivals — has none of them: processText would return
	// at once, and the call is saved.
	rule, immediate := RuleTextAccepted, false
	if len(text) > 0 || fin || seg.Flags&URG != 0 {
		rule, immediate = e.processText(now, seg, seq, text, fin, s)
	}
	if e.state == Closed {
		return
	}
	if zeroWindow {
		rule, immediate = RuleZeroWindowData, true
	}
	// Most bare ACKs leave nothing to send and no ACK owed: finishArrival's
	// own tests, made here, save its call.
	if e.flags&flagAckOwed != 0 || !e.quiet() {
		e.finishArrival(now, rule, immediate, s)
	}
}

// acceptable is the segment acceptability test of §3.10.7.4, Table 6.
func (e *Endpoint) acceptable(seg *Segment) bool {
	n, wnd := seg.Len(), seqnum.Size(e.rcvWnd())
	switch {
	case n == 0 && wnd == 0:
		return seg.Seq == e.rcvNxt
	case n == 0:
		return seg.Seq.InWindow(e.rcvNxt, wnd)
	case wnd == 0:
		return false
	default:
		return seg.Seq.InWindow(e.rcvNxt, wnd) || seg.Seq.Add(n-1).InWindow(e.rcvNxt, wnd)
	}
}

// unacceptable answers a segment that failed the test: "If an incoming
// segment is not acceptable, an acknowledgment should be sent in reply
// (unless the RST bit is set, if so drop the segment and return)".
func (e *Endpoint) unacceptable(now time.Duration, seg *Segment, s Sink) {
	switch {
	case seg.Flags&RST != 0:
		// RFC 5961 §3.2 (1): a RST outside the window is dropped silently.
		s.Discarded(e, seg, RuleUnacceptableRST)
	case e.state == TimeWait && seg.Flags&FIN != 0 && seg.End() == e.rcvNxt:
		// The peer retransmitted its FIN: our last ACK was lost. A FIN we
		// already acknowledged always lies just left of the window, so it
		// is met here; the eighth step's TIME-WAIT rule applies to it:
		// "Remain in the TIME-WAIT state. Restart the 2 MSL time-wait
		// timeout" — and acknowledge it again.
		e.sendACK(RuleTimeWaitRetransmittedFIN, s)
		e.arm(TimerTimeWait, now+e.cfg.TimeWait, s)
	case e.state == SynReceived && e.cfg.ResendSynAckOnDupSYN && seg.Flags&(SYN|ACK) == SYN && seg.Seq == e.irs:
		// Linux (tcp_check_req): a retransmitted SYN means our SYN-ACK
		// was lost; send it again.
		syn := e.header(e.iss, SYN|ACK)
		syn.Options = e.synOptions()
		e.ackSent(s)
		s.Sent(e, &syn, RuleRetransmit)
	case e.oowLimited(now, seg):
		// Linux (tcp_oow_rate_limited, tcp_invalid_ratelimit): a second
		// out-of-window segment without data inside the interval is
		// dropped unanswered, which stops two confused ends from ACKing
		// each other forever.
		s.Discarded(e, seg, RuleUnacceptableRateLimited)
	default:
		e.sendACK(RuleUnacceptable, s)
		s.Discarded(e, seg, RuleUnacceptable)
	}
}

// oowLimited reports whether the answer to an unacceptable segment falls
// within the profile's rate limit, and starts a new interval if not. Only
// segments without text (or with SYN) count: data is always answered.
func (e *Endpoint) oowLimited(now time.Duration, seg *Segment) bool {
	iv := e.cfg.OutOfWindowACKInterval
	if iv == 0 || (len(seg.Payload) > 0 && seg.Flags&SYN == 0) {
		return false
	}
	if e.flags&flagOOWAcked != 0 && now-e.lastOOWAck < iv && now >= e.lastOOWAck {
		return true
	}
	e.flags |= flagOOWAcked
	e.lastOOWAck = now
	return false
}

// trim cuts an acceptable segment down to "the idealized segment that
// begins at RCV.NXT and does not exceed the window": an old SYN and old
// octets come off the left, octets (and a FIN) past the window off the
// right. "If a segment's contents straddle the boundary between old and
// new, only the new parts are processed."
func (e *Endpoint) trim(seg *Segment) (seq seqnum.Value, text []byte, syn, fin bool) {
	seq, text = seg.Seq, seg.Payload
	syn, fin = seg.Flags&SYN != 0, seg.Flags&FIN != 0
	if seq.LessThan(e.rcvNxt) {
		old := seq.Size(e.rcvNxt)
		if syn {
			syn = false
			old--
			seq = seq.Add(1)
		}
		if int(old) >= len(text) {
			// Every octet is old; a FIN left of RCV.NXT is old too.
			if int(old) > len(text) {
				fin = false
			}
			seq = seq.Add(seqnum.Size(len(text)))
			text = nil
		} else {
			text = text[old:]
			seq = e.rcvNxt
		}
	}
	right := e.rcvNxt.Add(seqnum.Size(e.rcvWnd()))
	if room := int(seq.Size(right)); seq.LessThan(right) && len(text) >= room {
		if len(text) > room {
			text = text[:room]
		}
		fin = false // a FIN at or past the right edge is outside the window
	} else if !seq.LessThan(right) {
		text, fin = nil, false
	}
	return seq, text, syn, fin
}

// arriveRST is the second step, "check the RST bit".
func (e *Endpoint) arriveRST(now time.Duration, seg *Segment, s Sink) {
	if e.cfg.RFC5961 && seg.Seq != e.rcvNxt {
		// RFC 5961 §3.2 (3): in the window but not exactly RCV.NXT — a
		// challenge ACK; a genuine peer answers it with an exact RST.
		e.challengeACK(now, seg, RuleRSTChallenge, s)
		return
	}
	switch e.state {
	case SynReceived:
		if e.passive {
			// "If this connection was initiated with a passive OPEN (i.e.,
			// came from the LISTEN state), then return this connection to
			// LISTEN state and return. The user need not be informed."
			e.dissolve(RuleRSTSynReceivedPassive, s)
			return
		}
		// "If this connection was initiated with an active OPEN (i.e.,
		// came from SYN-SENT state), then the connection was refused;
		// signal the user 'connection refused'."
		e.signal(ErrConnectionRefused, s)
		e.release(RuleRSTSynReceivedActive, s)
	case Established, FinWait1, FinWait2, CloseWait:
		// "any outstanding RECEIVEs and SEND should receive 'reset'
		// responses. All segment queues should be flushed. Users should
		// also receive an unsolicited general 'connection reset' signal.
		// Enter the CLOSED state, delete the TCB, and return."
		e.signal(ErrConnectionReset, s)
		e.release(RuleRSTReset, s)
	case TimeWait:
		if e.cfg.RFC1337 {
			// RFC 1337 §3: ignoring RST in TIME-WAIT stops old duplicate
			// resets from assassinating it.
			s.Discarded(e, seg, RuleRSTTimeWaitIgnored)
			return
		}
		e.release(RuleRSTClose, s)
	case Closing, LastAck:
		// "If the RST bit is set, then enter the CLOSED state, delete the
		// TCB, and return."
		e.release(RuleRSTClose, s)
	default:
		panic("tcp: RST step in a state that has no synchronized rules")
	}
}

// dissolve returns a passive child to LISTEN: the listener it came from
// keeps listening, and this half-open copy is deleted.
func (e *Endpoint) dissolve(rule Rule, s Sink) {
	e.cancelAll(s)
	e.sndBuf = e.sndBuf[len(e.sndBuf):] // the unused tail: see sndBuf
	e.rcvBuf = e.rcvBuf[:0]
	e.held = e.held[:0]
	e.transition(Listen, rule, s)
	s.Released(e)
}

// arriveSYN is the fourth step, "check the SYN bit".
func (e *Endpoint) arriveSYN(now time.Duration, seg *Segment, s Sink) {
	if e.state == SynReceived && e.passive {
		// "If the connection was initiated with a passive OPEN, then
		// return this connection to the LISTEN state and return."
		e.dissolve(RuleSYNSynReceivedPassive, s)
		return
	}
	if e.cfg.RFC5961 {
		// RFC 5961 §4.2 (RFC 9293 fourth step): "send a 'challenge ACK'
		// ... After sending the acknowledgment, TCP implementations MUST
		// drop the unacceptable segment and stop processing further."
		e.challengeACK(now, seg, RuleSYNChallenge, s)
		return
	}
	// RFC 793 §3.9: "If the SYN is in the window it is an error, send a
	// reset, any outstanding RECEIVEs and SEND should receive 'reset'
	// responses, all segment queues should be flushed, the user should also
	// receive an unsolicited general 'connection reset' signal, enter the
	// CLOSED state, delete the TCB, and return." The reset takes the
	// §3.5.2 form for the offending segment.
	rst, _ := ResetFor(seg)
	rst.Src, rst.Dst = e.Local, e.Remote
	s.Sent(e, &rst, RuleSYNInWindowReset)
	e.signal(ErrConnectionReset, s)
	e.release(RuleSYNInWindowReset, s)
}

// challengeACK sends RFC 5961's challenge <SEQ=SND.NXT><ACK=RCV.NXT>
// <CTL=ACK> and drops seg, at most ChallengeACKLimit times a second per
// endpoint (RFC 5961 §7); past the limit the segment is only dropped.
func (e *Endpoint) challengeACK(now time.Duration, seg *Segment, rule Rule, s Sink) {
	if now-e.challengeStart >= time.Second || now < e.challengeStart {
		e.challengeStart, e.challengeCount = now, 0
	}
	if limit := e.cfg.ChallengeACKLimit; limit == 0 || int(e.challengeCount) < limit {
		e.challengeCount++
		e.sendACK(rule, s)
	}
	s.Discarded(e, seg, rule)
}

// finishArrival sends what the arrival made due: queued data (which carries
// the ACK), else the ACK itself — at once, or after the profile's delayed-ACK
// interval when nothing forces it (RFC 9293 §3.8.6.3).
func (e *Endpoint) finishArrival(now time.Duration, rule Rule, immediate bool, s Sink) {
	if !e.quiet() {
		e.transmit(now, s)
	}
	if e.flags&flagAckOwed == 0 {
		return
	}
	if immediate || e.cfg.DelayedACK == 0 {
		e.sendACK(rule, s)
		return
	}
	if !e.isArmed(TimerDelayedACK) {
		e.arm(TimerDelayedACK, now+e.cfg.DelayedACK, s)
	}
}
