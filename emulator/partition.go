package emulator

import (
	"net/netip"
	"time"
)

// Partition cuts the link between hosts a and b at virtual time at (now,
// if at is not after the clock): from then on every segment sent between
// them is dropped with reason partition. With oneWay only a → b is cut. A
// cut in the future rides the clock, ordered among deliveries and timers
// like any other item. Segments already in flight when the cut happens
// still arrive: the cut acts where segments are sent.
func (s *Session) Partition(a, b netip.Addr, oneWay bool, at time.Duration) error {
	return s.schedulePartition(a, b, oneWay, at, true)
}

// Heal restores what Partition cut (both directions, or with oneWay only
// a → b), at virtual time at.
func (s *Session) Heal(a, b netip.Addr, oneWay bool, at time.Duration) error {
	return s.schedulePartition(a, b, oneWay, at, false)
}

// Partitioned reports whether segments from a to b are being dropped.
func (s *Session) Partitioned(a, b netip.Addr) bool {
	return s.imp != nil && s.imp.cuts[hostPair{a.Unmap(), b.Unmap()}]
}

func (s *Session) schedulePartition(a, b netip.Addr, oneWay bool, at time.Duration, cut bool) error {
	x, err := hostOf(a)
	if err != nil {
		return err
	}
	y, err := hostOf(b)
	if err != nil {
		return err
	}
	if at < 0 {
		return &ParamError{What: "partition", Field: "at", Reason: "must not be negative"}
	}
	s.impair()
	pairs := []hostPair{{x, y}}
	if !oneWay {
		pairs = append(pairs, hostPair{y, x})
	}
	for _, p := range pairs {
		if at <= s.now {
			s.setCut(p, cut, CauseCall)
			continue
		}
		s.scheduleSpecial(&special{kind: specialPartition, pair: p, cut: cut}, at)
	}
	return nil
}

// setCut cuts or heals one direction and records the change as a link
// event; cause says whether a call did it now or the clock reached a
// scheduled time.
func (s *Session) setCut(p hostPair, cut bool, cause Cause) {
	if s.imp.cuts[p] == cut {
		return
	}
	ev := Event{Kind: KindLink, Cause: cause, Seg: SegmentHeader{
		Src: s.intern(netip.AddrPortFrom(p.from, 0)), Dst: s.intern(netip.AddrPortFrom(p.to, 0))}}
	if cut {
		s.imp.cuts[p] = true
		ev.Value = 1
	} else {
		delete(s.imp.cuts, p)
	}
	s.emit(ev)
}
