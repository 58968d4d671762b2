package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// kill9 kills the daemon with SIGKILL, as a crash would, and waits.
func (d *daemon) kill9(t *testing.T) {
	t.Helper()
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.exited
	d.err = nil // expected: the cleanup must not report it
}

// scriptOp is call i of a session's script: connection lifecycles one
// step at a time, so that a kill lands between and inside every kind of
// call. Every call causes at least one event or changes what GetSession
// shows, so whether an unanswered call was applied can be told. Some
// calls fail (a child not yet forked): acknowledged failures count too.
func scriptOp(ctx context.Context, c pb.EmulatorServiceClient, session string, i int) ([]*pb.Event, error) {
	s := "sessions/" + session
	ep := func(id string) string { return s + "/endpoints/" + id }
	by := func(d time.Duration) *pb.AdvanceRequest {
		return &pb.AdvanceRequest{Session: s, Target: &pb.AdvanceRequest_By{By: durationpb.New(d)}}
	}
	if i == 0 {
		backlog := uint32(1000)
		r, err := c.Batch(ctx, &pb.BatchRequest{Session: s, Operations: []*pb.BatchOperation{
			{Operation: &pb.BatchOperation_CreateEndpoint{CreateEndpoint: &pb.CreateEndpointRequest{Parent: s, EndpointId: "server", Endpoint: &pb.Endpoint{Local: addr("10.0.0.2", 80)}}}},
			{Operation: &pb.BatchOperation_Listen{Listen: &pb.ListenRequest{Name: ep("server"), Backlog: &backlog}}},
		}})
		return r.GetEvents(), err
	}
	k := (i - 1) / 6
	client := "c" + strconv.Itoa(k)
	switch (i - 1) % 6 {
	case 0:
		r, err := c.Batch(ctx, &pb.BatchRequest{Session: s, Operations: []*pb.BatchOperation{
			{Operation: &pb.BatchOperation_CreateEndpoint{CreateEndpoint: &pb.CreateEndpointRequest{Parent: s, EndpointId: client, Endpoint: &pb.Endpoint{Local: addr("10.0.0.1", uint32(1000+k%60000))}}}},
			{Operation: &pb.BatchOperation_Connect{Connect: &pb.ConnectRequest{Name: ep(client), Remote: addr("10.0.0.2", 80), Data: []byte("req " + session + "/" + client)}}},
		}})
		return r.GetEvents(), err
	case 1:
		r, err := c.Advance(ctx, by(10*time.Millisecond))
		return r.GetEvents(), err
	case 2:
		r, err := c.Send(ctx, &pb.SendRequest{Name: ep("server-" + strconv.Itoa(k+1)), Data: []byte("resp")})
		return r.GetEvents(), err
	case 3:
		r, err := c.Close(ctx, &pb.CloseRequest{Name: ep(client)})
		return r.GetEvents(), err
	case 4:
		r, err := c.Close(ctx, &pb.CloseRequest{Name: ep("server-" + strconv.Itoa(k+1))})
		return r.GetEvents(), err
	default: // past TIME-WAIT (240 s), with the FIN exchange first
		r, err := c.Advance(ctx, by(250*time.Second))
		return r.GetEvents(), err
	}
}

// transportError reports an error that is the daemon going away, not an
// answer.
func transportError(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.Canceled, codes.DeadlineExceeded:
		return true
	}
	return false
}

// fingerprint is what a session shows: its whole log and its counters.
type fingerprint struct {
	events []*pb.Event
	now    time.Duration
	seq    uint64
	eps    uint32
	pend   uint32
}

func fingerprintOf(t *testing.T, ctx context.Context, c pb.EmulatorServiceClient, session string) fingerprint {
	t.Helper()
	s := must[*pb.Session](t)(c.GetSession(ctx, &pb.GetSessionRequest{Name: "sessions/" + session}))
	return fingerprint{events: listAll(t, ctx, c, session), now: s.GetNow().AsDuration(), seq: s.LastEventSeq, eps: s.EndpointCount, pend: s.Pending}
}

func listAll(t *testing.T, ctx context.Context, c pb.EmulatorServiceClient, session string) []*pb.Event {
	t.Helper()
	var out []*pb.Event
	for tok := ""; ; {
		r := must[*pb.ListEventsResponse](t)(c.ListEvents(ctx, &pb.ListEventsRequest{Parent: "sessions/" + session, PageToken: tok, PageSize: 1000}))
		out = append(out, r.Events...)
		if tok = r.NextPageToken; tok == "" {
			return out
		}
	}
}

