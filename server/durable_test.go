package server

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
	"github.com/tcpemu/tcpemu/store"
)

// durable is an in-process server journaling to a real store in dir; a
// restart closes both and recovers a new server from the same directory.
type durable struct {
	*harness
	st  *store.Bolt
	dir string
	rep *RecoveryReport
}

func startDurable(t *testing.T, dir string, lim Limits) *durable {
	t.Helper()
	st, _, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Options{Limits: lim, Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), Store: st})
	rep, err := srv.Recover()
	if err != nil {
		t.Fatal(err)
	}
	gs := NewGRPCServer(srv)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = gs.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	d := &durable{harness: &harness{srv: srv, gs: gs, c: pb.NewEmulatorServiceClient(conn), conn: conn, ctx: ctx}, st: st, dir: dir, rep: rep}
	t.Cleanup(func() {
		cancel()
		d.stop()
	})
	return d
}

func (d *durable) stop() {
	d.conn.Close()
	d.srv.Shutdown()
	d.gs.Stop()
	_ = d.st.Close()
}

// restart stops d and recovers a new server from its directory.
func (d *durable) restart(t *testing.T, lim Limits) *durable {
	t.Helper()
	d.stop()
	return startDurable(t, d.dir, lim)
}

// allEvents lists a session's whole log with explanations in Korean.
func allEvents(t *testing.T, h *harness, session string) []*pb.Event {
	t.Helper()
	var out []*pb.Event
	tok := ""
	for {
		resp := must[*pb.ListEventsResponse](t)(h.c.ListEvents(h.ctx, &pb.ListEventsRequest{Parent: session, PageToken: tok, PageSize: 7, Language: "ko"}))
		out = append(out, resp.Events...)
		if tok = resp.NextPageToken; tok == "" {
			return out
		}
	}
}

// story drives a session through a handshake, data, a fault rule, a path
// with loss and delay, a partition, a Batch and a close, leaving timers
// pending (TIME-WAIT, a retransmission).
func story(t *testing.T, h *harness, id string) {
	t.Helper()
	c, ctx := h.c, h.ctx
	ep := func(n string) string { return "sessions/" + id + "/endpoints/" + n }
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: id, Session: &pb.Session{Seed: 42, Profile: "linux"}}))
	must[*pb.CreateEndpointResponse](t)(c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/" + id, EndpointId: "server", Endpoint: &pb.Endpoint{Local: addr("10.0.0.2", 80)}}))
	must[*pb.CreateEndpointResponse](t)(c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/" + id, EndpointId: "client", Endpoint: &pb.Endpoint{Local: addr("10.0.0.1", 40000)}}))
	must[*pb.ListenResponse](t)(c.Listen(ctx, &pb.ListenRequest{Name: ep("server")}))
	must[*pb.SetPathResponse](t)(c.SetPath(ctx, &pb.SetPathRequest{Session: "sessions/" + id, Path: &pb.Path{
		Src: addr("10.0.0.1", 0), Dst: addr("10.0.0.2", 0), Delay: durationpb.New(5 * time.Millisecond), Jitter: durationpb.New(2 * time.Millisecond), Loss: 0.2}}))
	must[*pb.ConnectResponse](t)(c.Connect(ctx, &pb.ConnectRequest{Name: ep("client"), Remote: addr("10.0.0.2", 80), Data: []byte("hello")}))
	must[*pb.AdvanceResponse](t)(c.Advance(ctx, &pb.AdvanceRequest{Session: "sessions/" + id, Target: &pb.AdvanceRequest_By{By: durationpb.New(30 * time.Second)}}))
	// A failed call is journaled too: its code is checked on replay.
	_, err := c.Send(ctx, &pb.SendRequest{Name: ep("nosuch"), Data: []byte("x")})
	wantCode(t, err, codes.NotFound)
	must[*pb.BatchResponse](t)(c.Batch(ctx, &pb.BatchRequest{Session: "sessions/" + id, Operations: []*pb.BatchOperation{
		{Operation: &pb.BatchOperation_Send{Send: &pb.SendRequest{Name: ep("server-1"), Data: []byte("world")}}},
		{Operation: &pb.BatchOperation_Close{Close: &pb.CloseRequest{Name: ep("client")}}},
		{Operation: &pb.BatchOperation_Advance{Advance: &pb.AdvanceRequest{Target: &pb.AdvanceRequest_By{By: durationpb.New(2 * time.Second)}}}},
	}}))
	must[*pb.ReceiveResponse](t)(c.Receive(ctx, &pb.ReceiveRequest{Name: ep("client"), MaxLength: 100}))
	must[*pb.CutResponse](t)(c.Cut(ctx, &pb.CutRequest{Session: "sessions/" + id, Partition: &pb.Partition{A: addr("10.0.0.1", 0), B: addr("10.0.0.2", 0)}}))
	must[*pb.CloseResponse](t)(c.Close(ctx, &pb.CloseRequest{Name: ep("server-1")}))
	must[*pb.AdvanceResponse](t)(c.Advance(ctx, &pb.AdvanceRequest{Session: "sessions/" + id, Target: &pb.AdvanceRequest_By{By: durationpb.New(1500 * time.Millisecond)}}))
}

func TestRestartRestoresSessionsExactly(t *testing.T) {
	d := startDurable(t, t.TempDir(), Limits{})
	story(t, d.harness, "a")
	story(t, d.harness, "b")
	before := map[string][]*pb.Event{"a": allEvents(t, d.harness, "sessions/a"), "b": allEvents(t, d.harness, "sessions/b")}
	getBefore := must[*pb.Session](t)(d.c.GetSession(d.ctx, &pb.GetSessionRequest{Name: "sessions/a"}))

	d = d.restart(t, Limits{})
	if d.rep.Sessions != 2 || d.rep.Exact != 2 {
		t.Fatalf("recovery %+v, want 2 sessions restored exactly", d.rep)
	}
	for id, want := range before {
		got := allEvents(t, d.harness, "sessions/"+id)
		if len(got) != len(want) {
			t.Fatalf("%s: %d events after restart, %d before", id, len(got), len(want))
		}
		for i := range want {
			if !proto.Equal(got[i], want[i]) {
				t.Fatalf("%s: event %d after restart\n%v\nbefore\n%v", id, i, got[i], want[i])
			}
		}
	}
	getAfter := must[*pb.Session](t)(d.c.GetSession(d.ctx, &pb.GetSessionRequest{Name: "sessions/a"}))
	if getAfter.Recovery.GetState() != pb.RecoveryState_RECOVERY_STATE_EXACT {
		t.Fatalf("recovery status %v", getAfter.Recovery)
	}
	getAfter.Recovery = nil
	if !proto.Equal(getAfter, getBefore) {
		t.Fatalf("session after restart\n%v\nbefore\n%v", getAfter, getBefore)
	}
	if getBefore.GetPending() == 0 {
		t.Fatal("the story left no timer pending: the test proves less than it says")
	}
}
