package server

import (
	"context"
	"fmt"

	"github.com/tcpemu/tcpemu/emulator"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Paths: the conditions of one direction between two hosts, or the
// session default. The emulator keeps them per pair of hosts, so every
// address here must have port 0 (convert_network.go says so to clients).

// SetPath sets a direction's path, or the session default.
func (s *Server) SetPath(ctx context.Context, req *pb.SetPathRequest) (*pb.SetPathResponse, error) {
	cmd, err := s.parser().setPath(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.session, cmd.lang, in(ctx, inSetPath, req), func(sess *session, eo eventOpts) (*pb.SetPathResponse, error) { return sess.setPath(cmd, eo) })
}

// GetPath reads the path that applies to one direction.
func (s *Server) GetPath(_ context.Context, req *pb.GetPathRequest) (*pb.Path, error) {
	cmd, err := s.parser().pathRef(req.GetSession(), req.GetSrc(), req.GetDst(), "")
	if err != nil {
		return nil, toStatus(err)
	}
	return apply(s, cmd.session, "", func(sess *session, _ eventOpts) (*pb.Path, error) { return sess.getPath(cmd), nil })
}

// ListPaths lists the session default and every direction's own path.
func (s *Server) ListPaths(_ context.Context, req *pb.ListPathsRequest) (*pb.ListPathsResponse, error) {
	cmd, err := s.parser().listPaths(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return apply(s, cmd.session, "", func(sess *session, _ eventOpts) (*pb.ListPathsResponse, error) { return sess.listPaths(cmd), nil })
}

// DeletePath removes a direction's own path, or resets the default.
func (s *Server) DeletePath(ctx context.Context, req *pb.DeletePathRequest) (*pb.DeletePathResponse, error) {
	cmd, err := s.parser().pathRef(req.GetSession(), req.GetSrc(), req.GetDst(), req.GetLanguage())
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.session, cmd.lang, in(ctx, inDeletePath, req), func(sess *session, eo eventOpts) (*pb.DeletePathResponse, error) {
		return sess.deletePath(cmd, eo)
	})
}

// Checks.

type setPathCmd struct {
	session string
	spec    pathSpec
	lang    string
}

func (p parser) setPath(req *pb.SetPathRequest) (setPathCmd, error) {
	var v violations
	c := setPathCmd{session: p.sessionField(req.GetSession(), "session", &v), lang: req.GetLanguage()}
	c.spec = pathFromProto(req.GetPath(), "path", &v)
	languageField(c.lang, "language", &v)
	return c, v.err()
}

// pathRefCmd names one direction (or the default): GetPath, DeletePath.
type pathRefCmd struct {
	session string
	pair    hostPair
	def     bool
	lang    string
}

func (p parser) pathRef(session string, src, dst *pb.Address, lang string) (pathRefCmd, error) {
	var v violations
	c := pathRefCmd{session: p.sessionField(session, "session", &v), lang: lang}
	c.pair, c.def = directionFromProto(src, dst, "src", "dst", &v)
	languageField(lang, "language", &v)
	return c, v.err()
}

type listPathsCmd struct {
	session  string
	pageSize int
	after    string // pairKey of the previous page's last path; "" to start
}

func (p parser) listPaths(req *pb.ListPathsRequest) (listPathsCmd, error) {
	var v violations
	c := listPathsCmd{
		session:  p.sessionField(req.GetSession(), "session", &v),
		pageSize: pageSize(req.GetPageSize(), 100, 1000, "page_size", &v),
	}
	if tok := req.GetPageToken(); tok != "" {
		after, err := decodePageToken(tok, tokenPaths)
		if err == nil {
			_, _, err = parsePairKey(after)
		}
		if err != nil {
			v.add("page_token", "%v", err)
		}
		c.after = after
	}
	return c, v.err()
}

// Session methods, with the session's lock held.

func (s *session) setPath(cmd setPathCmd, eo eventOpts) (*pb.SetPathResponse, error) {
	before := s.em.NextSeq()
	ps := cmd.spec
	if ps.def {
		if err := s.em.SetDefaultPath(ps.path); err != nil {
			return nil, paramViolation(err, pathParamFields)
		}
	} else {
		if err := s.em.SetPath(ps.pair.src, ps.pair.dst, ps.path); err != nil {
			return nil, paramViolation(err, pathParamFields)
		}
		s.net.paths[ps.pair] = true
	}
	return &pb.SetPathResponse{
		Path:   s.getPath(pathRefCmd{pair: ps.pair, def: ps.def}),
		Events: s.eventsSince(before, eo),
	}, nil
}

// getPath is the path that applies to a direction, as stored.
func (s *session) getPath(cmd pathRefCmd) *pb.Path {
	if cmd.def {
		return pathToProto(hostPair{}, true, s.em.DefaultPath())
	}
	p, own := s.em.Path(cmd.pair.src, cmd.pair.dst)
	return pathToProto(cmd.pair, !own, p)
}

func (s *session) listPaths(cmd listPathsCmd) *pb.ListPathsResponse {
	resp := &pb.ListPathsResponse{}
	afterPair, afterDef, _ := parsePairKey(cmd.after)
	if cmd.after == "" {
		resp.Paths = append(resp.Paths, pathToProto(hostPair{}, true, s.em.DefaultPath()))
	}
	for _, pair := range sortedPairs(s.net.paths) {
		if cmd.after != "" && !afterDef && pairLess(pair, afterPair) <= 0 {
			continue
		}
		if len(resp.Paths) == cmd.pageSize {
			last := resp.Paths[len(resp.Paths)-1]
			key := "default"
			if last.Src != nil {
				key = last.Src.Ip + ">" + last.Dst.Ip
			}
			resp.NextPageToken = encodePageToken(tokenPaths, key)
			break
		}
		p, _ := s.em.Path(pair.src, pair.dst)
		resp.Paths = append(resp.Paths, pathToProto(pair, false, p))
	}
	return resp
}

func (s *session) deletePath(cmd pathRefCmd, eo eventOpts) (*pb.DeletePathResponse, error) {
	before := s.em.NextSeq()
	switch {
	case cmd.def:
		if err := s.em.SetDefaultPath(emulator.Path{}); err != nil {
			return nil, err
		}
	case !s.net.paths[cmd.pair]:
		return nil, fmt.Errorf("path %v → %v: %w (it uses the session default)", cmd.pair.src, cmd.pair.dst, errPathNotFound)
	default:
		s.em.DeletePath(cmd.pair.src, cmd.pair.dst)
		delete(s.net.paths, cmd.pair)
	}
	return &pb.DeletePathResponse{Events: s.eventsSince(before, eo)}, nil
}
