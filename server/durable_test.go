package server

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	bolt "go.etcd.io/bbolt"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
	"github.com/tcpemu/tcpemu/store"
)

// durable is an in-process server journaling to a real store in dir; a
// restart closes both and recovers a new server from the same directory.
type durable struct {
	*harness
	st  *store.Bolt
	dir string
	so  store.Options
	rep *RecoveryReport
}

func startDurable(t *testing.T, dir string, lim Limits) *durable {
	t.Helper()
	return startDurableWith(t, dir, lim, store.Options{})
}

// snapInputs is the tests' snapshot interval: small, so that restarts
// restore snapshots and replay the inputs after them.
const snapInputs = 5

func startDurableWith(t *testing.T, dir string, lim Limits, so store.Options) *durable {
	t.Helper()
	so.Format = StoreFormat
	st, _, err := store.Open(dir, so)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Options{Limits: lim, Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), Store: st, SnapshotInputs: snapInputs})
	rep, err := srv.Recover()
	if err != nil {
		t.Fatal(err)
	}
	h, cancel := serve(t, srv)
	d := &durable{harness: h, st: st, dir: dir, so: so, rep: rep}
	t.Cleanup(func() {
		cancel()
		d.stop()
	})
	return d
}

func (d *durable) stop() {
	d.conn.Close()
	d.srv.Shutdown()
	d.gs.Stop()
	_ = d.st.Close()
}

// stopCleanly stops as emud does on SIGTERM: a snapshot of every changed
// session before the store closes.
func (d *durable) stopCleanly(t *testing.T) {
	t.Helper()
	d.conn.Close()
	d.srv.Shutdown()
	d.gs.Stop()
	if _, err := d.srv.SnapshotAll(); err != nil {
		t.Fatal(err)
	}
	_ = d.st.Close()
}

// restart stops d and recovers a new server from its directory.
func (d *durable) restart(t *testing.T, lim Limits) *durable {
	t.Helper()
	d.stop()
	return startDurableWith(t, d.dir, lim, d.so)
}

// allEvents lists a session's whole log with explanations in Korean.
func allEvents(t *testing.T, h *harness, session string) []*pb.Event {
	t.Helper()
	var out []*pb.Event
	tok := ""
	for {
		resp := must[*pb.ListEventsResponse](t)(h.c.ListEvents(h.ctx, &pb.ListEventsRequest{Parent: session, PageToken: tok, PageSize: 7, Language: "ko"}))
		out = append(out, resp.Events...)
		if tok = resp.NextPageToken; tok == "" {
			return out
		}
	}
}

