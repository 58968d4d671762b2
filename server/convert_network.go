package server

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Conversions for the session network: paths, partitions and fault rules.
// The checks here mirror the emulator's own (emulator/path.go, fault.go),
// so that a Batch can reject a bad operation before applying anything; the
// emulator's *ParamError stays a backstop, mapped by paramViolation.

// hostPair is one direction between two hosts, as the emulator keeps paths
// and cuts.
type hostPair struct{ src, dst netip.Addr }

// hostFromProto reads an Address that must name a whole host: the
// emulator keeps paths and partitions per pair of hosts, so a port other
// than 0 would promise something it cannot do.
func hostFromProto(a *pb.Address, field string, v *violations) netip.Addr {
	ap := addressFromProto(a, field, true, v)
	if a != nil && a.GetPort() != 0 && a.GetPort() <= math.MaxUint16 {
		v.add(field+".port", "must be 0: paths and partitions apply to whole hosts (every port), not to single ports; got %d", a.GetPort())
	}
	return ap.Addr()
}

// directionFromProto reads a src, dst pair of hosts; def is true when both
// are unset (the session default).
func directionFromProto(src, dst *pb.Address, srcField, dstField string, v *violations) (pair hostPair, def bool) {
	switch {
	case src == nil && dst == nil:
		return hostPair{}, true
	case src == nil:
		v.add(srcField, "required when %s is set (leave both unset for the session default)", dstField)
	case dst == nil:
		v.add(dstField, "required when %s is set (leave both unset for the session default)", srcField)
	}
	if src != nil {
		pair.src = hostFromProto(src, srcField, v)
	}
	if dst != nil {
		pair.dst = hostFromProto(dst, dstField, v)
	}
	return pair, false
}

// hostToProto writes a host as an Address with port 0.
func hostToProto(ip netip.Addr) *pb.Address { return &pb.Address{Ip: ip.String()} }

// probabilityFromProto reads a probability: exactly 0 to exactly 1.
func probabilityFromProto(p float64, field string, v *violations) float64 {
	if math.IsNaN(p) || p < 0 || p > 1 {
		v.add(field, "must be a probability from 0 to 1, got %v", p)
		return 0
	}
	return p
}

// boundedDuration reads an optional duration from 0 to the emulator's
// largest path delay; unset is 0.
func boundedDuration(d *durationpb.Duration, field string, v *violations) time.Duration {
	if d == nil {
		return 0
	}
	x := durationFromProto(d, field, v)
	if x > emulator.MaxPathDelay {
		v.add(field, "must be at most %v, got %v", emulator.MaxPathDelay, x)
	}
	return x
}

// pathSpec is a checked SetPath: which direction, and its conditions.
type pathSpec struct {
	pair hostPair
	def  bool
	path emulator.Path
}

// pathFromProto reads a Path; field is its path in the request ("path").
func pathFromProto(p *pb.Path, field string, v *violations) pathSpec {
	if p == nil {
		v.add(field, "required (an empty path is a perfect network)")
		return pathSpec{}
	}
	var ps pathSpec
	ps.pair, ps.def = directionFromProto(p.GetSrc(), p.GetDst(), field+".src", field+".dst", v)
	ps.path = emulator.Path{
		Delay:        boundedDuration(p.GetDelay(), field+".delay", v),
		Jitter:       boundedDuration(p.GetJitter(), field+".jitter", v),
		Loss:         probabilityFromProto(p.GetLoss(), field+".loss", v),
		Duplicate:    probabilityFromProto(p.GetDuplication(), field+".duplication", v),
		Reorder:      probabilityFromProto(p.GetReorder(), field+".reorder", v),
		ReorderDelay: boundedDuration(p.GetReorderDelay(), field+".reorder_delay", v),
	}
	if n := p.GetReorderBehind(); n > emulator.MaxBehind {
		v.add(field+".reorder_behind", "must be at most %d, got %d", emulator.MaxBehind, n)
	} else {
		ps.path.ReorderBehind = int(n)
	}
	if ps.path.Reorder > 0 && ps.path.ReorderDelay == 0 {
		v.add(field+".reorder_delay", "required when reorder is above 0: it is how long a reordered segment is held back (or, with reorder_behind, the longest)")
	}
	if b := p.GetBandwidth(); b > math.MaxInt64 {
		v.add(field+".bandwidth", "must be at most %d octets per second, got %d", int64(math.MaxInt64), b)
	} else {
		ps.path.Bandwidth = int64(b)
	}
	return ps
}

