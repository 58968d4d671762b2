package server

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// A session's snapshot holds the emulator's state and, beside it, the
// server's own records of the session — endpoint names, fault rules,
// paths and cuts, the external log, peers' claims — which the emulator
// does not know. recordsSnapshot is those records in a form that encodes
// and decodes exactly; what can be derived (a record's effective config,
// the bound-address index, a rule's parsed fault) is derived again.
type recordsSnapshot struct {
	NextOrd   uint64          `json:"next_ord"`
	NextRule  uint64          `json:"next_rule"`
	NextPeer  uint64          `json:"next_peer"`
	Endpoints []endpointSnap  `json:"-"` // the bulk: encoded in binary (appendEndpoints)
	Paths     [][2]netip.Addr `json:"paths"`
	Cuts      [][2]netip.Addr `json:"cuts"`
	Rules     []ruleSnap      `json:"rules"`
	Ext       []extSnap       `json:"ext"`
	ExtBytes  int             `json:"ext_bytes"`
	ExtDrop   uint64          `json:"ext_dropped"`
	Peers     []peerSnap      `json:"peers"`
}

type endpointSnap struct {
	ID        string         `json:"id"`
	Local     netip.AddrPort `json:"local"`
	Remote    netip.AddrPort `json:"remote"`
	Parent    string         `json:"parent,omitempty"`
	Overrides []byte         `json:"overrides,omitempty"` // ProfileOverrides, protobuf
	Core      uint32         `json:"core"`                // its emulator endpoint now
	Cores     []uint32       `json:"cores,omitempty"`     // the emulator endpoints whose events it names (its current one; a retired one still open)
	Order     uint64         `json:"order"`
	Forks     uint64         `json:"forks"`
	Live      bool           `json:"live"` // listed (eps), not only naming old events (byCore)
}

type ruleSnap struct {
	ID    string `json:"id"`
	Core  uint64 `json:"core"`
	Spec  []byte `json:"spec"` // FaultRule, protobuf
	Order uint64 `json:"order"`
	Live  bool   `json:"live"`
}

type extSnap struct {
	Seq uint64         `json:"seq"`
	At  time.Duration  `json:"at"`
	Src netip.AddrPort `json:"src"`
	Dst netip.AddrPort `json:"dst"`
	Seg tcp.Segment    `json:"seg"`
}

type peerSnap struct {
	No    uint64       `json:"no"`
	Hosts []netip.Addr `json:"hosts"`
	All   bool         `json:"all"`
}

// snapshotRecords encodes the session's records; the session is locked.
func (s *session) snapshotRecords() ([]byte, error) {
	r := recordsSnapshot{NextOrd: s.nextOrd, NextRule: s.net.nextRule, NextPeer: s.nextPeer,
		ExtBytes: s.net.ext.bytes, ExtDrop: s.net.ext.dropped}
	// A restored emulator's log starts empty (emulator.Session.Snapshot):
	// no event in memory will need a retired endpoint's name, so only the
	// emulator endpoints of live records are kept — and a retired one
	// still open, should there be one (retire.go). The snapshot's size is
	// the session's live state, not its history.
	cores := make(map[*endpointRec][]uint32)
	for id, rec := range s.byCore {
		if s.eps[rec.id] == rec && rec.core == id || s.openCore(id) {
			cores[rec] = append(cores[rec], uint32(id))
		}
	}
	seen := make(map[*endpointRec]bool)
	add := func(rec *endpointRec, live bool) error {
		if seen[rec] {
			return nil
		}
		seen[rec] = true
		slices.Sort(cores[rec])
		e := endpointSnap{ID: rec.id, Local: rec.local(), Remote: rec.remote(), Parent: rec.parentID(),
			Core: uint32(rec.core), Cores: cores[rec], Order: rec.order, Forks: rec.forks, Live: live}
		if po := rec.protoOverrides(); po != nil {
			b, err := proto.MarshalOptions{Deterministic: true}.Marshal(po)
			if err != nil {
				return err
			}
			e.Overrides = b
		}
		r.Endpoints = append(r.Endpoints, e)
		return nil
	}
	for _, rec := range s.eps {
		if err := add(rec, true); err != nil {
			return nil, err
		}
	}
	for rec := range cores {
		if err := add(rec, false); err != nil {
			return nil, err
		}
	}
	for _, p := range sortedPairs(s.net.paths) {
		r.Paths = append(r.Paths, [2]netip.Addr{p.src, p.dst})
	}
	for _, p := range sortedPairs(s.net.cuts) {
		r.Cuts = append(r.Cuts, [2]netip.Addr{p.src, p.dst})
	}
	for _, rec := range s.net.ruleByCore { // every rule ever created; the live ones are also in rules
		spec, err := proto.MarshalOptions{Deterministic: true}.Marshal(rec.spec)
		if err != nil {
			return nil, err
		}
		r.Rules = append(r.Rules, ruleSnap{ID: rec.id, Core: uint64(rec.core), Spec: spec, Order: rec.order, Live: s.net.rules[rec.id] == rec})
	}
	for _, e := range s.net.ext.segs {
		r.Ext = append(r.Ext, extSnap{Seq: e.seq, At: e.at, Src: e.src, Dst: e.dst, Seg: e.seg})
	}
	peers := make(map[*peer]bool)
	for _, p := range s.net.peers.byHost {
		peers[p] = true
	}
	if p := s.net.peers.catchAll; p != nil {
		peers[p] = true
	}
	for p := range peers {
		ps := peerSnap{No: p.no, All: p.all}
		for h := range p.hosts {
			ps.Hosts = append(ps.Hosts, h)
		}
		r.Peers = append(r.Peers, ps)
	}
	sortRecords(&r)
	js, err := json.Marshal(&r)
	if err != nil {
		return nil, err
	}
	b := binary.AppendUvarint(make([]byte, 0, len(js)+64*len(r.Endpoints)), uint64(len(js)))
	return appendEndpoints(append(b, js...), r.Endpoints), nil
}

