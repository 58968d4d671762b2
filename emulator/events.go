package emulator

import (
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// EndpointID names an endpoint within its session; IDs start at 1 and are
// never reused.
type EndpointID uint32

// Kind is what an event records.
type Kind uint8

// The event kinds. Every change the session makes is one of these.
const (
	KindNone             Kind = iota
	KindStateChanged          // From → To, by Rule
	KindSegmentSent           // an endpoint (or a host, for a closed port) sent Seg, by Rule
	KindSegmentDelivered      // Seg reached the endpoint (or host) it was addressed to
	KindSegmentDropped        // the network lost Seg; Drop says why
	KindSegmentDiscarded      // the receiving endpoint dropped Seg, by Rule
	KindSegmentExternal       // Seg left the session for an external host
	KindTimerArmed            // Timer armed to fire at Value (ns)
	KindTimerFired            // Timer fired
	KindTimerCancelled        // Timer cancelled
	KindCall                  // a user call (Call) and its result (Err)
	KindDataReady             // Value octets of in-order data ready for RECEIVE
	KindSignal                // the error Err signalled to the user
	KindNote                  // a rule applied with no other visible effect
	KindEndpointCreated       // a new endpoint (Value: parent listener, if forked)
	KindEndpointRemoved       // an endpoint left the session's tables

	// Issue 3's impairments (paths and fault rules).
	KindSegmentDuplicated // the network made a copy of Seg; Value: the fault rule's ID, or 0 for the path's random draw
	KindSegmentDelayed    // the network held Seg back; Value: the fault rule's ID, or 0 for the path's random draw
	KindLink              // the link from host Seg.Src to host Seg.Dst (port 0) was cut (Value 1) or healed (Value 0)
	numKinds
)

var kindNames = [numKinds]string{
	"none", "state", "sent", "delivered", "dropped", "discarded", "external",
	"timer-armed", "timer-fired", "timer-cancelled", "call", "data", "signal",
	"note", "created", "removed", "duplicated", "delayed", "link",
}

// String is the kind's short name, as transcripts and the CLI print it.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "kind(?)"
}

// ParseKind finds a kind by its short name.
func ParseKind(name string) (Kind, bool) {
	for k, n := range kindNames {
		if n == name && k != 0 {
			return Kind(k), true
		}
	}
	return 0, false
}

// NumKinds is one past the largest Kind.
const NumKinds = int(numKinds)

// Cause is what set off an event: a user call, an arriving segment, or a
// timer (and the network's own scheduling, for drops).
type Cause uint8

// The causes.
const (
	CauseNone Cause = iota
	CauseCall
	CauseSegment
	CauseTimer
	numCauses
)

var causeNames = [numCauses]string{"none", "call", "segment", "timer"}

// String names the cause.
func (c Cause) String() string {
	if c < numCauses {
		return causeNames[c]
	}
	return "cause(?)"
}

// Call is a user call of RFC 9293 §3.10.
type Call uint8

// The calls.
const (
	CallNone Call = iota
	CallOpenPassive
	CallOpenActive
	CallSend
	CallReceive
	CallClose
	CallAbort
	CallStatus
	numCalls
)

var callNames = [numCalls]string{"none", "listen", "connect", "send", "receive", "close", "abort", "status"}

// String names the call.
func (c Call) String() string {
	if c < numCalls {
		return callNames[c]
	}
	return "call(?)"
}

// DropReason says why the network lost a segment.
type DropReason uint8

// The reasons.
const (
	DropNone      DropReason = iota
	DropNoHost               // addressed to no host in the session and not external
	DropLoss                 // the path's loss probability (issue: impairments)
	DropRule                 // a scripted fault rule
	DropPartition            // the link is cut
	DropCorrupt              // delivered with a bad checksum and discarded
	numDrops
)

var dropNames = [numDrops]string{"none", "no-host", "loss", "rule", "partition", "corrupt"}

// String names the reason.
func (d DropReason) String() string {
	if d < numDrops {
		return dropNames[d]
	}
	return "drop(?)"
}

// SegmentHeader is what an event keeps of a segment: its header and its
// payload's length. Addresses are the session's handles (see Session.Addr).
type SegmentHeader struct {
	Src, Dst tcp.AddrID
	Seq, Ack seqnum.Value
	Len      uint16 // payload octets: at most tcp.MaxPayload
	Window   uint16
	MSS      uint16
	Flags    tcp.Flags
}

func headerOf(seg *tcp.Segment) SegmentHeader {
	return SegmentHeader{
		Src: seg.Src, Dst: seg.Dst, Seq: seg.Seq, Ack: seg.Ack,
		Len: uint16(len(seg.Payload)), Window: seg.Window, Flags: seg.Flags, MSS: seg.Options.MSS,
	}
}

// SegLen is SEG.LEN: payload plus one each for SYN and FIN.
func (h SegmentHeader) SegLen() uint32 {
	n := uint32(h.Len)
	if h.Flags&tcp.SYN != 0 {
		n++
	}
	if h.Flags&tcp.FIN != 0 {
		n++
	}
	return n
}

// Event is one entry of a session's log. It holds codes and numbers only;
// package explain renders the words. Which fields mean something depends on
// Kind (see the Kind constants).
//
// An Event is 64 octets, one cache line: the log writes about sixty per
// connection lifecycle, and those writes were a fifth of the core's time
// at 72. Keep it there when adding a field (the header's 16-bit Len is
// what makes room: see tcp.MaxPayload).
type Event struct {
	Seq      uint64
	Time     time.Duration
	Endpoint EndpointID
	Kind     Kind
	Cause    Cause
	From, To tcp.State
	Rule     tcp.Rule
	Timer    tcp.Timer
	Call     Call
	Err      tcp.Error
	Drop     DropReason
	Seg      SegmentHeader
	Value    int64
}
