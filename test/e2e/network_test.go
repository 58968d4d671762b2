package e2e

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// netSession makes a session with a listener on 10.0.0.2:80 ("server") and
// a client endpoint on 10.0.0.1:40000 ("client").
func netSession(t *testing.T, c pb.EmulatorServiceClient, ctx context.Context, id string) {
	t.Helper()
	isn := uint32(1000)
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: id, Session: &pb.Session{Seed: 3, FixedIsn: &isn}}))
	for ep, a := range map[string]*pb.Address{"server": addr("10.0.0.2", 80), "client": addr("10.0.0.1", 40000)} {
		must[*pb.CreateEndpointResponse](t)(c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/" + id, EndpointId: ep, Endpoint: &pb.Endpoint{Local: a}}))
	}
	must[*pb.ListenResponse](t)(c.Listen(ctx, &pb.ListenRequest{Name: "sessions/" + id + "/endpoints/server"}))
}

func advanceBy(t *testing.T, c pb.EmulatorServiceClient, ctx context.Context, session string, d time.Duration) []*pb.Event {
	t.Helper()
	return must[*pb.AdvanceResponse](t)(c.Advance(ctx, &pb.AdvanceRequest{Session: session, Target: &pb.AdvanceRequest_By{By: durationpb.New(d)}})).Events
}

func untilIdle(t *testing.T, c pb.EmulatorServiceClient, ctx context.Context, session string) []*pb.Event {
	t.Helper()
	r := must[*pb.AdvanceResponse](t)(c.Advance(ctx, &pb.AdvanceRequest{Session: session, Target: &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{}}}))
	if !r.Idle {
		t.Fatalf("not idle after advance: %v", r)
	}
	return r.Events
}

// sentSegments are the headers of the segments endpoint sent.
func sentSegments(evs []*pb.Event, endpoint string) []*pb.SegmentHeader {
	var out []*pb.SegmentHeader
	for _, ev := range evs {
		if s := ev.GetSegmentSent(); s != nil && ev.Endpoint == endpoint {
			out = append(out, s.Header)
		}
	}
	return out
}

func drops(evs []*pb.Event, reason pb.DropReason) []*pb.SegmentEvent {
	var out []*pb.SegmentEvent
	for _, ev := range evs {
		if d := ev.GetSegmentDropped(); d != nil && d.Reason == reason {
			out = append(out, d)
		}
	}
	return out
}

func reached(evs []*pb.Event, endpoint string, st pb.State) bool {
	for _, ev := range evs {
		if sc := ev.GetStateChange(); sc != nil && ev.Endpoint == endpoint && sc.ToState == st {
			return true
		}
	}
	return false
}

