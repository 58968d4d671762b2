package server

import (
	"fmt"

	"github.com/tcpemu/tcpemu/emulator"
)

// History: a durable session's whole log is in the store, so events older
// than the emulator's in-memory window are read from there — after a
// restart, or long after they happened — and rendered exactly as live
// ones: the endpoints they mention are named by the dictionary stored
// with them (the session's records no longer hold deleted ones), fault
// rules by the session's records (which keep every rule it ever had).

// window returns up to n events after API seq `after`, and what names
// them: from memory when the emulator still holds them (named by the
// session's records), else from the store (named by the dictionaries
// stored with them, eventnames.go). The slice is valid until the
// session's next call. A durable session whose store trimmed the wanted
// events fails with OUT_OF_RANGE naming the trimmed range.
func (s *session) window(after uint64, n int) ([]emulator.Event, eventSource, error) {
	from := after // the core seq of API seq after+1
	switch {
	case s.frozenNext > 0:
		if from >= s.frozenNext {
			return nil, s, nil
		}
	case !s.durable || from >= s.em.FirstSeq() || from >= s.em.NextSeq():
		return s.em.EventsN(coreAfter(after), n), s, nil
	}
	chunks, err := s.store.Events(s.id, coreAfter(after), n)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: read stored events: %w", sessionName(s.id), err)
	}
	if s.histNames == nil {
		s.histNames = make(map[emulator.EndpointID]storedName)
	}
	clear(s.histNames)
	evs, err := chunkEvents(chunks, from, n, s.histbuf[:0], s.histNames)
	s.histbuf = evs
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", sessionName(s.id), err)
	}
	if len(evs) == 0 || evs[0].Seq > from {
		first := s.em.FirstSeq()
		if len(evs) > 0 {
			first = evs[0].Seq
		}
		return nil, nil, fmt.Errorf("%w: events after seq %d are no longer kept: seqs %d to %d were trimmed by the store's bound on events per session (emud --max-stored-events); the oldest available is seq %d (resume with after_seq %d)",
			errOutOfRange, after, after+1, first, apiSeq(first), first)
	}
	return evs, storedSource{s, s.histNames}, nil
}

// firstKept is the core seq of the oldest event a reader can get.
func (s *session) firstKept() uint64 {
	if !s.durable {
		return s.em.FirstSeq()
	}
	first, err := s.store.FirstSeq(s.id)
	if err != nil {
		return s.em.FirstSeq()
	}
	return min(first, s.em.FirstSeq())
}
