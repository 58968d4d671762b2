package scenario

import (
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
)

// Status is a script's verdict.
type Status string

// The verdicts. Only StatusPassed counts as a pass.
const (
	StatusPassed      Status = "passed"
	StatusFailed      Status = "failed"      // the endpoint did not do what the script says
	StatusUnsupported Status = "unsupported" // the script uses a feature the emulator does not model
	StatusError       Status = "error"       // the script cannot be read, or the run could not be done
)

// Result is the verdict on one script and what a report needs to show it.
type Result struct {
	// File is the script's path as given; Name its base name.
	File, Name string
	Status     Status
	// Points the script is worth (its "~ points", default 1) and what it
	// earned: all of them for a pass, none otherwise.
	MaxPoints, Points float64
	// Profile is the profile the script ran with.
	Profile string
	// Failure says what went wrong, for StatusFailed and StatusError.
	Failure *Failure
	// Unsupported lists the features that stopped a StatusUnsupported run.
	Unsupported []Unsupported
	// Notes are remarks that did not change the verdict (options not
	// compared, a defaults.sh line, segments after the last line).
	Notes []Note
	// Lines is how many event lines ran (all of them for a pass).
	Lines, TotalLines int
	// VirtualTime is where the session's clock stood at the end.
	VirtualTime time.Duration
	// Events is the session's log as the run saw it, for the ladder.
	Events []emulator.Event
	// Addrs and Names resolve the events for rendering.
	Addrs explain.Addresser              `json:"-"`
	Names map[emulator.EndpointID]string `json:"-"`
	// Where the session ran: "in-process", or the emud session's name.
	Where string
}

// Passed reports whether the verdict is a pass.
func (r *Result) Passed() bool { return r.Status == StatusPassed }

// Failure is the first line the endpoint did not follow.
type Failure struct {
	// Pos and Line are the script line ("" for a whole-script error).
	Pos  Pos
	Line string
	// Message is a one-line summary; Expected and Actual are the two sides.
	Message          string
	Expected, Actual string
	// Rule and Explanation say why the endpoint did what it did: the rule
	// behind the segment it sent or its last transition.
	Rule, Section, Explanation string
	// Time is the virtual time of the mismatch.
	Time time.Duration
}
