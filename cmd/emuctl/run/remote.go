package run

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/ladder"
	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
	"github.com/tcpemu/tcpemu/scenario"
)

// remote is a scenario.Driver over emud's API: one session per script,
// left on the daemon afterwards for inspection (emuctl events, export).
type remote struct {
	ctx      context.Context
	c        pb.EmulatorServiceClient
	session  string
	conv     *ladder.Converter
	now      time.Duration
	names    map[emulator.EndpointID]string // handle → resource name
	accepted map[string]bool
	ports    uint16 // next ephemeral port to try
}

// remoteOpener opens remote drivers on c; label tags each session with the
// script's name.
func remoteOpener(ctx context.Context, c pb.EmulatorServiceClient, label func() string) scenario.Opener {
	return func(cfg scenario.SessionConfig) (scenario.Driver, error) {
		po, err := cmdutil.ParseOverrides(cfg.Knobs)
		if err != nil {
			return nil, err
		}
		r := &remote{ctx: ctx, c: c, conv: ladder.NewConverter(explain.English),
			names: map[emulator.EndpointID]string{}, accepted: map[string]bool{}, ports: 49152}
		s, err := call(r, func(ctx context.Context) (*pb.Session, error) {
			return c.CreateSession(ctx, &pb.CreateSessionRequest{Session: &pb.Session{
				Seed: cfg.Seed, Profile: cfg.Profile, ProfileOverrides: po,
				Labels: map[string]string{"emuctl-run": labelValue(label())},
			}})
		})
		if err != nil {
			return nil, fmt.Errorf("create a session: %w", err)
		}
		r.session = s.GetName()
		// A zero delay by default: the script's segments arrive the moment
		// they are sent, as on packetdrill's tun device.
		if _, err := call(r, func(ctx context.Context) (*pb.SetPathResponse, error) {
			return c.SetPath(ctx, &pb.SetPathRequest{Session: r.session, Path: &pb.Path{}})
		}); err != nil {
			return nil, fmt.Errorf("set the session's default path: %w", err)
		}
		return r, nil
	}
}

// labelValue makes a script's name a valid label value.
func labelValue(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	if b.Len() > 63 {
		return b.String()[:63]
	}
	return b.String()
}

// call makes one unary call bounded by cmdutil.CallTimeout.
func call[R any](r *remote, f func(context.Context) (R, error)) (R, error) {
	ctx, cancel := cmdutil.CallContext(r.ctx)
	defer cancel()
	return f(ctx)
}

// tcpErr turns the API's errors back into the emulator's: the RFC's words
// in a FAILED_PRECONDITION name the tcp.Error, ALREADY_EXISTS is an
// address in use.
func tcpErr(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.FailedPrecondition:
		for e := tcp.Error(1); int(e) < tcp.NumErrors; e++ {
			if strings.Contains(st.Message(), e.Text()) {
				return fmt.Errorf("%s: %w", st.Message(), e)
			}
		}
	case codes.AlreadyExists:
		return fmt.Errorf("%s: %w", st.Message(), emulator.ErrAddressInUse)
	}
	return err
}

func pbAddr(ap netip.AddrPort) *pb.Address {
	return &pb.Address{Ip: ap.Addr().String(), Port: uint32(ap.Port())}
}

func (r *remote) events(in []*pb.Event) []emulator.Event { return r.conv.Events(in) }

// create binds an endpoint (CreateEndpoint) and returns its name and handle.
func (r *remote) create(local netip.AddrPort, knobs []string) (string, emulator.EndpointID, error) {
	po, err := cmdutil.ParseOverrides(knobs)
	if err != nil {
		return "", 0, err
	}
	resp, err := call(r, func(ctx context.Context) (*pb.CreateEndpointResponse, error) {
		return r.c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: r.session,
			Endpoint: &pb.Endpoint{Local: pbAddr(local), ProfileOverrides: po}})
	})
	if err != nil {
		return "", 0, tcpErr(err)
	}
	name := resp.GetEndpoint().GetName()
	id := r.conv.Endpoint(cmdutil.LastSegment(name))
	r.names[id] = name
	return name, id, nil
}

