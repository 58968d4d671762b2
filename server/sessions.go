package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
	"github.com/tcpemu/tcpemu/store"
)

// CreateSession creates a session.
func (s *Server) CreateSession(_ context.Context, req *pb.CreateSessionRequest) (*pb.Session, error) {
	cmd, err := s.parser().createSession(req)
	if err != nil {
		return nil, toStatus(err)
	}
	sess, err := s.createSession(cmd)
	return sess, toStatus(err)
}

// GetSession reads a session.
func (s *Server) GetSession(_ context.Context, req *pb.GetSessionRequest) (*pb.Session, error) {
	id, err := s.parser().sessionName(req.GetName())
	if err != nil {
		return nil, toStatus(err)
	}
	return apply(s, id, "", func(sess *session, _ eventOpts) (*pb.Session, error) { return sess.toProto(), nil })
}

// ListSessions lists sessions by ID, optionally by labels.
func (s *Server) ListSessions(_ context.Context, req *pb.ListSessionsRequest) (*pb.ListSessionsResponse, error) {
	cmd, err := s.parser().listSessions(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return s.listSessions(cmd), nil
}

// DeleteSession deletes a session; its watchers end with NOT_FOUND.
func (s *Server) DeleteSession(_ context.Context, req *pb.DeleteSessionRequest) (*emptypb.Empty, error) {
	id, err := s.parser().sessionName(req.GetName())
	if err != nil {
		return nil, toStatus(err)
	}
	return &emptypb.Empty{}, toStatus(s.deleteSession(id))
}

func (s *Server) parser() parser { return parser{limits: s.limits} }

func (s *Server) createSession(cmd createSessionCmd) (*pb.Session, error) {
	id := cmd.id
	explicit := id != ""
	for attempt := 0; ; attempt++ {
		if !explicit {
			id = newSessionID()
		}
		sess, err := newSessionFrom(cmd, id, s.limits, s.wallNow(), s.store)
		if err != nil {
			return nil, err
		}
		// Locked before it is registered: no call reaches the session
		// before its creation is journaled.
		sess.mu.Lock()
		err = s.reg.add(sess, s.limits.MaxSessions)
		if err != nil {
			sess.mu.Unlock()
			if explicit || !errors.Is(err, errAlreadyExists) || attempt > 8 {
				return nil, err
			}
			continue
		}
		defer sess.mu.Unlock()
		if err := s.journalCreate(sess, cmd.req, s.limits); err != nil {
			_, _ = s.reg.remove(id)
			sess.gone = true
			return nil, err
		}
		return sess.toProto(), nil
	}
}

// newSession makes a session from a checked CreateSession under limits,
// journaled to st unless it is nil.
func newSessionFrom(cmd createSessionCmd, id string, lim Limits, now time.Time, st store.Store) (*session, error) {
	// A call's events are journaled from the log when it ends; applyIn
	// holds them until then, so the limit is only the window kept between
	// calls.
	cmd.cfg.LogLimit = lim.MaxLogEvents
	em, err := emulator.New(cmd.cfg)
	if err != nil {
		var ce *tcp.ConfigError
		if errors.As(err, &ce) {
			return nil, &invalidArgumentError{violations: []fieldViolation{{
				field: "session.profile_overrides." + overrideFieldName(ce.Field), description: ce.Reason,
			}}}
		}
		return nil, err
	}
	sess := newSession(id, cmd.spec, em, cmd.lang, now)
	sess.ttl, sess.lastChange, sess.durable, sess.store = cmd.ttl, now, st != nil, st
	return sess, nil
}

func (s *Server) listSessions(cmd listSessionsCmd) *pb.ListSessionsResponse {
	resp := &pb.ListSessionsResponse{}
	for _, sess := range s.reg.sorted() {
		if sess.id <= cmd.after || !hasLabels(sess.spec.GetLabels(), cmd.labels) {
			continue
		}
		if len(resp.Sessions) == cmd.pageSize {
			resp.NextPageToken = encodePageToken(tokenSessions, resp.Sessions[len(resp.Sessions)-1].Name[len("sessions/"):])
			break
		}
		sess.mu.Lock()
		if !sess.gone {
			resp.Sessions = append(resp.Sessions, sess.toProto())
		}
		sess.mu.Unlock()
	}
	return resp
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func (s *Server) deleteSession(id string) error {
	sess, err := s.reg.remove(id)
	if err != nil {
		return err
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	sess.gone = true
	close(sess.changed) // wake watchers: they see gone and end with NOT_FOUND
	sess.changed = make(chan struct{})
	if sess.durable {
		if err := s.store.Commit(&store.Commit{Session: id, Delete: true}); err != nil {
			return fmt.Errorf("%s: deleted here but not in the store, so a restart brings it back: %w: %w", sessionName(id), errNotDurable, err)
		}
	}
	return nil
}
