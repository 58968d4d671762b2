package server

import (
	"context"
	"fmt"

	"google.golang.org/grpc"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// ListEvents pages through a session's log.
func (s *Server) ListEvents(_ context.Context, req *pb.ListEventsRequest) (*pb.ListEventsResponse, error) {
	cmd, err := s.parser().listEvents(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return apply(s, cmd.session, cmd.lang, func(sess *session, eo eventOpts) (*pb.ListEventsResponse, error) {
		return sess.listEvents(cmd, eo)
	})
}

// Watch streams a session's events: the log after after_seq, then live.
func (s *Server) Watch(req *pb.WatchRequest, stream grpc.ServerStreamingServer[pb.WatchResponse]) error {
	cmd, err := s.parser().watch(req)
	if err != nil {
		return toStatus(err)
	}
	return toStatus(s.watch(stream.Context(), cmd, stream.Send))
}

// scanBudget bounds how many log entries one batch may look at under the
// session's lock, so that a filter matching little cannot stall the
// session's writers.
const scanBudget = 1 << 14

// coreAfter is the emulator's Events argument for "after API seq a".
func coreAfter(a uint64) uint64 { return a - 1 } // 0 wraps to "from the start"

// checkKept fails with OUT_OF_RANGE when events after `after` were
// trimmed from the log. A durable session's log is the store's, checked
// when it is read (window).
func (s *session) checkKept(after uint64) error {
	if s.durable {
		return nil
	}
	if first := s.em.FirstSeq(); after < first {
		return fmt.Errorf("%w: events after seq %d are no longer kept: seqs %d to %d were trimmed (the session keeps its newest %d events in memory); the oldest available is seq %d (resume with after_seq %d)",
			errOutOfRange, after, after+1, first, s.em.NextSeq()-first, apiSeq(first), first)
	}
	return nil
}

// checkNotAhead fails with OUT_OF_RANGE when `after` is past the newest
// event. No seq a client has seen can be: the session was deleted and
// created again under the same name (or the daemon restarted), and
// following it from `after` would silently skip its events up to there.
func (s *session) checkNotAhead(after uint64) error {
	if last := s.lastSeq(); after > last {
		return fmt.Errorf("%w: after_seq %d is past the newest event of %s, seq %d (was the session created again?); start from after_seq 0",
			errOutOfRange, after, sessionName(s.id), last)
	}
	return nil
}

// collect converts the events after API seq `after` that match f, at most
// max of them, and returns them with the seq of the last entry examined;
// more says the log holds further entries now.
func (s *session) collect(after uint64, f *watchCmd, max int, eo eventOpts) (out []*pb.Event, last uint64, more bool, err error) {
	// At most scanBudget+1 events are examined: reading only those keeps a
	// catch-up linear instead of joining the whole log for every batch.
	evs, src, err := s.window(after, scanBudget+1)
	if err != nil {
		return nil, after, false, err
	}
	last = after
	for i := range evs {
		if len(out) == max || i == scanBudget {
			return out, last, true, nil
		}
		ev := &evs[i]
		last = apiSeq(ev.Seq)
		if f.endpoints != nil && !f.endpoints[src.endpointLabel(ev.Endpoint)] {
			continue
		}
		k := kindToProto(ev.Kind)
		if k == pb.EventKind_EVENT_KIND_UNSPECIFIED || !f.kinds.has(k) {
			continue
		}
		out = append(out, eventToProto(ev, src, eo))
	}
	return out, last, false, nil
}

func (s *session) listEvents(cmd listEventsCmd, eo eventOpts) (*pb.ListEventsResponse, error) {
	if err := s.checkKept(cmd.after); err != nil {
		return nil, err
	}
	evs, last, more, err := s.collect(cmd.after, &cmd.watchCmd, cmd.pageSize, eo)
	if err != nil {
		return nil, err
	}
	resp := &pb.ListEventsResponse{Events: evs}
	if more {
		resp.NextPageToken = encodeOrderToken(tokenEvents, last)
	}
	return resp, nil
}

// watch sends batches until the client goes, the session is deleted
// (NOT_FOUND), the log no longer holds what the watcher needs
// (OUT_OF_RANGE) or the server shuts down (UNAVAILABLE). It reads the log
// at the consumer's pace — gRPC's flow control blocks send — so a slow
// consumer is served from the log, never skipped; between batches it
// waits on the session's change channel, never polls.
func (s *Server) watch(ctx context.Context, cmd watchCmd, send func(*pb.WatchResponse) error) error {
	sess, err := s.reg.get(cmd.session)
	if err != nil {
		return err
	}
	cursor := cmd.after
	var (
		end      uint64 // the newest event when the watch began
		caughtUp bool
		eo       eventOpts
	)
	for first := true; ; first = false {
		sess.mu.Lock()
		if sess.gone {
			sess.mu.Unlock()
			return fmt.Errorf("%s: %w (deleted while watched)", sessionName(sess.id), errSessionNotFound)
		}
		if first {
			end, eo = sess.lastSeq(), sess.eventOpts(cmd.lang, cmd.omit)
			if err := sess.checkNotAhead(cursor); err != nil {
				sess.mu.Unlock()
				return err
			}
		}
		if err := sess.checkKept(cursor); err != nil {
			sess.mu.Unlock()
			return err
		}
		batch, last, more, err := sess.collect(cursor, &cmd, cmd.maxBatch, eo)
		changed := sess.changed
		sess.mu.Unlock()
		if err != nil {
			return err
		}

		cursor = last
		resp := &pb.WatchResponse{Events: batch}
		if !caughtUp && cursor >= end && !more {
			resp.CaughtUp, caughtUp = true, true
		}
		if len(batch) > 0 || resp.CaughtUp {
			if err := send(resp); err != nil {
				return err
			}
		}
		if more {
			// Still catching up: end as promptly as when waiting.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-s.stopping:
				return errShuttingDown
			default:
			}
			continue
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.stopping:
			return errShuttingDown
		}
	}
}