// story drives a session through a handshake, data, a fault rule, a path
// with loss and delay, a partition, a Batch and a close, leaving timers
// pending (TIME-WAIT, a retransmission).
func story(t *testing.T, h *harness, id string) {
	t.Helper()
	c, ctx := h.c, h.ctx
	ep := func(n string) string { return "sessions/" + id + "/endpoints/" + n }
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: id, Session: &pb.Session{Seed: 42, Profile: "linux"}}))
	must[*pb.CreateEndpointResponse](t)(c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/" + id, EndpointId: "server", Endpoint: &pb.Endpoint{Local: addr("10.0.0.2", 80)}}))
	must[*pb.CreateEndpointResponse](t)(c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/" + id, EndpointId: "client", Endpoint: &pb.Endpoint{Local: addr("10.0.0.1", 40000)}}))
	must[*pb.ListenResponse](t)(c.Listen(ctx, &pb.ListenRequest{Name: ep("server")}))
	must[*pb.SetPathResponse](t)(c.SetPath(ctx, &pb.SetPathRequest{Session: "sessions/" + id, Path: &pb.Path{
		Src: addr("10.0.0.1", 0), Dst: addr("10.0.0.2", 0), Delay: durationpb.New(5 * time.Millisecond), Jitter: durationpb.New(2 * time.Millisecond), Loss: 0.2}}))
	must[*pb.ConnectResponse](t)(c.Connect(ctx, &pb.ConnectRequest{Name: ep("client"), Remote: addr("10.0.0.2", 80), Data: []byte("hello")}))
	must[*pb.AdvanceResponse](t)(c.Advance(ctx, &pb.AdvanceRequest{Session: "sessions/" + id, Target: &pb.AdvanceRequest_By{By: durationpb.New(30 * time.Second)}}))
	// A failed call is journaled too: its code is checked on replay.
	_, err := c.Send(ctx, &pb.SendRequest{Name: ep("nosuch"), Data: []byte("x")})
	wantCode(t, err, codes.NotFound)
	must[*pb.BatchResponse](t)(c.Batch(ctx, &pb.BatchRequest{Session: "sessions/" + id, Operations: []*pb.BatchOperation{
		{Operation: &pb.BatchOperation_Send{Send: &pb.SendRequest{Name: ep("server-1"), Data: []byte("world")}}},
		{Operation: &pb.BatchOperation_Close{Close: &pb.CloseRequest{Name: ep("client")}}},
		{Operation: &pb.BatchOperation_Advance{Advance: &pb.AdvanceRequest{Target: &pb.AdvanceRequest_By{By: durationpb.New(2 * time.Second)}}}},
	}}))
	must[*pb.ReceiveResponse](t)(c.Receive(ctx, &pb.ReceiveRequest{Name: ep("client"), MaxLength: 100}))
	must[*pb.CutResponse](t)(c.Cut(ctx, &pb.CutRequest{Session: "sessions/" + id, Partition: &pb.Partition{A: addr("10.0.0.1", 0), B: addr("10.0.0.2", 0)}}))
	must[*pb.CloseResponse](t)(c.Close(ctx, &pb.CloseRequest{Name: ep("server-1")}))
	must[*pb.AdvanceResponse](t)(c.Advance(ctx, &pb.AdvanceRequest{Session: "sessions/" + id, Target: &pb.AdvanceRequest_By{By: durationpb.New(1500 * time.Millisecond)}}))
}

func TestRestartRestoresSessionsExactly(t *testing.T) {
	d := startDurable(t, t.TempDir(), Limits{})
	story(t, d.harness, "a")
	story(t, d.harness, "b")
	before := map[string][]*pb.Event{"a": allEvents(t, d.harness, "sessions/a"), "b": allEvents(t, d.harness, "sessions/b")}
	getBefore := must[*pb.Session](t)(d.c.GetSession(d.ctx, &pb.GetSessionRequest{Name: "sessions/a"}))

	d = d.restart(t, Limits{})
	if d.rep.Sessions != 2 || d.rep.Exact != 2 {
		t.Fatalf("recovery %+v, want 2 sessions restored exactly", d.rep)
	}
	for id, want := range before {
		got := allEvents(t, d.harness, "sessions/"+id)
		if len(got) != len(want) {
			t.Fatalf("%s: %d events after restart, %d before", id, len(got), len(want))
		}
		for i := range want {
			if !proto.Equal(got[i], want[i]) {
				t.Fatalf("%s: event %d after restart\n%v\nbefore\n%v", id, i, got[i], want[i])
			}
		}
	}
	getAfter := must[*pb.Session](t)(d.c.GetSession(d.ctx, &pb.GetSessionRequest{Name: "sessions/a"}))
	if r := getAfter.Recovery; r.GetState() != pb.RecoveryState_RECOVERY_STATE_EXACT || !strings.Contains(r.GetDetail(), "restored from the snapshot after input") || r.GetInputsReplayed() == 0 {
		t.Fatalf("recovery status %v, want a snapshot restored and inputs replayed after it", r)
	}
	// A clean stop snapshots: the next start replays nothing.
	d.stopCleanly(t)
	d = startDurable(t, d.dir, Limits{})
	for id, want := range before {
		if got := allEvents(t, d.harness, "sessions/"+id); len(got) != len(want) || !proto.Equal(got[len(got)-1], want[len(want)-1]) {
			t.Fatalf("%s after a clean restart: %d events", id, len(got))
		}
	}
	if r := must[*pb.Session](t)(d.c.GetSession(d.ctx, &pb.GetSessionRequest{Name: "sessions/a"})).Recovery; r.GetInputsReplayed() != 0 || r.GetState() != pb.RecoveryState_RECOVERY_STATE_EXACT {
		t.Fatalf("after a clean stop: %v, want the snapshot restored with nothing to replay", r)
	}
	getAfter.Recovery = nil
	if !proto.Equal(getAfter, getBefore) {
		t.Fatalf("session after restart\n%v\nbefore\n%v", getAfter, getBefore)
	}
	if getBefore.GetPending() == 0 {
		t.Fatal("the story left no timer pending: the test proves less than it says")
	}
}

// An external peer's claim decides later calls (CreateEndpoint on a host
// it plays fails), so claims, sends and releases are journaled: replay
// takes the same turns and reproduces the log.
func TestPeerClaimsSendsAndReleasesReplayExactly(t *testing.T) {
	d := startDurable(t, t.TempDir(), Limits{})
	c, ctx := d.c, d.ctx
	must[*pb.Session](t)(c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: "p", Session: &pb.Session{FixedIsn: proto.Uint32(100)}}))
	must[*pb.CreateEndpointResponse](t)(c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/p", EndpointId: "srv", Endpoint: &pb.Endpoint{Local: addr("10.0.0.1", 80)}}))
	must[*pb.ListenResponse](t)(c.Listen(ctx, &pb.ListenRequest{Name: "sessions/p/endpoints/srv"}))
	pctx, cancel := context.WithCancel(ctx)
	stream := must[pb.EmulatorService_AttachExternalPeerClient](t)(c.AttachExternalPeer(pctx))
	if err := stream.Send(&pb.AttachExternalPeerRequest{Message: &pb.AttachExternalPeerRequest_Attach{
		Attach: &pb.ExternalPeerAttach{Session: "sessions/p", Hosts: []string{"192.0.2.7"}}}}); err != nil {
		t.Fatal(err)
	}
	must[*pb.AttachExternalPeerResponse](t)(stream.Recv())
	_, err := c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/p", EndpointId: "x", Endpoint: &pb.Endpoint{Local: addr("192.0.2.7", 1)}})
	wantCode(t, err, codes.AlreadyExists)
	syn := &pb.Segment{Header: &pb.SegmentHeader{Src: addr("192.0.2.7", 5000), Dst: addr("10.0.0.1", 80), Seq: 7, Flags: &pb.Flags{Syn: true}, Window: 1000}}
	if err := stream.Send(&pb.AttachExternalPeerRequest{Message: &pb.AttachExternalPeerRequest_Send{Send: &pb.ExternalPeerSend{Id: 1, Segment: syn}}}); err != nil {
		t.Fatal(err)
	}
	for m := must[*pb.AttachExternalPeerResponse](t)(stream.Recv()); m.GetSent() == nil; m = must[*pb.AttachExternalPeerResponse](t)(stream.Recv()) {
	}
	cancel() // the peer goes: its claim is released
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		_, err = c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: "sessions/p", EndpointId: "x", Endpoint: &pb.Endpoint{Local: addr("192.0.2.7", 1)}})
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("CreateEndpoint after the peer left: %v", err)
	}
	before := allEvents(t, d.harness, "sessions/p")
	d = d.restart(t, Limits{})
	if d.rep.Exact != 1 {
		t.Fatalf("recovery %+v, want the session exact", d.rep)
	}
	after := allEvents(t, d.harness, "sessions/p")
	if len(after) != len(before) || len(before) < 5 {
		t.Fatalf("%d events after restart, %d before", len(after), len(before))
	}
	for i := range before {
		if !proto.Equal(before[i], after[i]) {
			t.Fatalf("event %d differs after restart", i)
		}
	}
}

