package session

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// ListOptions are `session list`'s settings.
type ListOptions struct{ Labels []string }

func newListCmd(g *cmdutil.Globals) *cobra.Command {
	o := &ListOptions{}
	cmd := &cobra.Command{
		Use:     "list [flags]",
		Aliases: []string{"ls"},
		Short:   "List sessions, optionally those with given labels",
		Example: "  emuctl session list\n  emuctl session list --label run=42 -o json",
		Args:    cmdutil.ExactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runList(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringArrayVar(&o.Labels, "label", nil, "only sessions with this label, key=value (repeatable)")
	return cmd
}

func runList(ctx context.Context, g *cmdutil.Globals, o *ListOptions) error {
	labels, err := parseLabels(o.Labels)
	if err != nil {
		return err
	}
	all := &pb.ListSessionsResponse{}
	req := &pb.ListSessionsRequest{Labels: labels}
	err = cmdutil.ListAll(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient, token string) (string, error) {
		req.PageToken = token
		r, err := c.ListSessions(ctx, req)
		if err != nil {
			return "", err
		}
		all.Sessions = append(all.Sessions, r.Sessions...)
		return r.NextPageToken, nil
	})
	if err != nil {
		return err
	}
	return printer.Print(g.Out, g.Output, all, func(w io.Writer) error {
		table(w, all.Sessions)
		return nil
	})
}
