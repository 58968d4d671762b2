package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// connectionsPerSession keeps each session under the daemon's default
// endpoints-per-session limit (100,000 bound endpoints; a listener's
// children do not count) and within one client host's ports.
const connectionsPerSession = 50000

// idle creates Endpoints/2 connections (a client and the listener's child
// each, both ESTABLISHED, nothing pending) and reads the daemon's RSS.
func (b *bench) idle(ctx context.Context) error {
	n := b.o.Concurrency
	if n <= 0 {
		n = 2
	}
	k := b.o.Batch
	if k <= 0 {
		k = 2000
	}
	k = min(k, connectionsPerSession)
	b.r.Concurrency, b.r.Batch = n, k
	conns := (b.o.Endpoints + 1) / 2
	if conns < 1 {
		return fmt.Errorf("--endpoints %d: want at least 2", b.o.Endpoints)
	}
	sessions := (conns + connectionsPerSession - 1) / connectionsPerSession

	var before map[string]int64
	if b.o.Pid > 0 {
		var err error
		if before, err = procStatus(b.o.Pid, "VmRSS"); err != nil {
			return err
		}
	}
	cs, err := b.clients(min(n, 4))
	if err != nil {
		return err
	}
	// Sessions are filled by n workers; each session by one worker at a time.
	todo := make(chan int, sessions)
	for i := range sessions {
		todo <- i
	}
	close(todo)
	b.progress("%d ESTABLISHED endpoints: %d connections in %d sessions, %d per Batch", 2*conns, conns, sessions, k)
	cpu := b.startCPU()
	start := time.Now()
	names := make([]string, sessions)
	for i := range names {
		if names[i], err = b.createSession(ctx, cs[0], "idle-"+strconv.Itoa(i)); err != nil {
			return err
		}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for w := range n {
		wg.Go(func() {
			c := cs[w%len(cs)]
			for i := range todo {
				m := min(connectionsPerSession, conns-i*connectionsPerSession)
				if err := establish(ctx, c, names[i], m, k); err != nil {
					errs[w] = fmt.Errorf("%s: %w", names[i], err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := firstErr(errs...); err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	cpu.stop()
	defer cpu.report(b.r)
	endpoints := float64(2 * conns)
	b.r.add("idle_established_endpoints", endpoints, "endpoints")
	b.r.add("endpoints_created_per_second", endpoints/elapsed.Seconds(), "endpoints/s")
	if b.o.Pid <= 0 {
		b.r.note("RSS skipped: the daemon's pid is unknown (pass --pid, e.g. --pid $(pgrep -n emud))")
		return nil
	}
	time.Sleep(time.Second) // let the runtime return what it freed
	after, err := procStatus(b.o.Pid, "VmRSS", "VmHWM")
	if err != nil {
		return err
	}
	per := float64(after["VmRSS"]-before["VmRSS"]) / endpoints
	b.r.add("rss_bytes_before", float64(before["VmRSS"]), "bytes")
	b.r.add("rss_bytes", float64(after["VmRSS"]), "bytes")
	b.r.add("rss_peak_bytes", float64(after["VmHWM"]), "bytes")
	b.r.add("rss_bytes_per_endpoint", per, "bytes")
	const million = 1e6
	projected := float64(before["VmRSS"]) + per*million
	b.r.addTarget("rss_bytes_for_1m_endpoints", projected, "bytes", 1.5*(1<<30), false)
	if endpoints != million {
		b.r.note("rss_bytes_for_1m_endpoints is extrapolated from %d endpoints: RSS before + %d × bytes per endpoint", int(endpoints), int(million))
	} else {
		b.r.note("rss_bytes_for_1m_endpoints is the RSS measured")
	}
	return nil
}

// establish opens m connections in session, k per Batch, and checks that
// each one's client and child reached ESTABLISHED.
func establish(ctx context.Context, c pb.EmulatorServiceClient, session string, m, k int) error {
	listener := session + "/endpoints/server"
	// Children count against the backlog until deleted (accepted), not
	// only while in SYN-RECEIVED: room for all of them.
	backlog := uint32(m)
	setup := []*pb.BatchOperation{
		{Operation: &pb.BatchOperation_CreateEndpoint{CreateEndpoint: &pb.CreateEndpointRequest{EndpointId: "server", Endpoint: &pb.Endpoint{Local: serverAddr}}}},
		{Operation: &pb.BatchOperation_Listen{Listen: &pb.ListenRequest{Name: listener, Backlog: &backlog}}},
	}
	if err := batch(ctx, c, &pb.BatchRequest{Session: session, Operations: setup}); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	for done := 0; done < m; {
		j := min(k, m-done)
		ops := make([]*pb.BatchOperation, 0, 2*j+1)
		for i := done; i < done+j; i++ {
			id := "c" + strconv.Itoa(i+1)
			ops = append(ops,
				&pb.BatchOperation{Operation: &pb.BatchOperation_CreateEndpoint{CreateEndpoint: &pb.CreateEndpointRequest{
					EndpointId: id, Endpoint: &pb.Endpoint{Local: &pb.Address{Ip: clientIP, Port: uint32(i + 1)}}}}},
				&pb.BatchOperation{Operation: &pb.BatchOperation_Connect{Connect: &pb.ConnectRequest{Name: session + "/endpoints/" + id, Remote: serverAddr}}})
		}
		ops = append(ops, untilIdle())
		resp, err := c.Batch(ctx, &pb.BatchRequest{Session: session, Operations: ops,
			Kinds: []pb.EventKind{pb.EventKind_EVENT_KIND_STATE_CHANGE}, OmitExplanations: true})
		if err != nil {
			return err
		}
		if err := batchFailed(resp); err != nil {
			return err
		}
		est := 0
		for _, ev := range resp.Events {
			if ev.GetStateChange().GetToState() == pb.State_STATE_ESTABLISHED {
				est++
			}
		}
		if est != 2*j {
			return fmt.Errorf("%d of %d endpoints reached ESTABLISHED", est, 2*j)
		}
		done += j
	}
	return nil
}