// The store keeps at most a bound of events per session: older calls'
// events are deleted first (whole calls), GetSession says where the log now begins,
// and a reader asking for what was deleted gets OUT_OF_RANGE naming the
// range and where to resume — across a restart too.
func TestStoreBoundTrimsOldestEventsAndSaysWhat(t *testing.T) {
	lim := Limits{MaxLogEvents: 8, MaxEventsPerCall: 8} // memory keeps 16 to 32
	d := startDurableWith(t, t.TempDir(), lim, store.Options{MaxEventsPerSession: 40})
	story(t, d.harness, "a")
	for restarted := range 2 {
		// Trimming happens as events reach the database (a read waits for
		// that): first the read, then where the log begins.
		stream := must[pb.EmulatorService_WatchClient](t)(d.c.Watch(d.ctx, &pb.WatchRequest{Session: "sessions/a"}))
		_, err := stream.Recv()
		st := wantCode(t, err, codes.OutOfRange)
		s := must[*pb.Session](t)(d.c.GetSession(d.ctx, &pb.GetSessionRequest{Name: "sessions/a"}))
		if s.FirstEventSeq <= 1 || s.LastEventSeq-s.FirstEventSeq+1 > 40 {
			t.Fatalf("first %d last %d: want the oldest trimmed, at most the newest 40 kept", s.FirstEventSeq, s.LastEventSeq)
		}
		want := fmt.Sprintf("trimmed by the store's bound on events per session (emud --max-stored-events); the oldest available is seq %d (resume with after_seq %d)", s.FirstEventSeq, s.FirstEventSeq-1)
		if !strings.Contains(st.Message(), want) {
			t.Fatalf("restarted %d: message %q lacks %q", restarted, st.Message(), want)
		}
		resp := must[*pb.ListEventsResponse](t)(d.c.ListEvents(d.ctx, &pb.ListEventsRequest{Parent: "sessions/a", AfterSeq: s.FirstEventSeq - 1, PageSize: 1000}))
		if len(resp.Events) != int(s.LastEventSeq-s.FirstEventSeq+1) || resp.Events[0].Seq != s.FirstEventSeq {
			t.Fatalf("restarted %d: listed %d events from seq %d, want %d..%d", restarted, len(resp.Events), resp.Events[0].GetSeq(), s.FirstEventSeq, s.LastEventSeq)
		}
		d = d.restart(t, lim)
	}
}

