// Package export is `emuctl export`: a whole session's event log as JSON
// lines, a ladder diagram or a Mermaid sequenceDiagram, for documents and
// archives.
package export

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/events"
	"github.com/tcpemu/tcpemu/cmd/emuctl/ladder"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Formats are the values --format accepts.
var Formats = []string{"jsonl", "ladder", "mermaid"}

// Options are `emuctl export`'s settings.
type Options struct {
	Session string
	Format  string
}

// NewCmd is `emuctl export`.
func NewCmd(g *cmdutil.Globals) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "export SESSION [--format jsonl|ladder|mermaid]",
		Short: "Write a session's whole event log as JSON lines, a ladder or Mermaid",
		Long: `Reads SESSION's event log from the start, page by page, and writes it as

  jsonl    one event per line, the API's JSON (as 'watch -o json'): for scripts
  ladder   the ladder diagram, with explanations in --lang; plain text unless
           the output is a terminal and NO_COLOR is unset
  mermaid  a Mermaid sequenceDiagram, for Markdown documents`,
		Example: `  emuctl export s1 --format jsonl > s1.jsonl
  emuctl export s1 --format ladder --lang ko > s1.txt
  emuctl export s1 --format mermaid > s1.mmd`,
		Args:              cmdutil.ExactArgs(1, "a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Session, err = cmdutil.SessionName(args[0]); err != nil {
				return err
			}
			if !valid(o.Format) {
				return cmdutil.Usagef("--format %q: want jsonl, ladder or mermaid", o.Format)
			}
			return run(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "jsonl", "jsonl, ladder or mermaid")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(Formats, cobra.ShellCompDirectiveNoFileComp))
	// --format, not -o, says what is written.
	cmd.Annotations = map[string]string{cmdutil.OutputsAnnotation: "table"}
	return cmd
}

func valid(f string) bool {
	for _, v := range Formats {
		if v == f {
			return true
		}
	}
	return false
}

func run(ctx context.Context, g *cmdutil.Globals, o *Options) error {
	all, err := events.List(ctx, g, &pb.ListEventsRequest{Parent: o.Session, Language: g.Lang})
	if err != nil {
		return err
	}
	return write(g.Out, o.Format, all.Events, printer.LadderOptions(g, g.Out))
}

func write(w io.Writer, format string, evs []*pb.Event, lo ladder.Options) error {
	switch format {
	case "ladder":
		return ladder.Draw(w, evs, lo)
	case "mermaid":
		return ladder.Mermaid(w, evs, lo)
	}
	for _, ev := range evs {
		b, err := printer.JSONLine(ev)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
