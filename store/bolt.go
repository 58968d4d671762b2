package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Options configure the embedded store.
type Options struct {
	Sync SyncMode
	// SyncInterval is how long journaled commits may wait before they are
	// checkpointed into the database with an fsync (SyncBatch's window;
	// in the other modes it bounds the journal's size). Default 20 ms.
	SyncInterval time.Duration
	// SyncRecords checkpoints early once this many commits wait.
	// Default 4096.
	SyncRecords int
	// MaxEventsPerSession bounds the events stored for one session: past
	// it the oldest chunks are deleted (inputs are kept: replay needs
	// them). Default 10,000,000.
	MaxEventsPerSession uint64
	// Format names how the caller encodes what it stores (its inputs and
	// events). A new directory is stamped with it; a directory stamped
	// with another is refused, so that nothing is decoded as what it is
	// not. Empty: no check.
	Format string
}

func (o Options) withDefaults() Options {
	if o.SyncInterval <= 0 {
		o.SyncInterval = 20 * time.Millisecond
	}
	if o.SyncRecords <= 0 {
		o.SyncRecords = 4096
	}
	if o.MaxEventsPerSession == 0 {
		o.MaxEventsPerSession = 10_000_000
	}
	return o
}

// File names inside a data directory.
const (
	DBFile = "tcpemu.db"
	// Journal files are "journal-{first LSN, 16 hex digits}.wal".
)

var (
	keyFormat      = []byte("format")
	bucketMeta     = []byte("meta")
	bucketSessions = []byte("sessions")
	keyLSN         = []byte("lsn")
	keyMeta        = []byte("m")
	keyState       = []byte("s")
	keySnapshot    = []byte("snap")
	bucketInputs   = []byte("i")
	bucketEvents   = []byte("e")
)

// Bolt is the embedded store: write-ahead journal files and a bbolt
// database in one directory. See Open.
type Bolt struct {
	dir  string
	opts Options
	db   *bolt.DB

	mu      sync.Mutex
	queue   []*request
	wake    chan struct{}
	closed  bool
	failed  error // sticky: a write or checkpoint failed; nothing more is accepted
	stopped chan struct{}

	// Owned by the writer goroutine.
	j       *journal
	lsn     uint64     // last journaled
	pending []logged   // journaled since the last hand-off to the checkpointer
	bufs    [][]byte   // the journal octets they alias: one buffer a group
	since   time.Time  // when the oldest pending commit was journaled
	flushes []*request // waiting for everything before them to be checkpointed
	frames  []int      // where each frame of the group being journaled begins

	// Group buffers the checkpointer is done with, for the writer to reuse.
	spareMu sync.Mutex
	spare   [][]byte

	// The checkpointer goroutine moves handed-off commits into the
	// database while the writer goes on journaling.
	work    chan checkpointWork
	done    chan checkpointDone
	states  map[string]*state // every session's counters; the checkpointer's
	ckLSN   uint64            // last checkpointed (writer's copy)
	working bool              // a hand-off is being checkpointed

	firstMu sync.Mutex
	first   map[string]uint64 // each session's oldest stored seq, as of the last checkpoint
}

type request struct {
	c     *Commit // nil: a flush (checkpoint now) request
	done  chan error
	flush bool
	lsn   uint64 // a flush: the last commit journaled before it
}

type checkpointWork struct {
	commits []logged
	bufs    [][]byte // the octets they alias, spare once they are in
	lsn     uint64   // the last one's
	journal string   // a journal file all of whose commits are in once these are, to remove; or ""
}

type checkpointDone struct {
	lsn uint64
	err error
}

// OpenReport says what Open found.
type OpenReport struct {
	// Replayed is how many journaled commits were moved into the database.
	Replayed int
	// Torn is set when the journal ended in damage, which was cut off.
	Torn *TornTail
}

