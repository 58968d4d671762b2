// Command emud is the tcpemu daemon: it serves tcpemu.v1.EmulatorService
// (proto/tcpemu/v1) over gRPC, with server reflection and the standard
// health service, on a loopback port or a unix socket.
//
//	emud                                  # 127.0.0.1:7411, JSON logs (console logs on a terminal)
//	emud --listen unix:/tmp/emud.sock     # a unix socket
//	EMUD_LISTEN=127.0.0.1:9000 emud       # every flag has an EMUD_* variable
//	emud --store memory                   # keep nothing on disk
//	emud check --data-dir DIR             # verify a data directory offline
//
// Sessions are journaled to a data directory (--data-dir, default
// $XDG_STATE_HOME/tcpemu or ~/.local/state/tcpemu) and restored on start;
// see --sync for what survives a crash or a power cut.
//
// SIGINT or SIGTERM stops it gracefully: no new calls, calls in flight
// finish, streams end with UNAVAILABLE so clients resume elsewhere or later.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/tcpemu/tcpemu/server"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise the module version from the build info is used.
var version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	listen          string
	logLevel        string
	logFormat       string
	shutdownTimeout time.Duration
	limits          server.Limits
	showVersion     bool
	pprof           string
	gcHeadroom      byteSize
	store           storeOptions
}

// hiddenFlags are left out of --help: tools for the project's own
// measurements, not for users.
var hiddenFlags = map[string]bool{"pprof": true}

// diskLogEvents is the in-memory log of a session whose events the disk
// store keeps: a window for live watchers and recent reads, not the
// history. At the server's default (for --store memory, where the log is
// the history) the logs of 1,000,000 idle endpoints' sessions held
// 390 MB, a third of emud's heap.
const diskLogEvents = 1 << 14

// flags defines the command line; every flag can also be set with the
// environment variable EMUD_<NAME> (upper case, '-' → '_'); the command
// line wins.
func flags(o *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("emud", flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := server.DefaultLimits
	fs.StringVar(&o.listen, "listen", "127.0.0.1:7411", "address to serve on: host:port, or unix:PATH for a unix socket")
	fs.StringVar(&o.logLevel, "log-level", "info", "least severe log level: debug, info, warn, error")
	fs.StringVar(&o.logFormat, "log-format", "auto", "log format: json, console, or auto (console on a terminal, else json)")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long a graceful stop may wait for calls in flight")
	fs.IntVar(&o.limits.MaxSessions, "max-sessions", d.MaxSessions, "sessions alive at once")
	fs.IntVar(&o.limits.MaxEndpointsPerSession, "max-endpoints", d.MaxEndpointsPerSession, "endpoints per session (CreateEndpoint)")
	fs.IntVar(&o.limits.MaxPayload, "max-payload", d.MaxPayload, "octets in one Send, Connect or Inject payload")
	fs.IntVar(&o.limits.MaxMessageSize, "max-message-size", d.MaxMessageSize, "octets in one request message")
	fs.IntVar(&o.limits.MaxAdvanceSteps, "max-advance-steps", d.MaxAdvanceSteps, "pending items one Advance may process")
	fs.IntVar(&o.limits.MaxBatchOperations, "max-batch-operations", d.MaxBatchOperations, "operations in one Batch")
	fs.IntVar(&o.limits.MaxLogEvents, "max-log-events", 0, fmt.Sprintf("events each session keeps in memory; 0: %d with the disk store (its journal keeps "+
		"every event and serves older reads), %d with --store memory (older events are gone)", diskLogEvents, d.MaxLogEvents))
	fs.IntVar(&o.limits.MaxEventsPerCall, "max-call-events", d.MaxEventsPerCall, "events one Advance or Batch may cause (an advance stops early there)")
	storeFlags(fs, &o.store)
	o.gcHeadroom = defaultGCHeadroom
	fs.Var(&o.gcHeadroom, "gc-headroom", "how far the heap may grow past its live data before the garbage collector runs: GOGC's percentage of it, "+
		"but at most this `size` (e.g. 256MiB, 1GiB; 0: GOGC alone), so that a large, long-lived heap — many idle connections — is not doubled. "+
		"A daemon whose heap is large and also churns (lifecycles beside a million idle endpoints) collects more often: raise it to trade memory back for CPU. "+
		"GOMEMLIMIT still applies as usual")
	fs.BoolVar(&o.showVersion, "version", false, "print the version and exit")
	fs.StringVar(&o.pprof, "pprof", "", "serve net/http/pprof on this loopback host:port (hidden: for profiling emud)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: emud [flags]\n       emud check [--data-dir DIR]\n\nServes the tcpemu gRPC API (tcpemu.v1.EmulatorService).\n"+
			"Every flag may also be set as EMUD_<FLAG> (e.g. EMUD_LISTEN=unix:/tmp/emud.sock).\n"+
			"emud check verifies a data directory offline and exits 0 (healthy), 1 (damaged) or 2 (unreadable).\n\nFlags:\n")
		visible := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
		visible.SetOutput(fs.Output())
		fs.VisitAll(func(f *flag.Flag) {
			if !hiddenFlags[f.Name] {
				visible.Var(f.Value, f.Name, f.Usage)
				visible.Lookup(f.Name).DefValue = f.DefValue
			}
		})
		visible.PrintDefaults()
	}
	return fs
}

