package emulator

import (
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestScheduleTotalOrder: whatever mix of pushes and takes a session
// makes, the schedule hands items out in (time, order) order, as one
// sorted list would — through few, the heap and the lanes, and the moves
// between them (few spilling into the heap, lanes opening past smallHeap).
func TestScheduleTotalOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q schedule
		var want []item // the reference: every pending item, sorted
		now, order := time.Duration(0), uint64(0)
		// A few delays, as a session's are (one-way delay, RTO,
		// TIME-WAIT), and some odd ones, so that lanes fill and overflow
		// into the heap.
		delays := []time.Duration{0, time.Millisecond, time.Second, 240 * time.Second}
		for range rapid.IntRange(1, 400).Draw(t, "ops") {
			if len(want) == 0 || rapid.IntRange(0, 2).Draw(t, "push or take") > 0 {
				for range rapid.IntRange(1, 80).Draw(t, "burst") {
					d := rapid.SampledFrom(delays).Draw(t, "delay")
					if rapid.Bool().Draw(t, "odd delay") {
						d = time.Duration(rapid.Int64Range(0, 1e9).Draw(t, "odd"))
					}
					it := item{at: now + d, order: order, arg: uint32(order)}
					order++
					q.push(&it, now)
					i, _ := slices.BinarySearchFunc(want, it, func(a, b item) int {
						if a.before(&b) {
							return -1
						}
						return 1
					})
					want = slices.Insert(want, i, it)
				}
				continue
			}
			got, src := q.first()
			if got == nil {
				t.Fatalf("schedule is empty, %d items pending", len(want))
			}
			if got.at != want[0].at || got.order != want[0].order {
				t.Fatalf("next item (%v, %d), want (%v, %d)", got.at, got.order, want[0].at, want[0].order)
			}
			now = got.at
			q.take(src)
			want = want[1:]
		}
		n := 0
		q.each(func(*item) { n++ })
		if n != len(want) {
			t.Fatalf("schedule holds %d items, want %d", n, len(want))
		}
	})
}
