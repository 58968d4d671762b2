package explain

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// Addresser resolves the address handles found in events (a Session is one).
type Addresser interface {
	Addr(tcp.AddrID) netip.AddrPort
}

// Describer writes one-line descriptions of events.
type Describer struct {
	Addrs Addresser
	// Names gives endpoints readable names; missing ones print as "ep7",
	// and endpoint 0 (a host answering for a closed port) as "host".
	Names map[emulator.EndpointID]string
}

// Name returns an endpoint's display name.
func (d *Describer) Name(id emulator.EndpointID) string {
	if n, ok := d.Names[id]; ok {
		return n
	}
	if id == 0 {
		return "host"
	}
	return "ep" + strconv.Itoa(int(id))
}

// Segment renders a segment header in RFC 9293's notation with its
// addresses: "10.0.0.1:5000 > 10.0.0.2:80 <SEQ=100><CTL=SYN><MSS=1460>".
func (d *Describer) Segment(h emulator.SegmentHeader) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v > %v <SEQ=%d>", d.Addrs.Addr(h.Src), d.Addrs.Addr(h.Dst), h.Seq)
	if h.Flags&tcp.ACK != 0 {
		fmt.Fprintf(&b, "<ACK=%d>", h.Ack)
	}
	if h.Flags != 0 {
		fmt.Fprintf(&b, "<CTL=%s>", h.Flags)
	}
	if h.Flags&tcp.ACK != 0 || h.Window != 0 {
		fmt.Fprintf(&b, "<WND=%d>", h.Window)
	}
	if h.Len > 0 {
		fmt.Fprintf(&b, "<DATA=%d>", h.Len)
	}
	if h.MSS != 0 {
		fmt.Fprintf(&b, "<MSS=%d>", h.MSS)
	}
	return b.String()
}

// Line describes one event without its explanation:
// "20ms cli state SYN-SENT → ESTABLISHED [syn-sent-syn-ack RFC 9293 §3.10.7.3]".
func (d *Describer) Line(ev *emulator.Event) string {
	var b strings.Builder
	b.WriteString(FormatTime(ev.Time))
	b.WriteByte(' ')
	b.WriteString(d.Name(ev.Endpoint))
	b.WriteByte(' ')
	b.WriteString(ev.Kind.String())
	switch ev.Kind {
	case emulator.KindStateChanged:
		fmt.Fprintf(&b, " %v → %v", ev.From, ev.To)
	case emulator.KindSegmentSent, emulator.KindSegmentDelivered, emulator.KindSegmentDiscarded,
		emulator.KindSegmentExternal:
		b.WriteByte(' ')
		b.WriteString(d.Segment(ev.Seg))
	case emulator.KindSegmentDropped:
		switch {
		case ev.Value != 0 && ev.Drop == emulator.DropRule:
			fmt.Fprintf(&b, " %s (rule %d)", d.Segment(ev.Seg), ev.Value)
		case ev.Value != 0:
			fmt.Fprintf(&b, " %s (%v by rule %d)", d.Segment(ev.Seg), ev.Drop, ev.Value)
		default:
			fmt.Fprintf(&b, " %s (%v)", d.Segment(ev.Seg), ev.Drop)
		}
	case emulator.KindSegmentDuplicated, emulator.KindSegmentDelayed:
		fmt.Fprintf(&b, " %s", d.Segment(ev.Seg))
		if ev.Value != 0 {
			fmt.Fprintf(&b, " by rule %d", ev.Value)
		} else {
			b.WriteString(" by the path's draw")
		}
	case emulator.KindTimerArmed:
		fmt.Fprintf(&b, " %v at %s", ev.Timer, FormatTime(time.Duration(ev.Value)))
	case emulator.KindTimerFired, emulator.KindTimerCancelled:
		fmt.Fprintf(&b, " %v", ev.Timer)
	case emulator.KindCall:
		fmt.Fprintf(&b, " %v", ev.Call)
		if ev.Value != 0 {
			fmt.Fprintf(&b, " %d", ev.Value)
		}
		if ev.Err != 0 {
			fmt.Fprintf(&b, " → %q", ev.Err.Text())
		}
	case emulator.KindDataReady:
		fmt.Fprintf(&b, " %d octets", ev.Value)
	case emulator.KindSignal:
		fmt.Fprintf(&b, " %q", ev.Err.Text())
	case emulator.KindEndpointCreated:
		if ev.Value != 0 {
			fmt.Fprintf(&b, " by %s", d.Name(emulator.EndpointID(ev.Value)))
		}
	case emulator.KindLink:
		state := "healed"
		if ev.Value != 0 {
			state = "cut"
		}
		fmt.Fprintf(&b, " %v > %v %s", d.Addrs.Addr(ev.Seg.Src).Addr(), d.Addrs.Addr(ev.Seg.Dst).Addr(), state)
	case emulator.KindNote, emulator.KindEndpointRemoved:
	}
	if ev.Rule != tcp.RuleNone {
		fmt.Fprintf(&b, " [%s %s]", ev.Rule.Name(), ev.Rule.Section())
	}
	return b.String()
}

// Explanation is the event's explanation in lang: for an event with a rule,
// the rule's text; otherwise "".
func Explanation(ev *emulator.Event, lang Lang) string {
	if ev.Rule == tcp.RuleNone {
		return ""
	}
	return Rule(ev.Rule, lang)
}

// FormatTime prints a virtual time compactly and exactly: "0s", "10ms",
// "4m0.21s".
func FormatTime(t time.Duration) string { return t.String() }
