// Package session is `emuctl session`: create, get, list and delete
// sessions — isolated worlds with their own clock, seed, profile,
// endpoints, network and event log.
package session

import (
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tcpemu/tcpemu/cmd/emuctl/cmdutil"
	"github.com/tcpemu/tcpemu/cmd/emuctl/printer"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// NewCmd is `emuctl session`.
func NewCmd(g *cmdutil.Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "session <command>",
		Aliases: []string{"sessions"},
		Short:   "Create, inspect and delete sessions",
		Long: `A session is an isolated world: its own virtual clock, seed, profile (rfc9293 or
linux), endpoints, network paths and event log. Same seed + same commands ⇒ the
same events, byte for byte.`,
		Example: `  emuctl session create s1 --seed 7 --profile linux --set msl=30s --label run=42
  emuctl session get s1
  emuctl session list --label run=42 -o json
  emuctl session delete s1`,
	}
	cmd.AddCommand(newCreateCmd(g), newGetCmd(g), newListCmd(g), newDeleteCmd(g))
	return cmd
}

// table draws sessions one per row.
func table(w io.Writer, ss []*pb.Session) {
	printer.Row(w, "SESSION", "PROFILE", "SEED", "NOW", "ENDPOINTS", "PENDING", "LAST-SEQ", "LABELS")
	for _, s := range ss {
		printer.Row(w, cmdutil.LastSegment(s.Name), s.Profile, s.Seed, printer.Duration(s.Now), s.EndpointCount, s.Pending, s.LastEventSeq, printer.Dash(labels(s.Labels)))
	}
}

func labels(l map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		out = append(out, k+"="+l[k])
	}
	return strings.Join(out, ",")
}

// parseLabels reads --label k=v pairs.
func parseLabels(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, cmdutil.Usagef("--label %q: want key=value", kv)
		}
		out[k] = v
	}
	return out, nil
}
