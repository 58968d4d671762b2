package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	"github.com/tcpemu/tcpemu/store"
)

// Journaling (DESIGN.md, "One call, end to end"): every call that may
// change a session is journaled as its checked request, with the status
// code it ended with and the events it caused, before it is answered and
// before watchers can see its events (the session's lock is held until the
// store has it). A restart replays the requests through the same handlers
// (recover.go) and checks that they cause the same events and codes.

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

func in(tag inputTag, msg proto.Message) *journalIn { return &journalIn{tag: tag, msg: msg} }

// encode is the input record: tag, status code, then the body.
func (j *journalIn) encode(code codes.Code) ([]byte, error) {
	b := []byte{byte(j.tag), byte(code)}
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
		// cannot be journaled. (Its log limit leaves room for a whole call;
		// this is a guard, not a path.)
		return sess.markReadOnly(fmt.Errorf("a call caused more events than the session's log keeps: journal incomplete from seq %d", apiSeq(before)), callErr)
	}
	events := sess.em.Events(before - 1)
	if r := sess.replay; r != nil {
		sess.evbuf = encodeEvents(events, sess.evbuf[:0])
		r.check(j.tag, code, before, sess.evbuf, sess.em.NextSeq()-before)
		return callErr
	}
	// A buffer of its own: the store keeps it until its checkpoint.
	evs := encodeEvents(events, make([]byte, 0, len(events)*eventSize))
	data, err := j.encode(code)
	if err != nil {
		return sess.markReadOnly(fmt.Errorf("encode input: %w", err), callErr)
	}
	c := &store.Commit{Session: sess.id, Input: data, Time: sess.lastChange.UnixNano(), FirstSeq: before, Count: uint32(sess.em.NextSeq() - before)}
	if c.Count > 0 {
		c.Events = evs
	}
	if err := s.store.Commit(c); err != nil {
		return sess.markReadOnly(err, callErr)
	}
	return callErr
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

// Events are stored as fixed 55-octet records (little-endian), the seq
// implied by their place: the emulator's Event holds codes and numbers
// only, so this is exact and cheap, and the server renders them to the
// API on reading as it does live ones.
const eventSize = 55

func encodeEvents(evs []emulator.Event, b []byte) []byte {
	for i := range evs {
		e := &evs[i]
		b = binary.LittleEndian.AppendUint64(b, uint64(e.Time))
		b = binary.LittleEndian.AppendUint32(b, uint32(e.Endpoint))
		b = append(b, byte(e.Kind), byte(e.Cause), byte(e.From), byte(e.To))
		b = binary.LittleEndian.AppendUint16(b, uint16(e.Rule))
		b = append(b, byte(e.Timer), byte(e.Call), byte(e.Err), byte(e.Drop))
		b = binary.LittleEndian.AppendUint32(b, uint32(e.Seg.Src))
		b = binary.LittleEndian.AppendUint32(b, uint32(e.Seg.Dst))
		b = binary.LittleEndian.AppendUint32(b, uint32(e.Seg.Seq))
		b = binary.LittleEndian.AppendUint32(b, uint32(e.Seg.Ack))
		b = binary.LittleEndian.AppendUint32(b, uint32(e.Seg.Len))
		b = binary.LittleEndian.AppendUint16(b, e.Seg.Window)
		b = append(b, byte(e.Seg.Flags))
		b = binary.LittleEndian.AppendUint16(b, e.Seg.MSS)
		b = binary.LittleEndian.AppendUint64(b, uint64(e.Value))
	}
	return b
}

// decodeEvent reads the event at b (eventSize octets) with core seq seq.
func decodeEvent(b []byte, seq uint64) emulator.Event {
	le := binary.LittleEndian
	var e emulator.Event
	e.Seq = seq
	e.Time = time.Duration(le.Uint64(b))
	e.Endpoint = emulator.EndpointID(le.Uint32(b[8:]))
	e.Kind, e.Cause = emulator.Kind(b[12]), emulator.Cause(b[13])
	e.From, e.To = tcp.State(b[14]), tcp.State(b[15])
	e.Rule = tcp.Rule(le.Uint16(b[16:]))
	e.Timer, e.Call, e.Err, e.Drop = tcp.Timer(b[18]), emulator.Call(b[19]), tcp.Error(b[20]), emulator.DropReason(b[21])
	e.Seg.Src, e.Seg.Dst = tcp.AddrID(le.Uint32(b[22:])), tcp.AddrID(le.Uint32(b[26:]))
	e.Seg.Seq, e.Seg.Ack = seqnum.Value(le.Uint32(b[30:])), seqnum.Value(le.Uint32(b[34:]))
	e.Seg.Len = uint16(le.Uint32(b[38:])) // stored as 32 bits: the format predates the 16-bit field
	e.Seg.Window = le.Uint16(b[42:])
	e.Seg.Flags = tcp.Flags(b[44])
	e.Seg.MSS = le.Uint16(b[45:])
	e.Value = int64(le.Uint64(b[47:]))
	return e
}

// chunkEvents decodes the events of chunks with core seq ≥ from, at most
// n of them.
func chunkEvents(chunks []store.Chunk, from uint64, n int, out []emulator.Event) ([]emulator.Event, error) {
	for _, ch := range chunks {
		if len(ch.Data) != int(ch.Count)*eventSize {
			return out, fmt.Errorf("stored events from seq %d: %d octets for %d events", apiSeq(ch.FirstSeq), len(ch.Data), ch.Count)
		}
		for i := range uint64(ch.Count) {
			if seq := ch.FirstSeq + i; seq >= from && len(out) < n {
				out = append(out, decodeEvent(ch.Data[i*eventSize:], seq))
			}
		}
	}
	return out, nil
}