// pathToProto writes a path; def is the session default (no src, dst).
func pathToProto(pair hostPair, def bool, p emulator.Path) *pb.Path {
	out := &pb.Path{
		Delay:         durationToProto(max(p.Delay, 0)),
		Jitter:        durationToProto(p.Jitter),
		Loss:          p.Loss,
		Duplication:   p.Duplicate,
		Reorder:       p.Reorder,
		Bandwidth:     uint64(max(p.Bandwidth, 0)),
		ReorderBehind: uint32(max(p.ReorderBehind, 0)),
	}
	if p.ReorderDelay > 0 {
		out.ReorderDelay = durationToProto(p.ReorderDelay)
	}
	if !def {
		out.Src, out.Dst = hostToProto(pair.src), hostToProto(pair.dst)
	}
	return out
}

// partitionFromProto reads a Partition: two hosts, one way or both.
func partitionFromProto(p *pb.Partition, field string, v *violations) (pair hostPair, oneWay bool) {
	if p == nil {
		v.add(field, "required: set a and b")
		return hostPair{}, false
	}
	pair.src = hostFromProto(p.GetA(), field+".a", v)
	pair.dst = hostFromProto(p.GetB(), field+".b", v)
	if pair.src.IsValid() && pair.src == pair.dst {
		v.add(field+".b", "must be another host than a (%v): a host is never cut from itself", pair.src)
	}
	return pair, p.GetOneWay()
}

// The actions' field names, for messages.
const faultActions = "drop, delay, duplicate, corrupt or reorder"

// faultFromProto reads a FaultRule's match, action and lifetime; field is
// its path in the request ("fault_rule"). Output-only fields are ignored.
func faultFromProto(r *pb.FaultRule, field string, v *violations) emulator.Fault {
	var f emulator.Fault
	if r == nil {
		v.add(field, "required: set match and one action (%s)", faultActions)
		return f
	}
	m, mf := r.GetMatch(), field+".match"
	if m.GetSrc() != nil {
		f.From = addressFromProto(m.GetSrc(), mf+".src", true, v)
	}
	if m.GetDst() != nil {
		f.To = addressFromProto(m.GetDst(), mf+".dst", true, v)
	}
	switch {
	case m.GetFlags() != nil && m.GetFlagsInclude() != nil:
		v.add(mf+".flags_include", "set flags (exactly these bits) or flags_include (at least these bits), not both")
	case m.GetFlags() != nil:
		f.Flags, f.ExactFlags = flagsFromProto(m.GetFlags()), true
	case m.GetFlagsInclude() != nil:
		f.Flags = flagsFromProto(m.GetFlagsInclude())
	}
	if s := m.GetSeq(); s != nil {
		f.MatchSeq, f.SeqFirst, f.SeqLast = true, seqnum.Value(s.GetFirst()), seqnum.Value(s.GetLast())
	}
	if m != nil && (m.PayloadLengthMin != nil || m.PayloadLengthMax != nil) {
		f.MatchLen, f.MaxLen = true, math.MaxInt32
		if m.PayloadLengthMin != nil {
			f.MinLen = int(min(*m.PayloadLengthMin, math.MaxInt32))
		}
		if m.PayloadLengthMax != nil {
			f.MaxLen = int(min(*m.PayloadLengthMax, math.MaxInt32))
		}
		if f.MinLen > f.MaxLen {
			v.add(mf+".payload_length_max", "must not be less than payload_length_min (%d), got %d", f.MinLen, f.MaxLen)
		}
	}
	oneShot := !r.GetStanding() && r.GetCount() <= 1
	if n := m.GetOccurrence(); n > 1 {
		if !oneShot {
			v.add(mf+".occurrence", "above 1 only for a one-shot rule (standing false, count 0 or 1): the emulator acts on the Nth match only, then retires the rule")
		}
		f.Nth = int(min(n, math.MaxInt32))
	}
	if !r.GetStanding() {
		f.Count = int(min(max(r.GetCount(), 1), math.MaxInt32))
	}
	switch a := r.GetAction().(type) {
	case *pb.FaultRule_Drop:
		f.Action = emulator.FaultDrop
	case *pb.FaultRule_Delay:
		f.Action = emulator.FaultDelay
		f.Delay = boundedDuration(a.Delay.GetDelay(), field+".delay.delay", v)
		if f.Delay == 0 {
			v.add(field+".delay.delay", "required: a delay rule adds a positive delay")
		}
	case *pb.FaultRule_Duplicate:
		f.Action = emulator.FaultDuplicate
		f.Copies = int(max(a.Duplicate.GetCopies(), 1))
		if a.Duplicate.GetCopies() > emulator.MaxCopies {
			v.add(field+".duplicate.copies", "must be at most %d, got %d", emulator.MaxCopies, a.Duplicate.GetCopies())
		}
	case *pb.FaultRule_Corrupt:
		f.Action = emulator.FaultCorrupt
		c := a.Corrupt
		if c.Seq != nil || c.Ack != nil || c.Flags != nil || c.Window != nil {
			v.add(field+".corrupt", "rewriting seq, ack, flags or window in flight is not supported by the emulator yet; leave them unset (the checksum is broken and the receiver discards the segment), or inject a hand-made segment")
		}
	case *pb.FaultRule_Reorder:
		f.Action = emulator.FaultReorder
		if n := a.Reorder.GetAfter(); n > emulator.MaxBehind {
			v.add(field+".reorder.after", "must be at most %d, got %d", emulator.MaxBehind, n)
		} else {
			f.Behind = int(max(n, 1))
		}
		f.Delay = time.Second
		if a.Reorder.GetMaxHold() != nil {
			f.Delay = boundedDuration(a.Reorder.GetMaxHold(), field+".reorder.max_hold", v)
			if f.Delay == 0 {
				v.add(field+".reorder.max_hold", "must be positive (unset means 1s)")
			}
		}
	default:
		v.add(field+".action", "set exactly one action: %s", faultActions)
	}
	return f
}

