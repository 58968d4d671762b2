package emulator_test

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// FuzzClockOperations decodes a byte string into a session's setup and a
// sequence of Step / AdvanceBy / AdvanceTo / RunUntilIdle(bound) / Inject /
// Send / Close (and Connect, Receive, Abort) calls, and checks after each:
//
//   - no panic, and the clock never goes back;
//   - a call returns exactly the events it appended to the log, numbered
//     consecutively, with times that never decrease and never pass the clock;
//   - AdvanceTo into the past (and AdvanceBy with a negative duration)
//     returns ErrTimeInPast and changes nothing: no event, the same clock,
//     schedule and endpoints;
//   - AdvanceTo(t) without error leaves the clock at t and nothing due at or
//     before it; with ErrStepLimit the clock stays at or before t;
//   - Step runs the next item at its time; RunUntilIdle without error leaves
//     nothing pending;
//   - no armed timer is due before the clock, and SND.UNA =< SND.NXT on
//     every endpoint.
func FuzzClockOperations(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		c := newClockFuzz(t, in)
		for n := 0; c.r.more() && n < 200; n++ {
			c.op()
		}
	})
}

var (
	cfServer = netip.MustParseAddrPort("10.0.0.1:80")
	cfClient = netip.MustParseAddrPort("10.0.0.2:0")
	// Addresses an injected segment may use: the listener, the clients'
	// first ephemeral ports, a closed port and an external host.
	cfAddrs = []netip.AddrPort{
		cfServer,
		netip.MustParseAddrPort("10.0.0.2:49152"), netip.MustParseAddrPort("10.0.0.2:49153"),
		netip.MustParseAddrPort("10.0.0.1:81"), netip.MustParseAddrPort("192.0.2.7:80"),
	}
)

type clockFuzz struct {
	t       *testing.T
	s       *emulator.Session
	r       fuzzBytes
	eps     []emulator.EndpointID
	log     []string
	nextSeq uint64
	last    time.Duration // the time of the last event seen
}

func newClockFuzz(t *testing.T, in []byte) *clockFuzz {
	c := &clockFuzz{t: t, r: fuzzBytes{b: in}}
	setup := c.r.byte()
	cfg := emulator.Config{Seed: uint64(c.r.uint16()), Profile: "rfc9293"}
	if setup&1 != 0 {
		cfg.Profile = "linux"
	}
	// Delays from 0 (every delivery due at once) to 255 ms.
	cfg.Delay = time.Duration(c.r.byte()) * time.Millisecond
	if cfg.Delay == 0 {
		cfg.Delay = -1
	}
	if setup&2 != 0 {
		d := 100 * time.Millisecond
		cfg.Overrides = &emulator.Overrides{DelayedACK: &d}
	}
	var err error
	if c.s, err = emulator.New(cfg); err != nil {
		t.Fatalf("New: %v", err)
	}
	c.logf("session %+v", cfg)
	c.call("listen", func() ([]emulator.Event, error) {
		id, evs, err := c.s.Listen(cfServer, emulator.EndpointOptions{})
		c.eps = append(c.eps, id)
		return evs, err
	})
	for i := 0; i < int(setup>>2&3); i++ {
		c.connect()
	}
	return c
}

func (c *clockFuzz) connect() {
	n := int(c.r.byte()) * 16
	c.call(fmt.Sprintf("connect data=%d", n), func() ([]emulator.Event, error) {
		id, evs, err := c.s.Connect(cfClient, cfServer, make([]byte, n), emulator.EndpointOptions{})
		if err == nil {
			c.eps = append(c.eps, id)
		}
		return evs, err
	})
}

// ep picks a known endpoint (a listener's children are learnt from events).
func (c *clockFuzz) ep() emulator.EndpointID {
	if len(c.eps) == 0 {
		return 1
	}
	return c.eps[int(c.r.byte())%len(c.eps)]
}

// duration reads a duration: mostly around the protocol's own scales, at
// times huge.
func (c *clockFuzz) duration() time.Duration {
	v := time.Duration(c.r.uint16())
	switch c.r.byte() % 4 {
	case 0:
		return v * time.Microsecond
	case 1:
		return v * time.Millisecond
	case 2:
		return v * time.Second
	default:
		return v * time.Minute
	}
}

