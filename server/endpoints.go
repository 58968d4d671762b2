package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// The endpoint RPCs: check, convert, apply under the session's lock,
// map the error. The work is in the session methods below, which Batch
// shares.

// CreateEndpoint binds an endpoint to a local address.
func (s *Server) CreateEndpoint(ctx context.Context, req *pb.CreateEndpointRequest) (*pb.CreateEndpointResponse, error) {
	cmd, err := s.parser().createEndpoint(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.session, cmd.lang, in(ctx, inCreateEndpoint, req), func(sess *session, eo eventOpts) (*pb.CreateEndpointResponse, error) {
		return sess.createEndpoint(cmd, s.limits)
	})
}

// GetEndpoint reads an endpoint (a plain read: no event).
func (s *Server) GetEndpoint(_ context.Context, req *pb.GetEndpointRequest) (*pb.Endpoint, error) {
	cmd, err := s.parser().endpoint(req.GetName(), "")
	if err != nil {
		return nil, toStatus(err)
	}
	return apply(s, cmd.ref.session, "", func(sess *session, _ eventOpts) (*pb.Endpoint, error) { return sess.getEndpoint(cmd) })
}

// ListEndpoints lists endpoints in creation order, or one listener's children.
func (s *Server) ListEndpoints(_ context.Context, req *pb.ListEndpointsRequest) (*pb.ListEndpointsResponse, error) {
	cmd, err := s.parser().listEndpoints(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return apply(s, cmd.session, "", func(sess *session, _ eventOpts) (*pb.ListEndpointsResponse, error) {
		return sess.listEndpoints(cmd)
	})
}

// DeleteEndpoint aborts an endpoint's connection, if any, and forgets it.
func (s *Server) DeleteEndpoint(ctx context.Context, req *pb.DeleteEndpointRequest) (*pb.DeleteEndpointResponse, error) {
	cmd, err := s.parser().endpoint(req.GetName(), req.GetLanguage())
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.ref.session, cmd.lang, in(ctx, inDeleteEndpoint, req), func(sess *session, eo eventOpts) (*pb.DeleteEndpointResponse, error) {
		return sess.deleteEndpoint(cmd, eo)
	})
}

// Listen is a passive OPEN.
func (s *Server) Listen(ctx context.Context, req *pb.ListenRequest) (*pb.ListenResponse, error) {
	cmd, err := s.parser().listen(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.ref.session, cmd.lang, in(ctx, inListen, req), func(sess *session, eo eventOpts) (*pb.ListenResponse, error) { return sess.listen(cmd, eo) })
}

// Connect is an active OPEN.
func (s *Server) Connect(ctx context.Context, req *pb.ConnectRequest) (*pb.ConnectResponse, error) {
	cmd, err := s.parser().connect(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.ref.session, cmd.lang, in(ctx, inConnect, req), func(sess *session, eo eventOpts) (*pb.ConnectResponse, error) { return sess.connect(cmd, eo) })
}

// Send is SEND.
func (s *Server) Send(ctx context.Context, req *pb.SendRequest) (*pb.SendResponse, error) {
	cmd, err := s.parser().send(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.ref.session, cmd.lang, in(ctx, inSend, req), func(sess *session, eo eventOpts) (*pb.SendResponse, error) { return sess.send(cmd, eo) })
}

// Receive is RECEIVE.
func (s *Server) Receive(ctx context.Context, req *pb.ReceiveRequest) (*pb.ReceiveResponse, error) {
	cmd, err := s.parser().receive(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.ref.session, cmd.lang, in(ctx, inReceive, req), func(sess *session, eo eventOpts) (*pb.ReceiveResponse, error) { return sess.receive(cmd, eo) })
}

// Close is CLOSE.
func (s *Server) Close(ctx context.Context, req *pb.CloseRequest) (*pb.CloseResponse, error) {
	cmd, err := s.parser().endpoint(req.GetName(), req.GetLanguage())
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.ref.session, cmd.lang, in(ctx, inClose, req), func(sess *session, eo eventOpts) (*pb.CloseResponse, error) { return sess.close(cmd, eo) })
}

// Abort is ABORT.
func (s *Server) Abort(ctx context.Context, req *pb.AbortRequest) (*pb.AbortResponse, error) {
	cmd, err := s.parser().endpoint(req.GetName(), req.GetLanguage())
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.ref.session, cmd.lang, in(ctx, inAbort, req), func(sess *session, eo eventOpts) (*pb.AbortResponse, error) { return sess.abort(cmd, eo) })
}

// Session methods. Each runs with the session's lock held.

func (s *session) createEndpoint(cmd createEndpointCmd, lim Limits) (*pb.CreateEndpointResponse, error) {
	rec, err := s.bindEndpoint(cmd, lim)
	if err != nil {
		return nil, err
	}
	return s.createdView(rec), nil
}

