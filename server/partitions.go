package server

import (
	"context"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Partitions: cuts between two hosts, one way or both, taking effect at
// the session's current virtual time.

// Cut cuts the network between two hosts.
func (s *Server) Cut(ctx context.Context, req *pb.CutRequest) (*pb.CutResponse, error) {
	cmd, err := s.parser().cut(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.session, cmd.lang, in(ctx, inCut, req), func(sess *session, eo eventOpts) (*pb.CutResponse, error) { return sess.cut(cmd, eo) })
}

// Heal heals a cut, or every cut.
func (s *Server) Heal(ctx context.Context, req *pb.HealRequest) (*pb.HealResponse, error) {
	cmd, err := s.parser().heal(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.session, cmd.lang, in(ctx, inHeal, req), func(sess *session, eo eventOpts) (*pb.HealResponse, error) { return sess.heal(cmd, eo) })
}

type partitionCmd struct {
	session string
	pair    hostPair
	oneWay  bool
	all     bool // Heal only: every cut
	lang    string
}

func (p parser) cut(req *pb.CutRequest) (partitionCmd, error) {
	var v violations
	c := partitionCmd{session: p.sessionField(req.GetSession(), "session", &v), lang: req.GetLanguage()}
	c.pair, c.oneWay = partitionFromProto(req.GetPartition(), "partition", &v)
	languageField(c.lang, "language", &v)
	return c, v.err()
}

func (p parser) heal(req *pb.HealRequest) (partitionCmd, error) {
	var v violations
	c := partitionCmd{session: p.sessionField(req.GetSession(), "session", &v), all: req.GetAll(), lang: req.GetLanguage()}
	if !c.all {
		c.pair, c.oneWay = partitionFromProto(req.GetPartition(), "partition", &v)
	}
	languageField(c.lang, "language", &v)
	return c, v.err()
}

// directions is the one or two directions a partition names.
func (c partitionCmd) directions() []hostPair {
	if c.oneWay {
		return []hostPair{c.pair}
	}
	return []hostPair{c.pair, {c.pair.dst, c.pair.src}}
}

// Session methods, with the session's lock held. Each direction is cut or
// healed on its own (one_way), so the record matches the emulator's cuts
// exactly.

func (s *session) cut(cmd partitionCmd, eo eventOpts) (*pb.CutResponse, error) {
	before := s.em.NextSeq()
	for _, d := range cmd.directions() {
		if err := s.em.Partition(d.src, d.dst, true, s.em.Now()); err != nil {
			return nil, paramViolation(err, nil)
		}
		s.net.cuts[d] = true
	}
	return &pb.CutResponse{Events: s.eventsSince(before, eo)}, nil
}

func (s *session) heal(cmd partitionCmd, eo eventOpts) (*pb.HealResponse, error) {
	before := s.em.NextSeq()
	dirs := cmd.directions()
	if cmd.all {
		dirs = sortedPairs(s.net.cuts)
	}
	for _, d := range dirs {
		if err := s.em.Heal(d.src, d.dst, true, s.em.Now()); err != nil {
			return nil, paramViolation(err, nil)
		}
		delete(s.net.cuts, d)
	}
	return &pb.HealResponse{Events: s.eventsSince(before, eo)}, nil
}

// partitionsToProto lists the cuts for GetSession: a direction cut both
// ways is one two-way partition (a is the lower address).
func (s *session) partitionsToProto() []*pb.Partition {
	var out []*pb.Partition
	for _, d := range sortedPairs(s.net.cuts) {
		back := hostPair{d.dst, d.src}
		switch {
		case !s.net.cuts[back]:
			out = append(out, &pb.Partition{A: hostToProto(d.src), B: hostToProto(d.dst), OneWay: true})
		case pairLess(d, back) < 0:
			out = append(out, &pb.Partition{A: hostToProto(d.src), B: hostToProto(d.dst)})
		}
	}
	return out
}