func (c *clockFuzz) op() {
	s := c.s
	switch code := c.r.byte(); code % 10 {
	case 0:
		at, pending := s.NextAt()
		before := s.Now()
		evs := c.call("step", func() ([]emulator.Event, error) { return s.Step(), nil })
		if pending && s.Now() != max(at, before) {
			c.fail("Step ran the item due at %v but the clock is at %v", at, s.Now())
		}
		if pending && len(evs) == 0 {
			c.fail("Step ran an item and reported no event")
		}
		if !pending && (len(evs) > 0 || s.Now() != before) {
			c.fail("Step with nothing pending changed something")
		}
	case 1:
		d, bound := c.duration(), c.bound()
		if code&0x80 != 0 {
			d = -d - 1
		}
		c.advance(fmt.Sprintf("advance by=%v max=%d", d, bound), s.Now()+d, bound, func() ([]emulator.Event, error) { return s.AdvanceBy(d, bound) })
	case 2:
		d, bound := c.duration(), c.bound()
		to := s.Now() + d
		switch {
		case code&0x80 != 0:
			to = s.Now() - d - 1 // into the past
		case code&0x40 != 0:
			to = math.MaxInt64 - d // near the end of virtual time
		}
		c.advance(fmt.Sprintf("advance to=%v max=%d", to, bound), to, bound, func() ([]emulator.Event, error) { return s.AdvanceTo(to, bound) })
	case 3:
		bound := 1 + int(c.r.byte())
		_, err := c.callErr(fmt.Sprintf("run max=%d", bound), func() ([]emulator.Event, error) { return s.RunUntilIdle(bound) })
		_, pending := s.NextAt()
		switch {
		case err == nil && pending:
			c.fail("RunUntilIdle returned without error with items pending")
		case errors.Is(err, emulator.ErrStepLimit) && !pending:
			c.fail("RunUntilIdle hit its bound with nothing pending")
		case err != nil && !errors.Is(err, emulator.ErrStepLimit):
			c.fail("RunUntilIdle: %v", err)
		}
	case 4, 5:
		c.inject()
	case 6:
		id, n := c.ep(), int(c.r.byte())*8
		c.callErr(fmt.Sprintf("send ep%d %d", id, n), func() ([]emulator.Event, error) { return s.Send(id, make([]byte, n)) })
	case 7:
		id := c.ep()
		c.callErr(fmt.Sprintf("close ep%d", id), func() ([]emulator.Event, error) { return s.Close(id) })
	case 8:
		id, max := c.ep(), 1+int(c.r.byte())*64
		c.callErr(fmt.Sprintf("receive ep%d %d", id, max), func() ([]emulator.Event, error) {
			_, _, evs, err := s.Receive(id, max)
			return evs, err
		})
	default:
		if code&0x80 != 0 {
			id := c.ep()
			c.callErr(fmt.Sprintf("abort ep%d", id), func() ([]emulator.Event, error) { return s.Abort(id) })
		} else if len(c.eps) < 6 {
			c.connect()
		}
	}
}

// bound is a step bound for a clock call. It is never 0 (unbounded): two
// endpoints that each find the other's ACK unacceptable answer it with an
// ACK for ever, as RFC 9293 §3.10.7.4 says to (an "ACK war"; a segment
// injected with its own address as source starts one), and with a zero path
// delay that war never lets the clock move on.
func (c *clockFuzz) bound() int { return 1 + int(c.r.byte())*4 }

// advance runs AdvanceTo/AdvanceBy and checks what it promises.
func (c *clockFuzz) advance(what string, to time.Duration, bound int, fn func() ([]emulator.Event, error)) {
	s := c.s
	if to < s.Now() {
		before := c.snapshot()
		evs, err := fn()
		c.logf("%s → %d events, %v", what, len(evs), err)
		if !errors.Is(err, emulator.ErrTimeInPast) || len(evs) != 0 {
			c.fail("%s into the past: %d events, %v; want ErrTimeInPast and none", what, len(evs), err)
		}
		if after := c.snapshot(); !reflect.DeepEqual(before, after) {
			c.fail("%s into the past changed the session:\nbefore %+v\nafter  %+v", what, before, after)
		}
		c.check()
		return
	}
	_, err := c.callErr(what, fn)
	next, pending := s.NextAt()
	switch {
	case err == nil:
		if s.Now() != to {
			c.fail("%s: clock at %v", what, s.Now())
		}
		if pending && next <= to {
			c.fail("%s: an item due at %v is still pending", what, next)
		}
	case errors.Is(err, emulator.ErrStepLimit):
		if s.Now() > to || !pending || next > to {
			c.fail("%s: step limit with clock %v, next item %v (pending %v)", what, s.Now(), next, pending)
		}
	default:
		c.fail("%s: %v", what, err)
	}
}