// Open opens (creating if needed) the store in dir. The journal's valid
// commits are checkpointed into the database first; a torn or corrupt
// journal tail is cut off and described in the report. Open fails when
// the database cannot be opened (another emud holds it, or its metadata
// is destroyed): the error says which file and why.
func Open(dir string, o Options) (*Bolt, *OpenReport, error) {
	o = o.withDefaults()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("data dir: %w", err)
	}
	dbPath := filepath.Join(dir, DBFile)
	db, err := bolt.Open(dbPath, 0o600, &bolt.Options{
		Timeout:        time.Second,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		NoSync:         o.Sync == SyncNone,
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, nil, fmt.Errorf("%s: in use by another process (is another emud running on this data dir?)", dbPath)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w (emud check --data-dir %s tells more)", dbPath, err, dir)
	}
	s := &Bolt{
		dir: dir, opts: o, db: db,
		wake: make(chan struct{}, 1), stopped: make(chan struct{}),
		states: make(map[string]*state), first: make(map[string]uint64),
		work: make(chan checkpointWork), done: make(chan checkpointDone, 1),
	}
	rep, err := s.recoverJournal()
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	go s.writer()
	go s.checkpointer()
	return s, rep, nil
}

// recoverJournal loads the database's counters, then checkpoints the
// journal's commits that the database does not have yet (those after its
// LSN) and empties the journal.
func (s *Bolt) recoverJournal() (*OpenReport, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if v := meta.Get(keyLSN); len(v) == 8 {
			s.lsn = binary.LittleEndian.Uint64(v)
		}
		if err := checkFormat(tx, meta, s.opts.Format); err != nil {
			return err
		}
		root, err := tx.CreateBucketIfNotExists(bucketSessions)
		if err != nil {
			return err
		}
		return root.ForEachBucket(func(k []byte) error {
			st, err := decodeState(root.Bucket(k).Get(keyState))
			if err != nil {
				// A session whose counters are damaged: recount them.
				st = recount(root.Bucket(k))
			}
			s.states[string(k)] = &st
			s.first[string(k)] = st.firstSeq
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(s.dir, DBFile), err)
	}
	files, err := journalFiles(s.dir)
	if err != nil {
		return nil, err
	}
	rep := &OpenReport{}
	for _, path := range files {
		if rep.Torn != nil {
			// After damage nothing may be applied: it would leave a hole.
			fi, _ := os.Stat(path)
			if fi != nil {
				rep.Torn.Dropped += fi.Size()
			}
			continue
		}
		payloads, end, torn, err := readJournal(path)
		if err != nil {
			return nil, err
		}
		rep.Torn = torn
		for _, p := range payloads {
			lsn, l, err := decodeCommit(p)
			if err == nil && lsn > s.lsn+1 {
				err = fmt.Errorf("commit %d follows commit %d: the ones between are missing", lsn, s.lsn)
			}
			if err != nil {
				rep.Torn = &TornTail{Path: path, Reason: err.Error(), Offset: end}
				break
			}
			if lsn <= s.lsn {
				continue // already in the database
			}
			s.lsn = lsn
			s.pending = append(s.pending, l)
			rep.Replayed++
		}
	}
	if err := s.checkpoint(s.pending, s.lsn); err != nil {
		return nil, err
	}
	s.pending, s.ckLSN = nil, s.lsn
	for _, path := range files {
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove checkpointed journal: %w", err)
		}
	}
	if s.j, err = s.newJournal(); err != nil {
		return nil, err
	}
	return rep, nil
}

// journalFiles lists the directory's journal files, oldest first.
func journalFiles(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "journal-*.wal"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files) // fixed-width hex: name order is LSN order
	return files, nil
}

// newJournal starts the journal file for the commits from lsn+1 on.
func (s *Bolt) newJournal() (*journal, error) {
	j, err := openJournal(filepath.Join(s.dir, fmt.Sprintf("journal-%016x.wal", s.lsn+1)), 0)
	if err != nil {
		return nil, err
	}
	if s.opts.Sync == SyncAlways {
		// The new file's name must survive a power cut with what is in it.
		if err := syncDir(s.dir); err != nil {
			j.close()
			return nil, err
		}
	}
	return j, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync data dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync data dir: %w", err)
	}
	return nil
}

