package tcp

import (
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
)

// Listen is a passive OPEN (RFC 9293 §3.10.1): CLOSED → LISTEN.
func (e *Endpoint) Listen(now time.Duration, s Sink) error {
	if e.state != Closed {
		return ErrConnectionAlreadyExists
	}
	e.transition(Listen, RuleOpenPassive, s)
	return nil
}

// Connect is an active OPEN (RFC 9293 §3.10.1) to remote with initial send
// sequence number iss: CLOSED (or LISTEN, turned active) → SYN-SENT, sending
// <SEQ=ISS><CTL=SYN>. Data passed to Send before the handshake completes is
// queued and sent once ESTABLISHED.
func (e *Endpoint) Connect(now time.Duration, remote AddrID, iss seqnum.Value, s Sink) error {
	rule := RuleOpenActive
	switch e.state {
	case Closed:
	case Listen:
		// "If the foreign socket is specified, then change the
		// connection from passive to active, select an ISS."
		rule = RuleOpenListenToActive
	default:
		return ErrConnectionAlreadyExists
	}
	if remote == 0 {
		return ErrRemoteSocketUnspecified
	}
	e.Remote = remote
	e.iss, e.sndUna, e.sndNxt = iss, iss, iss.Add(1)
	e.sndMSS = DefaultPeerMSS
	e.transition(SynSent, rule, s)
	e.sendSYN(now, false, rule, s)
	return nil
}

// Send queues data for transmission (RFC 9293 §3.10.2). The bytes are copied.
func (e *Endpoint) Send(now time.Duration, data []byte, s Sink) error {
	switch e.state {
	case Closed:
		return ErrConnectionDoesNotExist
	case Listen:
		// A listener has no remote socket; the RFC's LISTEN-to-active
		// switch is Connect's job here.
		return ErrRemoteSocketUnspecified
	case SynSent, SynReceived, Established, CloseWait:
		if e.flags&flagCloseQueued != 0 {
			return ErrConnectionClosing
		}
	default: // FIN-WAIT-1, FIN-WAIT-2, CLOSING, LAST-ACK, TIME-WAIT
		return ErrConnectionClosing
	}
	if len(data) == 0 {
		return nil
	}
	if len(e.sndBuf)+len(data) > int(e.cfg.SndBuf) {
		return ErrInsufficientResources
	}
	e.sndBuf = append(e.sndBuf, data...)
	if !e.state.Synchronized() {
		// "Queue the data for transmission after entering ESTABLISHED state."
		s.Noted(e, nil, RuleSendQueued)
		return nil
	}
	e.transmit(now, s)
	return nil
}

// Receive copies up to len(buf) octets of in-order data into buf (RFC 9293
// §3.10.3). The emulator never blocks: n is 0 when nothing is on hand. eof
// reports that the peer's FIN has been received and every octet before it read.
func (e *Endpoint) Receive(now time.Duration, buf []byte, s Sink) (n int, eof bool, err error) {
	switch e.state {
	case Closed:
		return 0, false, ErrConnectionDoesNotExist
	case Listen, SynSent, SynReceived:
		// "Queue for processing after entering ESTABLISHED state."
		return 0, false, nil
	}
	n = copy(buf, e.rcvBuf)
	e.rcvBuf = e.rcvBuf[:copy(e.rcvBuf, e.rcvBuf[n:])]
	finished := e.flags&flagFinReceived != 0 && len(e.rcvBuf) == 0
	if n == 0 && finished {
		// CLOSE-WAIT: "If no text is awaiting delivery, the RECEIVE will
		// get an 'error: connection closing' response." CLOSING, LAST-ACK
		// and TIME-WAIT answer the same way once their data is read.
		return 0, true, ErrConnectionClosing
	}
	if n > 0 && (e.state == Established || e.state == FinWait1 || e.state == FinWait2) {
		e.maybeWindowUpdate(s)
	}
	return n, finished, nil
}

