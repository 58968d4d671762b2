package server

import (
	"bytes"
	"testing"
)

// A call's events are journaled as one run however the log holds them:
// read a page at a time across the log's two buffers, they encode to the
// octets that encoding them all at once gives, names included.
func TestCallEventsJournalAsOneRunAcrossTheLogsBuffers(t *testing.T) {
	for _, window := range []int{64, 1000, 0} {
		h := newHarness(t, Limits{MaxLogEvents: window})
		startLifecycles(t, h)
		sess := must[*session](t)(h.srv.reg.get("bench"))
		n := 0
		for _, k := range []int{10, 1, 100, 3} { // 100: more than one page
			sess.mu.Lock()
			before := sess.em.NextSeq()
			sess.mu.Unlock()
			runLifecycles(t, h, &n, k)
			sess.mu.Lock()
			all := sess.em.Events(before - 1)
			want := sess.appendNames(all, encodeEvents(all, []byte("prefix")))
			got := sess.appendCallEvents(before, []byte("prefix"))
			sess.mu.Unlock()
			if uint64(len(all)) != sess.em.NextSeq()-before {
				t.Fatalf("window %d: the log kept %d of the call's %d events", window, len(all), sess.em.NextSeq()-before)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("window %d, %d lifecycles: paged encoding differs from the whole run's (%d octets, want %d)", window, k, len(got), len(want))
			}
		}
	}
}
