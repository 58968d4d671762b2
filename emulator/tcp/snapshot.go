package tcp

import (
	"time"

	"github.com/tcpemu/tcpemu/emulator/internal/wire"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
)

// This file writes and reads one endpoint's part of a session snapshot
// (package emulator's snapshot.go frames it). Each type has one small pair
// of functions, field by field in declaration order; snapshot_fields_test.go
// fails when a field is added to a type here without a decision about it.

// AppendSnapshot writes the endpoint's state for a session snapshot: every
// field except the ones its owner restores — Owner and Scratch, and the
// Config, which the owner writes once per distinct value — and the timer
// generations. Generations only tell a schedule's stale items from its live
// ones; a snapshot keeps no stale items (each armed timer has exactly one
// item, whose deadline is written here), so RestoreSnapshot starts them
// afresh and two sessions in the same state encode alike whatever their
// timers' past.
func (e *Endpoint) AppendSnapshot(w *wire.Writer) {
	w.Uint(uint64(e.ID))
	w.Uint(uint64(e.Parent))
	w.Uint(uint64(e.Local))
	w.Uint(uint64(e.Remote))
	w.Byte(byte(e.state))
	w.Bool(e.passive)
	w.Uint(uint64(e.flags))
	w.Byte(byte(e.softErr))
	for _, v := range [...]seqnum.Value{e.iss, e.sndUna, e.sndNxt, e.sndWl1, e.sndWl2, e.sndUp} {
		w.Uint(uint64(v))
	}
	w.Uint(uint64(e.sndWnd))
	w.Uint(uint64(e.maxSndWnd))
	w.Uint(uint64(e.finSeq))
	w.Uint(uint64(e.recoverSeq))
	w.Uint(uint64(e.sndMSS))
	w.Uint(uint64(e.retries))
	w.Uint(uint64(e.probes))
	w.Uint(uint64(e.persistBackoff))
	for _, v := range [...]seqnum.Value{e.irs, e.rcvNxt, e.rcvUp, e.rcvAdv} {
		w.Uint(uint64(v))
	}
	w.Uint(uint64(e.tsRecent))
	w.Bytes(e.sndBuf)
	w.Bytes(e.rcvBuf)
	w.Uint(uint64(len(e.held)))
	for i := range e.held {
		appendHeld(w, &e.held[i])
	}
	w.Int(int64(e.srtt))
	w.Int(int64(e.rttvar))
	w.Int(int64(e.rto))
	w.Uint(uint64(e.rttSeq))
	w.Int(int64(e.rttStart))
	for _, d := range e.deadline {
		w.Int(int64(d))
	}
	w.Uint(uint64(e.armed))
	w.Int(int64(e.challengeStart))
	w.Int(int64(e.challengeCount))
	w.Int(int64(e.lastOOWAck))
}

// BufferedOctets is how many octets the endpoint's buffers hold (sent and
// unsent, received and not read, held out of order): the bulk of its
// snapshot.
func (e *Endpoint) BufferedOctets() int {
	n := len(e.sndBuf) + len(e.rcvBuf)
	for i := range e.held {
		n += len(e.held[i].data)
	}
	return n
}

func appendHeld(w *wire.Writer, h *heldText) {
	w.Uint(uint64(h.seq))
	w.Bytes(h.data)
	w.Bool(h.fin)
}