// A session with a ttl is deleted, with its stored journal, once no call
// has changed it for that long; reads do not keep it alive.
func TestTTLExpiresIdleSessionsAndTheirJournal(t *testing.T) {
	d := startDurable(t, t.TempDir(), Limits{})
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	d.srv.wallNow = func() time.Time { return now }
	must[*pb.Session](t)(d.c.CreateSession(d.ctx, &pb.CreateSessionRequest{SessionId: "short", Session: &pb.Session{Ttl: durationpb.New(time.Hour)}}))
	must[*pb.Session](t)(d.c.CreateSession(d.ctx, &pb.CreateSessionRequest{SessionId: "forever"}))
	now = now.Add(50 * time.Minute)
	must[*pb.CreateEndpointResponse](t)(d.c.CreateEndpoint(d.ctx, &pb.CreateEndpointRequest{Parent: "sessions/short", EndpointId: "e", Endpoint: &pb.Endpoint{Local: addr("10.0.0.1", 1)}}))
	s := must[*pb.Session](t)(d.c.GetSession(d.ctx, &pb.GetSessionRequest{Name: "sessions/short"}))
	if got, want := s.GetExpireTime().AsTime(), now.Add(time.Hour); !got.Equal(want) {
		t.Fatalf("expire_time %v, want %v (an hour after the last change)", got, want)
	}
	if gone := d.srv.ExpireSessions(now.Add(59 * time.Minute)); len(gone) != 0 {
		t.Fatalf("expired %v before its ttl", gone)
	}
	if gone := d.srv.ExpireSessions(now.Add(61 * time.Minute)); len(gone) != 1 || gone[0] != "short" {
		t.Fatalf("expired %v, want [short]", gone)
	}
	_, err := d.c.GetSession(d.ctx, &pb.GetSessionRequest{Name: "sessions/short"})
	wantCode(t, err, codes.NotFound)
	d = d.restart(t, Limits{})
	list := must[*pb.ListSessionsResponse](t)(d.c.ListSessions(d.ctx, &pb.ListSessionsRequest{}))
	if len(list.Sessions) != 1 || list.Sessions[0].Name != "sessions/forever" {
		t.Fatalf("after restart %v, want only sessions/forever", list.Sessions)
	}
}

