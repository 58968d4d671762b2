package scenario

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

// MaxWrite is the most one write() may pass: what emud's API takes in one
// Send by default (1 MiB), so that a script gets the same verdict in
// process and against a daemon.
const MaxWrite = 1 << 20

// socket is a file descriptor of the script's process.
type socket struct {
	fd       int
	ep       emulator.EndpointID // 0 until listen or connect
	bound    netip.AddrPort
	listener bool
	conn     tuple // a connection's addresses
	knobs    []string
	sockopts map[string]int64 // values set by setsockopt, by option name
	nonblock bool
	// connecting: a non-blocking connect() not yet reported by a second
	// connect() (Linux's SS_CONNECTING).
	connecting bool
	linger0    bool // SO_LINGER {1, 0}: close() aborts
	shutWr     bool
	shutRd     bool // shutdown(SHUT_RD): read() returns 0 once the queue is empty
}

func (s *socket) tuple() tuple {
	if s.listener || s.ep == 0 {
		b := s.bound
		if !b.IsValid() {
			b = netip.AddrPortFrom(LocalIP, DefaultPort)
		}
		return tuple{b, netip.AddrPortFrom(RemoteIP, DefaultPeerPort)}
	}
	return s.conn
}

// result is what a system call returned.
type result struct {
	ret   int64
	errno string
	value *Expr // getsockopt's value, compared with the script's
	got   string
	err   error // the call failed for a reason of the session, not of TCP
}

func okRes(n int64) result { return result{ret: n} }
func errno(e string) result {
	return result{ret: -1, errno: e}
}

// syscall runs a system-call line at time at.
func (r *runner) syscall(ev *Event, at time.Duration) error {
	sc := ev.Syscall
	if r.pending != nil {
		p := r.pending
		return r.fail(fmt.Sprintf("%s() is called while the blocking %s() of line %s has not returned", sc.Name, p.name, p.ev.Pos),
			fmt.Sprintf("%s() returned by now", p.name), "still blocked")
	}
	arg := func(i int) Expr {
		if i < len(sc.Args) {
			return sc.Args[i]
		}
		return Expr{Kind: ExprEllipsis}
	}
	if sc.Name == "socket" {
		return r.check(ev, r.socketCall())
	}
	fdArg := arg(0)
	if fdArg.Kind != ExprInt {
		return r.fail(sc.Name+"(): the first argument must be a file descriptor", "a number", fdArg.Name)
	}
	s, found := r.fds[int(fdArg.Int)]
	if !found {
		return r.check(ev, errno("EBADF"))
	}
	switch sc.Name {
	case "bind":
		// inet_bind: a socket is bound once, and not after it opened.
		if s.ep != 0 || s.bound.IsValid() {
			return r.check(ev, errno("EINVAL"))
		}
		s.bound = netip.AddrPortFrom(LocalIP, portOf(arg(1), DefaultPort))
		return r.check(ev, okRes(0))
	case "listen":
		return r.listen(ev, s, arg(1))
	case "connect":
		return r.connect(ev, s, arg(1), at)
	case "accept":
		return r.accept(ev, s, at)
	case "read", "recv":
		return r.read(ev, s, arg(2), at, arg(3).Name == "MSG_DONTWAIT")
	case "write", "send":
		return r.write(ev, s, arg(2))
	case "close":
		return r.closeCall(ev, s)
	case "shutdown":
		return r.shutdown(ev, s, arg(1))
	case "setsockopt":
		return r.setsockopt(ev, s, arg(2).Name, arg(3))
	case "getsockopt":
		return r.getsockopt(ev, s, arg(2).Name)
	case "fcntl":
		return r.fcntl(ev, s, arg(1).Name, arg(2))
	}
	return &unsupportedErr{"system call " + sc.Name + "()"}
}

// portOf reads sin_port=htons(N) from a sockaddr, if the script gives one.
func portOf(e Expr, def uint16) uint16 {
	if e.Kind == ExprStruct {
		if p, ok := e.Fields["sin_port"]; ok {
			if p.Kind == ExprName && p.Name == "htons" && len(p.Items) == 1 && p.Items[0].Kind == ExprInt {
				return uint16(p.Items[0].Int)
			}
			if p.Kind == ExprInt {
				return uint16(p.Int)
			}
		}
	}
	return def
}

