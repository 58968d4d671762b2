package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// story collects the events of every call of one session.
type story struct {
	t      *testing.T
	c      pb.EmulatorServiceClient
	ctx    context.Context
	events []*pb.Event
}

func (s *story) add(evs []*pb.Event) { s.events = append(s.events, evs...) }

func (s *story) advanceBy(d time.Duration) {
	s.add(must[*pb.AdvanceResponse](s.t)(s.c.Advance(s.ctx, &pb.AdvanceRequest{Session: "sessions/seed", Target: &pb.AdvanceRequest_By{By: durationpb.New(d)}})).Events)
}

func (s *story) untilIdle() *pb.AdvanceResponse {
	r := must[*pb.AdvanceResponse](s.t)(s.c.Advance(s.ctx, &pb.AdvanceRequest{Session: "sessions/seed", Target: &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{}}}))
	s.add(r.Events)
	return r
}

// states is one endpoint's state history: the first from_state, then
// every to_state.
func (s *story) states(endpoint string) []pb.State {
	var out []pb.State
	for _, ev := range s.events {
		if sc := ev.GetStateChange(); sc != nil && ev.Endpoint == endpoint {
			if len(out) == 0 {
				out = append(out, sc.FromState)
			}
			out = append(out, sc.ToState)
		}
	}
	return out
}

// entered is when endpoint last entered state.
func (s *story) entered(endpoint string, st pb.State) time.Duration {
	at := time.Duration(-1)
	for _, ev := range s.events {
		if sc := ev.GetStateChange(); sc != nil && ev.Endpoint == endpoint && sc.ToState == st {
			at = ev.Time.AsDuration()
		}
	}
	return at
}

// sent is the headers endpoint sent, in order.
func (s *story) sent(endpoint string) []*pb.SegmentHeader {
	var out []*pb.SegmentHeader
	for _, ev := range s.events {
		if se := ev.GetSegmentSent(); se != nil && ev.Endpoint == endpoint {
			out = append(out, se.Header)
		}
	}
	return out
}

