package store

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// largeEvents is enough test events that their chunk is a large value.
const largeEvents = largeValue/evSize + 1

// Large values (a bucket of their own each) and small ones (put as they
// are) are read, trimmed, cut, checked and recounted alike.
func TestLargeAndSmallValuesTakeEveryPath(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{MaxEventsPerSession: 3 * largeEvents})
	l := &sessionLog{id: "a"}
	sizes := []int{3, largeEvents, 0, largeEvents, 5, largeEvents, largeEvents, 2}
	for _, n := range sizes {
		l.commit(t, s, n)
	}
	big := bytes.Repeat([]byte("input "), largeValue/6+1)
	if err := s.Commit(&Commit{Session: "a", Input: big, FirstSeq: l.next, Count: 1, Events: events(l.next, 1)}); err != nil {
		t.Fatal(err)
	}
	l.next++
	snap := bytes.Repeat([]byte("snap"), largeValue)
	if err := s.Commit(&Commit{Session: "a", Snapshot: snap, SnapshotAfter: 9}); err != nil {
		t.Fatal(err)
	}
	total := l.next
	// The bound keeps the newest chunks: from input 5's (5 events) on.
	firstKept := uint64(3 + 2*largeEvents)
	wantRange(t, readAll(t, s, "a", 0, 50), firstKept, total)
	var got []string
	err := s.Inputs("a", 1, func(in *Input) error {
		got = append(got, fmt.Sprintf("%d:%d:%v", in.Index, in.Count, in.Events != nil))
		if in.Events != nil && !bytes.Equal(in.Events, events(in.FirstSeq, int(in.Count))) {
			return fmt.Errorf("input %d: wrong events", in.Index)
		}
		if in.Index == 9 && !bytes.Equal(in.Data, big) {
			return fmt.Errorf("input 9: %d octets, want the large input", len(in.Data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("1:3:false 2:%d:false 3:0:false 4:%d:false 5:5:true 6:%d:true 7:%d:true 8:2:true 9:1:true", largeEvents, largeEvents, largeEvents, largeEvents)
	if strings.Join(got, " ") != want {
		t.Fatalf("inputs %s, want %s", strings.Join(got, " "), want)
	}
	if after, data, err := s.Snapshot("a"); err != nil || after != 9 || !bytes.Equal(data, snap) {
		t.Fatalf("snapshot: after %d, %d octets, %v; want 9 and the large one", after, len(data), err)
	}
	// Cut inputs 7.. and their events, as recovery does with a damaged tail.
	cutSeq := firstKept + 5 + largeEvents
	if err := s.Commit(&Commit{Session: "a", Cut: 7, FirstSeq: cutSeq}); err != nil {
		t.Fatal(err)
	}
	wantRange(t, readAll(t, s, "a", 0, 50), firstKept, cutSeq)
	rep, err := Check2(t, s, dir)
	if err != nil || !rep.OK() || rep.Inputs != 6 || rep.Events != cutSeq-firstKept {
		t.Fatalf("check: %+v, %v; want healthy, 6 inputs, %d events", rep, err, cutSeq-firstKept)
	}
	// Counters recounted from the records match the stored ones.
	s = open(t, dir, Options{})
	defer s.Close()
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions).Bucket([]byte("a"))
		stored, err := decodeState(b.Get(keyState))
		if err != nil {
			return err
		}
		if re := recount(b); re != stored {
			return fmt.Errorf("recounted %+v, stored %+v", re, stored)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A large value is written once, not again with each value added after
// it (bbolt rewrites a leaf whole, and never splits one of four keys or
// fewer): a checkpoint a commit allocates about what the commits hold.
func TestLargeValuesAreNotRewrittenByLaterCheckpoints(t *testing.T) {
	s := open(t, t.TempDir(), Options{})
	defer s.Close()
	l := &sessionLog{id: "a"}
	l.commit(t, s, 1)
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	pageAlloc := func() int64 { st := s.db.Stats(); return st.TxStats.GetPageAlloc() }
	before := pageAlloc()
	const commits, n = 40, 64 * largeEvents // large enough that a checkpoint's own pages are noise
	for range commits {
		l.commit(t, s, n)
		if err := s.flush(); err != nil { // one checkpoint each
			t.Fatal(err)
		}
	}
	alloc := pageAlloc() - before
	if stored := int64(commits * n * evSize); alloc > stored*3/2 {
		t.Fatalf("%d octets of pages allocated to store %d octets of events: earlier values were written again", alloc, stored)
	}
}

// Damage inside a large value is reported like damage in a small one.
func TestCorruptLargeValueIsNamed(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{})
	l := &sessionLog{id: "a"}
	for range 3 {
		l.commit(t, s, largeEvents)
	}
	s.Close()
	flipLastOctet(t, dir, func(tx *bolt.Tx) (*bolt.Bucket, []byte) {
		eb := tx.Bucket(bucketSessions).Bucket([]byte("a")).Bucket(bucketEvents)
		return eb.Bucket(be64(largeEvents)), nestedKey
	})
	rep, err := Check(dir, "")
	if err != nil || rep.OK() {
		t.Fatalf("check: %+v, %v; want the events reported", rep, err)
	}
	if want := fmt.Sprintf("session a: events from seq %d: checksum mismatch", largeEvents); rep.Problems[0] != want {
		t.Fatalf("problem %q, want %q", rep.Problems[0], want)
	}
}

// Large values journaled but not checkpointed when the process dies are
// moved into the database on the next open, like small ones.
func TestLargeValuesSurviveACrashBeforeTheirCheckpoint(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{SyncInterval: time.Hour, SyncRecords: 1 << 20})
	l := &sessionLog{id: "a"}
	l.commit(t, s, largeEvents)
	if err := s.flush(); err != nil { // one checkpointed, the rest only journaled
		t.Fatal(err)
	}
	for _, n := range []int{2 * largeEvents, 1, largeEvents} {
		l.commit(t, s, n)
	}
	crash(s)
	s, rep, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Replayed != 3 || rep.Torn != nil {
		t.Fatalf("report %+v, want 3 commits moved, no damage", rep)
	}
	wantRange(t, readAll(t, s, "a", 0, 1000), 1, l.next) // after seq 0: from seq 1
	if post, err := Check2(t, s, dir); err != nil || !post.OK() || post.Events != l.next {
		t.Fatalf("check: %+v, %v", post, err)
	}
}