// Commit journals c; see Store.Commit and SyncMode.
func (s *Bolt) Commit(c *Commit) error {
	return s.enqueue(&request{c: c, done: make(chan error, 1)})
}

// flush checkpoints every pending commit into the database.
func (s *Bolt) flush() error {
	return s.enqueue(&request{flush: true, done: make(chan error, 1)})
}

func (s *Bolt) enqueue(r *request) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.failed != nil {
		err := s.failed
		s.mu.Unlock()
		return err
	}
	s.queue = append(s.queue, r)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return <-r.done
}

// writer is the one goroutine that journals: it takes every queued commit
// at once, journals them with one write (and one fsync in SyncAlways) and
// answers them — a group commit of whatever arrived while the previous
// group was being written. When the interval or the record bound says
// so, it hands what it journaled to the checkpointer (and starts a new
// journal file if the current one is large), without waiting for the
// database.
func (s *Bolt) writer() {
	defer close(s.stopped)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-s.wake:
		case <-timer.C:
		case d := <-s.done:
			s.working = false
			if d.err != nil {
				s.fail(d.err)
			} else {
				s.ckLSN = d.lsn
			}
		}
		s.mu.Lock()
		batch := s.queue
		s.queue = nil
		closing := s.closed
		s.mu.Unlock()

		err := s.journalGroup(batch)
		if err != nil {
			s.fail(err)
		}
		for _, r := range batch {
			if r.flush {
				r.lsn = s.lsn
				s.flushes = append(s.flushes, r)
			} else {
				r.done <- err
			}
		}
		due := len(s.pending) > 0 && (closing || len(s.flushes) > 0 ||
			len(s.pending) >= s.opts.SyncRecords || time.Since(s.since) >= s.opts.SyncInterval)
		if due && !s.working && s.failedErr() == nil {
			if err := s.handOff(); err != nil {
				s.fail(err)
			}
		}
		s.answerFlushes()
		if closing && !s.working && (len(s.pending) == 0 || s.failedErr() != nil) {
			close(s.work)
			s.j.close()
			return
		}
		if len(s.pending) > 0 && !s.working {
			timer.Reset(max(0, s.opts.SyncInterval-time.Since(s.since)))
		}
	}
}

// rotateSize is how large a journal file grows before the next hand-off
// starts another: a file a checkpoint (every 20 ms under load) cost a
// create, a close and an unlink each time. A file's commits that are
// checkpointed stay in it until it is removed; recovery skips them.
const rotateSize = 16 << 20

// handOff gives the pending commits to the checkpointer, and starts the
// next journal file once the current one is large.
func (s *Bolt) handOff() error {
	w := checkpointWork{commits: s.pending, bufs: s.bufs, lsn: s.lsn}
	if s.j.size >= rotateSize {
		j, err := s.newJournal()
		if err != nil {
			return err
		}
		if err := s.j.close(); err != nil {
			j.close()
			return fmt.Errorf("close journal: %w", err)
		}
		w.journal, s.j = s.j.path, j // all of its commits are in this hand-off or before
	}
	s.pending, s.bufs, s.working = nil, nil, true
	s.work <- w
	return nil
}

// answerFlushes answers the flushes whose commits are all checkpointed
// (or all of them, once the store has failed).
func (s *Bolt) answerFlushes() {
	err := s.failedErr()
	kept := s.flushes[:0]
	for _, r := range s.flushes {
		if err != nil || r.lsn <= s.ckLSN {
			r.done <- err
		} else {
			kept = append(kept, r)
		}
	}
	clear(s.flushes[len(kept):])
	s.flushes = kept
}

func (s *Bolt) fail(err error) {
	s.mu.Lock()
	if s.failed == nil {
		s.failed = fmt.Errorf("store: %w; the daemon cannot journal any more calls (restart it: recovery keeps every acknowledged call)", err)
	}
	s.mu.Unlock()
}

