// Package emulator is tcpemu's pure core: a Session holds endpoints (each
// one an RFC 9293 machine from package tcp), a virtual clock, a small
// network and an event log, and changes only when called.
//
// Nothing here starts a goroutine, reads the wall clock, does I/O or uses
// global randomness: the same seed and the same calls give the same event
// log, byte for byte.
package emulator

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// Errors of the session itself (the RFC's own errors are tcp.Error values).
var (
	ErrUnknownProfile  = errors.New("unknown profile")
	ErrNoEndpoint      = errors.New("no such endpoint")
	ErrAddressInUse    = errors.New("address already in use")
	ErrInvalidAddress  = errors.New("invalid address")
	ErrNotListener     = errors.New("endpoint is not a listener")
	ErrNothingAccepted = errors.New("no established connection is waiting to be accepted")
	ErrInvalidSegment  = errors.New("invalid segment")
)

// Defaults for Config's zero values.
const (
	DefaultDelay      = 10 * time.Millisecond
	DefaultLogLimit   = 1 << 20
	DefaultKeepClosed = 1024
	ephemeralFirst    = 49152 // IANA's dynamic port range (RFC 6335 §6)
)

// Config sets up a session.
type Config struct {
	// Seed drives every random choice (ISNs now; path impairments later).
	Seed uint64
	// Profile names the defaults ("rfc9293" or "linux"); Overrides change
	// single values.
	Profile   string
	Overrides *Overrides
	// Delay is the one-way delay of every path; negative means zero.
	// Zero takes DefaultDelay.
	Delay time.Duration
	// FixedISS makes every endpoint use this initial sequence number, so
	// that graders can write absolute numbers.
	FixedISS *seqnum.Value
	// LogLimit is how many events the session keeps (older ones are
	// trimmed; FirstSeq says where the log starts). Zero takes the default.
	LogLimit int
	// KeepClosed is how many CLOSED endpoints stay inspectable before their
	// records are recycled. Zero takes the default.
	KeepClosed int
	// NoExternal drops segments for hosts outside the session (reason
	// no-host) instead of handing them out to an external peer.
	NoExternal bool
}

// endpoint is the session's record of one tcp.Endpoint.
type endpoint struct {
	tcp.Endpoint
	cfg *tcp.Config
	// peer is where this endpoint's segments went last (see
	// Session.deliverTo): a guess, checked when each one arrives.
	peer *endpoint
	// counters are what STATUS reports of the endpoint's traffic.
	counters Counters
	accepted bool
	// routed is true while conns maps this endpoint's 4-tuple to it.
	routed bool
	// For listeners: the backlog and the children not yet accepted, in
	// arrival order.
	backlog  int32
	children []EndpointID
	issFixed *seqnum.Value // the ISS this endpoint (or a listener's children) must use
}

// Counters count an endpoint's traffic since it was created.
//
// Octets are 64-bit; segment counts are 32-bit, which keeps the record in a
// smaller allocation class (4 billion segments on one endpoint would wrap).
type Counters struct {
	BytesSent, BytesReceived       uint64 // payload octets, retransmitted and duplicate ones included
	SegmentsSent, SegmentsReceived uint32 // retransmissions and discarded arrivals included
	Retransmissions                uint32 // segments resent after a timeout (RFC 6298 §5.4)
	SegmentsDiscarded              uint32 // arrivals its rules dropped, and corrupt ones
	RSTsSent, RSTsReceived         uint32
	ChallengeACKsSent              uint32 // RFC 5961 §3-§5
}

// countSent adds a segment the endpoint sent to its counters.
func (c *Counters) countSent(seg *tcp.Segment, rule tcp.Rule) {
	c.SegmentsSent++
	c.BytesSent += uint64(len(seg.Payload))
	switch {
	case seg.Flags&tcp.RST != 0:
		c.RSTsSent++
	case rule == tcp.RuleRetransmit:
		c.Retransmissions++
	case rule == tcp.RuleRSTChallenge || rule == tcp.RuleSYNChallenge || rule == tcp.RuleACKChallenge:
		c.ChallengeACKsSent++
	}
}

// countReceived adds a segment that arrived at the endpoint.
func (c *Counters) countReceived(seg *tcp.Segment) {
	c.SegmentsReceived++
	c.BytesReceived += uint64(len(seg.Payload))
	if seg.Flags&tcp.RST != 0 {
		c.RSTsReceived++
	}
}

