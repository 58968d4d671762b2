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
	itemNetwork                 // impairment work: a held or corrupt segment, a scheduled cut or heal (arg: its key in Session.imp.specials)
)

// item is one pending thing on the session's schedule. Items run in a
// total order: by time, then by the order they were scheduled in — never
// by map or heap accident.
type item struct {
	at    time.Duration
	order uint64
	ep    *tcp.Endpoint // a timer's endpoint; a delivery's guessed receiver (or nil)
	arg   uint32        // a timer's generation; a delivery's slot in Session.flights
	kind  itemKind
	timer tcp.Timer
}

func (a *item) before(b *item) bool {
	return a.at < b.at || a.at == b.at && a.order < b.order
}

// schedule holds the pending items: a few FIFO lanes and a binary
// min-heap. Items scheduled with the same delay (at − now) arrive in
// (at, order) order — the clock never runs backwards and order only grows —
// so a lane that takes the items of one delay stays sorted with no sifting:
// the session's one-way delay, a profile's RTO, TIME-WAIT. Any other item
// goes to the heap. The next item is the least of the lane heads and the
// heap's top, so items run in exactly the order a single heap would give.
//
// A session with little in flight — a handful of items, most often a
// delivery or two and the timers they will cancel — keeps them in few
// instead: a short array sorted latest first, where taking the next item
// is shortening the array and a new item, usually the latest but for the
// timers, moves past a few others. That is a fraction of the heap's
// sifting, which was a tenth of a lone connection's cost. While few holds
// items, the heap and the lanes are empty; an item that finds few full
// moves them all to the heap, and few takes new items again once the heap
// has emptied (as long as no lane has opened).
type schedule struct {
	few    fewItems
	lanes  [maxLanes]lane
	nlanes int
	heap   itemHeap
}

// smallHeap is how large the heap grows before lanes are used at all: a
// small heap is as cheap as the lanes and simpler to keep.
const smallHeap = 64

// maxFew is how many items few holds: the most its insertion moves.
const maxFew = 8

// Where schedule.first found the next item, besides a lane's index.
const (
	inHeap = -1
	inFew  = -2
)

// fewItems is a short array of items sorted by (at, order), latest first:
// items[:n].
type fewItems struct {
	items [maxFew]item
	n     int
}

// insert puts it in its place, moving each later item one slot up. The
// caller makes sure there is room.
func (f *fewItems) insert(it *item) {
	i := f.n
	for ; i > 0 && f.items[i-1].before(it); i-- {
		f.items[i] = f.items[i-1]
	}
	f.items[i] = *it
	f.n++
}

// last is the earliest item; few holds one.
func (f *fewItems) last() *item { return &f.items[f.n-1] }

// pop removes the earliest item.
func (f *fewItems) pop() item {
	f.n--
	it := f.items[f.n]
	f.items[f.n].ep = nil // its only pointer: the rest is overwritten unread
	return it
}

// maxLanes bounds the delays that get a lane; a delay that finds none
// free uses the heap.
const maxLanes = 8

// lane is a FIFO ring of items that were all scheduled with one delay.
type lane struct {
	delay   time.Duration
	buf     []item // len(buf) is zero or a power of two
	head, n int
}

func (l *lane) first() *item { return &l.buf[l.head] }

func (l *lane) last() *item { return &l.buf[(l.head+l.n-1)&(len(l.buf)-1)] }

func (l *lane) append(it *item) {
	if l.n == len(l.buf) {
		buf := make([]item, max(16, 2*len(l.buf)))
		for i := 0; i < l.n; i++ {
			buf[i] = l.buf[(l.head+i)&(len(l.buf)-1)]
		}
		l.buf, l.head = buf, 0
	}
	l.buf[(l.head+l.n)&(len(l.buf)-1)] = *it
	l.n++
}

func (l *lane) pop() item {
	it := l.buf[l.head]
	l.buf[l.head] = item{}
	l.head = (l.head + 1) & (len(l.buf) - 1)
	l.n--
	return it
}

// push schedules an item; now is the clock at scheduling time.
func (q *schedule) push(it *item, now time.Duration) {
	if q.fewTakes() {
		q.few.insert(it)
		return
	}
	q.pushMore(it, now)
}

