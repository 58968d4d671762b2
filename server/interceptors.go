package server

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// recoverUnary turns a panic in one call into INTERNAL, logged with its
// stack; the daemon and every other session carry on. (The session's lock
// is released by apply's defer.)
func (s *Server) recoverUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = s.panicked(info.FullMethod, sessionOf(req), r)
		}
	}()
	return next(ctx, req)
}

func (s *Server) recoverStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, next grpc.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = s.panicked(info.FullMethod, "", r)
		}
	}()
	return next(srv, ss)
}

func (s *Server) panicked(method, session string, r any) error {
	s.log.Error().Str("method", method).Str("session", session).
		Str("panic", fmt.Sprint(r)).Str("stack", string(debug.Stack())).
		Msg("panic recovered; the call fails with INTERNAL and the daemon carries on")
	return status.Errorf(codes.Internal, "internal error (a bug, logged by the server): %v", r)
}

// logUnary writes one line per RPC: method, session, code, latency.
func (s *Server) logUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := next(ctx, req)
	if err == nil && s.log.GetLevel() > zerolog.InfoLevel {
		// No line would be written: skip building it (with the request's
		// session name, a tenth of a trivial call's cost).
		return resp, err
	}
	s.logRPC(info.FullMethod, sessionOf(req), err, time.Since(start))
	return resp, err
}

func (s *Server) logStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, next grpc.StreamHandler) error {
	start := time.Now()
	w := &sessionSniffer{ServerStream: ss}
	err := next(srv, w)
	s.logRPC(info.FullMethod, w.session, err, time.Since(start))
	return err
}

func (s *Server) logRPC(method, session string, err error, d time.Duration) {
	code := status.Code(err)
	ev := s.log.Info()
	if code == codes.Internal || code == codes.Unknown {
		ev = s.log.Error()
	}
	ev = ev.Str("method", method).Str("code", code.String()).Dur("latency", d)
	if session != "" {
		ev = ev.Str("session", session)
	}
	if err != nil {
		ev = ev.Str("error", status.Convert(err).Message())
	}
	ev.Msg("rpc")
}

// sessionSniffer remembers the session named by a stream's first message.
type sessionSniffer struct {
	grpc.ServerStream
	session string
}

func (w *sessionSniffer) RecvMsg(m any) error {
	err := w.ServerStream.RecvMsg(m)
	if err == nil && w.session == "" {
		w.session = sessionOf(m)
	}
	return err
}

// sessionOf finds the session a request names, for the log.
func sessionOf(req any) string {
	var name string
	switch r := req.(type) {
	case interface{ GetSession() string }:
		name = r.GetSession()
	case interface{ GetParent() string }:
		name = r.GetParent()
	case interface{ GetName() string }:
		name = r.GetName()
	}
	if !strings.HasPrefix(name, sessionsCollection+"/") {
		return ""
	}
	if i := strings.Index(name[len(sessionsCollection)+1:], "/"); i >= 0 {
		return name[:len(sessionsCollection)+1+i]
	}
	return name
}
