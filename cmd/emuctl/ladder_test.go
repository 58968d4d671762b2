package main_test

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tcpemu/tcpemu/cmd/emuctl/ladder"
	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
	"github.com/tcpemu/tcpemu/render"
)

// seedHandshake runs the seed's story up to ESTABLISHED on both sides
// (RFC 9293 §3.5, figure 6) in session id, with seed 7 and ISS 1000.
func seedHandshake(t *testing.T, a, id string, extra ...string) (connect, advance string) {
	t.Helper()
	ok(t, a, "session", "create", id, "--seed", "7", "--fixed-isn", "1000")
	ok(t, a, "endpoint", "create", id+"/server", "--local", "10.0.0.2:80")
	ok(t, a, "endpoint", "create", id+"/client", "--local", "10.0.0.1:40000")
	ok(t, a, append([]string{"endpoint", "listen", id + "/server"}, extra...)...)
	connect = ok(t, a, append([]string{"endpoint", "connect", id + "/client", "--remote", "10.0.0.2:80"}, extra...)...)
	advance = ok(t, a, append([]string{"clock", "advance", id, "--until-idle"}, extra...)...)
	return connect, advance
}

// fits80 fails unless every line of out is at most 80 characters wide
// (the ladders here hold no wide characters: English only).
func fits80(t *testing.T, what, out string) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(l); n > 80 {
			t.Errorf("%s: a line of %d characters:\n%s", what, n, l)
		}
	}
}

func TestLadderOfTheSeedStory(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	connect, advance := seedHandshake(t, a, "seed", "--ladder")
	if strings.Contains(connect+advance, "\x1b[") {
		t.Errorf("colours in piped output:\n%s%s", connect, advance)
	}
	if len(lines(connect, "SYN seq=0", "-->")) != 1 || len(lines(connect, "| SYN-SENT ")) != 1 {
		t.Errorf("connect --ladder: no SYN arrow or SYN-SENT:\n%s", connect)
	}
	for _, want := range [][]string{
		{"<--", "SYN,ACK seq=0 ack=1"},
		{"-->", "ACK seq=1 ack=1"},
		{"SYN-RECEIVED"},
		{"ESTABLISHED"},
		{"[RFC 9293 §3.10.7.3]"},
		{"now 0s", "idle"},
	} {
		if len(lines(advance, want...)) == 0 {
			t.Errorf("clock advance --ladder: no line with %q in\n%s", want, advance)
		}
	}
	fits80(t, "clock advance --ladder", advance)

	log := ok(t, a, "events", "seed", "--ladder")
	if h := strings.Fields(strings.SplitN(log, "\n", 2)[0]); len(h) != 3 || h[1] != "server" || h[2] != "client" {
		t.Errorf("events --ladder: want columns server and client, header %q", h)
	}
	for _, want := range []string{"LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "SYN seq=0", "SYN,ACK seq=0 ack=1", "ACK seq=1 ack=1"} {
		if !strings.Contains(log, want) {
			t.Errorf("events --ladder: no %q in\n%s", want, log)
		}
	}
	fits80(t, "events --ladder", log)
	if abs := ok(t, a, "events", "seed", "--ladder", "--absolute"); !strings.Contains(abs, "SYN,ACK seq=1000 ack=1001") {
		t.Errorf("--absolute: no wire numbers in\n%s", abs)
	}
	if ko := ok(t, a, "events", "seed", "--ladder", "--lang", "ko"); !containsHangul(ko) {
		t.Errorf("--lang ko: the explanations are not Korean:\n%s", ko)
	}
}

func TestExportFormats(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	seedHandshake(t, a, "exp")

	mm := ok(t, a, "export", "exp", "--format", "mermaid")
	if !strings.HasPrefix(mm, "sequenceDiagram\n") {
		t.Errorf("export --format mermaid does not start with sequenceDiagram:\n%s", mm)
	}
	if ev := ok(t, a, "events", "exp", "--mermaid"); ev != mm {
		t.Errorf("events --mermaid differs from export --format mermaid:\n%s\n---\n%s", ev, mm)
	}
	if l := ok(t, a, "export", "exp", "--format", "ladder"); l != ok(t, a, "events", "exp", "--ladder") {
		t.Errorf("export --format ladder differs from events --ladder:\n%s", l)
	}

	jl := ok(t, a, "export", "exp", "--format", "jsonl")
	var list pb.ListEventsResponse
	decode(t, ok(t, a, "events", "exp", "-o", "json"), &list)
	rows := strings.Split(strings.TrimSuffix(jl, "\n"), "\n")
	if len(rows) != len(list.Events) || len(rows) < 10 {
		t.Fatalf("export --format jsonl: %d lines for %d events", len(rows), len(list.Events))
	}
	for i, row := range rows {
		var ev map[string]any
		if err := json.Unmarshal([]byte(row), &ev); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, row)
		}
		if ev["seq"] != strconv.FormatUint(list.Events[i].Seq, 10) { // uint64: a JSON string
			t.Errorf("line %d: seq %v, want %d", i+1, ev["seq"], list.Events[i].Seq)
		}
	}
	if r := emuctl(t, a, "export", "exp", "--format", "svg"); r.code != 2 {
		t.Errorf("export --format svg: want exit 2 (usage)\n%s", r)
	}
}

