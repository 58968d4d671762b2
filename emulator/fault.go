package emulator

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// FaultID names a fault rule within its session; IDs start at 1 and are
// never reused. Events a rule causes carry its ID in Value.
type FaultID uint32

// FaultAction is what a fault rule does to the segments it matches.
type FaultAction uint8

// The actions.
const (
	FaultDrop      FaultAction = iota + 1 // the segment is lost
	FaultDelay                            // it arrives Delay later than the path says
	FaultDuplicate                        // Copies extra copies follow it, Spacing apart
	FaultCorrupt                          // it arrives with a bad checksum and is discarded
	FaultReorder                          // held behind Behind later segments (or by Delay)
	numFaultActions
)

var faultActionNames = [numFaultActions]string{"", "drop", "delay", "duplicate", "corrupt", "reorder"}

// String names the action.
func (a FaultAction) String() string {
	if a > 0 && a < numFaultActions {
		return faultActionNames[a]
	}
	return "action(?)"
}

// ParseFaultAction finds an action by name.
func ParseFaultAction(name string) (FaultAction, bool) {
	for a, n := range faultActionNames {
		if n == name && a != 0 {
			return FaultAction(a), true
		}
	}
	return 0, false
}

// Fault is a scripted rule: which segments it matches, and what it does to
// them. "Drop the next SYN-ACK from A to B" is
// Fault{From: A, To: B, Flags: SYN|ACK, ExactFlags: true, Action: FaultDrop, Count: 1}.
type Fault struct {
	Name string // for people; rules are addressed by ID
	// Direction: a zero From or To matches any address; a port of 0 any
	// port of that host.
	From, To netip.AddrPort
	// Flags must all be set (or, with ExactFlags, be exactly the set).
	Flags      tcp.Flags
	ExactFlags bool
	// With MatchSeq, SEG.SEQ must lie in [SeqFirst, SeqLast] (modulo 2^32).
	MatchSeq          bool
	SeqFirst, SeqLast seqnum.Value
	// With MatchLen, the payload length must lie in [MinLen, MaxLen].
	MatchLen       bool
	MinLen, MaxLen int
	// Nth > 0 makes the rule act on the Nth matching segment only ("the 2nd
	// FIN"); 0 on every match.
	Nth    int
	Action FaultAction
	// Delay: FaultDelay's extra delay; FaultReorder's hold (or its bound).
	Delay   time.Duration
	Copies  int           // FaultDuplicate: extra copies (≥ 1)
	Spacing time.Duration // FaultDuplicate: time between copies
	Behind  int           // FaultReorder: later segments to let past (0: hold by Delay)
	// Count is how many times the rule acts before it removes itself: 1 is
	// one-shot, 0 standing.
	Count int
}

// FaultRule is a rule as the session holds it.
type FaultRule struct {
	ID      FaultID
	Fault   Fault
	Matched int // matching segments seen
	Fired   int // times it acted
}

type faultRule = FaultRule

func (f *Fault) validate() error {
	bad := func(field, reason string) error { return &ParamError{What: "fault", Field: field, Reason: reason} }
	switch {
	case f.Action == 0 || f.Action >= numFaultActions:
		return bad("action", "must be drop, delay, duplicate, corrupt or reorder")
	case f.Delay < 0 || f.Delay > MaxPathDelay:
		return bad("delay", "must be between 0 and "+MaxPathDelay.String())
	case f.Spacing < 0 || f.Spacing > MaxPathDelay:
		return bad("spacing", "must be between 0 and "+MaxPathDelay.String())
	case f.Nth < 0:
		return bad("nth", "must not be negative")
	case f.Count < 0:
		return bad("count", "must not be negative")
	case f.MatchLen && (f.MinLen < 0 || f.MaxLen < f.MinLen):
		return bad("len", "must be a range 0 ≤ min ≤ max")
	case f.Action == FaultDelay && f.Delay == 0:
		return bad("delay", "must be positive for a delay rule")
	case f.Action == FaultDuplicate && (f.Copies < 1 || f.Copies > MaxCopies):
		return bad("copies", fmt.Sprintf("must be between 1 and %d", MaxCopies))
	case f.Action == FaultReorder && (f.Behind < 0 || f.Behind > MaxBehind):
		return bad("behind", fmt.Sprintf("must be between 0 and %d", MaxBehind))
	case f.Action == FaultReorder && f.Delay == 0:
		return bad("delay", "must be positive for a reorder rule (it is the hold, or its bound)")
	}
	return nil
}

