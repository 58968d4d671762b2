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
	out, header, gutter, err := s.draw(evs)
	if err != nil {
		return err
	}
	s.events = append(s.events, evs...)
	s.header, s.gutter = header, gutter
	_, err = s.w.Write(out)
	return err
}

// Preview returns what Write(evs) would draw, without drawing it or
// adding evs to the stream: a glimpse of rows still to come (the shell
// shows them under its prompt).
func (s *LadderStream) Preview(evs []emulator.Event) ([]byte, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	out, _, _, err := s.draw(evs)
	return out, err
}

// draw renders evs after the stream's events: the bytes to write, and the
// header and gutter they leave.
func (s *LadderStream) draw(evs []emulator.Event) (out []byte, header []byte, gutter int, err error) {
	from := len(s.events)
	all := append(s.events[:from:from], evs...)
	opts := s.opts
	m := resolveFrom(all, from, &opts)
	l := newLayout(m, s.gutter)
	var h bytes.Buffer
	hc := l.header()
	if err := hc.write(&h, opts.Color); err != nil {
		return nil, nil, 0, err
	}
	var b bytes.Buffer
	header = s.header
	if !bytes.Equal(h.Bytes(), s.header) {
		if s.header != nil {
			b.WriteByte('\n')
		}
		b.Write(h.Bytes())
		header = h.Bytes()
	}
	if err := l.draw(&b, false); err != nil {
		return nil, nil, 0, err
	}
	return b.Bytes(), header, l.gutter, nil
}

// Events are the events drawn so far (the stream's own copy).
func (s *LadderStream) Events() []emulator.Event { return s.events }
