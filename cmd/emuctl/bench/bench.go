// Package bench is `emuctl bench`: the load tool behind the API's figures
// (issue 4). Each kind measures one figure against a running emud on
// loopback or a unix socket:
//
//	lifecycles  full connection lifecycles/s through Batch
//	unary       GetSession calls/s next to a bare gRPC-go echo server's
//	watch       events/s one Watch subscriber receives
//	idle        idle ESTABLISHED endpoints and the daemon's RSS
//
// `-o json` names every figure; the names are stable for scripts.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Kinds are the benches, in the order `--help` lists them.
var Kinds = []string{"lifecycles", "unary", "watch", "idle"}

// Options are one bench run's settings.
type Options struct {
	Kind        string
	Addr        string
	Duration    time.Duration
	Concurrency int // 0: the kind's default
	Batch       int // 0: the kind's default
	// Pid is the daemon's process id, for RSS and CPU from /proc; 0: unknown.
	Pid int
	// Endpoints is how many idle ESTABLISHED endpoints `idle` creates.
	Endpoints int
	// Events is how many events `watch` puts in the log before replaying it.
	Events int
	// Keep leaves the bench's sessions on the daemon instead of deleting them.
	Keep bool
	// Progress receives a line per phase; nil: silent.
	Progress io.Writer
	// CPUProfile, when set, is where the load tool's own CPU profile goes
	// (to tell the tool's share of a shared machine from the daemon's).
	CPUProfile string
}

// Figure is one named measurement.
type Figure struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Target is the goal, e.g. ">= 100000"; empty when none.
	Target string `json:"target,omitempty"`
	// Met says whether Value reaches Target; absent when there is none.
	Met *bool `json:"met,omitempty"`
}

// Report is what a run prints.
type Report struct {
	Bench       string   `json:"bench"`
	Addr        string   `json:"addr"`
	Duration    string   `json:"duration"`
	Concurrency int      `json:"concurrency"`
	Batch       int      `json:"batch,omitempty"`
	GOMAXPROCS  int      `json:"gomaxprocs"`
	Figures     []Figure `json:"figures"`
	Notes       []string `json:"notes,omitempty"`
}

// Figure returns the figure called name, or false.
func (r *Report) Figure(name string) (Figure, bool) {
	for _, f := range r.Figures {
		if f.Name == name {
			return f, true
		}
	}
	return Figure{}, false
}

func (r *Report) add(name string, value float64, unit string) {
	r.Figures = append(r.Figures, Figure{Name: name, Value: value, Unit: unit})
}

