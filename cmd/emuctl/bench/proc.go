package bench

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Linux's /proc, for the daemon's memory and CPU when its pid is known.

// procStatus reads fields of /proc/PID/status given in kB (VmRSS, VmHWM)
// and returns them in bytes.
func procStatus(pid int, fields ...string) (map[string]int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, fmt.Errorf("--pid %d: %w", pid, err)
	}
	defer f.Close()
	out := make(map[string]int64, len(fields))
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		for _, want := range fields {
			if name != want {
				continue
			}
			v := strings.Fields(rest) // "  123456 kB"
			if len(v) == 2 && v[1] == "kB" {
				n, err := strconv.ParseInt(v[0], 10, 64)
				if err == nil {
					out[name] = n << 10
				}
			}
		}
	}
	for _, want := range fields {
		if _, ok := out[want]; !ok {
			return nil, fmt.Errorf("/proc/%d/status has no %s", pid, want)
		}
	}
	return out, sc.Err()
}

// clockTicks is USER_HZ, which /proc/PID/stat counts in; 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// procCPU is the CPU time (user + system) the process has used.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("--pid %d: %w", pid, err)
	}
	// The command name (field 2) may hold spaces: count fields after its ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 { // fields 3.. : utime is field 14, stime 15
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// cpuMeter measures the daemon's CPU share over a measurement, when its
// pid is known.
type cpuMeter struct {
	pid        int
	start, end time.Duration
	wall       time.Duration
	at         time.Time
	stopped    bool
	err        error
}

func (b *bench) startCPU() *cpuMeter {
	m := &cpuMeter{pid: b.o.Pid, at: time.Now()}
	if m.pid > 0 {
		m.start, m.err = procCPU(m.pid)
	}
	return m
}

// stop ends the measurement; report calls it if nobody did.
func (m *cpuMeter) stop() {
	if m.stopped || m.pid <= 0 {
		return
	}
	m.stopped, m.wall = true, time.Since(m.at)
	end, err := procCPU(m.pid)
	m.end, m.err = end, firstErr(m.err, err)
}

// report adds daemon_cpu_cores: the daemon's CPU seconds per wall second
// during the measurement (1.0 = one core busy the whole time).
func (m *cpuMeter) report(r *Report) {
	if m.pid <= 0 {
		return
	}
	m.stop()
	if m.err != nil {
		r.note("daemon CPU not measured: %v", m.err)
		return
	}
	r.add("daemon_cpu_cores", (m.end-m.start).Seconds()/m.wall.Seconds(), "cores")
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
