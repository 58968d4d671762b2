package render

import (
	"encoding/json"
	"io"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// JSONEvent is one line of JSONLines. Its field names are a stable
// interface for scripts: fields may be added, never renamed or removed.
// Fields that do not apply to an event's kind are omitted.
//
//	seq          the event's sequence number in its session
//	time_ns      virtual time in nanoseconds since the session started
//	time         the same, as Go prints a duration ("1.01s")
//	endpoint     the endpoint's ID (0: a host answering for a closed port, or the network)
//	name         the endpoint's display name (Options.Names, "srv.1" for a fork, "ep7")
//	kind         state, sent, delivered, dropped, discarded, external,
//	             timer-armed, timer-fired, timer-cancelled, call, data,
//	             signal, note, created, removed, duplicated, delayed, link
//	cause        what set it off: call, segment or timer
//	from, to     state: the states before and after (RFC 9293 spelling)
//	rule         the rule's stable name ("listen-syn")
//	section      where the rule is written ("RFC 9293 §3.10.7.2")
//	explanation  the rule's explanation in Options.Lang, with Options.Explain
//	timer        timer kinds: retransmission, time-wait, user-timeout, fin-wait-2, delayed-ack, persist
//	at_ns        timer-armed: when it will fire
//	call         call: listen, connect, send, receive, close, abort, status
//	octets       call (send, receive) and data: how many octets
//	error        call, signal: the RFC's wording ("connection reset")
//	drop         dropped: no-host, loss, rule, partition, corrupt
//	fault        dropped, duplicated, delayed: the fault rule's ID, if a rule acted
//	parent       created: the listener that forked the endpoint
//	link         link: "cut" or "healed"
//	segment      segment kinds (and link's hosts): see JSONSegment
//
// Integers are JSON numbers; 64-bit values (seq, time_ns) lose precision in
// JavaScript beyond 2^53, which a session reaches after 104 days.
type JSONEvent struct {
	Seq         uint64       `json:"seq"`
	TimeNS      int64        `json:"time_ns"`
	Time        string       `json:"time"`
	Endpoint    uint32       `json:"endpoint"`
	Name        string       `json:"name"`
	Kind        string       `json:"kind"`
	Cause       string       `json:"cause,omitempty"`
	From        string       `json:"from,omitempty"`
	To          string       `json:"to,omitempty"`
	Rule        string       `json:"rule,omitempty"`
	Section     string       `json:"section,omitempty"`
	Explanation string       `json:"explanation,omitempty"`
	Timer       string       `json:"timer,omitempty"`
	AtNS        *int64       `json:"at_ns,omitempty"`
	Call        string       `json:"call,omitempty"`
	Octets      *int64       `json:"octets,omitempty"`
	Error       string       `json:"error,omitempty"`
	Drop        string       `json:"drop,omitempty"`
	Fault       int64        `json:"fault,omitempty"`
	Parent      uint32       `json:"parent,omitempty"`
	Link        string       `json:"link,omitempty"`
	Segment     *JSONSegment `json:"segment,omitempty"`
}

// JSONSegment is a segment's header in JSONEvent.
//
//	src, dst          "ip:port"
//	seq, ack          SEG.SEQ and SEG.ACK as on the wire
//	rel_seq, rel_ack  the same relative to the direction's SYN, when one was seen
//	len               payload octets (SYN and FIN not counted)
//	window            SEG.WND
//	flags             "SYN,ACK" (RFC 9293 order)
//	mss               the MSS option, if present
type JSONSegment struct {
	Src    string  `json:"src"`
	Dst    string  `json:"dst"`
	Seq    uint32  `json:"seq"`
	Ack    uint32  `json:"ack"`
	RelSeq *uint32 `json:"rel_seq,omitempty"`
	RelAck *uint32 `json:"rel_ack,omitempty"`
	Len    uint16  `json:"len"`
	Window uint16  `json:"window"`
	Flags  string  `json:"flags"`
	MSS    uint16  `json:"mss,omitempty"`
}

// JSONLines writes one JSON object (JSONEvent) per line per event.
// Options.Color, Width, Columns and Absolute do not apply; relative numbers
// are given beside the absolute ones.
func JSONLines(w io.Writer, events []emulator.Event, opts Options) error {
	n := newNames(&opts)
	rel := newSeqBases(false)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range events {
		ev := &events[i]
		n.see(ev)
		if ev.Kind == emulator.KindSegmentSent {
			rel.see(&ev.Seg, ev.Endpoint)
		} else if ev.Kind == emulator.KindSegmentDelivered {
			rel.see(&ev.Seg, 0)
		}
		if err := enc.Encode(jsonEvent(ev, n, rel, &opts)); err != nil {
			return err
		}
	}
	return nil
}

func jsonEvent(ev *emulator.Event, n *names, rel *seqBases, opts *Options) *JSONEvent {
	j := &JSONEvent{
		Seq:      ev.Seq,
		TimeNS:   int64(ev.Time),
		Time:     explain.FormatTime(ev.Time),
		Endpoint: uint32(ev.Endpoint),
		Name:     n.endpoint(ev.Endpoint),
		Kind:     ev.Kind.String(),
	}
	if ev.Cause != emulator.CauseNone {
		j.Cause = ev.Cause.String()
	}
	if ev.Rule != tcp.RuleNone {
		j.Rule, j.Section = ev.Rule.Name(), ev.Rule.Section()
		if opts.Explain {
			j.Explanation = explain.Rule(ev.Rule, opts.Lang)
		}
	}
	value := ev.Value
	switch ev.Kind {
	case emulator.KindStateChanged:
		j.From, j.To = ev.From.String(), ev.To.String()
	case emulator.KindTimerArmed:
		j.Timer, j.AtNS = ev.Timer.String(), &value
	case emulator.KindTimerFired, emulator.KindTimerCancelled:
		j.Timer = ev.Timer.String()
	case emulator.KindCall:
		j.Call = ev.Call.String()
		if ev.Call == emulator.CallSend || ev.Call == emulator.CallReceive {
			j.Octets = &value
		}
		if ev.Err != 0 {
			j.Error = ev.Err.Text()
		}
	case emulator.KindDataReady:
		j.Octets = &value
	case emulator.KindSignal:
		j.Error = ev.Err.Text()
	case emulator.KindEndpointCreated:
		j.Parent = uint32(ev.Value)
	case emulator.KindSegmentDropped:
		j.Drop, j.Fault = ev.Drop.String(), ev.Value
	case emulator.KindSegmentDuplicated, emulator.KindSegmentDelayed:
		j.Fault = ev.Value
	case emulator.KindLink:
		j.Link = "healed"
		if ev.Value != 0 {
			j.Link = "cut"
		}
		j.Segment = &JSONSegment{Src: n.addrPort(ev.Seg.Src).Addr().String(), Dst: n.addrPort(ev.Seg.Dst).Addr().String()}
		return j
	}
	switch ev.Kind {
	case emulator.KindSegmentSent, emulator.KindSegmentDelivered, emulator.KindSegmentDropped,
		emulator.KindSegmentDiscarded, emulator.KindSegmentExternal, emulator.KindSegmentDuplicated,
		emulator.KindSegmentDelayed:
		h := &ev.Seg
		s := &JSONSegment{
			Src: n.addr(h.Src), Dst: n.addr(h.Dst), Seq: uint32(h.Seq), Ack: uint32(h.Ack),
			Len: h.Len, Window: h.Window, Flags: h.Flags.String(), MSS: h.MSS,
		}
		if b, ok := rel.bases[direction{h.Src, h.Dst}]; ok {
			v := uint32(b.isn.Size(h.Seq))
			s.RelSeq = &v
		}
		if b, ok := rel.bases[direction{h.Dst, h.Src}]; ok && h.Flags&tcp.ACK != 0 {
			v := uint32(b.isn.Size(h.Ack))
			s.RelAck = &v
		}
		j.Segment = s
	}
	return j
}
