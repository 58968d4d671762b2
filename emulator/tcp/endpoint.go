package tcp

import (
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
)

// Sink receives everything an endpoint does. The session implements it: it
// stamps each report as an event, routes segments and schedules timers.
// Implementations must not call back into the endpoint.
type Sink interface {
	// StateChanged reports a transition and the rule that caused it.
	StateChanged(ep *Endpoint, from, to State, rule Rule)
	// Sent hands over a segment the endpoint emits; the sink may keep seg's
	// fields (the payload is immutable) but not the pointer.
	Sent(ep *Endpoint, seg *Segment, rule Rule)
	// Discarded reports an arriving segment dropped by the rule.
	Discarded(ep *Endpoint, seg *Segment, rule Rule)
	// Noted reports a rule applied without a state change or a segment sent
	// (send queued, data held out of order, …); seg may be nil.
	Noted(ep *Endpoint, seg *Segment, rule Rule)
	// TimerArmed and TimerCancelled report timer changes; the sink fires
	// OnTimer at the deadline unless the timer's generation has moved on.
	TimerArmed(ep *Endpoint, t Timer, at time.Duration)
	TimerCancelled(ep *Endpoint, t Timer)
	// DataReady reports n new in-order octets for the user to RECEIVE.
	DataReady(ep *Endpoint, n int)
	// Signal reports an error the RFC tells the TCP to signal to the user.
	Signal(ep *Endpoint, err Error)
	// Reopen hands a SYN that ended a TIME-WAIT back to the local host, to
	// be delivered again as if no connection existed; the new connection's
	// ISS must exceed minISS (RFC 9293 §3.6.1 MAY-2).
	Reopen(ep *Endpoint, syn *Segment, minISS seqnum.Value)
	// Fork asks for a connection endpoint to take a SYN that arrived at a
	// listener (RFC 9293 §3.10.7.2), and the ISS it is to use; a nil
	// endpoint means none can be had (the backlog is full).
	Fork(listener *Endpoint, syn *Segment) (*Endpoint, seqnum.Value)
	// Released reports that the TCB was deleted (the endpoint is CLOSED).
	Released(ep *Endpoint)
}

// epFlag is a bit of per-endpoint bookkeeping.
type epFlag uint16

const (
	flagCloseQueued    epFlag = 1 << iota // CLOSE called: FIN follows the queued data
	flagFinSent                           // our FIN occupies sequence number finSeq
	flagSynRetx                           // the SYN or SYN-ACK was retransmitted (RFC 6298 §5.7)
	flagRTTTiming                         // rttSeq/rttStart time a segment (Karn: cleared on retransmission)
	flagHasRTT                            // SRTT/RTTVAR hold a measurement
	flagRecovering                        // retransmitting after an RTO until recoverSeq is acknowledged
	flagFinReceived                       // the peer's FIN was processed; RCV.NXT is past it
	flagAckOwed                           // an ACK is due and not yet sent (delayed ACK)
	flagPeerTimestamps                    // the peer's SYN carried timestamps
	flagOOWAcked                          // lastOOWAck holds a time
)

// Endpoint is one TCP endpoint: a listener or a connection with its TCB
// (RFC 9293 §3.3.1). The zero value is not usable: call Init.
type Endpoint struct {
	ID     uint32 // owner-assigned identity
	Parent uint32 // the listener that forked this endpoint, or 0
	Local  AddrID
	Remote AddrID
	// Owner is the owner's own record of this endpoint, so that a Sink
	// handed the endpoint can find it without a lookup. The machine never
	// reads it; Init clears it.
	Owner any
	// Scratch is where the endpoint builds each segment it hands to
	// Sink.Sent (see send). The owner may share one among all its
	// endpoints, since it steps them one at a time; nil costs an
	// allocation per segment. Init clears it.
	Scratch *Segment

	state   State
	passive bool // SYN-RECEIVED was entered from LISTEN (RFC 9293 MUST-11)
	flags   epFlag
	cfg     *Config
	softErr Error // the last error signalled to the user

	// Send sequence variables (RFC 9293 §3.3.1, Figure 4).
	iss, sndUna, sndNxt seqnum.Value
	sndWl1, sndWl2      seqnum.Value
	sndUp               seqnum.Value
	sndWnd, maxSndWnd   uint32 // MAX.SND.WND is RFC 5961 §5's
	finSeq, recoverSeq  seqnum.Value
	sndMSS              uint16
	retries, probes     uint8
	persistBackoff      uint8 // doublings of the persist interval; reset when the window opens
	// Receive sequence variables (RFC 9293 §3.3.1, Figure 5).
	irs, rcvNxt, rcvUp seqnum.Value
	rcvAdv             seqnum.Value // RCV.NXT+RCV.WND as last advertised
	tsRecent           uint32

	// sndBuf holds the data from the first unacknowledged data octet on,
	// sent and unsent. Its bytes are never overwritten (segments in flight
	// share them); acknowledged data is sliced off the front. Emptied (by
	// release, dissolve or Init) it becomes sndBuf[len(sndBuf):]: the spare
	// capacity past the last octet ever queued was never handed out, so a
	// recycled endpoint's next SEND appends there instead of allocating,
	// while an earlier incarnation's segments still in flight keep theirs.
	sndBuf []byte
	// rcvBuf holds in-order data the user has not read.
	rcvBuf []byte
	// held keeps text and FINs that arrived ahead of RCV.NXT until the gap
	// fills (RFC 9293 §3.10.7.4, "held for later processing").
	held []heldText

	// RFC 6298 round-trip state.
	srtt, rttvar, rto time.Duration
	rttSeq            seqnum.Value
	rttStart          time.Duration

	// Timers: deadline and generation per kind; a bit per armed timer.
	deadline [numTimers]time.Duration
	gen      [numTimers]uint32
	armed    uint8

	// RFC 5961 §7 challenge-ACK rate limit window.
	challengeStart time.Duration
	challengeCount int32
	// When the last ACK for an unacceptable segment went out (Linux's
	// out-of-window rate limit; valid when flagOOWAcked is set).
	lastOOWAck time.Duration
}

// heldText is a piece of out-of-order text (and possibly a FIN) waiting for
// RCV.NXT to reach seq.
type heldText struct {
	seq  seqnum.Value
	data []byte
	fin  bool
}

// Init readies e for a new life with the given identity and configuration.
// Timer generations survive so that stale deadlines of a previous life never
// fire; the receive buffer's storage is reused.
func (e *Endpoint) Init(id uint32, cfg *Config) {
	gen, snd, rcv, held := e.gen, e.sndBuf[len(e.sndBuf):], e.rcvBuf[:0], e.held[:0]
	for i := range gen {
		gen[i]++
	}
	// Cleared in place, then set: a composite literal with these fields
	// would be built aside and copied over the whole record.
	*e = Endpoint{}
	e.ID, e.cfg, e.gen, e.sndBuf, e.rcvBuf, e.held = id, cfg, gen, snd, rcv, held
	e.rto = cfg.RTOInitial
}

// State is the endpoint's current state.
func (e *Endpoint) State() State { return e.state }

// Config is the configuration the endpoint runs with.
func (e *Endpoint) Config() *Config { return e.cfg }

// Passive reports whether the connection came from a passive OPEN
// (a listener's fork, or a listener turned active keeps false).
func (e *Endpoint) Passive() bool { return e.passive }

// LastError is the last error signalled to the user, or nil.
func (e *Endpoint) LastError() error {
	if e.softErr == errNone {
		return nil
	}
	return e.softErr
}