func (r *remote) Listen(local netip.AddrPort, knobs []string, backlog int) (emulator.EndpointID, []emulator.Event, error) {
	name, id, err := r.create(local, knobs)
	if err != nil {
		return 0, nil, err
	}
	b := uint32(backlog)
	resp, err := call(r, func(ctx context.Context) (*pb.ListenResponse, error) {
		return r.c.Listen(ctx, &pb.ListenRequest{Name: name, Backlog: &b})
	})
	if err != nil {
		return 0, nil, tcpErr(err)
	}
	return id, r.events(resp.GetEvents()), nil
}

func (r *remote) Connect(local, remote netip.AddrPort, knobs []string) (emulator.EndpointID, []emulator.Event, error) {
	if local.Port() == 0 {
		// The emulator's own choice: the first free port from 49152 up.
		local = netip.AddrPortFrom(local.Addr(), r.ports)
		r.ports++
	}
	name, id, err := r.create(local, knobs)
	if err != nil {
		return 0, nil, err
	}
	resp, err := call(r, func(ctx context.Context) (*pb.ConnectResponse, error) {
		return r.c.Connect(ctx, &pb.ConnectRequest{Name: name, Remote: pbAddr(remote)})
	})
	if err != nil {
		return 0, nil, tcpErr(err)
	}
	return id, r.events(resp.GetEvents()), nil
}

// Accept hands over the listener's oldest child that is past SYN-RECEIVED
// and not handed over before (the API has no accept: children are
// ordinary endpoints).
func (r *remote) Accept(listener emulator.EndpointID) (emulator.EndpointID, bool, error) {
	lname := r.names[listener]
	for token := ""; ; {
		resp, err := call(r, func(ctx context.Context) (*pb.ListEndpointsResponse, error) {
			return r.c.ListEndpoints(ctx, &pb.ListEndpointsRequest{Parent: r.session, Listener: lname, PageToken: token})
		})
		if err != nil {
			return 0, false, tcpErr(err)
		}
		for _, ep := range resp.GetEndpoints() {
			st := ep.GetState()
			if r.accepted[ep.GetName()] || st == pb.State_STATE_SYN_RECEIVED || st == pb.State_STATE_CLOSED {
				continue
			}
			r.accepted[ep.GetName()] = true
			id := r.conv.Endpoint(cmdutil.LastSegment(ep.GetName()))
			r.names[id] = ep.GetName()
			return id, true, nil
		}
		if token = resp.GetNextPageToken(); token == "" {
			return 0, false, nil
		}
	}
}

// name finds an endpoint's resource name, for children met only in events.
func (r *remote) name(id emulator.EndpointID) string {
	if n, ok := r.names[id]; ok {
		return n
	}
	return r.session + "/endpoints/" + r.conv.Names()[id]
}

func (r *remote) Send(id emulator.EndpointID, data []byte) ([]emulator.Event, error) {
	resp, err := call(r, func(ctx context.Context) (*pb.SendResponse, error) {
		return r.c.Send(ctx, &pb.SendRequest{Name: r.name(id), Data: data})
	})
	if err != nil {
		return nil, tcpErr(err)
	}
	return r.events(resp.GetEvents()), nil
}

func (r *remote) Receive(id emulator.EndpointID, max int) (int, bool, []emulator.Event, error) {
	resp, err := call(r, func(ctx context.Context) (*pb.ReceiveResponse, error) {
		return r.c.Receive(ctx, &pb.ReceiveRequest{Name: r.name(id), MaxLength: uint32(max)})
	})
	if err != nil {
		return 0, false, nil, tcpErr(err)
	}
	return len(resp.GetData()), resp.GetEndOfStream(), r.events(resp.GetEvents()), nil
}

func (r *remote) Close(id emulator.EndpointID) ([]emulator.Event, error) {
	resp, err := call(r, func(ctx context.Context) (*pb.CloseResponse, error) {
		return r.c.Close(ctx, &pb.CloseRequest{Name: r.name(id)})
	})
	if err != nil {
		return nil, tcpErr(err)
	}
	return r.events(resp.GetEvents()), nil
}

func (r *remote) Abort(id emulator.EndpointID) ([]emulator.Event, error) {
	resp, err := call(r, func(ctx context.Context) (*pb.AbortResponse, error) {
		return r.c.Abort(ctx, &pb.AbortRequest{Name: r.name(id)})
	})
	if err != nil {
		return nil, tcpErr(err)
	}
	return r.events(resp.GetEvents()), nil
}

