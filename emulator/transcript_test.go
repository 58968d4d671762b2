package emulator_test

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/explain"
	"github.com/tcpemu/tcpemu/emulator/seqnum"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// TestTranscripts runs the stories in testdata/transcripts: each file is a
// scenario and the events every step must produce, side by side (etcd raft's
// style). `go test ./emulator -run TestTranscripts -rewrite` regenerates the
// expected output after an intended change; review the diff like code.
//
// Commands:
//
//	session [seed=N] [profile=rfc9293|linux] [iss=N] [delay=D] [KNOB=V…]
//	listen name=N addr=IP:PORT [backlog=N] [iss=N]
//	connect name=N from=IP:PORT to=IP:PORT [data=TEXT] [iss=N]
//	open ep=N to=IP:PORT   (an active OPEN on a listener)
//	accept name=N listener=N
//	send ep=N data=TEXT | receive ep=N [max=N] | close ep=N | abort ep=N
//	status ep=N
//	inject from=IP:PORT to=IP:PORT flags=SYN,ACK seq=N [ack=N] [win=N] [data=TEXT] [mss=N] [via]
//	  (via: sent through the network — paths, rules, partitions — instead of arriving at once)
//	advance by=D | advance to=D | step | run [max=N]
//	external      (the segments handed to external hosts since last asked)
//	path from=IP to=IP [both] [delay=D] [jitter=D] [loss=P] [dup=P] [reorder=P]
//	     [reorder_delay=D] [behind=N] [bandwidth=OCTETS/S]
//	path default [delay=D …] | path delete from=IP to=IP
//	fault [name=N] [from=IP[:PORT]] [to=IP[:PORT]] [flags=F] [exact] [seq=A-B]
//	      [len=A-B] [nth=N] action=drop|delay|duplicate|corrupt|reorder
//	      [delay=D] [copies=N] [spacing=D] [behind=N] [count=N]
//	faults | unfault id=N
//	partition a=IP b=IP [oneway] [at=D] | heal a=IP b=IP [oneway] [at=D]
func TestTranscripts(t *testing.T) {
	seen := map[tcp.Rule]bool{}
	datadriven.Walk(t, "testdata/transcripts", func(t *testing.T, path string) {
		h := &harness{t: t, seen: seen}
		datadriven.RunTest(t, path, h.run)
	})
	// STYLE: every rule the machine knows must be shown by some story, so
	// that no rule exists only in code nobody has watched run.
	if t.Failed() {
		return
	}
	for r := tcp.Rule(1); int(r) < tcp.NumRules; r++ {
		if !seen[r] {
			t.Errorf("rule %s (%s) is produced by no transcript in testdata/transcripts", r.Name(), r.Section())
		}
	}
}

type harness struct {
	t     *testing.T
	seen  map[tcp.Rule]bool
	s     *emulator.Session
	d     explain.Describer
	names map[string]emulator.EndpointID
	kids  map[emulator.EndpointID]int
}

