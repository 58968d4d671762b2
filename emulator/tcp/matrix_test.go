package tcp

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
)

// The SEGMENT ARRIVES matrix of issue 2: every incoming segment kind × every
// state × every sequence position × RFC 5961 off and on. The expected
// outcome of each cell — the reply segment and the next state, plus the
// error signalled to the user and the TIME-WAIT timer — comes from an
// oracle written from the text of RFC 9293 §3.10.7 (RFC 5961 §3–§5 when
// the switch is on, RFC 793 §3.9's "SYN in window → reset" when it is off).
// The oracle never calls the code under test; it reads only the fixture's
// story (ISS, IRS, what was exchanged) and RCV.WND, which is an input of
// the rules rather than a decision.
//
// The axes:
//
//   - segment: SYN, SYN-ACK, SYN-FIN, ACK, FIN, FIN-ACK, RST, RST-ACK, and
//     data (ten octets with PSH,ACK). Every ACK-bearing segment carries
//     SEG.ACK = SND.NXT — the peer acknowledges everything we sent, the
//     acceptable ACK of every state — and SEG.WND = 65535. Bad ACKs (RFC
//     5961 §5, SEG.ACK > SND.NXT, SYN-SENT's SEG.ACK =< ISS) have named
//     tests below.
//   - state: the eleven of RFC 9293 §3.3.2, with SYN-RECEIVED twice
//     (entered from LISTEN and from SYN-SENT: MUST-11 makes them differ).
//   - position of SEG.SEQ relative to RCV.NXT and RCV.WND. Left of
//     window: RCV.NXT − max(SEG.LEN, 1), the nearest unacceptable position
//     on the left, where a segment that occupies sequence space ends
//     exactly at RCV.NXT (an old duplicate; in TIME-WAIT, the retransmitted
//     FIN). Left edge: RCV.NXT. Inside: RCV.NXT + RCV.WND/2. Right edge:
//     RCV.NXT + RCV.WND − 1, the last sequence number in the window (longer
//     segments are trimmed). Right of window: RCV.NXT + RCV.WND, the
//     nearest unacceptable position on the right.
//     CLOSED, LISTEN and SYN-SENT have no receive window and their rules
//     never test SEG.SEQ (§3.10.7.1–3); there the axis collapses: the same
//     offsets are taken around a nominal RCV.NXT = IRS and RCV.WND = 65535,
//     and the oracle's outcome is the same at every position except for
//     reply fields computed from SEG.SEQ (the RST,ACK's and the SYN,ACK's
//     ACK). Running all five checks that SEG.SEQ is indeed ignored.
//   - RFC 5961: the rfc9293 profile with Config.RFC5961 off, then on.
//
// The oracle is in matrix_oracle_test.go, with the interpretations it
// makes where the RFC leaves a choice.

// segKind is the matrix's segment axis.
type segKind uint8

const (
	kindSYN segKind = iota
	kindSYNACK
	kindSYNFIN
	kindACK
	kindFIN
	kindFINACK
	kindRST
	kindRSTACK
	kindData
	numKinds
)

var kindNames = [numKinds]string{"SYN", "SYN-ACK", "SYN-FIN", "ACK", "FIN", "FIN-ACK", "RST", "RST-ACK", "data"}

var kindFlags = [numKinds]Flags{SYN, SYN | ACK, SYN | FIN, ACK, FIN, FIN | ACK, RST, RST | ACK, PSH | ACK}

// dataText is the data kind's payload.
const dataText = "0123456789"

// position is the matrix's sequence-position axis.
type position uint8

const (
	posLeft position = iota
	posLeftEdge
	posInside
	posRightEdge
	posRight
	numPositions
)

var positionNames = [numPositions]string{"left of window", "left edge", "inside", "right edge", "right of window"}

// offset is SEG.SEQ − RCV.NXT for a segment of length n at position p in a
// window of wnd (see the table above).
func (p position) offset(n, wnd int64) int64 {
	switch p {
	case posLeft:
		return -max(n, 1)
	case posLeftEdge:
		return 0
	case posInside:
		return wnd / 2
	case posRightEdge:
		return wnd - 1
	default:
		return wnd
	}
}

// segLen is SEG.LEN counted by the oracle itself (RFC 9293 §3.4: "the
// number of octets occupied by the data in the segment (counting SYN and
// FIN)"), not by Segment.Len.
func segLen(seg *Segment) int64 {
	n := int64(len(seg.Payload))
	if seg.Flags&SYN != 0 {
		n++
	}
	if seg.Flags&FIN != 0 {
		n++
	}
	return n
}

