package emulator

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// TestConnTableMatchesAMap drives the connection table and a plain map with
// the same puts and removes — keys built like connKey's from a few hosts,
// so that runs of collisions form, wrap around the array and are cut by
// removals — and checks every lookup agrees.
func TestConnTableMatchesAMap(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var tab connTable
		want := map[uint64]*endpoint{}
		recs := make([]endpoint, 8)
		key := rapid.Custom(func(t *rapid.T) uint64 {
			return connKey(rapidAddrID(t, "local"), rapidAddrID(t, "remote"))
		})
		for i, n := 0, rapid.IntRange(1, 400).Draw(t, "ops"); i < n; i++ {
			k := key.Draw(t, "key")
			if rapid.IntRange(0, 2).Draw(t, "op") > 0 {
				ep := &recs[rapid.IntRange(0, len(recs)-1).Draw(t, "ep")]
				tab.put(k, ep)
				want[k] = ep
			} else {
				tab.remove(k)
				delete(want, k)
			}
			if tab.len() != len(want) {
				t.Fatalf("len %d, want %d", tab.len(), len(want))
			}
			for k, ep := range want {
				if got := tab.get(k); got != ep {
					t.Fatalf("get(%#x) = %p, want %p", k, got, ep)
				}
			}
			if p := key.Draw(t, "probe"); tab.get(p) != want[p] {
				t.Fatalf("get(%#x) = %p, want %p", p, tab.get(p), want[p])
			}
		}
	})
}

func rapidAddrID(t *rapid.T, label string) tcp.AddrID {
	return tcp.AddrID(rapid.IntRange(0, 40).Draw(t, label))
}
