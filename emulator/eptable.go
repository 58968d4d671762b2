package emulator

// epTable holds the session's endpoint records by ID. IDs are handed out
// in increasing order and most endpoints live briefly, so the table keeps
// them in pages of epPageSize consecutive IDs, found through a small map of
// pages: a lookup is a probe of that small map (which stays in cache) and
// one array index, where a map of every endpoint would miss cache at each
// probe once it holds 100,000 of them; registering an endpoint usually
// touches only the newest page. A page goes when its last endpoint goes, so
// a long-lived endpoint among short-lived ones costs at most a page
// (epPageSize pointers) until it is removed.
type epTable struct {
	pages map[uint32]*epPage
	n     int
	// last is the page used last, and lastKey its key: new IDs all go to
	// the newest page. prev is the one used before it: a connection's
	// listener usually lives on an older page, and a call about one keeps
	// the other's page at hand. Without a last page, lastKey is noKey,
	// which no ID's key equals: get tests the key alone.
	last, prev       *epPage
	lastKey, prevKey uint32
	// old is the page remove used last: recycling takes endpoints in the
	// order they closed, page after page, behind the pages calls use.
	old    *epPage
	oldKey uint32
	free   []*epPage // emptied pages kept for reuse
}

const (
	noKey      = ^uint32(0) // IDs are uint32: a key is at most 2^26-1
	epPageBits = 6
	epPageSize = 1 << epPageBits
	epFreeMax  = 16
)

type epPage struct {
	eps [epPageSize]*endpoint
	n   int // non-nil entries
}

func newEPTable() epTable { return epTable{pages: make(map[uint32]*epPage), lastKey: noKey} }

func (t *epTable) page(key uint32) *epPage {
	if t.last != nil && t.lastKey == key {
		return t.last
	}
	if t.prev != nil && t.prevKey == key {
		t.last, t.prev, t.lastKey, t.prevKey = t.prev, t.last, key, t.lastKey
		return t.last
	}
	return t.pageSlow(key)
}

// pageSlow is page when neither cached page is key's.
func (t *epTable) pageSlow(key uint32) *epPage {
	p := t.pages[key]
	if p != nil {
		t.prev, t.prevKey = t.last, t.lastKey
		t.last, t.lastKey = p, key
	}
	return p
}

// get returns the record of id, or nil. Its first case, the page used
// last (where a new connection's endpoints are), is small enough to be
// inlined at every call; the rest is getSlow's.
func (t *epTable) get(id EndpointID) *endpoint {
	if t.lastKey == uint32(id)>>epPageBits {
		return t.last.eps[id&(epPageSize-1)]
	}
	return t.getSlow(id)
}

// getSlow is get past the page used last. The page used before it is
// read where it is: promoting it (as page does) would send the next get
// about the newer page — a connection's, after one about its listener —
// here too.
func (t *epTable) getSlow(id EndpointID) *endpoint {
	key := uint32(id) >> epPageBits
	if t.prev != nil && t.prevKey == key {
		return t.prev.eps[id&(epPageSize-1)]
	}
	if p := t.page(key); p != nil {
		return p.eps[id&(epPageSize-1)]
	}
	return nil
}

// put registers ep as id.
func (t *epTable) put(id EndpointID, ep *endpoint) {
	key := uint32(id) >> epPageBits
	p := t.page(key)
	if p == nil {
		if n := len(t.free); n > 0 {
			p = t.free[n-1]
			t.free = t.free[:n-1]
		} else {
			p = new(epPage)
		}
		t.pages[key] = p
		t.prev, t.prevKey = t.last, t.lastKey
		t.last, t.lastKey = p, key
	}
	slot := &p.eps[id&(epPageSize-1)]
	if *slot == nil {
		p.n++
		t.n++
	}
	*slot = ep
}

// remove forgets id and returns the record it had, or nil. The endpoint
// removed is most often one recycled long after it closed (KeepClosed
// closings later), on a page no call is using: its page is cached as old,
// without displacing the pages the next calls need.
func (t *epTable) remove(id EndpointID) *endpoint {
	key := uint32(id) >> epPageBits
	var p *epPage
	switch {
	case t.last != nil && t.lastKey == key:
		p = t.last
	case t.prev != nil && t.prevKey == key:
		p = t.prev
	case t.old != nil && t.oldKey == key:
		p = t.old
	default:
		p = t.pages[key]
		t.old, t.oldKey = p, key
	}
	if p == nil {
		return nil
	}
	slot := &p.eps[id&(epPageSize-1)]
	ep := *slot
	if ep == nil {
		return nil
	}
	*slot = nil
	p.n--
	t.n--
	if p.n == 0 {
		delete(t.pages, key)
		if t.last == p {
			t.last, t.lastKey = nil, noKey
		}
		if t.prev == p {
			t.prev = nil
		}
		if t.old == p {
			t.old = nil
		}
		if len(t.free) < epFreeMax {
			t.free = append(t.free, p)
		}
	}
	return ep
}

// len is how many endpoints the table holds.
func (t *epTable) len() int { return t.n }

// each calls f for every endpoint, in no particular order.
func (t *epTable) each(f func(EndpointID, *endpoint)) {
	for key, p := range t.pages {
		for i, ep := range p.eps {
			if ep != nil {
				f(EndpointID(key<<epPageBits|uint32(i)), ep)
			}
		}
	}
}
