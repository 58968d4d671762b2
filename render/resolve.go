package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// rowKind is what one event draws in the ladder.
type rowKind uint8

const (
	rowHidden rowKind = iota // nothing (cancelled timers, removals, absorbed arrivals)
	rowState                 // the endpoint's new state, beside its column
	rowText                  // a short note beside the column: a call, a timer, data, a signal
	rowSend                  // a segment leaving: a whole arrow, or its first half
	rowArrive                // a segment arriving apart from its departure: the second half
	rowDrop                  // a segment lost apart from its departure: "XXX"
	rowLink                  // a link cut or healed, across the whole ladder
)

// row is one event placed in the ladder.
type row struct {
	kind    rowKind
	ev      *emulator.Event
	col     int // the endpoint's column (for segments: the sender's)
	to      int // segments: the receiver's column
	text    string
	style   style
	fl      *flight
	explain string // the explanation to write under the row, if any
	idx     int    // the index of ev in the events drawn
}

// flight is one segment from its departure to its arrivals (a duplicated
// segment arrives more than once) or its loss.
type flight struct {
	sent    int // row index of the departure
	pending int // copies still in the network
	outs    []int
	dups    int
	delayed bool
	// whole: drawn as one arrow at the departure, its first outcome
	// absorbed, because nothing happened in between that the arrow would
	// hide.
	whole bool
}

// column is one lifeline of the ladder.
type column struct {
	name        string
	hostedChild bool
	pseudo      bool // an address with no endpoint: a closed port, an external host
}

// ladderModel is the events resolved into columns and rows.
type ladderModel struct {
	opts  *Options
	names *names
	seqs  *seqBases
	cols  []column
	rows  []row

	colOf   map[emulator.EndpointID]int
	owner   map[tcp.AddrID]emulator.EndpointID // the first endpoint seen at each address
	addrCol map[tcp.AddrID]int
	pairCol map[direction]int // {local, remote} → the column that talks on it
	flights map[emulator.SegmentHeader][]*flight
	told    map[toldKey]bool
	// toldAt is the row holding each rule's latest explanation, so that a
	// discard can take over the words of the reply sent just before it.
	toldAt map[toldKey]int
	// cur is the index of the event being added; from, the first event
	// whose rows are drawn (see LadderStream).
	cur, from int
}

type toldKey struct {
	ep   emulator.EndpointID
	rule tcp.Rule
}

func resolve(events []emulator.Event, opts *Options) *ladderModel {
	return resolveFrom(events, 0, opts)
}

// resolveFrom resolves events of which those before from were drawn
// already: a flight that left before from is never drawn as one arrow
// again, since its departure is on the screen as a half arrow.
func resolveFrom(events []emulator.Event, from int, opts *Options) *ladderModel {
	m := &ladderModel{
		from:    from,
		opts:    opts,
		names:   newNames(opts),
		seqs:    newSeqBases(opts.Absolute),
		colOf:   map[emulator.EndpointID]int{},
		owner:   map[tcp.AddrID]emulator.EndpointID{},
		addrCol: map[tcp.AddrID]int{},
		pairCol: map[direction]int{},
		flights: map[emulator.SegmentHeader][]*flight{},
		told:    map[toldKey]bool{},
		toldAt:  map[toldKey]int{},
	}
	for _, id := range opts.Columns {
		m.endpointCol(id)
	}
	// A segment lost before its receiver ever sent or received anything
	// still belongs to that receiver's column: learn who lives where first.
	for a, id := range opts.Homes {
		m.owner[a] = id
	}
	for i := range events {
		ev := &events[i]
		var a tcp.AddrID
		switch {
		case ev.Endpoint == 0:
			continue
		case ev.Kind == emulator.KindSegmentSent:
			a = ev.Seg.Src
		case ev.Kind == emulator.KindSegmentDelivered:
			a = ev.Seg.Dst
		default:
			continue
		}
		if _, ok := m.owner[a]; !ok {
			m.owner[a] = ev.Endpoint
		}
	}
	for i := range events {
		m.cur = i
		m.add(&events[i])
	}
	m.settle()
	return m
}

func (m *ladderModel) newCol(name string, pseudo bool) int {
	m.cols = append(m.cols, column{name: name, pseudo: pseudo})
	return len(m.cols) - 1
}

func (m *ladderModel) endpointCol(id emulator.EndpointID) int {
	if c, ok := m.colOf[id]; ok {
		return c
	}
	c := m.newCol(m.names.endpoint(id), false)
	m.colOf[id] = c
	return c
}

