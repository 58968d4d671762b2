package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// journal is the write-ahead file in front of the database: every commit
// is appended here (one write for a whole group) before Commit returns, so
// it is in the operating system's hands — safe from a crash of the process
// — without waiting for the database's own commit and its fsyncs. Commits
// move to the database in batches (checkpoints); a journal file is
// removed once it is large (rotateSize) and all its commits are in, and
// recovery skips the commits a file holds that the database has.
//
// A frame is: payload length (uint32 LE), CRC-32C of the payload (uint32
// LE), payload (appendCommit). A power cut can leave a torn last frame; it
// fails its length or checksum and is where reading stops.
type journal struct {
	f    *os.File
	path string
	size int64
}

const frameHeader = 8

// maxFrame bounds one commit (a Batch's input plus up to MaxEventsPerCall
// events is well under it); a larger length field is damage, not a frame.
const maxFrame = 1 << 30

// TornTail describes the damaged end of a journal: the octets from Offset
// on did not form valid frames and were dropped.
type TornTail struct {
	Path    string
	Offset  int64
	Dropped int64
	Reason  string
	// Session is the session the first dropped frame belonged to, when its
	// header and the start of its payload survived ("" if unknown): that
	// session lost its last commit(s).
	Session string
}

func (t *TornTail) String() string {
	return fmt.Sprintf("%s: %d octets from offset %d are not a valid record (%s); recovered to the last valid record before them",
		t.Path, t.Dropped, t.Offset, t.Reason)
}

// readJournal reads every valid frame of the file at path and where the
// valid part ends; torn is set when octets follow that are not valid.
func readJournal(path string) (payloads [][]byte, end int64, torn *TornTail, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil, nil
	}
	if err != nil {
		return nil, 0, nil, fmt.Errorf("read journal: %w", err)
	}
	off := 0
	for off < len(data) {
		reason := ""
		if len(data)-off < frameHeader {
			reason = "a frame header cut short"
		} else {
			n := binary.LittleEndian.Uint32(data[off:])
			sum := binary.LittleEndian.Uint32(data[off+4:])
			switch {
			case n > maxFrame || int(n) > len(data)-off-frameHeader:
				reason = "a frame cut short"
			case checksum(data[off+frameHeader:off+frameHeader+int(n)]) != sum:
				reason = "checksum mismatch"
			default:
				payloads = append(payloads, data[off+frameHeader:off+frameHeader+int(n)])
				off += frameHeader + int(n)
				continue
			}
		}
		torn = &TornTail{Path: path, Offset: int64(off), Dropped: int64(len(data) - off), Reason: reason, Session: tornSession(data[off:])}
		break
	}
	return payloads, int64(off), torn, nil
}

// openJournal opens the file for appending at end, cutting off whatever
// follows (a torn tail, already reported by readJournal).
func openJournal(path string, end int64) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	// Truncate only a tail that is there: on ext4, a file truncated while
	// open is flushed to the disk when closed (auto_da_alloc), which made
	// every new journal's close cost a writeback.
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if fi.Size() > end {
		if err := f.Truncate(end); err != nil {
			f.Close()
			return nil, fmt.Errorf("truncate journal's torn tail: %w", err)
		}
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("open journal: %w", err)
	}
	return &journal{f: f, path: path, size: end}, nil
}

// appendFrame adds one frame holding c, numbered lsn, to buf: the
// payload is encoded in place, then its header filled in.
func appendFrame(buf []byte, lsn uint64, c *Commit) []byte {
	start := len(buf)
	buf = append(buf, make([]byte, frameHeader)...)
	buf = appendCommit(buf, lsn, c)
	payload := buf[start+frameHeader:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[start+4:], checksum(payload))
	return buf
}

// frameSize bounds the octets appendFrame adds for c.
func frameSize(c *Commit) int {
	const fixed = frameHeader + 8 + 1 + 8 + 8 + 4 + 8*binary.MaxVarintLen64 + 4 + 20 + 4 + 4
	return fixed + len(c.Session) + len(c.Meta) + len(c.Input) + len(c.Events) + len(c.Snapshot)
}

// write appends frames (one write system call for a group).
func (j *journal) write(frames []byte) error {
	n, err := j.f.Write(frames)
	j.size += int64(n)
	if err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	return nil
}

func (j *journal) sync() error {
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("fsync journal: %w", err)
	}
	return nil
}

// reset empties the journal once its commits are in the database.
func (j *journal) reset() error {
	if err := j.f.Truncate(0); err != nil {
		return fmt.Errorf("reset journal: %w", err)
	}
	if _, err := j.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("reset journal: %w", err)
	}
	j.size = 0
	return nil
}

func (j *journal) close() error { return j.f.Close() }

// tornSession reads the session ID at the start of a damaged frame's
// payload, if enough of it is there to be plausible.
func tornSession(frame []byte) string {
	if len(frame) < frameHeader+9 {
		return ""
	}
	d := decoder{b: frame[frameHeader+9:]} // after the LSN and the flags
	id := d.bytes()
	if d.bad || len(id) == 0 || len(id) > 63 {
		return ""
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return ""
		}
	}
	return string(id)
}