func (f fingerprint) equal(g fingerprint) (bool, string) {
	if f.now != g.now || f.seq != g.seq || f.eps != g.eps || f.pend != g.pend {
		return false, fmt.Sprintf("now %v seq %d endpoints %d pending %d vs now %v seq %d endpoints %d pending %d",
			f.now, f.seq, f.eps, f.pend, g.now, g.seq, g.eps, g.pend)
	}
	if len(f.events) != len(g.events) {
		return false, fmt.Sprintf("%d events vs %d", len(f.events), len(g.events))
	}
	for i := range f.events {
		if !proto.Equal(f.events[i], g.events[i]) {
			return false, fmt.Sprintf("event %d: %v vs %v", i, f.events[i], g.events[i])
		}
	}
	return true, ""
}

// TestKill9LosesNoAcknowledgedCall runs concurrent sessions against the
// real emud on a data dir, kills it with SIGKILL at random moments and
// restarts it, several times, with each sync mode. After every restart
// each session must equal a reference daemon (--store memory) driven
// through the calls that were answered — or through one more, the call in
// flight at the kill, which may have been journaled without its answer
// arriving: nothing answered is lost, nothing unasked appears, every
// event an answer carried is in the log as it was answered, and recovery
// reports every session EXACT (the replay reproduced the journal). A
// watcher resumes across every restart with no gap and no duplicate.
func TestKill9LosesNoAcknowledgedCall(t *testing.T) {
	const sessions = 6
	dir := t.TempDir()
	ref := startEmud(t, "tcp", "--store", "memory", "--log-level", "warn")
	rc, _ := ref.client(t)
	ctx := testContext(t)
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	seed := rng.Uint64()
	t.Logf("kill moments from seed %d", seed)
	rng = rand.New(rand.NewPCG(2, seed))

	acked := make([]int, sessions)     // calls answered
	refDone := make([]int, sessions)   // calls applied to the reference
	inflight := make([]bool, sessions) // a call was unanswered at the kill
	answered := make([]map[uint64]*pb.Event, sessions)
	for w := range sessions {
		answered[w] = make(map[uint64]*pb.Event)
		must[*pb.Session](t)(rc.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "w" + strconv.Itoa(w), Session: &pb.Session{Seed: uint64(w)}}))
	}
	var seen []*pb.Event // what the watcher on w0 received, over all rounds
	modes := []string{"batch", "always", "none", "batch"}
	for round, mode := range modes {
		// Small snapshot intervals: restarts restore snapshots and replay
		// the calls after them.
		d := startEmud(t, "tcp", "--data-dir", dir, "--sync", mode, "--snapshot-inputs", "7", "--log-level", "warn")
		c, _ := d.client(t)
		for w := range sessions {
			id := "w" + strconv.Itoa(w)
			if round == 0 {
				must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: id, Session: &pb.Session{Seed: uint64(w)}}))
				continue
			}
			verifyRecovered(t, ctx, c, rc, id, &acked[w], &refDone[w], inflight[w], answered[w])
			inflight[w] = false
		}
		// The watcher resumes after the last event it saw.
		wctx, stopWatch := context.WithCancel(ctx)
		watchDone := make(chan watched)
		after := uint64(len(seen))
		go func() { watchDone <- watchUntilEnd(wctx, c, "w0", after) }()

		var wg sync.WaitGroup
		started := make(chan struct{}) // w0's first call of the round was answered
		for w := range sessions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := "w" + strconv.Itoa(w)
				first := acked[w]
				for i := first; ; i++ {
					evs, err := scriptOp(ctx, c, id, i)
					if transportError(err) {
						inflight[w] = true
						return
					}
					if w == 0 && i == first {
						close(started)
					}
					acked[w] = i + 1
					for _, ev := range evs {
						answered[w][ev.Seq] = ev
					}
				}
			}()
		}
		<-started
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		d.kill9(t)
		wg.Wait()
		stopWatch()
		got := <-watchDone
		if got.err != nil {
			t.Fatalf("round %d: the watch ended with %v", round, got.err)
		}
		for _, ev := range got.events {
			if want := uint64(len(seen)) + 1; ev.Seq != want {
				t.Fatalf("round %d: the watcher got seq %d after seq %d: a gap or a duplicate", round, ev.Seq, want-1)
			}
			seen = append(seen, ev)
		}
		t.Logf("round %d (--sync %s): calls answered per session %v; watcher saw %d events", round, mode, acked, len(seen))
	}
	// A last start, stopped cleanly (a snapshot of every session) and
	// started again: everything verified once more, restored from the
	// shutdown's snapshots with nothing to replay, and the watcher's
	// events are the log's.
	d := startEmud(t, "tcp", "--data-dir", dir, "--log-level", "warn")
	c, _ := d.client(t)
	for w := range sessions {
		verifyRecovered(t, ctx, c, rc, "w"+strconv.Itoa(w), &acked[w], &refDone[w], inflight[w], answered[w])
	}
	d.stop(t)
	d = startEmud(t, "tcp", "--data-dir", dir, "--log-level", "warn")
	c, _ = d.client(t)
	for w := range sessions {
		id := "w" + strconv.Itoa(w)
		verifyRecovered(t, ctx, c, rc, id, &acked[w], &refDone[w], false, answered[w])
		if r := must[*pb.Session](t)(c.GetSession(ctx, &pb.GetSessionRequest{Name: "sessions/" + id})).Recovery; r.GetInputsReplayed() != 0 {
			t.Fatalf("%s after a clean stop: %v, want its shutdown snapshot restored, nothing replayed", id, r)
		}
	}
	log := listAll(t, ctx, c, "w0")
	if len(seen) > len(log) {
		t.Fatalf("the watcher saw %d events, the log has %d: it saw events that were then lost", len(seen), len(log))
	}
	for i, ev := range seen {
		if !proto.Equal(ev, log[i]) {
			t.Fatalf("watched event %d differs from the log's:\n%v\n%v", i, ev, log[i])
		}
	}
	if len(seen) < 100 {
		t.Fatalf("the watcher saw only %d events: the test proves little", len(seen))
	}
}

