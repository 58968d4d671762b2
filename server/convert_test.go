package server

import (
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// The API spells states STATE_SYN_SENT, the emulator SYN-SENT: every state
// must map to the enum value of the same name, and back.
func TestStateConversionMatchesNamesBothWays(t *testing.T) {
	for s := tcp.State(0); int(s) < tcp.NumStates; s++ {
		p := stateToProto(s)
		want := "STATE_" + strings.ReplaceAll(s.String(), "-", "_")
		if p.String() != want {
			t.Errorf("%v → %v, want %s", s, p, want)
		}
		if back, ok := stateFromProto(p); !ok || back != s {
			t.Errorf("%v → %v → %v, %v", s, p, back, ok)
		}
	}
	if _, ok := stateFromProto(pb.State_STATE_UNSPECIFIED); ok {
		t.Error("STATE_UNSPECIFIED converted to a state")
	}
}

func TestTimerConversionMatchesNames(t *testing.T) {
	names := map[tcp.Timer]string{
		tcp.TimerRetransmit: "TIMER_RETRANSMISSION", tcp.TimerTimeWait: "TIMER_TIME_WAIT",
		tcp.TimerUserTimeout: "TIMER_USER_TIMEOUT", tcp.TimerFinWait2: "TIMER_FIN_WAIT_2",
		tcp.TimerDelayedACK: "TIMER_DELAYED_ACK", tcp.TimerPersist: "TIMER_PERSIST",
	}
	for tm := tcp.Timer(0); int(tm) < tcp.NumTimers; tm++ {
		if got := timerToProto(tm).String(); got != names[tm] {
			t.Errorf("%v → %s, want %s", tm, got, names[tm])
		}
	}
}

// Every RFC error the emulator can answer has an API value, and the
// emulator's "remote socket unspecified" is the API's foreign socket one.
func TestEveryTCPErrorHasAnAPIValue(t *testing.T) {
	for e := tcp.Error(1); int(e) < tcp.NumErrors; e++ {
		if tcpErrorToProto(e) == pb.TcpError_TCP_ERROR_UNSPECIFIED {
			t.Errorf("%v (%q) has no API value", int(e), e.Text())
		}
	}
	if got := tcpErrorToProto(tcp.ErrRemoteSocketUnspecified); got != pb.TcpError_TCP_ERROR_FOREIGN_SOCKET_UNSPECIFIED {
		t.Errorf("remote socket unspecified → %v", got)
	}
}

// Every event kind is reported, so the API's seq numbers never skip.
func TestEveryEventKindIsReported(t *testing.T) {
	for k := emulator.Kind(1); int(k) < emulator.NumKinds; k++ {
		got := kindToProto(k)
		if got == pb.EventKind_EVENT_KIND_UNSPECIFIED {
			t.Errorf("%v has no API kind", k)
		}
	}
}

func TestFlagsRoundTrip(t *testing.T) {
	for f := 0; f < 256; f++ {
		if got := flagsFromProto(flagsToProto(tcp.Flags(f))); got != tcp.Flags(f) {
			t.Fatalf("%v → %v", tcp.Flags(f), got)
		}
	}
}

func TestAddressFromProto(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      *pb.Address
		anyPort bool
		want    netip.AddrPort
		field   string // the violation expected, "" for none
	}{
		{"ipv4", addr("10.0.0.1", 80), false, netip.MustParseAddrPort("10.0.0.1:80"), ""},
		{"ipv6", addr("2001:db8::1", 443), false, netip.MustParseAddrPort("[2001:db8::1]:443"), ""},
		{"v4-mapped is unmapped", addr("::ffff:10.0.0.1", 80), false, netip.MustParseAddrPort("10.0.0.1:80"), ""},
		{"any port allowed", addr("10.0.0.1", 0), true, netip.MustParseAddrPort("10.0.0.1:0"), ""},
		{"missing", nil, false, netip.AddrPort{}, "a"},
		{"not an ip", addr("example.com", 80), false, netip.AddrPort{}, "a.ip"},
		{"unspecified ip", addr("0.0.0.0", 80), false, netip.MustParseAddrPort("0.0.0.0:80"), "a.ip"},
		{"port zero", addr("10.0.0.1", 0), false, netip.MustParseAddrPort("10.0.0.1:0"), "a.port"},
		{"port too big", addr("10.0.0.1", 65536), false, netip.MustParseAddrPort("10.0.0.1:0"), "a.port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v violations
			got := addressFromProto(tc.in, "a", tc.anyPort, &v)
			if tc.field == "" && len(v.list) > 0 || tc.field != "" && (len(v.list) != 1 || v.list[0].field != tc.field) {
				t.Fatalf("violations %+v, want field %q", v.list, tc.field)
			}
			if tc.field == "" && got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOverridesFromProto(t *testing.T) {
	mss, big, retries := uint32(1200), uint32(70000), uint32(3)
	rfc := true
	var v violations
	o := overridesFromProto(&pb.ProfileOverrides{
		TimeWait: durationpb.New(30 * time.Second), Mss: &mss, SynRetries: &retries, Rfc5961: &rfc,
	}, "session.profile_overrides", &v)
	if len(v.list) > 0 || *o.TimeWait != 30*time.Second || *o.MSS != 1200 || *o.SynRetries != 3 || !*o.RFC5961 || o.MSL != nil {
		t.Fatalf("overrides %+v, violations %+v", o, v.list)
	}
	v = violations{}
	overridesFromProto(&pb.ProfileOverrides{Mss: &big, Msl: durationpb.New(-time.Second)}, "p", &v)
	if len(v.list) != 2 || v.list[0].field != "p.msl" || v.list[1].field != "p.mss" {
		t.Fatalf("violations %+v", v.list)
	}
	if overridesFromProto(nil, "p", &v) != nil {
		t.Fatal("nil overrides converted to non-nil")
	}
}

// The effective profile has every field set, and applying it as overrides
// to the same profile changes nothing.
func TestEffectiveProfileRoundTrips(t *testing.T) {
	for _, name := range emulator.ProfileNames() {
		base, _ := emulator.LookupProfile(name)
		p := configToProto(&base)
		var v violations
		o := overridesFromProto(p, "p", &v)
		c, _ := emulator.LookupProfile(emulator.DefaultProfile)
		if err := o.Apply(&c); err != nil || len(v.list) > 0 {
			t.Fatalf("%s: %v %+v", name, err, v.list)
		}
		if c != base {
			t.Fatalf("%s: round trip\n got %+v\nwant %+v", name, c, base)
		}
	}
}

type fakeSource struct{}

func (fakeSource) endpointLabel(id emulator.EndpointID) string {
	return map[emulator.EndpointID]string{1: "a"}[id]
}
func (fakeSource) endpointRecord(emulator.EndpointID) *endpointRec {
	return &endpointRec{id: "a", addr: netip.MustParseAddrPort("10.0.0.1:1")}
}
func (fakeSource) sessionID() string { return "s" }
func (fakeSource) faultRuleName(id emulator.FaultID) string {
	if id == 0 {
		return ""
	}
	return "sessions/s/faultRules/r"
}
func (fakeSource) Addr(id tcp.AddrID) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(id)}), 1000)
}

