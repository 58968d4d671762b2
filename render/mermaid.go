package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tcpemu/tcpemu/emulator"
)

// Mermaid writes a Mermaid sequenceDiagram for documents: a participant per
// ladder column, a "->>" message for each segment (dotted "-->>" for a
// duplicate's extra arrival, "-x" for a lost one), and notes for state
// changes, calls, fired timers and errors; with Options.Explain each
// transition's explanation is a note beside it. Mermaid draws a message at
// one instant, so a segment appears when it is sent.
func Mermaid(w io.Writer, events []emulator.Event, opts Options) error {
	m := resolve(events, &opts)
	var b strings.Builder
	b.WriteString("sequenceDiagram\n")
	id := func(c int) string { return "p" + strconv.Itoa(c+1) }
	for c, col := range m.cols {
		fmt.Fprintf(&b, "    participant %s as %s\n", id(c), mermaidText(col.name))
	}
	note := func(c int, text string) {
		fmt.Fprintf(&b, "    Note over %s: %s\n", id(c), mermaidText(text))
	}
	for i := range m.rows {
		r := &m.rows[i]
		switch r.kind {
		case rowState:
			note(r.col, r.text)
		case rowText:
			switch r.ev.Kind {
			case emulator.KindCall, emulator.KindTimerFired, emulator.KindSignal, emulator.KindSegmentDiscarded:
				note(r.col, r.text)
			}
		case rowLink:
			fmt.Fprintf(&b, "    Note over %s,%s: %s\n", id(0), id(len(m.cols)-1), mermaidText(r.text))
		case rowSend:
			arrow, text := "->>", r.text
			if outs := r.fl.outs; len(outs) > 0 && m.rows[outs[0]].ev.Kind == emulator.KindSegmentDropped {
				arrow, text = "-x", text+" "+m.rows[outs[0]].text
			}
			fmt.Fprintf(&b, "    %s%s%s: %s\n", id(r.col), arrow, id(r.to), mermaidText(text))
		case rowArrive:
			if r.fl == nil {
				fmt.Fprintf(&b, "    %s->>%s: %s\n", id(r.col), id(r.to), mermaidText(r.text))
			} else if len(r.fl.outs) > 0 && r.fl.outs[0] != i {
				fmt.Fprintf(&b, "    %s-->>%s: %s\n", id(r.col), id(r.to), mermaidText(r.text))
			}
		case rowDrop:
			if r.fl != nil && r.fl.outs[0] != i {
				fmt.Fprintf(&b, "    %s-x%s: %s\n", id(r.col), id(r.to), mermaidText(m.rows[r.fl.sent].text+" "+r.text))
			}
		}
		if r.explain != "" {
			side := "right of"
			if len(m.cols) > 1 && r.col == len(m.cols)-1 {
				side = "left of"
			}
			fmt.Fprintf(&b, "    Note %s %s: %s\n", side, id(r.col), mermaidText(strings.Join(wrap(r.explain, 60), "<br/>")))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidText escapes what Mermaid would read as syntax: ";" ends a
// statement, "#" starts an entity, and "<" ">" would open HTML tags (RFC
// notation is full of them). Mermaid's entity codes are "#NN;".
func mermaidText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ';', '#', '<', '>':
			if c == '<' && strings.HasPrefix(s[i:], "<br/>") {
				b.WriteString("<br/>")
				i += len("<br/>") - 1
				continue
			}
			fmt.Fprintf(&b, "#%d;", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
