package server

import (
	"fmt"
	"io"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// namesLimits keep a small log in memory (the durable minimum is twice
// a call's events), so that most of a session's history is in the store
// only, and its deleted endpoints' records can go.
var namesLimits = Limits{MaxLogEvents: 64, MaxEventsPerCall: 128}

// lifecycles runs n connection lifecycles, each through plain calls,
// against the listener "server" of session id: create a client, connect
// with a byte, the child answers, both close, TIME-WAIT runs out, and
// both endpoints are deleted. After each one it reads the new events —
// still in memory, named by the live records — and appends them to
// *seen; it returns the most records the session held after one, and the
// fewest events a lifecycle caused.
func lifecycles(t *testing.T, h *harness, id string, from, n int, seen *[]*pb.Event) (maxRecs, minEvents int) {
	t.Helper()
	c, ctx := h.c, h.ctx
	ep := func(n string) string { return "sessions/" + id + "/endpoints/" + n }
	sess := must[*session](t)(h.srv.reg.get(id))
	advance := func(by time.Duration) {
		must[*pb.AdvanceResponse](t)(c.Advance(ctx, &pb.AdvanceRequest{Session: "sessions/" + id, Target: &pb.AdvanceRequest_By{By: durationpb.New(by)}}))
	}
	minEvents = 1 << 30
	for i := from; i < from+n; i++ {
		client, child := fmt.Sprintf("c%d", i), fmt.Sprintf("server-%d", i)
		must[*pb.CreateEndpointResponse](t)(c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/" + id, EndpointId: client,
			Endpoint: &pb.Endpoint{Local: addr("10.0.0.1", uint32(1000+i))}}))
		must[*pb.ConnectResponse](t)(c.Connect(ctx, &pb.ConnectRequest{Name: ep(client), Remote: addr("10.0.0.2", 80), Data: []byte("x")}))
		advance(time.Second)
		must[*pb.SendResponse](t)(c.Send(ctx, &pb.SendRequest{Name: ep(child), Data: []byte("y")}))
		must[*pb.CloseResponse](t)(c.Close(ctx, &pb.CloseRequest{Name: ep(client)}))
		advance(time.Second)
		must[*pb.CloseResponse](t)(c.Close(ctx, &pb.CloseRequest{Name: ep(child)}))
		advance(5 * time.Minute) // past TIME-WAIT
		must[*pb.DeleteEndpointResponse](t)(c.DeleteEndpoint(ctx, &pb.DeleteEndpointRequest{Name: ep(client)}))
		must[*pb.DeleteEndpointResponse](t)(c.DeleteEndpoint(ctx, &pb.DeleteEndpointRequest{Name: ep(child)}))

		var after uint64
		if len(*seen) > 0 {
			after = (*seen)[len(*seen)-1].Seq
		}
		resp := must[*pb.ListEventsResponse](t)(c.ListEvents(ctx, &pb.ListEventsRequest{Parent: "sessions/" + id, PageToken: encodeOrderToken(tokenEvents, after), PageSize: 1000}))
		if resp.NextPageToken != "" || len(resp.Events) == 0 {
			t.Fatalf("lifecycle %d: %d new events and more to come: the test reads them in one page", i, len(resp.Events))
		}
		*seen = append(*seen, resp.Events...)
		minEvents = min(minEvents, len(resp.Events))
		sess.mu.Lock()
		maxRecs = max(maxRecs, len(sess.byCore))
		sess.mu.Unlock()
	}
	return maxRecs, minEvents
}

// wholeHistory reads a session's log from the start through ListEvents
// and through Watch, which must agree.
func wholeHistory(t *testing.T, h *harness, id string) []*pb.Event {
	t.Helper()
	var listed []*pb.Event
	tok := ""
	for {
		resp := must[*pb.ListEventsResponse](t)(h.c.ListEvents(h.ctx, &pb.ListEventsRequest{Parent: "sessions/" + id, PageToken: tok, PageSize: 500}))
		listed = append(listed, resp.Events...)
		if tok = resp.NextPageToken; tok == "" {
			break
		}
	}
	stream := must[pb.EmulatorService_WatchClient](t)(h.c.Watch(h.ctx, &pb.WatchRequest{Session: "sessions/" + id}))
	var watched []*pb.Event
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			t.Fatal("watch ended before it caught up")
		}
		if err != nil {
			t.Fatal(err)
		}
		watched = append(watched, resp.Events...)
		if resp.CaughtUp {
			break
		}
	}
	sameEvents(t, "watched", watched, listed)
	return listed
}

func sameEvents(t *testing.T, what string, got, want []*pb.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Fatalf("%s: event %d is\n%v\nwant (as it read when it happened)\n%v", what, i, got[i], want[i])
		}
	}
}