// RFC 9293 §3.8.1: a SYN lost on a path with loss 1 is retransmitted when
// the RTO (1 s, RFC 6298) fires; once the path is removed the handshake
// completes.
func TestLossyPathMakesTheHandshakeRetransmit(t *testing.T) {
	t.Parallel()
	d := startEmud(t, "tcp")
	c, _ := d.client(t)
	ctx := testContext(t)
	netSession(t, c, ctx, "lossy")

	set := must[*pb.SetPathResponse](t)(c.SetPath(ctx, &pb.SetPathRequest{Session: "sessions/lossy", Path: &pb.Path{
		Src: &pb.Address{Ip: "10.0.0.1"}, Dst: &pb.Address{Ip: "10.0.0.2"}, Delay: durationpb.New(5 * time.Millisecond), Loss: 1,
	}}))
	if set.Path.Loss != 1 || set.Path.Src.GetIp() != "10.0.0.1" || set.Path.Delay.AsDuration() != 5*time.Millisecond {
		t.Fatalf("stored path %v", set.Path)
	}
	got := must[*pb.Path](t)(c.GetPath(ctx, &pb.GetPathRequest{Session: "sessions/lossy", Src: &pb.Address{Ip: "10.0.0.1"}, Dst: &pb.Address{Ip: "10.0.0.2"}}))
	if got.Loss != 1 {
		t.Fatalf("GetPath %v", got)
	}
	back := must[*pb.Path](t)(c.GetPath(ctx, &pb.GetPathRequest{Session: "sessions/lossy", Src: &pb.Address{Ip: "10.0.0.2"}, Dst: &pb.Address{Ip: "10.0.0.1"}}))
	if back.Src != nil || back.Loss != 0 {
		t.Fatalf("the other direction should use the default: %v", back)
	}
	list := must[*pb.ListPathsResponse](t)(c.ListPaths(ctx, &pb.ListPathsRequest{Session: "sessions/lossy", PageSize: 1}))
	if len(list.Paths) != 1 || list.Paths[0].Src != nil || list.NextPageToken == "" {
		t.Fatalf("first page %v", list)
	}
	list = must[*pb.ListPathsResponse](t)(c.ListPaths(ctx, &pb.ListPathsRequest{Session: "sessions/lossy", PageSize: 1, PageToken: list.NextPageToken}))
	if len(list.Paths) != 1 || list.Paths[0].Loss != 1 || list.NextPageToken != "" {
		t.Fatalf("second page %v", list)
	}

	evs := must[*pb.ConnectResponse](t)(c.Connect(ctx, &pb.ConnectRequest{Name: "sessions/lossy/endpoints/client", Remote: addr("10.0.0.2", 80)})).Events
	evs = append(evs, advanceBy(t, c, ctx, "sessions/lossy", 1500*time.Millisecond)...)
	syns := sentSegments(evs, "client")
	if len(syns) != 2 || !syns[0].Flags.Syn || !syns[1].Flags.Syn || syns[0].Seq != syns[1].Seq {
		t.Fatalf("client sent %v, want a SYN and its retransmission", syns)
	}
	if lost := drops(evs, pb.DropReason_DROP_REASON_LOSS); len(lost) != 2 {
		t.Fatalf("%d segments lost, want both SYNs", len(lost))
	}
	fired := false
	for _, ev := range evs {
		if tf := ev.GetTimerFired(); tf != nil && tf.Timer == pb.Timer_TIMER_RETRANSMISSION && ev.Endpoint == "client" {
			fired = ev.Time.AsDuration() == time.Second
		}
	}
	if !fired {
		t.Fatal("no retransmission timer fired at 1s")
	}

	must[*pb.DeletePathResponse](t)(c.DeletePath(ctx, &pb.DeletePathRequest{Session: "sessions/lossy", Src: &pb.Address{Ip: "10.0.0.1"}, Dst: &pb.Address{Ip: "10.0.0.2"}}))
	_, err := c.DeletePath(ctx, &pb.DeletePathRequest{Session: "sessions/lossy", Src: &pb.Address{Ip: "10.0.0.1"}, Dst: &pb.Address{Ip: "10.0.0.2"}})
	wantCode(t, err, codes.NotFound)
	if evs := untilIdle(t, c, ctx, "sessions/lossy"); !reached(evs, "client", pb.State_STATE_ESTABLISHED) {
		t.Fatal("the handshake did not complete once the path was removed")
	}
	// The client's counters tell the same story: three SYNs (two lost, two
	// of them retransmissions), the third-segment ACK, one SYN,ACK back.
	ep := must[*pb.Endpoint](t)(c.GetEndpoint(ctx, &pb.GetEndpointRequest{Name: "sessions/lossy/endpoints/client"}))
	if k := ep.Counters; k.SegmentsSent != 4 || k.Retransmissions != 2 || k.SegmentsReceived != 1 {
		t.Fatalf("client counters %v: want 4 sent, 2 retransmissions, 1 received", k)
	}
}

