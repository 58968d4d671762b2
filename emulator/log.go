package emulator

import "github.com/tcpemu/tcpemu/emulator/tcp"

// The log is kept in two buffers: s.log, which new events are appended to
// (its first event has sequence number s.logBase), and s.older, the events
// just before it. Once s.log holds more than LogLimit events it becomes
// s.older, and the older buffer's storage takes the new events: the session
// keeps between LogLimit and twice LogLimit events (plus one call's) and
// never copies one to trim — a copy of the kept window on every trim was a
// second write of every event.

// begin starts a call: it trims the log if the current buffer has grown
// past the limit and returns the sequence number the call's first event
// will get. Trimming happens only here, so the events a call returns stay
// in one piece, in s.log, until the next call.
func (s *Session) begin() uint64 {
	// A swap drops the older buffer, every event before logBase: under a
	// hold, only while all of those are before the held seq.
	if len(s.log) > s.cfg.LogLimit && (!s.held || s.logBase <= s.hold) {
		spare := s.older[:0] // events have no pointers: no need to clear
		s.older = s.log
		s.logBase += uint64(len(s.log))
		s.log = spare
	}
	return s.logBase + uint64(len(s.log))
}

// Hold keeps every event from sequence number seq on until Release,
// however far past LogLimit the log grows meanwhile. A caller that reads a
// run of calls' events only when the run ends — the server journals a
// Batch's events after its last operation — holds them instead of setting
// a log limit as large as the longest run.
func (s *Session) Hold(seq uint64) { s.held, s.hold = true, seq }

// Release ends a Hold: the next call trims as LogLimit says.
func (s *Session) Release() { s.held = false }

// since returns the events from sequence number start on. The slice is the
// session's own: it is valid until the next call.
func (s *Session) since(start uint64) []Event {
	return s.log[start-s.logBase:]
}

// emit stamps an event with its sequence number, time and cause and
// appends it to the log.
func (s *Session) emit(ev Event) {
	ev.Seq = s.logBase + uint64(len(s.log))
	ev.Time = s.now
	if ev.Cause == CauseNone {
		ev.Cause = s.cause
	}
	s.log = append(s.log, ev)
}

// event appends an event of kind k about endpoint ep, stamped as emit
// stamps one, and returns it for the caller to fill in the kind's fields.
// It writes the event where it lies in the log: emit builds an Event and
// copies it in, two writes of its 64 octets, and the paths every segment
// and timer takes emit about sixty events a connection.
func (s *Session) event(ep EndpointID, k Kind) *Event {
	n := len(s.log)
	s.log = append(s.log, Event{}) // a reused buffer holds old events
	ev := &s.log[n]
	ev.Seq, ev.Time = s.logBase+uint64(n), s.now
	ev.Endpoint, ev.Kind, ev.Cause = ep, k, s.cause
	return ev
}

// callEvent records a user call; its result is filled in by callFailed.
func (s *Session) callEvent(ep *endpoint, c Call, value int) {
	s.cause = CauseCall
	ev := s.event(EndpointID(ep.ID), KindCall)
	ev.Call, ev.Value = c, int64(value)
}

// callFailed writes the RFC error into the call's event and returns it.
func (s *Session) callFailed(start uint64, err error) error {
	if e, ok := err.(tcp.Error); ok {
		s.log[start-s.logBase].Err = e
	}
	return err
}

// FirstSeq is the sequence number of the oldest event still kept.
func (s *Session) FirstSeq() uint64 { return s.logBase - uint64(len(s.older)) }

// NextSeq is the sequence number the next event will get.
func (s *Session) NextSeq() uint64 { return s.logBase + uint64(len(s.log)) }

// Events returns the kept events with sequence numbers after afterSeq
// (all of them for afterSeq < FirstSeq). The slice is the session's own,
// valid until the next call; copy it to keep it.
func (s *Session) Events(afterSeq uint64) []Event {
	first := afterSeq + 1
	if oldest := s.FirstSeq(); afterSeq == ^uint64(0) || first < oldest {
		first = oldest
	}
	if first >= s.NextSeq() {
		return nil
	}
	if first >= s.logBase {
		return s.log[first-s.logBase:]
	}
	// The range starts in the older buffer: join the two in a buffer of
	// the session's own, kept for the next time.
	older := s.older[len(s.older)-int(s.logBase-first):]
	s.joined = append(append(s.joined[:0], older...), s.log...)
	return s.joined
}

// EventsN is Events limited to the first n events after afterSeq (n ≤ 0
// means no limit). A reader that pages through the log — a watcher catching
// up — reads each page without joining the whole older buffer every time.
func (s *Session) EventsN(afterSeq uint64, n int) []Event {
	first := afterSeq + 1
	if oldest := s.FirstSeq(); afterSeq == ^uint64(0) || first < oldest {
		first = oldest
	}
	if n <= 0 || first >= s.NextSeq() || uint64(n) >= s.NextSeq()-first {
		return s.Events(afterSeq)
	}
	if first >= s.logBase {
		return s.log[first-s.logBase:][:n]
	}
	older := s.older[len(s.older)-int(s.logBase-first):]
	if len(older) >= n {
		return older[:n]
	}
	s.joined = append(append(s.joined[:0], older...), s.log[:n-len(older)]...)
	return s.joined
}

// AllEvents returns every kept event (valid until the next call).
func (s *Session) AllEvents() []Event { return s.Events(^uint64(0)) }
