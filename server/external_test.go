package server

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// noGoroutinesIn fails when, after a grace period, a goroutine still runs
// a function whose name contains fn: one the RPC started and did not end.
func noGoroutinesIn(t *testing.T, fn string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	var stacks string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		stacks = string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, fn) {
			return
		}
	}
	t.Fatalf("a goroutine in %s outlived its RPC:\n%s", fn, stacks)
}

// A peer's sends were applied on the stream's reader goroutine, outside
// the recover interceptor: a panic there (a bug in the emulator, say)
// killed the whole daemon. Applied on the handler's goroutine, it fails
// the stream with INTERNAL and every other session carries on; the
// reader goroutine ends with the stream.
func TestPanicInAPeersSendIsInternalNotACrash(t *testing.T) {
	h := newHarness(t, Limits{})
	must[*pb.Session](t)(h.c.CreateSession(h.ctx, &pb.CreateSessionRequest{SessionId: "boom"}))
	must[*pb.Session](t)(h.c.CreateSession(h.ctx, &pb.CreateSessionRequest{SessionId: "other"}))
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	stream := must[pb.EmulatorService_AttachExternalPeerClient](t)(h.c.AttachExternalPeer(ctx))
	if err := stream.Send(&pb.AttachExternalPeerRequest{Message: &pb.AttachExternalPeerRequest_Attach{
		Attach: &pb.ExternalPeerAttach{Session: "sessions/boom", Hosts: []string{"192.0.2.7"}}}}); err != nil {
		t.Fatal(err)
	}
	if m := must[*pb.AttachExternalPeerResponse](t)(stream.Recv()); m.GetAttached() == nil {
		t.Fatalf("first message %v, want attached", m)
	}

	// Simulate a bug: the session's emulator is gone, so applying
	// anything to it panics.
	sess := must[*session](t)(h.srv.reg.get("boom"))
	sess.mu.Lock()
	sess.em = nil
	sess.mu.Unlock()

	seg := &pb.Segment{Header: &pb.SegmentHeader{Src: addr("192.0.2.7", 5000), Dst: addr("10.0.0.1", 80), Flags: &pb.Flags{Syn: true}}}
	if err := stream.Send(&pb.AttachExternalPeerRequest{Message: &pb.AttachExternalPeerRequest_Send{
		Send: &pb.ExternalPeerSend{Id: 1, Segment: seg}}}); err != nil {
		t.Fatal(err)
	}
	_, err := stream.Recv()
	wantCode(t, err, codes.Internal)
	must[*pb.Session](t)(h.c.GetSession(ctx, &pb.GetSessionRequest{Name: "sessions/other"}))
	noGoroutinesIn(t, "AttachExternalPeer")
}

// When one Batch causes more events than the log keeps, the segments
// handed out by its first operations lose their events and are not kept
// for peers. They were skipped without a trace: a peer behind them waited
// on, having silently missed them. Now it ends with OUT_OF_RANGE.
func TestPeerBehindSegmentsTrimmedWithinOneCallIsOutOfRange(t *testing.T) {
	h := newHarness(t, Limits{MaxLogEvents: 16})
	must[*pb.Session](t)(h.c.CreateSession(h.ctx, &pb.CreateSessionRequest{SessionId: "x"}))
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	stream := must[pb.EmulatorService_AttachExternalPeerClient](t)(h.c.AttachExternalPeer(ctx))
	if err := stream.Send(&pb.AttachExternalPeerRequest{Message: &pb.AttachExternalPeerRequest_Attach{
		Attach: &pb.ExternalPeerAttach{Session: "sessions/x", Hosts: []string{"192.0.2.7"}}}}); err != nil {
		t.Fatal(err)
	}
	must[*pb.AttachExternalPeerResponse](t)(stream.Recv())

	const n = 12 // SYNs to the peer's host, ~6 events each: more than the log keeps
	var ops []*pb.BatchOperation
	for i := range n {
		id := fmt.Sprintf("c%d", i)
		ops = append(ops,
			&pb.BatchOperation{Operation: &pb.BatchOperation_CreateEndpoint{CreateEndpoint: &pb.CreateEndpointRequest{
				EndpointId: id, Endpoint: &pb.Endpoint{Local: addr("10.0.0.1", uint32(4000+i))}}}},
			&pb.BatchOperation{Operation: &pb.BatchOperation_Connect{Connect: &pb.ConnectRequest{
				Name: "sessions/x/endpoints/" + id, Remote: addr("192.0.2.7", 80)}}},
			// The SYN reaches the external host when the clock runs.
			&pb.BatchOperation{Operation: &pb.BatchOperation_Advance{Advance: &pb.AdvanceRequest{
				Target: &pb.AdvanceRequest_By{By: durationpb.New(0)}}}})
	}
	if r := must[*pb.BatchResponse](t)(h.c.Batch(ctx, &pb.BatchRequest{Session: "sessions/x", Operations: ops})); r.FailedOperation != nil {
		t.Fatalf("operation %d failed: %v", *r.FailedOperation, r.Results[*r.FailedOperation].Error)
	}
	for got := 0; ; got++ {
		m, err := stream.Recv()
		if err != nil {
			wantCode(t, err, codes.OutOfRange)
			return
		}
		if got == n-1 && m.GetSegment() != nil {
			return // every SYN arrived after all
		}
	}
}
