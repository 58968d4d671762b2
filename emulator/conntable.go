package emulator

// connTable maps a connection's key (connKey: local<<32 | remote, both
// interned addresses) to its endpoint. Every connection is put once, looked
// up by the segments that miss their guessed receiver, and removed once: on
// a lone connection a Go map spent about a thousand instructions a
// lifecycle on them — hashing each key, and a map that empties draws a new
// hash seed — where this table spends a multiplication and a probe or two.
//
// It is open addressing with linear probing in a power-of-two array kept at
// most half full, the hash Fibonacci hashing (Knuth, TAOCP vol. 3 §6.4:
// the key times 2^64/φ, its top bits the slot), which spreads the small
// interned IDs of both halves of a key across the slots. Removal shifts
// later entries of the run back (Knuth's Algorithm R) instead of leaving
// tombstones, so lookups never slow down as connections come and go. No
// iteration: nothing may depend on an order the table would have to
// invent.
type connTable struct {
	slots []connSlot // len is zero or a power of two
	shift uint       // 64 − log2(len(slots))
	n     int
}

// connSlot is one entry; ep is nil in an empty slot.
type connSlot struct {
	key uint64
	ep  *endpoint
}

// connMinSlots is the table's first size.
const connMinSlots = 16

// home is key's preferred slot.
func (t *connTable) home(key uint64) uint64 {
	return (key * 0x9e3779b97f4a7c15) >> t.shift
}

// get returns the endpoint under key, or nil.
func (t *connTable) get(key uint64) *endpoint {
	if t.n == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.home(key); ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.ep == nil || sl.key == key {
			return sl.ep
		}
	}
}

// put maps key to ep (not nil), replacing any endpoint under key.
func (t *connTable) put(key uint64, ep *endpoint) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.home(key); ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.ep == nil {
			sl.key, sl.ep = key, ep
			t.n++
			return
		}
		if sl.key == key {
			sl.ep = ep
			return
		}
	}
}

// remove forgets key, if it is there.
func (t *connTable) remove(key uint64) {
	if t.n == 0 {
		return
	}
	mask := uint64(len(t.slots) - 1)
	i := t.home(key)
	for ; t.slots[i].key != key || t.slots[i].ep == nil; i = (i + 1) & mask {
		if t.slots[i].ep == nil {
			return
		}
	}
	// Algorithm R: walk the rest of the run; an entry whose home does not
	// lie cyclically in (i, j] would be unreachable past the hole at i, so
	// it moves into the hole, and the hole moves to where it was.
	for j := (i + 1) & mask; t.slots[j].ep != nil; j = (j + 1) & mask {
		h := t.home(t.slots[j].key)
		if (j-h)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = connSlot{}
	t.n--
}

// len is how many connections the table holds.
func (t *connTable) len() int { return t.n }

// grow doubles the array and puts every entry back.
func (t *connTable) grow() {
	old := t.slots
	size := max(connMinSlots, 2*len(old))
	t.slots = make([]connSlot, size)
	t.shift = 64
	for s := size; s > 1; s >>= 1 {
		t.shift--
	}
	t.n = 0
	for _, sl := range old {
		if sl.ep != nil {
			t.put(sl.key, sl.ep)
		}
	}
}