// RestoreSnapshot reads what AppendSnapshot wrote into e, which runs with
// cfg from then on; errors are left in r. Owner and Scratch are the
// caller's to set. The record's timers are armed, but nothing is scheduled:
// the owner schedules each armed timer (with TimerGen) where its snapshot
// put it.
func (e *Endpoint) RestoreSnapshot(r *wire.Reader, cfg *Config) {
	*e = Endpoint{cfg: cfg}
	e.ID = r.Uint32("endpoint ID")
	e.Parent = r.Uint32("parent")
	e.Local = AddrID(r.Uint32("local address"))
	e.Remote = AddrID(r.Uint32("remote address"))
	e.state = State(r.Enum("state", NumStates))
	e.passive = r.Bool("passive")
	e.flags = epFlag(r.Uint16("flags"))
	e.softErr = Error(r.Enum("last error", NumErrors))
	for _, v := range [...]*seqnum.Value{&e.iss, &e.sndUna, &e.sndNxt, &e.sndWl1, &e.sndWl2, &e.sndUp} {
		*v = seqnum.Value(r.Uint32("send sequence variable"))
	}
	e.sndWnd = r.Uint32("SND.WND")
	e.maxSndWnd = r.Uint32("MAX.SND.WND")
	e.finSeq = seqnum.Value(r.Uint32("FIN sequence number"))
	e.recoverSeq = seqnum.Value(r.Uint32("recovery point"))
	e.sndMSS = r.Uint16("SND.MSS")
	e.retries = r.Uint8("retries")
	e.probes = r.Uint8("probes")
	e.persistBackoff = r.Uint8("persist backoff")
	for _, v := range [...]*seqnum.Value{&e.irs, &e.rcvNxt, &e.rcvUp, &e.rcvAdv} {
		*v = seqnum.Value(r.Uint32("receive sequence variable"))
	}
	e.tsRecent = r.Uint32("TS.Recent")
	e.sndBuf = r.Bytes("send buffer")
	e.rcvBuf = r.Bytes("receive buffer")
	if n := r.Count("held pieces", 3); n > maxHeld {
		r.Failf("held pieces", "%d is more than the %d an endpoint keeps", n, maxHeld)
	} else if n > 0 {
		e.held = make([]heldText, n)
		for i := range e.held {
			e.held[i] = readHeld(r)
		}
	}
	e.srtt = time.Duration(r.Int("SRTT"))
	e.rttvar = time.Duration(r.Int("RTTVAR"))
	e.rto = time.Duration(r.Int("RTO"))
	e.rttSeq = seqnum.Value(r.Uint32("timed sequence number"))
	e.rttStart = time.Duration(r.Int("timing start"))
	for t := range e.deadline {
		e.deadline[t] = time.Duration(r.Int("timer deadline"))
	}
	e.armed = uint8(r.UintMax("armed timers", 1<<numTimers-1))
	e.challengeStart = time.Duration(r.Int("challenge window start"))
	e.challengeCount = int32(r.IntRange("challenge count", 0, 1<<31-1))
	e.lastOOWAck = time.Duration(r.Int("last out-of-window ACK"))
}

func readHeld(r *wire.Reader) heldText {
	return heldText{
		seq:  seqnum.Value(r.Uint32("held piece sequence number")),
		data: r.Bytes("held piece"),
		fin:  r.Bool("held FIN"),
	}
}

// AppendSegment writes a segment (a delivery in flight, a held or external
// one) for a session snapshot.
func AppendSegment(w *wire.Writer, s *Segment) {
	w.Uint(uint64(s.Src))
	w.Uint(uint64(s.Dst))
	w.Uint(uint64(s.Seq))
	w.Uint(uint64(s.Ack))
	w.Byte(byte(s.Flags))
	w.Uint(uint64(s.Window))
	w.Uint(uint64(s.Urgent))
	appendOptions(w, &s.Options)
	w.Bytes(s.Payload)
}

func appendOptions(w *wire.Writer, o *Options) {
	w.Uint(uint64(o.MSS))
	w.Uint(uint64(o.WScale))
	w.Bool(o.HasWScale)
	w.Bool(o.SACKPermitted)
	w.Bool(o.HasTimestamps)
	w.Uint(uint64(o.TSVal))
	w.Uint(uint64(o.TSEcr))
}

// maxSnapshotPayload bounds a restored segment's payload: an IPv4
// datagram's total length is a 16-bit field (RFC 791 §3.1), and events
// record payload lengths in 16 bits.
const maxSnapshotPayload = 65535

// ReadSegment reads what AppendSegment wrote; the payload is a copy.
func ReadSegment(r *wire.Reader) Segment {
	seg := readSegment(r)
	if len(seg.Payload) > maxSnapshotPayload {
		r.Failf("segment payload", "%d octets, more than a segment carries (%d)", len(seg.Payload), maxSnapshotPayload)
	}
	return seg
}

