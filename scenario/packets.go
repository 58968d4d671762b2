package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// flagsOf turns packetdrill's letters into flags (the parser checked them).
func flagsOf(letters string) tcp.Flags {
	f, _ := tcp.ParseFlags(letters)
	return f
}

// inbound injects a "<" line's segment from the script's host.
func (r *runner) inbound(ev *Event) error {
	pk := ev.Packet
	t, err := r.target(ev.On)
	if err != nil {
		return err
	}
	seg := tcp.Segment{
		Flags:   flagsOf(pk.Flags),
		Seq:     RemoteISN.Add(seqnum.Size(pk.Seq)),
		Window:  65535,
		Payload: make([]byte, pk.Len),
	}
	if pk.HasAck {
		// Relative to the endpoint's ISN for this connection, once its SYN
		// or SYN-ACK has shown it.
		seg.Ack = r.iss[t].Add(seqnum.Size(pk.Ack))
	}
	if pk.HasWin {
		seg.Window = pk.Win
		if shift, ok := r.wscale[t]; ok && seg.Flags&tcp.SYN == 0 {
			// The script's windows assume the scaling its SYN offered (RFC
			// 7323 §2.3; Linux always agrees to it). The emulator does not
			// scale, so the segment carries the octets the script means,
			// capped at what 16 bits hold.
			seg.Window = uint16(min(uint32(pk.Win)<<shift, tcp.MaxWindow))
		}
	}
	for _, o := range pk.Options {
		switch o.Kind {
		case "mss":
			seg.Options.MSS = uint16(o.Value)
		case "wscale":
			seg.Options.HasWScale, seg.Options.WScale = true, uint8(o.Value)
			if seg.Flags&tcp.SYN != 0 {
				r.wscale[t] = min(o.Value, 14)
			}
			r.noteOnce("wscale", o.Pos, fmt.Sprintf("window scaling is not modelled: the script's later windows are read as scaled by %d and injected in octets (at most 65535)", min(o.Value, 14)))
		case "sackOK":
			seg.Options.SACKPermitted = true
		case "TS":
			seg.Options.HasTimestamps, seg.Options.TSVal, seg.Options.TSEcr = true, o.TSVal, o.TSEcr
		case "nop", "eol":
		default:
			r.noteOnce("in-"+o.Kind, o.Pos, fmt.Sprintf("inbound option %s is not modelled and has no effect", o.Kind))
		}
	}
	evs, err := r.d.Inject(t.remote, t.local, seg)
	if err != nil {
		return fmt.Errorf("inject: %w", err)
	}
	r.see(evs)
	return nil
}

func (r *runner) noteOnce(key string, pos Pos, text string) {
	if !r.noted[key] {
		r.noted[key] = true
		r.res.Notes = append(r.res.Notes, Note{Pos: pos, Text: text})
	}
}

