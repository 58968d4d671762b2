package server

import (
	"testing"

	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// states returns the state changes of one endpoint among events.
func states(evs []*pb.Event, endpoint string) []pb.State {
	var out []pb.State
	for _, ev := range evs {
		if sc := ev.GetStateChange(); sc != nil && ev.Endpoint == endpoint {
			if len(out) == 0 {
				out = append(out, sc.FromState)
			}
			out = append(out, sc.ToState)
		}
	}
	return out
}

func TestSeedStoryInProcess(t *testing.T) {
	h := newHarness(t, Limits{})
	c, ctx := h.c, h.ctx
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "s1"}))
	must[*pb.CreateEndpointResponse](t)(c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/s1", EndpointId: "server", Endpoint: &pb.Endpoint{Local: addr("10.0.0.2", 80)}}))
	must[*pb.CreateEndpointResponse](t)(c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/s1", EndpointId: "client", Endpoint: &pb.Endpoint{Local: addr("10.0.0.1", 40000)}}))
	must[*pb.ListenResponse](t)(c.Listen(ctx, &pb.ListenRequest{Name: "sessions/s1/endpoints/server"}))
	cr := must[*pb.ConnectResponse](t)(c.Connect(ctx, &pb.ConnectRequest{Name: "sessions/s1/endpoints/client", Remote: addr("10.0.0.2", 80)}))
	if len(cr.Events) == 0 {
		t.Fatal("connect returned no events")
	}
	adv := must[*pb.AdvanceResponse](t)(c.Advance(ctx, &pb.AdvanceRequest{Session: "sessions/s1", Target: &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{}}}))
	all := append(cr.Events, adv.Events...)
	if got := states(all, "client"); len(got) != 3 || got[2] != pb.State_STATE_ESTABLISHED {
		t.Fatalf("client states %v", got)
	}
	kids := must[*pb.ListEndpointsResponse](t)(c.ListEndpoints(ctx, &pb.ListEndpointsRequest{Parent: "sessions/s1", Listener: "sessions/s1/endpoints/server"}))
	if len(kids.Endpoints) != 1 || kids.Endpoints[0].State != pb.State_STATE_ESTABLISHED {
		t.Fatalf("children %v", kids.Endpoints)
	}
	child := kids.Endpoints[0].Name
	if got := states(all, child[len("sessions/s1/endpoints/"):]); len(got) != 3 || got[0] != pb.State_STATE_LISTEN {
		t.Fatalf("child states %v", got)
	}
	must[*pb.SendResponse](t)(c.Send(ctx, &pb.SendRequest{Name: "sessions/s1/endpoints/client", Data: []byte("hello")}))
	must[*pb.AdvanceResponse](t)(c.Advance(ctx, &pb.AdvanceRequest{Session: "sessions/s1", Target: &pb.AdvanceRequest_By{By: durationpb.New(0)}}))
	rr := must[*pb.ReceiveResponse](t)(c.Receive(ctx, &pb.ReceiveRequest{Name: child}))
	if string(rr.Data) != "hello" {
		t.Fatalf("received %q", rr.Data)
	}
	must[*pb.CloseResponse](t)(c.Close(ctx, &pb.CloseRequest{Name: "sessions/s1/endpoints/client"}))
	must[*pb.AdvanceResponse](t)(c.Advance(ctx, &pb.AdvanceRequest{Session: "sessions/s1", Target: &pb.AdvanceRequest_By{By: durationpb.New(0)}}))
	must[*pb.CloseResponse](t)(c.Close(ctx, &pb.CloseRequest{Name: child}))
	adv = must[*pb.AdvanceResponse](t)(c.Advance(ctx, &pb.AdvanceRequest{Session: "sessions/s1", Target: &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{}}}))
	if !adv.Idle || !adv.Complete {
		t.Fatalf("advance %v", adv)
	}
	ep := must[*pb.Endpoint](t)(c.GetEndpoint(ctx, &pb.GetEndpointRequest{Name: "sessions/s1/endpoints/client"}))
	if ep.State != pb.State_STATE_CLOSED {
		t.Fatalf("client %v", ep.State)
	}
	for _, ev := range adv.Events {
		t.Logf("%d %v %s %v", ev.Seq, ev.Time.AsDuration(), ev.Endpoint, ev.Kind)
	}
}
