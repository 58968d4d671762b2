package server

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// harness is an in-process server on a bufconn listener and a client.
type harness struct {
	srv  *Server
	gs   *grpc.Server
	c    pb.EmulatorServiceClient
	conn *grpc.ClientConn
	ctx  context.Context
}

func newHarness(t *testing.T, lim Limits) *harness {
	t.Helper()
	h, cancel := serve(t, New(Options{Limits: lim, Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)}))
	t.Cleanup(func() {
		cancel()
		h.conn.Close()
		h.srv.Shutdown()
		h.gs.Stop()
	})
	return h
}

// serve serves srv on a bufconn listener and connects a client to it; the
// caller stops them (and cancels the harness's context) when done.
func serve(t *testing.T, srv *Server) (*harness, context.CancelFunc) {
	t.Helper()
	gs := NewGRPCServer(srv)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = gs.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	return &harness{srv: srv, gs: gs, c: pb.NewEmulatorServiceClient(conn), conn: conn, ctx: ctx}, cancel
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantCode(t *testing.T, err error, code codes.Code) *status.Status {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code {
		t.Fatalf("got %v (%q), want %v", st.Code(), st.Message(), code)
	}
	return st
}

func addr(ip string, port uint32) *pb.Address { return &pb.Address{Ip: ip, Port: port} }
