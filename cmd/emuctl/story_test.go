package main_test

import (
	"encoding/json"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// decode reads emuctl's -o json output into m.
func decode(t *testing.T, out string, m proto.Message) {
	t.Helper()
	if err := protojson.Unmarshal([]byte(out), m); err != nil {
		t.Fatalf("%v in\n%s", err, out)
	}
}

// decodeYAML reads -o yaml output into m, through JSON.
func decodeYAML(t *testing.T, out string, m proto.Message) {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v in\n%s", err, out)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	decode(t, string(j), m)
}

// The seed's story, told with emuctl commands only: the three-way
// handshake (the listener forks a child: LISTEN → SYN-RECEIVED →
// ESTABLISHED), data acknowledged with SEQ + LEN, the four-way close, and
// TIME-WAIT ending 2×MSL = 240 s after it began (RFC 9293 profile).
func TestSeedStoryThroughCommands(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	if out := ok(t, a, "session", "create", "seed", "--seed", "7", "--fixed-isn", "1000"); !strings.Contains(out, "created sessions/seed") {
		t.Fatalf("session create: %s", out)
	}
	ok(t, a, "endpoint", "create", "seed/server", "--local", "10.0.0.2:80")
	ok(t, a, "endpoint", "create", "seed/client", "--local", "10.0.0.1:40000")
	if out := ok(t, a, "endpoint", "listen", "seed/server"); len(lines(out, "server", "state-change", "CLOSED → LISTEN", "RFC 9293 §3.10.1")) != 1 {
		t.Fatalf("listen printed no CLOSED → LISTEN event:\n%s", out)
	}
	out := ok(t, a, "endpoint", "connect", "seed/client", "--remote", "10.0.0.2:80")
	if len(lines(out, "client", "segment-sent", "<SEQ=1000><CTL=SYN>")) != 1 || len(lines(out, "CLOSED → SYN-SENT")) != 1 {
		t.Fatalf("connect did not print the SYN and SYN-SENT:\n%s", out)
	}
	out = ok(t, a, "clock", "advance", "seed", "--until-idle")
	for _, want := range [][]string{
		{"server-1", "state-change", "LISTEN → SYN-RECEIVED"},
		{"server-1", "segment-sent", "<SEQ=1000><ACK=1001><CTL=SYN,ACK>"},
		{"client", "state-change", "SYN-SENT → ESTABLISHED"},
		{"client", "segment-sent", "<SEQ=1001><ACK=1001><CTL=ACK>"},
		{"server-1", "state-change", "SYN-RECEIVED → ESTABLISHED"},
		{"now 0s", "idle"},
	} {
		if len(lines(out, want...)) != 1 {
			t.Errorf("clock advance --until-idle: no line with %q in\n%s", want, out)
		}
	}

	// accept: the listener's established child.
	var kids pb.ListEndpointsResponse
	decode(t, ok(t, a, "endpoint", "list", "seed", "--listener", "server", "--state", "ESTABLISHED", "-o", "json"), &kids)
	if len(kids.Endpoints) != 1 || kids.Endpoints[0].Parent != "sessions/seed/endpoints/server" || kids.Endpoints[0].Remote.GetPort() != 40000 {
		t.Fatalf("listener's established children: %v", kids.Endpoints)
	}
	child := "seed/" + kids.Endpoints[0].Name[strings.LastIndex(kids.Endpoints[0].Name, "/")+1:]
	if table := ok(t, a, "endpoint", "list", "seed"); len(lines(table, "server-1", "10.0.0.1:40000", "ESTABLISHED", "server")) != 1 {
		t.Errorf("endpoint list does not show the child:\n%s", table)
	}

	ok(t, a, "endpoint", "send", "seed/client", "--data", "hello")
	out = ok(t, a, "clock", "advance", "seed", "--by", "0s")
	if len(lines(out, "server-1", "segment-sent", "<ACK=1006>")) != 1 {
		t.Errorf("the child did not acknowledge SEQ + LEN = 1001 + 5:\n%s", out)
	}
	var rr pb.ReceiveResponse
	decode(t, ok(t, a, "endpoint", "receive", child, "-o", "json"), &rr)
	if string(rr.Data) != "hello" {
		t.Errorf("received %q, want hello", rr.Data)
	}

	// The four-way close: the client closes first and ends in TIME-WAIT.
	if out := ok(t, a, "endpoint", "close", "seed/client"); len(lines(out, "ESTABLISHED → FIN-WAIT-1")) != 1 {
		t.Errorf("close:\n%s", out)
	}
	if out := ok(t, a, "clock", "advance", "seed", "--by", "0s"); len(lines(out, "server-1", "ESTABLISHED → CLOSE-WAIT")) != 1 {
		t.Errorf("the child did not enter CLOSE-WAIT:\n%s", out)
	}
	ok(t, a, "endpoint", "close", child)
	out = ok(t, a, "clock", "advance", "seed", "--by", "1s")
	if len(lines(out, "client", "FIN-WAIT-2 → TIME-WAIT")) != 1 || len(lines(out, "server-1", "LAST-ACK → CLOSED")) != 1 {
		t.Errorf("the close did not reach TIME-WAIT and CLOSED:\n%s", out)
	}
	var ep pb.Endpoint
	decode(t, ok(t, a, "endpoint", "get", "seed/client", "-o", "json"), &ep)
	if ep.State != pb.State_STATE_TIME_WAIT {
		t.Fatalf("client is %v, want TIME-WAIT", ep.State)
	}
	out = ok(t, a, "clock", "advance", "seed", "--to", "241s")
	if l := lines(out, "client", "TIME-WAIT → CLOSED"); len(l) != 1 || !strings.Contains(l[0], " 240s ") {
		t.Errorf("TIME-WAIT did not end at 240s (2×MSL):\n%s", out)
	}
	// After TIME-WAIT the server either keeps the endpoint, CLOSED, or has
	// removed it.
	r := emuctl(t, a, "endpoint", "get", "seed/client", "-o", "json")
	switch {
	case r.code == 0:
		decode(t, r.stdout, &ep)
		if ep.State != pb.State_STATE_CLOSED {
			t.Errorf("after TIME-WAIT the client is %v", ep.State)
		}
	case r.code == 1 && strings.Contains(r.stderr, "NOT_FOUND"):
	default:
		t.Errorf("%s", r)
	}

	// The whole story is in the log, in order, for the client.
	var evs pb.ListEventsResponse
	decode(t, ok(t, a, "events", "seed", "--kind", "state-change", "--endpoint", "client", "-o", "json"), &evs)
	var states []string
	for _, ev := range evs.Events {
		states = append(states, ev.GetStateChange().ToState.String())
	}
	want := "STATE_SYN_SENT STATE_ESTABLISHED STATE_FIN_WAIT_1 STATE_FIN_WAIT_2 STATE_TIME_WAIT STATE_CLOSED"
	if got := strings.Join(states, " "); got != want {
		t.Errorf("client's states:\n got %s\nwant %s", got, want)
	}
}

// table, json and yaml say the same thing; json and yaml parse back into
// the API's messages and equal each other.
func TestOutputFormatsParseBack(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	ok(t, a, "session", "create", "fmt", "--seed", "3", "--profile", "linux", "--set", "msl=30s", "--set", "syn-retries=2", "--label", "run=42")
	ok(t, a, "endpoint", "create", "fmt/a", "--local", "10.0.0.1:1000")

	var js, ys pb.Session
	decode(t, ok(t, a, "session", "get", "fmt", "-o", "json"), &js)
	decodeYAML(t, ok(t, a, "session", "get", "fmt", "-o", "yaml"), &ys)
	if !proto.Equal(&js, &ys) {
		t.Errorf("json and yaml differ:\n%v\n%v", &js, &ys)
	}
	if js.Seed != 3 || js.Profile != "linux" || js.ProfileOverrides.GetMsl().AsDuration().String() != "30s" ||
		js.ProfileOverrides.GetSynRetries() != 2 || js.Labels["run"] != "42" || js.EndpointCount != 1 {
		t.Errorf("session as created: %v", &js)
	}
	table := ok(t, a, "session", "get", "fmt")
	for _, want := range []string{"profile:", "linux", "seed:", "3", "run=42", "syn_retries=2", "msl=30s"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	// json is stable: the same bytes twice, proto field names, no unset
	// fields.
	j1, j2 := ok(t, a, "endpoint", "list", "fmt", "-o", "json"), ok(t, a, "endpoint", "list", "fmt", "-o", "json")
	if j1 != j2 || !strings.Contains(j1, `"receive_buffer"`) || strings.Contains(j1, `"remote"`) {
		t.Errorf("endpoint list -o json is not stable or not in proto names:\n%s\n%s", j1, j2)
	}
	var je, ye pb.ListEndpointsResponse
	decode(t, j1, &je)
	decodeYAML(t, ok(t, a, "endpoint", "list", "fmt", "-o", "yaml"), &ye)
	if !proto.Equal(&je, &ye) || len(je.Endpoints) != 1 {
		t.Errorf("endpoint list json %v, yaml %v", &je, &ye)
	}
	// A mutating command prints its whole response in json, its events in
	// table mode.
	var lr pb.ListenResponse
	decode(t, ok(t, a, "endpoint", "listen", "fmt/a", "-o", "json"), &lr)
	if len(lr.Events) == 0 || lr.Events[len(lr.Events)-1].GetStateChange().GetToState() != pb.State_STATE_LISTEN {
		t.Errorf("listen -o json: %v", &lr)
	}
	var yl pb.ListEventsResponse
	decodeYAML(t, ok(t, a, "events", "fmt", "-o", "yaml"), &yl)
	if n := len(yl.Events); n < 2 || yl.Events[0].Kind != pb.EventKind_EVENT_KIND_ENDPOINT_CREATED ||
		!proto.Equal(yl.Events[n-1], lr.Events[len(lr.Events)-1]) {
		t.Errorf("events -o yaml: %v", &yl)
	}
	// Korean explanations.
	ko := ok(t, a, "events", "fmt", "--kind", "state-change", "--lang", "ko")
	if !strings.Contains(ko, "LISTEN") || !containsHangul(ko) {
		t.Errorf("--lang ko printed no Korean:\n%s", ko)
	}
}

func containsHangul(s string) bool {
	for _, r := range s {
		if r >= 0xAC00 && r <= 0xD7A3 {
			return true
		}
	}
	return false
}
