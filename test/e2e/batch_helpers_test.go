package e2e

import (
	"fmt"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

func untilIdleOp() *pb.BatchOperation {
	return &pb.BatchOperation{Operation: &pb.BatchOperation_Advance{Advance: &pb.AdvanceRequest{
		Target: &pb.AdvanceRequest_UntilIdle{UntilIdle: &pb.AdvanceUntilIdle{}}}}}
}

// serverOps binds and listens on 10.0.0.2:80 as "server" in session.
func serverOps(session string) []*pb.BatchOperation {
	return []*pb.BatchOperation{
		{Operation: &pb.BatchOperation_CreateEndpoint{CreateEndpoint: &pb.CreateEndpointRequest{EndpointId: "server", Endpoint: &pb.Endpoint{Local: addr("10.0.0.2", 80)}}}},
		{Operation: &pb.BatchOperation_Listen{Listen: &pb.ListenRequest{Name: session + "/endpoints/server"}}},
	}
}

// lifecycleOps is one whole connection, the i-th the listener accepts
// (its child is "server-i"): handshake, "ping" each way, both close,
// TIME-WAIT runs out.
func lifecycleOps(session string, i int) []*pb.BatchOperation {
	client := fmt.Sprintf("%s/endpoints/c%d", session, i)
	child := fmt.Sprintf("%s/endpoints/server-%d", session, i)
	return []*pb.BatchOperation{
		{Operation: &pb.BatchOperation_CreateEndpoint{CreateEndpoint: &pb.CreateEndpointRequest{EndpointId: fmt.Sprintf("c%d", i), Endpoint: &pb.Endpoint{Local: addr("10.0.0.1", uint32(40000+i))}}}},
		{Operation: &pb.BatchOperation_Connect{Connect: &pb.ConnectRequest{Name: client, Remote: addr("10.0.0.2", 80), Data: []byte("ping")}}},
		untilIdleOp(),
		{Operation: &pb.BatchOperation_Send{Send: &pb.SendRequest{Name: child, Data: []byte("pong")}}},
		untilIdleOp(),
		{Operation: &pb.BatchOperation_Receive{Receive: &pb.ReceiveRequest{Name: child}}},
		{Operation: &pb.BatchOperation_Receive{Receive: &pb.ReceiveRequest{Name: client}}},
		{Operation: &pb.BatchOperation_Close{Close: &pb.CloseRequest{Name: client}}},
		untilIdleOp(),
		{Operation: &pb.BatchOperation_Close{Close: &pb.CloseRequest{Name: child}}},
		untilIdleOp(),
		{Operation: &pb.BatchOperation_GetEndpoint{GetEndpoint: &pb.GetEndpointRequest{Name: client}}},
	}
}