func (s *Bolt) failedErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// journalGroup appends the group's commits to the journal. Their frames
// are laid out in a buffer of the group's own, which the pending commits
// alias until they are checkpointed: what the caller passed is its own
// again once Commit returns.
func (s *Bolt) journalGroup(batch []*request) error {
	if s.failedErr() != nil {
		return s.failedErr()
	}
	need := 0
	for _, r := range batch {
		if r.c != nil {
			need += frameSize(r.c)
		}
	}
	buf := s.spareBuf(need)
	s.frames = s.frames[:0]
	for _, r := range batch {
		if r.c == nil {
			continue
		}
		s.lsn++
		s.frames = append(s.frames, len(buf))
		buf = appendFrame(buf, s.lsn, r.c)
	}
	if len(s.frames) == 0 {
		s.putSpare([][]byte{buf})
		return nil
	}
	if err := s.j.write(buf); err != nil {
		return err
	}
	if len(s.pending) == 0 {
		s.since = time.Now()
	}
	s.bufs = append(s.bufs, buf)
	for i, start := range s.frames {
		end := len(buf)
		if i+1 < len(s.frames) {
			end = s.frames[i+1]
		}
		_, l, err := decodeCommit(buf[start+frameHeader : end])
		if err != nil {
			return fmt.Errorf("journal: a commit just encoded does not decode: %w", err)
		}
		s.pending = append(s.pending, l)
	}
	if s.opts.Sync == SyncAlways {
		return s.j.sync()
	}
	return nil
}

// maxSpare bounds the group buffers kept for reuse, and spareCap the
// size of one kept: a rare huge group's buffer is left to the collector.
const (
	maxSpare = 8
	spareCap = 16 << 20
)

// spareBuf is an empty group buffer with room for need octets: a spare
// one if one is large enough, else a new one.
func (s *Bolt) spareBuf(need int) []byte {
	s.spareMu.Lock()
	defer s.spareMu.Unlock()
	for i, b := range s.spare {
		if cap(b) >= need {
			last := len(s.spare) - 1
			s.spare[i], s.spare[last] = s.spare[last], nil
			s.spare = s.spare[:last]
			return b[:0]
		}
	}
	return make([]byte, 0, need+need/4) // some room: groups vary
}

// putSpare keeps group buffers that nothing aliases any more: the
// largest, so that a spare one fits the next group.
func (s *Bolt) putSpare(bufs [][]byte) {
	s.spareMu.Lock()
	defer s.spareMu.Unlock()
	for _, b := range bufs {
		switch {
		case cap(b) > spareCap:
		case len(s.spare) < maxSpare:
			s.spare = append(s.spare, b)
		default:
			small := 0
			for i := range s.spare {
				if cap(s.spare[i]) < cap(s.spare[small]) {
					small = i
				}
			}
			if cap(b) > cap(s.spare[small]) {
				s.spare[small] = b
			}
		}
	}
}

// checkpointer moves handed-off commits into the database and removes
// the journal file that held them.
func (s *Bolt) checkpointer() {
	for w := range s.work {
		err := s.checkpoint(w.commits, w.lsn)
		if err == nil {
			s.putSpare(w.bufs) // the database has copied what it keeps
			if w.journal == "" {
				// the journal file goes on
			} else if rerr := os.Remove(w.journal); rerr != nil {
				err = fmt.Errorf("remove checkpointed journal: %w", rerr)
			}
		}
		s.done <- checkpointDone{lsn: w.lsn, err: err}
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// checkpoint writes commits into the database in one transaction
// (fsynced unless SyncNone), recording lsn as the last one in.
func (s *Bolt) checkpoint(commits []logged, lsn uint64) error {
	if len(commits) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketSessions)
		for _, c := range commits {
			if err := s.apply(root, c); err != nil {
				return fmt.Errorf("session %s: %w", c.Session, err)
			}
		}
		return tx.Bucket(bucketMeta).Put(keyLSN, binary.LittleEndian.AppendUint64(nil, lsn))
	})
	if err != nil {
		return fmt.Errorf("checkpoint into %s: %w", filepath.Join(s.dir, DBFile), err)
	}
	s.firstMu.Lock()
	for _, c := range commits {
		if st := s.states[c.Session]; st != nil {
			s.first[c.Session] = st.firstSeq
		} else {
			delete(s.first, c.Session)
		}
	}
	s.firstMu.Unlock()
	return nil
}

