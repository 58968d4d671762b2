package e2e

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Many sessions at once, each running whole lifecycles in batches: every
// one completes, and (under -race, with a race-built emud) without a race.
func TestManyConcurrentSessions(t *testing.T) {
	d := startEmud(t, "tcp")
	c, _ := d.client(t)
	ctx := testContext(t)
	const sessions, lifecycles = 24, 5
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for i := range sessions {
		wg.Go(func() {
			id := fmt.Sprintf("c%d", i)
			session := "sessions/" + id
			if _, err := c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: id, Session: &pb.Session{Seed: uint64(i)}}); err != nil {
				errs <- err
				return
			}
			ops := serverOps(session)
			for k := 1; k <= lifecycles; k++ {
				ops = append(ops, lifecycleOps(session, k)...)
			}
			r, err := c.Batch(ctx, &pb.BatchRequest{Session: session, Operations: ops, Kinds: []pb.EventKind{pb.EventKind_EVENT_KIND_STATE_CHANGE}, OmitExplanations: true})
			switch {
			case err != nil:
				errs <- err
			case r.FailedOperation != nil:
				errs <- fmt.Errorf("%s: operation %d: %v", id, *r.FailedOperation, r.Results[*r.FailedOperation].Error)
			case len(r.Results) != len(ops):
				errs <- fmt.Errorf("%s: %d results for %d operations", id, len(r.Results), len(ops))
			default:
				last := r.Results[len(r.Results)-1].GetGetEndpoint()
				if last.GetState() != pb.State_STATE_CLOSED {
					errs <- fmt.Errorf("%s: last client in %v", id, last.GetState())
				}
				for _, ev := range r.Events {
					if ev.Kind != pb.EventKind_EVENT_KIND_STATE_CHANGE || ev.GetStateChange().Explanation != "" {
						errs <- fmt.Errorf("%s: kinds or omit_explanations ignored: %v", id, ev)
						return
					}
				}
				if got, want := len(r.Events), lifecycles*(6+5)+1; got != want {
					errs <- fmt.Errorf("%s: %d state changes, want %d", id, got, want)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	list := must[*pb.ListSessionsResponse](t)(c.ListSessions(ctx, &pb.ListSessionsRequest{PageSize: 10}))
	seen := len(list.Sessions)
	for list.NextPageToken != "" {
		list = must[*pb.ListSessionsResponse](t)(c.ListSessions(ctx, &pb.ListSessionsRequest{PageSize: 10, PageToken: list.NextPageToken}))
		seen += len(list.Sessions)
	}
	if seen != sessions {
		t.Fatalf("listed %d sessions over pages, want %d", seen, sessions)
	}
}

// A batch stops at the first failing operation, reports it with the code
// and the RFC's words, and keeps what came before.
func TestBatchStopsAtFirstFailure(t *testing.T) {
	d := startEmud(t, "unix")
	c, _ := d.client(t)
	ctx := testContext(t)
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "b"}))
	ops := append(serverOps("sessions/b"),
		&pb.BatchOperation{Operation: &pb.BatchOperation_Send{Send: &pb.SendRequest{Name: "sessions/b/endpoints/server", Data: []byte("x")}}},
		untilIdleOp())
	r := must[*pb.BatchResponse](t)(c.Batch(ctx, &pb.BatchRequest{Session: "sessions/b", Operations: ops}))
	if r.FailedOperation == nil || *r.FailedOperation != 2 || len(r.Results) != 3 {
		t.Fatalf("failed_operation %v, %d results", r.FailedOperation, len(r.Results))
	}
	if e := r.Results[2].Error; codes.Code(e.Code) != codes.FailedPrecondition || !strings.Contains(e.Message, "error: connection illegal") && !strings.Contains(e.Message, "error:") {
		t.Fatalf("error %v", e)
	}
	if r.Results[1].GetListen() == nil || r.Results[1].EventCount == 0 {
		t.Fatalf("listen result %v", r.Results[1])
	}
	// The failed SEND still recorded its call event.
	if n := r.Results[2].EventCount; n == 0 || r.Events[r.Results[2].FirstEvent].GetCall().GetError() == pb.TcpError_TCP_ERROR_UNSPECIFIED {
		t.Fatalf("failed send's events: %d", n)
	}

	// A malformed operation fails the whole batch before anything applies.
	_, err := c.Batch(ctx, &pb.BatchRequest{Session: "sessions/b", Operations: []*pb.BatchOperation{
		untilIdleOp(),
		{Operation: &pb.BatchOperation_Connect{Connect: &pb.ConnectRequest{Name: "sessions/b/endpoints/server", Remote: addr("10.0.0.9", 0)}}},
	}})
	if f := violationField(t, wantCode(t, err, codes.InvalidArgument).Details()); f != "operations[1].connect.remote.port" {
		t.Fatalf("field %q", f)
	}
}

