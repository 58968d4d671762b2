package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"google.golang.org/grpc"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// External peers. Every change to a session ends in session.applied,
// which takes the segments the emulator handed to external hosts
// (TakeExternal) and appends them, payload and all, to the session's
// external log, tagged with the seq of their EVENT_KIND_SEGMENT_EXTERNAL
// event; then it closes the session's change channel, which wakes Watch
// and attached peers alike. Each peer reads the log after its own cursor,
// at its own pace, as a watcher reads the event log: a slow peer blocks
// nobody and misses nothing while the log still holds what it needs.

// Bounds of the external log: segments and payload octets kept for peers.
// A segment also leaves the log when its event leaves the event log.
const (
	maxExternalKept      = 1 << 16
	maxExternalKeptBytes = 64 << 20
)

// externalSeg is one segment handed to an external host.
type externalSeg struct {
	seq      uint64 // API seq of its segment_external event
	at       time.Duration
	src, dst netip.AddrPort
	seg      tcp.Segment // Payload is the log's own copy
}

// externalLog is a session's recent external segments, in seq order.
type externalLog struct {
	segs    []externalSeg
	bytes   int
	dropped uint64 // the highest seq trimmed (0: none)
}

// recordExternal files the segments a change handed out. They pair up,
// in order, with the segment_external events the change logged from core
// seq `before` on; the payloads are copied because the emulator may reuse
// its buffers.
func (s *session) recordExternal(before uint64, segs []tcp.Segment) {
	var evs []emulator.Event
	for _, ev := range s.em.Events(before - 1) {
		if ev.Kind == emulator.KindSegmentExternal {
			evs = append(evs, ev)
		}
	}
	// The newest events match the newest segments; if the log trimmed
	// some of this change's events (a huge Batch), the oldest segments
	// have no event left to name them and are not kept.
	skip := max(0, len(segs)-len(evs))
	evs = evs[len(evs)-(len(segs)-skip):]
	l := &s.net.ext
	if skip > 0 {
		// Their seqs are all before the oldest kept event: count that
		// range as dropped, so that a peer behind it ends with
		// OUT_OF_RANGE instead of silently missing them.
		l.dropped = max(l.dropped, apiSeq(s.em.FirstSeq())-1)
	}
	for i, seg := range segs[skip:] {
		seg.Payload = append([]byte(nil), seg.Payload...)
		l.segs = append(l.segs, externalSeg{
			seq: apiSeq(evs[i].Seq), at: evs[i].Time,
			src: s.em.Addr(seg.Src), dst: s.em.Addr(seg.Dst), seg: seg,
		})
		l.bytes += len(seg.Payload)
	}
	// Trim: what the event log no longer holds, and beyond the bounds.
	oldest := apiSeq(s.em.FirstSeq())
	n := 0
	for n < len(l.segs) && (l.segs[n].seq < oldest || len(l.segs)-n > maxExternalKept || l.bytes > maxExternalKeptBytes) {
		l.bytes -= len(l.segs[n].seg.Payload)
		l.dropped = l.segs[n].seq
		n++
	}
	if n > 0 {
		m := copy(l.segs, l.segs[n:])
		clear(l.segs[m:])
		l.segs = l.segs[:m]
	}
}

// peer is one attached external peer: the hosts it plays, or all (a
// catch-all, whose hosts list was empty).
type peer struct {
	hosts map[netip.Addr]bool
	all   bool
	no    uint64 // the session's n-th peer (from 0), as the journal names it
}

// receives reports whether a segment for dst goes to this peer.
func (p *peer) receives(dst netip.Addr) bool { return p.all || p.hosts[dst] }

// peerClaims is who plays which external host in a session.
type peerClaims struct {
	byHost   map[netip.Addr]*peer
	catchAll *peer
}

// claim registers p; every host must be external and unclaimed.
func (s *session) claim(p *peer) error {
	c := &s.net.peers
	if p.all && c.catchAll != nil {
		return fmt.Errorf("%w: another peer already plays every unclaimed host of %s; name the hosts to play", errAlreadyExists, sessionName(s.id))
	}
	for h := range p.hosts {
		if c.byHost[h] != nil {
			return fmt.Errorf("host %v: %w: another peer claims it", h, errAlreadyExists)
		}
		if s.em.HasHost(h) {
			return fmt.Errorf("host %v: %w: an endpoint of the session was bound on it, so segments for it stay inside the session", h, errNotExternal)
		}
	}
	for h := range p.hosts {
		c.byHost[h] = p
	}
	if p.all {
		c.catchAll = p
	}
	return nil
}

