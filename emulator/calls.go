package emulator

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// Connect creates an endpoint on local and opens it actively towards remote
// (RFC 9293 §3.10.1), sending the SYN. A zero local port picks an ephemeral
// one. Data, if any, is queued and goes out once ESTABLISHED.
func (s *Session) Connect(local, remote netip.AddrPort, data []byte, o EndpointOptions) (EndpointID, []Event, error) {
	if !local.Addr().IsValid() {
		return 0, nil, fmt.Errorf("connect from %v: %w: need a local ip", local, ErrInvalidAddress)
	}
	if !remote.IsValid() || remote.Port() == 0 {
		return 0, nil, fmt.Errorf("connect to %v: %w", remote, tcp.ErrRemoteSocketUnspecified)
	}
	cfg, err := s.endpointConfig(o)
	if err != nil {
		return 0, nil, err
	}
	if local.Port() == 0 {
		local = s.ephemeral(local.Addr(), remote)
	}
	lid, rid := s.intern(local), s.intern(remote)
	if s.listener(lid) != nil {
		return 0, nil, fmt.Errorf("connect from %v: %w by a listener", local, ErrAddressInUse)
	}
	if s.conns.get(connKey(lid, rid)) != nil {
		return 0, nil, fmt.Errorf("connect %v → %v: %w", local, remote, tcp.ErrConnectionAlreadyExists)
	}
	start := s.begin()
	s.addHostOf(lid)
	ep := s.newEndpoint(cfg)
	ep.Local = lid
	ep.accepted = true
	s.event(EndpointID(ep.ID), KindEndpointCreated)
	s.callEvent(ep, CallOpenActive, len(data))
	s.route(connKey(lid, rid), ep)
	iss := s.isn.iss(s.now, local, remote)
	if s.cfg.FixedISS != nil {
		iss = *s.cfg.FixedISS
	}
	if o.ISS != nil {
		iss = *o.ISS
	}
	if err := ep.Connect(s.now, rid, iss, s.sink()); err != nil {
		return 0, s.since(start), s.callFailed(start, err)
	}
	if len(data) > 0 {
		// Queued in SYN-SENT, the data rides on the handshake's third segment.
		if err := ep.Send(s.now, data, s.sink()); err != nil {
			return EndpointID(ep.ID), s.since(start), s.callFailed(start, err)
		}
	}
	return EndpointID(ep.ID), s.since(start), nil
}

// ephemeral picks the first free port from 49152 up on ip towards remote.
func (s *Session) ephemeral(ip netip.Addr, remote netip.AddrPort) netip.AddrPort {
	rid := s.intern(remote)
	p := s.ports[ip]
	for tries := 0; tries < 65536-ephemeralFirst; tries++ {
		if p < ephemeralFirst {
			p = ephemeralFirst
		}
		cand := netip.AddrPortFrom(ip, p)
		p++
		id := s.intern(cand)
		if s.listener(id) != nil {
			continue
		}
		if s.conns.get(connKey(id, rid)) != nil {
			continue
		}
		s.ports[ip] = p
		return cand
	}
	return netip.AddrPortFrom(ip, ephemeralFirst)
}

// userEndpoint finds an endpoint for a user call; a listener's child the
// user touches counts as accepted.
func (s *Session) userEndpoint(id EndpointID) (*endpoint, error) {
	ep := s.eps.get(id) // lookup, spelled out: every call comes here
	if ep == nil {
		return nil, s.lookupError(id)
	}
	if !ep.accepted {
		s.markAccepted(ep)
	}
	return ep, nil
}

// Send queues data on an endpoint (RFC 9293 §3.10.2).
func (s *Session) Send(id EndpointID, data []byte) ([]Event, error) {
	ep, err := s.userEndpoint(id)
	if err != nil {
		return nil, err
	}
	start := s.begin()
	s.callEvent(ep, CallSend, len(data))
	if err := ep.Send(s.now, data, s.sink()); err != nil {
		return s.since(start), s.callFailed(start, err)
	}
	return s.since(start), nil
}

