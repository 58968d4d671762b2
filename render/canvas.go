package render

import (
	"io"
	"strings"

	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// style is a cell's look; with Options.Color it becomes an ANSI SGR code.
type style uint8

const (
	styleNone style = iota
	styleDim
	styleHeader
	styleCall
	styleTimer
	styleTimerFired
	styleError
	styleSYN
	styleFIN
	styleRST
	styleData
	styleACK
	styleStateOpen
	styleStateUp
	styleStateClosing
	styleStateClosed
	styleStateTimeWait
	numStyles
)

// sgr holds each style's Select Graphic Rendition parameters; "" is the
// terminal's default look.
var sgr = [numStyles]string{
	styleDim:           "2",
	styleHeader:        "1",
	styleCall:          "36",
	styleTimer:         "34",
	styleTimerFired:    "1;34",
	styleError:         "1;31",
	styleSYN:           "32",
	styleFIN:           "33",
	styleRST:           "31",
	styleData:          "36",
	styleStateOpen:     "1;33",
	styleStateUp:       "1;32",
	styleStateClosing:  "1;35",
	styleStateClosed:   "1;31",
	styleStateTimeWait: "1;35",
}

func stateStyle(s tcp.State) style {
	switch s {
	case tcp.Established:
		return styleStateUp
	case tcp.Closed:
		return styleStateClosed
	case tcp.TimeWait:
		return styleStateTimeWait
	case tcp.FinWait1, tcp.FinWait2, tcp.CloseWait, tcp.Closing, tcp.LastAck:
		return styleStateClosing
	}
	return styleStateOpen
}

func segStyle(f tcp.Flags) style {
	switch {
	case f&tcp.RST != 0:
		return styleRST
	case f&tcp.SYN != 0:
		return styleSYN
	case f&tcp.FIN != 0:
		return styleFIN
	case f&tcp.PSH != 0:
		return styleData
	}
	return styleACK
}

// cell is one terminal cell. A wide character fills its first cell and
// leaves the second empty (wide).
type cell struct {
	s    string
	st   style
	wide bool // the right half of a wide character
}

// canvas is one line of the ladder, built cell by cell so that widths are
// counted in cells, never in bytes, and colour codes never count at all.
type canvas []cell

func newCanvas(width int) canvas {
	c := make(canvas, width)
	for i := range c {
		c[i].s = " "
	}
	return c
}

// put writes s from cell x on; what falls outside the line is cut off.
// It returns the cell after the text.
func (c *canvas) put(x int, s string, st style) int {
	for _, r := range s {
		w := runeWidth(r)
		if w == 0 {
			continue
		}
		if x < 0 {
			x += w
			continue
		}
		for x+w > len(*c) {
			*c = append(*c, cell{s: " "})
		}
		(*c)[x] = cell{s: string(r), st: st}
		if w == 2 {
			(*c)[x+1] = cell{wide: true, st: st}
		}
		x += w
	}
	return x
}

// fill writes n copies of the one-cell rune r from x on.
func (c *canvas) fill(x, n int, r string, st style) {
	for i := 0; i < n; i++ {
		c.put(x+i, r, st)
	}
}

// write emits the line without trailing blanks, coloured if color is set.
func (c canvas) write(w io.Writer, color bool) error {
	end := len(c)
	for end > 0 && c[end-1].s == " " && !c[end-1].wide {
		end--
	}
	var b strings.Builder
	cur := styleNone
	for _, x := range c[:end] {
		if x.wide {
			continue
		}
		if color && sgr[x.st] != sgr[cur] {
			if sgr[cur] != "" {
				b.WriteString("\x1b[0m")
			}
			if sgr[x.st] != "" {
				b.WriteString("\x1b[" + sgr[x.st] + "m")
			}
			cur = x.st
		}
		b.WriteString(x.s)
	}
	if color && sgr[cur] != "" {
		b.WriteString("\x1b[0m")
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}
