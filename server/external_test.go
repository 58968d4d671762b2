package server

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

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
