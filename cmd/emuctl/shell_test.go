package main_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

var tmuxServers atomic.Int32

// term is emuctl shell running in a detached tmux session of a fixed size,
// on a tmux server of its own.
type term struct {
	t      *testing.T
	server string
}

func startShell(t *testing.T, addr, history string) *term {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed: the shell's terminal test needs it (apt-get install tmux)")
	}
	tm := &term{t: t, server: fmt.Sprintf("emuctl-test-%d-%d", os.Getpid(), tmuxServers.Add(1))}
	shell := fmt.Sprintf("env EMUD_ADDR=%s EMUCTL_HISTORY=%s LANG=C LC_ALL= NO_COLOR=1 GORACE=atexit_sleep_ms=0 %s shell; echo \"shell exited $?\"; sleep 60",
		addr, history, emuctlBin)
	cmd := exec.Command(tmux, "-L", tm.server, "-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "50", "-s", "sh", shell)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(tmux, "-L", tm.server, "kill-server").Run() })
	tm.waitFor("emuctl> ")
	return tm
}

func (tm *term) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.server}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// keys types keys (tmux key names: Enter, Tab, Up, C-u).
func (tm *term) keys(keys ...string) {
	tm.t.Helper()
	tm.tmux(append([]string{"send-keys", "-t", "sh", "--"}, keys...)...)
}

// screen is what the user sees, wrapped lines joined.
func (tm *term) screen() string {
	tm.t.Helper()
	return tm.tmux("capture-pane", "-p", "-J", "-t", "sh", "-S", "-200")
}

// poll waits until done(screen) holds, failing with what the screen
// shows after 20 s.
func (tm *term) poll(what string, done func(screen string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := tm.screen()
		if done(s) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("the terminal never showed %s:\n%s", what, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitFor waits until the screen shows want.
func (tm *term) waitFor(want string) string {
	tm.t.Helper()
	return tm.poll(fmt.Sprintf("%q", want), func(s string) bool { return strings.Contains(s, want) })
}

// waitLast waits until the screen's last line (the prompt and what is
// typed on it) is want.
func (tm *term) waitLast(want string) {
	tm.t.Helper()
	tm.poll(fmt.Sprintf("the prompt line %q", want), func(s string) bool { return strings.TrimSpace(lastLine(s)) == want })
}

// enter types line and Enter, and waits for want and then for the next
// prompt (keys typed before it would be echoed by the terminal, not the
// line editor).
func (tm *term) enter(line, want string) string {
	tm.t.Helper()
	tm.keys(line, "Enter")
	tm.waitFor(want)
	return tm.poll("the next prompt", func(s string) bool {
		return strings.Contains(s, want) && strings.HasSuffix(strings.TrimSpace(lastLine(s)), ">")
	})
}

// lastLine is the screen's last non-empty line: the prompt and what is
// typed on it.
func lastLine(screen string) string {
	ls := strings.Split(strings.TrimRight(screen, "\n "), "\n")
	return ls[len(ls)-1]
}

// The interactive shell in a real terminal: commands of the same tree,
// `use` so they need not repeat the session, Tab completing commands and
// endpoint names from the daemon, the ladder's rows under each command's
// output, events caused elsewhere announced under the prompt, Up recalling
// history — kept in a file for the next shell.
func TestShellInTmux(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	history := filepath.Join(t.TempDir(), "history")
	tm := startShell(t, a, history)

	tm.enter("session create tm --fixed-isn 1000", "created sessions/tm")
	tm.enter("use tm", "emuctl tm> ")
	tm.enter("endpoint create server --local 10.0.0.2:80", "created sessions/tm/endpoints/server")
	tm.enter("endpoint create client --local 10.0.0.1:40000", "created sessions/tm/endpoints/client")

	// Tab: an endpoint ID of the session in use, from the daemon.
	tm.keys("endpoint listen ser", "Tab")
	if s := tm.waitFor("listen server"); !strings.HasSuffix(strings.TrimSpace(lastLine(s)), "endpoint listen server") {
		t.Fatalf("Tab did not complete the endpoint: %q", lastLine(s))
	}
	tm.keys("Enter")
	tm.waitFor("CLOSED → LISTEN")
	// Tab: a verb, then an endpoint.
	tm.keys("endpoint conn", "Tab")
	tm.waitFor("endpoint connect")
	tm.keys("cli", "Tab")
	tm.waitFor("endpoint connect client")
	tm.enter("--remote 10.0.0.2:80", "CLOSED → SYN-SENT")

	tm.enter("clock advance --until-idle", "now 0s after")
	s := tm.waitFor("SYN,ACK seq=0 ack=1 -")
	// The ladder's rows: the SYN,ACK arrow, and both ends ESTABLISHED
	// beside their lifelines.
	if n := len(lines(s, "|", "ESTABLISHED")); n != 2 {
		t.Errorf("want both ends ESTABLISHED in the ladder, got %d rows:\n%s", n, s)
	}
	// The ladder takes the terminal's width (120 columns), not 80.
	if l := lines(s, "SYN,ACK seq=0 ack=1 -"); len(l) != 1 || utf8.RuneCountInString(strings.TrimRight(l[0], " ")) != 120 {
		t.Errorf("the ladder is not as wide as the terminal:\n%q", l)
	}

	// Events caused by someone else are announced under the prompt.
	ok(t, a, "endpoint", "send", "tm/client", "--data", "hi")
	// Their rows show under the prompt at once; Enter draws them for good.
	s = tm.waitFor("new event(s) in tm: Enter draws them")
	s = tm.waitFor("PSH,ACK seq=1 ack=1 len=2")
	if !strings.Contains(s[strings.Index(s, "Enter draws them"):], "PSH,ACK seq=1 ack=1 len=2") {
		t.Errorf("the rows are not under the prompt:\n%s", s)
	}
	tm.keys("Enter")
	tm.poll("the hint gone and the rows drawn", func(s string) bool {
		return !strings.Contains(s, "Enter draws them") && strings.Contains(s, "PSH,ACK seq=1 ack=1 len=2")
	})

	// Errors print as on the command line, and the shell goes on.
	tm.enter("endpoint get nope", "NOT_FOUND")

	// Up recalls the history, newest first.
	tm.keys("Up")
	tm.waitLast("emuctl tm> endpoint get nope")
	tm.keys("Up")
	tm.waitLast("emuctl tm> clock advance --until-idle")
	// Enter runs the recalled line again: it delivers the data sent from
	// outside, and the rows follow.
	tm.enter("", "now 0s after 2 step(s)")
	tm.waitFor("ACK seq=1 ack=3")
	tm.enter("ladder", "[RFC 9293 §3.10.7.4]") // the whole ladder, explanations included
	tm.keys("exit", "Enter")
	if s := tm.waitFor("shell exited "); !strings.Contains(s, "shell exited 0") || strings.Contains(s, "DATA RACE") {
		t.Errorf("the shell did not exit cleanly:\n%s", s)
	}

	hist, err := os.ReadFile(history)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"use tm", "endpoint listen server", "endpoint connect client --remote 10.0.0.2:80", "clock advance --until-idle"} {
		if !strings.Contains(string(hist), want) {
			t.Errorf("history file lacks %q:\n%s", want, hist)
		}
	}

	// A new shell reads the history: Up brings back the last command.
	tm2 := startShell(t, a, history)
	tm2.keys("Up")
	tm2.waitLast("emuctl> exit")
	tm2.keys("Up")
	tm2.waitLast("emuctl> ladder")
}
