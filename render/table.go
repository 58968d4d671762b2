package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// Table writes one line per event: time, endpoint, kind and details, in
// aligned columns under a header.
//
//	TIME  ENDPOINT  KIND       DETAILS
//	0s    cli       state      CLOSED -> SYN-SENT [open-active RFC 9293 §3.10.1]
//	0s    cli       sent       10.0.0.1:5000 > 10.0.0.2:80 SYN seq=0 [open-active RFC 9293 §3.10.1]
//
// Sequence numbers follow Options.Absolute as in the ladder. Cancelled
// timers are listed too: the table hides nothing. With Options.Color the
// kinds and states are coloured.
func Table(w io.Writer, events []emulator.Event, opts Options) error {
	n := newNames(&opts)
	seqs := newSeqBases(opts.Absolute)
	type line struct {
		time, name, kind, details string
		st                        style
	}
	lines := make([]line, 0, len(events))
	tw, nw, kw := len("TIME"), len("ENDPOINT"), len("KIND")
	for i := range events {
		ev := &events[i]
		n.see(ev)
		if ev.Kind == emulator.KindSegmentSent {
			seqs.see(&ev.Seg, ev.Endpoint)
		} else if ev.Kind == emulator.KindSegmentDelivered {
			seqs.see(&ev.Seg, 0)
		}
		l := line{
			time:    explain.FormatTime(ev.Time),
			name:    n.endpoint(ev.Endpoint),
			kind:    ev.Kind.String(),
			details: details(ev, n, seqs),
			st:      kindStyle(ev),
		}
		tw, nw, kw = max(tw, textWidth(l.time)), max(nw, textWidth(l.name)), max(kw, textWidth(l.kind))
		lines = append(lines, l)
	}
	pad := func(s string, w int) string { return s + strings.Repeat(" ", w-textWidth(s)) }
	paint := func(s string, st style) string {
		if !opts.Color || sgr[st] == "" {
			return s
		}
		return "\x1b[" + sgr[st] + "m" + s + "\x1b[0m"
	}
	var b strings.Builder
	b.WriteString(paint(pad("TIME", tw)+"  "+pad("ENDPOINT", nw)+"  "+pad("KIND", kw)+"  DETAILS", styleHeader))
	b.WriteByte('\n')
	for _, l := range lines {
		kind := paint(pad(l.kind, kw), l.st)
		if l.details == "" {
			kind = paint(l.kind, l.st)
		}
		b.WriteString(pad(l.time, tw) + "  " + pad(l.name, nw) + "  " + kind)
		if l.details != "" {
			b.WriteString("  " + l.details)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func kindStyle(ev *emulator.Event) style {
	switch ev.Kind {
	case emulator.KindStateChanged:
		return stateStyle(ev.To)
	case emulator.KindSegmentSent, emulator.KindSegmentDelivered:
		return segStyle(ev.Seg.Flags)
	case emulator.KindSegmentDropped, emulator.KindSegmentDiscarded, emulator.KindSignal, emulator.KindLink:
		return styleError
	case emulator.KindTimerArmed, emulator.KindTimerFired, emulator.KindTimerCancelled:
		return styleTimer
	case emulator.KindCall:
		return styleCall
	}
	return styleDim
}

// segmentText is a segment with its addresses and the ladder's caption:
// "10.0.0.1:5000 > 10.0.0.2:80 SYN seq=0".
func segmentText(h *emulator.SegmentHeader, n *names, seqs *seqBases) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s > %s ", n.addr(h.Src), n.addr(h.Dst))
	writeCaption(&b, h, seqs)
	if h.Flags&tcp.ACK != 0 || h.Window != 0 {
		fmt.Fprintf(&b, " win=%d", h.Window)
	}
	if h.MSS != 0 {
		fmt.Fprintf(&b, " mss=%d", h.MSS)
	}
	return b.String()
}

// details is everything an event says after its kind, on one line.
func details(ev *emulator.Event, n *names, seqs *seqBases) string {
	var s string
	switch ev.Kind {
	case emulator.KindStateChanged:
		s = ev.From.String() + " -> " + ev.To.String()
	case emulator.KindSegmentSent, emulator.KindSegmentDelivered, emulator.KindSegmentDiscarded,
		emulator.KindSegmentExternal, emulator.KindSegmentDuplicated, emulator.KindSegmentDelayed:
		s = segmentText(&ev.Seg, n, seqs)
		if ev.Kind == emulator.KindSegmentDuplicated || ev.Kind == emulator.KindSegmentDelayed {
			s += byRule(ev.Value, n.opts.FaultRules)
		}
	case emulator.KindSegmentDropped:
		s = segmentText(&ev.Seg, n, seqs) + " " + dropText(ev, n.opts.FaultRules)
	case emulator.KindTimerArmed:
		s = ev.Timer.String() + " at " + explain.FormatTime(time.Duration(ev.Value))
	case emulator.KindTimerFired, emulator.KindTimerCancelled:
		s = ev.Timer.String()
	case emulator.KindCall:
		s = callText(ev)
	case emulator.KindDataReady:
		s = strconv.FormatInt(ev.Value, 10) + " octets"
	case emulator.KindSignal:
		s = ev.Err.Text()
	case emulator.KindEndpointCreated:
		if ev.Value != 0 {
			s = "forked by " + n.endpoint(emulator.EndpointID(ev.Value))
		}
	case emulator.KindLink:
		state := "healed"
		if ev.Value != 0 {
			state = "cut"
		}
		s = fmt.Sprintf("%v > %v %s", n.addrPort(ev.Seg.Src).Addr(), n.addrPort(ev.Seg.Dst).Addr(), state)
	}
	if ev.Rule != tcp.RuleNone {
		if s != "" {
			s += " "
		}
		s += "[" + ev.Rule.Name() + " " + ev.Rule.Section() + "]"
	}
	return s
}

func byRule(id int64, rules map[int64]string) string {
	if id == 0 {
		return " (path)"
	}
	return " (fault rule " + ruleName(id, rules) + ")"
}
