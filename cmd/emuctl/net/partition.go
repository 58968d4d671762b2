package net

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// NewPartitionCmd is `emuctl partition`.
func NewPartitionCmd(g *cmdutil.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "partition <command>",
		Short: "Cut and heal the network between two hosts, both ways or one way",
		Long: `A cut drops every segment sent across it (DROP_REASON_PARTITION); segments
already in flight still arrive. A one-way cut (--one-way) drops only A → B: a
half-open failure, "A can hear B but not the other way round". 'emuctl session
get' lists the partitions in force.`,
		Example: `  emuctl partition cut s1 10.0.0.1 10.0.0.2
  emuctl partition cut s1 10.0.0.2 10.0.0.1 --one-way
  emuctl partition heal s1 10.0.0.1 10.0.0.2
  emuctl partition heal s1 --all`,
	}
	cmd.AddCommand(newCutCmd(g), newHealCmd(g))
	return cmd
}

// PartitionOptions are `partition cut`'s and `partition heal`'s settings.
type PartitionOptions struct {
	Session string
	A, B    string
	OneWay  bool
	All     bool // heal only
}

func (o *PartitionOptions) partition() (*pb.Partition, error) {
	a, err := cmdutil.ParseHost("A", o.A)
	if err != nil {
		return nil, err
	}
	b, err := cmdutil.ParseHost("B", o.B)
	if err != nil {
		return nil, err
	}
	return &pb.Partition{A: a, B: b, OneWay: o.OneWay}, nil
}

func newCutCmd(g *cmdutil.Globals) *cobra.Command {
	o := &PartitionOptions{}
	cmd := &cobra.Command{
		Use:               "cut SESSION HOST_A HOST_B [--one-way]",
		Short:             "Cut the link between two hosts (both ways, or only A → B)",
		Example:           "  emuctl partition cut s1 10.0.0.1 10.0.0.2\n  emuctl partition cut s1 10.0.0.2 10.0.0.1 --one-way",
		Args:              cmdutil.ExactArgs(3, "SESSION HOST_A HOST_B"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Session, err = cmdutil.SessionName(args[0]); err != nil {
				return err
			}
			o.A, o.B = args[1], args[2]
			p, err := o.partition()
			if err != nil {
				return err
			}
			r, err := cmdutil.Do(cmd.Context(), g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.CutResponse, error) {
				return c.Cut(ctx, &pb.CutRequest{Session: o.Session, Partition: p, Language: g.Lang})
			})
			if err != nil {
				return err
			}
			return printer.Mutation(g, r, "", r.Events)
		},
	}
	cmd.Flags().BoolVar(&o.OneWay, "one-way", false, "cut only segments from HOST_A to HOST_B")
	return cmd
}

func newHealCmd(g *cmdutil.Globals) *cobra.Command {
	o := &PartitionOptions{}
	cmd := &cobra.Command{
		Use:               "heal SESSION (HOST_A HOST_B [--one-way] | --all)",
		Short:             "Heal a cut, or every cut",
		Example:           "  emuctl partition heal s1 10.0.0.1 10.0.0.2\n  emuctl partition heal s1 --all",
		Args:              cmdutil.RangeArgs(1, 3, "SESSION and two hosts, or SESSION --all"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Session, err = cmdutil.SessionName(args[0]); err != nil {
				return err
			}
			if o.All != (len(args) == 1) {
				return cmdutil.Usagef("partition heal needs two hosts or --all (not both)\nSee '%s --help'.", cmd.CommandPath())
			}
			req := &pb.HealRequest{Session: o.Session, All: o.All, Language: g.Lang}
			if !o.All {
				if len(args) != 3 {
					return cmdutil.Usagef("partition heal needs two hosts")
				}
				o.A, o.B = args[1], args[2]
				if req.Partition, err = o.partition(); err != nil {
					return err
				}
			}
			r, err := cmdutil.Do(cmd.Context(), g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.HealResponse, error) {
				return c.Heal(ctx, req)
			})
			if err != nil {
				return err
			}
			return printer.Mutation(g, r, "", r.Events)
		},
	}
	cmd.Flags().BoolVar(&o.OneWay, "one-way", false, "heal only the direction HOST_A → HOST_B")
	cmd.Flags().BoolVar(&o.All, "all", false, "heal every partition of the session")
	return cmd
}