// apply writes one commit into the database.
func (s *Bolt) apply(root *bolt.Bucket, c logged) error {
	key := []byte(c.Session)
	if c.Delete {
		delete(s.states, c.Session)
		if root.Bucket(key) == nil {
			return nil
		}
		return root.DeleteBucket(key)
	}
	b := root.Bucket(key)
	st := s.states[c.Session]
	if b == nil {
		var err error
		if b, err = root.CreateBucket(key); err != nil {
			return err
		}
		if _, err = b.CreateBucket(bucketInputs); err != nil {
			return err
		}
		if _, err = b.CreateBucket(bucketEvents); err != nil {
			return err
		}
		st = &state{firstSeq: c.FirstSeq, nextSeq: c.FirstSeq}
		s.states[c.Session] = st
	}
	if c.Cut > 0 {
		if err := cut(b, st, c.Cut, c.FirstSeq); err != nil {
			return err
		}
	}
	if c.Meta != nil {
		if err := b.Put(keyMeta, sealed(c.Meta)); err != nil {
			return err
		}
	}
	if c.Snapshot != nil {
		v := binary.LittleEndian.AppendUint64(make([]byte, 0, 8+len(c.Snapshot)), c.SnapshotAfter)
		if err := putValue(b, keySnapshot, sealed(append(v, c.Snapshot...))); err != nil {
			return err
		}
	}
	if c.Input != nil {
		ib := b.Bucket(bucketInputs)
		ib.FillPercent = 1 // keys only ever grow: pack pages full
		st.inputs++
		st.lastTime = c.Time
		if err := putValue(ib, be64(st.inputs), c.inputV); err != nil {
			return err
		}
	}
	if c.Count > 0 {
		eb := b.Bucket(bucketEvents)
		eb.FillPercent = 1
		if err := putValue(eb, be64(c.FirstSeq), c.eventsV); err != nil {
			return err
		}
		st.stored += uint64(c.Count)
		if err := s.trim(eb, st); err != nil {
			return err
		}
	}
	st.nextSeq = max(st.nextSeq, c.FirstSeq+uint64(c.Count))
	return b.Put(keyState, st.value())
}

// cut removes inputs from index `from` on and events from seq `seq` on.
func cut(b *bolt.Bucket, st *state, from, seq uint64) error {
	for _, x := range []struct {
		name  []byte
		first uint64
	}{{bucketInputs, from}, {bucketEvents, seq}} {
		xb := b.Bucket(x.name)
		cur := xb.Cursor()
		for k, _ := cur.Seek(be64(x.first)); k != nil; k, _ = cur.Seek(be64(x.first)) {
			if err := deleteValue(xb, bytes.Clone(k)); err != nil {
				return err
			}
		}
	}
	*st = recount(b)
	if st.stored == 0 {
		st.firstSeq, st.nextSeq = seq, seq
	}
	return nil
}

// trim deletes a session's oldest event chunks while it stores more than
// MaxEventsPerSession events, keeping at least the newest chunk.
func (s *Bolt) trim(eb *bolt.Bucket, st *state) error {
	if st.stored <= s.opts.MaxEventsPerSession {
		return nil
	}
	cur := eb.Cursor()
	for k, v := cur.First(); k != nil && st.stored > s.opts.MaxEventsPerSession; k, v = cur.First() {
		nk, _ := cur.Next()
		if nk == nil {
			break
		}
		// A chunk about to go is not read whole to check its checksum (it
		// was cold, and trimming runs on every checkpoint of a full
		// session): the count in its header is taken if it fits before the
		// next chunk, else the whole gap to it.
		first, n := binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(nk)-binary.BigEndian.Uint64(k)
		if v := cursorValue(eb, k, v); len(v) >= 8 {
			if c := uint64(binary.LittleEndian.Uint32(v[4:])); c > 0 && c <= n {
				n = c
			}
		}
		if err := deleteValue(eb, bytes.Clone(k)); err != nil {
			return err
		}
		st.stored -= min(n, st.stored)
		st.firstSeq = first + n
	}
	return nil
}

