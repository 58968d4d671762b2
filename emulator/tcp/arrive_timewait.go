package tcp

import "time"

// reopensTimeWait reports whether a SYN may start a new incarnation of a
// connection in TIME-WAIT: RFC 9293 §3.6.1 (MAY-2) and RFC 6191 §2 without
// timestamps fall back to RFC 1122 §4.2.2.13 — a SYN without ACK whose
// sequence number is above RCV.NXT. Linux's TCP_TW_SYN is the same test.
func (e *Endpoint) reopensTimeWait(seg *Segment) bool {
	return seg.Flags&(SYN|ACK|RST) == SYN && seg.Seq.GreaterThan(e.rcvNxt)
}

// reopenFromTimeWait ends the TIME-WAIT and hands the SYN back to the host,
// which gives it to a listener (or answers like a closed port). The new
// connection's ISS must exceed anything the old one used; Linux takes
// SND.NXT + 65535 + 2 (tcp_timewait_state_process).
func (e *Endpoint) reopenFromTimeWait(seg *Segment, s Sink) {
	floor := e.sndNxt.Add(MaxWindow + 2)
	e.release(RuleSYNTimeWaitReopen, s)
	s.Reopen(e, seg, floor)
}

// arriveTimeWaitLinux is TIME-WAIT as Linux runs it
// (tcp_timewait_state_process in net/ipv4/tcp_minisocks.c), used when the
// profile sets TimeWaitRestartOnACK:
//   - at exactly RCV.NXT, a RST kills the TIME-WAIT (unless RFC 1337) and a
//     segment occupying no sequence space restarts it silently;
//   - any other segment without RST is answered with an ACK, and restarts
//     TIME-WAIT if it carries ACK;
//   - other RSTs are ignored.
func (e *Endpoint) arriveTimeWaitLinux(now time.Duration, seg *Segment, s Sink) {
	if seg.Seq == e.rcvNxt && (seg.Len() == 0 || seg.Flags&RST != 0) {
		if seg.Flags&RST != 0 {
			if e.cfg.RFC1337 {
				s.Discarded(e, seg, RuleRSTTimeWaitIgnored)
				return
			}
			e.release(RuleRSTClose, s)
			return
		}
		s.Noted(e, seg, RuleTimeWaitACKRestart)
		e.arm(TimerTimeWait, now+e.cfg.TimeWait, s)
		return
	}
	if seg.Flags&RST != 0 {
		s.Discarded(e, seg, RuleUnacceptableRST)
		return
	}
	rule := RuleUnacceptable
	if seg.Flags&FIN != 0 && seg.End() == e.rcvNxt {
		rule = RuleTimeWaitRetransmittedFIN
	} else if seg.Flags&ACK != 0 {
		rule = RuleTimeWaitACKRestart
	}
	e.sendACK(rule, s)
	if seg.Flags&ACK != 0 {
		e.arm(TimerTimeWait, now+e.cfg.TimeWait, s)
	}
}