// addrColumn finds the column holding local address a (talking to remote
// r, when known), or makes a column for the bare address.
func (m *ladderModel) addrColumn(a, r tcp.AddrID) int {
	if c, ok := m.knownCol(a, r); ok {
		return c
	}
	if id, ok := m.owner[a]; ok {
		return m.endpointCol(id)
	}
	c := m.newCol(m.names.addr(a), true)
	m.addrCol[a] = c
	return c
}

// knownCol is the column talking on {a, r}, or the last one seen at a.
func (m *ladderModel) knownCol(a, r tcp.AddrID) (int, bool) {
	if c, ok := m.pairCol[direction{a, r}]; ok {
		return c, true
	}
	c, ok := m.addrCol[a]
	return c, ok
}

// own records that column c talks from local to remote.
func (m *ladderModel) own(c int, local, remote tcp.AddrID) {
	m.pairCol[direction{local, remote}] = c
	m.addrCol[local] = c
}

// sender is the column an event's segment left from.
func (m *ladderModel) senderCol(ev *emulator.Event) int {
	if ev.Endpoint != 0 {
		c := m.endpointCol(ev.Endpoint)
		m.own(c, ev.Seg.Src, ev.Seg.Dst)
		return c
	}
	return m.addrColumn(ev.Seg.Src, ev.Seg.Dst)
}

func (m *ladderModel) receiverCol(ev *emulator.Event) int {
	if ev.Endpoint != 0 && ev.Kind == emulator.KindSegmentDelivered {
		c := m.endpointCol(ev.Endpoint)
		m.own(c, ev.Seg.Dst, ev.Seg.Src)
		return c
	}
	return m.addrColumn(ev.Seg.Dst, ev.Seg.Src)
}

func (m *ladderModel) push(r row) int {
	i := len(m.rows)
	k := toldKey{r.ev.Endpoint, r.ev.Rule}
	if j, ok := m.toldAt[k]; ok && r.ev.Kind == emulator.KindSegmentDiscarded && r.explain == "" &&
		m.rows[j].ev.Time == r.ev.Time && m.rows[j].ev.Kind == emulator.KindSegmentSent {
		// The emulator reports the reply to an unacceptable segment
		// before the discard; the words are about the discard.
		r.explain, m.rows[j].explain = m.rows[j].explain, ""
	}
	if r.explain != "" {
		m.toldAt[k] = i
	}
	r.idx = m.cur
	m.rows = append(m.rows, r)
	return i
}

// explanation returns the words to write under ev, or "": every state
// change's, and other rules' once per endpoint.
func (m *ladderModel) explanation(ev *emulator.Event) string {
	if !m.opts.Explain || ev.Rule == tcp.RuleNone {
		return ""
	}
	k := toldKey{ev.Endpoint, ev.Rule}
	if m.told[k] && ev.Kind != emulator.KindStateChanged {
		return ""
	}
	m.told[k] = true
	return "[" + ev.Rule.Section() + "] " + explain.Rule(ev.Rule, m.opts.Lang)
}

