package cmdutil

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// completeTimeout bounds the calls a shell's Tab makes: a daemon that is
// not there must not hang the prompt.
const completeTimeout = 2 * time.Second

// CompleteSessions completes the first argument with the daemon's
// session IDs.
func (g *Globals) CompleteSessions(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return g.sessionIDs(toComplete, ""), cobra.ShellCompDirectiveNoFileComp
}

// CompleteEndpoints completes the first argument as SESSION/ENDPOINT:
// session IDs (with a slash) first, then that session's endpoints.
func (g *Globals) CompleteEndpoints(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	sess, _, ok := strings.Cut(strings.TrimPrefix(toComplete, "sessions/"), "/")
	if !ok {
		return g.sessionIDs(toComplete, "/"), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	c, done, err := g.Client()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), completeTimeout)
	defer cancel()
	r, err := c.ListEndpoints(ctx, &pb.ListEndpointsRequest{Parent: "sessions/" + sess, PageSize: 1000})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, e := range r.Endpoints {
		if id := sess + "/" + LastSegment(e.Name); strings.HasPrefix(id, strings.TrimPrefix(toComplete, "sessions/")) {
			out = append(out, id)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func (g *Globals) sessionIDs(prefix, suffix string) []string {
	c, done, err := g.Client()
	if err != nil {
		return nil
	}
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), completeTimeout)
	defer cancel()
	r, err := c.ListSessions(ctx, &pb.ListSessionsRequest{PageSize: 1000})
	if err != nil {
		return nil
	}
	var out []string
	for _, s := range r.Sessions {
		if id := LastSegment(s.Name); strings.HasPrefix(id, strings.TrimPrefix(prefix, "sessions/")) {
			out = append(out, id+suffix)
		}
	}
	return out
}
