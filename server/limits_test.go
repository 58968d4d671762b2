package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// startAckStorm establishes client ↔ server in session and then injects
// into the client data the server never sent. The client ACKs past the
// server's SND.NXT; RFC 9293 §3.10.7.4 has each side answer the other's
// unacceptable ACK with an ACK of its own, forever (an ACK storm). With
// the session's zero delay, every step of it is due now: an until-idle
// advance never gets idle.
func startAckStorm(t *testing.T, h *harness, session string) {
	t.Helper()
	createPair(t, h, session)
	name := "sessions/" + session
	must[*pb.ListenResponse](t)(h.c.Listen(h.ctx, &pb.ListenRequest{Name: name + "/endpoints/server"}))
	must[*pb.ConnectResponse](t)(h.c.Connect(h.ctx, &pb.ConnectRequest{Name: name + "/endpoints/client", Remote: addr("10.0.0.2", 80)}))
	must[*pb.AdvanceResponse](t)(h.c.Advance(h.ctx, &pb.AdvanceRequest{Session: name, Target: &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{}}}))
	tcb := must[*pb.Endpoint](t)(h.c.GetEndpoint(h.ctx, &pb.GetEndpointRequest{Name: name + "/endpoints/client"})).GetTcb()
	must[*pb.InjectResponse](t)(h.c.Inject(h.ctx, &pb.InjectRequest{Session: name, Segment: &pb.Segment{
		Header: &pb.SegmentHeader{Src: addr("10.0.0.2", 80), Dst: addr("10.0.0.1", 4000),
			Seq: tcb.RcvNxt, Ack: tcb.SndNxt, Flags: &pb.Flags{Ack: true, Psh: true}, Window: 65535},
		Payload: []byte("hijack"),
	}}))
}

// An endless exchange under the step bound still made one call's events
// unbounded: 1M steps of an ACK storm built ~3M events (~1 GiB) under the
// session's lock and then failed to send them. The call's event cap ends
// the advance early with complete=false; the next call goes on, and
// other sessions are served meanwhile.
func TestAckStormAdvanceStopsAtTheCallEventCap(t *testing.T) {
	const limit = 3000
	h := newHarness(t, Limits{MaxEventsPerCall: limit})
	startAckStorm(t, h, "storm")
	must[*pb.Session](t)(h.c.CreateSession(h.ctx, &pb.CreateSessionRequest{SessionId: "other"}))

	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	untilIdle := &pb.AdvanceRequest{Session: "sessions/storm",
		Target: &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{}}}
	for round := 0; round < 2; round++ {
		r := must[*pb.AdvanceResponse](t)(h.c.Advance(ctx, untilIdle))
		if r.Complete || r.Idle {
			t.Fatalf("round %d: an ACK storm cannot complete: complete=%v idle=%v", round, r.Complete, r.Idle)
		}
		if n := len(r.Events); n < limit || n > limit+16 {
			t.Fatalf("round %d: %d events in %d steps, want the cap of %d plus at most one step's", round, n, r.Steps, limit)
		}
		must[*pb.Session](t)(h.c.GetSession(ctx, &pb.GetSessionRequest{Name: "sessions/other"}))
	}

	// In a Batch the cap counts the whole call: the advance stops early and
	// the operation after it is refused, not applied on an unplanned state.
	resp := must[*pb.BatchResponse](t)(h.c.Batch(ctx, &pb.BatchRequest{Session: "sessions/storm", OmitExplanations: true,
		Operations: []*pb.BatchOperation{
			{Operation: &pb.BatchOperation_Advance{Advance: untilIdle}},
			{Operation: &pb.BatchOperation_Send{Send: &pb.SendRequest{Name: "sessions/storm/endpoints/client", Data: []byte("x")}}},
		}}))
	if adv := resp.Results[0].GetAdvance(); adv == nil || adv.Complete {
		t.Fatalf("batch advance: %v, want complete=false", resp.Results[0])
	}
	if resp.FailedOperation == nil || *resp.FailedOperation != 1 || codes.Code(resp.Results[1].GetError().GetCode()) != codes.ResourceExhausted {
		t.Fatalf("failed_operation %v, result %v: want operation 1 refused with RESOURCE_EXHAUSTED", resp.FailedOperation, resp.Results[1])
	}
}

// No TCP segment carries more than 65535 octets (IPv4's 16-bit total
// length): a bigger injected payload is a field violation naming the
// field, below the server's own payload limit, and the session is untouched.
func TestInjectPayloadAboveASegmentsMaximum(t *testing.T) {
	h := newHarness(t, Limits{})
	createPair(t, h, "big")
	before := must[*pb.Session](t)(h.c.GetSession(h.ctx, &pb.GetSessionRequest{Name: "sessions/big"})).LastEventSeq
	_, err := h.c.Inject(h.ctx, &pb.InjectRequest{Session: "sessions/big", Segment: &pb.Segment{
		Header:  &pb.SegmentHeader{Src: addr("10.0.0.2", 80), Dst: addr("10.0.0.1", 4000), Flags: &pb.Flags{Ack: true}},
		Payload: make([]byte, 65536),
	}})
	st := wantCode(t, err, codes.InvalidArgument)
	if !strings.Contains(st.Message(), "segment.payload") || !strings.Contains(st.Message(), "at most 65535") {
		t.Fatalf("message %q: want the field and the 65535 bound", st.Message())
	}
	if after := must[*pb.Session](t)(h.c.GetSession(h.ctx, &pb.GetSessionRequest{Name: "sessions/big"})).LastEventSeq; after != before {
		t.Fatalf("the refused inject changed the log: last seq %d → %d", before, after)
	}
}