// TCB is a copy of the connection's variables for STATUS and inspection.
type TCB struct {
	SndUna, SndNxt, SndWl1, SndWl2, SndUp, ISS seqnum.Value
	SndWnd                                     uint32
	RcvNxt, RcvUp, IRS                         seqnum.Value
	RcvWnd                                     uint32
	SndMSS                                     uint16
	// Octets queued by SEND and not yet acknowledged, of which Unsent are
	// not yet sent; octets received and not yet read; held out-of-order pieces.
	SndQueued, SndUnsent int
	RcvQueued, RcvHeld   int
	// RFC 6298 state and the consecutive retransmissions of the oldest segment.
	RTO, SRTT, RTTVar time.Duration
	Retries           int
}

// RcvQueued is how many in-order octets wait to be read: TCB().RcvQueued
// without building the whole snapshot.
func (e *Endpoint) RcvQueued() int { return len(e.rcvBuf) }

// TCB returns a snapshot of the connection's variables.
func (e *Endpoint) TCB() TCB {
	return TCB{
		SndUna: e.sndUna, SndNxt: e.sndNxt, SndWl1: e.sndWl1, SndWl2: e.sndWl2, SndUp: e.sndUp, ISS: e.iss,
		SndWnd: e.sndWnd,
		RcvNxt: e.rcvNxt, RcvUp: e.rcvUp, IRS: e.irs, RcvWnd: e.rcvWnd(),
		SndMSS:    e.sndMSS,
		SndQueued: len(e.sndBuf), SndUnsent: e.unsent(),
		RcvQueued: len(e.rcvBuf), RcvHeld: len(e.held),
		RTO: e.rto, SRTT: e.srtt, RTTVar: e.rttvar, Retries: int(e.retries),
	}
}

// rcvWnd is RCV.WND: the part of the advertised window not yet filled.
func (e *Endpoint) rcvWnd() uint32 {
	if e.rcvAdv.LessThan(e.rcvNxt) {
		return 0
	}
	return uint32(e.rcvNxt.Size(e.rcvAdv))
}

// synAcked reports whether SND.UNA has passed our SYN.
func (e *Endpoint) synAcked() bool { return e.sndUna != e.iss }

// dataSeq is the sequence number of sndBuf[0].
func (e *Endpoint) dataSeq() seqnum.Value {
	if e.synAcked() {
		return e.sndUna
	}
	return e.iss.Add(1)
}

// sentData is how many octets of sndBuf have been sent.
func (e *Endpoint) sentData() int {
	if e.state == SynSent || (e.state == SynReceived && !e.synAcked()) {
		return 0
	}
	n := int(e.dataSeq().Size(e.sndNxt))
	if e.flags&flagFinSent != 0 {
		n--
	}
	// SND.NXT can only pass the data by the FIN.
	return max(0, min(n, len(e.sndBuf)))
}

// unsent is how many queued octets have not been sent yet.
func (e *Endpoint) unsent() int { return len(e.sndBuf) - e.sentData() }

// finAcked reports whether our FIN has been acknowledged.
func (e *Endpoint) finAcked() bool {
	return e.flags&flagFinSent != 0 && e.finSeq.LessThan(e.sndUna)
}

// transition is the one place state changes (STYLE: one choke point, one
// event per change).
func (e *Endpoint) transition(to State, rule Rule, s Sink) {
	from := e.state
	e.state = to
	s.StateChanged(e, from, to, rule)
}

// signal records err as the endpoint's last error and reports it.
func (e *Endpoint) signal(err Error, s Sink) {
	e.softErr = err
	s.Signal(e, err)
}

// release deletes the TCB: every timer stops, queues are flushed, the state
// is CLOSED and the owner is told (RFC 9293 "delete the TCB").
func (e *Endpoint) release(rule Rule, s Sink) {
	e.cancelAll(s)
	e.sndBuf = e.sndBuf[len(e.sndBuf):] // the unused tail: see sndBuf
	e.rcvBuf = e.rcvBuf[:0]
	e.held = e.held[:0]
	if e.state != Closed {
		e.transition(Closed, rule, s)
	}
	s.Released(e)
}
