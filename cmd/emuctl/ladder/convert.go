// Package ladder turns the API's events back into the emulator's, so that
// package render can draw them for a remote session: a ladder, a table,
// Mermaid. The API carries names and addresses where the emulator carries
// small handles; a Converter hands out the handles (in order of first
// appearance) and resolves them again as render's Addresser.
//
// What the API does not carry is lost: the octet count of a SEND or
// RECEIVE call, the fault rule's number behind a duplicate or a delay
// (it carries the rule's name), a cancelled timer's deadline. Everything a
// ladder draws — states, segments with their SEQ, ACK, flags and lengths,
// drops, timers, and the rule behind each — survives.
package ladder

import (
	"net/netip"
	"strconv"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Converter converts a stream of API events, batch by batch, keeping the
// endpoint and address handles stable across batches. Not safe for
// concurrent use.
type Converter struct {
	lang  explain.Lang
	ids   map[string]emulator.EndpointID
	names map[emulator.EndpointID]string
	addrs []netip.AddrPort // index: tcp.AddrID; 0 is "no address"
	addrN map[netip.AddrPort]tcp.AddrID
	rules map[ruleKey]tcp.Rule
}

// ruleKey is how the API spells a rule: its citation and its explanation
// in the request's language. Many rules share a section, so the text is
// what tells them apart.
type ruleKey struct{ citation, text string }

// NewConverter converts events whose explanations are in lang (the
// Language of the request that returned them).
func NewConverter(lang explain.Lang) *Converter {
	c := &Converter{
		lang:  lang,
		ids:   map[string]emulator.EndpointID{},
		names: map[emulator.EndpointID]string{},
		addrs: []netip.AddrPort{{}},
		addrN: map[netip.AddrPort]tcp.AddrID{},
		rules: map[ruleKey]tcp.Rule{},
	}
	for r := tcp.Rule(1); int(r) < tcp.NumRules; r++ {
		k := ruleKey{r.Section(), explain.Rule(r, lang)}
		if _, dup := c.rules[k]; !dup {
			c.rules[k] = r
		}
	}
	return c
}

// Addr resolves an address handle: Converter is render's Addresser.
func (c *Converter) Addr(id tcp.AddrID) netip.AddrPort {
	if int(id) < len(c.addrs) {
		return c.addrs[id]
	}
	return netip.AddrPort{}
}

// Names are the endpoints' API IDs ("client", "srv-1") by handle, for
// render.Options.Names. The map is the Converter's: do not modify it.
func (c *Converter) Names() map[emulator.EndpointID]string { return c.names }

// Endpoint is the handle of an API endpoint ID; "" (a host answering for
// a closed port, or an injected segment) is 0.
func (c *Converter) Endpoint(id string) emulator.EndpointID {
	if id == "" {
		return 0
	}
	if h, ok := c.ids[id]; ok {
		return h
	}
	h := emulator.EndpointID(len(c.ids) + 1)
	c.ids[id] = h
	c.names[h] = id
	return h
}

func (c *Converter) addr(a *pb.Address) tcp.AddrID {
	if a == nil {
		return 0
	}
	ip, err := netip.ParseAddr(a.GetIp())
	if err != nil {
		return 0
	}
	ap := netip.AddrPortFrom(ip, uint16(a.GetPort()))
	if id, ok := c.addrN[ap]; ok {
		return id
	}
	id := tcp.AddrID(len(c.addrs))
	c.addrs = append(c.addrs, ap)
	c.addrN[ap] = id
	return id
}

func (c *Converter) host(s string) tcp.AddrID {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return 0
	}
	return c.addr(&pb.Address{Ip: ip.String()})
}

// rule recovers the rule from its citation and explanation; RuleNone when
// the explanations were omitted or the server spoke another language.
func (c *Converter) rule(citation, text string) tcp.Rule {
	if citation == "" {
		return tcp.RuleNone
	}
	return c.rules[ruleKey{citation, text}]
}

// Events converts one batch. The API numbers events from 1, the emulator
// from 0: Seq is the emulator's.
func (c *Converter) Events(in []*pb.Event) []emulator.Event {
	out := make([]emulator.Event, 0, len(in))
	for i, pe := range in {
		ev, ok := c.event(pe, in[i+1:])
		if ok {
			out = append(out, ev)
		}
	}
	return out
}