// segmentFirst reports whether the first item is a segment in few: next's
// commonest case, and always live (only timers go stale), so the clock's
// loop runs it without asking next.
func (q *schedule) segmentFirst() bool { return q.few.n > 0 && q.few.last().kind == itemDeliver }

// fewTakes reports whether few is where the next item goes: push's
// common case. The paths every segment and timer takes (deliverTo,
// TimerArmed) ask it themselves and insert into few, or call pushMore,
// without a call to push, which is too large to be inlined.
func (q *schedule) fewTakes() bool {
	return q.few.n < maxFew && len(q.heap) == 0 && q.nlanes == 0
}

// pushMore is push when few cannot take the item.
func (q *schedule) pushMore(it *item, now time.Duration) {
	switch {
	case q.nlanes != 0 || len(q.heap) >= smallHeap:
		q.pushLane(it, now)
	default:
		// Latest first, few read backwards is sorted: a valid heap.
		for q.few.n > 0 {
			q.heap = append(q.heap, q.few.pop())
		}
		q.heap.push(it)
	}
}

// pushLane is push once lanes are in use: the lane of the item's delay
// takes it when it has room.
func (q *schedule) pushLane(it *item, now time.Duration) {
	d := it.at - now
	for i := 0; i < q.nlanes; i++ {
		if l := &q.lanes[i]; l.delay == d && l.n > 0 {
			if l.n < len(l.buf) && !it.before(l.last()) {
				l.buf[(l.head+l.n)&(len(l.buf)-1)] = *it
				l.n++
				return
			}
			break
		}
	}
	q.pushSlow(it, d)
}

// pushSlow is push when no lane of delay d has room: it grows that lane,
// gives d a free lane, or uses the heap.
func (q *schedule) pushSlow(it *item, d time.Duration) {
	var free *lane
	for i := 0; i < q.nlanes; i++ {
		l := &q.lanes[i]
		if l.n == 0 {
			if free == nil {
				free = l
			}
			continue
		}
		if l.delay == d {
			if !it.before(l.last()) {
				l.append(it)
				return
			}
			// Out of order for its lane (cannot happen while the clock
			// only advances): the heap takes it.
			q.heap.push(it)
			return
		}
	}
	if free == nil && q.nlanes < maxLanes {
		free = &q.lanes[q.nlanes]
		q.nlanes++
	}
	if free != nil {
		free.delay = d
		free.append(it)
		return
	}
	q.heap.push(it)
}

// first returns the least item and where it is (a lane's index, inHeap
// or inFew), or nil when nothing is scheduled.
func (q *schedule) first() (*item, int) {
	if q.few.n > 0 {
		return q.few.last(), inFew // the heap and the lanes are empty
	}
	var min *item
	src := inHeap
	if len(q.heap) > 0 {
		min = &q.heap[0]
	}
	if q.nlanes == 0 {
		return min, src
	}
	for i := 0; i < q.nlanes; i++ {
		if l := &q.lanes[i]; l.n > 0 {
			if h := l.first(); min == nil || h.before(min) {
				min, src = h, i
			}
		}
	}
	return min, src
}

// take removes the item first returned from src.
func (q *schedule) take(src int) {
	switch src {
	case inFew:
		q.few.pop()
	case inHeap:
		q.heap.pop()
	default:
		q.lanes[src].pop()
	}
}

// each calls f on every scheduled item, in no particular order.
func (q *schedule) each(f func(*item)) {
	for i := range q.few.items[:q.few.n] {
		f(&q.few.items[i])
	}
	for i := range q.heap {
		f(&q.heap[i])
	}
	for i := 0; i < q.nlanes; i++ {
		l := &q.lanes[i]
		for j := 0; j < l.n; j++ {
			f(&l.buf[(l.head+j)&(len(l.buf)-1)])
		}
	}
}

// itemHeap is a binary min-heap of items.
type itemHeap []item

func (h *itemHeap) push(it *item) {
	*h = append(*h, *it)
	h.up()
}

// up sifts the last item up to its place, moving each parent it passes
// down one level rather than swapping.
func (h *itemHeap) up() {
	q := *h
	i := len(q) - 1
	it := q[i]
	for i > 0 {
		p := (i - 1) / 2
		if !it.before(&q[p]) {
			break
		}
		q[i] = q[p]
		i = p
	}
	q[i] = it
}

