package scenario

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// The addresses packetdrill's scripts assume: the endpoint under test is
// 192.168.0.1 and the script's remote TCP is 192.0.2.1. A listener's socket
// is bound to port 8080 and the remote connects from DefaultPeerPort; an
// active open connects to 192.0.2.1:8080.
var (
	LocalIP  = netip.MustParseAddr("192.168.0.1")
	RemoteIP = netip.MustParseAddr("192.0.2.1")
)

// Ports the scripts' sockets and the remote TCP use unless told otherwise.
const (
	DefaultPort     = 8080
	DefaultPeerPort = 40000
)

// RemoteISN is the script's own initial sequence number: an inbound
// segment's sequence numbers are written relative to it (the first inbound
// SYN has 0), as packetdrill does with the ISN it picks.
const RemoteISN seqnum.Value = 1_000_000

// maxWait bounds how far the clock runs looking for a "*" segment.
const maxWait = time.Hour

// MaxVirtualTime bounds the time any line may resolve to (about 31 years):
// far beyond any TCP timer, and far enough from time.Duration's limit that
// adding a line's time, a tolerance or maxWait to it cannot overflow.
const MaxVirtualTime = 1_000_000_000 * time.Second

// Options adjust a run.
type Options struct {
	// Profile is used when the script names none; empty means linux, the
	// profile packetdrill's scripts describe.
	Profile string
	// Seed is the session's seed.
	Seed uint64
	// Lang is the language of the explanation at a failure.
	Lang explain.Lang
	// MaxEvents bounds the run's event log; 0 means DefaultMaxEvents.
	MaxEvents int
}

// DefaultMaxEvents bounds a run's event log (about 600 MB at the bound, with
// the session's own log; measured on a stream of 1-octet segments): a few lines can
// make an endpoint send 65535 one-octet segments per line, and a grader's
// run must not run out of memory on one hostile script. The library's
// scripts make fewer than a hundred events each.
const DefaultMaxEvents = 1_000_000

// Run runs a parsed script against a fresh session from open and returns
// the verdict. A script that uses an unsupported feature is not run: the
// verdict lists every such line.
func Run(s *Script, file string, open Opener, opts Options) *Result {
	res := &Result{File: file, Name: filepath.Base(file), MaxPoints: s.Points, TotalLines: len(s.Events)}
	res.Profile = s.Profile
	if res.Profile == "" {
		res.Profile = opts.Profile
	}
	if res.Profile == "" {
		res.Profile = "linux"
	}
	res.Notes = append(res.Notes, s.Notes...)
	uns := append(append([]Unsupported(nil), s.Unsupported...), Check(s)...)
	if len(uns) > 0 {
		res.Status, res.Unsupported = StatusUnsupported, uns
		return res
	}
	if k, err := refusedKnob(res.Profile, s.Knobs); err != nil {
		res.Status = StatusError
		res.Failure = &Failure{Pos: k.Pos, Line: k.From, Message: fmt.Sprintf("%s: %v", k.From, err)}
		return res
	}
	d, err := open(SessionConfig{Profile: res.Profile, Knobs: KnobPairs(s.Knobs), Seed: opts.Seed})
	if err != nil {
		res.Status = StatusError
		res.Failure = &Failure{Message: "cannot set up the session: " + err.Error()}
		return res
	}
	r := newRunner(s, d, res)
	r.lang = opts.Lang
	r.maxEvents = opts.MaxEvents
	if r.maxEvents <= 0 {
		r.maxEvents = DefaultMaxEvents
	}
	r.run()
	res.Events, res.Addrs, res.Where = r.events, d, d.Where()
	res.Names = map[emulator.EndpointID]string{}
	for id, n := range d.Names() {
		res.Names[id] = n
	}
	for id, n := range r.names {
		res.Names[id] = n
	}
	res.VirtualTime = d.Now()
	if res.Status == StatusPassed {
		res.Points = res.MaxPoints
	}
	return res
}

// MaxScriptSize bounds a script (4 MiB): packetdrill's scripts are a few
// kilobytes, and a parsed script takes some forty times its size in memory.
const MaxScriptSize = 4 << 20

