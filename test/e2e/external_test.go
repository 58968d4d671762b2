package e2e

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// extPeer is a minimal TCP written against the AttachExternalPeer
// stream: a test plays the remote host by hand, one segment at a time.
type extPeer struct {
	t      *testing.T
	stream pb.EmulatorService_AttachExternalPeerClient
	segs   chan *pb.ExternalSegment
	sents  chan *pb.ExternalPeerSent
	done   chan error
	nextID uint64
}

func attachPeer(t *testing.T, ctx context.Context, c pb.EmulatorServiceClient, attach *pb.ExternalPeerAttach) (*extPeer, *pb.ExternalPeerAttached, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	stream, err := c.AttachExternalPeer(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := stream.Send(&pb.AttachExternalPeerRequest{Message: &pb.AttachExternalPeerRequest_Attach{Attach: attach}}); err != nil {
		return nil, nil, err
	}
	first, err := stream.Recv()
	if err != nil {
		return nil, nil, err
	}
	p := &extPeer{t: t, stream: stream, segs: make(chan *pb.ExternalSegment, 64), sents: make(chan *pb.ExternalPeerSent, 64), done: make(chan error, 1)}
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				p.done <- err
				return
			}
			switch x := m.Message.(type) {
			case *pb.AttachExternalPeerResponse_Segment:
				p.segs <- x.Segment
			case *pb.AttachExternalPeerResponse_Sent:
				p.sents <- x.Sent
			}
		}
	}()
	return p, first.GetAttached(), nil
}

// send sends a segment from the peer and waits for its answer.
func (p *extPeer) send(seg *pb.Segment) *pb.ExternalPeerSent {
	p.t.Helper()
	p.nextID++
	if err := p.stream.Send(&pb.AttachExternalPeerRequest{Message: &pb.AttachExternalPeerRequest_Send{Send: &pb.ExternalPeerSend{Id: p.nextID, Segment: seg}}}); err != nil {
		p.t.Fatal(err)
	}
	select {
	case s := <-p.sents:
		if s.Id != p.nextID {
			p.t.Fatalf("sent answers id %d, want %d", s.Id, p.nextID)
		}
		return s
	case err := <-p.done:
		p.t.Fatalf("stream ended: %v", err)
	case <-time.After(10 * time.Second):
		p.t.Fatal("no answer to send")
	}
	return nil
}

// receive waits for the next segment handed to the peer.
func (p *extPeer) receive() *pb.ExternalSegment {
	p.t.Helper()
	select {
	case s := <-p.segs:
		return s
	case err := <-p.done:
		p.t.Fatalf("stream ended: %v", err)
	case <-time.After(10 * time.Second):
		p.t.Fatal("no segment for the peer")
	}
	return nil
}

func (p *extPeer) quiet() {
	p.t.Helper()
	select {
	case s := <-p.segs:
		p.t.Fatalf("unexpected segment %v", s)
	case <-time.After(50 * time.Millisecond):
	}
}

// step runs the clock long enough for an answer (and a delayed ACK) to go
// out, and less than the 1 s RTO, so nothing is retransmitted.
func step(t *testing.T, c pb.EmulatorServiceClient, ctx context.Context, session string) {
	t.Helper()
	advanceBy(t, c, ctx, session, 500*time.Millisecond)
}

func seg(seq, ack uint32, f *pb.Flags, payload string) *pb.Segment {
	return &pb.Segment{Header: &pb.SegmentHeader{
		Src: addr("192.0.2.7", 5000), Dst: addr("10.0.0.2", 80), Seq: seq, Ack: ack, Flags: f, Window: 65535,
	}, Payload: []byte(payload)}
}

