package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

const evSize = 8 // test events: each one its seq, 8 octets

// events encodes n test events from seq first.
func events(first uint64, n int) []byte {
	var b []byte
	for i := range n {
		b = binary.LittleEndian.AppendUint64(b, first+uint64(i))
	}
	return b
}

// sessionLog commits inputs for one session as the server does: each
// input's events continue where the previous ones ended.
type sessionLog struct {
	id   string
	next uint64
	n    int
}

func (l *sessionLog) commit(t testing.TB, s Store, nEvents int) {
	t.Helper()
	l.n++
	c := &Commit{
		Session: l.id, Input: []byte(fmt.Sprintf("%s/%d", l.id, l.n)), Time: int64(l.n),
		FirstSeq: l.next, Count: uint32(nEvents), Events: events(l.next, nEvents),
	}
	if l.n == 1 {
		c.Meta = []byte("meta of " + l.id)
	}
	if err := s.Commit(c); err != nil {
		t.Fatal(err)
	}
	l.next += uint64(nEvents)
}

func open(t testing.TB, dir string, o Options) *Bolt {
	t.Helper()
	s, _, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readAll reads a session's events after `after` by pages of `page`.
func readAll(t testing.TB, s Store, id string, after uint64, page int) []uint64 {
	t.Helper()
	var seqs []uint64
	for {
		chunks, err := s.Events(id, after, page)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ch := range chunks {
			for i := range int(ch.Count) {
				seq := binary.LittleEndian.Uint64(ch.Data[i*evSize:])
				if seq != ch.FirstSeq+uint64(i) {
					t.Fatalf("chunk from %d holds seq %d at %d", ch.FirstSeq, seq, i)
				}
				if seq > after {
					seqs = append(seqs, seq)
					after = seq
					n++
				}
			}
		}
		if n == 0 {
			return seqs
		}
	}
}

func wantRange(t *testing.T, got []uint64, from, to uint64) {
	t.Helper()
	if uint64(len(got)) != to-from {
		t.Fatalf("got %d events, want seqs %d..%d", len(got), from, to-1)
	}
	for i, seq := range got {
		if seq != from+uint64(i) {
			t.Fatalf("event %d is seq %d, want %d (a gap or a duplicate)", i, seq, from+uint64(i))
		}
	}
}

func TestConcurrentCommitsKeepEachSessionsOrderAcrossReopen(t *testing.T) {
	for _, mode := range []SyncMode{SyncBatch, SyncAlways, SyncNone} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir, Options{Sync: mode, SyncInterval: time.Millisecond, SyncRecords: 7})
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					l := &sessionLog{id: fmt.Sprintf("s%d", w)}
					for i := range 50 {
						l.commit(t, s, i%4) // some inputs cause no event
					}
				}()
			}
			wg.Wait()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = open(t, dir, Options{Sync: mode})
			defer s.Close()
			sessions, err := s.Sessions()
			if err != nil {
				t.Fatal(err)
			}
			if len(sessions) != 8 {
				t.Fatalf("%d sessions, want 8", len(sessions))
			}
			for _, ss := range sessions {
				if ss.Inputs != 50 || ss.NextSeq != 73 || string(ss.Meta) != "meta of "+ss.ID {
					t.Errorf("%s: inputs %d next seq %d meta %q; want 50, 73, its meta", ss.ID, ss.Inputs, ss.NextSeq, ss.Meta)
				}
				var idx, seq uint64
				err := s.Inputs(ss.ID, 1, func(in *Input) error {
					idx++
					if in.Index != idx || string(in.Data) != fmt.Sprintf("%s/%d", ss.ID, idx) || in.FirstSeq != seq {
						return fmt.Errorf("input %d: index %d data %q first seq %d, want %d", idx, in.Index, in.Data, in.FirstSeq, seq)
					}
					if !bytes.Equal(in.Events, events(seq, int(in.Count))) || (in.Count == 0) != (in.Events == nil) {
						return fmt.Errorf("input %d: events %x", idx, in.Events)
					}
					seq += uint64(in.Count)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				wantRange(t, readAll(t, s, ss.ID, 0, 5), 1, 73) // after seq 0: from seq 1
			}
		})
	}
}

