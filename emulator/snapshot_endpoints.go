package emulator

import (
	"bytes"
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/tcpemu/tcpemu/emulator/internal/wire"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// The endpoints, the CLOSED list and the clock's items of a snapshot (see
// snapshot.go for the whole layout).

// endpointsByID returns the session's endpoint records in ID order: the
// pages in key order, each page's slots in order — no sort of every ID.
func (s *Session) endpointsByID() []*endpoint {
	keys := make([]uint32, 0, len(s.eps.pages))
	for k := range s.eps.pages {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]*endpoint, 0, s.eps.len())
	for _, k := range keys {
		for _, ep := range s.eps.pages[k].eps {
			if ep != nil {
				out = append(out, ep)
			}
		}
	}
	return out
}

// appendEndpoints writes the distinct endpoint configurations (the
// session's profile is number 0 and is not repeated; endpoints with
// overrides share one entry per distinct value, in order of first use), the
// next endpoint ID, then every record.
func (s *Session) appendEndpoints(w *wire.Writer, eps []*endpoint) {
	var extra []*tcp.Config
	seen := map[tcp.Config]uint64{}
	idx := make([]uint64, len(eps))
	for i, ep := range eps {
		if ep.cfg == &s.base || *ep.cfg == s.base {
			continue
		}
		k, ok := seen[*ep.cfg]
		if !ok {
			extra = append(extra, ep.cfg)
			k = uint64(len(extra))
			seen[*ep.cfg] = k
		}
		idx[i] = k
	}
	w.Uint(uint64(len(extra)))
	for _, c := range extra {
		tcp.AppendConfig(w, c)
	}
	w.Uint(uint64(s.nextID))
	w.Uint(uint64(len(eps)))
	for i, ep := range eps {
		w.Uint(idx[i])
		s.appendEndpoint(w, ep)
		w.Spill()
	}
}

// appendEndpoint writes one record: the TCB, then the session's part.
// routed and listening say which routing table holds the record; peer is a
// guess that arrival checks, and is left out.
func (s *Session) appendEndpoint(w *wire.Writer, ep *endpoint) {
	ep.Endpoint.AppendSnapshot(w)
	appendCounters(w, &ep.counters)
	w.Bool(ep.accepted)
	w.Bool(ep.routed)
	w.Bool(s.listener(ep.Local) == ep)
	w.Int(int64(ep.backlog))
	w.Uint(uint64(len(ep.children)))
	for _, c := range ep.children {
		w.Uint(uint64(c))
	}
	appendOptSeq(w, ep.issFixed)
}

func (s *Session) readEndpoints(r *wire.Reader) {
	n := r.Count("endpoint configurations", 20)
	cfgs := make([]*tcp.Config, 1, n+1)
	cfgs[0] = &s.base
	seen := map[tcp.Config]bool{s.base: true}
	for i := 0; i < n && r.Err() == nil; i++ {
		c := tcp.ReadConfig(r)
		if seen[c] && r.Err() == nil {
			r.Failf("endpoint configuration", "%d repeats the profile or another configuration", i+1)
		}
		seen[c] = true
		cfgs = append(cfgs, &c)
	}
	s.nextID = EndpointID(r.Uint32("next endpoint ID"))
	if s.nextID == 0 {
		r.Failf("next endpoint ID", "must be at least 1")
	}
	var last EndpointID
	used := uint64(0) // configurations are numbered in order of first use
	for i, n := 0, r.Count("endpoints", 40); i < n && r.Err() == nil; i++ {
		k := r.UintMax("endpoint configuration", min(used+1, uint64(len(cfgs)-1)))
		used = max(used, k)
		ep := &endpoint{cfg: cfgs[k]}
		ep.Endpoint.RestoreSnapshot(r, ep.cfg)
		id := EndpointID(ep.ID)
		if r.Err() == nil && (id <= last || id >= s.nextID) {
			r.Failf("endpoint ID", "%d is out of order (after %d; next ID %d)", id, last, s.nextID)
		}
		last = id
		s.readEndpoint(r, ep)
		ep.Owner, ep.Scratch = ep, &s.scratch
		s.eps.put(id, ep)
	}
	if r.Err() == nil && used != uint64(len(cfgs)-1) {
		r.Failf("endpoint configurations", "%d of them are used by no endpoint", uint64(len(cfgs)-1)-used)
	}
}

