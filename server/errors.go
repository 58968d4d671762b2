package server

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// The server's own errors. Handlers wrap them (and the emulator's) with
// context; toStatus is the one place that turns any of them into a gRPC
// status, with errors.Is and errors.As, so wrapping never loses the code.
var (
	errSessionNotFound  = errors.New("session not found")
	errEndpointNotFound = errors.New("endpoint not found")
	errAlreadyExists    = errors.New("already exists")
	errLimit            = errors.New("server limit reached")
	errUnimplemented    = errors.New("not implemented yet")
	errOutOfRange       = errors.New("out of range")
	errShuttingDown     = errors.New("server is shutting down; reconnect and resume")

	errFaultRuleNotFound = errors.New("fault rule not found")
	errPathNotFound      = errors.New("no path of its own")
)

// fieldViolation is one bad field of a request, by its path in the
// request ("endpoint.local.port", "operations[3].send.data").
type fieldViolation struct {
	field       string
	description string
}

// invalidArgumentError carries every bad field of a request.
type invalidArgumentError struct {
	violations []fieldViolation
}

func (e *invalidArgumentError) Error() string {
	if len(e.violations) == 0 {
		return "invalid argument"
	}
	v := e.violations[0]
	msg := fmt.Sprintf("invalid %s: %s", v.field, v.description)
	if n := len(e.violations) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return msg
}

// violations collects field violations while a request is checked.
type violations struct {
	list []fieldViolation
}

func (v *violations) add(field, format string, args ...any) {
	v.list = append(v.list, fieldViolation{field: field, description: fmt.Sprintf(format, args...)})
}

// err is nil when nothing was added.
func (v *violations) err() error {
	if len(v.list) == 0 {
		return nil
	}
	return &invalidArgumentError{violations: v.list}
}

// prefixed returns err's violations with each field under prefix; other
// errors pass through.
func prefixed(prefix string, err error) error {
	var inv *invalidArgumentError
	if !errors.As(err, &inv) {
		return err
	}
	out := &invalidArgumentError{violations: make([]fieldViolation, len(inv.violations))}
	for i, v := range inv.violations {
		out.violations[i] = fieldViolation{field: prefix + "." + v.field, description: v.description}
	}
	return out
}

// nameError ties an error to the resource it concerns, for the message.
type nameError struct {
	name string
	err  error
}

func (e *nameError) Error() string { return e.name + ": " + e.err.Error() }
func (e *nameError) Unwrap() error { return e.err }

func withName(name string, err error) error {
	if err == nil {
		return nil
	}
	return &nameError{name: name, err: err}
}

// toStatus maps an error to its gRPC status — the only place that does.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	code, msg, fields := classify(err)
	st := status.New(code, msg)
	if len(fields) > 0 {
		br := &errdetails.BadRequest{}
		for _, f := range fields {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field: f.field, Description: f.description,
			})
		}
		if d, derr := st.WithDetails(br); derr == nil {
			st = d
		}
	}
	return st.Err()
}

// toOperationError is toStatus for one operation of a batch.
func toOperationError(err error) *pb.OperationError {
	code, msg, fields := classify(err)
	oe := &pb.OperationError{Code: int32(code), Message: msg}
	if len(fields) > 0 {
		oe.Field = fields[0].field
	}
	return oe
}

// classify decides an error's code, message and field violations.
func classify(err error) (codes.Code, string, []fieldViolation) {
	var (
		inv  *invalidArgumentError
		cfg  *tcp.ConfigError
		tcpE tcp.Error
		pe   *emulator.ParamError
	)
	switch {
	case errors.As(err, &inv):
		return codes.InvalidArgument, inv.Error(), inv.violations
	case errors.As(err, &pe):
		// A backstop: handlers name the request's field (paramViolation).
		return codes.InvalidArgument, err.Error(), []fieldViolation{{pe.What + "." + pe.Field, pe.Reason}}
	case errors.As(err, &cfg):
		field := "profile_overrides." + overrideFieldName(cfg.Field)
		return codes.InvalidArgument, err.Error(), []fieldViolation{{field, cfg.Reason}}
	case errors.Is(err, emulator.ErrUnknownProfile):
		return codes.InvalidArgument, err.Error(), []fieldViolation{{"session.profile", err.Error()}}
	case errors.Is(err, emulator.ErrInvalidAddress), errors.Is(err, emulator.ErrInvalidSegment):
		return codes.InvalidArgument, err.Error(), nil
	case errors.Is(err, errSessionNotFound), errors.Is(err, errEndpointNotFound),
		errors.Is(err, emulator.ErrNoEndpoint), errors.Is(err, errFaultRuleNotFound),
		errors.Is(err, errPathNotFound), errors.Is(err, emulator.ErrNoFault):
		return codes.NotFound, err.Error(), nil
	case errors.Is(err, errAlreadyExists), errors.Is(err, emulator.ErrAddressInUse):
		return codes.AlreadyExists, err.Error(), nil
	case errors.Is(err, tcp.ErrConnectionAlreadyExists):
		// RFC 9293 §3.10.1: "error: connection already exists".
		return codes.AlreadyExists, rfcMessage(err, tcp.ErrConnectionAlreadyExists), nil
	case errors.As(err, &tcpE):
		// An RFC 9293 §3.10 answer: quote the RFC's words.
		return codes.FailedPrecondition, rfcMessage(err, tcpE), nil
	case errors.Is(err, emulator.ErrTimeInPast), errors.Is(err, emulator.ErrNotListener),
		errors.Is(err, emulator.ErrNothingAccepted), errors.Is(err, errNotExternal):
		return codes.FailedPrecondition, err.Error(), nil
	case errors.Is(err, errReadOnly):
		return codes.FailedPrecondition, err.Error(), nil
	case errors.Is(err, errNotDurable):
		return codes.Unavailable, err.Error(), nil
	case errors.Is(err, errLimit):
		return codes.ResourceExhausted, err.Error(), nil
	case errors.Is(err, errOutOfRange):
		return codes.OutOfRange, err.Error(), nil
	case errors.Is(err, errUnimplemented):
		return codes.Unimplemented, err.Error(), nil
	case errors.Is(err, errShuttingDown):
		return codes.Unavailable, err.Error(), nil
	case errors.Is(err, context.Canceled):
		return codes.Canceled, err.Error(), nil
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded, err.Error(), nil
	}
	if st, ok := status.FromError(err); ok {
		return st.Code(), st.Message(), nil
	}
	return codes.Internal, err.Error(), nil
}

// rfcMessage is "sessions/s1/endpoints/a: error: connection does not
// exist" — the resource, then RFC 9293's own wording.
func rfcMessage(err error, e tcp.Error) string {
	var ne *nameError
	if errors.As(err, &ne) {
		return ne.name + ": " + e.Error()
	}
	return e.Error()
}
