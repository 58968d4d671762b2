package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/tcpemu/tcpemu/store"
)

// Journaling (DESIGN.md, "One call, end to end"): every call that may
// change a session is journaled as its checked request, with the status
// code it ended with and the events it caused, before it is answered and
// before watchers can see its events (the session's lock is held until the
// store has it). A restart replays the requests through the same handlers
// (recover.go) and checks that they cause the same events and codes.

// StoreFormat names how this server encodes what it stores (input
// records, events, session descriptions): store.Options.Format. Change it
// whenever one of them changes incompatibly.
//
// tcpemu-2: a chunk of events is followed by its names' dictionary
// (eventnames.go).
// tcpemu-3: an event is XORed with the last one of its kind and endpoint
// bit, named by a head octet, instead of with the previous event
// (eventcodec.go).
const StoreFormat = "tcpemu-3"

// inputTag names what a journaled input is. The numbers are stored:
// never renumber one, only add.
type inputTag byte

const (
	inCreateEndpoint inputTag = iota + 1
	inDeleteEndpoint
	inListen
	inConnect
	inSend
	inReceive
	inClose
	inAbort
	inAdvance
	inInject
	inSetPath
	inDeletePath
	inCreateFaultRule
	inDeleteFaultRule
	inCut
	inHeal
	inBatch
	inPeerClaim   // an external peer claimed hosts (attach); body: peer number, ExternalPeerAttach
	inPeerRelease // that peer's stream ended; body: peer number
	inPeerSend    // that peer's send; body: peer number, ExternalPeerSend
	inLimits      // the daemon restarted with other limits; body: limitsRecord (JSON)
)

// journalIn is the input a mutating call journals.
type journalIn struct {
	tag  inputTag
	peer uint64 // the peer's number, for inPeer*
	msg  proto.Message
	raw  []byte // instead of msg
}

// in is a handler's request to journal: the octets it was received as
// (rawrequest.go), else the message to encode.
func in(ctx context.Context, tag inputTag, msg proto.Message) *journalIn {
	if raw := rawRequest(ctx, msg); raw != nil {
		return &journalIn{tag: tag, raw: raw}
	}
	return &journalIn{tag: tag, msg: msg}
}

// encode appends the input record to b: tag, status code, then the body.
func (j *journalIn) encode(code codes.Code, b []byte) ([]byte, error) {
	b = append(b, byte(j.tag), byte(code))
	switch j.tag {
	case inPeerClaim, inPeerRelease, inPeerSend:
		b = binary.AppendUvarint(b, j.peer)
	}
	if j.msg == nil {
		return append(b, j.raw...), nil
	}
	return proto.MarshalOptions{Deterministic: true}.MarshalAppend(b, j.msg)
}

// decodeInput splits an input record.
func decodeInput(b []byte) (tag inputTag, code codes.Code, peer uint64, body []byte, err error) {
	if len(b) < 2 {
		return 0, 0, 0, nil, errors.New("input record too short")
	}
	tag, code, body = inputTag(b[0]), codes.Code(b[1]), b[2:]
	switch tag {
	case inPeerClaim, inPeerRelease, inPeerSend:
		n, k := binary.Uvarint(body)
		if k <= 0 {
			return 0, 0, 0, nil, errors.New("input record: bad peer number")
		}
		peer, body = n, body[k:]
	}
	return tag, code, peer, body, nil
}

// errReadOnly: the session's state cannot be trusted or made durable, so
// nothing may change it (FAILED_PRECONDITION).
var errReadOnly = errors.New("session is read-only")

// errNotDurable: the store failed; the call's effect is in memory only
// (UNAVAILABLE: the daemon must be restarted to journal again).
var errNotDurable = errors.New("not journaled")

