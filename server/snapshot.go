package server

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/store"
)

// Snapshots bound replay: every so many inputs or events, and at a
// graceful shutdown, a durable session's state — the
// emulator's (emulator.Session.Snapshot) with its SHA-256 state hash, the
// server's records (records.go) and the limits in force — is stored as of
// its last journaled input. Recovery restores the latest and replays only
// the inputs after it. The hash proves the restore: the restored emulator
// must hash as the one that was saved.
//
// The defaults: a snapshot every 10,000 inputs or 1,048,576 events
// (Options.SnapshotInputs, SnapshotEvents).
const (
	defaultSnapshotInputs = 10000
	defaultSnapshotEvents = 1 << 20
)

// snapshotFormat is the first octet of a stored snapshot.
const snapshotFormat = 1

// snapshotParts is a decoded snapshot.
type snapshotParts struct {
	limits  Limits
	records []byte
	hash    [32]byte
	core    []byte
}

// encodeSnapshot is: format, limits (JSON) and records (JSON), each with
// a uvarint length, the core's state hash, then the core's snapshot.
func (s *Server) encodeSnapshot(sess *session, lim Limits) ([]byte, [32]byte, error) {
	recs, err := sess.snapshotRecords()
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("snapshot records: %w", err)
	}
	lb, err := json.Marshal(lim)
	if err != nil {
		return nil, [32]byte{}, err
	}
	core := sess.em.Snapshot()
	hash := sha256.Sum256(core)
	b := []byte{snapshotFormat}
	b = binary.AppendUvarint(b, uint64(len(lb)))
	b = append(b, lb...)
	b = binary.AppendUvarint(b, uint64(len(recs)))
	b = append(b, recs...)
	b = append(b, hash[:]...)
	return append(b, core...), hash, nil
}

func decodeSnapshot(b []byte) (*snapshotParts, error) {
	if len(b) == 0 || b[0] != snapshotFormat {
		return nil, errors.New("unknown snapshot format")
	}
	b = b[1:]
	field := func() ([]byte, error) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, errors.New("snapshot cut short")
		}
		v := b[k : k+int(n)]
		b = b[k+int(n):]
		return v, nil
	}
	lb, err := field()
	if err != nil {
		return nil, err
	}
	p := &snapshotParts{}
	if err := json.Unmarshal(lb, &p.limits); err != nil {
		return nil, fmt.Errorf("snapshot limits: %w", err)
	}
	if p.records, err = field(); err != nil {
		return nil, err
	}
	if len(b) < 32 {
		return nil, errors.New("snapshot cut short")
	}
	copy(p.hash[:], b)
	p.core = b[32:]
	if sha256.Sum256(p.core) != p.hash {
		return nil, errors.New("the emulator's state does not match its recorded hash")
	}
	return p, nil
}

// maybeSnapshot snapshots a session once enough has happened since its
// last snapshot; the session is locked and its last input journaled.
//
// A snapshot's cost can grow with the session's whole history (the
// records keep every fault rule it ever had; endpoints only while they
// live, retire.go), so besides the interval it
// waits until the session has caused, since its last snapshot, as many
// events as before it: the intervals double, all the snapshots of a
// session cost about twice its last one, and a start replays at most half
// of the session's history (replay runs at millions of events a second).
func (s *Server) maybeSnapshot(sess *session, c *store.Commit) {
	sess.sinceSnapInputs++
	sess.sinceSnapEvents += uint64(c.Count)
	before := sess.em.NextSeq() - sess.sinceSnapEvents
	if sess.sinceSnapInputs < s.snapInputs && sess.sinceSnapEvents < s.snapEvents || sess.sinceSnapEvents < before {
		return
	}
	if err := s.snapshot(sess); err != nil {
		s.log.Warn().Err(err).Str("session", sess.id).Msg("store: snapshot failed; recovery will replay further back")
	}
}

// snapshot stores the session's state as of its last journaled input.
func (s *Server) snapshot(sess *session) error {
	data, _, err := s.encodeSnapshot(sess, s.limits)
	if err != nil {
		return err
	}
	if err := s.store.Commit(&store.Commit{Session: sess.id, Snapshot: data, SnapshotAfter: sess.inputs}); err != nil {
		return err
	}
	sess.sinceSnapInputs, sess.sinceSnapEvents = 0, 0
	return nil
}

// SnapshotAll snapshots every durable session changed since its last
// snapshot, so that the next start restores them without replay and the
// state hash at shutdown is recorded; emud calls it once the server has
// stopped serving calls.
func (s *Server) SnapshotAll() (n int, err error) {
	for _, sess := range s.reg.sorted() {
		sess.mu.Lock()
		if sess.durable && !sess.gone && sess.readOnly == "" && sess.sinceSnapInputs > 0 {
			if e := s.snapshot(sess); e != nil {
				err = errors.Join(err, fmt.Errorf("%s: %w", sessionName(sess.id), e))
			} else {
				n++
			}
		}
		sess.mu.Unlock()
	}
	return n, err
}

// restoreSnapshot builds a session from its latest snapshot, or returns
// nil (and why, if a snapshot was there) when recovery must replay from
// the first input.
func (s *Server) restoreSnapshot(ss store.Session, cmd createSessionCmd, meta *metaRecord) (*session, uint64, Limits, string) {
	after, data, err := s.store.Snapshot(ss.ID)
	if err != nil {
		return nil, 0, Limits{}, fmt.Sprintf("snapshot unreadable (%v): replayed from the first input", err)
	}
	if data == nil {
		return nil, 0, Limits{}, ""
	}
	fail := func(err error) (*session, uint64, Limits, string) {
		return nil, 0, Limits{}, fmt.Sprintf("snapshot after input %d not used (%v): replayed from the first input", after, err)
	}
	p, err := decodeSnapshot(data)
	if err != nil {
		return fail(err)
	}
	em, err := emulator.RestoreSession(p.core)
	if err != nil {
		return fail(err)
	}
	if em.StateHash() != p.hash {
		return fail(errors.New("the restored emulator does not hash as the saved one"))
	}
	sess := newSession(ss.ID, cmd.spec, em, cmd.lang, meta.CreateTime)
	sess.ttl, sess.lastChange, sess.durable, sess.store = cmd.ttl, meta.CreateTime, true, s.store
	sess.inputs = after
	peers, err := sess.restoreRecords(p.records, s.replayer(p.limits.withDefaults()).parser())
	if err != nil {
		return fail(err)
	}
	sess.snapPeers = peers
	return sess, after, p.limits.withDefaults(), fmt.Sprintf("restored from the snapshot after input %d (state hash %x verified)", after, p.hash[:8])
}
