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
	p := &blocking{ev: ev, name: name, fd: s.fd, start: at, end: at}
	if be := ev.Time.BlockEnd; be != nil {
		p.has = true
		p.end = *be
		if ev.Time.Kind == TimeRelative {
			p.end = r.prevBase + *be
		}
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
