// Package events is `emuctl events`: page through a session's event log.
package events

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/ladder"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Options are `emuctl events`' settings.
type Options struct {
	Session   string
	After     uint64
	Kinds     []string
	Endpoints []string
	// Mermaid prints a Mermaid sequenceDiagram instead of lines.
	Mermaid bool
}

// NewCmd is `emuctl events`.
func NewCmd(g *cmdutil.Globals) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "events SESSION [--after N] [--kind K...] [--endpoint E...]",
		Short: "Print a session's event log: every state change, segment, timer and call, and why",
		Long: `Prints the events of SESSION's log after --after (0: from the start), one per
line: #seq, virtual time, endpoint, kind, details, and the rule with its
explanation (--lang en|ko). -o json prints the whole ListEventsResponse.

Kinds: state-change, segment-sent, segment-delivered, segment-dropped,
segment-external, segment-duplicated, segment-delayed, timer-armed, timer-fired,
timer-cancelled, call, data-delivered, error-signalled, endpoint-created,
endpoint-removed, note, link.

--ladder draws the events as a ladder diagram, --mermaid as a Mermaid
sequenceDiagram for documents (see also 'emuctl export').

To follow new events as they happen, use 'emuctl watch'.`,
		Example: `  emuctl events s1
  emuctl events s1 --kind state-change --endpoint client
  emuctl events s1 --after 12 --kind segment-sent,segment-dropped -o json
  emuctl events s1 --lang ko
  emuctl events s1 --ladder
  emuctl events s1 --mermaid > handshake.mmd`,
		Args:              cmdutil.ExactArgs(1, "a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Session, err = cmdutil.SessionName(args[0]); err != nil {
				return err
			}
			return run(cmd.Context(), g, o)
		},
	}
	AddFilterFlags(cmd, &o.After, &o.Kinds, &o.Endpoints)
	cmd.Flags().BoolVar(&o.Mermaid, "mermaid", false, "print a Mermaid sequenceDiagram")
	return cmd
}

// AddFilterFlags adds --after, --kind and --endpoint, shared with watch.
func AddFilterFlags(cmd *cobra.Command, after *uint64, kinds, endpoints *[]string) {
	f := cmd.Flags()
	f.Uint64Var(after, "after", 0, "only events after this seq (0: from the start)")
	f.StringSliceVar(kinds, "kind", nil, "only events of these kinds (repeatable or comma-separated)")
	f.StringSliceVar(endpoints, "endpoint", nil, "only events of these endpoint IDs (repeatable or comma-separated)")
	_ = cmd.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions(printer.KindNames(), cobra.ShellCompDirectiveNoFileComp))
}

func run(ctx context.Context, g *cmdutil.Globals, o *Options) error {
	kinds, err := printer.ParseKinds(o.Kinds)
	if err != nil {
		return err
	}
	req := &pb.ListEventsRequest{Parent: o.Session, AfterSeq: o.After, Kinds: kinds, Endpoints: printer.EndpointIDs(o.Endpoints), Language: g.Lang}
	all, err := List(ctx, g, req)
	if err != nil {
		return err
	}
	// w is a tabwriter over g.Out: colours and width are g.Out's.
	return printer.Print(g.Out, g.Output, all, func(w io.Writer) error {
		switch {
		case o.Mermaid:
			return ladder.Mermaid(w, all.Events, printer.LadderOptions(g, g.Out))
		case g.Ladder:
			return ladder.Draw(w, all.Events, printer.LadderOptions(g, g.Out))
		}
		return printer.Events(w, all.Events, g.Colorful(g.Out))
	})
}

// List reads every event req asks for, page by page.
func List(ctx context.Context, g *cmdutil.Globals, req *pb.ListEventsRequest) (*pb.ListEventsResponse, error) {
	all := &pb.ListEventsResponse{}
	err := cmdutil.ListAll(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient, token string) (string, error) {
		req.PageToken = token
		r, err := c.ListEvents(ctx, req)
		if err != nil {
			return "", err
		}
		all.Events = append(all.Events, r.Events...)
		return r.NextPageToken, nil
	})
	return all, err
}
