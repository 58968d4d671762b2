package server

import (
	"bytes"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
	"github.com/tcpemu/tcpemu/store"
)

// sendAsIs is a client codec that sends a request's octets unchanged
// and decodes answers as proto.
type sendAsIs struct{}

func (sendAsIs) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}

func (sendAsIs) Unmarshal(data mem.BufferSlice, v any) error {
	return proto.Unmarshal(data.Materialize(), v.(proto.Message))
}

func (sendAsIs) Name() string { return "proto" }

// A request is journaled as the octets it arrived as — here an encoding
// that encoding the decoded message again would not reproduce (an
// unknown field first, a field given twice) — and a restart replays it
// to the same session.
func TestJournalsRequestAsReceived(t *testing.T) {
	dir := t.TempDir()
	d := startDurable(t, dir, Limits{})
	must[*pb.Session](t)(d.c.CreateSession(d.ctx, &pb.CreateSessionRequest{SessionId: "raw"}))
	req := &pb.BatchRequest{Session: "sessions/raw", Operations: []*pb.BatchOperation{
		{Operation: &pb.BatchOperation_CreateEndpoint{CreateEndpoint: &pb.CreateEndpointRequest{EndpointId: "s", Endpoint: &pb.Endpoint{Local: addr("10.0.0.2", 80)}}}},
		{Operation: &pb.BatchOperation_Listen{Listen: &pb.ListenRequest{Name: "sessions/raw/endpoints/s"}}},
	}}
	body := protowire.AppendTag(nil, 999, protowire.VarintType)
	body = protowire.AppendVarint(body, 7)
	body = protowire.AppendTag(body, 1, protowire.BytesType) // session, overridden below
	body = protowire.AppendString(body, "sessions/elsewhere")
	body = append(body, must[[]byte](t)(proto.Marshal(req))...)
	if again := must[[]byte](t)(proto.Marshal(func() proto.Message { m := &pb.BatchRequest{}; _ = proto.Unmarshal(body, m); return m }())); bytes.Equal(again, body) {
		t.Fatal("the test's encoding is the canonical one: it proves nothing")
	}
	var res pb.BatchResponse
	if err := d.conn.Invoke(d.ctx, pb.EmulatorService_Batch_FullMethodName, body, &res, grpc.ForceCodecV2(sendAsIs{})); err != nil {
		t.Fatal(err)
	}
	if res.FailedOperation != nil {
		t.Fatalf("batch failed at %d", res.GetFailedOperation())
	}
	var last []byte
	if err := d.st.Inputs("raw", 0, func(in *store.Input) error {
		last = append(last[:0], in.Data...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tag, _, _, got, err := decodeInput(last)
	if err != nil || tag != inBatch {
		t.Fatalf("last input: tag %d, %v; want the Batch", tag, err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("journaled %x, want the octets sent %x", got, body)
	}
	want := allEvents(t, d.harness, "sessions/raw")
	d = d.restart(t, Limits{})
	if len(want) == 0 {
		t.Fatal("the batch caused no events")
	}
	sameEvents(t, "after a restart", allEvents(t, d.harness, "sessions/raw"), want)
	if st := must[*pb.Session](t)(d.c.GetSession(d.ctx, &pb.GetSessionRequest{Name: "sessions/raw"})).Recovery.GetState(); st != pb.RecoveryState_RECOVERY_STATE_EXACT {
		t.Fatalf("recovery %v, want EXACT", st)
	}
}
