package server

import (
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

func host(ip string) *pb.Address { return &pb.Address{Ip: ip} }

func dur(d time.Duration) *durationpb.Duration { return durationpb.New(d) }

// firstViolation runs a conversion and returns its first violation's
// field and description ("" when none).
func firstViolation(conv func(*violations)) (string, string) {
	var v violations
	conv(&v)
	if len(v.list) == 0 {
		return "", ""
	}
	return v.list[0].field, v.list[0].description
}

func TestPathFromProtoChecksEveryField(t *testing.T) {
	a, b := host("10.0.0.1"), host("10.0.0.2")
	for _, tc := range []struct {
		name  string
		path  *pb.Path
		field string // "" when valid
		desc  string
	}{
		{"the default, empty", &pb.Path{}, "", ""},
		{"a direction", &pb.Path{Src: a, Dst: b, Delay: dur(time.Millisecond), Loss: 1}, "", ""},
		{"missing", nil, "path", "required"},
		{"src without dst", &pb.Path{Src: a}, "path.dst", "required when path.src"},
		{"dst without src", &pb.Path{Dst: b}, "path.src", "required when path.dst"},
		{"a port", &pb.Path{Src: &pb.Address{Ip: "10.0.0.1", Port: 80}, Dst: b}, "path.src.port", "whole hosts"},
		{"not an ip", &pb.Path{Src: a, Dst: host("nope")}, "path.dst.ip", "not an IP"},
		{"loss above 1", &pb.Path{Loss: 1.5}, "path.loss", "probability"},
		{"negative loss", &pb.Path{Loss: -0.1}, "path.loss", "probability"},
		{"NaN duplication", &pb.Path{Duplication: math.NaN()}, "path.duplication", "probability"},
		{"reorder above 1", &pb.Path{Reorder: 2, ReorderDelay: dur(time.Millisecond)}, "path.reorder", "probability"},
		{"negative delay", &pb.Path{Delay: dur(-time.Second)}, "path.delay", "negative"},
		{"negative jitter", &pb.Path{Jitter: dur(-time.Nanosecond)}, "path.jitter", "negative"},
		{"delay beyond a day", &pb.Path{Delay: dur(25 * time.Hour)}, "path.delay", "at most 24h"},
		{"reorder without a hold", &pb.Path{Reorder: 0.5}, "path.reorder_delay", "required when reorder"},
		{"reorder behind too many", &pb.Path{ReorderBehind: 5000}, "path.reorder_behind", "at most 1024"},
		{"bandwidth beyond int64", &pb.Path{Bandwidth: math.MaxUint64}, "path.bandwidth", "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			field, desc := firstViolation(func(v *violations) { pathFromProto(tc.path, "path", v) })
			if field != tc.field || !strings.Contains(desc, tc.desc) {
				t.Fatalf("violation %q %q, want %q containing %q", field, desc, tc.field, tc.desc)
			}
		})
	}
}

// A path goes in and comes back out unchanged, and the emulator accepts
// every path the server accepts.
func TestPathRoundTripsThroughTheEmulator(t *testing.T) {
	in := &pb.Path{
		Src: host("10.0.0.1"), Dst: host("10.0.0.2"),
		Delay: dur(5 * time.Millisecond), Jitter: dur(time.Millisecond),
		Loss: 0.25, Duplication: 1, Reorder: 0.5, ReorderDelay: dur(3 * time.Millisecond), ReorderBehind: 2,
		Bandwidth: 125000,
	}
	var v violations
	ps := pathFromProto(in, "path", &v)
	if err := v.err(); err != nil || ps.def {
		t.Fatal(err, ps.def)
	}
	em, err := emulator.New(emulator.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := em.SetPath(ps.pair.src, ps.pair.dst, ps.path); err != nil {
		t.Fatalf("the emulator refused a path the server accepted: %v", err)
	}
	got, own := em.Path(ps.pair.src, ps.pair.dst)
	out := pathToProto(ps.pair, !own, got)
	if out.String() != in.String() {
		t.Fatalf("round trip:\n got %v\nwant %v", out, in)
	}
}

func TestPartitionFromProto(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     *pb.Partition
		field string
	}{
		{"two hosts", &pb.Partition{A: host("10.0.0.1"), B: host("10.0.0.2"), OneWay: true}, ""},
		{"missing", nil, "partition"},
		{"no b", &pb.Partition{A: host("10.0.0.1")}, "partition.b"},
		{"a port", &pb.Partition{A: host("10.0.0.1"), B: &pb.Address{Ip: "10.0.0.2", Port: 1}}, "partition.b.port"},
		{"a host from itself", &pb.Partition{A: host("10.0.0.1"), B: host("10.0.0.1")}, "partition.b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			field, desc := firstViolation(func(v *violations) { partitionFromProto(tc.p, "partition", v) })
			if field != tc.field {
				t.Fatalf("violation %q (%s), want %q", field, desc, tc.field)
			}
		})
	}
}

