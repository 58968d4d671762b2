package endpoint

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// GetOptions are `endpoint get`'s settings.
type GetOptions struct{ Name string }

func newGetCmd(g *cmdutil.Globals) *cobra.Command {
	o := &GetOptions{}
	return &cobra.Command{
		Use:               "get SESSION/ID",
		Short:             "Show an endpoint: state, TCB, buffers, RTO, timers, counters (RFC 9293's STATUS)",
		Example:           "  emuctl endpoint get s1/client\n  emuctl endpoint get s1/client -o json | jq .tcb",
		Args:              cmdutil.ExactArgs(1, "SESSION/ID"),
		ValidArgsFunction: g.CompleteEndpoints,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Name, err = nameArg(args); err != nil {
				return err
			}
			return runGet(cmd.Context(), g, o)
		},
	}
}

func runGet(ctx context.Context, g *cmdutil.Globals, o *GetOptions) error {
	e, err := cmdutil.Do(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.Endpoint, error) {
		return c.GetEndpoint(ctx, &pb.GetEndpointRequest{Name: o.Name})
	})
	if err != nil {
		return err
	}
	return printer.Print(g.Out, g.Output, e, func(w io.Writer) error {
		detail(w, e)
		return nil
	})
}

// ListOptions are `endpoint list`'s settings.
type ListOptions struct {
	Session  string
	Listener string // ID, SESSION/ID or full name
	States   []string
}

func newListCmd(g *cmdutil.Globals) *cobra.Command {
	o := &ListOptions{}
	cmd := &cobra.Command{
		Use:     "list SESSION [--listener ID] [--state S...]",
		Aliases: []string{"ls"},
		Short:   "List a session's endpoints, or one listener's children",
		Example: `  emuctl endpoint list s1
  emuctl endpoint list s1 --listener server --state ESTABLISHED   # accept
  emuctl endpoint list s1 --state time-wait,closed -o json`,
		Args:              cmdutil.ExactArgs(1, "a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Session, err = cmdutil.SessionName(args[0]); err != nil {
				return err
			}
			return runList(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.Listener, "listener", "", "only the children this listener forked (its ID)")
	cmd.Flags().StringSliceVar(&o.States, "state", nil, "only endpoints in these states (repeatable or comma-separated): LISTEN, ESTABLISHED, TIME-WAIT, ...")
	_ = cmd.RegisterFlagCompletionFunc("state", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for i := 1; i < len(pb.State_name); i++ {
			out = append(out, printer.StateName(pb.State(i)))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func runList(ctx context.Context, g *cmdutil.Globals, o *ListOptions) error {
	req := &pb.ListEndpointsRequest{Parent: o.Session}
	if o.Listener != "" {
		req.Listener = o.Listener
		if !strings.HasPrefix(o.Listener, "sessions/") {
			id := o.Listener[strings.LastIndex(o.Listener, "/")+1:]
			req.Listener = o.Session + "/endpoints/" + id
		}
	}
	for _, s := range o.States {
		st, ok := printer.ParseState(s)
		if !ok {
			return cmdutil.Usagef("--state %q: not a TCP state (LISTEN, SYN-SENT, ESTABLISHED, TIME-WAIT, ...)", s)
		}
		req.States = append(req.States, st)
	}
	all := &pb.ListEndpointsResponse{}
	err := cmdutil.ListAll(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient, token string) (string, error) {
		req.PageToken = token
		r, err := c.ListEndpoints(ctx, req)
		if err != nil {
			return "", err
		}
		all.Endpoints = append(all.Endpoints, r.Endpoints...)
		return r.NextPageToken, nil
	})
	if err != nil {
		return err
	}
	return printer.Print(g.Out, g.Output, all, func(w io.Writer) error {
		table(w, all.Endpoints)
		return nil
	})
}
