// Package net is the network of a session on the command line: `emuctl
// path` (delay, jitter, loss, duplication, reordering, bandwidth per
// direction), `emuctl fault` (scripted faults on chosen segments) and
// `emuctl partition` (cut and heal links between hosts).
package net

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// NewPathCmd is `emuctl path`.
func NewPathCmd(g *cmdutil.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "path <command>",
		Aliases: []string{"paths"},
		Short:   "Set the network's conditions per direction: delay, jitter, loss, duplication, reordering, bandwidth",
		Long: `A path is one direction between two hosts (--src → --dst, IP addresses), or the
session default when both are left out. A new session's default is a perfect
network. Probabilities are exact: 0 never happens and 1 always does; all
randomness comes from the session's seed.`,
		Example: `  emuctl path set s1 --delay 50ms                       # the session default
  emuctl path set s1 --src 10.0.0.1 --dst 10.0.0.2 --loss 0.3 --jitter 10ms
  emuctl path get s1 --src 10.0.0.1 --dst 10.0.0.2
  emuctl path list s1
  emuctl path delete s1 --src 10.0.0.1 --dst 10.0.0.2`,
	}
	cmd.AddCommand(newPathSetCmd(g), newPathGetCmd(g), newPathListCmd(g), newPathDeleteCmd(g))
	return cmd
}

// Direction is --src and --dst: hosts, both empty for the session default.
type Direction struct{ Src, Dst string }

func (d *Direction) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&d.Src, "src", "", "the sending host (IP); leave out with --dst for the session default")
	cmd.Flags().StringVar(&d.Dst, "dst", "", "the receiving host (IP)")
	cmd.MarkFlagsRequiredTogether("src", "dst")
}

func (d *Direction) parse() (src, dst *pb.Address, err error) {
	if src, err = cmdutil.ParseHost("src", d.Src); err != nil {
		return nil, nil, err
	}
	dst, err = cmdutil.ParseHost("dst", d.Dst)
	return src, dst, err
}

func sessionArg(args []string) (string, error) { return cmdutil.SessionName(args[0]) }

// PathSetOptions are `path set`'s settings.
type PathSetOptions struct {
	Session string
	Direction
	Delay, Jitter, ReorderDelay time.Duration
	Loss, Duplication, Reorder  float64
	ReorderBehind               uint32
	Bandwidth                   uint64
}

func newPathSetCmd(g *cmdutil.Globals) *cobra.Command {
	o := &PathSetOptions{}
	cmd := &cobra.Command{
		Use:   "set SESSION [--src IP --dst IP] [flags]",
		Short: "Set a direction's path (or the session default); unset values mean zero",
		Example: `  emuctl path set s1 --delay 100ms
  emuctl path set s1 --src 10.0.0.2 --dst 10.0.0.1 --loss 1       # lose every segment
  emuctl path set s1 --reorder 0.5 --reorder-delay 30ms --bandwidth 125000`,
		Args:              cmdutil.ExactArgs(1, "a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Session, err = sessionArg(args); err != nil {
				return err
			}
			return runPathSet(cmd.Context(), g, o)
		},
	}
	o.Direction.flags(cmd)
	f := cmd.Flags()
	f.DurationVar(&o.Delay, "delay", 0, "one-way delay of every segment")
	f.DurationVar(&o.Jitter, "jitter", 0, "extra delay drawn uniformly from [0, jitter]")
	f.Float64Var(&o.Loss, "loss", 0, "probability 0-1 that a segment is lost")
	f.Float64Var(&o.Duplication, "duplication", 0, "probability 0-1 that a segment arrives twice")
	f.Float64Var(&o.Reorder, "reorder", 0, "probability 0-1 that a segment is held back (needs --reorder-delay)")
	f.DurationVar(&o.ReorderDelay, "reorder-delay", 0, "how long a reordered segment is held back (at most)")
	f.Uint32Var(&o.ReorderBehind, "reorder-behind", 0, "hold a reordered segment until this many later ones passed it")
	f.Uint64Var(&o.Bandwidth, "bandwidth", 0, "octets per second; 0 is unlimited")
	return cmd
}

func dur(d time.Duration) *durationpb.Duration {
	if d == 0 {
		return nil
	}
	return durationpb.New(d)
}

func runPathSet(ctx context.Context, g *cmdutil.Globals, o *PathSetOptions) error {
	src, dst, err := o.Direction.parse()
	if err != nil {
		return err
	}
	p := &pb.Path{Src: src, Dst: dst, Delay: dur(o.Delay), Jitter: dur(o.Jitter), Loss: o.Loss, Duplication: o.Duplication,
		Reorder: o.Reorder, ReorderDelay: dur(o.ReorderDelay), ReorderBehind: o.ReorderBehind, Bandwidth: o.Bandwidth}
	r, err := cmdutil.Do(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.SetPathResponse, error) {
		return c.SetPath(ctx, &pb.SetPathRequest{Session: o.Session, Path: p, Language: g.Lang})
	})
	if err != nil {
		return err
	}
	return printer.Mutation(g, r, "set path "+pathLine(r.Path), r.Events)
}