// ErrorResult is the verdict on a script that could not be read or run at
// all: an error, worth nothing.
func ErrorResult(file string, opts Options, err error) *Result {
	profile := opts.Profile
	if profile == "" {
		profile = "linux"
	}
	return &Result{File: file, Name: filepath.Base(file), Status: StatusError, MaxPoints: 1, Profile: profile,
		Failure: &Failure{Message: err.Error()}}
}

// refusedKnob finds the first knob that makes the profile invalid (an MSS
// of 0, an RTO minimum above its maximum), so that the error names its line.
func refusedKnob(profile string, ks []Knob) (Knob, error) {
	base, err := emulator.LookupProfile(profile)
	if err != nil {
		return Knob{}, nil // the driver reports an unknown profile
	}
	for i, k := range ks {
		o, err := Overrides(ks[:i+1])
		if err == nil {
			cfg := base
			err = o.Apply(&cfg)
		}
		if err != nil {
			return k, err
		}
	}
	return Knob{}, nil
}

// RunFile parses and runs one script's text.
func RunFile(file string, src []byte, open Opener, opts Options) *Result {
	if len(src) > MaxScriptSize {
		return ErrorResult(file, opts, fmt.Errorf("the script is larger than %d MiB", MaxScriptSize>>20))
	}
	s, err := Parse(file, string(src))
	if err != nil {
		res := &Result{File: file, Name: filepath.Base(file), Status: StatusError, MaxPoints: 1, Profile: opts.Profile}
		var pe ParseErrors
		if errors.As(err, &pe) && len(pe) > 0 {
			res.Failure = &Failure{Pos: pe[0].Pos, Message: "parse error: " + pe[0].Msg, Actual: pe.Error()}
		} else {
			res.Failure = &Failure{Message: err.Error()}
		}
		return res
	}
	return Run(s, file, open, opts)
}

// tuple is a connection's address pair, local side first.
type tuple struct{ local, remote netip.AddrPort }

// outSeg is a segment the endpoint sent to the script's host, not yet
// matched by a ">" line.
type outSeg struct {
	h    emulator.SegmentHeader
	t    tuple
	at   time.Duration
	rule tcp.Rule // the rule that sent it (from the KindSegmentSent before it)
}

// mismatch is a failure found while running a line.
type mismatch struct{ f Failure }

func (m *mismatch) Error() string { return m.f.Message }

// unsupportedErr stops a run at a feature only found while running.
type unsupportedErr struct{ what string }

func (u *unsupportedErr) Error() string { return "unsupported: " + u.what }

type runner struct {
	s   *Script
	d   Driver
	res *Result
	tol time.Duration
	cfg tcp.Config // the profile with the script's knobs, for getsockopt

	base       time.Duration // the time relative event times count from
	prevBase   time.Duration // base before the current line (a blocking call's "...T" counts from it)
	pendingMax int           // a blocking read's size
	line       *Event
	events     []emulator.Event
	lastRul    map[emulator.EndpointID]tcp.Rule // each endpoint's last sending rule
	queue      []outSeg
	iss        map[tuple]seqnum.Value
	epOf       map[tuple]emulator.EndpointID
	parent     map[emulator.EndpointID]emulator.EndpointID
	sigErr     map[emulator.EndpointID]tcp.Error // errors signalled, not yet reported by a call
	epState    map[emulator.EndpointID]tcp.State // each endpoint's state, from the events
	epFrom     map[emulator.EndpointID]tcp.State // and the state before it
	fds        map[int]*socket
	live       tuple
	pending    *blocking
	noted      map[string]bool
	wscale     map[tuple]uint32               // window scale the script's SYN offered, per connection
	names      map[emulator.EndpointID]string // \"fd3\": the socket an endpoint was opened or accepted as
	lang       explain.Lang
	maxEvents  int  // the bound on events, checked after every line
	blocked    bool // the current line's call went through block()
}

