// Package clock is `emuctl clock`: advance a session's virtual clock.
// Nothing happens in a session between calls; time moves only here.
package clock

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// NewCmd is `emuctl clock`.
func NewCmd(g *cmdutil.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clock <command>",
		Short: "Advance a session's virtual clock: timers fire and segments arrive",
		Long: `Each session has a virtual clock that moves only when you advance it. Advancing
fires due timers and delivers due segments in a total order — by time, then by
the order they were scheduled — so the same commands always give the same events.`,
		Example: `  emuctl clock advance s1 --until-idle
  emuctl clock advance s1 --by 1s
  emuctl clock advance s1 --to 4m1s
  emuctl clock advance s1 --step
  emuctl clock advance s1 --step=3`,
	}
	cmd.AddCommand(newAdvanceCmd(g))
	return cmd
}

// AdvanceOptions are `clock advance`'s settings; exactly one of By, To,
// Step and UntilIdle is chosen.
type AdvanceOptions struct {
	Session   string
	By, To    time.Duration
	Step      uint32
	UntilIdle bool
	MaxSteps  uint32
	// Set records which target flag was given.
	Set string
}

func newAdvanceCmd(g *cmdutil.Globals) *cobra.Command {
	o := &AdvanceOptions{}
	cmd := &cobra.Command{
		Use:   "advance SESSION (--by D | --to T | --step[=N] | --until-idle [--max-steps N])",
		Short: "Advance the clock by a duration, to a time, by steps, or until nothing is pending",
		Long: `Advances SESSION's clock and prints the events that happened, in order.

  --by D          process everything due up to now + D; the clock stands at now + D
  --to T          the same, up to the virtual time T (since the session started)
  --step[=N]      process the next N pending items (default 1), jumping to each one's time
  --until-idle    process items until none is pending, at most --max-steps
                  (0: the server's limit); a connection probing a zero window never idles

The last line says where the clock stands, how many items were processed, and
whether the advance completed (false: it stopped at a step limit — call again).`,
		Example: `  emuctl clock advance s1 --until-idle
  emuctl clock advance s1 --by 200ms
  emuctl clock advance s1 --to 241s
  emuctl clock advance s1 --step=2 -o json`,
		Args:              cmdutil.ExactArgs(1, "a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Session, err = cmdutil.SessionName(args[0]); err != nil {
				return err
			}
			n := 0
			for _, f := range []string{"by", "to", "step", "until-idle"} {
				if cmd.Flags().Changed(f) {
					o.Set, n = f, n+1
				}
			}
			if n != 1 {
				return cmdutil.Usagef("clock advance needs exactly one of --by, --to, --step, --until-idle\nSee '%s --help'.", cmd.CommandPath())
			}
			if cmd.Flags().Changed("max-steps") && o.Set != "until-idle" {
				return cmdutil.Usagef("--max-steps goes with --until-idle")
			}
			return runAdvance(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.By, "by", 0, "advance by this duration (1s, 200ms, 2m)")
	f.DurationVar(&o.To, "to", 0, "advance to this virtual time since the session started")
	f.Uint32Var(&o.Step, "step", 1, "process the next N pending items (--step alone: one)")
	f.Lookup("step").NoOptDefVal = "1"
	f.BoolVar(&o.UntilIdle, "until-idle", false, "process items until none is pending")
	f.Uint32Var(&o.MaxSteps, "max-steps", 0, "with --until-idle: stop after this many items (0: the server's limit)")
	return cmd
}

func runAdvance(ctx context.Context, g *cmdutil.Globals, o *AdvanceOptions) error {
	req := &pb.AdvanceRequest{Session: o.Session, Language: g.Lang}
	switch o.Set {
	case "by":
		req.Target = &pb.AdvanceRequest_By{By: durationpb.New(o.By)}
	case "to":
		req.Target = &pb.AdvanceRequest_To{To: durationpb.New(o.To)}
	case "step":
		req.Target = &pb.AdvanceRequest_Step{Step: &pb.AdvanceStep{Count: o.Step}}
	default:
		req.Target = &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{MaxSteps: o.MaxSteps}}
	}
	r, err := cmdutil.Do(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.AdvanceResponse, error) {
		return c.Advance(ctx, req)
	})
	if err != nil {
		return err
	}
	if err := printer.Mutation(g, r, "", r.Events); err != nil || g.Output != "table" {
		return err
	}
	s := fmt.Sprintf("now %s after %d step(s)", printer.Duration(r.Now), r.Steps)
	switch {
	case !r.Complete:
		s += "; stopped at the step limit, more is pending (next at " + printer.Duration(r.NextDeadline) + ")"
	case r.Idle:
		s += "; idle"
	default:
		s += "; next pending at " + printer.Duration(r.NextDeadline)
	}
	_, err = fmt.Fprintln(g.Out, s)
	return err
}