// readEndpoint reads a record's session part and files the record in the
// routing tables its bits name.
func (s *Session) readEndpoint(r *wire.Reader, ep *endpoint) {
	ep.counters = readCounters(r)
	ep.accepted = r.Bool("accepted")
	routed := r.Bool("routed")
	listening := r.Bool("listening")
	ep.backlog = int32(r.IntRange("backlog", 0, math.MaxInt32))
	if n := r.Count("listener children", 1); n > 0 {
		ep.children = make([]EndpointID, n)
		for i := range ep.children {
			ep.children[i] = EndpointID(r.Uint32("listener child"))
		}
	}
	ep.issFixed = readOptSeq(r, "endpoint ISS")
	if r.Err() != nil {
		return
	}
	if routed {
		key := connKey(ep.Local, ep.Remote)
		if s.conns.get(key) != nil {
			r.Failf("routed", "endpoint %d has the 4-tuple of another endpoint", ep.ID)
			return
		}
		s.route(key, ep)
	}
	if listening {
		if s.listener(ep.Local) != nil {
			r.Failf("listening", "endpoint %d listens on the address of another listener", ep.ID)
			return
		}
		if int(ep.Local) < len(s.listening) {
			s.listening[ep.Local] = ep
		} // else checkReferences rejects the address handle
	}
}

func appendCounters(w *wire.Writer, c *Counters) {
	w.Uint(c.BytesSent)
	w.Uint(c.BytesReceived)
	for _, n := range [...]uint32{c.SegmentsSent, c.SegmentsReceived, c.Retransmissions, c.SegmentsDiscarded,
		c.RSTsSent, c.RSTsReceived, c.ChallengeACKsSent} {
		w.Uint(uint64(n))
	}
}

func readCounters(r *wire.Reader) Counters {
	c := Counters{BytesSent: r.Uint("bytes sent"), BytesReceived: r.Uint("bytes received")}
	for _, n := range [...]*uint32{&c.SegmentsSent, &c.SegmentsReceived, &c.Retransmissions, &c.SegmentsDiscarded,
		&c.RSTsSent, &c.RSTsReceived, &c.ChallengeACKsSent} {
		*n = r.Uint32("segment counter")
	}
	return c
}

// appendClosed writes the CLOSED endpoints awaiting recycling, oldest
// first (the list itself, not where its storage was last compacted).
func (s *Session) appendClosed(w *wire.Writer) {
	closed := s.closed[s.closedAt:]
	w.Uint(uint64(len(closed)))
	for _, id := range closed {
		w.Uint(uint64(id))
	}
}

func (s *Session) readClosed(r *wire.Reader) {
	if n := r.Count("closed endpoints", 1); n > 0 {
		s.closed = make([]EndpointID, n)
		for i := range s.closed {
			s.closed[i] = EndpointID(r.Uint32("closed endpoint"))
		}
	}
}

// liveItems returns the schedule's live items in run order.
func (s *Session) liveItems() []*item {
	var items []*item
	s.queue.each(func(it *item) {
		if it.live() {
			items = append(items, it)
		}
	})
	slices.SortFunc(items, func(a, b *item) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.order, b.order))
	})
	return items
}

// appendSchedule writes every live item in the order the clock will run
// them: by time (as a non-negative step from the previous item's, the
// first from now), then by scheduling order. A delivery carries its
// segment, a timer names its endpoint and kind (its deadline is the item's
// time), and impairment work its key in the specials. Stale timer items
// are left out: they can never fire, and skipping one has no effect.
func (s *Session) appendSchedule(w *wire.Writer, items []*item) {
	w.Uint(uint64(len(items)))
	prev := s.now
	for _, it := range items {
		w.Uint(uint64(it.at - prev))
		prev = it.at
		w.Uint(it.order)
		w.Byte(byte(it.kind))
		switch it.kind {
		case itemDeliver:
			s.appendFlight(w, &s.flights[it.arg])
		case itemTimer:
			w.Uint(uint64(it.ep.ID))
			w.Byte(byte(it.timer))
		case itemNetwork:
			w.Uint(uint64(it.arg))
		default:
			panic("emulator: a clock item kind snapshot_endpoints.go does not encode")
		}
		w.Spill()
	}
}

