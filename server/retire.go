package server

import (
	"github.com/tcpemu/tcpemu/emulator"
)

// Retiring endpoint records. Events carry the emulator's endpoint IDs and
// are named when they are read. A stored event is named from the
// dictionary stored with it (eventnames.go), so byCore only has
// to name the events still in the emulator's in-memory log: an endpoint
// that is deleted — or opened again, which gives it a new emulator
// endpoint — is retired, and its byCore entry goes once the log has
// trimmed every event up to its retirement. A session that runs
// connection lifecycles then keeps records for its live endpoints and
// for the lifecycles its log still holds, not for all it ever ran, and
// its snapshots (records.go) hold the live ones only.

// retiredCore is an emulator endpoint whose events stop at core seq seq:
// its record was deleted, or bound to a new emulator endpoint, when the
// log's next seq was seq.
type retiredCore struct {
	core emulator.EndpointID
	seq  uint64
}

// retiredCores is a FIFO: seqs only grow.
type retiredCores struct {
	q    []retiredCore
	head int
}

func (r *retiredCores) len() int { return len(r.q) - r.head }

// retire queues core's byCore entry to go once its events have left the
// log.
func (s *session) retire(core emulator.EndpointID) {
	s.retired.q = append(s.retired.q, retiredCore{core: core, seq: s.em.NextSeq()})
}

// dropRetired forgets the retired emulator endpoints whose events the
// log has trimmed. An endpoint is retired when it is closed — deleting
// aborts it, OPEN needs it closed — and a closed one causes no events;
// should one still be open here all the same, it waits for its next
// events to be trimmed instead of losing its name.
func (s *session) dropRetired() {
	r := &s.retired
	first := s.em.FirstSeq()
	var open []emulator.EndpointID
	for r.head < len(r.q) && r.q[r.head].seq <= first {
		rc := r.q[r.head]
		r.q[r.head] = retiredCore{}
		r.head++
		rec := s.byCore[rc.core]
		if rec == nil || rec.core == rc.core && s.eps[rec.id] == rec {
			continue // bound again, to a live record
		}
		if s.openCore(rc.core) {
			open = append(open, rc.core)
			continue
		}
		delete(s.byCore, rc.core)
	}
	for _, core := range open {
		s.retire(core)
	}
	if r.head > 0 && r.head*2 >= len(r.q) {
		// Compact once half the queue is spent: amortised O(1) a drop.
		r.q = r.q[:copy(r.q, r.q[r.head:])]
		r.head = 0
	}
}

// openCore says whether the emulator has endpoint id in a state other
// than CLOSED.
func (s *session) openCore(id emulator.EndpointID) bool {
	return s.em.IsOpen(id) // State would build an error for each deleted one
}
