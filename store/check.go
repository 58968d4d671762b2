package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CheckReport is what Check found in a data directory.
type CheckReport struct {
	Sessions, Inputs, Events uint64
	// JournalRecords are commits in the journal not yet checkpointed
	// (normal after a crash: the next start moves them). A journal file
	// also holds checkpointed commits until it is removed: not counted.
	JournalRecords int
	// Problems are the damage found, one line each; none means healthy.
	Problems []string
}

// OK reports whether nothing is damaged.
func (r *CheckReport) OK() bool { return len(r.Problems) == 0 }

// Check verifies a data directory offline, changing nothing: the
// database's page structure (bbolt's own check), every record's checksum,
// each session's inputs and events forming unbroken sequences, and the
// journal's frames. It fails when the directory cannot be read at all,
// or when it is stamped with another format than format (the one this
// emud reads; "" checks any): its records would be read wrongly, and
// emud refuses to start on it. Damage is reported in the report.
func Check(dir, format string) (*CheckReport, error) {
	dbPath := filepath.Join(dir, DBFile)
	if _, err := os.Stat(dbPath); err != nil {
		return nil, fmt.Errorf("%s: %w", dbPath, err)
	}
	rep := &CheckReport{}
	db, err := bolt.Open(dbPath, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%s: in use by a running emud; stop it first", dbPath)
	}
	if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: cannot be opened: %v", dbPath, err))
		return rep, nil
	}
	defer db.Close()
	var lsn uint64 // the last commit checkpointed
	err = db.View(func(tx *bolt.Tx) (err error) {
		defer func() {
			// bbolt panics on some page damage; that is a finding too.
			if p := recover(); p != nil {
				err = fmt.Errorf("page structure: %v", p)
			}
		}()
		if have, stamped := storedFormat(tx, tx.Bucket(bucketMeta)); stamped && format != "" && have != format {
			return &FormatError{Have: have, Want: format}
		}
		for e := range tx.Check() {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", dbPath, e))
		}
		if meta := tx.Bucket(bucketMeta); meta != nil {
			if v := meta.Get(keyLSN); len(v) == 8 {
				lsn = binary.LittleEndian.Uint64(v)
			}
		}
		root := tx.Bucket(bucketSessions)
		if root == nil {
			return nil
		}
		return root.ForEachBucket(func(k []byte) error {
			rep.Sessions++
			checkSession(string(k), root.Bucket(k), rep)
			return nil
		})
	})
	if fe := (*FormatError)(nil); errors.As(err, &fe) {
		return nil, fmt.Errorf("%s: %w", dbPath, err)
	}
	if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", dbPath, err))
	}
	files, err := journalFiles(dir)
	if err != nil {
		return nil, err
	}
	for i, path := range files {
		payloads, _, torn, err := readJournal(path)
		if err != nil {
			return nil, err
		}
		for _, p := range payloads {
			if len(p) < 8 || binary.LittleEndian.Uint64(p) > lsn {
				rep.JournalRecords++
			}
		}
		if torn != nil {
			rep.Problems = append(rep.Problems, "journal "+torn.String())
			if later := len(files) - i - 1; later > 0 {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%d later journal files cannot be applied after it (they would leave a hole)", later))
			}
			break
		}
	}
	return rep, nil
}

func checkSession(id string, b *bolt.Bucket, rep *CheckReport) {
	bad := func(format string, a ...any) {
		rep.Problems = append(rep.Problems, fmt.Sprintf("session %s: ", id)+fmt.Sprintf(format, a...))
	}
	if _, err := unseal(b.Get(keyMeta)); err != nil {
		bad("description: %v", err)
	}
	if v := getValue(b, keySnapshot); v != nil {
		if _, err := unseal(v); err != nil {
			bad("snapshot: %v (recovery replays from the first input instead)", err)
		}
	}
	if _, err := decodeState(b.Get(keyState)); err != nil {
		bad("counters: %v (rebuilt from the records on start)", err)
	}
	var nextSeq uint64
	if ib := b.Bucket(bucketInputs); ib != nil {
		want := uint64(1)
		_ = ib.ForEach(func(k, v []byte) error {
			idx := binary.BigEndian.Uint64(k)
			in, err := decodeInput(idx, cursorValue(ib, k, v))
			switch {
			case err != nil:
				bad("input %d: %v", idx, err)
			case idx != want:
				bad("input %d follows input %d: inputs %d..%d are missing", idx, want-1, want, idx-1)
			case want > 1 && in.FirstSeq < nextSeq:
				bad("input %d: its events begin at seq %d, before the previous input's end %d", idx, in.FirstSeq, nextSeq)
			}
			if err == nil {
				nextSeq = in.FirstSeq + uint64(in.Count)
			}
			want = idx + 1
			rep.Inputs++
			return nil
		})
	}
	if eb := b.Bucket(bucketEvents); eb != nil {
		var end uint64
		first := true
		_ = eb.ForEach(func(k, v []byte) error {
			seq := binary.BigEndian.Uint64(k)
			ch, err := decodeChunk(seq, cursorValue(eb, k, v))
			switch {
			case err != nil:
				bad("events from seq %d: %v", seq, err)
				return nil
			case !first && seq != end:
				bad("events from seq %d follow events ending at %d: a gap or an overlap", seq, end)
			}
			first, end = false, seq+uint64(ch.Count)
			rep.Events += uint64(ch.Count)
			return nil
		})
	}
}
