package endpoint

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// CreateOptions are `endpoint create`'s settings.
type CreateOptions struct {
	Session string // "sessions/s1"
	ID      string // empty: the server picks one
	Local   string // ip:port
	Set     []string
}

func newCreateCmd(g *cmdutil.Globals) *cobra.Command {
	o := &CreateOptions{}
	cmd := &cobra.Command{
		Use:   "create SESSION/ID --local IP:PORT [flags]",
		Short: "Bind an endpoint to a local ip:port (it starts CLOSED)",
		Long: `Binds an endpoint (CLOSED) to --local ip:port. Give SESSION alone and the server
picks the ID. --set overrides the session's profile values for this endpoint; the
keys are: ` + strings.Join(cmdutil.OverrideKeys(), ", ") + `.`,
		Example: `  emuctl endpoint create s1/server --local 10.0.0.2:80
  emuctl endpoint create s1/client --local 10.0.0.1:40000 --set rcv_wnd=1000
  emuctl endpoint create s1 --local 10.0.0.3:5000 -o json   # ID picked by the server`,
		Args:              cmdutil.ExactArgs(1, "SESSION/ID (or SESSION)"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if name, err := cmdutil.EndpointName(args[0]); err == nil {
				o.Session, o.ID = cmdutil.SessionOf(name), cmdutil.LastSegment(name)
			} else if o.Session, err = cmdutil.SessionName(args[0]); err != nil {
				return cmdutil.Usagef("%q: want SESSION/ID (s1/client) or SESSION", args[0])
			}
			return runCreate(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.Local, "local", "", "the local address, ip:port (required)")
	cmd.Flags().StringArrayVar(&o.Set, "set", nil, "override a profile value for this endpoint, key=value (repeatable)")
	_ = cmd.MarkFlagRequired("local")
	return cmd
}

func runCreate(ctx context.Context, g *cmdutil.Globals, o *CreateOptions) error {
	local, err := cmdutil.ParseAddress("local", o.Local)
	if err != nil {
		return err
	}
	po, err := cmdutil.ParseOverrides(o.Set)
	if err != nil {
		return err
	}
	return mutate(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.CreateEndpointResponse, error) {
		return c.CreateEndpoint(ctx, &pb.CreateEndpointRequest{Parent: o.Session, EndpointId: o.ID, Language: g.Lang,
			Endpoint: &pb.Endpoint{Local: local, ProfileOverrides: po}})
	}, (*pb.CreateEndpointResponse).GetEvents, func(r *pb.CreateEndpointResponse) string {
		return fmt.Sprintf("created %s on %s", r.GetEndpoint().GetName(), cmdutil.FormatAddress(r.GetEndpoint().GetLocal()))
	})
}