// outbound matches a ">" line against the next segment the endpoint sent to
// the script's host, waiting on the clock (up to the line's time plus the
// tolerance) for one to come.
func (r *runner) outbound(ev *Event, at, lo, hi time.Duration) error {
	if ev.Time.Kind == TimeAny {
		at, lo, hi = r.d.Now(), 0, r.d.Now()+maxWait
	}
	want, err := r.target(ev.On)
	if err != nil {
		return err
	}
	for len(r.queue) == 0 && r.d.Now() < hi {
		if r.pending != nil {
			if err := r.checkPending(); err != nil {
				return err
			}
		}
		evs, err := r.d.Advance(hi, true)
		if err != nil {
			return fmt.Errorf("advance the clock: %w", err)
		}
		r.see(evs)
	}
	if r.pending != nil {
		if err := r.checkPending(); err != nil {
			return err
		}
	}
	pk := ev.Packet
	if len(r.queue) == 0 {
		return r.why(r.fail(fmt.Sprintf("expected %s by %v; the endpoint sent nothing", packetText(pk), hi),
			packetText(pk), "nothing sent"), r.lastTransition(r.endpointOf(want)))
	}
	o := r.merge(pk)
	got := r.segText(o)
	if o.t != want {
		return r.why(r.fail(fmt.Sprintf("expected %s on %v → %v; the endpoint sent %s on %v → %v",
			packetText(pk), want.local, want.remote, got, o.t.local, o.t.remote),
			packetText(pk), got), o.rule)
	}
	if msg := r.compare(pk, o); msg != "" {
		return r.why(r.fail(msg, packetText(pk), got), o.rule)
	}
	switch {
	case o.at < lo:
		return r.why(r.fail(fmt.Sprintf("timing: %s was sent at %v, expected at %v (tolerance %v)", got, o.at, at, r.tol),
			fmt.Sprintf("at %v", at), fmt.Sprintf("at %v", o.at)), o.rule)
	case o.at > hi:
		return r.why(r.fail(fmt.Sprintf("timing: %s was sent at %v, expected by %v", got, o.at, hi),
			fmt.Sprintf("at %v", at), fmt.Sprintf("at %v", o.at)), o.rule)
	}
	// The next relative time counts from the line's time; after "*" or a
	// range, from when the segment was actually sent.
	r.prevBase = r.base
	if ev.Time.Kind == TimeRelative || ev.Time.Kind == TimeAbsolute {
		r.base = at
	} else {
		r.base = o.at
	}
	return nil
}

// merge takes the next segment off the queue. When the line expects more
// payload than it carries, later segments sent at the same instant on the
// same connection, back to back in sequence space, are taken with it: the
// segment-aggregation rule (packetdrill checks a TSO burst against one
// line; the emulator sends MSS-sized pieces).
func (r *runner) merge(pk *Packet) outSeg {
	o := r.queue[0]
	r.queue = r.queue[1:]
	for int(o.h.Len) < int(pk.Len) && len(r.queue) > 0 && o.h.Flags&(tcp.SYN|tcp.FIN|tcp.RST) == 0 {
		n := r.queue[0]
		if n.t != o.t || n.at != o.at || n.h.Seq != o.h.Seq.Add(seqnum.Size(o.h.Len)) || n.h.Ack != o.h.Ack ||
			n.h.Flags&^(tcp.PSH|tcp.FIN) != o.h.Flags&^tcp.PSH {
			break
		}
		o.h.Len += n.h.Len
		o.h.Flags |= n.h.Flags
		o.h.Window = n.h.Window
		r.queue = r.queue[1:]
	}
	return o
}

// rel gives a segment's SEQ and ACK as the script writes them.
func (r *runner) rel(o outSeg) (seq, ack uint32) {
	return uint32(r.iss[o.t].Size(o.h.Seq)), uint32(RemoteISN.Size(o.h.Ack))
}

// compare checks a segment against a ">" line; "" means it matches.
func (r *runner) compare(pk *Packet, o outSeg) string {
	seq, ack := r.rel(o)
	want := flagsOf(pk.Flags)
	var diffs []string
	if o.h.Flags != want {
		diffs = append(diffs, fmt.Sprintf("flags %s, expected %s", letters(o.h.Flags), letters(want)))
	}
	if seq != pk.Seq {
		diffs = append(diffs, fmt.Sprintf("seq %d, expected %d", seq, pk.Seq))
	}
	if uint32(o.h.Len) != uint32(pk.Len) {
		diffs = append(diffs, fmt.Sprintf("payload %d octets, expected %d", o.h.Len, pk.Len))
	}
	switch {
	case pk.HasAck && o.h.Flags&tcp.ACK == 0:
		// packetdrill compares the ACK field whatever the flags; a segment
		// without the ACK bit has no acknowledgment to match a written one.
		diffs = append(diffs, fmt.Sprintf("no ACK, expected ack %d", pk.Ack))
	case pk.HasAck && ack != pk.Ack:
		diffs = append(diffs, fmt.Sprintf("ack %d, expected %d", ack, pk.Ack))
	}
	if pk.HasWin && o.h.Window != pk.Win {
		diffs = append(diffs, fmt.Sprintf("win %d, expected %d", o.h.Window, pk.Win))
	}
	if d := r.compareOptions(pk, o); d != "" {
		diffs = append(diffs, d)
	}
	if len(diffs) == 0 {
		return ""
	}
	return "segment mismatch: " + strings.Join(diffs, "; ")
}