// A one-shot rule, created in a Batch, drops the server's SYN,ACK and
// nothing else; the handshake then completes by retransmission, and the
// rule stays listed as retired until deleted.
func TestOneShotFaultRuleDropsExactlyTheNamedSegment(t *testing.T) {
	t.Parallel()
	d := startEmud(t, "tcp")
	c, _ := d.client(t)
	ctx := testContext(t)
	netSession(t, c, ctx, "fault")

	rule := &pb.FaultRule{
		Match:  &pb.FaultMatch{Src: addr("10.0.0.2", 80), Flags: &pb.Flags{Syn: true, Ack: true}},
		Action: &pb.FaultRule_Drop{Drop: &pb.FaultDrop{}},
	}
	resp := runBatch(t, ctx, c, "sessions/fault", []*pb.BatchOperation{
		{Operation: &pb.BatchOperation_CreateFaultRule{CreateFaultRule: &pb.CreateFaultRuleRequest{FaultRule: rule, FaultRuleId: "drop-synack"}}},
		{Operation: &pb.BatchOperation_Connect{Connect: &pb.ConnectRequest{Name: "sessions/fault/endpoints/client", Remote: addr("10.0.0.2", 80)}}},
		untilIdleOp(),
	})
	if resp.FailedOperation != nil {
		t.Fatalf("batch failed: %v", resp.Results[*resp.FailedOperation].Error)
	}
	if n := resp.Results[0].GetCreateFaultRule().GetFaultRule().GetName(); n != "sessions/fault/faultRules/drop-synack" {
		t.Fatalf("rule name %q", n)
	}
	dropped := drops(resp.Events, pb.DropReason_DROP_REASON_FAULT_RULE)
	if len(dropped) != 1 {
		t.Fatalf("%d segments dropped by rules, want exactly 1", len(dropped))
	}
	if h := dropped[0].Header; !h.Flags.Syn || !h.Flags.Ack || h.Src.GetPort() != 80 || dropped[0].FaultRule != "sessions/fault/faultRules/drop-synack" {
		t.Fatalf("dropped %v", dropped[0])
	}
	if len(drops(resp.Events, pb.DropReason_DROP_REASON_LOSS)) != 0 || !reached(resp.Events, "client", pb.State_STATE_ESTABLISHED) {
		t.Fatal("the handshake did not complete after the one drop")
	}

	got := must[*pb.FaultRule](t)(c.GetFaultRule(ctx, &pb.GetFaultRuleRequest{Name: "sessions/fault/faultRules/drop-synack"}))
	if !got.Retired || got.Hits != 1 || got.GetDrop() == nil {
		t.Fatalf("after firing: %v", got)
	}
	standing := must[*pb.CreateFaultRuleResponse](t)(c.CreateFaultRule(ctx, &pb.CreateFaultRuleRequest{Parent: "sessions/fault", FaultRule: &pb.FaultRule{
		Standing: true, Action: &pb.FaultRule_Delay{Delay: &pb.FaultDelay{Delay: durationpb.New(time.Second)}},
	}}))
	list := must[*pb.ListFaultRulesResponse](t)(c.ListFaultRules(ctx, &pb.ListFaultRulesRequest{Parent: "sessions/fault", PageSize: 1}))
	if len(list.FaultRules) != 1 || list.FaultRules[0].Name != got.Name || list.NextPageToken == "" {
		t.Fatalf("first page %v", list)
	}
	list = must[*pb.ListFaultRulesResponse](t)(c.ListFaultRules(ctx, &pb.ListFaultRulesRequest{Parent: "sessions/fault", PageSize: 1, PageToken: list.NextPageToken}))
	if len(list.FaultRules) != 1 || list.FaultRules[0].Name != standing.FaultRule.Name || list.FaultRules[0].Retired || list.NextPageToken != "" {
		t.Fatalf("second page %v", list)
	}

	_, err := c.CreateFaultRule(ctx, &pb.CreateFaultRuleRequest{Parent: "sessions/fault", FaultRuleId: "drop-synack", FaultRule: rule})
	wantCode(t, err, codes.AlreadyExists)
	_, err = c.CreateFaultRule(ctx, &pb.CreateFaultRuleRequest{Parent: "sessions/fault", FaultRule: &pb.FaultRule{}})
	if st := wantCode(t, err, codes.InvalidArgument); violationField(t, st.Details()) != "fault_rule.action" {
		t.Fatalf("no action: %v", st.Message())
	}
	must[*pb.DeleteFaultRuleResponse](t)(c.DeleteFaultRule(ctx, &pb.DeleteFaultRuleRequest{Name: "sessions/fault/faultRules/drop-synack"}))
	_, err = c.DeleteFaultRule(ctx, &pb.DeleteFaultRuleRequest{Name: "sessions/fault/faultRules/drop-synack"})
	wantCode(t, err, codes.NotFound)
}

