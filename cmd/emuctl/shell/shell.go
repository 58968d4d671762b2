// Package shell is `emuctl shell`: an interactive prompt that runs
// emuctl's own commands — the same cobra tree, built afresh for every
// line — with line editing, persistent history, Tab completion of
// commands, flags, sessions and endpoints from the live daemon, a session
// in use so that commands need not repeat it, and the session's ladder
// drawn row by row as its events arrive.
//
// The line editor is github.com/reeflective/readline: emacs and vi
// keymaps, .inputrc, file-backed history, completion with descriptions,
// and a hint area under the input line that another goroutine may write
// to (where events caused by someone else are announced).
package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/reeflective/readline"
	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
)

// HistoryEnv names the variable that sets the history file.
const HistoryEnv = "EMUCTL_HISTORY"

// NewRoot builds emuctl's command tree for g (root.NewCmd: passed in, as
// root imports this package).
type NewRoot func(g *cmdutil.Globals) *cobra.Command

// Shell is one interactive session.
type Shell struct {
	g       *cmdutil.Globals
	build   NewRoot
	rl      *readline.Shell
	session string // the session in use: its ID, "" for none
	live    *liveLadder
	// liveOn prints the ladder's new rows after each command.
	liveOn bool
	out    io.Writer
}

type builtin struct{ name, short string }

var builtins = []builtin{
	{"use", "use SESSION: later commands apply to it (use - to stop)"},
	{"ladder", "ladder: the session's whole ladder; ladder live on|off: new rows after each command"},
	{"exit", "leave the shell (Ctrl-D too)"},
}

// NewCmd is `emuctl shell`.
func NewCmd(g *cmdutil.Globals, build NewRoot) *cobra.Command {
	return &cobra.Command{
		Use:   "shell [SESSION]",
		Short: "An interactive prompt: emuctl's commands with history, completion and a live ladder",
		Long: `Runs emuctl commands typed at a prompt, without the "emuctl" in front: the same
commands, flags and output as on the command line. Tab completes commands,
flags, session and endpoint names (asked of the daemon); Up and Down walk the
history, kept in $` + HistoryEnv + ` (default ~/.local/state/emuctl/history);
Ctrl-R searches it. Emacs keys by default, vi with "set editing-mode vi" in
~/.inputrc.

Shell commands:
  use SESSION     later commands apply to SESSION: "endpoint get client" means
                  "endpoint get SESSION/client", "events" means "events SESSION";
                  the session's new events are drawn as ladder rows after each
                  command ("use -" stops)
  ladder          the whole ladder of the session in use
  ladder live off stop (on: resume) drawing new rows after each command
  exit            leave (Ctrl-D too); Ctrl-C clears the line or stops a watch`,
		Example: `  emuctl shell
  emuctl shell s1          # with s1 in use
  emuctl> session create s1 --fixed-isn 1000
  emuctl> use s1
  emuctl s1> endpoint create server --local 10.0.0.2:80
  emuctl s1> endpoint listen ser<Tab>`,
		Args:              cmdutil.RangeArgs(0, 1, "at most a session ID"),
		ValidArgsFunction: g.CompleteSessions,
		RunE: func(cmd *cobra.Command, args []string) error {
			s := &Shell{g: g, build: build, out: g.Out, liveOn: true}
			s.newEditor()
			defer s.stopLive()
			if len(args) == 1 {
				if err := s.use(args[0]); err != nil {
					return err
				}
			}
			return s.loop()
		},
	}
}

// newRoot is a fresh command tree writing to the shell's output, with the
// shell's own global flags as defaults.
func (s *Shell) newRoot() *cobra.Command { return s.newRootTo(s.out, s.g.ErrOut) }

func (s *Shell) newRootTo(w, errOut io.Writer) *cobra.Command {
	g := &cmdutil.Globals{Out: w, ErrOut: errOut}
	root := s.build(g)
	root.SetOut(w)
	pf := root.PersistentFlags()
	for name, v := range map[string]string{"addr": s.g.Addr, "lang": s.g.Lang, "color": s.g.Color} {
		f := pf.Lookup(name)
		_ = f.Value.Set(v)
		f.DefValue = v
	}
	// A shell runs one command per line: no nested shell.
	for _, c := range root.Commands() {
		if c.Name() == "shell" {
			root.RemoveCommand(c)
		}
	}
	return root
}

func historyFile() string {
	if f := os.Getenv(HistoryEnv); f != "" {
		return f
	}
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "emuctl", "history")
}

// newEditor sets up the line editor: the prompt names the session in
// use, Tab completes, and the history lives in a file.
func (s *Shell) newEditor() {
	s.rl = readline.NewShell()
	s.rl.Prompt.Primary(s.prompt)
	s.rl.Completer = s.complete
	if f := historyFile(); f != "" {
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err == nil {
			s.rl.History.AddFromFile("history", f)
		}
	}
}