// When replay does not reproduce the journal (here: a journaled event
// altered, checksum and all, as a bug in a new emud version would look),
// the session is not served as if nothing happened: its status says
// DIVERGED and where, calls that would change it fail, and its journaled
// history can still be read in full.
func TestDivergedReplayMakesSessionReadOnlyWithHistory(t *testing.T) {
	d := startDurable(t, t.TempDir(), Limits{})
	story(t, d.harness, "a")
	before := allEvents(t, d.harness, "sessions/a")
	d.stop()
	// The last event: its input is replayed after the last snapshot.
	alterStoredEvent(t, d.dir, "a", uint64(len(before)-1))
	d = startDurable(t, d.dir, Limits{})
	s := must[*pb.Session](t)(d.c.GetSession(d.ctx, &pb.GetSessionRequest{Name: "sessions/a"}))
	if r := s.Recovery; r.GetState() != pb.RecoveryState_RECOVERY_STATE_DIVERGED || !strings.Contains(r.GetDetail(), fmt.Sprintf("event seq %d differs", len(before))) {
		t.Fatalf("recovery %v, want DIVERGED at event seq %d", r, len(before))
	}
	_, err := d.c.Advance(d.ctx, &pb.AdvanceRequest{Session: "sessions/a", Target: &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{}}})
	if st := wantCode(t, err, codes.FailedPrecondition); !strings.Contains(st.Message(), "read-only") {
		t.Fatalf("message %q", st.Message())
	}
	after := allEvents(t, d.harness, "sessions/a")
	if len(after) != len(before) || s.LastEventSeq != uint64(len(before)) {
		t.Fatalf("history of %d events (last seq %d), want all %d journaled", len(after), s.LastEventSeq, len(before))
	}
}

// alterStoredEvent changes the Value of a session's event with core seq
// `seq` in the store's database and reseals its chunk, as a store that
// recorded something else would hold it. It knows the store's layout
// (sessions/{id}/e/{first seq}: CRC-32C, count, events as encodeEvents
// writes them; a value of 4096 octets or more is the value of key 0 in a
// bucket of that name instead).
func alterStoredEvent(t *testing.T, dir, session string, seq uint64) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, store.DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		eb := tx.Bucket([]byte("sessions")).Bucket([]byte(session)).Bucket([]byte("e"))
		c := eb.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			in, key := eb, append([]byte(nil), k...)
			if v == nil { // a large value
				in, key = eb.Bucket(k), []byte{0}
				v = in.Get(key)
			}
			first, count := binary.BigEndian.Uint64(k), uint64(binary.LittleEndian.Uint32(v[4:]))
			if seq < first || seq >= first+count {
				continue
			}
			evs, err := decodeEvents(v[8:], first, uint32(count), 0, int(count), nil)
			if err != nil {
				return err
			}
			evs[seq-first].Value ^= 1
			nv := encodeEvents(evs, append([]byte(nil), v[:8]...))
			binary.LittleEndian.PutUint32(nv, crc32.Checksum(nv[4:], crc32.MakeTable(crc32.Castagnoli)))
			return in.Put(key, nv)
		}
		return fmt.Errorf("no stored event seq %d", seq)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A session's records survive their snapshot: restored onto a fresh