// A cut during ESTABLISHED drops the data (DROP_REASON_PARTITION); after
// the heal, the next retransmission gets it through.
func TestPartitionThenHeal(t *testing.T) {
	t.Parallel()
	d := startEmud(t, "tcp")
	c, _ := d.client(t)
	ctx := testContext(t)
	netSession(t, c, ctx, "cut")
	must[*pb.ConnectResponse](t)(c.Connect(ctx, &pb.ConnectRequest{Name: "sessions/cut/endpoints/client", Remote: addr("10.0.0.2", 80)}))
	if evs := untilIdle(t, c, ctx, "sessions/cut"); !reached(evs, "server-1", pb.State_STATE_ESTABLISHED) {
		t.Fatal("no connection")
	}

	hosts := &pb.Partition{A: &pb.Address{Ip: "10.0.0.1"}, B: &pb.Address{Ip: "10.0.0.2"}}
	must[*pb.CutResponse](t)(c.Cut(ctx, &pb.CutRequest{Session: "sessions/cut", Partition: hosts}))
	if ps := must[*pb.Session](t)(c.GetSession(ctx, &pb.GetSessionRequest{Name: "sessions/cut"})).Partitions; len(ps) != 1 || ps[0].OneWay {
		t.Fatalf("session partitions %v, want one two-way cut", ps)
	}
	evs := must[*pb.SendResponse](t)(c.Send(ctx, &pb.SendRequest{Name: "sessions/cut/endpoints/client", Data: []byte("across")})).Events
	evs = append(evs, advanceBy(t, c, ctx, "sessions/cut", 1500*time.Millisecond)...)
	if cut := drops(evs, pb.DropReason_DROP_REASON_PARTITION); len(cut) != 2 || cut[0].PayloadLength != 6 {
		t.Fatalf("dropped by the partition: %v, want the data and its first retransmission", cut)
	}

	must[*pb.HealResponse](t)(c.Heal(ctx, &pb.HealRequest{Session: "sessions/cut", All: true}))
	if ps := must[*pb.Session](t)(c.GetSession(ctx, &pb.GetSessionRequest{Name: "sessions/cut"})).Partitions; len(ps) != 0 {
		t.Fatalf("partitions after heal: %v", ps)
	}
	untilIdle(t, c, ctx, "sessions/cut")
	r := must[*pb.ReceiveResponse](t)(c.Receive(ctx, &pb.ReceiveRequest{Name: "sessions/cut/endpoints/server-1"}))
	if string(r.Data) != "across" {
		t.Fatalf("received %q after the heal", r.Data)
	}
}

// Inject with via_network sends an outside host's segment into the network:
// the path from that host applies (here 40 ms of delay), and a cut link
// drops it with DROP_REASON_PARTITION and a link event says so.
func TestInjectViaNetworkMeetsPathAndPartition(t *testing.T) {
	t.Parallel()
	d := startEmud(t, "tcp")
	c, _ := d.client(t)
	ctx := testContext(t)
	netSession(t, c, ctx, "via")
	must[*pb.SetPathResponse](t)(c.SetPath(ctx, &pb.SetPathRequest{Session: "sessions/via", Path: &pb.Path{
		Src: &pb.Address{Ip: "192.0.2.9"}, Dst: &pb.Address{Ip: "10.0.0.2"}, Delay: durationpb.New(40 * time.Millisecond),
	}}))
	syn := &pb.Segment{Header: &pb.SegmentHeader{Src: addr("192.0.2.9", 4000), Dst: addr("10.0.0.2", 80), Seq: 7, Flags: &pb.Flags{Syn: true}, Window: 1000}}
	inj := must[*pb.InjectResponse](t)(c.Inject(ctx, &pb.InjectRequest{Session: "sessions/via", ViaNetwork: true, Segment: syn}))
	for _, ev := range inj.Events {
		if ev.GetSegmentDelivered() != nil {
			t.Fatalf("a via_network segment was delivered at once: %v", ev)
		}
	}
	arrived := time.Duration(-1)
	for _, ev := range advanceBy(t, c, ctx, "sessions/via", 100*time.Millisecond) {
		if ev.GetSegmentDelivered() != nil && ev.Endpoint == "server" {
			arrived = ev.Time.AsDuration()
		}
	}
	if arrived != 40*time.Millisecond {
		t.Fatalf("the SYN arrived at %v, want after the path's 40ms", arrived)
	}

	cut := must[*pb.CutResponse](t)(c.Cut(ctx, &pb.CutRequest{Session: "sessions/via", Partition: &pb.Partition{A: &pb.Address{Ip: "192.0.2.9"}, B: &pb.Address{Ip: "10.0.0.2"}}}))
	links := 0
	for _, ev := range cut.Events {
		if l := ev.GetLink(); l != nil && l.Cut {
			links++
		}
	}
	if links != 2 {
		t.Fatalf("cut both ways logged %d link events, want 2: %v", links, cut.Events)
	}
	inj = must[*pb.InjectResponse](t)(c.Inject(ctx, &pb.InjectRequest{Session: "sessions/via", ViaNetwork: true, Segment: syn}))
	if len(drops(inj.Events, pb.DropReason_DROP_REASON_PARTITION)) != 1 {
		t.Fatalf("a segment sent over a cut link was not dropped for the partition: %v", inj.Events)
	}
}