func (s *session) release(p *peer) {
	c := &s.net.peers
	for h := range p.hosts {
		if c.byHost[h] == p {
			delete(c.byHost, h)
		}
	}
	if c.catchAll == p {
		c.catchAll = nil
	}
}

// claimedByOther reports whether a peer other than p plays host h.
func (s *session) claimedByOther(p *peer, h netip.Addr) bool {
	o := s.net.peers.byHost[h]
	return o != nil && o != p
}

// errNotExternal: a peer named a host that is part of the session.
var errNotExternal = errors.New("not an external host")

// attachCmd is a checked ExternalPeerAttach.
type attachCmd struct {
	session string
	peer    *peer
	lang    string
	after   uint64
}

func (p parser) attach(a *pb.ExternalPeerAttach) (attachCmd, error) {
	var v violations
	if a == nil {
		v.add("attach", "the first message must be attach")
		return attachCmd{}, v.err()
	}
	c := attachCmd{
		session: p.sessionField(a.GetSession(), "attach.session", &v),
		peer:    &peer{hosts: make(map[netip.Addr]bool), all: len(a.GetHosts()) == 0},
		lang:    a.GetLanguage(),
		after:   a.GetAfterSeq(),
	}
	for i, h := range a.GetHosts() {
		ip, err := netip.ParseAddr(h)
		if err != nil || ip.Zone() != "" || ip.IsUnspecified() {
			v.add(indexed("attach.hosts", i), "not a host's IP address: %q", h)
			continue
		}
		c.peer.hosts[ip.Unmap()] = true
	}
	languageField(c.lang, "attach.language", &v)
	return c, v.err()
}

