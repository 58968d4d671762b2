// Package store keeps sessions durable: each session's accepted inputs
// and the events they caused, journaled in order, so that a restarted
// daemon can rebuild every session by replaying its inputs through the
// deterministic core and check the result against the events it had.
//
// The store knows bytes, session IDs and sequence numbers — never TCP.
// The server encodes inputs and events; the store keeps them, orders
// them, checksums them and reads them back by range.
//
// Durability (SyncMode) is a property of Commit: when it returns, the
// commit is as durable as the mode promises, and commits become durable in
// the order Commit was called.
package store

import (
	"errors"
	"fmt"
)

// Store is a session journal. Implementations are safe for concurrent use;
// Commit calls from many goroutines are grouped (group commit), and the
// commits of one session are kept in the order they were made.
type Store interface {
	// Commit journals c and returns once it is durable as the sync mode
	// promises. Commits of one session must be made in order by one caller
	// at a time (the server holds the session's lock). The store copies
	// what it keeps: c and its slices are the caller's again on return.
	Commit(c *Commit) error
	// Sessions lists every stored session, ordered by ID.
	Sessions() ([]Session, error)
	// Inputs calls fn with each input of a session in order, from index
	// `from` (1 is the first). A record that fails its checksum stops the
	// walk with a *CorruptError naming it.
	Inputs(session string, from uint64, fn func(*Input) error) error
	// Events returns the stored event chunks holding events with a seq
	// after `after` (core seqs, from 0), oldest first, until at least max
	// events or the end. The first chunk may begin before after+1: the
	// caller skips what it does not want.
	Events(session string, after uint64, max int) ([]Chunk, error)
	// FirstSeq is the seq of a session's oldest stored event (events
	// before it were trimmed); it does not wait for the disk.
	FirstSeq(session string) (uint64, error)
	// Snapshot returns a session's latest snapshot and the index of the
	// input it was taken after (0, nil when it has none).
	Snapshot(session string) (after uint64, data []byte, err error)
	// Close flushes what is pending and releases the files.
	Close() error
}

// Commit is one journal entry of a session: its creation (Meta), one
// accepted input and the events it caused, or its deletion.
type Commit struct {
	Session string
	// Meta, when set, is the session's description (what was created);
	// it replaces any earlier one. A session's first commit sets it.
	Meta []byte
	// Input is one accepted input, encoded by the server; nil for a commit
	// that only sets Meta or deletes.
	Input []byte
	// Time is the wall-clock time of the input (Unix nanoseconds), for
	// time-to-live.
	Time int64
	// FirstSeq is the seq of the first event the input caused (or would
	// have: the session's next seq) and Count how many it caused; Events
	// holds them, encoded by the server.
	FirstSeq uint64
	Count    uint32
	Events   []byte
	// Delete removes the session and everything stored for it.
	Delete bool
	// Snapshot, when set, is the session's state after its input
	// SnapshotAfter, encoded by the server; it replaces any earlier one,
	// so that recovery replays only the inputs after it.
	Snapshot      []byte
	SnapshotAfter uint64
	// Cut, when not 0, first removes the session's inputs from index Cut
	// on and its events from seq FirstSeq on — the damaged rest of a
	// journal that recovery gave up — so that the session's next inputs
	// follow the last valid one. Such a commit carries no input.
	Cut uint64
}

// Session is what the store holds about one session.
type Session struct {
	ID   string
	Meta []byte
	// Inputs is how many inputs are journaled (indexes 1..Inputs).
	Inputs uint64
	// NextSeq is one past the newest journaled event's seq.
	NextSeq uint64
	// FirstSeq is the oldest event still stored: older ones were trimmed
	// by the size bound (Options.MaxEventsPerSession).
	FirstSeq uint64
	// LastTime is the newest input's wall time (Unix ns), 0 if none.
	LastTime int64
}

// Input is one journaled input and the events it caused.
type Input struct {
	Index    uint64
	Time     int64
	FirstSeq uint64
	Count    uint32
	Data     []byte
	// Events are the events it caused as journaled; nil when they were
	// trimmed (or it caused none). Valid only during the callback.
	Events []byte
}

// Chunk is a run of events: Count events from seq FirstSeq, encoded by
// the server. Data is the caller's to keep.
type Chunk struct {
	FirstSeq uint64
	Count    uint32
	Data     []byte
}

// SyncMode says when a commit reaches stable storage.
type SyncMode int

// The sync modes. Every mode writes a commit to the operating system
// (the journal file) before Commit returns, so a crash of the emud
// process alone (kill -9, a panic) never loses an acknowledged call.
// They differ in what a power cut or an operating-system crash can take.
const (
	// SyncBatch: the journal is fsynced at most every Options.SyncInterval
	// (and whenever Options.SyncRecords commits are waiting): a power cut
	// loses at most the calls acknowledged in that last interval; what
	// survives is a prefix of the commits, in order, never a hole.
	SyncBatch SyncMode = iota
	// SyncAlways: Commit returns only after the commit is fsynced (commits
	// arriving together share one fsync). A power cut loses nothing
	// acknowledged.
	SyncAlways
	// SyncNone: nothing is fsynced; the operating system writes when it
	// likes. A power cut can lose any amount, and the database file itself
	// may be damaged (emud check says so).
	SyncNone
)

// ParseSyncMode reads "always", "batch" or "none".
func ParseSyncMode(s string) (SyncMode, error) {
	switch s {
	case "batch":
		return SyncBatch, nil
	case "always":
		return SyncAlways, nil
	case "none":
		return SyncNone, nil
	}
	return 0, fmt.Errorf("sync mode %q: want always, batch or none", s)
}

func (m SyncMode) String() string {
	switch m {
	case SyncAlways:
		return "always"
	case SyncNone:
		return "none"
	}
	return "batch"
}

// ErrClosed is returned by calls on a closed store.
var ErrClosed = errors.New("store: closed")

// CorruptError says a stored record failed its checksum or could not be
// decoded: everything from it on is not trusted.
type CorruptError struct {
	Where  string // which record: "session s1 input 17", "journal offset 4096"
	Reason string
}

func (e *CorruptError) Error() string { return "store: corrupt record: " + e.Where + ": " + e.Reason }