func newRunner(s *Script, d Driver, res *Result) *runner {
	r := &runner{
		s: s, d: d, res: res, tol: s.Tolerance,
		lastRul: map[emulator.EndpointID]tcp.Rule{},
		iss:     map[tuple]seqnum.Value{}, epOf: map[tuple]emulator.EndpointID{},
		parent: map[emulator.EndpointID]emulator.EndpointID{}, sigErr: map[emulator.EndpointID]tcp.Error{},
		epState: map[emulator.EndpointID]tcp.State{}, epFrom: map[emulator.EndpointID]tcp.State{},
		fds: map[int]*socket{}, noted: map[string]bool{}, wscale: map[tuple]uint32{},
		names: map[emulator.EndpointID]string{},
	}
	r.cfg, _ = emulator.LookupProfile(res.Profile)
	if o, err := Overrides(s.Knobs); err == nil && o != nil {
		_ = o.Apply(&r.cfg)
	}
	r.live = tuple{netip.AddrPortFrom(LocalIP, DefaultPort), netip.AddrPortFrom(RemoteIP, DefaultPeerPort)}
	return r
}

// run executes every line; the first failure ends it.
func (r *runner) run() {
	r.res.Status = StatusPassed
	for _, ev := range r.s.Events {
		r.line = ev
		err := r.step(ev)
		if err == nil {
			err = r.bounded()
		}
		if err == nil {
			r.res.Lines++
			continue
		}
		r.stop(ev, err)
		return
	}
	r.line = nil
	err := r.finish()
	if err == nil {
		err = r.bounded()
	}
	if err != nil {
		r.stop(nil, err)
	}
}

// bounded stops a run whose event log passed the bound.
func (r *runner) bounded() error {
	if len(r.events) > r.maxEvents {
		return fmt.Errorf("the run made more than %d events (the runner's bound)", r.maxEvents)
	}
	return nil
}

func (r *runner) stop(ev *Event, err error) {
	var m *mismatch
	var u *unsupportedErr
	switch {
	case errors.As(err, &m):
		r.res.Status, r.res.Failure = StatusFailed, &m.f
	case errors.As(err, &u):
		var pos Pos
		if ev != nil {
			pos = ev.Pos
		}
		r.res.Status = StatusUnsupported
		r.res.Unsupported = append(r.res.Unsupported, Unsupported{Pos: pos, What: u.what})
		return
	default:
		r.res.Status, r.res.Failure = StatusError, &Failure{Message: err.Error()}
	}
	if ev != nil && r.res.Failure.Line == "" {
		r.res.Failure.Pos, r.res.Failure.Line = ev.Pos, ev.Text
	}
	r.res.Failure.Time = r.d.Now()
}

// fail builds a mismatch at the current line.
func (r *runner) fail(msg, expected, actual string) error {
	return &mismatch{Failure{Message: msg, Expected: expected, Actual: actual}}
}

// why attaches the rule behind what the endpoint did to a mismatch.
func (r *runner) why(err error, rule tcp.Rule) error {
	var m *mismatch
	if rule != tcp.RuleNone && errors.As(err, &m) && m.f.Rule == "" {
		m.f.Rule, m.f.Section, m.f.Explanation = rule.Name(), rule.Section(), explain.Rule(rule, r.lang)
	}
	return err
}

// lastTransition is the rule of ep's most recent state change.
func (r *runner) lastTransition(ep emulator.EndpointID) tcp.Rule {
	for i := len(r.events) - 1; i >= 0; i-- {
		if ev := &r.events[i]; ev.Kind == emulator.KindStateChanged && ev.Endpoint == ep {
			return ev.Rule
		}
	}
	return tcp.RuleNone
}

// when resolves a line's time against the base.
func (r *runner) when(t Time) (at, lo, hi time.Duration) {
	switch t.Kind {
	case TimeRelative:
		at = r.base + t.At
		return at, at - r.tol, at + r.tol
	case TimeAbsolute:
		return t.At, t.At - r.tol, t.At + r.tol
	case TimeRelativeRange:
		return r.base + t.At, r.base + t.At - r.tol, r.base + t.End + r.tol
	case TimeAbsoluteRange:
		return t.At, t.At - r.tol, t.End + r.tol
	}
	return r.d.Now(), r.d.Now(), r.d.Now() + maxWait
}

