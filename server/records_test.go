package server

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Restored, a listener's children share its profile as they did when it
// forked them: one each would cost a restarted daemon 1.5 kB a
// connection of a listener with overrides (records.go).
func TestRestoredChildrenShareTheirListenersProfile(t *testing.T) {
	h := newHarness(t, Limits{})
	c, ctx := h.c, h.ctx
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "a"}))
	create := func(id string, a *pb.Address, po *pb.ProfileOverrides) {
		t.Helper()
		must[*pb.CreateEndpointResponse](t)(c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/a", EndpointId: id,
			Endpoint: &pb.Endpoint{Local: a, ProfileOverrides: po}}))
	}
	create("server", addr("10.0.0.2", 80), &pb.ProfileOverrides{Mss: proto.Uint32(536)})
	must[*pb.ListenResponse](t)(c.Listen(ctx, &pb.ListenRequest{Name: "sessions/a/endpoints/server"}))
	for i, id := range []string{"c1", "c2"} {
		create(id, addr("10.0.0.1", uint32(40000+i)), nil)
		must[*pb.ConnectResponse](t)(c.Connect(ctx, &pb.ConnectRequest{Name: "sessions/a/endpoints/" + id, Remote: addr("10.0.0.2", 80)}))
	}
	must[*pb.AdvanceResponse](t)(c.Advance(ctx, &pb.AdvanceRequest{Session: "sessions/a", Target: &pb.AdvanceRequest_By{By: durationpb.New(time.Second)}}))
	sess, fresh := roundTripRecords(t, h, "a")
	for _, s := range []*session{sess, fresh} {
		server := s.eps["server"]
		for _, id := range []string{"server-1", "server-2"} {
			child := s.eps[id]
			if child == nil {
				t.Fatalf("no %s", id)
			}
			if child.custom == nil || child.custom != server.custom {
				t.Fatalf("%s has its own profile (%p), not its listener's (%p)", id, child.custom, server.custom)
			}
		}
	}
}
