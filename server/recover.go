package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
	"github.com/tcpemu/tcpemu/store"
)

// metaRecord is what the store keeps to recreate a session: the checked
// CreateSession request, its ID and wall-clock creation time, and the
// limits its calls were checked under (they decide some outcomes — a
// Batch cut short at the event cap — so replay must use the same).
type metaRecord struct {
	ID         string    `json:"id"`
	CreateTime time.Time `json:"create_time"`
	Request    []byte    `json:"request"` // CreateSessionRequest, protobuf
	Limits     Limits    `json:"limits"`
}

// journalCreate journals a new session's creation; the session is locked.
func (s *Server) journalCreate(sess *session, req *pb.CreateSessionRequest, lim Limits) error {
	if !sess.durable {
		return nil
	}
	reqb, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return fmt.Errorf("%s: encode: %w", sessionName(sess.id), err)
	}
	meta, err := json.Marshal(metaRecord{ID: sess.id, CreateTime: sess.createTime, Request: reqb, Limits: lim})
	if err != nil {
		return fmt.Errorf("%s: encode: %w", sessionName(sess.id), err)
	}
	err = s.store.Commit(&store.Commit{Session: sess.id, Meta: meta, Time: sess.createTime.UnixNano()})
	if err != nil {
		return fmt.Errorf("%s: not created: %w: %w", sessionName(sess.id), errNotDurable, err)
	}
	return nil
}

// RecoveryReport sums up Recover.
type RecoveryReport struct {
	Sessions, Exact, Truncated, Diverged, Failed int
	Inputs, Events                               uint64
	Took                                         time.Duration
}

// NoteDamage tells Recover that the store lost the newest commits of a
// session (a torn journal tail), so that its status says so; call it
// before Recover.
func (s *Server) NoteDamage(session, detail string) {
	if s.damage == nil {
		s.damage = make(map[string]string)
	}
	s.damage[session] = detail
}

