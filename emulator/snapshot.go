package emulator

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/tcpemu/tcpemu/emulator/internal/wire"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// A snapshot is the magic "TESN", a version byte, then the session's state
// in a fixed order (package wire's varints and fixed words):
//
//	config       Config (without Overrides) and the profile it made
//	clock        now, the scheduling counter, the current cause, the ISN
//	             key, the next event's sequence number
//	addresses    the interned address table (event handles), hosts, the
//	             next ephemeral port per host
//	endpoints    the distinct endpoint configurations, then every endpoint
//	             record by ID: session part (counters, backlog, children,
//	             routing) and TCB (tcp.Endpoint.AppendSnapshot)
//	closed       the CLOSED endpoints awaiting recycling, oldest first
//	schedule     every live clock item in run order (time, then order); a
//	             delivery's payload that is still in its sender's send
//	             buffer is written as its length only, and shares the
//	             buffer's octets on restore, as it did when it was sent
//	external     segments handed out and not yet taken
//	impairments  paths, RNG states, fault rules, cuts, held segments
//
// Only what can change what the session does next is written; caches and
// storage are rebuilt on restore instead: the 4-tuple map and each
// address's listener (from each record's routed and listening bits), the
// address index, the endpoint pages, the in-flight segment slots (each
// delivery carries its segment), the receiver guesses (endpoint.peer and a delivery's ep: arrival
// checks them against the routing tables, which give the same answer), the
// impairments' per-connection direction cache, the pool of recycled records,
// and stale timer items (their timers were cancelled or re-armed, so they
// can never fire, and the clock skips them without a trace; a network item
// whose work is gone is kept, because running it still moves the clock and
// counts as a step). So two sessions in the same state have the same
// bytes, whatever their caches hold, and StateHash can prove a replay.
//
// Maps and sets are written in ascending order, and RestoreSession accepts
// nothing Snapshot would not write (FuzzRestoreSession checks that what it
// accepts re-encodes to the same bytes): each state has one encoding. The
// store frames and checksums the records it writes, so a snapshot carries
// no checksum of its own. RestoreSession checks the encoding and every
// cross-reference (addresses, endpoint IDs, timers against the schedule,
// directions, rule IDs) but not each TCB's own arithmetic: a snapshot
// crafted to hold, say, less queued data than its sequence numbers claim
// restores, and the connection then behaves as those numbers say (the
// machine clamps what it reads; FuzzRestoreSession drives such sessions).

const (
	snapshotMagic   = "TESN"
	snapshotVersion = 1
)

// Snapshot errors. Every error RestoreSession returns wraps one of them.
var (
	ErrBadSnapshot     = errors.New("bad snapshot")
	ErrSnapshotVersion = errors.New("unknown snapshot version")
)

// Snapshot returns a canonical, deterministic encoding of the session's
// complete state: its configuration and profile, seed and ISN key, every
// endpoint with its full TCB, buffers, held out-of-order text, timers and
// counters, listeners' backlogs and children, the virtual clock and every
// pending clock item in its exact order, network paths and their random
// generators, fault rules with their counters, partitions, held and
// external segments, and the event log's next sequence number.
//
// The event log's contents are not included: the store keeps the events,
// and a session restored from the snapshot starts with an empty log whose
// next event gets the sequence number the original's next event would have
// got (see RestoreSession).
func (s *Session) Snapshot() []byte {
	p := s.gather()
	w := &wire.Writer{B: make([]byte, 0, p.size)}
	s.appendTo(w, &p)
	return w.B
}