func (c *Converter) event(pe *pb.Event, rest []*pb.Event) (emulator.Event, bool) {
	ev := emulator.Event{
		Time:     pe.GetTime().AsDuration(),
		Endpoint: c.Endpoint(pe.GetEndpoint()),
	}
	if pe.GetSeq() > 0 {
		ev.Seq = pe.GetSeq() - 1
	}
	switch p := pe.GetPayload().(type) {
	case *pb.Event_StateChange:
		sc := p.StateChange
		ev.Kind, ev.Cause = emulator.KindStateChanged, causes[sc.GetCause()]
		ev.From, ev.To = state(sc.GetFromState()), state(sc.GetToState())
		ev.Rule = c.rule(sc.GetRule(), sc.GetExplanation())
	case *pb.Event_SegmentSent:
		c.segment(&ev, emulator.KindSegmentSent, p.SegmentSent)
	case *pb.Event_SegmentDelivered:
		c.segment(&ev, emulator.KindSegmentDelivered, p.SegmentDelivered)
	case *pb.Event_SegmentDropped:
		se := p.SegmentDropped
		if d, inNetwork := drops[se.GetReason()]; inNetwork {
			c.segment(&ev, emulator.KindSegmentDropped, se)
			ev.Drop = d
		} else {
			// NOT_ACCEPTABLE, IGNORED, BACKLOG_FULL: the receiver's rules
			// discarded it on arrival.
			c.segment(&ev, emulator.KindSegmentDiscarded, se)
		}
	case *pb.Event_SegmentExternal:
		c.segment(&ev, emulator.KindSegmentExternal, p.SegmentExternal)
	case *pb.Event_SegmentDuplicated:
		c.segment(&ev, emulator.KindSegmentDuplicated, p.SegmentDuplicated)
	case *pb.Event_SegmentDelayed:
		c.segment(&ev, emulator.KindSegmentDelayed, p.SegmentDelayed)
	case *pb.Event_TimerArmed:
		c.timer(&ev, emulator.KindTimerArmed, p.TimerArmed)
		ev.Value = int64(p.TimerArmed.GetDeadline().AsDuration())
	case *pb.Event_TimerFired:
		c.timer(&ev, emulator.KindTimerFired, p.TimerFired)
	case *pb.Event_TimerCancelled:
		c.timer(&ev, emulator.KindTimerCancelled, p.TimerCancelled)
	case *pb.Event_Call:
		ce := p.Call
		ev.Kind, ev.Err = emulator.KindCall, tcpError(ce.GetError())
		ev.Rule = c.rule(ce.GetRule(), ce.GetExplanation())
		ev.Call = call(ce.GetCall(), ev.Rule, pe.GetEndpoint(), rest)
	case *pb.Event_DataDelivered:
		ev.Kind, ev.Value = emulator.KindDataReady, int64(p.DataDelivered.GetLength())
	case *pb.Event_ErrorSignalled:
		es := p.ErrorSignalled
		ev.Kind, ev.Err = emulator.KindSignal, tcpError(es.GetError())
		ev.Rule = c.rule(es.GetRule(), es.GetExplanation())
	case *pb.Event_EndpointCreated:
		ec := p.EndpointCreated
		ev.Kind = emulator.KindEndpointCreated
		if ec.GetParent() != "" {
			ev.Value = int64(c.Endpoint(lastSegment(ec.GetParent())))
		}
		c.addr(ec.GetLocal())
	case *pb.Event_EndpointRemoved:
		ev.Kind = emulator.KindEndpointRemoved
	case *pb.Event_Note:
		n := p.Note
		ev.Kind, ev.Rule = emulator.KindNote, c.rule(n.GetRule(), n.GetExplanation())
		if h := n.GetSegment(); h != nil {
			ev.Seg = c.header(h, 0)
		}
	case *pb.Event_Link:
		l := p.Link
		ev.Kind = emulator.KindLink
		ev.Seg.Src, ev.Seg.Dst = c.host(l.GetFromHost()), c.host(l.GetToHost())
		if l.GetCut() {
			ev.Value = 1
		}
	default:
		return ev, false // a kind newer than this emuctl
	}
	return ev, true
}

func (c *Converter) segment(ev *emulator.Event, k emulator.Kind, se *pb.SegmentEvent) {
	ev.Kind = k
	ev.Seg = c.header(se.GetHeader(), se.GetPayloadLength())
	ev.Rule = c.rule(se.GetRule(), se.GetExplanation())
}

func (c *Converter) header(h *pb.SegmentHeader, length uint32) emulator.SegmentHeader {
	out := emulator.SegmentHeader{
		Src: c.addr(h.GetSrc()), Dst: c.addr(h.GetDst()),
		Seq: seqnum.Value(h.GetSeq()), Ack: seqnum.Value(h.GetAck()),
		Len:    uint16(length), // at most tcp.MaxPayload: the server never reports more
		Window: uint16(h.GetWindow()), Flags: flags(h.GetFlags()),
	}
	if o := h.GetOptions(); o != nil && o.Mss != nil {
		out.MSS = uint16(o.GetMss())
	}
	return out
}

func (c *Converter) timer(ev *emulator.Event, k emulator.Kind, te *pb.TimerEvent) {
	ev.Kind, ev.Timer = k, timers[te.GetTimer()]
	ev.Rule = c.rule(te.GetRule(), te.GetExplanation())
}

