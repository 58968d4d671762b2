package render

import (
	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// direction is one way of an address pair: the unit sequence numbers are
// counted in.
type direction struct{ src, dst tcp.AddrID }

// base is a direction's initial sequence number and who set it.
type base struct {
	isn   seqnum.Value
	owner emulator.EndpointID
}

// seqBases makes sequence numbers relative, as Wireshark does: each
// direction counts from the SEQ of its first SYN. A SYN sent by a different
// endpoint than the one that set the base starts a new incarnation of the
// connection (endpoint IDs are never reused) and so a new base.
type seqBases struct {
	absolute bool
	bases    map[direction]base
}

func newSeqBases(absolute bool) *seqBases {
	return &seqBases{absolute: absolute, bases: map[direction]base{}}
}

// see notes a SYN sent by sender (0 if unknown: injected, or from outside).
func (b *seqBases) see(h *emulator.SegmentHeader, sender emulator.EndpointID) {
	if h.Flags&tcp.SYN == 0 {
		return
	}
	d := direction{h.Src, h.Dst}
	old, ok := b.bases[d]
	if !ok || (sender != 0 && old.owner != sender) {
		b.bases[d] = base{isn: h.Seq, owner: sender}
	}
}

// numbers returns SEG.SEQ and SEG.ACK as they are to be printed.
func (b *seqBases) numbers(h *emulator.SegmentHeader) (seq, ack uint32) {
	seq, ack = uint32(h.Seq), uint32(h.Ack)
	if b.absolute {
		return
	}
	if s, ok := b.bases[direction{h.Src, h.Dst}]; ok {
		seq = uint32(s.isn.Size(h.Seq))
	}
	if r, ok := b.bases[direction{h.Dst, h.Src}]; ok {
		ack = uint32(r.isn.Size(h.Ack))
	}
	return
}
