package scenario

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// Driver is what the runner needs of a session: the emulator in-process
// (NewLocal) or an emud over gRPC. Every call returns the events it caused
// as the emulator records them (a remote driver converts the API's), and
// call errors are the emulator's typed errors (tcp.Error,
// emulator.ErrAddressInUse, …) so that errno mapping is the same in both
// modes.
type Driver interface {
	// Listen opens a listener (bind + listen).
	Listen(local netip.AddrPort, knobs []string, backlog int) (emulator.EndpointID, []emulator.Event, error)
	// Connect opens a connection from local (port 0: an ephemeral port) to
	// remote, sending the SYN.
	Connect(local, remote netip.AddrPort, knobs []string) (emulator.EndpointID, []emulator.Event, error)
	// Accept hands over the oldest established child of a listener not yet
	// accepted; ok is false when there is none.
	Accept(listener emulator.EndpointID) (id emulator.EndpointID, ok bool, err error)
	Send(id emulator.EndpointID, data []byte) ([]emulator.Event, error)
	Receive(id emulator.EndpointID, max int) (n int, eof bool, evs []emulator.Event, err error)
	Close(id emulator.EndpointID) ([]emulator.Event, error)
	Abort(id emulator.EndpointID) ([]emulator.Event, error)
	// Inject delivers a segment from src to dst at the current time.
	Inject(src, dst netip.AddrPort, seg tcp.Segment) ([]emulator.Event, error)
	// Advance runs the clock to t, or only to the next pending item when
	// that comes first and next is set.
	Advance(t time.Duration, next bool) ([]emulator.Event, error)
	// Now is the virtual clock.
	Now() time.Duration
	// Status reports an endpoint.
	Status(id emulator.EndpointID) (EndpointStatus, error)
	// Addresser resolves the address handles in the events.
	explain.Addresser
	// Names are display names of endpoints (may be nil).
	Names() map[emulator.EndpointID]string
	// Where names the session for a report ("in-process", or emud's
	// session name, kept for inspection).
	Where() string
}

// EndpointStatus is what the runner asks of an endpoint.
type EndpointStatus struct {
	State     tcp.State
	Local     netip.AddrPort
	RcvQueued int
	SndMSS    int // the most payload the endpoint puts in one segment
}

// SessionConfig is how a driver's session is set up.
type SessionConfig struct {
	Profile string
	Knobs   []string // name=value
	Seed    uint64
}

// Opener makes a driver for one script's run.
type Opener func(SessionConfig) (Driver, error)

// local runs scripts in-process against an emulator.Session.
type local struct {
	s *emulator.Session
}

// NewLocal is the in-process Opener.
func NewLocal(cfg SessionConfig) (Driver, error) {
	o, err := overridesOf(cfg.Knobs)
	if err != nil {
		return nil, err
	}
	// Delay -1: segments reach the script's host the moment they are sent,
	// as on packetdrill's tun device.
	s, err := emulator.New(emulator.Config{Seed: cfg.Seed, Profile: cfg.Profile, Overrides: o, Delay: -1})
	if err != nil {
		return nil, err
	}
	return &local{s: s}, nil
}

// overridesOf parses name=value knob pairs.
func overridesOf(pairs []string) (*emulator.Overrides, error) {
	ks := make([]Knob, 0, len(pairs))
	for _, p := range pairs {
		n, v, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("knob %q: want name=value", p)
		}
		ks = append(ks, Knob{Name: n, Value: v})
	}
	return Overrides(ks)
}

func (l *local) Listen(local netip.AddrPort, knobs []string, backlog int) (emulator.EndpointID, []emulator.Event, error) {
	o, err := overridesOf(knobs)
	if err != nil {
		return 0, nil, err
	}
	return l.s.Listen(local, emulator.EndpointOptions{Overrides: o, Backlog: backlog})
}

func (l *local) Connect(local, remote netip.AddrPort, knobs []string) (emulator.EndpointID, []emulator.Event, error) {
	o, err := overridesOf(knobs)
	if err != nil {
		return 0, nil, err
	}
	return l.s.Connect(local, remote, nil, emulator.EndpointOptions{Overrides: o})
}

func (l *local) Accept(listener emulator.EndpointID) (emulator.EndpointID, bool, error) {
	id, err := l.s.Accept(listener)
	if errors.Is(err, emulator.ErrNothingAccepted) {
		return 0, false, nil
	}
	return id, err == nil, err
}

func (l *local) Send(id emulator.EndpointID, data []byte) ([]emulator.Event, error) {
	return l.s.Send(id, data)
}

func (l *local) Receive(id emulator.EndpointID, max int) (int, bool, []emulator.Event, error) {
	data, eof, evs, err := l.s.Receive(id, max)
	return len(data), eof, evs, err
}

func (l *local) Close(id emulator.EndpointID) ([]emulator.Event, error) { return l.s.Close(id) }
func (l *local) Abort(id emulator.EndpointID) ([]emulator.Event, error) { return l.s.Abort(id) }

func (l *local) Inject(src, dst netip.AddrPort, seg tcp.Segment) ([]emulator.Event, error) {
	return l.s.Inject(src, dst, seg)
}

func (l *local) Advance(t time.Duration, next bool) ([]emulator.Event, error) {
	if next {
		if at, ok := l.s.NextAt(); ok && at < t {
			t = at
		}
	}
	if t < l.s.Now() {
		t = l.s.Now()
	}
	return l.s.AdvanceTo(t, 0)
}

func (l *local) Now() time.Duration { return l.s.Now() }

func (l *local) Status(id emulator.EndpointID) (EndpointStatus, error) {
	st, err := l.s.Status(id)
	if err != nil {
		return EndpointStatus{}, err
	}
	return EndpointStatus{State: st.State, Local: st.Local, RcvQueued: st.TCB.RcvQueued, SndMSS: int(st.TCB.SndMSS)}, nil
}

func (l *local) Addr(id tcp.AddrID) netip.AddrPort     { return l.s.Addr(id) }
func (l *local) Names() map[emulator.EndpointID]string { return nil }
func (l *local) Where() string                         { return "in-process" }