func TestEventsReadsAnyRangeIncludingMidChunk(t *testing.T) {
	s := open(t, t.TempDir(), Options{})
	defer s.Close()
	l := &sessionLog{id: "a"}
	for _, n := range []int{10, 1, 0, 5, 100} {
		l.commit(t, s, n)
	}
	for _, after := range []uint64{0, 3, 9, 10, 11, 15, 50, 114, 115, 200} {
		got := readAll(t, s, "a", after, 7)
		from := min(after+1, 116)
		wantRange(t, got, from, 116)
	}
	if chunks, err := s.Events("nosuch", 0, 10); err != nil || len(chunks) != 0 {
		t.Fatalf("unknown session: %v, %v; want nothing, no error", chunks, err)
	}
}

func TestSizeBoundTrimsOldestEventsKeepsInputs(t *testing.T) {
	s := open(t, t.TempDir(), Options{MaxEventsPerSession: 50})
	defer s.Close()
	l := &sessionLog{id: "a"}
	for range 20 {
		l.commit(t, s, 10)
	}
	ss, _ := s.Sessions()
	if ss[0].FirstSeq != 150 || ss[0].NextSeq != 200 || ss[0].Inputs != 20 {
		t.Fatalf("first %d next %d inputs %d; want 150, 200, 20", ss[0].FirstSeq, ss[0].NextSeq, ss[0].Inputs)
	}
	wantRange(t, readAll(t, s, "a", 0, 10), 150, 200)
	n := 0
	_ = s.Inputs("a", 1, func(in *Input) error {
		n++
		if (in.Events != nil) != (in.Index > 15) {
			t.Errorf("input %d: events kept %v", in.Index, in.Events != nil)
		}
		return nil
	})
	if n != 20 {
		t.Fatalf("%d inputs kept, want all 20 (replay needs them)", n)
	}
}

func TestDeleteFreesSpaceForReuse(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{})
	fill := func(id string) {
		l := &sessionLog{id: id}
		for range 200 {
			l.commit(t, s, 100)
		}
	}
	fill("a")
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(filepath.Join(dir, DBFile))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	if err := s.Commit(&Commit{Session: "a", Delete: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	if st := s.db.Stats(); int64(st.FreePageN+st.PendingPageN)*int64(s.db.Info().PageSize) < before/2 {
		t.Fatalf("after delete %d free pages of %d octets; want most of the %d-octet file free", st.FreePageN+st.PendingPageN, s.db.Info().PageSize, before)
	}
	fill("b") // as much again: it fits in the freed pages
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	if after := size(); after > before+before/4 {
		t.Fatalf("file grew from %d to %d octets storing as much as was deleted", before, after)
	}
	ss, _ := s.Sessions()
	if len(ss) != 1 || ss[0].ID != "b" {
		t.Fatalf("sessions %v, want only b", ss)
	}
	if got := readAll(t, s, "a", 0, 100); len(got) != 0 {
		t.Fatalf("deleted session still has %d events", len(got))
	}
	s.Close()
}

// TestTornJournalTailRecoversToLastValidRecord cuts and corrupts the
// journal as a power cut would, after a crash that left commits in it.
func TestTornJournalTailRecoversToLastValidRecord(t *testing.T) {
	for _, damage := range []string{"truncate", "corrupt", "garbage"} {
		t.Run(damage, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir, Options{SyncInterval: time.Hour, SyncRecords: 1 << 20})
			l := &sessionLog{id: "a"}
			for range 10 {
				l.commit(t, s, 3)
			}
			// A crash: the journal holds all ten, the database none.
			crash(s)
			files, _ := journalFiles(dir)
			if len(files) != 1 {
				t.Fatalf("journal files %v, want one", files)
			}
			path := files[0]
			data, _ := os.ReadFile(path)
			switch damage {
			case "truncate":
				data = data[:len(data)-5]
			case "corrupt":
				data[len(data)-3] ^= 0xff
			case "garbage":
				data = append(data, 1, 2, 3, 4, 5, 6, 7, 8, 9)
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			pre, err := Check(dir, "")
			if err != nil || pre.OK() || pre.JournalRecords < 9 {
				t.Fatalf("check before recovery: %+v, %v; want the torn tail reported", pre, err)
			}
			s, rep, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			wantN := 9
			if damage == "garbage" {
				wantN = 10
			}
			if rep.Torn == nil || rep.Replayed != wantN {
				t.Fatalf("report %+v; want a torn tail and %d commits recovered", rep, wantN)
			}
			wantRange(t, readAll(t, s, "a", 0, 100), 1, uint64(3*wantN))
			// The tail is gone for good: the next commit follows the last valid one.
			l = &sessionLog{id: "a", next: uint64(3 * wantN), n: wantN}
			l.commit(t, s, 1)
			wantRange(t, readAll(t, s, "a", 0, 100), 1, uint64(3*wantN+1))
			post, err := Check2(t, s, dir)
			if err != nil || !post.OK() {
				t.Fatalf("check after recovery: %+v, %v", post, err)
			}
		})
	}
}

