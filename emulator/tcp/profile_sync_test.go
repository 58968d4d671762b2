package tcp_test

import (
	"testing"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// TestMatrixUsesTheRFC9293Profile keeps the fixtures' copy of the rfc9293
// profile (package tcp cannot import emulator) equal to the real one, so
// the matrix tests the values sessions run with.
func TestMatrixUsesTheRFC9293Profile(t *testing.T) {
	if got, want := tcp.MatrixProfile(), emulator.ProfileRFC9293(); got != want {
		t.Errorf("fixtures_test.go's rfc9293Config differs from emulator.ProfileRFC9293:\n got  %+v\n want %+v", got, want)
	}
}
