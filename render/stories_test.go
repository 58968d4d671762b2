package render

import (
	"net/netip"
	"testing"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// story drives a real emulator session and keeps every event it produces,
// so that the golden files show what the emulator does, not what a test
// author imagined it does.
type story struct {
	t      *testing.T
	s      *emulator.Session
	events []emulator.Event
	names  map[emulator.EndpointID]string
	order  []emulator.EndpointID
}

func newStory(t *testing.T, cfg emulator.Config) *story {
	t.Helper()
	s, err := emulator.New(cfg)
	if err != nil {
		t.Fatalf("emulator.New: %v", err)
	}
	return &story{t: t, s: s, names: map[emulator.EndpointID]string{}}
}

func (st *story) keep(evs []emulator.Event, err error) {
	st.t.Helper()
	if err != nil {
		st.t.Fatalf("%v", err)
	}
	st.events = append(st.events, evs...)
}

func iss(v uint32) *seqnum.Value { x := seqnum.Value(v); return &x }

func (st *story) name(id emulator.EndpointID, name string) emulator.EndpointID {
	st.names[id] = name
	st.order = append(st.order, id)
	return id
}

func (st *story) listen(name, addr string, isn uint32) emulator.EndpointID {
	st.t.Helper()
	id, evs, err := st.s.Listen(netip.MustParseAddrPort(addr), emulator.EndpointOptions{ISS: iss(isn)})
	st.keep(evs, err)
	return st.name(id, name)
}

func (st *story) connect(name, from, to string, isn uint32) emulator.EndpointID {
	st.t.Helper()
	id, evs, err := st.s.Connect(netip.MustParseAddrPort(from), netip.MustParseAddrPort(to), nil, emulator.EndpointOptions{ISS: iss(isn)})
	st.keep(evs, err)
	return st.name(id, name)
}

func (st *story) advance(d time.Duration) {
	st.t.Helper()
	st.keep(st.s.AdvanceBy(d, 10000))
}

func (st *story) send(id emulator.EndpointID, data string) {
	st.t.Helper()
	st.keep(st.s.Send(id, []byte(data)))
}

func (st *story) receive(id emulator.EndpointID) {
	st.t.Helper()
	_, _, evs, err := st.s.Receive(id, 1<<16)
	st.keep(evs, err)
}

func (st *story) close(id emulator.EndpointID) {
	st.t.Helper()
	st.keep(st.s.Close(id))
}

func (st *story) accept(listener emulator.EndpointID) emulator.EndpointID {
	st.t.Helper()
	id, err := st.s.Accept(listener)
	if err != nil {
		st.t.Fatalf("accept: %v", err)
	}
	return id
}

func (st *story) options() Options {
	return Options{Addrs: st.s, Names: st.names}
}

// seedStory is the seed's whole story between a client and a server: the
// 3-way handshake, a little data each way, the 4-way close and TIME-WAIT
// running out (2×MSL = 240 s under the rfc9293 profile).
func seedStory(t *testing.T) *story {
	st := newStory(t, emulator.Config{Seed: 1})
	srv := st.listen("srv", "10.0.0.2:80", 300)
	cli := st.connect("cli", "10.0.0.1:5000", "10.0.0.2:80", 100)
	st.order = []emulator.EndpointID{cli, srv}
	st.advance(time.Second)
	conn := st.accept(srv)
	st.send(cli, "hello")
	st.advance(time.Second)
	st.receive(conn)
	st.send(conn, "world")
	st.advance(time.Second)
	st.receive(cli)
	st.close(cli)
	st.advance(time.Second)
	st.close(conn)
	st.advance(5 * time.Minute)
	return st
}

// handshakeStory is the 3-way handshake alone.
func handshakeStory(t *testing.T) *story {
	st := newStory(t, emulator.Config{Seed: 1})
	srv := st.listen("srv", "10.0.0.2:80", 300)
	cli := st.connect("cli", "10.0.0.1:5000", "10.0.0.2:80", 100)
	st.order = []emulator.EndpointID{cli, srv}
	st.advance(time.Second)
	return st
}

// lostSYNStory: a one-shot fault rule drops the client's first SYN; the
// retransmission timer fires after the initial RTO (RFC 6298 §5.4) and the
// second SYN gets through.
func lostSYNStory(t *testing.T) *story {
	st := newStory(t, emulator.Config{Seed: 1})
	srv := st.listen("srv", "10.0.0.2:80", 300)
	if _, err := st.s.AddFault(emulator.Fault{
		Name: "lost-syn", From: netip.MustParseAddrPort("10.0.0.1:0"), To: netip.MustParseAddrPort("10.0.0.2:80"),
		Flags: tcp.SYN, ExactFlags: true, Action: emulator.FaultDrop, Count: 1,
	}); err != nil {
		t.Fatal(err)
	}
	cli := st.connect("cli", "10.0.0.1:5000", "10.0.0.2:80", 100)
	st.order = []emulator.EndpointID{cli, srv}
	st.advance(2 * time.Second)
	return st
}

// timersStory: SYNs to a host that is not there. Every retransmission is
// lost, the timer doubles (1 s, 2 s, 4 s) and after SynRetries the client
// gives up (RFC 9293 §3.8.3).
func timersStory(t *testing.T) *story {
	retries := 2
	st := newStory(t, emulator.Config{Seed: 1, NoExternal: true, Overrides: &emulator.Overrides{SynRetries: &retries}})
	st.connect("cli", "10.0.0.1:5000", "10.9.9.9:80", 100)
	st.advance(10 * time.Second)
	return st
}

// wrapStory: both initial sequence numbers sit just below 2^32, so the
// handshake and the first data cross the wrap.
func wrapStory(t *testing.T) *story {
	st := newStory(t, emulator.Config{Seed: 1})
	srv := st.listen("srv", "10.0.0.2:80", 1<<32-2)
	cli := st.connect("cli", "10.0.0.1:5000", "10.0.0.2:80", 1<<32-3)
	st.order = []emulator.EndpointID{cli, srv}
	st.advance(time.Second)
	conn := st.accept(srv)
	st.send(cli, "hello")
	st.advance(time.Second)
	st.receive(conn)
	st.send(conn, "hi")
	st.advance(time.Second)
	return st
}

// simultaneousOpenStory: both sides send a SYN before either arrives; the
// two SYNs cross (RFC 9293 §3.5, Figure 8).
func simultaneousOpenStory(t *testing.T) *story {
	st := newStory(t, emulator.Config{Seed: 1})
	st.connect("a", "10.0.0.1:7000", "10.0.0.2:7000", 100)
	st.connect("b", "10.0.0.2:7000", "10.0.0.1:7000", 300)
	st.advance(time.Second)
	return st
}

// duplicateStory: a fault rule duplicates the client's FIN; the copy
// arrives after the server has moved to CLOSE-WAIT and is discarded.
func duplicateStory(t *testing.T) *story {
	st := newStory(t, emulator.Config{Seed: 1})
	srv := st.listen("srv", "10.0.0.2:80", 300)
	cli := st.connect("cli", "10.0.0.1:5000", "10.0.0.2:80", 100)
	st.order = []emulator.EndpointID{cli, srv}
	st.advance(time.Second)
	st.accept(srv)
	if _, err := st.s.AddFault(emulator.Fault{
		Name: "dup-fin", From: netip.MustParseAddrPort("10.0.0.1:0"), Flags: tcp.FIN,
		Action: emulator.FaultDuplicate, Copies: 1, Spacing: 5 * time.Millisecond, Count: 1,
	}); err != nil {
		t.Fatal(err)
	}
	st.close(cli)
	st.advance(time.Second)
	return st
}

// twoClientsStory: one listener, two clients; the listener's first child
// shares its column and the second gets one of its own.
func twoClientsStory(t *testing.T) *story {
	st := newStory(t, emulator.Config{Seed: 1})
	srv := st.listen("srv", "10.0.0.2:80", 300)
	a := st.connect("a", "10.0.0.1:5000", "10.0.0.2:80", 100)
	st.advance(5 * time.Millisecond)
	b := st.connect("b", "10.0.0.3:6000", "10.0.0.2:80", 700)
	st.order = []emulator.EndpointID{a, srv, b}
	st.advance(time.Second)
	return st
}

// injectedRSTStory: after the handshake a test injects a RST "from the
// server" by hand (Session.Inject): a segment with no departure, which
// arrives from the column at its source address.
func injectedRSTStory(t *testing.T) *story {
	st := handshakeStory(t)
	st.keep(st.s.Inject(netip.MustParseAddrPort("10.0.0.2:80"), netip.MustParseAddrPort("10.0.0.1:5000"),
		tcp.Segment{Seq: 301, Flags: tcp.RST}))
	st.advance(time.Second)
	return st
}

// externalStory: a SYN to a host outside the session is handed out to an
// external peer, which never answers here.
func externalStory(t *testing.T) *story {
	st := newStory(t, emulator.Config{Seed: 1})
	st.connect("cli", "10.0.0.1:5000", "192.0.2.9:80", 100)
	st.advance(1500 * time.Millisecond)
	return st
}