func envName(flagName string) string {
	return "EMUD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "check" {
		return runCheck(args[1:], stdout, stderr)
	}
	var o options
	fs := flags(&o, stderr)
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := os.LookupEnv(envName(f.Name)); ok && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", envName(f.Name), v, err)
			}
		}
	})
	if envErr != nil {
		fmt.Fprintln(stderr, "emud:", envErr)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "emud: unexpected arguments %q (see emud --help)\n", fs.Args())
		return 2
	}
	if o.showVersion {
		fmt.Fprintln(stdout, "emud", buildVersion())
		return 0
	}
	if o.limits.MaxLogEvents == 0 && o.store.kind != "memory" {
		o.limits.MaxLogEvents = diskLogEvents
	}
	log, err := newLogger(o.logLevel, o.logFormat, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "emud:", err)
		return 2
	}
	if err := serve(o, log); err != nil {
		log.Error().Err(err).Msg("emud stopped")
		return 1
	}
	return 0
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func newLogger(level, format string, w io.Writer) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Logger{}, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	switch format {
	case "auto":
		if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
		}
	case "console":
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: true}
	case "json":
	default:
		return zerolog.Logger{}, fmt.Errorf("--log-format %q: want json, console or auto", format)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// listen opens "host:port" or "unix:PATH". A stale socket file left by a
// daemon that died is removed; one that still answers is in use.
func listen(addr string) (net.Listener, error) {
	path, isUnix := strings.CutPrefix(addr, "unix:")
	if !isUnix {
		return net.Listen("tcp", addr)
	}
	if path == "" {
		return nil, errors.New("--listen unix:PATH needs a path")
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: another daemon is serving on this socket", path)
		}
		_ = os.Remove(path)
	}
	return net.Listen("unix", path)
}

func serve(o options, log zerolog.Logger) error {
	defer startGCTuner(uint64(o.gcHeadroom), nil)()
	lis, err := listen(o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	if o.pprof != "" {
		stopPprof, err := servePprof(o.pprof, log)
		if err != nil {
			lis.Close()
			return err
		}
		defer stopPprof()
	}
	st, torn, err := openStore(o.store, log)
	if err != nil {
		lis.Close()
		return err
	}
	srv := server.New(server.Options{Limits: o.limits, Logger: log, Version: buildVersion(), Store: st,
		SnapshotInputs: o.store.snapInputs})
	if err := recoverSessions(srv, st, torn, log); err != nil {
		lis.Close()
		return err
	}
	defer closeStore(st, log)
	go srv.RunExpiry(time.Second)
	gs := server.NewGRPCServer(srv)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	addr := lis.Addr().String()
	if lis.Addr().Network() == "unix" {
		addr = "unix:" + addr
	}
	// Always written, whatever --log-level says: scripts and tests wait for it.
	log.Log().Str("addr", addr).Str("version", buildVersion()).Msg("listening")

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal now kills the process the default way
	log.Info().Dur("timeout", o.shutdownTimeout).Msg("shutting down: no new calls; streams end with UNAVAILABLE")
	srv.Shutdown()
	done := make(chan struct{})
	go func() { gs.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(o.shutdownTimeout):
		log.Warn().Msg("calls still in flight after the shutdown timeout; stopping them")
		gs.Stop()
	}
	if st != nil {
		n, err := srv.SnapshotAll()
		ev := log.Info()
		if err != nil {
			ev = log.Warn().Err(err)
		}
		ev.Int("sessions", n).Msg("store: snapshots taken (the next start restores them without replay)")
	}
	log.Info().Msg("stopped")
	return nil
}
