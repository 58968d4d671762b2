package emulator

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// ErrInvalidParameter is what every *ParamError matches with errors.Is: a
// path, fault or partition parameter out of its range.
var ErrInvalidParameter = errors.New("invalid parameter")

// ErrNoFault means RemoveFault was given an ID no rule has (any more).
var ErrNoFault = errors.New("no such fault rule")

// ParamError names the parameter that was rejected and why.
type ParamError struct {
	What   string // "path", "fault", "partition"
	Field  string // "loss", "jitter", …
	Reason string // "must be in [0, 1]"
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("invalid %s: %s %s", e.What, e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidParameter) true.
func (e *ParamError) Is(target error) bool { return target == ErrInvalidParameter }

// Bounds of path and fault parameters. They keep virtual times far from
// overflow and the held queues small; no real network is outside them.
const (
	MaxPathDelay = 24 * time.Hour
	MaxBehind    = 1024
	MaxCopies    = 64
)

// Path is how one direction between two hosts treats the segments sent on
// it. The zero Path is an ideal wire with no delay.
//
// Each segment's fate is decided when it is sent, in this order: partition,
// fault rules, Loss, then its arrival time — Bandwidth (serialisation behind
// the segments before it), Delay, a uniform draw from [0, Jitter] — then
// Reorder, then Duplicate (one extra copy with its own jitter). Jitter alone
// can reorder segments, as on a real multi-path network.
type Path struct {
	Delay  time.Duration // one-way propagation delay
	Jitter time.Duration // extra delay drawn uniformly from [0, Jitter]
	// Loss, Duplicate and Reorder are probabilities in [0, 1]; 0 is exactly
	// never and 1 exactly always.
	Loss      float64
	Duplicate float64
	// Reorder holds a segment back: by ReorderDelay, or — with
	// ReorderBehind N > 0 — until N later segments of this direction have
	// been delivered past it (it then arrives right after the Nth), but never
	// longer than ReorderDelay.
	Reorder       float64
	ReorderDelay  time.Duration
	ReorderBehind int
	// Bandwidth, in octets per second (0: unlimited), serialises segments by
	// their size: payload plus 40 octets of IP and TCP header.
	Bandwidth int64
}

func (p *Path) validate() error {
	bad := func(field, reason string) error { return &ParamError{What: "path", Field: field, Reason: reason} }
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"delay", p.Delay}, {"jitter", p.Jitter}, {"reorder_delay", p.ReorderDelay}} {
		if d.v < 0 || d.v > MaxPathDelay {
			return bad(d.name, "must be between 0 and "+MaxPathDelay.String())
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"loss", p.Loss}, {"duplicate", p.Duplicate}, {"reorder", p.Reorder}} {
		if math.IsNaN(f.v) || f.v < 0 || f.v > 1 {
			return bad(f.name, "must be a probability in [0, 1]")
		}
	}
	if p.ReorderBehind < 0 || p.ReorderBehind > MaxBehind {
		return bad("reorder_behind", fmt.Sprintf("must be between 0 and %d", MaxBehind))
	}
	if p.Reorder > 0 && p.ReorderDelay == 0 {
		return bad("reorder_delay", "must be positive when reorder is set (it is the hold, or its bound)")
	}
	if p.Bandwidth < 0 {
		return bad("bandwidth", "must not be negative")
	}
	return nil
}

// hostPair is one direction between two hosts.
type hostPair struct{ from, to netip.Addr }

// direction is the state of one direction between two hosts: its random
// generator, its explicit path (nil: the session default), when its link is
// free again (Bandwidth) and the segments held back behind others.
type direction struct {
	rng       rng
	path      *Path
	busyUntil time.Duration
	held      []heldRef
	pair      hostPair
}

type heldRef struct {
	key       uint32 // into impairments.specials
	remaining int    // later segments still to pass it
}

// impairments is everything beyond the fixed delay. A session without
// paths, rules or partitions has none (s.imp == nil) and transmit takes
// its fast path: no lookups, no draws, no allocation.
type impairments struct {
	def    Path
	dirs   map[hostPair]*direction
	byConn map[uint64]*direction // cache: connKey(src, dst) → its hosts' direction

	faults    []*faultRule
	nextFault FaultID

	cuts map[hostPair]bool

	specials    map[uint32]*special
	nextSpecial uint32
}

func (s *Session) impair() *impairments {
	if s.imp == nil {
		s.imp = &impairments{
			def:      Path{Delay: s.cfg.Delay},
			dirs:     make(map[hostPair]*direction),
			byConn:   make(map[uint64]*direction),
			cuts:     make(map[hostPair]bool),
			specials: make(map[uint32]*special),
		}
	}
	return s.imp
}

func (im *impairments) dir(seed uint64, p hostPair) *direction {
	d, ok := im.dirs[p]
	if !ok {
		d = &direction{rng: pathRNG(seed, p.from, p.to), pair: p}
		im.dirs[p] = d
	}
	return d
}

func hostOf(ip netip.Addr) (netip.Addr, error) {
	if !ip.IsValid() {
		return ip, fmt.Errorf("%w: need an IP address", ErrInvalidAddress)
	}
	return ip.Unmap(), nil
}

// SetPath sets the path from one host to another (one direction; call it
// twice for both). It applies to segments sent from now on; segments in
// flight keep their schedule.
func (s *Session) SetPath(from, to netip.Addr, p Path) error {
	if err := p.validate(); err != nil {
		return err
	}
	a, err := hostOf(from)
	if err != nil {
		return err
	}
	b, err := hostOf(to)
	if err != nil {
		return err
	}
	im := s.impair()
	im.dir(s.cfg.Seed, hostPair{a, b}).path = &p
	return nil
}