// Receive reads up to max octets of in-order data (RFC 9293 §3.10.3). eof
// reports that the peer's FIN was received and every octet before it read.
func (s *Session) Receive(id EndpointID, max int) (data []byte, eof bool, events []Event, err error) {
	return s.receive(id, max, nil)
}

// ReceiveInto is Receive into the caller's buffer: it reads up to len(buf)
// octets and returns buf[:n]. A caller that reads often (a harness
// draining many connections) reuses one buffer instead of allocating a
// result per call. The events are Receive's with max = len(buf).
func (s *Session) ReceiveInto(id EndpointID, buf []byte) (data []byte, eof bool, events []Event, err error) {
	return s.receive(id, len(buf), buf)
}

// receive reads up to max octets into buf, or into a buffer of its own
// sized to what is queued when buf is nil.
func (s *Session) receive(id EndpointID, max int, buf []byte) (data []byte, eof bool, events []Event, err error) {
	ep, err := s.userEndpoint(id)
	if err != nil {
		return nil, false, nil, err
	}
	start := s.begin()
	s.callEvent(ep, CallReceive, max)
	if buf == nil {
		buf = make([]byte, min(max, ep.RcvQueued()))
	}
	n, eof, rerr := ep.Receive(s.now, buf, s.sink())
	s.log[start-s.logBase].Value = int64(n)
	if rerr != nil {
		return nil, eof, s.since(start), s.callFailed(start, rerr)
	}
	return buf[:n], eof, s.since(start), nil
}

// Close closes an endpoint (RFC 9293 §3.10.4). Closing a listener resets
// the children it has not handed to the user yet.
func (s *Session) Close(id EndpointID) ([]Event, error) {
	return s.endCall(id, CallClose, (*endpoint).Close)
}

// Abort aborts an endpoint (RFC 9293 §3.10.5), resetting a listener's
// unaccepted children as Close does.
func (s *Session) Abort(id EndpointID) ([]Event, error) {
	return s.endCall(id, CallAbort, (*endpoint).Abort)
}

// endCall runs CLOSE or ABORT: both end a listener's unaccepted children
// first.
func (s *Session) endCall(id EndpointID, c Call, call func(*endpoint, time.Duration, tcp.Sink) error) ([]Event, error) {
	ep, err := s.userEndpoint(id)
	if err != nil {
		return nil, err
	}
	start := s.begin()
	s.callEvent(ep, c, 0)
	if ep.State() == tcp.Listen && ep.Parent == 0 {
		s.resetChildren(ep)
	}
	if err := call(ep, s.now, s.sink()); err != nil {
		return s.since(start), s.callFailed(start, err)
	}
	return s.since(start), nil
}

// resetChildren aborts a closing listener's unaccepted children: "Closing
// a listener resets its unaccepted children", as every stack does with
// its accept queue.
func (s *Session) resetChildren(l *endpoint) {
	for _, cid := range append([]EndpointID(nil), l.children...) {
		if c := s.eps.get(cid); c != nil {
			c.ResetUnaccepted(s.now, s.sink())
		}
	}
	l.children = l.children[:0]
}

// Accept hands the user the oldest ESTABLISHED child of a listener, like
// accept(2). ErrNothingAccepted means none is ready.
func (s *Session) Accept(listener EndpointID) (EndpointID, error) {
	l, err := s.lookup(listener)
	if err != nil {
		return 0, err
	}
	if l.State() != tcp.Listen || l.Parent != 0 {
		return 0, fmt.Errorf("endpoint %d: %w", listener, ErrNotListener)
	}
	for _, cid := range l.children {
		c := s.eps.get(cid)
		if c != nil && c.State() != tcp.SynReceived && c.State() != tcp.Closed {
			s.markAccepted(c)
			return cid, nil
		}
	}
	return 0, ErrNothingAccepted
}

