package render

import (
	"io"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
)

// Ladder draws events as a sequence ("ladder") diagram in the style of RFC
// 9293's figures: one lifeline per endpoint, virtual time in the left
// gutter, and for every segment an arrow from its sender to its receiver
// captioned with its control bits, SEQ, ACK and length.
//
//	time  cli                                                         srv
//	  0s  |                                                       LISTEN |
//	      |  SYN-SENT                                                    |
//	      |--------------------------- SYN seq=0 ----------------------->|
//
// A segment is drawn as one arrow when nothing happens between its
// departure and its arrival that the arrow would hide. Otherwise it is drawn
// as RFC 9293 draws a delayed segment, leaving on one row ("--> ...") and
// arriving on a later one ("... -->"), so that segments in flight at the
// same time cross. A lost segment ends in "XXX" with the reason; a copy the
// network made arrives marked "(duplicate)".
//
// Beside each lifeline are the endpoint's new states, its calls, its timers
// ("[retransmission timer, fires at 1s]"), data it can read and errors it
// was told of; with Options.Explain each transition's explanation follows
// it, wrapped to the ladder's width. Everything the ladder draws is ASCII
// except names and explanations, whose width is measured in terminal cells
// (a Hangul syllable is two), so columns line up in Korean too.
func Ladder(w io.Writer, events []emulator.Event, opts Options) error {
	m := resolve(events, &opts)
	l := newLayout(m, 0)
	return l.draw(w, true)
}

// minLane is the narrowest gap between two lifelines: room for a caption
// such as "SYN,ACK seq=0 ack=1 len=1460" and the arrow around it.
const minLane = 36

type layout struct {
	m      *ladderModel
	gutter int   // cells before the first lifeline
	xs     []int // each column's lifeline
	width  int
}

// newLayout places m's columns. The time gutter is wide enough for every
// time m shows, and at least minGutter cells.
func newLayout(m *ladderModel, minGutter int) *layout {
	l := &layout{m: m, width: m.opts.Width}
	if l.width <= 0 {
		l.width = 80
	}
	tw := max(len("time"), m.opts.TimeWidth)
	for i := range m.rows {
		if n := len(explain.FormatTime(m.rows[i].ev.Time)); n > tw {
			tw = n
		}
	}
	l.gutter = max(tw+3, minGutter)
	n := len(m.cols)
	if n > 1 && (l.width-1-l.gutter)/(n-1) < minLane {
		l.width = l.gutter + minLane*(n-1) + 1
	}
	last := l.width - 1
	for i := range n {
		x := l.gutter
		if n > 1 {
			x += i * (last - l.gutter) / (n - 1)
		}
		l.xs = append(l.xs, x)
	}
	return l
}

func (l *layout) canvas() canvas {
	c := newCanvas(l.width)
	for _, x := range l.xs {
		c.put(x, "|", styleDim)
	}
	return c
}

// header is the ladder's first line: "time" and each column's name over
// its lifeline.
func (l *layout) header() canvas {
	h := newCanvas(l.width)
	h.put(1, "time", styleDim)
	for i, col := range l.m.cols {
		name := col.name
		nw := textWidth(name)
		x := l.xs[i]
		switch {
		case len(l.xs) > 1 && i == len(l.xs)-1:
			x -= nw - 1
		case i > 0:
			x -= nw / 2
		}
		h.put(x, name, styleHeader)
	}
	return h
}

// draw writes the header (when asked) and the rows of the events from
// l.m.from on.
func (l *layout) draw(w io.Writer, header bool) error {
	color := l.m.opts.Color
	if header {
		h := l.header()
		if err := h.write(w, color); err != nil {
			return err
		}
	}
	last := time.Duration(-1)
	for i := range l.m.rows {
		r := &l.m.rows[i]
		if r.kind == rowHidden {
			continue
		}
		if r.idx < l.m.from {
			last = r.ev.Time
			continue
		}
		c := l.canvas()
		if r.ev.Time != last {
			t := explain.FormatTime(r.ev.Time)
			c.put(l.gutter-2-len(t), t, styleDim)
			last = r.ev.Time
		}
		l.drawRow(&c, r)
		if err := c.write(w, color); err != nil {
			return err
		}
		if r.explain != "" {
			if err := l.drawExplanation(w, r.explain); err != nil {
				return err
			}
		}
	}
	return nil
}

// beside writes text next to column i's lifeline: to its left for the
// rightmost of several columns, to its right otherwise.
func (l *layout) beside(c *canvas, i int, text string, st style) {
	x := l.xs[i]
	room := l.width - x - 3
	if len(l.xs) > 1 {
		room = l.lane() - 3
	}
	text = elide(text, room)
	if len(l.xs) > 1 && i == len(l.xs)-1 {
		c.put(x-1-textWidth(text), text, st)
		return
	}
	c.put(x+2, text, st)
}