// recount rebuilds a session's counters from its records.
func recount(b *bolt.Bucket) state {
	var st state
	if ib := b.Bucket(bucketInputs); ib != nil {
		if k, v := ib.Cursor().Last(); k != nil {
			st.inputs = binary.BigEndian.Uint64(k)
			if in, err := decodeInput(st.inputs, cursorValue(ib, k, v)); err == nil {
				st.lastTime = in.Time
				st.nextSeq = in.FirstSeq + uint64(in.Count)
			}
		}
	}
	if eb := b.Bucket(bucketEvents); eb != nil {
		first := true
		_ = eb.ForEach(func(k, v []byte) error {
			ch, err := decodeChunk(binary.BigEndian.Uint64(k), cursorValue(eb, k, v))
			if err != nil {
				return nil
			}
			if first {
				st.firstSeq, first = ch.FirstSeq, false
			}
			st.stored += uint64(ch.Count)
			st.nextSeq = max(st.nextSeq, ch.FirstSeq+uint64(ch.Count))
			return nil
		})
	}
	return st
}

// Sessions lists the stored sessions.
func (s *Bolt) Sessions() ([]Session, error) {
	if err := s.flush(); err != nil {
		return nil, err
	}
	var out []Session
	err := s.view(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketSessions)
		return root.ForEachBucket(func(k []byte) error {
			b := root.Bucket(k)
			meta, err := unseal(b.Get(keyMeta))
			if err != nil {
				return &CorruptError{Where: "session " + string(k) + " description", Reason: err.Error()}
			}
			st, err := decodeState(b.Get(keyState))
			if err != nil {
				st = recount(b)
			}
			out = append(out, Session{
				ID: string(k), Meta: append([]byte(nil), meta...),
				Inputs: st.inputs, NextSeq: st.nextSeq, FirstSeq: st.firstSeq, LastTime: st.lastTime,
			})
			return nil
		})
	})
	return out, err
}

// Inputs walks a session's inputs; see Store.Inputs.
func (s *Bolt) Inputs(session string, from uint64, fn func(*Input) error) error {
	if err := s.flush(); err != nil {
		return err
	}
	return s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions).Bucket([]byte(session))
		if b == nil {
			return nil
		}
		eb, ib := b.Bucket(bucketEvents), b.Bucket(bucketInputs)
		cur := ib.Cursor()
		for k, v := cur.Seek(be64(max(from, 1))); k != nil; k, v = cur.Next() {
			idx := binary.BigEndian.Uint64(k)
			where := fmt.Sprintf("session %s input %d", session, idx)
			in, err := decodeInput(idx, cursorValue(ib, k, v))
			if err != nil {
				return &CorruptError{Where: where, Reason: err.Error()}
			}
			if in.Count > 0 {
				if ev := getValue(eb, be64(in.FirstSeq)); ev != nil {
					ch, err := decodeChunk(in.FirstSeq, ev)
					if err != nil {
						return &CorruptError{Where: where + "'s events", Reason: err.Error()}
					}
					if ch.Count != in.Count {
						return &CorruptError{Where: where + "'s events", Reason: fmt.Sprintf("%d events stored, the input caused %d", ch.Count, in.Count)}
					}
					in.Events = ch.Data
				}
			}
			if err := fn(in); err != nil {
				return err
			}
		}
		return nil
	})
}

