// Package inject is `emuctl inject`: deliver a hand-made segment, as a
// remote TCP (or packetdrill) would send it.
package inject

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Options are `emuctl inject`'s settings.
type Options struct {
	Session    string
	Segment    Segment
	ViaNetwork bool
}

// Segment is a hand-made segment as flags: inject's, and each line
// `emuctl peer attach` sends.
type Segment struct {
	Src, Dst      string
	Flags         string
	Seq, Ack      uint32
	Window        uint32
	UrgentPointer uint32
	MSS           uint32
	WindowScale   uint32
	SackPermitted bool
	Data          string
	// changed says which optional flags were given (an option of 0 is
	// still an option).
	changed func(name string) bool
}

// AddFlags defines the segment's flags on f; --src, --dst, --flags and
// --seq are required.
func (s *Segment) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&s.Src, "src", "", "source address, ip:port (required)")
	f.StringVar(&s.Dst, "dst", "", "destination address, ip:port (required)")
	f.StringVar(&s.Flags, "flags", "", "control bits, comma-separated: SYN,ACK (required)")
	f.Uint32Var(&s.Seq, "seq", 0, "SEG.SEQ (required)")
	f.Uint32Var(&s.Ack, "ack", 0, "SEG.ACK")
	f.Uint32Var(&s.Window, "win", 65535, "SEG.WND, the window field")
	f.Uint32Var(&s.UrgentPointer, "urgent-pointer", 0, "SEG.UP")
	f.Uint32Var(&s.MSS, "mss", 0, "an MSS option with this value")
	f.Uint32Var(&s.WindowScale, "wscale", 0, "a window scale option with this shift")
	f.BoolVar(&s.SackPermitted, "sack-permitted", false, "a SACK-permitted option")
	f.StringVar(&s.Data, "data", "", "the payload, as text")
	s.changed = func(name string) bool { return f.Changed(name) }
}

// Build makes the segment from the flags given.
func (s *Segment) Build() (*pb.Segment, error) {
	for _, r := range []string{"src", "dst", "flags", "seq"} {
		if !s.changed(r) {
			return nil, cmdutil.Usagef("--%s is required", r)
		}
	}
	src, err := cmdutil.ParseAddress("src", s.Src)
	if err != nil {
		return nil, err
	}
	dst, err := cmdutil.ParseAddress("dst", s.Dst)
	if err != nil {
		return nil, err
	}
	flags, err := printer.ParseFlags(s.Flags)
	if err != nil {
		return nil, cmdutil.Usagef("--flags %q: %v", s.Flags, err)
	}
	h := &pb.SegmentHeader{Src: src, Dst: dst, Seq: s.Seq, Ack: s.Ack, Flags: flags, Window: s.Window, UrgentPointer: s.UrgentPointer}
	mss, wscale := s.changed("mss"), s.changed("wscale")
	if mss || wscale || s.SackPermitted {
		h.Options = &pb.SegmentOptions{SackPermitted: s.SackPermitted}
		if mss {
			h.Options.Mss = &s.MSS
		}
		if wscale {
			h.Options.WindowScale = &s.WindowScale
		}
	}
	return &pb.Segment{Header: h, Payload: []byte(s.Data)}, nil
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
			return run(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	o.Segment.AddFlags(f)
	f.BoolVar(&o.ViaNetwork, "via-network", false, "send it into the network from --src instead of delivering it now")
	for _, r := range []string{"src", "dst", "flags", "seq"} {
		_ = cmd.MarkFlagRequired(r)
	}
	_ = cmd.RegisterFlagCompletionFunc("flags", cobra.FixedCompletions([]string{"SYN", "SYN,ACK", "ACK", "PSH,ACK", "FIN,ACK", "RST", "RST,ACK"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func run(ctx context.Context, g *cmdutil.Globals, o *Options) error {
	seg, err := o.Segment.Build()
	if err != nil {
		return err
	}
	r, err := cmdutil.Do(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.InjectResponse, error) {
		return c.Inject(ctx, &pb.InjectRequest{Session: o.Session, Segment: seg, ViaNetwork: o.ViaNetwork, Language: g.Lang})
	})
	if err != nil {
		return err
	}
	return printer.Mutation(g, r, "", r.Events)
}