func (s *Session) markAccepted(c *endpoint) {
	c.accepted = true
	if l := s.eps.get(EndpointID(c.Parent)); l != nil {
		l.children = removeID(l.children, EndpointID(c.ID))
	}
}

func removeID(ids []EndpointID, id EndpointID) []EndpointID {
	for i, x := range ids {
		if x == id {
			return append(ids[:i], ids[i+1:]...)
		}
	}
	return ids
}

// Status is STATUS (RFC 9293 §3.10.6) and more: an endpoint's state, TCB,
// timers and family. It never changes anything.
type Status struct {
	ID       EndpointID
	Parent   EndpointID
	Local    netip.AddrPort
	Remote   netip.AddrPort
	State    tcp.State
	Passive  bool
	Accepted bool
	TCB      tcp.TCB
	Counters Counters
	// Timers holds each armed timer's deadline, by tcp.Timer.
	Timers    map[tcp.Timer]int64
	Children  []EndpointID
	LastError error
	Backlog   int
}

// Status reports an endpoint. A CLOSED endpoint still answers until its
// record is recycled (Config.KeepClosed), with the error that closed it.
func (s *Session) Status(id EndpointID) (Status, error) {
	ep, err := s.lookup(id)
	if err != nil {
		return Status{}, err
	}
	st := Status{
		ID: id, Parent: EndpointID(ep.Parent), Local: s.Addr(ep.Local), Remote: s.Addr(ep.Remote),
		State: ep.State(), Passive: ep.Passive(), Accepted: ep.accepted, TCB: ep.TCB(), Counters: ep.counters,
		Timers: map[tcp.Timer]int64{}, Children: append([]EndpointID(nil), ep.children...),
		LastError: ep.LastError(), Backlog: int(ep.backlog),
	}
	for t := tcp.Timer(0); int(t) < tcp.NumTimers; t++ {
		if at, ok := ep.Deadline(t); ok {
			st.Timers[t] = int64(at)
		}
	}
	return st, nil
}

// State is an endpoint's state: Status without building the report.
func (s *Session) State(id EndpointID) (tcp.State, error) {
	ep, err := s.lookup(id)
	if err != nil {
		return tcp.Closed, err
	}
	return ep.State(), nil
}

// Remote is an endpoint's remote address (zero before it has one):
// Status without building the report, for a caller that names each
// listener's child as it is forked.
func (s *Session) Remote(id EndpointID) (netip.AddrPort, error) {
	ep, err := s.lookup(id)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return s.Addr(ep.Remote), nil
}

// IsOpen says whether endpoint id exists in a state other than CLOSED:
// what State says, without building an error for an endpoint that is
// gone, for callers that ask about many (the server, each time it
// forgets deleted endpoints' names).
func (s *Session) IsOpen(id EndpointID) bool {
	ep := s.eps.get(id)
	return ep != nil && ep.State() != tcp.Closed
}

// Endpoints lists the endpoints the session still has records of, by ID.
func (s *Session) Endpoints() []EndpointID {
	ids := make([]EndpointID, 0, s.eps.len())
	s.eps.each(func(id EndpointID, _ *endpoint) { ids = append(ids, id) })
	slices.Sort(ids)
	return ids
}

// Inject delivers a hand-made segment now, as if it had just arrived from
// the network at seg.Dst (RFC 9293 §3.10.7 applies as to any segment).
func (s *Session) Inject(src, dst netip.AddrPort, seg tcp.Segment) ([]Event, error) {
	return s.inject(src, dst, seg, s.arrive)
}

// InjectVia sends a hand-made segment into the network as if the host at
// src had just sent it: partitions, fault rules and the path from src's host
// to dst's apply, and it arrives after the path's delay. This is how an
// external peer's segments travel when they should meet the same network
// as the emulated endpoints' own.
func (s *Session) InjectVia(src, dst netip.AddrPort, seg tcp.Segment) ([]Event, error) {
	return s.inject(src, dst, seg, s.transmit)
}

