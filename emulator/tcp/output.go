package tcp

import (
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
)

// header builds a segment from this endpoint with the given SEQ and flags;
// ACK-bearing segments carry RCV.NXT, and every segment carries the window
// (RFC 9293 §3.8.6.2.2: the advertised right edge never moves left).
func (e *Endpoint) header(seq seqnum.Value, flags Flags) Segment {
	var seg Segment
	e.fillHeader(&seg, seq, flags)
	return seg
}

// outgoing is header built where send hands segments to the sink
// (e.Scratch), so that send has nothing to copy: the paths every segment
// takes (SYN, ACK, data, FIN) use it.
func (e *Endpoint) outgoing(seq seqnum.Value, flags Flags) *Segment {
	seg := e.Scratch
	if seg == nil {
		seg = new(Segment)
	}
	e.fillHeader(seg, seq, flags)
	return seg
}

// fillHeader writes header's segment into seg, over whatever it held.
func (e *Endpoint) fillHeader(seg *Segment, seq seqnum.Value, flags Flags) {
	*seg = Segment{Src: e.Local, Dst: e.Remote, Seq: seq, Flags: flags}
	switch {
	case flags&ACK != 0:
		seg.Ack = e.rcvNxt
		seg.Window = e.advertise()
	case flags&SYN != 0:
		// A SYN offers the whole receive buffer: the peer takes SND.WND
		// from it (§3.10.7.2-3), and RCV.NXT is not yet known to anchor it.
		seg.Window = uint16(min(e.cfg.RcvBuf, MaxWindow))
	}
}

// advertise returns the window to put in an outgoing segment and moves
// the advertised right edge. Receiver-side silly window avoidance (RFC 9293
// §3.8.6.2.2): the edge moves right only by at least min(RcvBuf/2, MSS).
func (e *Endpoint) advertise() uint16 {
	free := e.cfg.RcvBuf - uint32(len(e.rcvBuf))
	edge := e.rcvNxt.Add(seqnum.Size(free))
	step := min(e.cfg.RcvBuf/2, uint32(e.cfg.MSS))
	if e.rcvAdv.LessThan(e.rcvNxt) || uint32(e.rcvAdv.Size(edge)) >= step && e.rcvAdv.LessThan(edge) {
		e.rcvAdv = edge
	}
	w := e.rcvWnd()
	if w > MaxWindow {
		w = MaxWindow
	}
	return uint16(w)
}

// synOptions are the options on our SYN or SYN-ACK: the MSS we accept.
func (e *Endpoint) synOptions() Options { return Options{MSS: e.cfg.MSS} }

// sendSYN sends <SEQ=ISS><CTL=SYN>, or the SYN-ACK
// <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> once the peer's SYN is known.
func (e *Endpoint) sendSYN(now time.Duration, withACK bool, rule Rule, s Sink) {
	flags := SYN
	if withACK {
		flags |= ACK
	}
	seg := e.outgoing(e.iss, flags)
	seg.Options = e.synOptions()
	e.startTiming(now, seg)
	e.send(seg, rule, s)
	e.restartRetransmitTimer(now, false, s)
}

// sendACK sends <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, the acknowledgment
// every rule of §3.10.7.4 that "sends an ACK" means.
func (e *Endpoint) sendACK(rule Rule, s Sink) {
	seg := e.outgoing(e.sndNxt, ACK)
	e.ackSent(s)
	e.send(seg, rule, s)
}

// send hands the sink a segment built by outgoing, in e.Scratch: a
// pointer to a segment built anywhere else — on the stack — would escape
// through the interface method, and every segment would cost a heap
// allocation. Small enough to be inlined where segments are sent.
func (e *Endpoint) send(seg *Segment, rule Rule, s Sink) {
	s.Sent(e, seg, rule)
	if seg.Payload != nil { // most segments carry none: no store, no barrier
		seg.Payload = nil // the sink copied what it keeps; hold no buffer
	}
}

// ackSent clears a pending delayed ACK: any segment carrying ACK satisfies it.
func (e *Endpoint) ackSent(s Sink) {
	e.flags &^= flagAckOwed
	e.cancel(TimerDelayedACK, s)
}

// owesACK acknowledges received text: at once, or after the profile's
// delayed-ACK interval (RFC 9293 §3.8.6.3: at most 0.5 s, and at least
// every second full-sized segment).
func (e *Endpoint) owesACK(now time.Duration, rule Rule, immediate bool, s Sink) {
	if e.cfg.DelayedACK == 0 || immediate || e.flags&flagAckOwed != 0 {
		e.sendACK(rule, s)
		return
	}
	e.flags |= flagAckOwed
	e.arm(TimerDelayedACK, now+e.cfg.DelayedACK, s)
}

// canSendData reports whether the state lets queued data go out
// (RFC 9293 §3.10.2: only once synchronized, and not after our FIN).
func (e *Endpoint) canSendData() bool {
	switch e.state {
	case Established, CloseWait, FinWait1, LastAck, Closing:
		return true
	}
	return false
}

