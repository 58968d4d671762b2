package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Every record the store writes — a journal frame, a database value —
// carries a CRC-32C of its contents, so a torn or corrupted write is
// detected when read instead of being decoded as something else.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// sealed prefixes b with its checksum.
func sealed(b []byte) []byte {
	out := make([]byte, 4+len(b))
	binary.LittleEndian.PutUint32(out, checksum(b))
	copy(out[4:], b)
	return out
}

var errChecksum = errors.New("checksum mismatch")

// unseal checks a sealed value and returns its contents (aliasing v).
func unseal(v []byte) ([]byte, error) {
	if len(v) < 4 {
		return nil, errors.New("shorter than its checksum")
	}
	if binary.LittleEndian.Uint32(v) != checksum(v[4:]) {
		return nil, errChecksum
	}
	return v[4:], nil
}

const (
	flagDelete = 1 << iota
	flagMeta
	flagInput
)

// appendCommit appends a commit's journal payload, numbered lsn. Its
// input and its events are laid out as the database stores them
// (appendInputValue, appendChunkValue), checksums included, so that a checkpoint puts
// the journal's very octets into the database instead of copying and
// checksumming them again.
func appendCommit(b []byte, lsn uint64, c *Commit) []byte {
	var flags byte
	if c.Delete {
		flags |= flagDelete
	}
	if c.Meta != nil {
		flags |= flagMeta
	}
	if c.Input != nil {
		flags |= flagInput
	}
	b = binary.LittleEndian.AppendUint64(b, lsn)
	b = append(b, flags)
	b = appendBytes(b, []byte(c.Session))
	b = binary.LittleEndian.AppendUint64(b, uint64(c.Time))
	b = binary.LittleEndian.AppendUint64(b, c.FirstSeq)
	b = binary.LittleEndian.AppendUint32(b, c.Count)
	b = appendBytes(b, c.Meta)
	if c.Input != nil {
		b = appendInputValue(b, c)
	} else {
		b = appendBytes(b, nil)
	}
	if c.Count > 0 {
		b = appendChunkValue(b, c.Count, c.Events)
	} else {
		b = appendBytes(b, nil)
	}
	b = binary.AppendUvarint(b, c.Cut)
	b = binary.AppendUvarint(b, c.SnapshotAfter)
	return appendBytes(b, c.Snapshot)
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// logged is a journaled commit: the commit, and its input and events as
// the database stores them (nil when it has none). All alias the
// journal's octets.
type logged struct {
	*Commit
	inputV, eventsV []byte
}

// decodeCommit reads a journal payload; what it returns aliases p.
func decodeCommit(p []byte) (lsn uint64, l logged, err error) {
	d := decoder{b: p}
	lsn = d.u64()
	flags := d.byte()
	c := &Commit{Session: string(d.bytes()), Delete: flags&flagDelete != 0}
	c.Time = int64(d.u64())
	c.FirstSeq = d.u64()
	c.Count = d.u32()
	meta, inputV, eventsV := d.bytes(), d.bytes(), d.bytes()
	c.Cut, c.SnapshotAfter = d.uvarint(), d.uvarint()
	c.Snapshot = d.bytes()
	if d.bad || len(d.b) != 0 {
		return 0, logged{}, errors.New("malformed commit")
	}
	if flags&flagMeta != 0 {
		c.Meta = nonNil(meta)
	}
	// The values' own checksums are not checked again: the frame's
	// covers them (and journalGroup decodes what it just encoded).
	l = logged{Commit: c}
	if flags&flagInput != 0 {
		in, err := parseInput(0, contents(inputV))
		if err != nil || in.Time != c.Time || in.FirstSeq != c.FirstSeq || in.Count != c.Count {
			return 0, logged{}, fmt.Errorf("malformed commit input: %v", err)
		}
		c.Input, l.inputV = nonNil(in.Data), inputV
	}
	if c.Count > 0 {
		ch, err := parseChunk(c.FirstSeq, contents(eventsV))
		if err != nil || ch.Count != c.Count {
			return 0, logged{}, fmt.Errorf("malformed commit events: %v", err)
		}
		c.Events, l.eventsV = ch.Data, eventsV
	}
	return lsn, l, nil
}

// contents is a sealed value's contents, its checksum not checked.
func contents(v []byte) []byte {
	if len(v) < 4 {
		return nil // too short for the records read from it
	}
	return v[4:]
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// decoder reads little-endian fields; a short read sets bad.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) take(n int) []byte {
	if d.bad || n < 0 || len(d.b) < n {
		d.bad = true
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if v := d.take(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if v := d.take(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}

func (d *decoder) uvarint() uint64 {
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) bytes() []byte {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)-k) {
		d.bad = true
		return nil
	}
	d.b = d.b[k:]
	if n == 0 {
		return nil
	}
	return d.take(int(n))
}

// The database's values.

// appendInputValue appends, length-prefixed, an input record: its time,
// its events' range and the input itself, sealed.
func appendInputValue(b []byte, c *Commit) []byte {
	b = binary.AppendUvarint(b, uint64(4+20+len(c.Input)))
	start := len(b)
	b = append(b, 0, 0, 0, 0) // the checksum, filled in below
	b = binary.LittleEndian.AppendUint64(b, uint64(c.Time))
	b = binary.LittleEndian.AppendUint64(b, c.FirstSeq)
	b = binary.LittleEndian.AppendUint32(b, c.Count)
	b = append(b, c.Input...)
	binary.LittleEndian.PutUint32(b[start:], checksum(b[start+4:]))
	return b
}

func decodeInput(index uint64, v []byte) (*Input, error) {
	p, err := unseal(v)
	if err != nil {
		return nil, err
	}
	return parseInput(index, p)
}

// parseInput reads an input record's contents (unsealed).
func parseInput(index uint64, p []byte) (*Input, error) {
	d := decoder{b: p}
	in := &Input{Index: index, Time: int64(d.u64()), FirstSeq: d.u64(), Count: d.u32()}
	if d.bad {
		return nil, errors.New("short input record")
	}
	in.Data = d.b
	return in, nil
}

// appendChunkValue appends, length-prefixed, a run of events: their
// count and the events, sealed.
func appendChunkValue(b []byte, count uint32, events []byte) []byte {
	b = binary.AppendUvarint(b, uint64(4+4+len(events)))
	start := len(b)
	b = append(b, 0, 0, 0, 0) // the checksum, filled in below
	b = binary.LittleEndian.AppendUint32(b, count)
	b = append(b, events...)
	binary.LittleEndian.PutUint32(b[start:], checksum(b[start+4:]))
	return b
}

func decodeChunk(first uint64, v []byte) (Chunk, error) {
	p, err := unseal(v)
	if err != nil {
		return Chunk{}, err
	}
	return parseChunk(first, p)
}

// parseChunk reads a run of events' contents (unsealed).
func parseChunk(first uint64, p []byte) (Chunk, error) {
	if len(p) < 4 {
		return Chunk{}, errors.New("short event chunk")
	}
	c := Chunk{FirstSeq: first, Count: binary.LittleEndian.Uint32(p), Data: p[4:]}
	if c.Count == 0 {
		return Chunk{}, errors.New("event chunk of no events")
	}
	return c, nil
}

// state is a session's counters, kept beside its records.
type state struct {
	inputs, nextSeq, firstSeq uint64
	lastTime                  int64
	stored                    uint64 // events stored (nextSeq-firstSeq, less what was never journaled)
}

func (s *state) value() []byte {
	b := make([]byte, 0, 40)
	b = binary.LittleEndian.AppendUint64(b, s.inputs)
	b = binary.LittleEndian.AppendUint64(b, s.nextSeq)
	b = binary.LittleEndian.AppendUint64(b, s.firstSeq)
	b = binary.LittleEndian.AppendUint64(b, uint64(s.lastTime))
	b = binary.LittleEndian.AppendUint64(b, s.stored)
	return sealed(b)
}

func decodeState(v []byte) (state, error) {
	p, err := unseal(v)
	if err != nil {
		return state{}, err
	}
	d := decoder{b: p}
	s := state{inputs: d.u64(), nextSeq: d.u64(), firstSeq: d.u64(), lastTime: int64(d.u64()), stored: d.u64()}
	if d.bad {
		return state{}, errors.New("short session state")
	}
	return s, nil
}

func be64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}