func (m *ladderModel) add(ev *emulator.Event) {
	m.names.see(ev)
	r := row{ev: ev, to: -1}
	switch ev.Kind {
	case emulator.KindEndpointCreated:
		if ev.Value == 0 {
			m.endpointCol(ev.Endpoint)
			return
		}
		parent := emulator.EndpointID(ev.Value)
		pc := m.endpointCol(parent)
		if _, placed := m.colOf[ev.Endpoint]; !placed && !m.opts.SplitChildren && !m.cols[pc].hostedChild {
			m.colOf[ev.Endpoint] = pc
			m.cols[pc].hostedChild = true
			r.col, r.kind, r.style = pc, rowText, styleDim
			r.text = m.names.endpoint(ev.Endpoint) + " forked"
			m.push(r)
			return
		}
		r.col, r.kind, r.style = m.endpointCol(ev.Endpoint), rowText, styleDim
		r.text = "forked by " + m.names.endpoint(parent)
		m.push(r)
	case emulator.KindStateChanged:
		r.col, r.kind, r.style = m.endpointCol(ev.Endpoint), rowState, stateStyle(ev.To)
		r.text = ev.To.String()
		r.explain = m.explanation(ev)
		m.push(r)
	case emulator.KindCall:
		r.col, r.kind, r.style = m.endpointCol(ev.Endpoint), rowText, styleCall
		r.text = callText(ev)
		if ev.Err != 0 {
			r.style = styleError
		}
		m.push(r)
	case emulator.KindTimerArmed:
		r.col, r.kind, r.style = m.endpointCol(ev.Endpoint), rowText, styleTimer
		r.text = fmt.Sprintf("[%v timer at %s]", ev.Timer, explain.FormatTime(time.Duration(ev.Value)))
		m.push(r)
	case emulator.KindTimerFired:
		r.col, r.kind, r.style = m.endpointCol(ev.Endpoint), rowText, styleTimerFired
		r.text = fmt.Sprintf("[%v timer fired]", ev.Timer)
		m.push(r)
	case emulator.KindDataReady:
		r.col, r.kind, r.style = m.endpointCol(ev.Endpoint), rowText, styleDim
		r.text = strconv.FormatInt(ev.Value, 10) + " octets to read"
		m.push(r)
	case emulator.KindSignal:
		r.col, r.kind, r.style = m.endpointCol(ev.Endpoint), rowText, styleError
		r.text = "! " + ev.Err.Text()
		m.push(r)
	case emulator.KindSegmentDiscarded:
		r.col, r.kind, r.style = m.endpointCol(ev.Endpoint), rowText, styleError
		r.text = "discards " + m.label(&ev.Seg)
		r.explain = m.explanation(ev)
		m.push(r)
	case emulator.KindNote:
		r.col, r.kind, r.style = m.endpointCol(ev.Endpoint), rowText, styleDim
		r.text = "(" + ev.Rule.Name() + ")"
		r.explain = m.explanation(ev)
		m.push(r)
	case emulator.KindSegmentSent:
		m.seqs.see(&ev.Seg, ev.Endpoint)
		r.col, r.kind, r.style = m.senderCol(ev), rowSend, segStyle(ev.Seg.Flags)
		// The receiver is known for sure only when the segment arrives;
		// until then, the column last seen at its destination.
		if c, ok := m.knownCol(ev.Seg.Dst, ev.Seg.Src); ok {
			r.to = c
		}
		r.text = m.label(&ev.Seg)
		if ev.Rule == tcp.RuleRetransmit {
			r.text += " (retransmission)"
		}
		r.explain = m.explanation(ev)
		r.fl = &flight{pending: 1}
		r.fl.sent = m.push(r)
		m.flights[ev.Seg] = append(m.flights[ev.Seg], r.fl)
	case emulator.KindSegmentDuplicated, emulator.KindSegmentDelayed:
		if fl := m.flying(&ev.Seg); fl != nil {
			if ev.Kind == emulator.KindSegmentDuplicated {
				fl.dups++
				fl.pending++
			} else {
				fl.delayed = true
			}
		}
	case emulator.KindSegmentDelivered, emulator.KindSegmentExternal, emulator.KindSegmentDropped:
		m.arrive(ev)
	case emulator.KindLink:
		state := "healed"
		if ev.Value != 0 {
			state = "cut"
		}
		r.kind, r.style = rowLink, styleError
		r.text = fmt.Sprintf("link %v > %v %s", m.names.addrPort(ev.Seg.Src).Addr(), m.names.addrPort(ev.Seg.Dst).Addr(), state)
		m.push(r)
	case emulator.KindTimerCancelled, emulator.KindEndpointRemoved, emulator.KindNone:
	}
}

// flying is the flight of seg an arrival belongs to: the oldest with a
// copy still in the network. A retransmission looks exactly like the
// original, so when the original was held back by the network (a fault
// rule's delay) the first of them not held back is taken: a delay that
// outlasts the retransmission timer is what makes an old duplicate.
func (m *ladderModel) flying(seg *emulator.SegmentHeader) *flight {
	var held *flight
	for _, fl := range m.flights[*seg] {
		switch {
		case fl.pending == 0:
		case !fl.delayed:
			return fl
		case held == nil:
			held = fl
		}
	}
	return held
}

// arrive places a segment's outcome: delivered, handed out, or lost.
func (m *ladderModel) arrive(ev *emulator.Event) {
	r := row{ev: ev, kind: rowArrive}
	if ev.Kind == emulator.KindSegmentDropped {
		r.kind, r.style = rowDrop, styleError
	}
	fl := m.flying(&ev.Seg)
	if fl != nil {
		fl.pending--
		if fl.pending == 0 {
			m.forget(&ev.Seg, fl)
		}
		sent := &m.rows[fl.sent]
		r.col, r.fl = sent.col, fl
		r.to = m.receiverCol(ev)
		if sent.to < 0 || ev.Kind == emulator.KindSegmentDelivered {
			// The sent row guessed the receiver from addresses; the
			// delivery knows it (a listener's child, say).
			sent.to = r.to
		}
		r.text = sent.text
		if r.style == 0 {
			r.style = sent.style
		}
		if len(fl.outs) > 0 {
			r.text += " (duplicate)"
		}
	} else {
		// No departure seen: injected by hand, or from an external peer.
		m.seqs.see(&ev.Seg, 0)
		r.col = m.addrColumn(ev.Seg.Src, ev.Seg.Dst)
		r.to = m.receiverCol(ev)
		r.text = m.label(&ev.Seg)
		if r.style == 0 {
			r.style = segStyle(ev.Seg.Flags)
		}
	}
	switch ev.Kind {
	case emulator.KindSegmentDropped:
		r.text = dropText(ev, m.opts.FaultRules)
	case emulator.KindSegmentExternal:
		r.text += " (external)"
	}
	i := m.push(r)
	if fl != nil {
		fl.outs = append(fl.outs, i)
	}
}

