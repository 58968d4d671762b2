package bench

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"time"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Addresses inside every bench session: one listening host, one client
// host whose ports the lifecycles take in turn.
var (
	serverAddr = &pb.Address{Ip: "10.0.0.2", Port: 80}
	clientIP   = "10.0.0.1"
)

const maxClientPorts = 60000

func untilIdle() *pb.BatchOperation {
	return &pb.BatchOperation{Operation: &pb.BatchOperation_Advance{Advance: &pb.AdvanceRequest{
		Target: &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{}}}}}
}

// lifecycler runs whole connection lifecycles in one session, k per Batch
// call. The session listens once; the Batch is built once and only the
// children's names change between calls (a listener's n-th child is
// "{listener}-{n}", which the server documents so that a batch can name
// children before they exist).
type lifecycler struct {
	c           pb.EmulatorServiceClient
	session     string
	listener    string
	k           int
	forks       int                  // children the listener has forked so far
	ops         []*pb.BatchOperation // the batch, reused
	kidNames    []*string            // the Name fields that name the i-th child, 3 per lifecycle
	done        uint64               // lifecycles completed
	lastAdvance int                  // index in ops of the advance past TIME-WAIT
}

func newLifecycler(ctx context.Context, c pb.EmulatorServiceClient, session string, k int) (*lifecycler, error) {
	if k < 1 || k > maxClientPorts {
		return nil, fmt.Errorf("--batch %d: want 1 to %d", k, maxClientPorts)
	}
	l := &lifecycler{c: c, session: session, listener: session + "/endpoints/server", k: k}
	// Every SYN of a batch arrives before any handshake completes, and the
	// children count against the backlog until they are deleted.
	backlog := uint32(k)
	setup := []*pb.BatchOperation{
		{Operation: &pb.BatchOperation_CreateEndpoint{CreateEndpoint: &pb.CreateEndpointRequest{EndpointId: "server", Endpoint: &pb.Endpoint{Local: serverAddr}}}},
		{Operation: &pb.BatchOperation_Listen{Listen: &pb.ListenRequest{Name: l.listener, Backlog: &backlog}}},
	}
	if err := batch(ctx, c, &pb.BatchRequest{Session: session, Operations: setup}); err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	l.build()
	return l, nil
}

// build lays out one batch of k lifecycles:
//
//	bind + connect (1 byte queued) ×k, advance until idle  → ESTABLISHED, client's byte delivered
//	child sends 1 byte + client CLOSE ×k, advance until idle → child CLOSE-WAIT, client FIN-WAIT-2
//	child CLOSE ×k, advance until idle                     → LAST-ACK → CLOSED; TIME-WAIT (2×MSL) → CLOSED
//	delete client + child ×k
func (l *lifecycler) build() {
	one := []byte{1}
	clients := make([]string, l.k)
	var open, sendClose, closeKid, del []*pb.BatchOperation
	for i := range l.k {
		id := "c" + strconv.Itoa(i+1)
		clients[i] = l.session + "/endpoints/" + id
		open = append(open,
			&pb.BatchOperation{Operation: &pb.BatchOperation_CreateEndpoint{CreateEndpoint: &pb.CreateEndpointRequest{
				EndpointId: id, Endpoint: &pb.Endpoint{Local: &pb.Address{Ip: clientIP, Port: uint32(i + 1)}}}}},
			&pb.BatchOperation{Operation: &pb.BatchOperation_Connect{Connect: &pb.ConnectRequest{Name: clients[i], Remote: serverAddr, Data: one}}})
		send := &pb.SendRequest{Data: one}
		cl := &pb.CloseRequest{}
		dl := &pb.DeleteEndpointRequest{}
		sendClose = append(sendClose,
			&pb.BatchOperation{Operation: &pb.BatchOperation_Send{Send: send}},
			&pb.BatchOperation{Operation: &pb.BatchOperation_Close{Close: &pb.CloseRequest{Name: clients[i]}}})
		closeKid = append(closeKid, &pb.BatchOperation{Operation: &pb.BatchOperation_Close{Close: cl}})
		del = append(del,
			&pb.BatchOperation{Operation: &pb.BatchOperation_DeleteEndpoint{DeleteEndpoint: &pb.DeleteEndpointRequest{Name: clients[i]}}},
			&pb.BatchOperation{Operation: &pb.BatchOperation_DeleteEndpoint{DeleteEndpoint: dl}})
		l.kidNames = append(l.kidNames, &send.Name, &cl.Name, &dl.Name)
	}
	l.ops = append(l.ops, open...)
	l.ops = append(l.ops, untilIdle())
	l.ops = append(l.ops, sendClose...)
	l.ops = append(l.ops, untilIdle())
	l.ops = append(l.ops, closeKid...)
	l.lastAdvance = len(l.ops)
	l.ops = append(l.ops, untilIdle())
	l.ops = append(l.ops, del...)
}