// Recover restores every stored session by replaying its journal through
// the same handlers that applied it, checking each input's status code
// and events against the journal's. It logs each session that did not
// come back exactly, and sets its status (Session.recovery). Call it once,
// before serving.
func (s *Server) Recover() (*RecoveryReport, error) {
	start := time.Now()
	rep := &RecoveryReport{}
	if s.store == nil {
		return rep, nil
	}
	list, err := s.store.Sessions()
	if err != nil {
		return nil, fmt.Errorf("list stored sessions: %w", err)
	}
	for _, ss := range list {
		rep.Sessions++
		sess, err := s.recoverSession(ss)
		if err != nil {
			// The description itself is unreadable: nothing to restore.
			rep.Failed++
			s.log.Error().Err(err).Str("session", ss.ID).Msg("recovery: session not restored; its records stay in the store (emud check)")
			continue
		}
		r := sess.recovery
		rep.Inputs += r.InputsReplayed
		rep.Events += r.EventsReplayed
		switch r.State {
		case pb.RecoveryState_RECOVERY_STATE_EXACT:
			rep.Exact++
		case pb.RecoveryState_RECOVERY_STATE_TRUNCATED:
			rep.Truncated++
			s.log.Warn().Str("session", ss.ID).Str("detail", r.Detail).Msg("recovery: journal damaged; session restored to the last valid input")
		case pb.RecoveryState_RECOVERY_STATE_DIVERGED:
			rep.Diverged++
			s.log.Error().Str("session", ss.ID).Str("detail", r.Detail).Msg("recovery: replay did not reproduce the journal; session is read-only")
		}
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// replayState is a session's recovery in progress: the input being
// replayed, as journaled, and what the replay has found.
type replayState struct {
	index    uint64
	tag      inputTag
	code     codes.Code
	firstSeq uint64
	count    uint32
	events   []byte // nil: trimmed from the store, only the count is checked
	peers    map[uint64]*peer

	checked  bool // the current input reached journal()
	mismatch string
	inputs   uint64
	evs      uint64
}

// check compares what replaying the current input did with its record.
func (r *replayState) check(tag inputTag, code codes.Code, before uint64, evs []byte, n uint64) {
	r.evs += n
	r.checked = true
	if r.mismatch != "" {
		return
	}
	at := fmt.Sprintf("input %d", r.index)
	switch {
	case tag != r.tag:
		r.mismatch = fmt.Sprintf("%s: replayed as input kind %d, journaled as %d", at, tag, r.tag)
	case code != r.code:
		r.mismatch = fmt.Sprintf("%s: ended with %v, journaled with %v", at, code, r.code)
	case before != r.firstSeq || n != uint64(r.count):
		r.mismatch = fmt.Sprintf("%s: caused events seq %d..%d, journaled seq %d..%d",
			at, apiSeq(before), apiSeq(before)+n-1, apiSeq(r.firstSeq), apiSeq(r.firstSeq)+uint64(r.count)-1)
	case r.events != nil && !bytes.Equal(evs, r.events):
		got, _ := decodeEvents(evs, before, uint32(n), 0, int(n), nil)
		want, _ := decodeEvents(r.events, before, uint32(n), 0, int(n), nil)
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		if i == len(got) && i == len(want) {
			r.mismatch = fmt.Sprintf("%s: its events name endpoints otherwise than the journal's", at)
			return
		}
		r.mismatch = fmt.Sprintf("%s: event seq %d differs from the journal's", at, apiSeq(before)+uint64(i))
	}
}

// errStopReplay ends the walk over a session's inputs at a mismatch.
var errStopReplay = errors.New("replay stopped")

func (s *Server) recoverSession(ss store.Session) (*session, error) {
	var meta metaRecord
	if err := json.Unmarshal(ss.Meta, &meta); err != nil {
		return nil, fmt.Errorf("session description: %w", err)
	}
	req := &pb.CreateSessionRequest{}
	if err := proto.Unmarshal(meta.Request, req); err != nil {
		return nil, fmt.Errorf("session description: %w", err)
	}
	lim := meta.Limits.withDefaults()
	cmd, err := s.replayer(lim).parser().createSession(req)
	if err != nil {
		return nil, fmt.Errorf("session description: %w", err)
	}
	sess, after, snapLim, from := s.restoreSnapshot(ss, cmd, &meta)
	if sess != nil {
		lim = snapLim
	} else if sess, err = newSessionFrom(cmd, ss.ID, lim, meta.CreateTime, s.store); err != nil {
		return nil, fmt.Errorf("recreate: %w", err)
	}
	rs := s.replayer(lim)
	if err := s.reg.add(sess, int(^uint(0)>>1)); err != nil {
		return nil, err
	}
	r := &replayState{peers: make(map[uint64]*peer)}
	for no, p := range sess.snapPeers {
		r.peers[no] = p
	}
	sess.snapPeers = nil
	sess.replay = r
	rec := &pb.SessionRecovery{State: pb.RecoveryState_RECOVERY_STATE_EXACT}
	last := after // the last input replayed (or restored)
	err = s.store.Inputs(ss.ID, after+1, func(in *store.Input) error {
		r.index, r.firstSeq, r.count, r.events = in.Index, in.FirstSeq, in.Count, in.Events
		tag, code, peerNo, body, err := decodeInput(in.Data)
		if err != nil {
			return &store.CorruptError{Where: fmt.Sprintf("session %s input %d", ss.ID, in.Index), Reason: err.Error()}
		}
		r.tag, r.code = tag, code
		if tag == inLimits {
			var l Limits
			if err := json.Unmarshal(body, &l); err != nil {
				return &store.CorruptError{Where: fmt.Sprintf("session %s input %d", ss.ID, in.Index), Reason: err.Error()}
			}
			rs.limits = l.withDefaults()
		} else {
			r.checked = false
			err := rs.replayInput(sess, tag, peerNo, body)
			if !r.checked && r.mismatch == "" {
				// Rejected before it reached the session, where it had been
				// applied: the replay cannot follow the journal.
				r.mismatch = fmt.Sprintf("input %d was not applied on replay: %v", in.Index, err)
			}
		}
		r.inputs++
		last, sess.inputs = in.Index, in.Index
		if r.mismatch != "" {
			return errStopReplay
		}
		return nil
	})
	sess.replay = nil
	var ce *store.CorruptError
	switch {
	case r.mismatch != "":
		rec.State = pb.RecoveryState_RECOVERY_STATE_DIVERGED
		rec.Detail = "replay of the journal did not reproduce it: " + r.mismatch + "; the session is read-only, its journaled history can still be read"
		sess.readOnly, sess.frozenNext = rec.Detail, ss.NextSeq
	case errors.As(err, &ce):
		rec.State = pb.RecoveryState_RECOVERY_STATE_TRUNCATED
		lost := ss.Inputs - last
		rec.Detail = fmt.Sprintf("%v; restored to input %d (events up to seq %d); %d later inputs are lost", ce, last, sess.em.NextSeq(), lost)
		err = s.store.Commit(&store.Commit{Session: ss.ID, Cut: last + 1, FirstSeq: sess.em.NextSeq()})
		if err != nil {
			sess.readOnly = "the damaged journal could not be cut: " + err.Error()
		}
	case err != nil:
		rec.State = pb.RecoveryState_RECOVERY_STATE_DIVERGED
		rec.Detail = fmt.Sprintf("replay failed at input %d: %v; the session is read-only, its journaled history can still be read", r.index, err)
		sess.readOnly, sess.frozenNext = rec.Detail, ss.NextSeq
	case s.damage[ss.ID] != "":
		rec.State = pb.RecoveryState_RECOVERY_STATE_TRUNCATED
		rec.Detail = fmt.Sprintf("%s; replayed the %d inputs before it and reproduced their %d events exactly", s.damage[ss.ID], r.inputs, r.evs)
	default:
		rec.Detail = fmt.Sprintf("replayed %d inputs and reproduced their %d events exactly", r.inputs, r.evs)
	}
	if from != "" {
		rec.Detail = from + "; " + rec.Detail
	}
	sess.sinceSnapInputs, sess.sinceSnapEvents = r.inputs, r.evs
	rec.InputsReplayed, rec.EventsReplayed = r.inputs, r.evs
	sess.recovery = rec
	if ss.LastTime > 0 {
		sess.lastChange = time.Unix(0, ss.LastTime)
	}
	if sess.readOnly == "" {
		s.afterReplay(sess, r, rs.limits)
	}
	return sess, nil
}

// afterReplay ends what the journal left open: the external peers it
// shows attached are gone with the old daemon, and the daemon may run
// with other limits now. Both are journaled, so that the next replay
// takes the same turns.
func (s *Server) afterReplay(sess *session, r *replayState, was Limits) {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	for no := uint64(0); no < sess.nextPeer; no++ {
		if p := r.peers[no]; p != nil {
			sess.release(p)
			_ = s.journalRaw(sess, &journalIn{tag: inPeerRelease, peer: no, raw: []byte{}})
		}
	}
	if was != s.limits {
		b, _ := json.Marshal(s.limits)
		_ = s.journalRaw(sess, &journalIn{tag: inLimits, raw: b})
	}
}

// replayer is a Server that applies journaled inputs: it shares the
// registry and sessions, checks requests under the limits they were
// accepted with, and writes nothing.
func (s *Server) replayer(lim Limits) *Server {
	return &Server{limits: lim, log: s.log, reg: s.reg, health: s.health, stopping: s.stopping, wallNow: s.wallNow}
}

// replayInput applies one journaled input through the handler that
// applied it first.
func (s *Server) replayInput(sess *session, tag inputTag, peerNo uint64, body []byte) error {
	ctx := context.Background()
	r := sess.replay
	switch tag {
	case inPeerClaim:
		a := &pb.ExternalPeerAttach{}
		if err := proto.Unmarshal(body, a); err != nil {
			return err
		}
		cmd, err := s.parser().attach(a)
		if err != nil {
			return err
		}
		sess.mu.Lock()
		err = s.claimPeer(sess, cmd.peer, a)
		sess.mu.Unlock()
		if err != nil || cmd.peer.no != peerNo {
			return fmt.Errorf("peer %d's claim (replayed as peer %d): %v", peerNo, cmd.peer.no, err)
		}
		r.peers[peerNo] = cmd.peer
		return nil
	case inPeerRelease:
		sess.mu.Lock()
		s.releasePeer(sess, r.peers[peerNo])
		sess.mu.Unlock()
		delete(r.peers, peerNo)
		return nil
	case inPeerSend:
		snd := &pb.ExternalPeerSend{}
		if err := proto.Unmarshal(body, snd); err != nil {
			return err
		}
		p := r.peers[peerNo]
		if p == nil {
			return fmt.Errorf("a send from peer %d, which is not attached", peerNo)
		}
		if sent := s.peerSend(sess, attachCmd{session: sess.id, peer: p}, snd); sent.Error != nil {
			return errors.New(sent.Error.GetMessage())
		}
		return nil
	}
	h, ok := replayHandlers[tag]
	if !ok {
		return fmt.Errorf("unknown input kind %d", tag)
	}
	return h(s, ctx, body)
}

// replayHandlers are the handlers of journaled requests, by tag.
var replayHandlers = map[inputTag]func(*Server, context.Context, []byte) error{
	inCreateEndpoint:  replayOf((*Server).CreateEndpoint),
	inDeleteEndpoint:  replayOf((*Server).DeleteEndpoint),
	inListen:          replayOf((*Server).Listen),
	inConnect:         replayOf((*Server).Connect),
	inSend:            replayOf((*Server).Send),
	inReceive:         replayOf((*Server).Receive),
	inClose:           replayOf((*Server).Close),
	inAbort:           replayOf((*Server).Abort),
	inAdvance:         replayOf((*Server).Advance),
	inInject:          replayOf((*Server).Inject),
	inSetPath:         replayOf((*Server).SetPath),
	inDeletePath:      replayOf((*Server).DeletePath),
	inCreateFaultRule: replayOf((*Server).CreateFaultRule),
	inDeleteFaultRule: replayOf((*Server).DeleteFaultRule),
	inCut:             replayOf((*Server).Cut),
	inHeal:            replayOf((*Server).Heal),
	inBatch:           replayOf((*Server).Batch),
}

// replayOf decodes a journaled request and calls its handler. A call that
// reached the session is checked by journal() — its code included — and
// its error matters only if it did not.
func replayOf[Req any, P interface {
	*Req
	proto.Message
}, Resp any](h func(*Server, context.Context, P) (Resp, error)) func(*Server, context.Context, []byte) error {
	return func(s *Server, ctx context.Context, body []byte) error {
		req := P(new(Req))
		if err := proto.Unmarshal(body, req); err != nil {
			return err
		}
		_, err := h(s, ctx, req)
		return err
	}
}
