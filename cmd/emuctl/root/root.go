// Package root is emuctl's top command: global flags, the subcommands, and
// the mapping of errors to exit codes.
package root

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/bench"
	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
)

// NewCmd builds the command tree.
func NewCmd(g *cmdutil.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "emuctl <command> [flags]",
		Short: "Drive and measure tcpemu's emulated TCP endpoints",
		Long: "emuctl talks to a running emud over its gRPC API.\n\n" +
			"The daemon's address comes from --addr, else $" + cmdutil.AddrEnv + ", else " + cmdutil.DefaultAddr + ".",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(g.Out)
	cmd.SetErr(g.ErrOut)
	pf := cmd.PersistentFlags()
	pf.StringVar(&g.Addr, "addr", cmdutil.DefaultAddress(), "emud's address: host:port or unix:PATH (env "+cmdutil.AddrEnv+")")
	pf.StringVarP(&g.Output, "output", "o", "table", "output format: table or json")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.UsageError{Err: fmt.Errorf("%w\nSee '%s --help'.", err, c.CommandPath())}
	})
	cmd.PersistentPreRunE = func(*cobra.Command, []string) error {
		if g.Output != "table" && g.Output != "json" {
			return cmdutil.Usagef("-o %q: want table or json", g.Output)
		}
		return nil
	}
	cmd.AddCommand(bench.NewCmd(g))
	return cmd
}

// Main runs emuctl with args and returns the exit code: 0 ok, 1 error,
// 2 usage.
func Main(args []string, stdout, stderr io.Writer) int {
	g := &cmdutil.Globals{Out: stdout, ErrOut: stderr}
	cmd := NewCmd(g)
	cmd.SetArgs(args)
	c, err := cmd.ExecuteC()
	if err == nil {
		return 0
	}
	// cobra reports an unknown command or argument as a plain error.
	var u *cmdutil.UsageError
	if !errors.As(err, &u) && c != nil && !c.Runnable() {
		err = &cmdutil.UsageError{Err: err}
	}
	fmt.Fprintln(stderr, "emuctl:", err)
	return cmdutil.ExitCode(err)
}
