package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// Large values live in buckets of their own. bbolt writes a leaf node
// whole whenever a key is added to it, and never splits a leaf of four
// keys or fewer; so a bucket that gains one large value a checkpoint (a
// session's inputs and events, one Batch call each) rewrote the two to
// four large values before it in its last leaf every time: 4.6 times the
// octets allocated and written that the values hold, on emuctl bench
// lifecycles. A value of largeValue octets or more is therefore put as
// the only value (key nestedKey) of a bucket named by its key: adding it
// rewrites only the parent's leaf of small bucket headers, never the
// values before it. A smaller one is put as it is: rewriting a few of
// those costs less than a bucket's page each.
//
// Whichever way a value is stored, getValue, cursorValue and deleteValue
// find it; a nested bucket without its value reads as an empty value,
// which fails its checksum like any other damage.
const largeValue = 4096

var nestedKey = []byte{0}

// putValue stores v under k in b, replacing any earlier value.
func putValue(b *bolt.Bucket, k, v []byte) error {
	if err := deleteValue(b, k); err != nil {
		return err
	}
	if len(v) < largeValue {
		return b.Put(k, v)
	}
	nb, err := b.CreateBucket(k)
	if err != nil {
		return err
	}
	return nb.Put(nestedKey, v)
}

// getValue is k's value in b, nil if there is none.
func getValue(b *bolt.Bucket, k []byte) []byte {
	if v := b.Get(k); v != nil {
		return v
	}
	return cursorValue(b, k, nil)
}

// cursorValue is the value of the key k a cursor on b stands on, given
// the cursor's v (nil for a nested bucket).
func cursorValue(b *bolt.Bucket, k, v []byte) []byte {
	if v != nil {
		return v
	}
	if nb := b.Bucket(k); nb != nil {
		return nonNil(nb.Get(nestedKey))
	}
	return nil
}

// deleteValue removes k's value from b, if it has one.
func deleteValue(b *bolt.Bucket, k []byte) error {
	switch at, v := b.Cursor().Seek(k); {
	case !bytes.Equal(at, k):
		return nil
	case v == nil:
		return b.DeleteBucket(k)
	}
	return b.Delete(k)
}