// appendEndpoints encodes endpoint records: a session may have many live
// ones, and JSON made snapshots of large sessions cost more than the
// journal itself.
func appendEndpoints(b []byte, eps []endpointSnap) []byte {
	b = binary.AppendUvarint(b, uint64(len(eps)))
	for i := range eps {
		e := &eps[i]
		b = appendStr(b, e.ID)
		b = appendAddr(b, e.Local)
		b = appendAddr(b, e.Remote)
		b = appendStr(b, e.Parent)
		b = appendStr(b, e.Overrides)
		b = binary.AppendUvarint(b, uint64(e.Core))
		b = binary.AppendUvarint(b, uint64(len(e.Cores)))
		for _, c := range e.Cores {
			b = binary.AppendUvarint(b, uint64(c))
		}
		b = binary.AppendUvarint(b, e.Order)
		b = binary.AppendUvarint(b, e.Forks)
		if e.Live {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	return b
}

// readEndpoints decodes appendEndpoints' records.
func readEndpoints(b []byte) ([]endpointSnap, error) {
	o := octets{b: b}
	n := o.uvarint()
	if o.bad || n > uint64(len(b)) {
		return nil, errors.New("endpoint records cut short")
	}
	eps := make([]endpointSnap, n)
	for i := range eps {
		e := &eps[i]
		e.ID = string(o.field())
		e.Local, e.Remote = o.addr(), o.addr()
		e.Parent = string(o.field())
		if ovr := o.field(); len(ovr) > 0 {
			e.Overrides = append([]byte(nil), ovr...)
		}
		e.Core = uint32(o.uvarint())
		nCores := o.uvarint()
		for j := uint64(0); !o.bad && j < nCores; j++ {
			e.Cores = append(e.Cores, uint32(o.uvarint()))
		}
		e.Order, e.Forks = o.uvarint(), o.uvarint()
		e.Live = o.octet() == 1
		if o.bad {
			return nil, fmt.Errorf("endpoint record %d: endpoint records cut short", i)
		}
	}
	if len(o.b) != 0 {
		return nil, errors.New("endpoint records: octets left over")
	}
	return eps, nil
}

// sortRecords puts every list in a fixed order, so that the same records
// encode to the same octets (the snapshot's hash depends on it).
func sortRecords(r *recordsSnapshot) {
	slices.SortFunc(r.Endpoints, func(a, b endpointSnap) int { return cmp.Compare(a.Order, b.Order) })
	slices.SortFunc(r.Rules, func(a, b ruleSnap) int { return cmp.Compare(a.Order, b.Order) })
	slices.SortFunc(r.Peers, func(a, b peerSnap) int { return cmp.Compare(a.No, b.No) })
	for i := range r.Peers {
		slices.SortFunc(r.Peers[i].Hosts, netip.Addr.Compare)
	}
}

// listenerKey finds a child's listener among restored records.
type listenerKey struct {
	id    string
	local netip.AddrPort
}

// restoreConfig is the profile of a record whose overrides encode as b:
// the one an earlier record with the same overrides has, if any. Forked
// children share their listener's (track), and so do restored ones:
// building a profile and its view for each would cost a restarted daemon
// about 1.5 kB per child of a listener with overrides.
func (s *session) restoreConfig(b []byte, seen map[string]*endpointConfig) (*endpointConfig, error) {
	if c, ok := seen[string(b)]; ok {
		return c, nil
	}
	po := &pb.ProfileOverrides{}
	if err := proto.Unmarshal(b, po); err != nil {
		return nil, err
	}
	var v violations
	ovr := overridesFromProto(po, "overrides", &v)
	if err := v.err(); err != nil {
		return nil, err
	}
	c, err := s.newEndpointConfig(po, ovr)
	if err != nil {
		return nil, err
	}
	seen[string(b)] = c
	return c, nil
}

// restoreRecords rebuilds a session's records from a snapshot onto s,
// whose emulator is already restored; the claims of the peers attached
// then are returned, numbered, for recovery to release.
func (s *session) restoreRecords(b []byte, p parser) (map[uint64]*peer, error) {
	var r recordsSnapshot
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, errors.New("server records cut short")
	}
	if err := json.Unmarshal(b[k:k+int(n)], &r); err != nil {
		return nil, fmt.Errorf("server records: %w", err)
	}
	eps, err := readEndpoints(b[k+int(n):])
	if err != nil {
		return nil, fmt.Errorf("server records: %w", err)
	}
	r.Endpoints = eps
	s.nextOrd, s.net.nextRule, s.nextPeer = r.NextOrd, r.NextRule, r.NextPeer
	// A child points at its listener's record. Records come in creation
	// order, listeners before their children; a listener deleted before
	// the snapshot is not in it, and its children get a record of its ID
	// and address only, which is all they show of it.
	listeners := make(map[listenerKey]*endpointRec)
	configs := make(map[string]*endpointConfig) // by the overrides' octets
	for _, e := range r.Endpoints {
		rec := &endpointRec{id: e.ID, addr: e.Local, core: emulator.EndpointID(e.Core), order: e.Order, forks: e.Forks}
		if e.Parent != "" {
			k := listenerKey{e.Parent, e.Local}
			if rec.parent = listeners[k]; rec.parent == nil {
				rec.parent = &endpointRec{id: e.Parent, addr: e.Local}
				listeners[k] = rec.parent
			}
			rec.addr = e.Remote
		}
		listeners[listenerKey{rec.id, e.Local}] = rec
		if e.Overrides != nil {
			if rec.custom, err = s.restoreConfig(e.Overrides, configs); err != nil {
				return nil, fmt.Errorf("endpoint %s: %w", e.ID, err)
			}
		}
		if e.Live {
			s.eps[rec.id] = rec
			if rec.parent == nil {
				s.bound[rec.addr] = rec
			}
		}
		for _, id := range e.Cores {
			s.byCore[emulator.EndpointID(id)] = rec
			if !e.Live || rec.core != emulator.EndpointID(id) {
				s.retire(emulator.EndpointID(id))
			}
		}
	}
	for _, pr := range r.Paths {
		s.net.paths[hostPair{pr[0], pr[1]}] = true
	}
	for _, pr := range r.Cuts {
		s.net.cuts[hostPair{pr[0], pr[1]}] = true
	}
	for _, rs := range r.Rules {
		spec := &pb.FaultRule{}
		if err := proto.Unmarshal(rs.Spec, spec); err != nil {
			return nil, fmt.Errorf("fault rule %s: %w", rs.ID, err)
		}
		cmd, err := p.createFaultRule(&pb.CreateFaultRuleRequest{Parent: sessionName(s.id), FaultRuleId: rs.ID, FaultRule: spec})
		if err != nil {
			return nil, fmt.Errorf("fault rule %s: %w", rs.ID, err)
		}
		rec := &faultRuleRec{id: rs.ID, core: emulator.FaultID(rs.Core), spec: cmd.spec, fault: cmd.fault, order: rs.Order}
		if rs.Live {
			s.net.rules[rec.id] = rec
		}
		s.net.ruleByCore[rec.core] = rec
	}
	for _, e := range r.Ext {
		s.net.ext.segs = append(s.net.ext.segs, externalSeg{seq: e.Seq, at: e.At, src: e.Src, dst: e.Dst, seg: e.Seg})
	}
	s.net.ext.bytes, s.net.ext.dropped = r.ExtBytes, r.ExtDrop
	peers := make(map[uint64]*peer)
	for _, ps := range r.Peers {
		pe := &peer{hosts: make(map[netip.Addr]bool), all: ps.All, no: ps.No}
		for _, h := range ps.Hosts {
			pe.hosts[h] = true
			s.net.peers.byHost[h] = pe
		}
		if pe.all {
			s.net.peers.catchAll = pe
		}
		peers[pe.no] = pe
	}
	return peers, nil
}
