package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// watch fills one session's log with lifecycles, then has one subscriber
// replay it from the oldest kept event, again and again, for the duration:
// the events/s a Watch stream delivers (explanations omitted, the server's
// largest batches).
func (b *bench) watch(ctx context.Context) error {
	b.r.Concurrency = 1
	cs, err := b.clients(1)
	if err != nil {
		return err
	}
	c := cs[0]
	session, err := b.createSession(ctx, c, "watch")
	if err != nil {
		return err
	}
	want := uint64(max(b.o.Events, 1))
	b.progress("filling the log with %d events", want)
	l, err := newLifecycler(ctx, c, session, 500)
	if err != nil {
		return err
	}
	var s *pb.Session
	for {
		if s, err = c.GetSession(ctx, &pb.GetSessionRequest{Name: session}); err != nil {
			return err
		}
		if s.LastEventSeq-s.FirstEventSeq+1 >= want || s.FirstEventSeq > 1 {
			break // enough, or the log is full and trims its oldest events
		}
		if err := l.run(ctx, false); err != nil {
			return fmt.Errorf("filling the log: %w", err)
		}
	}
	kept := s.LastEventSeq - s.FirstEventSeq + 1
	if s.FirstEventSeq > 1 {
		b.r.note("the daemon's log keeps %d events per session (--max-log-events): replaying those", kept)
	}

	b.progress("replaying %d events to one subscriber for %s", kept, b.o.Duration)
	cpu := b.startCPU()
	start := time.Now()
	deadline := start.Add(b.o.Duration)
	var events, passes uint64
	for time.Now().Before(deadline) {
		n, err := replay(ctx, c, session, deadline)
		events += n
		if err != nil {
			return fmt.Errorf("watch: %w", err)
		}
		passes++
	}
	elapsed := time.Since(start)
	cpu.stop()
	b.r.addTarget("watch_events_per_second", float64(events)/elapsed.Seconds(), "events/s", 1e6, true)
	b.r.add("watch_events", float64(events), "events")
	b.r.add("log_events", float64(kept), "events")
	b.r.add("replays", float64(passes), "passes")
	cpu.report(b.r)
	return nil
}

// replay watches session from its oldest kept event until the stream says
// it has caught up (or the deadline passes) and returns how many events
// arrived.
func replay(ctx context.Context, c pb.EmulatorServiceClient, session string, deadline time.Time) (uint64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := c.GetSession(ctx, &pb.GetSessionRequest{Name: session})
	if err != nil {
		return 0, err
	}
	after := s.FirstEventSeq - 1
	if s.FirstEventSeq == 0 {
		after = 0
	}
	stream, err := c.Watch(ctx, &pb.WatchRequest{Session: session, AfterSeq: after, OmitExplanations: true})
	if err != nil {
		return 0, err
	}
	var n uint64
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return n, errors.New("the stream ended before catching up")
		}
		if err != nil {
			return n, err
		}
		n += uint64(len(resp.Events))
		if resp.CaughtUp || time.Now().After(deadline) {
			return n, nil
		}
	}
}