// An outside TCP, played by this test through AttachExternalPeer, opens a
// connection to an emulated listener (RFC 9293 §3.5's three-way
// handshake), exchanges data both ways and closes first (§3.6: the
// emulated side passes CLOSE-WAIT and LAST-ACK to CLOSED).
func TestExternalPeerHandshakeDataAndClose(t *testing.T) {
	t.Parallel()
	d := startEmud(t, "tcp")
	c, _ := d.client(t)
	ctx := testContext(t)
	const sess = "sessions/ext"
	isn := uint32(5000)
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "ext", Session: &pb.Session{Seed: 1, FixedIsn: &isn}}))
	must[*pb.CreateEndpointResponse](t)(c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: sess, EndpointId: "server", Endpoint: &pb.Endpoint{Local: addr("10.0.0.2", 80)}}))
	must[*pb.ListenResponse](t)(c.Listen(ctx, &pb.ListenRequest{Name: sess + "/endpoints/server"}))

	p, attached, err := attachPeer(t, ctx, c, &pb.ExternalPeerAttach{Session: sess, Hosts: []string{"192.0.2.7"}})
	if err != nil {
		t.Fatal(err)
	}
	if attached.GetLastEventSeq() == 0 {
		t.Fatalf("attached %v", attached)
	}
	// The host is taken while the peer is attached; an internal host never can be.
	for _, hosts := range [][]string{{"192.0.2.7"}, {"10.0.0.2"}} {
		other, _, err := attachPeer(t, ctx, c, &pb.ExternalPeerAttach{Session: sess, Hosts: hosts})
		if err == nil {
			_, err = other.stream.Recv()
		}
		if code := status.Code(err); code != codes.AlreadyExists && code != codes.FailedPrecondition {
			t.Fatalf("second claim of %v: %v", hosts, err)
		}
	}

	// SYN →
	ack := &pb.Flags{Ack: true}
	syn := seg(100, 0, &pb.Flags{Syn: true}, "")
	mss := uint32(1000)
	syn.Header.Options = &pb.SegmentOptions{Mss: &mss}
	if s := p.send(syn); s.Error != nil || !reached(s.Events, "server-1", pb.State_STATE_SYN_RECEIVED) {
		t.Fatalf("SYN: %v", s)
	}
	// ← SYN,ACK, handed out when the clock moves.
	step(t, c, ctx, sess)
	sa := p.receive()
	h := sa.Segment.Header
	if !h.Flags.Syn || !h.Flags.Ack || h.Seq != 5000 || h.Ack != 101 || h.Dst.GetIp() != "192.0.2.7" || h.Options.GetMss() == 0 || sa.EventSeq == 0 {
		t.Fatalf("SYN,ACK %v", sa)
	}
	// ACK →, with data.
	if s := p.send(seg(101, 5001, ack, "")); s.Error != nil || !reached(s.Events, "server-1", pb.State_STATE_ESTABLISHED) {
		t.Fatalf("ACK: %v", s)
	}
	if s := p.send(seg(101, 5001, &pb.Flags{Ack: true, Psh: true}, "hello")); s.Error != nil {
		t.Fatalf("data: %v", s)
	}
	step(t, c, ctx, sess)
	if a := p.receive().Segment.Header; a.Ack != 106 || !a.Flags.Ack {
		t.Fatalf("ACK of the data %v", a)
	}
	if r := must[*pb.ReceiveResponse](t)(c.Receive(ctx, &pb.ReceiveRequest{Name: sess + "/endpoints/server-1"})); string(r.Data) != "hello" {
		t.Fatalf("server received %q", r.Data)
	}
	// ← data, payload included.
	must[*pb.SendResponse](t)(c.Send(ctx, &pb.SendRequest{Name: sess + "/endpoints/server-1", Data: []byte("world")}))
	step(t, c, ctx, sess)
	data := p.receive()
	if string(data.Segment.Payload) != "world" || data.Segment.Header.Seq != 5001 {
		t.Fatalf("data for the peer %v", data)
	}
	if s := p.send(seg(106, 5006, ack, "")); s.Error != nil {
		t.Fatalf("ACK of the data: %v", s)
	}
	// FIN → ; the server ACKs it and is in CLOSE-WAIT.
	if s := p.send(seg(106, 5006, &pb.Flags{Fin: true, Ack: true}, "")); s.Error != nil || !reached(s.Events, "server-1", pb.State_STATE_CLOSE_WAIT) {
		t.Fatalf("FIN: %v", s)
	}
	step(t, c, ctx, sess)
	if a := p.receive().Segment.Header; a.Ack != 107 || a.Flags.Fin {
		t.Fatalf("ACK of our FIN %v", a)
	}
	// ← FIN after the server's CLOSE; our ACK ends it: LAST-ACK → CLOSED.
	must[*pb.CloseResponse](t)(c.Close(ctx, &pb.CloseRequest{Name: sess + "/endpoints/server-1"}))
	step(t, c, ctx, sess)
	fin := p.receive().Segment.Header
	if !fin.Flags.Fin || fin.Seq != 5006 {
		t.Fatalf("server FIN %v", fin)
	}
	if s := p.send(seg(107, 5007, ack, "")); s.Error != nil || !reached(s.Events, "server-1", pb.State_STATE_CLOSED) {
		t.Fatalf("last ACK: %v", s)
	}
	p.quiet()

	// A send from a host the peer does not play is refused, and the stream goes on.
	bad := seg(1, 0, &pb.Flags{Syn: true}, "")
	bad.Header.Src = addr("192.0.2.8", 5000)
	if s := p.send(bad); s.Error == nil || codes.Code(s.Error.Code) != codes.InvalidArgument || len(s.Events) != 0 {
		t.Fatalf("send from an unclaimed host: %v", s)
	}
	if err := p.stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if err := <-p.done; !errors.Is(err, io.EOF) {
		t.Fatalf("stream end: %v", err)
	}

	// Reattaching with after_seq replays what was handed out since.
	again, _, err := attachPeer(t, ctx, c, &pb.ExternalPeerAttach{Session: sess, Hosts: []string{"192.0.2.7"}, AfterSeq: sa.EventSeq - 1})
	if err != nil {
		t.Fatal(err)
	}
	if r := again.receive(); r.EventSeq != sa.EventSeq || r.Segment.Header.Seq != 5000 {
		t.Fatalf("replayed %v, want the SYN,ACK again", r)
	}
}