// paramViolation turns the emulator's *ParamError into a field violation
// named as in the request; fields maps the emulator's field names to the
// request's paths. Other errors pass through.
func paramViolation(err error, fields map[string]string) error {
	pe, ok := err.(*emulator.ParamError)
	if !ok {
		return err
	}
	field, ok := fields[pe.Field]
	if !ok {
		field = pe.What + "." + pe.Field
	}
	return &invalidArgumentError{violations: []fieldViolation{{field: field, description: pe.Reason}}}
}

// pathParamFields maps emulator.Path's field names to SetPathRequest's.
var pathParamFields = map[string]string{
	"delay": "path.delay", "jitter": "path.jitter", "loss": "path.loss",
	"duplicate": "path.duplication", "reorder": "path.reorder",
	"reorder_delay": "path.reorder_delay", "reorder_behind": "path.reorder_behind",
	"bandwidth": "path.bandwidth",
}

// faultParamFields maps emulator.Fault's field names to
// CreateFaultRuleRequest's.
var faultParamFields = map[string]string{
	"action": "fault_rule.action", "delay": "fault_rule.delay.delay",
	"copies": "fault_rule.duplicate.copies", "behind": "fault_rule.reorder.after",
	"nth": "fault_rule.match.occurrence", "count": "fault_rule.count",
	"len": "fault_rule.match.payload_length_max",
}

// faultRuleName is "sessions/{session}/faultRules/{fault_rule}".
func faultRuleName(session, rule string) string {
	return sessionsCollection + "/" + session + "/" + faultRulesCollection + "/" + rule
}

// faultRuleRef names one fault rule of one session.
type faultRuleRef struct{ session, rule string }

func (r faultRuleRef) String() string { return faultRuleName(r.session, r.rule) }

// parseFaultRuleName reads "sessions/{session}/faultRules/{fault_rule}".
func parseFaultRuleName(name string) (faultRuleRef, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != sessionsCollection || parts[2] != faultRulesCollection ||
		!validID(parts[1]) || !validID(parts[3]) {
		return faultRuleRef{}, fmt.Errorf("want %q, got %q", "sessions/{session}/faultRules/{fault_rule}", name)
	}
	return faultRuleRef{session: parts[1], rule: parts[3]}, nil
}