// TestLadderFromTheAPIMatchesInProcess draws the seed handshake twice:
// from the events a real emud returns through ListEvents, converted by
// package ladder, and from the same story run in an in-process
// emulator.Session with the same seed and ISS. The API carries everything
// a handshake's ladder shows, so the two must be identical.
func TestLadderFromTheAPIMatchesInProcess(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	seedHandshake(t, a, "rt")
	var list pb.ListEventsResponse
	decode(t, ok(t, a, "events", "rt", "-o", "json"), &list)
	c := ladder.NewConverter(0)
	var remote bytes.Buffer
	if err := render.Ladder(&remote, c.Events(list.Events), c.RenderOptions(ladder.Options{})); err != nil {
		t.Fatal(err)
	}

	iss := seqnum.Value(1000)
	s, err := emulator.New(emulator.Config{Seed: 7, FixedISS: &iss, Delay: -1})
	if err != nil {
		t.Fatal(err)
	}
	server, client := netip.MustParseAddrPort("10.0.0.2:80"), netip.MustParseAddrPort("10.0.0.1:40000")
	s.AddHost(server.Addr())
	s.AddHost(client.Addr())
	srv, _, err := s.Listen(server, emulator.EndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cli, _, err := s.Connect(client, server, nil, emulator.EndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunUntilIdle(1000); err != nil {
		t.Fatal(err)
	}
	names := map[emulator.EndpointID]string{srv: "server", cli: "client"}
	evs := s.Events(^uint64(0)) // after "seq -1": the whole log, as the server asks
	for _, ev := range evs {
		if ev.Kind == emulator.KindEndpointCreated && ev.Value == int64(srv) {
			names[ev.Endpoint] = "server-1" // the server's name for the first child
		}
	}
	var local bytes.Buffer
	err = render.Ladder(&local, append([]emulator.Event{}, evs...), render.Options{Addrs: s, Names: names, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	if remote.String() != local.String() {
		t.Errorf("the ladder from ListEvents differs from the in-process one\nAPI:\n%s\nin-process:\n%s", remote.String(), local.String())
	}
	if len(evs) != len(list.Events) {
		t.Fatalf("%d events in process, %d through the API", len(evs), len(list.Events))
	}
	// Event by event, with handles resolved to names and addresses (the
	// converter numbers them its own way).
	conv := ladder.NewConverter(0).Events(list.Events)
	cn := c.Names()
	for i := range evs {
		want, got := comparable(evs[i], names, s), comparable(conv[i], cn, c)
		if want != got {
			t.Errorf("event %d:\n in-process %+v\n API        %+v", i, want, got)
		}
	}
}

// comparableEvent is an event with its handles resolved.
type comparableEvent struct {
	ev               emulator.Event
	endpoint, parent string
	src, dst         netip.AddrPort
}

// comparable resolves ev's handles and clears what the API does not
// carry: a SEND's or RECEIVE's octet count, the fault rule's number of a
// duplicate or delay, and the cause of anything but a state change.
func comparable(ev emulator.Event, names map[emulator.EndpointID]string, addrs interface {
	Addr(tcp.AddrID) netip.AddrPort
}) comparableEvent {
	out := comparableEvent{endpoint: names[ev.Endpoint], src: addrs.Addr(ev.Seg.Src), dst: addrs.Addr(ev.Seg.Dst)}
	switch ev.Kind {
	case emulator.KindEndpointCreated:
		out.parent, ev.Value = names[emulator.EndpointID(ev.Value)], 0
	case emulator.KindCall, emulator.KindSegmentDuplicated, emulator.KindSegmentDelayed:
		ev.Value = 0
	}
	if ev.Kind != emulator.KindStateChanged {
		ev.Cause = emulator.CauseNone
	}
	ev.Endpoint, ev.Seg.Src, ev.Seg.Dst = 0, 0, 0
	out.ev = ev
	return out
}

// watch --ladder, piped, follows the handshake live and writes every row
// once: a batch adds its own rows, and a header line only when the layout
// changes. Each state the ladder shows appears once, in order, and every
// explanation once.
func TestWatchLadderPiped(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	ok(t, a, "session", "create", "live", "--seed", "7", "--fixed-isn", "1000")
	w := startWatch(t, a, "live", "--ladder", "--count", "20")
	ok(t, a, "endpoint", "create", "live/server", "--local", "10.0.0.2:80")
	ok(t, a, "endpoint", "create", "live/client", "--local", "10.0.0.1:40000")
	ok(t, a, "endpoint", "listen", "live/server")
	ok(t, a, "endpoint", "connect", "live/client", "--remote", "10.0.0.2:80")
	ok(t, a, "clock", "advance", "live", "--until-idle")
	if code := w.exitCode(t); code != 0 {
		t.Fatalf("watch --ladder --count 20: exit %d\n%s", code, w.stderr.String())
	}
	var got []string
	for l := range w.lines {
		got = append(got, l)
	}
	out := strings.Join(got, "\n")
	if strings.Contains(out, "\x1b[") {
		t.Errorf("watch --ladder piped: escape sequences in\n%s", out)
	}
	var states []string
	seen := map[string]bool{}
	for _, l := range got {
		cell := strings.TrimSpace(strings.ReplaceAll(l, "|", ""))
		switch {
		case cell == "" || strings.HasPrefix(strings.TrimSpace(l), "time"):
		case strings.Contains(cell, "[RFC 9293"):
			if seen[cell] {
				t.Errorf("explanation line written twice: %q\n%s", cell, out)
			}
			seen[cell] = true
		case cell == "LISTEN" || cell == "SYN-SENT" || cell == "SYN-RECEIVED" || cell == "ESTABLISHED":
			states = append(states, cell)
		}
	}
	if g, want := strings.Join(states, " "), "LISTEN SYN-SENT SYN-RECEIVED ESTABLISHED ESTABLISHED"; g != want {
		t.Errorf("states drawn: %s, want %s\n%s", g, want, out)
	}
	if n := len(lines(out, "SYN seq=0")); n < 1 || n > 2 {
		t.Errorf("the SYN is drawn %d times (one arrow, or a departure and an arrival)\n%s", n, out)
	}
}