// Events reads a session's events after a seq; see Store.Events.
func (s *Bolt) Events(session string, after uint64, max int) ([]Chunk, error) {
	if err := s.flush(); err != nil {
		return nil, err
	}
	var out []Chunk
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions).Bucket([]byte(session))
		if b == nil {
			return nil
		}
		eb := b.Bucket(bucketEvents)
		cur := eb.Cursor()
		want := after + 1
		k, v := cur.Seek(be64(want))
		if k == nil || binary.BigEndian.Uint64(k) > want {
			// The chunk holding `want` may begin before it.
			if k == nil {
				k, v = cur.Last()
			} else {
				k, v = cur.Prev()
			}
			if k == nil {
				k, v = cur.First()
			}
		}
		n := 0
		for ; k != nil && n < max; k, v = cur.Next() {
			ch, err := decodeChunk(binary.BigEndian.Uint64(k), cursorValue(eb, k, v))
			if err != nil {
				return &CorruptError{Where: fmt.Sprintf("session %s events from seq %d", session, binary.BigEndian.Uint64(k)), Reason: err.Error()}
			}
			end := ch.FirstSeq + uint64(ch.Count)
			if end <= want {
				continue
			}
			ch.Data = append([]byte(nil), ch.Data...)
			out = append(out, ch)
			n += int(end - max64(want, ch.FirstSeq))
		}
		return nil
	})
	return out, err
}

func max64(a, b uint64) uint64 { return max(a, b) }

// Snapshot reads a session's latest snapshot; see Store.Snapshot.
func (s *Bolt) Snapshot(session string) (uint64, []byte, error) {
	if err := s.flush(); err != nil {
		return 0, nil, err
	}
	var (
		after uint64
		data  []byte
	)
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions).Bucket([]byte(session))
		if b == nil {
			return nil
		}
		v := getValue(b, keySnapshot)
		if v == nil {
			return nil
		}
		p, err := unseal(v)
		if err != nil || len(p) < 8 {
			return &CorruptError{Where: "session " + session + " snapshot", Reason: fmt.Sprint(err)}
		}
		after, data = binary.LittleEndian.Uint64(p), append([]byte(nil), p[8:]...)
		return nil
	})
	return after, data, err
}

// FirstSeq returns a session's oldest stored seq without waiting: events
// are trimmed only when they are checkpointed, so the value as of the last
// checkpoint is the value now.
func (s *Bolt) FirstSeq(session string) (uint64, error) {
	s.firstMu.Lock()
	defer s.firstMu.Unlock()
	return s.first[session], nil
}

// Close checkpoints what is pending and closes the files.
func (s *Bolt) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	<-s.stopped
	err := s.failedErr()
	if err == nil {
		// Everything is in the database, the last journal file's commits too.
		_ = os.Remove(s.j.path)
	}
	return errors.Join(err, s.db.Close())
}

// Dir is the data directory.
func (s *Bolt) Dir() string { return s.dir }

// view is db.View that turns a panic into a CorruptError: bbolt panics on
// some kinds of page damage, and a damaged file must be reported, not
// take the daemon down.
func (s *Bolt) view(fn func(*bolt.Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &CorruptError{Where: filepath.Join(s.dir, DBFile), Reason: fmt.Sprintf("damaged page: %v", p)}
		}
	}()
	return s.db.View(fn)
}

// checkFormat stamps a new database with format, or checks the stamp.
func checkFormat(tx *bolt.Tx, meta *bolt.Bucket, format string) error {
	if format == "" {
		return nil
	}
	have, stamped := storedFormat(tx, meta)
	if !stamped {
		return meta.Put(keyFormat, []byte(format))
	}
	if have != format {
		return &FormatError{Have: have, Want: format}
	}
	return nil
}

// FormatError is a database stamped with another format than the one
// this emud reads: its records would be misread, so it is refused.
type FormatError struct {
	Have, Want string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("stored in format %q, this emud reads %q: use the emud that wrote it, or another --data-dir", e.Have, e.Want)
}

// storedFormat is the database's format stamp; stamped is false for a
// database that holds nothing yet, which any format may claim. A
// database with sessions and no stamp was written before stamps.
func storedFormat(tx *bolt.Tx, meta *bolt.Bucket) (format string, stamped bool) {
	if meta != nil {
		if have := meta.Get(keyFormat); have != nil {
			return string(have), true
		}
	}
	if root := tx.Bucket(bucketSessions); root != nil && root.Stats().BucketN > 1 {
		return "(none: written by a development build)", true
	}
	return "", false
}
