package server

import (
	"fmt"
	"os"
	"testing"

	"github.com/tcpemu/tcpemu/emulator"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
	"github.com/tcpemu/tcpemu/store"
)

// BenchmarkBatchLifecycles runs whole connection lifecycles (handshake,
// a segment each way, both closes, TIME-WAIT expiry) through the gRPC API
// in-process, 100 per Batch, and reports lifecycles/s.
func BenchmarkBatchLifecycles(b *testing.B) {
	benchLifecycles(b, newHarness(&testing.T{}, Limits{}))
}

// BenchmarkBatchLifecyclesDurable is BenchmarkBatchLifecycles journaled
// to a real store (batched sync) in a temporary directory.
func BenchmarkBatchLifecyclesDurable(b *testing.B) {
	dir, err := os.MkdirTemp("", "tcpemu-bench")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	d := startDurableWith(&testing.T{}, dir, Limits{}, store.Options{})
	defer d.stop()
	d.srv.snapInputs = defaultSnapshotInputs // emud's, not the tests' small interval
	benchLifecycles(b, d.harness)
}

func benchLifecycles(b *testing.B, h *harness) {
	const perBatch = 100
	startLifecycles(b, h)
	n := 0
	b.ResetTimer()
	for b.Loop() {
		runLifecycles(b, h, &n, perBatch)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lifecycles/s")
}

// startLifecycles creates session "bench" with a listener on 10.0.0.2:80.
func startLifecycles(b testing.TB, h *harness) {
	must[*pb.Session](&testing.T{})(h.c.CreateSession(h.ctx, &pb.CreateSessionRequest{SessionId: "bench"}))
	server := []*pb.BatchOperation{
		{Operation: &pb.BatchOperation_CreateEndpoint{CreateEndpoint: &pb.CreateEndpointRequest{EndpointId: "server", Endpoint: &pb.Endpoint{Local: addr("10.0.0.2", 80)}}}},
		{Operation: &pb.BatchOperation_Listen{Listen: &pb.ListenRequest{Name: "sessions/bench/endpoints/server"}}},
	}
	if _, err := h.c.Batch(h.ctx, &pb.BatchRequest{Session: "sessions/bench", Operations: server}); err != nil {
		b.Fatal(err)
	}
}

// runLifecycles runs k whole lifecycles in one Batch; *n counts them all.
func runLifecycles(b testing.TB, h *harness, n *int, k int) {
	idle := &pb.BatchOperation{Operation: &pb.BatchOperation_Advance{Advance: &pb.AdvanceRequest{Target: &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{}}}}}
	var ops []*pb.BatchOperation
	for range k {
		*n++
		client := fmt.Sprintf("sessions/bench/endpoints/c%d", *n)
		child := fmt.Sprintf("sessions/bench/endpoints/server-%d", *n)
		ops = append(ops,
			&pb.BatchOperation{Operation: &pb.BatchOperation_CreateEndpoint{CreateEndpoint: &pb.CreateEndpointRequest{EndpointId: fmt.Sprintf("c%d", *n), Endpoint: &pb.Endpoint{Local: addr("10.0.0.1", uint32(1+*n%60000))}}}},
			&pb.BatchOperation{Operation: &pb.BatchOperation_Connect{Connect: &pb.ConnectRequest{Name: client, Remote: addr("10.0.0.2", 80), Data: []byte("ping")}}},
			idle,
			&pb.BatchOperation{Operation: &pb.BatchOperation_Send{Send: &pb.SendRequest{Name: child, Data: []byte("pong")}}},
			&pb.BatchOperation{Operation: &pb.BatchOperation_Close{Close: &pb.CloseRequest{Name: client}}},
			&pb.BatchOperation{Operation: &pb.BatchOperation_Close{Close: &pb.CloseRequest{Name: child}}},
			idle,
			&pb.BatchOperation{Operation: &pb.BatchOperation_DeleteEndpoint{DeleteEndpoint: &pb.DeleteEndpointRequest{Name: client}}},
			&pb.BatchOperation{Operation: &pb.BatchOperation_DeleteEndpoint{DeleteEndpoint: &pb.DeleteEndpointRequest{Name: child}}},
		)
	}
	r, err := h.c.Batch(h.ctx, &pb.BatchRequest{Session: "sessions/bench", Operations: ops, Kinds: []pb.EventKind{pb.EventKind_EVENT_KIND_STATE_CHANGE}, OmitExplanations: true})
	if err != nil || r.FailedOperation != nil {
		b.Fatalf("%v %v", err, r.GetResults()[len(r.GetResults())-1].GetError())
	}
}

// lifecycleEvents is the event log of 100 lifecycles, as one Batch of
// benchLifecycles journals it.
func lifecycleEvents(b *testing.B) []emulator.Event {
	_, evs := lifecycleSession(b)
	return evs
}

// lifecycleSession runs 100 lifecycles in one Batch and returns the
// session and its events.
func lifecycleSession(b *testing.B) (*session, []emulator.Event) {
	h := newHarness(&testing.T{}, Limits{})
	defer h.srv.Shutdown()
	defer h.gs.Stop()
	startLifecycles(b, h)
	n := 0
	runLifecycles(b, h, &n, 100)
	sess, err := h.srv.reg.get("bench")
	if err != nil {
		b.Fatal(err)
	}
	return sess, sess.em.Events(0)
}

// BenchmarkAppendNames builds the names' dictionary of 100 lifecycles'
// events, as each journaled Batch of them does.
func BenchmarkAppendNames(b *testing.B) {
	sess, evs := lifecycleSession(b)
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		buf = sess.appendNames(evs, buf[:0])
	}
	b.ReportMetric(float64(len(buf)), "octets")
}
