package emulator_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// TestSnapshotRestoreContinuesIdentically is the snapshot's promise (issue
// 6, "recovery"): a random scenario — listeners, connects (some with
// per-endpoint overrides, fixed ISSs, tiny backlogs), SEND, RECEIVE, CLOSE,
// ABORT, accept, OPEN on a listener, injected and external segments, clock
// steps and advances, impaired paths with loss, duplication, reordering and
// bandwidth, fault rules of every action, partitions now and later, both
// profiles, a tiny log limit and KeepClosed so that records are recycled —
// is snapshotted at a random point and restored. The same remaining calls
// on the original and on the restored session must then give the same
// results byte for byte (every event's every field, every returned value
// and error, every STATUS), and in the end the same StateHash. Restoring a
// snapshot and taking a snapshot again gives the same bytes.
func TestSnapshotRestoreContinuesIdentically(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		cfg := drawSnapConfig(rt)
		s, err := emulator.New(cfg)
		if err != nil {
			rt.Fatalf("New: %v", err)
		}
		ops := rapid.SliceOfN(snapOpGen(), 1, 80).Draw(rt, "ops")
		at := rapid.IntRange(0, len(ops)).Draw(rt, "snapshot-at")
		for _, op := range ops[:at] {
			op.apply(s)
		}
		snap := s.Snapshot()
		r, err := emulator.RestoreSession(snap)
		if err != nil {
			rt.Fatalf("RestoreSession of a fresh snapshot: %v", err)
		}
		if again := r.Snapshot(); !bytes.Equal(again, snap) {
			rt.Fatalf("Snapshot(Restore(snap)) differs from snap (%d and %d bytes, first difference at byte %d)",
				len(again), len(snap), firstByteDiff(again, snap))
		}
		if r.NextSeq() != s.NextSeq() || r.FirstSeq() != s.NextSeq() || len(r.AllEvents()) != 0 {
			rt.Fatalf("restored log: next %d first %d with %d events; want next = first = %d and none",
				r.NextSeq(), r.FirstSeq(), len(r.AllEvents()), s.NextSeq())
		}
		// Then drain: whatever was pending must play out identically too.
		drain := snapOp{name: "drain", apply: func(s *emulator.Session) snapResult {
			evs, err := s.RunUntilIdle(20_000)
			return snapRecord(s, "drain", evs, err)
		}}
		for i, op := range append(ops[at:len(ops):len(ops)], drain) {
			if a, b := op.apply(s), op.apply(r); !a.equal(b) {
				rt.Fatalf("call %d after the snapshot (%s) differs:\noriginal: %s\nrestored: %s", i, op.name, a, b)
			}
		}
		if s.StateHash() != r.StateHash() {
			rt.Fatalf("state hashes differ at the end (byte %d of the snapshots first differs)", firstByteDiff(s.Snapshot(), r.Snapshot()))
		}
	})
}

func firstByteDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

var (
	snapHosts = []netip.Addr{
		netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3"),
		netip.MustParseAddr("192.0.2.9"), // external
	}
	snapPorts = []uint16{80, 443, 81}
)

func drawSnapConfig(t *rapid.T) emulator.Config {
	cfg := emulator.Config{
		Seed:       rapid.Uint64().Draw(t, "seed"),
		Profile:    rapid.SampledFrom([]string{"rfc9293", "linux"}).Draw(t, "profile"),
		Delay:      time.Duration(rapid.IntRange(-1, 50).Draw(t, "delay-ms")) * time.Millisecond,
		LogLimit:   rapid.SampledFrom([]int{0, 5, 50}).Draw(t, "log-limit"),
		KeepClosed: rapid.SampledFrom([]int{0, 1, 3}).Draw(t, "keep-closed"),
		NoExternal: rapid.Bool().Draw(t, "no-external"),
	}
	if rapid.Bool().Draw(t, "fixed-iss") {
		v := seqnum.Value(rapid.Uint32().Draw(t, "iss"))
		cfg.FixedISS = &v
	}
	if rapid.Bool().Draw(t, "session-overrides") {
		// Small windows: zero windows and persist probes.
		d, mss := 40*time.Millisecond, uint16(rapid.IntRange(50, 1460).Draw(t, "session-mss"))
		rcv := uint32(rapid.IntRange(100, 4000).Draw(t, "session-rcv-buf"))
		cfg.Overrides = &emulator.Overrides{DelayedACK: &d, MSS: &mss, RcvBuf: &rcv}
	}
	return cfg
}

