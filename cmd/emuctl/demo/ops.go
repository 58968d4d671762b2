package demo

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// op is one API call of a step; it returns the events the call caused.
type op func(r *demoRun) ([]*pb.Event, error)

// call makes one unary call bounded by the CLI's call timeout, naming what
// it was doing when it fails.
func call[R any](r *demoRun, what string, f func(context.Context) (R, error)) (R, error) {
	ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
	defer cancel()
	out, err := f(ctx)
	if err != nil {
		var zero R
		return zero, fmt.Errorf("demo %s, %s: %w", r.t.name, what, err)
	}
	return out, nil
}

func (r *demoRun) endpoint(id string) string { return r.session + "/endpoints/" + id }

func (r *demoRun) lang() string { return [...]string{"en", "ko"}[r.l] }

func address(s string) *pb.Address {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		panic("demo: bad address " + s) // the topics' own literals
	}
	p, _ := strconv.Atoi(port)
	return &pb.Address{Ip: host, Port: uint32(p)}
}

// create binds endpoint id to local (ip:port).
func create(id, local string) op {
	return func(r *demoRun) ([]*pb.Event, error) {
		out, err := call(r, "create "+id, func(ctx context.Context) (*pb.CreateEndpointResponse, error) {
			return r.c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: r.session, EndpointId: id,
				Endpoint: &pb.Endpoint{Local: address(local)}, Language: r.lang()})
		})
		// The endpoint's events may come only with its first call: tell
		// the ladder where it lives now, so segments to it point at it.
		r.live.Converter().Home(id, address(local))
		return out.GetEvents(), err
	}
}

func listen(id string) op {
	return func(r *demoRun) ([]*pb.Event, error) {
		out, err := call(r, "listen on "+id, func(ctx context.Context) (*pb.ListenResponse, error) {
			return r.c.Listen(ctx, &pb.ListenRequest{Name: r.endpoint(id), Language: r.lang()})
		})
		return out.GetEvents(), err
	}
}

func connect(id, remote string) op {
	return func(r *demoRun) ([]*pb.Event, error) {
		out, err := call(r, "connect "+id, func(ctx context.Context) (*pb.ConnectResponse, error) {
			return r.c.Connect(ctx, &pb.ConnectRequest{Name: r.endpoint(id), Remote: address(remote), Language: r.lang()})
		})
		return out.GetEvents(), err
	}
}

func send(id, data string) op {
	return func(r *demoRun) ([]*pb.Event, error) {
		out, err := call(r, "send on "+id, func(ctx context.Context) (*pb.SendResponse, error) {
			return r.c.Send(ctx, &pb.SendRequest{Name: r.endpoint(id), Data: []byte(data), Language: r.lang()})
		})
		return out.GetEvents(), err
	}
}

func receive(id string) op {
	return func(r *demoRun) ([]*pb.Event, error) {
		out, err := call(r, "receive on "+id, func(ctx context.Context) (*pb.ReceiveResponse, error) {
			return r.c.Receive(ctx, &pb.ReceiveRequest{Name: r.endpoint(id), MaxLength: 1 << 16, Language: r.lang()})
		})
		return out.GetEvents(), err
	}
}

func closeEndpoint(id string) op {
	return func(r *demoRun) ([]*pb.Event, error) {
		out, err := call(r, "close "+id, func(ctx context.Context) (*pb.CloseResponse, error) {
			return r.c.Close(ctx, &pb.CloseRequest{Name: r.endpoint(id), Language: r.lang()})
		})
		return out.GetEvents(), err
	}
}

// advance moves the session's clock by d.
func advance(d time.Duration) op {
	return func(r *demoRun) ([]*pb.Event, error) {
		out, err := call(r, "advance the clock", func(ctx context.Context) (*pb.AdvanceResponse, error) {
			return r.c.Advance(ctx, &pb.AdvanceRequest{Session: r.session, Target: &pb.AdvanceRequest_By{By: durationpb.New(d)}, Language: r.lang()})
		})
		return out.GetEvents(), err
	}
}

// fault adds a fault rule named id.
func fault(id string, fr *pb.FaultRule) op {
	return func(r *demoRun) ([]*pb.Event, error) {
		out, err := call(r, "create fault rule "+id, func(ctx context.Context) (*pb.CreateFaultRuleResponse, error) {
			return r.c.CreateFaultRule(ctx, &pb.CreateFaultRuleRequest{Parent: r.session, FaultRuleId: id, FaultRule: fr, Language: r.lang()})
		})
		return out.GetEvents(), err
	}
}