func (h *harness) run(t *testing.T, td *datadriven.TestData) string {
	if td.Cmd != "session" && h.s == nil {
		t.Fatalf("%s: no session yet (start the file with 'session')", td.Pos)
	}
	args := map[string]string{}
	for _, a := range td.CmdArgs {
		args[a.Key] = strings.Join(a.Vals, ",")
	}
	var events []emulator.Event
	var out strings.Builder
	var err error
	switch td.Cmd {
	case "session":
		err = h.newSession(args)
	case "listen":
		var id emulator.EndpointID
		id, events, err = h.s.Listen(h.addr(args["addr"]), h.opts(args))
		h.name(args["name"], id)
	case "connect":
		var id emulator.EndpointID
		id, events, err = h.s.Connect(h.addr(args["from"]), h.addr(args["to"]), []byte(args["data"]), h.opts(args))
		h.name(args["name"], id)
	case "open":
		events, err = h.s.OpenActive(h.ep(args["ep"]), h.addr(args["to"]))
	case "accept":
		var id emulator.EndpointID
		id, err = h.s.Accept(h.ep(args["listener"]))
		if err == nil {
			h.name(args["name"], id)
			fmt.Fprintf(&out, "accepted %s\n", args["name"])
		}
	case "send":
		events, err = h.s.Send(h.ep(args["ep"]), []byte(args["data"]))
	case "receive":
		max := 1 << 20
		if v, ok := args["max"]; ok {
			max = h.atoi(v)
		}
		var data []byte
		var eof bool
		data, eof, events, err = h.s.Receive(h.ep(args["ep"]), max)
		fmt.Fprintf(&out, "received %q eof=%v\n", data, eof)
	case "close":
		events, err = h.s.Close(h.ep(args["ep"]))
	case "abort":
		events, err = h.s.Abort(h.ep(args["ep"]))
	case "status":
		return h.status(args["ep"])
	case "inject":
		if _, via := args["via"]; via {
			events, err = h.s.InjectVia(h.addr(args["from"]), h.addr(args["to"]), h.segment(args))
		} else {
			events, err = h.s.Inject(h.addr(args["from"]), h.addr(args["to"]), h.segment(args))
		}
	case "advance":
		if v, ok := args["by"]; ok {
			events, err = h.s.AdvanceBy(h.duration(v), 0)
		} else {
			events, err = h.s.AdvanceTo(h.duration(args["to"]), 0)
		}
	case "step":
		events = h.s.Step()
	case "run":
		max := 100000
		if v, ok := args["max"]; ok {
			max = h.atoi(v)
		}
		events, err = h.s.RunUntilIdle(max)
	case "path":
		var o string
		o, err = h.pathCmd(args)
		out.WriteString(o)
	case "fault":
		var o string
		o, err = h.faultCmd(args)
		out.WriteString(o)
	case "faults":
		out.WriteString(h.faultsCmd())
	case "unfault":
		err = h.unfaultCmd(args)
	case "partition", "heal":
		before := h.s.NextSeq()
		err = h.partitionCmd(td.Cmd == "partition", args)
		events = h.s.Events(before - 1) // what a cut or heal happening now logs
		if before == h.s.NextSeq() {
			events = nil
		}
	case "external":
		for _, seg := range h.s.TakeExternal() {
			fmt.Fprintf(&out, "%v > %v %s\n", h.s.Addr(seg.Src), h.s.Addr(seg.Dst), seg.String())
		}
	default:
		t.Fatalf("%s: unknown command %q", td.Pos, td.Cmd)
	}
	for i := range events {
		h.nameChild(&events[i])
		h.seen[events[i].Rule] = true
		out.WriteString(h.d.Line(&events[i]))
		out.WriteByte('\n')
	}
	if err != nil {
		fmt.Fprintf(&out, "error: %v\n", err)
	}
	fmt.Fprintf(&out, "now %s\n", explain.FormatTime(h.s.Now()))
	return out.String()
}

func (h *harness) newSession(args map[string]string) error {
	cfg := emulator.Config{Seed: 1, Profile: args["profile"]}
	if v, ok := args["seed"]; ok {
		cfg.Seed = uint64(h.atoi(v))
	}
	if v, ok := args["iss"]; ok {
		iss := seqnum.Value(h.atoi(v))
		cfg.FixedISS = &iss
	}
	if v, ok := args["delay"]; ok {
		cfg.Delay = h.duration(v)
		if cfg.Delay == 0 {
			cfg.Delay = -1 // explicit zero
		}
	}
	cfg.NoExternal = args["external"] == "off"
	o := &emulator.Overrides{}
	for k, v := range args {
		switch k {
		case "rfc5961":
			b := v == "on"
			o.RFC5961 = &b
		case "rfc1337":
			b := v == "on"
			o.RFC1337 = &b
		case "time_wait":
			d := h.duration(v)
			o.TimeWait = &d
		case "syn_retries":
			n := h.atoi(v)
			o.SynRetries = &n
		case "synack_retries":
			n := h.atoi(v)
			o.SynAckRetries = &n
		case "data_retries":
			n := h.atoi(v)
			o.DataRetries = &n
		case "user_timeout":
			d := h.duration(v)
			o.UserTimeout = &d
		case "delayed_ack":
			d := h.duration(v)
			o.DelayedACK = &d
		case "rcv_buf":
			n := uint32(h.atoi(v))
			o.RcvBuf = &n
		case "mss":
			n := uint16(h.atoi(v))
			o.MSS = &n
		}
	}
	cfg.Overrides = o
	s, err := emulator.New(cfg)
	if err != nil {
		return err
	}
	h.s = s
	h.names = map[string]emulator.EndpointID{}
	h.kids = map[emulator.EndpointID]int{}
	h.d = explain.Describer{Addrs: s, Names: map[emulator.EndpointID]string{}}
	return nil
}