// createdView is CreateEndpoint's answer: the new endpoint, not yet opened.
func (s *session) createdView(rec *endpointRec) *pb.CreateEndpointResponse {
	return &pb.CreateEndpointResponse{Endpoint: s.endpointToProto(rec, nil, 0)}
}

// bindEndpoint makes the record of a new endpoint bound to cmd.local.
func (s *session) bindEndpoint(cmd createEndpointCmd, lim Limits) (*endpointRec, error) {
	id := cmd.id
	if id == "" {
		for id = "ep-" + strconv.FormatUint(s.nextOrd+1, 10); s.eps[id] != nil; id += "x" {
		}
	}
	name := endpointName(s.id, id)
	if s.eps[id] != nil {
		return nil, fmt.Errorf("%s: %w", name, errAlreadyExists)
	}
	if len(s.bound) >= lim.MaxEndpointsPerSession { // children do not count: their listener's backlog bounds them
		return nil, fmt.Errorf("%w: at most %d endpoints per session", errLimit, lim.MaxEndpointsPerSession)
	}
	if s.net.peers.byHost[cmd.local.Addr()] != nil {
		return nil, fmt.Errorf("%s: %v: %w: an attached external peer plays that host", name, cmd.local.Addr(), errAlreadyExists)
	}
	if other := s.bound[cmd.local]; other != nil {
		return nil, fmt.Errorf("%s: %v: %w (by %s)", name, cmd.local, emulator.ErrAddressInUse, endpointName(s.id, other.id))
	}
	custom, err := s.newEndpointConfig(cmd.protoOverrides, cmd.overrides)
	if err != nil {
		return nil, configViolation("endpoint.", err)
	}
	rec := &endpointRec{id: id, addr: cmd.local, custom: custom}
	s.register(rec)
	// A bound address makes its host part of the session: its other ports
	// answer like closed ports (RST) instead of being external.
	s.em.AddHost(cmd.local.Addr())
	return rec, nil
}

// configViolation turns a *tcp.ConfigError into a field violation under
// prefix + "profile_overrides.".
func configViolation(prefix string, err error) error {
	var ce *tcp.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	return &invalidArgumentError{violations: []fieldViolation{{
		field: prefix + "profile_overrides." + overrideFieldName(ce.Field), description: ce.Reason,
	}}}
}

func (s *session) getEndpoint(cmd endpointCmd) (*pb.Endpoint, error) {
	rec, err := s.endpoint(cmd.ref)
	if err != nil {
		return nil, err
	}
	return s.endpointView(rec), nil
}

func (s *session) endpointView(rec *endpointRec) *pb.Endpoint {
	st := s.status(rec)
	synReceived := 0
	if st != nil {
		for _, c := range st.Children {
			if cs, err := s.em.Status(c); err == nil && cs.State == tcp.SynReceived {
				synReceived++
			}
		}
	}
	return s.endpointToProto(rec, st, synReceived)
}

func (s *session) listEndpoints(cmd listEndpointsCmd) (*pb.ListEndpointsResponse, error) {
	if cmd.listener != "" {
		if _, err := s.endpoint(endpointRef{session: s.id, endpoint: cmd.listener}); err != nil {
			return nil, err
		}
	}
	recs := make([]*endpointRec, 0, len(s.eps))
	for _, rec := range s.eps {
		if rec.order >= cmd.after && (cmd.listener == "" || rec.parentID() == cmd.listener) {
			recs = append(recs, rec)
		}
	}
	sortByOrder(recs)
	resp := &pb.ListEndpointsResponse{}
	for _, rec := range recs {
		view := s.endpointView(rec)
		if !cmd.anyState {
			core, _ := stateFromProto(view.State)
			if !cmd.states[core] {
				continue
			}
		}
		if len(resp.Endpoints) == cmd.pageSize {
			resp.NextPageToken = encodeOrderToken(tokenEndpoints, rec.order)
			break
		}
		resp.Endpoints = append(resp.Endpoints, view)
	}
	return resp, nil
}

func (s *session) deleteEndpoint(cmd endpointCmd, eo eventOpts) (*pb.DeleteEndpointResponse, error) {
	rec, err := s.endpoint(cmd.ref)
	if err != nil {
		return nil, err
	}
	resp := &pb.DeleteEndpointResponse{}
	if st, ok := s.state(rec); ok && st != tcp.Closed {
		evs, err := s.em.Abort(rec.core)
		resp.Events = s.events(evs, eo, nil)
		if err != nil && !errors.Is(err, tcp.ErrConnectionDoesNotExist) {
			return nil, withName(cmd.ref.String(), err)
		}
	}
	s.unregister(rec)
	return resp, nil
}

