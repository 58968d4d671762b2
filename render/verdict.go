package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/tcpemu/tcpemu/scenario"
)

// VerdictFormats are the formats Verdicts writes.
var VerdictFormats = []string{"human", "junit", "tap", "json", "gradescope"}

// VerdictOptions say how to write verdicts.
type VerdictOptions struct {
	// Suite names the run in JUnit ("emuctl run").
	Suite string
	// Ladder is how the human report draws the exchange at a failure
	// (width, colour, language); its Addrs and Names come from each result.
	Ladder Options
	// Verbose shows the ladder for passing scripts too.
	Verbose bool
}

// Verdicts writes the results of a run in format (one of VerdictFormats).
func Verdicts(w io.Writer, format string, results []*scenario.Result, opts VerdictOptions) error {
	if opts.Suite == "" {
		opts.Suite = "emuctl run"
	}
	switch format {
	case "human", "":
		return Human(w, results, opts)
	case "junit":
		return JUnit(w, results, opts)
	case "tap":
		return TAP(w, results)
	case "json":
		return VerdictJSON(w, results)
	case "gradescope":
		return Gradescope(w, results)
	}
	return fmt.Errorf("unknown verdict format %q (want %s)", format, strings.Join(VerdictFormats, ", "))
}

// Summary counts results by status.
type Summary struct {
	Total, Passed, Failed, Unsupported, Errors int
	Points, MaxPoints                          float64
}

// Summarize counts results.
func Summarize(results []*scenario.Result) Summary {
	var s Summary
	for _, r := range results {
		s.Total++
		s.Points += r.Points
		s.MaxPoints += r.MaxPoints
		switch r.Status {
		case scenario.StatusPassed:
			s.Passed++
		case scenario.StatusFailed:
			s.Failed++
		case scenario.StatusUnsupported:
			s.Unsupported++
		default:
			s.Errors++
		}
	}
	return s
}

// Human writes the report a person reads: one line per script and, at a
// script's first mismatch, the line, what was expected and what the
// endpoint did, the rule that made it do so, and the ladder of the exchange
// up to that moment.
func Human(w io.Writer, results []*scenario.Result, opts VerdictOptions) error {
	ew := &errWriter{w: w}
	for _, r := range results {
		humanOne(ew, r, opts)
	}
	s := Summarize(results)
	ew.printf("\n%d script(s): %d passed, %d failed, %d unsupported, %d error(s); %s of %s points\n",
		s.Total, s.Passed, s.Failed, s.Unsupported, s.Errors, num(s.Points), num(s.MaxPoints))
	return ew.err
}

func humanOne(ew *errWriter, r *scenario.Result, opts VerdictOptions) {
	tag := map[scenario.Status]string{
		scenario.StatusPassed: "PASS", scenario.StatusFailed: "FAIL",
		scenario.StatusUnsupported: "UNSUPPORTED", scenario.StatusError: "ERROR",
	}[r.Status]
	where := r.Where
	if where == "" {
		where = "not run"
	}
	ew.printf("%-11s %s  (profile %s, %s, %d/%d lines, virtual time %v)\n", tag, r.File, r.Profile, where, r.Lines, r.TotalLines, r.VirtualTime)
	for _, u := range r.Unsupported {
		ew.printf("  %s:%s: unsupported: %s\n", r.File, u.Pos, u.What)
	}
	if f := r.Failure; f != nil {
		if f.Line != "" {
			ew.printf("  %s:%s: %s\n", r.File, f.Pos, f.Line)
		}
		ew.printf("  %s\n", f.Message)
		switch {
		case r.Status == scenario.StatusError && f.Actual != "":
			// A script that does not parse: every error, with its place.
			for _, line := range strings.Split(f.Actual, "\n") {
				ew.printf("    %s\n", line)
			}
		case f.Expected != "" || f.Actual != "":
			ew.printf("    expected: %s\n    actual:   %s\n", f.Expected, f.Actual)
		}
		if f.Rule != "" {
			ew.printf("  why (%s, %s):\n", f.Rule, f.Section)
			for _, line := range wrap(f.Explanation, 76) {
				ew.printf("    %s\n", line)
			}
		}
	}
	for _, n := range r.Notes {
		if n.Pos.Line > 0 {
			ew.printf("  note %s:%s: %s\n", r.File, n.Pos, n.Text)
		} else {
			ew.printf("  note: %s\n", n.Text)
		}
	}
	if len(r.Events) > 0 && (r.Status == scenario.StatusFailed || opts.Verbose) {
		lo := opts.Ladder
		lo.Addrs, lo.Names = r.Addrs, r.Names
		if r.Status == scenario.StatusFailed {
			ew.printf("  the exchange up to the mismatch (at %v):\n", r.Failure.Time)
		}
		events := r.Events
		if n := len(events) - DefaultMaxLadderEvents; n > 0 {
			events = events[n:]
			ew.printf("  (%d earlier events are not drawn, only the last %d)\n", n, DefaultMaxLadderEvents)
		}
		if ew.err == nil {
			ew.err = Ladder(ew.w, events, lo)
		}
	}
}

// DefaultMaxLadderEvents bounds the ladder of one script in the human
// report: the last events before a mismatch tell its story, and a run of
// a million events must not print millions of lines into a grader's log.
const DefaultMaxLadderEvents = 500

// num prints points without a needless fraction ("3", "2.5").
func num(f float64) string { return strings.TrimSuffix(fmt.Sprintf("%g", f), ".0") }

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// failureText is a result's failure (or unsupported features) as plain
// lines, for the machine formats' message bodies.
func failureText(r *scenario.Result) string {
	var b strings.Builder
	for _, u := range r.Unsupported {
		fmt.Fprintf(&b, "%s:%s: unsupported: %s\n", r.File, u.Pos, u.What)
	}
	if f := r.Failure; f != nil {
		if f.Line != "" {
			fmt.Fprintf(&b, "%s:%s: %s\n", r.File, f.Pos, f.Line)
		}
		fmt.Fprintf(&b, "%s\n", f.Message)
		if f.Expected != "" || f.Actual != "" {
			fmt.Fprintf(&b, "expected: %s\nactual:   %s\n", f.Expected, f.Actual)
		}
		if f.Rule != "" {
			fmt.Fprintf(&b, "why (%s, %s): %s\n", f.Rule, f.Section, f.Explanation)
		}
	}
	return b.String()
}

// shortMessage is a one-line description of a result that did not pass.
func shortMessage(r *scenario.Result) string {
	switch {
	case r.Failure != nil && r.Failure.Line != "":
		return fmt.Sprintf("line %d: %s", r.Failure.Pos.Line, r.Failure.Message)
	case r.Failure != nil:
		return r.Failure.Message
	case len(r.Unsupported) > 0:
		u := r.Unsupported[0]
		return fmt.Sprintf("line %d: unsupported: %s", u.Pos.Line, u.What)
	}
	return string(r.Status)
}

// notesText lists a result's notes, one per line.
func notesText(r *scenario.Result) string {
	var b strings.Builder
	for _, n := range r.Notes {
		if n.Pos.Line > 0 {
			fmt.Fprintf(&b, "%s:%s: note: %s\n", r.File, n.Pos, n.Text)
		} else {
			fmt.Fprintf(&b, "note: %s\n", n.Text)
		}
	}
	return b.String()
}
