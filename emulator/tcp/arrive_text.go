package tcp

import (
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
)

// maxHeld bounds the out-of-order pieces an endpoint keeps; past it new
// pieces are dropped (the sender retransmits them).
const maxHeld = 64

// processText runs the sixth to eighth steps of §3.10.7.4 on the trimmed
// segment (text from seq, and whether a FIN follows it). It returns the rule
// the acknowledgment answers and whether the ACK must go at once.
func (e *Endpoint) processText(now time.Duration, seg *Segment, seq seqnum.Value, text []byte, fin bool, s Sink) (Rule, bool) {
	// "sixth, check the URG bit": RCV.UP <- max(RCV.UP, SEG.UP).
	if seg.Flags&URG != 0 && (e.state == Established || e.state == FinWait1 || e.state == FinWait2) {
		if up := seg.Seq.Add(seqnum.Size(seg.Urgent)); e.rcvUp.LessThan(up) {
			e.rcvUp = up
		}
	}
	if len(text) == 0 && !fin {
		return RuleTextAccepted, false
	}
	switch e.state {
	case Established, FinWait1, FinWait2:
	default:
		// CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: "This should not occur
		// since a FIN has been received from the remote side. Ignore the
		// segment text."
		if len(text) > 0 {
			s.Noted(e, seg, RuleTextIgnored)
			text = nil
		}
		if !fin || seq != e.rcvNxt {
			return RuleTextIgnored, false
		}
	}
	if seq.GreaterThan(e.rcvNxt) {
		// "Segments with higher beginning sequence numbers SHOULD be held
		// for later processing." The duplicate ACK goes out at once, which
		// tells the sender where the gap is (RFC 5681 §4.2).
		e.hold(seq, text, fin)
		s.Noted(e, seg, RuleOutOfOrderHeld)
		e.flags |= flagAckOwed
		return RuleOutOfOrderHeld, true
	}
	immediate := false
	finPos := seq.Add(seqnum.Size(len(text)))
	if n := e.accept(seq, text); n > 0 {
		// "at least every second full-sized segment" is acknowledged
		// promptly (RFC 9293 §3.8.6.3): an ACK already owed goes now.
		immediate = e.flags&flagAckOwed != 0
		s.DataReady(e, n)
	}
	e.flags |= flagAckOwed
	if fin && finPos == e.rcvNxt {
		e.held = e.held[:0] // nothing follows a FIN
		return e.processFIN(now, s), true
	}
	rule := RuleTextAccepted
	if len(e.held) > 0 {
		immediate = true // filling a gap is acknowledged at once (RFC 5681 §4.2)
		if r := e.deliverHeld(now, s); r != RuleNone {
			rule = r
		}
	}
	return rule, immediate
}

// accept appends the in-order part of text (starting at seq) to the
// receive buffer and advances RCV.NXT over it: "Once in the ESTABLISHED
// state, it is possible to deliver segment data to user RECEIVE buffers."
func (e *Endpoint) accept(seq seqnum.Value, text []byte) int {
	if seq.LessThan(e.rcvNxt) {
		old := int(seq.Size(e.rcvNxt))
		if old >= len(text) {
			return 0
		}
		text = text[old:]
	}
	// Never more than the receive buffer has room for. In the synchronized
	// states the window already ensures it, but text that came on a SYN or
	// SYN,ACK (§3.10.7.2, §3.10.7.3) arrived before any window was offered
	// and skipped the first step's trimming. The window is "the range of
	// sequence numbers the sender of the window (the data receiver) is
	// currently prepared to accept" (§3.8.6): text past it is trimmed, as
	// §3.10.7.4 trims any segment to the window, and the sender retransmits it.
	if room := int(e.cfg.RcvBuf) - len(e.rcvBuf); len(text) > room {
		text = text[:max(room, 0)]
	}
	e.rcvBuf = append(e.rcvBuf, text...)
	e.rcvNxt = e.rcvNxt.Add(seqnum.Size(len(text)))
	return len(text)
}

// hold keeps an out-of-order piece, in sequence order, unless a held
// piece already covers it.
func (e *Endpoint) hold(seq seqnum.Value, data []byte, fin bool) {
	end := seq.Add(seqnum.Size(len(data)))
	i := 0
	for ; i < len(e.held); i++ {
		h := &e.held[i]
		hend := h.seq.Add(seqnum.Size(len(h.data)))
		if h.seq.LessThanEq(seq) && end.LessThanEq(hend) && (h.fin || !fin) {
			return // nothing new
		}
		if seq.LessThan(h.seq) {
			break
		}
	}
	if len(e.held) >= maxHeld {
		return
	}
	e.held = append(e.held, heldText{})
	copy(e.held[i+1:], e.held[i:])
	e.held[i] = heldText{seq: seq, data: data, fin: fin}
}

// deliverHeld moves held pieces that RCV.NXT has reached into the receive
// buffer, processing a held FIN when its turn comes. It returns the FIN's
// rule if one was processed.
func (e *Endpoint) deliverHeld(now time.Duration, s Sink) Rule {
	rule := RuleNone
	n, i := 0, 0
	for ; i < len(e.held); i++ {
		h := e.held[i]
		if e.rcvNxt.LessThan(h.seq) {
			break
		}
		n += e.accept(h.seq, h.data)
		if h.fin && h.seq.Add(seqnum.Size(len(h.data))) == e.rcvNxt && e.flags&flagFinReceived == 0 {
			if n > 0 {
				s.DataReady(e, n)
				n = 0
			}
			rule = e.processFIN(now, s)
		}
	}
	e.held = e.held[:copy(e.held, e.held[i:])]
	if n > 0 {
		s.DataReady(e, n)
	}
	if i > 0 {
		e.flags |= flagAckOwed
	}
	return rule
}

// processFIN is the eighth step, "check the FIN bit": "signal the user
// 'connection closing' and return any pending RECEIVEs with same message,
// advance RCV.NXT over the FIN, and send an acknowledgment for the FIN."
func (e *Endpoint) processFIN(now time.Duration, s Sink) Rule {
	e.rcvNxt = e.rcvNxt.Add(1)
	e.flags |= flagFinReceived | flagAckOwed
	s.Signal(e, ErrConnectionClosing)
	switch e.state {
	case SynReceived, Established:
		e.transition(CloseWait, RuleFINCloseWait, s)
		return RuleFINCloseWait
	case FinWait1:
		// "If our FIN has been ACKed (perhaps in this segment), then enter
		// TIME-WAIT, start the time-wait timer, turn off the other timers;
		// otherwise, enter the CLOSING state."
		if e.finAcked() {
			e.transition(TimeWait, RuleFINTimeWait, s)
			e.startTimeWait(now, s)
			return RuleFINTimeWait
		}
		e.transition(Closing, RuleFINClosing, s)
		return RuleFINClosing
	case FinWait2:
		e.transition(TimeWait, RuleFINTimeWait, s)
		e.startTimeWait(now, s)
		return RuleFINTimeWait
	case TimeWait:
		// "Remain in the TIME-WAIT state. Restart the 2 MSL time-wait timeout."
		s.Noted(e, nil, RuleFINTimeWaitRestart)
		e.arm(TimerTimeWait, now+e.cfg.TimeWait, s)
		return RuleFINTimeWaitRestart
	default: // CLOSE-WAIT, CLOSING, LAST-ACK: "Remain in the ... state."
		s.Noted(e, nil, RuleFINRemain)
		return RuleFINRemain
	}
}
