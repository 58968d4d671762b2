package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

func TestErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		code  codes.Code
		msg   string // a substring of the message
		field string // the first field violation, if any
	}{
		{"rfc error quoted", withName("sessions/s/endpoints/a", fmt.Errorf("endpoint 3: %w", tcp.ErrConnectionDoesNotExist)),
			codes.FailedPrecondition, "sessions/s/endpoints/a: error: connection does not exist", ""},
		{"connection closing", fmt.Errorf("x: %w", tcp.ErrConnectionClosing), codes.FailedPrecondition, "error: connection closing", ""},
		{"connection already exists", withName("n", tcp.ErrConnectionAlreadyExists), codes.AlreadyExists, "n: error: connection already exists", ""},
		{"address in use", fmt.Errorf("listen: %w", emulator.ErrAddressInUse), codes.AlreadyExists, "address already in use", ""},
		{"id taken", fmt.Errorf("sessions/a: %w", errAlreadyExists), codes.AlreadyExists, "sessions/a", ""},
		{"no endpoint", fmt.Errorf("endpoint 9: %w", emulator.ErrNoEndpoint), codes.NotFound, "no such endpoint", ""},
		{"unknown session", fmt.Errorf("sessions/x: %w", errSessionNotFound), codes.NotFound, "sessions/x", ""},
		{"unknown endpoint", fmt.Errorf("e: %w", errEndpointNotFound), codes.NotFound, "endpoint not found", ""},
		{"unknown profile", fmt.Errorf("%w: \"bsd\"", emulator.ErrUnknownProfile), codes.InvalidArgument, "bsd", "session.profile"},
		{"config error", fmt.Errorf("overrides: %w", &tcp.ConfigError{Field: "rcv_buf", Reason: "must be 1..65535"}),
			codes.InvalidArgument, "rcv_buf", "profile_overrides.rcv_wnd"},
		{"field violations", &invalidArgumentError{violations: []fieldViolation{{"a.b", "bad"}, {"c", "worse"}}},
			codes.InvalidArgument, "invalid a.b: bad (and 1 more)", "a.b"},
		{"prefixed", prefixed("operations[2].send", &invalidArgumentError{violations: []fieldViolation{{"data", "too big"}}}),
			codes.InvalidArgument, "operations[2].send.data", "operations[2].send.data"},
		{"limit", fmt.Errorf("%w: at most 1 session", errLimit), codes.ResourceExhausted, "at most 1", ""},
		{"time in past", fmt.Errorf("advance: %w", emulator.ErrTimeInPast), codes.FailedPrecondition, "before the session's clock", ""},
		{"trimmed", fmt.Errorf("%w: oldest 5", errOutOfRange), codes.OutOfRange, "oldest 5", ""},
		{"unimplemented", fmt.Errorf("%w: urgent data", errUnimplemented), codes.Unimplemented, "urgent data", ""},
		{"unknown fault rule", fmt.Errorf("sessions/s/faultRules/r: %w", errFaultRuleNotFound), codes.NotFound, "fault rule not found", ""},
		{"no own path", fmt.Errorf("path: %w", errPathNotFound), codes.NotFound, "no path of its own", ""},
		{"host not external", fmt.Errorf("host: %w", errNotExternal), codes.FailedPrecondition, "not an external host", ""},
		{"core parameter", fmt.Errorf("set: %w", &emulator.ParamError{What: "path", Field: "loss", Reason: "must be a probability in [0, 1]"}),
			codes.InvalidArgument, "loss", "path.loss"},
		{"shutting down", errShuttingDown, codes.Unavailable, "resume", ""},
		{"canceled", fmt.Errorf("send: %w", context.Canceled), codes.Canceled, "", ""},
		{"status passes through", status.Error(codes.PermissionDenied, "no"), codes.PermissionDenied, "no", ""},
		{"anything else is internal", errors.New("boom"), codes.Internal, "boom", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := status.Convert(toStatus(tc.err))
			if st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
				t.Fatalf("got %v %q, want %v containing %q", st.Code(), st.Message(), tc.code, tc.msg)
			}
			var fields []string
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, v := range br.FieldViolations {
						fields = append(fields, v.Field)
					}
				}
			}
			if tc.field == "" && len(fields) > 0 || tc.field != "" && (len(fields) == 0 || fields[0] != tc.field) {
				t.Fatalf("field violations %v, want first %q", fields, tc.field)
			}
			oe := toOperationError(tc.err)
			if codes.Code(oe.Code) != tc.code || oe.Field != tc.field {
				t.Fatalf("operation error %v", oe)
			}
		})
	}
	if toStatus(nil) != nil {
		t.Fatal("nil error became a status")
	}
}
