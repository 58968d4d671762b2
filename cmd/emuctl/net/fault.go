package net

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// NewFaultCmd is `emuctl fault`.
func NewFaultCmd(g *cmdutil.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "fault <command>",
		Aliases: []string{"faults"},
		Short:   "Script exact faults: drop, delay, duplicate, corrupt or reorder chosen segments",
		Long: `A fault rule acts on the segments it matches — "drop the next SYN,ACK from A to
B", "delay the 2nd FIN by 3 s" — once, --count times, or --standing until
deleted. Rules are named SESSION/ID and checked in creation order.`,
		Example: `  emuctl fault create s1/drop-synack --action drop --src 10.0.0.2 --flags SYN,ACK
  emuctl fault create s1/late-fin --action delay --delay 3s --flags-include FIN --occurrence 2
  emuctl fault create s1 --action duplicate --copies 2 --payload-min 1 --count 3
  emuctl fault list s1
  emuctl fault delete s1/drop-synack`,
	}
	cmd.AddCommand(newFaultCreateCmd(g), newFaultGetCmd(g), newFaultListCmd(g), newFaultDeleteCmd(g))
	return cmd
}

// FaultActions are --action's values.
var FaultActions = []string{"drop", "delay", "duplicate", "corrupt", "reorder"}

// FaultCreateOptions are `fault create`'s settings.
type FaultCreateOptions struct {
	Session, ID                 string
	Action                      string
	Src, Dst                    string
	Flags, FlagsInclude         string
	Seq                         string // FIRST-LAST
	PayloadMin, PayloadMax      uint32
	Occurrence, Count           uint32
	Standing                    bool
	Delay, MaxHold              time.Duration
	Copies, After               uint32
	hasPayloadMin, hasPayloadMx bool
}

