package cmdutil

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"
)

// ColorModes are the values --color accepts.
var ColorModes = []string{"auto", "always", "never"}

// MinWidth is the narrowest ladder emuctl draws, and its width when the
// output is not a terminal: a two-endpoint ladder fits 80 columns.
const MinWidth = 80

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// Colorful reports whether output to w gets ANSI colours: --color always
// or never decide; auto (the default) colours a terminal unless NO_COLOR
// is set to anything non-empty (https://no-color.org: a flag given on the
// command line overrides the variable, so --color always still colours).
func (g *Globals) Colorful(w io.Writer) bool {
	switch g.Color {
	case "always":
		return true
	case "never":
		return false
	}
	return IsTerminal(w) && os.Getenv("NO_COLOR") == ""
}

// Width is how many columns a ladder drawn on w may use: the terminal's
// width, never less than MinWidth; MinWidth when w is not a terminal (a
// pipe or a file gets the same bytes whatever window ran the command).
func Width(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !IsTerminal(w) {
		return MinWidth
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil || cols < MinWidth {
		return MinWidth
	}
	return cols
}