func violationField(t *testing.T, details []any) string {
	t.Helper()
	for _, d := range details {
		if br, ok := d.(*errdetails.BadRequest); ok && len(br.FieldViolations) > 0 {
			return br.FieldViolations[0].Field
		}
	}
	t.Fatal("no google.rpc.BadRequest field violation")
	return ""
}

// Every status code the API promises, from the real daemon.
func TestEveryErrorCode(t *testing.T) {
	d := startEmud(t, "tcp", "--max-sessions", "2", "--max-advance-steps", "100", "--max-payload", "1000")
	c, _ := d.client(t)
	ctx := testContext(t)
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "e"}))
	must[*pb.CreateEndpointResponse](t)(c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/e", EndpointId: "a", Endpoint: &pb.Endpoint{Local: addr("10.0.0.1", 1000)}}))
	bigMSS := uint32(70000)
	for _, tc := range []struct {
		name  string
		call  func() error
		code  codes.Code
		msg   string
		field string
	}{
		{"bad session id", func() error {
			_, err := c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "Bad_ID"})
			return err
		}, codes.InvalidArgument, "session_id", "session_id"},
		{"unknown profile", func() error {
			_, err := c.CreateSession(ctx, &pb.CreateSessionRequest{Session: &pb.Session{Profile: "bsd"}})
			return err
		}, codes.InvalidArgument, "bsd", "session.profile"},
		{"bad override", func() error {
			_, err := c.CreateSession(ctx, &pb.CreateSessionRequest{Session: &pb.Session{ProfileOverrides: &pb.ProfileOverrides{RtoMin: durationpb.New(0)}}})
			return err
		}, codes.InvalidArgument, "rto_min", "session.profile_overrides.rto_min"},
		{"out-of-range override", func() error {
			_, err := c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/e", Endpoint: &pb.Endpoint{Local: addr("10.0.0.1", 2), ProfileOverrides: &pb.ProfileOverrides{Mss: &bigMSS}}})
			return err
		}, codes.InvalidArgument, "mss", "endpoint.profile_overrides.mss"},
		{"bad address", func() error {
			_, err := c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/e", Endpoint: &pb.Endpoint{Local: addr("10.0.0.256", 1)}})
			return err
		}, codes.InvalidArgument, "endpoint.local.ip", "endpoint.local.ip"},
		{"bad name", func() error {
			_, err := c.Send(ctx, &pb.SendRequest{Name: "endpoints/a"})
			return err
		}, codes.InvalidArgument, "name", "name"},
		{"bad language", func() error {
			_, err := c.Close(ctx, &pb.CloseRequest{Name: "sessions/e/endpoints/a", Language: "fr"})
			return err
		}, codes.InvalidArgument, "language", "language"},
		{"no advance target", func() error {
			_, err := c.Advance(ctx, &pb.AdvanceRequest{Session: "sessions/e"})
			return err
		}, codes.InvalidArgument, "target", "target"},
		{"unknown session", func() error {
			_, err := c.GetSession(ctx, &pb.GetSessionRequest{Name: "sessions/nope"})
			return err
		}, codes.NotFound, "sessions/nope", ""},
		{"unknown endpoint", func() error {
			_, err := c.GetEndpoint(ctx, &pb.GetEndpointRequest{Name: "sessions/e/endpoints/nope"})
			return err
		}, codes.NotFound, "sessions/e/endpoints/nope", ""},
		{"session id taken", func() error {
			_, err := c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "e"})
			return err
		}, codes.AlreadyExists, "sessions/e", ""},
		{"address in use", func() error {
			_, err := c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/e", Endpoint: &pb.Endpoint{Local: addr("10.0.0.1", 1000)}})
			return err
		}, codes.AlreadyExists, "address already in use", ""},
		{"connection does not exist", func() error {
			_, err := c.Send(ctx, &pb.SendRequest{Name: "sessions/e/endpoints/a", Data: []byte("x")})
			return err
		}, codes.FailedPrecondition, "error: connection does not exist", ""},
		{"time in the past", func() error {
			_, err := c.Advance(ctx, &pb.AdvanceRequest{Session: "sessions/e", Target: &pb.AdvanceRequest_To{To: durationpb.New(-1)}})
			return err
		}, codes.InvalidArgument, "to", "to"},
		{"too many steps", func() error {
			_, err := c.Advance(ctx, &pb.AdvanceRequest{Session: "sessions/e", Target: &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{MaxSteps: 101}}})
			return err
		}, codes.ResourceExhausted, "limit of 100", ""},
		{"payload too big", func() error {
			_, err := c.Send(ctx, &pb.SendRequest{Name: "sessions/e/endpoints/a", Data: make([]byte, 1001)})
			return err
		}, codes.InvalidArgument, "limit of 1000", "data"},
		{"too many sessions", func() error {
			if _, err := c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "f"}); err != nil {
				return err
			}
			_, err := c.CreateSession(ctx, &pb.CreateSessionRequest{})
			return err
		}, codes.ResourceExhausted, "at most 2 sessions", ""},
		{"urgent data", func() error {
			_, err := c.Send(ctx, &pb.SendRequest{Name: "sessions/e/endpoints/a", Data: []byte("x"), Urgent: true})
			return err
		}, codes.Unimplemented, "urgent", ""},
		{"path on a port", func() error {
			_, err := c.SetPath(ctx, &pb.SetPathRequest{Session: "sessions/e", Path: &pb.Path{
				Src: &pb.Address{Ip: "10.0.0.1", Port: 80}, Dst: &pb.Address{Ip: "10.0.0.2"}}})
			return err
		}, codes.InvalidArgument, "whole hosts", "path.src.port"},
		{"unknown fault rule", func() error {
			_, err := c.GetFaultRule(ctx, &pb.GetFaultRuleRequest{Name: "sessions/e/faultRules/nope"})
			return err
		}, codes.NotFound, "sessions/e/faultRules/nope", ""},
		{"bad page token", func() error {
			_, err := c.ListSessions(ctx, &pb.ListSessionsRequest{PageToken: "garbage"})
			return err
		}, codes.InvalidArgument, "page_token", "page_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := wantCode(t, tc.call(), tc.code)
			if !strings.Contains(st.Message(), tc.msg) {
				t.Errorf("message %q lacks %q", st.Message(), tc.msg)
			}
			if tc.field != "" {
				if f := violationField(t, st.Details()); f != tc.field {
					t.Errorf("field %q, want %q", f, tc.field)
				}
			}
		})
	}
	// OUT_OF_RANGE and UNAVAILABLE are in watch_test.go (trimmed log,
	// shutdown); UNAUTHENTICATED and PERMISSION_DENIED wait for auth.
}

