package main_test

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/root"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Each error path has its exit code and says what went wrong: a gRPC
// error prints its code, the server's message and any field violation; a
// command-line mistake exits 2 and points at --help.
func TestErrorPathsAndExitCodes(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	ok(t, a, "session", "create", "e")
	ok(t, a, "endpoint", "create", "e/srv", "--local", "10.0.0.2:80")
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"session", "get", "nope"}, 1, []string{"NOT_FOUND", "sessions/nope"}},
		{[]string{"endpoint", "get", "e/nope"}, 1, []string{"NOT_FOUND"}},
		{[]string{"endpoint", "create", "e/bad", "--local", "999.1.1.1:80"}, 1, []string{"INVALID_ARGUMENT", "field endpoint.local.ip:", "999.1.1.1"}},
		{[]string{"endpoint", "create", "e/bad", "--local", "10.0.0.1:70000"}, 1, []string{"INVALID_ARGUMENT", "field endpoint.local.port"}},
		{[]string{"endpoint", "create", "e/other", "--local", "10.0.0.2:80"}, 1, []string{"ALREADY_EXISTS"}},
		{[]string{"endpoint", "send", "e/srv", "--data", "x"}, 1, []string{"FAILED_PRECONDITION", "error: "}},
		{[]string{"session", "create", "Bad_ID"}, 1, []string{"INVALID_ARGUMENT", "field session_id"}},
		{[]string{"endpoint", "create", "e/x", "--lcal", "1"}, 2, []string{"unknown flag: --lcal", "See 'emuctl endpoint create --help'"}},
		{[]string{"endpoint", "create", "e/x"}, 2, []string{`required flag(s) "local" not set`}},
		{[]string{"endpoint", "create", "e/x", "--local", "10.0.0.1"}, 2, []string{"want ip:port"}},
		{[]string{"clock", "advance", "e"}, 2, []string{"exactly one of --by, --to, --step, --until-idle"}},
		{[]string{"clock", "advance", "e", "--by", "1s", "--until-idle"}, 2, []string{"exactly one of"}},
		{[]string{"clock", "advance", "e", "--by", "soon"}, 2, []string{"invalid argument"}},
		{[]string{"session", "get"}, 2, []string{"needs a session ID"}},
		{[]string{"session", "frobnicate"}, 2, []string{"unknown command"}},
		{[]string{"frobnicate"}, 2, []string{"unknown command"}},
		{[]string{"session", "list", "-o", "xml"}, 2, []string{`-o "xml"`}},
		{[]string{"session", "list", "--lang", "fr"}, 2, []string{`--lang "fr"`}},
		{[]string{"events", "e", "--kind", "bogus"}, 2, []string{"not an event kind"}},
		{[]string{"endpoint", "list", "e", "--state", "OPEN"}, 2, []string{"not a TCP state"}},
		{[]string{"inject", "e", "--src", "1.2.3.4:5", "--dst", "10.0.0.2:80", "--flags", "SYN,BOGUS", "--seq", "1"}, 2, []string{"unknown flag \"BOGUS\""}},
		{[]string{"path", "set", "e", "--src", "10.0.0.1"}, 2, []string{"[src dst]"}},
		{[]string{"session", "create", "--set", "nope=1"}, 2, []string{"unknown key", "msl"}},
		{[]string{"--addr", "127.0.0.1:1", "session", "list"}, 1, []string{"UNAVAILABLE", "is emud running at 127.0.0.1:1?"}},
		{[]string{"session", "list", "--color", "pink"}, 2, []string{`--color "pink"`}},
		{[]string{"peer", "attach", "nope", "--host", "192.0.2.1"}, 1, []string{"attach to sessions/nope", "NOT_FOUND"}},
		{[]string{"peer", "attach", "e", "--host", "10.0.0.2"}, 1, []string{"attach to sessions/e"}},
		{[]string{"peer", "attach", "e", "-o", "yaml"}, 2, []string{`-o "yaml": want table or json`}},
		{[]string{"batch", "e"}, 2, []string{`required flag(s) "file" not set`}},
		{[]string{"demo", "handshake", "-o", "json"}, 2, []string{`-o "json": want table`}},
		{[]string{"demo", "a", "b"}, 2, []string{"at most one topic"}},
		{[]string{"shell", "a", "b"}, 2, []string{"at most a session ID"}},
		{[]string{"shell", "nope"}, 1, []string{"use nope", "NOT_FOUND"}},
		{[]string{"watch", "nope"}, 1, []string{"NOT_FOUND"}},
		{[]string{"events", "nope"}, 1, []string{"NOT_FOUND"}},
		{[]string{"export", "e", "--format", "pdf"}, 2, []string{"pdf"}},
		{[]string{"fault", "create", "e/r", "--action", "explode"}, 2, []string{"explode"}},
		{[]string{"endpoint", "listen", "e"}, 2, []string{"SESSION/ID"}},
		{[]string{"clock", "advance", "nope", "--by", "1s"}, 1, []string{"NOT_FOUND"}},
	} {
		r := emuctl(t, a, tc.args...)
		if r.code != tc.code {
			t.Errorf("exit %d, want %d\n%s", r.code, tc.code, r)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("stderr lacks %q\n%s", w, r)
			}
		}
		if !strings.HasPrefix(r.stderr, "emuctl: ") || r.stdout != "" {
			t.Errorf("want one error on stderr, nothing on stdout\n%s", r)
		}
	}
}