// session they encode to the same octets and name, list and configure
// everything as before.
func TestServerRecordsRoundTrip(t *testing.T) {
	h := newHarness(t, Limits{})
	story(t, h, "a")
	must[*pb.CreateFaultRuleResponse](t)(h.c.CreateFaultRule(h.ctx, &pb.CreateFaultRuleRequest{Parent: "sessions/a", FaultRuleId: "drop-syn",
		FaultRule: &pb.FaultRule{Action: &pb.FaultRule_Drop{Drop: &pb.FaultDrop{}}, Match: &pb.FaultMatch{Flags: &pb.Flags{Syn: true}}}}))
	must[*pb.CreateEndpointResponse](t)(h.c.CreateEndpoint(h.ctx, &pb.CreateEndpointRequest{Parent: "sessions/a", EndpointId: "tuned",
		Endpoint: &pb.Endpoint{Local: addr("10.0.0.3", 7), ProfileOverrides: &pb.ProfileOverrides{Mss: proto.Uint32(536)}}}))
	sess, fresh := roundTripRecords(t, h, "a")
	if len(fresh.byCore) != len(sess.byCore) { // every emulator endpoint is a live record's here
		t.Fatalf("%d emulator endpoints named, want %d", len(fresh.byCore), len(sess.byCore))
	}
	if fresh.net.rules["drop-syn"] == nil || fresh.net.rules["drop-syn"].fault != sess.net.rules["drop-syn"].fault {
		t.Fatal("fault rule not restored")
	}
}

// roundTripRecords restores session id's records onto a fresh session and
// checks that they encode to the same octets and that every live endpoint
// has the same name, addresses, listener, profile and connection.
func roundTripRecords(t *testing.T, h *harness, id string) (sess, fresh *session) {
	t.Helper()
	sess = must[*session](t)(h.srv.reg.get(id))
	sess.mu.Lock()
	b, err := sess.snapshotRecords()
	sess.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	fresh = newSession(id, sess.spec, sess.em, sess.lang, sess.createTime)
	if _, err := fresh.restoreRecords(b, h.srv.parser()); err != nil {
		t.Fatal(err)
	}
	again, err := fresh.snapshotRecords()
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(b) {
		t.Fatalf("records re-encode differently:\n%s\n%s", again, b)
	}
	if len(fresh.eps) != len(sess.eps) || len(fresh.bound) != len(sess.bound) {
		t.Fatalf("endpoints %d/%d, want %d/%d", len(fresh.eps), len(fresh.bound), len(sess.eps), len(sess.bound))
	}
	for id, rec := range sess.eps {
		got := fresh.eps[id]
		if got == nil || !sameProfile(fresh, got, sess, rec) || got.local() != rec.local() || got.remote() != rec.remote() || got.parentID() != rec.parentID() || got.core != rec.core {
			t.Fatalf("endpoint %s restored as %+v, want %+v", id, got, rec)
		}
		if rec.core != 0 && fresh.byCore[rec.core] != got {
			t.Fatalf("endpoint %s: its emulator endpoint %d names %+v", id, rec.core, fresh.byCore[rec.core])
		}
	}
	return sess, fresh
}

// sameProfile says whether a and b's endpoints have the same profile, and
// show it the same.
func sameProfile(sa *session, a *endpointRec, sb *session, b *endpointRec) bool {
	ca, va := sa.profile(a)
	cb, vb := sb.profile(b)
	return *ca == *cb && proto.Equal(va, vb)
}

// A child outlives its deleted listener, whose ID a new endpoint then
// takes: restored, the child still names the listener it was forked by
// and keeps that listener's address.
func TestServerRecordsRoundTripDeletedListener(t *testing.T) {
	h := newHarness(t, Limits{})
	story(t, h, "a")
	must[*pb.DeleteEndpointResponse](t)(h.c.DeleteEndpoint(h.ctx, &pb.DeleteEndpointRequest{Name: "sessions/a/endpoints/server"}))
	must[*pb.CreateEndpointResponse](t)(h.c.CreateEndpoint(h.ctx, &pb.CreateEndpointRequest{Parent: "sessions/a", EndpointId: "server",
		Endpoint: &pb.Endpoint{Local: addr("10.0.0.2", 81)}}))
	_, fresh := roundTripRecords(t, h, "a")
	child := fresh.eps["server-1"]
	if child == nil || child.parentID() != "server" || child.local() != netip.MustParseAddrPort("10.0.0.2:80") ||
		child.remote() != netip.MustParseAddrPort("10.0.0.1:40000") {
		t.Fatalf("server-1 restored as %+v", child)
	}
	if fresh.eps["server"].local() != netip.MustParseAddrPort("10.0.0.2:81") {
		t.Fatalf("the new server restored at %v", fresh.eps["server"].local())
	}
	view := fresh.endpointView(child)
	if view.GetParent() != "sessions/a/endpoints/server" || view.GetLocal().GetPort() != 80 {
		t.Fatalf("server-1 shows parent %q, local %v", view.GetParent(), view.GetLocal())
	}
}