func (h *harness) name(n string, id emulator.EndpointID) {
	if n != "" && id != 0 {
		h.names[n] = id
		h.d.Names[id] = n
	}
}

// nameChild names a listener's forks "<listener>.<n>".
func (h *harness) nameChild(ev *emulator.Event) {
	if ev.Kind != emulator.KindEndpointCreated || ev.Value == 0 {
		return
	}
	parent := emulator.EndpointID(ev.Value)
	if _, named := h.d.Names[ev.Endpoint]; named {
		return
	}
	h.kids[parent]++
	n := fmt.Sprintf("%s.%d", h.d.Name(parent), h.kids[parent])
	h.name(n, ev.Endpoint)
}

func (h *harness) ep(n string) emulator.EndpointID {
	id, ok := h.names[n]
	if !ok {
		h.t.Fatalf("no endpoint named %q", n)
	}
	return id
}

func (h *harness) opts(args map[string]string) emulator.EndpointOptions {
	var o emulator.EndpointOptions
	if v, ok := args["iss"]; ok {
		iss := seqnum.Value(h.atoi(v))
		o.ISS = &iss
	}
	if v, ok := args["backlog"]; ok {
		o.Backlog = h.atoi(v)
	}
	return o
}

func (h *harness) segment(args map[string]string) tcp.Segment {
	flags, ok := tcp.ParseFlags(args["flags"])
	if !ok {
		h.t.Fatalf("bad flags %q", args["flags"])
	}
	seg := tcp.Segment{Flags: flags, Window: 65535, Payload: []byte(args["data"])}
	seg.Seq = seqnum.Value(h.atoi(args["seq"]))
	if v, ok := args["ack"]; ok {
		seg.Ack = seqnum.Value(h.atoi(v))
	}
	if v, ok := args["win"]; ok {
		seg.Window = uint16(h.atoi(v))
	}
	if v, ok := args["mss"]; ok {
		seg.Options.MSS = uint16(h.atoi(v))
	}
	return seg
}

func (h *harness) status(n string) string {
	st, err := h.s.Status(h.ep(n))
	if err != nil {
		return fmt.Sprintf("error: %v\n", err)
	}
	c := st.TCB
	var b strings.Builder
	fmt.Fprintf(&b, "%s %v passive=%v\n", n, st.State, st.Passive)
	fmt.Fprintf(&b, "ISS=%d SND.UNA=%d SND.NXT=%d SND.WND=%d\n", c.ISS, c.SndUna, c.SndNxt, c.SndWnd)
	fmt.Fprintf(&b, "IRS=%d RCV.NXT=%d RCV.WND=%d\n", c.IRS, c.RcvNxt, c.RcvWnd)
	fmt.Fprintf(&b, "queued: send=%d unsent=%d receive=%d held=%d; RTO=%v\n", c.SndQueued, c.SndUnsent, c.RcvQueued, c.RcvHeld, c.RTO)
	for t := tcp.Timer(0); int(t) < tcp.NumTimers; t++ {
		if at, ok := st.Timers[t]; ok {
			fmt.Fprintf(&b, "timer %v at %s\n", t, explain.FormatTime(time.Duration(at)))
		}
	}
	k := st.Counters
	fmt.Fprintf(&b, "counters: sent %d (%d octets, %d retransmitted, %d RST, %d challenge ACK); received %d (%d octets, %d RST); discarded %d\n",
		k.SegmentsSent, k.BytesSent, k.Retransmissions, k.RSTsSent, k.ChallengeACKsSent,
		k.SegmentsReceived, k.BytesReceived, k.RSTsReceived, k.SegmentsDiscarded)
	if st.LastError != nil {
		fmt.Fprintf(&b, "last error: %v\n", st.LastError)
	}
	return b.String()
}

func (h *harness) addr(s string) netip.AddrPort {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		h.t.Fatalf("bad address %q: %v", s, err)
	}
	return ap
}

func (h *harness) atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		h.t.Fatalf("bad number %q", s)
	}
	return n
}

func (h *harness) duration(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		h.t.Fatalf("bad duration %q", s)
	}
	return d
}