func (s *Session) inject(src, dst netip.AddrPort, seg tcp.Segment, deliver func(*tcp.Segment)) ([]Event, error) {
	if !src.IsValid() || !dst.IsValid() {
		return nil, fmt.Errorf("inject %v → %v: %w: need ip:port on both ends", src, dst, ErrInvalidAddress)
	}
	if len(seg.Payload) > tcp.MaxPayload {
		return nil, fmt.Errorf("inject %v → %v: %w: %d octets of payload, a segment carries at most %d (IPv4's 16-bit total length)",
			src, dst, ErrInvalidSegment, len(seg.Payload), tcp.MaxPayload)
	}
	seg.Src, seg.Dst = s.intern(src), s.intern(dst)
	seg.Payload = append([]byte(nil), seg.Payload...)
	start := s.begin()
	s.cause = CauseSegment
	deliver(&seg)
	return s.since(start), nil
}

// ISS for a listener's child: fixed by the listener, the session, or the
// RFC 6528 generator — and above a TIME-WAIT's floor when one reopens.
func (s *Session) forkISS(l *endpoint, syn *tcp.Segment) seqnum.Value {
	var iss seqnum.Value
	switch {
	case l.issFixed != nil:
		iss = *l.issFixed
	case s.cfg.FixedISS != nil:
		iss = *s.cfg.FixedISS
	default:
		iss = s.isn.iss(s.now, s.Addr(syn.Dst), s.Addr(syn.Src))
	}
	if s.isnNext != nil {
		iss = *s.isnNext
		s.isnNext = nil
	}
	return iss
}

// OpenActive is an active OPEN on an existing listener (RFC 9293 §3.10.1,
// OPEN in LISTEN: "change the connection from passive to active, select an
// ISS"): the listener stops listening, resets the children it had not handed
// over, and sends a SYN to remote.
func (s *Session) OpenActive(id EndpointID, remote netip.AddrPort) ([]Event, error) {
	ep, err := s.userEndpoint(id)
	if err != nil {
		return nil, err
	}
	switch {
	case ep.State() == tcp.Closed:
		// A CLOSED record is a deleted TCB kept for inspection; reopening
		// it would hand a live connection to the record recycler.
		return nil, fmt.Errorf("endpoint %d: %w", id, tcp.ErrConnectionDoesNotExist)
	case ep.State() != tcp.Listen || ep.Parent != 0:
		// OPEN on a synchronizing or synchronized connection (§3.10.1).
		return nil, fmt.Errorf("endpoint %d: %w", id, tcp.ErrConnectionAlreadyExists)
	}
	if !remote.IsValid() || remote.Port() == 0 {
		return nil, fmt.Errorf("open %v: %w", remote, tcp.ErrRemoteSocketUnspecified)
	}
	rid := s.intern(remote)
	if s.conns.get(connKey(ep.Local, rid)) != nil {
		return nil, fmt.Errorf("open %v → %v: %w", s.Addr(ep.Local), remote, tcp.ErrConnectionAlreadyExists)
	}
	start := s.begin()
	s.callEvent(ep, CallOpenActive, 0)
	wasListening := ep.State() == tcp.Listen
	if wasListening {
		s.resetChildren(ep)
	}
	iss := s.isn.iss(s.now, s.Addr(ep.Local), remote)
	if s.cfg.FixedISS != nil {
		iss = *s.cfg.FixedISS
	}
	if ep.issFixed != nil {
		iss = *ep.issFixed
	}
	if err := ep.Connect(s.now, rid, iss, s.sink()); err != nil {
		return s.since(start), s.callFailed(start, err)
	}
	if wasListening {
		s.listening[ep.Local] = nil
	}
	s.route(connKey(ep.Local, rid), ep)
	return s.since(start), nil
}
