package main_test

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/root"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Every RPC of the API has its command: the test fails when the proto
// gains one that emuctl does not offer.
func TestEveryRPCHasACommand(t *testing.T) {
	commands := map[string]string{
		"CreateSession": "session create", "GetSession": "session get", "ListSessions": "session list", "DeleteSession": "session delete",
		"CreateEndpoint": "endpoint create", "GetEndpoint": "endpoint get", "ListEndpoints": "endpoint list", "DeleteEndpoint": "endpoint delete",
		"Listen": "endpoint listen", "Connect": "endpoint connect", "Send": "endpoint send", "Receive": "endpoint receive",
		"Close": "endpoint close", "Abort": "endpoint abort", "Inject": "inject", "Advance": "clock advance",
		"SetPath": "path set", "GetPath": "path get", "ListPaths": "path list", "DeletePath": "path delete",
		"CreateFaultRule": "fault create", "GetFaultRule": "fault get", "ListFaultRules": "fault list", "DeleteFaultRule": "fault delete",
		"Cut": "partition cut", "Heal": "partition heal", "ListEvents": "events", "Watch": "watch",
		"AttachExternalPeer": "peer attach", "Batch": "batch",
	}
	tree := root.NewCmd(&cmdutil.Globals{})
	methods := pb.File_tcpemu_v1_service_proto.Services().ByName("EmulatorService").Methods()
	for i := 0; i < methods.Len(); i++ {
		rpc := string(methods.Get(i).Name())
		path, ok := commands[rpc]
		if !ok {
			t.Errorf("RPC %s has no emuctl command", rpc)
			continue
		}
		c, rest, err := tree.Find(strings.Fields(path))
		if err != nil || len(rest) != 0 || c.Name() != strings.Fields(path)[len(strings.Fields(path))-1] {
			t.Errorf("RPC %s: no command %q", rpc, path)
		}
	}
}

// -o json and -o yaml say the same thing for every command that prints a
// document, and json parses.
func TestJSONAndYAMLAgree(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	ok(t, a, "session", "create", "f", "--fixed-isn", "1000")
	ok(t, a, "endpoint", "create", "f/srv", "--local", "10.0.0.2:80")
	ok(t, a, "endpoint", "create", "f/cli", "--local", "10.0.0.1:4000")
	ok(t, a, "path", "set", "f", "--src", "10.0.0.1", "--dst", "10.0.0.2", "--delay", "5ms")
	ok(t, a, "fault", "create", "f/dup", "--action", "duplicate", "--src", "10.0.0.1", "--flags", "SYN")
	for _, args := range [][]string{
		{"session", "list"}, {"session", "get", "f"},
		{"endpoint", "list", "f"}, {"endpoint", "get", "f/srv"},
		{"path", "list", "f"}, {"path", "get", "f", "--src", "10.0.0.1", "--dst", "10.0.0.2"},
		{"fault", "list", "f"}, {"fault", "get", "f/dup"},
		{"events", "f"},
	} {
		var j, y any
		js := ok(t, a, append(args, "-o", "json")...)
		if err := json.Unmarshal([]byte(js), &j); err != nil {
			t.Errorf("%v -o json: %v\n%s", args, err, js)
			continue
		}
		if err := yaml.Unmarshal([]byte(ok(t, a, append(args, "-o", "yaml")...)), &y); err != nil {
			t.Errorf("%v -o yaml: %v", args, err)
			continue
		}
		if !reflect.DeepEqual(normalise(j), normalise(y)) {
			t.Errorf("%v: json and yaml differ:\n%v\n%v", args, j, y)
		}
		if table := ok(t, a, args...); strings.HasPrefix(strings.TrimSpace(table), "{") {
			t.Errorf("%v: the table output is JSON:\n%s", args, table)
		}
	}
}

// normalise makes YAML's and JSON's generic values comparable (YAML reads
// numbers as int, JSON as float64).
func normalise(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = normalise(x)
		}
	case []any:
		for i, x := range v {
			v[i] = normalise(x)
		}
	case int:
		return float64(v)
	}
	return v
}

// --color always colours event lines even when piped; auto leaves a pipe
// plain; the ladder follows the same rule.
func TestColorFlag(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	ok(t, a, "session", "create", "c")
	ok(t, a, "endpoint", "create", "c/srv", "--local", "10.0.0.2:80")
	if out := ok(t, a, "endpoint", "listen", "c/srv", "--color", "always"); !strings.Contains(out, "\x1b[1;33mstate-change\x1b[0m") {
		t.Errorf("--color always: no coloured kind in\n%q", out)
	}
	for _, args := range [][]string{{"events", "c"}, {"events", "c", "--ladder"}, {"events", "c", "--color", "never", "--ladder"}} {
		if out := ok(t, a, args...); strings.Contains(out, "\x1b[") {
			t.Errorf("%v piped: escape sequences in\n%q", args, out)
		}
	}
	if out := ok(t, a, "events", "c", "--ladder", "--color", "always"); !strings.Contains(out, "\x1b[1;33mLISTEN\x1b[0m") {
		t.Errorf("--ladder --color always:\n%q", out)
	}
}