// crash leaves the files as kill -9 would — the journal written, the
// database as of its last checkpoint — by failing the store, so that it
// checkpoints nothing more, and closing it.
func crash(s *Bolt) {
	s.fail(errors.New("crash"))
	_ = s.Close()
}

// flipLastOctet changes the last octet of the value at where(tx) in dir's
// database, through bbolt so that the pages stay valid.
func flipLastOctet(t *testing.T, dir string, where func(tx *bolt.Tx) (*bolt.Bucket, []byte)) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b, k := where(tx)
		v := append([]byte(nil), b.Get(k)...)
		v[len(v)-1] ^= 1
		return b.Put(k, v)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Check2 closes s and checks dir.
func Check2(t *testing.T, s *Bolt, dir string) (*CheckReport, error) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return Check(dir, "")
}

func TestCorruptDatabaseRecordIsNamed(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{})
	l := &sessionLog{id: "a"}
	for range 5 {
		l.commit(t, s, 2)
	}
	s.Close()
	// Flip a byte inside input 3's value, through bbolt so the page stays valid.
	flipLastOctet(t, dir, func(tx *bolt.Tx) (*bolt.Bucket, []byte) {
		return tx.Bucket(bucketSessions).Bucket([]byte("a")).Bucket(bucketInputs), be64(3)
	})
	rep, err := Check(dir, "")
	if err != nil || rep.OK() {
		t.Fatalf("check: %+v, %v; want input 3 reported", rep, err)
	}
	if want := "session a: input 3: checksum mismatch"; rep.Problems[0] != want {
		t.Fatalf("problem %q, want %q", rep.Problems[0], want)
	}
	s = open(t, dir, Options{})
	defer s.Close()
	var seen []uint64
	err = s.Inputs("a", 1, func(in *Input) error { seen = append(seen, in.Index); return nil })
	ce, ok := err.(*CorruptError)
	if !ok || ce.Where != "session a input 3" || len(seen) != 2 {
		t.Fatalf("walk: %v after %v; want a CorruptError at input 3 after inputs 1 and 2", err, seen)
	}
}

