// Package run is `emuctl run`: scenario scripts in packetdrill's dialect,
// run in-process (--local) or against an emud, with verdicts for people
// and for graders.
package run

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	"github.com/tcpemu/tcpemu/emulator/explain"
	"github.com/tcpemu/tcpemu/render"
	"github.com/tcpemu/tcpemu/scenario"
)

// Options are `emuctl run`'s settings.
type Options struct {
	Local   bool
	Profile string
	Format  string
	Seed    uint64
	Verbose bool
	Files   []string
}

// ErrNotAllPassed is returned (exit code 1) when any script did not pass;
// the verdicts themselves are already written.
type ErrNotAllPassed struct{ Summary render.Summary }

func (e *ErrNotAllPassed) Error() string {
	s := e.Summary
	return fmt.Sprintf("%d of %d script(s) did not pass (%d failed, %d unsupported, %d error(s))",
		s.Total-s.Passed, s.Total, s.Failed, s.Unsupported, s.Errors)
}

// NewCmd is `emuctl run`.
func NewCmd(g *cmdutil.Globals) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "run [--local | --addr ADDR] [--profile linux|rfc9293] [--format FORMAT] FILE...",
		Short: "Run scenario scripts (packetdrill's dialect) and write verdicts",
		Long: `Runs each FILE, a script in packetdrill's dialect, against a fresh emulated
endpoint and writes a verdict. The script plays the remote TCP: its "<" lines are
segments it sends, its ">" lines what the endpoint must answer, and its system
calls (socket, bind, listen, accept, connect, read, write, shutdown, close,
setsockopt, getsockopt, fcntl) the endpoint's user calls. Time is virtual: a
script that waits out TIME-WAIT ends at once.

  --local  run in-process: no daemon needed (what a grader's container wants)
  default  run on the emud at --addr; each script's session stays there for
           inspection (emuctl events SESSION, emuctl export SESSION)

Shell commands in backticks are never run: defaults.sh means the profile's own
defaults, a sysctl of a knob the profile models becomes an override, and
anything else makes the verdict "unsupported", as does a %{ }% Python block.

Formats: human (the first mismatch with the rule behind it and the ladder so
far), junit (JUnit XML), tap (TAP 13), json, gradescope (results.json; each
script is worth its "~ points", 1 by default).

Exit codes: 0 every script passed, 1 any did not (or an error), 2 usage.`,
		Example: `  emuctl run --local scenarios/*.pkt
  emuctl run --local --profile rfc9293 --format junit scenarios/*.pkt > junit.xml
  emuctl run --local --format gradescope student/*.pkt > /autograder/results/results.json
  emuctl run --addr 127.0.0.1:7411 handshake.pkt && emuctl events <session>`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.Usagef("%s needs at least one script FILE\nSee '%s --help'.", cmd.CommandPath(), cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = args
			if o.Profile != "linux" && o.Profile != "rfc9293" {
				return cmdutil.Usagef("--profile %q: want linux or rfc9293", o.Profile)
			}
			if !slices.Contains(render.VerdictFormats, o.Format) {
				return cmdutil.Usagef("--format %q: want %s", o.Format, strings.Join(render.VerdictFormats, ", "))
			}
			if o.Local && cmd.Flags().Changed("addr") {
				return cmdutil.Usagef("--local and --addr exclude each other: --local runs in-process")
			}
			if g.Output == "json" && !cmd.Flags().Changed("format") {
				o.Format = "json"
			}
			return run(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Local, "local", false, "run in-process, without a daemon")
	f.StringVar(&o.Profile, "profile", "linux", "profile for scripts that name none: linux or rfc9293")
	f.StringVar(&o.Format, "format", "human", "verdict format: "+strings.Join(render.VerdictFormats, ", "))
	f.Uint64Var(&o.Seed, "seed", 1, "the sessions' seed (ISNs)")
	f.BoolVarP(&o.Verbose, "verbose", "v", false, "human format: draw the ladder of passing scripts too")
	_ = cmd.RegisterFlagCompletionFunc("profile", cobra.FixedCompletions([]string{"linux", "rfc9293"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(render.VerdictFormats, cobra.ShellCompDirectiveNoFileComp))
	cmd.Annotations = map[string]string{cmdutil.OutputsAnnotation: "table,json"}
	return cmd
}

// readScript reads a script, at most scenario.MaxScriptSize octets of it
// (a hostile file is not read whole).
func readScript(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read the script: %w", err)
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, scenario.MaxScriptSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the script: %w", err)
	}
	return src, nil
}

func run(ctx context.Context, g *cmdutil.Globals, o *Options) error {
	var current string
	open := scenario.NewLocal
	if !o.Local {
		c, done, err := g.Client()
		if err != nil {
			return err
		}
		defer done()
		open = remoteOpener(ctx, c, func() string { return strings.TrimSuffix(filepath.Base(current), filepath.Ext(current)) })
	}
	lang, _ := explain.ParseLang(g.Lang)
	results := make([]*scenario.Result, 0, len(o.Files))
	for _, file := range o.Files {
		current = file
		opts := scenario.Options{Profile: o.Profile, Seed: o.Seed, Lang: lang}
		src, err := readScript(file)
		if err != nil {
			// A verdict like any other, so that a grader still gets every
			// other script's verdict and its results.json.
			results = append(results, scenario.ErrorResult(file, opts, err))
			continue
		}
		res := scenario.RunFile(file, src, open, opts)
		if !o.Local && res.Status == scenario.StatusError && res.Where == "" && ctx.Err() == nil && res.Failure != nil &&
			strings.Contains(res.Failure.Message, "Unavailable") {
			return fmt.Errorf("%s: %s", res.Failure.Message, cmdutil.Unavailable(g.Addr))
		}
		results = append(results, res)
	}
	lo := printer.LadderOptions(g, g.Out)
	opts := render.VerdictOptions{Verbose: o.Verbose, Ladder: render.Options{
		Lang: lang, Explain: true, ExplainLines: 3, Color: lo.Color, Width: lo.Width, Absolute: g.Absolute,
	}}
	if err := render.Verdicts(g.Out, o.Format, results, opts); err != nil {
		return err
	}
	if s := render.Summarize(results); s.Passed != s.Total {
		return &ErrNotAllPassed{Summary: s}
	}
	return nil
}
