package session

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// CreateOptions are `session create`'s settings.
type CreateOptions struct {
	ID       string
	Seed     uint64
	Profile  string
	Set      []string // key=value profile overrides
	Labels   []string // key=value
	FixedISN uint32
	// HasFixedISN says whether --fixed-isn was given (0 is a valid ISN).
	HasFixedISN bool
}

func newCreateCmd(g *cmdutil.Globals) *cobra.Command {
	o := &CreateOptions{}
	cmd := &cobra.Command{
		Use:   "create [ID] [flags]",
		Short: "Create a session (the server picks the ID when none is given)",
		Long: `Creates a session. IDs are 1-63 lowercase letters, digits and hyphens, starting with
a letter. --set overrides one of the profile's values for every endpoint of the
session; the keys are: ` + strings.Join(cmdutil.OverrideKeys(), ", ") + `.`,
		Example: `  emuctl session create s1
  emuctl session create s1 --seed 7 --fixed-isn 1000
  emuctl session create lab --profile linux --set msl=30s --set syn_retries=2 --label student=kim`,
		Args: cmdutil.RangeArgs(0, 1, "at most one session ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.ID = strings.TrimPrefix(args[0], "sessions/")
			}
			o.HasFixedISN = cmd.Flags().Changed("fixed-isn")
			return runCreate(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.Uint64Var(&o.Seed, "seed", 0, "seed of the session's randomness (ISNs, loss, jitter); 0 is a seed too")
	f.StringVar(&o.Profile, "profile", "", "profile of default values: rfc9293 (default) or linux")
	f.StringArrayVar(&o.Set, "set", nil, "override a profile value, key=value (repeatable): msl=30s, syn_retries=2, rfc5961=true")
	f.StringArrayVar(&o.Labels, "label", nil, "label the session, key=value (repeatable)")
	f.Uint32Var(&o.FixedISN, "fixed-isn", 0, "every connection's ISS is this number instead of a seeded one")
	_ = cmd.RegisterFlagCompletionFunc("profile", cobra.FixedCompletions([]string{"rfc9293", "linux"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("set", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var keys []string
		for _, k := range cmdutil.OverrideKeys() {
			keys = append(keys, k+"=")
		}
		return keys, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
	return cmd
}

func runCreate(ctx context.Context, g *cmdutil.Globals, o *CreateOptions) error {
	po, err := cmdutil.ParseOverrides(o.Set)
	if err != nil {
		return err
	}
	labels, err := parseLabels(o.Labels)
	if err != nil {
		return err
	}
	s := &pb.Session{Seed: o.Seed, Profile: o.Profile, ProfileOverrides: po, Labels: labels}
	if o.HasFixedISN {
		s.FixedIsn = &o.FixedISN
	}
	c, done, err := g.Client()
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := cmdutil.CallContext(ctx)
	defer cancel()
	r, err := c.CreateSession(ctx, &pb.CreateSessionRequest{SessionId: o.ID, Session: s})
	if err != nil {
		return err
	}
	return printer.Print(g.Out, g.Output, r, func(w io.Writer) error {
		fmt.Fprintf(w, "created %s (profile %s, seed %d)\n", r.Name, r.Profile, r.Seed)
		return nil
	})
}