// compareOptions checks the options the emulator models (MSS) exactly and
// notes the ones it does not (window scale, SACK, timestamps, …): those
// are never compared, and the verdict says so.
func (r *runner) compareOptions(pk *Packet, o outSeg) string {
	if pk.AnyOpts {
		return ""
	}
	var wantMSS uint32
	var skipped []string
	for _, opt := range pk.Options {
		switch opt.Kind {
		case "mss":
			wantMSS = opt.Value
		case "nop", "eol":
		default:
			skipped = append(skipped, opt.Text)
		}
	}
	if len(skipped) > 0 {
		r.res.Notes = append(r.res.Notes, Note{Pos: r.line.Pos,
			Text: "not compared (options the emulator does not model): " + strings.Join(skipped, ", ")})
	}
	got := uint32(o.h.MSS)
	switch {
	case wantMSS == 0 && got != 0:
		return fmt.Sprintf("options <mss %d>, expected no MSS option", got)
	case wantMSS != 0 && got == 0:
		return fmt.Sprintf("no MSS option, expected mss %d", wantMSS)
	case wantMSS != got:
		return fmt.Sprintf("mss %d, expected %d", got, wantMSS)
	}
	return ""
}

// letters writes flags as packetdrill does ("S.", "F.", "R", ".").
func letters(f tcp.Flags) string {
	var b strings.Builder
	for _, x := range []struct {
		f tcp.Flags
		c byte
	}{{tcp.SYN, 'S'}, {tcp.FIN, 'F'}, {tcp.RST, 'R'}, {tcp.PSH, 'P'}, {tcp.URG, 'U'}, {tcp.ECE, 'E'}, {tcp.CWR, 'W'}} {
		if f&x.f != 0 {
			b.WriteByte(x.c)
		}
	}
	if f&tcp.ACK != 0 {
		b.WriteByte('.')
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// segText writes a segment the endpoint sent in the script's notation.
func (r *runner) segText(o outSeg) string {
	seq, ack := r.rel(o)
	s := fmt.Sprintf("%s %d:%d(%d)", letters(o.h.Flags), seq, seq+uint32(o.h.Len), o.h.Len)
	if o.h.Flags&tcp.ACK != 0 {
		s += " ack " + strconv.FormatUint(uint64(ack), 10)
	}
	s += " win " + strconv.Itoa(int(o.h.Window))
	if o.h.MSS != 0 {
		s += " <mss " + strconv.Itoa(int(o.h.MSS)) + ">"
	}
	return s
}

// packetText writes a line's expected segment back in its own notation.
func packetText(pk *Packet) string {
	f := pk.Flags
	if f == "" {
		f = "-"
	}
	s := fmt.Sprintf("%s %d:%d(%d)", f, pk.Seq, pk.Seq+uint32(pk.Len), pk.Len)
	if pk.HasAck {
		s += " ack " + strconv.FormatUint(uint64(pk.Ack), 10)
	}
	if pk.HasWin {
		s += " win " + strconv.Itoa(int(pk.Win))
	}
	switch {
	case pk.AnyOpts:
		s += " <...>"
	case len(pk.Options) > 0:
		parts := make([]string, len(pk.Options))
		for i, o := range pk.Options {
			parts[i] = o.Text
		}
		s += " <" + strings.Join(parts, ",") + ">"
	}
	return s
}
