package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tcpemu/tcpemu/cmd/emuctl/bench"
	"github.com/tcpemu/tcpemu/cmd/emuctl/root"
	"github.com/tcpemu/tcpemu/server"
)

// TestMain lets this test binary stand in for emuctl when the unary bench
// starts its echo server as a child process of "this executable": it runs
// `emuctl bench echo-server …` for real instead of the tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "bench" && os.Args[2] == "echo-server" {
		os.Exit(root.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// startDaemon serves the real gRPC service in this process on a loopback
// port or a unix socket, and returns its --addr.
func startDaemon(t *testing.T, network string) string {
	t.Helper()
	srv := server.New(server.Options{Logger: zerolog.Nop()})
	gs := server.NewGRPCServer(srv)
	var (
		lis  net.Listener
		err  error
		addr string
	)
	if network == "unix" {
		path := filepath.Join(t.TempDir(), "emud.sock")
		lis, err = net.Listen("unix", path)
		addr = "unix:" + path
	} else {
		lis, err = net.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			addr = lis.Addr().String()
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(func() {
		srv.Shutdown()
		gs.Stop()
	})
	return addr
}

// Every kind runs briefly against the real service and names its figures,
// with positive rates; the in-process daemon's pid is ours, so idle reads
// an RSS.
func TestBenchKindsReportNamedPositiveFigures(t *testing.T) {
	want := map[string][]string{
		"lifecycles": {"lifecycles_per_second", "lifecycles", "batch_calls_per_second", "daemon_cpu_cores"},
		"unary":      {"emud_unary_per_second", "echo_unary_per_second", "unary_ratio", "daemon_cpu_cores"},
		"watch":      {"watch_events_per_second", "watch_events", "log_events", "replays", "daemon_cpu_cores"},
		"idle": {"idle_established_endpoints", "endpoints_created_per_second", "rss_bytes_before", "rss_bytes",
			"rss_peak_bytes", "rss_bytes_per_endpoint", "rss_bytes_for_1m_endpoints", "daemon_cpu_cores"},
	}
	targets := map[string]bool{"lifecycles_per_second": true, "unary_ratio": true, "watch_events_per_second": true, "rss_bytes_for_1m_endpoints": true}
	positive := []string{"lifecycles_per_second", "emud_unary_per_second", "echo_unary_per_second", "unary_ratio",
		"watch_events_per_second", "idle_established_endpoints", "endpoints_created_per_second", "rss_bytes"}
	for _, network := range []string{"tcp", "unix"} {
		addr := startDaemon(t, network)
		for _, kind := range bench.Kinds {
			t.Run(network+"/"+kind, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				r, err := bench.Run(ctx, bench.Options{
					Kind: kind, Addr: addr, Duration: 300 * time.Millisecond, Concurrency: 2, Batch: 20,
					Pid: os.Getpid(), Endpoints: 400, Events: 3000,
				})
				if err != nil {
					t.Fatal(err)
				}
				if r.Bench != kind || r.Addr != addr {
					t.Errorf("report names bench %q at %q", r.Bench, r.Addr)
				}
				var names []string
				for _, f := range r.Figures {
					names = append(names, f.Name)
					if targets[f.Name] != (f.Target != "" && f.Met != nil) {
						t.Errorf("figure %s: target %q met %v", f.Name, f.Target, f.Met)
					}
				}
				if strings.Join(names, ",") != strings.Join(want[kind], ",") {
					t.Errorf("figures %v, want %v", names, want[kind])
				}
				for _, name := range positive {
					if f, ok := r.Figure(name); ok && !(f.Value > 0) {
						t.Errorf("%s = %v, want > 0", name, f.Value)
					}
				}
				if f, _ := r.Figure("idle_established_endpoints"); kind == "idle" && f.Value != 400 {
					t.Errorf("idle endpoints %v, want 400", f.Value)
				}
			})
		}
	}
}

// The command line: -o json is a Report whose figures carry their names;
// usage mistakes exit 2, a daemon that is not there exits 1.
func TestBenchCommandLine(t *testing.T) {
	addr := startDaemon(t, "tcp")
	var out, errOut bytes.Buffer
	code := root.Main([]string{"bench", "lifecycles", "--addr", addr, "--duration", "200ms", "--batch", "10", "-o", "json"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var r bench.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	if f, ok := r.Figure("lifecycles_per_second"); !ok || f.Value <= 0 || f.Unit != "lifecycles/s" || f.Target != ">= 100000" {
		t.Errorf("lifecycles_per_second: %+v in %s", f, out.String())
	}
	if !strings.Contains(out.String(), `"name": "lifecycles_per_second"`) {
		t.Errorf("JSON does not name the figure: %s", out.String())
	}

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"bench"}, 2, "bench needs one of: lifecycles, unary, watch, idle"},
		{[]string{"bench", "nope"}, 2, "bench needs one of"},
		{[]string{"bench", "unary", "--duration", "soon"}, 2, "invalid argument"},
		{[]string{"bench", "unary", "-o", "yaml"}, 2, `-o "yaml"`},
		{[]string{"bench", "unary", "--addr", "192.0.2.1:7411"}, 2, "loopback or a unix socket only"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"bench", "unary", "--addr", "unix:" + filepath.Join(t.TempDir(), "none.sock"), "--duration", "100ms"}, 1, "is emud running?"},
	} {
		out.Reset()
		errOut.Reset()
		if code := root.Main(tc.args, &out, &errOut); code != tc.code || !strings.Contains(errOut.String(), tc.msg) {
			t.Errorf("emuctl %v: exit %d, stderr %q; want exit %d and %q", tc.args, code, errOut.String(), tc.code, tc.msg)
		}
	}
}
