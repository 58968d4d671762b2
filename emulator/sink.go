package emulator

import (
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// sessionSink is the Session seen as the endpoints' tcp.Sink. A distinct
// type keeps the Sink methods off the Session's public API; converting
// between the two costs nothing.
type sessionSink Session

func (s *Session) sink() *sessionSink { return (*sessionSink)(s) }

func (k *sessionSink) s() *Session { return (*Session)(k) }

func (k *sessionSink) StateChanged(ep *tcp.Endpoint, from, to tcp.State, rule tcp.Rule) {
	ev := k.s().event(EndpointID(ep.ID), KindStateChanged)
	ev.From, ev.To, ev.Rule = from, to, rule
}

func (k *sessionSink) Sent(ep *tcp.Endpoint, seg *tcp.Segment, rule tcp.Rule) {
	s := k.s()
	ev := s.event(EndpointID(ep.ID), KindSegmentSent)
	ev.Rule, ev.Seg = rule, headerOf(seg)
	o := owner(ep)
	o.counters.countSent(seg, rule)
	// transmit, written out for the sender's segment: its item carries a
	// guess at the receiving endpoint — the one the sender's last segment
	// reached — so that arrival can skip the 4-tuple lookup; arrival
	// checks the guess, and the lookup settles any miss.
	if s.imp != nil {
		s.transmitImpaired(seg)
		return
	}
	dst := o.peer
	if dst == nil || !dst.reaches(seg) {
		dst = s.conns.get(connKey(seg.Dst, seg.Src))
		o.peer = dst
	}
	s.deliverTo(seg, s.now+s.cfg.Delay, dst)
}

func (k *sessionSink) Discarded(ep *tcp.Endpoint, seg *tcp.Segment, rule tcp.Rule) {
	ev := k.s().event(EndpointID(ep.ID), KindSegmentDiscarded)
	ev.Rule, ev.Seg = rule, headerOf(seg)
	owner(ep).counters.SegmentsDiscarded++
}

func (k *sessionSink) Noted(ep *tcp.Endpoint, seg *tcp.Segment, rule tcp.Rule) {
	ev := Event{Endpoint: EndpointID(ep.ID), Kind: KindNote, Rule: rule}
	if seg != nil {
		ev.Seg = headerOf(seg)
	}
	k.s().emit(ev)
}

func (k *sessionSink) TimerArmed(ep *tcp.Endpoint, t tcp.Timer, at time.Duration) {
	s := k.s()
	ev := s.event(EndpointID(ep.ID), KindTimerArmed)
	ev.Timer, ev.Value = t, int64(at)
	it := item{at: at, order: s.order, ep: ep, arg: ep.TimerGen(t), kind: itemTimer, timer: t}
	if q := &s.queue; q.fewTakes() {
		q.few.insert(&it)
	} else {
		q.pushMore(&it, s.now)
	}
	s.order++
}

func (k *sessionSink) TimerCancelled(ep *tcp.Endpoint, t tcp.Timer) {
	// The schedule keeps the item; it is recognised as stale when due.
	k.s().event(EndpointID(ep.ID), KindTimerCancelled).Timer = t
}

func (k *sessionSink) DataReady(ep *tcp.Endpoint, n int) {
	k.s().event(EndpointID(ep.ID), KindDataReady).Value = int64(n)
}

func (k *sessionSink) Signal(ep *tcp.Endpoint, err tcp.Error) {
	k.s().event(EndpointID(ep.ID), KindSignal).Err = err
}

func (k *sessionSink) Fork(l *tcp.Endpoint, syn *tcp.Segment) (*tcp.Endpoint, seqnum.Value) {
	s := k.s()
	lst := owner(l)
	if len(lst.children) >= int(lst.backlog) {
		return nil, 0
	}
	child := s.newEndpoint(lst.cfg)
	child.Local, child.Remote = syn.Dst, syn.Src
	lst.children = append(lst.children, EndpointID(child.ID))
	s.route(connKey(syn.Dst, syn.Src), child)
	s.event(EndpointID(child.ID), KindEndpointCreated).Value = int64(l.ID)
	return &child.Endpoint, s.forkISS(lst, syn)
}

func (k *sessionSink) Reopen(ep *tcp.Endpoint, syn *tcp.Segment, minISS seqnum.Value) {
	s := k.s()
	floor := minISS
	s.isnNext = &floor
	s.arrive(syn)
	s.isnNext = nil
}

func (k *sessionSink) Released(ep *tcp.Endpoint) {
	k.s().released(owner(ep))
}

// released takes a deleted TCB out of the routing tables. A child that
// returned to LISTEN leaves at once; a CLOSED endpoint stays inspectable
// until KeepClosed newer ones have closed.
func (s *Session) released(ep *endpoint) {
	id := EndpointID(ep.ID)
	if s.listener(ep.Local) == ep {
		s.listening[ep.Local] = nil
	}
	if ep.routed {
		// routed says conns maps the 4-tuple to ep (see route): no
		// lookup is needed to know the entry is ep's to delete.
		s.conns.remove(connKey(ep.Local, ep.Remote))
		ep.routed = false
	}
	if ep.Parent != 0 && !ep.accepted {
		if l := s.eps.get(EndpointID(ep.Parent)); l != nil {
			l.children = removeID(l.children, id)
		}
	}
	if ep.State() == tcp.Listen { // a passive child dissolved back into its listener
		s.event(id, KindEndpointRemoved)
		s.recycle(id)
		return
	}
	s.closed = append(s.closed, id)
	if len(s.closed)-s.closedAt > s.cfg.KeepClosed {
		old := s.closed[s.closedAt]
		s.closedAt++
		if s.closedAt >= s.cfg.KeepClosed {
			// Compact once per KeepClosed releases, not on every one.
			s.closed = s.closed[:copy(s.closed, s.closed[s.closedAt:])]
			s.closedAt = 0
		}
		s.recycle(old)
	}
}

func (s *Session) recycle(id EndpointID) {
	if ep := s.eps.remove(id); ep != nil {
		s.pool = append(s.pool, ep)
	}
}