// AttachExternalPeer plays external hosts for an outside TCP
// implementation.
//
// The first message must be attach: the peer claims its hosts (or, with
// none named, every host no other peer claims) and gets `attached`. Then,
// until the stream ends:
//
//   - Segments: every segment handed to a host the peer plays comes as a
//     `segment` message, exactly once per stream and in the order of their
//     segment_external events (seq order, which is virtual-time order) —
//     starting after attach.after_seq, or after the session's newest event
//     when the peer attached. A peer that reconnects with after_seq set to
//     the event_seq of the last segment it saw misses nothing and sees
//     nothing twice, as long as the session still keeps it (else the
//     stream ends with OUT_OF_RANGE, as Watch does).
//   - Sends: each `send` is applied in the order received, under the
//     session's lock like any call, and answered by one `sent` with the
//     same id, in the same order. A `sent` comes after every `segment`
//     handed out up to the end of its send's effects, so a peer reading
//     in order sees cause before answer.
//   - A refused send (a src the peer does not play, a bad
//     field) is answered by a `sent` with error set and nothing applied;
//     the stream goes on.
//
// The stream ends when the peer closes its side (after the segments
// already available are sent), is cancelled, the session is deleted
// (NOT_FOUND) or the server shuts down (UNAVAILABLE). The claims are
// released then; segments handed out later stay in the session's external
// log for a peer that attaches with after_seq.
func (s *Server) AttachExternalPeer(stream grpc.BidiStreamingServer[pb.AttachExternalPeerRequest, pb.AttachExternalPeerResponse]) error {
	first, err := stream.Recv()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	cmd, err := s.parser().attach(first.GetAttach())
	if err != nil {
		return toStatus(err)
	}
	sess, err := s.reg.get(cmd.session)
	if err != nil {
		return toStatus(err)
	}
	cursor, attached, err := s.attachPeer(sess, cmd, first.GetAttach())
	if err != nil {
		return toStatus(err)
	}
	defer func() {
		sess.mu.Lock()
		s.releasePeer(sess, cmd.peer)
		sess.mu.Unlock()
	}()
	if err := stream.Send(&pb.AttachExternalPeerResponse{Message: &pb.AttachExternalPeerResponse_Attached{Attached: attached}}); err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	// The reader only receives. Sends are applied here, on the handler's
	// goroutine: a panic while applying one is then recovered (INTERNAL)
	// by the stream interceptor instead of killing the daemon, and no send
	// is applied after the stream has ended without its `sent` answer.
	type input struct {
		req *pb.AttachExternalPeerRequest
		err error
	}
	in := make(chan input, 16)
	go func() {
		for {
			req, err := stream.Recv()
			select {
			case in <- input{req: req, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()

	send := func(m *pb.AttachExternalPeerResponse) error { return stream.Send(m) }
	for {
		changed, err := sess.flushExternal(cmd.peer, &cursor, send)
		if err != nil {
			return toStatus(err)
		}
		select {
		case x := <-in:
			if x.err != nil {
				if errors.Is(x.err, io.EOF) {
					return nil // the peer is done; it has what was available
				}
				return x.err
			}
			var sent *pb.ExternalPeerSent
			if snd := x.req.GetSend(); snd != nil {
				sent = s.peerSend(sess, cmd, snd)
			} else {
				sent = &pb.ExternalPeerSent{Error: toOperationError(&invalidArgumentError{violations: []fieldViolation{
					{"send", "after attach, every message must be send"},
				}})}
			}
			// The send's segments are in the log already: flush them first.
			if _, err := sess.flushExternal(cmd.peer, &cursor, send); err != nil {
				return toStatus(err)
			}
			if err := send(&pb.AttachExternalPeerResponse{Message: &pb.AttachExternalPeerResponse_Sent{Sent: sent}}); err != nil {
				return err
			}
		case <-changed:
		case <-ctx.Done():
			return toStatus(ctx.Err())
		case <-s.stopping:
			return toStatus(errShuttingDown)
		}
	}
}

// attachPeer claims the peer's hosts and picks its starting cursor.
func (srv *Server) attachPeer(s *session, cmd attachCmd, req *pb.ExternalPeerAttach) (uint64, *pb.ExternalPeerAttached, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return 0, nil, fmt.Errorf("%s: %w", sessionName(s.id), errSessionNotFound)
	}
	if err := s.checkWritable(); err != nil {
		return 0, nil, err
	}
	cursor := s.lastSeq()
	if cmd.after > 0 {
		if err := s.checkNotAhead(cmd.after); err != nil {
			return 0, nil, err
		}
		if err := s.checkExternalKept(cmd.after); err != nil {
			return 0, nil, err
		}
		cursor = cmd.after
	}
	if err := srv.claimPeer(s, cmd.peer, req); err != nil {
		return 0, nil, err
	}
	return cursor, &pb.ExternalPeerAttached{Now: durationToProto(s.em.Now()), LastEventSeq: s.lastSeq()}, nil
}

// claimPeer claims p's hosts, numbers p and journals the claim (claims
// decide later outcomes: a CreateEndpoint on a claimed host fails). The
// session is locked.
func (srv *Server) claimPeer(s *session, p *peer, req *pb.ExternalPeerAttach) error {
	if err := s.claim(p); err != nil {
		return err
	}
	p.no = s.nextPeer
	s.nextPeer++
	return srv.journalRaw(s, &journalIn{tag: inPeerClaim, peer: p.no, msg: req})
}

// releasePeer releases p's claims and journals it; the session is locked.
func (srv *Server) releasePeer(s *session, p *peer) {
	if p == nil {
		return
	}
	s.release(p)
	if !s.gone && s.readOnly == "" {
		_ = srv.journalRaw(s, &journalIn{tag: inPeerRelease, peer: p.no, raw: []byte{}})
	}
}

// checkExternalKept fails with OUT_OF_RANGE when segments after `after`
// were trimmed from the external log.
func (s *session) checkExternalKept(after uint64) error {
	if d := s.net.ext.dropped; after < d {
		return fmt.Errorf("%w: external segments up to seq %d are no longer kept; resume with after_seq %d or later", errOutOfRange, d, d)
	}
	return nil
}

// flushExternal sends the peer every kept segment after *cursor that it
// plays, in seq order, advancing *cursor; it returns the change channel
// to wait on next. The lock is held to copy a batch, never while sending.
func (s *session) flushExternal(p *peer, cursor *uint64, send func(*pb.AttachExternalPeerResponse) error) (<-chan struct{}, error) {
	for {
		s.mu.Lock()
		if s.gone {
			s.mu.Unlock()
			return nil, fmt.Errorf("%s: %w (deleted while a peer was attached)", sessionName(s.id), errSessionNotFound)
		}
		if err := s.checkExternalKept(*cursor); err != nil {
			s.mu.Unlock()
			return nil, err
		}
		var batch []*pb.AttachExternalPeerResponse
		segs := s.net.ext.segs
		i, _ := searchSeq(segs, *cursor)
		for ; i < len(segs) && len(batch) < 256; i++ {
			e := &segs[i]
			*cursor = e.seq
			if p.receives(e.dst.Addr()) {
				batch = append(batch, &pb.AttachExternalPeerResponse{Message: &pb.AttachExternalPeerResponse_Segment{
					Segment: &pb.ExternalSegment{Segment: segmentToProto(e.src, e.dst, &e.seg), Time: durationToProto(e.at), EventSeq: e.seq},
				}})
			}
		}
		more := i < len(segs)
		changed := s.changed
		s.mu.Unlock()
		for _, m := range batch {
			if err := send(m); err != nil {
				return nil, err
			}
		}
		if !more {
			return changed, nil
		}
	}
}

// searchSeq finds the first segment with a seq after `after`.
func searchSeq(segs []externalSeg, after uint64) (int, bool) {
	lo, hi := 0, len(segs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if segs[m].seq <= after {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(segs)
}

// peerSend applies one ExternalPeerSend: the segment arrives at its dst
// now, as Inject does, or travels the network with via_network. Failures
// are reported in the answer.
func (s *Server) peerSend(sess *session, cmd attachCmd, snd *pb.ExternalPeerSend) *pb.ExternalPeerSent {
	out := &pb.ExternalPeerSent{Id: snd.GetId()}
	var v violations
	if snd.GetSegment() == nil {
		v.add("segment", "required")
	}
	src, dst, seg := segmentFromProto(snd.GetSegment(), "segment", s.limits.MaxPayload, &v)
	if err := v.err(); err != nil {
		out.Error = toOperationError(err)
		return out
	}
	j := &journalIn{tag: inPeerSend, peer: cmd.peer.no, msg: snd}
	resp, err := mutate(s, cmd.session, cmd.lang, j, func(sess *session, eo eventOpts) (*pb.InjectResponse, error) {
		h := src.Addr()
		switch {
		case cmd.peer.all && (sess.claimedByOther(cmd.peer, h) || sess.em.HasHost(h)),
			!cmd.peer.all && !cmd.peer.hosts[h]:
			return nil, &invalidArgumentError{violations: []fieldViolation{{
				"segment.header.src.ip", fmt.Sprintf("%v is not a host this peer plays", h),
			}}}
		}
		inject := sess.em.Inject
		if snd.GetViaNetwork() {
			inject = sess.em.InjectVia
		}
		evs, err := inject(src, dst, seg)
		return &pb.InjectResponse{Events: sess.events(evs, eo, nil)}, err
	})
	if err != nil {
		out.Error = toOperationError(err)
		return out
	}
	out.Events = resp.Events
	return out
}

// segmentToProto writes a whole segment: header, options and payload.
func segmentToProto(src, dst netip.AddrPort, seg *tcp.Segment) *pb.Segment {
	h := &pb.SegmentHeader{
		Src: addressToProto(src), Dst: addressToProto(dst),
		Seq: uint32(seg.Seq), Ack: uint32(seg.Ack), Flags: flagsToProto(seg.Flags),
		Window: uint32(seg.Window), UrgentPointer: uint32(seg.Urgent),
	}
	o := seg.Options
	if o.MSS != 0 || o.HasWScale || o.SACKPermitted || o.HasTimestamps {
		h.Options = &pb.SegmentOptions{SackPermitted: o.SACKPermitted}
		if o.MSS != 0 {
			mss := uint32(o.MSS)
			h.Options.Mss = &mss
		}
		if o.HasWScale {
			ws := uint32(o.WScale)
			h.Options.WindowScale = &ws
		}
		if o.HasTimestamps {
			h.Options.Timestamps = &pb.Timestamps{Tsval: o.TSVal, Tsecr: o.TSEcr}
		}
	}
	return &pb.Segment{Header: h, Payload: seg.Payload}
}