// DeletePath returns a direction to the session default.
func (s *Session) DeletePath(from, to netip.Addr) {
	if s.imp == nil {
		return
	}
	if d, ok := s.imp.dirs[hostPair{from.Unmap(), to.Unmap()}]; ok {
		d.path = nil
	}
}

// Path returns the path from one host to another and whether it was set
// explicitly (otherwise it is the session default).
func (s *Session) Path(from, to netip.Addr) (Path, bool) {
	if s.imp == nil {
		return Path{Delay: s.cfg.Delay}, false
	}
	if d, ok := s.imp.dirs[hostPair{from.Unmap(), to.Unmap()}]; ok && d.path != nil {
		return *d.path, true
	}
	return s.imp.def, false
}

// SetDefaultPath sets the path of every direction without its own.
func (s *Session) SetDefaultPath(p Path) error {
	if err := p.validate(); err != nil {
		return err
	}
	s.impair().def = p
	return nil
}

// DefaultPath is the path of every direction without its own.
func (s *Session) DefaultPath() Path {
	if s.imp == nil {
		return Path{Delay: s.cfg.Delay}
	}
	return s.imp.def
}

// direction finds (and caches by address handles) a segment's direction.
func (s *Session) direction(seg *tcp.Segment) (*direction, hostPair) {
	im := s.imp
	k := connKey(seg.Src, seg.Dst)
	if d, ok := im.byConn[k]; ok {
		return d, d.pair
	}
	p := hostPair{s.Addr(seg.Src).Addr(), s.Addr(seg.Dst).Addr()}
	d := im.dir(s.cfg.Seed, p)
	im.byConn[k] = d
	return d, p
}

// transmitImpaired is transmit with paths, fault rules and partitions.
func (s *Session) transmitImpaired(seg *tcp.Segment) {
	im := s.imp
	d, hp := s.direction(seg)
	if len(im.cuts) > 0 && im.cuts[hp] {
		s.emit(Event{Kind: KindSegmentDropped, Drop: DropPartition, Seg: headerOf(seg)})
		return
	}
	var fx faultEffect
	if len(im.faults) > 0 {
		fx = s.applyFaults(seg)
		if fx.drop {
			return
		}
	}
	p := &im.def
	if d.path != nil {
		p = d.path
	}
	if d.rng.chance(p.Loss) {
		s.emit(Event{Kind: KindSegmentDropped, Drop: DropLoss, Seg: headerOf(seg)})
		return
	}
	depart := s.now
	if p.Bandwidth > 0 {
		depart = max(depart, d.busyUntil) + time.Duration((int64(len(seg.Payload))+40)*int64(time.Second)/p.Bandwidth)
		d.busyUntil = depart
	}
	at := depart + p.Delay + time.Duration(d.rng.upTo(int64(p.Jitter))) + fx.delay

	// Hold back: a rule's reorder first, else the path's draw.
	holdBy, behind, holdRule := time.Duration(0), 0, FaultID(0)
	switch {
	case fx.reorder:
		holdBy, behind, holdRule = fx.holdBy, fx.behind, fx.reorderRule
	case d.rng.chance(p.Reorder):
		holdBy, behind = p.ReorderDelay, p.ReorderBehind
	}
	released := len(d.held) // holds before this segment: this one passes them
	switch {
	case fx.reorder || holdBy > 0:
		s.emit(Event{Kind: KindSegmentDelayed, Seg: headerOf(seg), Value: int64(holdRule)})
		if behind > 0 {
			key := s.scheduleSpecial(&special{kind: specialHeld, seg: *seg, rule: fx.corruptRule, corrupt: fx.corrupt, dir: d}, at+holdBy)
			d.held = append(d.held, heldRef{key: key, remaining: behind})
			break
		}
		at += holdBy
		fallthrough
	default:
		s.send(seg, at, fx.corrupt, fx.corruptRule)
		s.passHeld(d, released, at)
	}

	for i := 1; i <= fx.copies; i++ {
		s.emit(Event{Kind: KindSegmentDuplicated, Seg: headerOf(seg), Value: int64(fx.copyRule)})
		s.deliverAt(seg, at+time.Duration(i)*fx.spacing)
	}
	if d.rng.chance(p.Duplicate) {
		s.emit(Event{Kind: KindSegmentDuplicated, Seg: headerOf(seg)})
		s.deliverAt(seg, depart+p.Delay+time.Duration(d.rng.upTo(int64(p.Jitter))))
	}
}

// send schedules one delivery, as a corrupt one if a rule said so.
func (s *Session) send(seg *tcp.Segment, at time.Duration, corrupt bool, rule FaultID) {
	if !corrupt {
		s.deliverAt(seg, at)
		return
	}
	s.scheduleSpecial(&special{kind: specialCorrupt, seg: *seg, rule: rule}, at)
}

// passHeld counts a segment arriving at `at` past the first n held
// segments of its direction; those it is the last to pass are released to
// arrive right after it.
func (s *Session) passHeld(d *direction, n int, at time.Duration) {
	if n == 0 {
		return
	}
	kept := d.held[:0]
	for i, h := range d.held {
		if i < n {
			h.remaining--
			if h.remaining <= 0 {
				if sp, ok := s.imp.specials[h.key]; ok {
					delete(s.imp.specials, h.key)
					s.send(&sp.seg, at, sp.corrupt, sp.rule)
				}
				continue
			}
		}
		kept = append(kept, h)
	}
	clear(d.held[len(kept):])
	d.held = kept
}