// A Batch whose events far outnumber the session's in-memory log is held
// in the log until it is journaled: every event reaches the store, the
// Batch's answer carries them all, and after a restart the whole history
// reads back the same.
// Its input and its events are each more than 4096 octets: values the
// store keeps in buckets of their own.
func TestBatchLargerThanTheLogIsJournaledWhole(t *testing.T) {
	const window = 32
	d := startDurable(t, t.TempDir(), Limits{MaxLogEvents: window})
	sn := "sessions/big"
	must[*pb.Session](t)(d.c.CreateSession(d.ctx, &pb.CreateSessionRequest{SessionId: "big"}))
	ops := []*pb.BatchOperation{
		{Operation: &pb.BatchOperation_CreateEndpoint{CreateEndpoint: &pb.CreateEndpointRequest{EndpointId: "server", Endpoint: &pb.Endpoint{Local: addr("10.0.0.2", 80)}}}},
		{Operation: &pb.BatchOperation_Listen{Listen: &pb.ListenRequest{Name: sn + "/endpoints/server"}}},
	}
	for i := range 80 {
		id := fmt.Sprintf("c%d", i)
		ops = append(ops,
			&pb.BatchOperation{Operation: &pb.BatchOperation_CreateEndpoint{CreateEndpoint: &pb.CreateEndpointRequest{EndpointId: id, Endpoint: &pb.Endpoint{Local: addr("10.0.0.1", uint32(1000+i))}}}},
			&pb.BatchOperation{Operation: &pb.BatchOperation_Connect{Connect: &pb.ConnectRequest{Name: sn + "/endpoints/" + id, Remote: addr("10.0.0.2", 80)}}})
	}
	ops = append(ops, &pb.BatchOperation{Operation: &pb.BatchOperation_Advance{Advance: &pb.AdvanceRequest{Target: &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{}}}}})
	resp := must[*pb.BatchResponse](t)(d.c.Batch(d.ctx, &pb.BatchRequest{Session: sn, Operations: ops}))
	if resp.FailedOperation != nil || len(resp.Events) < 10*window {
		t.Fatalf("batch: failed %v, %d events; want success and many more than the log's %d", resp.FailedOperation, len(resp.Events), window)
	}
	s := must[*pb.Session](t)(d.c.GetSession(d.ctx, &pb.GetSessionRequest{Name: sn}))
	if s.Recovery.GetState() == pb.RecoveryState_RECOVERY_STATE_DIVERGED || s.LastEventSeq != uint64(len(resp.Events)) {
		t.Fatalf("session after the batch: last seq %d (want %d), recovery %v", s.LastEventSeq, len(resp.Events), s.Recovery)
	}
	before := allEvents(t, d.harness, sn)
	if len(before) != len(resp.Events) {
		t.Fatalf("history holds %d events, the batch caused %d", len(before), len(resp.Events))
	}
	d = d.restart(t, Limits{MaxLogEvents: window})
	after := allEvents(t, d.harness, sn)
	if len(after) != len(before) {
		t.Fatalf("after a restart the history holds %d events, before %d", len(after), len(before))
	}
	for i := range after {
		if !proto.Equal(after[i], before[i]) {
			t.Fatalf("event %d differs after the restart:\n%v\n%v", i, after[i], before[i])
		}
	}
}
