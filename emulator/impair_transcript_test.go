package emulator_test

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// The transcript commands of issue 3 (impairments); see TestTranscripts.

// pathCmd: path from=IP to=IP [both] [delay= jitter= loss= dup= reorder=
// reorder_delay= behind= bandwidth=] | path default … | path delete from= to=
func (h *harness) pathCmd(args map[string]string) (string, error) {
	if _, ok := args["delete"]; ok {
		h.s.DeletePath(h.ip(args["from"]), h.ip(args["to"]))
		return "", nil
	}
	var p emulator.Path
	if _, ok := args["default"]; ok {
		p = h.s.DefaultPath()
	} else {
		p, _ = h.s.Path(h.ip(args["from"]), h.ip(args["to"]))
	}
	for k, v := range args {
		switch k {
		case "delay":
			p.Delay = h.duration(v)
		case "jitter":
			p.Jitter = h.duration(v)
		case "loss":
			p.Loss = h.float(v)
		case "dup":
			p.Duplicate = h.float(v)
		case "reorder":
			p.Reorder = h.float(v)
		case "reorder_delay":
			p.ReorderDelay = h.duration(v)
		case "behind":
			p.ReorderBehind = h.atoi(v)
		case "bandwidth":
			p.Bandwidth = int64(h.atoi(v))
		}
	}
	if _, ok := args["default"]; ok {
		return "", h.s.SetDefaultPath(p)
	}
	from, to := h.ip(args["from"]), h.ip(args["to"])
	if err := h.s.SetPath(from, to, p); err != nil {
		return "", err
	}
	if _, ok := args["both"]; ok {
		return "", h.s.SetPath(to, from, p)
	}
	return "", nil
}

// faultCmd: fault [name=N] [from=IP[:PORT]] [to=IP[:PORT]] [flags=F] [exact]
// [seq=A-B] [len=A-B] [nth=N] action=A [delay=D] [copies=N] [spacing=D]
// [behind=N] [count=N]
func (h *harness) faultCmd(args map[string]string) (string, error) {
	f := emulator.Fault{Name: args["name"], From: h.hostPort(args["from"]), To: h.hostPort(args["to"])}
	if v, ok := args["flags"]; ok {
		flags, ok := tcp.ParseFlags(v)
		if !ok {
			h.t.Fatalf("bad flags %q", v)
		}
		f.Flags = flags
	}
	_, f.ExactFlags = args["exact"]
	if v, ok := args["seq"]; ok {
		a, b := h.span(v)
		f.MatchSeq, f.SeqFirst, f.SeqLast = true, seqnum.Value(a), seqnum.Value(b)
	}
	if v, ok := args["len"]; ok {
		f.MatchLen = true
		f.MinLen, f.MaxLen = h.span(v)
	}
	for k, v := range args {
		switch k {
		case "nth":
			f.Nth = h.atoi(v)
		case "delay":
			f.Delay = h.duration(v)
		case "copies":
			f.Copies = h.atoi(v)
		case "spacing":
			f.Spacing = h.duration(v)
		case "behind":
			f.Behind = h.atoi(v)
		case "count":
			f.Count = h.atoi(v)
		case "action":
			a, ok := emulator.ParseFaultAction(v)
			if !ok {
				h.t.Fatalf("bad action %q", v)
			}
			f.Action = a
		}
	}
	id, err := h.s.AddFault(f)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("fault %d\n", id), nil
}

func (h *harness) faultsCmd() string {
	var b strings.Builder
	for _, r := range h.s.Faults() {
		fmt.Fprintf(&b, "fault %d %q %v matched=%d fired=%d\n", r.ID, r.Fault.Name, r.Fault.Action, r.Matched, r.Fired)
	}
	return b.String()
}

func (h *harness) unfaultCmd(args map[string]string) error {
	return h.s.RemoveFault(emulator.FaultID(h.atoi(args["id"])))
}

// partitionCmd: partition|heal a=IP b=IP [oneway] [at=D]
func (h *harness) partitionCmd(cut bool, args map[string]string) error {
	_, oneWay := args["oneway"]
	at := h.s.Now()
	if v, ok := args["at"]; ok {
		at = h.duration(v)
	}
	if cut {
		return h.s.Partition(h.ip(args["a"]), h.ip(args["b"]), oneWay, at)
	}
	return h.s.Heal(h.ip(args["a"]), h.ip(args["b"]), oneWay, at)
}

func (h *harness) ip(s string) netip.Addr {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		h.t.Fatalf("bad IP %q: %v", s, err)
	}
	return ip
}

// hostPort reads IP:PORT, or IP alone (any port); "" is any address.
func (h *harness) hostPort(s string) netip.AddrPort {
	if s == "" {
		return netip.AddrPort{}
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap
	}
	return netip.AddrPortFrom(h.ip(s), 0)
}

func (h *harness) span(s string) (int, int) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	return h.atoi(a), h.atoi(b)
}

func (h *harness) float(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		h.t.Fatalf("bad number %q", s)
	}
	return f
}