func (r *runner) step(ev *Event) error {
	at, lo, hi := r.when(ev.Time)
	end := hi
	if be := ev.Time.BlockEnd; be != nil {
		end = max(end, r.base+*be)
	}
	if at > MaxVirtualTime || end > MaxVirtualTime {
		return fmt.Errorf("the line's time (%v) is beyond the runner's bound of %v of virtual time", max(at, end), MaxVirtualTime)
	}
	if ev.Kind == EventPacket && !ev.Packet.Inbound {
		return r.outbound(ev, at, lo, hi)
	}
	if at < r.d.Now() {
		// A line may not go back in time (an absolute time before the
		// clock, as after a late blocking call).
		at = r.d.Now()
	}
	if err := r.advance(at); err != nil {
		return err
	}
	if err := r.unexpected(at); err != nil {
		return err
	}
	r.prevBase, r.base = r.base, at
	switch ev.Kind {
	case EventPacket:
		return r.inbound(ev)
	case EventState:
		return r.state(ev)
	default:
		return r.timedSyscall(ev, at)
	}
}

// advance runs the clock to t, including what is due at t itself (a
// segment sent at this instant reaches the script's host at once). While a
// blocking call waits it goes one pending item at a time, so that the call
// returns at the exact instant.
func (r *runner) advance(t time.Duration) error {
	if t < r.d.Now() {
		t = r.d.Now()
	}
	for {
		if r.pending != nil {
			if err := r.checkPending(); err != nil {
				return err
			}
		}
		evs, err := r.d.Advance(t, r.pending != nil)
		if err != nil {
			return fmt.Errorf("advance the clock to %v: %w", t, err)
		}
		r.see(evs)
		if len(evs) == 0 && r.d.Now() >= t {
			if r.pending != nil {
				return r.checkPending()
			}
			return nil
		}
	}
}

// unexpected fails on a segment the endpoint sent that no ">" line
// described before time t (less the tolerance): the script walked past it.
func (r *runner) unexpected(t time.Duration) error {
	if len(r.queue) == 0 || r.queue[0].at >= t-r.tol {
		return nil
	}
	o := r.queue[0]
	return r.why(r.fail(
		fmt.Sprintf("the endpoint sent %s at %v, which no line of the script expects", r.segText(o), o.at),
		"no segment before this line", r.segText(o)), o.rule)
}

// finish ends a run that went through every line.
func (r *runner) finish() error {
	if p := r.pending; p != nil && p.has {
		// Like packetdrill, wait for a blocking call still in progress.
		if err := r.advance(p.end + r.tol); err != nil {
			return err
		}
	}
	if p := r.pending; p != nil {
		return r.at(r.fail(fmt.Sprintf("the blocking %s() of line %s never returned", p.name, p.ev.Pos),
			fmt.Sprintf("%s() returns by %v", p.name, p.end), "still blocked at the end of the script"), p.ev)
	}
	// Deliver what the last line sent at its own instant, to list it.
	if err := r.advance(r.d.Now()); err != nil {
		return err
	}
	if err := r.unexpected(r.base); err != nil {
		return err
	}
	for _, o := range r.queue {
		r.res.Notes = append(r.res.Notes, Note{Text: fmt.Sprintf("not checked: %s sent at %v, after the script's last line", r.segText(o), o.at)})
	}
	return nil
}

// see takes in events: it keeps them for the report and learns what the
// runner tracks — segments for the script's host, ISNs, forks, errors.
func (r *runner) see(evs []emulator.Event) {
	for i := range evs {
		ev := &evs[i]
		r.events = append(r.events, *ev)
		switch ev.Kind {
		case emulator.KindSegmentSent:
			if ev.Endpoint != 0 {
				r.lastRul[ev.Endpoint] = ev.Rule
				r.epOf[tuple{r.d.Addr(ev.Seg.Src), r.d.Addr(ev.Seg.Dst)}] = ev.Endpoint
			} else {
				r.lastRul[0] = ev.Rule
			}
		case emulator.KindSegmentDelivered:
			if ev.Endpoint != 0 {
				t := tuple{r.d.Addr(ev.Seg.Dst), r.d.Addr(ev.Seg.Src)}
				if _, ok := r.epOf[t]; !ok || r.parent[ev.Endpoint] != 0 {
					r.epOf[t] = ev.Endpoint
				}
			}
		case emulator.KindSegmentExternal:
			t := tuple{r.d.Addr(ev.Seg.Src), r.d.Addr(ev.Seg.Dst)}
			if ev.Seg.Flags&tcp.SYN != 0 {
				r.iss[t] = ev.Seg.Seq
			}
			rule := r.lastRul[r.epOf[t]]
			if ev.Endpoint == 0 && r.epOf[t] == 0 {
				rule = r.lastRul[0]
			}
			r.queue = append(r.queue, outSeg{h: ev.Seg, t: t, at: ev.Time, rule: rule})
		case emulator.KindEndpointCreated:
			if ev.Value != 0 {
				r.parent[ev.Endpoint] = emulator.EndpointID(ev.Value)
			}
		case emulator.KindStateChanged:
			r.epFrom[ev.Endpoint], r.epState[ev.Endpoint] = ev.From, ev.To
		case emulator.KindSignal:
			r.signal(ev.Endpoint, ev.Err)
		}
	}
}

