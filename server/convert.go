package server

import (
	"fmt"
	"math"
	"net/netip"
	"sort"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Named conversions between the API's messages and the emulator's values.
// Every function here is pure; the ones reading requests report bad fields
// to a *violations by their path in the request.

// addressFromProto reads an ip:port. anyPort allows port 0.
func addressFromProto(a *pb.Address, field string, anyPort bool, v *violations) netip.AddrPort {
	if a == nil {
		v.add(field, "required")
		return netip.AddrPort{}
	}
	ip, err := netip.ParseAddr(a.GetIp())
	if err != nil || ip.Zone() != "" {
		v.add(field+".ip", "not an IP address: %q", a.GetIp())
		return netip.AddrPort{}
	}
	if ip.IsUnspecified() {
		v.add(field+".ip", "the unspecified address %v names no host", ip)
	}
	switch p := a.GetPort(); {
	case p > math.MaxUint16:
		v.add(field+".port", "must be 1-65535, got %d", p)
	case p == 0 && !anyPort:
		v.add(field+".port", "must be 1-65535, got 0")
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(a.GetPort()))
}

// addressToProto writes an ip:port; the zero address is unset.
func addressToProto(ap netip.AddrPort) *pb.Address {
	if !ap.IsValid() {
		return nil
	}
	return &pb.Address{Ip: ap.Addr().String(), Port: uint32(ap.Port())}
}

func durationToProto(d time.Duration) *durationpb.Duration { return durationpb.New(d) }

func timestampToProto(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// durationFromProto reads a non-negative duration.
func durationFromProto(d *durationpb.Duration, field string, v *violations) time.Duration {
	if err := d.CheckValid(); err != nil {
		v.add(field, "%v", err)
		return 0
	}
	x := d.AsDuration()
	if x < 0 {
		v.add(field, "must not be negative, got %v", x)
	}
	return x
}

// overridesFromProto reads profile overrides; nil when none are set.
// Range checks beyond the field's type are the emulator's (tcp.Config's
// Validate), whose *tcp.ConfigError names the field.
func overridesFromProto(o *pb.ProfileOverrides, field string, v *violations) *emulator.Overrides {
	if o == nil {
		return nil
	}
	var out emulator.Overrides
	dur := func(d *durationpb.Duration, name string) *time.Duration {
		if d == nil {
			return nil
		}
		x := durationFromProto(d, field+"."+name, v)
		return &x
	}
	out.MSL = dur(o.Msl, "msl")
	out.TimeWait = dur(o.TimeWait, "time_wait")
	out.FinWait2Timeout = dur(o.FinWait_2Timeout, "fin_wait_2_timeout")
	out.RTOInitial = dur(o.RtoInitial, "rto_initial")
	out.RTOMin = dur(o.RtoMin, "rto_min")
	out.RTOMax = dur(o.RtoMax, "rto_max")
	out.DelayedACK = dur(o.DelayedAck, "delayed_ack")
	out.UserTimeout = dur(o.UserTimeout, "user_timeout")
	out.OutOfWindowACKInterval = dur(o.OutOfWindowAckInterval, "out_of_window_ack_interval")
	count := func(p *uint32, name string, max uint32) *int {
		if p == nil {
			return nil
		}
		if *p > max {
			v.add(field+"."+name, "must be at most %d, got %d", max, *p)
		}
		x := int(*p)
		return &x
	}
	out.SynRetries = count(o.SynRetries, "syn_retries", 255)
	out.SynAckRetries = count(o.SynackRetries, "synack_retries", 255)
	out.DataRetries = count(o.DataRetries, "data_retries", 255)
	out.SynLinearTimeouts = count(o.SynLinearTimeouts, "syn_linear_timeouts", 255)
	out.ChallengeACKLimit = count(o.ChallengeAckLimit, "challenge_ack_limit", math.MaxInt32)
	out.Backlog = count(o.Backlog, "backlog", math.MaxInt32)
	out.RFC5961 = o.Rfc5961
	out.RFC1337 = o.Rfc1337
	out.RSTOnCloseWithUnreadData = o.RstOnCloseWithUnreadData
	out.TimeWaitRestartOnACK = o.TimeWaitRestartOnAck
	out.TimeWaitAcceptSYN = o.TimeWaitAcceptSyn
	out.ResendSynAckOnDupSYN = o.ResendSynackOnDupSyn
	out.SndBuf = o.SndBuf
	if o.Mss != nil {
		if *o.Mss > math.MaxUint16 {
			v.add(field+".mss", "must be at most 65535, got %d", *o.Mss)
		}
		m := uint16(*o.Mss)
		out.MSS = &m
	}
	out.RcvBuf = o.RcvWnd
	return &out
}

// overrideFieldName maps a tcp.ConfigError field to its ProfileOverrides
// field: the same names, except the receive buffer, which the API calls
// by the window it sets.
func overrideFieldName(coreField string) string {
	if coreField == "rcv_buf" {
		return "rcv_wnd"
	}
	return coreField
}

// configToProto is the effective profile: every field set.
func configToProto(c *tcp.Config) *pb.ProfileOverrides {
	u := func(x int) *uint32 { y := uint32(x); return &y }
	b := func(x bool) *bool { return &x }
	mss, rcv, snd := uint32(c.MSS), c.RcvBuf, c.SndBuf
	return &pb.ProfileOverrides{
		Msl:                      durationToProto(c.MSL),
		TimeWait:                 durationToProto(c.TimeWait),
		FinWait_2Timeout:         durationToProto(c.FinWait2Timeout),
		RtoInitial:               durationToProto(c.RTOInitial),
		RtoMin:                   durationToProto(c.RTOMin),
		RtoMax:                   durationToProto(c.RTOMax),
		SynRetries:               u(c.SynRetries),
		SynackRetries:            u(c.SynAckRetries),
		DataRetries:              u(c.DataRetries),
		SynLinearTimeouts:        u(c.SynLinearTimeouts),
		Rfc5961:                  b(c.RFC5961),
		ChallengeAckLimit:        u(c.ChallengeACKLimit),
		Rfc1337:                  b(c.RFC1337),
		RstOnCloseWithUnreadData: b(c.RSTOnCloseWithUnreadData),
		TimeWaitRestartOnAck:     b(c.TimeWaitRestartOnACK),
		TimeWaitAcceptSyn:        b(c.TimeWaitAcceptSYN),
		ResendSynackOnDupSyn:     b(c.ResendSynAckOnDupSYN),
		OutOfWindowAckInterval:   durationToProto(c.OutOfWindowACKInterval),
		SndBuf:                   &snd,
		DelayedAck:               durationToProto(c.DelayedACK),
		UserTimeout:              durationToProto(c.UserTimeout),
		Mss:                      &mss,
		RcvWnd:                   &rcv,
		Backlog:                  u(c.Backlog),
	}
}

// Enumerations. The API's enums start at 1 (0 is "unspecified"); the
// emulator's at 0. Tables, not arithmetic, so a reordering on either side
// shows up in the conversion tests.

var stateTable = [tcp.NumStates]pb.State{
	tcp.Closed:      pb.State_STATE_CLOSED,
	tcp.Listen:      pb.State_STATE_LISTEN,
	tcp.SynSent:     pb.State_STATE_SYN_SENT,
	tcp.SynReceived: pb.State_STATE_SYN_RECEIVED,
	tcp.Established: pb.State_STATE_ESTABLISHED,
	tcp.FinWait1:    pb.State_STATE_FIN_WAIT_1,
	tcp.FinWait2:    pb.State_STATE_FIN_WAIT_2,
	tcp.CloseWait:   pb.State_STATE_CLOSE_WAIT,
	tcp.Closing:     pb.State_STATE_CLOSING,
	tcp.LastAck:     pb.State_STATE_LAST_ACK,
	tcp.TimeWait:    pb.State_STATE_TIME_WAIT,
}

func stateToProto(s tcp.State) pb.State {
	if int(s) < len(stateTable) {
		return stateTable[s]
	}
	return pb.State_STATE_UNSPECIFIED
}

// stateFromProto reads a state; ok is false for STATE_UNSPECIFIED and
// unknown numbers.
func stateFromProto(s pb.State) (tcp.State, bool) {
	for core, p := range stateTable {
		if p == s {
			return tcp.State(core), true
		}
	}
	return 0, false
}

var timerTable = [tcp.NumTimers]pb.Timer{
	tcp.TimerRetransmit:  pb.Timer_TIMER_RETRANSMISSION,
	tcp.TimerTimeWait:    pb.Timer_TIMER_TIME_WAIT,
	tcp.TimerUserTimeout: pb.Timer_TIMER_USER_TIMEOUT,
	tcp.TimerFinWait2:    pb.Timer_TIMER_FIN_WAIT_2,
	tcp.TimerDelayedACK:  pb.Timer_TIMER_DELAYED_ACK,
	tcp.TimerPersist:     pb.Timer_TIMER_PERSIST,
}

func timerToProto(t tcp.Timer) pb.Timer {
	if int(t) < len(timerTable) {
		return timerTable[t]
	}
	return pb.Timer_TIMER_UNSPECIFIED
}

var callTable = map[emulator.Call]pb.Call{
	emulator.CallOpenPassive: pb.Call_CALL_OPEN,
	emulator.CallOpenActive:  pb.Call_CALL_OPEN,
	emulator.CallSend:        pb.Call_CALL_SEND,
	emulator.CallReceive:     pb.Call_CALL_RECEIVE,
	emulator.CallClose:       pb.Call_CALL_CLOSE,
	emulator.CallAbort:       pb.Call_CALL_ABORT,
	emulator.CallStatus:      pb.Call_CALL_STATUS,
}

// callSection is the RFC 9293 section that answers each call.
var callSection = map[emulator.Call]string{
	emulator.CallOpenPassive: "RFC 9293 §3.10.1",
	emulator.CallOpenActive:  "RFC 9293 §3.10.1",
	emulator.CallSend:        "RFC 9293 §3.10.2",
	emulator.CallReceive:     "RFC 9293 §3.10.3",
	emulator.CallClose:       "RFC 9293 §3.10.4",
	emulator.CallAbort:       "RFC 9293 §3.10.5",
	emulator.CallStatus:      "RFC 9293 §3.10.6",
}

var tcpErrorTable = map[tcp.Error]pb.TcpError{
	tcp.ErrConnectionAlreadyExists: pb.TcpError_TCP_ERROR_CONNECTION_ALREADY_EXISTS,
	tcp.ErrConnectionDoesNotExist:  pb.TcpError_TCP_ERROR_CONNECTION_DOES_NOT_EXIST,
	tcp.ErrConnectionClosing:       pb.TcpError_TCP_ERROR_CONNECTION_CLOSING,
	tcp.ErrConnectionReset:         pb.TcpError_TCP_ERROR_CONNECTION_RESET,
	tcp.ErrConnectionRefused:       pb.TcpError_TCP_ERROR_CONNECTION_REFUSED,
	tcp.ErrTimedOut:                pb.TcpError_TCP_ERROR_TIMED_OUT,
	tcp.ErrUserTimeout:             pb.TcpError_TCP_ERROR_USER_TIMEOUT,
	tcp.ErrRemoteSocketUnspecified: pb.TcpError_TCP_ERROR_FOREIGN_SOCKET_UNSPECIFIED,
	tcp.ErrInsufficientResources:   pb.TcpError_TCP_ERROR_INSUFFICIENT_RESOURCES,
}

func tcpErrorToProto(e tcp.Error) pb.TcpError { return tcpErrorTable[e] }

var dropTable = map[emulator.DropReason]pb.DropReason{
	emulator.DropNoHost:    pb.DropReason_DROP_REASON_NO_ENDPOINT,
	emulator.DropLoss:      pb.DropReason_DROP_REASON_LOSS,
	emulator.DropRule:      pb.DropReason_DROP_REASON_FAULT_RULE,
	emulator.DropPartition: pb.DropReason_DROP_REASON_PARTITION,
	emulator.DropCorrupt:   pb.DropReason_DROP_REASON_CHECKSUM,
}

// discardReason is why an endpoint's rules discarded an arriving segment.
func discardReason(r tcp.Rule) pb.DropReason {
	switch r {
	case tcp.RuleUnacceptable, tcp.RuleUnacceptableRST:
		return pb.DropReason_DROP_REASON_NOT_ACCEPTABLE
	case tcp.RuleListenBacklogFull:
		return pb.DropReason_DROP_REASON_BACKLOG_FULL
	}
	return pb.DropReason_DROP_REASON_IGNORED
}

// kindTable maps the emulator's event kinds to the API's.
var kindTable = [emulator.NumKinds]pb.EventKind{
	emulator.KindStateChanged:      pb.EventKind_EVENT_KIND_STATE_CHANGE,
	emulator.KindSegmentSent:       pb.EventKind_EVENT_KIND_SEGMENT_SENT,
	emulator.KindSegmentDelivered:  pb.EventKind_EVENT_KIND_SEGMENT_DELIVERED,
	emulator.KindSegmentDropped:    pb.EventKind_EVENT_KIND_SEGMENT_DROPPED,
	emulator.KindSegmentDiscarded:  pb.EventKind_EVENT_KIND_SEGMENT_DROPPED,
	emulator.KindSegmentExternal:   pb.EventKind_EVENT_KIND_SEGMENT_EXTERNAL,
	emulator.KindSegmentDuplicated: pb.EventKind_EVENT_KIND_SEGMENT_DUPLICATED,
	emulator.KindSegmentDelayed:    pb.EventKind_EVENT_KIND_SEGMENT_DELAYED,
	emulator.KindTimerArmed:        pb.EventKind_EVENT_KIND_TIMER_ARMED,
	emulator.KindTimerFired:        pb.EventKind_EVENT_KIND_TIMER_FIRED,
	emulator.KindTimerCancelled:    pb.EventKind_EVENT_KIND_TIMER_CANCELLED,
	emulator.KindCall:              pb.EventKind_EVENT_KIND_CALL,
	emulator.KindDataReady:         pb.EventKind_EVENT_KIND_DATA_DELIVERED,
	emulator.KindSignal:            pb.EventKind_EVENT_KIND_ERROR_SIGNALLED,
	emulator.KindEndpointCreated:   pb.EventKind_EVENT_KIND_ENDPOINT_CREATED,
	emulator.KindEndpointRemoved:   pb.EventKind_EVENT_KIND_ENDPOINT_REMOVED,
	emulator.KindNote:              pb.EventKind_EVENT_KIND_NOTE,
	emulator.KindLink:              pb.EventKind_EVENT_KIND_LINK,
}

func kindToProto(k emulator.Kind) pb.EventKind {
	if int(k) < len(kindTable) {
		return kindTable[k]
	}
	return pb.EventKind_EVENT_KIND_UNSPECIFIED
}

// kindSet is a filter over API event kinds; the zero set matches all.
type kindSet struct {
	any  bool
	kind [32]bool
}

func kindSetFromProto(kinds []pb.EventKind, field string, v *violations) kindSet {
	ks := kindSet{any: len(kinds) == 0}
	for i, k := range kinds {
		if k <= pb.EventKind_EVENT_KIND_UNSPECIFIED || int(k) >= len(ks.kind) || pb.EventKind_name[int32(k)] == "" {
			v.add(indexed(field, i), "not an event kind: %v", k)
			continue
		}
		ks.kind[k] = true
	}
	return ks
}

func (ks *kindSet) has(k pb.EventKind) bool { return ks.any || (int(k) < len(ks.kind) && ks.kind[k]) }

var flagBits = []struct {
	core tcp.Flags
	get  func(*pb.Flags) bool
	set  func(*pb.Flags)
}{
	{tcp.FIN, (*pb.Flags).GetFin, func(f *pb.Flags) { f.Fin = true }},
	{tcp.SYN, (*pb.Flags).GetSyn, func(f *pb.Flags) { f.Syn = true }},
	{tcp.RST, (*pb.Flags).GetRst, func(f *pb.Flags) { f.Rst = true }},
	{tcp.PSH, (*pb.Flags).GetPsh, func(f *pb.Flags) { f.Psh = true }},
	{tcp.ACK, (*pb.Flags).GetAck, func(f *pb.Flags) { f.Ack = true }},
	{tcp.URG, (*pb.Flags).GetUrg, func(f *pb.Flags) { f.Urg = true }},
	{tcp.ECE, (*pb.Flags).GetEce, func(f *pb.Flags) { f.Ece = true }},
	{tcp.CWR, (*pb.Flags).GetCwr, func(f *pb.Flags) { f.Cwr = true }},
}

func flagsToProto(f tcp.Flags) *pb.Flags {
	out := &pb.Flags{}
	for _, b := range flagBits {
		if f&b.core != 0 {
			b.set(out)
		}
	}
	return out
}

func flagsFromProto(f *pb.Flags) tcp.Flags {
	var out tcp.Flags
	for _, b := range flagBits {
		if b.get(f) {
			out |= b.core
		}
	}
	return out
}

// segmentFromProto reads a whole segment for Inject: anything within the
// fields' ranges is allowed, because a wrong number is a legitimate test.
func segmentFromProto(s *pb.Segment, field string, maxPayload int, v *violations) (src, dst netip.AddrPort, seg tcp.Segment) {
	h := s.GetHeader()
	if h == nil {
		v.add(field+".header", "required")
		return
	}
	src = addressFromProto(h.GetSrc(), field+".header.src", false, v)
	dst = addressFromProto(h.GetDst(), field+".header.dst", false, v)
	if h.GetWindow() > math.MaxUint16 {
		v.add(field+".header.window", "must be at most 65535 (the unscaled 16-bit field), got %d", h.GetWindow())
	}
	if h.GetUrgentPointer() > math.MaxUint16 {
		v.add(field+".header.urgent_pointer", "must be at most 65535, got %d", h.GetUrgentPointer())
	}
	switch n := len(s.GetPayload()); {
	case n > maxPayload:
		v.add(field+".payload", "%d octets is more than the server's limit of %d", n, maxPayload)
	case n > tcp.MaxPayload:
		v.add(field+".payload", "%d octets: a TCP segment carries at most %d (IPv4's 16-bit total length)", n, tcp.MaxPayload)
	}
	seg = tcp.Segment{
		Seq: seqnum.Value(h.GetSeq()), Ack: seqnum.Value(h.GetAck()),
		Flags: flagsFromProto(h.GetFlags()), Window: uint16(h.GetWindow()), Urgent: uint16(h.GetUrgentPointer()),
		Payload: s.GetPayload(),
	}
	if o := h.GetOptions(); o != nil {
		if o.Mss != nil {
			if *o.Mss > math.MaxUint16 {
				v.add(field+".header.options.mss", "must be at most 65535, got %d", *o.Mss)
			}
			seg.Options.MSS = uint16(*o.Mss)
		}
		if o.WindowScale != nil {
			if *o.WindowScale > 14 {
				v.add(field+".header.options.window_scale", "must be 0-14 (RFC 7323 §2.3), got %d", *o.WindowScale)
			}
			seg.Options.WScale, seg.Options.HasWScale = uint8(*o.WindowScale), true
		}
		seg.Options.SACKPermitted = o.GetSackPermitted()
		if ts := o.GetTimestamps(); ts != nil {
			seg.Options.HasTimestamps, seg.Options.TSVal, seg.Options.TSEcr = true, ts.GetTsval(), ts.GetTsecr()
		}
	}
	return src, dst, seg
}

// eventOpts says how one request wants its events rendered.
type eventOpts struct {
	lang  explain.Lang
	omit  bool     // leave rule and explanation texts empty
	kinds *kindSet // convert only these (a Batch's filter); nil: all
	// noResult: a Batch with omit_results, whose operations need not
	// build their results' resource views.
	noResult bool
}

func (eo eventOpts) rule(r tcp.Rule) (citation, text string) {
	if eo.omit || r == tcp.RuleNone {
		return "", ""
	}
	return r.Section(), explain.Rule(r, eo.lang)
}

// eventSource resolves what an event refers to: endpoint names and
// addresses. A session implements it under its lock.
type eventSource interface {
	endpointLabel(emulator.EndpointID) string
	endpointRecord(emulator.EndpointID) *endpointRec
	sessionID() string
	Addr(tcp.AddrID) netip.AddrPort
	faultRuleName(emulator.FaultID) string
}

// apiSeq is the API's sequence number for a core event: the core counts
// from 0, the API from 1 (so after_seq 0 means "from the start").
func apiSeq(coreSeq uint64) uint64 { return coreSeq + 1 }

// eventToProto converts one event; nil for a kind the API does not know
// (none today: a test checks every kind has an API kind).
func eventToProto(ev *emulator.Event, src eventSource, eo eventOpts) *pb.Event {
	kind := kindToProto(ev.Kind)
	if kind == pb.EventKind_EVENT_KIND_UNSPECIFIED {
		return nil
	}
	out := &pb.Event{
		Seq:      apiSeq(ev.Seq),
		Time:     durationToProto(ev.Time),
		Endpoint: src.endpointLabel(ev.Endpoint),
		Kind:     kind,
	}
	rule, text := eo.rule(ev.Rule)
	switch ev.Kind {
	case emulator.KindStateChanged:
		out.Payload = &pb.Event_StateChange{StateChange: &pb.StateChange{
			FromState: stateToProto(ev.From), ToState: stateToProto(ev.To),
			Cause: causeToProto(ev.Cause), Rule: rule, Explanation: text,
		}}
	case emulator.KindSegmentSent:
		out.Payload = &pb.Event_SegmentSent{SegmentSent: segmentEventToProto(ev, src, rule, text)}
	case emulator.KindSegmentDelivered:
		out.Payload = &pb.Event_SegmentDelivered{SegmentDelivered: segmentEventToProto(ev, src, rule, text)}
	case emulator.KindSegmentDropped:
		se := segmentEventToProto(ev, src, rule, text)
		se.Reason = dropTable[ev.Drop]
		if ev.Drop == emulator.DropRule || ev.Drop == emulator.DropCorrupt {
			se.FaultRule = src.faultRuleName(emulator.FaultID(ev.Value))
		}
		out.Payload = &pb.Event_SegmentDropped{SegmentDropped: se}
	case emulator.KindSegmentDiscarded:
		se := segmentEventToProto(ev, src, rule, text)
		se.Reason = discardReason(ev.Rule)
		out.Payload = &pb.Event_SegmentDropped{SegmentDropped: se}
	case emulator.KindSegmentExternal:
		out.Payload = &pb.Event_SegmentExternal{SegmentExternal: segmentEventToProto(ev, src, rule, text)}
	case emulator.KindSegmentDuplicated:
		se := segmentEventToProto(ev, src, rule, text)
		se.FaultRule = src.faultRuleName(emulator.FaultID(ev.Value)) // 0: the path's draw
		out.Payload = &pb.Event_SegmentDuplicated{SegmentDuplicated: se}
	case emulator.KindSegmentDelayed:
		se := segmentEventToProto(ev, src, rule, text)
		se.FaultRule = src.faultRuleName(emulator.FaultID(ev.Value))
		out.Payload = &pb.Event_SegmentDelayed{SegmentDelayed: se}
	case emulator.KindTimerArmed:
		out.Payload = &pb.Event_TimerArmed{TimerArmed: &pb.TimerEvent{
			Timer: timerToProto(ev.Timer), Deadline: durationToProto(time.Duration(ev.Value)), Rule: rule, Explanation: text,
		}}
	case emulator.KindTimerFired:
		out.Payload = &pb.Event_TimerFired{TimerFired: &pb.TimerEvent{
			Timer: timerToProto(ev.Timer), Deadline: durationToProto(ev.Time), Rule: rule, Explanation: text,
		}}
	case emulator.KindTimerCancelled:
		out.Payload = &pb.Event_TimerCancelled{TimerCancelled: &pb.TimerEvent{
			Timer: timerToProto(ev.Timer), Rule: rule, Explanation: text,
		}}
	case emulator.KindCall:
		ce := &pb.CallEvent{Call: callTable[ev.Call], Error: tcpErrorToProto(ev.Err), Result: "ok", Rule: rule, Explanation: text}
		if ev.Err != 0 {
			ce.Result = ev.Err.Error()
		}
		if ce.Rule == "" && !eo.omit {
			ce.Rule = callSection[ev.Call]
		}
		out.Payload = &pb.Event_Call{Call: ce}
	case emulator.KindDataReady:
		out.Payload = &pb.Event_DataDelivered{DataDelivered: &pb.DataDelivered{Length: uint32(ev.Value)}}
	case emulator.KindSignal:
		out.Payload = &pb.Event_ErrorSignalled{ErrorSignalled: &pb.ErrorSignalled{
			Error: tcpErrorToProto(ev.Err), Text: ev.Err.Text(), Rule: rule, Explanation: text,
		}}
	case emulator.KindEndpointCreated:
		ec := &pb.EndpointCreated{}
		if rec := src.endpointRecord(ev.Endpoint); rec != nil {
			ec.Local = addressToProto(rec.local())
			if rec.parent != nil {
				ec.Remote = addressToProto(rec.remote())
				ec.Parent = endpointName(src.sessionID(), rec.parent.id)
			}
		}
		out.Payload = &pb.Event_EndpointCreated{EndpointCreated: ec}
	case emulator.KindEndpointRemoved:
		// The emulator removes only a passive child that a RST or a
		// timeout sent back to LISTEN (RFC 9293 §3.10.7.4): it was in
		// SYN-RECEIVED.
		out.Payload = &pb.Event_EndpointRemoved{EndpointRemoved: &pb.EndpointRemoved{LastState: pb.State_STATE_SYN_RECEIVED}}
	case emulator.KindNote:
		n := &pb.Note{Rule: rule, Explanation: text}
		if ev.Seg.Src != 0 || ev.Seg.Dst != 0 {
			n.Segment = segmentEventToProto(ev, src, "", "").Header
		}
		out.Payload = &pb.Event_Note{Note: n}
	case emulator.KindLink:
		out.Payload = &pb.Event_Link{Link: &pb.LinkChange{
			FromHost: src.Addr(ev.Seg.Src).Addr().String(), ToHost: src.Addr(ev.Seg.Dst).Addr().String(), Cut: ev.Value != 0,
		}}
	}
	return out
}

func causeToProto(c emulator.Cause) pb.Cause {
	switch c {
	case emulator.CauseCall:
		return pb.Cause_CAUSE_CALL
	case emulator.CauseSegment:
		return pb.Cause_CAUSE_SEGMENT
	case emulator.CauseTimer:
		return pb.Cause_CAUSE_TIMER
	}
	return pb.Cause_CAUSE_UNSPECIFIED
}

func segmentEventToProto(ev *emulator.Event, src eventSource, rule, text string) *pb.SegmentEvent {
	h := ev.Seg
	hdr := &pb.SegmentHeader{
		Src: addressToProto(src.Addr(h.Src)), Dst: addressToProto(src.Addr(h.Dst)),
		Seq: uint32(h.Seq), Ack: uint32(h.Ack), Flags: flagsToProto(h.Flags), Window: uint32(h.Window),
	}
	if h.MSS != 0 {
		mss := uint32(h.MSS)
		hdr.Options = &pb.SegmentOptions{Mss: &mss}
	}
	return &pb.SegmentEvent{Header: hdr, PayloadLength: uint32(h.Len), SegLen: h.SegLen(), Rule: rule, Explanation: text}
}

// endpointToProto is GetEndpoint's view: the record, the emulator's
// STATUS, and the configuration in effect.
func (s *session) endpointToProto(rec *endpointRec, st *emulator.Status, childrenSynReceived int) *pb.Endpoint {
	cfg, effective := s.profile(rec)
	out := &pb.Endpoint{
		Name:                endpointName(s.id, rec.id),
		Local:               addressToProto(rec.local()),
		State:               pb.State_STATE_CLOSED,
		ProfileOverrides:    rec.protoOverrides(),
		EffectiveProfile:    effective,
		SendBuffer:          &pb.SendBuffer{Capacity: cfg.SndBuf},
		ReceiveBuffer:       &pb.ReceiveBuffer{Capacity: cfg.RcvBuf},
		Tcb:                 &pb.Tcb{},
		Counters:            &pb.Counters{},
		Rto:                 durationToProto(cfg.RTOInitial),
		SynReceivedChildren: uint32(childrenSynReceived),
	}
	if rec.parent != nil {
		out.Parent = endpointName(s.id, rec.parent.id)
	}
	if st == nil {
		return out
	}
	out.State = stateToProto(st.State)
	out.Remote = addressToProto(st.Remote)
	out.Passive = st.Passive
	t := st.TCB
	out.Tcb = &pb.Tcb{
		SndUna: uint32(t.SndUna), SndNxt: uint32(t.SndNxt), SndWnd: t.SndWnd, SndUp: uint32(t.SndUp),
		SndWl1: uint32(t.SndWl1), SndWl2: uint32(t.SndWl2), Iss: uint32(t.ISS),
		RcvNxt: uint32(t.RcvNxt), RcvWnd: t.RcvWnd, RcvUp: uint32(t.RcvUp), Irs: uint32(t.IRS),
		SndMss: uint32(t.SndMSS),
	}
	c := st.Counters
	out.Counters = &pb.Counters{
		SegmentsSent: uint64(c.SegmentsSent), SegmentsReceived: uint64(c.SegmentsReceived),
		BytesSent: c.BytesSent, BytesReceived: c.BytesReceived,
		Retransmissions: uint64(c.Retransmissions), SegmentsDiscarded: uint64(c.SegmentsDiscarded),
		RstsSent: uint64(c.RSTsSent), RstsReceived: uint64(c.RSTsReceived), ChallengeAcksSent: uint64(c.ChallengeACKsSent),
	}
	out.SendBuffer.Unsent = uint32(t.SndUnsent)
	out.SendBuffer.Unacknowledged = uint32(t.SndQueued - t.SndUnsent)
	out.ReceiveBuffer.Readable = uint32(t.RcvQueued)
	out.ReceiveBuffer.OutOfOrder = uint32(t.RcvHeld)
	if t.RTO > 0 {
		out.Rto = durationToProto(t.RTO)
	}
	if t.SRTT > 0 {
		out.Srtt = durationToProto(t.SRTT)
		out.Rttvar = durationToProto(t.RTTVar)
	}
	for timer, at := range st.Timers {
		at := &pb.ArmedTimer{Timer: timerToProto(timer), Deadline: durationToProto(time.Duration(at))}
		if timer == tcp.TimerRetransmit {
			at.Attempt = uint32(t.Retries)
		}
		out.Timers = append(out.Timers, at)
	}
	sort.Slice(out.Timers, func(i, j int) bool {
		a, b := out.Timers[i].Deadline.AsDuration(), out.Timers[j].Deadline.AsDuration()
		return a < b || a == b && out.Timers[i].Timer < out.Timers[j].Timer
	})
	if st.State == tcp.Listen && st.Parent == 0 {
		out.Backlog = uint32(st.Backlog)
	}
	return out
}

// indexed is a repeated field's path: "kinds[2]".
func indexed(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }
