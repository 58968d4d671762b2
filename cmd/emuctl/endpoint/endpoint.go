// Package endpoint is `emuctl endpoint`: bind virtual sockets and make the
// user calls of RFC 9293 §3.9.1 on them — listen, connect, send, receive,
// close, abort — and inspect them.
package endpoint

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// NewCmd is `emuctl endpoint`.
func NewCmd(g *cmdutil.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "endpoint <command>",
		Aliases: []string{"endpoints", "ep"},
		Short:   "Bind endpoints and make the user calls: listen, connect, send, receive, close, abort",
		Long: `An endpoint is a virtual socket bound to ip:port in a session, named SESSION/ID
(s1/client). A listener stays in LISTEN and forks a child endpoint for each
acceptable SYN; 'endpoint list SESSION --listener ID' finds them ("accept").

Every call prints the events it caused. Time does not move by itself: follow a
call with 'emuctl clock advance SESSION' to let segments arrive and timers fire.`,
		Example: `  emuctl endpoint create s1/server --local 10.0.0.2:80
  emuctl endpoint listen s1/server
  emuctl endpoint create s1/client --local 10.0.0.1:40000
  emuctl endpoint connect s1/client --remote 10.0.0.2:80
  emuctl clock advance s1 --until-idle
  emuctl endpoint list s1 --listener server --state ESTABLISHED
  emuctl endpoint send s1/client --data hello
  emuctl endpoint receive s1/server-1
  emuctl endpoint close s1/client`,
	}
	cmd.AddCommand(newCreateCmd(g), newListenCmd(g), newConnectCmd(g), newSendCmd(g), newReceiveCmd(g),
		newCloseCmd(g), newAbortCmd(g), newGetCmd(g), newListCmd(g), newDeleteCmd(g))
	return cmd
}

// nameArg parses the endpoint argument of a verb.
func nameArg(args []string) (string, error) { return cmdutil.EndpointName(args[0]) }

// mutate makes one call and prints its response and events.
func mutate[R proto.Message](ctx context.Context, g *cmdutil.Globals, call func(context.Context, pb.EmulatorServiceClient) (R, error), events func(R) []*pb.Event, summary func(R) string) error {
	r, err := cmdutil.Do(ctx, g, call)
	if err != nil {
		return err
	}
	s := ""
	if summary != nil {
		s = summary(r)
	}
	return printer.Mutation(g, r, s, events(r))
}

// table draws endpoints one per row.
func table(w io.Writer, eps []*pb.Endpoint) {
	printer.Row(w, "ENDPOINT", "LOCAL", "REMOTE", "STATE", "LISTENER", "SND.UNA", "SND.NXT", "RCV.NXT", "READABLE")
	for _, e := range eps {
		printer.Row(w, cmdutil.LastSegment(e.Name), cmdutil.FormatAddress(e.Local), printer.Dash(cmdutil.FormatAddress(e.Remote)),
			printer.StateName(e.State), printer.Dash(cmdutil.LastSegment(e.Parent)),
			e.GetTcb().GetSndUna(), e.GetTcb().GetSndNxt(), e.GetTcb().GetRcvNxt(), e.GetReceiveBuffer().GetReadable())
	}
}

// detail draws one endpoint: what RFC 9293's STATUS call reports, and more.
func detail(w io.Writer, e *pb.Endpoint) {
	t := e.GetTcb()
	printer.KV(w,
		"name", e.Name,
		"local", cmdutil.FormatAddress(e.Local),
		"remote", cmdutil.FormatAddress(e.Remote),
		"state", printer.StateName(e.State),
		"listener", e.Parent,
	)
	if e.Backlog > 0 {
		fmt.Fprintf(w, "backlog:\t%d (%d in SYN-RECEIVED)\n", e.Backlog, e.SynReceivedChildren)
	}
	if t != nil {
		fmt.Fprintf(w, "SND:\tUNA=%d NXT=%d WND=%d UP=%d WL1=%d WL2=%d ISS=%d MSS=%d\n", t.SndUna, t.SndNxt, t.SndWnd, t.SndUp, t.SndWl1, t.SndWl2, t.Iss, t.SndMss)
		fmt.Fprintf(w, "RCV:\tNXT=%d WND=%d UP=%d IRS=%d\n", t.RcvNxt, t.RcvWnd, t.RcvUp, t.Irs)
	}
	if sb := e.SendBuffer; sb != nil {
		fmt.Fprintf(w, "send buffer:\t%d unsent, %d unacknowledged of %d\n", sb.Unsent, sb.Unacknowledged, sb.Capacity)
	}
	if rb := e.ReceiveBuffer; rb != nil {
		fmt.Fprintf(w, "receive buffer:\t%d readable, %d out of order of %d\n", rb.Readable, rb.OutOfOrder, rb.Capacity)
	}
	fmt.Fprintf(w, "retransmission:\tRTO %s, SRTT %s, RTTVAR %s, %d queued\n", printer.Dash(printer.Duration(e.Rto)),
		printer.Dash(printer.Duration(e.Srtt)), printer.Dash(printer.Duration(e.Rttvar)), e.RetransmissionQueueLength)
	for i, tm := range e.Timers {
		key := ""
		if i == 0 {
			key = "timers:"
		}
		fmt.Fprintf(w, "%s\t%s due %s\n", key, printer.TimerName(tm.Timer), printer.Duration(tm.Deadline))
	}
	if c := printer.Fields(e.Counters); len(c) > 0 {
		fmt.Fprintf(w, "counters:\t%s\n", strings.Join(c, " "))
	}
	if f := printer.Fields(e.ProfileOverrides); len(f) > 0 {
		fmt.Fprintf(w, "overrides:\t%s\n", strings.Join(f, " "))
	}
}