// journal ends a mutating call: with a store it commits the input and the
// events the call caused from core seq `before` on; while replaying it
// checks them against the journaled ones instead. A failure makes the
// session read-only, since its memory and its journal now differ.
func (s *Server) journal(sess *session, j *journalIn, before uint64, callErr error) error {
	if j == nil || (!sess.durable && sess.replay == nil) {
		return callErr
	}
	code, _, _ := classify(callErr)
	if callErr == nil {
		code = codes.OK
	}
	if sess.em.FirstSeq() > before && sess.em.NextSeq() > before {
		// The emulator's log trimmed some of this call's own events: they
		// cannot be journaled. (applyIn holds the log for the whole call;
		// this is a guard, not a path.)
		return sess.markReadOnly(fmt.Errorf("a call caused more events than the session's log keeps: journal incomplete from seq %d", apiSeq(before)), callErr)
	}
	if r := sess.replay; r != nil {
		sess.evbuf = sess.appendCallEvents(before, sess.evbuf[:0])
		r.check(j.tag, code, before, sess.evbuf, sess.em.NextSeq()-before)
		return callErr
	}
	// The input, then the events, in one buffer: the store copies them,
	// so it is reused by the next call (of any session).
	bp, _ := s.commitBufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer s.putCommitBuf(bp)
	buf, err := j.encode(code, (*bp)[:0])
	if err != nil {
		return sess.markReadOnly(fmt.Errorf("encode input: %w", err), callErr)
	}
	k := len(buf)
	// Room for the usual size at once (lifecycles take 8.5 octets an
	// event), rather than doubling up to it from a pool emptied by the
	// collector.
	buf = slices.Grow(buf, int(sess.em.NextSeq()-before)*12+64)
	buf = sess.appendCallEvents(before, buf)
	*bp = buf
	c := &store.Commit{Session: sess.id, Input: buf[:k:k], Time: sess.lastChange.UnixNano(), FirstSeq: before, Count: uint32(sess.em.NextSeq() - before)}
	if c.Count > 0 {
		c.Events = buf[k:]
	}
	if err := s.store.Commit(c); err != nil {
		return sess.markReadOnly(err, callErr)
	}
	sess.inputs++
	s.maybeSnapshot(sess, c)
	return callErr
}

// maxCommitBuf is the largest encode buffer kept for reuse: a rare huge
// call's is left to the collector rather than held.
const maxCommitBuf = 4 << 20

func (s *Server) putCommitBuf(bp *[]byte) {
	if cap(*bp) <= maxCommitBuf {
		s.commitBufs.Put(bp)
	}
}

// appendCallEvents appends the events from core seq `before` on (a
// call's) in the stored form, and their names' dictionary, to b. It reads
// the log a page at a time: a call's events often span the log's two
// buffers, which reading them at once would copy into one.
func (s *session) appendCallEvents(before uint64, b []byte) []byte {
	const page = 4096
	var enc eventEncoder
	names := s.nameList()
	for after, left := before-1, s.em.NextSeq()-before; left > 0; {
		evs := s.em.EventsN(after, int(min(left, page)))
		if len(evs) == 0 {
			break // not reached: the log holds the call's events (journal checks)
		}
		b = enc.encode(evs, b)
		names.add(evs)
		after += uint64(len(evs))
		left -= uint64(len(evs))
	}
	return names.appendTo(b)
}

// markReadOnly records why the session can no longer change and returns
// the error the call answers with.
func (s *session) markReadOnly(why error, callErr error) error {
	if s.readOnly == "" {
		s.readOnly = "the call was applied but not journaled (" + why.Error() + "); restart emud: recovery restores every acknowledged call"
	}
	return fmt.Errorf("%s: %w: %w (%v)", sessionName(s.id), errNotDurable, why, callErr)
}

// checkWritable fails calls on a read-only session.
func (s *session) checkWritable() error {
	if s.readOnly != "" {
		return fmt.Errorf("%s: %w: %s", sessionName(s.id), errReadOnly, s.readOnly)
	}
	return nil
}

// journalRaw journals an input that is not a handler's request (a peer's
// claim or release) with no events; under the session's lock.
func (s *Server) journalRaw(sess *session, j *journalIn) error {
	return s.journal(sess, j, sess.em.NextSeq(), nil)
}
