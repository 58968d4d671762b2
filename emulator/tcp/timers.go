package tcp

import (
	"math"
	"math/bits"
	"time"
)

// Timer is one of an endpoint's timers.
type Timer uint8

// The timers of RFC 9293 §3.8 and §3.10.8.
const (
	TimerRetransmit  Timer = iota // RFC 6298
	TimerTimeWait                 // 2×MSL, RFC 9293 §3.4.2
	TimerUserTimeout              // RFC 9293 §3.8.3, RFC 5482
	TimerFinWait2                 // Linux tcp_fin_timeout, where the profile sets one
	TimerDelayedACK               // RFC 9293 §3.8.6.3
	TimerPersist                  // zero-window probing, RFC 9293 §3.8.6.1
	numTimers
)

// NumTimers is the number of timer kinds.
const NumTimers = int(numTimers)

var timerNames = [numTimers]string{"retransmission", "time-wait", "user-timeout", "fin-wait-2", "delayed-ack", "persist"}

// String names the timer ("time-wait").
func (t Timer) String() string {
	if t < numTimers {
		return timerNames[t]
	}
	return "timer(?)"
}

// Deadline returns when timer t fires and whether it is armed.
func (e *Endpoint) Deadline(t Timer) (time.Duration, bool) {
	return e.deadline[t], e.armed&(1<<t) != 0
}

// TimerGen is timer t's generation: it changes whenever t is armed or
// cancelled, so an owner can recognise a stale deadline.
func (e *Endpoint) TimerGen(t Timer) uint32 { return e.gen[t] }

func (e *Endpoint) arm(t Timer, at time.Duration, s Sink) {
	if at < 0 {
		// now + interval overflowed (both are never negative): a clock
		// advanced near the largest Duration. Wrapped, the deadline would
		// lie in the past and time would run backwards; the deadline is
		// past the end of virtual time instead.
		at = math.MaxInt64
	}
	e.deadline[t] = at
	e.armed |= 1 << t
	e.gen[t]++
	s.TimerArmed(e, t, at)
}

// cancel stops timer t if it is armed. Most calls find it idle; the test
// is kept small enough to be inlined at each of them.
func (e *Endpoint) cancel(t Timer, s Sink) {
	if e.armed&(1<<t) != 0 {
		e.disarm(t, s)
	}
}

// disarm stays out of line so that cancel is inlined.
//
//go:noinline
func (e *Endpoint) disarm(t Timer, s Sink) {
	e.armed &^= 1 << t
	e.gen[t]++
	s.TimerCancelled(e, t)
}

func (e *Endpoint) isArmed(t Timer) bool { return e.armed&(1<<t) != 0 }

// cancelAll stops every timer ("turn off the other timers").
func (e *Endpoint) cancelAll(s Sink) {
	// The armed ones, in the order of their kinds: lowest bit first.
	for e.armed != 0 {
		e.disarm(Timer(bits.TrailingZeros8(e.armed)), s)
	}
}

// OnTimer runs timer t's expiry. The owner calls it at the deadline with
// the generation it was armed with; a stale or cancelled timer does nothing.
func (e *Endpoint) OnTimer(now time.Duration, t Timer, gen uint32, s Sink) bool {
	if e.armed&(1<<t) == 0 || e.gen[t] != gen {
		return false
	}
	e.armed &^= 1 << t
	switch t {
	case TimerRetransmit:
		e.onRetransmitTimeout(now, s)
	case TimerTimeWait:
		// RFC 9293 §3.10.8: "If the time-wait timeout expires on a
		// connection, delete the TCB, enter the CLOSED state, and return."
		e.release(RuleTimeWaitExpired, s)
	case TimerUserTimeout:
		// RFC 9293 §3.10.8, USER TIMEOUT: flush all queues, signal the
		// user, delete the TCB.
		e.signal(ErrUserTimeout, s)
		e.release(RuleUserTimeout, s)
	case TimerFinWait2:
		// Linux's tcp_fin_timeout: an orphaned FIN-WAIT-2 is dropped
		// silently (the RFC itself would wait forever).
		e.release(RuleFinWait2Timeout, s)
	case TimerDelayedACK:
		if e.flags&flagAckOwed != 0 {
			e.sendACK(RuleDelayedACK, s)
		}
	case TimerPersist:
		e.onPersistTimeout(now, s)
	default:
		panic("tcp: unknown timer")
	}
	return true
}

// retryLimit is how many retransmissions the oldest outstanding segment
// gets before the connection gives up.
func (e *Endpoint) retryLimit() int {
	switch e.state {
	case SynSent:
		return e.cfg.SynRetries
	case SynReceived:
		if !e.synAcked() {
			return e.cfg.SynAckRetries
		}
	}
	return e.cfg.DataRetries
}

