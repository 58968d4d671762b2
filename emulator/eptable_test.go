package emulator

import (
	"slices"
	"testing"
)

// TestEPTableMatchesAMap drives the paged endpoint table and a plain map
// with the same puts and removes (IDs handed out in increasing order, most
// removed soon, some kept long) and checks they always agree.
func TestEPTableMatchesAMap(t *testing.T) {
	tab := newEPTable()
	want := map[EndpointID]*endpoint{}
	recs := make([]endpoint, 4096)
	next := EndpointID(1)
	x := uint64(88172645463325252)
	rnd := func(n int) int { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return int(x % uint64(n)) }
	var live []EndpointID
	for step := 0; step < 200_000; step++ {
		switch {
		case rnd(3) > 0 || len(live) == 0:
			ep := &recs[rnd(len(recs))]
			tab.put(next, ep)
			want[next] = ep
			live = append(live, next)
			next++
		default:
			// Mostly the oldest, sometimes any: long-lived stragglers.
			i := 0
			if rnd(10) == 0 {
				i = rnd(len(live))
			}
			id := live[i]
			live = slices.Delete(live, i, i+1)
			if got := tab.remove(id); got != want[id] {
				t.Fatalf("step %d: remove(%d) gave %p, want %p", step, id, got, want[id])
			}
			delete(want, id)
			if got := tab.remove(id); got != nil { // removing twice is harmless
				t.Fatalf("step %d: second remove(%d) gave %p", step, id, got)
			}
		}
		if step%997 == 0 {
			if tab.len() != len(want) {
				t.Fatalf("step %d: len %d, want %d", step, tab.len(), len(want))
			}
			n := 0
			tab.each(func(id EndpointID, ep *endpoint) {
				n++
				if want[id] != ep {
					t.Fatalf("step %d: each gave %d → %p, want %p", step, id, ep, want[id])
				}
			})
			if n != len(want) {
				t.Fatalf("step %d: each visited %d, want %d", step, n, len(want))
			}
		}
		probe := EndpointID(rnd(int(next) + 64))
		if got := tab.get(probe); got != want[probe] {
			t.Fatalf("step %d: get(%d) = %p, want %p", step, probe, got, want[probe])
		}
	}
	if len(tab.pages) > len(want) {
		t.Errorf("%d pages for %d endpoints: emptied pages were kept", len(tab.pages), len(want))
	}
}

// TestEPTableRemoveAfterPageReuse removes an ID again after its page was
// emptied and handed to newer IDs: the page cached for removals must not
// answer for its old key any more.
func TestEPTableRemoveAfterPageReuse(t *testing.T) {
	tab := newEPTable()
	recs := make([]endpoint, 4*epPageSize)
	for i := range 3 * epPageSize {
		tab.put(EndpointID(i), &recs[i]) // pages 0, 1 and 2; 1 and 2 cached
	}
	for i := range epPageSize { // page 0 goes, as recycling takes it
		if tab.remove(EndpointID(i)) != &recs[i] {
			t.Fatalf("remove(%d) missed", i)
		}
	}
	// Page 0's record is free: page 3 takes it over.
	for i := 3 * epPageSize; i < 4*epPageSize; i++ {
		tab.put(EndpointID(i), &recs[i])
	}
	tab.get(EndpointID(epPageSize)) // pages 1 and 3 cached
	if got := tab.remove(EndpointID(3)); got != nil {
		t.Fatalf("remove(3) after its page was reused gave %p, want nil", got)
	}
	if got := tab.get(EndpointID(3*epPageSize + 3)); got != &recs[3*epPageSize+3] {
		t.Fatalf("get(%d) = %p, want %p: a stale remove took it", 3*epPageSize+3, got, &recs[3*epPageSize+3])
	}
}

// TestEPTableGetWithoutLastPage asks get about IDs of a page that is not
// there: on a new table (page 0's key is the zero value), and after the
// page used last was emptied. get's inlined case tests the key alone, so
// the key must not match once no page is cached.
func TestEPTableGetWithoutLastPage(t *testing.T) {
	tab := newEPTable()
	for id := range EndpointID(epPageSize) {
		if got := tab.get(id); got != nil {
			t.Fatalf("new table: get(%d) = %p, want nil", id, got)
		}
	}
	recs := make([]endpoint, 2)
	tab.put(1, &recs[0])
	tab.put(2, &recs[1])
	tab.remove(1)
	tab.remove(2) // the page used last is emptied
	for _, id := range []EndpointID{0, 1, 2, epPageSize - 1} {
		if got := tab.get(id); got != nil {
			t.Fatalf("emptied page: get(%d) = %p, want nil", id, got)
		}
	}
	tab.put(3, &recs[0]) // the key's page comes back
	if got := tab.get(3); got != &recs[0] {
		t.Fatalf("get(3) = %p, want %p", got, &recs[0])
	}
}