func readSegment(r *wire.Reader) Segment {
	return Segment{
		Src:     AddrID(r.Uint32("segment source")),
		Dst:     AddrID(r.Uint32("segment destination")),
		Seq:     seqnum.Value(r.Uint32("SEG.SEQ")),
		Ack:     seqnum.Value(r.Uint32("SEG.ACK")),
		Flags:   Flags(r.Byte("segment flags")),
		Window:  r.Uint16("SEG.WND"),
		Urgent:  r.Uint16("SEG.UP"),
		Options: readOptions(r),
		Payload: r.Bytes("segment payload"),
	}
}

func readOptions(r *wire.Reader) Options {
	return Options{
		MSS:           r.Uint16("MSS option"),
		WScale:        r.Uint8("window scale option"),
		HasWScale:     r.Bool("window scale present"),
		SACKPermitted: r.Bool("SACK-permitted"),
		HasTimestamps: r.Bool("timestamps present"),
		TSVal:         r.Uint32("TSval"),
		TSEcr:         r.Uint32("TSecr"),
	}
}

// AppendConfig writes a configuration for a session snapshot.
func AppendConfig(w *wire.Writer, c *Config) {
	for _, d := range [...]time.Duration{c.MSL, c.TimeWait, c.FinWait2Timeout, c.UserTimeout, c.RTOInitial, c.RTOMin, c.RTOMax} {
		w.Int(int64(d))
	}
	for _, n := range [...]int{c.SynRetries, c.SynAckRetries, c.DataRetries, c.SynLinearTimeouts} {
		w.Int(int64(n))
	}
	w.Bool(c.RFC5961)
	w.Int(int64(c.ChallengeACKLimit))
	for _, b := range [...]bool{c.RFC1337, c.RSTOnCloseWithUnreadData, c.TimeWaitRestartOnACK, c.TimeWaitAcceptSYN} {
		w.Bool(b)
	}
	w.Int(int64(c.OutOfWindowACKInterval))
	w.Bool(c.ResendSynAckOnDupSYN)
	w.Int(int64(c.DelayedACK))
	w.Uint(uint64(c.MSS))
	w.Uint(uint64(c.RcvBuf))
	w.Uint(uint64(c.SndBuf))
	w.Int(int64(c.Backlog))
}

// ReadConfig reads what AppendConfig wrote and validates it.
func ReadConfig(r *wire.Reader) Config {
	var c Config
	for _, d := range [...]*time.Duration{&c.MSL, &c.TimeWait, &c.FinWait2Timeout, &c.UserTimeout, &c.RTOInitial, &c.RTOMin, &c.RTOMax} {
		*d = time.Duration(r.Int("profile duration"))
	}
	for _, n := range [...]*int{&c.SynRetries, &c.SynAckRetries, &c.DataRetries, &c.SynLinearTimeouts} {
		*n = int(r.IntRange("profile retries", 0, 255))
	}
	c.RFC5961 = r.Bool("RFC 5961")
	c.ChallengeACKLimit = int(r.IntRange("challenge ACK limit", 0, 1<<31-1))
	for _, b := range [...]*bool{&c.RFC1337, &c.RSTOnCloseWithUnreadData, &c.TimeWaitRestartOnACK, &c.TimeWaitAcceptSYN} {
		*b = r.Bool("profile switch")
	}
	c.OutOfWindowACKInterval = time.Duration(r.Int("out-of-window ACK interval"))
	c.ResendSynAckOnDupSYN = r.Bool("resend SYN-ACK on duplicate SYN")
	c.DelayedACK = time.Duration(r.Int("delayed ACK"))
	c.MSS = r.Uint16("MSS")
	c.RcvBuf = r.Uint32("receive buffer size")
	c.SndBuf = r.Uint32("send buffer size")
	c.Backlog = int(r.IntRange("backlog", 0, 1<<31-1))
	if r.Err() == nil {
		if err := c.Validate(); err != nil {
			r.Failf("profile", "%v", err)
		}
	}
	return c
}
