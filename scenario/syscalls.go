package scenario

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tcpemu/tcpemu/emulator"
	"github.com/tcpemu/tcpemu/emulator/tcp"
)

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
	linger0  bool // SO_LINGER {1, 0}: close() aborts
	shutWr   bool
	shutRd   bool // shutdown(SHUT_RD): read() returns 0 once the queue is empty
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

// blocking is a system call waiting for its condition.
type blocking struct {
	ev    *Event
	name  string
	fd    int
	start time.Duration
	end   time.Duration // when the script says it returns
	has   bool          // the script gave an end time ("...")
}

// syscalls the runner understands; anything else is unsupported.
var syscallNames = map[string]bool{
	"socket": true, "bind": true, "listen": true, "accept": true, "connect": true,
	"read": true, "recv": true, "write": true, "send": true, "shutdown": true, "close": true,
	"setsockopt": true, "getsockopt": true, "fcntl": true,
}

// sockopts the runner understands, and how.
var sockoptKnob = map[string]string{
	"TCP_USER_TIMEOUT": "user_timeout",       // milliseconds
	"TCP_LINGER2":      "fin_wait_2_timeout", // seconds
	"TCP_SYNCNT":       "syn_retries",
	"TCP_MAXSEG":       "mss",
}

var sockoptNoEffect = map[string]string{
	"SO_REUSEADDR": "SO_REUSEADDR has no effect: the emulator never refuses a bind for a TIME-WAIT connection",
	"TCP_NODELAY":  "TCP_NODELAY has no effect: the emulator has no Nagle algorithm and sends at once",
}

// Check lists what a script uses that the runner cannot do, before it runs.
func Check(s *Script) []Unsupported {
	var out []Unsupported
	add := func(pos Pos, format string, args ...any) {
		out = append(out, Unsupported{Pos: pos, What: fmt.Sprintf(format, args...)})
	}
	for _, ev := range s.Events {
		if ev.Kind != EventSyscall {
			continue
		}
		sc := ev.Syscall
		if !syscallNames[sc.Name] {
			add(ev.Pos, "system call %s()", sc.Name)
			continue
		}
		arg := func(i int) Expr {
			if i < len(sc.Args) {
				return sc.Args[i]
			}
			return Expr{Kind: ExprEllipsis}
		}
		switch sc.Name {
		case "socket":
			if a := arg(1); a.Kind == ExprName && a.Name != "SOCK_STREAM" {
				add(a.Pos, "socket type %s (only SOCK_STREAM)", a.Name)
			}
			if a := arg(2); a.Kind == ExprName && a.Name != "IPPROTO_TCP" {
				add(a.Pos, "protocol %s (only IPPROTO_TCP)", a.Name)
			}
		case "setsockopt", "getsockopt":
			o := arg(2)
			name := o.Name
			_, knob := sockoptKnob[name]
			_, noop := sockoptNoEffect[name]
			ok := knob || noop || name == "SO_LINGER" || (sc.Name == "getsockopt" && name == "SO_ERROR")
			if !ok {
				add(o.Pos, "%s option %s", sc.Name, name)
			}
			if name == "SO_LINGER" && sc.Name == "setsockopt" {
				v := arg(3)
				if v.Kind == ExprStruct && intField(v, "l_onoff") != 0 && intField(v, "l_linger") != 0 {
					add(v.Pos, "SO_LINGER with a non-zero l_linger (a close() that blocks) is not modelled")
				}
			}
		case "fcntl":
			if c := arg(1); c.Name != "F_SETFL" && c.Name != "F_GETFL" {
				add(c.Pos, "fcntl command %s (only F_SETFL and F_GETFL)", c.Name)
			}
		case "recv", "send":
			f := arg(3)
			dontwait := sc.Name == "recv" && f.Kind == ExprName && f.Name == "MSG_DONTWAIT"
			if !(f.Kind == ExprInt && f.Int == 0) && f.Kind != ExprEllipsis && !dontwait {
				add(f.Pos, "%s flags %s (only 0, and MSG_DONTWAIT for recv)", sc.Name, exprText(f))
			}
		}
	}
	return out
}

func intField(e Expr, name string) int64 {
	if f, ok := e.Fields[name]; ok && f.Kind == ExprInt {
		return f.Int
	}
	return -1
}

// intArg is a list's first integer ([1]) or an integer.
func intArg(e Expr) (int64, bool) {
	switch e.Kind {
	case ExprInt:
		return e.Int, true
	case ExprList:
		if len(e.Items) == 1 && e.Items[0].Kind == ExprInt {
			return e.Items[0].Int, true
		}
	}
	return 0, false
}