// call recovers the emulator's call. The API has one OPEN; the emulator
// tells passive from active, and so do ladders. The rule says which when
// the explanations came along; otherwise the endpoint's next state does
// (LISTEN after a passive OPEN).
func call(c pb.Call, rule tcp.Rule, endpoint string, rest []*pb.Event) emulator.Call {
	if c != pb.Call_CALL_OPEN {
		return calls[c]
	}
	switch rule {
	case tcp.RuleOpenPassive:
		return emulator.CallOpenPassive
	case tcp.RuleOpenActive, tcp.RuleOpenListenToActive:
		return emulator.CallOpenActive
	}
	for _, pe := range rest {
		if sc := pe.GetStateChange(); sc != nil && pe.GetEndpoint() == endpoint {
			if sc.GetToState() == pb.State_STATE_LISTEN {
				return emulator.CallOpenPassive
			}
			break
		}
	}
	return emulator.CallOpenActive
}

func lastSegment(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			return name[i+1:]
		}
	}
	return name
}

func state(s pb.State) tcp.State {
	if st, ok := tcp.ParseState(stateName(s)); ok {
		return st
	}
	return tcp.Closed
}

// stateName is "SYN_RECEIVED" for STATE_SYN_RECEIVED, as tcp.ParseState
// reads it.
func stateName(s pb.State) string {
	n := s.String()
	if len(n) > len("STATE_") {
		return n[len("STATE_"):]
	}
	return n + strconv.Itoa(int(s))
}

func flags(f *pb.Flags) tcp.Flags {
	var out tcp.Flags
	for _, b := range []struct {
		on  bool
		bit tcp.Flags
	}{
		{f.GetFin(), tcp.FIN}, {f.GetSyn(), tcp.SYN}, {f.GetRst(), tcp.RST}, {f.GetPsh(), tcp.PSH},
		{f.GetAck(), tcp.ACK}, {f.GetUrg(), tcp.URG}, {f.GetEce(), tcp.ECE}, {f.GetCwr(), tcp.CWR},
	} {
		if b.on {
			out |= b.bit
		}
	}
	return out
}

func tcpError(e pb.TcpError) tcp.Error { return tcpErrors[e] }

var causes = map[pb.Cause]emulator.Cause{
	pb.Cause_CAUSE_CALL:    emulator.CauseCall,
	pb.Cause_CAUSE_SEGMENT: emulator.CauseSegment,
	pb.Cause_CAUSE_TIMER:   emulator.CauseTimer,
}

// drops are the reasons the network (not the receiver) lost a segment.
var drops = map[pb.DropReason]emulator.DropReason{
	pb.DropReason_DROP_REASON_NO_ENDPOINT: emulator.DropNoHost,
	pb.DropReason_DROP_REASON_LOSS:        emulator.DropLoss,
	pb.DropReason_DROP_REASON_FAULT_RULE:  emulator.DropRule,
	pb.DropReason_DROP_REASON_PARTITION:   emulator.DropPartition,
	pb.DropReason_DROP_REASON_CHECKSUM:    emulator.DropCorrupt,
}

var timers = map[pb.Timer]tcp.Timer{
	pb.Timer_TIMER_RETRANSMISSION: tcp.TimerRetransmit,
	pb.Timer_TIMER_TIME_WAIT:      tcp.TimerTimeWait,
	pb.Timer_TIMER_USER_TIMEOUT:   tcp.TimerUserTimeout,
	pb.Timer_TIMER_FIN_WAIT_2:     tcp.TimerFinWait2,
	pb.Timer_TIMER_DELAYED_ACK:    tcp.TimerDelayedACK,
	pb.Timer_TIMER_PERSIST:        tcp.TimerPersist,
}

var calls = map[pb.Call]emulator.Call{
	pb.Call_CALL_SEND:    emulator.CallSend,
	pb.Call_CALL_RECEIVE: emulator.CallReceive,
	pb.Call_CALL_CLOSE:   emulator.CallClose,
	pb.Call_CALL_ABORT:   emulator.CallAbort,
	pb.Call_CALL_STATUS:  emulator.CallStatus,
}

var tcpErrors = map[pb.TcpError]tcp.Error{
	pb.TcpError_TCP_ERROR_CONNECTION_ALREADY_EXISTS:  tcp.ErrConnectionAlreadyExists,
	pb.TcpError_TCP_ERROR_CONNECTION_DOES_NOT_EXIST:  tcp.ErrConnectionDoesNotExist,
	pb.TcpError_TCP_ERROR_CONNECTION_CLOSING:         tcp.ErrConnectionClosing,
	pb.TcpError_TCP_ERROR_CONNECTION_RESET:           tcp.ErrConnectionReset,
	pb.TcpError_TCP_ERROR_CONNECTION_REFUSED:         tcp.ErrConnectionRefused,
	pb.TcpError_TCP_ERROR_TIMED_OUT:                  tcp.ErrTimedOut,
	pb.TcpError_TCP_ERROR_USER_TIMEOUT:               tcp.ErrUserTimeout,
	pb.TcpError_TCP_ERROR_FOREIGN_SOCKET_UNSPECIFIED: tcp.ErrRemoteSocketUnspecified,
	pb.TcpError_TCP_ERROR_INSUFFICIENT_RESOURCES:     tcp.ErrInsufficientResources,
}
