package shell

import (
	"bytes"
	"io"
	"strconv"
	"strings"

	"github.com/reeflective/readline"
	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
)

// complete is the line editor's Tab: commands, flags and their values,
// session and endpoint names from the live daemon — everything cobra's
// own completion knows (the same ValidArgsFunctions the bash, zsh and fish
// scripts call), asked through its hidden __complete command on a fresh
// tree. With a session in use, an endpoint is completed by its ID alone.
func (s *Shell) complete(line []rune, cursor int) readline.Completions {
	words, open, err := cmdutil.SplitWords(string(line[:cursor]))
	if err != nil {
		return readline.Completions{}
	}
	word := ""
	if open {
		word, words = words[len(words)-1], words[:len(words)-1]
	}
	if len(words) == 0 {
		vals, _ := s.cobraComplete(nil, word)
		for _, b := range builtins {
			if strings.HasPrefix(b.name, word) {
				vals = append(vals, b.name, b.short)
			}
		}
		return completions(vals, true)
	}
	if words[0] == "use" {
		vals, _ := s.cobraComplete([]string{"session", "get"}, word)
		return completions(vals, true)
	}
	// An endpoint's ID under the session in use: complete SESSION/word
	// and hand back the IDs.
	prefix := ""
	if s.session != "" && !strings.HasPrefix(word, "-") && !strings.Contains(word, "/") {
		if c, _, err := s.newRoot().Find(words); err == nil && placeholder(c) == "SESSION/ID" && !hasPositional(c, words) {
			prefix = s.session + "/"
		}
	}
	vals, directive := s.cobraComplete(words, prefix+word)
	for i := 0; i < len(vals); i += 2 {
		vals[i] = strings.TrimPrefix(vals[i], prefix)
	}
	return completions(vals, directive&cobra.ShellCompDirectiveNoSpace == 0)
}

// completions are value, description pairs for the line editor. A value
// is inserted with the space after it, as a shell does, unless space is
// false (a session ID awaiting "/ENDPOINT"); typing a space or a slash
// next removes that space again.
func completions(vals []string, space bool) readline.Completions {
	if space {
		for i := 0; i < len(vals); i += 2 {
			vals[i] += " "
		}
	}
	return readline.CompleteValuesDescribed(vals...).NoSpace(' ', '/')
}

// hasPositional reports whether words (the command path and what follows)
// already hold a positional argument for c.
func hasPositional(c *cobra.Command, words []string) bool {
	_, rest, err := c.Root().Find(words)
	if err != nil {
		return false
	}
	c.InitDefaultHelpFlag()
	if c.ParseFlags(rest) != nil {
		return false
	}
	return len(c.Flags().Args()) > 0
}

// cobraComplete runs `__complete words... toComplete` on a fresh tree and
// returns value, description pairs and cobra's directive.
func (s *Shell) cobraComplete(words []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var out bytes.Buffer
	root := s.newRootTo(&out, io.Discard) // cobra reports the directive on stderr
	root.SetArgs(append(append([]string{cobra.ShellCompRequestCmd}, words...), toComplete))
	if err := root.Execute(); err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var vals []string
	directive := cobra.ShellCompDirectiveDefault
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if d, ok := strings.CutPrefix(l, ":"); ok {
			n, _ := strconv.Atoi(d)
			directive = cobra.ShellCompDirective(n)
			continue
		}
		if l == "" {
			continue
		}
		v, desc, _ := strings.Cut(l, "\t")
		vals = append(vals, v, desc)
	}
	if directive&cobra.ShellCompDirectiveError != 0 {
		return nil, directive
	}
	return vals, directive
}
