package endpoint

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// ListenOptions are `endpoint listen`'s settings.
type ListenOptions struct {
	Name    string
	Backlog uint32
	// HasBacklog says whether --backlog was given (else the profile's).
	HasBacklog bool
}

func newListenCmd(g *cmdutil.Globals) *cobra.Command {
	o := &ListenOptions{}
	cmd := &cobra.Command{
		Use:               "listen SESSION/ID [--backlog N]",
		Short:             "Passive OPEN: the endpoint enters LISTEN (RFC 9293 §3.10.1)",
		Example:           "  emuctl endpoint listen s1/server\n  emuctl endpoint listen s1/server --backlog 1",
		Args:              cmdutil.ExactArgs(1, "SESSION/ID"),
		ValidArgsFunction: g.CompleteEndpoints,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Name, err = nameArg(args); err != nil {
				return err
			}
			o.HasBacklog = cmd.Flags().Changed("backlog")
			return runListen(cmd.Context(), g, o)
		},
	}
	cmd.Flags().Uint32Var(&o.Backlog, "backlog", 0, "children that may wait in SYN-RECEIVED at once (default: the profile's)")
	return cmd
}

func runListen(ctx context.Context, g *cmdutil.Globals, o *ListenOptions) error {
	req := &pb.ListenRequest{Name: o.Name, Language: g.Lang}
	if o.HasBacklog {
		req.Backlog = &o.Backlog
	}
	return mutate(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.ListenResponse, error) {
		return c.Listen(ctx, req)
	}, (*pb.ListenResponse).GetEvents, nil)
}

// ConnectOptions are `endpoint connect`'s settings.
type ConnectOptions struct {
	Name   string
	Remote string
	Data   string
}

func newConnectCmd(g *cmdutil.Globals) *cobra.Command {
	o := &ConnectOptions{}
	cmd := &cobra.Command{
		Use:   "connect SESSION/ID --remote IP:PORT [--data TEXT]",
		Short: "Active OPEN: send a SYN and enter SYN-SENT (RFC 9293 §3.10.1)",
		Long: `Active OPEN to --remote: an endpoint of the session, a closed port (answered with
RST), or an external address. --data is queued and sent once ESTABLISHED.
Advance the clock to let the handshake happen.`,
		Example:           "  emuctl endpoint connect s1/client --remote 10.0.0.2:80\n  emuctl endpoint connect s1/client --remote 10.0.0.2:80 --data 'GET /'",
		Args:              cmdutil.ExactArgs(1, "SESSION/ID"),
		ValidArgsFunction: g.CompleteEndpoints,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Name, err = nameArg(args); err != nil {
				return err
			}
			return runConnect(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.Remote, "remote", "", "the remote address, ip:port (required)")
	cmd.Flags().StringVar(&o.Data, "data", "", "text to send once the connection is ESTABLISHED")
	_ = cmd.MarkFlagRequired("remote")
	return cmd
}

func runConnect(ctx context.Context, g *cmdutil.Globals, o *ConnectOptions) error {
	remote, err := cmdutil.ParseAddress("remote", o.Remote)
	if err != nil {
		return err
	}
	return mutate(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.ConnectResponse, error) {
		return c.Connect(ctx, &pb.ConnectRequest{Name: o.Name, Remote: remote, Data: []byte(o.Data), Language: g.Lang})
	}, (*pb.ConnectResponse).GetEvents, nil)
}

// SendOptions are `endpoint send`'s settings.
type SendOptions struct {
	Name   string
	Data   string
	Urgent bool
}

func newSendCmd(g *cmdutil.Globals) *cobra.Command {
	o := &SendOptions{}
	cmd := &cobra.Command{
		Use:               "send SESSION/ID --data TEXT [--urgent]",
		Short:             "SEND: queue data; it goes out as the window allows (RFC 9293 §3.10.2)",
		Example:           "  emuctl endpoint send s1/client --data hello\n  emuctl endpoint send s1/client --data '!' --urgent",
		Args:              cmdutil.ExactArgs(1, "SESSION/ID"),
		ValidArgsFunction: g.CompleteEndpoints,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Name, err = nameArg(args); err != nil {
				return err
			}
			return runSend(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.Data, "data", "", "the text to send (required)")
	cmd.Flags().BoolVar(&o.Urgent, "urgent", false, "mark the data urgent (URG and the urgent pointer)")
	_ = cmd.MarkFlagRequired("data")
	return cmd
}

func runSend(ctx context.Context, g *cmdutil.Globals, o *SendOptions) error {
	return mutate(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.SendResponse, error) {
		return c.Send(ctx, &pb.SendRequest{Name: o.Name, Data: []byte(o.Data), Urgent: o.Urgent, Language: g.Lang})
	}, (*pb.SendResponse).GetEvents, nil)
}

