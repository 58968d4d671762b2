package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestGCPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name           string
		live, headroom uint64
		base, want     int
	}{
		{"small heap keeps GOGC", 50 * mib, 256 * mib, 100, 100},
		{"at the cap", 256 * mib, 256 * mib, 100, 100},
		{"large heap: headroom capped", 800 * mib, 256 * mib, 100, 32},
		{"GOGC below the cap's share wins", 800 * mib, 256 * mib, 20, 20},
		{"huge heap: at least minGCPercent", 100 << 30, 256 * mib, 100, minGCPercent},
		{"GOGC below minGCPercent is kept", 100 << 30, 256 * mib, 5, 5},
		{"no headroom cap", 800 * mib, 0, 100, 100},
		{"nothing measured yet", 0, 256 * mib, 100, 100},
		// headroom×100 would wrap around to 84 bytes: still no cap.
		{"a headroom past what ×100 holds", 800 * mib, math.MaxUint64/100 + 1, 100, 100},
		{"the largest headroom", 800 * mib, math.MaxUint64, 100, 100},
	} {
		if got := gcPercent(c.live, c.headroom, c.base); got != c.want {
			t.Errorf("%s: gcPercent(%d, %d, %d) = %d, want %d", c.name, c.live, c.headroom, c.base, got, c.want)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]uint64{
		"0": 0, "4096": 4096, "12B": 12, "3KiB": 3 << 10, "256MiB": 256 << 20, "2GiB": 2 << 30, "1TiB": 1 << 40,
	} {
		got, err := parseBytes(in)
		if err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "1.5GiB", "256MB", "1 GiB", "16777216TiB"} {
		if _, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q): no error", in)
		}
	}
	for _, n := range []byteSize{0, 1000, 1 << 10, 256 << 20, 3 << 30, 1<<30 + 1} {
		var back byteSize
		if err := back.Set(n.String()); err != nil || back != n {
			t.Errorf("%d → %q → %d, %v", n, n.String(), back, err)
		}
	}
}

// TestGCTunerCapsHeadroom keeps more live data than the headroom and
// checks that the tuner lowers the GC percentage after a collection and
// that stop restores GOGC's.
func TestGCTunerCapsHeadroom(t *testing.T) {
	base := debug.SetGCPercent(100)
	defer debug.SetGCPercent(base)
	reports := make(chan int, 64)
	stop := startGCTuner(1<<20, func(p int) {
		select {
		case reports <- p:
		default:
		}
	})
	live := make([][]byte, 64)
	for i := range live {
		live[i] = make([]byte, 1<<20) // 64 MiB live: a 1 MiB cap is under 10%
	}
	// A cleanup that read the figures before the live data was allocated
	// may report after it: collect until a report sees it (a bounded
	// number of collections, not a time).
	got := 0
	for i := 0; i < 1000 && got != minGCPercent; i++ {
		runtime.GC()
		select {
		case got = <-reports:
		default:
			runtime.Gosched()
		}
	}
	if got != minGCPercent {
		t.Errorf("with 64 MiB live and a 1 MiB headroom the tuner set GOGC=%d, want %d", got, minGCPercent)
	}
	if now := debug.SetGCPercent(minGCPercent); now != got { // any cleanup still running sees the same live data
		t.Errorf("the runtime's GC percentage is %d, the tuner reported %d", now, got)
	}
	runtime.KeepAlive(live)
	stop()
	if now := debug.SetGCPercent(100); now != 100 {
		t.Errorf("after stop the GC percentage is %d, want GOGC's 100", now)
	}
}

func TestGCTunerOff(t *testing.T) {
	base := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(base)
	startGCTuner(1<<20, func(int) { t.Error("the tuner ran with GOGC=off") })()
	if now := debug.SetGCPercent(-1); now != -1 {
		t.Errorf("GOGC=off became %d", now)
	}
}