func addrMatches(want netip.AddrPort, got netip.AddrPort) bool {
	if !want.IsValid() && want.Port() == 0 {
		return true
	}
	if want.Addr().IsValid() && want.Addr().Unmap() != got.Addr() {
		return false
	}
	return want.Port() == 0 || want.Port() == got.Port()
}

// Matches reports whether a segment from src to dst matches the rule's
// pattern (before its occurrence count).
func (f *Fault) Matches(src, dst netip.AddrPort, seg *tcp.Segment) bool {
	if !addrMatches(f.From, src) || !addrMatches(f.To, dst) {
		return false
	}
	if f.ExactFlags && seg.Flags != f.Flags || !seg.Flags.Has(f.Flags) {
		return false
	}
	if f.MatchSeq && uint32(seg.Seq-f.SeqFirst) > uint32(f.SeqLast-f.SeqFirst) {
		return false
	}
	if n := len(seg.Payload); f.MatchLen && (n < f.MinLen || n > f.MaxLen) {
		return false
	}
	return true
}

// AddFault installs a rule; it acts on segments sent from now on.
func (s *Session) AddFault(f Fault) (FaultID, error) {
	if err := f.validate(); err != nil {
		return 0, err
	}
	im := s.impair()
	im.nextFault++
	im.faults = append(im.faults, &faultRule{ID: im.nextFault, Fault: f})
	return im.nextFault, nil
}

// Faults lists the installed rules in the order they were added.
func (s *Session) Faults() []FaultRule {
	if s.imp == nil {
		return nil
	}
	out := make([]FaultRule, len(s.imp.faults))
	for i, r := range s.imp.faults {
		out[i] = *r
	}
	return out
}

// RemoveFault uninstalls a rule.
func (s *Session) RemoveFault(id FaultID) error {
	if s.imp != nil {
		for i, r := range s.imp.faults {
			if r.ID == id {
				s.imp.faults = slices.Delete(s.imp.faults, i, i+1)
				return nil
			}
		}
	}
	return fmt.Errorf("fault %d: %w", id, ErrNoFault)
}

// faultEffect is what the rules that fired decided for one segment.
type faultEffect struct {
	drop, corrupt, reorder bool
	delay, holdBy, spacing time.Duration
	copies, behind         int
	corruptRule            FaultID
	reorderRule, copyRule  FaultID
}

// applyFaults runs every rule over a segment being sent: each matching
// rule counts it, and each that fires adds its action (a drop wins).
func (s *Session) applyFaults(seg *tcp.Segment) faultEffect {
	var fx faultEffect
	src, dst := s.Addr(seg.Src), s.Addr(seg.Dst)
	im := s.imp
	spent := false
	for _, r := range im.faults {
		if !r.Fault.Matches(src, dst, seg) {
			continue
		}
		r.Matched++
		if r.Fault.Nth > 0 && r.Matched != r.Fault.Nth {
			continue
		}
		r.Fired++
		if r.Fault.Count > 0 && r.Fired >= r.Fault.Count || r.Fault.Nth > 0 {
			spent = true
		}
		if fx.drop {
			continue
		}
		switch r.Fault.Action {
		case FaultDrop:
			fx.drop = true
			s.emit(Event{Kind: KindSegmentDropped, Drop: DropRule, Seg: headerOf(seg), Value: int64(r.ID)})
		case FaultDelay:
			fx.delay += r.Fault.Delay
			s.emit(Event{Kind: KindSegmentDelayed, Seg: headerOf(seg), Value: int64(r.ID)})
		case FaultDuplicate:
			fx.copies, fx.spacing, fx.copyRule = r.Fault.Copies, r.Fault.Spacing, r.ID
		case FaultCorrupt:
			fx.corrupt, fx.corruptRule = true, r.ID
		case FaultReorder:
			fx.reorder, fx.holdBy, fx.behind, fx.reorderRule = true, r.Fault.Delay, r.Fault.Behind, r.ID
		}
	}
	if spent {
		im.faults = slices.DeleteFunc(im.faults, func(r *faultRule) bool {
			return r.Fault.Count > 0 && r.Fired >= r.Fault.Count || r.Fault.Nth > 0 && r.Fired > 0
		})
	}
	return fx
}

