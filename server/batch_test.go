package server

import (
	"testing"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// omit_results leaves out the per-operation results but applies the same
// operations and returns the same events; a failure still reports its own
// result, with the error, and the index of the operation.
func TestBatchOmitResults(t *testing.T) {
	h := newHarness(t, Limits{})
	ops := func(session string) []*pb.BatchOperation {
		ep := "sessions/" + session + "/endpoints/"
		return []*pb.BatchOperation{
			{Operation: &pb.BatchOperation_Listen{Listen: &pb.ListenRequest{Name: ep + "server"}}},
			{Operation: &pb.BatchOperation_Connect{Connect: &pb.ConnectRequest{Name: ep + "client", Remote: addr("10.0.0.2", 80)}}},
			{Operation: &pb.BatchOperation_Advance{Advance: &pb.AdvanceRequest{Target: &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{}}}}},
		}
	}
	run := func(session string, omit bool, extra ...*pb.BatchOperation) *pb.BatchResponse {
		createPair(t, h, session)
		return must[*pb.BatchResponse](t)(h.c.Batch(h.ctx, &pb.BatchRequest{
			Session: "sessions/" + session, Operations: append(ops(session), extra...), OmitResults: omit}))
	}
	full, slim := run("full", false), run("slim", true)
	if len(full.Results) != 3 || len(slim.Results) != 0 || slim.FailedOperation != nil {
		t.Fatalf("results: %d with them, %d without (failed %v); want 3 and 0", len(full.Results), len(slim.Results), slim.FailedOperation)
	}
	if len(full.Events) == 0 || len(slim.Events) != len(full.Events) {
		t.Fatalf("events: %d with results, %d without; want the same, not 0", len(full.Events), len(slim.Events))
	}
	for i := range full.Events {
		if a, b := full.Events[i].GetStateChange().GetToState(), slim.Events[i].GetStateChange().GetToState(); a != b || full.Events[i].Seq != slim.Events[i].Seq {
			t.Fatalf("event %d differs: %v vs %v", i, full.Events[i], slim.Events[i])
		}
	}

	// A second Listen on a listening endpoint fails: its result alone comes back.
	again := &pb.BatchOperation{Operation: &pb.BatchOperation_Listen{Listen: &pb.ListenRequest{Name: "sessions/failing/endpoints/server"}}}
	failed := run("failing", true, again)
	if failed.FailedOperation == nil || *failed.FailedOperation != 3 || len(failed.Results) != 1 || failed.Results[0].GetError() == nil {
		t.Fatalf("failed batch: failed_operation %v, results %v; want 3 and one result with the error", failed.FailedOperation, failed.Results)
	}
}
