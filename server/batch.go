package server

import (
	"context"
	"fmt"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Batch applies many operations to one session, in order, under one lock.
func (s *Server) Batch(ctx context.Context, req *pb.BatchRequest) (*pb.BatchResponse, error) {
	cmd, err := s.parser().batch(req, s.limits)
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.session, cmd.lang, in(ctx, inBatch, req), func(sess *session, eo eventOpts) (*pb.BatchResponse, error) {
		return sess.batch(cmd, eo), nil
	})
}

// batchStep applies one checked operation; it returns the operation's
// result (nil when it failed) and the events it caused, failed or not.
type batchStep func(*session, eventOpts) (*pb.BatchResult, []*pb.Event, error)

type batchCmd struct {
	session string
	lang    string
	kinds   kindSet
	omit    bool // omit_explanations
	// noResults is omit_results: only a failed operation's result is kept.
	noResults bool
	steps     []batchStep
	// maxEvents is Limits.MaxEventsPerCall: an operation does not start
	// once the batch has caused this many events.
	maxEvents int
}

// batch checks every operation before anything is applied: one malformed
// operation fails the whole call, its fields named "operations[i].<op>...".
func (p parser) batch(req *pb.BatchRequest, lim Limits) (batchCmd, error) {
	var v violations
	c := batchCmd{
		session:   p.sessionField(req.GetSession(), "session", &v),
		lang:      req.GetLanguage(),
		kinds:     kindSetFromProto(req.GetKinds(), "kinds", &v),
		omit:      req.GetOmitExplanations(),
		noResults: req.GetOmitResults(),

		maxEvents: lim.MaxEventsPerCall,
	}
	languageField(c.lang, "language", &v)
	if n := len(req.GetOperations()); n > lim.MaxBatchOperations {
		return c, fmt.Errorf("%w: %d operations is more than the server's limit of %d per batch", errLimit, n, lim.MaxBatchOperations)
	}
	if err := v.err(); err != nil {
		return c, err
	}
	op := parser{limits: p.limits, session: c.session}
	for i, o := range req.GetOperations() {
		name, step, err := op.batchOperation(o)
		if err != nil {
			return c, prefixed(fmt.Sprintf("operations[%d].%s", i, name), err)
		}
		c.steps = append(c.steps, step)
	}
	return c, nil
}