const batchOps = `# the handshake in one call
- create_endpoint: {endpoint_id: server, endpoint: {local: {ip: 10.0.0.2, port: 80}}}
- create_endpoint: {endpoint_id: client, endpoint: {local: {ip: 10.0.0.1, port: 40000}}}
- listen: {name: server}
- connect: {name: client, remote: {ip: 10.0.0.2, port: 80}}
- advance: {until_idle: {}}
`

// batch applies a YAML (or JSON) file of operations in one call; a failed
// operation stops it and exits 1 saying which; a malformed file exits 2
// before anything happens.
func TestBatchCommand(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	dir := t.TempDir()
	ops := filepath.Join(dir, "ops.yaml")
	if err := os.WriteFile(ops, []byte(batchOps), 0o644); err != nil {
		t.Fatal(err)
	}
	ok(t, a, "session", "create", "b", "--fixed-isn", "1000")
	out := ok(t, a, "batch", "b", "-f", ops, "--kind", "state-change")
	for _, want := range []string{"[0] create_endpoint: ok", "[4] advance: ok", "client     state-change       SYN-SENT → ESTABLISHED", "server-1   state-change       SYN-RECEIVED → ESTABLISHED"} {
		if !strings.Contains(out, want) {
			t.Errorf("batch lacks %q:\n%s", want, out)
		}
	}
	if len(lines(out, "segment-sent")) != 0 {
		t.Errorf("--kind state-change let other kinds through:\n%s", out)
	}
	ok(t, a, "session", "create", "bl", "--fixed-isn", "1000")
	if out := ok(t, a, "batch", "bl", "-f", ops, "--ladder"); !strings.Contains(out, "[4] advance: ok") || len(lines(out, "|", "SYN,ACK seq=0 ack=1")) != 1 {
		t.Errorf("batch --ladder:\n%s", out)
	}

	// JSON from the standard input, -o json: the BatchResponse.
	ok(t, a, "session", "create", "b2")
	cmd := exec.Command(emuctlBin, "batch", "b2", "-f", "-", "-o", "json")
	cmd.Env = append(os.Environ(), "EMUD_ADDR="+a, "GORACE=atexit_sleep_ms=0")
	cmd.Stdin = strings.NewReader(`{"operations": [{"create_endpoint": {"endpoint_id": "x", "endpoint": {"local": {"ip": "10.0.0.5", "port": 1}}}}, {"get_endpoint": {"name": "x"}}]}`)
	js, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	var br pb.BatchResponse
	decode(t, string(js), &br)
	if len(br.Results) != 2 || br.Results[1].GetGetEndpoint().GetLocal().GetIp() != "10.0.0.5" || br.FailedOperation != nil {
		t.Errorf("batch -o json: %v", &br)
	}

	// The same operations again: the first fails, nothing after it runs.
	r := emuctl(t, a, "batch", "b", "-f", ops)
	if r.code != 1 || !strings.Contains(r.stderr, "operation 0 (create_endpoint) failed, the 4 after it were not applied: ALREADY_EXISTS") ||
		!strings.Contains(r.stdout, "[0] create_endpoint: FAILED ALREADY_EXISTS") {
		t.Errorf("%s", r)
	}
	// A field the server rejects: INVALID_ARGUMENT naming the operation.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("- connect: {name: client, remote: {ip: 999.1.1.1, port: 80}}\n"), 0o644)
	if r := emuctl(t, a, "batch", "b", "-f", bad); r.code != 1 || !strings.Contains(r.stderr, "INVALID_ARGUMENT") || !strings.Contains(r.stderr, "operations[0]") {
		t.Errorf("%s", r)
	}
	// Mistakes in the file are usage errors.
	for content, want := range map[string]string{
		"- frobnicate: {}\n":     `unknown field "frobnicate"`,
		"just: a map\n":          "want a list of operations",
		"- listen: {name: [}\n":  "not YAML or JSON",
		"- listen: {backlog: x}": "backlog",
	} {
		os.WriteFile(bad, []byte(content), 0o644)
		if r := emuctl(t, a, "batch", "b", "-f", bad); r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("%q: %s", content, r)
		}
	}
	if r := emuctl(t, a, "batch", "b", "-f", filepath.Join(dir, "missing.yaml")); r.code != 2 || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("%s", r)
	}
}