func TestFaultFromProtoChecksEveryField(t *testing.T) {
	drop := &pb.FaultRule_Drop{Drop: &pb.FaultDrop{}}
	one, zero := uint32(1), uint32(0)
	for _, tc := range []struct {
		name  string
		rule  *pb.FaultRule
		field string
		desc  string
	}{
		{"drop anything", &pb.FaultRule{Action: drop}, "", ""},
		{"missing", nil, "fault_rule", "required"},
		{"no action", &pb.FaultRule{}, "fault_rule.action", "set exactly one action"},
		{"both flag kinds", &pb.FaultRule{Action: drop, Match: &pb.FaultMatch{Flags: &pb.Flags{Syn: true}, FlagsInclude: &pb.Flags{Syn: true}}},
			"fault_rule.match.flags_include", "not both"},
		{"bad src", &pb.FaultRule{Action: drop, Match: &pb.FaultMatch{Src: host("x")}}, "fault_rule.match.src.ip", "not an IP"},
		{"min above max", &pb.FaultRule{Action: drop, Match: &pb.FaultMatch{PayloadLengthMin: &one, PayloadLengthMax: &zero}},
			"fault_rule.match.payload_length_max", "not be less"},
		{"occurrence on a standing rule", &pb.FaultRule{Action: drop, Standing: true, Match: &pb.FaultMatch{Occurrence: 2}},
			"fault_rule.match.occurrence", "one-shot"},
		{"occurrence with a count", &pb.FaultRule{Action: drop, Count: 3, Match: &pb.FaultMatch{Occurrence: 2}},
			"fault_rule.match.occurrence", "one-shot"},
		{"delay without a delay", &pb.FaultRule{Action: &pb.FaultRule_Delay{Delay: &pb.FaultDelay{}}}, "fault_rule.delay.delay", "required"},
		{"negative delay", &pb.FaultRule{Action: &pb.FaultRule_Delay{Delay: &pb.FaultDelay{Delay: dur(-time.Second)}}},
			"fault_rule.delay.delay", "negative"},
		{"too many copies", &pb.FaultRule{Action: &pb.FaultRule_Duplicate{Duplicate: &pb.FaultDuplicate{Copies: 65}}},
			"fault_rule.duplicate.copies", "at most 64"},
		{"rewriting corrupt", &pb.FaultRule{Action: &pb.FaultRule_Corrupt{Corrupt: &pb.FaultCorrupt{Seq: &one}}},
			"fault_rule.corrupt", "not supported"},
		{"reorder behind too many", &pb.FaultRule{Action: &pb.FaultRule_Reorder{Reorder: &pb.FaultReorder{After: 2000}}},
			"fault_rule.reorder.after", "at most 1024"},
		{"reorder with a zero hold", &pb.FaultRule{Action: &pb.FaultRule_Reorder{Reorder: &pb.FaultReorder{MaxHold: dur(0)}}},
			"fault_rule.reorder.max_hold", "positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			field, desc := firstViolation(func(v *violations) { faultFromProto(tc.rule, "fault_rule", v) })
			if field != tc.field || !strings.Contains(desc, tc.desc) {
				t.Fatalf("violation %q %q, want %q containing %q", field, desc, tc.field, tc.desc)
			}
		})
	}
}

