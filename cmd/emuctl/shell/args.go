package shell

import (
	"strings"

	"github.com/spf13/cobra"
)

// placeholder is what a command takes first, from its Use line:
// "SESSION" (events SESSION), "SESSION/ID" (endpoint get SESSION/ID) or
// "" (anything else).
func placeholder(c *cobra.Command) string {
	f := strings.Fields(c.Use)
	if len(f) < 2 {
		return ""
	}
	switch f[1] {
	case "SESSION", "SESSION/ID":
		return f[1]
	}
	return ""
}

// looksLikeSession reports whether s could be a session ID rather than
// another positional argument (a host such as 10.0.0.1, an ip:port).
func looksLikeSession(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".:/[") || strings.HasPrefix(s, "sessions/")
}

// withSession puts the session in use into a command's arguments, so that
// after `use s1` a user types `endpoint get client` for `endpoint get
// s1/client` and `events` for `events s1`. root is a fresh command tree to
// look the command up in; args are the words typed. Explicit names win: a
// first argument that names a session (s2, s2/client) is left alone.
func withSession(root *cobra.Command, args []string, session string) []string {
	if session == "" || len(args) == 0 {
		return args
	}
	c, rest, err := root.Find(args)
	if err != nil || c == root {
		return args
	}
	ph := placeholder(c)
	if ph == "" {
		return args
	}
	c.InitDefaultHelpFlag()
	if err := c.ParseFlags(rest); err != nil {
		return args
	}
	pos := c.Flags().Args()
	path := len(args) - len(rest)
	out := append([]string{}, args[:path]...)
	switch {
	case ph == "SESSION" && (len(pos) == 0 || !looksLikeSession(pos[0])):
		return append(append(out, session), rest...)
	case ph == "SESSION/ID" && len(pos) > 0 && !strings.Contains(pos[0], "/"):
		if i := firstPositional(c, rest); i >= 0 {
			rest = append(append(append([]string{}, rest[:i]...), session+"/"+rest[i]), rest[i+1:]...)
		}
		return append(out, rest...)
	}
	return args
}

// firstPositional is the index in rest of c's first positional argument:
// the first word that is neither a flag nor a flag's value. -1 if none.
func firstPositional(c *cobra.Command, rest []string) int {
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			if i+1 < len(rest) {
				return i + 1
			}
			return -1
		case !strings.HasPrefix(a, "-") || a == "-":
			return i
		case strings.Contains(a, "="):
		default:
			name := strings.TrimLeft(a, "-")
			f := c.Flags().Lookup(name)
			if f == nil && len(name) == 1 {
				f = c.Flags().ShorthandLookup(name)
			}
			if f != nil && f.NoOptDefVal == "" {
				i++ // the flag's value
			}
		}
	}
	return -1
}
