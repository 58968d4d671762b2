// Package inject is `emuctl inject`: deliver a hand-made segment, as a
// remote TCP (or packetdrill) would send it.
package inject

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Options are `emuctl inject`'s settings.
type Options struct {
	Session       string
	Src, Dst      string
	Flags         string
	Seq, Ack      uint32
	Window        uint32
	UrgentPointer uint32
	MSS           uint32
	WindowScale   uint32
	SackPermitted bool
	Data          string
	ViaNetwork    bool
	// set records which optional flags were given (an option of 0 is
	// still an option).
	set map[string]bool
}

// NewCmd is `emuctl inject`.
func NewCmd(g *cmdutil.Globals) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "inject SESSION --src IP:PORT --dst IP:PORT --flags F --seq N [flags]",
		Short: "Deliver a hand-made segment: any header, options and payload",
		Long: `Delivers a segment you write by hand to --dst, usually from an external --src
playing the remote TCP. Nothing is checked beyond the field ranges: a wrong ACK
number is a legitimate test. By default it arrives now, as packetdrill's inbound
packets do; with --via-network it is sent from --src into the network and meets
partitions, fault rules and the path, arriving when the clock advances.

--flags takes the control bits comma-separated: SYN, ACK, FIN, RST, PSH, URG,
ECE, CWR ("none" for none).`,
		Example: `  # a SYN from an external client to a listener
  emuctl inject s1 --src 192.0.2.1:5555 --dst 10.0.0.2:80 --flags SYN --seq 100 --mss 1460
  # an old duplicate ACK, through the network
  emuctl inject s1 --src 192.0.2.1:5555 --dst 10.0.0.2:80 --flags ACK --seq 101 --ack 7 --via-network
  # data
  emuctl inject s1 --src 192.0.2.1:5555 --dst 10.0.0.2:80 --flags PSH,ACK --seq 101 --ack 1001 --data hi`,
		Args:              cmdutil.ExactArgs(1, "a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Session, err = cmdutil.SessionName(args[0]); err != nil {
				return err
			}
			o.set = map[string]bool{}
			for _, f := range []string{"mss", "wscale"} {
				o.set[f] = cmd.Flags().Changed(f)
			}
			return run(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Src, "src", "", "source address, ip:port (required)")
	f.StringVar(&o.Dst, "dst", "", "destination address, ip:port (required)")
	f.StringVar(&o.Flags, "flags", "", "control bits, comma-separated: SYN,ACK (required)")
	f.Uint32Var(&o.Seq, "seq", 0, "SEG.SEQ (required)")
	f.Uint32Var(&o.Ack, "ack", 0, "SEG.ACK")
	f.Uint32Var(&o.Window, "win", 65535, "SEG.WND, the window field")
	f.Uint32Var(&o.UrgentPointer, "urgent-pointer", 0, "SEG.UP")
	f.Uint32Var(&o.MSS, "mss", 0, "an MSS option with this value")
	f.Uint32Var(&o.WindowScale, "wscale", 0, "a window scale option with this shift")
	f.BoolVar(&o.SackPermitted, "sack-permitted", false, "a SACK-permitted option")
	f.StringVar(&o.Data, "data", "", "the payload, as text")
	f.BoolVar(&o.ViaNetwork, "via-network", false, "send it into the network from --src instead of delivering it now")
	for _, r := range []string{"src", "dst", "flags", "seq"} {
		_ = cmd.MarkFlagRequired(r)
	}
	_ = cmd.RegisterFlagCompletionFunc("flags", cobra.FixedCompletions([]string{"SYN", "SYN,ACK", "ACK", "PSH,ACK", "FIN,ACK", "RST", "RST,ACK"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func run(ctx context.Context, g *cmdutil.Globals, o *Options) error {
	src, err := cmdutil.ParseAddress("src", o.Src)
	if err != nil {
		return err
	}
	dst, err := cmdutil.ParseAddress("dst", o.Dst)
	if err != nil {
		return err
	}
	flags, err := printer.ParseFlags(o.Flags)
	if err != nil {
		return cmdutil.Usagef("--flags %q: %v", o.Flags, err)
	}
	h := &pb.SegmentHeader{Src: src, Dst: dst, Seq: o.Seq, Ack: o.Ack, Flags: flags, Window: o.Window, UrgentPointer: o.UrgentPointer}
	if o.set["mss"] || o.set["wscale"] || o.SackPermitted {
		h.Options = &pb.SegmentOptions{SackPermitted: o.SackPermitted}
		if o.set["mss"] {
			h.Options.Mss = &o.MSS
		}
		if o.set["wscale"] {
			h.Options.WindowScale = &o.WindowScale
		}
	}
	r, err := cmdutil.Do(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.InjectResponse, error) {
		return c.Inject(ctx, &pb.InjectRequest{Session: o.Session, Segment: &pb.Segment{Header: h, Payload: []byte(o.Data)},
			ViaNetwork: o.ViaNetwork, Language: g.Lang})
	})
	if err != nil {
		return err
	}
	return printer.Mutation(g, r, "", r.Events)
}