// diff is b − a as a signed distance on the sequence circle.
func diff(a, b seqnum.Value) int64 { return int64(int32(b - a)) }

// matrixRow is one state of the matrix and the fixture that reaches it.
type matrixRow struct {
	name  string
	build func(testing.TB, *Config) *fixture
}

var matrixRows = []matrixRow{
	{"CLOSED", closed},
	{"LISTEN", listening},
	{"SYN-SENT", synSent},
	{"SYN-RECEIVED (passive)", synReceivedPassive},
	{"SYN-RECEIVED (active)", synReceivedActive},
	{"ESTABLISHED", established},
	{"FIN-WAIT-1", finWait1},
	{"FIN-WAIT-2", finWait2},
	{"CLOSE-WAIT", closeWait},
	{"CLOSING", closing},
	{"LAST-ACK", lastAck},
	{"TIME-WAIT", timeWait},
}

// cell is one matrix entry: the fixture, the segment and the inputs the
// oracle reads.
type cell struct {
	row     string
	f       *fixture
	kind    segKind
	pos     position
	rfc5961 bool
	rcvNxt  seqnum.Value // RCV.NXT, or the nominal IRS where there is none
	rcvWnd  int64        // RCV.WND, or the nominal 65535 where there is none
	off     int64        // SEG.SEQ − RCV.NXT
	seg     Segment
}

// TestSegmentArrivesMatrix runs every cell and compares the endpoint's
// reply, next state, signals and TIME-WAIT timer with the oracle's.
func TestSegmentArrivesMatrix(t *testing.T) {
	cells, failed := 0, 0
	for _, rfc5961 := range []bool{false, true} {
		for _, row := range matrixRows {
			for k := segKind(0); k < numKinds; k++ {
				for p := position(0); p < numPositions; p++ {
					c := newCell(t, row, k, p, rfc5961)
					cells++
					if msg := runCell(c); msg != "" {
						failed++
						t.Error(msg)
					}
				}
			}
		}
	}
	if want := 2 * len(matrixRows) * int(numKinds) * int(numPositions); cells != want {
		t.Errorf("ran %d cells, want %d", cells, want)
	}
	t.Logf("%d cells, %d failed", cells, failed)
}

// newCell builds the fixture and the cell's segment.
func newCell(t testing.TB, row matrixRow, k segKind, p position, rfc5961 bool) cell {
	f := row.build(t, rfc9293Config(rfc5961))
	c := cell{row: row.name, f: f, kind: k, pos: p, rfc5961: rfc5961, rcvNxt: f.rcvNxt, rcvWnd: int64(f.ep.TCB().RcvWnd)}
	if f.state == Closed || f.state == Listen || f.state == SynSent {
		c.rcvNxt, c.rcvWnd = fxIRS, fxPeerWnd // the collapsed axis
	}
	payload := ""
	if k == kindData {
		payload = dataText
	}
	ack := f.sndNxt
	if f.state == Closed || f.state == Listen {
		ack = fxISS + 1
	}
	c.seg = peer(0, ack, kindFlags[k], payload)
	c.off = p.offset(segLen(&c.seg), c.rcvWnd)
	c.seg.Seq = c.rcvNxt.Add(seqnum.Size(c.off))
	return c
}