// run applies one batch. Its events are filtered to drops, which must
// not happen; every operation must succeed (a Send or Close on a child
// that is not ESTABLISHED fails), and the last advance must leave the
// session idle: every TIME-WAIT has expired. With verify, it instead
// returns the state changes and checks that each lifecycle's client went
// TIME-WAIT → CLOSED and its child LAST-ACK → CLOSED.
func (l *lifecycler) run(ctx context.Context, verify bool) error {
	for i := range l.k {
		name := l.listener + "-" + strconv.Itoa(l.forks+i+1)
		for j := range 3 {
			*l.kidNames[3*i+j] = name
		}
	}
	kind := pb.EventKind_EVENT_KIND_SEGMENT_DROPPED
	if verify {
		kind = pb.EventKind_EVENT_KIND_STATE_CHANGE
	}
	resp, err := l.c.Batch(ctx, &pb.BatchRequest{
		Session:          l.session,
		Operations:       l.ops,
		Kinds:            []pb.EventKind{kind},
		OmitExplanations: true,
		// Timed batches need no per-operation results: a failed operation
		// still comes back with its error, and the verified warm-up batch
		// checks the last advance and every state.
		OmitResults: !verify,
	})
	if err != nil {
		return err
	}
	if err := batchFailed(resp); err != nil {
		return err
	}
	l.forks += l.k
	// Timed batches carry no results: a send or close on a child that is
	// not where the plan expects fails the batch above, and drops are
	// checked below.
	if verify {
		if adv := resp.Results[l.lastAdvance].GetAdvance(); !adv.GetIdle() || !adv.GetComplete() {
			return fmt.Errorf("the last advance of a batch of %d lifecycles left work pending (%v)", l.k, adv)
		}
	}
	timeWait, lastAck := 0, 0
	for _, ev := range resp.Events {
		if d := ev.GetSegmentDropped(); d != nil {
			return fmt.Errorf("%s dropped a segment (%v): a lifecycle did not run as planned", ev.Endpoint, d.Reason)
		}
		if sc := ev.GetStateChange(); sc != nil && sc.ToState == pb.State_STATE_CLOSED {
			switch sc.FromState {
			case pb.State_STATE_TIME_WAIT:
				timeWait++
			case pb.State_STATE_LAST_ACK:
				lastAck++
			}
		}
	}
	if verify && (timeWait != l.k || lastAck != l.k) {
		return fmt.Errorf("a batch of %d lifecycles closed %d clients from TIME-WAIT and %d children from LAST-ACK, want %d each", l.k, timeWait, lastAck, l.k)
	}
	l.done += uint64(l.k)
	return nil
}

// batch applies ops and fails on the first failed operation.
func batch(ctx context.Context, c pb.EmulatorServiceClient, req *pb.BatchRequest) error {
	resp, err := c.Batch(ctx, req)
	if err != nil {
		return err
	}
	return batchFailed(resp)
}

func batchFailed(resp *pb.BatchResponse) error {
	if resp.FailedOperation == nil {
		return nil
	}
	last := resp.Results[len(resp.Results)-1].GetError()
	return fmt.Errorf("batch operation %d failed: %v", resp.GetFailedOperation(), last)
}

func (b *bench) lifecycles(ctx context.Context) error {
	n := b.o.Concurrency
	if n <= 0 {
		n = 2 * runtime.GOMAXPROCS(0)
	}
	k := b.o.Batch
	if k <= 0 {
		k = 500
	}
	b.r.Concurrency, b.r.Batch = n, k
	cs, err := b.clients(min(n, 4))
	if err != nil {
		return err
	}
	workers := make([]*lifecycler, n)
	for i := range workers {
		c := cs[i%len(cs)]
		s, err := b.createSession(ctx, c, strconv.Itoa(i))
		if err != nil {
			return err
		}
		if workers[i], err = newLifecycler(ctx, c, s, k); err != nil {
			return err
		}
		if err := workers[i].run(ctx, true); err != nil { // warm up, and check the states once
			return fmt.Errorf("warm-up: %w", err)
		}
		workers[i].done = 0
	}
	b.progress("%d sessions, %d lifecycles per Batch; measuring for %s", n, k, b.o.Duration)
	cpu := b.startCPU()
	start := time.Now()
	deadline := start.Add(b.o.Duration)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := w.run(ctx, false); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := firstErr(errs...); err != nil {
		return fmt.Errorf("lifecycles: %w", err)
	}
	var total uint64
	for _, w := range workers {
		total += w.done
	}
	b.r.addTarget("lifecycles_per_second", float64(total)/elapsed.Seconds(), "lifecycles/s", 100000, true)
	b.r.add("lifecycles", float64(total), "lifecycles")
	b.r.add("batch_calls_per_second", float64(total)/float64(k)/elapsed.Seconds(), "calls/s")
	cpu.report(b.r)
	return nil
}