// check compares a call's result with the line's.
func (r *runner) check(ev *Event, got result) error {
	if got.err != nil {
		return got.err
	}
	sc := ev.Syscall
	want := strconv.FormatInt(sc.Ret, 10)
	if sc.Errno != "" {
		want += " " + errnoAlias(sc.Errno)
	}
	have := strconv.FormatInt(got.ret, 10)
	if got.errno != "" {
		have += " " + got.errno
	}
	if want != have {
		return r.fail(fmt.Sprintf("%s() returned %s, expected %s", sc.Name, have, want), want, have)
	}
	if got.value != nil && sc.Name == "getsockopt" && len(sc.Args) > 3 {
		msg, err := compareValue(sc.Args[3], *got.value)
		if err != nil {
			return err
		}
		if msg != "" {
			return r.fail("getsockopt(): "+msg, exprText(sc.Args[3]), exprText(*got.value))
		}
	}
	return nil
}

// compareValue compares a getsockopt value; "..." matches anything. A
// number may be written bare or in brackets ([1460]), and as a symbol
// packetdrill knows (SO_ERROR's [ECONNREFUSED]). A value the runner cannot
// read is unsupported: it is never taken as a match.
func compareValue(want, got Expr) (string, error) {
	cannot := func(why string) error {
		return &unsupportedErr{fmt.Sprintf("getsockopt value %s (%s)", exprText(want), why)}
	}
	switch want.Kind {
	case ExprEllipsis:
		return "", nil
	case ExprInt, ExprList, ExprName:
		w, ok := valueOf(want)
		if !ok {
			return "", cannot("want a number, a [number] or an errno name")
		}
		g, _ := valueOf(got)
		if w != g {
			return fmt.Sprintf("value %d, expected %s", g, valueText(want, w)), nil
		}
	case ExprStruct:
		for _, k := range slices.Sorted(maps.Keys(want.Fields)) {
			v := want.Fields[k]
			if v.Kind == ExprEllipsis {
				continue
			}
			if _, known := got.Fields[k]; !known {
				return "", cannot("no field " + k + " in this option")
			}
			w, ok := valueOf(v)
			if !ok {
				return "", cannot("field " + k + " is not a number")
			}
			if g := intField(got, k); g != w {
				return fmt.Sprintf("%s=%d, expected %d", k, g, w), nil
			}
		}
	default:
		return "", cannot("want a number, a [number] or a struct")
	}
	return "", nil
}

// valueOf reads a number, a one-item list of one, or an errno name.
func valueOf(e Expr) (int64, bool) {
	switch e.Kind {
	case ExprInt:
		return e.Int, true
	case ExprList:
		if len(e.Items) == 1 && e.Items[0].Kind != ExprList {
			return valueOf(e.Items[0])
		}
	case ExprName:
		if len(e.Items) == 0 {
			n, ok := errnoNumbers[errnoAlias(e.Name)]
			return n, ok
		}
	}
	return 0, false
}

// valueText shows an expected value with the name it was written as.
func valueText(e Expr, v int64) string {
	if e.Kind == ExprList && len(e.Items) == 1 {
		e = e.Items[0]
	}
	if e.Kind == ExprName {
		return fmt.Sprintf("%d (%s)", v, e.Name)
	}
	return strconv.FormatInt(v, 10)
}

