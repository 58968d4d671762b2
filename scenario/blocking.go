package scenario

import (
	"fmt"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// blocking is a system call waiting for its condition.
type blocking struct {
	ev    *Event
	name  string
	fd    int
	start time.Duration
	end   time.Duration // when the script says it returns
	has   bool          // the script gave an end time ("...")
}

// block makes a call wait for its condition: at once if it already holds,
// else until the script's end time (or the line's own time, plus the
// tolerance, when it gives none).
func (r *runner) block(ev *Event, name string, s *socket, at time.Duration) error {
	r.blocked = true
	p := &blocking{ev: ev, name: name, fd: s.fd, start: at, end: at}
	if end, ok := r.blockEnd(ev); ok {
		p.has, p.end = true, end
	}
	r.pending = p
	if err := r.checkPending(); err != nil || r.pending == nil {
		return err
	}
	if p.has {
		return nil // the script goes on while the call waits
	}
	// No end time: the call must return within the tolerance.
	if err := r.advance(at + r.tol); err != nil {
		return err
	}
	if r.pending != nil {
		r.pending = nil
		return r.fail(fmt.Sprintf("%s() blocked; the script expects it to return at once (write \"%v...T\" for a call that blocks)", name, at),
			fmt.Sprintf("returns at %v", at), "blocked")
	}
	return nil
}

// checkPending completes the waiting call if its condition holds now.
func (r *runner) checkPending() error {
	p := r.pending
	s := r.fds[p.fd]
	var got result
	done := false
	switch p.name {
	case "accept":
		id, ok, err := r.d.Accept(s.ep)
		if err != nil {
			got, done = r.errnoOf("accept", err), true
		} else if ok {
			got, done = r.accepted(id), true
		}
	case "read":
		st, err := r.d.Status(s.ep)
		if err != nil {
			return err
		}
		if st.RcvQueued > 0 || r.sigErr[s.ep] != 0 || finReceived(st.State) {
			got, done = r.receive(s, r.pendingMax), true
		}
	case "connect":
		switch st := r.stateOf(s.ep); {
		case st.Synchronized():
			got, done = okRes(0), true
		case st == tcp.Closed:
			got, done = r.takeErr(s.ep, "ECONNREFUSED"), true
		}
	}
	if !done {
		return nil
	}
	r.pending = nil
	now := r.d.Now()
	if err := r.check(p.ev, got); err != nil {
		return r.at(err, p.ev)
	}
	if p.has && (now < p.end-r.tol || now > p.end+r.tol) {
		return r.at(r.fail(fmt.Sprintf("timing: the blocking %s() of line %s returned at %v, expected at %v (tolerance %v)",
			p.name, p.ev.Pos, now, p.end, r.tol),
			fmt.Sprintf("returns at %v", p.end), fmt.Sprintf("returned at %v", now)), p.ev)
	}
	return nil
}

// at points a mismatch found for an earlier line at that line.
func (r *runner) at(err error, ev *Event) error {
	if m, ok := err.(*mismatch); ok {
		m.f.Pos, m.f.Line = ev.Pos, ev.Text
	}
	return err
}

func finReceived(s tcp.State) bool {
	switch s {
	case tcp.CloseWait, tcp.LastAck, tcp.Closing, tcp.TimeWait, tcp.Closed:
		return true
	}
	return false
}

func (r *runner) stateOf(id emulator.EndpointID) tcp.State {
	st, err := r.d.Status(id)
	if err != nil {
		return tcp.Closed
	}
	return st.State
}

// blockEnd is when a line's "...T" says its call returns: T counts from
// the same base as the line's own time.
func (r *runner) blockEnd(ev *Event) (time.Duration, bool) {
	be := ev.Time.BlockEnd
	if be == nil {
		return 0, false
	}
	if ev.Time.Kind == TimeRelative {
		return r.prevBase + *be, true
	}
	return *be, true
}

// timedSyscall runs a system-call line. A call that returns at once where
// the line gives an end time ("+0...0.3 read(…)" finding data already
// there) returned at its start, and packetdrill checks that against the
// end time like any blocking call's return.
func (r *runner) timedSyscall(ev *Event, at time.Duration) error {
	r.blocked = false
	err := r.syscall(ev, at)
	end, ok := r.blockEnd(ev)
	if err != nil || r.blocked || !ok {
		return err
	}
	if at < end-r.tol || at > end+r.tol {
		return r.fail(fmt.Sprintf("timing: %s() returned at %v, expected at %v (tolerance %v)", ev.Syscall.Name, at, end, r.tol),
			fmt.Sprintf("returns at %v", end), fmt.Sprintf("returned at %v", at))
	}
	return nil
}
