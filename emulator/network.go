package emulator

import (
	"math"
	"time"

	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// transmit puts a segment on the network: it arrives at its destination
// after the session's one-way delay — or, once paths, fault rules or
// partitions exist, as they decide (path.go).
func (s *Session) transmit(seg *tcp.Segment) {
	if s.imp != nil {
		s.transmitImpaired(seg)
		return
	}
	s.deliverAt(seg, s.now+s.cfg.Delay)
}

// reaches reports whether arrive would hand seg to ep: ep is in conns
// under seg's 4-tuple.
func (ep *endpoint) reaches(seg *tcp.Segment) bool {
	return ep.routed && ep.Local == seg.Dst && ep.Remote == seg.Src
}

// deliverAt schedules seg to arrive at its destination at time at.
func (s *Session) deliverAt(seg *tcp.Segment, at time.Duration) {
	s.deliverTo(seg, at, nil)
}

// deliverTo is deliverAt with a guess at the receiving endpoint (or nil).
func (s *Session) deliverTo(seg *tcp.Segment, at time.Duration, dst *endpoint) {
	if at < s.now {
		// now + delay overflowed (a clock advanced near the largest
		// Duration): the segment arrives past the end of virtual time,
		// never before now, or the clock would run backwards.
		at = math.MaxInt64
	}
	var idx uint32
	if n := len(s.freeFlights); n > 0 {
		idx = s.freeFlights[n-1]
		s.freeFlights = s.freeFlights[:n-1]
		s.flights[idx] = *seg
	} else {
		idx = uint32(len(s.flights))
		s.flights = append(s.flights, *seg)
	}
	it := item{at: at, order: s.order, kind: itemDeliver, arg: idx}
	if dst != nil {
		it.ep = &dst.Endpoint
	}
	if q := &s.queue; q.fewTakes() {
		q.few.insert(&it)
	} else {
		q.pushMore(&it, s.now)
	}
	s.order++
}

// deliverToEndpoint hands a segment to the endpoint it reached: the
// delivery event, the counters, then SEGMENT ARRIVES.
func (s *Session) deliverToEndpoint(ep *endpoint, seg *tcp.Segment) {
	s.event(EndpointID(ep.ID), KindSegmentDelivered).Seg = headerOf(seg)
	ep.counters.countReceived(seg)
	ep.Arrive(s.now, seg, s.sink())
}

// arrive hands a segment to whatever is at its destination: the
// connection bound to its 4-tuple, else a listener on its address, else the
// host (which answers like a closed port), else — no such host — the
// outside world.
func (s *Session) arrive(seg *tcp.Segment) {
	if ep := s.conns.get(connKey(seg.Dst, seg.Src)); ep != nil {
		s.deliverToEndpoint(ep, seg)
		return
	}
	if l := s.listener(seg.Dst); l != nil {
		s.deliverToEndpoint(l, seg)
		return
	}
	dst := s.Addr(seg.Dst)
	if s.hosts[dst.Addr()] {
		// RFC 9293 §3.10.7.1: no TCB — the host answers for the closed
		// port (unless the segment is itself a RST).
		s.emit(Event{Kind: KindSegmentDelivered, Seg: headerOf(seg)})
		if rst, ok := tcp.ResetFor(seg); ok {
			s.emit(Event{Kind: KindSegmentSent, Rule: tcp.RuleClosedReset, Seg: headerOf(&rst)})
			s.transmit(&rst)
		} else {
			s.emit(Event{Kind: KindSegmentDiscarded, Rule: tcp.RuleClosedDiscardRST, Seg: headerOf(seg)})
		}
		return
	}
	if s.cfg.NoExternal {
		s.emit(Event{Kind: KindSegmentDropped, Drop: DropNoHost, Seg: headerOf(seg)})
		return
	}
	// An external host: the segment leaves the session for a harness (or a
	// student's TCP) to answer by injecting segments.
	s.emit(Event{Kind: KindSegmentExternal, Seg: headerOf(seg)})
	s.external = append(s.external, *seg)
}

// TakeExternal returns the segments that left the session for external
// hosts since the last call, in order, and forgets them.
func (s *Session) TakeExternal() []tcp.Segment {
	out := s.external
	s.external = nil
	return out
}
