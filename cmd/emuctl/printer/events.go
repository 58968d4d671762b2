package printer

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/ladder"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// SinkOptions say how a Sink draws events.
type SinkOptions struct {
	// Ladder asks for the ladder diagram instead of one line per event,
	// drawn with LadderOptions.
	Ladder        bool
	LadderOptions ladder.Options
	// Redraw clears the screen and draws the whole ladder after every
	// batch (a terminal given to the command alone, as watch's is);
	// otherwise each batch adds only its own rows.
	Redraw bool
	// Color colours the event lines' kinds.
	Color bool
}

// Sink receives a command's events as they come: a mutating command's
// response, a page of `events`, a batch of `watch`.
type Sink interface {
	Write(evs []*pb.Event) error
	// Close finishes the drawing (a ladder's last row); lines need nothing.
	Close() error
}

// NewSink is where every command's events are drawn for people: one line
// per event, or with o.Ladder a live ladder (see ladder.Live).
func NewSink(w io.Writer, o SinkOptions) Sink {
	if o.Ladder {
		return ladder.NewLive(w, o.LadderOptions, o.Redraw)
	}
	return &lineSink{w: w, color: o.Color}
}

// SinkFor is NewSink with the global flags' choices for output to w.
func SinkFor(g *cmdutil.Globals, w io.Writer) Sink {
	return NewSink(w, SinkOptions{Ladder: g.Ladder, LadderOptions: LadderOptions(g, w), Redraw: cmdutil.IsTerminal(w), Color: g.Colorful(w)})
}

// LadderOptions are the ladder's options for output to w: the global
// flags' language, numbering and colours, and w's width.
func LadderOptions(g *cmdutil.Globals, w io.Writer) ladder.Options {
	return ladder.Options{Lang: g.Lang, Absolute: g.Absolute, Color: g.Colorful(w), Width: cmdutil.Width(w)}
}

type lineSink struct {
	w     io.Writer
	color bool
	last  string // the explanation printed last
}

func (s *lineSink) Write(evs []*pb.Event) error {
	for _, ev := range evs {
		line := s.line(ev)
		if s.color {
			line = colorLine(line, ev)
		}
		if _, err := io.WriteString(s.w, line+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// line is EventLine, except that an explanation just printed (a rule that
// changed the state and sent a segment explains both) is not repeated:
// the rule's citation stands for it.
func (s *lineSink) line(ev *pb.Event) string {
	_, _, text := eventDetails(ev)
	if text != "" && text == s.last {
		return eventLine(ev, false)
	}
	if text != "" {
		s.last = text
	}
	return eventLine(ev, true)
}

func (s *lineSink) Close() error { return nil }

// Events draws evs with a line Sink: the table output of a mutating call.
func Events(w io.Writer, evs []*pb.Event, color bool) error {
	if len(evs) == 0 {
		return nil
	}
	return NewSink(w, SinkOptions{Color: color}).Write(evs)
}

// KindName is an event kind as emuctl spells it: "state-change".
func KindName(k pb.EventKind) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(k.String(), "EVENT_KIND_")), "_", "-")
}

// ParseKind reads a kind in any of its spellings: state-change,
// state_change, STATE_CHANGE, EVENT_KIND_STATE_CHANGE.
func ParseKind(s string) (pb.EventKind, bool) {
	u := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	if !strings.HasPrefix(u, "EVENT_KIND_") {
		u = "EVENT_KIND_" + u
	}
	v, ok := pb.EventKind_value[u]
	if !ok || v == 0 {
		return 0, false
	}
	return pb.EventKind(v), true
}

// KindNames are every kind's name, for --help and completion.
func KindNames() []string {
	var out []string
	for i := 1; i < len(pb.EventKind_name); i++ {
		out = append(out, KindName(pb.EventKind(i)))
	}
	return out
}

// StateName is a state in RFC 9293's spelling: SYN-RECEIVED.
func StateName(s pb.State) string {
	return strings.ReplaceAll(strings.TrimPrefix(s.String(), "STATE_"), "_", "-")
}

