package e2e

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// allSeqs pages through ListEvents: the log as the server keeps it.
func allSeqs(t *testing.T, ctx context.Context, c pb.EmulatorServiceClient, session string) []uint64 {
	var seqs []uint64
	req := &pb.ListEventsRequest{Parent: session, PageSize: 50}
	for {
		r := must[*pb.ListEventsResponse](t)(c.ListEvents(ctx, req))
		for _, ev := range r.Events {
			seqs = append(seqs, ev.Seq)
		}
		if r.NextPageToken == "" {
			return seqs
		}
		req.PageToken = r.NextPageToken
	}
}

func runBatch(t *testing.T, ctx context.Context, c pb.EmulatorServiceClient, session string, ops []*pb.BatchOperation) *pb.BatchResponse {
	t.Helper()
	r := must[*pb.BatchResponse](t)(c.Batch(ctx, &pb.BatchRequest{Session: session, Operations: ops}))
	if r.FailedOperation != nil {
		t.Fatalf("operation %d failed: %v", *r.FailedOperation, r.Results[*r.FailedOperation].Error)
	}
	return r
}

// A watcher that disconnects (its whole connection closed) and resumes
// with after_seq = the last seq it saw gets every event exactly once:
// the concatenation equals the log, with no gap and no duplicate, and
// events made while it was away and after it caught up all arrive.
func TestWatchResumesAfterDisconnectWithoutGapOrDuplicate(t *testing.T) {
	d := startEmud(t, "tcp")
	c, _ := d.client(t)
	ctx := testContext(t)
	const session = "sessions/w"
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "w"}))
	runBatch(t, ctx, c, session, append(serverOps(session), lifecycleOps(session, 1)...))

	// First connection: read a few small batches, then hang up.
	c1, conn1 := d.client(t)
	wctx, cancel := context.WithCancel(ctx)
	stream := must[pb.EmulatorService_WatchClient](t)(c1.Watch(wctx, &pb.WatchRequest{Session: session, MaxBatch: 7}))
	var got []uint64
	for len(got) < 20 {
		r := must[*pb.WatchResponse](t)(stream.Recv())
		if len(r.Events) > 7 {
			t.Fatalf("batch of %d events, max_batch 7", len(r.Events))
		}
		for _, ev := range r.Events {
			got = append(got, ev.Seq)
		}
	}
	cancel()
	conn1.Close()

	// While it is away, more happens.
	runBatch(t, ctx, c, session, lifecycleOps(session, 2))

	// Second connection: resume after the last seq seen, catch up, then
	// see live events.
	c2, _ := d.client(t)
	stream = must[pb.EmulatorService_WatchClient](t)(c2.Watch(ctx, &pb.WatchRequest{Session: session, AfterSeq: got[len(got)-1], OmitExplanations: true}))
	caughtUp := false
	for !caughtUp {
		r := must[*pb.WatchResponse](t)(stream.Recv())
		for _, ev := range r.Events {
			got = append(got, ev.Seq)
		}
		caughtUp = r.CaughtUp
	}
	runBatch(t, ctx, c, session, lifecycleOps(session, 3))
	want := allSeqs(t, ctx, c, session)
	for len(got) < len(want) {
		r := must[*pb.WatchResponse](t)(stream.Recv())
		if r.CaughtUp {
			t.Fatal("caught_up sent twice")
		}
		for _, ev := range r.Events {
			got = append(got, ev.Seq)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("watched %d seqs, log has %d\nwatched %v\nlog     %v", len(got), len(want), got, want)
	}
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Fatal("duplicates or disorder")
	}
}

// Filters: only the asked-for endpoint and kinds arrive.
func TestWatchFiltersByEndpointAndKind(t *testing.T) {
	d := startEmud(t, "unix")
	c, _ := d.client(t)
	ctx := testContext(t)
	const session = "sessions/f"
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "f"}))
	runBatch(t, ctx, c, session, append(serverOps(session), lifecycleOps(session, 1)...))
	stream := must[pb.EmulatorService_WatchClient](t)(c.Watch(ctx, &pb.WatchRequest{
		Session: session, Endpoints: []string{"c1"}, Kinds: []pb.EventKind{pb.EventKind_EVENT_KIND_STATE_CHANGE}, Language: "ko"}))
	var states []pb.State
	for {
		r := must[*pb.WatchResponse](t)(stream.Recv())
		for _, ev := range r.Events {
			if ev.Endpoint != "c1" || ev.Kind != pb.EventKind_EVENT_KIND_STATE_CHANGE {
				t.Fatalf("unfiltered event %v", ev)
			}
			states = append(states, ev.GetStateChange().ToState)
		}
		if r.CaughtUp {
			break
		}
	}
	want := []pb.State{pb.State_STATE_SYN_SENT, pb.State_STATE_ESTABLISHED, pb.State_STATE_FIN_WAIT_1,
		pb.State_STATE_FIN_WAIT_2, pb.State_STATE_TIME_WAIT, pb.State_STATE_CLOSED}
	if !slices.Equal(states, want) {
		t.Fatalf("c1 states %v, want %v", states, want)
	}
}