// peer attach plays an external host: it prints the SYN the session sends
// to it, sends the SYN,ACK typed on its input (the client becomes
// ESTABLISHED), reports a segment from a host it does not play as refused,
// and ends when the input does.
func TestPeerAttach(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	ok(t, a, "session", "create", "p", "--fixed-isn", "1000")
	ok(t, a, "endpoint", "create", "p/client", "--local", "10.0.0.1:40000")
	cmd := exec.Command(emuctlBin, "peer", "attach", "p", "--host", "192.0.2.9")
	cmd.Env = append(os.Environ(), "EMUD_ADDR="+a, "LANG=C", "GORACE=atexit_sleep_ms=0")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	w := startWatchCmd(t, cmd)
	w.next(t, 1) // attached
	ok(t, a, "endpoint", "connect", "p/client", "--remote", "192.0.2.9:80")
	ok(t, a, "clock", "advance", "p", "--by", "10ms")
	if l := w.next(t, 1)[0]; !strings.Contains(l, "received  10.0.0.1:40000 → 192.0.2.9:80 <SEQ=1000><CTL=SYN>") {
		t.Fatalf("the SYN handed out: %q", l)
	}
	io.WriteString(in, "--src 192.0.2.9:80 --dst 10.0.0.1:40000 --flags SYN,ACK --seq 5000 --ack 1001\n")
	got := strings.Join(w.next(t, 5), "\n")
	if !strings.Contains(got, "send 1:") || len(lines(got, "client", "SYN-SENT → ESTABLISHED")) != 1 || len(lines(got, "<SEQ=1001><ACK=5001><CTL=ACK>")) != 1 {
		t.Errorf("the SYN,ACK sent:\n%s", got)
	}
	io.WriteString(in, `{"segment": {"header": {"src": {"ip": "10.9.9.9", "port": 80}, "dst": {"ip": "10.0.0.1", "port": 40000}, "flags": {"ack": true}, "seq": 5001}}}`+"\n")
	if l := w.next(t, 1)[0]; !strings.Contains(l, "send 2 refused: INVALID_ARGUMENT") {
		t.Errorf("a segment from a host it does not play: %q", l)
	}
	in.Close()
	if code := w.exitCode(t); code != 0 {
		t.Errorf("peer attach: exit %d\n%s", code, w.stderr.String())
	}
}

// The commands that end things: a single clock step, ABORT (a RST, RFC
// 9293 §3.10.5), deleting an endpoint and a session — each visible in
// what it prints, and in what the daemon answers afterwards.
func TestStepAbortAndDelete(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	ok(t, a, "session", "create", "d", "--fixed-isn", "1000")
	ok(t, a, "endpoint", "create", "d/srv", "--local", "10.0.0.2:80")
	ok(t, a, "endpoint", "create", "d/cli", "--local", "10.0.0.1:4000")
	ok(t, a, "endpoint", "listen", "d/srv", "--backlog", "1")
	ok(t, a, "endpoint", "connect", "d/cli", "--remote", "10.0.0.2:80")
	if out := ok(t, a, "clock", "advance", "d", "--step"); !strings.Contains(out, "after 1 step(s)") || len(lines(out, "LISTEN → SYN-RECEIVED")) != 1 || len(lines(out, "SYN-SENT → ESTABLISHED")) != 0 {
		t.Errorf("one step delivers the SYN only:\n%s", out)
	}
	ok(t, a, "clock", "advance", "d", "--until-idle")
	var ar pb.AbortResponse
	decode(t, ok(t, a, "endpoint", "abort", "d/cli", "-o", "json"), &ar)
	var rst, closed bool
	for _, ev := range ar.Events {
		if s := ev.GetSegmentSent(); s != nil && s.Header.GetFlags().GetRst() {
			rst = true
		}
		if sc := ev.GetStateChange(); sc != nil && sc.ToState == pb.State_STATE_CLOSED {
			closed = true
		}
	}
	if !rst || !closed {
		t.Errorf("abort sent no RST or did not close: %v", &ar)
	}
	if out := ok(t, a, "clock", "advance", "d", "--until-idle"); len(lines(out, "srv-1", "error-signalled", "connection reset")) != 1 || len(lines(out, "srv-1", "ESTABLISHED → CLOSED")) != 1 {
		t.Errorf("the RST did not reset the server's child:\n%s", out)
	}
	ok(t, a, "endpoint", "delete", "d/srv")
	if r := emuctl(t, a, "endpoint", "get", "d/srv"); r.code != 1 || !strings.Contains(r.stderr, "NOT_FOUND") {
		t.Errorf("endpoint get after delete: %s", r)
	}
	if out := ok(t, a, "session", "delete", "d"); !strings.Contains(out, "deleted sessions/d") {
		t.Errorf("session delete: %s", out)
	}
	if r := emuctl(t, a, "session", "get", "d"); r.code != 1 || !strings.Contains(r.stderr, "NOT_FOUND") {
		t.Errorf("session get after delete: %s", r)
	}
}
