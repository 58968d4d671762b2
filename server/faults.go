package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/tcpemu/tcpemu/emulator"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// Fault rules: "sessions/{session}/faultRules/{fault_rule}". The emulator
// numbers rules and forgets one once it has acted its count; the server
// names them and keeps a retired rule listed (retired = true) until it is
// deleted, as fault.proto promises.

// CreateFaultRule installs a rule; it acts on segments sent from now on.
func (s *Server) CreateFaultRule(ctx context.Context, req *pb.CreateFaultRuleRequest) (*pb.CreateFaultRuleResponse, error) {
	cmd, err := s.parser().createFaultRule(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.session, cmd.lang, in(ctx, inCreateFaultRule, req), func(sess *session, eo eventOpts) (*pb.CreateFaultRuleResponse, error) {
		return sess.createFaultRule(cmd, eo)
	})
}

// GetFaultRule reads a rule, with how often it has acted.
func (s *Server) GetFaultRule(_ context.Context, req *pb.GetFaultRuleRequest) (*pb.FaultRule, error) {
	cmd, err := s.parser().faultRule(req.GetName(), "")
	if err != nil {
		return nil, toStatus(err)
	}
	return apply(s, cmd.ref.session, "", func(sess *session, _ eventOpts) (*pb.FaultRule, error) {
		rec, err := sess.faultRule(cmd.ref)
		if err != nil {
			return nil, err
		}
		return sess.faultRuleView(rec, sess.liveFaults()), nil
	})
}

// ListFaultRules lists rules in creation order, retired ones included.
func (s *Server) ListFaultRules(_ context.Context, req *pb.ListFaultRulesRequest) (*pb.ListFaultRulesResponse, error) {
	cmd, err := s.parser().listFaultRules(req)
	if err != nil {
		return nil, toStatus(err)
	}
	return apply(s, cmd.session, "", func(sess *session, _ eventOpts) (*pb.ListFaultRulesResponse, error) {
		return sess.listFaultRules(cmd), nil
	})
}

// DeleteFaultRule removes a rule, live or retired.
func (s *Server) DeleteFaultRule(ctx context.Context, req *pb.DeleteFaultRuleRequest) (*pb.DeleteFaultRuleResponse, error) {
	cmd, err := s.parser().faultRule(req.GetName(), req.GetLanguage())
	if err != nil {
		return nil, toStatus(err)
	}
	return mutate(s, cmd.ref.session, cmd.lang, in(ctx, inDeleteFaultRule, req), func(sess *session, eo eventOpts) (*pb.DeleteFaultRuleResponse, error) {
		return sess.deleteFaultRule(cmd, eo)
	})
}

// faultRuleRec is the server's record of one rule.
type faultRuleRec struct {
	id    string
	core  emulator.FaultID
	spec  *pb.FaultRule // as created, output-only fields cleared
	fault emulator.Fault
	order uint64
}

// limit is how many times the rule acts before the emulator retires it;
// 0 for a standing rule.
func (r *faultRuleRec) limit() int {
	if r.fault.Nth > 0 {
		return 1
	}
	return r.fault.Count
}

// Checks.

type createFaultRuleCmd struct {
	session, id string
	spec        *pb.FaultRule
	fault       emulator.Fault
	lang        string
}

func (p parser) createFaultRule(req *pb.CreateFaultRuleRequest) (createFaultRuleCmd, error) {
	var v violations
	c := createFaultRuleCmd{
		session: p.sessionField(req.GetParent(), "parent", &v),
		id:      req.GetFaultRuleId(),
		lang:    req.GetLanguage(),
	}
	if c.id != "" && !validID(c.id) {
		v.add("fault_rule_id", "want 1-63 lowercase letters, digits and hyphens, starting with a letter; got %q", c.id)
	}
	c.fault = faultFromProto(req.GetFaultRule(), "fault_rule", &v)
	if r := req.GetFaultRule(); r != nil {
		c.spec = proto.Clone(r).(*pb.FaultRule)
		c.spec.Name, c.spec.Hits, c.spec.Retired = "", 0, false
	}
	languageField(c.lang, "language", &v)
	return c, v.err()
}

type faultRuleCmd struct {
	ref  faultRuleRef
	lang string
}

func (p parser) faultRule(name, lang string) (faultRuleCmd, error) {
	var v violations
	c := faultRuleCmd{lang: lang}
	ref, err := parseFaultRuleName(name)
	if err != nil {
		v.add("name", "%v", err)
	} else if p.session != "" && ref.session != p.session {
		v.add("name", "must be a fault rule of the batch's session %q, got %q", sessionName(p.session), name)
	}
	c.ref = ref
	languageField(lang, "language", &v)
	return c, v.err()
}

