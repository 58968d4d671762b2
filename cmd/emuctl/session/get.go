package session

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// GetOptions are `session get`'s settings.
type GetOptions struct{ Name string }

func newGetCmd(g *cmdutil.Globals) *cobra.Command {
	o := &GetOptions{}
	return &cobra.Command{
		Use:               "get SESSION",
		Short:             "Show a session: clock, events, pending items, partitions, profile values",
		Example:           "  emuctl session get s1\n  emuctl session get s1 -o yaml",
		Args:              cmdutil.ExactArgs(1, "a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Name, err = cmdutil.SessionName(args[0]); err != nil {
				return err
			}
			return runGet(cmd.Context(), g, o)
		},
	}
}

func runGet(ctx context.Context, g *cmdutil.Globals, o *GetOptions) error {
	c, done, err := g.Client()
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := cmdutil.CallContext(ctx)
	defer cancel()
	s, err := c.GetSession(ctx, &pb.GetSessionRequest{Name: o.Name})
	if err != nil {
		return err
	}
	return printer.Print(g.Out, g.Output, s, func(w io.Writer) error {
		isn := ""
		if s.FixedIsn != nil {
			isn = fmt.Sprint(*s.FixedIsn)
		}
		var parts []string
		for _, p := range s.Partitions {
			arrow := " <-/-> "
			if p.OneWay {
				arrow = " -/-> "
			}
			parts = append(parts, p.A.GetIp()+arrow+p.B.GetIp())
		}
		printer.KV(w,
			"name", s.Name,
			"profile", s.Profile,
			"seed", fmt.Sprint(s.Seed),
			"fixed isn", isn,
			"language", s.Language,
			"labels", labels(s.Labels),
			"now", printer.Duration(s.Now),
			"events", fmt.Sprintf("%d..%d", s.FirstEventSeq, s.LastEventSeq),
			"endpoints", fmt.Sprint(s.EndpointCount),
			"pending", fmt.Sprint(s.Pending),
			"next deadline", printer.Duration(s.NextDeadline),
			"partitions", strings.Join(parts, ", "),
			"overrides", strings.Join(printer.Fields(s.ProfileOverrides), " "),
		)
		for i, kv := range printer.Fields(s.EffectiveProfile) {
			key := ""
			if i == 0 {
				key = "profile values:"
			}
			fmt.Fprintf(w, "%s\t%s\n", key, kv)
		}
		return nil
	})
}