// batchOperation checks one operation and returns its oneof field's name
// and the step that applies it.
func (p parser) batchOperation(o *pb.BatchOperation) (string, batchStep, error) {
	switch o := o.GetOperation().(type) {
	case *pb.BatchOperation_CreateEndpoint:
		cmd, err := p.createEndpoint(o.CreateEndpoint)
		return "create_endpoint", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			rec, err := s.bindEndpoint(cmd, p.limits)
			if err != nil || eo.noResult {
				return nil, nil, err
			}
			return &pb.BatchResult{Result: &pb.BatchResult_CreateEndpoint{CreateEndpoint: s.createdView(rec)}}, nil, nil
		}, err
	case *pb.BatchOperation_DeleteEndpoint:
		cmd, err := p.endpoint(o.DeleteEndpoint.GetName(), "")
		return "delete_endpoint", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.deleteEndpoint(cmd, eo)
			return result(r, err, func() *pb.BatchResult {
				return &pb.BatchResult{Result: &pb.BatchResult_DeleteEndpoint{DeleteEndpoint: r}}
			}, eventsOf(r))
		}, err
	case *pb.BatchOperation_GetEndpoint:
		cmd, err := p.endpoint(o.GetEndpoint.GetName(), "")
		return "get_endpoint", func(s *session, _ eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.getEndpoint(cmd)
			if err != nil {
				return nil, nil, err
			}
			return &pb.BatchResult{Result: &pb.BatchResult_GetEndpoint{GetEndpoint: r}}, nil, nil
		}, err
	case *pb.BatchOperation_Listen:
		cmd, err := p.listen(o.Listen)
		return "listen", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.listen(cmd, eo)
			return result(r, err, func() *pb.BatchResult { return &pb.BatchResult{Result: &pb.BatchResult_Listen{Listen: r}} }, eventsOf(r))
		}, err
	case *pb.BatchOperation_Connect:
		cmd, err := p.connect(o.Connect)
		return "connect", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.connect(cmd, eo)
			return result(r, err, func() *pb.BatchResult { return &pb.BatchResult{Result: &pb.BatchResult_Connect{Connect: r}} }, eventsOf(r))
		}, err
	case *pb.BatchOperation_Send:
		cmd, err := p.send(o.Send)
		return "send", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.send(cmd, eo)
			return result(r, err, func() *pb.BatchResult { return &pb.BatchResult{Result: &pb.BatchResult_Send{Send: r}} }, eventsOf(r))
		}, err
	case *pb.BatchOperation_Receive:
		cmd, err := p.receive(o.Receive)
		return "receive", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.receive(cmd, eo)
			return result(r, err, func() *pb.BatchResult { return &pb.BatchResult{Result: &pb.BatchResult_Receive{Receive: r}} }, eventsOf(r))
		}, err
	case *pb.BatchOperation_Close:
		cmd, err := p.endpoint(o.Close.GetName(), "")
		return "close", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.close(cmd, eo)
			return result(r, err, func() *pb.BatchResult { return &pb.BatchResult{Result: &pb.BatchResult_Close{Close: r}} }, eventsOf(r))
		}, err
	case *pb.BatchOperation_Abort:
		cmd, err := p.endpoint(o.Abort.GetName(), "")
		return "abort", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.abort(cmd, eo)
			return result(r, err, func() *pb.BatchResult { return &pb.BatchResult{Result: &pb.BatchResult_Abort{Abort: r}} }, eventsOf(r))
		}, err
	case *pb.BatchOperation_Inject:
		cmd, err := p.inject(o.Inject)
		return "inject", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.inject(cmd, eo)
			return result(r, err, func() *pb.BatchResult { return &pb.BatchResult{Result: &pb.BatchResult_Inject{Inject: r}} }, eventsOf(r))
		}, err
	case *pb.BatchOperation_Advance:
		cmd, err := p.advance(o.Advance)
		return "advance", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.advance(cmd, eo)
			return result(r, err, func() *pb.BatchResult { return &pb.BatchResult{Result: &pb.BatchResult_Advance{Advance: r}} }, eventsOf(r))
		}, err
	case *pb.BatchOperation_SetPath:
		cmd, err := p.setPath(o.SetPath)
		return "set_path", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.setPath(cmd, eo)
			return result(r, err, func() *pb.BatchResult { return &pb.BatchResult{Result: &pb.BatchResult_SetPath{SetPath: r}} }, eventsOf(r))
		}, err
	case *pb.BatchOperation_DeletePath:
		d := o.DeletePath
		cmd, err := p.pathRef(d.GetSession(), d.GetSrc(), d.GetDst(), "")
		return "delete_path", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.deletePath(cmd, eo)
			return result(r, err, func() *pb.BatchResult { return &pb.BatchResult{Result: &pb.BatchResult_DeletePath{DeletePath: r}} }, eventsOf(r))
		}, err
	case *pb.BatchOperation_CreateFaultRule:
		cmd, err := p.createFaultRule(o.CreateFaultRule)
		return "create_fault_rule", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.createFaultRule(cmd, eo)
			return result(r, err, func() *pb.BatchResult {
				return &pb.BatchResult{Result: &pb.BatchResult_CreateFaultRule{CreateFaultRule: r}}
			}, eventsOf(r))
		}, err
	case *pb.BatchOperation_DeleteFaultRule:
		cmd, err := p.faultRule(o.DeleteFaultRule.GetName(), "")
		return "delete_fault_rule", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.deleteFaultRule(cmd, eo)
			return result(r, err, func() *pb.BatchResult {
				return &pb.BatchResult{Result: &pb.BatchResult_DeleteFaultRule{DeleteFaultRule: r}}
			}, eventsOf(r))
		}, err
	case *pb.BatchOperation_Cut:
		cmd, err := p.cut(o.Cut)
		return "cut", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.cut(cmd, eo)
			return result(r, err, func() *pb.BatchResult { return &pb.BatchResult{Result: &pb.BatchResult_Cut{Cut: r}} }, eventsOf(r))
		}, err
	case *pb.BatchOperation_Heal:
		cmd, err := p.heal(o.Heal)
		return "heal", func(s *session, eo eventOpts) (*pb.BatchResult, []*pb.Event, error) {
			r, err := s.heal(cmd, eo)
			return result(r, err, func() *pb.BatchResult { return &pb.BatchResult{Result: &pb.BatchResult_Heal{Heal: r}} }, eventsOf(r))
		}, err
	}
	return "operation", nil, &invalidArgumentError{violations: []fieldViolation{{"", "set exactly one operation"}}}
}