// ParseState reads a state as SYN-RECEIVED, syn_received or
// STATE_SYN_RECEIVED.
func ParseState(s string) (pb.State, bool) {
	u := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	if !strings.HasPrefix(u, "STATE_") {
		u = "STATE_" + u
	}
	v, ok := pb.State_value[u]
	if !ok || v == 0 {
		return 0, false
	}
	return pb.State(v), true
}

// Duration prints a virtual time or duration: "0s", "200ms", "1.5s",
// "240s" — seconds from one second up, as RFC 9293 and the seed write
// 2×MSL (not Go's "4m0s").
func Duration(d *durationpb.Duration) string {
	if d == nil {
		return ""
	}
	v := d.AsDuration()
	if v < time.Second && v > -time.Second {
		return v.String()
	}
	// Whole seconds and the decimal digits of the rest, from the integer
	// nanoseconds: a float would print 1.61 s as 1.6099999999999999s.
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	s := strconv.FormatInt(int64(v/time.Second), 10)
	if frac := int64(v % time.Second); frac != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%09d", frac), "0")
	}
	return sign + s + "s"
}

// EventLine is one event on one line: seq, virtual time, endpoint, kind,
// the details, and the rule with its explanation as the server wrote it.
//
//	#3     0s  client    state-change    CLOSED → SYN-SENT (call)  RFC 9293 §3.10.1: …
func EventLine(ev *pb.Event) string { return eventLine(ev, true) }

func eventLine(ev *pb.Event, explain bool) string {
	t := "0s"
	if ev.GetTime() != nil {
		t = Duration(ev.GetTime())
	}
	details, rule, text := eventDetails(ev)
	if !explain {
		text = ""
	}
	line := fmt.Sprintf("#%-5d %9s  %-10s %-18s %s", ev.GetSeq(), t, Dash(ev.GetEndpoint()), KindName(ev.GetKind()), details)
	switch {
	case rule != "" && text != "":
		line += "  " + rule + ": " + text
	case rule != "":
		line += "  " + rule
	case text != "":
		line += "  " + text
	}
	return strings.TrimRight(line, " ")
}

func eventDetails(ev *pb.Event) (details, rule, text string) {
	switch p := ev.GetPayload().(type) {
	case *pb.Event_StateChange:
		sc := p.StateChange
		return fmt.Sprintf("%s → %s (%s)", StateName(sc.FromState), StateName(sc.ToState), causeName(sc.Cause)), sc.Rule, sc.Explanation
	case *pb.Event_SegmentSent:
		return segment(p.SegmentSent)
	case *pb.Event_SegmentDelivered:
		return segment(p.SegmentDelivered)
	case *pb.Event_SegmentDropped:
		return segment(p.SegmentDropped)
	case *pb.Event_SegmentExternal:
		return segment(p.SegmentExternal)
	case *pb.Event_SegmentDuplicated:
		return segment(p.SegmentDuplicated)
	case *pb.Event_SegmentDelayed:
		return segment(p.SegmentDelayed)
	case *pb.Event_TimerArmed:
		return timer(p.TimerArmed, true)
	case *pb.Event_TimerFired:
		return timer(p.TimerFired, false)
	case *pb.Event_TimerCancelled:
		return timer(p.TimerCancelled, false)
	case *pb.Event_Call:
		c := p.Call
		return fmt.Sprintf("%s → %s", strings.TrimPrefix(c.Call.String(), "CALL_"), c.Result), c.Rule, c.Explanation
	case *pb.Event_DataDelivered:
		return fmt.Sprintf("%d octets readable", p.DataDelivered.Length), "", ""
	case *pb.Event_ErrorSignalled:
		e := p.ErrorSignalled
		return e.Text, e.Rule, e.Explanation
	case *pb.Event_EndpointCreated:
		e := p.EndpointCreated
		d := "local " + cmdutil.FormatAddress(e.Local)
		if e.Remote != nil {
			d += " remote " + cmdutil.FormatAddress(e.Remote)
		}
		if e.Parent != "" {
			d += " forked by " + cmdutil.LastSegment(e.Parent)
		}
		return d, "", ""
	case *pb.Event_EndpointRemoved:
		return "last state " + StateName(p.EndpointRemoved.LastState), "", ""
	case *pb.Event_Note:
		n := p.Note
		d := ""
		if n.Segment != nil {
			d = header(n.Segment)
		}
		return d, n.Rule, n.Explanation
	case *pb.Event_Link:
		l := p.Link
		what := "healed"
		if l.Cut {
			what = "cut"
		}
		return fmt.Sprintf("%s → %s %s", l.FromHost, l.ToHost, what), "", ""
	}
	return "", "", ""
}