func (r *remote) Inject(src, dst netip.AddrPort, seg tcp.Segment) ([]emulator.Event, error) {
	o := &pb.SegmentOptions{SackPermitted: seg.Options.SACKPermitted}
	if seg.Options.MSS != 0 {
		m := uint32(seg.Options.MSS)
		o.Mss = &m
	}
	if seg.Options.HasWScale {
		ws := uint32(seg.Options.WScale)
		o.WindowScale = &ws
	}
	if seg.Options.HasTimestamps {
		o.Timestamps = &pb.Timestamps{Tsval: seg.Options.TSVal, Tsecr: seg.Options.TSEcr}
	}
	f := seg.Flags
	h := &pb.SegmentHeader{
		Src: pbAddr(src), Dst: pbAddr(dst), Seq: uint32(seg.Seq), Ack: uint32(seg.Ack), Window: uint32(seg.Window),
		Flags: &pb.Flags{Fin: f&tcp.FIN != 0, Syn: f&tcp.SYN != 0, Rst: f&tcp.RST != 0, Psh: f&tcp.PSH != 0,
			Ack: f&tcp.ACK != 0, Urg: f&tcp.URG != 0, Ece: f&tcp.ECE != 0, Cwr: f&tcp.CWR != 0},
		Options: o,
	}
	resp, err := call(r, func(ctx context.Context) (*pb.InjectResponse, error) {
		return r.c.Inject(ctx, &pb.InjectRequest{Session: r.session, Segment: &pb.Segment{Header: h, Payload: seg.Payload}})
	})
	if err != nil {
		return nil, fmt.Errorf("inject: %w", err)
	}
	return r.events(resp.GetEvents()), nil
}

func (r *remote) Advance(t time.Duration, next bool) ([]emulator.Event, error) {
	if next {
		s, err := call(r, func(ctx context.Context) (*pb.Session, error) {
			return r.c.GetSession(ctx, &pb.GetSessionRequest{Name: r.session})
		})
		if err != nil {
			return nil, err
		}
		if nd := s.GetNextDeadline(); nd != nil && nd.AsDuration() < t {
			t = nd.AsDuration()
		}
	}
	if t < r.now {
		t = r.now
	}
	var out []emulator.Event
	for {
		resp, err := call(r, func(ctx context.Context) (*pb.AdvanceResponse, error) {
			return r.c.Advance(ctx, &pb.AdvanceRequest{Session: r.session, Target: &pb.AdvanceRequest_To{To: durationpb.New(t)}})
		})
		if err != nil {
			return out, err
		}
		out = append(out, r.events(resp.GetEvents())...)
		r.now = resp.GetNow().AsDuration()
		if resp.GetComplete() {
			return out, nil
		}
	}
}

func (r *remote) Now() time.Duration { return r.now }

func (r *remote) Status(id emulator.EndpointID) (scenario.EndpointStatus, error) {
	ep, err := call(r, func(ctx context.Context) (*pb.Endpoint, error) {
		return r.c.GetEndpoint(ctx, &pb.GetEndpointRequest{Name: r.name(id)})
	})
	if err != nil {
		return scenario.EndpointStatus{}, tcpErr(err)
	}
	local, err := netip.ParseAddr(ep.GetLocal().GetIp())
	if err != nil {
		return scenario.EndpointStatus{}, fmt.Errorf("endpoint %s: local address %q: %w", ep.GetName(), ep.GetLocal().GetIp(), err)
	}
	return scenario.EndpointStatus{
		State:     stateOf(ep.GetState()),
		Local:     netip.AddrPortFrom(local, uint16(ep.GetLocal().GetPort())),
		RcvQueued: int(ep.GetReceiveBuffer().GetReadable()),
		SndMSS:    int(ep.GetTcb().GetSndMss()),
	}, nil
}

// stateOf maps the API's state onto the emulator's by name
// (STATE_SYN_RECEIVED → SYN-RECEIVED).
func stateOf(s pb.State) tcp.State {
	st, ok := tcp.ParseState(strings.TrimPrefix(s.String(), "STATE_"))
	if !ok {
		return tcp.Closed
	}
	return st
}

func (r *remote) Addr(id tcp.AddrID) netip.AddrPort { return r.conv.Addr(id) }

func (r *remote) Names() map[emulator.EndpointID]string { return r.conv.Names() }

func (r *remote) Where() string { return "emud " + r.session }