// onRetransmitTimeout is RFC 6298 §5.4–§5.6: retransmit the earliest
// unacknowledged segment, back the timer off, restart it.
func (e *Endpoint) onRetransmitTimeout(now time.Duration, s Sink) {
	if int(e.retries) >= e.retryLimit() {
		// RFC 9293 §3.8.3: past R2 the connection is closed; RFC 1122
		// §4.2.3.5 lets the SYN case give up the same way. No RST is sent
		// (the peer is unreachable, as far as we can tell).
		e.signal(ErrTimedOut, s)
		e.release(RuleRetransmitGiveUp, s)
		return
	}
	e.retries++
	// Karn's algorithm (RFC 6298 §3): a retransmitted segment is never
	// timed.
	e.flags &^= flagRTTTiming
	if e.state == SynSent || (e.state == SynReceived && !e.synAcked()) {
		e.flags |= flagSynRetx
	}
	e.retransmitFirst(RuleRetransmit, s)
	// Linux 6.x keeps the initial RTO for the first tcp_syn_linear_timeouts
	// SYN retransmissions; RFC 6298 §5.5 doubles every time.
	if !(e.state == SynSent && int(e.retries) <= e.cfg.SynLinearTimeouts) {
		e.rto = min(2*e.rto, e.cfg.RTOMax)
	}
	e.flags |= flagRecovering
	e.recoverSeq = e.sndNxt
	e.arm(TimerRetransmit, now+e.rto, s)
}

// restartRetransmitTimer applies RFC 6298 §5.1–§5.3 after a send or an ACK:
// running while anything is outstanding, off when all is acknowledged.
func (e *Endpoint) restartRetransmitTimer(now time.Duration, restart bool, s Sink) {
	if e.sndUna == e.sndNxt {
		e.cancel(TimerRetransmit, s)
		e.cancel(TimerUserTimeout, s)
		return
	}
	if restart || !e.isArmed(TimerRetransmit) {
		e.arm(TimerRetransmit, now+e.rto, s)
	}
	if e.cfg.UserTimeout > 0 && (restart || !e.isArmed(TimerUserTimeout)) {
		e.arm(TimerUserTimeout, now+e.cfg.UserTimeout, s)
	}
}

// sampleRTT folds one measurement into SRTT and RTTVAR (RFC 6298 §2.2–2.3,
// K=4, alpha=1/8, beta=1/4) and recomputes RTO, clamped to [min, max]
// (§2.4, §2.5). The clock granularity G is the virtual clock's nanosecond.
func (e *Endpoint) sampleRTT(r time.Duration) {
	if e.flags&flagHasRTT == 0 {
		e.srtt = r
		e.rttvar = r / 2
		e.flags |= flagHasRTT
	} else {
		d := e.srtt - r
		if d < 0 {
			d = -d
		}
		e.rttvar = (3*e.rttvar + d) / 4
		e.srtt = (7*e.srtt + r) / 8
	}
	e.rto = min(max(e.srtt+max(time.Nanosecond, 4*e.rttvar), e.cfg.RTOMin), e.cfg.RTOMax)
}

// startTiming begins an RTT measurement of seg (which ends at
// seg.End()), unless one is running.
func (e *Endpoint) startTiming(now time.Duration, seg *Segment) {
	if e.flags&flagRTTTiming == 0 {
		e.flags |= flagRTTTiming
		e.rttSeq = seg.End()
		e.rttStart = now
	}
}

// onPersistTimeout sends a zero-window probe: a segment one below SND.UNA
// that the receiver must answer with an ACK carrying its current window
// (RFC 9293 §3.8.6.1; Linux's tcp_xmit_probe_skb does the same). The probe
// interval backs off like the RTO; a peer that never answers is given up
// after the data retry limit.
func (e *Endpoint) onPersistTimeout(now time.Duration, s Sink) {
	if e.sndWnd != 0 || (e.unsent() == 0 && !e.finPending()) {
		return
	}
	if int(e.probes) >= e.cfg.DataRetries {
		// Only probes that went unanswered count: MUST-37 keeps the
		// connection open "as long as the receiving TCP peer continues to
		// send acknowledgments in response to the probe segments".
		e.signal(ErrTimedOut, s)
		e.release(RuleRetransmitGiveUp, s)
		return
	}
	e.probes++
	if e.persistBackoff < 32 {
		e.persistBackoff++
	}
	probe := e.header(e.sndUna.Sub(1), ACK)
	s.Sent(e, &probe, RulePersistProbe)
	e.arm(TimerPersist, now+backoff(e.rto, int(e.persistBackoff), e.cfg.RTOMax), s)
}

// armPersist starts probing when data waits behind a zero window and
// nothing is in flight to bring a window update back.
func (e *Endpoint) armPersist(now time.Duration, s Sink) {
	if e.sndWnd != 0 && e.armed&(1<<TimerPersist)|e.probes|e.persistBackoff == 0 {
		return // the common case, inlined: an open window, no probing to stop
	}
	e.updatePersist(now, s)
}

// updatePersist is armPersist past its common case.
func (e *Endpoint) updatePersist(now time.Duration, s Sink) {
	if e.sndWnd == 0 && e.sndUna == e.sndNxt && (e.unsent() > 0 || e.finPending()) {
		if !e.isArmed(TimerPersist) {
			e.arm(TimerPersist, now+e.rto, s)
		}
		return
	}
	e.probes, e.persistBackoff = 0, 0
	e.cancel(TimerPersist, s)
}

// backoff doubles d n times, never past ceiling.
func backoff(d time.Duration, n int, ceiling time.Duration) time.Duration {
	for ; n > 0 && d < ceiling; n-- {
		d *= 2
	}
	return min(d, ceiling)
}