// eventer is every response that carries events.
type eventer interface{ GetEvents() []*pb.Event }

// eventsOf takes a response's events out of it: in a batch they live in
// BatchResponse.events, and each result points at its range.
func eventsOf[R eventer](r R) []*pb.Event {
	evs := r.GetEvents() // nil-safe on a nil *Response
	switch x := any(r).(type) {
	case *pb.DeleteEndpointResponse:
		if x != nil {
			x.Events = nil
		}
	case *pb.ListenResponse:
		if x != nil {
			x.Events = nil
		}
	case *pb.ConnectResponse:
		if x != nil {
			x.Events = nil
		}
	case *pb.SendResponse:
		if x != nil {
			x.Events = nil
		}
	case *pb.ReceiveResponse:
		if x != nil {
			x.Events = nil
		}
	case *pb.CloseResponse:
		if x != nil {
			x.Events = nil
		}
	case *pb.AbortResponse:
		if x != nil {
			x.Events = nil
		}
	case *pb.InjectResponse:
		if x != nil {
			x.Events = nil
		}
	case *pb.AdvanceResponse:
		if x != nil {
			x.Events = nil
		}
	case *pb.SetPathResponse:
		if x != nil {
			x.Events = nil
		}
	case *pb.DeletePathResponse:
		if x != nil {
			x.Events = nil
		}
	case *pb.CreateFaultRuleResponse:
		if x != nil {
			x.Events = nil
		}
	case *pb.DeleteFaultRuleResponse:
		if x != nil {
			x.Events = nil
		}
	case *pb.CutResponse:
		if x != nil {
			x.Events = nil
		}
	case *pb.HealResponse:
		if x != nil {
			x.Events = nil
		}
	}
	return evs
}

// result is a step's outcome: the wrapped result on success; on failure
// no result, but the events (a failed TCP call records its call event).
func result[R any](r R, err error, wrap func() *pb.BatchResult, evs []*pb.Event) (*pb.BatchResult, []*pb.Event, error) {
	if err != nil {
		return nil, evs, err
	}
	return wrap(), evs, nil
}

// batch applies the steps in order and stops at the first failure.
func (s *session) batch(cmd batchCmd, eo eventOpts) *pb.BatchResponse {
	eo.omit, eo.noResult = cmd.omit, cmd.noResults
	if !cmd.kinds.any {
		eo.kinds = &cmd.kinds
	}
	resp := &pb.BatchResponse{}
	if !cmd.noResults {
		resp.Results = make([]*pb.BatchResult, 0, len(cmd.steps))
	}
	for i, step := range cmd.steps {
		var (
			res *pb.BatchResult
			evs []*pb.Event
			err error
		)
		if n := s.callEvents(); n >= cmd.maxEvents {
			// Its advances stop at the cap; what follows them would run on
			// a state the caller did not plan for, and every op adds events.
			err = fmt.Errorf("%w: the batch's operations before this one caused %d events, the server's limit per call is %d; "+
				"this and later operations were not applied: send them again", errLimit, n, cmd.maxEvents)
		} else {
			res, evs, err = step(s, eo)
		}
		if res == nil {
			res = &pb.BatchResult{}
		}
		res.FirstEvent = uint32(len(resp.Events))
		for _, ev := range evs {
			if cmd.kinds.has(ev.Kind) {
				resp.Events = append(resp.Events, ev)
			}
		}
		res.EventCount = uint32(len(resp.Events)) - res.FirstEvent
		if !cmd.noResults || err != nil {
			resp.Results = append(resp.Results, res)
		}
		if err != nil {
			res.Result = nil
			res.Error = toOperationError(err)
			failed := uint32(i)
			resp.FailedOperation = &failed
			break
		}
	}
	return resp
}
