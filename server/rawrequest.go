package server

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the default codec wrapped below
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Journaling a request as received. A mutating call journals its request
// (journal.go); encoding the decoded message again cost about a tenth of
// emud's CPU on small connection lifecycles, yet the octets that decode
// to it were in hand a moment before. So the journaled methods decode
// through a rawTarget: the codec keeps a copy of the octets on it, and
// the handler's context carries it to the journal. The copy belongs to
// the call — nothing global holds it, so it goes with the call however
// the call ends — and a call that did not come through it (in-process,
// or a method not listed here) encodes its request as before. Replay
// decodes either the same way: proto.Unmarshal of the stored body.

// journaledMethods are the EmulatorService methods whose requests are
// journaled as received. One missing here is journaled by encoding its
// request again; one listed that journals nothing only copies its
// request once more.
var journaledMethods = map[string]bool{
	"CreateEndpoint": true, "DeleteEndpoint": true, "Listen": true, "Connect": true,
	"Send": true, "Receive": true, "Close": true, "Abort": true, "Inject": true,
	"Advance": true, "SetPath": true, "DeletePath": true, "CreateFaultRule": true,
	"DeleteFaultRule": true, "Cut": true, "Heal": true, "Batch": true,
}

// rawTarget is what a journaled method's handler decodes into: the
// message, and the octets it was decoded from.
type rawTarget struct {
	msg any
	raw []byte
}

type rawKey struct{}

// rawRequest is the octets req was decoded from, if the call decoded it
// through a rawTarget; else nil.
func rawRequest(ctx context.Context, req proto.Message) []byte {
	if ctx == nil {
		return nil
	}
	t, _ := ctx.Value(rawKey{}).(*rawTarget)
	if t == nil || t.msg != any(req) {
		return nil
	}
	return t.raw
}

// rawCodec is gRPC's proto codec, except that it decodes a rawTarget's
// message from a copy of the octets it keeps.
type rawCodec struct{ encoding.CodecV2 }

func newRawCodec() rawCodec {
	c := encoding.GetCodecV2("proto")
	if c == nil {
		panic("server: gRPC's proto codec is not registered")
	}
	return rawCodec{c}
}

func (c rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	t, ok := v.(*rawTarget)
	if !ok {
		return c.CodecV2.Unmarshal(data, v)
	}
	m, ok := t.msg.(proto.Message)
	if !ok {
		return fmt.Errorf("failed to unmarshal, message is %T, want proto.Message", t.msg)
	}
	raw := data.Materialize() // a copy of its own: data's buffers go back to their pool
	if err := proto.Unmarshal(raw, m); err != nil {
		return err
	}
	t.raw = raw
	return nil
}

// emulatorServiceDesc is the generated service description, with each
// journaled method's handler decoding through a rawTarget.
func emulatorServiceDesc() *grpc.ServiceDesc {
	d := pb.EmulatorService_ServiceDesc
	d.Methods = append([]grpc.MethodDesc(nil), d.Methods...)
	for i, m := range d.Methods {
		if journaledMethods[m.MethodName] {
			d.Methods[i].Handler = keepRaw(m.Handler)
		}
	}
	return &d
}

// keepRaw wraps a generated unary handler: it decodes the request into
// a rawTarget, which the context it passes on carries.
func keepRaw(h grpc.MethodHandler) grpc.MethodHandler {
	return func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
		t := &rawTarget{}
		return h(srv, context.WithValue(ctx, rawKey{}, t), func(v any) error {
			t.msg, t.raw = v, nil
			return dec(t)
		}, ic)
	}
}