func causeName(c pb.Cause) string {
	return strings.ToLower(strings.TrimPrefix(c.String(), "CAUSE_"))
}

// header is a segment in RFC 9293's notation, with its addresses:
// 10.0.0.1:40000 → 10.0.0.2:80 <SEQ=1000><ACK=2001><CTL=SYN,ACK><WND=65535>.
func header(h *pb.SegmentHeader) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s → %s <SEQ=%d>", cmdutil.FormatAddress(h.Src), cmdutil.FormatAddress(h.Dst), h.Seq)
	f := h.GetFlags()
	if f.GetAck() {
		fmt.Fprintf(&b, "<ACK=%d>", h.Ack)
	}
	fmt.Fprintf(&b, "<CTL=%s><WND=%d>", FlagsString(f), h.Window)
	if o := h.GetOptions(); o != nil && o.Mss != nil {
		fmt.Fprintf(&b, "<MSS=%d>", *o.Mss)
	}
	return b.String()
}

func segment(s *pb.SegmentEvent) (string, string, string) {
	d := header(s.Header)
	if s.PayloadLength > 0 {
		d += fmt.Sprintf(" len=%d", s.PayloadLength)
	}
	if s.Retransmission {
		d += " retransmission"
	}
	if s.Reason != pb.DropReason_DROP_REASON_UNSPECIFIED {
		d += " (" + strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(s.Reason.String(), "DROP_REASON_")), "_", " ") + ")"
	}
	if s.FaultRule != "" {
		d += " fault " + cmdutil.LastSegment(s.FaultRule)
	}
	if s.ArrivalTime != nil {
		d += " arrives " + Duration(s.ArrivalTime)
	}
	return d, s.Rule, s.Explanation
}

// TimerName is a timer as emuctl spells it: "time-wait".
func TimerName(t pb.Timer) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(t.String(), "TIMER_")), "_", "-")
}

func timer(t *pb.TimerEvent, armed bool) (string, string, string) {
	d := TimerName(t.Timer)
	if armed && t.Deadline != nil {
		d += " due " + Duration(t.Deadline)
	}
	if t.Attempt > 0 {
		d += fmt.Sprintf(" attempt %d", t.Attempt)
	}
	return d, t.Rule, t.Explanation
}

// flagOrder is the order people write the control bits in: "SYN,ACK",
// "FIN,ACK", "RST,ACK".
var flagOrder = []struct {
	name string
	get  func(*pb.Flags) bool
}{
	{"SYN", (*pb.Flags).GetSyn}, {"RST", (*pb.Flags).GetRst}, {"FIN", (*pb.Flags).GetFin}, {"PSH", (*pb.Flags).GetPsh},
	{"ACK", (*pb.Flags).GetAck}, {"URG", (*pb.Flags).GetUrg}, {"ECE", (*pb.Flags).GetEce}, {"CWR", (*pb.Flags).GetCwr},
}

// FlagsString is "SYN,ACK": the set bits in flagOrder; "none" for none.
func FlagsString(f *pb.Flags) string {
	var out []string
	for _, fl := range flagOrder {
		if fl.get(f) {
			out = append(out, fl.name)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ",")
}

// ParseFlags reads "SYN,ACK" (any case, comma or plus separated; "none"
// for no bits).
func ParseFlags(s string) (*pb.Flags, error) {
	f := &pb.Flags{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '+' || r == '|' || r == ' ' }) {
		switch strings.ToUpper(part) {
		case "FIN":
			f.Fin = true
		case "SYN":
			f.Syn = true
		case "RST":
			f.Rst = true
		case "PSH":
			f.Psh = true
		case "ACK":
			f.Ack = true
		case "URG":
			f.Urg = true
		case "ECE":
			f.Ece = true
		case "CWR":
			f.Cwr = true
		case "NONE", ".":
		default:
			return nil, fmt.Errorf("unknown flag %q: want SYN, ACK, FIN, RST, PSH, URG, ECE, CWR", part)
		}
	}
	return f, nil
}

