// End-to-end tests of emuctl: the real emud and emuctl binaries, built once
// per test run into a temporary directory; each test starts its own emud
// on a loopback port (stopped by t.Cleanup) and runs emuctl commands
// against it, checking what they print and their exit codes.
package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var emudBin, emuctlBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "emuctl-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	emudBin, emuctlBin = filepath.Join(dir, "emud"), filepath.Join(dir, "emuctl")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, b := range []struct{ out, pkg string }{{emudBin, "../emud"}, {emuctlBin, "."}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := []string{"build", "-o", b.out}
			if raceEnabled {
				args = append(args, "-race")
			}
			build := exec.Command("go", append(args, b.pkg)...)
			build.Stdout, build.Stderr = os.Stderr, os.Stderr
			errs[i] = build.Run()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			fmt.Fprintln(os.Stderr, "building the binaries:", err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// daemon is one running emud.
type daemon struct {
	cmd    *exec.Cmd
	addr   string
	mu     sync.Mutex
	logs   []string
	exited chan struct{}
}

// startEmud starts emud on a loopback port and waits for its "listening"
// log line.
func startEmud(t *testing.T) *daemon {
	t.Helper()
	d := &daemon{cmd: exec.Command(emudBin, "--listen", "127.0.0.1:0", "--log-format", "json", "--log-level", "warn"), exited: make(chan struct{})}
	d.cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0", "EMUD_DATA_DIR="+t.TempDir())
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			d.mu.Lock()
			d.logs = append(d.logs, sc.Text())
			d.mu.Unlock()
			var rec struct{ Message, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Message == "listening" {
				ready <- rec.Addr
			}
		}
		err := d.cmd.Wait()
		if err != nil && !strings.Contains(err.Error(), "signal: terminated") {
			d.mu.Lock()
			d.logs = append(d.logs, "exit: "+err.Error())
			d.mu.Unlock()
		}
		close(d.exited)
	}()
	t.Cleanup(func() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(15 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.exited
			t.Error("emud did not stop within 15s of SIGTERM")
		}
		if code := d.cmd.ProcessState.ExitCode(); code != 0 && code != -1 {
			t.Errorf("emud exited %d (66: the race detector found a data race)", code)
		}
		if t.Failed() {
			d.mu.Lock()
			for _, l := range d.logs {
				t.Log("emud:", l)
			}
			d.mu.Unlock()
		}
	})
	select {
	case d.addr = <-ready:
	case <-d.exited:
		t.Fatalf("emud exited before listening: %v", d.logs)
	case <-time.After(20 * time.Second):
		t.Fatal("emud did not start listening within 20s")
	}
	return d
}

// result is one emuctl run.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("emuctl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// emuctl runs the binary against addr (through $EMUD_ADDR, as a script
// would) in English, with a bounded time.
func emuctl(t *testing.T, addr string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, emuctlBin, args...)
	cmd.Env = append(os.Environ(), "EMUD_ADDR="+addr, "LANG=C", "LC_ALL=", "LC_MESSAGES=", "GORACE=atexit_sleep_ms=0")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{args: args, stdout: out.String(), stderr: errOut.String(), code: cmd.ProcessState.ExitCode()}
	if err != nil && r.code <= 0 {
		t.Fatalf("emuctl %v: %v", args, err)
	}
	if r.code == 66 || strings.Contains(r.stderr, "WARNING: DATA RACE") {
		t.Fatalf("the race detector found a data race in emuctl\n%s", r)
	}
	return r
}

// ok runs emuctl and fails the test unless it exits 0.
func ok(t *testing.T, addr string, args ...string) string {
	t.Helper()
	r := emuctl(t, addr, args...)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	return r.stdout
}

// lines keeps the lines of s that contain every one of subs.
func lines(s string, subs ...string) []string {
	var out []string
next:
	for _, l := range strings.Split(s, "\n") {
		for _, sub := range subs {
			if !strings.Contains(l, sub) {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}
