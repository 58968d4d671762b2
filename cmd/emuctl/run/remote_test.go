package run

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
	"github.com/tcpemu/tcpemu/scenario"
	"github.com/tcpemu/tcpemu/server"
)

// The API's errors become the emulator's again, so that a remote run maps
// them to the same errno as an in-process one.
func TestAPIErrorsBecomeTheEmulatorsErrors(t *testing.T) {
	for e := tcp.Error(1); int(e) < tcp.NumErrors; e++ {
		err := tcpErr(status.Error(codes.FailedPrecondition, "sessions/s/endpoints/x: "+e.Error()))
		if !errors.Is(err, e) {
			t.Errorf("%q: got %v, want %v", e.Text(), err, e)
		}
	}
	if err := tcpErr(status.Error(codes.AlreadyExists, "192.168.0.1:8080: address already in use")); !errors.Is(err, emulator.ErrAddressInUse) {
		t.Errorf("ALREADY_EXISTS: %v", err)
	}
	other := status.Error(codes.Internal, "boom")
	if err := tcpErr(other); err != other {
		t.Errorf("INTERNAL became %v", err)
	}
}

// Every state the API reports maps to the emulator's state of that name.
func TestAPIStatesMapByName(t *testing.T) {
	n := 0
	for v, name := range pb.State_name {
		if v == 0 {
			continue
		}
		got := stateOf(pb.State(v))
		want := strings.ReplaceAll(strings.TrimPrefix(name, "STATE_"), "_", "-")
		if got.String() != want {
			t.Errorf("%s → %s, want %s", name, got, want)
		}
		n++
	}
	if n != tcp.NumStates {
		t.Errorf("%d API states, %d emulator states", n, tcp.NumStates)
	}
}

func TestLabelValuesAreValid(t *testing.T) {
	for in, want := range map[string]string{
		"Passive Open":          "passive-open",
		"time_wait.v2":          "time_wait.v2",
		strings.Repeat("x", 70): strings.Repeat("x", 63),
	} {
		if got := labelValue(in); got != want {
			t.Errorf("labelValue(%q) = %q, want %q", in, got, want)
		}
	}
}

// The largest write() a script may make fits one Send to a daemon with
// the default limits, so that it runs the same in process and remotely.
func TestTheLargestWriteFitsOneSend(t *testing.T) {
	if scenario.MaxWrite > server.DefaultLimits.MaxPayload {
		t.Errorf("scenario.MaxWrite %d > the daemon's MaxPayload %d", scenario.MaxWrite, server.DefaultLimits.MaxPayload)
	}
}
