// Package watch is `emuctl watch`: follow a session's events live, and
// resume where it left off when the connection drops.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/events"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Options are `emuctl watch`'s settings.
type Options struct {
	Session   string
	After     uint64
	Kinds     []string
	Endpoints []string
	// Count stops after this many events; 0: until interrupted.
	Count uint64
}

// NewCmd is `emuctl watch`.
func NewCmd(g *cmdutil.Globals) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "watch SESSION [--after N] [--kind K...] [--endpoint E...]",
		Short: "Follow a session's events live, until interrupted",
		Long: `Prints SESSION's events after --after (0: the whole log first), then follows new
ones as other commands cause them, until Ctrl-C (exit 0) or the session is
deleted (exit 1, NOT_FOUND). When the connection to emud drops — the daemon
restarts — watch reconnects and resumes after the last seq it printed, with no
gap and no duplicate.

Output: one line per event (table); --ladder a live ladder diagram (on a
terminal redrawn after every batch; piped, only new lines are written, and a
new column reprints the ladder after a blank line); -o json prints one JSON object per line
(JSON lines), -o yaml one YAML document per event.`,
		Example: `  emuctl watch s1
  emuctl watch s1 --kind state-change --endpoint client
  emuctl watch s1 --after 40 -o json | jq -c '{seq, kind}'
  emuctl watch s1 --count 10   # stop after ten events
  emuctl watch s1 --ladder`,
		Args:              cmdutil.ExactArgs(1, "a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Session, err = cmdutil.SessionName(args[0]); err != nil {
				return err
			}
			return run(cmd.Context(), g, o)
		},
	}
	events.AddFilterFlags(cmd, &o.After, &o.Kinds, &o.Endpoints)
	cmd.Flags().Uint64Var(&o.Count, "count", 0, "stop after this many events (0: until interrupted)")
	return cmd
}

// errDone ends the watch after --count events.
var errDone = errors.New("done")

func run(ctx context.Context, g *cmdutil.Globals, o *Options) error {
	kinds, err := printer.ParseKinds(o.Kinds)
	if err != nil {
		return err
	}
	c, done, err := g.Client()
	if err != nil {
		return err
	}
	defer done()
	sink := printer.SinkFor(g, g.Out)
	defer sink.Close()
	w := &watcher{g: g, o: o, sink: sink, after: o.After}
	req := &pb.WatchRequest{Session: o.Session, Kinds: kinds, Endpoints: printer.EndpointIDs(o.Endpoints), Language: g.Lang}
	backoff := 100 * time.Millisecond
	for {
		req.AfterSeq = w.after
		err := w.stream(ctx, c, req)
		switch {
		case errors.Is(err, errDone):
			return nil
		case ctx.Err() != nil:
			return nil // interrupted: a normal end of a watch
		case status.Code(err) != codes.Unavailable || !w.connected:
			// Never connected (wrong --addr, no daemon), or the server
			// ended the stream for a reason (NOT_FOUND, OUT_OF_RANGE).
			return err
		}
		fmt.Fprintf(g.ErrOut, "emuctl watch: connection lost (%s); resuming after #%d\n", status.Convert(err).Message(), w.after)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

type watcher struct {
	g         *cmdutil.Globals
	o         *Options
	sink      printer.Sink
	after     uint64 // the last seq printed
	printed   uint64
	connected bool // a stream has delivered at least one message
}

// stream follows one Watch call until it ends.
func (w *watcher) stream(ctx context.Context, c pb.EmulatorServiceClient, req *pb.WatchRequest) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := c.Watch(ctx, req)
	if err != nil {
		return err
	}
	for {
		r, err := st.Recv()
		if err == io.EOF {
			return status.Error(codes.Unavailable, "the stream ended")
		}
		if err != nil {
			return err
		}
		w.connected = true
		evs := r.Events
		if w.o.Count > 0 && w.printed+uint64(len(evs)) > w.o.Count {
			evs = evs[:w.o.Count-w.printed]
		}
		if err := w.print(evs); err != nil {
			return err
		}
		if len(evs) > 0 {
			w.after = evs[len(evs)-1].Seq
			w.printed += uint64(len(evs))
		}
		if w.o.Count > 0 && w.printed >= w.o.Count {
			return errDone
		}
	}
}

func (w *watcher) print(evs []*pb.Event) error {
	switch w.g.Output {
	case "json":
		for _, ev := range evs {
			b, err := printer.JSONLine(ev)
			if err != nil {
				return err
			}
			if _, err := w.g.Out.Write(b); err != nil {
				return err
			}
		}
		return nil
	case "yaml":
		for _, ev := range evs {
			b, err := printer.YAML(ev)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w.g.Out, "---\n%s", b); err != nil {
				return err
			}
		}
		return nil
	}
	return w.sink.Write(evs)
}