// snapOp is one call, with its arguments drawn once, applied alike to any
// session; apply returns everything the call made observable.
type snapOp struct {
	name  string
	apply func(s *emulator.Session) snapResult
}

// snapResult is a call's outcome: its events (compared field by field)
// and everything else it returned, as text.
type snapResult struct {
	text   string
	events []emulator.Event
}

func (a snapResult) equal(b snapResult) bool {
	return a.text == b.text && slices.Equal(a.events, b.events)
}

func (a snapResult) String() string {
	var b strings.Builder
	b.WriteString(a.text)
	for _, ev := range a.events {
		fmt.Fprintf(&b, "\n  %+v", ev)
	}
	return b.String()
}

func (o snapOp) String() string { return o.name }

// snapEP picks an endpoint by index among those the session has records
// of: the same one in two sessions in the same state.
func snapEP(s *emulator.Session, k int) emulator.EndpointID {
	ids := s.Endpoints()
	if len(ids) == 0 {
		return emulator.EndpointID(k%3 + 1)
	}
	return ids[k%len(ids)]
}

func snapAddr(h, p int) netip.AddrPort {
	return netip.AddrPortFrom(snapHosts[h%len(snapHosts)], snapPorts[p%len(snapPorts)])
}

func snapData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + n)
	}
	return b
}

// snapRecord keeps a call's outcome: a copy of its events (the slice is
// the session's own) and the rest as text.
func snapRecord(s *emulator.Session, what string, evs []emulator.Event, err error, extra ...any) snapResult {
	return snapResult{
		text:   fmt.Sprintf("%s → err=%v now=%v next=%d extra=%+v", what, err, s.Now(), s.NextSeq(), extra),
		events: slices.Clone(evs),
	}
}

// snapText is the outcome of a call that returns no events.
func snapText(format string, args ...any) snapResult {
	return snapResult{text: fmt.Sprintf(format, args...)}
}

