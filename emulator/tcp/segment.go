package tcp

import (
	"strconv"
	"strings"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
)

// AddrID is an opaque handle for an ip:port, assigned by the endpoint's
// owner. The machine only copies it between segments and its TCB.
type AddrID uint32

// Flags are the TCP header's control bits, in header bit order.
type Flags uint8

// The control bits of RFC 9293 §3.1 (and RFC 3168's ECE and CWR).
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

var flagNames = [8]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"}

// Has reports whether every bit of g is set.
func (f Flags) Has(g Flags) bool { return f&g == g }

// String lists the set bits in RFC 9293's order SYN,ACK style
// ("SYN,ACK"); an empty set is "".
func (f Flags) String() string {
	order := [...]Flags{SYN, RST, FIN, PSH, ACK, URG, ECE, CWR}
	var b strings.Builder
	for _, g := range order {
		if f&g != 0 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(flagNames[bitIndex(g)])
		}
	}
	return b.String()
}

func bitIndex(g Flags) int {
	for i := 0; i < 8; i++ {
		if g == 1<<i {
			return i
		}
	}
	return 0
}

// ParseFlags reads a list such as "SYN,ACK" or "S." (packetdrill's letters:
// S F R P . U E W). Unknown names fail.
func ParseFlags(s string) (Flags, bool) {
	var f Flags
	if s == "" {
		return 0, true
	}
	if !strings.ContainsAny(s, ",") && strings.Trim(s, "SFRP.UEW") == "" {
		for _, c := range s {
			f |= letterFlag(c)
		}
		return f, true
	}
	for _, part := range strings.Split(s, ",") {
		ok := false
		for i, n := range flagNames {
			if strings.EqualFold(strings.TrimSpace(part), n) {
				f |= 1 << i
				ok = true
			}
		}
		if !ok {
			return 0, false
		}
	}
	return f, true
}

// letterFlag maps packetdrill's one-letter flag names.
func letterFlag(c rune) Flags {
	switch c {
	case 'S':
		return SYN
	case 'F':
		return FIN
	case 'R':
		return RST
	case 'P':
		return PSH
	case '.':
		return ACK
	case 'U':
		return URG
	case 'E':
		return ECE
	case 'W':
		return CWR
	}
	return 0
}

// Options are the TCP options the emulator models (RFC 9293 §3.2, RFC 7323,
// RFC 2018). A zero MSS means the option is absent.
type Options struct {
	MSS           uint16
	WScale        uint8
	HasWScale     bool
	SACKPermitted bool
	HasTimestamps bool
	TSVal, TSEcr  uint32
}

// MaxPayload is the most payload one segment can carry: an IPv4
// datagram's total length is a 16-bit field (RFC 791 §3.1), so no TCP
// segment holds more than 65535 octets (fewer, after the headers). Events
// record payload lengths in 16 bits on the strength of it.
const MaxPayload = 65535

// Segment is one TCP segment as the emulator moves it: addresses (as owner
// handles), header fields and payload. Payload bytes are never modified once
// a segment is sent, so copies of a Segment may share them.
type Segment struct {
	Src, Dst AddrID
	Seq, Ack seqnum.Value
	Flags    Flags
	Window   uint16
	Urgent   uint16
	Options  Options
	Payload  []byte
}

// Len is SEG.LEN of RFC 9293 §3.4: the payload's octets plus one for SYN
// and one for FIN, each of which occupies a sequence number.
func (s *Segment) Len() seqnum.Size {
	n := seqnum.Size(len(s.Payload))
	if s.Flags&SYN != 0 {
		n++
	}
	if s.Flags&FIN != 0 {
		n++
	}
	return n
}

// End is the sequence number after the segment: SEG.SEQ + SEG.LEN.
func (s *Segment) End() seqnum.Value { return s.Seq.Add(s.Len()) }

// String renders the segment in RFC 9293's notation,
// "<SEQ=100><ACK=301><CTL=SYN,ACK>", with the payload length when there is one.
func (s *Segment) String() string {
	var b strings.Builder
	b.WriteString("<SEQ=")
	b.WriteString(strconv.FormatUint(uint64(s.Seq), 10))
	b.WriteString(">")
	if s.Flags&ACK != 0 {
		b.WriteString("<ACK=")
		b.WriteString(strconv.FormatUint(uint64(s.Ack), 10))
		b.WriteString(">")
	}
	if s.Flags != 0 {
		b.WriteString("<CTL=")
		b.WriteString(s.Flags.String())
		b.WriteString(">")
	}
	if len(s.Payload) > 0 {
		b.WriteString("<DATA=")
		b.WriteString(strconv.Itoa(len(s.Payload)))
		b.WriteString(">")
	}
	return b.String()
}

// ResetFor returns the reset a host sends in reply to seg when no connection
// exists for it (RFC 9293 §3.10.7.1, and §3.5.2 "Reset Generation"): if the
// segment has ACK, <SEQ=SEG.ACK><CTL=RST>; otherwise
// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. A RST is never answered, so ok
// is false for one.
func ResetFor(seg *Segment) (rst Segment, ok bool) {
	if seg.Flags&RST != 0 {
		return Segment{}, false
	}
	rst = Segment{Src: seg.Dst, Dst: seg.Src}
	if seg.Flags&ACK != 0 {
		rst.Seq = seg.Ack
		rst.Flags = RST
	} else {
		rst.Seq = 0
		rst.Ack = seg.End()
		rst.Flags = RST | ACK
	}
	return rst, true
}