// What the API's words mean in the emulator's terms.
func TestFaultFromProtoMeaning(t *testing.T) {
	src := &pb.Address{Ip: "10.0.0.2", Port: 80}
	for _, tc := range []struct {
		name string
		rule *pb.FaultRule
		want emulator.Fault
	}{
		{"the next SYN,ACK from the server, dropped", &pb.FaultRule{
			Match:  &pb.FaultMatch{Src: src, Flags: &pb.Flags{Syn: true, Ack: true}},
			Action: &pb.FaultRule_Drop{Drop: &pb.FaultDrop{}},
		}, emulator.Fault{From: netip.MustParseAddrPort("10.0.0.2:80"), Flags: tcp.SYN | tcp.ACK, ExactFlags: true, Action: emulator.FaultDrop, Count: 1}},
		{"the 2nd FIN delayed by 3 s", &pb.FaultRule{
			Match:  &pb.FaultMatch{FlagsInclude: &pb.Flags{Fin: true}, Occurrence: 2},
			Action: &pb.FaultRule_Delay{Delay: &pb.FaultDelay{Delay: dur(3 * time.Second)}},
		}, emulator.Fault{Flags: tcp.FIN, Nth: 2, Action: emulator.FaultDelay, Delay: 3 * time.Second, Count: 1}},
		{"every data segment duplicated", &pb.FaultRule{
			Standing: true, Match: &pb.FaultMatch{PayloadLengthMin: new(uint32(1))},
			Action: &pb.FaultRule_Duplicate{Duplicate: &pb.FaultDuplicate{}},
		}, emulator.Fault{MatchLen: true, MinLen: 1, MaxLen: math.MaxInt32, Action: emulator.FaultDuplicate, Copies: 1}},
		{"the first 3 held behind one, a second at most", &pb.FaultRule{
			Count: 3, Match: &pb.FaultMatch{Seq: &pb.SeqRange{First: 4294967290, Last: 10}},
			Action: &pb.FaultRule_Reorder{Reorder: &pb.FaultReorder{}},
		}, emulator.Fault{MatchSeq: true, SeqFirst: 4294967290, SeqLast: 10, Action: emulator.FaultReorder, Behind: 1, Delay: time.Second, Count: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v violations
			got := faultFromProto(tc.rule, "fault_rule", &v)
			if err := v.err(); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestFaultRuleNames(t *testing.T) {
	ref, err := parseFaultRuleName("sessions/s1/faultRules/drop-synack")
	if err != nil || ref.session != "s1" || ref.rule != "drop-synack" || ref.String() != "sessions/s1/faultRules/drop-synack" {
		t.Fatalf("%+v %v", ref, err)
	}
	for _, bad := range []string{"", "sessions/s1", "sessions/s1/endpoints/a", "sessions/s1/faultRules/", "sessions/s1/faultRules/Bad", "x/s1/faultRules/r"} {
		if _, err := parseFaultRuleName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSegmentToProtoCarriesOptionsAndPayload(t *testing.T) {
	seg := tcp.Segment{Seq: 7, Ack: 9, Flags: tcp.SYN | tcp.ACK, Window: 1000, Urgent: 3, Payload: []byte("hi"),
		Options: tcp.Options{MSS: 1460, WScale: 7, HasWScale: true, SACKPermitted: true, HasTimestamps: true, TSVal: 1, TSEcr: 2}}
	src, dst := netip.MustParseAddrPort("10.0.0.1:80"), netip.MustParseAddrPort("192.0.2.1:4000")
	p := segmentToProto(src, dst, &seg)
	var v violations
	s2, d2, back := segmentFromProto(p, "segment", 100, &v)
	if err := v.err(); err != nil || s2 != src || d2 != dst {
		t.Fatal(err, s2, d2)
	}
	if back.Seq != seg.Seq || back.Ack != seg.Ack || back.Flags != seg.Flags || back.Window != seg.Window ||
		back.Urgent != seg.Urgent || string(back.Payload) != "hi" || back.Options != seg.Options {
		t.Fatalf("round trip %+v, want %+v", back, seg)
	}
}
