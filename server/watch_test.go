package server

import (
	"testing"

	"google.golang.org/grpc/codes"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// runStory connects client to server in session and runs it until idle.
func runStory(t *testing.T, h *harness, session string) {
	t.Helper()
	createPair(t, h, session)
	must[*pb.ListenResponse](t)(h.c.Listen(h.ctx, &pb.ListenRequest{Name: "sessions/" + session + "/endpoints/server"}))
	must[*pb.ConnectResponse](t)(h.c.Connect(h.ctx, &pb.ConnectRequest{Name: "sessions/" + session + "/endpoints/client", Remote: addr("10.0.0.2", 80)}))
	must[*pb.AdvanceResponse](t)(h.c.Advance(h.ctx, &pb.AdvanceRequest{Session: "sessions/" + session, Target: &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{}}}))
}

// A watcher catching up from the log went on sending batch after batch
// through a shutdown, and only noticed it once caught up. It ends with
// UNAVAILABLE at the next batch.
func TestShutdownEndsACatchingUpWatchPromptly(t *testing.T) {
	h := newHarness(t, Limits{MaxEventsPerMessage: 1})
	runStory(t, h, "w")
	cmd := must[watchCmd](t)(h.srv.parser().watch(&pb.WatchRequest{Session: "sessions/w"}))
	sent := 0
	err := h.srv.watch(h.ctx, cmd, func(*pb.WatchResponse) error {
		sent++
		if sent == 1 {
			h.srv.Shutdown()
		}
		return nil
	})
	wantCode(t, toStatus(err), codes.Unavailable)
	if sent != 1 {
		t.Fatalf("%d batches sent, want none after the shutdown", sent)
	}
}

// No seq a client has seen can be past a session's newest event: a
// session deleted and created again under its name starts from seq 1.
// Watching it (or attaching a peer) after an old seq skipped its events
// up to there without a word; it is OUT_OF_RANGE.
func TestResumePastTheNewestEventIsOutOfRange(t *testing.T) {
	h := newHarness(t, Limits{})
	runStory(t, h, "re")
	last := must[*pb.Session](t)(h.c.GetSession(h.ctx, &pb.GetSessionRequest{Name: "sessions/re"})).LastEventSeq

	stream := must[pb.EmulatorService_WatchClient](t)(h.c.Watch(h.ctx, &pb.WatchRequest{Session: "sessions/re", AfterSeq: last + 100}))
	_, err := stream.Recv()
	wantCode(t, err, codes.OutOfRange)

	// Resuming at the newest event is fine: caught up, then live.
	stream = must[pb.EmulatorService_WatchClient](t)(h.c.Watch(h.ctx, &pb.WatchRequest{Session: "sessions/re", AfterSeq: last}))
	if m := must[*pb.WatchResponse](t)(stream.Recv()); !m.CaughtUp || len(m.Events) != 0 {
		t.Fatalf("got %v, want caught_up with no events", m)
	}

	peer := must[pb.EmulatorService_AttachExternalPeerClient](t)(h.c.AttachExternalPeer(h.ctx))
	if err := peer.Send(&pb.AttachExternalPeerRequest{Message: &pb.AttachExternalPeerRequest_Attach{
		Attach: &pb.ExternalPeerAttach{Session: "sessions/re", Hosts: []string{"192.0.2.7"}, AfterSeq: last + 100}}}); err != nil {
		t.Fatal(err)
	}
	_, err = peer.Recv()
	wantCode(t, err, codes.OutOfRange)
}
