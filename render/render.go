// Package render draws a session's events for people and scripts: a ladder
// (sequence) diagram in the style of RFC 9293's figures, a compact table,
// a Mermaid sequenceDiagram and stable JSON lines.
//
// Every renderer takes the events as the emulator records them (codes and
// numbers, emulator.Event) plus Options that say how to name things: an
// Addresser for the segments' address handles and names for endpoints. An
// in-process caller passes a Session as the Addresser; a remote one (emuctl
// over gRPC) converts the API's events to emulator.Event and supplies a map
// of addresses. Nothing here touches a session: rendering is a pure
// function of its inputs, so the same events always draw the same bytes.
package render

import (
	"net/netip"
	"strconv"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// Options say how to draw. The zero value is usable: English, no
// explanations, no colour, 80 columns, relative sequence numbers.
type Options struct {
	// Addrs resolves the events' address handles (a *emulator.Session is
	// one). Nil prints handles as "addr#N".
	Addrs explain.Addresser
	// Names gives endpoints display names. An unnamed endpoint forked by a
	// listener is called after it ("srv.1", "srv.2", … in fork order);
	// others print as "ep7", and endpoint 0, a host answering for a closed
	// port, by its address.
	Names map[emulator.EndpointID]string
	// Homes are endpoints' local addresses, known before any segment
	// shows them: a segment to a listener that is still in flight then
	// points at the listener's column, not at a column for the bare
	// address. Segments seen take precedence.
	Homes map[tcp.AddrID]emulator.EndpointID
	// FaultRules names fault rules by the number a drop, delay or
	// duplicate event carries (Event.Value); a rule not named prints as
	// its number.
	FaultRules map[int64]string
	// Columns orders the ladder's (and the Mermaid diagram's) endpoints;
	// endpoints not listed follow in order of first appearance.
	Columns []emulator.EndpointID
	// SplitChildren gives every connection a listener forks its own
	// column. By default a listener's first child shares the listener's
	// column, so that the column tells the seed's story LISTEN →
	// SYN-RECEIVED → ESTABLISHED; later children get columns of their own.
	SplitChildren bool
	// Absolute prints sequence and acknowledgment numbers as they are on
	// the wire. By default they are relative to each direction's initial
	// sequence number (the SYN's SEQ), as Wireshark and packetdrill print
	// them; a direction that has shown no SYN prints absolute numbers.
	Absolute bool
	// Lang is the language of explanations.
	Lang explain.Lang
	// Explain writes each state transition's explanation under it (and
	// those of discarded segments, notes and retransmissions, once per
	// endpoint and rule).
	Explain bool
	// ExplainLines caps each explanation at this many lines, eliding the
	// rest with "..."; 0 means no cap.
	ExplainLines int
	// Color adds ANSI colours. The caller decides (a terminal, NO_COLOR
	// unset); renderers never look at the environment.
	Color bool
	// TimeWidth reserves room in the ladder's time gutter for times this
	// many characters wide ("4m0.13s" is 7), so that a ladder drawn batch
	// by batch (LadderStream) keeps its lifelines where they are when the
	// clock reaches minutes. The gutter still grows for a wider time.
	TimeWidth int
	// Width is the ladder's width in terminal cells; 0 means 80. With more
	// than two columns the ladder grows wider when lanes would get too
	// narrow.
	Width int
}

// names resolves endpoint and address names for all renderers.
type names struct {
	opts     *Options
	auto     map[emulator.EndpointID]string
	children map[emulator.EndpointID]int
	parent   map[emulator.EndpointID]emulator.EndpointID
}

func newNames(opts *Options) *names {
	return &names{
		opts:     opts,
		auto:     map[emulator.EndpointID]string{},
		children: map[emulator.EndpointID]int{},
		parent:   map[emulator.EndpointID]emulator.EndpointID{},
	}
}

// see records what naming needs from an event: forks.
func (n *names) see(ev *emulator.Event) {
	if ev.Kind != emulator.KindEndpointCreated || ev.Value == 0 {
		return
	}
	p := emulator.EndpointID(ev.Value)
	if _, done := n.parent[ev.Endpoint]; done {
		return
	}
	n.parent[ev.Endpoint] = p
	n.children[p]++
	n.auto[ev.Endpoint] = n.endpoint(p) + "." + strconv.Itoa(n.children[p])
}

func (n *names) endpoint(id emulator.EndpointID) string {
	if s, ok := n.opts.Names[id]; ok {
		return s
	}
	if s, ok := n.auto[id]; ok {
		return s
	}
	if id == 0 {
		return "host"
	}
	return "ep" + strconv.Itoa(int(id))
}

func (n *names) addr(id tcp.AddrID) string {
	if n.opts.Addrs == nil {
		return "addr#" + strconv.Itoa(int(id))
	}
	return n.opts.Addrs.Addr(id).String()
}

func (n *names) addrPort(id tcp.AddrID) netip.AddrPort {
	if n.opts.Addrs == nil {
		return netip.AddrPort{}
	}
	return n.opts.Addrs.Addr(id)
}

// nilAddrs stands in for a missing Addresser where explain needs one.
type nilAddrs struct{}

func (nilAddrs) Addr(tcp.AddrID) netip.AddrPort { return netip.AddrPort{} }

func (o *Options) describer(n *names) *explain.Describer {
	d := &explain.Describer{Addrs: o.Addrs, Names: map[emulator.EndpointID]string{}}
	if d.Addrs == nil {
		d.Addrs = nilAddrs{}
	}
	for id, s := range n.auto {
		d.Names[id] = s
	}
	for id, s := range o.Names {
		d.Names[id] = s
	}
	return d
}