// Every noun's --help exits 0 and shows examples; every command in the
// tree has an Example (checked in-process: it is the same tree).
func TestHelpHasExamples(t *testing.T) {
	t.Parallel()
	for _, noun := range []string{"session", "endpoint", "clock", "inject", "batch", "path", "fault", "partition", "peer", "events", "watch", "export", "demo", "shell"} {
		r := emuctl(t, "127.0.0.1:1", noun, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "emuctl "+noun) {
			t.Errorf("%s", r)
		}
	}
	if r := emuctl(t, "127.0.0.1:1", "--help"); r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "The network:") {
		t.Errorf("%s", r)
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() != "help" && c.Name() != "completion" && c.Parent() != nil && c.Parent().Name() != "completion" && c.Example == "" {
			t.Errorf("%s has no Example", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root.NewCmd(&cmdutil.Globals{}))
}

// Completion scripts generate for every shell, and Tab completes session
// and endpoint names from the daemon.
func TestCompletion(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if out := ok(t, a, "completion", shell); !strings.Contains(out, "emuctl") || len(out) < 500 {
			t.Errorf("completion %s: %.200s", shell, out)
		}
	}
	ok(t, a, "session", "create", "comp")
	ok(t, a, "endpoint", "create", "comp/alpha", "--local", "10.0.0.1:1")
	ok(t, a, "endpoint", "create", "comp/beta", "--local", "10.0.0.1:2")
	if out := ok(t, a, "__complete", "session", "get", "co"); !strings.Contains(out, "comp\n") {
		t.Errorf("session completion:\n%s", out)
	}
	if out := ok(t, a, "__complete", "endpoint", "get", "co"); !strings.Contains(out, "comp/\n") {
		t.Errorf("endpoint completion of the session:\n%s", out)
	}
	if out := ok(t, a, "__complete", "endpoint", "close", "comp/"); !strings.Contains(out, "comp/alpha\ncomp/beta\n") {
		t.Errorf("endpoint completion:\n%s", out)
	}
	if out := ok(t, a, "__complete", "events", "comp", "--kind", "state"); !strings.Contains(out, "state-change") {
		t.Errorf("--kind completion:\n%s", out)
	}
}

