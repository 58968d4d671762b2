package server

import (
	"context"
	"fmt"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Advance moves a session's virtual clock.
func (s *Server) Advance(ctx context.Context, req *pb.AdvanceRequest) (*pb.AdvanceResponse, error) {
	cmd, err := s.parser().advance(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.session, cmd.lang, in(ctx, inAdvance, req), func(sess *session, eo eventOpts) (*pb.AdvanceResponse, error) { return sess.advance(cmd, eo) })
}

// Inject delivers a hand-made segment.
func (s *Server) Inject(ctx context.Context, req *pb.InjectRequest) (*pb.InjectResponse, error) {
	cmd, err := s.parser().inject(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.session, cmd.lang, in(ctx, inInject, req), func(sess *session, eo eventOpts) (*pb.InjectResponse, error) { return sess.inject(cmd, eo) })
}

// advance runs pending items one Step at a time, so that it can count
// them and stop at the step bound or the call's event cap (an endless
// exchange would otherwise grow the response without bound); then, for by
// and to, sets the clock to the target. Stopping early leaves complete
// false: the client advances again.
func (s *session) advance(cmd advanceCmd, eo eventOpts) (*pb.AdvanceResponse, error) {
	resp := &pb.AdvanceResponse{}
	target, timed := time.Duration(0), false
	switch cmd.mode {
	case advanceBy:
		target, timed = s.em.Now()+cmd.d, true
	case advanceTo:
		if cmd.d < s.em.Now() {
			return nil, fmt.Errorf("advance to %v: %w (now %v)", cmd.d, emulator.ErrTimeInPast, s.em.Now())
		}
		target, timed = cmd.d, true
	}
	steps := 0
	for steps < cmd.steps && s.callEvents() < cmd.maxEvents {
		at, ok := s.em.NextAt()
		if !ok || timed && at > target {
			break
		}
		resp.Events = append(resp.Events, s.events(s.em.Step(), eo, nil)...)
		steps++
	}
	_, pending := s.em.NextAt()
	switch {
	case timed:
		at, _ := s.em.NextAt()
		resp.Complete = !pending || at > target
		if resp.Complete {
			evs, err := s.em.AdvanceTo(target, 1)
			if err != nil {
				return nil, err
			}
			resp.Events = append(resp.Events, s.events(evs, eo, nil)...)
		}
	case cmd.mode == advanceSteps:
		resp.Complete = steps == cmd.steps || !pending
	default: // until idle
		resp.Complete = !pending
	}
	resp.Steps = uint32(steps)
	resp.Now = durationToProto(s.em.Now())
	resp.Idle = !pending
	if at, ok := s.em.NextAt(); ok {
		resp.NextDeadline = durationToProto(at)
	}
	return resp, nil
}

func (s *session) inject(cmd injectCmd, eo eventOpts) (*pb.InjectResponse, error) {
	inject := s.em.Inject
	if cmd.viaNetwork {
		inject = s.em.InjectVia
	}
	evs, err := inject(cmd.src, cmd.dst, cmd.seg)
	return &pb.InjectResponse{Events: s.events(evs, eo, nil)}, err
}