// openable checks that rec has no connection: OPEN on one that exists is
// "connection already exists" (RFC 9293 §3.10.1). The emulator's OPEN
// calls create endpoints rather than open existing ones, so this one
// check is the server's.
func (s *session) openable(rec *endpointRec) (listening bool, err error) {
	st, ok := s.state(rec)
	if ok && st != tcp.Closed && st != tcp.Listen {
		return false, tcp.ErrConnectionAlreadyExists
	}
	return ok && st == tcp.Listen, nil
}

func (s *session) listen(cmd listenCmd, eo eventOpts) (*pb.ListenResponse, error) {
	rec, err := s.endpoint(cmd.ref)
	if err != nil {
		return nil, err
	}
	if listening, err := s.openable(rec); err != nil || listening {
		return nil, withName(cmd.ref.String(), tcp.ErrConnectionAlreadyExists)
	}
	id, evs, err := s.em.Listen(rec.local(), emulator.EndpointOptions{Overrides: rec.overrides(), Backlog: cmd.backlog})
	s.bind(rec, id)
	return &pb.ListenResponse{Events: s.events(evs, eo, rec)}, withName(cmd.ref.String(), err)
}

func (s *session) connect(cmd connectCmd, eo eventOpts) (*pb.ConnectResponse, error) {
	rec, err := s.endpoint(cmd.ref)
	if err != nil {
		return nil, err
	}
	listening, err := s.openable(rec)
	if err != nil {
		return nil, withName(cmd.ref.String(), err)
	}
	if listening {
		// OPEN on a listener turns it active (RFC 9293 §3.10.1).
		evs, err := s.em.OpenActive(rec.core, cmd.remote)
		resp := &pb.ConnectResponse{Events: s.events(evs, eo, rec)}
		if err == nil && len(cmd.data) > 0 {
			evs, err = s.em.Send(rec.core, cmd.data)
			resp.Events = append(resp.Events, s.events(evs, eo, rec)...)
		}
		return resp, withName(cmd.ref.String(), err)
	}
	id, evs, err := s.em.Connect(rec.local(), cmd.remote, cmd.data, emulator.EndpointOptions{Overrides: rec.overrides()})
	s.bind(rec, id)
	return &pb.ConnectResponse{Events: s.events(evs, eo, rec)}, withName(cmd.ref.String(), err)
}

// connection is rec's emulator endpoint for SEND, RECEIVE, CLOSE and
// ABORT; an endpoint never opened has none (RFC 9293 §3.10: "connection
// does not exist").
func (s *session) connection(ref endpointRef) (emulator.EndpointID, error) {
	rec, err := s.endpoint(ref)
	if err != nil {
		return 0, err
	}
	if rec.core == 0 {
		return 0, withName(ref.String(), tcp.ErrConnectionDoesNotExist)
	}
	return rec.core, nil
}

func (s *session) send(cmd sendCmd, eo eventOpts) (*pb.SendResponse, error) {
	if cmd.urgent {
		// A feature the emulator lacks is reported whatever the state.
		return nil, fmt.Errorf("%w: urgent data (SEND with URGENT) is not modelled by the emulator", errUnimplemented)
	}
	id, err := s.connection(cmd.ref)
	if err != nil {
		return nil, err
	}
	evs, err := s.em.Send(id, cmd.data)
	return &pb.SendResponse{Events: s.events(evs, eo, nil)}, withName(cmd.ref.String(), err)
}

func (s *session) receive(cmd receiveCmd, eo eventOpts) (*pb.ReceiveResponse, error) {
	id, err := s.connection(cmd.ref)
	if err != nil {
		return nil, err
	}
	data, eof, evs, err := s.em.Receive(id, min(cmd.max, math.MaxInt32))
	return &pb.ReceiveResponse{Data: data, EndOfStream: eof, Events: s.events(evs, eo, nil)}, withName(cmd.ref.String(), err)
}

func (s *session) close(cmd endpointCmd, eo eventOpts) (*pb.CloseResponse, error) {
	id, err := s.connection(cmd.ref)
	if err != nil {
		return nil, err
	}
	evs, err := s.em.Close(id)
	return &pb.CloseResponse{Events: s.events(evs, eo, nil)}, withName(cmd.ref.String(), err)
}

func (s *session) abort(cmd endpointCmd, eo eventOpts) (*pb.AbortResponse, error) {
	id, err := s.connection(cmd.ref)
	if err != nil {
		return nil, err
	}
	evs, err := s.em.Abort(id)
	return &pb.AbortResponse{Events: s.events(evs, eo, nil)}, withName(cmd.ref.String(), err)
}