// readSchedule puts the items back on the clock in their order, each timer
// item with its endpoint's current generation. Every armed timer must have
// exactly one item, at its deadline.
func (s *Session) readSchedule(r *wire.Reader) {
	at, last := s.now, item{}
	timers := map[uint64]bool{}
	for i, n := 0, r.Count("clock items", 4); i < n && r.Err() == nil; i++ {
		step := r.Uint("item time")
		if step > uint64(math.MaxInt64-at) {
			r.Failf("item time", "past the end of virtual time")
			return
		}
		at += time.Duration(step)
		it := item{at: at, order: r.Uint("item order")}
		if i > 0 && !last.before(&it) || it.order >= s.order {
			r.Failf("item order", "item (%v, %d) is out of order", it.at, it.order)
			return
		}
		last = it
		switch it.kind = itemKind(r.Enum("item kind", int(itemNetwork)+1)); it.kind {
		case itemDeliver:
			it.arg = uint32(len(s.flights))
			s.flights = append(s.flights, s.readFlight(r))
		case itemTimer:
			id := r.Uint32("timer endpoint")
			it.timer = tcp.Timer(r.Enum("timer", tcp.NumTimers))
			ep := s.eps.get(EndpointID(id))
			if r.Err() != nil {
				return
			}
			if ep == nil {
				r.Failf("timer endpoint", "endpoint %d does not exist", id)
				return
			}
			key := uint64(id)<<8 | uint64(it.timer)
			if d, armed := ep.Deadline(it.timer); !armed || d != at || timers[key] {
				r.Failf("timer", "endpoint %d's %v timer is not armed for %v, or scheduled twice", id, it.timer, at)
				return
			}
			timers[key] = true
			it.ep, it.arg = &ep.Endpoint, ep.TimerGen(it.timer)
		case itemNetwork:
			it.arg = r.Uint32("network item key")
		}
		if r.Err() != nil {
			return
		}
		s.queue.push(&it, s.now)
	}
	for _, ep := range s.endpointsByID() {
		for t := tcp.Timer(0); int(t) < tcp.NumTimers; t++ {
			if _, armed := ep.Deadline(t); armed && !timers[uint64(ep.ID)<<8|uint64(t)] {
				r.Failf("clock items", "endpoint %d's %v timer is armed but not scheduled", ep.ID, t)
			}
		}
	}
}

// sentFrom returns the payload a segment in flight would have if it were
// the range of its sender's send buffer where its sequence number puts
// it: its sender is the endpoint routed on its 4-tuple.
func (s *Session) sentFrom(seg *tcp.Segment, n int) ([]byte, bool) {
	if from := s.conns.get(connKey(seg.Src, seg.Dst)); from != nil {
		return from.SendRange(seg, n)
	}
	return nil, false
}

// inSendBuffer reports whether seg's payload would be written as a
// reference: its sender's send buffer holds the same octets where seg's
// sequence number puts them.
func (s *Session) inSendBuffer(seg *tcp.Segment) bool {
	b, ok := s.sentFrom(seg, len(seg.Payload))
	return ok && bytes.Equal(b, seg.Payload)
}

// mayBeInSendBuffer is inSendBuffer without comparing the octets: good
// enough for estimating a snapshot's size.
func (s *Session) mayBeInSendBuffer(seg *tcp.Segment) bool {
	_, ok := s.sentFrom(seg, len(seg.Payload))
	return ok
}

// appendFlight writes a delivery's segment. Its payload is usually a range
// of its sender's send buffer (data not yet acknowledged): then only its
// length is written, and restore takes the bytes from that buffer, as the
// original shares them. Otherwise the payload is written out.
func (s *Session) appendFlight(w *wire.Writer, seg *tcp.Segment) {
	tcp.AppendSegmentHeader(w, seg)
	if s.inSendBuffer(seg) {
		w.Bool(true)
		w.Uint(uint64(len(seg.Payload)))
		return
	}
	w.Bool(false)
	w.Bytes(seg.Payload)
}

func (s *Session) readFlight(r *wire.Reader) tcp.Segment {
	seg := tcp.ReadSegmentHeader(r)
	if r.Bool("payload in the send buffer") {
		n := int(r.UintMax("payload length", math.MaxInt32))
		b, ok := s.sentFrom(&seg, n)
		if !ok && r.Err() == nil {
			r.Failf("payload length", "its sender's send buffer does not hold %d octets at SEQ %d", n, seg.Seq)
		}
		seg.Payload = b
	} else {
		seg.Payload = r.Bytes("segment payload")
		if r.Err() == nil && s.inSendBuffer(&seg) {
			r.Failf("segment payload", "is its sender's send buffer, and must be written as a reference to it")
		}
	}
	tcp.CheckPayload(r, len(seg.Payload))
	return seg
}
