package cmdutil

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// codeNames are the gRPC codes as the proto spells them (and as the API's
// documentation does): NOT_FOUND, not NotFound.
var codeNames = [...]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
	codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
	codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
	codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
	codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS",
	codes.Unauthenticated: "UNAUTHENTICATED",
}

// CodeName is c as the proto spells it.
func CodeName(c codes.Code) string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return c.String()
}

// statusOf finds a gRPC status in err's chain.
func statusOf(err error) (*status.Status, bool) {
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		return se.GRPCStatus(), true
	}
	return nil, false
}

// FormatError is what emuctl prints for err, without a trailing newline.
// A gRPC error becomes one block: the code, the message (the RFC's
// wording for a TCP error) and each field violation of a
// google.rpc.BadRequest, with a hint when the daemon is not there:
//
//	emuctl: connect sessions/s1/endpoints/a: INVALID_ARGUMENT
//	  invalid request
//	  remote.ip: "999.0.0.1" is not an IP address
func FormatError(err error, addr string) string {
	st, ok := statusOf(err)
	if !ok {
		return "emuctl: " + err.Error()
	}
	var b strings.Builder
	b.WriteString("emuctl: ")
	// The context the command wrapped the status in, if any: what it was
	// doing before, and any advice after.
	prefix, suffix, found := strings.Cut(err.Error(), st.Err().Error())
	if found && strings.TrimSpace(prefix) != "" {
		b.WriteString(strings.TrimSpace(prefix) + " ")
	}
	b.WriteString(CodeName(st.Code()))
	if m := st.Message(); m != "" {
		for _, line := range strings.Split(m, "\n") {
			b.WriteString("\n  " + line)
		}
	}
	if s := strings.TrimSpace(suffix); found && s != "" {
		b.WriteString("\n  " + s)
	}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				fmt.Fprintf(&b, "\n  field %s: %s", v.GetField(), v.GetDescription())
			}
		case *errdetails.ErrorInfo:
			fmt.Fprintf(&b, "\n  reason %s", d.GetReason())
		}
	}
	if st.Code() == codes.Unavailable {
		b.WriteString("\n  " + Unavailable(addr))
	}
	return b.String()
}
