package emulator

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/tcpemu/tcpemu/emulator/internal/wire"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// The impairments of a snapshot (see snapshot.go for the whole layout):
// the default path; every direction that exists, by host pair, with its
// random generator's state; the fault rules in their order with their
// counters; the cut directions; the held, corrupt and scheduled-cut work
// by key. The per-connection direction cache (byConn) is rebuilt on use.

func appendImpairments(w *wire.Writer, im *impairments) {
	w.Bool(im != nil)
	if im == nil {
		return
	}
	appendPath(w, &im.def)
	pairs := make([]hostPair, 0, len(im.dirs))
	for p := range im.dirs {
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, hostPair.compare)
	w.Uint(uint64(len(pairs)))
	for _, p := range pairs {
		appendDirection(w, im.dirs[p])
	}
	w.Uint(uint64(im.nextFault))
	w.Uint(uint64(len(im.faults)))
	for _, f := range im.faults {
		appendFaultRule(w, f)
	}
	cuts := make([]hostPair, 0, len(im.cuts))
	for p, cut := range im.cuts {
		if cut {
			cuts = append(cuts, p)
		}
	}
	slices.SortFunc(cuts, hostPair.compare)
	w.Uint(uint64(len(cuts)))
	for _, p := range cuts {
		appendHostPair(w, p)
	}
	w.Uint(uint64(im.nextSpecial))
	keys := make([]uint32, 0, len(im.specials))
	for k := range im.specials {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.Uint(uint64(len(keys)))
	for _, k := range keys {
		w.Uint(uint64(k))
		appendSpecial(w, im.specials[k])
	}
}

// readImpairments reads what appendImpairments wrote into s.imp.
func (s *Session) readImpairments(r *wire.Reader) {
	if !r.Bool("impairments") {
		return
	}
	im := s.impair()
	im.def = readPath(r, "default path")
	var prev hostPair
	for i, n := 0, r.Count("directions", 11); i < n && r.Err() == nil; i++ {
		d := readDirection(r)
		ascending(r, "directions", i, d.pair.compare(prev))
		im.dirs[d.pair], prev = d, d.pair
	}
	im.nextFault = FaultID(r.Uint32("next fault ID"))
	for i, n := 0, r.Count("fault rules", 20); i < n && r.Err() == nil; i++ {
		f := readFaultRule(r)
		if r.Err() == nil && (f.ID == 0 || f.ID > im.nextFault) {
			r.Failf("fault rule ID", "%d was never handed out (next %d)", f.ID, im.nextFault)
		}
		im.faults = append(im.faults, f)
	}
	for i, n := 0, r.Count("cuts", 2); i < n && r.Err() == nil; i++ {
		p := readHostPair(r, "cut")
		ascending(r, "cuts", i, p.compare(prev))
		im.cuts[p], prev = true, p
	}
	im.nextSpecial = r.Uint32("next network item key")
	var last uint32
	for i, n := 0, r.Count("network items", 10); i < n && r.Err() == nil; i++ {
		k := r.Uint32("network item key")
		ascending(r, "network items", i, cmp.Compare(k, last))
		if k == 0 {
			r.Failf("network item key", "must not be zero")
		}
		im.specials[k], last = s.readSpecial(r), k
	}
}

func (p hostPair) compare(q hostPair) int {
	if c := p.from.Compare(q.from); c != 0 {
		return c
	}
	return p.to.Compare(q.to)
}

func appendHostPair(w *wire.Writer, p hostPair) {
	appendAddr(w, p.from)
	appendAddr(w, p.to)
}

func readHostPair(r *wire.Reader, what string) hostPair {
	return hostPair{from: readAddr(r, what), to: readAddr(r, what)}
}

func appendPath(w *wire.Writer, p *Path) {
	w.Int(int64(p.Delay))
	w.Int(int64(p.Jitter))
	w.Float(p.Loss)
	w.Float(p.Duplicate)
	w.Float(p.Reorder)
	w.Int(int64(p.ReorderDelay))
	w.Int(int64(p.ReorderBehind))
	w.Int(p.Bandwidth)
}

func readPath(r *wire.Reader, what string) Path {
	p := Path{
		Delay:         time.Duration(r.Int(what + " delay")),
		Jitter:        time.Duration(r.Int(what + " jitter")),
		Loss:          r.Float(what + " loss"),
		Duplicate:     r.Float(what + " duplicate"),
		Reorder:       r.Float(what + " reorder"),
		ReorderDelay:  time.Duration(r.Int(what + " reorder delay")),
		ReorderBehind: int(r.IntRange(what+" reorder behind", 0, MaxBehind)),
		Bandwidth:     r.Int(what + " bandwidth"),
	}
	if r.Err() == nil {
		if err := p.validate(); err != nil {
			r.Failf(what, "%v", err)
		}
	}
	return p
}

func appendDirection(w *wire.Writer, d *direction) {
	appendHostPair(w, d.pair)
	w.Fixed64(d.rng.state)
	w.Bool(d.path != nil)
	if d.path != nil {
		appendPath(w, d.path)
	}
	w.Int(int64(d.busyUntil))
	w.Uint(uint64(len(d.held)))
	for _, h := range d.held {
		w.Uint(uint64(h.key))
		w.Int(int64(h.remaining))
	}
}

func readDirection(r *wire.Reader) *direction {
	d := &direction{pair: readHostPair(r, "direction"), rng: rng{state: r.Fixed64("path RNG state")}}
	if r.Bool("direction has a path") {
		p := readPath(r, "path")
		d.path = &p
	}
	d.busyUntil = time.Duration(r.Int("link busy until"))
	if n := r.Count("held segments", 2); n > 0 {
		d.held = make([]heldRef, n)
		for i := range d.held {
			d.held[i] = heldRef{key: r.Uint32("held segment key"), remaining: int(r.IntRange("held segment remaining", math.MinInt32, MaxBehind))}
		}
	}
	return d
}

func appendFaultRule(w *wire.Writer, f *FaultRule) {
	w.Uint(uint64(f.ID))
	appendFault(w, &f.Fault)
	w.Int(int64(f.Matched))
	w.Int(int64(f.Fired))
}

func readFaultRule(r *wire.Reader) *FaultRule {
	return &FaultRule{
		ID:      FaultID(r.Uint32("fault rule ID")),
		Fault:   readFault(r),
		Matched: int(r.IntRange("fault matched", 0, math.MaxInt64)),
		Fired:   int(r.IntRange("fault fired", 0, math.MaxInt64)),
	}
}

func appendFault(w *wire.Writer, f *Fault) {
	w.String(f.Name)
	appendAddrPort(w, f.From)
	appendAddrPort(w, f.To)
	w.Byte(byte(f.Flags))
	w.Bool(f.ExactFlags)
	w.Bool(f.MatchSeq)
	w.Uint(uint64(f.SeqFirst))
	w.Uint(uint64(f.SeqLast))
	w.Bool(f.MatchLen)
	for _, n := range [...]int{f.MinLen, f.MaxLen, f.Nth} {
		w.Int(int64(n))
	}
	w.Byte(byte(f.Action))
	w.Int(int64(f.Delay))
	w.Int(int64(f.Copies))
	w.Int(int64(f.Spacing))
	w.Int(int64(f.Behind))
	w.Int(int64(f.Count))
}

func readFault(r *wire.Reader) Fault {
	f := Fault{
		Name:       r.String("fault name"),
		From:       readAddrPort(r, "fault from"),
		To:         readAddrPort(r, "fault to"),
		Flags:      tcp.Flags(r.Byte("fault flags")),
		ExactFlags: r.Bool("fault exact flags"),
		MatchSeq:   r.Bool("fault matches SEQ"),
		SeqFirst:   seqnum.Value(r.Uint32("fault first SEQ")),
		SeqLast:    seqnum.Value(r.Uint32("fault last SEQ")),
		MatchLen:   r.Bool("fault matches length"),
	}
	for _, n := range [...]*int{&f.MinLen, &f.MaxLen, &f.Nth} {
		*n = int(r.Int("fault bound"))
	}
	f.Action = FaultAction(r.Byte("fault action"))
	f.Delay = time.Duration(r.Int("fault delay"))
	f.Copies = int(r.Int("fault copies"))
	f.Spacing = time.Duration(r.Int("fault spacing"))
	f.Behind = int(r.Int("fault behind"))
	f.Count = int(r.Int("fault count"))
	if r.Err() == nil {
		if err := f.validate(); err != nil {
			r.Failf("fault", "%v", err)
		}
	}
	return f
}

// appendSpecial writes impairment work; a held segment names its
// direction by host pair.
func appendSpecial(w *wire.Writer, sp *special) {
	w.Byte(byte(sp.kind))
	tcp.AppendSegment(w, &sp.seg)
	w.Uint(uint64(sp.rule))
	w.Bool(sp.corrupt)
	w.Bool(sp.dir != nil)
	if sp.dir != nil {
		appendHostPair(w, sp.dir.pair)
	}
	appendHostPair(w, sp.pair)
	w.Bool(sp.cut)
}

func (s *Session) readSpecial(r *wire.Reader) *special {
	sp := &special{
		kind:    specialKind(r.Enum("network item kind", int(specialPartition)+1)),
		seg:     tcp.ReadSegment(r),
		rule:    FaultID(r.Uint32("network item rule")),
		corrupt: r.Bool("network item corrupt"),
	}
	if r.Bool("network item has a direction") {
		p := readHostPair(r, "network item direction")
		if sp.dir = s.imp.dirs[p]; sp.dir == nil && r.Err() == nil {
			r.Failf("network item direction", "%v → %v is not among the directions", p.from, p.to)
		}
	}
	sp.pair = readHostPair(r, "network item hosts")
	sp.cut = r.Bool("network item cut")
	return sp
}