func (m *ladderModel) forget(seg *emulator.SegmentHeader, fl *flight) {
	list := m.flights[*seg]
	for i, f := range list {
		if f == fl {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(m.flights, *seg)
	} else {
		m.flights[*seg] = list
	}
}

// writeCaption writes what the ladder and the table both say of a segment:
// "SYN,ACK seq=0 ack=1 len=5", with sequence numbers as seqs shows them.
func writeCaption(b *strings.Builder, h *emulator.SegmentHeader, seqs *seqBases) {
	seq, ack := seqs.numbers(h)
	if h.Flags == 0 {
		b.WriteString("<none>")
	} else {
		b.WriteString(h.Flags.String())
	}
	fmt.Fprintf(b, " seq=%d", seq)
	if h.Flags&tcp.ACK != 0 {
		fmt.Fprintf(b, " ack=%d", ack)
	}
	if h.Len > 0 {
		fmt.Fprintf(b, " len=%d", h.Len)
	}
}

// label is a segment as an arrow's caption: "SYN,ACK seq=0 ack=1 len=5".
func (m *ladderModel) label(h *emulator.SegmentHeader) string {
	var b strings.Builder
	writeCaption(&b, h, m.seqs)
	if h.Flags&tcp.ACK != 0 && h.Window == 0 {
		b.WriteString(" win=0")
	}
	return b.String()
}

func dropText(ev *emulator.Event, rules map[int64]string) string {
	switch {
	case ev.Drop == emulator.DropRule && rules[ev.Value] != "":
		return "lost (rule " + rules[ev.Value] + ")"
	case ev.Drop == emulator.DropRule && ev.Value != 0:
		return "lost (fault rule " + strconv.FormatInt(ev.Value, 10) + ")"
	case ev.Value != 0:
		return "lost (" + ev.Drop.String() + ", rule " + strconv.FormatInt(ev.Value, 10) + ")"
	}
	return "lost (" + ev.Drop.String() + ")"
}

// ruleName is fault rule id's name from Options.FaultRules, else its
// number.
func ruleName(id int64, rules map[int64]string) string {
	if name, ok := rules[id]; ok {
		return name
	}
	return strconv.FormatInt(id, 10)
}

func callText(ev *emulator.Event) string {
	s := ev.Call.String() + "()"
	switch ev.Call {
	case emulator.CallSend, emulator.CallReceive:
		if ev.Value == 0 {
			break // not known (the API does not carry it)
		}
		s = ev.Call.String() + "(" + strconv.FormatInt(ev.Value, 10) + ")"
	}
	if ev.Err != 0 {
		s += ": " + ev.Err.Text()
	}
	return s
}

// settle decides which flights are drawn as one arrow: those whose first
// outcome follows the departure with nothing in between that involves the
// receiver, another segment, or the whole ladder. Anything else is drawn
// RFC 9293's way, leaving ("-->  ...") and arriving ("...  -->") on rows of
// their own, so that crossing segments cross.
func (m *ladderModel) settle() {
	for i := range m.rows {
		r := &m.rows[i]
		if r.kind == rowSend && r.to < 0 {
			// Still in flight when the events end.
			r.to = m.addrColumn(r.ev.Seg.Dst, r.ev.Seg.Src)
		}
		if r.kind != rowSend || len(r.fl.outs) == 0 {
			continue
		}
		first := r.fl.outs[0]
		out := &m.rows[first]
		if r.idx < m.from && out.idx >= m.from {
			continue // drawn already as leaving; it arrives on a row of its own
		}
		clear := true
		for k := i + 1; k < first && clear; k++ {
			b := &m.rows[k]
			switch b.kind {
			case rowHidden:
			case rowSend, rowArrive, rowDrop, rowLink:
				clear = false
			default:
				if b.col != r.col || b.explain != "" {
					clear = false
				}
			}
		}
		if clear {
			r.fl.whole = true
			r.to = out.to
			out.kind = rowHidden
			if out.ev.Kind == emulator.KindSegmentExternal {
				r.text += " (external)"
			}
		}
	}
}