// A session that runs connection lifecycles keeps records for its live
// endpoints and the lifecycles its in-memory log still holds, however
// many it has run — and its snapshots stay as small — while its whole
// history, read from the store long after the endpoints were deleted
// and again after a restart, names every endpoint as it did at the time.
func TestDeletedEndpointsRetireButHistoryKeepsTheirNames(t *testing.T) {
	d := startDurable(t, t.TempDir(), namesLimits)
	c, ctx := d.c, d.ctx
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "l", Session: &pb.Session{Seed: 7}}))
	must[*pb.CreateEndpointResponse](t)(c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/l", EndpointId: "server", Endpoint: &pb.Endpoint{Local: addr("10.0.0.2", 80)}}))
	must[*pb.ListenResponse](t)(c.Listen(ctx, &pb.ListenRequest{Name: "sessions/l/endpoints/server"}))

	var seen []*pb.Event
	snapSize := func() int {
		sess := must[*session](t)(d.srv.reg.get("l"))
		sess.mu.Lock()
		defer sess.mu.Unlock()
		return len(must[[]byte](t)(sess.snapshotRecords()))
	}
	early, minEvents := lifecycles(t, d.harness, "l", 1, 20, &seen)
	earlySnap := snapSize()
	late, minLate := lifecycles(t, d.harness, "l", 21, 180, &seen)
	minEvents = min(minEvents, minLate)

	// The log holds at most twice its limit plus a call's events; a
	// lifecycle's two records stay while it may hold any of its events.
	lim := namesLimits.withDefaults()
	logLimit := max(lim.MaxLogEvents, 2*lim.MaxEventsPerCall)
	bound := 1 + 2*((2*logLimit+lim.MaxEventsPerCall)/minEvents+1)
	t.Logf("records: up to %d in lifecycles 1-20, %d in 21-200; bound %d (a lifecycle causes at least %d events)", early, late, bound, minEvents)
	if late > bound || late > early+2 {
		t.Fatalf("the session held up to %d endpoint records in lifecycles 21-200 (%d in 1-20), want at most %d (live listener + lifecycles the log holds): deleted records are kept", late, early, bound)
	}
	if s := snapSize(); s > earlySnap+16 {
		t.Fatalf("records snapshot %d octets after 200 lifecycles, %d after 20: it grows with history", s, earlySnap)
	}
	sess := must[*session](t)(d.srv.reg.get("l"))
	sess.mu.Lock()
	trimmed := sess.em.FirstSeq()
	sess.mu.Unlock()
	if trimmed < uint64(len(seen))/2 {
		t.Fatalf("the in-memory log still holds from seq %d of %d: the history would not come from the store", trimmed, len(seen))
	}

	sameEvents(t, "history", wholeHistory(t, d.harness, "l"), seen)
	// A filter by endpoint finds a long-deleted lifecycle's events by name.
	var third []*pb.Event
	for _, e := range seen {
		if e.Endpoint == "c3" || e.Endpoint == "server-3" {
			third = append(third, e)
		}
	}
	filtered := must[*pb.ListEventsResponse](t)(c.ListEvents(ctx, &pb.ListEventsRequest{Parent: "sessions/l", PageSize: 1000,
		Endpoints: []string{"c3", "server-3"}}))
	if len(third) == 0 {
		t.Fatal("lifecycle 3 left no events: the filter proves nothing")
	}
	sameEvents(t, "events of lifecycle 3", filtered.Events, third)

	d = d.restart(t, namesLimits)
	if d.rep.Exact != 1 {
		t.Fatalf("recovery %+v, want the session restored exactly", d.rep)
	}
	sameEvents(t, "history after a restart", wholeHistory(t, d.harness, "l"), seen)

	// The lifecycles go on after the restart, naming their events as
	// before, and the records stay as few.
	more, _ := lifecycles(t, d.harness, "l", 201, 20, &seen)
	if more > bound {
		t.Fatalf("%d endpoint records after the restart, want at most %d", more, bound)
	}
	// A clean stop snapshots the live records only: the restored log is
	// empty, so no other record can be needed.
	d.stopCleanly(t)
	d = startDurable(t, d.dir, namesLimits)
	sess = must[*session](t)(d.srv.reg.get("l"))
	sess.mu.Lock()
	recs := len(sess.byCore)
	sess.mu.Unlock()
	if recs != 1 {
		t.Fatalf("%d endpoint records after a clean restart, want the listener's only", recs)
	}
	sameEvents(t, "history after a clean restart", wholeHistory(t, d.harness, "l"), seen)
}

// Without a store the same holds: a deleted endpoint's record goes with
// the last of its events in memory, which is all such a session can show.
func TestDeletedEndpointsRetireInMemory(t *testing.T) {
	h := newHarness(t, Limits{MaxLogEvents: 128})
	must[*pb.Session](t)(h.c.CreateSession(h.ctx, &pb.CreateSessionRequest{SessionId: "m", Session: &pb.Session{Seed: 7}}))
	must[*pb.CreateEndpointResponse](t)(h.c.CreateEndpoint(h.ctx, &pb.CreateEndpointRequest{Parent: "sessions/m", EndpointId: "server", Endpoint: &pb.Endpoint{Local: addr("10.0.0.2", 80)}}))
	must[*pb.ListenResponse](t)(h.c.Listen(h.ctx, &pb.ListenRequest{Name: "sessions/m/endpoints/server"}))
	var seen []*pb.Event
	early, minEvents := lifecycles(t, h, "m", 1, 20, &seen)
	late, _ := lifecycles(t, h, "m", 21, 100, &seen)
	// The log keeps at most twice its limit plus a call's events (here
	// fewer than a lifecycle's).
	bound := 1 + 2*((2*128)/minEvents+2)
	t.Logf("records: up to %d in lifecycles 1-20, %d in 21-120; bound %d (a lifecycle causes at least %d events)", early, late, bound, minEvents)
	if late > early+2 || late > bound {
		t.Fatalf("up to %d endpoint records in lifecycles 21-120 (%d in 1-20), want at most %d", late, early, bound)
	}
}