// result is what a system call returned.
type result struct {
	ret   int64
	errno string
	value *Expr // getsockopt's value, compared with the script's
	got   string
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
		if msg := compareValue(sc.Args[3], *got.value); msg != "" {
			return r.fail("getsockopt(): "+msg, exprText(sc.Args[3]), exprText(*got.value))
		}
	}
	return nil
}

// compareValue compares a getsockopt value; "..." matches anything.
func compareValue(want, got Expr) string {
	switch want.Kind {
	case ExprEllipsis:
		return ""
	case ExprList:
		w, _ := intArg(want)
		g, _ := intArg(got)
		if w != g {
			return fmt.Sprintf("value %d, expected %d", g, w)
		}
	case ExprStruct:
		for k, v := range want.Fields {
			if v.Kind == ExprInt && intField(got, k) != v.Int {
				return fmt.Sprintf("%s=%d, expected %d", k, intField(got, k), v.Int)
			}
		}
	}
	return ""
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
		keys := []string{"l_onoff", "l_linger"}
		var parts []string
		for _, k := range keys {
			if v, ok := e.Fields[k]; ok {
				parts = append(parts, k+"="+exprText(v))
			}
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
		if s.nonblock {
			if r.stateOf(s.ep) == tcp.SynSent {
				return r.check(ev, errno("EALREADY"))
			}
		}
		return r.check(ev, errno("EISCONN"))
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
		return r.check(ev, errno("EINPROGRESS"))
	}
	return r.block(ev, "connect", s, at)
}

// block makes a call wait for its condition: at once if it already holds,
// else until the script's end time (or the line's own time, plus the
// tolerance, when it gives none).
func (r *runner) block(ev *Event, name string, s *socket, at time.Duration) error {
	p := &blocking{ev: ev, name: name, fd: s.fd, start: at, end: at}
	if be := ev.Time.BlockEnd; be != nil {
		p.has = true
		p.end = *be
		if ev.Time.Kind == TimeRelative {
			p.end = r.prevBase + *be
		}
	}
	r.pending = p
	if err := r.checkPending(); err != nil || r.pending == nil {
		return err
	}
	if p.has {
		return nil // the script goes on while the call waits
	}
	// No end time: the call must return within the tolerance.
	if err := r.advance(at + r.tol); err != nil {
		return err
	}
	if r.pending != nil {
		r.pending = nil
		return r.fail(fmt.Sprintf("%s() blocked; the script expects it to return at once (write \"%v...T\" for a call that blocks)", name, at),
			fmt.Sprintf("returns at %v", at), "blocked")
	}
	return nil
}

// checkPending completes the waiting call if its condition holds now.
func (r *runner) checkPending() error {
	p := r.pending
	s := r.fds[p.fd]
	var got result
	done := false
	switch p.name {
	case "accept":
		id, ok, err := r.d.Accept(s.ep)
		if err != nil {
			got, done = r.errnoOf("accept", err), true
		} else if ok {
			got, done = r.accepted(id), true
		}
	case "read":
		st, err := r.d.Status(s.ep)
		if err != nil {
			return err
		}
		if st.RcvQueued > 0 || r.sigErr[s.ep] != 0 || finReceived(st.State) {
			got, done = r.receive(s, r.pendingMax), true
		}
	case "connect":
		switch st := r.stateOf(s.ep); {
		case st.Synchronized():
			got, done = okRes(0), true
		case st == tcp.Closed:
			got, done = r.takeErr(s.ep, "ECONNREFUSED"), true
		}
	}
	if !done {
		return nil
	}
	r.pending = nil
	now := r.d.Now()
	if err := r.check(p.ev, got); err != nil {
		return r.at(err, p.ev)
	}
	if p.has && (now < p.end-r.tol || now > p.end+r.tol) {
		return r.at(r.fail(fmt.Sprintf("timing: the blocking %s() of line %s returned at %v, expected at %v (tolerance %v)",
			p.name, p.ev.Pos, now, p.end, r.tol),
			fmt.Sprintf("returns at %v", p.end), fmt.Sprintf("returned at %v", now)), p.ev)
	}
	return nil
}

// at points a mismatch found for an earlier line at that line.
func (r *runner) at(err error, ev *Event) error {
	if m, ok := err.(*mismatch); ok {
		m.f.Pos, m.f.Line = ev.Pos, ev.Text
	}
	return err
}

func finReceived(s tcp.State) bool {
	switch s {
	case tcp.CloseWait, tcp.LastAck, tcp.Closing, tcp.TimeWait, tcp.Closed:
		return true
	}
	return false
}

