// Package scenario reads scripts in packetdrill's dialect and runs them
// against an emulated endpoint, giving a verdict a grading system can read.
//
// A script plays the remote TCP: its inbound lines ("<") are segments
// injected from an outside host, its outbound lines (">") are what the
// emulated endpoint must send to that host, and its system-call lines
// (socket, bind, listen, accept, connect, read, write, close, …) are the
// endpoint's user calls, with their results and errno names as packetdrill
// writes them. Time runs on the session's virtual clock, so a script that
// waits out 240 s of TIME-WAIT finishes at once.
//
// The runner drives a Driver: the emulator in-process (NewLocal) or a
// remote emud (cmd/emuctl/run implements one over gRPC). Both give the same
// verdicts for the same script.
//
// Our own lines start with "~", which packetdrill's grammar never allows
// where we put it (see syntax.md beside this file).
package scenario

import (
	"fmt"
	"time"
)

// Pos is a place in a script: 1-based line and column (in bytes).
type Pos struct {
	Line, Col int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Script is a parsed script.
type Script struct {
	// Name is the file's name, as verdicts show it.
	Name string
	// Header settings: the profile (empty: the runner's), session knobs
	// (from "~ set" and recognised sysctl lines), points for graders.
	Profile   string
	Knobs     []Knob
	Points    float64
	Tolerance time.Duration // packetdrill's --tolerance_usecs; 4 ms by default
	// Events are the timed lines, in order.
	Events []*Event
	// Unsupported lists what the script uses that the emulator cannot do.
	// A script with any gets the verdict "unsupported" and is not run.
	Unsupported []Unsupported
	// Notes are things a reader should know that do not stop the run
	// (a defaults.sh line, options not compared).
	Notes []Note
}

// Knob is one profile override the script asks for.
type Knob struct {
	Pos   Pos
	Name  string // the emuctl override name (time_wait, syn_retries, …)
	Value string
	From  string // the line's text, for reports
}

// Unsupported is a feature the script uses that the emulator does not model.
type Unsupported struct {
	Pos  Pos
	What string
}

func (u Unsupported) String() string { return u.Pos.String() + ": unsupported: " + u.What }

// Note is a remark on a line.
type Note struct {
	Pos  Pos
	Text string
}

// TimeKind says how an event's time is written.
type TimeKind uint8

// The time forms of packetdrill's event_time.
const (
	TimeAbsolute      TimeKind = iota // 0.1
	TimeRelative                      // +0.1
	TimeAny                           // *
	TimeAbsoluteRange                 // 0.1~0.2
	TimeRelativeRange                 // +0.1~+0.2
)

// Time is an event's time as written.
type Time struct {
	Kind     TimeKind
	At, End  time.Duration // End: ranges only
	BlockEnd *time.Duration
	// BlockEnd is the "...T" of a blocking system call: when it must
	// return, relative to the same base as At.
}

// EventKind is what an event line does.
type EventKind uint8

// The event kinds.
const (
	EventPacket  EventKind = iota // < or >
	EventSyscall                  // name(args) = result
	EventState                    // ~ state NAME
)

// Event is one timed line.
type Event struct {
	Pos  Pos
	Text string // the line as written (trimmed)
	Time Time
	Kind EventKind
	// On selects the connection (or socket) the line is about; zero value:
	// the script's live connection.
	On      Selector
	Packet  *Packet
	Syscall *Syscall
	State   string // EventState: the state's name as written
}

// Selector names a socket or a connection: "on FD" or "peer PORT".
type Selector struct {
	FD   int // 0: none
	Peer int // 0: none
}

// Packet is a < or > line.
type Packet struct {
	Inbound bool
	Flags   string // packetdrill's letters: S F R P . U E W (empty for "-")
	Seq     uint32
	Len     uint16
	HasAck  bool
	Ack     uint32
	HasWin  bool
	Win     uint16
	// Options is nil for "<...>" (not checked); empty for no options.
	Options []Option
	AnyOpts bool
}

// Option is one TCP option as written.
type Option struct {
	Pos   Pos
	Kind  string // mss, wscale, sackOK, TS, nop, eol, sack, FO, md5, …
	Value uint32 // mss, wscale
	TSVal uint32
	TSEcr uint32
	Text  string
}

// Syscall is a system-call line.
type Syscall struct {
	Name  string
	Args  []Expr
	Ret   int64
	Errno string // expected errno name, "" for none
}

// ExprKind is the kind of a system-call argument.
type ExprKind uint8

// The argument kinds.
const (
	ExprEllipsis ExprKind = iota // ...
	ExprInt                      // 1, 0x2, -1
	ExprName                     // SOCK_STREAM, O_RDWR|O_NONBLOCK (joined with |)
	ExprList                     // [1]
	ExprStruct                   // {l_onoff=1, l_linger=0}
	ExprString                   // "text"
)

// Expr is a system-call argument.
type Expr struct {
	Pos    Pos
	Kind   ExprKind
	Int    int64
	Name   string
	Items  []Expr          // list items
	Fields map[string]Expr // struct fields
	Str    string
}