func (l *layout) lane() int {
	if len(l.xs) < 2 {
		return l.width - l.gutter
	}
	return l.xs[1] - l.xs[0]
}

func (l *layout) drawRow(c *canvas, r *row) {
	switch r.kind {
	case rowState, rowText:
		l.beside(c, r.col, r.text, r.style)
	case rowLink:
		text := "== " + r.text + " =="
		x := (l.xs[0] + l.xs[len(l.xs)-1] - textWidth(text)) / 2
		c.put(x, text, r.style)
	case rowSend:
		switch {
		case r.to == r.col:
			l.beside(c, r.col, "sends "+r.text+" to itself", r.style)
		case r.fl.whole && len(r.fl.outs) > 0 && l.m.rows[r.fl.outs[0]].ev.Kind == emulator.KindSegmentDropped:
			l.arrow(c, r.col, r.to, r.text, r.style, partLost, l.m.rows[r.fl.outs[0]].text)
		case r.fl.whole:
			l.arrow(c, r.col, r.to, r.text, r.style, partWhole, "")
		default:
			l.arrow(c, r.col, r.to, r.text, r.style, partDepart, "")
		}
	case rowArrive:
		text := r.text
		if r.fl != nil && r.fl.delayed {
			text += " (delayed)"
		}
		if r.to == r.col {
			l.beside(c, r.col, "receives "+text, r.style)
			return
		}
		l.arrow(c, r.col, r.to, text, r.style, partArrive, "")
	case rowDrop:
		label := r.text
		if r.fl != nil {
			label = l.m.rows[r.fl.sent].text
		}
		l.arrow(c, r.col, r.to, label, r.style, partDropped, r.text)
	}
}

// part is which piece of a segment's journey a row draws.
type part uint8

const (
	partWhole   part = iota // |------ label ------>|
	partDepart              // |---- label ---> ...  |
	partArrive              // |  ... ---- label --->|
	partLost                // |---- label --->XXX lost (why)|
	partDropped             // |  ... XXX label lost (why) |
)

// arrow draws a segment from column from to column to.
func (l *layout) arrow(c *canvas, from, to int, label string, st style, p part, why string) {
	a, b := l.xs[from], l.xs[to]
	right := a < b
	lo, hi := min(a, b)+1, max(a, b)-1
	span := hi - lo + 1
	label = elide(label, span-8)
	lw := textWidth(label)
	// Half arrows are long enough for their caption and leave room for
	// the "..." (or the "XXX") that says the journey goes on elsewhere.
	half := max(span*3/5, lw+10)
	if half > span-5 {
		half = span - 5
	}
	if p == partDropped {
		text := "... XXX " + label + " " + why
		text = elide(text, span-2)
		c.put(lo+(span-textWidth(text))/2, text, styleError)
		return
	}
	var s, e int // the arrow's cells, inclusive
	switch {
	case p == partWhole:
		s, e = lo, hi
	case (p == partDepart || p == partLost) == right:
		s, e = lo, lo+half-1
	default:
		s, e = hi-half+1, hi
	}
	c.fill(s, e-s+1, "-", st)
	if right {
		c.put(e, ">", st)
	} else {
		c.put(s, "<", st)
	}
	mid := s + (e-s+1-lw-2)/2
	c.put(mid, " "+label+" ", st)
	switch p {
	case partDepart:
		if right {
			c.put(e+2, "...", styleDim)
		} else {
			c.put(s-4, "...", styleDim)
		}
	case partArrive:
		if right {
			c.put(s-4, "...", styleDim)
		} else {
			c.put(e+2, "...", styleDim)
		}
	case partLost:
		room := span - half - 1
		text := elide("XXX "+why, room)
		if right {
			c.put(e+1, text, styleError)
		} else {
			c.put(s-1-textWidth(text), text, styleError)
		}
	}
}

// drawExplanation writes an explanation under its row, wrapped between the
// outer lifelines, followed by an empty row.
func (l *layout) drawExplanation(w io.Writer, text string) error {
	x0 := l.xs[0]
	right := l.width - 1
	if len(l.xs) > 1 {
		right = l.xs[len(l.xs)-1]
	}
	room := right - x0 - 5
	lines := wrap(text, room)
	if n := l.m.opts.ExplainLines; n > 0 && len(lines) > n {
		rest := lines[n-1]
		for _, s := range lines[n:] {
			rest += " " + s
		}
		lines = append(lines[:n-1], elide(rest, room))
	}
	lines = append(lines, "")
	for _, line := range lines {
		c := newCanvas(l.width)
		c.put(x0, "|", styleDim)
		if len(l.xs) > 1 {
			c.put(right, "|", styleDim)
		}
		c.put(x0+3, line, styleNone)
		if err := c.write(w, l.m.opts.Color); err != nil {
			return err
		}
	}
	return nil
}