func snapOpGen() *rapid.Generator[snapOp] {
	return rapid.Custom(func(t *rapid.T) snapOp {
		k := rapid.IntRange(0, 1000).Draw(t, "k")
		h, p := rapid.IntRange(0, 3).Draw(t, "host"), rapid.IntRange(0, 2).Draw(t, "port")
		switch kind := rapid.IntRange(0, 21).Draw(t, "kind"); kind {
		case 0:
			o := drawEndpointOptions(t)
			return snapOp{fmt.Sprintf("listen %v", snapAddr(h, p)), func(s *emulator.Session) snapResult {
				id, evs, err := s.Listen(snapAddr(h, p), o)
				return snapRecord(s, "listen", evs, err, id)
			}}
		case 1, 2, 3:
			from := netip.AddrPortFrom(snapHosts[k%3], 0)
			n := rapid.SampledFrom([]int{0, 0, 10, 3000}).Draw(t, "connect-data")
			o := drawEndpointOptions(t)
			return snapOp{fmt.Sprintf("connect %v → %v", from, snapAddr(h, p)), func(s *emulator.Session) snapResult {
				id, evs, err := s.Connect(from, snapAddr(h, p), snapData(n), o)
				return snapRecord(s, "connect", evs, err, id)
			}}
		case 4, 5:
			n := rapid.SampledFrom([]int{1, 100, 2000, 9000}).Draw(t, "send-size")
			return snapOp{"send", func(s *emulator.Session) snapResult {
				evs, err := s.Send(snapEP(s, k), snapData(n))
				return snapRecord(s, "send", evs, err)
			}}
		case 6, 7:
			return snapOp{"receive", func(s *emulator.Session) snapResult {
				data, eof, evs, err := s.Receive(snapEP(s, k), 1+k*37)
				return snapRecord(s, "receive", evs, err, data, eof)
			}}
		case 8:
			return snapOp{"close", func(s *emulator.Session) snapResult {
				evs, err := s.Close(snapEP(s, k))
				return snapRecord(s, "close", evs, err)
			}}
		case 9:
			return snapOp{"abort", func(s *emulator.Session) snapResult {
				evs, err := s.Abort(snapEP(s, k))
				return snapRecord(s, "abort", evs, err)
			}}
		case 10:
			return snapOp{"accept+status", func(s *emulator.Session) snapResult {
				id, err := s.Accept(snapEP(s, k))
				st, serr := s.Status(snapEP(s, k+1))
				return snapRecord(s, "accept", nil, err, id, st, serr)
			}}
		case 11:
			return snapOp{"open-active", func(s *emulator.Session) snapResult {
				evs, err := s.OpenActive(snapEP(s, k), snapAddr(h, p))
				return snapRecord(s, "open-active", evs, err)
			}}
		case 12, 13:
			return snapOp{"step", func(s *emulator.Session) snapResult {
				return snapRecord(s, "step", s.Step(), nil)
			}}
		case 14, 15:
			d := time.Duration(rapid.SampledFrom([]int{1, 10, 200, 1000, 70000, 300000}).Draw(t, "advance-ms")) * time.Millisecond
			bound := rapid.SampledFrom([]int{0, 3, 50}).Draw(t, "bound")
			return snapOp{fmt.Sprintf("advance %v", d), func(s *emulator.Session) snapResult {
				evs, err := s.AdvanceBy(d, bound)
				return snapRecord(s, "advance", evs, err)
			}}
		case 16:
			seg := tcp.Segment{
				Flags: tcp.Flags(rapid.Byte().Draw(t, "flags")), Window: rapid.Uint16().Draw(t, "window"),
				Payload: snapData(rapid.IntRange(0, 50).Draw(t, "payload")),
			}
			off := seqnum.Value(rapid.IntRange(-3000, 3000).Draw(t, "seq-off"))
			via := rapid.Bool().Draw(t, "via")
			return snapOp{"inject", func(s *emulator.Session) snapResult {
				// Aim near an endpoint's own 4-tuple and windows, so that
				// some land inside them.
				st, _ := s.Status(snapEP(s, k))
				src, dst := st.Remote, st.Local
				if !src.IsValid() || !dst.IsValid() {
					src, dst = snapAddr(h, p), snapAddr(h+1, p)
				}
				g := seg
				g.Seq, g.Ack = st.TCB.RcvNxt+off, st.TCB.SndNxt
				inject := s.Inject
				if via {
					inject = s.InjectVia
				}
				evs, err := inject(src, dst, g)
				return snapRecord(s, "inject", evs, err)
			}}
		case 17:
			return snapOp{"answer-external", func(s *emulator.Session) snapResult {
				var out snapResult
				for _, seg := range s.TakeExternal() {
					out.text += fmt.Sprintf("%#v\n", seg)
					if seg.Flags&(tcp.SYN|tcp.ACK) == tcp.SYN {
						reply := tcp.Segment{Flags: tcp.SYN | tcp.ACK, Seq: 5000, Ack: seg.End(), Window: 4096}
						evs, err := s.Inject(s.Addr(seg.Dst), s.Addr(seg.Src), reply)
						out.text += fmt.Sprintf("reply: %v\n", err)
						out.events = append(out.events, evs...)
					}
				}
				return out
			}}
		case 18:
			path := drawSnapPath(t)
			def := rapid.Bool().Draw(t, "default-path")
			del := rapid.IntRange(0, 5).Draw(t, "delete-path") == 0
			return snapOp{"path", func(s *emulator.Session) snapResult {
				a, b := snapHosts[h], snapHosts[(h+1+k)%len(snapHosts)]
				switch {
				case del:
					s.DeletePath(a, b)
					return snapText("delete-path")
				case def:
					return snapText("default-path %v", s.SetDefaultPath(path))
				}
				return snapText("path %v", s.SetPath(a, b, path))
			}}
		case 19, 20:
			f := drawSnapFault(t, h, p)
			remove := rapid.IntRange(0, 3).Draw(t, "remove-fault") == 0
			return snapOp{"fault", func(s *emulator.Session) snapResult {
				if remove {
					return snapText("remove-fault %v %+v", s.RemoveFault(emulator.FaultID(k%5+1)), s.Faults())
				}
				id, err := s.AddFault(f)
				return snapText("add-fault %d %v %+v", id, err, s.Faults())
			}}
		default:
			oneWay, heal := rapid.Bool().Draw(t, "one-way"), rapid.Bool().Draw(t, "heal")
			later := time.Duration(rapid.SampledFrom([]int{0, 0, 5, 1500}).Draw(t, "cut-later-ms")) * time.Millisecond
			return snapOp{"partition", func(s *emulator.Session) snapResult {
				a, b := snapHosts[h%3], snapHosts[(h+1+k)%3]
				fn := s.Partition
				if heal {
					fn = s.Heal
				}
				start := s.NextSeq()
				err := fn(a, b, oneWay, s.Now()+later)
				var evs []emulator.Event // a cut made now logs a link event
				if s.NextSeq() > start {
					evs = s.Events(start - 1)
				}
				out := snapText("partition %v %v", err, s.Partitioned(a, b))
				out.events = slices.Clone(evs)
				return out
			}}
		}
	})
}