// StateHash is SHA-256 over Snapshot's bytes (computed as they are
// written, without holding them all): two sessions in the same state hash
// equal, and a session replayed from its journal must hash as the original
// did. A caller that has just taken a Snapshot gets the same value from
// sha256.Sum256 of its bytes.
func (s *Session) StateHash() [32]byte {
	p := s.gather()
	h := sha256.New()
	w := &wire.Writer{B: make([]byte, 0, min(p.size, 64<<10)), Sink: h}
	s.appendTo(w, &p)
	w.Flush()
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// snapshotParts is what a snapshot gathers before it writes: the endpoint
// records in ID order, the live clock items in run order, and about how
// many bytes they will take.
type snapshotParts struct {
	eps   []*endpoint
	items []*item
	size  int
}

func (s *Session) gather() snapshotParts {
	p := snapshotParts{eps: s.endpointsByID(), items: s.liveItems(), size: 512}
	// Generous per-record figures (an ESTABLISHED record with its
	// counters takes about 110 bytes, a delivery about 30 and its payload
	// unless that is in its sender's buffer):
	// one allocation, never a growth that copies megabytes.
	for _, ep := range p.eps {
		p.size += 128 + ep.BufferedOctets()
	}
	for _, it := range p.items {
		p.size += 12
		if it.kind == itemDeliver {
			p.size += 36
			if seg := &s.flights[it.arg]; !s.mayBeInSendBuffer(seg) {
				p.size += len(seg.Payload) // not a reference to its sender's buffer
			}
		}
	}
	return p
}

func (s *Session) appendTo(w *wire.Writer, p *snapshotParts) {
	w.B = append(w.B, snapshotMagic...)
	w.Byte(snapshotVersion)
	s.appendConfig(w)
	tcp.AppendConfig(w, &s.base)
	s.appendClock(w)
	s.appendAddresses(w)
	s.appendEndpoints(w, p.eps)
	s.appendClosed(w)
	s.appendSchedule(w, p.items)
	appendSegments(w, s.external)
	appendImpairments(w, s.imp)
}

// RestoreSession rebuilds a session from Snapshot's bytes. The session
// continues exactly as the original would have: the same calls give the
// same events, byte for byte.
//
// Its event log starts empty at the snapshot's position: NextSeq is the
// original's, and FirstSeq equals it, so the events before the restore
// point count as trimmed — Events and EventsN return only events made after
// the restore (for any afterSeq before FirstSeq, from FirstSeq on), exactly
// as they do for events the log limit trimmed. Whoever needs the older
// events reads them from the store. Config.Overrides of the restored
// session is nil: the overrides are already part of Profile().
//
// Malformed input gives an error wrapping ErrBadSnapshot (or
// ErrSnapshotVersion for a version this build does not read), naming the
// field and byte offset where decoding failed; it never panics.
func RestoreSession(b []byte) (*Session, error) {
	r := wire.NewReader(b)
	if magic := r.Raw("magic", len(snapshotMagic)); magic != nil && string(magic) != snapshotMagic {
		return nil, fmt.Errorf("restore session: %w: not a tcpemu session snapshot (magic %q)", ErrBadSnapshot, magic)
	}
	if v := r.Byte("version"); r.Err() == nil && v != snapshotVersion {
		return nil, fmt.Errorf("restore session: %w %d (this build reads version %d)", ErrSnapshotVersion, v, snapshotVersion)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("restore session: %w: %w", ErrBadSnapshot, err)
	}
	s := &Session{
		eps:     newEPTable(),
		addrIdx: newAddrIndex(),
		hosts:   make(map[netip.Addr]bool),
		ports:   make(map[netip.Addr]uint16),
	}
	s.readConfig(r)
	s.base = tcp.ReadConfig(r)
	s.readClock(r)
	s.readAddresses(r)
	s.readEndpoints(r)
	s.readClosed(r)
	s.readSchedule(r)
	s.external = readSegments(r)
	s.readImpairments(r)
	r.End()
	if r.Err() == nil {
		s.checkReferences(r)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("restore session: %w: %w", ErrBadSnapshot, err)
	}
	return s, nil
}

func (s *Session) appendConfig(w *wire.Writer) {
	c := &s.cfg
	w.Uint(c.Seed)
	w.String(c.Profile)
	w.Int(int64(c.Delay))
	appendOptSeq(w, c.FixedISS)
	w.Int(int64(c.LogLimit))
	w.Int(int64(c.KeepClosed))
	w.Bool(c.NoExternal)
}

func (s *Session) readConfig(r *wire.Reader) {
	c := &s.cfg
	c.Seed = r.Uint("seed")
	c.Profile = r.String("profile name")
	c.Delay = time.Duration(r.IntRange("delay", 0, math.MaxInt64))
	c.FixedISS = readOptSeq(r, "fixed ISS")
	c.LogLimit = int(r.IntRange("log limit", 1, math.MaxInt32))
	c.KeepClosed = int(r.IntRange("keep closed", 1, math.MaxInt32))
	c.NoExternal = r.Bool("no external")
}

func appendOptSeq(w *wire.Writer, v *seqnum.Value) {
	w.Bool(v != nil)
	if v != nil {
		w.Uint(uint64(*v))
	}
}

func readOptSeq(r *wire.Reader, what string) *seqnum.Value {
	if !r.Bool(what) {
		return nil
	}
	v := seqnum.Value(r.Uint32(what))
	return &v
}

func (s *Session) appendClock(w *wire.Writer) {
	w.Int(int64(s.now))
	w.Uint(s.order)
	w.Byte(byte(s.cause))
	w.Fixed64(s.isn.k0)
	w.Fixed64(s.isn.k1)
	appendOptSeq(w, s.isnNext)
	w.Uint(s.NextSeq())
}

func (s *Session) readClock(r *wire.Reader) {
	s.now = time.Duration(r.IntRange("clock", 0, math.MaxInt64))
	s.order = r.Uint("schedule order")
	s.cause = Cause(r.Enum("cause", int(numCauses)))
	s.isn.k0 = r.Fixed64("ISN key")
	s.isn.k1 = r.Fixed64("ISN key")
	s.isnNext = readOptSeq(r, "ISN floor")
	s.logBase = r.Uint("next event sequence number")
}

// appendAddresses writes the address table in handle order (events carry
// the handles), the hosts, and the next ephemeral port of each host.
func (s *Session) appendAddresses(w *wire.Writer) {
	w.Uint(uint64(len(s.addrs) - 1))
	for i, ap := range s.addrs[1:] {
		appendAddrPort(w, ap)
		w.Bool(s.hosted[i+1])
	}
	hosts := make([]netip.Addr, 0, len(s.hosts))
	for h, ok := range s.hosts {
		if ok {
			hosts = append(hosts, h)
		}
	}
	slices.SortFunc(hosts, netip.Addr.Compare)
	w.Uint(uint64(len(hosts)))
	for _, h := range hosts {
		appendAddr(w, h)
	}
	ports := make([]netip.Addr, 0, len(s.ports))
	for h := range s.ports {
		ports = append(ports, h)
	}
	slices.SortFunc(ports, netip.Addr.Compare)
	w.Uint(uint64(len(ports)))
	for _, h := range ports {
		appendAddr(w, h)
		w.Uint(uint64(s.ports[h]))
	}
}

func (s *Session) readAddresses(r *wire.Reader) {
	n := r.Count("address table", 3)
	s.addrs = make([]netip.AddrPort, 1, n+1)
	s.hosted = make([]bool, 1, n+1)
	s.listening = make([]*endpoint, 1, n+1)
	for i := 0; i < n && r.Err() == nil; i++ {
		ap := readAddrPort(r, "address")
		if _, dup := s.addrIdx.get(ap); dup {
			r.Failf("address", "%v appears twice in the table", ap)
		}
		s.addrIdx.put(ap, tcp.AddrID(len(s.addrs)))
		s.addrs = append(s.addrs, ap)
		s.hosted = append(s.hosted, r.Bool("address hosted"))
		s.listening = append(s.listening, nil)
	}
	var prev netip.Addr
	for i, n := 0, r.Count("hosts", 1); i < n; i++ {
		h := readAddr(r, "host")
		ascending(r, "hosts", i, h.Compare(prev))
		s.hosts[h], prev = true, h
	}
	for i, n := 0, r.Count("ephemeral ports", 2); i < n; i++ {
		h := readAddr(r, "ephemeral port host")
		ascending(r, "ephemeral ports", i, h.Compare(prev))
		s.ports[h], prev = r.Uint16("ephemeral port"), h
	}
}

// ascending fails unless element i of a list comes after element i-1 (c
// compares them): a snapshot writes every set and map in ascending order,
// so that each state has exactly one encoding.
func ascending(r *wire.Reader, what string, i, c int) {
	if i > 0 && c <= 0 {
		r.Failf(what, "element %d is not after the one before it", i)
	}
}

// appendAddr writes netip's binary form (4 or 16 octets and a zone),
// length first.
func appendAddr(w *wire.Writer, a netip.Addr) {
	n := a.BitLen() / 8
	if a.Is6() {
		n += len(a.Zone())
	}
	w.Uint(uint64(n))
	w.B, _ = a.AppendBinary(w.B) // never fails
}

func readAddr(r *wire.Reader, what string) netip.Addr {
	var a netip.Addr
	if b := r.Raw(what, r.Count(what, 1)); r.Err() == nil {
		if err := a.UnmarshalBinary(b); err != nil {
			r.Failf(what, "%v", err)
		}
	}
	return a
}

func appendAddrPort(w *wire.Writer, ap netip.AddrPort) {
	appendAddr(w, ap.Addr())
	w.Uint(uint64(ap.Port()))
}

func readAddrPort(r *wire.Reader, what string) netip.AddrPort {
	a := readAddr(r, what)
	return netip.AddrPortFrom(a, r.Uint16(what+" port"))
}

func appendSegments(w *wire.Writer, segs []tcp.Segment) {
	w.Uint(uint64(len(segs)))
	for i := range segs {
		tcp.AppendSegment(w, &segs[i])
	}
}

func readSegments(r *wire.Reader) []tcp.Segment {
	n := r.Count("external segments", 15) // a segment takes at least 15 bytes
	if n == 0 {
		return nil
	}
	segs := make([]tcp.Segment, n)
	for i := range segs {
		segs[i] = tcp.ReadSegment(r)
	}
	return segs
}

// checkReferences rejects a snapshot whose parts refer to things it does
// not hold: addresses beyond the table, endpoints beyond the IDs handed
// out, a held segment's direction that does not exist.
func (s *Session) checkReferences(r *wire.Reader) {
	addr := func(what string, id tcp.AddrID) {
		if int(id) >= len(s.addrs) {
			r.Failf(what, "address handle %d is beyond the table's %d", id, len(s.addrs))
		}
	}
	endpointID := func(what string, id EndpointID) {
		if id >= s.nextID {
			r.Failf(what, "endpoint %d was never created (next ID %d)", id, s.nextID)
		}
	}
	for _, ep := range s.endpointsByID() {
		addr("endpoint local address", ep.Local)
		addr("endpoint remote address", ep.Remote)
		endpointID("endpoint parent", EndpointID(ep.Parent))
		for _, c := range ep.children {
			endpointID("listener child", c)
		}
	}
	for _, id := range s.closed {
		endpointID("closed endpoint", id)
	}
	for i := range s.flights {
		addr("segment source", s.flights[i].Src)
		addr("segment destination", s.flights[i].Dst)
	}
	for i := range s.external {
		addr("external segment source", s.external[i].Src)
		addr("external segment destination", s.external[i].Dst)
	}
	if s.imp != nil {
		keys := slices.Sorted(maps.Keys(s.imp.specials))
		for _, k := range keys {
			addr("held segment source", s.imp.specials[k].seg.Src)
			addr("held segment destination", s.imp.specials[k].seg.Dst)
		}
	}
}
