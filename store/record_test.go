package store

import (
	"bytes"
	"math"
	"testing"
)

// frameSize bounds what appendFrame writes, so that a group's buffer is
// sized once, and a frame decodes back to its commit with its values
// laid out as the database stores them.
func TestFrameSizeBoundsAndFramesDecode(t *testing.T) {
	big := bytes.Repeat([]byte{7}, 300)
	for _, c := range []*Commit{
		{Session: "a"},
		{Session: "a", Delete: true},
		{Session: "s-1", Meta: big, Input: []byte{}, Time: math.MaxInt64, FirstSeq: math.MaxUint64 - 9, Count: 9, Events: big},
		{Session: "s-1", Input: big, Count: math.MaxUint32, Events: big},
		{Session: "s", Snapshot: big, SnapshotAfter: math.MaxUint64, Cut: math.MaxUint64, FirstSeq: 3},
	} {
		f := appendFrame([]byte("x"), math.MaxUint64, c)
		if n := len(f) - 1; n > frameSize(c) {
			t.Errorf("%+v: frame of %d octets, frameSize %d", c, n, frameSize(c))
		}
		lsn, l, err := decodeCommit(f[1+frameHeader:])
		if err != nil || lsn != math.MaxUint64 {
			t.Fatalf("%+v: decode: lsn %d, %v", c, lsn, err)
		}
		got := l.Commit
		if got.Session != c.Session || got.Delete != c.Delete || !bytes.Equal(got.Meta, c.Meta) || (got.Meta == nil) != (c.Meta == nil) ||
			!bytes.Equal(got.Input, c.Input) || (got.Input == nil) != (c.Input == nil) || got.Time != c.Time || got.FirstSeq != c.FirstSeq ||
			got.Count != c.Count || !bytes.Equal(got.Snapshot, c.Snapshot) || got.SnapshotAfter != c.SnapshotAfter || got.Cut != c.Cut {
			t.Fatalf("decoded %+v, want %+v", got, c)
		}
		if c.Count > 0 && !bytes.Equal(got.Events, c.Events) {
			t.Fatalf("%+v: events %x", c, got.Events)
		}
		if in, err := decodeInput(1, l.inputV); c.Input != nil && (err != nil || !bytes.Equal(in.Data, c.Input)) {
			t.Fatalf("%+v: input value: %v", c, err)
		}
		if ch, err := decodeChunk(c.FirstSeq, l.eventsV); c.Count > 0 && (err != nil || ch.Count != c.Count) {
			t.Fatalf("%+v: events value: %v", c, err)
		}
	}
}