// verifyRecovered checks a restarted session against the reference
// daemon, first brought to the calls answered: it must match it there, or
// after the call that was in flight (then counted as answered). Every
// event an answer carried must be in the log as answered.
func verifyRecovered(t *testing.T, ctx context.Context, c, rc pb.EmulatorServiceClient, id string, acked, refDone *int, inflight bool, answered map[uint64]*pb.Event) {
	t.Helper()
	s := must[*pb.Session](t)(c.GetSession(ctx, &pb.GetSessionRequest{Name: "sessions/" + id}))
	if s.Recovery.GetState() != pb.RecoveryState_RECOVERY_STATE_EXACT {
		t.Fatalf("%s: recovery %v, want EXACT", id, s.Recovery)
	}
	got := fingerprintOf(t, ctx, c, id)
	for seq, ev := range answered {
		if seq > uint64(len(got.events)) || !proto.Equal(got.events[seq-1], ev) {
			t.Fatalf("%s: answered event seq %d is missing or changed after the restart (the log has %d events)", id, seq, len(got.events))
		}
	}
	step := func() {
		if _, err := scriptOp(ctx, rc, id, *refDone); transportError(err) {
			t.Fatal(err)
		}
		*refDone++
	}
	for *refDone < *acked {
		step()
	}
	same, why := fingerprintOf(t, ctx, rc, id).equal(got)
	if !same && inflight {
		// The unanswered call may have been journaled: then it is applied.
		step()
		if same, _ = fingerprintOf(t, ctx, rc, id).equal(got); same {
			*acked++
		}
	}
	if !same {
		t.Fatalf("%s after %d answered calls: the restarted session differs from the reference: %s", id, *acked, why)
	}
}

// watched is what a watcher received until its stream ended.
type watched struct {
	events []*pb.Event
	err    error // how it ended, unless by the daemon going away
}

// watchUntilEnd follows a session from after_seq until the stream ends.
func watchUntilEnd(ctx context.Context, c pb.EmulatorServiceClient, id string, after uint64) watched {
	stream, err := c.Watch(ctx, &pb.WatchRequest{Session: "sessions/" + id, AfterSeq: after})
	if err != nil {
		return watched{err: err}
	}
	var w watched
	for {
		r, err := stream.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) && !transportError(err) {
				w.err = err
			}
			return w
		}
		w.events = append(w.events, r.Events...)
	}
}
