package server

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// A panic inside one call (here, inside a session's apply) is INTERNAL;
// the session's lock is released and the session and daemon carry on.
func TestPanicInOneCallIsInternalAndTheSessionCarriesOn(t *testing.T) {
	h := newHarness(t, Limits{})
	must[*pb.Session](t)(h.c.CreateSession(h.ctx, &pb.CreateSessionRequest{SessionId: "p"}))
	_, err := h.srv.recoverUnary(h.ctx, &pb.GetSessionRequest{Name: "sessions/p"}, &grpc.UnaryServerInfo{FullMethod: "/test/Panic"},
		func(context.Context, any) (any, error) {
			return apply(h.srv, "p", "", func(*session, eventOpts) (int, error) { panic("boom") })
		})
	if st := wantCode(t, err, codes.Internal); !strings.Contains(st.Message(), "boom") {
		t.Fatalf("message %q", st.Message())
	}
	ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
	defer cancel()
	must[*pb.Session](t)(h.c.GetSession(ctx, &pb.GetSessionRequest{Name: "sessions/p"}))
}

func createPair(t *testing.T, h *harness, session string) {
	t.Helper()
	must[*pb.Session](t)(h.c.CreateSession(h.ctx, &pb.CreateSessionRequest{SessionId: session}))
	for id, a := range map[string]*pb.Address{"server": addr("10.0.0.2", 80), "client": addr("10.0.0.1", 4000)} {
		must[*pb.CreateEndpointResponse](t)(h.c.CreateEndpoint(h.ctx, &pb.CreateEndpointRequest{Parent: "sessions/" + session, EndpointId: id, Endpoint: &pb.Endpoint{Local: a}}))
	}
}

// A consumer slower than the producer is served from the log: every event,
// once, in order, however far behind it falls.
func TestSlowWatcherIsNeverSkipped(t *testing.T) {
	h := newHarness(t, Limits{MaxEventsPerMessage: 3})
	createPair(t, h, "slow")
	must[*pb.ListenResponse](t)(h.c.Listen(h.ctx, &pb.ListenRequest{Name: "sessions/slow/endpoints/server"}))
	cmd := must[watchCmd](t)(h.srv.parser().watch(&pb.WatchRequest{Session: "sessions/slow"}))
	ctx, cancel := context.WithCancel(h.ctx)
	var (
		mu  sync.Mutex
		got []uint64
	)
	done := make(chan error, 1)
	go func() {
		done <- h.srv.watch(ctx, cmd, func(r *pb.WatchResponse) error {
			time.Sleep(time.Millisecond) // slower than the writer below
			mu.Lock()
			for _, ev := range r.Events {
				got = append(got, ev.Seq)
			}
			mu.Unlock()
			return nil
		})
	}()
	must[*pb.ConnectResponse](t)(h.c.Connect(h.ctx, &pb.ConnectRequest{Name: "sessions/slow/endpoints/client", Remote: addr("10.0.0.2", 80)}))
	must[*pb.AdvanceResponse](t)(h.c.Advance(h.ctx, &pb.AdvanceRequest{Session: "sessions/slow", Target: &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{}}}))
	for i := 0; i < 50; i++ {
		must[*pb.SendResponse](t)(h.c.Send(h.ctx, &pb.SendRequest{Name: "sessions/slow/endpoints/client", Data: []byte("x")}))
		must[*pb.AdvanceResponse](t)(h.c.Advance(h.ctx, &pb.AdvanceRequest{Session: "sessions/slow", Target: &pb.AdvanceRequest_By{By: durationpb.New(time.Millisecond)}}))
	}
	var want []uint64
	for req := (&pb.ListEventsRequest{Parent: "sessions/slow", PageSize: 3}); ; {
		r := must[*pb.ListEventsResponse](t)(h.c.ListEvents(h.ctx, req))
		for _, ev := range r.Events {
			want = append(want, ev.Seq)
		}
		if r.NextPageToken == "" {
			break
		}
		req.PageToken = r.NextPageToken
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if !slices.Equal(got, want) {
		t.Fatalf("watched %d events, log has %d", len(got), len(want))
	}
}