// addTarget adds a figure with a goal: atLeast says whether the goal is a
// floor (>=) or a ceiling (<=).
func (r *Report) addTarget(name string, value float64, unit string, goal float64, atLeast bool) {
	met := value >= goal
	op := ">="
	if !atLeast {
		met, op = value <= goal, "<="
	}
	r.Figures = append(r.Figures, Figure{Name: name, Value: value, Unit: unit, Target: op + " " + human(goal), Met: &met})
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// NewCmd is `emuctl bench`.
func NewCmd(g *cmdutil.Globals) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "bench lifecycles|unary|watch|idle",
		Short: "Measure emud: lifecycles/s, unary overhead, watch events/s, idle endpoints' memory",
		Long: `Measures a running emud (loopback or unix socket only) and prints its figures.

  lifecycles  Full connection lifecycles/s through Batch: each session listens once;
              each lifecycle binds a client, connects, advances, sends a byte each way,
              closes both sides, advances past TIME-WAIT and deletes both endpoints.
              Returned events are filtered to ENDPOINT_REMOVED, which also proves that
              every endpoint reached CLOSED. --batch lifecycles per Batch call, one
              session per --concurrency worker.
  unary       GetSession calls/s on emud and calls/s on a bare gRPC-go echo server this
              tool starts in a process of its own on loopback (or a unix socket, like --addr), in
              four alternating rounds of --duration/4 each, and their ratio.
  watch       Fills a session's log with --events events, then replays it to one Watch
              subscriber (explanations omitted) for --duration: events/s delivered.
  idle        Creates --endpoints idle ESTABLISHED endpoints (half clients, half a
              listener's children) and reads the daemon's RSS from /proc/PID/status
              when --pid is given (else the RSS figures are skipped, with a note).
              Run it against a freshly started daemon: memory that earlier runs
              freed is reused before the RSS grows.

With --pid, every kind also reports the daemon's CPU use during the measurement.`,
		Example: `  emud --log-level warn &
  emuctl bench lifecycles --duration 10s
  emuctl bench unary -o json
  emuctl bench idle --endpoints 100000 --pid $(pgrep -n emud)
  emuctl bench watch --addr unix:/tmp/emud.sock`,
		ValidArgs: Kinds,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 && args[0] == echoKind {
				return nil
			}
			if len(args) != 1 || !valid(args[0]) {
				return cmdutil.Usagef("bench needs one of: %s", strings.Join(Kinds, ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Kind, o.Addr, o.Progress = args[0], g.Addr, g.ErrOut
			if o.Kind == echoKind { // unary's echo, in its own process (echo.go)
				return serveEcho(o.Addr, g.Out)
			}
			if o.CPUProfile != "" {
				f, err := os.Create(o.CPUProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			r, err := Run(cmd.Context(), *o)
			if err != nil {
				return err
			}
			return Print(g.Out, g.Output, r)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.Duration, "duration", 5*time.Second, "how long each measurement runs")
	f.IntVarP(&o.Concurrency, "concurrency", "c", 0, "workers calling at once (0: lifecycles 2×GOMAXPROCS, unary 32, idle 2; watch has one subscriber)")
	f.IntVar(&o.Batch, "batch", 0, "lifecycles (or idle connections) per Batch call (0: 500 for lifecycles, 2000 for idle)")
	f.IntVar(&o.Pid, "pid", 0, "the daemon's process id, to read its RSS and CPU time from /proc")
	f.IntVar(&o.Endpoints, "endpoints", 100000, "idle: ESTABLISHED endpoints to create (an even number)")
	f.IntVar(&o.Events, "events", 500000, "watch: events to put in the log before replaying it")
	f.BoolVar(&o.Keep, "keep", false, "leave the bench's sessions on the daemon")
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write emuctl's own CPU profile to this file")
	_ = f.MarkHidden("cpuprofile")
	return cmd
}

func valid(kind string) bool {
	for _, k := range Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Run measures one kind and returns its report.
func Run(ctx context.Context, o Options) (*Report, error) {
	if !valid(o.Kind) {
		return nil, cmdutil.Usagef("bench %q: want one of %s", o.Kind, strings.Join(Kinds, ", "))
	}
	if !cmdutil.IsLocal(o.Addr) {
		return nil, cmdutil.Usagef("--addr %s: bench measures a daemon on loopback or a unix socket only", o.Addr)
	}
	if o.Duration <= 0 {
		return nil, cmdutil.Usagef("--duration must be positive")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	r := &Report{Bench: o.Kind, Addr: o.Addr, Duration: o.Duration.String(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	b := &bench{o: o, r: r, tag: fmt.Sprintf("bench-%s-%d-%d", o.Kind, os.Getpid(), time.Now().UnixNano()%1e6)}
	defer b.cleanup()
	var err error
	switch o.Kind {
	case "lifecycles":
		err = b.lifecycles(ctx)
	case "unary":
		err = b.unary(ctx)
	case "watch":
		err = b.watch(ctx)
	case "idle":
		err = b.idle(ctx)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// bench is one run's state: its connections and the sessions to delete.
type bench struct {
	o        Options
	r        *Report
	tag      string // prefix of the session IDs this run creates
	conns    []*grpc.ClientConn
	sessions []string
}

func (b *bench) progress(format string, args ...any) {
	if b.o.Progress != nil {
		fmt.Fprintf(b.o.Progress, "bench %s: %s\n", b.o.Kind, fmt.Sprintf(format, args...))
	}
}

// clients dials n connections to the daemon: several HTTP/2 connections
// spread the load over the daemon's reader goroutines.
func (b *bench) clients(n int) ([]pb.EmulatorServiceClient, error) {
	out := make([]pb.EmulatorServiceClient, n)
	for i := range out {
		conn, err := cmdutil.Dial(b.o.Addr)
		if err != nil {
			return nil, err
		}
		b.conns = append(b.conns, conn)
		out[i] = pb.NewEmulatorServiceClient(conn)
	}
	return out, nil
}

// createSession makes a session named after the run and remembers it.
func (b *bench) createSession(ctx context.Context, c pb.EmulatorServiceClient, suffix string) (string, error) {
	id := b.tag + "-" + suffix
	s, err := c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: id, Session: &pb.Session{Seed: 1}})
	if err != nil {
		return "", fmt.Errorf("create session %s on %s: %w (is emud running? start it or set --addr)", id, b.o.Addr, err)
	}
	b.sessions = append(b.sessions, s.Name)
	return s.Name, nil
}

func (b *bench) cleanup() {
	if !b.o.Keep && len(b.conns) > 0 {
		c := pb.NewEmulatorServiceClient(b.conns[0])
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		for _, s := range b.sessions {
			_, _ = c.DeleteSession(ctx, &pb.DeleteSessionRequest{Name: s})
		}
		cancel()
	}
	for _, c := range b.conns {
		c.Close()
	}
}

// Print writes r as a table or as JSON.
func Print(w io.Writer, format string, r *Report) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(w, "bench %s against %s for %s (concurrency %d", r.Bench, r.Addr, r.Duration, r.Concurrency)
	if r.Batch > 0 {
		fmt.Fprintf(w, ", batch %d", r.Batch)
	}
	fmt.Fprintf(w, ", GOMAXPROCS %d)\n\n", r.GOMAXPROCS)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tVALUE\tUNIT\tTARGET\tMET\t")
	for _, f := range r.Figures {
		met := ""
		if f.Met != nil {
			met = map[bool]string{true: "yes", false: "NO"}[*f.Met]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", f.Name, human(f.Value), f.Unit, f.Target, met)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	return nil
}

func human(v float64) string {
	if v == float64(int64(v)) && v < 1e15 && v > -1e15 {
		return fmt.Sprintf("%d", int64(v))
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3f", v)
}