// direction is "10.0.0.1 → 10.0.0.2", or "default".
func direction(src, dst *pb.Address) string {
	if src == nil && dst == nil {
		return "default"
	}
	return src.GetIp() + " → " + dst.GetIp()
}

// pathLine is a path on one line: "default: delay=50ms loss=0.3".
func pathLine(p *pb.Path) string {
	s := direction(p.GetSrc(), p.GetDst()) + ":"
	f := printer.Fields(&pb.Path{Delay: p.GetDelay(), Jitter: p.GetJitter(), Loss: p.GetLoss(), Duplication: p.GetDuplication(),
		Reorder: p.GetReorder(), ReorderDelay: p.GetReorderDelay(), ReorderBehind: p.GetReorderBehind(), Bandwidth: p.GetBandwidth()})
	if len(f) == 0 {
		return s + " perfect (no delay, no loss)"
	}
	for _, kv := range f {
		s += " " + kv
	}
	return s
}

func pathTable(w io.Writer, ps []*pb.Path) {
	printer.Row(w, "SRC", "DST", "DELAY", "JITTER", "LOSS", "DUPLICATION", "REORDER", "BANDWIDTH")
	for _, p := range ps {
		src, dst := p.GetSrc().GetIp(), p.GetDst().GetIp()
		if src == "" && dst == "" {
			src, dst = "(default)", "(default)"
		}
		printer.Row(w, src, dst, printer.Duration(p.GetDelay())+"", printer.Duration(p.GetJitter()), p.Loss, p.Duplication, p.Reorder, p.Bandwidth)
	}
}

// PathGetOptions are `path get`'s settings.
type PathGetOptions struct {
	Session string
	Direction
}

func newPathGetCmd(g *cmdutil.Globals) *cobra.Command {
	o := &PathGetOptions{}
	cmd := &cobra.Command{
		Use:               "get SESSION [--src IP --dst IP]",
		Short:             "Show the path that applies to a direction (its own, else the session default)",
		Example:           "  emuctl path get s1\n  emuctl path get s1 --src 10.0.0.1 --dst 10.0.0.2 -o json",
		Args:              cmdutil.ExactArgs(1, "a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Session, err = sessionArg(args); err != nil {
				return err
			}
			src, dst, err := o.Direction.parse()
			if err != nil {
				return err
			}
			p, err := cmdutil.Do(cmd.Context(), g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.Path, error) {
				return c.GetPath(ctx, &pb.GetPathRequest{Session: o.Session, Src: src, Dst: dst})
			})
			if err != nil {
				return err
			}
			return printer.Print(g.Out, g.Output, p, func(w io.Writer) error {
				pathTable(w, []*pb.Path{p})
				return nil
			})
		},
	}
	o.Direction.flags(cmd)
	return cmd
}

// PathListOptions are `path list`'s settings.
type PathListOptions struct{ Session string }

func newPathListCmd(g *cmdutil.Globals) *cobra.Command {
	o := &PathListOptions{}
	return &cobra.Command{
		Use:               "list SESSION",
		Aliases:           []string{"ls"},
		Short:             "List the session default and every direction's own path",
		Example:           "  emuctl path list s1",
		Args:              cmdutil.ExactArgs(1, "a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Session, err = sessionArg(args); err != nil {
				return err
			}
			all := &pb.ListPathsResponse{}
			req := &pb.ListPathsRequest{Session: o.Session}
			err = cmdutil.ListAll(cmd.Context(), g, func(ctx context.Context, c pb.EmulatorServiceClient, token string) (string, error) {
				req.PageToken = token
				r, err := c.ListPaths(ctx, req)
				if err != nil {
					return "", err
				}
				all.Paths = append(all.Paths, r.Paths...)
				return r.NextPageToken, nil
			})
			if err != nil {
				return err
			}
			return printer.Print(g.Out, g.Output, all, func(w io.Writer) error {
				pathTable(w, all.Paths)
				return nil
			})
		},
	}
}

// PathDeleteOptions are `path delete`'s settings.
type PathDeleteOptions struct {
	Session string
	Direction
}

func newPathDeleteCmd(g *cmdutil.Globals) *cobra.Command {
	o := &PathDeleteOptions{}
	cmd := &cobra.Command{
		Use:               "delete SESSION [--src IP --dst IP]",
		Aliases:           []string{"rm"},
		Short:             "Remove a direction's own path (or reset the session default to a perfect network)",
		Example:           "  emuctl path delete s1 --src 10.0.0.1 --dst 10.0.0.2\n  emuctl path delete s1   # the default becomes perfect again",
		Args:              cmdutil.ExactArgs(1, "a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Session, err = sessionArg(args); err != nil {
				return err
			}
			src, dst, err := o.Direction.parse()
			if err != nil {
				return err
			}
			r, err := cmdutil.Do(cmd.Context(), g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.DeletePathResponse, error) {
				return c.DeletePath(ctx, &pb.DeletePathRequest{Session: o.Session, Src: src, Dst: dst, Language: g.Lang})
			})
			if err != nil {
				return err
			}
			return printer.Mutation(g, r, fmt.Sprintf("deleted path %s", direction(src, dst)), r.Events)
		},
	}
	o.Direction.flags(cmd)
	return cmd
}
