// Package e2e drives the real emud binary over gRPC: built once per test
// run, started per test on a loopback port or a unix socket, stopped by
// t.Cleanup.
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

var emudBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "emud-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	emudBin = filepath.Join(dir, "emud")
	args := []string{"build", "-o", emudBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "github.com/tcpemu/tcpemu/cmd/emud")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building emud:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// daemon is one running emud.
type daemon struct {
	cmd    *exec.Cmd
	addr   string // as logged: "127.0.0.1:41234" or "unix:/tmp/.../emud.sock"
	mu     sync.Mutex
	logs   []string
	exited chan struct{}
	err    error // the process's exit status, once exited
}

func (d *daemon) logLines() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.logs...)
}

// startEmud starts emud with args (listen is "tcp" for a loopback port or
// "unix" for a socket) and waits for its "listening" line.
func startEmud(t *testing.T, listen string, args ...string) *daemon {
	t.Helper()
	switch listen {
	case "tcp":
		args = append([]string{"--listen", "127.0.0.1:0"}, args...)
	case "unix":
		dir, err := os.MkdirTemp("", "emud") // short: socket paths are limited to ~100 bytes
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		args = append([]string{"--listen", "unix:" + filepath.Join(dir, "emud.sock")}, args...)
	}
	d := &daemon{cmd: exec.Command(emudBin, append(args, "--log-format", "json")...), exited: make(chan struct{})}
	// A race-built emud reports races on stderr and exits 66; without
	// atexit_sleep_ms=0 it would also sleep a second before exiting.
	// Each daemon journals to a directory of its own unless the test names
	// one (--data-dir wins over the variable).
	d.cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0", "EMUD_DATA_DIR="+t.TempDir())
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go d.readLogs(stderr, ready)
	t.Cleanup(func() {
		d.stop(t)
		if d.err != nil {
			t.Errorf("emud exited with %v (66: the race detector found a data race)", d.err)
		}
		if t.Failed() {
			for _, l := range d.logLines() {
				t.Log("emud:", l)
			}
		}
	})
	select {
	case d.addr = <-ready:
	case <-d.exited:
		t.Fatalf("emud exited before listening: %v\n%s", d.err, strings.Join(d.logLines(), "\n"))
	case <-time.After(20 * time.Second):
		t.Fatal("emud did not start listening within 20s")
	}
	return d
}

func (d *daemon) readLogs(r io.Reader, ready chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		d.mu.Lock()
		d.logs = append(d.logs, line)
		d.mu.Unlock()
		var rec struct{ Message, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Message == "listening" {
			ready <- rec.Addr
		}
	}
	d.err = d.cmd.Wait()
	close(d.exited)
}

// stop sends SIGTERM and waits; a daemon that does not stop in time is
// killed and the test fails.
func (d *daemon) stop(t *testing.T) {
	select {
	case <-d.exited:
		return
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(15 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
		t.Error("emud did not stop within 15s of SIGTERM")
	}
}

// client dials the daemon; the connection closes at cleanup.
func (d *daemon) client(t *testing.T) (pb.EmulatorServiceClient, *grpc.ClientConn) {
	t.Helper()
	conn, err := grpc.NewClient(d.target(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pb.NewEmulatorServiceClient(conn), conn
}

func (d *daemon) target() string {
	if path, ok := strings.CutPrefix(d.addr, "unix:"); ok {
		return "unix://" + path
	}
	return d.addr
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantCode(t *testing.T, err error, code codes.Code) *status.Status {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code {
		t.Fatalf("got %v (%q), want %v", st.Code(), st.Message(), code)
	}
	return st
}

func addr(ip string, port uint32) *pb.Address { return &pb.Address{Ip: ip, Port: port} }