// finPending reports a CLOSE whose FIN has not gone out yet.
func (e *Endpoint) finPending() bool {
	return e.flags&flagCloseQueued != 0 && e.flags&flagFinSent == 0
}

// transmit sends whatever queued data the send window and the MSS allow,
// then the FIN once all data is out (RFC 9293 §3.10.2 "segmentize", §3.10.4
// "queue this until all preceding SENDs have been segmentized, then form a
// FIN segment and send it"). The emulator does not delay small segments
// (no Nagle): it behaves as TCP_NODELAY. When quiet, it does nothing;
// it does not ask (SEND and CLOSE have just queued something, and an
// arrival asks before it calls).
func (e *Endpoint) transmit(now time.Duration, s Sink) {
	if !e.canSendData() {
		return
	}
	sentAny := false
	for {
		sent := e.sentData()
		unsent := len(e.sndBuf) - sent
		usable := e.usableWindow()
		if unsent == 0 || usable == 0 || e.flags&flagFinSent != 0 {
			break
		}
		n := min(unsent, usable, int(e.sndMSS))
		flags := ACK
		if n == unsent {
			flags |= PSH
		}
		// The FIN rides on the last data segment when it fits.
		if n == unsent && e.finPending() && usable > n {
			flags |= FIN
		}
		seg := e.outgoing(e.sndNxt, flags)
		seg.Payload = e.sndBuf[sent : sent+n : sent+n]
		e.sendNew(now, seg, RuleSendSegmentize, s)
		sentAny = true
	}
	if e.finPending() && e.unsent() == 0 && e.usableWindow() > 0 {
		seg := e.outgoing(e.sndNxt, FIN|ACK)
		e.sendNew(now, seg, RuleCloseSendFIN, s)
		sentAny = true
	}
	if sentAny {
		e.restartRetransmitTimer(now, false, s)
	}
	e.armPersist(now, s)
}

// quiet reports that transmit has nothing to do, most arrivals' case:
// nothing is queued, and armPersist's own test (spelled out: a call would
// not fit armPersist's inlining) says it has nothing to do. An arrival
// asks before it calls transmit, and saves the call.
func (e *Endpoint) quiet() bool {
	return len(e.sndBuf) == 0 && e.flags&flagCloseQueued == 0 && e.sndWnd != 0 && e.armed&(1<<TimerPersist)|e.probes|e.persistBackoff == 0
}

// sendNew sends a segment of new data (and maybe our FIN) at SND.NXT and
// advances SND.NXT over it; the segment carries the ACK that may be owed.
func (e *Endpoint) sendNew(now time.Duration, seg *Segment, rule Rule, s Sink) {
	if seg.Flags&FIN != 0 {
		e.finSeq = seg.Seq.Add(seqnum.Size(len(seg.Payload)))
		e.flags |= flagFinSent
	}
	e.sndNxt = seg.End()
	e.ackSent(s)
	e.startTiming(now, seg) // before send, which clears the payload
	e.send(seg, rule, s)
}

// usableWindow is how many more octets SND.WND allows past SND.NXT
// (RFC 9293 §3.8.6: SND.UNA + SND.WND - SND.NXT).
func (e *Endpoint) usableWindow() int {
	right := e.sndUna.Add(seqnum.Size(e.sndWnd))
	if !e.sndNxt.LessThan(right) {
		return 0
	}
	return int(e.sndNxt.Size(right))
}

// retransmitFirst resends the earliest unacknowledged segment: the SYN or
// SYN-ACK, else up to one MSS of data from SND.UNA (with the FIN when it
// fits), else the FIN alone (RFC 6298 §5.4).
func (e *Endpoint) retransmitFirst(rule Rule, s Sink) {
	switch {
	case e.state == SynSent:
		seg := e.outgoing(e.iss, SYN)
		seg.Options = e.synOptions()
		e.send(seg, rule, s)
		return
	case !e.synAcked():
		// SYN-RECEIVED, or FIN-WAIT-1 entered from it by a CLOSE before
		// the SYN-ACK was acknowledged: the SYN-ACK goes first.
		seg := e.outgoing(e.iss, SYN|ACK)
		seg.Options = e.synOptions()
		e.ackSent(s)
		e.send(seg, rule, s)
		return
	}
	sent := e.sentData()
	n := min(sent, int(e.sndMSS))
	flags := ACK
	if n > 0 && n == sent {
		flags |= PSH
	}
	if n == sent && e.flags&flagFinSent != 0 && !e.finAcked() {
		flags |= FIN
	}
	if n == 0 && flags&FIN == 0 {
		return
	}
	seg := e.outgoing(e.sndUna, flags)
	seg.Payload = e.sndBuf[:n:n]
	e.ackSent(s)
	e.send(seg, rule, s)
}