// runCell delivers the cell's segment and returns a description of every
// difference from the oracle, or "".
func runCell(c cell) string {
	want := expect(c)
	tw0, _ := c.f.ep.Deadline(TimerTimeWait)
	seg := c.seg
	sent := c.f.arrive(seg)
	rec := c.f.rec

	var diffs []string
	// The reply.
	wantSeg, hasWant := want.segment()
	switch {
	case !hasWant && len(sent) > 0:
		diffs = append(diffs, "an unexpected reply")
	case hasWant && len(sent) != 1:
		diffs = append(diffs, fmt.Sprintf("%d replies, want 1", len(sent)))
	case hasWant:
		got := sent[0]
		if !sameSegment(got.seg, wantSeg) {
			diffs = append(diffs, "a different reply")
		} else if isChallenge(got.rule) != (want.reply == replyChallenge) {
			diffs = append(diffs, fmt.Sprintf("reply sent as %s, want challenge ACK = %v", got.rule, want.reply == replyChallenge))
		}
	}
	// The next state, and the fork of a listener.
	got := c.f.ep.State()
	if got != want.next {
		diffs = append(diffs, "a different next state")
	}
	forked := len(rec.children) == 1 && rec.children[0].State() == SynReceived
	if want.fork != forked || (!want.fork && len(rec.children) > 0) {
		diffs = append(diffs, fmt.Sprintf("forked %d children, want fork = %v", len(rec.children), want.fork))
	}
	if want.fork && hasWant && len(sent) == 1 && sent[0].from == c.f.ep.ID {
		diffs = append(diffs, "the SYN,ACK came from the listener, not the forked connection")
	}
	// What the user is told.
	var wantSig []Error
	if want.signal != errNone {
		wantSig = []Error{want.signal}
	}
	if fmt.Sprint(rec.signals) != fmt.Sprint(wantSig) {
		diffs = append(diffs, fmt.Sprintf("signals %v, want %v", rec.signals, wantSig))
	}
	// The TCB goes away exactly when the connection ends (or a passive
	// SYN-RECEIVED dissolves back into its listener).
	wantRelease := (want.next == Closed && c.f.state != Closed) || (c.f.state == SynReceived && want.next == Listen)
	if (len(rec.released) > 0) != wantRelease {
		diffs = append(diffs, fmt.Sprintf("released = %v, want %v", len(rec.released) > 0, wantRelease))
	}
	// The 2MSL timer: started or restarted at this arrival, or untouched.
	if want.next == TimeWait && got == TimeWait {
		at, armed := c.f.ep.Deadline(TimerTimeWait)
		wantAt := tw0
		if want.twStart {
			wantAt = fxNow + c.f.ep.Config().TimeWait
		}
		if !armed || at != wantAt {
			diffs = append(diffs, fmt.Sprintf("TIME-WAIT timer armed=%v at %v, want at %v (restart = %v)", armed, at, wantAt, want.twStart))
		}
	}
	if len(diffs) == 0 {
		return ""
	}

	onoff := "off"
	if c.rfc5961 {
		onoff = "on"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s, RFC 5961 %s: %s %s %s (SEG.SEQ = RCV.NXT%+d; RCV.NXT=%d RCV.WND=%d SND.NXT=%d)\n",
		c.row, onoff, kindNames[c.kind], seg.String(), positionNames[c.pos], c.off, c.rcvNxt, c.rcvWnd, c.f.sndNxt)
	fmt.Fprintf(&b, "\t%s\n", strings.Join(diffs, "; "))
	wantSigText := "none"
	if want.signal != errNone {
		wantSigText = want.signal.Text()
	}
	fmt.Fprintf(&b, "\texpected: reply %s, next %s, signal %s, fork %v, 2MSL restart %v\n",
		want.describe(), want.next, wantSigText, want.fork, want.twStart)
	fmt.Fprintf(&b, "\tactual:   reply %s, next %s, signals %v, children %d\n", describeSent(sent), got, rec.signals, len(rec.children))
	fmt.Fprintf(&b, "\tRFC 9293 %s", want.why)
	return b.String()
}

// segment is the expected reply on the wire.
func (o outcome) segment() (Segment, bool) {
	if o.reply == replyNone {
		return Segment{}, false
	}
	seg := Segment{Src: fxLocal, Dst: fxRemote, Seq: o.seq, Flags: replyFlags[o.reply]}
	if seg.Flags&ACK != 0 {
		seg.Ack = o.ack
	}
	return seg, true
}

func (o outcome) describe() string {
	seg, ok := o.segment()
	if !ok {
		return "none"
	}
	if o.reply == replyChallenge {
		return seg.String() + " (challenge ACK)"
	}
	return seg.String()
}

func describeSent(sent []sentSeg) string {
	if len(sent) == 0 {
		return "none"
	}
	var parts []string
	for _, s := range sent {
		parts = append(parts, fmt.Sprintf("%s [%s]", s.seg.String(), s.rule))
	}
	return strings.Join(parts, ", ")
}

// sameSegment compares the fields a reply is specified by: addresses, SEQ,
// ACK (when the ACK bit is set), the control bits and an empty payload.
// The window is the sender's own business (§3.8.6).
func sameSegment(got, want Segment) bool {
	if got.Src != want.Src || got.Dst != want.Dst || got.Seq != want.Seq || got.Flags != want.Flags || len(got.Payload) != 0 {
		return false
	}
	return got.Flags&ACK == 0 || got.Ack == want.Ack
}

func isChallenge(r Rule) bool {
	return r == RuleRSTChallenge || r == RuleSYNChallenge || r == RuleACKChallenge
}