func (r *runner) stateOf(id emulator.EndpointID) tcp.State {
	st, err := r.d.Status(id)
	if err != nil {
		return tcp.Closed
	}
	return st.State
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
	if size < 0 || size > 1<<24 {
		return r.fail(fmt.Sprintf("write of %d octets", size), "0..16M octets", strconv.FormatInt(size, 10))
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
		switch {
		case s.linger0:
			evs, _ = r.d.Abort(s.ep)
		case !s.shutWr:
			evs, _ = r.d.Close(s.ep)
		}
		// close() succeeds whatever the TCP says ("connection does not
		// exist" after a reset): the descriptor is gone either way.
		r.see(evs)
	}
	return r.check(ev, okRes(0))
}

func (r *runner) shutdown(ev *Event, s *socket, how Expr) error {
	if s.ep == 0 || s.listener {
		return r.check(ev, errno("ENOTCONN"))
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

func (r *runner) setsockopt(ev *Event, s *socket, name string, val Expr) error {
	if msg, ok := sockoptNoEffect[name]; ok {
		r.noteOnce(name, ev.Pos, msg)
		if v, ok := intArg(val); ok {
			s.sockopts[name] = v
		}
		return r.check(ev, okRes(0))
	}
	if name == "SO_LINGER" {
		s.linger0 = intField(val, "l_onoff") == 1 && intField(val, "l_linger") == 0
		s.sockopts["l_onoff"], s.sockopts["l_linger"] = intField(val, "l_onoff"), intField(val, "l_linger")
		return r.check(ev, okRes(0))
	}
	v, okv := intArg(val)
	if !okv || v < 0 {
		if name == "TCP_LINGER2" && okv {
			return &unsupportedErr{"TCP_LINGER2 -1 (an orphan FIN-WAIT-2 that is reset at once)"}
		}
		return r.check(ev, errno("EINVAL"))
	}
	if s.ep != 0 {
		return &unsupportedErr{fmt.Sprintf("setsockopt %s after listen() or connect(): the emulator fixes an endpoint's knobs when it opens", name)}
	}
	knob := sockoptKnob[name]
	value := strconv.FormatInt(v, 10)
	switch name {
	case "TCP_USER_TIMEOUT":
		value = (time.Duration(v) * time.Millisecond).String()
	case "TCP_LINGER2":
		value = (time.Duration(v) * time.Second).String()
	}
	s.knobs = append(s.knobs, knob+"="+value)
	s.sockopts[name] = v
	return r.check(ev, okRes(0))
}

func (r *runner) getsockopt(ev *Event, s *socket, name string) error {
	res := okRes(0)
	var v int64
	switch name {
	case "SO_ERROR":
		if e := r.takeErr(s.ep, ""); e.errno != "" {
			v = errnoNumber(e.errno)
		}
	case "SO_LINGER":
		on, l := s.sockopts["l_onoff"], s.sockopts["l_linger"]
		res.value = &Expr{Kind: ExprStruct, Fields: map[string]Expr{"l_onoff": {Kind: ExprInt, Int: on}, "l_linger": {Kind: ExprInt, Int: l}}}
		return r.check(ev, res)
	default:
		if x, ok := s.sockopts[name]; ok {
			v = x
		} else {
			v = r.profileValue(name)
		}
	}
	res.value = &Expr{Kind: ExprList, Items: []Expr{{Kind: ExprInt, Int: v}}}
	return r.check(ev, res)
}

// profileValue is a socket option's value before any setsockopt: the
// profile's (with the script's knobs).
func (r *runner) profileValue(name string) int64 {
	switch name {
	case "TCP_USER_TIMEOUT":
		return r.cfg.UserTimeout.Milliseconds()
	case "TCP_LINGER2":
		return int64(r.cfg.FinWait2Timeout / time.Second)
	case "TCP_SYNCNT":
		return int64(r.cfg.SynRetries)
	case "TCP_MAXSEG":
		return int64(r.cfg.MSS)
	}
	return 0
}

func (r *runner) fcntl(ev *Event, s *socket, cmd string, val Expr) error {
	const oRDWR, oNONBLOCK = 0x2, 0x800
	switch cmd {
	case "F_SETFL":
		s.nonblock = strings.Contains(val.Name, "O_NONBLOCK") || (val.Kind == ExprInt && val.Int&oNONBLOCK != 0)
		return r.check(ev, okRes(0))
	default: // F_GETFL
		flags := int64(oRDWR)
		if s.nonblock {
			flags |= oNONBLOCK
		}
		return r.check(ev, okRes(flags))
	}
}