type listFaultRulesCmd struct {
	session  string
	pageSize int
	after    uint64 // creation order of the first rule of the page
}

func (p parser) listFaultRules(req *pb.ListFaultRulesRequest) (listFaultRulesCmd, error) {
	var v violations
	c := listFaultRulesCmd{
		session:  p.sessionField(req.GetParent(), "parent", &v),
		pageSize: pageSize(req.GetPageSize(), 100, 1000, "page_size", &v),
	}
	if tok := req.GetPageToken(); tok != "" {
		c.after = decodeOrderToken(tok, tokenFaultRules, "page_token", &v)
	}
	return c, v.err()
}

// Session methods, with the session's lock held.

func (s *session) createFaultRule(cmd createFaultRuleCmd, eo eventOpts) (*pb.CreateFaultRuleResponse, error) {
	if cmd.id != "" && s.net.rules[cmd.id] != nil {
		return nil, fmt.Errorf("%s: %w", faultRuleName(s.id, cmd.id), errAlreadyExists)
	}
	before := s.em.NextSeq()
	core, err := s.em.AddFault(cmd.fault)
	if err != nil {
		return nil, paramViolation(err, faultParamFields)
	}
	id := cmd.id
	if id == "" {
		for id = "rule-" + strconv.FormatUint(uint64(core), 10); s.net.rules[id] != nil; id += "x" {
		}
	}
	rec := &faultRuleRec{id: id, core: core, spec: cmd.spec, fault: cmd.fault, order: s.net.nextRule}
	s.net.nextRule++
	s.net.rules[id] = rec
	s.net.ruleByCore[core] = rec
	return &pb.CreateFaultRuleResponse{
		FaultRule: s.faultRuleView(rec, s.liveFaults()),
		Events:    s.eventsSince(before, eo),
	}, nil
}

func (s *session) faultRule(ref faultRuleRef) (*faultRuleRec, error) {
	rec := s.net.rules[ref.rule]
	if rec == nil {
		return nil, fmt.Errorf("%s: %w", ref, errFaultRuleNotFound)
	}
	return rec, nil
}

// liveFaults is the emulator's rules by ID: those not yet retired.
func (s *session) liveFaults() map[emulator.FaultID]emulator.FaultRule {
	rules := s.em.Faults()
	m := make(map[emulator.FaultID]emulator.FaultRule, len(rules))
	for _, r := range rules {
		m[r.ID] = r
	}
	return m
}

// faultRuleView is the rule as created, with hits and retired filled in:
// a rule the emulator no longer holds has acted its count and retired.
func (s *session) faultRuleView(rec *faultRuleRec, live map[emulator.FaultID]emulator.FaultRule) *pb.FaultRule {
	out := proto.Clone(rec.spec).(*pb.FaultRule)
	out.Name = faultRuleName(s.id, rec.id)
	if r, ok := live[rec.core]; ok {
		out.Hits = uint32(r.Fired)
	} else {
		out.Hits, out.Retired = uint32(rec.limit()), true
	}
	return out
}

func (s *session) listFaultRules(cmd listFaultRulesCmd) *pb.ListFaultRulesResponse {
	recs := make([]*faultRuleRec, 0, len(s.net.rules))
	for _, r := range s.net.rules {
		if r.order >= cmd.after {
			recs = append(recs, r)
		}
	}
	slices.SortFunc(recs, func(a, b *faultRuleRec) int { return cmp.Compare(a.order, b.order) })
	live := s.liveFaults()
	resp := &pb.ListFaultRulesResponse{}
	for _, r := range recs {
		if len(resp.FaultRules) == cmd.pageSize {
			resp.NextPageToken = encodeOrderToken(tokenFaultRules, r.order)
			break
		}
		resp.FaultRules = append(resp.FaultRules, s.faultRuleView(r, live))
	}
	return resp
}

func (s *session) deleteFaultRule(cmd faultRuleCmd, eo eventOpts) (*pb.DeleteFaultRuleResponse, error) {
	rec, err := s.faultRule(cmd.ref)
	if err != nil {
		return nil, err
	}
	before := s.em.NextSeq()
	if err := s.em.RemoveFault(rec.core); err != nil && !errors.Is(err, emulator.ErrNoFault) {
		return nil, err // ErrNoFault: it had retired
	}
	delete(s.net.rules, rec.id) // ruleByCore keeps naming it in old events
	return &pb.DeleteFaultRuleResponse{Events: s.eventsSince(before, eo)}, nil
}
