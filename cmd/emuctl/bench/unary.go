package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// callRate runs call from n goroutines for d and returns the completed
// calls and the time they took.
func callRate(n int, d time.Duration, call func(worker int) error) (uint64, time.Duration, error) {
	counts := make([]uint64, n)
	errs := make([]error, n)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := call(i); err != nil {
					errs[i] = err
					return
				}
				counts[i]++
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := firstErr(errs...); err != nil {
		return 0, 0, err
	}
	var total uint64
	for _, c := range counts {
		total += c
	}
	return total, elapsed, nil
}

func (b *bench) unary(ctx context.Context) error {
	n := b.o.Concurrency
	if n <= 0 {
		n = 32
	}
	b.r.Concurrency = n
	nconns := min(n, 4)
	cs, err := b.clients(nconns)
	if err != nil {
		return err
	}
	session, err := b.createSession(ctx, cs[0], "unary")
	if err != nil {
		return err
	}
	req := &pb.GetSessionRequest{Name: session}

	echoAddr, stop, err := startEcho(b.o.Addr)
	if err != nil {
		return err
	}
	defer stop()
	echoConns := make([]*grpc.ClientConn, nconns)
	for i := range echoConns {
		if echoConns[i], err = cmdutil.Dial(echoAddr); err != nil {
			return err
		}
		defer echoConns[i].Close()
	}
	// Warm up both: connections established, code paths hot.
	warm := min(b.o.Duration/10, time.Second)
	if _, _, err := callRate(n, warm, func(i int) error { _, err := cs[i%nconns].GetSession(ctx, req); return err }); err != nil {
		return fmt.Errorf("GetSession on %s: %w", b.o.Addr, err)
	}
	if _, _, err := callRate(n, warm, func(i int) error { return echoConns[i%nconns].Invoke(ctx, echoMethod, req, new(pb.GetSessionRequest)) }); err != nil {
		return fmt.Errorf("echo: %w", err)
	}

	// Alternate the two in rounds, so that other load on a shared machine
	// weighs on both alike.
	const rounds = 4
	slice := b.o.Duration / rounds
	b.progress("GetSession on emud and echo on %s, %d rounds of %s each, %d callers over %d connections", echoAddr, rounds, slice, n, nconns)
	cpu := b.startCPU()
	var emudCalls, echoCalls uint64
	var emudTime, echoTime time.Duration
	for range rounds {
		calls, took, err := callRate(n, slice, func(i int) error { _, err := cs[i%nconns].GetSession(ctx, req); return err })
		if err != nil {
			return fmt.Errorf("GetSession on %s: %w", b.o.Addr, err)
		}
		emudCalls, emudTime = emudCalls+calls, emudTime+took
		calls, took, err = callRate(n, slice, func(i int) error {
			return echoConns[i%nconns].Invoke(ctx, echoMethod, req, new(pb.GetSessionRequest))
		})
		if err != nil {
			return fmt.Errorf("echo: %w", err)
		}
		echoCalls, echoTime = echoCalls+calls, echoTime+took
	}
	cpu.stop()
	emud := float64(emudCalls) / emudTime.Seconds()
	echo := float64(echoCalls) / echoTime.Seconds()
	// The meter spans the echo rounds too, when the daemon idles: charge
	// its CPU to emud's rounds only.
	cpu.wall = emudTime
	b.r.add("emud_unary_per_second", emud, "calls/s")
	b.r.add("echo_unary_per_second", echo, "calls/s")
	b.r.addTarget("unary_ratio", emud/echo, "emud/echo", 0.8, true)
	cpu.report(b.r)
	b.r.note("emud: GetSession; echo: a bare gRPC-go server in a process of its own on %s returning the request message", echoAddr)
	return nil
}
