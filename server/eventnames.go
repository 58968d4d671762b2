package server

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/tcpemu/tcpemu/emulator"
)

// Stored events carry the names they need. Events hold the emulator's
// endpoint IDs, which the session's records name; but a record goes once
// its endpoint is deleted and the in-memory log no longer holds its
// events (retire.go), while the store keeps those events for years. So
// each journaled chunk of events is followed by a dictionary of the
// endpoints its events mention, as they were named then: the endpoint's
// ID, and for one the chunk saw created, what EndpointCreated shows —
// its local address and, for a listener's child, its remote address and
// its listener's ID. History reads (history.go) name stored events from
// it. Replay checks it with the events (recover.go), so a replay that
// names an endpoint otherwise diverges as one that changes an event does.
//
// The layout, after the events: nothing if they name no endpoint, else a
// uvarint count of entries, then for
// each: uvarint emulator endpoint ID, the ID (uvarint length, octets),
// a flags octet (nameCreated, nameChild), then if nameCreated the local
// address, and if nameChild the remote address and the parent's ID
// (addresses as netip.AddrPort.MarshalBinary, length-prefixed).

const (
	nameCreated = 1 << iota // the chunk holds the endpoint's EndpointCreated
	nameChild               // a listener's child: remote and parent follow
)

// storedName is a dictionary entry.
type storedName struct {
	id            string
	created       bool
	local, remote netip.AddrPort
	parent        string
}

// nameRef is an endpoint a chunk mentions, while its dictionary is built.
type nameRef struct {
	core    emulator.EndpointID
	rec     *endpointRec // s.byCore[core]
	created bool
}

// appendNames appends the dictionary of the endpoints evs mention to b;
// the session is locked and names them as its calls' answers did.
func (s *session) appendNames(evs []emulator.Event, b []byte) []byte {
	l := s.nameList()
	l.add(evs)
	return l.appendTo(b)
}

// nameList gathers the endpoints a run of events mentions, in as many
// pieces as the caller has the events, for its dictionary. It borrows
// the session's buffers until appendTo.
type nameList struct {
	s     *session
	refs  []nameRef
	index map[emulator.EndpointID]int // once there are many: the session's, reused
	last  emulator.EndpointID         // events come in runs of one endpoint:
	j     int                         // the last one's place in refs, -1 if none
	// recent remembers where a few endpoints are in refs (by ID mod 4,
	// place+1): a connection's runs alternate between its two ends, and
	// looking each run's endpoint up in index cost more than the rest.
	recent [4]struct {
		core emulator.EndpointID
		at   int
	}
}

func (s *session) nameList() nameList { return nameList{s: s, refs: s.namebuf[:0], j: -1} }

func (l *nameList) find(core emulator.EndpointID) int {
	if r := &l.recent[core&3]; r.core == core && r.at > 0 {
		return r.at - 1
	}
	if l.index != nil {
		if i, ok := l.index[core]; ok {
			return i
		}
		return -1
	}
	for i := len(l.refs) - 1; i >= 0; i-- {
		if l.refs[i].core == core {
			return i
		}
	}
	return -1
}

// add gathers the endpoints evs mention; they continue the run.
func (l *nameList) add(evs []emulator.Event) {
	for i := range evs {
		if core := evs[i].Endpoint; core != l.last {
			l.last, l.j = core, -1
			if core == 0 {
				continue // named "", now as later
			}
			if l.j = l.find(core); l.j < 0 && !l.insert(core) {
				continue // named "ep{n}" without a record, now as later
			}
			l.recent[core&3].core, l.recent[core&3].at = core, l.j+1
		}
		if l.j >= 0 && evs[i].Kind == emulator.KindEndpointCreated {
			l.refs[l.j].created = true
		}
	}
}

// insert adds an endpoint the list does not hold yet, if it has a record,
// and makes it the last one.
func (l *nameList) insert(core emulator.EndpointID) bool {
	rec := l.s.byCore[core]
	if rec == nil {
		return false
	}
	l.j = len(l.refs)
	l.refs = append(l.refs, nameRef{core: core, rec: rec})
	if l.index != nil {
		l.index[core] = l.j
	} else if len(l.refs) > 32 {
		if l.s.nameIdx == nil {
			l.s.nameIdx = make(map[emulator.EndpointID]int)
		}
		l.index = l.s.nameIdx
		clear(l.index)
		for k, r := range l.refs {
			l.index[r.core] = k
		}
	}
	return true
}

// appendTo appends the dictionary to b and gives the buffers back.
func (l *nameList) appendTo(b []byte) []byte {
	defer func() {
		clear(l.refs) // keep no record alive
		l.s.namebuf = l.refs[:0]
	}()
	if len(l.refs) == 0 {
		return b // an empty dictionary is no octets
	}
	b = binary.AppendUvarint(b, uint64(len(l.refs)))
	for _, r := range l.refs {
		rec := r.rec
		b = binary.AppendUvarint(b, uint64(r.core))
		b = appendStr(b, rec.id)
		var flags byte
		if r.created {
			flags |= nameCreated
			if rec.parent != nil {
				flags |= nameChild
			}
		}
		b = append(b, flags)
		if flags&nameCreated != 0 {
			b = appendAddr(b, rec.local())
		}
		if flags&nameChild != 0 {
			b = appendAddr(b, rec.addr)
			b = appendStr(b, rec.parent.id)
		}
	}
	return b
}

var errBadNames = errors.New("stored event names do not decode")

// readNames decodes a dictionary into names (nil: only check it). An
// empty b is an empty dictionary.
func readNames(b []byte, names map[emulator.EndpointID]storedName) error {
	if len(b) == 0 {
		return nil
	}
	o := octets{b: b}
	n := o.uvarint()
	if n == 0 { // an empty one is written as nothing
		return errBadNames
	}
	for i := uint64(0); !o.bad && i < n; i++ {
		core := emulator.EndpointID(o.uvarint())
		var e storedName
		id := o.field()
		flags := o.octet()
		if flags&nameCreated != 0 {
			e.created, e.local = true, o.addr()
		}
		var parent []byte
		if flags&nameChild != 0 {
			e.remote, parent = o.addr(), o.field()
		}
		if o.bad || names == nil {
			continue
		}
		if had, dup := names[core]; dup && had.created && !e.created {
			continue // another chunk saw it created: keep what that one says
		}
		e.id, e.parent = string(id), string(parent)
		names[core] = e
	}
	if o.bad || len(o.b) != 0 {
		return errBadNames
	}
	return nil
}

// storedSource names events read from the store: from their chunks'
// dictionaries, else as the session names them now (a chunk stored
// without one: altered by hand, as a test does).
type storedSource struct {
	*session
	names map[emulator.EndpointID]storedName
}

func (h storedSource) endpointLabel(id emulator.EndpointID) string {
	if n, ok := h.names[id]; ok {
		return n.id
	}
	return h.session.endpointLabel(id)
}

func (h storedSource) endpointRecord(id emulator.EndpointID) *endpointRec {
	n, ok := h.names[id]
	if !ok || !n.created {
		return h.session.endpointRecord(id)
	}
	if n.parent == "" {
		return &endpointRec{id: n.id, addr: n.local}
	}
	return &endpointRec{id: n.id, addr: n.remote, parent: &endpointRec{id: n.parent, addr: n.local}}
}