// inject delivers a fuzzer-made segment, its numbers mostly relative to
// an endpoint's TCB.
func (c *clockFuzz) inject() {
	src, dst := cfAddrs[int(c.r.byte())%len(cfAddrs)], cfAddrs[int(c.r.byte())%len(cfAddrs)]
	var tcb tcp.TCB
	if st, err := c.s.Status(c.ep()); err == nil {
		tcb = st.TCB
		if c.r.byte()&1 != 0 && st.Local.IsValid() && st.Remote.IsValid() {
			src, dst = st.Remote, st.Local // aim at the connection itself
		}
	}
	seg := tcp.Segment{Flags: tcp.Flags(c.r.byte()), Window: c.r.uint16()}
	off := seqnum.Value(int32(int16(c.r.uint16())))
	seg.Seq, seg.Ack = tcb.RcvNxt+off, tcb.SndUna+seqnum.Value(int32(int8(c.r.byte())))
	seg.Payload = make([]byte, int(c.r.byte())*4)
	if seg.Flags&tcp.SYN != 0 {
		seg.Options.MSS = c.r.uint16()
	}
	c.callErr(fmt.Sprintf("inject %v → %v %v", src, dst, &seg), func() ([]emulator.Event, error) { return c.s.Inject(src, dst, seg) })
}

func (c *clockFuzz) call(what string, fn func() ([]emulator.Event, error)) []emulator.Event {
	evs, err := c.callErr(what, fn)
	if err != nil {
		c.fail("%s: %v", what, err)
	}
	return evs
}

// callErr runs one call: the events it returns must be exactly those it
// appended to the log.
func (c *clockFuzz) callErr(what string, fn func() ([]emulator.Event, error)) ([]emulator.Event, error) {
	s := c.s
	start, now := s.NextSeq(), s.Now()
	evs, err := fn()
	c.logf("t=%v %s → %d events, %v", now, what, len(evs), err)
	if s.Now() < now {
		c.fail("%s: the clock went back from %v to %v", what, now, s.Now())
	}
	logged := s.Events(start - 1)
	if start == 0 {
		logged = s.AllEvents()
	}
	if uint64(len(evs)) != s.NextSeq()-start || len(logged) != len(evs) {
		c.fail("%s: returned %d events, the log grew by %d", what, len(evs), s.NextSeq()-start)
	}
	for i := range evs {
		if evs[i] != logged[i] {
			c.fail("%s: returned event %d differs from the log's:\n%+v\n%+v", what, i, evs[i], logged[i])
		}
	}
	c.check()
	return evs, err
}

type clockSnapshot struct {
	Now      time.Duration
	NextSeq  uint64
	Pending  int
	NextAt   time.Duration
	Statuses []emulator.Status
}

func (c *clockFuzz) snapshot() clockSnapshot {
	snap := clockSnapshot{Now: c.s.Now(), NextSeq: c.s.NextSeq(), Pending: c.s.Pending()}
	snap.NextAt, _ = c.s.NextAt()
	for _, id := range c.s.Endpoints() {
		st, _ := c.s.Status(id)
		snap.Statuses = append(snap.Statuses, st)
	}
	return snap
}

// check verifies the log's order and every endpoint's clock-related state.
func (c *clockFuzz) check() {
	s := c.s
	for _, ev := range s.Events(c.nextSeq - 1) {
		if c.nextSeq != 0 && ev.Seq != c.nextSeq || c.nextSeq == 0 && ev.Seq != 0 {
			c.fail("event seq %d after %d", ev.Seq, c.nextSeq-1)
		}
		if ev.Time < c.last || ev.Time > s.Now() {
			c.fail("event %d at %v: previous at %v, clock at %v", ev.Seq, ev.Time, c.last, s.Now())
		}
		c.nextSeq, c.last = ev.Seq+1, ev.Time
		if ev.Kind == emulator.KindEndpointCreated && ev.Value != 0 {
			c.eps = append(c.eps, ev.Endpoint) // a listener's child
		}
	}
	for _, id := range s.Endpoints() {
		st, err := s.Status(id)
		if err != nil {
			c.fail("Status(ep%d): %v", id, err)
		}
		for tm, at := range st.Timers {
			if time.Duration(at) < s.Now() {
				c.fail("ep%d: %v timer due at %v, clock at %v", id, tm, time.Duration(at), s.Now())
			}
		}
		if !st.TCB.SndUna.LessThanEq(st.TCB.SndNxt) {
			c.fail("ep%d (%v): SND.UNA=%d > SND.NXT=%d", id, st.State, st.TCB.SndUna, st.TCB.SndNxt)
		}
	}
	s.TakeExternal()
}

func (c *clockFuzz) logf(format string, args ...any) {
	c.log = append(c.log, fmt.Sprintf(format, args...))
}

func (c *clockFuzz) fail(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf(format+"\ncalls:\n%s", append(args, strings.Join(c.log, "\n"))...)
}

// fuzzBytes reads a fuzz input; past its end every read is zero.
type fuzzBytes struct {
	b []byte
}

func (r *fuzzBytes) more() bool { return len(r.b) > 0 }

func (r *fuzzBytes) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *fuzzBytes) uint16() uint16 { return uint16(r.byte())<<8 | uint16(r.byte()) }
