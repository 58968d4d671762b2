package ladder

import (
	"bytes"
	"io"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
	"github.com/tcpemu/tcpemu/render"
)

// Options say how emuctl draws a ladder.
type Options struct {
	// Lang is the language the events' explanations were requested in
	// ("en" or "ko"); the ladder explains in it too.
	Lang string
	// Absolute prints SEQ and ACK as on the wire (default: relative to
	// each direction's SYN).
	Absolute bool
	// Color adds ANSI colours: see cmdutil.Globals.Colorful.
	Color bool
	// Width is the ladder's width in cells: see cmdutil.Width. 0 means 80.
	Width int
	// Columns orders the ladder's columns by endpoint ID; endpoints not
	// listed follow in order of appearance.
	Columns []string
	// TimeWidth reserves room for times this wide (render.Options).
	TimeWidth int
	// Terse leaves out the explanations under transitions (the demos
	// narrate instead).
	Terse bool
}

// RenderOptions are the render package's options for events converted by
// c: explanations on, the endpoints named by their API IDs.
func (c *Converter) RenderOptions(o Options) render.Options {
	var cols []emulator.EndpointID
	for _, id := range o.Columns {
		cols = append(cols, c.Endpoint(id))
	}
	return render.Options{
		Addrs: c, Names: c.Names(), Lang: c.lang, Homes: c.homes, FaultRules: c.faultNames, Columns: cols,
		Explain: !o.Terse, Color: o.Color, Absolute: o.Absolute, Width: o.Width, TimeWidth: o.TimeWidth,
	}
}

func lang(o Options) explain.Lang {
	l, _ := explain.ParseLang(o.Lang) // validated by root's --lang check
	return l
}

// Draw writes evs as a ladder diagram.
func Draw(w io.Writer, evs []*pb.Event, o Options) error {
	c := NewConverter(lang(o))
	return render.Ladder(w, c.Events(evs), c.RenderOptions(o))
}

// Mermaid writes evs as a Mermaid sequenceDiagram.
func Mermaid(w io.Writer, evs []*pb.Event, o Options) error {
	c := NewConverter(lang(o))
	opts := c.RenderOptions(o)
	opts.Color = false
	return render.Mermaid(w, c.Events(evs), opts)
}

// Live draws a growing ladder, for `emuctl watch --ladder`, the demos and
// the shell. A ladder's layout depends on every event (a new endpoint adds
// a column), so:
//
//   - on a terminal that may be cleared (Redraw), the screen is cleared
//     and the whole ladder drawn again after every batch;
//   - elsewhere (a pipe, a file, the lines under a prompt) output cannot
//     be taken back: each batch writes only its own rows, and a new header
//     line when the layout changed (render.LadderStream). Nothing already
//     written is written again.
type Live struct {
	w      io.Writer
	o      Options
	c      *Converter
	redraw bool
	stream *render.LadderStream
}

// NewLive draws on w; redraw says whether w is a terminal whose screen
// may be cleared and drawn again.
func NewLive(w io.Writer, o Options, redraw bool) *Live {
	c := NewConverter(lang(o))
	return &Live{w: w, o: o, c: c, redraw: redraw}
}

// Converter is the converter the ladder's events go through: tell it the
// endpoints' homes (Converter.Home) before the first Write.
func (l *Live) Converter() *Converter { return l.c }

// start makes the stream at the first batch, when the converter knows
// what the options name.
func (l *Live) start() {
	if l.stream != nil {
		return
	}
	w := l.w
	if l.redraw {
		w = io.Discard // keeps the events; the screen is drawn whole
	}
	l.stream = render.NewLadderStream(w, l.c.RenderOptions(l.o))
}

// Write adds a batch and draws it.
func (l *Live) Write(evs []*pb.Event) error {
	if len(evs) == 0 {
		return nil
	}
	l.start()
	if err := l.stream.Write(l.c.Events(evs)); err != nil {
		return err
	}
	if !l.redraw {
		return nil
	}
	var b bytes.Buffer
	if err := render.Ladder(&b, l.stream.Events(), l.c.RenderOptions(l.o)); err != nil {
		return err
	}
	// Home, clear the screen, draw.
	_, err := io.WriteString(l.w, "\x1b[H\x1b[2J"+b.String())
	return err
}

// Preview is what Write(evs) would draw next, without drawing it (the
// rows a redrawing Live would add are the same).
func (l *Live) Preview(evs []*pb.Event) (string, error) {
	if len(evs) == 0 {
		return "", nil
	}
	l.start()
	b, err := l.stream.Preview(l.c.Events(evs))
	return string(b), err
}

// Close ends the drawing; every row is written already.
func (l *Live) Close() error { return nil }
