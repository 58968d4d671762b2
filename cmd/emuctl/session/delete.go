package session

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// DeleteOptions are `session delete`'s settings.
type DeleteOptions struct{ Name string }

func newDeleteCmd(g *cmdutil.Globals) *cobra.Command {
	o := &DeleteOptions{}
	return &cobra.Command{
		Use:               "delete SESSION",
		Aliases:           []string{"rm"},
		Short:             "Delete a session with everything in it; its watchers end with NOT_FOUND",
		Example:           "  emuctl session delete s1",
		Args:              cmdutil.ExactArgs(1, "a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.Name, err = cmdutil.SessionName(args[0]); err != nil {
				return err
			}
			return runDelete(cmd.Context(), g, o)
		},
	}
}

func runDelete(ctx context.Context, g *cmdutil.Globals, o *DeleteOptions) error {
	c, done, err := g.Client()
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := cmdutil.CallContext(ctx)
	defer cancel()
	r, err := c.DeleteSession(ctx, &pb.DeleteSessionRequest{Name: o.Name})
	if err != nil {
		return err
	}
	return printer.Print(g.Out, g.Output, r, func(w io.Writer) error {
		fmt.Fprintf(w, "deleted %s\n", o.Name)
		return nil
	})
}
