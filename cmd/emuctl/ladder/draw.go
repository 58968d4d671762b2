package ladder

import (
	"bytes"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"

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
	// Color adds ANSI colours: see Colorful.
	Color bool
}

// Colorful reports whether w deserves colours: a terminal, and NO_COLOR
// (https://no-color.org) unset or empty.
func Colorful(w io.Writer) bool {
	return IsTerminal(w) && os.Getenv("NO_COLOR") == ""
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// RenderOptions are the render package's options for events converted by
// c: explanations on, 80 columns, the endpoints named by their API IDs.
func (c *Converter) RenderOptions(o Options) render.Options {
	return render.Options{
		Addrs: c, Names: c.Names(), Lang: c.lang,
		Explain: true, Color: o.Color, Absolute: o.Absolute,
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

// Live draws a growing ladder, for `emuctl watch --ladder`. A ladder's
// layout depends on every event (a new endpoint adds a column), so each
// batch redraws it from all events received so far:
//
//   - on a terminal, the screen is cleared and the whole ladder drawn
//     again;
//   - elsewhere (a pipe, a file) output cannot be taken back: only lines
//     not printed before are written, and the last line is held until more
//     comes or the watch ends, as it may still grow. When a redraw changes
//     lines already printed (a new column), the whole ladder is printed
//     again after a blank line.
type Live struct {
	w       io.Writer
	o       Options
	c       *Converter
	evs     []emulator.Event
	tty     bool
	printed []string // lines written so far (piped)
	held    string   // the last line, not yet written (piped)
}

// NewLive draws on w; tty says whether w is a terminal that can be
// cleared.
func NewLive(w io.Writer, o Options, tty bool) *Live {
	return &Live{w: w, o: o, c: NewConverter(lang(o)), tty: tty}
}

// Write adds a batch and redraws.
func (l *Live) Write(evs []*pb.Event) error {
	if len(evs) == 0 {
		return nil
	}
	l.evs = append(l.evs, l.c.Events(evs)...)
	var b bytes.Buffer
	if err := render.Ladder(&b, l.evs, l.c.RenderOptions(l.o)); err != nil {
		return err
	}
	if l.tty {
		// Home, clear the screen, draw.
		_, err := io.WriteString(l.w, "\x1b[H\x1b[2J"+b.String())
		return err
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	lines = lines[:len(lines)-1]
	var out strings.Builder
	if !prefix(l.printed, lines) {
		if len(l.printed) > 0 {
			out.WriteString("\n")
		}
		l.printed = nil
	}
	for _, s := range lines[len(l.printed):] {
		out.WriteString(s + "\n")
	}
	l.printed, l.held = lines, last
	_, err := io.WriteString(l.w, out.String())
	return err
}

// Close writes the line held back.
func (l *Live) Close() error {
	if l.tty || l.held == "" {
		return nil
	}
	_, err := io.WriteString(l.w, l.held+"\n")
	l.printed, l.held = append(l.printed, l.held), ""
	return err
}

// prefix reports whether p is a prefix of s.
func prefix(p, s []string) bool {
	if len(p) > len(s) {
		return false
	}
	for i := range p {
		if p[i] != s[i] {
			return false
		}
	}
	return true
}