// The seed's whole story through the real daemon, on a loopback port and
// on a unix socket: the three-way handshake (with the listener's fork),
// data acknowledged with SEQ + LEN, the four-way close, and TIME-WAIT
// ending exactly 2×MSL = 240 s after it began (RFC 9293 profile).
func TestSeedStory(t *testing.T) {
	for _, listen := range []string{"tcp", "unix"} {
		t.Run(listen, func(t *testing.T) {
			t.Parallel()
			d := startEmud(t, listen)
			c, _ := d.client(t)
			s := &story{t: t, c: c, ctx: testContext(t)}
			ctx := s.ctx
			isn := uint32(1000)
			must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "seed", Session: &pb.Session{Seed: 7, FixedIsn: &isn}}))
			for id, a := range map[string]*pb.Address{"server": addr("10.0.0.2", 80), "client": addr("10.0.0.1", 40000)} {
				must[*pb.CreateEndpointResponse](t)(c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/seed", EndpointId: id, Endpoint: &pb.Endpoint{Local: a}}))
			}
			s.add(must[*pb.ListenResponse](t)(c.Listen(ctx, &pb.ListenRequest{Name: "sessions/seed/endpoints/server"})).Events)
			s.add(must[*pb.ConnectResponse](t)(c.Connect(ctx, &pb.ConnectRequest{Name: "sessions/seed/endpoints/client", Remote: addr("10.0.0.2", 80)})).Events)
			s.untilIdle()

			// accept: the listener's established child.
			kids := must[*pb.ListEndpointsResponse](t)(c.ListEndpoints(ctx, &pb.ListEndpointsRequest{
				Parent: "sessions/seed", Listener: "sessions/seed/endpoints/server", States: []pb.State{pb.State_STATE_ESTABLISHED}}))
			if len(kids.Endpoints) != 1 {
				t.Fatalf("listener has %d established children, want 1", len(kids.Endpoints))
			}
			childName := kids.Endpoints[0].Name
			child := childName[strings.LastIndex(childName, "/")+1:]
			if kids.Endpoints[0].Parent != "sessions/seed/endpoints/server" || kids.Endpoints[0].Remote.GetPort() != 40000 {
				t.Fatalf("child %v", kids.Endpoints[0])
			}

			// 3-way handshake: SYN <SEQ=1000>, SYN,ACK <SEQ=1000><ACK=1001>, ACK <SEQ=1001><ACK=1001>.
			cs, ss := s.sent("client"), s.sent(child)
			if !cs[0].Flags.Syn || cs[0].Flags.Ack || cs[0].Seq != 1000 {
				t.Fatalf("first segment %v", cs[0])
			}
			if !ss[0].Flags.Syn || !ss[0].Flags.Ack || ss[0].Ack != 1001 {
				t.Fatalf("SYN,ACK %v", ss[0])
			}
			if !cs[1].Flags.Ack || cs[1].Seq != 1001 || cs[1].Ack != ss[0].Seq+1 {
				t.Fatalf("third segment %v", cs[1])
			}

			s.add(must[*pb.SendResponse](t)(c.Send(ctx, &pb.SendRequest{Name: "sessions/seed/endpoints/client", Data: []byte("hello")})).Events)
			s.advanceBy(0)
			rr := must[*pb.ReceiveResponse](t)(c.Receive(ctx, &pb.ReceiveRequest{Name: childName}))
			s.add(rr.Events)
			if string(rr.Data) != "hello" || rr.EndOfStream {
				t.Fatalf("received %q eof=%v", rr.Data, rr.EndOfStream)
			}
			// ACK = SEQ + LEN: the data segment <SEQ=1001> with 5 octets is acknowledged with 1006.
			if acks := s.sent(child); acks[len(acks)-1].Ack != 1006 {
				t.Fatalf("ACK of the data: %v", acks[len(acks)-1])
			}

			s.add(must[*pb.CloseResponse](t)(c.Close(ctx, &pb.CloseRequest{Name: "sessions/seed/endpoints/client"})).Events)
			s.advanceBy(0)
			// RECEIVE after the remote FIN with nothing left to read is
			// RFC 9293 §3.10.3's "error: connection closing".
			_, err := c.Receive(ctx, &pb.ReceiveRequest{Name: childName})
			if st := wantCode(t, err, codes.FailedPrecondition); !strings.Contains(st.Message(), "error: connection closing") {
				t.Fatalf("receive after FIN: %q", st.Message())
			}
			s.add(must[*pb.CloseResponse](t)(c.Close(ctx, &pb.CloseRequest{Name: childName})).Events)
			s.advanceBy(0)
			if r := s.untilIdle(); !r.Idle || !r.Complete {
				t.Fatalf("advance until idle: %v", r)
			}

			want := map[string][]pb.State{
				"client": {pb.State_STATE_CLOSED, pb.State_STATE_SYN_SENT, pb.State_STATE_ESTABLISHED,
					pb.State_STATE_FIN_WAIT_1, pb.State_STATE_FIN_WAIT_2, pb.State_STATE_TIME_WAIT, pb.State_STATE_CLOSED},
				child: {pb.State_STATE_LISTEN, pb.State_STATE_SYN_RECEIVED, pb.State_STATE_ESTABLISHED,
					pb.State_STATE_CLOSE_WAIT, pb.State_STATE_LAST_ACK, pb.State_STATE_CLOSED},
				"server": {pb.State_STATE_CLOSED, pb.State_STATE_LISTEN},
			}
			for ep, w := range want {
				if got := s.states(ep); !slices.Equal(got, w) {
					t.Errorf("%s went through %v, want %v", ep, got, w)
				}
			}
			tw, closed := s.entered("client", pb.State_STATE_TIME_WAIT), s.entered("client", pb.State_STATE_CLOSED)
			if closed-tw != 240*time.Second {
				t.Errorf("TIME-WAIT lasted %v, want 2×MSL = 240s", closed-tw)
			}
			for _, ev := range s.events {
				if sc := ev.GetStateChange(); sc != nil && (sc.Rule == "" || sc.Explanation == "") {
					t.Errorf("state change without rule or explanation: %v", ev)
				}
			}
			for i := 1; i < len(s.events); i++ {
				if s.events[i].Seq <= s.events[i-1].Seq {
					t.Fatalf("events out of order: %d after %d", s.events[i].Seq, s.events[i-1].Seq)
				}
			}
			sess := must[*pb.Session](t)(c.GetSession(ctx, &pb.GetSessionRequest{Name: "sessions/seed"}))
			if sess.Now.AsDuration() != closed || sess.Pending != 0 || sess.LastEventSeq < s.events[len(s.events)-1].Seq {
				t.Errorf("session %v", sess)
			}
		})
	}
}