func (s *Shell) loop() error {
	if !cmdutil.IsTerminal(os.Stdin) {
		return s.script(os.Stdin)
	}
	fmt.Fprintln(s.out, "emuctl shell: type a command without \"emuctl\" (help lists them), Tab completes, exit or Ctrl-D leaves.")
	for {
		s.flushLive()
		line, err := s.rl.Readline()
		switch {
		case errors.Is(err, io.EOF):
			fmt.Fprintln(s.out)
			return nil
		case errors.Is(err, readline.ErrInterrupt):
			continue
		case err != nil:
			return fmt.Errorf("read the command line: %w", err)
		}
		if done := s.run(line); done {
			return nil
		}
	}
}

// script runs the lines of a non-terminal input (emuctl shell < file):
// the same commands, without line editing or prompts.
func (s *Shell) script(in io.Reader) error {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if s.run(line) {
			break
		}
		s.flushLive()
	}
	return sc.Err()
}

func (s *Shell) prompt() string {
	if s.session != "" {
		return "emuctl " + s.session + "> "
	}
	return "emuctl> "
}

// run runs one line; true means leave the shell.
func (s *Shell) run(line string) bool {
	words, _, err := cmdutil.SplitWords(line)
	if err != nil {
		fmt.Fprintln(s.g.ErrOut, "emuctl: "+err.Error())
		return false
	}
	if len(words) == 0 {
		return false
	}
	switch words[0] {
	case "exit", "quit":
		return true
	case "use":
		if len(words) != 2 {
			fmt.Fprintln(s.g.ErrOut, "emuctl: use SESSION (use - stops using one)")
			return false
		}
		if err := s.use(words[1]); err != nil {
			fmt.Fprintln(s.g.ErrOut, cmdutil.FormatError(err, s.g.Addr))
		}
		return false
	case "ladder":
		s.ladder(words[1:])
		return false
	}
	s.exec(words)
	if len(words) == 1 && words[0] == "help" {
		fmt.Fprintln(s.out, "\nShell commands:")
		for _, b := range builtins {
			fmt.Fprintf(s.out, "  %-8s %s\n", b.name, b.short)
		}
	}
	return false
}

// exec runs words through a fresh command tree; Ctrl-C cancels the
// command (a watch) and returns to the prompt.
func (s *Shell) exec(words []string) {
	root := s.newRoot()
	words = withSession(s.newRoot(), words, s.session)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root.SetArgs(words)
	c, err := root.ExecuteContextC(ctx)
	if err == nil {
		return
	}
	var u *cmdutil.UsageError
	if !errors.As(err, &u) && c != nil && !c.Runnable() {
		err = &cmdutil.UsageError{Err: fmt.Errorf("%w\nSee '%s --help'.", err, strings.TrimPrefix(c.CommandPath(), "emuctl "))}
	}
	fmt.Fprintln(s.g.ErrOut, cmdutil.FormatError(err, s.g.Addr))
}

// use makes id the session in use and starts following its events.
// A session that cannot be followed leaves the one in use as it was.
func (s *Shell) use(id string) error {
	if id == "-" {
		s.stopLive()
		s.session = ""
		return nil
	}
	name, err := cmdutil.SessionName(id)
	if err != nil {
		return err
	}
	l, err := startLive(s, name)
	if err != nil {
		return err
	}
	s.stopLive()
	s.session, s.live = cmdutil.LastSegment(name), l
	return nil
}

func (s *Shell) stopLive() {
	if s.live != nil {
		s.live.stop()
		s.live = nil
	}
}

// flushLive draws the rows of the events that arrived since the last
// prompt, once the daemon's log and the watch agree.
func (s *Shell) flushLive() {
	if s.live == nil || !s.liveOn {
		return
	}
	if err := s.live.flush(s.out); err != nil {
		// The session is gone (deleted) or the daemon is: stop using it.
		fmt.Fprintln(s.g.ErrOut, cmdutil.FormatError(err, s.g.Addr))
		s.stopLive()
		s.session = ""
	}
}

// ladder is the `ladder` builtin.
func (s *Shell) ladder(args []string) {
	switch {
	case len(args) == 2 && args[0] == "live" && (args[1] == "on" || args[1] == "off"):
		s.liveOn = args[1] == "on"
		return
	case len(args) != 0:
		fmt.Fprintln(s.g.ErrOut, "emuctl: ladder, or ladder live on|off")
		return
	case s.session == "":
		fmt.Fprintln(s.g.ErrOut, "emuctl: ladder draws the session in use: use SESSION first")
		return
	}
	s.exec([]string{"events", s.session, "--ladder"})
}
