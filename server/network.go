package server

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/tcpemu/tcpemu/emulator"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// The session network — paths (paths.go), fault rules (faults.go),
// partitions (partitions.go) and external peers (external.go) — lives in
// the emulator. The server keeps a record beside it of what it was told,
// for what the emulator does not offer: listing every direction that has
// its own path and every cut, naming rules by the IDs clients choose, and
// listing rules that have retired (the emulator forgets them).

// networkRecs is a session's record of its network; guarded by the
// session's mu.
type networkRecs struct {
	paths map[hostPair]bool // directions with their own path
	cuts  map[hostPair]bool // directions cut

	rules      map[string]*faultRuleRec           // live records, by ID
	ruleByCore map[emulator.FaultID]*faultRuleRec // every rule ever created, for event names
	nextRule   uint64                             // creation order of the next rule

	ext   externalLog
	peers peerClaims
}

func (n *networkRecs) init() {
	if n.paths == nil {
		n.paths = make(map[hostPair]bool)
		n.cuts = make(map[hostPair]bool)
		n.rules = make(map[string]*faultRuleRec)
		n.ruleByCore = make(map[emulator.FaultID]*faultRuleRec)
		n.peers.byHost = make(map[netip.Addr]*peer)
	}
}

// eventsSince converts the events logged from core seq `before` on: the
// events a network change caused (usually none).
func (s *session) eventsSince(before uint64, eo eventOpts) []*pb.Event {
	if s.em.NextSeq() == before {
		return nil
	}
	after := before - 1 // 0 wraps: "from the start"
	return s.events(s.em.Events(after), eo, nil)
}

// faultRuleName names the rule a core event cites ("" if none).
func (s *session) faultRuleName(id emulator.FaultID) string {
	if rec := s.net.ruleByCore[id]; rec != nil {
		return faultRuleName(s.id, rec.id)
	}
	if id == 0 {
		return ""
	}
	return faultRuleName(s.id, fmt.Sprintf("rule-%d", id))
}

// pairLess orders directions: by sending host, then receiving host.
func pairLess(a, b hostPair) int {
	if c := a.src.Compare(b.src); c != 0 {
		return c
	}
	return a.dst.Compare(b.dst)
}

func sortedPairs(m map[hostPair]bool) []hostPair {
	out := make([]hostPair, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.SortFunc(out, pairLess)
	return out
}

// pairKey is a direction in a page token: "192.0.2.1>192.0.2.2"; the
// session default is "default".
func pairKey(p hostPair, def bool) string {
	if def {
		return "default"
	}
	return p.src.String() + ">" + p.dst.String()
}

func parsePairKey(k string) (hostPair, bool, error) {
	if k == "default" {
		return hostPair{}, true, nil
	}
	a, b, ok := strings.Cut(k, ">")
	src, err1 := netip.ParseAddr(a)
	dst, err2 := netip.ParseAddr(b)
	if !ok || err1 != nil || err2 != nil {
		return hostPair{}, false, errBadToken
	}
	return hostPair{src, dst}, false, nil
}
