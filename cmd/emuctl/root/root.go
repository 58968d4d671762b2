// Package root is emuctl's top command: global flags, the subcommands, and
// the mapping of errors to exit codes.
package root

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/bench"
	"github.com/tcpemu/tcpemu/cmd/emuctl/clock"
	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/endpoint"
	"github.com/tcpemu/tcpemu/cmd/emuctl/events"
	"github.com/tcpemu/tcpemu/cmd/emuctl/export"
	"github.com/tcpemu/tcpemu/cmd/emuctl/inject"
	"github.com/tcpemu/tcpemu/cmd/emuctl/net"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	"github.com/tcpemu/tcpemu/cmd/emuctl/run"
	"github.com/tcpemu/tcpemu/cmd/emuctl/session"
	"github.com/tcpemu/tcpemu/cmd/emuctl/watch"
)

// NewCmd builds the command tree.
func NewCmd(g *cmdutil.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "emuctl <command> [flags]",
		Short: "Drive tcpemu's emulated TCP endpoints: sessions, endpoints, the clock, the network, events",
		Long: "emuctl talks to a running emud over its gRPC API.\n\n" +
			"The daemon's address comes from --addr, else $" + cmdutil.AddrEnv + ", else " + cmdutil.DefaultAddr + ".\n" +
			"Sessions are named by ID (s1) and endpoints and fault rules by SESSION/ID (s1/client);\n" +
			"full resource names (sessions/s1/endpoints/client) work too.\n\n" +
			"Every command that changes something prints the events it caused, one per line\n" +
			"(--ladder: as a ladder diagram; -o json or -o yaml: the whole response). Exit codes: 0 ok, 1 error, 2 usage.",
		Example: `  emud &
  emuctl session create s1 --seed 7 --fixed-isn 1000
  emuctl endpoint create s1/server --local 10.0.0.2:80
  emuctl endpoint create s1/client --local 10.0.0.1:40000
  emuctl endpoint listen s1/server
  emuctl endpoint connect s1/client --remote 10.0.0.2:80
  emuctl clock advance s1 --until-idle
  emuctl endpoint list s1 -o json
  source <(emuctl completion bash)`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(g.Out)
	cmd.SetErr(g.ErrOut)
	pf := cmd.PersistentFlags()
	pf.StringVar(&g.Addr, "addr", cmdutil.DefaultAddress(), "emud's address: host:port or unix:PATH (env "+cmdutil.AddrEnv+")")
	pf.StringVarP(&g.Output, "output", "o", "table", "output format: table, json or yaml")
	pf.StringVar(&g.Lang, "lang", cmdutil.DefaultLang(), "language of the explanations: en or ko (default from LC_ALL / LANG)")
	pf.BoolVar(&g.Ladder, "ladder", false, "draw the events a command returns (and events, watch) as a ladder diagram")
	pf.BoolVar(&g.Absolute, "absolute", false, "with --ladder: SEQ and ACK as on the wire, not relative to the SYN")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(printer.Formats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("lang", cobra.FixedCompletions([]string{"en", "ko"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.UsageError{Err: fmt.Errorf("%w\nSee '%s --help'.", err, c.CommandPath())}
	})
	cmd.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		formats := printer.Formats
		for p := c; p != nil; p = p.Parent() {
			if a, ok := p.Annotations[cmdutil.OutputsAnnotation]; ok {
				formats = strings.Split(a, ",")
				break
			}
		}
		if !slices.Contains(formats, g.Output) {
			return cmdutil.Usagef("-o %q: want %s", g.Output, strings.Join(formats, " or "))
		}
		if g.Lang != "en" && g.Lang != "ko" {
			return cmdutil.Usagef("--lang %q: want en or ko", g.Lang)
		}
		return nil
	}
	b := bench.NewCmd(g)
	// bench prints its own report: table or JSON only.
	b.Annotations = map[string]string{cmdutil.OutputsAnnotation: "table,json"}
	cmd.AddGroup(&cobra.Group{ID: "core", Title: "Sessions, endpoints and time:"},
		&cobra.Group{ID: "net", Title: "The network:"},
		&cobra.Group{ID: "observe", Title: "Events:"},
		&cobra.Group{ID: "tools", Title: "Tools:"})
	for _, c := range []struct {
		group string
		cmd   *cobra.Command
	}{
		{"core", session.NewCmd(g)},
		{"core", endpoint.NewCmd(g)},
		{"core", clock.NewCmd(g)},
		{"core", inject.NewCmd(g)},
		{"net", net.NewPathCmd(g)},
		{"net", net.NewFaultCmd(g)},
		{"net", net.NewPartitionCmd(g)},
		{"observe", events.NewCmd(g)},
		{"observe", watch.NewCmd(g)},
		{"observe", export.NewCmd(g)},
		{"tools", b},
		{"tools", run.NewCmd(g)},
	} {
		c.cmd.GroupID = c.group
		cmd.AddCommand(c.cmd)
	}
	for _, noun := range cmd.Commands() {
		if noun.HasSubCommands() && !noun.Runnable() {
			noun.RunE = unknownVerb
		}
	}
	cmd.SetHelpCommandGroupID("tools")
	cmd.SetCompletionCommandGroupID("tools")
	return cmd
}

// Main runs emuctl with args and returns the exit code: 0 ok, 1 error,
// 2 usage. An interrupt (Ctrl-C) or SIGTERM cancels the command's
// context: `watch` ends cleanly, a unary call is abandoned.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g := &cmdutil.Globals{Out: stdout, ErrOut: stderr}
	cmd := NewCmd(g)
	cmd.SetArgs(args)
	c, err := cmd.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	// cobra reports an unknown command or argument, a missing required
	// flag and a broken flag group as plain errors.
	var u *cmdutil.UsageError
	if !errors.As(err, &u) && c != nil && (!c.Runnable() || flagRuleBroken(err)) {
		err = &cmdutil.UsageError{Err: fmt.Errorf("%w\nSee '%s --help'.", err, c.CommandPath())}
	}
	fmt.Fprintln(stderr, cmdutil.FormatError(err, g.Addr))
	return cmdutil.ExitCode(err)
}

// unknownVerb runs for a noun given no verb (it prints the noun's help)
// or one it does not know (a usage error): cobra would print the help and
// exit 0 for both.
func unknownVerb(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	return cmdutil.Usagef("unknown command %q for %q\nSee '%s --help'.", args[0], cmd.CommandPath(), cmd.CommandPath())
}

// flagRuleBroken recognises cobra's errors for MarkFlagRequired and the
// flag groups (cobra has no error types for them).
func flagRuleBroken(err error) bool {
	m := err.Error()
	return strings.HasPrefix(m, "required flag(s)") || strings.HasPrefix(m, "if any flags in the group") ||
		strings.HasPrefix(m, "at least one of the flags in the group") || strings.HasPrefix(m, "none of the others can be")
}