func TestAdvanceBoundsAndClock(t *testing.T) {
	h := newHarness(t, Limits{MaxAdvanceSteps: 2})
	createPair(t, h, "a")
	must[*pb.ConnectResponse](t)(h.c.Connect(h.ctx, &pb.ConnectRequest{Name: "sessions/a/endpoints/client", Remote: addr("10.0.0.9", 80)}))
	// The SYN to an external host: one delivery, then retransmissions.
	r := must[*pb.AdvanceResponse](t)(h.c.Advance(h.ctx, &pb.AdvanceRequest{Session: "sessions/a", Target: &pb.AdvanceRequest_By{By: durationpb.New(time.Hour)}}))
	if r.Complete || r.Steps != 2 || r.Idle || r.NextDeadline == nil {
		t.Fatalf("advance past the step limit: %v", r)
	}
	r = must[*pb.AdvanceResponse](t)(h.c.Advance(h.ctx, &pb.AdvanceRequest{Session: "sessions/a", Target: &pb.AdvanceRequest_Step{Step: &pb.AdvanceStep{}}}))
	if r.Steps != 1 || !r.Complete {
		t.Fatalf("one step: %v", r)
	}
	now := r.Now.AsDuration()
	_, err := h.c.Advance(h.ctx, &pb.AdvanceRequest{Session: "sessions/a", Target: &pb.AdvanceRequest_To{To: durationpb.New(now - time.Nanosecond)}})
	wantCode(t, err, codes.FailedPrecondition)
	r = must[*pb.AdvanceResponse](t)(h.c.Advance(h.ctx, &pb.AdvanceRequest{Session: "sessions/a", Target: &pb.AdvanceRequest_To{To: durationpb.New(now)}}))
	if r.Now.AsDuration() != now || !r.Complete {
		t.Fatalf("advance to now: %v", r)
	}
}

// ListEndpoints pages in creation order with opaque tokens, and DeleteEndpoint
// aborts an open connection first.
func TestListEndpointsPagesAndDeleteAborts(t *testing.T) {
	h := newHarness(t, Limits{})
	must[*pb.Session](t)(h.c.CreateSession(h.ctx, &pb.CreateSessionRequest{SessionId: "l"}))
	for i := 0; i < 7; i++ {
		must[*pb.CreateEndpointResponse](t)(h.c.CreateEndpoint(h.ctx, &pb.CreateEndpointRequest{Parent: "sessions/l", Endpoint: &pb.Endpoint{Local: addr("10.0.0.1", uint32(100+i))}}))
	}
	var names []string
	for req := (&pb.ListEndpointsRequest{Parent: "sessions/l", PageSize: 3}); ; {
		r := must[*pb.ListEndpointsResponse](t)(h.c.ListEndpoints(h.ctx, req))
		for _, ep := range r.Endpoints {
			names = append(names, fmt.Sprintf("%s:%d", ep.Name, ep.Local.Port))
		}
		if r.NextPageToken == "" {
			break
		}
		req.PageToken = r.NextPageToken
	}
	if len(names) != 7 || !strings.HasSuffix(names[0], ":100") || !strings.HasSuffix(names[6], ":106") {
		t.Fatalf("pages %v", names)
	}
	first := names[0][:strings.LastIndex(names[0], ":")]
	must[*pb.ConnectResponse](t)(h.c.Connect(h.ctx, &pb.ConnectRequest{Name: first, Remote: addr("10.0.0.9", 80)}))
	del := must[*pb.DeleteEndpointResponse](t)(h.c.DeleteEndpoint(h.ctx, &pb.DeleteEndpointRequest{Name: first}))
	aborted := false
	for _, ev := range del.Events {
		if c := ev.GetCall(); c != nil && c.Call == pb.Call_CALL_ABORT {
			aborted = true
		}
	}
	if !aborted {
		t.Fatalf("delete of a SYN-SENT endpoint did not abort: %v", del.Events)
	}
	_, err := h.c.GetEndpoint(h.ctx, &pb.GetEndpointRequest{Name: first})
	wantCode(t, err, codes.NotFound)
}
