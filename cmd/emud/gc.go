package main

import (
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
)

// The garbage collector's headroom.
//
// Go collects when the heap has grown past its live data by GOGC percent
// (100: the heap may double). That suits a heap that churns, but emud's
// heap is mostly its sessions' state, which lives as long as they do: a
// daemon holding 1,000,000 idle endpoints (about 800 MB live) let its
// heap grow to 1.7 GB before collecting, and the operating system saw the
// garbage as the daemon's size. So emud caps the headroom in bytes as
// well: after each collection it sets the percentage that gives
// min(GOGC% of the live data, --gc-headroom). A small heap — the common
// case, and every throughput benchmark — keeps Go's default; a large one
// is collected more often (each collection marks the live data, so the
// cost per allocated byte grows as live/headroom) and its footprint is
// live data plus at most the cap.
//
// The price is CPU where a large heap also churns: lifecycles run beside
// 1,000,000 idle endpoints cost 42–47 µs of CPU each with the cap,
// 22–26 µs without (emuctl bench lifecycles on the daemon bench idle --keep
// filled), and creating the idle connections costs a quarter more (11–13
// s of CPU instead of 9–10). Such a daemon should raise --gc-headroom, or
// set it to 0. Tying the headroom
// to the GC's share of the CPU was tried and does not separate the two:
// creating a million connections keeps the collector as busy (30–40% of
// the CPU) as churning beside them.
//
// It is a policy, not a limit: the heap still grows with the live data
// (GOMEMLIMIT, which Go honours as usual, is the limit), and the
// percentage never goes below minGCPercent, so that a very large heap is
// not collected continually.

// minGCPercent is the lowest percentage the headroom cap sets: a heap
// larger than 10× the cap grows by a tenth of its live data.
const minGCPercent = 10

// defaultGCHeadroom is --gc-headroom's default: 1,000,000 idle endpoints
// fit in 1.2–1.3 GiB of RSS with it (emuctl bench idle; 1.7–2.0 GiB
// without), the disk store's mapped pages included.
const defaultGCHeadroom = 256 << 20

// gcPercent is the GOGC percentage that lets the heap grow by at most
// headroom bytes past live (the bytes the collector scans: live heap,
// stacks and globals), and never by more than base percent.
func gcPercent(live, headroom uint64, base int) int {
	if live == 0 || headroom == 0 {
		return base
	}
	// headroom×100 overflows 64 bits past 167 PiB (a headroom meant as
	// "no cap"): divide the 128-bit product, whose quotient, if it does
	// not fit either, is above any base.
	hi, lo := bits.Mul64(headroom, 100)
	if hi >= live {
		return base
	}
	p, _ := bits.Div64(hi, lo, live)
	if p >= uint64(base) {
		return base
	}
	return max(int(p), min(minGCPercent, base))
}

// gcTuner sets the GC percentage after each collection (gcPercent).
type gcTuner struct {
	headroom uint64
	base     int
	samples  []metrics.Sample
	after    func(percent int) // called after each adjustment (tests)

	mu      sync.Mutex
	stopped bool
	percent int
}

// gcSentinel is garbage on purpose: its cleanup runs after the collection
// that finds it unreachable, once per cycle.
type gcSentinel struct{ _ [2]uint64 }

// startGCTuner caps the GC's headroom (see above); stop restores the GC
// percentage GOGC set. A zero headroom, or GOGC=off, leaves the GC alone.
func startGCTuner(headroom uint64, after func(percent int)) (stop func()) {
	base := debug.SetGCPercent(100) // read GOGC's setting: the runtime has no getter
	debug.SetGCPercent(base)
	if headroom == 0 || base <= 0 {
		return func() {}
	}
	t := &gcTuner{headroom: headroom, base: base, percent: base, after: after, samples: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"},
	}}
	t.arm()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.stopped = true
		debug.SetGCPercent(t.base)
	}
}

func (t *gcTuner) arm() {
	runtime.AddCleanup(&gcSentinel{}, (*gcTuner).collected, t)
}

// collected runs after a collection: the live figures are the ones it
// measured.
func (t *gcTuner) collected() {
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return
	}
	metrics.Read(t.samples)
	var live uint64
	for _, s := range t.samples {
		if s.Value.Kind() == metrics.KindUint64 {
			live += s.Value.Uint64()
		}
	}
	p := gcPercent(live, t.headroom, t.base)
	if p != t.percent {
		debug.SetGCPercent(p)
		t.percent = p
	}
	t.arm()
	t.mu.Unlock()
	if t.after != nil {
		t.after(p)
	}
}

// byteUnits are GOMEMLIMIT's units, largest first.
var byteUnits = [...]struct {
	suffix string
	shift  uint
}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}

// parseBytes reads a size as GOMEMLIMIT writes one: a number of bytes with
// an optional unit B, KiB, MiB, GiB or TiB.
func parseBytes(s string) (uint64, error) {
	num, shift := s, uint(0)
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, shift = n, u.shift
			break
		}
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n > math.MaxUint64>>shift {
		return 0, fmt.Errorf("%q: want a number of bytes with an optional unit B, KiB, MiB, GiB or TiB (e.g. 256MiB)", s)
	}
	return n << shift, nil
}

// byteSize is a flag.Value for a size in bytes (parseBytes).
type byteSize uint64

func (b *byteSize) Set(s string) error {
	n, err := parseBytes(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

func (b *byteSize) String() string {
	n := uint64(*b)
	for _, u := range byteUnits {
		if n != 0 && u.shift > 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatUint(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatUint(n, 10)
}
