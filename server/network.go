package server

import (
	"context"
	"fmt"

	"google.golang.org/grpc"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// The session network's RPCs — paths, fault rules, partitions and external
// peers — wait for the emulator's impairment API (issue 3), which is still
// changing. This file is the seam: each RPC (and each Batch operation of
// the same kind, see batch.go) answers UNIMPLEMENTED through errNetwork,
// and wiring one means replacing its body here with the usual parse →
// apply → session method.

// errNetwork says which part of the network is not wired yet.
func errNetwork(what string) error {
	return fmt.Errorf("%w: %s are not wired to the emulator yet (issue 3, the session network); the network is perfect and has no delay", errUnimplemented, what)
}

// SetPath is not implemented yet.
func (s *Server) SetPath(context.Context, *pb.SetPathRequest) (*pb.SetPathResponse, error) {
	return nil, toStatus(errNetwork("paths"))
}

// GetPath is not implemented yet.
func (s *Server) GetPath(context.Context, *pb.GetPathRequest) (*pb.Path, error) {
	return nil, toStatus(errNetwork("paths"))
}

// ListPaths is not implemented yet.
func (s *Server) ListPaths(context.Context, *pb.ListPathsRequest) (*pb.ListPathsResponse, error) {
	return nil, toStatus(errNetwork("paths"))
}

// DeletePath is not implemented yet.
func (s *Server) DeletePath(context.Context, *pb.DeletePathRequest) (*pb.DeletePathResponse, error) {
	return nil, toStatus(errNetwork("paths"))
}

// CreateFaultRule is not implemented yet.
func (s *Server) CreateFaultRule(context.Context, *pb.CreateFaultRuleRequest) (*pb.CreateFaultRuleResponse, error) {
	return nil, toStatus(errNetwork("fault rules"))
}

// GetFaultRule is not implemented yet.
func (s *Server) GetFaultRule(context.Context, *pb.GetFaultRuleRequest) (*pb.FaultRule, error) {
	return nil, toStatus(errNetwork("fault rules"))
}

// ListFaultRules is not implemented yet.
func (s *Server) ListFaultRules(context.Context, *pb.ListFaultRulesRequest) (*pb.ListFaultRulesResponse, error) {
	return nil, toStatus(errNetwork("fault rules"))
}

// DeleteFaultRule is not implemented yet.
func (s *Server) DeleteFaultRule(context.Context, *pb.DeleteFaultRuleRequest) (*pb.DeleteFaultRuleResponse, error) {
	return nil, toStatus(errNetwork("fault rules"))
}

// Cut is not implemented yet.
func (s *Server) Cut(context.Context, *pb.CutRequest) (*pb.CutResponse, error) {
	return nil, toStatus(errNetwork("partitions"))
}

// Heal is not implemented yet.
func (s *Server) Heal(context.Context, *pb.HealRequest) (*pb.HealResponse, error) {
	return nil, toStatus(errNetwork("partitions"))
}

// AttachExternalPeer is not implemented yet: segments for external hosts
// are recorded as EVENT_KIND_SEGMENT_EXTERNAL events, and a harness can
// answer them with Inject.
func (s *Server) AttachExternalPeer(grpc.BidiStreamingServer[pb.AttachExternalPeerRequest, pb.AttachExternalPeerResponse]) error {
	return toStatus(errNetwork("external peers (use Watch for segment_external events and Inject to answer)"))
}