func exprText(e Expr) string {
	switch e.Kind {
	case ExprInt:
		return strconv.FormatInt(e.Int, 10)
	case ExprList:
		parts := make([]string, len(e.Items))
		for i, it := range e.Items {
			parts[i] = exprText(it)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case ExprStruct:
		// SO_LINGER's fields in their C order, then any others by name.
		var keys []string
		for _, k := range []string{"l_onoff", "l_linger"} {
			if _, ok := e.Fields[k]; ok {
				keys = append(keys, k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
			if k != "l_onoff" && k != "l_linger" {
				keys = append(keys, k)
			}
		}
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+"="+exprText(e.Fields[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case ExprName:
		return e.Name
	}
	return "..."
}

func (r *runner) socketCall() result {
	fd := 3
	for r.fds[fd] != nil {
		fd++
	}
	r.fds[fd] = &socket{fd: fd, sockopts: map[string]int64{}}
	return okRes(int64(fd))
}

func (r *runner) listen(ev *Event, s *socket, backlogArg Expr) error {
	if s.listener {
		// inet_listen on a listener only changes its backlog, which the
		// emulator fixes when it opens.
		r.noteOnce("relisten", ev.Pos, "listen() on a listener keeps its first backlog (the emulator fixes it when the listener opens)")
		return r.check(ev, okRes(0))
	}
	if s.ep != 0 {
		return r.check(ev, errno("EINVAL"))
	}
	if !s.bound.IsValid() {
		s.bound = netip.AddrPortFrom(LocalIP, DefaultPort)
	}
	// Linux lets backlog+1 connections wait in the accept queue (the
	// queue is full when its length exceeds the backlog).
	backlog := 1
	if n, ok := intArg(backlogArg); ok && n >= 0 {
		backlog = int(n) + 1
	}
	id, evs, err := r.d.Listen(s.bound, s.knobs, backlog)
	r.see(evs)
	if err != nil {
		return r.check(ev, r.errnoOf("listen", err))
	}
	s.ep, s.listener = id, true
	r.names[id] = "fd" + strconv.Itoa(s.fd)
	r.live = s.tuple()
	return r.check(ev, okRes(0))
}

func (r *runner) connect(ev *Event, s *socket, addr Expr, at time.Duration) error {
	if s.ep != 0 {
		return r.check(ev, r.reconnect(s))
	}
	local := s.bound
	if !local.IsValid() {
		local = netip.AddrPortFrom(LocalIP, 0)
	}
	remote := netip.AddrPortFrom(RemoteIP, portOf(addr, DefaultPort))
	id, evs, err := r.d.Connect(local, remote, s.knobs)
	r.see(evs)
	if err != nil {
		return r.check(ev, r.errnoOf("connect", err))
	}
	s.ep = id
	r.names[id] = "fd" + strconv.Itoa(s.fd)
	st, err := r.d.Status(id)
	if err != nil {
		return fmt.Errorf("status of endpoint %d: %w", id, err)
	}
	s.conn = tuple{st.Local, remote}
	r.epOf[s.conn] = id
	r.live = s.conn
	if s.nonblock {
		s.connecting = true
		return r.check(ev, errno("EINPROGRESS"))
	}
	return r.block(ev, "connect", s, at)
}

// reconnect is connect() on a socket that already has an endpoint, as
// Linux's __inet_stream_connect answers it: after a non-blocking connect()
// it reports the outcome once — EALREADY while the handshake runs, 0 when
// it completed, the error (ECONNABORTED if none) when it failed — and
// after that, or on a listener or an accepted socket, EISCONN.
func (r *runner) reconnect(s *socket) result {
	if !s.connecting {
		return errno("EISCONN")
	}
	switch st := r.stateOf(s.ep); st {
	case tcp.SynSent, tcp.SynReceived:
		return errno("EALREADY")
	case tcp.Closed:
		s.connecting = false
		return r.takeErr(s.ep, "ECONNABORTED")
	}
	s.connecting = false
	return okRes(0)
}

func (r *runner) accept(ev *Event, s *socket, at time.Duration) error {
	if !s.listener {
		return r.check(ev, errno("EINVAL"))
	}
	id, ok, err := r.d.Accept(s.ep)
	if err != nil {
		return r.check(ev, r.errnoOf("accept", err))
	}
	if ok {
		return r.check(ev, r.accepted(id))
	}
	if s.nonblock {
		return r.check(ev, errno("EAGAIN"))
	}
	return r.block(ev, "accept", s, at)
}

// accepted gives an accepted child a file descriptor.
func (r *runner) accepted(id emulator.EndpointID) result {
	res := r.socketCall()
	c := r.fds[int(res.ret)]
	c.ep = id
	r.names[id] = "fd" + strconv.Itoa(c.fd)
	for t, ep := range r.epOf {
		if ep == id {
			c.conn = t
		}
	}
	if c.conn.local.IsValid() {
		r.live = c.conn
	}
	return res
}

func (r *runner) read(ev *Event, s *socket, n Expr, at time.Duration, dontwait bool) error {
	if s.ep == 0 || s.listener {
		return r.check(ev, errno("ENOTCONN"))
	}
	max := 1 << 20
	if v, ok := intArg(n); ok {
		max = int(v)
	}
	st, err := r.d.Status(s.ep)
	if err != nil {
		return err
	}
	if st.RcvQueued > 0 || r.sigErr[s.ep] != 0 || finReceived(st.State) {
		return r.check(ev, r.receive(s, max))
	}
	if s.shutRd {
		return r.check(ev, okRes(0))
	}
	if s.nonblock || dontwait {
		return r.check(ev, errno("EAGAIN"))
	}
	r.pendingMax = max
	return r.block(ev, "read", s, at)
}

// receive reads up to max octets; a signalled error comes first, once
// (Linux's sk_err), then end of stream reads as 0.
func (r *runner) receive(s *socket, max int) result {
	st, _ := r.d.Status(s.ep)
	if st.RcvQueued == 0 {
		if e := r.sigErr[s.ep]; e != 0 {
			return r.takeErr(s.ep, "")
		}
	}
	n, eof, evs, err := r.d.Receive(s.ep, max)
	r.see(evs)
	switch {
	case n > 0:
		return okRes(int64(n))
	case err != nil && !eof:
		if st.State == tcp.Closed || finReceived(st.State) {
			return okRes(0)
		}
		return r.errnoOf("read", err)
	}
	return okRes(0)
}

// takeErr reports a signalled error once; def is used when none was.
func (r *runner) takeErr(id emulator.EndpointID, def string) result {
	e := r.sigErr[id]
	if e == 0 {
		if def == "" {
			return okRes(0)
		}
		return errno(def)
	}
	r.sigErr[id] = 0
	return errno(errnoName(e))
}

func (r *runner) write(ev *Event, s *socket, n Expr) error {
	if s.ep == 0 || s.listener {
		return r.check(ev, errno("EPIPE"))
	}
	if r.sigErr[s.ep] != 0 {
		return r.check(ev, r.takeErr(s.ep, ""))
	}
	if s.shutWr {
		return r.check(ev, errno("EPIPE"))
	}
	size, _ := intArg(n)
	if size < 0 {
		return r.fail(fmt.Sprintf("write of %d octets", size), "0 or more octets", strconv.FormatInt(size, 10))
	}
	if size > MaxWrite {
		return &unsupportedErr{fmt.Sprintf("write() of %d octets (at most %d in one call)", size, MaxWrite)}
	}
	evs, err := r.d.Send(s.ep, make([]byte, size))
	r.see(evs)
	if err != nil {
		return r.check(ev, r.errnoOf("write", err))
	}
	return r.check(ev, okRes(size))
}

func (r *runner) closeCall(ev *Event, s *socket) error {
	delete(r.fds, s.fd)
	if s.ep != 0 {
		var evs []emulator.Event
		var err error
		switch {
		case s.linger0:
			evs, err = r.d.Abort(s.ep)
		case !s.shutWr:
			evs, err = r.d.Close(s.ep)
		}
		// close() succeeds whatever the TCP says ("connection does not
		// exist" after a reset): the descriptor is gone either way. Only
		// a failure of the session itself stops the run.
		r.see(evs)
		if err != nil {
			if res := r.errnoOf("close", err); res.err != nil {
				return res.err
			}
		}
	}
	return r.check(ev, okRes(0))
}

func (r *runner) shutdown(ev *Event, s *socket, how Expr) error {
	if s.ep == 0 {
		return r.check(ev, errno("ENOTCONN"))
	}
	if s.listener {
		// inet_shutdown: SHUT_WR leaves a listener alone; SHUT_RD and
		// SHUT_RDWR stop it listening (tcp_disconnect).
		if how.Name == "SHUT_RD" || how.Name == "SHUT_RDWR" {
			evs, _ := r.d.Close(s.ep)
			r.see(evs)
		} else if how.Name != "SHUT_WR" {
			return &unsupportedErr{"shutdown how " + how.Name}
		}
		return r.check(ev, okRes(0))
	}
	if how.Name == "SHUT_RD" || how.Name == "SHUT_RDWR" {
		s.shutRd = true
	}
	switch how.Name {
	case "SHUT_WR", "SHUT_RDWR":
		if !s.shutWr {
			s.shutWr = true
			evs, err := r.d.Close(s.ep)
			r.see(evs)
			if err != nil {
				return r.check(ev, r.errnoOf("shutdown", err))
			}
		}
	case "SHUT_RD":
		// Only the socket notes it: read() returns 0 once nothing is
		// queued. TCP sends nothing (RFC 9293 has no half-close of the
		// receiving side), and arriving data is still acknowledged and
		// readable, as on Linux.
	default:
		return &unsupportedErr{"shutdown how " + how.Name}
	}
	return r.check(ev, okRes(0))
}