func BenchmarkCommitEvents(b *testing.B) {
	for _, mode := range []SyncMode{SyncBatch, SyncAlways} {
		b.Run(mode.String(), func(b *testing.B) {
			s := open(b, b.TempDir(), Options{Sync: mode})
			defer s.Close()
			const workers, perCommit = 8, 64 // 64 events of 55 octets: one Batch call's worth
			ev := make([]byte, perCommit*55)
			b.SetBytes(int64(len(ev)))
			var wg sync.WaitGroup
			per := b.N/workers + 1
			b.ResetTimer()
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					id := fmt.Sprintf("s%d", w)
					for i := range per {
						c := &Commit{Session: id, Input: ev[:40], FirstSeq: uint64(i * perCommit), Count: perCommit, Events: ev}
						if err := s.Commit(c); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(per*workers*perCommit)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// A directory written in one encoding is never read as another.
func TestOpenRefusesAnotherFormat(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{Format: "v1"})
	(&sessionLog{id: "a"}).commit(t, s, 3)
	s.Close()
	if _, _, err := Open(dir, Options{Format: "v2"}); err == nil || !strings.Contains(err.Error(), `stored in format "v1", this emud reads "v2"`) {
		t.Fatalf("open as v2: %v, want a refusal naming both formats", err)
	}
	// emud check refuses it too, rather than report its records as
	// damage or as healthy.
	if rep, err := Check(dir, "v2"); err == nil || !strings.Contains(err.Error(), `stored in format "v1", this emud reads "v2"`) {
		t.Fatalf("check as v2: %v, %+v; want a refusal naming both formats", err, rep)
	}
	if rep, err := Check(dir, "v1"); err != nil || !rep.OK() || rep.Sessions != 1 || rep.Events != 3 {
		t.Fatalf("check as v1: %v, %+v; want one healthy session of 3 events", err, rep)
	}
	s = open(t, dir, Options{Format: "v1"})
	defer s.Close()
	wantRange(t, readAll(t, s, "a", 0, 10), 1, 3)
}

// A session's latest snapshot replaces the earlier one and survives a
// reopen, journaled or checkpointed.
func TestSnapshotKeepsTheLatest(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{SyncInterval: time.Hour, SyncRecords: 1 << 20})
	l := &sessionLog{id: "a"}
	l.commit(t, s, 2)
	if after, data, err := s.Snapshot("a"); err != nil || after != 0 || data != nil {
		t.Fatalf("snapshot before any: %d %q %v", after, data, err)
	}
	for i, snap := range []string{"first", "second"} {
		l.commit(t, s, 2)
		if err := s.Commit(&Commit{Session: "a", Snapshot: []byte(snap), SnapshotAfter: uint64(2 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	crash(s) // the snapshots are in the journal only
	s = open(t, dir, Options{})
	defer s.Close()
	if after, data, err := s.Snapshot("a"); err != nil || after != 3 || string(data) != "second" {
		t.Fatalf("snapshot after reopen: %d %q %v, want 3 \"second\"", after, data, err)
	}
	ss, _ := s.Sessions()
	if ss[0].Inputs != 3 {
		t.Fatalf("%d inputs, want 3 (a snapshot is not an input)", ss[0].Inputs)
	}
}

// A journal file outlives the checkpoints of its first commits (it is
// replaced only once large): a crash leaves checkpointed and unchecked
// commits in one file, and the next open moves only the unchecked ones,
// as emud check counts them.
func TestCrashAfterACheckpointKeepsTheJournalsLaterCommits(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{SyncInterval: time.Hour, SyncRecords: 1 << 20})
	l := &sessionLog{id: "a"}
	for range 4 {
		l.commit(t, s, 3)
	}
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		l.commit(t, s, 2)
	}
	crash(s)
	if files, _ := journalFiles(dir); len(files) != 1 {
		t.Fatalf("journal files %v, want the one holding all seven commits", files)
	}
	pre, err := Check(dir, "")
	if err != nil || !pre.OK() || pre.JournalRecords != 3 || pre.Inputs != 4 {
		t.Fatalf("check after the crash: %+v, %v; want 4 inputs stored, 3 commits in the journal", pre, err)
	}
	s, rep, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Replayed != 3 || rep.Torn != nil {
		t.Fatalf("report %+v, want the 3 later commits moved, no damage", rep)
	}
	wantRange(t, readAll(t, s, "a", 0, 100), 1, l.next)
	if post, err := Check2(t, s, dir); err != nil || !post.OK() || post.Inputs != 7 || post.JournalRecords != 0 {
		t.Fatalf("check after reopening: %+v, %v", post, err)
	}
}

// Once a journal file is large, the next hand-off starts another and the
// full one is removed when its commits are in the database.
func TestLargeJournalIsReplacedAndRemoved(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{SyncInterval: time.Hour, SyncRecords: 1 << 20})
	defer s.Close()
	l := &sessionLog{id: "a"}
	first, _ := journalFiles(dir)
	for n := 0; n <= rotateSize; n += (1 << 17) * evSize {
		l.commit(t, s, 1<<17)
	}
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	files, _ := journalFiles(dir)
	if len(first) != 1 || len(files) != 1 || files[0] == first[0] {
		t.Fatalf("journal files %v, then %v; want the first replaced by another", first, files)
	}
	wantRange(t, readAll(t, s, "a", 0, 1<<22), 1, l.next)
}