// Mutation prints a mutating call's response: in table mode the summary
// line (if any) and the events it caused, one per line or with --ladder as
// a ladder diagram; in json and yaml the whole response.
func Mutation(g *cmdutil.Globals, m proto.Message, summary string, evs []*pb.Event) error {
	w := g.Out
	if g.Output != "table" {
		return Print(w, g.Output, m, nil)
	}
	if summary != "" {
		if _, err := io.WriteString(w, summary+"\n"); err != nil {
			return err
		}
	}
	if g.Ladder {
		if len(evs) == 0 {
			return nil
		}
		return ladder.Draw(w, evs, LadderOptions(g, w))
	}
	return Events(w, evs, g.Colorful(w))
}

// ParseKinds reads --kind values (repeatable or comma-separated).
func ParseKinds(ss []string) ([]pb.EventKind, error) {
	var out []pb.EventKind
	for _, s := range ss {
		k, ok := ParseKind(s)
		if !ok {
			return nil, cmdutil.Usagef("--kind %q: not an event kind; want one of %s", s, strings.Join(KindNames(), ", "))
		}
		out = append(out, k)
	}
	return out, nil
}

// EndpointIDs reads --endpoint values: events name endpoints by ID, so
// "s1/client" and "sessions/s1/endpoints/client" become "client".
func EndpointIDs(ss []string) []string {
	var out []string
	for _, s := range ss {
		out = append(out, cmdutil.LastSegment(s))
	}
	return out
}

// kindColors are the SGR codes of an event line's kind, in the ladder's
// palette: new states bold yellow, segments leaving green, losses and
// errors red, timers blue, calls cyan.
var kindColors = map[pb.EventKind]string{
	pb.EventKind_EVENT_KIND_STATE_CHANGE:    "1;33",
	pb.EventKind_EVENT_KIND_SEGMENT_SENT:    "32",
	pb.EventKind_EVENT_KIND_SEGMENT_DROPPED: "31",
	pb.EventKind_EVENT_KIND_ERROR_SIGNALLED: "31",
	pb.EventKind_EVENT_KIND_TIMER_ARMED:     "34",
	pb.EventKind_EVENT_KIND_TIMER_FIRED:     "1;34",
	pb.EventKind_EVENT_KIND_CALL:            "36",
}

// colorLine colours the kind in an event line (the first occurrence of
// its name, which follows the seq, time and endpoint columns).
func colorLine(line string, ev *pb.Event) string {
	code, ok := kindColors[ev.GetKind()]
	if !ok {
		return line
	}
	k := KindName(ev.GetKind())
	i := strings.Index(line, " "+k+" ")
	if i < 0 && strings.HasSuffix(line, " "+k) {
		i = len(line) - len(k) - 1
	}
	if i < 0 {
		return line
	}
	i++
	return line[:i] + "\x1b[" + code + "m" + k + "\x1b[0m" + line[i+len(k):]
}

// SegmentText is a whole segment in RFC 9293's notation with its
// addresses and its payload's length: what an external peer receives.
func SegmentText(s *pb.Segment) string {
	d := header(s.GetHeader())
	if n := len(s.GetPayload()); n > 0 {
		d += fmt.Sprintf(" len=%d %q", n, s.GetPayload())
	}
	return d
}

// OperationError is a failed operation of a Batch or of an external
// peer's send, as FormatError prints a gRPC status: the code, the message
// and the field it is about.
func OperationError(e *pb.OperationError) string {
	s := cmdutil.CodeName(codes.Code(e.GetCode())) + ": " + e.GetMessage()
	if e.GetField() != "" {
		s += " (field " + e.GetField() + ")"
	}
	return s
}
