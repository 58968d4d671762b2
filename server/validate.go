package server

import (
	"fmt"
	"maps"
	"math"
	"net/netip"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// A parser checks one request and turns it into a command: the emulator's
// values, ready to apply. Field paths in its errors are relative to the
// request; a batch prefixes them with "operations[i].<operation>".
type parser struct {
	limits Limits
	// session is the batch's session ID: names in an operation must belong
	// to it and its own session or parent field may be empty. Empty for
	// a plain RPC.
	session string
}

// sessionField reads a "sessions/{session}" field.
func (p parser) sessionField(name, field string, v *violations) string {
	if name == "" && p.session != "" {
		return p.session
	}
	id, err := parseSessionName(name)
	if err != nil {
		v.add(field, "%v", err)
		return ""
	}
	if p.session != "" && id != p.session {
		v.add(field, "must be the batch's session %q, got %q", sessionName(p.session), name)
	}
	return id
}

// endpointField reads a "sessions/{session}/endpoints/{endpoint}" field.
func (p parser) endpointField(name, field string, v *violations) endpointRef {
	ref, err := parseEndpointName(name)
	if err != nil {
		v.add(field, "%v", err)
		return ref
	}
	if p.session != "" && ref.session != p.session {
		v.add(field, "must be an endpoint of the batch's session %q, got %q", sessionName(p.session), name)
	}
	return ref
}

func languageField(lang, field string, v *violations) {
	if _, err := explain.ParseLang(lang); err != nil || (lang != "" && lang != "en" && lang != "ko") {
		v.add(field, "want \"en\" or \"ko\", got %q", lang)
	}
}

func (p parser) payload(data []byte, field string, v *violations) {
	if len(data) > p.limits.MaxPayload {
		v.add(field, "%d octets is more than the server's limit of %d", len(data), p.limits.MaxPayload)
	}
}

// pageSize reads a page size: 0 is def, more than max is max.
func pageSize(n int32, def, max int, field string, v *violations) int {
	switch {
	case n < 0:
		v.add(field, "must not be negative, got %d", n)
		return def
	case n == 0:
		return def
	case int(n) > max:
		return max
	}
	return int(n)
}

// Sessions.

type createSessionCmd struct {
	id        string
	spec      *pb.Session
	cfg       emulator.Config
	lang      explain.Lang
	overrides *emulator.Overrides
	ttl       time.Duration
	req       *pb.CreateSessionRequest // as checked: journaled to recreate the session
}

func (p parser) createSession(req *pb.CreateSessionRequest) (createSessionCmd, error) {
	var v violations
	c := createSessionCmd{id: req.GetSessionId(), req: req}
	if c.id != "" && !validID(c.id) {
		v.add("session_id", "want 1-63 lowercase letters, digits and hyphens, starting with a letter; got %q", c.id)
	}
	spec := req.GetSession()
	languageField(spec.GetLanguage(), "session.language", &v)
	c.lang, _ = explain.ParseLang(spec.GetLanguage())
	for k, val := range spec.GetLabels() {
		if k == "" || len(k) > 63 || len(val) > 63 {
			v.add("session.labels", "keys must be 1-63 characters and values at most 63, got %q=%q", k, val)
		}
	}
	c.cfg = emulator.Config{
		Seed:      spec.GetSeed(),
		Profile:   spec.GetProfile(),
		Overrides: overridesFromProto(spec.GetProfileOverrides(), "session.profile_overrides", &v),
		// service.proto: "A new session's default is a perfect network:
		// no delay, no loss." (The emulator's zero Delay means its
		// default; negative means none.)
		Delay: -1,
	}
	if spec != nil && spec.FixedIsn != nil {
		iss := seqnum.Value(*spec.FixedIsn)
		c.cfg.FixedISS = &iss
	}
	if spec != nil {
		c.spec = &pb.Session{
			Seed: spec.GetSeed(), Profile: spec.GetProfile(), ProfileOverrides: spec.GetProfileOverrides(),
			Labels: maps.Clone(spec.GetLabels()), FixedIsn: spec.FixedIsn, Language: spec.GetLanguage(),
			Ttl: spec.GetTtl(),
		}
		if spec.Ttl != nil {
			c.ttl = durationFromProto(spec.GetTtl(), "session.ttl", &v)
		}
	} else {
		c.spec = &pb.Session{}
	}
	if c.spec.Profile == "" {
		c.spec.Profile = emulator.DefaultProfile
	}
	return c, v.err()
}

type listSessionsCmd struct {
	pageSize int
	after    string // last session ID of the previous page
	labels   map[string]string
}

func (p parser) listSessions(req *pb.ListSessionsRequest) (listSessionsCmd, error) {
	var v violations
	c := listSessionsCmd{pageSize: pageSize(req.GetPageSize(), 100, 1000, "page_size", &v), labels: req.GetLabels()}
	if tok := req.GetPageToken(); tok != "" {
		after, err := decodePageToken(tok, tokenSessions)
		if err != nil {
			v.add("page_token", "%v", err)
		}
		c.after = after
	}
	return c, v.err()
}

func (p parser) sessionName(name string) (string, error) {
	var v violations
	id := p.sessionField(name, "name", &v)
	return id, v.err()
}

// Endpoints.

type createEndpointCmd struct {
	session, id    string
	local          netip.AddrPort
	overrides      *emulator.Overrides
	protoOverrides *pb.ProfileOverrides
	lang           string
}

func (p parser) createEndpoint(req *pb.CreateEndpointRequest) (createEndpointCmd, error) {
	var v violations
	c := createEndpointCmd{
		session: p.sessionField(req.GetParent(), "parent", &v),
		id:      req.GetEndpointId(),
		lang:    req.GetLanguage(),
	}
	if c.id != "" && !validID(c.id) {
		v.add("endpoint_id", "want 1-63 lowercase letters, digits and hyphens, starting with a letter; got %q", c.id)
	}
	if req.GetEndpoint() == nil {
		v.add("endpoint", "required: set endpoint.local")
	} else {
		c.local = addressFromProto(req.GetEndpoint().GetLocal(), "endpoint.local", false, &v)
		c.overrides = overridesFromProto(req.GetEndpoint().GetProfileOverrides(), "endpoint.profile_overrides", &v)
		c.protoOverrides = req.GetEndpoint().GetProfileOverrides()
	}
	languageField(c.lang, "language", &v)
	return c, v.err()
}

type endpointCmd struct {
	ref  endpointRef
	lang string
}

func (p parser) endpoint(name, lang string) (endpointCmd, error) {
	var v violations
	c := endpointCmd{ref: p.endpointField(name, "name", &v), lang: lang}
	languageField(lang, "language", &v)
	return c, v.err()
}

type listEndpointsCmd struct {
	session  string
	pageSize int
	after    uint64 // creation order of the last endpoint of the previous page, +1
	listener string // endpoint ID, or ""
	states   [tcp.NumStates]bool
	anyState bool
}

func (p parser) listEndpoints(req *pb.ListEndpointsRequest) (listEndpointsCmd, error) {
	var v violations
	c := listEndpointsCmd{
		session:  p.sessionField(req.GetParent(), "parent", &v),
		pageSize: pageSize(req.GetPageSize(), 100, 1000, "page_size", &v),
		anyState: len(req.GetStates()) == 0,
	}
	if l := req.GetListener(); l != "" {
		ref := p.endpointField(l, "listener", &v)
		if ref.session != "" && c.session != "" && ref.session != c.session {
			v.add("listener", "must be an endpoint of %q", req.GetParent())
		}
		c.listener = ref.endpoint
	}
	for i, st := range req.GetStates() {
		core, ok := stateFromProto(st)
		if !ok {
			v.add(indexed("states", i), "not a state: %v", st)
			continue
		}
		c.states[core] = true
	}
	if tok := req.GetPageToken(); tok != "" {
		c.after = decodeOrderToken(tok, tokenEndpoints, "page_token", &v)
	}
	return c, v.err()
}

type listenCmd struct {
	ref     endpointRef
	backlog int
	lang    string
}

func (p parser) listen(req *pb.ListenRequest) (listenCmd, error) {
	var v violations
	c := listenCmd{ref: p.endpointField(req.GetName(), "name", &v), lang: req.GetLanguage()}
	if req.Backlog != nil {
		if *req.Backlog == 0 || *req.Backlog > math.MaxInt32 {
			v.add("backlog", "must be at least 1, got %d", *req.Backlog)
		}
		c.backlog = int(*req.Backlog)
	}
	languageField(c.lang, "language", &v)
	return c, v.err()
}

type connectCmd struct {
	ref    endpointRef
	remote netip.AddrPort
	data   []byte
	lang   string
}

func (p parser) connect(req *pb.ConnectRequest) (connectCmd, error) {
	var v violations
	c := connectCmd{
		ref:    p.endpointField(req.GetName(), "name", &v),
		remote: addressFromProto(req.GetRemote(), "remote", false, &v),
		data:   req.GetData(),
		lang:   req.GetLanguage(),
	}
	p.payload(c.data, "data", &v)
	languageField(c.lang, "language", &v)
	return c, v.err()
}

type sendCmd struct {
	ref    endpointRef
	data   []byte
	urgent bool
	lang   string
}

func (p parser) send(req *pb.SendRequest) (sendCmd, error) {
	var v violations
	c := sendCmd{ref: p.endpointField(req.GetName(), "name", &v), data: req.GetData(), urgent: req.GetUrgent(), lang: req.GetLanguage()}
	p.payload(c.data, "data", &v)
	languageField(c.lang, "language", &v)
	return c, v.err()
}

type receiveCmd struct {
	ref  endpointRef
	max  int
	lang string
}

func (p parser) receive(req *pb.ReceiveRequest) (receiveCmd, error) {
	var v violations
	c := receiveCmd{ref: p.endpointField(req.GetName(), "name", &v), max: int(req.GetMaxLength()), lang: req.GetLanguage()}
	if c.max == 0 || c.max > p.limits.MaxPayload {
		// "0 reads everything readable": a receive buffer never holds
		// more than the payload limit's worth (rcv_wnd ≤ 65535).
		c.max = p.limits.MaxPayload
	}
	languageField(c.lang, "language", &v)
	return c, v.err()
}

// Inject and the clock.

type injectCmd struct {
	session    string
	src, dst   netip.AddrPort
	seg        tcp.Segment
	viaNetwork bool
	lang       string
}

func (p parser) inject(req *pb.InjectRequest) (injectCmd, error) {
	var v violations
	c := injectCmd{session: p.sessionField(req.GetSession(), "session", &v), viaNetwork: req.GetViaNetwork(), lang: req.GetLanguage()}
	if req.GetSegment() == nil {
		v.add("segment", "required")
	} else {
		c.src, c.dst, c.seg = segmentFromProto(req.GetSegment(), "segment", p.limits.MaxPayload, &v)
	}
	languageField(c.lang, "language", &v)
	return c, v.err()
}

type advanceMode uint8

const (
	advanceBy advanceMode = iota
	advanceTo
	advanceSteps
	advanceUntilIdle
)

type advanceCmd struct {
	session string
	mode    advanceMode
	d       time.Duration // by or to
	steps   int           // steps or until_idle's bound
	lang    string
	// maxEvents: stop early once the call (a Batch: the whole batch) has
	// caused this many events.
	maxEvents int
}

func (p parser) advance(req *pb.AdvanceRequest) (advanceCmd, error) {
	var v violations
	c := advanceCmd{session: p.sessionField(req.GetSession(), "session", &v), lang: req.GetLanguage(), steps: p.limits.MaxAdvanceSteps,
		maxEvents: p.limits.MaxEventsPerCall}
	languageField(c.lang, "language", &v)
	switch t := req.GetTarget().(type) {
	case *pb.AdvanceRequest_By:
		c.mode, c.d = advanceBy, durationFromProto(t.By, "by", &v)
	case *pb.AdvanceRequest_To:
		c.mode, c.d = advanceTo, durationFromProto(t.To, "to", &v)
	case *pb.AdvanceRequest_Step:
		c.mode, c.steps = advanceSteps, max(1, int(t.Step.GetCount()))
		if c.steps > p.limits.MaxAdvanceSteps {
			return c, fmt.Errorf("%w: step.count %d is more than the server's limit of %d steps per advance", errLimit, c.steps, p.limits.MaxAdvanceSteps)
		}
	case *pb.AdvanceRequest_UntilIdle:
		c.mode = advanceUntilIdle
		if n := int(t.UntilIdle.GetMaxSteps()); n > p.limits.MaxAdvanceSteps {
			return c, fmt.Errorf("%w: until_idle.max_steps %d is more than the server's limit of %d steps per advance", errLimit, n, p.limits.MaxAdvanceSteps)
		} else if n > 0 {
			c.steps = n
		}
	default:
		v.add("target", "set exactly one of by, to, step or until_idle")
	}
	return c, v.err()
}

// Events.

type watchCmd struct {
	session   string
	after     uint64
	endpoints map[string]bool
	kinds     kindSet
	lang      string
	maxBatch  int
	omit      bool
}

func (p parser) watch(req *pb.WatchRequest) (watchCmd, error) {
	var v violations
	c := watchCmd{
		session: p.sessionField(req.GetSession(), "session", &v),
		after:   req.GetAfterSeq(),
		kinds:   kindSetFromProto(req.GetKinds(), "kinds", &v),
		lang:    req.GetLanguage(),
		omit:    req.GetOmitExplanations(),
	}
	c.endpoints = endpointFilter(req.GetEndpoints(), "endpoints", &v)
	languageField(c.lang, "language", &v)
	c.maxBatch = int(req.GetMaxBatch())
	if c.maxBatch == 0 || c.maxBatch > p.limits.MaxEventsPerMessage {
		c.maxBatch = p.limits.MaxEventsPerMessage
	}
	return c, v.err()
}

type listEventsCmd struct {
	watchCmd
	pageSize int
}

func (p parser) listEvents(req *pb.ListEventsRequest) (listEventsCmd, error) {
	var v violations
	c := listEventsCmd{watchCmd: watchCmd{
		session: p.sessionField(req.GetParent(), "parent", &v),
		after:   req.GetAfterSeq(),
		kinds:   kindSetFromProto(req.GetKinds(), "kinds", &v),
		lang:    req.GetLanguage(),
	}}
	c.endpoints = endpointFilter(req.GetEndpoints(), "endpoints", &v)
	languageField(c.lang, "language", &v)
	c.pageSize = pageSize(req.GetPageSize(), 1000, p.limits.MaxEventsPerMessage, "page_size", &v)
	if tok := req.GetPageToken(); tok != "" {
		c.after = decodeOrderToken(tok, tokenEvents, "page_token", &v)
	}
	return c, v.err()
}

// endpointFilter reads endpoint IDs ("a", not full names); nil matches all.
func endpointFilter(ids []string, field string, v *violations) map[string]bool {
	if len(ids) == 0 {
		return nil
	}
	m := make(map[string]bool, len(ids))
	for i, id := range ids {
		if !validChildID(id) {
			v.add(indexed(field, i), "want an endpoint ID such as \"client\" (not a full name), got %q", id)
		}
		m[id] = true
	}
	return m
}