// The network commands: a path, a fault rule that drops the SYN,ACK once,
// a partition, and a hand-made SYN — each visible in the events it prints.
func TestNetworkCommands(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	ok(t, a, "session", "create", "n", "--fixed-isn", "1000")
	ok(t, a, "endpoint", "create", "n/srv", "--local", "10.0.0.2:80")
	ok(t, a, "endpoint", "create", "n/cli", "--local", "10.0.0.1:4000")
	ok(t, a, "endpoint", "listen", "n/srv")

	if out := ok(t, a, "path", "set", "n", "--src", "10.0.0.1", "--dst", "10.0.0.2", "--delay", "10ms"); !strings.Contains(out, "10.0.0.1 → 10.0.0.2: delay=10ms") {
		t.Errorf("path set: %s", out)
	}
	var p pb.Path
	decode(t, ok(t, a, "path", "get", "n", "--src", "10.0.0.1", "--dst", "10.0.0.2", "-o", "json"), &p)
	if p.Delay.AsDuration().String() != "10ms" {
		t.Errorf("path get: %v", &p)
	}
	if out := ok(t, a, "path", "list", "n"); len(lines(out, "10.0.0.1", "10.0.0.2", "10ms")) != 1 || len(lines(out, "(default)")) != 1 {
		t.Errorf("path list:\n%s", out)
	}
	ok(t, a, "fault", "create", "n/drop-synack", "--action", "drop", "--src", "10.0.0.2", "--flags", "SYN,ACK")
	ok(t, a, "endpoint", "connect", "n/cli", "--remote", "10.0.0.2:80")
	out := ok(t, a, "clock", "advance", "n", "--by", "500ms")
	if len(lines(out, "segment-dropped", "CTL=SYN,ACK", "fault drop-synack")) != 1 {
		t.Errorf("the SYN,ACK was not dropped by the rule:\n%s", out)
	}
	var fr pb.FaultRule
	decode(t, ok(t, a, "fault", "get", "n/drop-synack", "-o", "json"), &fr)
	if fr.Hits != 1 || !fr.Retired {
		t.Errorf("fault rule after acting: %v", &fr)
	}
	if out := ok(t, a, "fault", "list", "n"); len(lines(out, "drop-synack", "drop", "from 10.0.0.2 SYN,ACK", "true")) != 1 {
		t.Errorf("fault list:\n%s", out)
	}
	ok(t, a, "fault", "delete", "n/drop-synack")
	if out := ok(t, a, "clock", "advance", "n", "--until-idle"); len(lines(out, "cli", "SYN-SENT → ESTABLISHED")) != 1 {
		t.Errorf("the retransmitted SYN did not complete the handshake:\n%s", out)
	}
	ok(t, a, "path", "delete", "n", "--src", "10.0.0.1", "--dst", "10.0.0.2")

	if out := ok(t, a, "partition", "cut", "n", "10.0.0.1", "10.0.0.2"); len(lines(out, "link", "cut")) != 2 {
		t.Errorf("cut both ways:\n%s", out)
	}
	var s pb.Session
	decode(t, ok(t, a, "session", "get", "n", "-o", "json"), &s)
	if len(s.Partitions) != 1 {
		t.Errorf("partitions after cut: %v", s.Partitions)
	}
	ok(t, a, "endpoint", "send", "n/cli", "--data", "lost")
	if out := ok(t, a, "clock", "advance", "n", "--by", "0s"); len(lines(out, "segment-dropped", "(partition)")) == 0 {
		// The send itself may have dropped it already; look in the log.
		if log := ok(t, a, "events", "n", "--kind", "segment-dropped"); len(lines(log, "(partition)")) == 0 {
			t.Errorf("no segment dropped by the partition:\n%s\n%s", out, log)
		}
	}
	ok(t, a, "partition", "heal", "n", "--all")

	// A hand-made SYN from an external host: the listener forks a child.
	out = ok(t, a, "inject", "n", "--src", "192.0.2.9:5555", "--dst", "10.0.0.2:80", "--flags", "SYN", "--seq", "7", "--mss", "1000")
	if len(lines(out, "LISTEN → SYN-RECEIVED")) != 1 || len(lines(out, "segment-sent", "<ACK=8><CTL=SYN,ACK>")) != 1 {
		t.Errorf("inject SYN:\n%s", out)
	}
}
