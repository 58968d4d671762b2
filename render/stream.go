package render

import (
	"bytes"
	"io"

	"github.com/tcpemu/tcpemu/emulator"
)

// LadderStream draws a ladder that grows batch by batch on an output that
// cannot take lines back: a pipe, a file, a terminal's scrollback under a
// prompt. Every batch writes only the rows of its own events, in the
// layout of all events so far; lines already written are never written
// again.
//
// Two things differ from drawing all events at once with Ladder. A
// segment still in flight at the end of a batch was written as leaving
// ("--> ..."), so it arrives on a row of its own ("... -->") even when
// Ladder would have drawn one arrow. And when the layout changes — a new
// column, or a time too wide for the gutter — a new header line is written
// before the batch's rows, and the rows after it use the new lifelines.
// The gutter never shrinks, so that lifelines move only when they must.
type LadderStream struct {
	w      io.Writer
	opts   Options
	events []emulator.Event
	header []byte // the header line last written
	gutter int
}

// NewLadderStream draws on w with opts.
func NewLadderStream(w io.Writer, opts Options) *LadderStream {
	return &LadderStream{w: w, opts: opts}
}

// Write adds a batch of events and draws their rows. The events are
// copied: the caller may reuse evs.
func (s *LadderStream) Write(evs []emulator.Event) error {
	if len(evs) == 0 {
		return nil
	}
	from := len(s.events)
	s.events = append(s.events, evs...)
	opts := s.opts
	m := resolveFrom(s.events, from, &opts)
	l := newLayout(m, s.gutter)
	s.gutter = l.gutter
	var h bytes.Buffer
	hc := l.header()
	if err := hc.write(&h, opts.Color); err != nil {
		return err
	}
	var out bytes.Buffer
	if !bytes.Equal(h.Bytes(), s.header) {
		if s.header != nil {
			out.WriteByte('\n')
		}
		out.Write(h.Bytes())
		s.header = h.Bytes()
	}
	if err := l.draw(&out, false); err != nil {
		return err
	}
	_, err := s.w.Write(out.Bytes())
	return err
}

// Events are the events drawn so far (the stream's own copy).
func (s *LadderStream) Events() []emulator.Event { return s.events }