func drawEndpointOptions(t *rapid.T) emulator.EndpointOptions {
	var o emulator.EndpointOptions
	switch rapid.IntRange(0, 5).Draw(t, "endpoint-options") {
	case 0:
		d := 40 * time.Millisecond
		mss := uint16(rapid.IntRange(100, 600).Draw(t, "ep-mss"))
		rcv := uint32(rapid.IntRange(50, 2000).Draw(t, "ep-rcv-buf"))
		o.Overrides = &emulator.Overrides{DelayedACK: &d, MSS: &mss, RcvBuf: &rcv}
	case 1:
		v := seqnum.Value(rapid.Uint32().Draw(t, "ep-iss"))
		o.ISS = &v
	case 2:
		o.Backlog = 1
	}
	return o
}

func drawSnapPath(t *rapid.T) emulator.Path {
	p := drawPath(t, "snap ")
	if rapid.Bool().Draw(t, "bandwidth") {
		p.Bandwidth = int64(rapid.IntRange(1000, 1_000_000).Draw(t, "bytes-per-s"))
	}
	return p
}

func drawSnapFault(t *rapid.T, h, p int) emulator.Fault {
	f := emulator.Fault{
		Name:   "f",
		Action: emulator.FaultAction(rapid.IntRange(1, 5).Draw(t, "action")),
		Nth:    rapid.IntRange(0, 3).Draw(t, "nth"),
		Count:  rapid.IntRange(0, 3).Draw(t, "count"),
		Flags:  rapid.SampledFrom([]tcp.Flags{0, tcp.SYN, tcp.ACK, tcp.FIN}).Draw(t, "fault-flags"),
		Delay:  time.Duration(rapid.IntRange(1, 300).Draw(t, "fault-delay-ms")) * time.Millisecond,
		Copies: rapid.IntRange(1, 3).Draw(t, "copies"),
		Behind: rapid.IntRange(0, 2).Draw(t, "behind"),
	}
	if rapid.Bool().Draw(t, "fault-from") {
		f.From = netip.AddrPortFrom(snapHosts[h%3], 0)
	}
	if rapid.Bool().Draw(t, "fault-len") {
		f.MatchLen, f.MinLen, f.MaxLen = true, 1, 1<<16
	}
	f.Spacing = time.Duration(p) * time.Millisecond
	return f
}
