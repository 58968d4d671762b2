package emulator_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// FuzzImpairParams feeds arbitrary path parameters and fault rules to a
// session and runs a connection through them: no panic, and every rejected
// parameter is a typed error (errors.Is ErrInvalidParameter). Seed corpus:
// testdata/fuzz/FuzzImpairParams.
func FuzzImpairParams(f *testing.F) {
	f.Add(int64(time.Millisecond), int64(0), 0.1, 0.0, 0.0, int64(0), 0, int64(0),
		uint8(tcp.SYN), true, uint32(0), uint32(0), 0, 0, 1, uint8(emulator.FaultDrop), int64(0), 0, 1)
	f.Add(int64(-1), int64(5), math.NaN(), 1.5, 0.2, int64(0), -3, int64(-9),
		uint8(0xff), false, uint32(1<<31), uint32(5), -1, 7, 0, uint8(99), int64(-5), 100, -2)
	f.Fuzz(func(t *testing.T, delay, jitter int64, loss, dup, reorder float64, reorderDelay int64, behind int, bandwidth int64,
		flags uint8, exact bool, seqFirst, seqLast uint32, minLen, maxLen, nth int, action uint8, fdelay int64, copies, count int) {
		s, err := emulator.New(emulator.Config{Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		p := emulator.Path{Delay: time.Duration(delay), Jitter: time.Duration(jitter), Loss: loss, Duplicate: dup,
			Reorder: reorder, ReorderDelay: time.Duration(reorderDelay), ReorderBehind: behind, Bandwidth: bandwidth}
		if err := s.SetPath(impCli.Addr(), impSrv.Addr(), p); err != nil && !errors.Is(err, emulator.ErrInvalidParameter) {
			t.Fatalf("SetPath: untyped error %v", err)
		}
		if err := s.SetDefaultPath(p); err != nil && !errors.Is(err, emulator.ErrInvalidParameter) {
			t.Fatalf("SetDefaultPath: untyped error %v", err)
		}
		fl := emulator.Fault{From: impCli, Flags: tcp.Flags(flags), ExactFlags: exact,
			MatchSeq: seqFirst != seqLast, SeqFirst: seqnum.Value(seqFirst), SeqLast: seqnum.Value(seqLast),
			MatchLen: minLen != 0 || maxLen != 0, MinLen: minLen, MaxLen: maxLen, Nth: nth,
			Action: emulator.FaultAction(action), Delay: time.Duration(fdelay), Copies: copies, Spacing: time.Duration(fdelay),
			Behind: copies, Count: count}
		if _, err := s.AddFault(fl); err != nil && !errors.Is(err, emulator.ErrInvalidParameter) {
			t.Fatalf("AddFault: untyped error %v", err)
		}
		if _, _, err := s.Listen(impSrv, emulator.EndpointOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Connect(impCli, impSrv, []byte("data"), emulator.EndpointOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RunUntilIdle(20000); err != nil && !errors.Is(err, emulator.ErrStepLimit) {
			t.Fatal(err)
		}
	})
}