// ReceiveOptions are `endpoint receive`'s settings.
type ReceiveOptions struct {
	Name string
	Max  uint32
}

func newReceiveCmd(g *cmdutil.Globals) *cobra.Command {
	o := &ReceiveOptions{}
	cmd := &cobra.Command{
		Use:   "receive SESSION/ID [--max N]",
		Short: "RECEIVE: read delivered data; never waits (RFC 9293 §3.10.3)",
		Long: `Reads the data that has arrived in order. It never waits: advance the clock and
call again. The table output quotes the data (Go syntax); -o json has it in base64.`,
		Example:           "  emuctl endpoint receive s1/server-1\n  emuctl endpoint receive s1/server-1 --max 3 -o json",
		Args:              cmdutil.ExactArgs(1, "SESSION/ID"),
		ValidArgsFunction: g.CompleteEndpoints,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Name, err = nameArg(args); err != nil {
				return err
			}
			return runReceive(cmd.Context(), g, o)
		},
	}
	cmd.Flags().Uint32Var(&o.Max, "max", 0, "read at most this many octets (0: everything readable)")
	return cmd
}

func runReceive(ctx context.Context, g *cmdutil.Globals, o *ReceiveOptions) error {
	return mutate(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.ReceiveResponse, error) {
		return c.Receive(ctx, &pb.ReceiveRequest{Name: o.Name, MaxLength: o.Max, Language: g.Lang})
	}, (*pb.ReceiveResponse).GetEvents, func(r *pb.ReceiveResponse) string {
		s := fmt.Sprintf("received %d octets: %q", len(r.Data), r.Data)
		if r.EndOfStream {
			s += " (end of stream: the peer's FIN has arrived and everything before it is read)"
		}
		return s
	})
}

// NameOptions are the settings of the verbs that take only an endpoint:
// close, abort, delete.
type NameOptions struct{ Name string }

func newNameCmd(g *cmdutil.Globals, use, short, example string, run func(context.Context, *cmdutil.Globals, *NameOptions) error) *cobra.Command {
	o := &NameOptions{}
	return &cobra.Command{
		Use:               use + " SESSION/ID",
		Short:             short,
		Example:           example,
		Args:              cmdutil.ExactArgs(1, "SESSION/ID"),
		ValidArgsFunction: g.CompleteEndpoints,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Name, err = nameArg(args); err != nil {
				return err
			}
			return run(cmd.Context(), g, o)
		},
	}
}

func newCloseCmd(g *cmdutil.Globals) *cobra.Command {
	return newNameCmd(g, "close", "CLOSE: no more data from this side; a FIN follows the queued data (RFC 9293 §3.10.4)",
		"  emuctl endpoint close s1/client\n  emuctl clock advance s1 --until-idle   # the FIN, its ACK, TIME-WAIT", runClose)
}

func runClose(ctx context.Context, g *cmdutil.Globals, o *NameOptions) error {
	return mutate(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.CloseResponse, error) {
		return c.Close(ctx, &pb.CloseRequest{Name: o.Name, Language: g.Lang})
	}, (*pb.CloseResponse).GetEvents, nil)
}

func newAbortCmd(g *cmdutil.Globals) *cobra.Command {
	return newNameCmd(g, "abort", "ABORT: a RST if synchronized, and the connection is gone (RFC 9293 §3.10.5)",
		"  emuctl endpoint abort s1/client", runAbort)
}

func runAbort(ctx context.Context, g *cmdutil.Globals, o *NameOptions) error {
	return mutate(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.AbortResponse, error) {
		return c.Abort(ctx, &pb.AbortRequest{Name: o.Name, Language: g.Lang})
	}, (*pb.AbortResponse).GetEvents, nil)
}

func newDeleteCmd(g *cmdutil.Globals) *cobra.Command {
	cmd := newNameCmd(g, "delete", "Delete an endpoint, aborting its connection first if it has one",
		"  emuctl endpoint delete s1/client", runDelete)
	cmd.Aliases = []string{"rm"}
	return cmd
}

func runDelete(ctx context.Context, g *cmdutil.Globals, o *NameOptions) error {
	return mutate(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.DeleteEndpointResponse, error) {
		return c.DeleteEndpoint(ctx, &pb.DeleteEndpointRequest{Name: o.Name, Language: g.Lang})
	}, (*pb.DeleteEndpointResponse).GetEvents, func(*pb.DeleteEndpointResponse) string { return "deleted " + o.Name })
}