func TestEventToProto(t *testing.T) {
	ko := eventOpts{lang: 1}
	sc := eventToProto(&emulator.Event{Seq: 0, Time: time.Second, Endpoint: 1, Kind: emulator.KindStateChanged,
		Cause: emulator.CauseSegment, From: tcp.SynSent, To: tcp.Established, Rule: tcp.RuleSynSentSynAck}, fakeSource{}, ko)
	if sc.Seq != 1 || sc.Endpoint != "a" || sc.Kind != pb.EventKind_EVENT_KIND_STATE_CHANGE ||
		sc.GetStateChange().FromState != pb.State_STATE_SYN_SENT || sc.GetStateChange().ToState != pb.State_STATE_ESTABLISHED ||
		sc.GetStateChange().Rule != "RFC 9293 §3.10.7.3" || sc.GetStateChange().Cause != pb.Cause_CAUSE_SEGMENT {
		t.Fatalf("state change %v", sc)
	}
	if ex := sc.GetStateChange().Explanation; !strings.ContainsFunc(ex, func(r rune) bool { return unicode.Is(unicode.Hangul, r) }) {
		t.Fatalf("explanation not in Korean: %q", ex)
	}
	omitted := eventToProto(&emulator.Event{Kind: emulator.KindStateChanged, Rule: tcp.RuleSynSentSynAck}, fakeSource{}, eventOpts{omit: true})
	if omitted.GetStateChange().Rule != "" || omitted.GetStateChange().Explanation != "" {
		t.Fatalf("omit_explanations kept texts: %v", omitted)
	}
	seg := eventToProto(&emulator.Event{Kind: emulator.KindSegmentDiscarded, Endpoint: 1, Rule: tcp.RuleUnacceptable,
		Seg: emulator.SegmentHeader{Src: 1, Dst: 2, Seq: 100, Ack: 301, Len: 5, Flags: tcp.SYN | tcp.ACK | tcp.FIN, MSS: 1460}}, fakeSource{}, eventOpts{})
	d := seg.GetSegmentDropped()
	if d == nil || d.Reason != pb.DropReason_DROP_REASON_NOT_ACCEPTABLE || d.SegLen != 7 || d.PayloadLength != 5 ||
		d.Header.Src.Ip != "10.0.0.1" || d.Header.Seq != 100 || d.Header.Ack != 301 || !d.Header.Flags.Syn || d.Header.Options.GetMss() != 1460 {
		t.Fatalf("discard %v", seg)
	}
	call := eventToProto(&emulator.Event{Kind: emulator.KindCall, Call: emulator.CallSend, Err: tcp.ErrConnectionClosing}, fakeSource{}, eventOpts{})
	if c := call.GetCall(); c.Error != pb.TcpError_TCP_ERROR_CONNECTION_CLOSING || c.Result != "error: connection closing" || c.Rule != "RFC 9293 §3.10.2" {
		t.Fatalf("call %v", call)
	}
	note := eventToProto(&emulator.Event{Kind: emulator.KindNote, Rule: tcp.RuleACKDuplicate}, fakeSource{}, eventOpts{}).GetNote()
	if note == nil || note.Rule != tcp.RuleACKDuplicate.Section() || note.Segment != nil {
		t.Fatalf("note %v: want the rule's citation and no segment", note)
	}
}