// owner is the session's record of an endpoint the machine reports on.
func owner(ep *tcp.Endpoint) *endpoint { return ep.Owner.(*endpoint) }

// route makes conns map key to ep.
func (s *Session) route(key uint64, ep *endpoint) {
	s.conns.put(key, ep)
	ep.routed = true
}

// Session is one isolated world. It is not safe for concurrent use: the
// caller serialises calls (the server does so per session).
type Session struct {
	cfg     Config
	base    tcp.Config
	now     time.Duration
	order   uint64
	queue   schedule
	cause   Cause
	isn     isnGenerator
	isnNext *seqnum.Value // a floor for the next fork's ISS (TIME-WAIT reopen)

	eps      epTable
	nextID   EndpointID
	conns    connTable    // by connKey
	closed   []EndpointID // CLOSED endpoints, oldest first, from closedAt on
	closedAt int
	pool     []*endpoint

	addrs  []netip.AddrPort // indexed by tcp.AddrID; 0 is "unspecified"
	hosted []bool           // by tcp.AddrID: its host was added (see addHostOf)
	// listening is the listener bound to each address, by tcp.AddrID (or
	// nil): addresses are dense handles, so finding a segment's listener
	// is an index, not a hash.
	listening []*endpoint
	addrIdx   addrIndex
	hosts     map[netip.Addr]bool
	ports     map[netip.Addr]uint16 // next ephemeral port per host

	flights     []tcp.Segment
	scratch     tcp.Segment // every endpoint's Scratch
	freeFlights []uint32
	external    []tcp.Segment
	imp         *impairments // paths, fault rules, partitions; nil until the first

	log     []Event
	logBase uint64
	older   []Event // the events just before s.log (log.go)
	joined  []Event // Events' answer when it spans older and log
	// held: trimming keeps every event from seq hold on (Hold, log.go).
	held bool
	hold uint64
}

// New creates a session.
func New(cfg Config) (*Session, error) {
	base, err := LookupProfile(cfg.Profile)
	if err != nil {
		return nil, err
	}
	if err := cfg.Overrides.Apply(&base); err != nil {
		return nil, fmt.Errorf("session overrides: %w", err)
	}
	if cfg.Delay == 0 {
		cfg.Delay = DefaultDelay
	} else if cfg.Delay < 0 {
		cfg.Delay = 0
	}
	if cfg.LogLimit <= 0 {
		cfg.LogLimit = DefaultLogLimit
	}
	if cfg.KeepClosed <= 0 {
		cfg.KeepClosed = DefaultKeepClosed
	}
	return &Session{
		cfg:       cfg,
		base:      base,
		isn:       newISNGenerator(cfg.Seed),
		eps:       newEPTable(),
		nextID:    1,
		addrs:     []netip.AddrPort{{}},
		hosted:    []bool{false},
		listening: []*endpoint{nil},
		addrIdx:   newAddrIndex(),
		hosts:     make(map[netip.Addr]bool),
		ports:     make(map[netip.Addr]uint16),
	}, nil
}

// Now is the session's virtual time since its start.
func (s *Session) Now() time.Duration { return s.now }

// Profile is the session's base configuration (profile plus overrides).
func (s *Session) Profile() tcp.Config { return s.base }

// AddHost makes ip a host of the session: its ports without endpoints
// answer like closed ports instead of being external.
func (s *Session) AddHost(ip netip.Addr) { s.hosts[ip.Unmap()] = true }

// HasHost reports whether ip is a host of the session.
func (s *Session) HasHost(ip netip.Addr) bool { return s.hosts[ip.Unmap()] }

// Addr returns the address behind a handle found in events.
func (s *Session) Addr(id tcp.AddrID) netip.AddrPort {
	if int(id) < len(s.addrs) {
		return s.addrs[id]
	}
	return netip.AddrPort{}
}

func (s *Session) intern(ap netip.AddrPort) tcp.AddrID {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if id, ok := s.addrIdx.get(ap); ok {
		return id
	}
	id := tcp.AddrID(len(s.addrs))
	s.addrs = append(s.addrs, ap)
	s.hosted = append(s.hosted, false)
	s.listening = append(s.listening, nil)
	s.addrIdx.put(ap, id)
	return id
}