func newFaultCreateCmd(g *cmdutil.Globals) *cobra.Command {
	o := &FaultCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create SESSION/ID --action drop|delay|duplicate|corrupt|reorder [match flags]",
		Short: "Create a fault rule (give SESSION alone and the server picks the ID)",
		Long: `Creates a fault rule. Match flags (all that are given must hold): --src, --dst
(IP, or ip:port for one port), --flags (exact control bits: a FIN from a connected
endpoint is FIN,ACK), --flags-include (at least these bits), --seq FIRST-LAST,
--payload-min, --payload-max, --occurrence N (act on the Nth match only).
Actions: drop; delay --delay D; duplicate --copies N; corrupt (the receiver
discards it: a bad checksum); reorder --after N [--max-hold D].`,
		Example: `  emuctl fault create s1/drop-syn --action drop --flags SYN
  emuctl fault create s1/lossy --action drop --dst 10.0.0.1 --payload-min 1 --standing
  emuctl fault create s1/late --action delay --delay 3s --flags FIN,ACK --occurrence 2
  emuctl fault create s1/swap --action reorder --after 1 --payload-min 1`,
		Args:              cmdutil.ExactArgs(1, "SESSION/ID (or SESSION)"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if name, err := cmdutil.FaultRuleName(args[0]); err == nil {
				o.Session, o.ID = cmdutil.SessionOf(name), cmdutil.LastSegment(name)
			} else if o.Session, err = cmdutil.SessionName(args[0]); err != nil {
				return cmdutil.Usagef("%q: want SESSION/ID (s1/drop-syn) or SESSION", args[0])
			}
			o.hasPayloadMin, o.hasPayloadMx = cmd.Flags().Changed("payload-min"), cmd.Flags().Changed("payload-max")
			return runFaultCreate(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Action, "action", "", "what to do: drop, delay, duplicate, corrupt, reorder (required)")
	f.StringVar(&o.Src, "src", "", "match the sender: IP, or ip:port")
	f.StringVar(&o.Dst, "dst", "", "match the receiver: IP, or ip:port")
	f.StringVar(&o.Flags, "flags", "", "match exactly these control bits: SYN,ACK")
	f.StringVar(&o.FlagsInclude, "flags-include", "", "match segments with at least these control bits")
	f.StringVar(&o.Seq, "seq", "", "match SEG.SEQ in FIRST-LAST (inclusive, modulo 2^32)")
	f.Uint32Var(&o.PayloadMin, "payload-min", 0, "match payloads of at least this many octets (1: data segments)")
	f.Uint32Var(&o.PayloadMax, "payload-max", 0, "match payloads of at most this many octets (0: no data)")
	f.Uint32Var(&o.Occurrence, "occurrence", 0, "act on the Nth matching segment only")
	f.Uint32Var(&o.Count, "count", 0, "act on this many segments, then retire (0: once)")
	f.BoolVar(&o.Standing, "standing", false, "act on every matching segment until deleted")
	f.DurationVar(&o.Delay, "delay", 0, "delay: the extra delay")
	f.Uint32Var(&o.Copies, "copies", 0, "duplicate: extra copies (0: one)")
	f.Uint32Var(&o.After, "after", 0, "reorder: later segments delivered first (0: one)")
	f.DurationVar(&o.MaxHold, "max-hold", 0, "reorder: release it anyway after this long")
	_ = cmd.MarkFlagRequired("action")
	_ = cmd.RegisterFlagCompletionFunc("action", cobra.FixedCompletions(FaultActions, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runFaultCreate(ctx context.Context, g *cmdutil.Globals, o *FaultCreateOptions) error {
	m := &pb.FaultMatch{Occurrence: o.Occurrence}
	var err error
	if m.Src, err = cmdutil.ParseHost("src", o.Src); err != nil {
		return err
	}
	if m.Dst, err = cmdutil.ParseHost("dst", o.Dst); err != nil {
		return err
	}
	if o.Flags != "" {
		if m.Flags, err = printer.ParseFlags(o.Flags); err != nil {
			return cmdutil.Usagef("--flags: %v", err)
		}
	}
	if o.FlagsInclude != "" {
		if m.FlagsInclude, err = printer.ParseFlags(o.FlagsInclude); err != nil {
			return cmdutil.Usagef("--flags-include: %v", err)
		}
	}
	if o.Seq != "" {
		a, b, ok := strings.Cut(o.Seq, "-")
		first, err1 := strconv.ParseUint(a, 10, 32)
		last, err2 := strconv.ParseUint(b, 10, 32)
		if !ok || err1 != nil || err2 != nil {
			return cmdutil.Usagef("--seq %q: want FIRST-LAST (1000-1999)", o.Seq)
		}
		m.Seq = &pb.SeqRange{First: uint32(first), Last: uint32(last)}
	}
	if o.hasPayloadMin {
		m.PayloadLengthMin = &o.PayloadMin
	}
	if o.hasPayloadMx {
		m.PayloadLengthMax = &o.PayloadMax
	}
	rule := &pb.FaultRule{Match: m, Standing: o.Standing, Count: o.Count}
	switch o.Action {
	case "drop":
		rule.Action = &pb.FaultRule_Drop{Drop: &pb.FaultDrop{}}
	case "delay":
		rule.Action = &pb.FaultRule_Delay{Delay: &pb.FaultDelay{Delay: durationpb.New(o.Delay)}}
	case "duplicate":
		rule.Action = &pb.FaultRule_Duplicate{Duplicate: &pb.FaultDuplicate{Copies: o.Copies}}
	case "corrupt":
		rule.Action = &pb.FaultRule_Corrupt{Corrupt: &pb.FaultCorrupt{}}
	case "reorder":
		rule.Action = &pb.FaultRule_Reorder{Reorder: &pb.FaultReorder{After: o.After, MaxHold: dur(o.MaxHold)}}
	default:
		return cmdutil.Usagef("--action %q: want one of %s", o.Action, strings.Join(FaultActions, ", "))
	}
	r, err := cmdutil.Do(ctx, g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.CreateFaultRuleResponse, error) {
		return c.CreateFaultRule(ctx, &pb.CreateFaultRuleRequest{Parent: o.Session, FaultRuleId: o.ID, FaultRule: rule, Language: g.Lang})
	})
	if err != nil {
		return err
	}
	return printer.Mutation(g, r, "created "+r.GetFaultRule().GetName(), r.Events)
}

func actionName(r *pb.FaultRule) string {
	switch a := r.Action.(type) {
	case *pb.FaultRule_Drop:
		return "drop"
	case *pb.FaultRule_Delay:
		return "delay " + printer.Duration(a.Delay.GetDelay())
	case *pb.FaultRule_Duplicate:
		return fmt.Sprintf("duplicate ×%d", max(a.Duplicate.GetCopies(), 1))
	case *pb.FaultRule_Corrupt:
		return "corrupt"
	case *pb.FaultRule_Reorder:
		return fmt.Sprintf("reorder after %d", max(a.Reorder.GetAfter(), 1))
	}
	return "?"
}

func matchText(m *pb.FaultMatch) string {
	var parts []string
	if m.GetSrc() != nil {
		parts = append(parts, "from "+hostText(m.Src))
	}
	if m.GetDst() != nil {
		parts = append(parts, "to "+hostText(m.Dst))
	}
	if m.GetFlags() != nil {
		parts = append(parts, printer.FlagsString(m.Flags))
	}
	if m.GetFlagsInclude() != nil {
		parts = append(parts, "with "+printer.FlagsString(m.FlagsInclude))
	}
	if s := m.GetSeq(); s != nil {
		parts = append(parts, fmt.Sprintf("seq %d-%d", s.First, s.Last))
	}
	if m.PayloadLengthMin != nil {
		parts = append(parts, fmt.Sprintf("len>=%d", *m.PayloadLengthMin))
	}
	if m.PayloadLengthMax != nil {
		parts = append(parts, fmt.Sprintf("len<=%d", *m.PayloadLengthMax))
	}
	if m.GetOccurrence() > 1 {
		parts = append(parts, fmt.Sprintf("occurrence %d", m.Occurrence))
	}
	if len(parts) == 0 {
		return "any segment"
	}
	return strings.Join(parts, " ")
}

func hostText(a *pb.Address) string {
	if a.Port == 0 {
		return a.Ip
	}
	return cmdutil.FormatAddress(a)
}

func faultTable(w io.Writer, rs []*pb.FaultRule) {
	printer.Row(w, "RULE", "ACTION", "MATCH", "TIMES", "HITS", "RETIRED")
	for _, r := range rs {
		times := fmt.Sprint(max(r.Count, 1))
		if r.Standing {
			times = "standing"
		}
		printer.Row(w, cmdutil.LastSegment(r.Name), actionName(r), matchText(r.Match), times, r.Hits, r.Retired)
	}
}

// FaultNameOptions are the settings of `fault get` and `fault delete`.
type FaultNameOptions struct{ Name string }

func faultNameCmd(g *cmdutil.Globals, use, short, example string, run func(*cobra.Command, *FaultNameOptions) error) *cobra.Command {
	o := &FaultNameOptions{}
	return &cobra.Command{
		Use:     use + " SESSION/ID",
		Short:   short,
		Example: example,
		Args:    cmdutil.ExactArgs(1, "SESSION/ID"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Name, err = cmdutil.FaultRuleName(args[0]); err != nil {
				return err
			}
			return run(cmd, o)
		},
	}
}

func newFaultGetCmd(g *cmdutil.Globals) *cobra.Command {
	return faultNameCmd(g, "get", "Show a fault rule and how often it has acted", "  emuctl fault get s1/drop-syn -o json",
		func(cmd *cobra.Command, o *FaultNameOptions) error {
			r, err := cmdutil.Do(cmd.Context(), g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.FaultRule, error) {
				return c.GetFaultRule(ctx, &pb.GetFaultRuleRequest{Name: o.Name})
			})
			if err != nil {
				return err
			}
			return printer.Print(g.Out, g.Output, r, func(w io.Writer) error {
				faultTable(w, []*pb.FaultRule{r})
				return nil
			})
		})
}

func newFaultDeleteCmd(g *cmdutil.Globals) *cobra.Command {
	cmd := faultNameCmd(g, "delete", "Delete a fault rule", "  emuctl fault delete s1/drop-syn",
		func(cmd *cobra.Command, o *FaultNameOptions) error {
			r, err := cmdutil.Do(cmd.Context(), g, func(ctx context.Context, c pb.EmulatorServiceClient) (*pb.DeleteFaultRuleResponse, error) {
				return c.DeleteFaultRule(ctx, &pb.DeleteFaultRuleRequest{Name: o.Name, Language: g.Lang})
			})
			if err != nil {
				return err
			}
			return printer.Mutation(g, r, "deleted "+o.Name, r.Events)
		})
	cmd.Aliases = []string{"rm"}
	return cmd
}

// FaultListOptions are `fault list`'s settings.
type FaultListOptions struct{ Session string }

func newFaultListCmd(g *cmdutil.Globals) *cobra.Command {
	o := &FaultListOptions{}
	return &cobra.Command{
		Use:               "list SESSION",
		Aliases:           []string{"ls"},
		Short:             "List fault rules in the order they are checked, retired ones included",
		Example:           "  emuctl fault list s1",
		Args:              cmdutil.ExactArgs(1, "a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if o.Session, err = sessionArg(args); err != nil {
				return err
			}
			all := &pb.ListFaultRulesResponse{}
			req := &pb.ListFaultRulesRequest{Parent: o.Session}
			err = cmdutil.ListAll(cmd.Context(), g, func(ctx context.Context, c pb.EmulatorServiceClient, token string) (string, error) {
				req.PageToken = token
				r, err := c.ListFaultRules(ctx, req)
				if err != nil {
					return "", err
				}
				all.FaultRules = append(all.FaultRules, r.FaultRules...)
				return r.NextPageToken, nil
			})
			if err != nil {
				return err
			}
			return printer.Print(g.Out, g.Output, all, func(w io.Writer) error {
				faultTable(w, all.FaultRules)
				return nil
			})
		},
	}
}
