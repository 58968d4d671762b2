package emulator

import (
	"errors"
	"time"

	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// ErrStepLimit means a clock operation ran its bound of steps before it
// got where it was asked to go; the clock stays at the last item run.
var ErrStepLimit = errors.New("step limit reached")

// ErrTimeInPast means AdvanceTo was given a time before the clock's.
var ErrTimeInPast = errors.New("time is before the session's clock")

type itemKind uint8

const (
	itemDeliver itemKind = iota // a segment reaches its destination
	itemTimer                   // an endpoint's timer deadline
)

// item is one pending thing on the session's schedule. Items run in a
// total order: by time, then by the order they were scheduled in — never
// by map or heap accident.
type item struct {
	at     time.Duration
	order  uint64
	ep     *tcp.Endpoint
	gen    uint32
	flight uint32
	kind   itemKind
	timer  tcp.Timer
}

func (a *item) before(b *item) bool {
	return a.at < b.at || a.at == b.at && a.order < b.order
}

// schedule is a binary min-heap of items.
type schedule []item

func (h *schedule) push(it item) {
	*h = append(*h, it)
	q := *h
	i := len(q) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q[i].before(&q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *schedule) pop() item {
	q := *h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q[n] = item{}
	q = q[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q[r].before(&q[l]) {
			m = r
		}
		if !q[m].before(&q[i]) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

// live reports whether an item still has work: timer items go stale when
// their timer is cancelled or re-armed.
func (it *item) live() bool {
	if it.kind != itemTimer {
		return true
	}
	_, armed := it.ep.Deadline(it.timer)
	return armed && it.ep.TimerGen(it.timer) == it.gen
}

// next drops stale items and returns the first live one, if any.
func (s *Session) next() (*item, bool) {
	for len(s.queue) > 0 {
		if s.queue[0].live() {
			return &s.queue[0], true
		}
		s.queue.pop()
	}
	return nil, false
}

// NextAt returns when the next pending item is due, if there is one.
func (s *Session) NextAt() (time.Duration, bool) {
	it, ok := s.next()
	if !ok {
		return 0, false
	}
	return it.at, true
}

// Pending counts the live items on the schedule.
func (s *Session) Pending() int {
	n := 0
	for i := range s.queue {
		if s.queue[i].live() {
			n++
		}
	}
	return n
}

// runNext runs the first live item, moving the clock to its time.
func (s *Session) runNext() bool {
	if _, ok := s.next(); !ok {
		return false
	}
	it := s.queue.pop()
	s.now = it.at
	switch it.kind {
	case itemDeliver:
		// The segment is read in place: a copy would escape to the heap
		// (arrive hands it to the endpoint's Sink, an interface). Its slot
		// is freed only afterwards, so the replies it causes cannot take
		// it; if they grow s.flights, the old array still holds it intact.
		s.cause = CauseSegment
		s.arrive(&s.flights[it.flight])
		s.flights[it.flight] = tcp.Segment{}
		s.freeFlights = append(s.freeFlights, it.flight)
	case itemTimer:
		s.cause = CauseTimer
		s.emit(Event{Endpoint: EndpointID(it.ep.ID), Kind: KindTimerFired, Timer: it.timer})
		it.ep.OnTimer(s.now, it.timer, it.gen, s.sink())
	}
	return true
}

// Step runs the next pending item, whatever its time, and returns the
// events it caused. With nothing pending it does nothing.
func (s *Session) Step() []Event {
	start := s.begin()
	s.runNext()
	return s.since(start)
}

// AdvanceTo runs every item due at or before t, in order, then sets the
// clock to t. At most maxSteps items run (0 means no bound).
func (s *Session) AdvanceTo(t time.Duration, maxSteps int) ([]Event, error) {
	if t < s.now {
		return nil, ErrTimeInPast
	}
	start := s.begin()
	for steps := 0; ; steps++ {
		at, ok := s.NextAt()
		if !ok || at > t {
			break
		}
		if maxSteps > 0 && steps >= maxSteps {
			return s.since(start), ErrStepLimit
		}
		s.runNext()
	}
	s.now = t
	return s.since(start), nil
}

// AdvanceBy is AdvanceTo(now + d).
func (s *Session) AdvanceBy(d time.Duration, maxSteps int) ([]Event, error) {
	if d < 0 {
		return nil, ErrTimeInPast
	}
	return s.AdvanceTo(s.now+d, maxSteps)
}

// RunUntilIdle runs items until none is pending or maxSteps have run
// (0 means no bound); the clock ends at the last item's time.
func (s *Session) RunUntilIdle(maxSteps int) ([]Event, error) {
	start := s.begin()
	for steps := 0; ; steps++ {
		if _, ok := s.next(); !ok {
			return s.since(start), nil
		}
		if maxSteps > 0 && steps >= maxSteps {
			return s.since(start), ErrStepLimit
		}
		s.runNext()
	}
}