// maybeWindowUpdate tells the peer when reading opened the window enough to
// be worth announcing (RFC 9293 §3.8.6.2.2).
func (e *Endpoint) maybeWindowUpdate(s Sink) {
	before := e.rcvAdv
	e.advertise() // moves rcvAdv if the step is large enough
	if e.rcvAdv != before {
		// The segment's advertise leaves rcvAdv where it is now.
		seg := e.outgoing(e.sndNxt, ACK)
		e.ackSent(s)
		e.send(seg, RuleReceiveWindowUpdate, s)
	}
}

// Close is CLOSE (RFC 9293 §3.10.4): the user has no more data to send.
func (e *Endpoint) Close(now time.Duration, s Sink) error {
	switch e.state {
	case Closed:
		return ErrConnectionDoesNotExist
	case Listen:
		e.release(RuleCloseListen, s)
		return nil
	case SynSent:
		e.release(RuleCloseSynSent, s)
		return nil
	case FinWait1, FinWait2, Closing, LastAck, TimeWait:
		return ErrConnectionClosing
	}
	if e.flags&flagCloseQueued != 0 {
		return ErrConnectionClosing
	}
	if e.cfg.RSTOnCloseWithUnreadData && len(e.rcvBuf) > 0 {
		// RFC 2525 §2.17 (and RFC 1122 §4.2.2.13): data the user will
		// never read is lost, and a RST says so. Linux sends RST,ACK.
		rst := e.header(e.sndNxt, RST|ACK)
		s.Sent(e, &rst, RuleCloseUnreadData)
		e.release(RuleCloseUnreadData, s)
		return nil
	}
	e.flags |= flagCloseQueued
	switch e.state {
	case SynReceived:
		// "If no SENDs have been issued and there is no pending data to
		// send, then form a FIN segment and send it, and enter FIN-WAIT-1
		// state; otherwise, queue for processing after entering ESTABLISHED."
		if len(e.sndBuf) > 0 {
			s.Noted(e, nil, RuleCloseQueued)
			return nil
		}
		e.transition(FinWait1, RuleCloseSendFIN, s)
	case Established:
		e.transition(FinWait1, RuleCloseSendFIN, s)
	case CloseWait:
		e.transition(LastAck, RuleCloseSendFIN, s)
	}
	e.transmit(now, s)
	return nil
}

// Abort is ABORT (RFC 9293 §3.10.5).
func (e *Endpoint) Abort(now time.Duration, s Sink) error {
	switch e.state {
	case Closed:
		return ErrConnectionDoesNotExist
	case Listen, SynSent, Closing, LastAck, TimeWait:
		// No reset: nothing synchronized would take it (LISTEN, SYN-SENT),
		// or our FIN already said goodbye. "Respond with 'ok'".
		e.release(RuleAbortQuiet, s)
	default: // SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT
		rst := e.header(e.sndNxt, RST) // <SEQ=SND.NXT><CTL=RST>
		s.Sent(e, &rst, RuleAbortReset)
		e.release(RuleAbortReset, s)
	}
	return nil
}

// ResetUnaccepted aborts a connection its listener's CLOSE leaves behind
// before the user accepted it: like ABORT, with <SEQ=SND.NXT><CTL=RST>, so
// the peer does not wait on a connection nobody will serve (what real stacks
// do with their accept queue).
func (e *Endpoint) ResetUnaccepted(now time.Duration, s Sink) {
	if e.state == Closed {
		return
	}
	rst := e.header(e.sndNxt, RST)
	s.Sent(e, &rst, RuleListenerClosedChild)
	e.release(RuleListenerClosedChild, s)
}

// Status reports the state, or "connection does not exist" (§3.10.6).
func (e *Endpoint) Status() (State, error) {
	if e.state == Closed {
		return Closed, ErrConnectionDoesNotExist
	}
	return e.state, nil
}
