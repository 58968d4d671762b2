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

// A child outlives its listener, whose ID a new listener on the same
// address then takes: both listeners' children name "server" as their
// listener, keep their own profiles, and show exactly that again after a
// restart that restores a snapshot and replays the journal, and after a
// clean one.
func TestChildrenOfAReusedListenerIDSurviveRestarts(t *testing.T) {
	d := startDurable(t, t.TempDir(), Limits{})
	c, ctx := d.c, d.ctx
	ep := func(id string) string { return "sessions/a/endpoints/" + id }
	create := func(id string, a *pb.Address, po *pb.ProfileOverrides) {
		t.Helper()
		must[*pb.CreateEndpointResponse](t)(c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/a", EndpointId: id,
			Endpoint: &pb.Endpoint{Local: a, ProfileOverrides: po}}))
	}
	connect := func(client string, port uint32) {
		t.Helper()
		create(client, addr("10.0.0.1", port), nil)
		must[*pb.ConnectResponse](t)(c.Connect(ctx, &pb.ConnectRequest{Name: ep(client), Remote: addr("10.0.0.2", 80)}))
		must[*pb.AdvanceResponse](t)(c.Advance(ctx, &pb.AdvanceRequest{Session: "sessions/a", Target: &pb.AdvanceRequest_By{By: durationpb.New(time.Second)}}))
	}
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "a"}))
	create("server", addr("10.0.0.2", 80), &pb.ProfileOverrides{Mss: proto.Uint32(536)})
	must[*pb.ListenResponse](t)(c.Listen(ctx, &pb.ListenRequest{Name: ep("server")}))
	connect("c1", 40001)
	// Accepted (a user call), server-1 survives its listener's deletion.
	must[*pb.SendResponse](t)(c.Send(ctx, &pb.SendRequest{Name: ep("server-1"), Data: []byte("hi")}))
	must[*pb.DeleteEndpointResponse](t)(c.DeleteEndpoint(ctx, &pb.DeleteEndpointRequest{Name: ep("server")}))
	create("server", addr("10.0.0.2", 80), nil)
	must[*pb.ListenResponse](t)(c.Listen(ctx, &pb.ListenRequest{Name: ep("server")}))
	connect("c2", 40002)

	views := func(d *durable) []proto.Message {
		t.Helper()
		var out []proto.Message
		for _, id := range []string{"server", "server-1", "server-1x"} {
			out = append(out, must[*pb.Endpoint](t)(d.c.GetEndpoint(d.ctx, &pb.GetEndpointRequest{Name: ep(id)})))
		}
		return append(out, must[*pb.ListEndpointsResponse](t)(d.c.ListEndpoints(d.ctx, &pb.ListEndpointsRequest{Parent: "sessions/a", Listener: ep("server")})))
	}
	want := views(d)
	for i, id := range []string{"server-1", "server-1x"} {
		v := want[1+i].(*pb.Endpoint)
		if v.GetParent() != ep("server") || v.GetLocal().GetPort() != 80 || v.GetState() != pb.State_STATE_ESTABLISHED {
			t.Fatalf("%s: parent %q, local %v, %v", id, v.GetParent(), v.GetLocal(), v.GetState())
		}
	}
	if got := want[1].(*pb.Endpoint).GetEffectiveProfile().GetMss(); got != 536 {
		t.Fatalf("server-1's MSS is %d, want its deleted listener's 536", got)
	}
	if n := len(want[3].(*pb.ListEndpointsResponse).GetEndpoints()); n != 2 {
		t.Fatalf("server lists %d children, want both listeners' 2", n)
	}
	check := func(d *durable, when string) {
		t.Helper()
		for i, got := range views(d) {
			if !proto.Equal(got, want[i]) {
				t.Fatalf("%s:\n%v\nbefore:\n%v", when, got, want[i])
			}
		}
	}
	d = d.restart(t, Limits{})
	if d.rep.Exact != 1 {
		t.Fatalf("recovery %+v, want the session restored exactly", d.rep)
	}
	check(d, "after a restart")
	d.stopCleanly(t)
	check(startDurable(t, d.dir, Limits{}), "after a clean restart")
}