// listener returns the listener bound to an interned address, or nil.
func (s *Session) listener(id tcp.AddrID) *endpoint {
	if int(id) < len(s.listening) {
		return s.listening[id]
	}
	return nil
}

// addHostOf is AddHost for the host of an interned address. Hosts are
// never removed, so only an address's first call touches the hosts map.
func (s *Session) addHostOf(id tcp.AddrID) {
	if !s.hosted[id] {
		s.AddHost(s.addrs[id].Addr())
		s.hosted[id] = true
	}
}

func connKey(local, remote tcp.AddrID) uint64 { return uint64(local)<<32 | uint64(remote) }

// EndpointOptions adjust one endpoint.
type EndpointOptions struct {
	// Overrides change profile values for this endpoint only.
	Overrides *Overrides
	// ISS fixes this endpoint's initial sequence number (for a listener:
	// its children's).
	ISS *seqnum.Value
	// Backlog bounds a listener's unaccepted children (0: the profile's).
	Backlog int
}

// newEndpoint takes a record from the pool (or makes one) and registers it.
func (s *Session) newEndpoint(cfg *tcp.Config) *endpoint {
	var ep *endpoint
	if n := len(s.pool); n > 0 {
		ep = s.pool[n-1]
		s.pool = s.pool[:n-1]
		children := ep.children[:0]
		ep.Endpoint.Init(uint32(s.nextID), cfg)
		ep.cfg, ep.accepted, ep.backlog, ep.children, ep.issFixed = cfg, false, 0, children, nil
		ep.routed, ep.peer, ep.counters = false, nil, Counters{}
	} else {
		ep = &endpoint{cfg: cfg}
		ep.Endpoint.Init(uint32(s.nextID), cfg)
	}
	ep.Owner, ep.Scratch = ep, &s.scratch
	s.eps.put(s.nextID, ep)
	s.nextID++
	return ep
}

func (s *Session) endpointConfig(o EndpointOptions) (*tcp.Config, error) {
	if o.Overrides == nil {
		return &s.base, nil
	}
	c := s.base
	if err := o.Overrides.Apply(&c); err != nil {
		return nil, fmt.Errorf("endpoint overrides: %w", err)
	}
	return &c, nil
}

// lookup finds an endpoint for a call.
func (s *Session) lookup(id EndpointID) (*endpoint, error) {
	if ep := s.eps.get(id); ep != nil {
		return ep, nil
	}
	return nil, s.lookupError(id)
}

// lookupError says why lookup found no endpoint under id.
func (s *Session) lookupError(id EndpointID) error {
	if id > 0 && id < s.nextID {
		// The TCB was deleted and its record recycled: the RFC's answer.
		return fmt.Errorf("endpoint %d: %w", id, tcp.ErrConnectionDoesNotExist)
	}
	return fmt.Errorf("endpoint %d: %w", id, ErrNoEndpoint)
}

// Listen creates a listener on local (a passive OPEN, RFC 9293 §3.10.1).
func (s *Session) Listen(local netip.AddrPort, o EndpointOptions) (EndpointID, []Event, error) {
	if !local.IsValid() || local.Port() == 0 {
		return 0, nil, fmt.Errorf("listen on %v: %w: need ip:port with a non-zero port", local, ErrInvalidAddress)
	}
	cfg, err := s.endpointConfig(o)
	if err != nil {
		return 0, nil, err
	}
	id := s.intern(local)
	if s.listener(id) != nil {
		return 0, nil, fmt.Errorf("listen on %v: %w", local, ErrAddressInUse)
	}
	start := s.begin()
	s.AddHost(local.Addr())
	ep := s.newEndpoint(cfg)
	ep.Local = id
	ep.backlog = int32(min(cfg.Backlog, math.MaxInt32))
	if o.Backlog > 0 {
		ep.backlog = int32(min(o.Backlog, math.MaxInt32))
	}
	if o.ISS != nil {
		iss := *o.ISS
		ep.issFixed = &iss
	}
	s.event(EndpointID(ep.ID), KindEndpointCreated)
	s.callEvent(ep, CallOpenPassive, 0)
	ep.accepted = true
	s.listening[id] = ep
	if err := ep.Listen(s.now, s.sink()); err != nil {
		return 0, s.since(start), s.callFailed(start, err)
	}
	return EndpointID(ep.ID), s.since(start), nil
}