// pop removes the least item: the last item is sifted down from the root,
// each smaller child it passes moving up one level.
func (h *itemHeap) pop() item {
	q := *h
	top := q[0]
	n := len(q) - 1
	last := q[n]
	q[n] = item{}
	q = q[:n]
	*h = q
	if n == 0 {
		return top
	}
	i := 0
	for {
		m := 2*i + 1
		if m >= n {
			break
		}
		if r := m + 1; r < n && q[r].before(&q[m]) {
			m = r
		}
		if !q[m].before(&last) {
			break
		}
		q[i] = q[m]
		i = m
	}
	q[i] = last
	return top
}

// live reports whether an item still has work: timer items go stale when
// their timer is cancelled or re-armed.
func (it *item) live() bool {
	if it.kind != itemTimer {
		return true
	}
	_, armed := it.ep.Deadline(it.timer)
	return armed && it.ep.TimerGen(it.timer) == it.arg
}

// next drops stale items and returns the first live one and where it is
// (see schedule.first), if any.
func (s *Session) next() (*item, int, bool) {
	for {
		if f := &s.queue.few; f.n > 0 {
			// first's own first case, spelled out here: the common one.
			if it := f.last(); it.live() {
				return it, inFew, true
			}
			f.pop()
			continue
		}
		it, src := s.queue.first()
		if it == nil {
			return nil, 0, false
		}
		if it.live() {
			return it, src, true
		}
		s.queue.take(src)
	}
}

// NextAt returns when the next pending item is due, if there is one.
func (s *Session) NextAt() (time.Duration, bool) {
	it, _, ok := s.next()
	if !ok {
		return 0, false
	}
	return it.at, true
}

// Pending counts the live items on the schedule.
func (s *Session) Pending() int {
	n := 0
	s.queue.each(func(it *item) {
		if it.live() {
			n++
		}
	})
	return n
}

// runNext runs the first live item, moving the clock to its time.
func (s *Session) runNext() bool {
	_, src, ok := s.next()
	if ok {
		s.run(src)
	}
	return ok
}

// run runs the live item next found at src.
func (s *Session) run(src int) {
	var it item
	switch src {
	case inFew:
		it = s.queue.few.pop()
	case inHeap:
		it = s.queue.heap.pop()
	default:
		it = s.queue.lanes[src].pop()
	}
	s.now = it.at
	switch it.kind {
	case itemDeliver:
		// The segment is read in place: a copy would escape to the heap
		// (arrive hands it to the endpoint's Sink, an interface). Its slot
		// is freed only afterwards, so the replies it causes cannot take
		// it; if they grow s.flights, the old array still holds it intact.
		s.cause = CauseSegment
		// The item's guess at the receiver saves arrive's lookup when
		// it is right.
		if seg := &s.flights[it.arg]; it.ep != nil && owner(it.ep).reaches(seg) {
			// deliverToEndpoint, written out: every segment comes here.
			ep := owner(it.ep)
			s.event(EndpointID(ep.ID), KindSegmentDelivered).Seg = headerOf(seg)
			ep.counters.countReceived(seg)
			ep.Arrive(s.now, seg, s.sink())
		} else {
			s.arrive(seg)
		}
		if f := &s.flights[it.arg]; f.Payload != nil {
			// Its only pointer: the slot is overwritten when reused. Most
			// segments carry none, and skip the write (and its barrier).
			f.Payload = nil
		}
		s.freeFlights = append(s.freeFlights, it.arg)
	case itemTimer:
		s.cause = CauseTimer
		s.event(EndpointID(it.ep.ID), KindTimerFired).Timer = it.timer
		it.ep.OnTimer(s.now, it.timer, it.arg, s.sink())
	case itemNetwork:
		s.cause = CauseSegment
		s.runSpecial(it.arg)
	}
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
		it, src, ok := s.next()
		if !ok || it.at > t {
			break
		}
		if maxSteps > 0 && steps >= maxSteps {
			return s.since(start), ErrStepLimit
		}
		s.run(src)
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
		src := inFew
		if !s.queue.segmentFirst() {
			var ok bool
			if _, src, ok = s.next(); !ok {
				return s.since(start), nil
			}
		}
		if maxSteps > 0 && steps >= maxSteps {
			return s.since(start), ErrStepLimit
		}
		s.run(src)
	}
}