// signal keeps an error the TCP signalled for the next call to report,
// as Linux keeps sk_err. Only errors that end the connection count ("connection
// closing" on a FIN is end of stream, not an error), and a reset in
// SYN-SENT is "connection refused", as Linux's tcp_reset reports it.
func (r *runner) signal(ep emulator.EndpointID, e tcp.Error) {
	switch e {
	case tcp.ErrConnectionReset:
		if r.epState[ep] == tcp.SynSent || (r.epState[ep] == tcp.Closed && r.epFrom[ep] == tcp.SynSent) {
			e = tcp.ErrConnectionRefused
		}
	case tcp.ErrConnectionRefused, tcp.ErrTimedOut, tcp.ErrUserTimeout:
	default:
		return
	}
	r.sigErr[ep] = e
}

// endpointOf finds the endpoint of a connection's tuple.
func (r *runner) endpointOf(t tuple) emulator.EndpointID { return r.epOf[t] }

// target resolves a line's selector to a tuple.
func (r *runner) target(sel Selector) (tuple, error) {
	t := r.live
	if sel.FD != 0 {
		s, ok := r.fds[sel.FD]
		if !ok {
			return t, r.fail(fmt.Sprintf("on %d: no such socket", sel.FD), "an open socket", "none")
		}
		t = s.tuple()
	}
	if sel.Peer != 0 {
		t.remote = netip.AddrPortFrom(t.remote.Addr(), uint16(sel.Peer))
	}
	return t, nil
}

// state checks "~ state NAME".
func (r *runner) state(ev *Event) error {
	want, _ := parseState(ev.State)
	var ep emulator.EndpointID
	if ev.On.FD != 0 && ev.On.Peer == 0 {
		s, ok := r.fds[ev.On.FD]
		if !ok || s.ep == 0 {
			return r.fail(fmt.Sprintf("~ state: socket %d has no endpoint", ev.On.FD), want.String(), "no endpoint")
		}
		ep = s.ep
	} else {
		t, err := r.target(ev.On)
		if err != nil {
			return err
		}
		ep = r.endpointOf(t)
		if ep == 0 && ev.On.Peer != 0 {
			return r.fail(fmt.Sprintf("~ state: no connection with the script's port %d", ev.On.Peer), want.String(), "no connection")
		}
		if ep == 0 {
			ep = r.lastSocketEndpoint()
		}
	}
	if ep == 0 {
		return r.fail("~ state: no endpoint to check yet", want.String(), "no endpoint")
	}
	st, err := r.d.Status(ep)
	if err != nil {
		return fmt.Errorf("status of endpoint %d: %w", ep, err)
	}
	if st.State != want {
		return r.why(r.fail(fmt.Sprintf("expected state %s, the endpoint is in %s", want, st.State), want.String(), st.State.String()),
			r.lastTransition(ep))
	}
	return nil
}

// lastSocketEndpoint is the endpoint of the most recently opened socket.
func (r *runner) lastSocketEndpoint() emulator.EndpointID {
	best, bestFD := emulator.EndpointID(0), -1
	for fd, s := range r.fds {
		if s.ep != 0 && fd > bestFD {
			best, bestFD = s.ep, fd
		}
	}
	return best
}