// A special is a scheduled network action that is not a plain delivery: a
// segment held back behind others (its deadline), a corrupt segment, or a
// partition change. It rides the clock as a delivery of a placeholder
// segment whose Src is 0 — a handle no real address has — and whose SEQ is
// the special's key; arrive hands it to runSpecial.
type specialKind uint8

const (
	specialHeld specialKind = iota
	specialCorrupt
	specialPartition
)

type special struct {
	kind    specialKind
	seg     tcp.Segment
	rule    FaultID
	corrupt bool
	dir     *direction // specialHeld: the direction holding it
	// specialPartition
	pair hostPair
	cut  bool
}

// scheduleSpecial files impairment work under a new key and puts it on the
// clock for time at, ordered among deliveries and timers like any item.
func (s *Session) scheduleSpecial(sp *special, at time.Duration) uint32 {
	im := s.imp
	im.nextSpecial++
	if im.nextSpecial == 0 {
		im.nextSpecial++
	}
	im.specials[im.nextSpecial] = sp
	if at < s.now {
		at = math.MaxInt64 // now + delay overflowed: past the end of virtual time
	}
	s.queue.push(&item{at: at, order: s.order, kind: itemNetwork, arg: im.nextSpecial}, s.now)
	s.order++
	return im.nextSpecial
}

// runSpecial carries out the impairment work filed under key, if it is
// still there (a held segment may have been released already).
func (s *Session) runSpecial(key uint32) {
	if s.imp == nil {
		return
	}
	sp, ok := s.imp.specials[key]
	if !ok {
		return // a held segment already released by the segments behind it
	}
	delete(s.imp.specials, key)
	switch sp.kind {
	case specialHeld:
		// Its bound ran out before enough segments passed it.
		if d := sp.dir; d != nil {
			d.held = slices.DeleteFunc(d.held, func(h heldRef) bool { return h.key == key })
		}
		if sp.corrupt {
			s.arriveCorrupt(&sp.seg, sp.rule)
		} else {
			s.arrive(&sp.seg)
		}
	case specialCorrupt:
		s.arriveCorrupt(&sp.seg, sp.rule)
	case specialPartition:
		s.setCut(sp.pair, sp.cut, CauseTimer)
	}
}

// arriveCorrupt delivers a segment whose checksum fails: the receiver
// (endpoint, else host) gets it and discards it — RFC 9293 §3.1, "the
// checksum", and §3.10.7: a segment that fails it is dropped silently.
func (s *Session) arriveCorrupt(seg *tcp.Segment, rule FaultID) {
	var to EndpointID
	ep := s.conns.get(connKey(seg.Dst, seg.Src))
	ok := ep != nil
	if !ok {
		ep = s.listener(seg.Dst)
		ok = ep != nil
	}
	if ok {
		to = EndpointID(ep.ID)
		ep.counters.countReceived(seg)
		ep.counters.SegmentsDiscarded++
	} else if !s.hosts[s.Addr(seg.Dst).Addr()] {
		// Outside the session: the external peer checks the checksum.
		s.emit(Event{Kind: KindSegmentDropped, Drop: DropCorrupt, Seg: headerOf(seg), Value: int64(rule)})
		return
	}
	s.emit(Event{Endpoint: to, Kind: KindSegmentDelivered, Seg: headerOf(seg)})
	s.emit(Event{Endpoint: to, Kind: KindSegmentDropped, Drop: DropCorrupt, Seg: headerOf(seg), Value: int64(rule)})
}