// Reflection lists the service and the health service says SERVING.
func TestReflectionAndHealth(t *testing.T) {
	d := startEmud(t, "unix")
	_, conn := d.client(t)
	ctx := testContext(t)
	rc := must[reflectionpb.ServerReflection_ServerReflectionInfoClient](t)(reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx))
	if err := rc.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp := must[*reflectionpb.ServerReflectionResponse](t)(rc.Recv())
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.Name)
	}
	for _, want := range []string{"tcpemu.v1.EmulatorService", "grpc.health.v1.Health"} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %v, missing %s", names, want)
		}
	}
	for _, svc := range []string{"", "tcpemu.v1.EmulatorService"} {
		h := must[*healthpb.HealthCheckResponse](t)(healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: svc}))
		if h.Status != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %q: %v", svc, h.Status)
		}
	}
}

// Flags have EMUD_* equivalents, the command line wins, and --version
// prints a version.
func TestFlagsEnvironmentAndVersion(t *testing.T) {
	out, err := exec.Command(emudBin, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "emud ") {
		t.Fatalf("--version: %q %v", out, err)
	}
	t.Setenv("EMUD_LISTEN", "127.0.0.1:0")
	t.Setenv("EMUD_LOG_LEVEL", "warn")
	d := startEmud(t, "") // no --listen: EMUD_LISTEN applies
	if !strings.HasPrefix(d.addr, "127.0.0.1:") {
		t.Fatalf("listening on %q", d.addr)
	}
	c, _ := d.client(t)
	must[*pb.ListSessionsResponse](t)(c.ListSessions(testContext(t), &pb.ListSessionsRequest{}))
	for _, l := range d.logLines() {
		if strings.Contains(l, `"message":"rpc"`) {
			t.Fatalf("an info line at EMUD_LOG_LEVEL=warn: %s", l)
		}
	}
	t.Setenv("EMUD_LOG_LEVEL", "loud")
	if err := exec.Command(emudBin).Run(); err == nil {
		t.Fatal("a bad EMUD_LOG_LEVEL was accepted")
	}
}
