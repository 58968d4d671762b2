package server

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
	"github.com/tcpemu/tcpemu/store"
)

// registry holds the live sessions by ID.
type registry struct {
	mu       sync.RWMutex
	sessions map[string]*session
}

func (r *registry) get(id string) (*session, error) {
	r.mu.RLock()
	s, ok := r.sessions[id]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%s: %w", sessionName(id), errSessionNotFound)
	}
	return s, nil
}

// add registers a new session unless its ID is taken or the limit is hit.
func (r *registry) add(s *session, limit int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, taken := r.sessions[s.id]; taken {
		return fmt.Errorf("%s: %w", sessionName(s.id), errAlreadyExists)
	}
	if len(r.sessions) >= limit {
		return fmt.Errorf("%w: at most %d sessions; delete some first", errLimit, limit)
	}
	r.sessions[s.id] = s
	return nil
}

func (r *registry) remove(id string) (*session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sessions[id]
	if !ok {
		return nil, fmt.Errorf("%s: %w", sessionName(id), errSessionNotFound)
	}
	delete(r.sessions, id)
	return s, nil
}

// sorted returns the sessions ordered by ID.
func (r *registry) sorted() []*session {
	r.mu.RLock()
	out := make([]*session, 0, len(r.sessions))
	for _, s := range r.sessions {
		out = append(out, s)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// session is one emulator session and the server's records about it.
// Fields under "guarded by mu" are touched only with mu held; the others
// are fixed at creation.
type session struct {
	id         string
	spec       *pb.Session          // what the client asked for: seed, profile, overrides, labels, ...
	base       tcp.Config           // the profile with the session's overrides
	effective  *pb.ProfileOverrides // base as the API shows it; shared, read-only (marshalling is safe concurrently)
	lang       explain.Lang
	createTime time.Time

	mu       sync.Mutex // guarded by mu:
	em       *emulator.Session
	eps      map[string]*endpointRec              // by endpoint ID, live ones only
	byCore   map[emulator.EndpointID]*endpointRec // emulator endpoints that events in memory may name (retire.go)
	retired  retiredCores                         // byCore entries to drop once the log has trimmed their events
	bound    map[netip.AddrPort]*endpointRec      // local addresses of live endpoints that are not children
	nextOrd  uint64                               // creation order of the next record
	changed  chan struct{}                        // closed and replaced when events are appended
	callFrom uint64                               // NextSeq when the current call began (apply)
	gone     bool                                 // deleted: watchers end with NOT_FOUND
	net      networkRecs                          // paths, cuts, rules, external log, peers (network.go)

	// Durability (journal.go, recover.go).
	durable                          bool                               // journaled to the server's store
	readOnly                         string                             // why nothing may change the session any more ("" if it may)
	replay                           *replayState                       // set while recovery replays the journal
	recovery                         *pb.SessionRecovery                // what the last start found; nil if created since
	frozenNext                       uint64                             // diverged: the journal's next seq; its history is read from the store
	ttl                              time.Duration                      // expire after this long without a change (0: never)
	lastChange                       time.Time                          // wall time of the last journaled change (or creation)
	nextPeer                         uint64                             // number of the next attached external peer
	inputs                           uint64                             // inputs journaled (the store's index of the last)
	sinceSnapInputs, sinceSnapEvents uint64                             // journaled since the last snapshot
	snapPeers                        map[uint64]*peer                   // recovery: the claims a snapshot restored
	evbuf                            []byte                             // reused to encode a call's events
	namebuf                          []nameRef                          // reused to list the endpoints they name
	nameIdx                          map[emulator.EndpointID]int        // and to find them among many
	histbuf                          []emulator.Event                   // reused to decode stored events
	histNames                        map[emulator.EndpointID]storedName // their names
	store                            store.Store                        // the server's, when durable
}

// endpointRec is the server's record of a named endpoint: a bound address
// that Listen or Connect opens in the emulator (again after it closes), or
// a child a listener forked. A daemon may hold millions (one per idle
// connection end): a field every record carries costs megabytes, so what
// most share — the session, its profile — is not repeated in each.
type endpointRec struct {
	id string
	// addr is a bound endpoint's local address, and a child's remote one:
	// a child's local address is its listener's.
	addr   netip.AddrPort
	parent *endpointRec        // the listener, for a child (kept even once deleted)
	custom *endpointConfig     // nil: the session's profile (most endpoints)
	core   emulator.EndpointID // the emulator's endpoint; 0 before the first OPEN
	order  uint64
	forks  uint64 // children forked so far, for a listener
}

// local is the address rec is bound to.
func (rec *endpointRec) local() netip.AddrPort {
	if rec.parent != nil {
		return rec.parent.local()
	}
	return rec.addr
}

// remote is a child's remote address (the zero AddrPort for others).
func (rec *endpointRec) remote() netip.AddrPort {
	if rec.parent != nil {
		return rec.addr
	}
	return netip.AddrPort{}
}

// parentID is a child's listener's ID ("" for others).
func (rec *endpointRec) parentID() string {
	if rec.parent != nil {
		return rec.parent.id
	}
	return ""
}

// endpointConfig is an endpoint's own profile: the session's with the
// overrides CreateEndpoint gave (a listener's children share their
// listener's).
type endpointConfig struct {
	overrides *emulator.Overrides  // nil if proto sets nothing
	proto     *pb.ProfileOverrides // as the client gave them
	cfg       tcp.Config
	effective *pb.ProfileOverrides // cfg as the API shows it; shared, read-only like session.effective
}

// newEndpointConfig applies overrides to the session's profile; nil if the
// client gave none.
func (s *session) newEndpointConfig(protoOverrides *pb.ProfileOverrides, overrides *emulator.Overrides) (*endpointConfig, error) {
	if protoOverrides == nil && overrides == nil {
		return nil, nil
	}
	c := &endpointConfig{overrides: overrides, proto: protoOverrides, cfg: s.base}
	if overrides != nil {
		if err := overrides.Apply(&c.cfg); err != nil {
			return nil, err
		}
	}
	c.effective = configToProto(&c.cfg)
	return c, nil
}

// profile is the profile rec's connections use, and its API view. The
// view is built once, not for each answer: CreateEndpoint's answers in a
// Batch creating 1,000,000 endpoints built 390 MB of identical views,
// 8% of all the daemon allocated meanwhile.
func (s *session) profile(rec *endpointRec) (*tcp.Config, *pb.ProfileOverrides) {
	if rec.custom != nil {
		return &rec.custom.cfg, rec.custom.effective
	}
	return &s.base, s.effective
}

// overrides are rec's changes to the session's profile (nil: none).
func (rec *endpointRec) overrides() *emulator.Overrides {
	if rec.custom == nil {
		return nil
	}
	return rec.custom.overrides
}

// protoOverrides are rec's overrides as the client gave them.
func (rec *endpointRec) protoOverrides() *pb.ProfileOverrides {
	if rec.custom == nil {
		return nil
	}
	return rec.custom.proto
}

func newSession(id string, spec *pb.Session, em *emulator.Session, lang explain.Lang, now time.Time) *session {
	s := &session{
		id: id, spec: spec, base: em.Profile(), lang: lang, createTime: now,
		em:      em,
		eps:     make(map[string]*endpointRec),
		byCore:  make(map[emulator.EndpointID]*endpointRec),
		bound:   make(map[netip.AddrPort]*endpointRec),
		changed: make(chan struct{}),
	}
	s.effective = configToProto(&s.base)
	s.net.init()
	return s
}

// apply runs op on a session under its lock — the one way a request
// touches a session — and maps the error to a status. Watchers are woken
// if op appended events.
func apply[T any](s *Server, sessionID, lang string, op func(*session, eventOpts) (T, error)) (T, error) {
	return applyIn(s, sessionID, lang, nil, op)
}

// mutate is apply for a call that may change the session: j, its checked
// request, is journaled with the events op caused before the call is
// answered or its events are seen (journal.go).
func mutate[T any](s *Server, sessionID, lang string, j *journalIn, op func(*session, eventOpts) (T, error)) (T, error) {
	return applyIn(s, sessionID, lang, j, op)
}

func applyIn[T any](s *Server, sessionID, lang string, j *journalIn, op func(*session, eventOpts) (T, error)) (T, error) {
	var zero T
	sess, err := s.reg.get(sessionID)
	if err != nil {
		return zero, toStatus(err)
	}
	sess.mu.Lock()
	defer sess.mu.Unlock() // also when op panics: the session stays usable
	if sess.gone {
		return zero, toStatus(fmt.Errorf("%s: %w", sessionName(sessionID), errSessionNotFound))
	}
	if j != nil {
		if err := sess.checkWritable(); err != nil {
			return zero, toStatus(err)
		}
		defer func() {
			if p := recover(); p != nil {
				// A panic left the change half made and unjournaled.
				_ = sess.markReadOnly(fmt.Errorf("panic: %v", p), nil)
				panic(p)
			}
		}()
	}
	before := sess.em.NextSeq()
	sess.callFrom = before
	// A call's events stay in the log until it is journaled and fanned
	// out, however many emulator calls it makes (a Batch): the log's
	// window need not be as large as the largest call.
	sess.em.Hold(before)
	defer sess.em.Release()
	eo := sess.eventOpts(lang, false)
	if sess.replay != nil {
		eo.kinds = &kindSet{} // nobody reads a replayed call's answer: convert nothing
	}
	res, err := op(sess, eo)
	if j != nil && sess.replay == nil {
		sess.lastChange = s.wallNow()
	}
	err = s.journal(sess, j, before, err)
	sess.applied(before)
	return res, toStatus(err)
}

// eventOpts resolves a request's language (validated already) against the
// session's default.
func (s *session) eventOpts(lang string, omit bool) eventOpts {
	eo := eventOpts{lang: s.lang, omit: omit}
	if l, err := explain.ParseLang(lang); err == nil && lang != "" {
		eo.lang = l
	}
	return eo
}

// applied finishes a change: segments for external hosts go to the
// external log (external.go), and watchers and attached peers wake if the
// log grew.
func (s *session) applied(before uint64) {
	if ext := s.em.TakeExternal(); len(ext) > 0 {
		s.recordExternal(before, ext)
	}
	s.dropRetired()
	if s.em.NextSeq() != before {
		close(s.changed)
		s.changed = make(chan struct{})
	}
}

// callEvents is how many events the current call has caused so far, for
// Limits.MaxEventsPerCall.
func (s *session) callEvents() int { return int(s.em.NextSeq() - s.callFrom) }

// endpoint finds a live endpoint record.
func (s *session) endpoint(ref endpointRef) (*endpointRec, error) {
	rec, ok := s.eps[ref.endpoint]
	if !ok {
		return nil, fmt.Errorf("%s: %w", ref, errEndpointNotFound)
	}
	return rec, nil
}

// register adds a record under a new creation order.
func (s *session) register(rec *endpointRec) {
	rec.order = s.nextOrd
	s.nextOrd++
	s.eps[rec.id] = rec
	if rec.parent == nil {
		s.bound[rec.addr] = rec
	}
}

// unregister forgets a deleted endpoint; byCore names its events until
// the log has trimmed them (retire.go).
func (s *session) unregister(rec *endpointRec) {
	delete(s.eps, rec.id)
	if rec.parent == nil && s.bound[rec.addr] == rec {
		delete(s.bound, rec.addr)
	}
	if rec.core != 0 {
		s.retire(rec.core)
	}
}

// bind makes rec the owner of an emulator endpoint; the one it had before
// (closed: OPEN needs that) is retired.
func (s *session) bind(rec *endpointRec, id emulator.EndpointID) {
	if id != 0 {
		if rec.core != 0 && rec.core != id {
			s.retire(rec.core)
		}
		rec.core = id
		s.byCore[id] = rec
	}
}

// events converts what one emulator call returned. It first names the
// children listeners forked (and, for a failed OPEN that still created an
// endpoint, binds it to owner), so that every event can name its endpoint.
// The slice is the emulator's and valid only until its next call: convert
// before calling again.
func (s *session) events(evs []emulator.Event, eo eventOpts, owner *endpointRec) []*pb.Event {
	var out []*pb.Event
	if eo.kinds == nil { // a Batch's filter may keep few: let append size it then
		out = make([]*pb.Event, 0, len(evs))
	}
	for i := range evs {
		ev := &evs[i]
		if ev.Kind == emulator.KindEndpointCreated && s.byCore[ev.Endpoint] == nil {
			s.track(ev, owner)
		}
		if eo.kinds != nil && !eo.kinds.has(kindToProto(ev.Kind)) {
			continue // filtered out: not worth converting
		}
		if p := eventToProto(ev, s, eo); p != nil {
			out = append(out, p)
		}
	}
	return out
}

// track names an endpoint the emulator created on its own: a listener's
// n-th child is "{listener}-{n}" (n from 1), so that a harness can name
// the children it expects — in a Batch, before they exist.
func (s *session) track(ev *emulator.Event, owner *endpointRec) {
	parent := s.byCore[emulator.EndpointID(ev.Value)]
	if ev.Value == 0 || parent == nil {
		if owner != nil {
			s.bind(owner, ev.Endpoint)
		}
		return
	}
	parent.forks++
	id := parent.id + "-" + strconv.FormatUint(parent.forks, 10)
	for s.eps[id] != nil {
		id += "x"
	}
	rec := &endpointRec{id: id, parent: parent, custom: parent.custom}
	if remote, err := s.em.Remote(ev.Endpoint); err == nil {
		rec.addr = remote
	}
	s.register(rec)
	s.bind(rec, ev.Endpoint)
}

// endpointLabel is the ID events use for an emulator endpoint ("" for a
// host answering for a closed port).
func (s *session) endpointLabel(id emulator.EndpointID) string {
	if id == 0 {
		return ""
	}
	if rec := s.byCore[id]; rec != nil {
		return rec.id
	}
	return "ep" + strconv.FormatUint(uint64(id), 10)
}

func (s *session) endpointRecord(id emulator.EndpointID) *endpointRec { return s.byCore[id] }

func (s *session) sessionID() string { return s.id }

// Addr resolves the address handles in events.
func (s *session) Addr(id tcp.AddrID) netip.AddrPort { return s.em.Addr(id) }

// status is the emulator's STATUS of rec's connection; nil when it has
// none (never opened, or its closed record was recycled).
func (s *session) status(rec *endpointRec) *emulator.Status {
	if rec.core == 0 {
		return nil
	}
	st, err := s.em.Status(rec.core)
	if err != nil {
		return nil
	}
	return &st
}

// state is rec's connection state; ok is false when it has none (never
// opened, or its record recycled). Cheaper than status: no report built.
func (s *session) state(rec *endpointRec) (st tcp.State, ok bool) {
	if rec.core == 0 {
		return tcp.Closed, false
	}
	st, err := s.em.State(rec.core)
	return st, err == nil
}

// lastSeq is the API seq of the newest event (0 if none yet).
func (s *session) lastSeq() uint64 {
	if s.frozenNext > 0 {
		return s.frozenNext
	}
	return s.em.NextSeq()
}

// toProto is GetSession's view.
func (s *session) toProto() *pb.Session {
	out := &pb.Session{
		Name:             sessionName(s.id),
		Seed:             s.spec.GetSeed(),
		Profile:          s.spec.GetProfile(),
		ProfileOverrides: s.spec.GetProfileOverrides(),
		EffectiveProfile: s.effective,
		Labels:           s.spec.GetLabels(),
		FixedIsn:         s.spec.FixedIsn,
		Language:         s.lang.String(),
		CreateTime:       timestampToProto(s.createTime),
		Now:              durationToProto(s.em.Now()),
		LastEventSeq:     s.lastSeq(),
		EndpointCount:    uint32(len(s.eps)),
		Partitions:       s.partitionsToProto(),
		Pending:          uint32(s.em.Pending()),
	}
	if first := s.firstKept(); s.em.NextSeq() > first {
		out.FirstEventSeq = apiSeq(first)
	}
	out.Durable, out.Recovery = s.durable, s.recovery
	if s.ttl > 0 {
		out.Ttl = durationToProto(s.ttl)
		out.ExpireTime = timestampToProto(s.lastChange.Add(s.ttl))
	}
	if at, ok := s.em.NextAt(); ok {
		out.NextDeadline = durationToProto(at)
	}
	return out
}

func sortByOrder(recs []*endpointRec) {
	sort.Slice(recs, func(i, j int) bool { return recs[i].order < recs[j].order })
}