// When the events a watcher needs were trimmed from the log, the stream
// ends with OUT_OF_RANGE naming the oldest seq still kept. (In memory:
// the store's own bound is tested in server/durable_test.go.)
func TestWatchOfTrimmedEventsIsOutOfRange(t *testing.T) {
	d := startEmud(t, "tcp", "--store", "memory", "--max-log-events", "10")
	c, _ := d.client(t)
	ctx := testContext(t)
	const session = "sessions/t"
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "t"}))
	runBatch(t, ctx, c, session, append(serverOps(session), lifecycleOps(session, 1)...))
	runBatch(t, ctx, c, session, lifecycleOps(session, 2)) // trimming happens as a call begins
	sess := must[*pb.Session](t)(c.GetSession(ctx, &pb.GetSessionRequest{Name: session}))
	if sess.FirstEventSeq <= 1 {
		t.Fatalf("log not trimmed: first_event_seq %d", sess.FirstEventSeq)
	}
	stream := must[pb.EmulatorService_WatchClient](t)(c.Watch(ctx, &pb.WatchRequest{Session: session}))
	_, err := stream.Recv()
	st := wantCode(t, err, codes.OutOfRange)
	if want := "oldest available is seq "; !strings.Contains(st.Message(), want) {
		t.Fatalf("message %q lacks %q", st.Message(), want)
	}
	// Resuming from the oldest kept event works.
	stream = must[pb.EmulatorService_WatchClient](t)(c.Watch(ctx, &pb.WatchRequest{Session: session, AfterSeq: sess.FirstEventSeq - 1}))
	r := must[*pb.WatchResponse](t)(stream.Recv())
	if len(r.Events) == 0 || r.Events[0].Seq != sess.FirstEventSeq {
		t.Fatalf("resumed at %v, want seq %d", r.Events, sess.FirstEventSeq)
	}
}

// Deleting a watched session ends its streams with NOT_FOUND.
func TestWatchEndsWhenSessionDeleted(t *testing.T) {
	d := startEmud(t, "tcp")
	c, _ := d.client(t)
	ctx := testContext(t)
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "gone"}))
	stream := must[pb.EmulatorService_WatchClient](t)(c.Watch(ctx, &pb.WatchRequest{Session: "sessions/gone"}))
	if r := must[*pb.WatchResponse](t)(stream.Recv()); !r.CaughtUp {
		t.Fatal("first message of an empty session is not caught_up")
	}
	must[any](t)(c.DeleteSession(ctx, &pb.DeleteSessionRequest{Name: "sessions/gone"}))
	_, err := stream.Recv()
	wantCode(t, err, codes.NotFound)
}

// SIGTERM ends open streams with UNAVAILABLE (so clients resume) and the
// daemon exits cleanly.
func TestShutdownEndsWatchWithUnavailable(t *testing.T) {
	d := startEmud(t, "tcp")
	c, _ := d.client(t)
	ctx := testContext(t)
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "s"}))
	stream := must[pb.EmulatorService_WatchClient](t)(c.Watch(ctx, &pb.WatchRequest{Session: "sessions/s"}))
	must[*pb.WatchResponse](t)(stream.Recv())
	start := time.Now()
	d.stop(t)
	_, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		t.Fatal("stream ended with OK, want UNAVAILABLE")
	}
	wantCode(t, err, codes.Unavailable)
	if d.err != nil {
		t.Fatalf("emud exited with %v", d.err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("shutdown took %v", el)
	}
	if _, err := c.GetSession(ctx, &pb.GetSessionRequest{Name: "sessions/s"}); status.Code(err) != codes.Unavailable {
		t.Fatalf("call after shutdown: %v", err)
	}
}
