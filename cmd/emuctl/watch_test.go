package main_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// watcher is a running `emuctl watch`.
type watcher struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr bytes.Buffer
	done   chan struct{}
}

func startWatch(t *testing.T, addr string, args ...string) *watcher {
	t.Helper()
	cmd := exec.Command(emuctlBin, append([]string{"watch"}, args...)...)
	cmd.Env = append(os.Environ(), "EMUD_ADDR="+addr, "LANG=C", "GORACE=atexit_sleep_ms=0")
	return startWatchCmd(t, cmd)
}

// startWatchCmd starts a long-running emuctl command (its Env set) and
// collects its output lines.
func startWatchCmd(t *testing.T, cmd *exec.Cmd) *watcher {
	t.Helper()
	w := &watcher{cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
	w.cmd.Stderr = &w.stderr
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			w.lines <- sc.Text()
		}
		close(w.lines)
	}()
	t.Cleanup(func() {
		_ = w.cmd.Process.Kill()
		<-w.done
	})
	go func() { _ = w.cmd.Wait(); close(w.done) }()
	return w
}

// next returns the next n lines, failing after a bounded wait.
func (w *watcher) next(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	deadline := time.After(30 * time.Second)
	for len(out) < n {
		select {
		case l, ok := <-w.lines:
			if !ok {
				t.Fatalf("watch ended after %d of %d lines: %v\nstderr: %s", len(out), n, out, w.stderr.String())
			}
			out = append(out, l)
		case <-deadline:
			t.Fatalf("watch printed %d of %d lines in 30s: %v", len(out), n, out)
		}
	}
	return out
}

func (w *watcher) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		t.Fatal("watch did not exit within 30s")
	}
	return w.cmd.ProcessState.ExitCode()
}

func seqs(t *testing.T, lines []string) []uint64 {
	t.Helper()
	var out []uint64
	for _, l := range lines {
		var ev pb.Event
		decode(t, l, &ev)
		out = append(out, ev.Seq)
	}
	return out
}

func consecutive(s []uint64, from uint64) bool {
	for i, v := range s {
		if v != from+uint64(i) {
			return false
		}
	}
	return true
}

// watch prints the log, then follows live events as JSON lines, until
// Ctrl-C, which ends it with exit 0.
func TestWatchFollowsUntilInterrupted(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	ok(t, a, "session", "create", "w")
	ok(t, a, "endpoint", "create", "w/srv", "--local", "10.0.0.2:80")
	w := startWatch(t, a, "w", "-o", "json")
	ok(t, a, "endpoint", "listen", "w/srv")
	got := w.next(t, 3)
	if s := seqs(t, got); !consecutive(s, 1) {
		t.Errorf("seqs %v", s)
	}
	if !strings.Contains(got[2], `"to_state":"STATE_LISTEN"`) {
		t.Errorf("last line %s", got[2])
	}
	_ = w.cmd.Process.Signal(syscall.SIGINT)
	if code := w.exitCode(t); code != 0 {
		t.Errorf("watch exited %d after SIGINT; stderr %s", code, w.stderr.String())
	}

	// Filters, in table mode, and --count ends it by itself.
	w = startWatch(t, a, "w", "--kind", "state-change", "--count", "1")
	if l := w.next(t, 1)[0]; !strings.Contains(l, "CLOSED → LISTEN") {
		t.Errorf("filtered watch printed %q", l)
	}
	if code := w.exitCode(t); code != 0 {
		t.Errorf("watch --count exited %d", code)
	}
	// A watch of a session that does not exist fails with NOT_FOUND.
	if r := emuctl(t, a, "watch", "nope"); r.code != 1 || !strings.Contains(r.stderr, "NOT_FOUND") {
		t.Errorf("%s", r)
	}
}

// proxy forwards loopback connections to a daemon and can cut them all,
// as a daemon restart or a network blip would.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// When the connection drops, watch reconnects and resumes after the last
// seq it printed: no gap, no duplicate.
func TestWatchResumesAfterConnectionLoss(t *testing.T) {
	t.Parallel()
	a := startEmud(t).addr
	px := startProxy(t, a)
	ok(t, a, "session", "create", "r")
	ok(t, a, "endpoint", "create", "r/srv", "--local", "10.0.0.2:80")
	ok(t, a, "endpoint", "listen", "r/srv")
	w := startWatch(t, px.ln.Addr().String(), "r", "-o", "json", "--count", "12")
	got := w.next(t, 3)
	px.cut()
	ok(t, a, "endpoint", "create", "r/cli", "--local", "10.0.0.1:4000")
	ok(t, a, "endpoint", "connect", "r/cli", "--remote", "10.0.0.2:80")
	ok(t, a, "clock", "advance", "r", "--until-idle")
	got = append(got, w.next(t, 9)...)
	if code := w.exitCode(t); code != 0 {
		t.Errorf("watch exited %d; stderr %s", code, w.stderr.String())
	}
	if s := seqs(t, got); !consecutive(s, 1) {
		t.Errorf("seqs across the reconnect: %v", s)
	}
	if !strings.Contains(w.stderr.String(), "resuming after #3") {
		t.Errorf("stderr: %s", w.stderr.String())
	}
}
